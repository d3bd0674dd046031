"""What clients may send over Socket.IO: the contract's agent messages, checked against their
shapes; anything else, however it is framed, gets the contract's refusal and no traceback."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from flask import Flask

from hallq.server import wire
from tests.realtime.conftest import connect, events
from tests.support.hall import Hall


def _refusal(reply: Any, code: str) -> dict[str, Any]:
    assert isinstance(reply, dict) and set(reply) == {"error"}, reply
    error = reply["error"]
    assert error["code"] == code, reply
    assert isinstance(error["message"], str) and error["message"].strip()
    return error


@pytest.fixture
def quiet(caplog: pytest.LogCaptureFixture) -> Any:
    """Fails the test if anything was logged as an error (a traceback)."""
    caplog.set_level(logging.WARNING)
    yield
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [r.getMessage() for r in errors]


BAD = [
    (wire.DEVICE_STATUS, None),
    (wire.DEVICE_STATUS, "paper_out"),
    (wire.DEVICE_STATUS, {}),
    (wire.DEVICE_STATUS, {"status": ""}),
    (wire.DEVICE_STATUS, {"status": "x" * 41}),
    (wire.DEVICE_STATUS, {"status": "ok", "extra": 1}),
    (wire.DEVICE_STATUS, {"status": 5}),
    (wire.COMMAND_ACK, None),
    (wire.COMMAND_ACK, {"id": "7"}),
    (wire.COMMAND_ACK, {"id": True}),
    (wire.COMMAND_ACK, {"id": 0}),
    (wire.COMMAND_ACK, {"id": 1, "ok": "yes"}),
    (wire.COMMAND_ACK, [1, 2]),
    (wire.DEVICE_STATUS, {"status": "paper\x00out"}),
    (wire.COMMAND_ACK, {"id": 1, "ok": False, "reason": "jam\x00"}),
]


@pytest.mark.parametrize(("event", "data"), BAD)
def test_malformed_agent_messages_are_refused(
    app: Flask, hall: Hall, quiet: Any, event: str, data: Any
) -> None:
    pad = connect(app, hall.tokens["counter-1"])
    args = () if data is None else (data,)
    reply = pad.emit(event, *args, namespace=wire.NAMESPACE, callback=True)
    _refusal(reply, "invalid_message")
    assert pad.is_connected(wire.NAMESPACE)  # a bad message does not cost the connection


@pytest.mark.parametrize(
    "data",
    [
        {"ticket": "A001", "score": True},  # a boolean is not a score
        {"ticket": "A001", "score": 0},
        {"ticket": "A001", "score": 6},
        {"ticket": "A001", "score": 4.0},
        {"ticket": "A001", "score": "5"},
        {"ticket": True, "score": 5},
        {"ticket": "A", "score": 5},
        {"score": 5},
        {"ticket": "A001"},
        {"ticket": "A0\x0001", "score": 5},
    ],
)
def test_a_rating_is_a_whole_number_from_1_to_5(
    app: Flask, hall: Hall, quiet: Any, data: dict[str, Any]
) -> None:
    pad = connect(app, hall.tokens["counter-1"])
    reply = pad.emit(wire.RATING_SUBMIT, data, namespace=wire.NAMESPACE, callback=True)
    error = _refusal(reply, "invalid_message")
    assert error["problems"]


@pytest.mark.parametrize(
    "event", ["message", "print.job", "ticket.called", "state", "hall.error", "joined", "x" * 300]
)
def test_events_clients_may_not_send(app: Flask, hall: Hall, quiet: Any, event: str) -> None:
    display = connect(app, hall.tokens["display-a"])
    reply = display.emit(
        event, {"token": hall.tokens["kiosk-1"]}, namespace=wire.NAMESPACE, callback=True
    )
    _refusal(reply, "unknown_event")
    assert display.is_connected(wire.NAMESPACE)


def test_a_client_cannot_connect_again_under_another_token(
    app: Flask, hall: Hall, quiet: Any
) -> None:
    """A message named "connect" is not Socket.IO's connect: it cannot swap the caller."""
    display = connect(app, hall.tokens["display-a"])
    events(display)
    reply = display.emit(
        "connect", {"token": hall.tokens["kiosk-1"]}, namespace=wire.NAMESPACE, callback=True
    )
    _refusal(reply, "unknown_event")
    assert events(display) == []  # no second join, no snapshot
    # Still the display: a kiosk's message is refused to it.
    refused = display.emit(
        wire.PRINT_RESULT, {"id": 1, "ok": True}, namespace=wire.NAMESPACE, callback=True
    )
    _refusal(refused, "not_for_this_client")


def test_a_message_named_disconnect_does_not_disconnect(app: Flask, hall: Hall, quiet: Any) -> None:
    display = connect(app, hall.tokens["display-a"])
    reply = display.emit("disconnect", "bye", namespace=wire.NAMESPACE, callback=True)
    _refusal(reply, "unknown_event")
    assert display.is_connected(wire.NAMESPACE)
    ok = display.emit(wire.STATE_REQUEST, namespace=wire.NAMESPACE, callback=True)
    assert ok == {"ok": True}


def test_state_request_takes_no_argument_or_an_empty_object(
    app: Flask, hall: Hall, quiet: Any
) -> None:
    display = connect(app, hall.tokens["display-a"])
    assert display.emit(wire.STATE_REQUEST, namespace=wire.NAMESPACE, callback=True) == {"ok": True}
    assert display.emit(wire.STATE_REQUEST, {}, namespace=wire.NAMESPACE, callback=True) == {
        "ok": True
    }
    _refusal(
        display.emit(wire.STATE_REQUEST, {"x": 1}, namespace=wire.NAMESPACE, callback=True),
        "invalid_message",
    )


def test_refusals_follow_the_clients_language(app: Flask, hall: Hall) -> None:
    socketio = app.extensions["socketio"]
    english = socketio.test_client(
        app,
        namespace=wire.NAMESPACE,
        auth={"token": hall.tokens["counter-1"]},
        query_string="lang=en",
    )
    reply = english.emit(
        wire.RATING_SUBMIT, {"ticket": "A001", "score": 3}, namespace=wire.NAMESPACE, callback=True
    )
    error = _refusal(reply, "unknown_ticket")
    assert "A001" in error["message"] and error["message"].isascii()
    chinese = connect(app, hall.tokens["counter-1"])
    reply = chinese.emit(
        wire.RATING_SUBMIT, {"ticket": "A001", "score": 3}, namespace=wire.NAMESPACE, callback=True
    )
    assert not _refusal(reply, "unknown_ticket")["message"].isascii()


def test_agent_messages_are_stated_in_the_wire_contract() -> None:
    assert set(wire.AGENT_MESSAGES) == set(wire.CLIENT_EVENTS)
    assert not set(wire.CLIENT_EVENTS) & set(wire.RESERVED_EVENTS)
    server_to_client = {*wire.DELTAS, *wire.DEVICE_COMMANDS, wire.STATE, wire.JOINED}
    assert not set(wire.CLIENT_EVENTS) & server_to_client
