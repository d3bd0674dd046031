"""Two server processes of one hall (one PostgreSQL database, one Redis): a screen connected
to either sees what the other did, with one ``seq`` for the whole hall."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import DELTAS, Reply, check_seq_order, login_token, prepare_hall


def ok(reply: Reply, status: int = 200) -> dict[str, Any]:
    assert reply.status == status, reply
    return reply.body


def test_two_servers_share_realtime_through_redis(
    pg_url, redis_url, redis_prefix, start_server, api, hall_socket, tmp_path
) -> None:
    hall = prepare_hall(pg_url)
    home = tmp_path / "home"
    home.mkdir()
    env = {"HALLQ_REDIS_URL": redis_url, "HALLQ_REDIS_PREFIX": redis_prefix, "HOME": str(home)}
    server_a = start_server(pg_url, env)
    server_b = start_server(pg_url, env)
    assert server_a.pid != server_b.pid and server_a.port != server_b.port
    # Nothing per user that two servers would fight over (gunicorn's control socket).
    assert list(home.iterdir()) == [], list(home.rglob("*"))

    on_b = hall_socket(server_b, hall.tokens["display-b"])
    on_a = hall_socket(server_a, hall.tokens["display-a"])
    states = []
    for client in (on_b, on_a):
        first = client.wait_for(lambda ev: len(ev) >= 2 and ev[:2], "joined and state")
        assert [name for name, _ in first] == ["joined", "state"], first
        states.append(first[1][1]["seq"])
    assert states[0] == states[1], f"two servers, two seqs at join: {states}"
    start_seq = states[0]

    kiosk_a = api(server_a, hall.tokens["kiosk-1"])
    kiosk_b = api(server_b, hall.tokens["kiosk-2"])
    # One request at a time, alternating servers: the hall's seq must run across both.
    by_server: dict[str, list[str]] = {"A": [], "B": []}
    for i, (name, kiosk) in enumerate([("A", kiosk_a), ("B", kiosk_b)] * 3):
        service = ("vehicle-transfer", "equity-transfer")[i % 2]
        ticket = ok(kiosk.post("/api/v1/tickets", {"service": service}), 201)
        by_server[name].append(ticket["number"])
    clerk_token = login_token(pg_url, "clerk4")
    clerk_a = api(server_a, clerk_token)
    ok(clerk_a.post("/api/v1/counters/4/open"))
    called_a = ok(clerk_a.post("/api/v1/counters/4/call-next"))["number"]
    clerk_b = api(server_b, clerk_token)  # one login, valid on both servers
    ok(clerk_b.post("/api/v1/counters/4/start"))
    ok(clerk_b.post("/api/v1/counters/4/finish"))
    called_b = ok(clerk_b.post("/api/v1/counters/4/call-next"))["number"]

    # A fresh snapshot on B marks the end: it comes after every delta sent before it.
    assert on_b.call("state.request") == {"ok": True}
    fresh = on_b.wait_for(lambda ev: [d for n, d in ev if n == "state"][1:], "fresh state")[0]
    deltas_b = [(n, d) for n, d in on_b.snapshot() if n in DELTAS]
    last = check_seq_order(deltas_b, start_seq)
    assert fresh["seq"] == last, (fresh["seq"], last)

    # B's screen got what A did, in the order it happened, numbered in one sequence.
    issued = [(d["ticket"]["number"], d["seq"]) for n, d in deltas_b if n == "ticket.issued"]
    in_order = [num for pair in zip(by_server["A"], by_server["B"], strict=True) for num in pair]
    assert [num for num, _ in issued] == in_order, (issued, by_server)
    seqs = [seq for _, seq in issued]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), issued
    calls = [(d["number"], d["counter"]) for n, d in deltas_b if n == "ticket.called"]
    assert calls == [(called_a, 4), (called_b, 4)], calls

    # A's screen saw the very same deltas with the very same seq: one hall, one numbering.
    on_a.wait_for(
        lambda ev: any(n in DELTAS and d.get("seq") == last for n, d in ev),
        f"seq {last} on server A",
    )
    deltas_a = [(n, d["seq"]) for n, d in on_a.snapshot() if n in DELTAS]
    assert deltas_a == [(n, d["seq"]) for n, d in deltas_b]
