"""``hallq demo``: a whole demo hall on SQLite, for a newcomer to try at any hour.

The demo is a list of parts started in order and stopped in reverse: today the hall
server; the kiosk, display and counter features add their emulated printer, pad and
speaker and their agents as further parts (``DemoPart``), each told the server's URL and
its device's token.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import functools
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from hallq.server import db as dbmod
from hallq.server import device_policy
from hallq.server.admin import devices, users
from hallq.server.admin.halls import load_hall_file
from hallq.server.auth import hash_password
from hallq.server.commands import CommandPath, NoRealtime
from hallq.server.hall_file import load_hall_config, sample_hall_path
from hallq.server.migrate import upgrade
from hallq.server.models import Hall
from hallq.server.queue.events import Actor
from hallq.server.queue.hall import hall_context

DEMO_PASSWORD = "demo1234"
# The demo asks its own parts on this machine: no proxy in between.
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> None:
    """Runs in a part's process before it starts: the kernel kills it when the demo dies, even
    by ``kill -9`` (Linux; elsewhere the demo's own stop is all there is)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the demo died before the prctl took effect
        os.kill(os.getpid(), signal.SIGKILL)


@dataclass
class DemoPart:
    """One process of the demo hall.

    Each part runs in a process group of its own: Ctrl-C in the terminal reaches only the
    demo, which stops the parts itself, in reverse order. Should the demo die without doing
    so, the kernel kills its parts (``PR_SET_PDEATHSIG``), and their children stop with them.
    """

    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    ready_url: str | None = None
    process: subprocess.Popen[bytes] | None = None

    def start(self, log_dir: Path) -> None:
        parent = os.getpid()
        with (log_dir / f"{self.name}.log").open("ab") as log:
            self.process = subprocess.Popen(
                self.argv,
                env={**os.environ, **self.env},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                process_group=0,
                preexec_fn=functools.partial(_die_with_parent, parent),
            )

    def wait_ready(self, timeout: float = 30.0) -> None:
        if self.ready_url is None:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise click.ClickException(f"{self.name} stopped at start; see its log")
            with (
                contextlib.suppress(OSError),
                _NO_PROXY.open(self.ready_url, timeout=1) as response,
            ):
                if response.status == 200:
                    return
            time.sleep(0.2)
        raise click.ClickException(f"{self.name} did not start within {timeout:.0f} s")

    def terminate(self) -> None:
        """SIGTERM, without waiting (``stop`` waits)."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.terminate()

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM to the part; SIGKILL to its whole group if it has not ended in ``timeout``
        seconds, and to whatever of its group outlives it."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._kill_group()
                self.process.wait(5)
        self._kill_group()

    def _kill_group(self) -> None:
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)


@dataclass
class DemoHall:
    data_dir: Path
    host: str
    port: int
    parts: list[DemoPart] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)  # device name -> token
    users: list[tuple[str, str, int | None]] = field(default_factory=list)  # name, role, window
    printer: dict[str, str] = field(default_factory=dict)  # the emulated printer: url, control, out
    announcements: str = ""  # where the announcer keeps what it plays (no sound card)
    pads: dict[int, tuple[str, int]] = field(default_factory=dict)  # window -> pad link, score

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        return {
            "HALLQ_DATA_DIR": str(self.data_dir),
            "HALLQ_DATABASE_URL": "",
            # The tickets' QR codes point at the demo server, unless told otherwise.
            "HALLQ_PUBLIC_URL": os.environ.get("HALLQ_PUBLIC_URL") or self.url,
        }


def prepare(data_dir: Path, *, keep: bool) -> DemoHall:
    """Create the demo database: the sample hall open all day, users, device tokens."""
    if not keep and data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    database = dbmod.Database(dbmod.database_url({"HALLQ_DATA_DIR": str(data_dir)}))
    now = dt.datetime.now(dt.UTC)
    config = load_hall_config(sample_hall_path()).as_demo()
    upgrade(database.engine)
    hall_demo = DemoHall(data_dir=data_dir, host="", port=0)
    commands = CommandPath(database, NoRealtime(), device_policy.follow)
    loaded = commands.run(
        None,
        Actor(hall_id=0, role="cli", source="cli"),
        now,
        lambda session: load_hall_file(
            session, config, demo=True, source="demo", role="cli", origin="cli", now=now
        ),
    )
    with database.reading() as session:
        hall = hall_context(session.get(Hall, loaded.hall.id))
    actor = Actor(hall_id=hall.id, role="cli", source="cli", name="demo")
    password_hash = hash_password(DEMO_PASSWORD)  # one slow hash for every demo account
    accounts = [("admin", "admin", None), ("supervisor", "supervisor", None)]
    accounts += [(f"clerk{c.number}", "clerk", c.number) for c in config.counters]
    for name, role, window in accounts:
        display = f"Clerk {window}" if window else name.title()
        commands.run(
            hall,
            actor,
            now,
            lambda session, name=name, role=role, display=display: users.put_user(
                session,
                actor,
                name,
                role=role,
                password_hash=password_hash,
                display_name=display,
                now=now,
            ),
        )
        hall_demo.users.append((name, role, window))
    for device in sorted(config.devices, key=lambda d: d.name):
        given = commands.run(
            hall,
            actor,
            now,
            lambda session, device=device: devices.give_token(
                session,
                actor,
                device.name,
                kind=device.kind,
                zone=None,
                counter_number=device.counter,
                now=now,
            ),
        )
        hall_demo.tokens[device.name] = given.token
    database.dispose()
    return hall_demo


class _StopRequested(Exception):
    """Ctrl-C, SIGTERM or a closed terminal: stop the demo hall (not an error)."""


def _request_stop(signum: int, _frame: object) -> None:
    raise _StopRequested(signal.Signals(signum).name)


# The signals that stop the demo, all alike: Ctrl-C, `kill`, a closed terminal.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def run_demo(*, host: str, port: int, keep: bool) -> None:
    data_dir = Path(os.environ.get("HALLQ_DATA_DIR") or "./var/demo")
    click.echo(f"Preparing the demo hall in {data_dir} …")
    hall = prepare(data_dir, keep=keep)
    hall.host, hall.port = host, port
    log_dir = data_dir / "logs"
    log_dir.mkdir(exist_ok=True)
    hall.parts.append(
        DemoPart(
            "server",
            [
                sys.executable,
                "-m",
                "hallq.server.cli",
                "serve",
                "--host",
                host,
                "--port",
                str(port),
            ],
            env=hall.env,
            ready_url=f"{hall.url}/healthz",
        )
    )
    hall.parts += kiosk_parts(hall)
    hall.parts += display_parts(hall)
    hall.parts += counter_parts(hall)

    previous: dict[int, Any] = {}
    started: list[DemoPart] = []
    try:
        for sig in STOP_SIGNALS:
            previous[sig] = signal.signal(sig, _request_stop)
        for part in hall.parts:
            started.append(part)  # before it starts: a stop in between still ends it
            part.start(log_dir)
            part.wait_ready()
        _print_welcome(hall, log_dir)
        while True:
            for part in started:
                if part.process is not None and part.process.poll() is not None:
                    raise click.ClickException(
                        f"{part.name} stopped unexpectedly; see {log_dir / (part.name + '.log')}"
                    )
            time.sleep(0.5)
    except _StopRequested:
        pass  # asked to stop: exit status 0
    finally:
        # A second Ctrl-C does not cut the stop short (each part's stop is bounded).
        for sig in STOP_SIGNALS:
            signal.signal(sig, signal.SIG_IGN)
        try:
            # The devices' parts all at once (each takes a moment to close its ports and
            # sockets), then the server last, so none of them sees it go first.
            devices_parts = [part for part in started if part.name != "server"]
            for part in devices_parts:
                part.terminate()
            for part in reversed(started):
                part.stop()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        click.echo("Demo hall stopped.")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _hallq(*args: str) -> list[str]:
    return [sys.executable, "-m", "hallq.server.cli", *args]


def kiosk_parts(hall: DemoHall) -> list[DemoPart]:
    """The kiosk's printer, emulated on a free port, and kiosk-1's agent printing to it."""
    printer_port, control_port = _free_port(), _free_port()
    hall.printer = {
        "url": f"tcp://127.0.0.1:{printer_port}",
        "control": f"http://127.0.0.1:{control_port}",
        "out": str(hall.data_dir / "printer"),
    }
    token = hall.tokens.get("kiosk-1", "")
    return [
        DemoPart(
            "printer",
            _hallq(
                "emulate",
                "printer",
                "--port",
                str(printer_port),
                "--out",
                hall.printer["out"],
                "--control-port",
                str(control_port),
            ),
            env=hall.env,
            ready_url=hall.printer["control"] + "/",
        ),
        DemoPart(
            "kiosk-agent",
            _hallq(
                "kiosk-agent",
                "--server",
                hall.url,
                "--printer",
                hall.printer["url"],
                "--spool",
                str(hall.data_dir / "kiosk-agent"),
            ),
            env={**hall.env, "HALLQ_DEVICE_TOKEN": token},
        ),
    ]


def display_parts(hall: DemoHall) -> list[DemoPart]:
    """The lobby's voice: an announcer for the whole hall (display-lobby's token). With no
    sound card it plays to VLC's null output and keeps each announcement as a WAV."""
    from hallq.drivers.audio import sound_output_present

    argv = _hallq("announcer", "--server", hall.url, "--cache", str(hall.data_dir / "speech"))
    if not sound_output_present():
        hall.announcements = str(hall.data_dir / "announcements")
        argv += ["--keep", hall.announcements]
    token = hall.tokens.get("display-lobby", "")
    return [DemoPart("announcer", argv, env={**hall.env, "HALLQ_DEVICE_TOKEN": token})]


# What each demo window's customers answer on its pad (window 1 the first), 3 s after being
# asked: mostly satisfied, and now and then a 2 or a 1, which opens a follow-up case.
DEMO_SCORES = (5, 4, 5, 3, 5, 2, 4, 5, 1)
DEMO_SCORE_DELAY = 3.0


def counter_parts(hall: DemoHall) -> list[DemoPart]:
    """Each window's rating pad, emulated on a pty (``pads/pad-N``, a link that stays), and
    the window's counter agent on it."""
    pads = hall.data_dir / "pads"
    pads.mkdir(exist_ok=True)
    parts = []
    for name, token in sorted(hall.tokens.items()):
        if not name.startswith("counter-") or not name[8:].isdigit():
            continue
        window = int(name[8:])
        link = pads / f"pad-{window}"
        score = DEMO_SCORES[(window - 1) % len(DEMO_SCORES)]
        hall.pads[window] = (str(link), score)
        parts.append(
            DemoPart(
                f"pad-{window}",
                _hallq(
                    "emulate",
                    "pad",
                    "--link",
                    str(link),
                    "--auto-score",
                    str(score),
                    "--delay",
                    str(DEMO_SCORE_DELAY),
                ),
                env=hall.env,
            )
        )
        parts.append(
            DemoPart(
                f"counter-agent-{window}",
                _hallq("counter-agent", "--server", hall.url, "--pad", str(link)),
                env={**hall.env, "HALLQ_DEVICE_TOKEN": token},
            )
        )
    return parts


def _print_welcome(hall: DemoHall, log_dir: Path) -> None:
    lines = [
        "",
        f"HallQ demo hall is running at {hall.url}/  (Ctrl-C stops everything)",
        "",
        "Screens and documents:",
        f"  Kiosk (paired)          {hall.url}/kiosk#token={hall.tokens.get('kiosk-1', '')}",
        f"  Lobby board (all zones) {hall.url}/display#token={hall.tokens.get('display-lobby', '')}",
        f"  Zone A board            {hall.url}/display#token={hall.tokens.get('display-a', '')}",
        f"  Reception desk          {hall.url}/reception",
        f"  Clerk's counter screen  {hall.url}/counter   (clerk1 at window 1, …)",
        f"  Back office             {hall.url}/office    (supervisor; admin for administration)",
        f"  Hall front page         {hall.url}/",
        f"  API description         {hall.url}/api/openapi.json",
        f"  Health check            {hall.url}/healthz",
        "",
        f"Sign in (POST {hall.url}/api/v1/auth/login) with password {DEMO_PASSWORD!r} as:",
    ]
    lines += [
        f"  {name:12} {role}{f' (window {w})' if w else ''}" for name, role, w in hall.users[:5]
    ]
    if len(hall.users) > 5:
        lines.append(f"  … and clerk1 … clerk{hall.users[-1][2]}, one per window")
    lines += ["", "Device tokens (Authorization: Bearer …):"]
    lines += [f"  {name:12} {token}" for name, token in hall.tokens.items()]
    kiosk = hall.tokens.get("kiosk-1") or next(iter(hall.tokens.values()), "")
    lines += [
        "",
        "Try it:",
        f"  curl -s -X POST {hall.url}/api/v1/tickets -H 'Authorization: Bearer {kiosk}' \\",
        "       -H 'Content-Type: application/json' -d '{\"service\": \"property-transfer\"}'",
        "",
        "",
        f"The kiosk prints to an emulated printer: its tickets are PNGs in {hall.printer.get('out')}",
        f"  out of paper: curl -X POST {hall.printer.get('control')}/state/out   (back: .../state/ok)",
        (
            f"The announcer says every call; no sound card here, so each announcement is a WAV "
            f"in {hall.announcements}"
            if hall.announcements
            else "The announcer says every call on this machine's speakers."
        ),
        (
            f"Each window's rating pad is emulated ({next(iter(hall.pads.values()))[0]} …); "
            f"its customers answer {DEMO_SCORE_DELAY:g} s after a finish, window 1 with "
            f"{hall.pads[min(hall.pads)][1]}, window 6 with a 2 (a follow-up case)."
            if hall.pads
            else ""
        ),
        "",
        f"Logs: {log_dir}",
    ]
    click.echo("\n".join(lines))
