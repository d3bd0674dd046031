"""The day's tickets that did not print, as the reception desk reads them (SQLite and
PostgreSQL): the latest print job of each ticket still in the queue, when it failed or expired."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from hallq.server.models import DeviceCommand
from hallq.server.queue import device_commands, moves, printing
from tests.engine.test_flows import issue
from tests.support.hall import FakeClock, Hall


def _jobs(hall: Hall) -> dict[int, int]:
    """Each ticket's latest print job."""
    with hall.db.reading() as s:
        rows = s.execute(
            select(DeviceCommand.ticket_id, DeviceCommand.id).order_by(DeviceCommand.id)
        )
        return {ticket: job for ticket, job in rows}


def _answer(hall: Hall, clock: FakeClock, job: int, ok: bool, reason: str | None = None) -> None:
    with hall.db.writing() as s:
        device_commands.answer(s, hall.kiosk(), job, clock(), ok=ok, reason=reason)


def _listed(hall: Hall, clock: FakeClock) -> list[tuple[str, str, str]]:
    with hall.db.reading() as s:
        found = printing.not_printed(s, hall.context, hall.context.business_day(clock()))
    return [(t.number, t.reason, t.kiosk) for t in found]


def test_a_failed_print_is_listed_until_the_ticket_prints_or_leaves(
    hall: Hall, clock: FakeClock
) -> None:
    tickets = [issue(hall, clock).ticket for _ in range(3)]
    jobs = _jobs(hall)
    _answer(hall, clock, jobs[tickets[0].id], False, "paper_out")
    _answer(hall, clock, jobs[tickets[1].id], True)
    _answer(hall, clock, jobs[tickets[2].id], False, "too_old")
    first, third = tickets[0].number, tickets[2].number
    assert _listed(hall, clock) == [(first, "paper_out", "kiosk-1"), (third, "too_old", "kiosk-1")]
    # Printed again, and this time it came out.
    with hall.db.writing() as s:
        printing.reprint(s, hall.context, hall.supervisor(), tickets[0].id, clock())
    assert _listed(hall, clock) == [(third, "too_old", "kiosk-1")]
    _answer(hall, clock, _jobs(hall)[tickets[0].id], True)
    # Cancelled: the customer left, no paper needed.
    with hall.db.writing() as s:
        moves.cancel(s, hall.context, hall.supervisor(), tickets[2].id, clock(), reason="left")
    assert _listed(hall, clock) == []
    # Yesterday's failures are not today's work.
    old = issue(hall, clock).ticket
    _answer(hall, clock, _jobs(hall)[old.id], False, "interrupted")
    assert _listed(hall, clock) == [(old.number, "interrupted", "kiosk-1")]
    clock.advance(dt.timedelta(days=1).total_seconds())
    assert _listed(hall, clock) == []
