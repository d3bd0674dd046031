"""Documents on the ticket and at the window; optional bodies; what the sign-in limit counts."""

from __future__ import annotations

from tests.api.conftest import Api, assert_error


def test_the_issued_ticket_lists_the_documents_in_its_language(api: Api) -> None:
    zh = api.issue("vehicle-transfer")
    en = api.issue("vehicle-transfer", language="en")
    assert zh["documents"] and en["documents"]
    assert len(zh["documents"]) == len(en["documents"])
    assert any("\u4e00" <= ch <= "\u9fff" for ch in zh["documents"][0])
    assert all(doc.isascii() for doc in en["documents"])


def test_the_called_ticket_gives_the_clerk_the_checklist(api: Api) -> None:
    issued = api.issue("property-transfer")
    api.open(1)
    called = api.ok(api.act(1, "call-next", headers={"Accept-Language": "en"}))
    assert called["number"] == issued["number"]
    service = api.service("property-transfer")
    assert called["documents"] == service["documents"]["en"]


def test_cancel_needs_no_body(api: Api) -> None:
    ticket = api.issue("consultation")
    cancelled = api.ok(api.post(f"/tickets/{ticket['id']}/cancel", "clerk1"))
    assert cancelled["status"] == "cancelled"


def test_a_bodiless_issue_names_the_missing_field(api: Api) -> None:
    response = api.post("/tickets", "kiosk-1")
    assert_error(response, 422, "invalid_request")
    assert "service" in response.get_json()["error"]["message"]


def test_only_failed_sign_ins_count_against_the_limit(api: Api) -> None:
    for _ in range(12):
        assert api.login("clerk3").status_code == 200
    for _ in range(10):
        assert_error(api.login("clerk3", "wrong"), 401, "bad_credentials")
    assert_error(api.login("clerk3"), 429, "too_many_requests")


def test_a_rating_ticket_must_be_an_id_or_a_number(api: Api) -> None:
    for bad in (False, True, "", 1.5):
        assert_error(
            api.post("/ratings", "counter-1", json={"ticket": bad, "score": 5}),
            422,
            "invalid_request",
        )
