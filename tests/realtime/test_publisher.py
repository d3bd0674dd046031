"""Publishing never turns a committed change into an error: with the message bus down or a
figures read failing, the change is answered and stored, and its messages follow in order."""

from __future__ import annotations

import time
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.exc import OperationalError

from hallq.server import publisher as publisher_module
from hallq.server import wire
from hallq.server.queue import reads
from tests.realtime.conftest import connect, events
from tests.support.hall import Hall


class FlakySeq:
    """The hall's delta counter behind a bus that can be switched off."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.down = False
        self.refused = 0

    def next(self, hall_id: int) -> int:
        if self.down:
            self.refused += 1
            raise ConnectionError("the message bus is down")
        return self.inner.next(hall_id)

    def current(self, hall_id: int) -> int:
        return self.inner.current(hall_id)


def _issue(app: Flask, hall: Hall, service: str = "consultation") -> Any:
    return app.test_client().post(
        "/api/v1/tickets",
        json={"service": service},
        headers={"Authorization": f"Bearer {hall.tokens['kiosk-1']}"},
    )


def _wait(predicate: Any, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_bus_that_is_down_fails_no_issue_and_the_deltas_follow_in_order(
    app: Flask, hall: Hall
) -> None:
    state = app.extensions["hallq"]
    flaky = FlakySeq(state.hub.seq)
    state.hub.seq = flaky
    display = connect(app, hall.tokens["display-a"])
    base = events(display)[-1][1]["seq"]

    flaky.down = True
    numbers = []
    for _ in range(3):
        reply = _issue(app, hall)
        assert reply.status_code == 201  # answered, though nothing could be published
        numbers.append(reply.get_json()["number"])
    assert state.publisher.pending >= 1
    assert events(display) == []  # nothing yet
    # Stored all the same.
    status = app.test_client().get(
        f"/api/v1/tickets/{reply.get_json()['id']}",
        headers={"Authorization": f"Bearer {hall.tokens['kiosk-1']}"},
    )
    assert status.status_code == 200 and status.get_json()["number"] == numbers[-1]

    flaky.down = False  # the bus is back: the relay sends what waited, in order
    _wait(lambda: state.publisher.pending == 0)
    later = _issue(app, hall).get_json()["number"]
    received = events(display)
    issued = [d["ticket"]["number"] for n, d in received if n == wire.TICKET_ISSUED]
    assert issued == [*numbers, later]
    seqs = [d["seq"] for _, d in received]
    assert seqs == list(range(base + 1, base + 1 + len(seqs)))  # no gap, in order
    assert flaky.refused >= 1


def test_a_failing_figures_read_answers_the_call_and_the_figures_follow(
    app: Flask, hall: Hall, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = app.extensions["hallq"]
    display = connect(app, hall.tokens["display-a"])
    events(display)
    real = reads.services_payload
    failures = {"left": 2}

    def failing(*args: Any, **kwargs: Any) -> Any:
        if failures["left"]:
            failures["left"] -= 1
            raise OperationalError("SELECT …", {}, RuntimeError("the database hiccuped"))
        return real(*args, **kwargs)

    monkeypatch.setattr(reads, "services_payload", failing)
    reply = _issue(app, hall)
    assert reply.status_code == 201
    _wait(lambda: state.publisher.pending == 0)
    names = [n for n, _ in events(display)]
    assert names == [wire.TICKET_ISSUED, wire.QUEUE_UPDATED]  # the fact at once, figures later


def test_too_long_an_outage_makes_the_clients_resync(
    app: Flask, hall: Hall, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(publisher_module, "MAX_PENDING", 2)
    state = app.extensions["hallq"]
    flaky = FlakySeq(state.hub.seq)
    state.hub.seq = flaky
    display = connect(app, hall.tokens["display-a"])
    base = events(display)[-1][1]["seq"]
    flaky.down = True
    for _ in range(4):
        assert _issue(app, hall).status_code == 201
    flaky.down = False
    _wait(lambda: state.publisher.pending == 0)
    seqs = [d["seq"] for _, d in events(display)]
    # Some deltas were dropped: the numbers skip, so every client sees the gap and asks for
    # a snapshot, which has the true state.
    assert seqs and seqs[0] > base + 1
    assert seqs == sorted(seqs)


def test_a_message_that_cannot_be_made_is_skipped_and_blocks_nothing(
    app: Flask, hall: Hall, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A bug in one message (not a passing outage) is logged and skipped; the messages after
    it still go out, and the hall's seq skips a number so every client reloads the state."""
    display = connect(app, hall.tokens["display-a"])
    base = events(display)[-1][1]["seq"]
    real = reads.services_payload
    broken = {"left": 1}

    def buggy(*args: Any, **kwargs: Any) -> Any:
        if broken["left"]:
            broken["left"] -= 1
            raise KeyError("a bug")
        return real(*args, **kwargs)

    monkeypatch.setattr(reads, "services_payload", buggy)
    assert _issue(app, hall).status_code == 201
    assert _issue(app, hall).status_code == 201
    state = app.extensions["hallq"]
    assert state.publisher.pending == 0
    received = events(display)
    names = [n for n, _ in received]
    assert names == [wire.TICKET_ISSUED, wire.TICKET_ISSUED, wire.QUEUE_UPDATED]
    seqs = [d["seq"] for _, d in received]
    assert seqs[0] == base + 1 and seqs[1] == base + 3  # the gap: clients resync
    assert "could not be sent" in caplog.text
