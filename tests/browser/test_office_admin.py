"""The administration pages (/office/admin) in Chromium against a real ``hallq serve``: a service
renamed with new documents reaches an open kiosk and an open lobby board without a reload; a
clerk sees nothing and a supervisor is told the section is for administrators (and the API
refuses a clerk's admin, report and audit calls); a device added from the page shows its token
once, follows its agent's reports live, then is revoked; a user who may open only window 2,
added from the keyboard; a service retired from the page leaves the kiosks, and a retire
refused says why; a refusal shown next to its form, in words; accessibility (axe, WCAG 2.1
AA) of every sub-section and a dialog.

One server for the module (the sample hall, open all day). Each test changes things of its
own (its service, device, user), so they do not get in each other's way.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import HallSocket
from tests.support.browser import LiveHall, axe_violations, collect_errors, describe_violations
from tests.support.browser import live_hall as serve_hall
from tests.support.hall import PASSWORD
from tests.support.kiosk_screen import open_kiosk, press, service_button

pytestmark = pytest.mark.browser

VIEWPORT = {"width": 1600, "height": 1000}
LANDSCAPE = {"width": 1920, "height": 1080}
READY = "window.hallqAdmin && window.hallqAdmin.loads > 0 && !window.hallqAdmin.busy"
SUBSECTIONS = ("hall", "zones", "services", "windows", "devices", "users", "hall-file")
BOARD_READY = (
    "window.hallqDisplay && window.hallqDisplay.state !== null && "
    "!document.getElementById('board').hidden"
)


@pytest.fixture(scope="module")
def live(tmp_path_factory) -> Iterator[LiveHall]:
    with serve_hall(tmp_path_factory.mktemp("office-admin")) as hall:
        yield hall


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport=VIEWPORT, locale="en-US")
    context.set_default_timeout(15_000)
    yield context
    context.close()


def sign_in(context, live: LiveHall, user: str = "admin", where: str = ""):
    page = context.new_page()
    page.errors = collect_errors(page)
    page.goto(f"{live.url}/office/admin?lang=en{where}")
    page.fill("#signin-username", user)
    page.fill("#signin-password", PASSWORD)
    page.click("#signin-form button[type=submit]")
    return page


def open_admin(context, live: LiveHall, where: str = ""):
    page = sign_in(context, live, "admin", where)
    page.wait_for_function(READY)
    return page


def settled(page) -> None:
    page.wait_for_function("!window.hallqAdmin.busy")


def assert_accessible(page, where: str) -> None:
    violations = axe_violations(page)
    assert not violations, f"{where}:\n{describe_violations(violations)}"


# --- the tests ----------------------------------------------------------------------------------


def test_a_renamed_service_reaches_an_open_kiosk_and_board(browser, context, live) -> None:
    kiosk_context = browser.new_context(viewport=LANDSCAPE, locale="zh-HK")
    board_context = browser.new_context(viewport=LANDSCAPE, locale="zh-HK")
    try:
        kiosk = open_kiosk(kiosk_context, live)
        board = board_context.new_page()
        board.errors = collect_errors(board)
        board.goto(f"{live.url}/display#token={live.token('display-lobby')}")
        board.wait_for_function(BOARD_READY)
        board.evaluate("window.hallqDisplay.showLanguage('zh-Hant', true)")
        board_name = board.locator("#services li[data-service=consultation] .name")
        expect(board_name).to_have_text("業務諮詢")
        expect(service_button(kiosk, "consultation").locator(".name")).to_have_text("業務諮詢")
        for screen in (kiosk, board):
            screen.evaluate("window.notReloaded = true")

        page = open_admin(context, live, "#services")
        row = page.locator("#service-rows tr[data-service=consultation]")
        row.get_by_role("button", name="Edit").click()
        expect(page.locator("#service-dialog")).to_be_visible()
        page.fill("#service-name-zh-Hant", "查詢及預約")
        page.fill("#service-name-zh-Hans", "查询及预约")
        page.fill("#service-name-en", "Enquiries and bookings")
        page.fill("#service-documents-zh-Hant", "身份證\n住址證明")
        page.fill("#service-documents-zh-Hans", "身份证\n住址证明")
        page.fill("#service-documents-en", "Identity card\nProof of address")
        page.click("#service-form button[type=submit]")
        expect(page.locator("#service-dialog")).to_be_hidden()
        expect(row.locator(".service-name")).to_have_text("Enquiries and bookings")
        expect(page.locator("#admin-done")).to_contain_text("Saved")

        # The open screens: the new name, without a reload.
        expect(service_button(kiosk, "consultation").locator(".name")).to_have_text("查詢及預約")
        expect(board_name).to_have_text("查詢及預約")
        # The kiosk's ticket lists the new documents.
        press(kiosk, "consultation")
        expect(kiosk.locator("#ticket-service")).to_have_text("查詢及預約")
        expect(kiosk.locator("#ticket-documents li")).to_have_text(["身份證", "住址證明"])
        for screen in (kiosk, board):
            assert screen.evaluate("window.notReloaded === true")
            assert not screen.errors, screen.errors
        # Changed on the server, with its actor.
        service = next(
            s
            for s in live.ok("GET", "/api/v1/admin/services", live.login("admin"))["services"]
            if s["code"] == "consultation"
        )
        assert service["documents"]["en"] == ["Identity card", "Proof of address"]
        assert not page.errors, page.errors
    finally:
        kiosk_context.close()
        board_context.close()


def test_a_clerk_sees_nothing_and_a_supervisor_is_told(context, live) -> None:
    page = sign_in(context, live, "clerk1")
    expect(page.locator("#signin-error")).to_contain_text("supervisors and administrators")
    expect(page.locator("#admin")).to_be_hidden()
    assert page.locator("#admin-body tbody tr").count() == 0
    assert page.evaluate("window.hallqAdmin.loads") == 0
    assert page.evaluate("sessionStorage.getItem('hallq.office.token')") is None

    # A supervisor: told the section is for administrators; nothing is read, and the header
    # does not offer the section.
    page.fill("#signin-username", "supervisor")
    page.fill("#signin-password", PASSWORD)
    page.click("#signin-form button[type=submit]")
    expect(page.locator("#admin-only")).to_be_visible()
    expect(page.locator("#admin-only")).to_contain_text("for administrators")
    expect(page.locator("#admin-body")).to_be_hidden()
    expect(page.locator("#sections")).to_be_visible()
    expect(page.locator("#sections").get_by_role("link", name="Administration")).to_be_hidden()
    expect(page.locator("#sections").get_by_role("link", name="Dashboard")).to_be_visible()
    assert page.evaluate("window.hallqAdmin.loads") == 0
    assert page.locator("#admin-body tbody tr").count() == 0
    assert_accessible(page, "a supervisor's notice")
    assert not page.errors, page.errors

    # Nor does the API let a clerk in.
    clerk = live.login("clerk2")
    for path in (
        "/api/v1/admin/services",
        "/api/v1/admin/users",
        "/api/v1/admin/hall-file",
        "/api/v1/reports/tickets?from=2026-01-01&to=2026-01-31",
        "/api/v1/audit",
    ):
        assert live.request("GET", path, clerk).status_code == 403, path
    refused = live.request(
        "PATCH", "/api/v1/admin/services/consultation", clerk, json={"target_wait": 1}
    )
    assert refused.status_code == 403


def test_a_device_token_shows_once_and_a_user_is_added_from_the_keyboard(context, live) -> None:
    page = open_admin(context, live, "#devices")
    page.click("#add-device")
    expect(page.locator("#device-name")).to_be_focused()
    page.fill("#device-name", "kiosk-door")
    page.select_option("#device-kind", "kiosk")
    page.select_option("#device-zone", "A")
    page.click("#device-form button[type=submit]")
    dialog = page.locator("#token-dialog")
    expect(dialog).to_be_visible()
    token = page.input_value("#token-value")
    assert len(token) > 20
    assert page.input_value("#token-link") == f"{live.url}/kiosk#token={token}"
    assert live.ok("GET", "/api/v1/devices/me", token)["name"] == "kiosk-door"
    page.click("#copy-token")
    expect(page.locator("#token-copied")).not_to_be_empty()
    assert_accessible(page, "the token's dialog")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.locator("#add-device")).to_be_focused()
    # Nowhere on the page any more: not in its HTML, its fields nor its state.
    shown = page.evaluate(
        """() => document.documentElement.outerHTML
            + Array.from(document.querySelectorAll('input, textarea')).map(e => e.value).join(' ')
            + JSON.stringify(window.hallqAdmin)"""
    )
    assert token not in shown
    row = page.locator("#device-rows tr[data-device=kiosk-door]")
    expect(row.locator("td.token")).to_have_text("Working")

    # What its agent reports shows at once, in words.
    agent = HallSocket(live.url, token, agent=True).connect()
    try:
        assert agent.call("device.status", {"status": "paper_out"}) == {"ok": True}
        expect(row.locator("td.status")).to_have_text("Out of paper", timeout=2000)
    finally:
        agent.close()
    expect(row.locator("td.status")).to_have_text("Offline: agent disconnected", timeout=2000)

    # Revoked, after a confirmation: the token stops at once.
    row.get_by_role("button", name="Revoke").click()
    expect(page.locator("#confirm-dialog")).to_be_visible()
    page.click("#confirm-yes")
    expect(row.locator("td.token")).to_have_text("Revoked")
    assert live.request("GET", "/api/v1/devices/me", token).status_code == 401

    # A clerk who may open only window 2, added from the keyboard alone.
    page.locator(".subsections a[data-sub=users]").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#users-title")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator("#add-user")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#user-username")).to_be_focused()
    page.keyboard.type("clerk-two")
    page.keyboard.press("Tab")
    page.keyboard.type("Window two")
    page.keyboard.press("Tab")
    expect(page.locator("#user-role")).to_have_value("clerk")
    page.keyboard.press("Tab")
    page.keyboard.type("secret-2")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # window 1 to window 2
    expect(page.locator("#user-window-boxes input[value='2']")).to_be_focused()
    page.keyboard.press("Space")
    save = page.locator("#user-form button[type=submit]")
    for _ in range(20):
        if save.evaluate("b => b === document.activeElement"):
            break
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#user-dialog")).to_be_hidden()
    user_row = page.locator("#user-rows tr[data-user=clerk-two]")
    expect(user_row.locator("td.windows")).to_have_text("2")
    expect(page.locator("#add-user")).to_be_focused()

    users = live.ok("GET", "/api/v1/admin/users", live.login("admin"))["users"]
    added = next(u for u in users if u["username"] == "clerk-two")
    assert (added["role"], added["windows"], added["display_name"]) == ("clerk", [2], "Window two")
    clerk = live.ok(
        "POST", "/api/v1/auth/login", json={"username": "clerk-two", "password": "secret-2"}
    )["token"]
    assert live.request("POST", "/api/v1/counters/1/open", clerk).status_code == 403
    live.ok("POST", "/api/v1/counters/2/open", clerk)
    live.ok("POST", "/api/v1/counters/2/close", clerk)
    assert not page.errors, page.errors


def test_every_subsection_is_accessible_and_refusals_are_said(context, live) -> None:
    page = open_admin(context, live)
    for sub in SUBSECTIONS:
        page.click(f".subsections a[data-sub={sub}]")
        expect(page.locator(f"#sub-{sub}")).to_be_visible()
        expect(page.locator(f".subsections a[data-sub={sub}]")).to_have_attribute(
            "aria-current", "page"
        )
        assert_accessible(page, sub)

    # The hall file, downloaded as it is now.
    page.click(".subsections a[data-sub=hall-file]")
    with page.expect_download() as download:
        page.click("#download-file")
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    assert 'code = "harbour-transfer"' in exported
    assert download.value.suggested_filename.endswith(".toml")

    # A hall file the checks refuse: each problem, in words, next to the form.
    page.set_input_files(
        "#upload-file",
        files=[{"name": "hall.toml", "mimeType": "application/toml", "buffer": b"[hall]\n"}],
    )
    page.click("#check-file")
    expect(page.locator("#upload-error")).to_contain_text("cannot be loaded")
    expect(page.locator("#upload-error li").first).to_contain_text("missing")
    expect(page.locator("#load-file")).to_be_disabled()

    # The hall's rules and calendar; a window's label and work profile.
    page.click(".subsections a[data-sub=hall]")
    page.fill("#hall-queue-follow_up_working_days", "5")
    page.locator("#hall-holidays").focus()
    page.keyboard.press("Control+End")
    page.keyboard.type("\n2027-02-17")
    page.click("#hall-form button[type=submit]")
    expect(page.locator("#admin-done")).to_contain_text("Saved")
    admin = live.login("admin")
    settings = live.ok("GET", "/api/v1/admin/hall", admin)
    assert settings["queue"]["follow_up_working_days"] == 5
    assert len(settings["calendar"]["holidays"]) == 4
    page.click(".subsections a[data-sub=windows]")
    page.locator("#window-rows tr[data-window='9']").get_by_role("button", name="Edit").click()
    page.fill("#window-label", "VIP")
    page.fill("#window-profile", "certificate-pickup\nconsultation:0.5")
    page.click("#window-form button[type=submit]")
    expect(page.locator("#window-dialog")).to_be_hidden()
    window = next(
        w for w in live.ok("GET", "/api/v1/admin/windows", admin)["windows"] if w["number"] == 9
    )
    assert window["label"] == "VIP"
    assert window["profile"] == [[["certificate-pickup", 1.0]], [["consultation", 0.5]]]

    # A service's change the hall file's checks refuse (400): said in the dialog, which stays.
    page.click(".subsections a[data-sub=services]")
    page.locator("#service-rows tr[data-service=certificate-pickup]").get_by_role(
        "button", name="Edit"
    ).click()
    page.fill("#service-prefix", "7")
    page.click("#service-form button[type=submit]")
    error = page.locator("#service-error")
    expect(error).to_contain_text("nothing was changed")
    expect(error.locator("li")).to_contain_text(["capital letter"])
    expect(page.locator("#service-dialog")).to_be_visible()
    assert_accessible(page, "the service's dialog with its refusal")
    page.keyboard.press("Escape")
    expect(page.locator("#service-dialog")).to_be_hidden()
    # The browser logs the refused request itself; the page adds no error of its own.
    assert [e for e in page.errors if "status of 400" not in e] == [], page.errors


def test_a_service_retired_from_the_page_leaves_the_kiosks(context, live) -> None:
    admin = live.login("admin")
    live.ok(
        "POST",
        "/api/v1/admin/services",
        admin,
        json={
            "code": "pop-up",
            "prefix": "P",
            "zone": "A",
            "name": {"zh-Hant": "臨時櫃檯", "zh-Hans": "临时柜台", "en": "Pop-up desk"},
            "target_wait": 15,
            "hours": {"mon": ["09:00-17:00"]},
        },
    )

    def catalog() -> list[str]:
        return [s["code"] for s in live.ok("GET", "/api/v1/services", live.token())["services"]]

    assert "pop-up" in catalog()
    page = open_admin(context, live, "#services")
    retire = page.locator("#service-rows tr[data-service=pop-up]").get_by_role(
        "button", name="Retire Pop-up desk"
    )
    retire.focus()
    page.keyboard.press("Enter")
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#confirm-text")).to_contain_text("disappears from the kiosks")
    expect(page.locator("#confirm-text")).to_contain_text("tickets stay in the records")
    assert_accessible(page, "a retire's confirmation")
    expect(page.locator("#confirm-yes")).to_be_focused()
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(page.locator("#admin-done")).to_have_text("Pop-up desk is retired.")
    expect(page.locator("#service-rows tr[data-service=pop-up]")).to_have_count(0)
    expect(page.locator("#services-title")).to_be_focused()
    assert "pop-up" not in catalog()

    # Refused while windows still serve it: what to do, in words, and the checks' problems.
    retire = page.locator("#service-rows tr[data-service=consultation]").locator("button.retire")
    retire.click()
    page.click("#confirm-yes")
    error = page.locator("#confirm-error")
    expect(error.locator(".advice")).to_contain_text("still serve it")
    expect(error.locator(".advice")).to_contain_text("take it out of their work profiles")
    expect(error).to_contain_text("nothing was changed")
    expect(error.locator("li").first).to_contain_text('unknown service "consultation"')
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(retire).to_be_focused()
    assert "consultation" in catalog()
    assert [e for e in page.errors if "status of 400" not in e] == [], page.errors
