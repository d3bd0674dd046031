"""``hallq emulate pad``: a window's satisfaction pad (or, with ``--sign``, its LED sign) on a
pty, for the demo and for trying the counter agent without hardware.

    hallq emulate pad --link ./var/pad-1                 # then: hallq counter-agent --pad ./var/pad-1 …
    hallq emulate pad --link ./var/pad-1 --auto-score 5  # every rating asked is answered with 5
    hallq emulate pad --link ./var/sign-1 --sign

It prints ``Pad ready: <path>`` (or ``Sign ready: <path>``) first, then what the host asks.
Typed on stdin, one per line: ``1``–``5`` sends that score, ``n``/``r``/``p``/``u`` the keys
NEXT/RECALL/PAUSE/RESUME, and any line of a script (below) does what it says.

A ``--script`` runs once from the start, a command per line (``#`` starts a comment)::

    wait 1.5          # seconds
    wait request      # until a rating is asked (at most 60 s; ``wait request 10``: 10 s)
    score 4
    key NEXT
    unplug            # the pty closes and the link goes, as a pulled USB adapter
    plug              # a new pty, the link pointed at it

Registered as the ``pad`` entry point of ``hallq.emulators`` (pyproject.toml).
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from hallq.drivers.serial.emulator import PAUSED_DISPLAY
from hallq.drivers.serial.sign_v1 import PAUSED
from hallq.server.stop_signals import stop_on_signals

KEYS = {"n": "NEXT", "r": "RECALL", "p": "PAUSE", "u": "RESUME"}
_REQUEST_WAIT = 60.0  # seconds, for a bare "wait request"


@dataclass(frozen=True)
class Step:
    """One line of a script (or of stdin): what to do, with its argument."""

    line: int
    action: str  # wait, wait-request, score, key, unplug, plug
    value: Any = None


def parse_step(text: str, line: int = 0, *, sign: bool = False) -> Step | None:
    """The step a line means, None for a blank line or a comment; ``ValueError`` for a line
    that means nothing (saying what would)."""
    words = text.split("#", 1)[0].split()
    if not words:
        return None
    verb, args = words[0].lower(), words[1:]
    if len(words) == 1 and not sign:
        # The interactive short forms: 1–5, and the keys' letters.
        if verb in {"1", "2", "3", "4", "5"}:
            return Step(line, "score", int(verb))
        if verb in KEYS:
            return Step(line, "key", KEYS[verb])
    try:
        if verb == "wait" and args and args[0].lower() == "request" and len(args) <= 2:
            if sign:
                raise ValueError("a sign is never asked for a rating")
            return Step(line, "wait-request", float(args[1]) if len(args) == 2 else _REQUEST_WAIT)
        if verb == "wait" and len(args) == 1:
            seconds = float(args[0])
            if seconds < 0:
                raise ValueError("a wait is 0 seconds or more")
            return Step(line, "wait", seconds)
        if verb == "score" and len(args) == 1 and not sign:
            return Step(line, "score", int(args[0]))
        if verb == "key" and len(args) == 1 and not sign:
            return Step(line, "key", args[0].upper())
        if verb in {"unplug", "plug"} and not args:
            return Step(line, verb)
    except ValueError as exc:
        raise ValueError(f"line {line}: {text.strip()!r}: {exc}") from None
    known = "wait SECONDS, wait request [SECONDS], score N, key NAME, unplug, plug"
    if sign:
        known = "wait SECONDS, unplug, plug"
    raise ValueError(f"line {line}: {text.strip()!r} is not a command ({known})")


def read_script(path: Path, *, sign: bool) -> list[Step]:
    steps = []
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        step = parse_step(text, number, sign=sign)
        if step is not None:
            steps.append(step)
    return steps


class _Console:
    """What the emulator prints, one line at a time, flushed (a test or a person reads it)."""

    def __init__(self, device: Any, sign: bool) -> None:
        self.device = device
        self.sign = sign
        self._lock = threading.Lock()
        self._received = 0
        self._sent = 0
        self._plugged = True
        self._asked: str | None = None  # the last number asked for, to name it when cancelled

    def say(self, text: str) -> None:
        with self._lock:
            click.echo(text)
            sys.stdout.flush()

    def changed(self) -> None:
        """The emulator's on_change: print what is new since the last call."""
        with self._lock:
            received = self.device.received[self._received :]
            sent = self.device.sent[self._sent :]
            self._received += len(received)
            self._sent += len(sent)
            plugged, was = self.device.plugged, self._plugged
            self._plugged = plugged
        for frame in received:
            line = self._describe_received(frame)
            if line:
                self.say(line)
        for frame in sent:
            if frame.command == "S":
                self.say(f"Sent score {frame.data}")
            elif frame.command == "K":
                self.say(f"Sent key {frame.data}")
        if plugged != was:
            self.say(f"Plugged in: {self.device.path}" if plugged else "Unplugged")

    def _describe_received(self, frame: Any) -> str | None:
        if frame.command == "W":
            if self.sign:
                shown = PAUSED_DISPLAY if frame.data == PAUSED else frame.data
                return f"Sign shows: {shown or '(blank)'}"
            return f"Pad shows: {frame.data or '(blank)'}"
        if frame.command == "P":
            return None  # an agent pings every few seconds: not worth a line each
        if self.sign:
            return f"Unknown command {frame.command} {frame.data}".rstrip()
        if frame.command == "R":
            self._asked = frame.data
            if self.device.auto_score is not None:
                return f"Rating asked for {frame.data} — answering {self.device.auto_score}"
            return f"Rating asked for {frame.data} — type 1–5"
        if frame.command == "C":
            return f"Rating cancelled ({self._asked})" if self._asked else "Rating cancelled"
        return f"Unknown command {frame.command} {frame.data}".rstrip()


def _run_step(device: Any, step: Step, stop: threading.Event, console: _Console) -> None:
    try:
        if step.action == "wait":
            stop.wait(step.value)
        elif step.action == "wait-request":
            device.wait_for(lambda pad: pad.waiting is not None, timeout=step.value)
        elif step.action == "score":
            device.press(step.value)
        elif step.action == "key":
            device.key(step.value)
        elif step.action == "unplug":
            device.unplug()
        elif step.action == "plug":
            device.plug()
    except (TimeoutError, ValueError, RuntimeError, OSError) as exc:
        console.say(f"{step.action} failed: {exc}")


def _run_script(device: Any, steps: list[Step], stop: threading.Event, console: _Console) -> None:
    for step in steps:
        if stop.is_set():
            return
        _run_step(device, step, stop, console)
    console.say("Script done.")


def _read_stdin(device: Any, stop: threading.Event, console: _Console, sign: bool) -> None:
    for text in sys.stdin:
        if stop.is_set():
            return
        try:
            step = parse_step(text, sign=sign)
        except ValueError as exc:
            console.say(str(exc).split(": ", 1)[-1])
            continue
        if step is not None:
            _run_step(device, step, stop, console)


def _stdin_is_ours() -> bool:
    """Read stdin unless it is a terminal this process is in the background of: reading it
    would stop the process (SIGTTIN) in ``hallq emulate pad &``."""
    try:
        fd = sys.stdin.fileno()
    except (AttributeError, ValueError, OSError):
        return False
    if not os.isatty(fd):
        return True  # a pipe or a file: commands from another program (or nothing)
    try:
        return os.tcgetpgrp(fd) == os.getpgrp()
    except OSError:
        return False


def _start_thread(target: Callable[..., None], name: str, *args: Any) -> None:
    threading.Thread(target=target, args=args, name=name, daemon=True).start()


@click.command("pad")
@click.option(
    "--link",
    type=click.Path(dir_okay=False, path_type=Path),
    help="a symlink to the pty, with a name that stays the same (removed on exit)",
)
@click.option(
    "--address", type=click.IntRange(0, 255), default=1, show_default=True, help="the v1 address"
)
@click.option(
    "--auto-score",
    type=click.IntRange(1, 5),
    help="answer every rating asked with this score",
)
@click.option(
    "--delay",
    type=click.FloatRange(min=0),
    default=0.5,
    show_default=True,
    help="seconds before an --auto-score answer",
)
@click.option("--sign", is_flag=True, help="be the window's LED sign instead of its pad")
@click.option(
    "--script",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="a file of commands run once from the start: wait 1.5, wait request, score 4, "
    "key NEXT, unplug, plug",
)
def emulate_pad(
    link: Path | None,
    address: int,
    auto_score: int | None,
    delay: float,
    sign: bool,
    script: Path | None,
) -> None:
    """A counter's satisfaction pad (v1 protocol on a pty): it shows each rating asked for,
    sends the scores and call keys typed, answers the host's frames, and can be unplugged."""
    from hallq.drivers.serial.emulator import PadEmulator, SignEmulator

    if sign and auto_score is not None:
        raise click.UsageError("--auto-score is for a pad: a sign is never asked for a rating")
    try:
        steps = read_script(script, sign=sign) if script is not None else []
    except (ValueError, OSError) as exc:
        raise click.BadParameter(str(exc), param_hint="--script") from None

    device: Any = (
        SignEmulator(link=link, address=address)
        if sign
        else PadEmulator(link=link, address=address, auto_score=auto_score, auto_delay=delay)
    )
    console = _Console(device, sign)
    device.on_change = console.changed
    stop = stop_on_signals()
    try:
        device.start()
    except OSError as exc:
        raise click.ClickException(f"cannot make the pty: {exc}") from None
    try:
        console.say(f"{'Sign' if sign else 'Pad'} ready: {device.path}")
        if not sign:
            hint = f"answering every rating with {auto_score}" if auto_score else "type 1–5"
            click.echo(
                f"  address {address}; {hint}; n/r/p/u: NEXT/RECALL/PAUSE/RESUME; Ctrl-C stops",
                err=True,
            )
        if steps:
            _start_thread(_run_script, "pad-script", device, steps, stop, console)
        if _stdin_is_ours():
            _start_thread(_read_stdin, "pad-stdin", device, stop, console, sign)
        stop.wait()
    finally:
        device.stop()  # closes the pty and removes the link
    click.echo(f"{'Sign' if sign else 'Pad'} emulator stopped.", err=True)
