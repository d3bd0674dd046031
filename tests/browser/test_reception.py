"""The reception desk (/reception) in Chromium against a real ``hallq serve``: staff sign in,
issue a green-channel ticket with its reason, book an appointment and read its code, see the
day's bookings, check a customer in, find a ticket and print it again, see the tickets that
did not print and print them again; accessible in each
language and usable from the keyboard."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.conftest import HallSocket
from tests.support.browser import (
    LiveHall,
    axe_violations,
    collect_errors,
    describe_violations,
    live_hall,
)
from tests.support.hall import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live(tmp_path_factory) -> Iterator[LiveHall]:
    with live_hall(tmp_path_factory.mktemp("reception")) as hall:
        yield hall


@pytest.fixture
def desk(browser, live):
    """The reception page in Traditional Chinese, signed in as the supervisor."""
    context = browser.new_context(locale="zh-HK", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.errors = collect_errors(page)
    page.goto(f"{live.url}/reception")
    sign_in(page)
    yield page
    context.close()


def sign_in(page, username: str = "supervisor") -> None:
    page.fill("#signin-username", username)
    page.fill("#signin-password", PASSWORD)
    page.click("#signin button[type=submit]")
    page.locator("#desk").wait_for(state="visible")
    # the services have come
    page.wait_for_function("document.querySelectorAll('#green-service option').length > 0")


def assert_accessible(page, where: str) -> None:
    violations = axe_violations(page)
    assert violations == [], f"{where}:\n{describe_violations(violations)}"


def test_sign_in_refuses_a_wrong_password_then_lets_staff_in(browser, live) -> None:
    context = browser.new_context(locale="zh-HK")
    try:
        page = context.new_page()
        page.goto(f"{live.url}/reception")
        assert page.locator("html").get_attribute("lang") == "zh-Hant"
        assert page.locator("h1").inner_text() == "服務台"
        assert page.locator("#desk").is_hidden()
        page.fill("#signin-username", "clerk3")
        page.fill("#signin-password", "wrong")
        page.click("#signin button[type=submit]")
        page.wait_for_selector("#signin-error:not(:empty)")
        assert "密碼" in page.inner_text("#signin-error")
        sign_in(page, "clerk3")
        assert "clerk3" in page.inner_text("#who")
        # Signed out: the form comes back, and the token no longer works.
        token = page.evaluate("sessionStorage.getItem('hallq.token')")
        page.click("#signout")
        page.locator("#signin").wait_for(state="visible")
        gone = live.request("GET", "/api/v1/auth/me", token)
        assert gone.status_code == 401
    finally:
        context.close()


def test_a_green_channel_ticket_with_its_reason(desk, live) -> None:
    page = desk
    page.select_option("#green-service", "vehicle-transfer")
    page.click("#green button[type=submit]")
    assert page.inner_text("#green-error") == "請選擇使用綠色通道的原因。"
    page.check("input[name=reason][value=other]")
    page.click("#green button[type=submit]")
    assert page.inner_text("#green-error") == "請輸入原因。"
    page.fill("#green-other", "剛做完手術")
    page.select_option("#green-language", "en")
    with page.expect_response("**/api/v1/tickets") as answer:
        page.click("#green button[type=submit]")
    ticket = answer.value.json()
    card = page.locator("#green-result .ticket-card")
    card.wait_for()
    assert card.locator(".ticket-number").inner_text() == ticket["number"]
    assert card.locator(".ticket-service").inner_text() == "車輛過戶"
    assert ticket["priority"] == "priority" and ticket["language"] == "en"
    page.wait_for_function("document.querySelector('#green-result .ticket-qr').complete")
    assert page.evaluate("document.querySelector('#green-result .ticket-qr').naturalWidth") > 0
    # The reason travels with the ticket (its log entry says who granted it and why).
    found = live.ok("GET", f"/api/v1/tickets?number={ticket['number']}", live.login("supervisor"))
    assert found["tickets"][0]["priority"] == "priority"
    # A listed reason, by keyboard: the radio buttons and the submit button.
    page.select_option("#green-service", "consultation")
    page.focus("input[name=reason][value=elderly]")
    page.keyboard.press("Space")
    assert page.is_checked("input[name=reason][value=elderly]")
    with page.expect_response("**/api/v1/tickets") as answer:
        page.focus("#green button[type=submit]")
        page.keyboard.press("Enter")
    second = answer.value.json()
    page.wait_for_function(
        f"document.querySelector('#green-result .ticket-number').textContent === '{second['number']}'"
    )
    assert page.errors == []


def test_book_an_appointment_list_it_and_check_in(desk, live) -> None:
    page = desk
    page.select_option("#book-service", "property-transfer")
    page.fill("#book-name", "陳大文")
    page.fill("#book-reference", "PT-2024-001")
    page.fill("#book-phone", "+852 9123 4567")
    # Ten minutes from now on the hall's clock: within check-in time (30 minutes before).
    at = dt.datetime.now(ZoneInfo(live.hall.config.timezone)) + dt.timedelta(minutes=10)
    page.fill("#book-date", at.strftime("%Y-%m-%d"))
    page.fill("#book-time", at.strftime("%H:%M"))
    with page.expect_response("**/api/v1/appointments") as answer:
        page.click("#book button[type=submit]")
    booking = answer.value.json()
    assert answer.value.status == 201, booking
    page.locator("#booking-code").wait_for()
    assert page.inner_text("#booking-code") == booking["code"]
    assert re.fullmatch(r"\d{6}", booking["code"])
    # Today's list has it, with the phone masked.
    row = page.locator(f"#appointments tr[data-code='{booking['code']}']")
    row.wait_for()
    assert row.locator("td.phone").inner_text() == "+852 9***4567"
    assert row.locator("td.status").inner_text() == "已預約"
    assert "陳**" in row.inner_text() and "陳大文" not in page.content()  # names masked too
    # An unknown code is refused with the server's message.
    page.fill("#checkin-code", "000001")
    page.click("#checkin button[type=submit]")
    page.wait_for_selector("#checkin-error:not(:empty)")
    assert "000001" in page.inner_text("#checkin-error")
    page.fill("#checkin-code", booking["code"])
    with page.expect_response("**/api/v1/appointments/check-in") as answer:
        page.click("#checkin button[type=submit]")
    ticket = answer.value.json()
    card = page.locator("#checkin-result .ticket-card")
    card.wait_for()
    assert card.locator(".ticket-number").inner_text() == ticket["number"]
    assert ticket["priority"] == "appointment"
    page.wait_for_function(
        f"""document.querySelector("#appointments tr[data-code='{booking["code"]}'] td.status")
            .textContent === '已報到'"""
    )


def test_find_a_ticket_and_reprint_it(desk, live) -> None:
    page = desk
    at_kiosk = live.issue("consultation", device="kiosk-2")
    page.fill("#find-number", at_kiosk["number"].lower())
    page.click("#find button[type=submit]")
    card = page.locator("#find-result .ticket-card")
    card.wait_for()
    assert card.locator(".ticket-number").inner_text() == at_kiosk["number"]
    assert card.locator(".ticket-service").inner_text() == "業務諮詢"
    with page.expect_response(f"**/api/v1/tickets/{at_kiosk['id']}/reprint") as answer:
        card.locator("button[type=submit]").click()
    assert answer.value.status == 202
    message = card.locator(".reprint-message")
    page.wait_for_function(
        "document.querySelector('#find-result .reprint-message').textContent !== ''"
    )
    assert message.inner_text() == "已送往 kiosk-2 列印"
    # A ticket issued at the desk has no kiosk of its own: say which one prints it.
    staff = live.login("supervisor")
    at_desk = live.ok(
        "POST",
        "/api/v1/tickets",
        staff,
        json={"service": "consultation", "priority": "priority", "reason": "elderly"},
    )
    page.fill("#find-number", at_desk["number"])
    page.click("#find button[type=submit]")
    page.wait_for_function(
        f"document.querySelector('#find-result .ticket-number')?.textContent === '{at_desk['number']}'"
    )
    card = page.locator("#find-result .ticket-card")
    card.locator("button[type=submit]").click()
    page.wait_for_function(
        "document.querySelector('#find-result .reprint-message').textContent !== ''"
    )
    assert "取號機" in message.inner_text()  # the refusal, in Chinese
    card.locator("input[name=kiosk]").fill("kiosk-1")
    card.locator("button[type=submit]").click()
    page.wait_for_function(
        "document.querySelector('#find-result .reprint-message').textContent.includes('kiosk-1')"
    )
    # A number that does not exist today.
    page.fill("#find-number", "Z999")
    page.click("#find button[type=submit]")
    page.wait_for_selector("#find-error:not(:empty)")
    assert page.locator("#find-result").inner_text() == ""


def test_a_ticket_that_did_not_print_waits_at_the_desk_until_printed_again(browser, live) -> None:
    context = browser.new_context(locale="zh-HK", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    agent = HallSocket(live.url, live.token("kiosk-2"), agent=True).connect()
    try:
        page = context.new_page()
        page.errors = collect_errors(page)
        page.clock.install()
        page.goto(f"{live.url}/reception")
        sign_in(page)
        page.locator("#not-printed-empty").wait_for(state="visible")
        ticket = live.issue("consultation", device="kiosk-2")
        job = agent.wait_for(
            lambda events: next(
                (d for n, d in events if n == "print.job" and d["ticket"]["id"] == ticket["id"]),
                None,
            ),
            "the print job",
        )
        reply = agent.call("print.result", {"id": job["id"], "ok": False, "reason": "too_old"})
        assert reply["ok"] is True
        # The desk hears of it by itself, on its next look (every 10 s).
        page.clock.fast_forward(10_000)
        row = page.locator(f"#not-printed-list tr[data-ticket='{ticket['id']}']")
        row.wait_for()
        assert row.locator("td.number").inner_text() == ticket["number"]
        assert row.locator("td.kiosk").inner_text() == "kiosk-2"
        assert row.locator("td.why").inner_text() == "打印機恢復時已逾時，未有列印"
        assert page.locator("#not-printed-empty").is_hidden()
        assert_accessible(page, "a ticket not printed")
        with page.expect_response(f"**/api/v1/tickets/{ticket['id']}/reprint") as answer:
            row.get_by_role("button", name=f"補印 {ticket['number']}").click()
        assert answer.value.status == 202
        row.wait_for(state="detached")
        assert page.inner_text("#not-printed-message") == f"{ticket['number']} 已送往 kiosk-2 列印"
        again = agent.wait_for(
            lambda events: [
                d for n, d in events if n == "print.job" and d["ticket"]["id"] == ticket["id"]
            ][1:],
            "the job again",
        )
        assert again[0]["id"] != job["id"]
        assert page.errors == []
    finally:
        agent.close()
        context.close()


@pytest.mark.parametrize("lang", ["zh-Hant", "zh-Hans", "en"])
def test_axe_finds_nothing_in_any_language(browser, live, lang) -> None:
    context = browser.new_context(locale="zh-HK", viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(f"{live.url}/reception?lang={lang}")
        assert page.locator("html").get_attribute("lang") == lang
        assert_accessible(page, f"sign-in ({lang})")
        sign_in(page)
        page.check("input[name=reason][value=pregnant]")
        page.click("#green button[type=submit]")
        page.locator("#green-result .ticket-card").wait_for()
        page.fill("#find-number", "Q001")
        page.click("#find button[type=submit]")
        page.wait_for_selector("#find-error:not(:empty)")
        assert_accessible(page, f"desk ({lang})")
    finally:
        context.close()
