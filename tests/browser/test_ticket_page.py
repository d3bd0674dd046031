"""The customer's page of a ticket (/t/<token>, its QR code) in Chromium against a real
``hallq serve``: in the ticket's own language, live without a reload (people ahead drop when a
ticket ahead is called; "please go to window N" when it is called), still complete without
JavaScript, and accessible in each language."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from tests.support.browser import (
    LiveHall,
    axe_violations,
    collect_errors,
    describe_violations,
    live_hall,
)

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def live(tmp_path_factory) -> Iterator[LiveHall]:
    with live_hall(tmp_path_factory.mktemp("ticket-page")) as hall:
        yield hall


@pytest.fixture
def phone(browser):
    """A phone whose browser asks for Hong Kong Chinese."""
    context = browser.new_context(locale="zh-HK", viewport=PHONE, device_scale_factor=2)
    context.set_default_timeout(15_000)
    yield context
    context.close()


def page_of(context, live: LiveHall, ticket: dict, query: str = ""):
    page = context.new_page()
    page.errors = collect_errors(page)
    page.goto(live.url + urlsplit(ticket["status_url"]).path + query)
    return page


def by_testid(page, name: str):
    return page.locator(f"[data-testid={name}]")


def assert_accessible(page, where: str) -> None:
    violations = axe_violations(page)
    assert violations == [], f"{where}:\n{describe_violations(violations)}"


def test_the_page_follows_the_ticket_live_until_it_is_called(phone, live) -> None:
    ahead = live.issue("certificate-pickup")  # E001: called first
    mine = live.issue("certificate-pickup", language="en")
    page = page_of(phone, live, mine)
    # The ticket's language, though the phone asks for Chinese.
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert page.locator("#service-name").inner_text() == "Certificate pick-up"
    assert by_testid(page, "status").inner_text() == "Waiting"
    assert by_testid(page, "ahead").inner_text() == "People ahead: 1"
    page.wait_for_function("document.querySelector('#live').textContent === 'Live'")
    page.evaluate("window.notReloaded = true")

    clerk = live.login("clerk8")
    live.ok("POST", "/api/v1/counters/8/open", clerk)
    called = live.ok("POST", "/api/v1/counters/8/call-next", clerk)
    assert called["number"] == ahead["number"]
    # queue.moved, then a read after at most 2 s of jitter.
    page.wait_for_function(
        "document.querySelector('[data-testid=ahead]').textContent === 'People ahead: 0'",
        timeout=8_000,
    )
    assert page.locator("#called").is_hidden()

    live.ok("POST", "/api/v1/counters/8/start", clerk)
    live.ok("POST", "/api/v1/counters/8/finish", clerk)
    live.ok("POST", "/api/v1/counters/8/call-next", clerk)
    banner = page.locator("#called")
    banner.wait_for(state="visible", timeout=5_000)
    assert banner.inner_text() == "Please go to window 8"
    assert by_testid(page, "status").inner_text() == "Please go to window 8"
    assert by_testid(page, "ahead").is_hidden()
    assert page.title() == "Please go to window 8"
    assert page.evaluate("window.notReloaded") is True
    assert_accessible(page, "a called ticket (en)")
    # Served: the page says so, and stops listening.
    live.ok("POST", "/api/v1/counters/8/start", clerk)
    page.wait_for_function(
        "document.querySelector('[data-testid=status]').textContent === 'Being served at window 8'"
    )
    live.ok("POST", "/api/v1/counters/8/finish", clerk)
    page.wait_for_function(
        "document.querySelector('[data-testid=status]').textContent === 'Served'"
    )
    assert banner.is_hidden()
    assert page.evaluate("window.notReloaded") is True
    # Nothing about anyone else: only this ticket's number is on the page.
    assert ahead["number"] not in page.content()
    assert page.errors == []


def test_the_tickets_language_by_default_and_a_switch(phone, live) -> None:
    ticket = live.issue("consultation", language="zh-Hans")
    page = page_of(phone, live, ticket)
    page.wait_for_function("document.documentElement.lang === 'zh-Hans'")
    assert page.locator("#hall-name").inner_text() == "海港产权过户服务大厅"
    assert page.locator("#service-name").inner_text() == "业务咨询"
    assert by_testid(page, "status").inner_text() == "等候中"
    assert page.locator("nav.lang a[lang=zh-Hans]").get_attribute("aria-current") == "true"
    page.click("nav.lang a[lang=en]")
    page.wait_for_url("**?lang=en")
    page.wait_for_function("document.querySelector('#live').textContent === 'Live'")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("#service-name").inner_text() == "Enquiries"
    assert page.locator("#documents h2").inner_text() == "Please have these documents ready"


def test_without_javascript_the_server_rendered_page_stays(browser, live) -> None:
    ticket = live.issue("consultation", language="en")
    context = browser.new_context(java_script_enabled=False, locale="zh-HK", viewport=PHONE)
    try:
        page = context.new_page()
        page.goto(live.url + urlsplit(ticket["status_url"]).path)
        assert by_testid(page, "number").inner_text() == ticket["number"]
        # The language chosen at the kiosk, from the server too (the phone prefers Chinese).
        assert by_testid(page, "status").inner_text() == "Waiting"
        assert by_testid(page, "ahead").is_visible()
        assert page.locator("noscript a").count() == 1  # a way to look again
        assert page.locator("meta[http-equiv=refresh]").count() == 0
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["zh-Hant", "zh-Hans", "en"])
def test_axe_finds_nothing_in_any_language(phone, live, lang) -> None:
    ticket = live.issue("vehicle-transfer", language=lang)
    page = page_of(phone, live, ticket)
    page.wait_for_function(f"document.documentElement.lang === '{lang}'")
    page.wait_for_function("document.querySelector('#live').textContent !== ''")
    assert_accessible(page, f"a waiting ticket ({lang})")
