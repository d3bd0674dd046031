"""Appending to the event log, inside the caller's transaction (never after it)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from hallq.server.queue.events import Actor
from hallq.server.tables import EVENTS

_INSERT = insert(EVENTS)


def append(
    session: Session,
    actor: Actor,
    kind: str,
    at: dt.datetime,
    *,
    ticket_id: int | None = None,
    leg: int | None = None,
    service_id: int | None = None,
    counter_id: int | None = None,
    user_id: int | None = None,
    **payload: Any,
) -> None:
    """One row of the log: what happened, to what, by whom, from which device.

    ``user_id`` overrides the actor's user, for actions a counter's keypad makes on
    behalf of the clerk who holds the window.
    """
    if actor.name is not None:
        payload.setdefault("by", actor.name)
    session.execute(
        _INSERT,
        {
            "hall_id": actor.hall_id,
            "at": at,
            "kind": kind,
            "ticket_id": ticket_id,
            "leg": leg,
            "service_id": service_id,
            "counter_id": counter_id,
            "user_id": user_id if user_id is not None else actor.user_id,
            "device_id": actor.device_id,
            "source": actor.source,
            "payload": payload,
        },
    )
