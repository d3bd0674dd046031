"""Appointments: staff book them; the customer checks in at the kiosk with the booking code."""

from __future__ import annotations

from typing import Any

from flask_openapi3 import APIBlueprint, Tag

from hallq.server.api.context import STAFF, caller, change, hall, requires
from hallq.server.api.schemas import (
    ERRORS,
    BookIn,
    BookingOut,
    BookingPath,
    BookingsOut,
    CheckedInOut,
    CheckInIn,
    DayQuery,
)
from hallq.server.api.tickets import issued_out
from hallq.server.queue import appointments
from hallq.server.state import hallq

tag = Tag(name="appointments", description="Bookings, and checking in with a booking code")
bp = APIBlueprint(
    "appointments",
    __name__,
    abp_tags=[tag],
    abp_security=[{"bearer": []}],
    abp_responses=ERRORS,
)


@bp.post(
    "/appointments",
    summary="Book a customer for a service at a time",
    description="Answers the booking code the customer types at the kiosk. The phone number "
    "is kept, and shown masked on every screen and answer.",
    responses={201: BookingOut},
)
@requires(*STAFF)
def book(body: BookIn) -> Any:
    now = hallq().clock()
    booked = change(
        lambda session: appointments.book(
            session,
            hall(),
            caller().actor,
            service_code=body.service,
            at=body.at,
            name=body.name,
            reference=body.reference,
            phone=body.phone,
            now=now,
        )
    )
    return booked.booking.payload(), 201


@bp.get(
    "/appointments",
    summary="A day's bookings (default today, in the hall's time zone)",
    responses={200: BookingsOut},
)
@requires(*STAFF)
def day_list(query: DayQuery) -> Any:
    state = hallq()
    day = query.day or hall().business_day(state.clock())
    with state.db.reading() as session:
        bookings = appointments.day_list(session, hall(), day)
    return {"appointments": [b.payload() for b in bookings]}


@bp.post(
    "/appointments/check-in",
    summary="Check in with a booking code: an appointment ticket",
    description="Accepted from `[appointments] check_in_before` minutes before the booked time "
    "until `check_in_after` minutes after it, once; refused outside with the reason and the "
    "times. From a kiosk the ticket is printed there.",
    responses={201: CheckedInOut},
)
@requires("kiosk", *STAFF)
def check_in(body: CheckInIn) -> Any:
    now = hallq().clock()
    done = change(
        lambda session: appointments.check_in(
            session, hall(), caller().actor, body.code.strip(), now, language=body.language
        )
    )
    out = issued_out(done.issued)
    out["appointment"] = done.booking.payload()
    return out, 201


@bp.post(
    "/appointments/<code>/cancel",
    summary="Cancel a booking that has not checked in",
    responses={200: BookingOut},
)
@requires(*STAFF)
def cancel(path: BookingPath) -> Any:
    now = hallq().clock()
    done = change(
        lambda session: appointments.cancel(session, hall(), caller().actor, path.code, now)
    )
    return done.booking.payload()
