"""How an agent ends: a signal sets its stop event (from a thread, so a handler that lands
while the main thread holds the event's lock cannot wait for itself), and its goodbye to the
server is bounded (a server that does not answer cannot hold the agent past its stop)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

from hallq.server.agent_socket import hang_up


class _Client:
    def __init__(self, hangs: float) -> None:
        self.connected = True
        self.hangs = hangs
        self.disconnects = 0
        self.released = threading.Event()

    def disconnect(self) -> None:
        self.disconnects += 1
        self.released.wait(self.hangs)
        self.connected = False


def test_a_goodbye_the_server_does_not_take_is_left_after_the_bound() -> None:
    client = _Client(hangs=30.0)
    started = time.monotonic()
    hang_up(client, within=0.3)  # type: ignore[arg-type]
    took = time.monotonic() - started
    client.released.set()
    assert client.disconnects == 1
    assert 0.3 <= took < 5.0


def test_a_prompt_goodbye_is_waited_for_and_a_closed_client_is_left_alone() -> None:
    client = _Client(hangs=0.0)
    hang_up(client, within=5.0)  # type: ignore[arg-type]
    assert client.disconnects == 1 and client.connected is False
    hang_up(client, within=5.0)  # type: ignore[arg-type]
    assert client.disconnects == 1


def test_sigterm_sets_the_stop_event() -> None:
    code = (
        "import os, signal\n"
        "from hallq.server.stop_signals import stop_on_signals\n"
        "stop = stop_on_signals()\n"
        "os.kill(os.getpid(), signal.SIGTERM)\n"
        "print('stopped' if stop.wait(10) else 'still running')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "stopped"
