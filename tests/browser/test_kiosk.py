"""The kiosk's touch screen (/kiosk) in Chromium against a real ``hallq serve``: pairing, a
press and its ticket, languages, the idle timeout, closed services, the printer's state and a
failed print (sent by a second Socket.IO client with the kiosk's token, as its agent would),
appointment check-in, the staff PIN, accessibility (axe, touch targets, 200 % zoom).

One server for the module. Tests that change a device's state use their own kiosk (kiosk-2 for
the printer, a kiosk added for the revocation), so the others keep kiosk-1 as it is.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import time
from collections.abc import Callable, Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from hallq.server.hall_file import load_hall_config, sample_hall_path
from hallq.server.queue.hours import OpeningHours
from tests.e2e.conftest import HallSocket
from tests.support.browser import (
    LiveHall,
    axe_violations,
    describe_violations,
    live_hall,
    overlapping,
    too_small,
    touch_targets,
)
from tests.support.kiosk_screen import open_kiosk, press, service_button

pytestmark = pytest.mark.browser

CLOSED = "certificate-pickup"  # opens later (hours)
CAPPED = "equity-transfer"  # daily cap 1, reached
OPEN = "consultation"
LANDSCAPE = {"width": 1920, "height": 1080}
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def kiosk_hall_config() -> Any:
    """The demo hall (open all day), but certificate pick-up opens in an hour or two (tomorrow
    morning late in the evening), equity transfers give one ticket a day, and a ticket stays on
    the kiosk's screen for a minute (tests that time it move the page's clock)."""
    config = load_hall_config(sample_hall_path()).as_demo()
    now = dt.datetime.now(ZoneInfo(config.timezone))
    later_today = f"{now.hour + 2:02d}:00-{now.hour + 3:02d}:00"
    window = later_today if now.hour <= 21 else "09:00-10:00"
    later = OpeningHours.parse({day: [window] for day in DAYS})
    services = tuple(
        dataclasses.replace(s, hours=later)
        if s.code == CLOSED
        else dataclasses.replace(s, daily_cap=1)
        if s.code == CAPPED
        else s
        for s in config.services
    )
    kiosk = dataclasses.replace(config.kiosk, ticket_seconds=60, idle_seconds=30)
    return dataclasses.replace(config, services=services, kiosk=kiosk)


@pytest.fixture(scope="module")
def live(tmp_path_factory) -> Iterator[LiveHall]:
    with live_hall(
        tmp_path_factory.mktemp("kiosk"), demo=False, config=kiosk_hall_config()
    ) as hall:
        hall.issue(CAPPED)  # the day's only one
        yield hall


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport=LANDSCAPE, locale="zh-HK")
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def agent(live: LiveHall) -> Iterator[Callable[[str], HallSocket]]:
    """``agent(device)``: stands in for the kiosk's agent, reporting its printer fine as the
    real one does on connecting; gone after the test (the kiosk is then offline)."""
    made: list[HallSocket] = []

    def connect(device: str) -> HallSocket:
        socket = HallSocket(live.url, live.token(device), agent=True).connect()
        made.append(socket)
        assert socket.call("device.status", {"status": "ok"}) == {"ok": True}
        return socket

    yield connect
    for socket in made:
        socket.close()


def assert_accessible(page, where: str) -> None:
    violations = axe_violations(page)
    assert violations == [], f"{where}:\n{describe_violations(violations)}"


def waiting_now(live: LiveHall, code: str) -> int:
    services = live.ok("GET", "/api/v1/services", live.token("display-a"))["services"]
    return next(s["waiting"] for s in services if s["code"] == code)


# --- pairing -------------------------------------------------------------------------------


def test_a_pairing_link_pairs_and_leaves_no_token_in_the_address(context, live) -> None:
    page = open_kiosk(context, live)
    token = live.token("kiosk-1")
    assert page.url == f"{live.url}/kiosk"
    assert token not in page.evaluate("location.href + history.state")
    assert page.evaluate("localStorage.getItem('hallq.kiosk.token')") == token
    assert page.locator("html").get_attribute("lang") == "zh-Hant"
    assert page.locator("h1").inner_text() == "海港產權過戶服務大廳"
    assert service_button(page, "property-transfer").locator(".name").inner_text() == "物業過戶"
    # The token never went to the server in a URL.
    assert token not in live.server.log_text()
    # Paired once: a reload (or a power cut) comes back to the home screen.
    page.reload()
    page.locator("button.service").first.wait_for()
    assert page.locator("#pairing").is_hidden()
    assert page.errors == []


def test_the_pairing_form_takes_only_a_kiosks_token(context, live) -> None:
    page = context.new_page()
    page.goto(f"{live.url}/kiosk")
    form = page.locator("#pairing")
    form.wait_for(state="visible")
    assert page.locator("#home").is_hidden()
    page.fill("#pairing-token", "hqd_" + "x" * 40)
    page.click("#pairing button[type=submit]")
    page.wait_for_selector("#pairing-error:not(:empty)")
    assert "權杖" in page.inner_text("#pairing-error")
    page.fill("#pairing-token", live.token("display-a"))
    page.click("#pairing button[type=submit]")
    page.wait_for_function(
        "document.querySelector('#pairing-error').textContent.includes('取號機')"
    )
    assert page.evaluate("localStorage.getItem('hallq.kiosk.token')") is None
    page.fill("#pairing-token", live.token("kiosk-1"))
    page.click("#pairing button[type=submit]")
    page.locator("button.service").first.wait_for()
    assert form.is_hidden()


# --- taking a ticket ----------------------------------------------------------------------------


def test_a_press_shows_the_ticket_the_api_gave_with_its_qr_code(context, live) -> None:
    page = open_kiosk(context, live)
    requests_seen: list[dict[str, str]] = []
    page.on(
        "request",
        lambda r: (
            requests_seen.append(r.headers)
            if r.url.endswith("/api/v1/tickets") and r.method == "POST"
            else None
        ),
    )
    ticket = press(page, OPEN)
    assert re.fullmatch(r"D\d{3}", ticket["number"])
    assert page.inner_text("#ticket-number") == ticket["number"]
    assert page.inner_text("#ticket-service") == "業務諮詢"
    assert page.locator("#ticket-take").inner_text() == "請取走號碼票"
    ahead = ticket["ahead"]
    expected = "下一位就是您" if ahead == 0 else f"前面還有 {ahead} 人"
    assert page.inner_text("#ticket-ahead") == expected
    assert page.inner_text("#ticket-eta") == f"預計等候 {ticket['eta_minutes']} 分鐘"
    status_token = ticket["status_url"].rstrip("/").split("/")[-1]
    qr = page.locator("#ticket-qr")
    assert qr.get_attribute("src") == f"/t/{status_token}/qr.svg"
    page.wait_for_function("document.querySelector('#ticket-qr').complete")
    assert page.evaluate("document.querySelector('#ticket-qr').naturalWidth") > 0
    # Issued in the language on screen, with a key against double tickets.
    assert ticket["language"] == "zh-Hant"
    assert len(requests_seen) == 1
    assert len(requests_seen[0].get("idempotency-key", "")) >= 16
    page.click("#ticket-done")
    page.locator("#home").wait_for(state="visible")
    assert page.errors == []


def test_a_double_touch_makes_one_ticket(context, live) -> None:
    page = open_kiosk(context, live)
    held: list[Any] = []  # the press's request, held back until the second touch was tried
    page.route("**/api/v1/tickets", lambda route: held.append(route))
    before = waiting_now(live, OPEN)
    button = service_button(page, OPEN)
    button.click()
    # While the press is on its way every service is disabled: a second touch does nothing.
    page.wait_for_function(
        f"document.querySelector('button.service[data-service={OPEN}]').disabled"
    )
    assert page.locator("#checkin-open").is_disabled()
    button.click(force=True)
    button.dispatch_event("click")
    page.wait_for_timeout(200)
    assert len(held) == 1
    held[0].continue_()
    page.locator("#ticket").wait_for(state="visible")
    assert len(held) == 1
    assert waiting_now(live, OPEN) == before + 1


def test_a_press_retried_after_a_network_error_keeps_its_key(context, live) -> None:
    page = open_kiosk(context, live)
    keys: list[str] = []

    def lose_the_first_answer(route) -> None:
        keys.append(route.request.headers.get("idempotency-key", ""))
        if len(keys) == 1:
            route.fetch()  # the server makes the ticket...
            route.abort("connectionreset")  # ...but its answer never arrives
        else:
            route.continue_()

    page.route("**/api/v1/tickets", lose_the_first_answer)
    before = waiting_now(live, OPEN)
    with page.expect_response(lambda r: r.url.endswith("/api/v1/tickets")) as answer:
        service_button(page, OPEN).click()
    page.locator("#ticket").wait_for(state="visible")
    assert len(keys) == 2 and keys[0] == keys[1]
    assert answer.value.headers.get("idempotent-replayed") == "true"
    assert page.inner_text("#ticket-number") == answer.value.json()["number"]
    assert waiting_now(live, OPEN) == before + 1  # one ticket, not two


def test_a_refused_press_shows_the_servers_message(context, live) -> None:
    page = open_kiosk(context, live)

    def refuse(route) -> None:
        # The service closed between the snapshot and the touch.
        route.fulfill(
            status=409,
            content_type="application/json",
            body='{"error": {"code": "service_closed", "message": "此業務暫停取號"}}',
        )

    page.route("**/api/v1/tickets", refuse)
    service_button(page, OPEN).click()
    page.locator("#home-error").wait_for(state="visible")
    assert page.inner_text("#home-error") == "此業務暫停取號"
    assert page.locator("#home").is_visible()
    assert not service_button(page, OPEN).is_disabled()


def test_switching_language_changes_the_buttons_and_the_ticket(context, live) -> None:
    page = open_kiosk(context, live)
    page.click("button.lang[data-lang=en]")
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert service_button(page, "property-transfer").locator(".name").inner_text() == (
        "Property transfer"
    )
    assert page.inner_text("#home-title") == "Please choose a service"
    assert page.locator("h1").inner_text() == "Harbour Transfer Service Hall"
    assert page.locator("button.lang[data-lang=en]").get_attribute("aria-pressed") == "true"
    page.click("button.lang[data-lang=zh-Hans]")
    page.wait_for_function("document.documentElement.lang === 'zh-Hans'")
    assert service_button(page, "property-transfer").locator(".name").inner_text() == "物业过户"
    ticket = press(page, OPEN)
    assert ticket["language"] == "zh-Hans"
    assert page.inner_text("#ticket-service") == "业务咨询"
    assert page.inner_text("#ticket-take") == "请取走号码票"


def test_idle_and_ticket_timeouts_bring_back_the_start(context, live) -> None:
    page = open_kiosk(context, live, clock=True)
    page.click("button.lang[data-lang=en]")
    page.wait_for_function("document.documentElement.lang === 'en'")
    page.click("#checkin-open")
    page.locator("#checkin").wait_for(state="visible")
    page.click("#checkin-keys button[data-key='4']")
    page.clock.fast_forward(20_000)
    assert page.locator("#checkin").is_visible()  # not yet: 30 s without a touch
    page.clock.fast_forward(11_000)
    page.locator("#home").wait_for(state="visible")
    page.wait_for_function("document.documentElement.lang === 'zh-Hant'")
    assert page.inner_text("#home-title") == "請選擇業務"
    # A ticket stays for ticket_seconds (60 here), then the screen starts again.
    page.click("button.lang[data-lang=en]")
    page.wait_for_function("document.documentElement.lang === 'en'")
    press(page, OPEN)
    page.clock.fast_forward(45_000)
    assert page.locator("#ticket").is_visible()
    page.clock.fast_forward(16_000)
    page.locator("#home").wait_for(state="visible")
    page.wait_for_function("document.documentElement.lang === 'zh-Hant'")


# --- closed services and the printer --------------------------------------------------------------


def test_closed_services_are_disabled_with_the_reason(context, live) -> None:
    page = open_kiosk(context, live)
    services = {
        s["code"]: s for s in live.ok("GET", "/api/v1/services", live.token("kiosk-1"))["services"]
    }
    closed = service_button(page, CLOSED)
    assert closed.is_disabled()
    opens_at = services[CLOSED]["opens_at"]
    reason = closed.locator(".reason").inner_text()
    assert reason.startswith("暫停取號") and opens_at[11:16] in reason
    capped = service_button(page, CAPPED)
    assert capped.is_disabled()
    assert capped.locator(".reason").inner_text() == "此業務今日的號碼已全部派完"
    assert not service_button(page, OPEN).is_disabled()
    page.click("button.lang[data-lang=en]")
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert capped.locator(".reason").inner_text() == (
        "All of today's tickets for this service have been given out"
    )
    assert opens_at[11:16] in closed.locator(".reason").inner_text()
    assert_accessible(page, "home with closed services (en)")


def test_the_printer_out_of_paper_stops_the_kiosk_until_it_is_fixed(context, live, agent) -> None:
    page = open_kiosk(context, live, device="kiosk-2")
    printer = agent("kiosk-2")
    expect(service_button(page, OPEN)).to_be_enabled()
    assert printer.call("device.status", {"status": "paper_out", "detail": "cover open"}) == {
        "ok": True
    }
    alert = page.locator("#printer-problem")
    alert.wait_for(state="visible", timeout=5_000)
    assert alert.inner_text() == "打印機缺紙：請向職員求助"
    assert all(b.is_disabled() for b in page.locator("button.service").all())
    assert page.locator("#checkin-open").is_disabled()
    assert_accessible(page, "home, printer out of paper")
    # Running low on paper still prints.
    printer.call("device.status", {"status": "paper_near_end"})
    alert.wait_for(state="hidden", timeout=5_000)
    assert not service_button(page, OPEN).is_disabled()
    printer.call("device.status", {"status": "offline"})
    alert.wait_for(state="visible", timeout=5_000)
    assert alert.inner_text() == "打印機故障：請向職員求助"
    # A screen opened meanwhile knows it from devices/me.
    other = open_kiosk(context, live, device="kiosk-2")
    other.locator("#printer-problem").wait_for(state="visible")
    assert service_button(other, OPEN).is_disabled()
    printer.call("device.status", {"status": "ok"})
    alert.wait_for(state="hidden", timeout=5_000)
    assert not service_button(page, OPEN).is_disabled()
    assert not page.locator("#checkin-open").is_disabled()


def test_news_of_the_printer_is_not_undone_by_an_older_answer(context, live, agent) -> None:
    printer = agent("kiosk-2")
    printer.call("device.status", {"status": "offline"})
    page = open_kiosk(context, live, device="kiosk-2")
    expect(service_button(page, OPEN)).to_be_disabled()
    # The connection drops; on the way back the screen asks devices/me again, and that answer
    # (still "offline") is held back until after the agent's news that the printer is fine.
    held: list[Any] = []
    page.route("**/api/v1/devices/me", lambda route: held.append((route, route.fetch())))
    page.evaluate("window.hallqKiosk.client.socket.io.engine.close()")
    deadline = time.monotonic() + 10
    while not held:
        assert time.monotonic() < deadline, "the screen did not ask devices/me again"
        page.wait_for_timeout(50)
    printer.call("device.status", {"status": "ok"})
    expect(service_button(page, OPEN)).to_be_enabled()
    route, stale = held[0]
    assert stale.json()["status"]["status"] == "offline"
    route.fulfill(response=stale)
    page.wait_for_timeout(300)
    expect(service_button(page, OPEN)).to_be_enabled()
    assert page.locator("#printer-problem").is_hidden()


@pytest.mark.parametrize(
    ("reason", "says"),
    [
        ("paper_out", "號碼票未能列印：請記下您的號碼，或請職員補印"),
        ("too_old", "號碼票未能及時列印：請記下您的號碼，並向服務台查詢"),
    ],
)
def test_a_failed_print_keeps_the_number_on_screen(context, live, agent, reason, says) -> None:
    page = open_kiosk(context, live, device="kiosk-2", clock=True)
    printer = agent("kiosk-2")
    ticket = press(page, OPEN)
    job = printer.wait_for(
        lambda events: next(
            (
                data
                for name, data in events
                if name == "print.job" and data["ticket"]["id"] == ticket["id"]
            ),
            None,
        ),
        "the print job of the ticket",
    )
    assert job["ticket"]["number"] == ticket["number"]
    reply = printer.call("print.result", {"id": job["id"], "ok": False, "reason": reason})
    assert reply.get("ok") is True, reply
    failed = page.locator("#ticket-print-failed")
    failed.wait_for(state="visible", timeout=5_000)
    assert failed.inner_text() == says
    assert page.locator("#ticket-take").is_hidden()
    assert_accessible(page, f"ticket screen, print failed ({reason})")
    # It stays well past ticket_seconds and the idle time, until someone touches "Done".
    page.clock.fast_forward(120_000)
    assert page.locator("#ticket").is_visible()
    assert page.inner_text("#ticket-number") == ticket["number"]
    page.click("#ticket-done")
    page.locator("#home").wait_for(state="visible")


# --- appointments, staff, the connection --------------------------------------------------------------


def test_checking_in_with_a_booking_code(context, live) -> None:
    staff = live.login("supervisor")
    tz = ZoneInfo(live.hall.config.timezone)
    at = (dt.datetime.now(tz) + dt.timedelta(minutes=5)).replace(microsecond=0)
    booking = live.ok(
        "POST",
        "/api/v1/appointments",
        staff,
        json={"service": "property-transfer", "at": at.isoformat(), "name": "陳大文"},
    )
    page = open_kiosk(context, live)
    page.click("#checkin-open")
    page.locator("#checkin").wait_for(state="visible")
    assert_accessible(page, "check-in keypad")
    submit = page.locator("#checkin-submit")
    for digit in "000000":
        page.click(f"#checkin-keys button[data-key='{digit}']")
    assert not submit.is_disabled()
    submit.click()
    page.locator("#checkin-error").wait_for(state="visible")
    assert "000000" in page.inner_text("#checkin-error")  # the server's refusal, in Chinese
    assert "預約" in page.inner_text("#checkin-error")
    page.click("#checkin-keys button[data-key=clear]")
    assert submit.is_disabled()
    for digit in booking["code"]:
        page.click(f"#checkin-keys button[data-key='{digit}']")
    with page.expect_response("**/api/v1/appointments/check-in") as answer:
        submit.click()
    ticket = answer.value.json()
    page.locator("#ticket").wait_for(state="visible")
    assert ticket["priority"] == "appointment"
    assert page.inner_text("#ticket-number") == ticket["number"]
    assert page.inner_text("#ticket-service") == "物業過戶"


def test_the_staff_panel_needs_the_pin(context, live) -> None:
    page = open_kiosk(context, live)
    page.click("#staff-open")
    page.locator("#pin").wait_for(state="visible")
    assert_accessible(page, "PIN keypad")
    for digit in "1111":
        page.click(f"#pin-keys button[data-key='{digit}']")
    page.click("#pin-submit")
    page.locator("#pin-error").wait_for(state="visible")
    assert page.inner_text("#pin-error") == "密碼不正確。"
    assert page.locator("#staff").is_hidden()
    page.keyboard.type("2468")  # a keyboard works too
    page.keyboard.press("Enter")
    page.locator("#staff").wait_for(state="visible")
    assert page.inner_text("#staff-device") == "kiosk-1"
    assert_accessible(page, "staff panel")
    page.click("#staff-close")
    page.locator("#home").wait_for(state="visible")
    # Unpairing forgets the token: the pairing form comes back, after a reload too.
    page.click("#staff-open")
    page.keyboard.type("2468")
    page.keyboard.press("Enter")
    page.locator("#staff").wait_for(state="visible")
    page.click("#staff-unpair")
    page.locator("#pairing").wait_for(state="visible")
    assert page.evaluate("localStorage.getItem('hallq.kiosk.token')") is None
    page.reload()
    page.locator("#pairing").wait_for(state="visible")


def test_the_connection_notice_and_a_revoked_token(context, live) -> None:
    from tests.e2e.test_cli import last_line, run_hallq, succeeded

    cli = {
        "data_dir": live.server.env["HALLQ_DATA_DIR"],
        "cwd": live.server.workdir,
        "env": {"HALLQ_DATABASE_URL": live.server.env["HALLQ_DATABASE_URL"]},
    }
    token = last_line(
        succeeded(run_hallq("device", "add", "kiosk-lobby", "--kind", "kiosk", **cli))
    )
    page = context.new_page()
    page.goto(f"{live.url}/kiosk#token={token}")
    page.locator("button.service").first.wait_for()
    notice = page.locator("#connection")
    assert notice.is_hidden()
    page.evaluate("window.hallqKiosk.client.socket.io.engine.close()")
    notice.wait_for(state="visible", timeout=5_000)
    assert notice.inner_text() == "重新連線中…"
    notice.wait_for(state="hidden", timeout=15_000)  # Socket.IO reconnects by itself
    succeeded(run_hallq("device", "revoke", "kiosk-lobby", **cli))
    page.locator("#pairing").wait_for(state="visible", timeout=10_000)
    assert "重新配對" in page.inner_text("#pairing-error")
    assert page.evaluate("localStorage.getItem('hallq.kiosk.token')") is None


# --- accessibility ---------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["zh-Hant", "zh-Hans", "en"])
def test_axe_finds_nothing_on_any_screen(browser, context, live, lang, request) -> None:
    page = open_kiosk(context, live)
    if lang != "zh-Hant":
        page.click(f"button.lang[data-lang={lang}]")
        page.wait_for_function(f"document.documentElement.lang === '{lang}'")
    assert_accessible(page, f"home ({lang})")
    press(page, OPEN)
    page.wait_for_function("document.querySelector('#ticket-qr').complete")
    assert_accessible(page, f"ticket ({lang})")
    page.click("#ticket-done")
    page.click("#checkin-open")
    page.locator("#checkin").wait_for(state="visible")
    page.click("#checkin-keys button[data-key='1']")
    assert_accessible(page, f"check-in keypad ({lang})")
    page.click("#checkin-cancel")
    page.click("#staff-open")
    page.locator("#pin").wait_for(state="visible")
    assert_accessible(page, f"PIN keypad ({lang})")
    page.click("#pin-cancel")
    unpaired = browser.new_context(viewport=LANDSCAPE, locale="zh-HK")
    request.addfinalizer(unpaired.close)
    pairing = unpaired.new_page()
    pairing.goto(f"{live.url}/kiosk")
    pairing.locator("#pairing").wait_for(state="visible")
    if lang != "zh-Hant":
        pairing.click(f"button.lang[data-lang={lang}]")
        pairing.wait_for_function(f"document.documentElement.lang === '{lang}'")
    assert_accessible(pairing, f"pairing form ({lang})")


def visible_targets(page) -> list[dict[str, Any]]:
    return touch_targets(page)


def test_every_touch_target_is_at_least_44_px(context, live) -> None:
    page = open_kiosk(context, live)
    screens = {"home": visible_targets(page)}
    press(page, OPEN)
    screens["ticket"] = visible_targets(page)
    page.click("#ticket-done")
    page.click("#checkin-open")
    screens["check-in"] = visible_targets(page)
    page.click("#checkin-cancel")
    page.click("#staff-open")
    screens["PIN"] = visible_targets(page)
    page.keyboard.type("2468")
    page.keyboard.press("Enter")
    page.locator("#staff").wait_for(state="visible")
    screens["staff"] = visible_targets(page)
    for name, targets in screens.items():
        assert targets, name
        assert too_small(targets) == [], name
        assert overlapping(targets) == [], name
    # The big ones are far bigger than the minimum.
    assert all(t["height"] >= 120 for t in screens["home"] if "data-service" in t["name"])
    assert all(t["height"] >= 80 for t in screens["check-in"] if "data-key" in t["name"])


@pytest.mark.parametrize(
    ("viewport", "scale"),
    [({"width": 960, "height": 540}, 2), ({"width": 1080, "height": 1920}, 1)],
    ids=["landscape-at-200-percent", "portrait"],
)
def test_the_whole_flow_at_200_percent_zoom_and_in_portrait(browser, live, viewport, scale) -> None:
    # Browser zoom at 200 % on a 1920×1080 screen lays the page out in 960×540 CSS pixels, each
    # drawn with 2×2 device pixels: the same as this context.
    context = browser.new_context(viewport=viewport, device_scale_factor=scale, locale="zh-HK")
    context.set_default_timeout(15_000)
    try:
        page = open_kiosk(context, live)
        assert page.evaluate("window.devicePixelRatio") == scale
        # Nothing runs off to the side: the page only scrolls down.
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        targets = visible_targets(page)
        assert overlapping(targets) == []
        assert too_small(targets) == []
        for t in targets:
            assert t["x"] >= 0 and t["x"] + t["width"] <= viewport["width"] + 0.5, t
        for button in page.locator("button.service:not([disabled])").all():
            button.scroll_into_view_if_needed()
            assert button.is_visible()
        ticket = press(page, OPEN)
        assert page.inner_text("#ticket-number") == ticket["number"]
        number = page.locator("#ticket-number").bounding_box()
        assert number is not None and number["x"] + number["width"] <= viewport["width"]
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        page.locator("#ticket-done").scroll_into_view_if_needed()
        page.click("#ticket-done")
        page.locator("#home").wait_for(state="visible")
        page.click("#checkin-open")
        keys = touch_targets(page, "#checkin-keys button")
        assert len(keys) == 12 and overlapping(keys) == [] and too_small(keys) == []
        assert page.errors == []
    finally:
        context.close()
