"""The administration page (/office/admin) is a shell: the server renders the sign-in and the
sub-sections' forms, never the hall's configuration, its users or its devices, whoever asks;
and what the page reads is refused to a clerk (admin, report and audit endpoints alike)."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.api.conftest import Api


def test_the_page_holds_nothing_of_the_halls_configuration(client: FlaskClient) -> None:
    page = client.get("/office/admin?lang=en")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="signin-form"' in html and 'id="admin"' in html
    # Its section in the header, offered to administrators only (the script shows it).
    assert 'data-admin-only hidden><a href="/office/admin" aria-current="page">' in html
    for private in ("clerk1", "kiosk-1", "counter-1", "property-transfer", "2468"):
        assert private not in html, private


def test_a_clerk_can_read_no_admin_report_or_audit_endpoint(api: Api) -> None:
    clerk = api.login_token("clerk1")
    for path in (
        "/admin/hall",
        "/admin/services",
        "/admin/devices",
        "/admin/users",
        "/admin/hall-file",
        "/reports/tickets?from=2026-01-01&to=2026-01-31",
        "/audit",
    ):
        answer = api.get(path, clerk)
        assert answer.status_code == 403, path
        assert answer.get_json()["error"]["code"] == "role_not_allowed", path
    # Nor can a supervisor change the hall.
    patch = api.request(
        "PATCH", "/admin/services/consultation", "supervisor", json={"target_wait": 1}
    )
    assert patch.status_code == 403
