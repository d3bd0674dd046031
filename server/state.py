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
from sqlalchemy import select

from hallq.server import db as dbmod
from hallq.server import device_policy
from hallq.server.auth_cache import CallerCache
from hallq.server.commands import CommandPath
from hallq.server.models import Counter
from hallq.server.print_jobs import PrintJobs
from hallq.server.queue import device_commands
from hallq.server.queue.eta import Estimator
from hallq.server.queue.events import Actor, DomainEvent, HallChanged, SettingsChanged
from hallq.server.queue.hall import HallContext, load_hall


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


SERVER_ROLE = "server"  # the log's actor for what the server does by itself (expiry)


@dataclass
class HallQ:
    """What the views share for the life of the process (``app.extensions["hallq"]``)."""

    db: dbmod.Database
    estimator: Estimator
    clock: Callable[[], dt.datetime] = utcnow
    halls: dict[int, tuple[float, HallContext]] = field(default_factory=dict)
    callers: CallerCache | None = None  # who tokens belong to, for a few seconds
    # HALLQ_PUBLIC_URL: where customers' phones reach the server (overrides the hall file's).
    public_url: str | None = None
    offload: Callable[..., Any] = field(default=lambda fn, *args: fn(*args))
    # Set by realtime.init_realtime: the hub, its publisher and the open sockets.
    hub: Any = None
    publisher: Any = None
    sessions: Any = None
    commands: CommandPath = field(init=False)
    print_jobs: PrintJobs = field(init=False)

    def __post_init__(self) -> None:
        self.commands = CommandPath(self.db, self, device_policy.follow)
        self.print_jobs = PrintJobs(self.db, self.estimator, self.status_url)

    def publish(self, hall: HallContext, events: list[DomainEvent]) -> None:
        """The command path's publisher: the realtime hub's, once it is set up.

        A change of the hall's configuration (``HallChanged``, ``SettingsChanged``) is told with
        the hall as it is now: the context the change ran with is the one from before it."""
        if any(isinstance(event, HallChanged | SettingsChanged) for event in events):
            hall = self._reload_hall(hall.id)
        self._send(hall, events)

    def _send(self, hall: HallContext, events: list[DomainEvent]) -> None:
        if self.publisher is not None:
            self.publisher.publish(hall, events)

    def _reload_hall(self, hall_id: int) -> HallContext:
        """Forget the hall's context this process keeps (its services' settings, its
        estimates) and read it again: its configuration changed here."""
        self.halls.pop(hall_id, None)
        self.estimator.invalidate(hall_id)
        return self.hall(None, hall_id)

    def status_url(self, hall: HallContext, token: str) -> str:
        """The customer's page of a ticket (its QR code): from HALLQ_PUBLIC_URL or the hall
        file's public URL, never from the request's Host header (anyone can send one). With
        neither set it is a path on this server (``hallq check`` and ``serve`` warn)."""
        base = self.public_url or hall.public_url or ""
        return f"{base.rstrip('/')}/t/{token}"

    def windows_held(self, user_id: int | None) -> list[int]:
        """The windows a user holds now (a clerk holds one at most)."""
        if user_id is None:
            return []
        with self.db.reading() as session:
            return list(
                session.scalars(
                    select(Counter.number).where(
                        Counter.clerk_id == user_id, Counter.state != "closed"
                    )
                )
            )

    def expire_commands(self) -> int:
        """Device commands past their age end, each with a log entry (see device_commands)."""
        now = self.clock()

        def actor(hall_id: int) -> Actor:
            return Actor(hall_id=hall_id, role=SERVER_ROLE, source=SERVER_ROLE)

        return self.commands.run(
            None,
            Actor(hall_id=0, role=SERVER_ROLE, source=SERVER_ROLE),
            now,
            lambda session: device_commands.expire_due(session, actor, now),
        )

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
        if cached is not None:
            # `hallq init` reloaded the hall file while we ran: tell the screens.
            self.estimator.invalidate(hall_id)
            self._send(hall, [HallChanged(hall_id)])
        return hall


def hallq() -> HallQ:
    return current_app.extensions["hallq"]  # type: ignore[no-any-return]
