"""Loading a hall file (``hallq init``): the hall's zones, services, windows and devices."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from hallq.server.hall_file import HallConfig
from hallq.server.hall_file.loader import load_hall
from hallq.server.models import Hall
from hallq.server.queue import ledger
from hallq.server.queue.events import Actor, DomainEvent, HallChanged


@dataclass
class HallLoaded:
    hall: Hall
    changes: list[str]
    events: list[DomainEvent] = field(default_factory=list)


def load_hall_file(
    session: Session,
    config: HallConfig,
    *,
    demo: bool,
    source: str,
    role: str,
    origin: str,
    now: dt.datetime,
    user_id: int | None = None,
) -> HallLoaded:
    """Create or update the hall from a checked hall file, and log who loaded what.

    ``source`` names the file; ``role``/``origin``/``user_id`` make the log's actor (the
    hall's id is known only once it is loaded)."""
    hall, changes = load_hall(session, config, demo=demo, now=now)
    actor = Actor(hall_id=hall.id, role=role, user_id=user_id, source=origin)
    ledger.append(
        session,
        actor,
        "hall.loaded",
        now,
        file=source,
        demo=demo,
        code=config.code,
        changes=changes,
    )
    return HallLoaded(hall, changes, [HallChanged(hall.id)])
