"""Slow work that releases the GIL (argon2 password checks, ~0.2 s each) run off the event
loop, so that a flood of sign-ins cannot stall the hall.

Under gunicorn's gevent worker every request is a greenlet on one loop: argon2 run there
would stop every other request while it hashes (measured: GET p90 ~800 ms under a 4-thread
sign-in flood). A small pool of real threads does the hashing while the loop goes on; the
pool is small on purpose, so sign-ins queue for it rather than take every core. In the
threading mode (tests, ``--dev``) each request already has its thread: a semaphore bounds
how many hash at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

THREADS = 1  # argon2 uses about one core per check; the other one serves the hall


class Offload:
    def __init__(self, async_mode: str, threads: int = THREADS) -> None:
        self._gevent = async_mode == "gevent"
        self._threads = threads
        self._pool: Any = None
        self._slots = threading.BoundedSemaphore(threads)

    def __call__(self, fn: Callable[..., T], *args: Any) -> T:
        if self._gevent:
            if self._pool is None:  # made in the worker, after gevent's patching
                from gevent.threadpool import ThreadPool

                self._pool = ThreadPool(self._threads)
            return self._pool.apply(fn, args)  # type: ignore[no-any-return]
        with self._slots:
            return fn(*args)
