"""Chromium for the browser tests: Debian's ``chromium`` package driven by Playwright (sync API).

Playwright's own browser builds are never downloaded: ``scripts/setup`` installs the system
Chromium and ``fonts-wqy-microhei`` (without a CJK font Chinese shows as empty boxes).
``HALLQ_CHROMIUM`` may name another Chromium executable.

Also here, for the screens' tests:

- ``axe_violations(page)``: axe-core (``node_modules/axe-core``, from package.json through
  ``npm ci`` in ``scripts/setup``) injected into the page and run with the WCAG 2.1 A and AA
  rules; ``describe_violations`` makes them readable in an assertion.
- ``touch_targets(page)``, ``too_small(targets)``, ``overlapping(targets)``: the boxes of the
  rendered controls, for the 44 × 44 px touch-target rule and layouts at 200 % zoom.
- ``live_hall(workdir)``: the sample hall served by ``hallq serve`` for a module of tests
  (``LiveHall``: the server, the hall's users and tokens, a small API client).
"""

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

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


# --- accessibility: axe-core -----------------------------------------------------------------

# axe-core from its npm package (package.json; scripts/setup runs npm ci), never fetched at
# test time.
AXE_SCRIPT = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# What the screens promise: WCAG 2.1 levels A and AA.
WCAG21_AA = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")

_AXE_RUN = """async (tags) => {
  const result = await axe.run(document, {
    runOnly: {type: "tag", values: tags},
    resultTypes: ["violations"],
  });
  return result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.map((n) => ({target: n.target.join(" "), summary: n.failureSummary})),
  }));
}"""


def axe_violations(page: "Page", tags: tuple[str, ...] = WCAG21_AA) -> list[dict[str, Any]]:
    """The page's accessibility violations as axe-core finds them (WCAG 2.1 A and AA by
    default): ``[{id, impact, help, nodes: [{target, summary}]}]``, empty when there is none.
    Injects axe into the page the first time (again after a navigation)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        if not AXE_SCRIPT.exists():
            raise FileNotFoundError(
                f"{AXE_SCRIPT} is missing: run scripts/setup (it runs npm ci for the test tools)"
            )
        page.add_script_tag(path=str(AXE_SCRIPT))
    return page.evaluate(_AXE_RUN, list(tags))


def describe_violations(violations: list[dict[str, Any]]) -> str:
    """Violations as lines a failing assertion can show."""
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        lines.extend(f"    {n['target']}: {n['summary']}" for n in v["nodes"][:5])
    return "\n".join(lines)


# --- touch targets and layout ------------------------------------------------------------------

_TARGETS = """(selector) => {
  const out = [];
  for (const el of document.querySelectorAll(selector)) {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (box.width === 0 && box.height === 0) continue;  // not rendered (hidden)
    if (style.visibility === "hidden" || style.display === "none") continue;
    const name = el.id ? "#" + el.id : el.tagName.toLowerCase() +
      (el.dataset.service ? `[data-service=${el.dataset.service}]` : "") +
      (el.dataset.key ? `[data-key=${el.dataset.key}]` : "") +
      (el.dataset.lang ? `[data-lang=${el.dataset.lang}]` : "");
    out.push({name, text: (el.innerText || el.value || "").trim().slice(0, 40),
              x: box.x + window.scrollX, y: box.y + window.scrollY,
              width: box.width, height: box.height});
  }
  return out;
}"""

TOUCH_TARGETS = "button, a[href], input, select, textarea, [role=button]"


def touch_targets(page: "Page", selector: str = TOUCH_TARGETS) -> list[dict[str, Any]]:
    """Every rendered control matching ``selector`` with its box in CSS pixels of the
    document (``name``, ``text``, ``x``, ``y``, ``width``, ``height``)."""
    return page.evaluate(_TARGETS, selector)


def too_small(targets: list[dict[str, Any]], minimum: float = 44.0) -> list[dict[str, Any]]:
    """The targets narrower or lower than ``minimum`` CSS pixels (WCAG 2.5.5: 44 × 44)."""
    return [t for t in targets if t["width"] < minimum - 0.01 or t["height"] < minimum - 0.01]


def overlapping(targets: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Pairs of targets whose boxes overlap (by more than a pixel's rounding)."""
    pairs = []
    for i, a in enumerate(targets):
        for b in targets[i + 1 :]:
            dx = min(a["x"] + a["width"], b["x"] + b["width"]) - max(a["x"], b["x"])
            dy = min(a["y"] + a["height"], b["y"] + b["height"]) - max(a["y"], b["y"])
            if dx > 1 and dy > 1:
                pairs.append((a["name"], b["name"]))
    return pairs


# --- a hall served for browser tests ----------------------------------------------------------


class LiveHall:
    """A ``hallq serve`` of a hall built by ``tests.support.hall.build_hall``, and a small HTTP
    client of its API (``requests``, no proxy). ``hall`` has the users and device tokens."""

    def __init__(self, hall: Any, server: Any) -> None:
        import requests

        self.hall = hall
        self.server = server
        self.url: str = server.url
        self.http = requests.Session()
        self.http.trust_env = False

    def token(self, device: str = "kiosk-1") -> str:
        return self.hall.tokens[device]

    def request(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> Any:
        headers = dict(kwargs.pop("headers", None) or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        kwargs.setdefault("timeout", 15)
        return self.http.request(method, self.url + path, headers=headers, **kwargs)

    def ok(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> Any:
        """The JSON body of a request that must succeed (None for a 204)."""
        response = self.request(method, path, token, **kwargs)
        assert response.ok, f"{method} {path}: {response.status_code} {response.text[:300]}"
        return None if response.status_code == 204 else response.json()

    def login(self, username: str) -> str:
        from tests.support.hall import PASSWORD

        body = self.ok(
            "POST", "/api/v1/auth/login", json={"username": username, "password": PASSWORD}
        )
        return body["token"]

    def issue(self, service: str, device: str = "kiosk-1", **fields: Any) -> dict[str, Any]:
        return self.ok(
            "POST", "/api/v1/tickets", self.token(device), json={"service": service, **fields}
        )

    def close(self) -> None:
        self.http.close()


@contextmanager
def live_hall(
    workdir: Path, *, demo: bool = True, config: Any = None, env: dict[str, str] | None = None
) -> Iterator[LiveHall]:
    """Build the sample hall (demo hours unless ``demo=False``, or ``config``) in a SQLite file
    under ``workdir``, serve it with ``hallq serve`` and yield a LiveHall; stop it afterwards.
    For a module-scoped fixture: one server for the tests that do not get in each other's way."""
    from tests.support.hall import build_hall
    from tests.support.server import ServerProcess, hallq_argv

    workdir.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{workdir / 'hall.sqlite3'}"
    hall = build_hall(url, demo=demo, config=config)
    hall.db.dispose()  # the server is the database's only user from now on
    server = ServerProcess(
        hallq_argv("serve", "--host", "127.0.0.1", "--port", "{port}"),
        env={"HALLQ_DATABASE_URL": url, "HALLQ_DATA_DIR": str(workdir / "data"), **(env or {})},
        workdir=workdir / "server",
    )
    server.start()
    live = LiveHall(hall, server)
    try:
        server.wait_ready(timeout=45)
        yield live
    finally:
        live.close()
        server.stop()
