"""Who may call what: every endpoint of the wire contract against every kind of caller, and the
window rules (a clerk acts only at the window they hold, a counter agent only at its own window,
supervisors anywhere)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import update

from hallq.server.models import Device, User
from tests.api.conftest import Api, assert_error

# One caller of each kind; the clerk is clerk1, who holds window 1 when a setup opens it.
CALLERS = {
    "admin": "admin",
    "supervisor": "supervisor",
    "clerk": "clerk1",
    "kiosk": "kiosk-1",
    "display": "display-a",
    "counter": "counter-1",
}
STAFF = {"admin", "supervisor", "clerk"}
OVERSIGHT = {"admin", "supervisor"}
AT_WINDOW = STAFF | {"counter"}
EVERYONE = set(CALLERS)


@dataclass
class Endpoint:
    name: str
    method: str
    path: str  # may name {ticket} from the setup
    allowed: set[str]
    status: int = 200
    setup: Callable[[Api], dict[str, Any]] = lambda api: {}
    body: dict[str, Any] | None = None
    check: Callable[[Api, dict[str, Any], Any], None] = lambda api, ctx, response: None
    extra: dict[str, Any] = field(default_factory=dict)

    def call(self, api: Api, who: str | None, ctx: dict[str, Any], **kwargs: Any) -> Any:
        path = self.path.format(**ctx)
        if self.body is not None:
            body = {k: (v.format(**ctx) if isinstance(v, str) else v) for k, v in self.body.items()}
            if "ticket" in body:
                body["ticket"] = ctx["ticket"]
            kwargs.setdefault("json", body)
        return api.request(self.method, path, who, **kwargs)


def _complaint_recorded(api: Api, ctx: dict[str, Any], response: Any) -> None:
    case = response.get_json()
    assert case["kind"] == "complaint" and case["status"] == "open"
    listed = api.ok(api.get("/follow-ups?status=open", "supervisor"))["items"]
    assert case["id"] in [c["id"] for c in listed]


def _service_paused(api: Api, ctx: dict[str, Any], response: Any) -> None:
    assert response.get_json()["paused"] is True
    refused = api.post("/tickets", "kiosk-1", json={"service": "consultation"})
    assert_error(refused, 409, "service_paused")


def _service_renamed(api: Api, ctx: dict[str, Any], response: Any) -> None:
    services = api.ok(api.get("/services", "kiosk-1"))["services"]
    assert {s["code"]: s["name"]["en"] for s in services}["consultation"] == "Enquiries"


# --- setups: the state in which an allowed caller succeeds ----------------------------------------


def _waiting(api: Api) -> dict[str, Any]:
    return {"ticket": api.issue("consultation")["id"]}


def _open(api: Api) -> dict[str, Any]:
    api.open(1)
    return {}


def _paused(api: Api) -> dict[str, Any]:
    api.open(1)
    api.ok(api.act(1, "pause", json={"reason": "break"}))
    return {}


def _queued(api: Api) -> dict[str, Any]:
    api.open(1)
    return {"ticket": api.issue("property-transfer")["id"]}


def _called(api: Api) -> dict[str, Any]:
    ctx = _queued(api)
    api.call(1)
    return ctx


def _serving(api: Api) -> dict[str, Any]:
    ctx = _called(api)
    api.ok(api.act(1, "start"))
    return ctx


def _finished(api: Api) -> dict[str, Any]:
    ctx = _serving(api)
    api.ok(api.act(1, "finish"))
    return ctx


def _two_queued(api: Api) -> dict[str, Any]:
    api.open(1)
    api.issue("property-transfer")
    later = api.issue("property-transfer")
    return {"ticket": later["id"], "number": later["number"]}


def _no_show(api: Api) -> dict[str, Any]:
    ctx = _called(api)
    api.ok(api.act(1, "no-show"))
    return ctx


def _status_is(status: str) -> Callable[[Api, dict[str, Any], Any], None]:
    def check(api: Api, ctx: dict[str, Any], response: Any) -> None:
        assert response.get_json()["id"] == ctx["ticket"]
        assert api.ticket(ctx["ticket"])["status"] == status

    return check


def _window_is(state: str) -> Callable[[Api, dict[str, Any], Any], None]:
    def check(api: Api, ctx: dict[str, Any], response: Any) -> None:
        assert response.get_json()["state"] == state
        assert api.counter(1)["state"] == state

    return check


def _issued(api: Api, ctx: dict[str, Any], response: Any) -> None:
    assert response.get_json()["number"] == "D001"
    assert api.service("consultation")["waiting"] == 1


def _transferred(api: Api, ctx: dict[str, Any], response: Any) -> None:
    ticket = api.ticket(ctx["ticket"])
    assert (ticket["status"], ticket["service"], ticket["leg"]) == ("waiting", "consultation", 2)


def _moved(api: Api, ctx: dict[str, Any], response: Any) -> None:
    ticket = api.ticket(ctx["ticket"])
    assert (ticket["status"], ticket["service"], ticket["leg"]) == (
        "waiting",
        "certificate-pickup",
        1,
    )
    assert api.service("consultation")["waiting"] == 0


def _rated(api: Api, ctx: dict[str, Any], response: Any) -> None:
    assert response.get_json()["score"] == 4
    assert response.get_json()["counter"] == 1


def _logged_out(api: Api, ctx: dict[str, Any], response: Any) -> None:
    assert response.get_data() == b""


ENDPOINTS = [
    Endpoint(
        "issue",
        "POST",
        "/tickets",
        STAFF | {"kiosk"},
        201,
        body={"service": "consultation"},
        check=_issued,
    ),
    Endpoint(
        "cancel",
        "POST",
        "/tickets/{ticket}/cancel",
        STAFF,
        setup=_waiting,
        body={},
        check=_status_is("cancelled"),
    ),
    Endpoint("open", "POST", "/counters/1/open", STAFF, check=_window_is("open")),
    Endpoint("close", "POST", "/counters/1/close", STAFF, setup=_open, check=_window_is("closed")),
    Endpoint(
        "pause",
        "POST",
        "/counters/1/pause",
        AT_WINDOW,
        setup=_open,
        body={"reason": "break"},
        check=_window_is("paused"),
    ),
    Endpoint(
        "resume", "POST", "/counters/1/resume", AT_WINDOW, setup=_paused, check=_window_is("open")
    ),
    Endpoint(
        "call-next",
        "POST",
        "/counters/1/call-next",
        AT_WINDOW,
        setup=_queued,
        check=_status_is("called"),
    ),
    Endpoint(
        "call",
        "POST",
        "/counters/1/call",
        AT_WINDOW,
        setup=_two_queued,
        body={"number": "{number}"},
        check=_status_is("called"),
    ),
    Endpoint(
        "reinstate",
        "POST",
        "/tickets/{ticket}/reinstate",
        STAFF,
        setup=_no_show,
        check=_status_is("waiting"),
    ),
    Endpoint(
        "recall", "POST", "/counters/1/recall", AT_WINDOW, setup=_called, check=_status_is("called")
    ),
    Endpoint(
        "start", "POST", "/counters/1/start", AT_WINDOW, setup=_called, check=_status_is("serving")
    ),
    Endpoint(
        "finish", "POST", "/counters/1/finish", AT_WINDOW, setup=_serving, check=_status_is("done")
    ),
    Endpoint(
        "no-show",
        "POST",
        "/counters/1/no-show",
        AT_WINDOW,
        setup=_called,
        check=_status_is("no_show"),
    ),
    Endpoint(
        "requeue",
        "POST",
        "/counters/1/requeue",
        AT_WINDOW,
        setup=_called,
        check=_status_is("waiting"),
    ),
    Endpoint(
        "transfer",
        "POST",
        "/counters/1/transfer",
        AT_WINDOW,
        setup=_called,
        body={"service": "consultation"},
        check=_transferred,
    ),
    Endpoint(
        "rating",
        "POST",
        "/ratings",
        {"counter"},
        201,
        setup=_finished,
        body={"ticket": 0, "score": 4},
        check=_rated,
    ),
    Endpoint("logout", "POST", "/auth/logout", STAFF, 204, check=_logged_out),
    # --- the back office: supervisors and administrators; administration, administrators ---
    Endpoint(
        "complaint",
        "POST",
        "/follow-ups",
        STAFF,
        201,
        body={"channel": "counter", "text": "Waited too long"},
        check=_complaint_recorded,
    ),
    Endpoint(
        "move",
        "POST",
        "/tickets/{ticket}/move",
        OVERSIGHT,
        setup=_waiting,
        body={"service": "certificate-pickup"},
        check=_moved,
    ),
    Endpoint(
        "pause-service",
        "POST",
        "/services/consultation/pause",
        OVERSIGHT,
        body={"reason": "system down"},
        check=_service_paused,
    ),
    Endpoint(
        "admin-rename-service",
        "PATCH",
        "/admin/services/consultation",
        {"admin"},
        body={"name": {"zh-Hant": "諮詢", "zh-Hans": "咨询", "en": "Enquiries"}},
        check=_service_renamed,
    ),
    Endpoint(
        "admin-add-user",
        "POST",
        "/admin/users",
        {"admin"},
        201,
        body={"username": "newclerk", "role": "clerk", "password": "a-good-pass-1"},
    ),
    Endpoint(
        "admin-add-device",
        "POST",
        "/admin/devices",
        {"admin"},
        201,
        body={"name": "kiosk-9", "kind": "kiosk", "zone": "A"},
    ),
    *[
        Endpoint(name, "GET", path, allowed)
        for name, path, allowed in [
            ("dashboard", "/dashboard", OVERSIGHT),
            ("alerts", "/alerts", OVERSIGHT),
            ("follow-ups", "/follow-ups?status=all", OVERSIGHT),
            ("audit", "/audit?kind=ticket.", OVERSIGHT),
            ("report", "/reports/tickets?from=2026-11-01&to=2026-11-30", OVERSIGHT),
            ("report-csv", "/reports/tickets?from=2026-11-01&to=2026-11-30&format=csv", OVERSIGHT),
            (
                "report-trace",
                "/reports/tickets/trace?from=2026-11-01&to=2026-11-30&key=hall&figure=issued",
                OVERSIGHT,
            ),
            ("admin-hall", "/admin/hall", {"admin"}),
            ("admin-services", "/admin/services", {"admin"}),
            ("admin-windows", "/admin/windows", {"admin"}),
            ("admin-devices", "/admin/devices", {"admin"}),
            ("admin-users", "/admin/users", {"admin"}),
            ("admin-hall-file", "/admin/hall-file", {"admin"}),
        ]
    ],
]
READS = [
    Endpoint("ticket", "GET", "/tickets/{ticket}", EVERYONE, setup=_waiting),
    Endpoint("services", "GET", "/services", EVERYONE),
    Endpoint("state", "GET", "/state", EVERYONE),
    Endpoint("counters", "GET", "/counters", EVERYONE),
    Endpoint("me", "GET", "/auth/me", EVERYONE),
]
ALL = ENDPOINTS + READS

ALLOWED_CASES = [
    pytest.param(e, kind, id=f"{e.name}-{kind}") for e in ENDPOINTS for kind in sorted(e.allowed)
]


@pytest.mark.parametrize(("endpoint", "kind"), ALLOWED_CASES)
def test_allowed_callers_succeed(api: Api, endpoint: Endpoint, kind: str) -> None:
    ctx = endpoint.setup(api)
    response = endpoint.call(api, CALLERS[kind], ctx)
    assert response.status_code == endpoint.status, response.get_data(as_text=True)
    endpoint.check(api, ctx, response)


@pytest.mark.parametrize("endpoint", ALL, ids=[e.name for e in ALL])
def test_other_callers_get_403_and_change_nothing(api: Api, endpoint: Endpoint) -> None:
    ctx = endpoint.setup(api)
    before = (api.ok(api.get("/counters", "supervisor")), api.ok(api.get("/services", "admin")))
    refused = sorted(EVERYONE - endpoint.allowed)
    for kind in refused:
        response = endpoint.call(api, CALLERS[kind], ctx)
        assert_error(response, 403, "role_not_allowed")
        en = endpoint.call(api, CALLERS[kind], ctx, headers={"Accept-Language": "en"})
        assert assert_error(en, 403, "role_not_allowed", lang="en")["message"].startswith("A ")
    after = (api.ok(api.get("/counters", "supervisor")), api.ok(api.get("/services", "admin")))
    assert after == before
    if endpoint in READS:
        assert refused == []
        for kind in sorted(endpoint.allowed):
            response = endpoint.call(api, CALLERS[kind], ctx)
            assert response.status_code == 200, (kind, response.get_data(as_text=True))
            assert isinstance(response.get_json(), dict)
    else:
        assert refused, "every change is refused to some kind of caller"


@pytest.mark.parametrize("endpoint", ALL, ids=[e.name for e in ALL])
def test_dead_or_missing_tokens_get_401(api: Api, hall, endpoint: Endpoint) -> None:
    ctx = endpoint.setup(api)
    logged_out = api.login_token("clerk9") if endpoint.name == "me" else None
    if logged_out:
        api.ok(api.post("/auth/logout", logged_out), 204)
    database = api.client.application.extensions["hallq"].db
    with database.writing() as session:
        session.execute(update(User).where(User.username == "clerk2").values(active=False))
        session.execute(update(Device).where(Device.name == "kiosk-2").values(token_hash=None))
    dead = {
        "garbage": "garbage",
        "unknown user token": "hqu_" + "x" * 43,
        "unknown device token": "hqd_" + "x" * 43,
        "disabled user": hall.user_tokens["clerk2"],
        "revoked device": hall.tokens["kiosk-2"],
    }
    if logged_out:
        dead["logged out"] = logged_out
    before = api.ok(api.get("/services", "admin"))
    for label, token in dead.items():
        response = endpoint.call(api, token, ctx)
        assert response.status_code == 401, (label, response.get_data(as_text=True))
        assert_error(response, 401, "bad_token")
    anonymous = endpoint.call(api, None, ctx)
    if endpoint.name == "ticket":
        # Without a token a ticket is read with its status token only; no hint it exists.
        assert_error(anonymous, 404, "unknown_ticket")
    else:
        assert_error(anonymous, 401, "unauthenticated")
    assert api.ok(api.get("/services", "admin")) == before


# --- the window rules ---------------------------------------------------------------------------

WINDOW_MOVES = ["call-next", "recall", "start", "finish", "no-show", "requeue", "pause", "resume"]


def _body(move: str) -> dict[str, Any]:
    if move == "pause":
        return {"json": {"reason": "break"}}
    if move == "transfer":
        return {"json": {"service": "consultation"}}
    return {}


@pytest.mark.parametrize("move", [*WINDOW_MOVES, "transfer", "close"])
def test_a_clerk_acts_only_at_the_window_they_hold(api: Api, move: str) -> None:
    _called(api)
    api.open(2)
    error = assert_error(api.act(1, move, "clerk2", **_body(move)), 403, "not_your_window")
    assert error["details"]["counter"] == 1
    assert "clerk1" in error["message"]
    assert api.counter(1)["current_ticket"] == "A001"
    assert api.counter(1)["state"] == "serving"
    # A clerk who holds no window at all may not act here either, nor take the window.
    assert_error(api.act(1, move, "clerk3", **_body(move)), 403, "not_your_window")
    assert_error(api.post("/counters/1/open", "clerk3"), 409, "window_held")


@pytest.mark.parametrize("move", [*WINDOW_MOVES, "transfer"])
def test_a_counter_agent_acts_only_at_its_own_window(api: Api, move: str) -> None:
    _called(api)
    api.open(2)
    error = assert_error(api.act(1, move, "counter-2", **_body(move)), 403, "wrong_window_device")
    assert error["details"]["counter"] == 1
    assert api.counter(1)["current_ticket"] == "A001"
    assert api.counter(2)["state"] == "open"


@pytest.mark.parametrize("move", [*WINDOW_MOVES, "transfer"])
def test_nothing_happens_at_a_closed_window(api: Api, move: str) -> None:
    api.issue("property-transfer")
    for who in ("counter-1", "clerk1"):
        error = assert_error(api.act(1, move, who, **_body(move)), 409, "window_closed")
        assert error["details"]["counter"] == 1
    assert api.service("property-transfer")["waiting"] == 1
    assert api.counter(1)["state"] == "closed"


def test_the_keypad_acts_for_the_clerk_who_holds_the_window(api: Api, hall) -> None:
    api.open(1)
    ticket = api.issue("property-transfer")
    called = api.call(1, "counter-1")
    assert called["id"] == ticket["id"]
    api.ok(api.act(1, "start", "counter-1"))
    api.ok(api.act(1, "finish", "counter-1"))
    assert api.ticket(ticket["id"])["status"] == "done"
    # But the keypad cannot sign anyone in or out.
    assert_error(api.post("/counters/1/close", "counter-1"), 403, "role_not_allowed")
    assert_error(api.post("/counters/2/open", "counter-2"), 403, "role_not_allowed")


@pytest.mark.parametrize("who", ["supervisor", "admin"])
def test_supervisors_act_at_any_window(api: Api, who: str) -> None:
    _called(api)  # clerk1 holds window 1 with A001 called
    api.issue("property-transfer")
    assert api.act(1, "recall", who).get_json()["call_count"] == 2
    assert api.ok(api.act(1, "start", who))["status"] == "serving"
    assert api.ok(api.act(1, "finish", who))["status"] == "done"
    second = api.call(1, who)
    assert second["number"] == "A002"
    api.ok(api.act(1, "requeue", who))
    api.ok(api.act(1, "pause", who, json={"reason": "meeting"}))
    api.ok(api.act(1, "resume", who))
    # … and close a window a clerk left open.
    closed = api.post("/counters/1/close", who)
    assert closed.status_code == 200
    assert api.counter(1)["state"] == "closed"
    # A closed window still cannot call.
    assert_error(api.act(1, "call-next", who), 409, "window_closed")
