"""Ratings, as the window's counter agent reports them from the pad."""

from __future__ import annotations

from typing import Any

from flask_openapi3 import APIBlueprint, Tag
from sqlalchemy.orm import Session

from hallq.server.api.context import caller, change, hall, requires
from hallq.server.api.schemas import ERRORS, RatingIn, RatingOut
from hallq.server.queue.ratings import Rated, find_ticket_id, rate_from_pad
from hallq.server.state import hallq

tag = Tag(name="ratings", description="Satisfaction ratings from the pads at the windows")
bp = APIBlueprint(
    "ratings", __name__, abp_tags=[tag], abp_security=[{"bearer": []}], abp_responses=ERRORS
)


@bp.post(
    "/ratings",
    summary="Store a rating of the window's current (or just finished) ticket",
    description="A score of 2 or 1 opens a follow-up that a supervisor closes with a note.",
    responses={201: RatingOut},
)
@requires("counter")
def store_rating(body: RatingIn) -> Any:
    now = hallq().clock()

    def work(session: Session) -> Rated:
        ticket_id = find_ticket_id(session, hall().id, body.ticket, hall().business_day(now))
        return rate_from_pad(session, hall(), caller().actor, ticket_id, body.score, now)

    stored = change(work).stored
    return {
        "id": stored.rating_id,
        "ticket": stored.number,
        "counter": stored.counter_number,
        "score": stored.score,
        "follow_up": stored.follow_up_id,
    }, 201
