"""The supervisor's dashboard (/office) in Chromium against a real ``hallq serve``: a clerk is
refused and shown nothing; a call made through the API shows within a moment without a
reload (the window's number, the queue's count), and a lost connection is shown; a service
over its target wait is marked in words, and a kiosk out of paper alerts at once; actions
from the keyboard alone (the board's notice, cancelling a ticket, moving one to another
queue), a double click that acts once; accessibility (axe, WCAG 2.1 AA) of the sign-in, the
dashboard and a dialog.

One server for the module (the sample hall, open all day). Each test keeps to services and
windows of its own, so they do not get in each other's way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from hallq.server.models import Ticket
from tests.e2e.conftest import HallSocket
from tests.support.browser import LiveHall, axe_violations, collect_errors, describe_violations
from tests.support.browser import live_hall as serve_hall
from tests.support.hall import PASSWORD

pytestmark = pytest.mark.browser

VIEWPORT = {"width": 1600, "height": 1000}
READY = (
    "window.hallqOffice && window.hallqOffice.screen === 'board' && window.hallqOffice.loads > 0"
)


@pytest.fixture(scope="module")
def live(tmp_path_factory) -> Iterator[LiveHall]:
    with serve_hall(tmp_path_factory.mktemp("office")) as hall:
        yield hall


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport=VIEWPORT, locale="en-US")
    context.set_default_timeout(15_000)
    yield context
    context.close()


def open_dashboard(context, live: LiveHall, user: str = "supervisor"):
    page = context.new_page()
    page.errors = collect_errors(page)
    page.goto(f"{live.url}/office?lang=en")
    page.fill("#signin-username", user)
    page.fill("#signin-password", PASSWORD)
    page.click("#signin-form button[type=submit]")
    return page


def assert_accessible(page) -> None:
    violations = axe_violations(page)
    assert not violations, describe_violations(violations)


def service_row(page, code: str):
    return page.locator(f"#service-rows tr[data-service='{code}']")


def window_row(page, number: int):
    return page.locator(f"#window-rows tr[data-window='{number}']")


def settled(page) -> None:
    page.wait_for_function("!window.hallqOffice.busy")


# --- the tests ----------------------------------------------------------------------------------


def test_a_clerk_is_refused_and_shown_nothing(context, live) -> None:
    page = open_dashboard(context, live, "clerk1")
    expect(page.locator("#signin-error")).to_contain_text("supervisors and administrators")
    expect(page.locator("#board")).to_be_hidden()
    expect(page.locator("#sections")).to_be_hidden()
    assert page.locator("#service-rows tr, #window-rows tr").count() == 0
    assert page.evaluate("sessionStorage.getItem('hallq.office.token')") is None
    assert page.evaluate("window.hallqOffice.loads") == 0
    assert_accessible(page)
    assert not page.errors, page.errors

    # The same page, a supervisor: the dashboard, and its navigation.
    page.fill("#signin-username", "supervisor")
    page.fill("#signin-password", PASSWORD)
    page.click("#signin-form button[type=submit]")
    page.wait_for_function(READY)
    expect(page.locator("#signin-error")).to_be_empty()
    expect(page.locator("#sections a[aria-current=page]")).to_have_text("Dashboard")
    expect(service_row(page, "property-transfer")).to_be_visible()
    expect(window_row(page, 9)).to_be_visible()
    assert_accessible(page)
    assert not page.errors, page.errors


def test_a_call_shows_without_a_reload(context, live) -> None:
    first = live.issue("vehicle-transfer")
    second = live.issue("vehicle-transfer")
    page = open_dashboard(context, live)
    page.wait_for_function(READY)
    expect(service_row(page, "vehicle-transfer").locator("td.waiting")).to_have_text("2")
    page.evaluate("window.notReloaded = true")

    clerk = live.login("clerk4")
    live.ok("POST", "/api/v1/counters/4/open", clerk)
    expect(window_row(page, 4).locator("td.clerk")).to_have_text("clerk4")
    called = live.ok("POST", "/api/v1/counters/4/call-next", clerk)
    assert called["number"] == first["number"]
    expect(window_row(page, 4).locator("td.ticket")).to_contain_text(first["number"], timeout=2000)
    expect(service_row(page, "vehicle-transfer").locator("td.waiting")).to_have_text(
        "1", timeout=2000
    )
    # Its timer runs once the dashboard's read has the call's time.
    timer = window_row(page, 4).locator("td.timer")
    expect(timer).not_to_be_empty()
    shown = timer.inner_text()
    page.wait_for_function(
        f"document.querySelector(\"#window-rows tr[data-window='4'] td.timer\").textContent !== {shown!r}"
    )
    expect(window_row(page, 4).locator("td.state")).to_have_text("Calling")
    live.ok("POST", "/api/v1/counters/4/start", clerk)
    expect(window_row(page, 4).locator("td.state")).to_have_text("Serving")
    # Paused, with its reason, in words.
    live.ok("POST", "/api/v1/counters/4/finish", clerk)
    live.ok("POST", "/api/v1/counters/4/pause", clerk, json={"reason": "meeting"})
    expect(window_row(page, 4).locator("td.state")).to_contain_text("Meeting")
    assert page.evaluate("window.notReloaded === true")

    # The connection lost is shown, and goes when it comes back.
    page.evaluate("window.hallqOffice.client.socket.disconnect()")
    expect(page.locator("#connection")).to_be_visible()
    page.evaluate("window.hallqOffice.client.socket.connect()")
    expect(page.locator("#connection")).to_be_hidden()
    live.ok("POST", "/api/v1/counters/4/resume", clerk)
    live.ok("POST", "/api/v1/counters/4/close", clerk)
    staff = live.login("supervisor")
    live.ok("POST", f"/api/v1/tickets/{second['id']}/cancel", staff, json={})
    assert not page.errors, page.errors


def test_a_service_over_its_target_is_marked(context, live) -> None:
    late = live.issue("certificate-pickup")  # target: 10 minutes
    # As if it had been issued a quarter of an hour ago.
    issued = dt.datetime.fromisoformat(late["queued_at"])
    with live.hall.db.writing() as session:
        session.execute(
            update(Ticket)
            .where(Ticket.id == late["id"])
            .values(queued_at=issued - dt.timedelta(minutes=15))
        )
    live.hall.db.dispose()
    page = open_dashboard(context, live)
    page.wait_for_function(READY)
    row = service_row(page, "certificate-pickup")
    expect(row).to_have_class("over")
    expect(row.locator("td.longest")).to_contain_text("over target")  # in words, not only red
    expect(service_row(page, "consultation")).not_to_have_class("over")
    # The alerts say it too.
    alert = page.locator("#alert-list li[data-kind=wait_over_target]")
    expect(alert).to_have_count(1)
    expect(alert).to_contain_text("Wait over target")

    # A kiosk's printer out of paper: shown within 2 s, not at the next 30-second read.
    kiosk = HallSocket(live.url, live.token("kiosk-2"), agent=True).connect()
    try:
        paper = page.locator("#alert-list li[data-kind=paper_out]")
        assert kiosk.call("device.status", {"status": "paper_out"}) == {"ok": True}
        expect(paper).to_contain_text("kiosk-2", timeout=2000)
        expect(page.locator("#device-list")).to_contain_text("kiosk-2: Out of paper", timeout=2000)
        assert kiosk.call("device.status", {"status": "ok"}) == {"ok": True}
        expect(paper).to_have_count(0, timeout=2000)
    finally:
        kiosk.close()

    # Paused from its row, with a reason; then reopened.
    row.locator("button.pause-service").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#pause-reason")).to_be_focused()
    page.keyboard.type("printer jam")
    page.keyboard.press("Enter")
    expect(row.locator("td.taking")).to_contain_text("Paused: printer jam")
    expect(row.locator("button.reopen-service")).to_be_focused()
    assert live.ok("GET", "/api/v1/services", live.token())["services"][4]["closed_reason"] == (
        "paused"
    )
    page.keyboard.press("Enter")
    expect(row.locator("td.taking")).to_have_text("Yes")
    expect(row.locator("button.pause-service")).to_be_focused()

    live.ok("POST", f"/api/v1/tickets/{late['id']}/cancel", live.login("supervisor"), json={})
    expect(row).not_to_have_class("over")
    expect(alert).to_have_count(0)
    assert not page.errors, page.errors


def test_actions_from_the_keyboard_and_a_double_click_acts_once(context, live) -> None:
    page = open_dashboard(context, live)
    page.wait_for_function(READY)

    # The board's notice: Tab to its button, Enter, type, Enter.
    page.locator("#open-notice").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#notice-dialog")).to_be_visible()
    expect(page.locator("#notice-zone")).to_be_focused()
    assert_accessible(page)
    page.keyboard.press("Tab")
    page.keyboard.type("午間暫停服務")
    page.keyboard.press("Enter")
    expect(page.locator("#notice-dialog")).to_be_hidden()
    expect(page.locator("#open-notice")).to_be_focused()
    notices = live.ok("GET", "/api/v1/notice", live.login("supervisor"))["notices"]
    assert [n["text"]["zh-Hant"] for n in notices if n["zone"] is None] == ["午間暫停服務"]

    # Cancel a waiting ticket by its number, from the keyboard; Escape closes a dialog.
    ticket = live.issue("equity-transfer")
    page.locator("#open-cancel").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#cancel-number")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator("#cancel-dialog")).to_be_hidden()
    expect(page.locator("#open-cancel")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.type(ticket["number"].lower())
    page.keyboard.press("Enter")
    expect(page.locator("#action-done")).to_contain_text(ticket["number"])
    assert live.ok("GET", f"/api/v1/tickets/{ticket['id']}", live.token())["status"] == "cancelled"
    expect(service_row(page, "equity-transfer").locator("td.waiting")).to_have_text("0")

    # Move a waiting ticket to another service's queue, from the keyboard: same number.
    moving = live.issue("equity-transfer")
    page.locator("#open-move-waiting").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#move-waiting-number")).to_be_focused()
    page.keyboard.type(moving["number"])
    page.keyboard.press("Tab")
    expect(page.locator("#move-waiting-service")).to_be_focused()
    page.locator("#move-waiting-service").select_option("property-transfer")
    page.keyboard.press("Tab")
    page.keyboard.type("wrong ticket")
    page.keyboard.press("Enter")
    expect(page.locator("#action-done")).to_contain_text(f"{moving['number']} moved to")
    expect(page.locator("#move-waiting-dialog")).to_be_hidden()
    expect(page.locator("#open-move-waiting")).to_be_focused()
    moved = live.ok("GET", f"/api/v1/tickets/{moving['id']}", live.token())
    assert (moved["number"], moved["service"]) == (moving["number"], "property-transfer")
    expect(service_row(page, "equity-transfer").locator("td.waiting")).to_have_text("0")
    expect(service_row(page, "property-transfer").locator("td.waiting")).to_have_text("1")
    live.ok("POST", f"/api/v1/tickets/{moving['id']}/cancel", live.login("supervisor"), json={})

    # A green-channel ticket issued with a double click: one ticket.
    before = live.ok("GET", "/api/v1/services", live.token())["services"]
    issued_before = next(s for s in before if s["code"] == "equity-transfer")["issued_today"]
    settled(page)
    page.click("#open-issue")
    page.select_option("#issue-service", "equity-transfer")
    page.fill("#issue-reason", "長者")
    page.dblclick("#issue-form button[type=submit]")
    expect(page.locator("#action-done")).to_contain_text("green channel")
    settled(page)
    after = live.ok("GET", "/api/v1/services", live.token())["services"]
    assert next(s for s in after if s["code"] == "equity-transfer")["issued_today"] == (
        issued_before + 1
    )
    expect(page.locator("#issue-dialog")).to_be_hidden()
    expect(page.locator("#action-error")).to_be_empty()
    assert not page.errors, page.errors
