"""The lobby board (/display) in Chromium against a real ``hallq serve``: pairing, a call shown at
once and flashing (again on a recall, without motion when the viewer asks for none), paused and
closed windows, the people waiting, zone boards, the connection dropping and coming back, memory
after 20,000 calls, both 1080p layouts, the called number's contrast, accessibility in each of
the hall's languages, and the supervisor's notice.

One server for the module (the sample hall, open all day; ``display-lobby`` is its display of
no zone, for the whole hall). Each test acts at windows of its own, so they do not get in each
other's way; the connection test has a hall of its own, since it stops its server.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from hallq.server.hall_file import DeviceConfig, load_hall_config, sample_hall_path
from tests.support.browser import LiveHall, axe_violations, collect_errors, describe_violations
from tests.support.browser import live_hall as serve_hall
from tests.support.server import ServerProcess

pytestmark = pytest.mark.browser

LANDSCAPE = {"width": 1920, "height": 1080}
PORTRAIT = {"width": 1080, "height": 1920}
WHOLE_HALL = "display-lobby"  # the sample hall's board at the entrance: no zone
LANGUAGES = ("zh-Hant", "zh-Hans", "en")
# What display.js shows (its FLASH_MS and LANGUAGE_MS, in ms).
FLASH_MS = 10_000
LANGUAGE_MS = 8_000


def board_hall_config() -> Any:
    """The demo hall (every service open all day), with its lobby display of no zone."""
    config = load_hall_config(sample_hall_path()).as_demo()
    if any(d.name == WHOLE_HALL for d in config.devices):
        return config
    board = DeviceConfig(name=WHOLE_HALL, kind="display", zone=None, counter=None)
    return dataclasses.replace(config, devices=(*config.devices, board))


@pytest.fixture(scope="module")
def live(tmp_path_factory) -> Iterator[LiveHall]:
    with serve_hall(
        tmp_path_factory.mktemp("display"), demo=False, config=board_hall_config()
    ) as hall:
        yield hall


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport=LANDSCAPE, locale="zh-HK")
    context.set_default_timeout(15_000)
    yield context
    context.close()


# --- helpers ------------------------------------------------------------------------------------

BOARD_READY = (
    "window.hallqDisplay && window.hallqDisplay.state !== null && "
    "!document.getElementById('board').hidden"
)


def open_board(
    context, live: LiveHall, device: str = WHOLE_HALL, *, language: str | None = "zh-Hant"
):
    """A board paired by its link, showing the snapshot; held in ``language`` (None: the
    languages take turns, as in the hall)."""
    page = context.new_page()
    page.errors = collect_errors(page)
    page.goto(f"{live.url}/display#token={live.token(device)}")
    page.wait_for_function(BOARD_READY)
    if language:
        page.evaluate("lang => window.hallqDisplay.showLanguage(lang, true)", language)
    return page


class Clerks:
    """Clerks at their windows, signed in once for the module."""

    def __init__(self, live: LiveHall) -> None:
        self.live = live
        self.tokens: dict[int, str] = {}

    def at(self, window: int) -> str:
        if window not in self.tokens:
            self.tokens[window] = self.live.login(f"clerk{window}")
        # Opening the window one holds already changes nothing.
        self.live.ok("POST", f"/api/v1/counters/{window}/open", self.tokens[window])
        return self.tokens[window]

    def act(self, window: int, move: str, **body: Any) -> Any:
        return self.live.ok("POST", f"/api/v1/counters/{window}/{move}", self.at(window), json=body)

    def free(self, window: int) -> None:
        """No ticket at the window (a call would be refused while one is there)."""
        counter = self.counter(window)
        if counter["state"] == "paused":
            self.act(window, "resume")
        if counter["current_ticket"]:
            self.act(window, "no-show")

    def counter(self, window: int) -> dict[str, Any]:
        counters = self.live.ok("GET", "/api/v1/counters", self.live.token("display-a"))
        return next(c for c in counters["counters"] if c["number"] == window)

    def call(self, window: int, service: str) -> dict[str, Any]:
        """A kiosk issues a ticket of ``service``, the window calls it by its number."""
        self.free(window)
        ticket = self.live.issue(service)
        return self.act(window, "call", number=ticket["number"])


@pytest.fixture(scope="module")
def clerks(live: LiveHall) -> Clerks:
    return Clerks(live)


def now_showing(page) -> tuple[str, str]:
    return page.inner_text("#now-number"), page.inner_text("#now-window")


def wait_for_call(page, number: str) -> None:
    page.wait_for_function(
        "n => document.getElementById('now-number').textContent === n", arg=number
    )


def flashes(page) -> int:
    return page.evaluate("window.hallqDisplay.flashes")


def board_seq(page) -> int:
    return page.evaluate("window.hallqDisplay.client.seq")


def wait_for_seq(page, seq: int) -> None:
    """Until the board has taken every delta up to ``seq`` (another board's, for instance)."""
    page.wait_for_function("s => window.hallqDisplay.client.seq >= s", arg=seq)


# --- pairing ---------------------------------------------------------------------------------------


def test_a_pairing_link_pairs_and_leaves_no_token_in_the_address(context, live) -> None:
    page = open_board(context, live, language=None)
    token = live.token(WHOLE_HALL)
    assert page.url == f"{live.url}/display"
    assert token not in page.evaluate("location.href + JSON.stringify(history.state)")
    assert page.evaluate("localStorage.getItem('hallq.display.token')") == token
    assert page.locator("html").get_attribute("lang") == "zh-Hant"  # Chinese first
    assert page.inner_text("#hall-name") == "海港產權過戶服務大廳"
    assert page.evaluate("window.hallqDisplay.zone") is None
    # The token never went to the server in a URL.
    assert token not in live.server.log_text()
    # Paired once: after a reload (or a power cut) the board comes back by itself.
    page.reload()
    page.wait_for_function(BOARD_READY)
    assert page.locator("#pairing").is_hidden()
    assert page.errors == []


def test_the_pairing_form_takes_only_a_displays_token(context, live) -> None:
    page = context.new_page()
    errors = collect_errors(page)
    page.goto(f"{live.url}/display")
    page.locator("#pairing").wait_for(state="visible")
    assert page.locator("#board").is_hidden()
    page.fill("#pairing-token", "hqd_" + "x" * 40)
    page.click("#pairing button[type=submit]")
    page.wait_for_selector("#pairing-error:not(:empty)")
    assert "權杖" in page.inner_text("#pairing-error")
    page.fill("#pairing-token", live.token("kiosk-1"))
    page.click("#pairing button[type=submit]")
    page.wait_for_function(
        "document.getElementById('pairing-error').textContent.includes('大廳顯示螢幕')"
    )
    assert page.evaluate("localStorage.getItem('hallq.display.token')") is None
    violations = axe_violations(page)
    assert violations == [], describe_violations(violations)
    page.fill("#pairing-token", live.token("display-a"))
    page.click("#pairing button[type=submit]")
    page.wait_for_function(BOARD_READY)
    assert page.locator("#pairing").is_hidden()
    assert page.evaluate("window.hallqDisplay.zone") == "A"
    assert page.evaluate("localStorage.getItem('hallq.display.token')") == live.token("display-a")
    # The console says nothing but the refused devices/me requests (401 and 403).
    assert all("401" in e or "403" in e for e in errors), errors


# --- calls -------------------------------------------------------------------------------------------


def test_a_call_shows_at_once_and_flashes_and_a_recall_flashes_again(context, live, clerks) -> None:
    page = open_board(context, live)
    clerk = clerks.at(1)
    clerks.free(1)
    live.issue("property-transfer")
    before = flashes(page)
    called = live.ok("POST", "/api/v1/counters/1/call-next", clerk)
    wait_for_call(page, called["number"])
    assert now_showing(page) == (called["number"], "1號窗口")
    assert flashes(page) == before + 1
    now = page.locator("#now")
    assert "flash-" in (now.get_attribute("class") or "")
    # It flashes (an animation runs on the panel), and says it is not a recall.
    assert page.evaluate("document.getElementById('now').getAnimations().length") == 1
    assert page.locator("#now-recall").is_hidden()
    tile = page.locator(".window-tile[data-window='1']")
    expect(tile.locator(".value")).to_have_text(called["number"])
    expect(tile).to_have_class(re.compile(r"\bserving\b.*\bcalled\b"))  # the window called

    clerks.act(1, "recall")
    page.wait_for_function("n => window.hallqDisplay.flashes === n", arg=before + 2)
    assert now_showing(page) == (called["number"], "1號窗口")
    expect(page.locator("#now-recall")).to_have_text("再次叫號")
    # The flash started again: a fresh animation, from its beginning.
    assert (
        page.evaluate("document.getElementById('now').getAnimations()[0].currentTime")
        < FLASH_MS / 2
    )
    # The same ticket once in the list of last calls, not twice.
    assert called["number"] not in page.inner_text("#recent")
    assert page.errors == []


def test_the_flash_ends_and_the_languages_take_turns(context, live, clerks) -> None:
    page = context.new_page()
    page.errors = collect_errors(page)
    page.clock.install()
    page.goto(f"{live.url}/display#token={live.token(WHOLE_HALL)}")
    page.wait_for_function(BOARD_READY)
    called = clerks.call(2, "property-transfer")
    wait_for_call(page, called["number"])
    assert page.evaluate("window.hallqDisplay.flashing")
    page.clock.fast_forward(FLASH_MS + 1_000)
    page.wait_for_function("!window.hallqDisplay.flashing")
    assert "flash-" not in (page.locator("#now").get_attribute("class") or "")
    # Chinese first, then each of the hall's languages in turn, every few seconds.
    seen = [page.evaluate("document.documentElement.lang")]
    for _ in LANGUAGES:
        page.clock.fast_forward(LANGUAGE_MS)
        page.wait_for_function("lang => document.documentElement.lang !== lang", arg=seen[-1])
        seen.append(page.evaluate("document.documentElement.lang"))
    assert seen[:3] in (["zh-Hant", "zh-Hans", "en"], ["zh-Hans", "en", "zh-Hant"])
    assert seen[3] == seen[0]
    lang = page.evaluate("document.documentElement.lang")
    windows = {"zh-Hant": "2號窗口", "zh-Hans": "2号窗口", "en": "Window 2"}
    assert page.inner_text("#now-window") == windows[lang]
    assert page.errors == []


def test_without_motion_the_flash_is_a_steady_highlight(browser, live, clerks) -> None:
    context = browser.new_context(viewport=LANDSCAPE, reduced_motion="reduce")
    try:
        page = open_board(context, live)
        called = clerks.call(3, "property-transfer")
        wait_for_call(page, called["number"])
        assert page.evaluate("window.hallqDisplay.flashing")
        assert page.evaluate("document.getAnimations().length") == 0  # nothing moves
        background = page.evaluate(
            "getComputedStyle(document.getElementById('now')).backgroundColor"
        )
        assert background == "rgb(255, 210, 63)"  # highlighted all the same
        assert page.errors == []
    finally:
        context.close()


def test_a_paused_window_says_so_and_a_closed_one_too(context, live, clerks) -> None:
    page = open_board(context, live)
    tile = page.locator(".window-tile[data-window='5']")
    clerks.call(5, "vehicle-transfer")
    expect(tile).to_have_class(re.compile(r"\bserving\b"))
    clerks.act(5, "pause", reason="午膳")
    expect(tile.locator(".value")).to_have_text("暫停服務")
    expect(tile).to_have_class(re.compile(r"\bpaused\b"))
    page.evaluate("window.hallqDisplay.showLanguage('zh-Hans', true)")
    expect(tile.locator(".value")).to_have_text("暂停服务")
    expect(tile.locator(".label")).to_have_text("5号窗口")
    page.evaluate("window.hallqDisplay.showLanguage('en', true)")
    expect(tile.locator(".value")).to_have_text("Service paused")
    clerks.act(5, "resume")
    clerks.act(5, "no-show")
    expect(tile.locator(".value")).to_have_text("–")  # open, no one at the window
    clerks.act(5, "close")
    expect(tile.locator(".value")).to_have_text("Closed")
    expect(tile).to_have_class(re.compile(r"\bclosed\b"))
    assert page.errors == []


def test_the_people_waiting_follow_the_tickets_issued(context, live) -> None:
    page = open_board(context, live, "display-c")
    # Zone C's board lists zone C's services only.
    codes = page.eval_on_selector_all("#services li", "rows => rows.map(r => r.dataset.service)")
    assert codes == ["consultation", "certificate-pickup"]
    count = page.locator("#services li[data-service='certificate-pickup'] .count")
    before = int(count.inner_text())
    live.issue("certificate-pickup")
    live.issue("certificate-pickup")
    expect(count).to_have_text(str(before + 2))
    services = live.ok("GET", "/api/v1/services", live.token("display-c"))["services"]
    waiting = next(s["waiting"] for s in services if s["code"] == "certificate-pickup")
    assert int(count.inner_text()) == waiting
    assert page.inner_text("#services li[data-service='certificate-pickup'] .name") == "領取證書"
    assert page.errors == []


def test_a_zone_board_shows_its_zone_and_the_hall_board_everything(context, live, clerks) -> None:
    hall_board = open_board(context, live)
    zone_a = open_board(context, live, "display-a")
    windows = zone_a.eval_on_selector_all(
        ".window-tile", "tiles => tiles.map(t => t.dataset.window)"
    )
    assert windows == ["1", "2", "3"]
    assert zone_a.eval_on_selector_all("#services li", "r => r.map(x => x.dataset.service)") == [
        "property-transfer"
    ]
    shown_a = zone_a.evaluate("window.hallqDisplay.shownKey")
    flashes_a = flashes(zone_a)
    # Zone B's window calls zone B's customer: the hall's board shows it, zone A's does not.
    other = clerks.call(4, "vehicle-transfer")
    wait_for_call(hall_board, other["number"])
    assert hall_board.inner_text("#now-window") == "4號窗口"
    wait_for_seq(zone_a, board_seq(hall_board))
    assert zone_a.evaluate("window.hallqDisplay.shownKey") == shown_a
    assert flashes(zone_a) == flashes_a
    assert other["number"] not in zone_a.inner_text("#board")
    # A window of zone C calls a customer waiting in zone A: zone A's board shows it too.
    ours = clerks.call(9, "property-transfer")
    wait_for_call(zone_a, ours["number"])
    assert zone_a.inner_text("#now-window") == "9號窗口"
    wait_for_call(hall_board, ours["number"])
    # And its own window, of course; the hall's board lists the calls before it.
    mine = clerks.call(1, "property-transfer")
    wait_for_call(zone_a, mine["number"])
    wait_for_call(hall_board, mine["number"])
    recent = hall_board.inner_text("#recent")
    assert other["number"] in recent and ours["number"] in recent
    assert other["number"] not in zone_a.inner_text("#recent")
    assert hall_board.errors == [] and zone_a.errors == []


# --- the connection -------------------------------------------------------------------------------


@pytest.fixture
def own_hall(tmp_path) -> Iterator[LiveHall]:
    """A hall of this test's own: its server is stopped and started again."""
    with serve_hall(tmp_path / "hall", demo=False, config=board_hall_config()) as hall:
        yield hall


def test_the_board_catches_up_after_the_connection_comes_back(context, own_hall, tmp_path) -> None:
    live = own_hall
    clerk = live.login("clerk1")
    live.ok("POST", "/api/v1/counters/1/open", clerk)
    page = open_board(context, live)
    banner = page.locator("#connection")
    assert banner.is_hidden()
    first = live.server
    first.stop()
    banner.wait_for(state="visible")
    assert banner.inner_text() == "連線中斷：顯示內容可能不是最新。正在重新連線…"
    # The same hall on the same address, as after a restart of the service.
    second = ServerProcess(
        first.argv,
        port=first.port,
        env={
            "HALLQ_DATABASE_URL": live.hall.url,
            "HALLQ_DATA_DIR": first.env["HALLQ_DATA_DIR"],
        },
        workdir=tmp_path / "second",
    )
    try:
        second.start()
        second.wait_ready(timeout=45)
        # A call as soon as the server is back, before or after the board reconnects.
        live.issue("property-transfer")
        called = live.ok("POST", "/api/v1/counters/1/call-next", clerk)
        wait_for_call(page, called["number"])
        banner.wait_for(state="hidden")
        assert page.inner_text("#now-window") == "1號窗口"
        expect(page.locator(".window-tile[data-window='1'] .value")).to_have_text(called["number"])
        # Shown because the board knows the hall as it is now: its snapshot's seq or later.
        assert board_seq(page) >= 1
        # What the console said is the lost connection, nothing else.
        unexpected = [e for e in page.errors if "ERR_CONNECTION_REFUSED" not in e]
        assert unexpected == []
    finally:
        second.stop()


# --- memory over weeks -------------------------------------------------------------------------------

PUSH_CALLS = """([start, count]) => {
  // ticket.called deltas, with the next seq each, through the socket's own path for an incoming
  // event (socket.io-client's onevent): everything a real one goes through but the network.
  const client = window.hallqDisplay.client;
  const zones = ["A", "A", "A", "B", "B", "B", "C", "C", "C"];
  const services = ["property-transfer", "vehicle-transfer", "equity-transfer", "consultation"];
  for (let i = start; i < start + count; i++) {
    const recall = i % 7 === 3;
    const ticket = recall ? i - 1 : i;
    const counter = 1 + (ticket % 9);
    client.socket.onevent({type: 2, nsp: "/hall", data: ["ticket.called", {
      seq: client.seq + 1,
      ticket_id: 1000000 + ticket,
      number: "ABCD"[ticket % 4] + String(ticket % 1000).padStart(3, "0"),
      counter: counter,
      zone: zones[counter - 1],
      service: services[ticket % 4],
      call_count: recall ? 2 : 1,
      recall: recall,
      languages: ["yue", "cmn", "en"],
      at: new Date().toISOString(),
    }]});
  }
  return client.seq;
}"""


def heap_and_nodes(cdp) -> tuple[int, int, int]:
    """(JS heap used in bytes, DOM nodes, event listeners) after a full garbage collection."""
    cdp.send("HeapProfiler.collectGarbage")
    cdp.send("HeapProfiler.collectGarbage")
    heap = cdp.send("Runtime.getHeapUsage")["usedSize"]
    counters = cdp.send("Memory.getDOMCounters")
    return int(heap), int(counters["nodes"]), int(counters["jsEventListeners"])


def test_twenty_thousand_calls_leave_memory_and_the_page_as_they_were(context, live) -> None:
    page = open_board(context, live)
    cdp = context.new_cdp_session(page)
    start = 0
    # Warm up: the lists fill, the code is compiled, the tiles and rows exist.
    for _ in range(5):
        page.evaluate(PUSH_CALLS, [start, 1000])
        start += 1000
    page.wait_for_timeout(300)
    heap_before, nodes_before, listeners_before = heap_and_nodes(cdp)
    renders_before = page.evaluate("window.hallqDisplay.renders")
    for _ in range(20):
        seq = page.evaluate(PUSH_CALLS, [start, 1000])
        start += 1000
    page.wait_for_timeout(300)
    heap_after, nodes_after, listeners_after = heap_and_nodes(cdp)
    renders = page.evaluate("window.hallqDisplay.renders") - renders_before
    growth = heap_after - heap_before
    print(
        f"\n20,000 calls: JS heap {heap_before / 1e6:.2f} MB -> {heap_after / 1e6:.2f} MB "
        f"({growth / 1e3:+.0f} kB); DOM nodes {nodes_before} -> {nodes_after}; "
        f"listeners {listeners_before} -> {listeners_after}; {renders} renders"
    )
    assert renders >= 20_000  # every call went through the board
    assert board_seq(page) == seq
    assert growth < 1_000_000, f"the heap grew by {growth} bytes"
    assert nodes_after <= nodes_before
    assert listeners_after <= listeners_before
    state = page.evaluate(
        "({calls: window.hallqDisplay.calls.length, recent: window.hallqDisplay.client.state"
        ".recent_calls.length, rows: document.querySelectorAll('#recent li:not([hidden])').length})"
    )
    assert state == {"calls": 7, "recent": 30, "rows": 6}
    last = start - 1
    assert page.inner_text("#now-number") == "ABCD"[last % 4] + f"{last % 1000:03d}"
    # Back to the server's truth: a fresh snapshot replaces the made-up calls.
    page.evaluate("window.hallqDisplay.client.resync()")
    page.wait_for_function("s => window.hallqDisplay.client.seq < s", arg=seq)
    assert page.errors == []


# --- layout, contrast, accessibility ---------------------------------------------------------------

LAYOUT = """() => {
  const box = (el) => el.getBoundingClientRect();
  const inside = (a, b) => a.left >= b.left - 1 && a.right <= b.right + 1 &&
    a.top >= b.top - 1 && a.bottom <= b.bottom + 1;
  const view = {left: 0, top: 0, right: innerWidth, bottom: innerHeight};
  const problems = [];
  const check = (selector, within) => {
    const els = document.querySelectorAll(selector);
    if (!els.length) problems.push(selector + ": none");
    for (const el of els) {
      const b = box(el);
      if (b.width < 1 || b.height < 1) problems.push(selector + ": not shown");
      if (!inside(b, view)) problems.push(selector + ": outside the screen");
      const parent = within && el.closest(within);
      if (parent && !inside(b, box(parent))) problems.push(selector + ": outside " + within);
      if (el.scrollWidth > el.clientWidth + 1) problems.push(selector + ": cut (width)");
    }
  };
  check("#hall-name"); check("#date"); check("#clock");
  check("#now-number", ".now-call"); check("#now-window", ".now-call");
  check(".now-call", "#now");
  check("#recent li:not([hidden])", ".recent");
  check(".window-tile", ".windows"); check(".window-tile .value", ".window-tile");
  check("#services li", ".waiting");
  if (!document.getElementById("notice").hidden) check("#notice");  // its line runs past: it scrolls
  const root = document.documentElement;
  if (root.scrollHeight > innerHeight + 1 || root.scrollWidth > innerWidth + 1) {
    problems.push("the page scrolls");
  }
  return problems;
}"""

CONTRAST = """() => {
  // The called number against what is behind it, from the computed styles.
  const rgb = (s) => s.match(/[\\d.]+/g).map(Number);
  const lum = ([r, g, b]) => {
    const c = [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  const number = document.getElementById("now-number");
  let el = number, bg = null;
  while (el && !bg) {
    const c = getComputedStyle(el).backgroundColor;
    if (c && rgb(c).length >= 3 && (rgb(c)[3] === undefined || rgb(c)[3] > 0)) bg = c;
    el = el.parentElement;
  }
  const [a, b] = [lum(rgb(getComputedStyle(number).color)), lum(rgb(bg))];
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""


@pytest.fixture(scope="module")
def busy_hall(live: LiveHall, clerks: Clerks) -> LiveHall:
    """Calls to show, a window paused, a notice if the server has them: a board with
    everything on it."""
    for window, service in ((6, "equity-transfer"), (7, "consultation"), (8, "certificate-pickup")):
        clerks.call(window, service)
    clerks.act(8, "pause", reason="系統維護")
    return live


@pytest.mark.parametrize("viewport", [LANDSCAPE, PORTRAIT], ids=["landscape", "portrait"])
def test_both_layouts_keep_every_part_on_screen(
    browser, busy_hall, clerks, viewport, tmp_path
) -> None:
    context = browser.new_context(viewport=viewport)
    try:
        page = open_board(context, busy_hall)
        called = clerks.call(7, "consultation")
        wait_for_call(page, called["number"])
        for lang in LANGUAGES:
            page.evaluate("lang => window.hallqDisplay.showLanguage(lang, true)", lang)
            assert page.evaluate(LAYOUT) == [], lang
        page.screenshot(path=str(tmp_path / "board.png"))
        # The called number: big, and at least 7:1 in both colours of the flash and after.
        height = page.evaluate("getComputedStyle(document.getElementById('now-number')).fontSize")
        assert float(height.removesuffix("px")) >= 200
        animation = "document.getElementById('now').getAnimations()[0]"
        page.evaluate(f"{animation}.pause()")
        for at in (100, 600):  # the highlight, then the panel's own colours
            page.evaluate(f"{animation}.currentTime = {at}")
            assert page.evaluate(CONTRAST) >= 7, at
        page.evaluate(f"{animation}.finish()")
        assert page.evaluate(CONTRAST) >= 7
        assert page.errors == []
    finally:
        context.close()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_board_is_accessible_in_each_language(context, busy_hall, lang) -> None:
    page = open_board(context, busy_hall, language=lang)
    page.wait_for_selector("#recent li:not([hidden])")
    violations = axe_violations(page)
    assert violations == [], f"{lang}:\n{describe_violations(violations)}"
    window = {"zh-Hant": "8號窗口", "zh-Hans": "8号窗口", "en": "Window 8"}[lang]
    assert page.inner_text(".window-tile[data-window='8'] .label") == window
    assert page.errors == []


# --- the notice ----------------------------------------------------------------------------------------

NOTICE = {
    "zh-Hant": "今日下午三時起暫停辦理物業過戶，敬請留意。",
    "zh-Hans": "今日下午三时起暂停办理物业过户，敬请留意。",
    "en": "Property transfers stop at 3 pm today.",
}
ZONE_A = {"zh-Hant": "物業過戶區已遷往二樓。", "en": "Property transfers have moved upstairs."}
CLEARED = dict.fromkeys(LANGUAGES, "")
LINE = "document.getElementById('notice-text')"


def end_the_lap(page) -> None:
    """Move the scrolling line to the end of its run: the next lap starts."""
    page.evaluate(
        f"""() => {{
          const run = {LINE}.getAnimations()[0];
          run.currentTime = run.effect.getComputedTiming().duration - 20;
        }}"""
    )


def test_the_notice_scrolls_in_the_language_shown_and_a_zone_has_its_own(
    browser, context, busy_hall
) -> None:
    live = busy_hall
    supervisor = live.login("supervisor")

    def notice(zone: str | None, text: dict[str, str]) -> list[dict[str, Any]]:
        body = live.ok("PUT", "/api/v1/notice", supervisor, json={"zone": zone, "text": text})
        return body["notices"]

    still = browser.new_context(viewport=PORTRAIT, reduced_motion="reduce")
    try:
        hall_board = open_board(context, live)
        zone_a = open_board(context, live, "display-a")
        standing = open_board(still, live)
        assert hall_board.locator("#notice").is_hidden()

        assert [n["zone"] for n in notice(None, NOTICE)] == [None]
        for page in (hall_board, zone_a, standing):
            expect(page.locator("#notice-text")).to_have_text(NOTICE["zh-Hant"])
        # It scrolls, at a pace that follows its length; standing still where motion is unwanted.
        assert hall_board.evaluate(f"{LINE}.getAnimations().length") == 1
        assert standing.evaluate("document.getAnimations().length") == 0
        assert hall_board.evaluate(LAYOUT) == []
        assert standing.evaluate(LAYOUT) == []
        assert axe_violations(standing) == []

        # Another language: standing still, at once; scrolling, when the line has run out.
        standing.evaluate("window.hallqDisplay.showLanguage('en', true)")
        expect(standing.locator("#notice-text")).to_have_text(NOTICE["en"])
        hall_board.evaluate("window.hallqDisplay.showLanguage('zh-Hans', true)")
        assert hall_board.inner_text("#notice-text") == NOTICE["zh-Hant"]
        end_the_lap(hall_board)
        expect(hall_board.locator("#notice-text")).to_have_text(NOTICE["zh-Hans"])

        # Zone A's own notice, on zone A's board only; a language it lacks falls back.
        notice("A", ZONE_A)
        expect(zone_a.locator("#notice-text")).to_have_text(ZONE_A["zh-Hant"])
        wait_for_seq(hall_board, board_seq(zone_a))
        assert hall_board.inner_text("#notice-text") == NOTICE["zh-Hans"]
        zone_a.evaluate("window.hallqDisplay.showLanguage('zh-Hans', true)")
        end_the_lap(zone_a)
        zone_a.wait_for_timeout(100)
        assert zone_a.inner_text("#notice-text") == ZONE_A["zh-Hant"]
        zone_a.evaluate("window.hallqDisplay.showLanguage('en', true)")
        end_the_lap(zone_a)
        expect(zone_a.locator("#notice-text")).to_have_text(ZONE_A["en"])

        # Cleared: zone A's board goes back to the hall's notice, then there is none.
        notice("A", CLEARED)
        expect(zone_a.locator("#notice-text")).to_have_text(NOTICE["en"])
        assert notice(None, CLEARED) == []
        for page in (hall_board, zone_a, standing):
            expect(page.locator("#notice")).to_be_hidden()
            assert page.errors == []
    finally:
        still.close()
        notice("A", CLEARED)
        notice(None, CLEARED)
