"""Socket.IO against the real server (gunicorn, one gevent worker): join, snapshot, every delta
in ``seq`` order, refusal of a bad token, and a fresh snapshot on ``state.request``."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import socketio

from tests.e2e.conftest import DELTAS, Reply, check_seq_order, prepare_hall

SERVICES = (
    "property-transfer",
    "vehicle-transfer",
    "equity-transfer",
    "consultation",
    "certificate-pickup",
)
ISSUE_THREADS = 4
ISSUES_PER_THREAD = 5


def waiting_of(services: list[dict[str, Any]]) -> dict[str, int]:
    return {s["code"]: s["waiting"] for s in services}


def ok(reply: Reply, status: int = 200) -> dict[str, Any]:
    assert reply.status == status, reply
    return reply.body


def test_display_gets_snapshot_then_every_delta_in_seq_order(
    sqlite_url, start_server, api, hall_socket
) -> None:
    hall = prepare_hall(sqlite_url)
    server = start_server(sqlite_url)
    display = hall_socket(server, hall.tokens["display-a"])

    first = display.wait_for(lambda ev: len(ev) >= 2 and ev[:2], "joined and state")
    assert [name for name, _ in first] == ["joined", "state"], first
    joined, state = first[0][1], first[1][1]
    assert joined["name"] == "display-a" and joined["role"] == "display", joined
    assert joined["zone"] == "A" and joined["protocol"] == 1, joined
    assert isinstance(state["seq"], int), state
    start_seq = state["seq"]
    waiting = waiting_of(state["services"])
    assert set(waiting) == set(SERVICES), waiting

    # 20 tickets from four kiosks pressing at once.
    issued: list[dict[str, Any]] = []
    failures: list[str] = []

    def press(n: int) -> None:
        kiosk = api(server, hall.tokens[f"kiosk-{n % 2 + 1}"])
        for i in range(ISSUES_PER_THREAD):
            service = SERVICES[(n + i) % len(SERVICES)]
            reply = kiosk.post("/api/v1/tickets", {"service": service})
            if reply.status == 201:
                issued.append(reply.body)
            else:
                failures.append(f"{service}: {reply}")

    threads = [threading.Thread(target=press, args=(n,)) for n in range(ISSUE_THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    assert len(issued) == ISSUE_THREADS * ISSUES_PER_THREAD

    # Two windows at work: call, start, finish; call, recall, start, finish; call again.
    called: list[tuple[str, int]] = []
    for window, moves in ((1, ["start", "finish"]), (4, ["recall", "start", "finish"])):
        clerk = api(server, api(server).login(f"clerk{window}"))
        ok(clerk.post(f"/api/v1/counters/{window}/open"))
        ticket = ok(clerk.post(f"/api/v1/counters/{window}/call-next"))
        called.append((ticket["number"], window))
        for move in moves:
            ok(clerk.post(f"/api/v1/counters/{window}/{move}"))
        ticket = ok(clerk.post(f"/api/v1/counters/{window}/call-next"))
        called.append((ticket["number"], window))

    # state.request: a fresh snapshot, sent after every delta before it.
    assert display.call("state.request") == {"ok": True}
    fresh = display.wait_for(
        lambda ev: [d for n, d in ev if n == "state"][1:], "a second state snapshot"
    )[0]

    events = display.snapshot()
    after_fresh = [n for n, d in events if n == "state" and d is fresh]
    assert after_fresh, "the fresh snapshot is missing from the events"
    between = events[2 : next(i for i, (n, d) in enumerate(events) if d is fresh)]
    deltas = [(n, d) for n, d in between if n in DELTAS]
    last_seq = check_seq_order(deltas, start_seq)
    assert fresh["seq"] == last_seq, f"snapshot seq {fresh['seq']}, last delta {last_seq}"
    unexpected = [n for n, _ in between if n not in DELTAS]
    assert not unexpected, f"events other than deltas between the snapshots: {unexpected}"

    # Every issue and every call reached the display.
    seen_issued = sorted(d["ticket"]["number"] for n, d in deltas if n == "ticket.issued")
    assert seen_issued == sorted(t["number"] for t in issued)
    calls = [d for n, d in deltas if n == "ticket.called"]
    assert [(c["number"], c["counter"]) for c in calls if not c["recall"]] == called
    recalls = [c for c in calls if c["recall"]]
    assert len(recalls) == 1 and recalls[0]["call_count"] == 2, recalls
    for call in calls:
        for key in ("number", "counter", "zone", "service", "call_count", "languages"):
            assert key in call, (key, call)
    moved = [(d["ticket"]["number"], d["move"]) for n, d in deltas if n == "ticket.updated"]
    assert {m for _, m in moved} >= {"start", "finish"}, moved
    assert {d["counter"]["number"] for n, d in deltas if n == "counter.updated"} == {1, 4}

    # Folding the queue deltas into the first snapshot gives today's queues.
    for name, data in deltas:
        if name == "queue.updated":
            waiting.update(waiting_of(data["services"]))
    now = waiting_of(ok(api(server, hall.tokens["display-a"]).get("/api/v1/services"))["services"])
    assert waiting == now
    assert waiting_of(fresh["services"]) == now
    assert sum(now.values()) == len(issued) - len(called)


def test_bad_token_is_refused(sqlite_url, start_server, hall_socket) -> None:
    hall = prepare_hall(sqlite_url)
    server = start_server(sqlite_url)
    for token in ("not-a-token", hall.tokens["display-a"] + "x", ""):
        client = hall_socket(server, token, connect=False)
        with pytest.raises(socketio.exceptions.ConnectionError):
            client.connect(timeout=5)
        assert client.connect_errors, "no connect_error for a refused join"
        assert client.events == [], f"a refused client got {client.names()}"
        assert not client.client.connected
    # The same server still lets a good token in.
    good = hall_socket(server, hall.tokens["display-b"])
    good.wait_for(lambda ev: [n for n, _ in ev][:2] == ["joined", "state"], "joined and state")
