"""The one path every change takes: the engine in a unit of work, commit, then publish.

REST views, Socket.IO agent messages, the ``hallq`` command and the back office all change
the hall through :meth:`CommandPath.run`. In one transaction it runs the work (an engine
function, which writes its rows and its log entries and returns what happened), then stores
the device commands those events call for (``device_policy.py``) and, when credentials
ended, tells the other server processes so (``NOTIFY`` on PostgreSQL). It commits, then
publishes: the revocation stamp beside a SQLite file, and the realtime messages through the
publisher, which never turns the committed change into an error.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from sqlalchemy.orm import Session

from hallq.server import auth_cache
from hallq.server.db import Database
from hallq.server.queue.events import Actor, CredentialsEnded, DomainEvent
from hallq.server.queue.hall import HallContext

R = TypeVar("R")

Follow = Callable[[Session, HallContext, Actor, list[DomainEvent], dt.datetime], list[DomainEvent]]


class Publishes(Protocol):
    def publish(self, hall: HallContext, events: list[DomainEvent]) -> None: ...


class NoRealtime:
    """Where no hub runs (the ``hallq`` command): screens learn from the server's own
    reads; ended credentials reach the servers through the revocation announcement."""

    def publish(self, hall: HallContext, events: list[DomainEvent]) -> None:
        return None


def events_of(result: Any) -> list[DomainEvent]:
    """What a unit of work reports: a list of events, or a result with ``events``."""
    if result is None:
        return []
    if isinstance(result, list):
        return result
    return list(getattr(result, "events", []))


class CommandPath:
    def __init__(
        self,
        db: Database,
        publisher: Publishes,
        follow: Follow | None = None,
    ) -> None:
        self.db = db
        self.publisher = publisher
        self.follow = follow

    def run(
        self,
        hall: HallContext | None,
        actor: Actor,
        now: dt.datetime,
        work: Callable[[Session], R],
        *,
        one_statement: bool = False,
    ) -> R:
        """Run ``work(session)`` in a unit of work, commit, then publish its events.

        ``hall`` may be None for work that makes the hall (loading a hall file): its events
        are then not published. ``one_statement``: the work writes with a single statement
        (see ``Database.writing``), and no device command may follow from it in another.
        """
        with self.db.writing(one_statement=one_statement) as session:
            result = work(session)
            events = events_of(result)
            if self.follow is not None and hall is not None and events and not one_statement:
                events = events + self.follow(session, hall, actor, events, now)
            ended = any(isinstance(e, CredentialsEnded) for e in events)
            if ended:
                auth_cache.announce_in_transaction(session)
        if ended:
            auth_cache.announce_after_commit(self.db)
        if hall is not None and events:
            self.publisher.publish(hall, events)
        return result
