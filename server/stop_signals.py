"""How the long-running commands (agents, emulators) end: Ctrl-C, SIGTERM from a service
manager and a closed terminal all set one event, and the command stops its parts in order."""

from __future__ import annotations

import signal
import threading
from typing import Any


def stop_on_signals() -> threading.Event:
    """An event set by SIGINT, SIGTERM or SIGHUP.

    The handler sets it from a thread of its own: a handler runs on the main thread between
    two of its steps, maybe while that thread holds the event's lock (entering ``wait``), and
    setting it there would wait for itself forever."""
    stop = threading.Event()

    def _handler(_signum: int, _frame: Any) -> None:
        threading.Thread(target=stop.set, name="stop-signal", daemon=True).start()

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _handler)
    return stop
