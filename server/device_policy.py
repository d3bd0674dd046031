"""What the hall's devices must be told because of a change, stored in the same unit of work.

The command path (``commands.py``) calls :func:`follow` with a unit of work's events before it
commits, so a command exists exactly when its change does:

- a ticket finished at a window: its counter agent asks the customer for a rating
  (``rating.request``);
- the window calls its next ticket: a rating request still open there is cancelled
  (``rating.cancel``), the chance to rate ended with the call;
- a window changed (a call, a pause, closing): its sign's new text (``sign.text``), which
  supersedes any text the sign has not shown yet.

A kiosk's print job is stored by the issue itself (``queue/issue_record.py``), in the one
statement that makes the ticket.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from hallq.server import catalogs, wire
from hallq.server.queue import device_commands, lookups
from hallq.server.queue.errors import N_
from hallq.server.queue.events import (
    Actor,
    CounterState,
    CounterUpdated,
    DomainEvent,
    TicketCalled,
    TicketUpdated,
)
from hallq.server.queue.hall import HallContext
from hallq.server.queue.reads import counter_payload

PAUSED_TEXT = N_("Service paused")


def follow(
    session: Session,
    hall: HallContext,
    actor: Actor,
    events: list[DomainEvent],
    now: dt.datetime,
) -> list[DomainEvent]:
    windows = {e.counter.number: e.counter for e in events if isinstance(e, CounterUpdated)}
    agents: dict[int, list[int]] = {}

    def agents_of(counter_id: int) -> list[int]:
        if counter_id not in agents:
            agents[counter_id] = device_commands.window_agents(session, counter_id)
        return agents[counter_id]

    def window(number: int) -> CounterState:
        if number not in windows:
            windows[number] = lookups.counter_state(
                lookups.counter_by_number(session, hall.id, number), None
            )
        return windows[number]

    queued: list[DomainEvent] = []
    for event in events:
        if isinstance(event, TicketCalled) and not event.recall:
            counter = window(event.counter_number)
            devices = agents_of(counter.id)
            if not devices:
                continue
            # By device: the pending commands' index is by device.
            for row in device_commands.end_pending(
                session,
                actor,
                now,
                device_commands.CANCELLED,
                kind=wire.RATING_REQUEST,
                device_ids=devices,
                counter_id=counter.id,
                outcome={"reason": "next_called"},
            ):
                cancel = {
                    "ticket_id": row.ticket_id,
                    "number": row.payload.get("number", ""),
                    "counter": counter.number,
                }
                queued.append(
                    device_commands.store(
                        session,
                        hall,
                        device_id=row.device_id,
                        kind=wire.RATING_CANCEL,
                        now=now,
                        ticket_id=row.ticket_id,
                        counter_id=counter.id,
                        payload=cancel,
                    )
                )
        elif isinstance(event, TicketUpdated) and event.move == "finish":
            number = event.ticket.counter_number
            if number is None:
                continue
            counter = window(number)
            request = {
                "ticket_id": event.ticket.id,
                "number": event.ticket.number,
                "counter": counter.number,
                "service": event.ticket.service_code,
                "clerk": counter.clerk_name,
            }
            for device_id in agents_of(counter.id):
                queued.append(
                    device_commands.store(
                        session,
                        hall,
                        device_id=device_id,
                        kind=wire.RATING_REQUEST,
                        now=now,
                        ticket_id=event.ticket.id,
                        counter_id=counter.id,
                        payload=request,
                    )
                )
    for event in events:
        if isinstance(event, CounterUpdated):
            devices = agents_of(event.counter.id)
            if not devices:
                continue
            # Only the newest text matters: one the sign has not shown yet is dropped.
            device_commands.end_pending(
                session,
                actor,
                now,
                device_commands.SUPERSEDED,
                kind=wire.SIGN_TEXT,
                device_ids=devices,
                log=False,
            )
            text = sign_text(hall, event.counter)
            for device_id in devices:
                queued.append(
                    device_commands.store(
                        session,
                        hall,
                        device_id=device_id,
                        kind=wire.SIGN_TEXT,
                        now=now,
                        counter_id=event.counter.id,
                        payload=text,
                    )
                )
    return queued


def sign_text(hall: HallContext, counter: CounterState) -> dict[str, Any]:
    """What the window's sign shows: the ticket at the window, or "service paused"."""
    shown = counter_payload(counter)
    if shown["state"] == "paused":
        text = catalogs.gettext(hall.default_language, PAUSED_TEXT)
    else:
        text = shown["current_ticket"] or ""
    return {
        "counter": counter.number,
        "state": shown["state"],
        "ticket": shown["current_ticket"],
        "text": text,
    }
