"""The front page in Chromium against the real server: sign in, watch the queues live, in
Chinese first and in English on request."""

from __future__ import annotations

import re

import pytest
import requests

from tests.support.browser import collect_errors
from tests.support.hall import PASSWORD, build_hall
from tests.support.server import hallq_argv

pytestmark = pytest.mark.browser


@pytest.fixture
def live_hall(tmp_path, server_factory):
    url = f"sqlite:///{tmp_path / 'hall.sqlite3'}"
    hall = build_hall(url)
    hall.db.dispose()
    server = server_factory(
        hallq_argv("serve", "--host", "127.0.0.1", "--port", "{port}"),
        env={"HALLQ_DATABASE_URL": url, "HALLQ_DATA_DIR": str(tmp_path / "data")},
    )
    return hall, server


@pytest.fixture
def hk_page(browser):
    """A browser set up as in a Hong Kong hall (Accept-Language: zh-HK)."""
    context = browser.new_context(locale="zh-HK")
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_sign_in_and_watch_the_queue_change_live(live_hall, hk_page) -> None:
    hall, server = live_hall
    page = hk_page
    errors = collect_errors(page)
    page.goto(server.url + "/")
    assert page.locator("html").get_attribute("lang") == "zh-Hant"
    assert page.locator("h1").inner_text() == "海港產權過戶服務大廳"
    page.fill("input[name=username]", "supervisor")
    page.fill("input[name=password]", "wrong")
    page.click("button[type=submit]")
    page.wait_for_selector("#signin-error:not(:empty)")
    assert "密碼" in page.inner_text("#signin-error")  # the refusal, in Chinese
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    row = page.locator("tr[data-service=property-transfer]")
    row.wait_for()
    assert row.locator("td").first.inner_text() == "物業過戶"
    assert row.locator("td.waiting").inner_text() == "0"

    kiosk = {"Authorization": f"Bearer {hall.tokens['kiosk-1']}"}
    for _ in range(3):
        r = requests.post(
            server.url + "/api/v1/tickets",
            json={"service": "property-transfer"},
            headers=kiosk,
            timeout=5,
        )
        assert r.status_code == 201
    page.wait_for_function(
        "document.querySelector('tr[data-service=property-transfer] td.waiting').textContent === '3'"
    )
    token = requests.post(
        server.url + "/api/v1/auth/login",
        json={"username": "clerk2", "password": PASSWORD},
        timeout=5,
    ).json()["token"]
    clerk = {"Authorization": f"Bearer {token}"}
    requests.post(
        server.url + "/api/v1/counters/2/open", headers=clerk, timeout=5
    ).raise_for_status()
    requests.post(
        server.url + "/api/v1/counters/2/call-next", headers=clerk, timeout=5
    ).raise_for_status()
    window = page.locator("tr[data-counter='2'] td.state")
    window.wait_for()
    page.wait_for_function(
        "document.querySelector(\"tr[data-counter='2'] td.state\").textContent.includes('A001')"
    )
    assert window.inner_text() == "現正服務 A001"
    assert page.locator("tr[data-service=property-transfer] td.waiting").inner_text() == "2"
    # No gap in seq, so no resync was needed.
    assert page.evaluate("window.hallqOverview.resyncs") == 0
    # The only error is the refused sign-in with the wrong password.
    assert [e for e in errors if "401" not in e] == []


def test_the_page_in_english(live_hall, hk_page, page) -> None:
    _hall, server = live_hall
    # An English-speaking browser gets English; anyone can switch with ?lang=.
    page.goto(server.url + "/")
    assert page.locator("html").get_attribute("lang") == "en"
    page = hk_page
    page.goto(server.url + "/?lang=en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Harbour Transfer Service Hall"
    assert re.search(r"Sign in", page.inner_text("#signin"))


def test_a_user_disabled_while_watching_is_sent_back_to_sign_in(live_hall, hk_page) -> None:
    from tests.e2e.test_cli import run_hallq, succeeded

    _hall, server = live_hall
    page = hk_page
    page.goto(server.url + "/")
    page.fill("input[name=username]", "supervisor")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.locator("tr[data-service=property-transfer]").wait_for()
    assert page.locator("#overview").is_visible()
    # Disabled by an administrator at the server's console, meanwhile.
    succeeded(
        run_hallq(
            "user",
            "disable",
            "supervisor",
            data_dir=server.workdir / "data",
            cwd=server.workdir,
            env={"HALLQ_DATABASE_URL": server.env["HALLQ_DATABASE_URL"]},
        )
    )
    page.locator("#signin").wait_for(state="visible", timeout=10_000)
    assert page.locator("#overview").is_hidden()
    assert page.evaluate("sessionStorage.getItem('hallq.token')") is None
