"""``hallq emulate pad`` as a process of its own, as the demo and a person run it: it says
where it is, answers the host through its link, runs a script, plays a window sign, and stops
cleanly on SIGTERM and SIGINT, taking its link with it."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from hallq.counter.emulate import emulate_pad, parse_step
from hallq.drivers.serial.link import SerialLink
from hallq.drivers.serial.pad import Ack, Key, PadEvent, Score
from hallq.drivers.serial.pad_v1 import PadProtocolV1
from hallq.drivers.serial.sign_v1 import SignProtocolV1
from tests.support.server import ServerProcess, hallq_argv

TIMEOUT = 15.0  # seconds; the machine is shared


class Host:
    """A counter agent's end of the link: events decoded, states in order."""

    def __init__(self, protocol: PadProtocolV1 | SignProtocolV1) -> None:
        self.protocol = protocol
        self.events: list[PadEvent] = []
        self.states: list[bool] = []
        self.changed = threading.Condition()

    def on_data(self, data: bytes) -> None:
        with self.changed:
            self.events += self.protocol.feed(data)
            self.changed.notify_all()

    def on_state(self, is_open: bool, _why: str) -> None:
        with self.changed:
            self.states.append(is_open)
            self.changed.notify_all()

    def wait(self, what: str, predicate: Callable[[], bool]) -> None:
        with self.changed:
            assert self.changed.wait_for(predicate, TIMEOUT), (
                f"no {what}: states {self.states}, events {self.events}"
            )


@pytest.fixture
def emulators(tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    """``emulators(*options)``: a running ``hallq emulate pad`` that has said where it is."""
    started: list[ServerProcess] = []

    def start(*options: str) -> ServerProcess:
        process = ServerProcess(
            hallq_argv("emulate", "pad", *options),
            ready_path=None,
            workdir=tmp_path / f"emulator-{len(started) + 1}",
        )
        started.append(process)
        process.start()
        wait_log(process, "ready: ")
        return process

    yield start
    for process in reversed(started):
        process.stop()


@pytest.fixture
def links() -> Iterator[Callable[[str, Host], SerialLink]]:
    made: list[SerialLink] = []

    def make(path: str, host: Host) -> SerialLink:
        link = SerialLink(path, host.on_data, host.on_state, backoff=(0.05, 0.4))
        made.append(link)
        return link.start()

    yield make
    for link in made:
        link.stop()


def wait_log(process: ServerProcess, text: str) -> str:
    deadline = time.monotonic() + TIMEOUT
    while text not in process.log_text():
        assert process.running(), f"it ended ({process.returncode}):\n{process.log_text()}"
        assert time.monotonic() < deadline, f"no {text!r} in:\n{process.log_text()}"
        time.sleep(0.05)
    return process.log_text()


def stop_with(process: ServerProcess, sig: signal.Signals) -> int:
    """Send ``sig`` to the emulator and return its exit status."""
    assert process.proc is not None
    os.kill(process.proc.pid, sig)
    return process.proc.wait(TIMEOUT)


def test_it_says_where_it_is_and_answers_a_request_with_its_score(
    tmp_path: Path, emulators: Callable[..., ServerProcess], links: Callable[..., SerialLink]
) -> None:
    link_path = tmp_path / "pad-1"
    emulator = emulators("--link", str(link_path), "--auto-score", "5", "--delay", "0.1")
    first = emulator.log_text().splitlines()[0]
    assert first == f"Pad ready: {link_path}"
    assert link_path.is_symlink()

    host = Host(PadProtocolV1())
    link = links(str(link_path), host)
    host.wait("the port open", lambda: host.states == [True])
    assert link.write(host.protocol.request_rating("A023"))
    host.wait("the score", lambda: host.events == [Ack(), Score(5)])
    assert "Rating asked for A023 — answering 5" in wait_log(emulator, "Sent score 5")
    link.stop()

    assert stop_with(emulator, signal.SIGTERM) == 0
    assert not link_path.exists() and not link_path.is_symlink()
    assert "Pad emulator stopped." in emulator.log_text()


def test_without_a_link_it_prints_the_pty(
    emulators: Callable[..., ServerProcess], links: Callable[..., SerialLink]
) -> None:
    emulator = emulators()
    path = emulator.log_text().splitlines()[0].removeprefix("Pad ready: ")
    assert path.startswith("/dev/pts/")
    host = Host(PadProtocolV1())
    link = links(path, host)
    host.wait("the port open", lambda: host.states == [True])
    link.write(host.protocol.show("C017"))
    link.write(host.protocol.request_rating("B002"))
    link.write(host.protocol.cancel())
    host.wait("three acks", lambda: host.events == [Ack(), Ack(), Ack()])
    text = wait_log(emulator, "Rating cancelled")
    assert "Pad shows: C017" in text
    assert "Rating asked for B002 — type 1–5" in text
    assert "Rating cancelled (B002)" in text


def test_a_script_scores_presses_a_key_and_is_unplugged(
    tmp_path: Path, emulators: Callable[..., ServerProcess], links: Callable[..., SerialLink]
) -> None:
    script = tmp_path / "customer.txt"
    script.write_text(
        "# a customer, then the clerk, then a pulled cable\n"
        "wait request 20\n"
        "wait 0.1\n"
        "score 4   # satisfied\n"
        "key NEXT\n"
        # Bytes still in the pty when it closes are lost, as on a cable pulled mid-frame:
        # the host reads them first.
        "wait 0.5\n"
        "unplug\n"
        "wait 0.3\n"
        "plug\n",
        encoding="utf-8",
    )
    link_path = tmp_path / "pad-2"
    emulator = emulators("--link", str(link_path), "--script", str(script), "--address", "2")
    host = Host(PadProtocolV1(address=2))
    link = links(str(link_path), host)
    host.wait("the port open", lambda: host.states == [True])
    link.write(host.protocol.request_rating("A001"))
    host.wait("the score and the key", lambda: host.events == [Ack(), Score(4), Key("NEXT")])
    host.wait("the pad unplugged and back", lambda: host.states == [True, False, True])
    wait_log(emulator, "Script done.")
    link.write(host.protocol.ping())
    host.wait("its ack after replugging", lambda: len(host.events) == 4)

    assert stop_with(emulator, signal.SIGINT) == 0
    assert not link_path.is_symlink()
    log = emulator.log_text()
    assert log.index("Unplugged") < log.index(f"Plugged in: {link_path}")


def test_a_window_sign(
    tmp_path: Path, emulators: Callable[..., ServerProcess], links: Callable[..., SerialLink]
) -> None:
    link_path = tmp_path / "sign-1"
    emulator = emulators("--link", str(link_path), "--sign")
    assert emulator.log_text().splitlines()[0] == f"Sign ready: {link_path}"
    host = Host(SignProtocolV1())
    link = links(str(link_path), host)
    host.wait("the port open", lambda: host.states == [True])
    link.write(host.protocol.show("A023"))
    link.write(host.protocol.show("PAUSED"))
    host.wait("two acks", lambda: host.events == [Ack(), Ack()])
    text = wait_log(emulator, "Sign shows: 暫停服務")
    assert "Sign shows: A023" in text


def test_bad_options_and_scripts_are_refused_before_anything_opens(tmp_path: Path) -> None:
    script = tmp_path / "bad.txt"
    script.write_text("wait 1\nscore\n", encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(emulate_pad, ["--script", str(script)])
    assert result.exit_code == 2
    assert "line 2: 'score' is not a command" in result.output
    result = runner.invoke(emulate_pad, ["--sign", "--auto-score", "5"])
    assert result.exit_code == 2 and "--auto-score is for a pad" in result.output
    result = runner.invoke(emulate_pad, ["--auto-score", "6"])
    assert result.exit_code == 2


@pytest.mark.parametrize(
    ("line", "action", "value"),
    [
        ("4", "score", 4),
        ("n", "key", "NEXT"),
        ("u", "key", "RESUME"),
        ("key recall", "key", "RECALL"),
        ("wait 0.5", "wait", 0.5),
        ("wait request", "wait-request", 60.0),
        ("  unplug  # pulled", "unplug", None),
    ],
)
def test_what_a_line_means(line: str, action: str, value: object) -> None:
    step = parse_step(line)
    assert step is not None and (step.action, step.value) == (action, value)
    assert parse_step("   # nothing") is None
    with pytest.raises(ValueError, match="not a command"):
        parse_step("4", sign=True)
