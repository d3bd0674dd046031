"""Lobby notices: a line of text a supervisor sets for the boards of one zone, or of the whole
hall ("Counter 3 closes at 16:00", "請帶備身份證"). One per zone and one hall-wide; setting
an empty text clears it. Every change goes to every board as the hall's whole list."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from hallq.server import wire
from hallq.server.models import Notice, Zone
from hallq.server.queue import ledger
from hallq.server.queue.errors import N_, Forbidden, Invalid, NotFound
from hallq.server.queue.events import Actor, DomainEvent, NoticeChanged
from hallq.server.queue.hall import HallContext

MAX_LENGTH = 500  # characters per language: a line that scrolls, not a page
HALL_WIDE = ""  # the zone of a notice for every board


@dataclass
class NoticesSet:
    notices: list[wire.NoticePayload]
    events: list[DomainEvent] = field(default_factory=list)


def notices(session: Session, hall_id: int) -> list[wire.NoticePayload]:
    """The hall's notices, the hall-wide one first, then by zone."""
    rows = session.scalars(
        select(Notice).where(Notice.hall_id == hall_id).order_by(Notice.zone)
    ).all()
    return [
        {"zone": row.zone or None, "text": dict(row.text), "set_at": row.set_at.isoformat()}
        for row in rows
    ]


def set_notice(
    session: Session,
    hall: HallContext,
    actor: Actor,
    zone: str | None,
    text: dict[str, str],
    now: dt.datetime,
) -> NoticesSet:
    """Set (or, with no text in any language, clear) the notice of ``zone`` (None: the hall)."""
    if not actor.oversees:
        raise Forbidden("supervisors_only", N_("Only a supervisor sets the lobby notice."))
    unknown = sorted(set(text) - set(hall.languages))
    if unknown:
        raise Invalid(
            "unknown_language",
            N_("The hall does not use %(languages)s; it uses %(known)s."),
            languages=", ".join(unknown),
            known=", ".join(hall.languages),
        )
    cleaned = {lang: " ".join(words.split()) for lang, words in text.items()}
    cleaned = {lang: words for lang, words in cleaned.items() if words}
    too_long = [lang for lang, words in cleaned.items() if len(words) > MAX_LENGTH]
    if too_long:
        raise Invalid(
            "notice_too_long",
            N_("A notice is at most %(limit)s characters in each language."),
            limit=MAX_LENGTH,
        )
    key = HALL_WIDE
    if zone is not None:
        found = session.scalar(select(Zone.code).where(Zone.hall_id == hall.id, Zone.code == zone))
        if found is None:
            raise NotFound("unknown_zone", N_("There is no zone %(zone)s."), zone=zone)
        key = found
    if cleaned:
        values = {
            "hall_id": hall.id,
            "zone": key,
            "text": cleaned,
            "set_by": actor.user_id,
            "set_at": now,
        }
        # One statement, so two supervisors setting the same zone at once cannot collide.
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        statement = insert(Notice).values(**values)
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["hall_id", "zone"],
                set_={name: statement.excluded[name] for name in ("text", "set_by", "set_at")},
            )
        )
        ledger.append(session, actor, "notice.set", now, zone=zone, text=cleaned)
    else:
        session.execute(delete(Notice).where(Notice.hall_id == hall.id, Notice.zone == key))
        ledger.append(session, actor, "notice.cleared", now, zone=zone)
    listed = notices(session, hall.id)
    return NoticesSet(listed, [NoticeChanged(tuple(listed))])
