"""The clerk's screen (/counter) in Chromium against a real ``hallq serve``: sign in, open a
window, call, start, tick the documents (the customer's ticket shows what is missing at once,
and the printable notice lists it), finish, and see the customer's rating come; pause (the
lobby board shows the window paused) and resume; transfer with a note; call a number chosen
from the waiting list; a double click that acts once; the whole day from the keyboard alone;
the lost connection shown; accessibility (axe, WCAG 2.1 AA); 200 people waiting.

One server for the module (the sample hall, open all day). Each test works at windows of its
own whose services no other test leaves tickets in, so they do not get in each other's way;
the test with 200 tickets waiting comes last.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import socketio
from playwright.sync_api import expect

from hallq.counter.agent import CounterAgent
from hallq.drivers.serial.emulator import PAUSED_DISPLAY, PadEmulator, SignEmulator
from tests.support.browser import LiveHall, axe_violations, collect_errors, describe_violations
from tests.support.browser import live_hall as serve_hall
from tests.support.hall import PASSWORD

pytestmark = pytest.mark.browser

VIEWPORT = {"width": 1600, "height": 1000}
DESK_READY = (
    "window.hallqCounter && window.hallqCounter.screen === 'desk' && window.hallqCounter.loads > 0"
)


@pytest.fixture(scope="module")
def live(tmp_path_factory) -> Iterator[LiveHall]:
    with serve_hall(tmp_path_factory.mktemp("counter")) as hall:
        yield hall


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport=VIEWPORT, locale="zh-HK")
    context.set_default_timeout(15_000)
    # The notice page prints when it is ready: not in a test.
    context.add_init_script("window.print = function () { window.__printed = true; };")
    yield context
    context.close()


# --- helpers ------------------------------------------------------------------------------------


def sign_in(context, live: LiveHall, window: int, user: str | None = None):
    """The counter page, signed in as ``clerk<window>``, at that window (opened from the list)."""
    page = context.new_page()
    page.errors = collect_errors(page)
    page.goto(f"{live.url}/counter")
    page.fill("#signin-username", user or f"clerk{window}")
    page.fill("#signin-password", PASSWORD)
    page.click("#signin-form button[type=submit]")
    page.click(f"#window-choices li[data-window='{window}'] button")
    page.wait_for_function(DESK_READY)
    return page


def settled(page) -> None:
    """No action in flight: the desk on screen is the one the last action left."""
    page.wait_for_function("!window.hallqCounter.busy")


def key(page, name: str) -> None:
    """Press a shortcut once the last action is done (a key pressed while a request is in
    flight is ignored, as a second click is)."""
    settled(page)
    page.keyboard.press(name)


def current_number(page) -> str:
    return page.locator("#current-number").inner_text()


def ticket(live: LiveHall, token: str, ticket_id: int) -> dict[str, Any]:
    return live.ok("GET", f"/api/v1/tickets/{ticket_id}", token)


def assert_accessible(page) -> None:
    violations = axe_violations(page)
    assert not violations, describe_violations(violations)


class PadAgent:
    """The window's counter agent, as far as the rating goes: it hears rating.request and
    answers what the test tells it."""

    def __init__(self, live: LiveHall, window: int) -> None:
        self.requests: list[dict[str, Any]] = []
        self.client = socketio.Client(reconnection=False, handle_sigint=False)
        self.client.on("rating.request", self.requests.append, namespace="/hall")
        self.client.connect(
            live.url,
            namespaces=["/hall"],
            transports=["websocket"],
            auth={"token": live.token(f"counter-{window}"), "agent": True},
            wait_timeout=10,
        )

    def wait_request(self, ticket_id: int, page) -> dict[str, Any]:
        for _ in range(100):
            found = [r for r in self.requests if r["ticket_id"] == ticket_id]
            if found:
                return found[-1]
            page.wait_for_timeout(100)
        raise AssertionError(f"no rating.request for ticket {ticket_id}: {self.requests}")

    def close(self) -> None:
        self.client.disconnect()


# --- the clerk's day ----------------------------------------------------------------------------


def test_sign_in_call_serve_check_documents_finish_and_see_the_rating(context, live) -> None:
    issued = live.issue("property-transfer")
    live.ok("POST", "/api/v1/counters/9/open", live.login("clerk9"))
    page = context.new_page()
    page.errors = collect_errors(page)
    page.goto(f"{live.url}/counter")
    assert page.locator("html").get_attribute("lang") == "zh-Hant"
    expect(page.locator("#signin")).to_be_visible()
    assert_accessible(page)

    # A wrong password: the server's refusal, in Chinese.
    page.fill("#signin-username", "clerk1")
    page.fill("#signin-password", "wrong")
    page.click("#signin-form button[type=submit]")
    expect(page.locator("#signin-error")).not_to_be_empty()
    page.errors.clear()  # Chromium logs the refused sign-in (a 401) as a console error
    page.fill("#signin-password", PASSWORD)
    page.click("#signin-form button[type=submit]")

    # The windows to open; one held by someone else cannot be chosen.
    expect(page.locator("#choose")).to_be_visible()
    expect(page.locator("#window-choices li[data-window='9'] button")).to_be_disabled()
    assert_accessible(page)
    page.click("#window-choices li[data-window='1'] button")
    page.wait_for_function(DESK_READY)
    expect(page.locator("#current-empty")).to_be_visible()
    expect(page.locator("#desk-title")).to_contain_text("1")

    # Call next: the ticket, big, with a running timer.
    page.click("#act-call-next")
    expect(page.locator("#current-number")).to_have_text(issued["number"])
    first = page.locator("#timer").inner_text()
    page.wait_for_function(f"document.getElementById('timer').textContent !== {first!r}")
    expect(page.locator("#act-call-next")).to_be_disabled()
    expect(page.locator("#act-finish")).to_be_disabled()

    page.click("#act-start")
    expect(page.locator("#act-finish")).to_be_enabled()
    assert ticket(live, live.login("supervisor"), issued["id"])["status"] == "serving"

    # The documents: five for a property transfer; the customer brought the first three.
    boxes = page.locator("#document-list input[type=checkbox]")
    expect(boxes).to_have_count(5)
    expect(page.locator("#notice-link")).to_be_hidden()
    for i in range(3):
        saved = page.evaluate("window.hallqCounter.documentsSaved || 0")
        boxes.nth(i).check()
        page.wait_for_function(f"(window.hallqCounter.documentsSaved || 0) > {saved}")
    expect(page.locator("#notice-link")).to_be_visible()
    staff = live.login("supervisor")
    missing = ticket(live, staff, issued["id"])["missing_documents"]
    assert len(missing) == 2
    assert missing[0].startswith("印花稅"), missing  # in the ticket's language
    assert_accessible(page)

    # The printable notice: the missing items, the number, the hall; then it prints.
    with page.expect_popup() as popup:
        page.click("#notice-link")
    notice = popup.value
    notice.errors = collect_errors(notice)
    notice.wait_for_function(
        "window.hallqNotice && (window.hallqNotice.ready || window.hallqNotice.error)"
    )
    assert notice.evaluate("window.hallqNotice.error || null") is None
    expect(notice.locator("#notice-number")).to_have_text(issued["number"])
    expect(notice.locator("#notice-missing li")).to_have_count(2)
    assert notice.locator("#notice-missing li").first.inner_text() == missing[0]
    expect(notice.locator("#notice-service")).to_have_text("物業過戶")
    expect(notice.locator("#notice-hall")).to_have_text("海港產權過戶服務大廳")
    assert notice.evaluate("window.__printed === true")
    assert_accessible(notice)
    assert not notice.errors
    notice.close()

    # Finish; the pad's rating shows as it comes, and the clerk's figures count it.
    agent = PadAgent(live, 1)
    try:
        page.click("#act-finish")
        expect(page.locator("#current-empty")).to_be_visible()
        expect(page.locator("#today-served")).to_have_text("1")
        request = agent.wait_request(issued["id"], page)
        agent.client.emit(
            "rating.submit",
            {"ticket": issued["id"], "score": 5, "id": request["id"]},
            namespace="/hall",
        )
        expect(page.locator("#rating-text")).to_contain_text(issued["number"])
        expect(page.locator("#rating-text")).to_contain_text("5")
        expect(page.locator("#rating-text")).to_have_class("rating-text good")
        expect(page.locator("#today-ratings")).to_contain_text("5")
    finally:
        agent.close()
    assert_accessible(page)
    assert not page.errors, page.errors

    page.click("#act-close")
    expect(page.locator("#choose")).to_be_visible()
    live.ok("POST", "/api/v1/counters/9/close", live.login("clerk9"))


@pytest.fixture
def window_2_devices(live: LiveHall, tmp_path) -> Iterator[tuple[PadEmulator, SignEmulator]]:
    """Window 2's pad and sign on ptys, with its counter agent running on them."""
    with (
        PadEmulator(link=tmp_path / "pad") as pad,
        SignEmulator(link=tmp_path / "sign") as sign,
    ):
        agent = CounterAgent(live.url, live.token("counter-2"), pad.path, sign=sign.path).start()
        try:
            # Connected, and both devices open: the server heard "ok" from it.
            for _ in range(200):
                me = live.ok("GET", "/api/v1/devices/me", live.token("counter-2"))
                if (me.get("status") or {}).get("status") == "ok":
                    break
                time.sleep(0.05)
            else:
                raise AssertionError(f"window 2's agent never said ok: {me}")
            yield pad, sign
        finally:
            agent.stop()


def test_pause_shows_on_the_lobby_board_and_the_sign_and_resume(
    browser, context, live, window_2_devices
) -> None:
    pad, sign = window_2_devices
    page = sign_in(context, live, 2)
    # The board in a window of its own: a tab behind another gets few animation frames, and
    # each click or repaint there would wait for them.
    lobby = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-HK")
    board = lobby.new_page()
    board.errors = collect_errors(board)
    board.goto(f"{live.url}/display#token={live.token('display-lobby')}")
    board.wait_for_function(
        "window.hallqDisplay && window.hallqDisplay.state !== null && "
        "!document.getElementById('board').hidden"
    )
    board.evaluate("window.hallqDisplay.showLanguage('zh-Hant', true)")
    tile = board.locator("#windows li[data-window='2']")
    expect(tile).not_to_have_class("window-tile paused")

    page.click("#act-pause")
    dialog = page.locator("#pause-dialog")
    expect(dialog).to_be_visible()
    assert_accessible(page)
    expect(page.locator("#pause-text")).to_be_disabled()
    page.check("#pause-form input[value=break]")
    page.click("#pause-form button[type=submit]")
    expect(dialog).to_be_hidden()
    expect(page.locator("#paused-banner")).to_be_visible()
    expect(page.locator("#paused-banner")).to_contain_text("休息")
    expect(page.locator("#act-resume")).to_be_visible()
    expect(page.locator("#act-call-next")).to_be_disabled()
    expect(tile).to_have_class("window-tile paused")
    expect(tile.locator(".value")).to_have_text("暫停服務")
    sign.wait_for(lambda shown: shown.display == PAUSED_DISPLAY, timeout=10)  # 暫停服務
    pad.wait_for(lambda shown: shown.shown[-1:] == ["PAUSED"], timeout=10)
    counter = next(
        c for c in live.ok("GET", "/api/v1/counters", live.token())["counters"] if c["number"] == 2
    )
    assert counter["pause_reason"] == "break"

    page.click("#act-resume")
    expect(page.locator("#paused-banner")).to_be_hidden()
    expect(tile).not_to_have_class("window-tile paused")
    sign.wait_for(lambda shown: shown.display == "", timeout=10)  # open, no one at the window
    expect(page.locator("#act-call-next")).to_be_enabled()

    # "Other" needs its text, and sends it.
    page.click("#act-pause")
    page.check("#pause-form input[value=other]")
    page.click("#pause-form button[type=submit]")
    expect(page.locator("#pause-error")).not_to_be_empty()
    page.fill("#pause-text", "培訓")
    page.click("#pause-form button[type=submit]")
    expect(page.locator("#paused-banner")).to_contain_text("培訓")
    page.click("#act-resume")
    expect(page.locator("#paused-banner")).to_be_hidden()

    # The connection lost is shown, and goes when it comes back.
    page.evaluate("window.hallqCounter.client.socket.disconnect()")
    expect(page.locator("#connection")).to_be_visible()
    page.evaluate("window.hallqCounter.client.socket.connect()")
    expect(page.locator("#connection")).to_be_hidden()

    page.click("#act-close")
    expect(page.locator("#choose")).to_be_visible()
    assert not page.errors, page.errors
    assert not board.errors, board.errors
    lobby.close()


def test_transfer_to_another_service_with_a_note(context, live) -> None:
    issued = live.issue("vehicle-transfer")
    page = sign_in(context, live, 4)
    page.click("#act-call-next")
    expect(page.locator("#current-number")).to_have_text(issued["number"])

    page.click("#act-transfer")
    expect(page.locator("#transfer-dialog")).to_be_visible()
    expect(page.locator("#transfer-counter")).to_be_disabled()
    page.select_option("#transfer-service", "certificate-pickup")
    page.fill("#transfer-note", "過戶完成，請領證")
    assert_accessible(page)
    page.click("#transfer-form button[type=submit]")
    expect(page.locator("#transfer-dialog")).to_be_hidden()
    expect(page.locator("#current-empty")).to_be_visible()
    expect(page.locator("#action-done")).to_contain_text(issued["number"])

    staff = live.login("supervisor")
    moved = ticket(live, staff, issued["id"])
    assert (moved["status"], moved["service"], moved["number"]) == (
        "waiting",
        "certificate-pickup",
        issued["number"],
    )
    page.click("#act-close")
    expect(page.locator("#choose")).to_be_visible()
    assert not page.errors, page.errors

    # The clerk who calls it next reads where it came from and the note.
    there = sign_in(context, live, 8)
    clerk8 = there.evaluate("sessionStorage.getItem('hallq.token')")
    live.ok("POST", "/api/v1/counters/8/call", clerk8, json={"number": issued["number"]})
    expect(there.locator("#current-number")).to_have_text(issued["number"])
    expect(there.locator("#current-transfers")).to_contain_text("4")
    expect(there.locator("#current-transfers")).to_contain_text("過戶完成，請領證")
    assert_accessible(there)
    live.ok("POST", "/api/v1/counters/8/start", clerk8)
    live.ok("POST", "/api/v1/counters/8/finish", clerk8)
    expect(there.locator("#current-empty")).to_be_visible()
    settled(there)
    there.click("#act-close")
    expect(there.locator("#choose")).to_be_visible()
    assert not there.errors, there.errors


def test_call_a_number_chosen_from_the_waiting_list(context, live) -> None:
    issued = [live.issue("consultation") for _ in range(3)]
    page = sign_in(context, live, 7)
    rows = page.locator("#waiting-list tr")
    expect(rows).to_have_count(3)
    expect(page.locator("#service-figures tr[data-service=consultation] td.waiting")).to_have_text(
        "3"
    )

    chosen = issued[2]
    page.click(f"#waiting-list button[data-number='{chosen['number']}']")
    expect(page.locator("#current-number")).to_have_text(chosen["number"])
    expect(rows).to_have_count(2)
    expect(page.locator("#waiting-list button").first).to_be_disabled()  # a ticket is at the window

    # The rest, in order, to leave the queue empty.
    for expected in (chosen, issued[0], issued[1]):
        expect(page.locator("#current-number")).to_have_text(expected["number"])
        page.click("#act-start")
        expect(page.locator("#act-finish")).to_be_enabled()
        page.click("#act-finish")
        expect(page.locator("#current-empty")).to_be_visible()
        if expected is not issued[1]:
            page.click("#act-call-next")
    expect(page.locator("#waiting-empty")).to_be_visible()
    page.click("#act-close")
    assert not page.errors, page.errors


def test_a_double_click_calls_once(context, live) -> None:
    issued = [live.issue("vehicle-transfer") for _ in range(2)]
    page = sign_in(context, live, 5)
    expect(page.locator("#waiting-list tr")).to_have_count(2)
    page.dblclick("#act-call-next")
    expect(page.locator("#current-number")).to_have_text(issued[0]["number"])
    settled(page)
    expect(page.locator("#waiting-list tr")).to_have_count(1)
    staff = live.login("supervisor")
    assert ticket(live, staff, issued[1]["id"])["status"] == "waiting"

    # The same for finish: one finish, not a finish and a refusal.
    page.click("#act-start")
    page.dblclick("#act-finish")
    expect(page.locator("#current-empty")).to_be_visible()
    expect(page.locator("#action-error")).to_be_empty()
    page.click("#act-call-next")
    expect(page.locator("#current-number")).to_have_text(issued[1]["number"])
    page.click("#act-no-show")
    expect(page.locator("#current-empty")).to_be_visible()
    page.click("#act-close")
    assert not page.errors, page.errors


def test_the_whole_day_from_the_keyboard(context, live) -> None:
    first = live.issue("equity-transfer")
    second = live.issue("equity-transfer")
    page = context.new_page()
    page.errors = collect_errors(page)
    page.goto(f"{live.url}/counter")
    page.locator("#signin-username").focus()
    page.keyboard.type("clerk6")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector("#choose:not([hidden])")
    for _ in range(30):  # Tab along the windows to window 6
        if (
            page.evaluate(
                "document.activeElement.closest('li') && document.activeElement.closest('li').dataset.window"
            )
            == "6"
        ):
            break
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_function(DESK_READY)

    # Every button shows its key.
    for name, shortcut in {
        "call-next": "N",
        "recall": "R",
        "start": "S",
        "finish": "F",
        "no-show": "X",
        "requeue": "Q",
        "transfer": "T",
        "reinstate": "B",
        "pause": "P",
        "close": "C",
    }.items():
        button = page.locator(f"#act-{name}")
        assert button.get_attribute("aria-keyshortcuts") == shortcut
        assert button.locator("kbd").inner_text() == shortcut

    key(page, "n")
    expect(page.locator("#current-number")).to_have_text(first["number"])
    calls = ticket(live, live.login("supervisor"), first["id"])["call_count"]
    key(page, "r")
    page.wait_for_function(
        f"document.getElementById('action-done').textContent.includes({first['number']!r})"
    )
    assert ticket(live, live.login("supervisor"), first["id"])["call_count"] == calls + 1

    # No show, then bring it back: it waits again, and is called again.
    key(page, "x")
    expect(page.locator("#current-empty")).to_be_visible()
    expect(page.locator("#act-reinstate")).to_contain_text(first["number"])
    key(page, "b")
    expect(page.locator(f"#waiting-list tr[data-number='{first['number']}']")).to_have_count(1)
    # Back to the queue keeps its place.
    key(page, "n")
    expect(page.locator("#current-empty")).to_be_hidden()
    called = current_number(page)
    key(page, "q")
    expect(page.locator(f"#waiting-list tr[data-number='{called}']")).to_have_count(1)

    # Serve the first in line, tick its documents from the keyboard, finish.
    key(page, "n")
    expect(page.locator("#current-empty")).to_be_hidden()
    serving = current_number(page)
    serving_id = first["id"] if serving == first["number"] else second["id"]
    key(page, "s")
    expect(page.locator("#act-finish")).to_be_enabled()
    key(page, "d")
    assert page.evaluate("document.activeElement.type") == "checkbox"
    saved = page.evaluate("window.hallqCounter.documentsSaved || 0")
    page.keyboard.press("Space")
    page.wait_for_function(f"(window.hallqCounter.documentsSaved || 0) > {saved}")
    assert len(ticket(live, live.login("supervisor"), serving_id)["missing_documents"]) >= 1
    agent = PadAgent(live, 6)
    try:
        key(page, "f")
        expect(page.locator("#current-empty")).to_be_visible()
        # The customer leaves without rating: "not rated".
        request = agent.wait_request(serving_id, page)
        agent.client.emit(
            "command.ack",
            {"id": request["id"], "ok": False, "reason": "not_rated"},
            namespace="/hall",
        )
        expect(page.locator("#rating-text")).to_have_class("rating-text none")
        expect(page.locator("#rating-text")).to_contain_text(serving)
    finally:
        agent.close()

    # The transfer dialog opens and closes from the keyboard; shortcuts wait while it is open.
    key(page, "n")
    expect(page.locator("#current-empty")).to_be_hidden()
    other = current_number(page)
    key(page, "t")
    expect(page.locator("#transfer-dialog")).to_be_visible()
    page.keyboard.press("n")  # a dialog is open: no shortcut fires
    page.keyboard.press("Escape")
    expect(page.locator("#transfer-dialog")).to_be_hidden()
    page.wait_for_function("document.activeElement.id === 'act-transfer'")
    key(page, "s")
    expect(page.locator("#act-finish")).to_be_enabled()
    key(page, "f")
    expect(page.locator("#current-empty")).to_be_visible()
    assert other != serving

    # Pause with a reason from the keyboard, resume, close.
    key(page, "p")
    expect(page.locator("#pause-dialog")).to_be_visible()
    page.keyboard.press("ArrowDown")  # meeting
    page.keyboard.press("Enter")
    expect(page.locator("#paused-banner")).to_be_visible()
    expect(page.locator("#paused-banner")).to_contain_text("會議")
    key(page, "p")
    expect(page.locator("#paused-banner")).to_be_hidden()
    key(page, "c")
    expect(page.locator("#choose")).to_be_visible()
    assert not page.errors, page.errors


def test_typing_in_a_field_fires_no_shortcut(context, live) -> None:
    page = sign_in(context, live, 3)
    page.click("#act-pause")
    page.check("#pause-form input[value=other]")
    page.locator("#pause-text").focus()
    page.keyboard.type("cnp")  # close, call next, pause: none of them
    expect(page.locator("#pause-text")).to_have_value("cnp")
    page.keyboard.press("Escape")
    expect(page.locator("#desk")).to_be_visible()
    expect(page.locator("#paused-banner")).to_be_hidden()
    page.click("#act-close")
    expect(page.locator("#choose")).to_be_visible()
    assert not page.errors, page.errors


def test_a_reload_comes_back_to_the_window_unless_it_was_closed_meanwhile(context, live) -> None:
    page = sign_in(context, live, 1)
    page.reload()
    page.wait_for_function(DESK_READY)
    expect(page.locator("#desk-title")).to_contain_text("1")
    # A supervisor closes the window while the clerk is away: the reload lists the windows.
    live.ok("POST", "/api/v1/counters/1/close", live.login("supervisor"))
    page.reload()
    expect(page.locator("#choose")).to_be_visible()
    expect(page.locator("#window-choices li[data-window='1'] button")).to_be_enabled()
    # The one error: the browser's own line for the desk it asked for first, refused (409:
    # the window is closed), before it read the list of windows.
    assert page.errors == [
        "console.error: Failed to load resource: the server responded with a status of 409 "
        "(CONFLICT)"
    ], page.errors


def test_the_desk_renders_with_200_people_waiting(context, live) -> None:
    for _ in range(200):
        live.issue("certificate-pickup")
    page = sign_in(context, live, 8)
    expect(page.locator("#waiting-list tr")).to_have_count(200)
    expect(
        page.locator("#service-figures tr[data-service=certificate-pickup] td.waiting")
    ).to_have_text("200")
    page.keyboard.press("l")
    assert page.evaluate("document.activeElement.dataset.number") == "E001"
    page.keyboard.press("Enter")
    expect(page.locator("#current-number")).to_have_text("E001")
    expect(page.locator("#waiting-list tr")).to_have_count(199)
    assert not page.errors, page.errors
