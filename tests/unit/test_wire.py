"""The wire contract is stated once (``server/wire.py``): the browser client and the API's
schemas are checked against it here; the payloads the hub sends, in tests/realtime."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hallq.server import wire
from hallq.server.api import schemas

CLIENT_JS = Path(__file__).parents[2] / "server" / "static" / "js" / "hallq-client.js"


def _js() -> str:
    return CLIENT_JS.read_text()


def test_the_browser_client_listens_to_every_delta_and_only_to_them() -> None:
    source = _js()
    lists = re.findall(r"\[((?:\s*\"[a-z._]+\",?)+)\s*\]\s*\.forEach", source)
    assert len(lists) == 2, "the client's lists of deltas and addressed events moved"
    deltas, addressed = (re.findall(r'"([a-z._]+)"', found) for found in lists)
    assert tuple(deltas) == wire.DELTAS
    assert set(addressed) == {
        wire.DEVICE_UPDATED,
        wire.PRINT_OUTCOME,
        wire.RATING_STORED,
        wire.RATING_ENDED,
        wire.FOLLOW_UP_UPDATED,
    }


def test_every_event_name_the_browser_client_uses_is_in_the_contract() -> None:
    source = _js()
    on = set(re.findall(r'socket\.on\("([^"]+)"', source))
    emitted = set(re.findall(r'socket\.emit\("([^"]+)"', source))
    socket_io_own = {"connect_error", "disconnect", "connect"}
    server_to_client = {
        wire.JOINED,
        wire.STATE,
        wire.SESSION_ENDED,
        wire.DEVICE_UPDATED,
        wire.PRINT_OUTCOME,
        wire.RATING_STORED,
        wire.RATING_ENDED,
        wire.FOLLOW_UP_UPDATED,
        *wire.DELTAS,
    }
    assert on - socket_io_own <= server_to_client, on
    assert emitted <= set(wire.CLIENT_EVENTS), emitted
    assert f'"{wire.NAMESPACE}"' in source


@pytest.mark.parametrize(
    ("model", "shape"),
    [
        (schemas.TicketOut, wire.TicketPayload),
        (schemas.CounterOut, wire.CounterPayload),
        (schemas.ServiceOut, wire.ServiceQueuePayload),
        (schemas.StateOut, wire.StatePayload),
        (schemas.ErrorOut, wire.Refusal),
    ],
)
def test_the_api_answers_carry_the_wire_shapes(model, shape) -> None:
    fields = set(model.model_fields)
    assert set(shape.__annotations__) <= fields
    for key in shape.__required_keys__:
        assert model.model_fields[key].is_required(), key


def test_agent_messages_are_checked_strictly() -> None:
    assert wire.validate(wire.COMMAND_ACK, {"id": 3}) == {"id": 3}
    assert wire.validate(wire.STATE_REQUEST, None) == {}
    for event, bad in [
        (wire.COMMAND_ACK, {"id": True}),
        (wire.RATING_SUBMIT, {"ticket": 5, "score": True}),
        (wire.RATING_SUBMIT, {"ticket": 5, "score": 5, "extra": 1}),
        (wire.PRINT_RESULT, {"id": 1}),
        ("print.job", {"id": 1}),
    ]:
        with pytest.raises(wire.BadMessage) as refused:
            wire.validate(event, bad)
        assert refused.value.problems


def test_the_error_shape() -> None:
    assert wire.error("bad_token", "…") == {"error": {"code": "bad_token", "message": "…"}}
