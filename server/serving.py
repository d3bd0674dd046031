"""Production serving: gunicorn with one gevent worker (measured best on these machines).

One worker, because the realtime hub keeps its clients in the worker's memory; a hall
that needs more runs several servers with HALLQ_REDIS_URL set and sticky sessions.
"""

from __future__ import annotations

import contextlib
import ctypes
import signal
from typing import Any

from gunicorn.app.base import BaseApplication

PR_SET_PDEATHSIG = 1
# Settings that older gunicorn versions do not know (gunicorn 27 added the control socket).
NEWER_SETTINGS = frozenset({"control_socket_disable"})


def _die_with_arbiter(server: Any, worker: Any) -> None:
    # A kill -9 of the arbiter would otherwise leave the worker alive, holding the port
    # and the database: ask the kernel to kill the worker with its parent.
    with contextlib.suppress(OSError):  # not Linux: nothing to ask for
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class HallServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in NEWER_SETTINGS and key not in self.cfg.settings:
                continue  # an older gunicorn, without that feature
            self.cfg.set(key, value)

    def load(self) -> Any:
        # Imported here, in the worker, after gevent has patched the standard library.
        from hallq.server.app import create_app

        return create_app({"HALLQ_ASYNC_MODE": "gevent"})


def run_gunicorn(host: str, port: int) -> None:
    HallServer(
        {
            "bind": f"{host}:{port}",
            "workers": 1,
            "worker_class": "gevent",
            "worker_connections": 2000,
            "timeout": 60,
            # Screens hold their websockets open for ever: waiting longer only delays a restart.
            "graceful_timeout": 3,
            "keepalive": 30,
            "post_fork": _die_with_arbiter,
            "accesslog": None,
            "errorlog": "-",
            "loglevel": "info",
            "proc_name": "hallq",
            # gunicorn's control socket is one path per user (~/.gunicorn/gunicorn.ctl): a
            # second server on the machine would take it over. HallQ does not use it.
            "control_socket_disable": True,
        }
    ).run()
