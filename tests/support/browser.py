"""Chromium for the browser tests: Debian's ``chromium`` package driven by Playwright (sync API).

Playwright's own browser builds are never downloaded: ``scripts/setup`` installs the system
Chromium and ``fonts-wqy-microhei`` (without a CJK font Chinese shows as empty boxes).
``HALLQ_CHROMIUM`` may name another Chromium executable.
"""

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

DEFAULT_CHROMIUM = "/usr/bin/chromium"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


class BrowserUnavailable(RuntimeError):
    """No Chromium to run the browser tests with."""


def chromium_executable() -> str:
    """Path of the Chromium to launch: ``HALLQ_CHROMIUM``, else Debian's, else ``chromium``
    on PATH. Raises BrowserUnavailable with what to do when there is none."""
    named = os.environ.get("HALLQ_CHROMIUM")
    if named:
        if os.access(named, os.X_OK):
            return named
        raise BrowserUnavailable(f"HALLQ_CHROMIUM={named} is not an executable file.")
    if os.access(DEFAULT_CHROMIUM, os.X_OK):
        return DEFAULT_CHROMIUM
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    raise BrowserUnavailable(
        "Chromium is not installed, so the browser tests cannot run. "
        "Run scripts/setup (it installs Debian's chromium and fonts-wqy-microhei packages), "
        "or set HALLQ_CHROMIUM to a Chromium executable."
    )


@contextmanager
def launched_browser(**launch_options) -> Iterator["Browser"]:
    """Start Playwright and a headless Chromium; yield the Browser; close both afterwards.

    ``launch_options`` go to ``chromium.launch`` (e.g. ``slow_mo=200``); extra ``args`` are
    added to CHROMIUM_ARGS.
    """
    from playwright.sync_api import sync_playwright

    executable = chromium_executable()
    args = [*CHROMIUM_ARGS, *launch_options.pop("args", [])]
    launch_options.setdefault("timeout", 30_000)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=args, headless=True, **launch_options
        )
        try:
            yield browser
        finally:
            browser.close()


def collect_errors(page: "Page") -> list[str]:
    """Start recording the page's console errors and uncaught exceptions; return the list that
    fills up as they happen (assert it is empty at the end of a test)."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))

    def on_console(message) -> None:
        if message.type == "error":
            errors.append(f"console.error: {message.text}")

    page.on("console", on_console)
    return errors
