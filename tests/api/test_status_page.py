"""The customer's status page, ``/t/<token>`` (the QR code on the ticket): the number and the
state, in traditional Chinese unless asked otherwise."""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

from tests.api.conftest import Api


def _page(api: Api, url: str, **kwargs: object) -> str:
    response = api.client.get(url, **kwargs)
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/html"
    return html.unescape(response.get_data(as_text=True))


def _testid(page: str, name: str) -> str:
    found = re.search(rf'data-testid="{name}"[^>]*>(.*?)<', page, re.S)
    assert found, f"no {name} on the page"
    return found.group(1).strip()


def test_waiting_ticket_in_traditional_chinese_by_default(api: Api) -> None:
    api.issue("certificate-pickup")
    ticket = api.issue("certificate-pickup")
    url = urlsplit(ticket["status_url"]).path
    page = _page(api, url)
    assert '<html lang="zh-Hant"' in page
    assert _testid(page, "number") == "E002"
    assert _testid(page, "status") == "等候中"
    assert "領取證書" in page  # the service's name in the hall's language
    assert "領證通知書或取件憑條" in page  # and what to bring
    assert _testid(page, "ahead") == "前面還有 1 人"
    assert "Waiting" not in page


def test_english_on_request(api: Api) -> None:
    ticket = api.issue("certificate-pickup")
    url = urlsplit(ticket["status_url"]).path
    page = _page(api, url + "?lang=en")
    assert '<html lang="en"' in page
    assert _testid(page, "number") == "E001"
    assert _testid(page, "status") == "Waiting"
    assert "Certificate pick-up" in page
    assert "等候中" not in page
    by_header = _page(api, url, headers={"Accept-Language": "en"})
    assert _testid(by_header, "status") == "Waiting"


def test_the_page_speaks_the_language_chosen_at_the_kiosk(api: Api) -> None:
    ticket = api.issue("certificate-pickup", language="en")
    url = urlsplit(ticket["status_url"]).path
    # The phone prefers Chinese, but the customer switched the kiosk to English.
    page = _page(api, url, headers={"Accept-Language": "zh-TW,zh;q=0.9"})
    assert '<html lang="en"' in page and _testid(page, "status") == "Waiting"
    # A language picked on the page itself wins.
    picked = _page(api, url + "?lang=zh-Hans", headers={"Accept-Language": "en"})
    assert _testid(picked, "status") == "等候中" and '<html lang="zh-Hans"' in picked
    # A ticket in the hall's own language leaves the choice to the phone.
    own = api.issue("certificate-pickup", language="zh-Hant")
    by_phone = _page(api, urlsplit(own["status_url"]).path, headers={"Accept-Language": "en"})
    assert _testid(by_phone, "status") == "Waiting"


def test_the_page_follows_the_ticket(api: Api) -> None:
    ticket = api.issue("consultation")
    url = urlsplit(ticket["status_url"]).path
    api.open(7)
    api.call(7)
    assert _testid(_page(api, url), "status") == "請到 7 號櫃檯"
    assert _testid(_page(api, url + "?lang=en"), "status") == "Please go to window 7"
    api.ok(api.act(7, "start"))
    assert _testid(_page(api, url + "?lang=en"), "status") == "Being served at window 7"
    api.ok(api.act(7, "finish"))
    done = _page(api, url)
    assert _testid(done, "status") == "辦理完成"
    assert 'http-equiv="refresh"' not in done  # nothing more to wait for
    assert _testid(done, "number") == "D001"


def test_unknown_tokens_are_not_found(api: Api) -> None:
    api.issue("consultation")
    for token in ("not-a-token", "x" * 65, "%00"):
        assert api.client.get(f"/t/{token}").status_code == 404
