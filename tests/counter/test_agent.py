"""The counter agent's own logic, in process and without a server: what it makes of the pad's
bytes (noise never breaks it, every bad frame is counted, every good one acted on), of the
server's commands (a request, its timeout, a cancel, an old sign text) and of the keys.

Its messages to the server are read from its outbox; the serial side is fed straight into
``_device_data`` as the reader thread would, in whatever pieces a read returns."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hallq.counter.agent import CounterAgent, Options
from hallq.drivers.serial.codec import ETX, STX, Frame, encode
from hallq.server import wire

PROPERTIES = settings(
    database=None,
    deadline=None,
    max_examples=200,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Written:
    """Stands for a device's SerialLink: keeps what the agent writes."""

    def __init__(self) -> None:
        self.data: list[bytes] = []

    def write(self, data: bytes) -> bool:
        self.data.append(data)
        return True

    def stop(self) -> None:
        pass


@pytest.fixture
def agent() -> Iterator[CounterAgent]:
    made = CounterAgent(
        "http://127.0.0.1:9",
        "hqd_test",
        "loop://",
        sign="loop://",
        options=Options(rating_timeout=30.0),
        clock=Clock(),
    )
    for device in made.devices.values():
        device.link = Written()  # type: ignore[assignment]
        device.present = True
    made.counter_number = 3
    yield made


def run(agent: CounterAgent) -> None:
    """Do what the worker thread would: the tasks waiting, then a pass (no server to flush to)."""
    while not agent._tasks.empty():
        agent._tasks.get_nowait()()
    agent._expire()


def outbox(agent: CounterAgent, event: str | None = None) -> list[dict[str, Any]]:
    return [m.payload for m in agent._outbox if event is None or m.event == event]


def ask(agent: CounterAgent, command_id: int = 11, ticket_id: int = 5, number: str = "A023"):
    agent._rating_request(
        {"id": command_id, "ticket_id": ticket_id, "number": number, "counter": 3}
    )


def score_frame(score: int) -> bytes:
    return encode(Frame(1, "S", str(score)))


def test_a_request_lights_the_pad_and_the_score_is_submitted_with_it(agent) -> None:
    ask(agent)
    assert agent.devices["pad"].link.data == [encode(Frame(1, "R", "A023"))]
    agent._device_data(agent.devices["pad"], score_frame(4))
    run(agent)
    assert outbox(agent) == [{"ticket": 5, "score": 4, "id": 11}]
    # The same request again (a reconnect) does not light the pad twice.
    ask(agent)
    assert len(agent.devices["pad"].link.data) == 1


def test_no_score_in_time_is_not_rated_and_clears_the_pad(agent) -> None:
    ask(agent)
    agent.clock.now += 29.9
    run(agent)
    assert outbox(agent) == []
    agent.clock.now += 0.2
    run(agent)
    assert outbox(agent, wire.COMMAND_ACK) == [{"id": 11, "ok": False, "reason": "not_rated"}]
    assert agent.devices["pad"].link.data[-1] == encode(Frame(1, "C"))
    assert agent.counts["not_rated"] == 1
    # A press just after still goes to the server, which decides (it may refuse it).
    agent._device_data(agent.devices["pad"], score_frame(3))
    run(agent)
    assert outbox(agent, wire.RATING_SUBMIT) == [{"ticket": 5, "score": 3}]


def test_a_score_long_after_or_before_any_request_is_dropped(agent) -> None:
    agent._device_data(agent.devices["pad"], score_frame(5))
    run(agent)
    assert outbox(agent) == [] and agent.counts["unasked"] == 1
    ask(agent)
    agent._device_data(agent.devices["pad"], score_frame(5))
    run(agent)
    agent.clock.now += 3600
    agent._device_data(agent.devices["pad"], score_frame(1))
    run(agent)
    assert outbox(agent, wire.RATING_SUBMIT) == [{"ticket": 5, "score": 5, "id": 11}]
    assert agent.counts["unasked"] == 2


def test_a_cancel_clears_the_pad_and_a_new_request_ends_the_old_one(agent) -> None:
    ask(agent)
    agent._rating_cancel({"id": 12, "ticket_id": 5, "number": "A023", "counter": 3})
    assert agent.devices["pad"].link.data[-1] == encode(Frame(1, "C"))
    assert outbox(agent) == [{"id": 12, "ok": True}]
    ask(agent, command_id=13, ticket_id=6, number="A024")
    ask(agent, command_id=14, ticket_id=7, number="A025")  # no cancel came between
    assert outbox(agent)[1:] == [{"id": 13, "ok": False, "reason": "superseded"}]
    agent.clock.now += 31
    run(agent)  # the one shown now is the one that times out
    assert outbox(agent)[-1] == {"id": 14, "ok": False, "reason": "not_rated"}


def test_an_unplugged_pad_answers_the_request_at_once(agent) -> None:
    agent.devices["pad"].present = False
    ask(agent)
    assert agent.devices["pad"].link.data == []
    assert outbox(agent) == [{"id": 11, "ok": False, "reason": "pad_offline"}]
    assert agent.status()[0] == "pad_offline"


def test_the_sign_shows_only_newer_texts_and_paused(agent) -> None:
    sign = agent.devices["sign"].link
    agent._sign_command({"id": 20, "counter": 3, "state": "open", "ticket": "A023", "text": "A023"})
    agent._sign_command({"id": 19, "counter": 3, "state": "open", "ticket": "A022", "text": "A022"})
    assert sign.data == [encode(Frame(1, "W", "A023"))]
    agent._sign_command({"id": 21, "counter": 3, "state": "paused", "ticket": None, "text": "暫停"})
    assert sign.data[-1] == encode(Frame(1, "W", "PAUSED"))
    assert agent.devices["pad"].link.data[-1] == encode(Frame(1, "W", "PAUSED"))
    assert [m["id"] for m in outbox(agent)] == [20, 19, 21]
    # The sign away: the text is kept, and shown when it comes back.
    agent.devices["sign"].present = False
    agent._sign_command({"id": 22, "counter": 3, "state": "open", "ticket": "B001", "text": "B001"})
    assert outbox(agent)[-1] == {"id": 22, "ok": False, "reason": "sign_offline"}
    agent._device_state(agent.devices["sign"], True, "back")
    run(agent)
    assert sign.data[-1] == encode(Frame(1, "W", "B001"))


def test_malformed_commands_are_ignored(agent) -> None:
    for bad in (None, [], {"id": True, "ticket_id": 1, "number": "A1"}, {"id": 1}):
        agent._rating_request(bad)
        agent._rating_cancel(bad)
        agent._sign_command(bad)
    assert outbox(agent) == [] and agent.devices["pad"].link.data == []


def test_an_unknown_key_does_nothing(agent) -> None:
    agent._device_data(agent.devices["pad"], encode(Frame(1, "K", "LUNCH")))
    run(agent)
    assert agent.counts["unknown_key"] == 1 and agent.counts["key_refused"] == 0


# --- the pad's line: noise, split frames, bad checksums -------------------------------------

# Bytes that are never a frame's start or end: noise whose every byte is counted as noise.
plain_noise = st.binary(max_size=40).map(lambda b: bytes(c for c in b if c not in (STX, ETX)))


def bad_checksum(score: int) -> bytes:
    good = bytearray(score_frame(score))
    good[-2] = ord("0") if good[-2] != ord("0") else ord("1")
    return bytes(good)


@st.composite
def pad_line(draw: Any) -> tuple[bytes, list[int], int, int]:
    """A pad line: good scores, bad-checksum frames and noise in any order, as bytes; with the
    good scores in order, the number of bad frames and of noise bytes."""
    stream, scores, bad, noise = b"", [], 0, 0
    for _ in range(draw(st.integers(0, 12))):
        kind = draw(st.sampled_from(["good", "bad", "noise"]))
        if kind == "good":
            score = draw(st.integers(1, 5))
            scores.append(score)
            stream += score_frame(score)
        elif kind == "bad":
            bad += 1
            stream += bad_checksum(draw(st.integers(1, 5)))
        else:
            chunk = draw(plain_noise)
            noise += len(chunk)
            stream += chunk
    return stream, scores, bad, noise


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]


@PROPERTIES
@given(line=pad_line(), cuts=st.lists(st.integers(0, 10_000), max_size=12))
def test_every_good_score_is_taken_and_every_bad_frame_counted(line, cuts) -> None:
    stream, scores, bad, noise = line
    agent = CounterAgent("http://127.0.0.1:9", "t", "loop://", clock=Clock())
    pad = agent.devices["pad"]
    pad.link, pad.present = Written(), True  # type: ignore[assignment]
    taken: list[int] = []
    agent._score = taken.append  # type: ignore[method-assign]
    for piece in split(stream, cuts):
        agent._device_data(pad, piece)
    run(agent)
    assert taken == scores
    stats = pad.protocol.stats
    assert stats["frames"] == len(scores)
    assert stats["bad_checksum"] == bad
    assert stats["noise"] == noise
    assert stats["dropped"] == bad


@PROPERTIES
@given(soup=st.binary(max_size=400), cuts=st.lists(st.integers(0, 10_000), max_size=20))
def test_any_bytes_at_all_never_break_the_agent(soup, cuts) -> None:
    agent = CounterAgent("http://127.0.0.1:9", "t", "loop://", clock=Clock())
    pad = agent.devices["pad"]
    pad.link, pad.present = Written(), True  # type: ignore[assignment]
    agent._rating_request({"id": 1, "ticket_id": 9, "number": "A001", "counter": 3})
    for piece in split(soup + score_frame(2), cuts):
        agent._device_data(pad, piece)  # raises nothing
    run(agent)
    # Whatever came before, the good frame at the end is read (its STX ends any frame under
    # way), and at most one score (the first) answers the request.
    submitted = outbox(agent, wire.RATING_SUBMIT)
    assert submitted and submitted[0]["ticket"] == 9
    assert submitted[-1]["score"] == 2
    assert agent.counts["scores"] >= 1


def test_the_command_refuses_an_unknown_protocol_by_name() -> None:
    from click.testing import CliRunner

    from hallq.counter.cli import counter_agent

    result = CliRunner().invoke(
        counter_agent,
        ["--server", "http://127.0.0.1:9", "--token", "t", "--pad", "loop://", "--protocol", "v9"],
    )
    assert result.exit_code == 1
    assert "v9" in result.output and "v1" in result.output  # the names there are
