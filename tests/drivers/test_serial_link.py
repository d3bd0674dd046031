"""SerialLink against the pad and sign emulators on real ptys: frames both ways, a pad pulled
out and plugged back in without restarting the link, a pad that is not there yet, callbacks
that fail, and pyserial's loop://."""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import serial

from hallq.drivers.serial import link as link_module
from hallq.drivers.serial.codec import Frame, encode
from hallq.drivers.serial.emulator import PAUSED_DISPLAY, PadEmulator, SignEmulator
from hallq.drivers.serial.link import SerialLink
from hallq.drivers.serial.pad import Ack, Key, PadEvent, Score
from hallq.drivers.serial.pad_v1 import PadProtocolV1
from hallq.drivers.serial.sign_v1 import PAUSED, SignProtocolV1

FAST = (0.05, 0.4)  # backoff for the tests: the same doubling, sooner


class Host:
    """What a counter agent does with a link: events from on_data through the protocol, and
    each on_state call with when it came."""

    def __init__(self, protocol: Any = None) -> None:
        self.protocol = protocol or PadProtocolV1()
        self.events: list[PadEvent] = []
        self.states: list[tuple[float, bool, str]] = []
        self.changed = threading.Condition()

    def on_data(self, data: bytes) -> None:
        with self.changed:
            self.events += self.protocol.feed(data)
            self.changed.notify_all()

    def on_state(self, is_open: bool, why: str) -> None:
        with self.changed:
            self.states.append((time.monotonic(), is_open, why))
            self.changed.notify_all()

    def wait(self, what: str, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        with self.changed:
            assert self.changed.wait_for(predicate, timeout), (
                f"no {what} within {timeout} s: states {self.states}, events {self.events}"
            )

    def wait_state(self, is_open: bool, count: int, timeout: float = 5.0) -> tuple[float, str]:
        """The ``count``-th on_state call, which must say ``is_open``."""
        self.wait(f"state #{count}", lambda: len(self.states) >= count, timeout)
        at, state, why = self.states[count - 1]
        assert state is is_open, self.states
        return at, why


@pytest.fixture
def links() -> Iterator[Callable[..., SerialLink]]:
    """``links(url, host, **options)``: a started link, stopped after the test."""
    made: list[SerialLink] = []

    def make(url: str, host: Host, **options: Any) -> SerialLink:
        options.setdefault("backoff", FAST)
        link = SerialLink(url, host.on_data, host.on_state, **options)
        made.append(link)
        return link.start()

    yield make
    for link in made:
        link.stop()


@pytest.fixture
def pad(tmp_path: Path) -> Iterator[PadEmulator]:
    with PadEmulator(link=tmp_path / "pad-1") as emulator:
        yield emulator
    assert not (tmp_path / "pad-1").exists()  # stopping removes the link


def test_a_rating_asked_and_given(pad: PadEmulator, links: Callable[..., SerialLink]) -> None:
    host = Host()
    link = links(pad.path, host)
    host.wait_state(True, 1)
    assert link.is_open
    assert link.write(host.protocol.request_rating("A023"))
    pad.wait_for(lambda p: p.waiting == "A023")
    assert pad.requests == ["A023"]
    pad.press(4)
    host.wait("the score", lambda: Score(4) in host.events)
    assert host.events == [Ack(), Score(4)]  # the pad acked the request first
    assert pad.waiting is None
    pad.key("NEXT")
    link.write(host.protocol.show("C017"))
    link.write(host.protocol.cancel())
    link.write(host.protocol.ping())
    pad.wait_for(lambda p: p.pings == 1)
    host.wait("the acks", lambda: len(host.events) == 6)
    assert host.events[2:] == [Key("NEXT"), Ack(), Ack(), Ack()]
    assert pad.shown == ["C017"] and pad.cancels == 1
    assert pad.decoder.stats.dropped() == 0 and pad.decoder.stats.noise == 0
    assert host.protocol.stats["dropped"] == 0


def test_unplugged_and_plugged_back_without_restarting_the_link(
    pad: PadEmulator, links: Callable[..., SerialLink]
) -> None:
    host = Host()
    link = links(pad.path, host)
    host.wait_state(True, 1)

    unplugged = time.monotonic()
    pad.unplug()
    went, why = host.wait_state(False, 2, timeout=2.0)
    assert went - unplugged < 0.5, f"noticed after {went - unplugged:.3f} s"
    assert "went away" in why
    assert not link.is_open
    assert link.write(host.protocol.ping()) is False  # nothing raises
    assert not Path(pad.path).exists()  # the link went with the device

    time.sleep(0.3)  # a while away: the link retries and fails, quietly
    assert len(host.states) == 2
    plugged = time.monotonic()
    pad.plug()
    back, why = host.wait_state(True, 3)
    assert back - plugged < 1.0  # within the backoff (0.4 s at most here)
    assert why == link.describe()

    assert link.write(host.protocol.request_rating("B007"))
    pad.wait_for(lambda p: p.waiting == "B007")
    pad.press(5)
    host.wait("the score after replugging", lambda: Score(5) in host.events)
    assert len(host.states) == 3


def test_the_default_backoff_finds_a_replugged_pad_in_about_half_a_second(
    pad: PadEmulator, links: Callable[..., SerialLink]
) -> None:
    host = Host()
    links(pad.path, host, backoff=(0.5, 10.0))
    host.wait_state(True, 1)
    pad.unplug()
    host.wait_state(False, 2)
    plugged = time.monotonic()
    pad.plug()
    back, _ = host.wait_state(True, 3)
    assert back - plugged < 1.5


def test_a_pad_plugged_in_after_the_agent_started(
    tmp_path: Path, links: Callable[..., SerialLink]
) -> None:
    host = Host()
    path = tmp_path / "pad-later"
    link = links(str(path), host)
    _, why = host.wait_state(False, 1)
    assert "cannot open" in why and "pad-later" in why
    assert link.write(b"x") is False
    with PadEmulator(link=path, auto_score=3, auto_delay=0.05) as pad:
        host.wait_state(True, 2)  # the same link, opened by itself
        assert link.write(host.protocol.request_rating("C101"))
        host.wait("the automatic score", lambda: Score(3) in host.events)
        assert pad.requests == ["C101"] and pad.waiting is None


def test_exceptions_in_callbacks_do_not_stop_the_reader(
    pad: PadEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    received: list[bytes] = []
    states: list[bool] = []

    def on_data(data: bytes) -> None:
        received.append(data)
        raise RuntimeError("a bug in the agent")

    def on_state(is_open: bool, why: str) -> None:
        states.append(is_open)
        raise RuntimeError("another bug")

    with SerialLink(pad.path, on_data, on_state, backoff=FAST) as link:
        deadline = time.monotonic() + 5
        while not link.is_open and time.monotonic() < deadline:
            time.sleep(0.01)
        for _ in range(3):
            pad.press(1)
        pad.wait_for(lambda p: len(p.sent) == 3)
        deadline = time.monotonic() + 5
        while len(b"".join(received)) < 3 * len(encode(Frame(1, "S", "1"))):
            assert time.monotonic() < deadline, received
            time.sleep(0.01)
        pad.unplug()
        pad.plug()
        deadline = time.monotonic() + 5
        while states != [True, False, True]:
            assert time.monotonic() < deadline, states
            time.sleep(0.01)
    assert "callback failed" in caplog.text


def test_stop_is_quick_safe_twice_and_final(pad: PadEmulator) -> None:
    host = Host()
    link = SerialLink(pad.path, host.on_data, host.on_state).start()
    host.wait_state(True, 1)
    started = time.monotonic()
    link.stop()
    assert time.monotonic() - started < 1.0  # the read is woken, not waited out
    link.stop()
    assert not link.is_open
    assert link.write(b"x") is False
    assert len(host.states) == 1  # stopping is not reported as the device going
    with pytest.raises(RuntimeError, match="stopped"):
        link.start()


def test_loop_url_echoes(links: Callable[..., SerialLink]) -> None:
    host = Host()
    link = links("loop://", host)
    host.wait_state(True, 1)
    assert "loop://" in link.describe()
    # What is written comes back: two acks, as if from a pad at address 1.
    assert link.write(encode(Frame(1, "A")) + encode(Frame(1, "A")))
    host.wait("the echo", lambda: host.events == [Ack(), Ack()])


def test_nothing_is_left_open(tmp_path: Path) -> None:
    before = set(os.listdir("/proc/self/fd"))
    host = Host()
    with (
        PadEmulator(link=tmp_path / "pad") as pad,
        SerialLink(pad.path, host.on_data, host.on_state, backoff=FAST),
    ):
        host.wait_state(True, 1)
        for n in range(3):
            pad.unplug()
            host.wait_state(False, 2 + 2 * n)
            pad.plug()
            host.wait_state(True, 3 + 2 * n)
    assert set(os.listdir("/proc/self/fd")) - before == set()
    assert not (tmp_path / "pad").exists()


def test_an_unknown_url_scheme_is_refused_at_once() -> None:
    with pytest.raises(ValueError, match="pyserial knows no nosuch://"):
        SerialLink("nosuch://x", lambda _: None, lambda *_: None)
    with pytest.raises(ValueError, match="backoff"):
        SerialLink("loop://", lambda _: None, lambda *_: None, backoff=(1.0, 0.5))


def test_retries_double_up_to_the_longest_wait(
    monkeypatch: pytest.MonkeyPatch, links: Callable[..., SerialLink]
) -> None:
    tries: list[float] = []

    def refuse(url: str, **_options: Any) -> Any:
        tries.append(time.monotonic())
        raise serial.SerialException(f"could not open port {url}: no such device")

    monkeypatch.setattr(link_module.serial, "serial_for_url", refuse)
    host = Host()
    links("/dev/ttyNOPE", host, backoff=(0.02, 0.08))
    deadline = time.monotonic() + 5
    while len(tries) < 7:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    gaps = [b - a for a, b in itertools.pairwise(tries)][:6]
    for gap, wanted in zip(gaps, [0.02, 0.04, 0.08, 0.08, 0.08, 0.08], strict=True):
        assert wanted * 0.9 <= gap < wanted + 0.15, gaps
    assert [is_open for _, is_open, _ in host.states] == [False]  # told once, not per try


def test_a_second_link_on_the_same_pad_is_refused(
    pad: PadEmulator, links: Callable[..., SerialLink]
) -> None:
    first, second = Host(), Host()
    links(pad.path, first)
    first.wait_state(True, 1)
    links(pad.path, second)
    _, why = second.wait_state(False, 1)
    assert "lock" in why.lower()  # two agents would each get half of the pad's bytes


def test_a_sign_over_a_link(tmp_path: Path, links: Callable[..., SerialLink]) -> None:
    host = Host(SignProtocolV1())
    with SignEmulator(link=tmp_path / "sign-1") as sign:
        link = links(sign.path, host)
        host.wait_state(True, 1)
        assert sign.display == ""
        link.write(host.protocol.show("A023"))
        sign.wait_for(lambda s: s.display == "A023")
        link.write(host.protocol.show(PAUSED))
        sign.wait_for(lambda s: s.display == PAUSED_DISPLAY)
        host.wait("two acks", lambda: host.events == [Ack(), Ack()])
        assert sign.shown == ["A023", "PAUSED"]
        link.write(encode(Frame(1, "R", "A023")))  # not a sign's: refused with E
        host.wait("an error", lambda: len(host.events) == 3)
        assert host.events[2].detail == "UNKNOWN R"  # type: ignore[union-attr]
