"""What the server shares for the life of the process: the app state behind every view.

``create_app`` builds one ``HallQ`` and keeps it in ``app.extensions["hallq"]``; views,
pages and the realtime hub reach it through :func:`hallq`. This module imports no
blueprint, so blueprints import it without a cycle back to ``app.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app

from hallq.server import db as dbmod
from hallq.server.auth_cache import CallerCache
from hallq.server.queue.eta import Estimator
from hallq.server.queue.events import HallChanged
from hallq.server.queue.hall import HallContext, load_hall


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class HallQ:
    """What the views share for the life of the process (``app.extensions["hallq"]``)."""

    db: dbmod.Database
    estimator: Estimator
    clock: Callable[[], dt.datetime] = utcnow
    halls: dict[int, tuple[float, HallContext]] = field(default_factory=dict)
    hub: Any = None  # realtime.Hub, set by realtime.init_realtime
    callers: CallerCache | None = None  # who tokens belong to, for a few seconds

    def hall(self, session: Any, hall_id: int) -> HallContext:
        """The hall's context, re-read every 30 s so that `hallq init` reaches a running server.

        (``session`` may be None: one is opened when the context must be read.)
        """
        cached = self.halls.get(hall_id)
        now = self.clock().timestamp()
        if cached is not None and now - cached[0] < 30:
            return cached[1]
        if cached is not None:
            # The requests arriving while this one re-reads keep the current context.
            self.halls[hall_id] = (now, cached[1])
        if session is None:
            with self.db.reading() as fresh:
                hall = load_hall(fresh, hall_id)
        else:
            hall = load_hall(session, hall_id)
        if cached is not None and cached[1].loaded_at == hall.loaded_at:
            return cached[1]  # unchanged: keep it, and what it has remembered (services)
        self.halls[hall_id] = (now, hall)
        if cached is not None and self.hub is not None:
            # `hallq init` reloaded the hall file while we ran: tell the screens.
            self.estimator.invalidate(hall_id)
            self.hub.publish(hall, [HallChanged(hall_id)])
        return hall


def hallq() -> HallQ:
    return current_app.extensions["hallq"]  # type: ignore[no-any-return]
