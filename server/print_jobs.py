"""A kiosk's print job: everything its ticket's printout needs, so the agent never asks again.

The job is stored with the ticket (``queue/device_commands.py``); its payload is made when it
is sent, because it carries the estimate and the public URL of the customer's page. The
first send, right after the issue, makes it from what the issue just computed; a send after
a reconnect reads the ticket again, so a job printed late shows the queue as it is then.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from hallq.server import wire
from hallq.server.db import Database
from hallq.server.queue import lookups, rules
from hallq.server.queue.eta import Estimator
from hallq.server.queue.events import TicketIssued, TicketState
from hallq.server.queue.hall import HallContext
from hallq.server.queue.issue import position_in_queue
from hallq.server.queue.lookups import ServiceRow


class PrintJobs:
    def __init__(
        self,
        db: Database,
        estimator: Estimator,
        status_url: Callable[[HallContext, str], str],
    ) -> None:
        self.db = db
        self.estimator = estimator
        self.status_url = status_url

    def for_issued(self, hall: HallContext, command_id: int, issued: TicketIssued) -> wire.PrintJob:
        """The job of a ticket just issued (no database read when the service is known)."""
        service = hall.services.get(issued.ticket.service_code)
        if service is None:
            with self.db.reading() as session:
                service = lookups.service_of(session, hall, issued.ticket.service_code)
        return self._job(
            hall, command_id, issued.ticket, service, issued.position, issued.ticket.issued_at
        )

    def from_database(
        self,
        session: Session,
        hall: HallContext,
        command_id: int,
        ticket_id: int | None,
        queued_at: dt.datetime,
    ) -> wire.PrintJob | None:
        """The job as it stands now (after a reconnect, or a reprint); None without a ticket."""
        if ticket_id is None:
            return None
        row = lookups.ticket_row(session, hall.id, ticket_id)
        ticket = lookups.ticket_state_of(row)
        position = None
        if ticket.status == rules.WAITING:
            position = (
                1
                if ticket.target_counter_number is not None
                else position_in_queue(
                    session, ticket.service_id, row.class_rank, ticket.queued_at, ticket.id
                )
            )
        service = lookups.service_by_id(session, ticket.service_id)
        return self._job(hall, command_id, ticket, service, position, queued_at)

    def _job(
        self,
        hall: HallContext,
        command_id: int,
        ticket: TicketState,
        service: ServiceRow,
        position: int | None,
        queued_at: dt.datetime,
    ) -> wire.PrintJob:
        lang = ticket.language
        eta = (
            self.estimator.minutes(hall, ticket.service_id, position)
            if position is not None
            else None
        )
        printed: wire.PrintTicket = {
            "id": ticket.id,
            "number": ticket.number,
            "service": service.code,
            "service_name": _in(service.name, lang),
            "documents": list(service.documents.get(lang, [])),
            "language": lang,
            "priority": ticket.priority,  # type: ignore[typeddict-item]
            "people_ahead": None if position is None else position - 1,
            "eta_minutes": eta,
            # Local time: a ticket tells the customer the hall's own clock.
            "issued_at": hall.local(ticket.issued_at).isoformat(),
            "status_url": self.status_url(hall, ticket.status_token),
            "hall_name": _in(hall.name, lang),
            "footer": _in(hall.kiosk.footer, lang) if hall.kiosk.footer else None,
        }
        return {"id": command_id, "queued_at": queued_at.isoformat(), "ticket": printed}


def _in(names: Any, lang: str) -> str:
    """A name in the ticket's language, or the first one the hall gave."""
    return str(names.get(lang) or next(iter(names.values()), ""))
