"""The hall's queue rules as pure functions: states, moves, call order, the green channel's
fairness bound, a reinstated no-show's place, estimated wait.

Nothing here touches a database, so every rule is tested on plain values.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hallq.server.queue.errors import N_, STATUS_TERMS, Conflict

WAITING, CALLED, SERVING, DONE, NO_SHOW, CANCELLED = (
    "waiting",
    "called",
    "serving",
    "done",
    "no_show",
    "cancelled",
)
STATUSES = (WAITING, CALLED, SERVING, DONE, NO_SHOW, CANCELLED)
# No move leaves these, except "reinstate": a no-show brought back within the hall's grace time.
FINAL_STATUSES = frozenset({DONE, NO_SHOW, CANCELLED})
# A ticket in one of these is "at the window": it is the counter's current ticket.
AT_WINDOW = frozenset({CALLED, SERVING})

# Priority classes, in the order they are called. The green channel (urgent or
# vulnerable customers) goes before booked appointments, which go before walk-ins.
PRIORITY, APPOINTMENT, NORMAL = "priority", "appointment", "normal"
PRIORITY_CLASSES = (PRIORITY, APPOINTMENT, NORMAL)
CLASS_RANK = {name: rank for rank, name in enumerate(PRIORITY_CLASSES)}
LOWEST_RANK = len(PRIORITY_CLASSES) - 1

# The design's state machine, and nothing else: move -> (states it starts from, state it ends in).
MOVES: dict[str, tuple[frozenset[str], str]] = {
    "call": (frozenset({WAITING}), CALLED),
    "recall": (frozenset({CALLED}), CALLED),
    "start": (frozenset({CALLED}), SERVING),
    "finish": (frozenset({SERVING}), DONE),
    "no_show": (frozenset({CALLED, SERVING}), NO_SHOW),
    "requeue": (frozenset({CALLED}), WAITING),
    "transfer": (frozenset({CALLED, SERVING}), WAITING),
    "cancel": (frozenset({WAITING}), CANCELLED),
    # A customer marked no-show came back: a new leg, a few places from the head.
    "reinstate": (frozenset({NO_SHOW}), WAITING),
}

# Why a move is refused, per move: said to the clerk in their language.
_REFUSALS = {
    "call": N_("Ticket %(number)s is %(status)s, not waiting: it cannot be called."),
    "recall": N_("Ticket %(number)s is %(status)s: only a called ticket can be recalled."),
    "start": N_("Ticket %(number)s is %(status)s: service starts only after a call."),
    "finish": N_("Ticket %(number)s is %(status)s: only a ticket being served can be finished."),
    "no_show": N_(
        "Ticket %(number)s is %(status)s: only a called or served ticket can be a no-show."
    ),
    "requeue": N_(
        "Ticket %(number)s is %(status)s: only a called ticket can go back to the queue."
    ),
    "transfer": N_(
        "Ticket %(number)s is %(status)s: only a called or served ticket can be transferred."
    ),
    "cancel": N_("Ticket %(number)s is %(status)s: only a waiting ticket can be cancelled."),
    "reinstate": N_("Ticket %(number)s is %(status)s: only a no-show can be brought back."),
}


def check_move(move: str, status: str, number: str) -> str:
    """The state a ticket ends in after ``move``, or a refusal saying why not."""
    sources, target = MOVES[move]
    if status not in sources:
        raise Conflict(
            "illegal_move",
            _REFUSALS[move],
            number=number,
            status=STATUS_TERMS.get(status, status),
            state=status,
            move=move,
        )
    return target


def format_number(prefix: str, seq: int) -> str:
    """``A001``…``A999``, then ``A1000``: at least three digits, never truncated."""
    if seq < 1:
        raise ValueError("ticket sequence numbers start at 1")
    return f"{prefix}{seq:03d}"


# --- call order -------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """The head of one queue a counter may call from."""

    ticket_id: int
    number: str
    service_code: str
    priority: str
    queued_at: dt.datetime
    issued_at: dt.datetime
    transferred_here: bool  # transferred to this very counter
    tier: int  # 1 = the counter's first tier
    weight: float  # the service's weight within that tier
    target_wait: int  # minutes

    def waited_seconds(self, now: dt.datetime) -> float:
        return max((now - self.queued_at).total_seconds(), 0.0)

    def overdue(self, now: dt.datetime) -> bool:
        """Waited longer than its service's target wait (the profile's weight aside)."""
        return self.waited_seconds(now) > self.target_wait * 60.0

    def wait_ratio(self, now: dt.datetime) -> float:
        """How far into its target wait this ticket is, scaled by the profile's weight."""
        return self.weight * self.waited_seconds(now) / (self.target_wait * 60.0)

    def order_key(self, now: dt.datetime) -> tuple[Any, ...]:
        # The design's order: transferred here first, then priority class, then tier,
        # then the largest wait relative to target, then issue time (id breaks exact ties).
        return (
            0 if self.transferred_here else 1,
            CLASS_RANK[self.priority],
            self.tier,
            -self.wait_ratio(now),
            self.issued_at,
            self.ticket_id,
        )


ORDER_RULES = ("transferred_here", "priority", "tier", "wait_ratio", "issued_at", "ticket_id")


def explain(
    chosen: Candidate,
    now: dt.datetime,
    decided_by: str,
    *,
    candidates: int = 1,
    runner_up: Candidate | None = None,
) -> dict[str, Any]:
    """What is kept on a call: why this ticket, and how it stood."""
    return {
        "decided_by": decided_by,
        "transferred_here": chosen.transferred_here,
        "priority": chosen.priority,
        "tier": chosen.tier,
        "weight": chosen.weight,
        "waited_minutes": round(chosen.waited_seconds(now) / 60, 1),
        "target_wait": chosen.target_wait,
        "wait_ratio": round(chosen.wait_ratio(now), 3),
        "candidates": candidates,
        "runner_up": None
        if runner_up is None
        else {
            "number": runner_up.number,
            "service": runner_up.service_code,
            "priority": runner_up.priority,
            "tier": runner_up.tier,
            "wait_ratio": round(runner_up.wait_ratio(now), 3),
        },
    }


def choose(candidates: Sequence[Candidate], now: dt.datetime) -> tuple[Candidate, dict[str, Any]]:
    """The ticket to call among queue heads, and the explanation kept on the call."""
    if not candidates:
        raise ValueError("nothing to choose from")
    ranked = sorted(candidates, key=lambda c: c.order_key(now))
    chosen = ranked[0]
    decided_by = "only_candidate"
    runner_up = None
    if len(ranked) > 1:
        runner_up = ranked[1]
        mine, theirs = chosen.order_key(now), runner_up.order_key(now)
        decided_by = next(
            (rule for rule, a, b in zip(ORDER_RULES, mine, theirs, strict=True) if a != b),
            "ticket_id",
        )
    return chosen, explain(chosen, now, decided_by, candidates=len(candidates), runner_up=runner_up)


# --- the green channel's fairness bound ------------------------------------------------------


def fairness_may_apply(chosen: Candidate, streak: int, limit: int) -> bool:
    """Whether the fairness bound may overrule this choice: the design's order picked a
    green-channel ticket (not one sent to this very window: that rule comes first) and the
    window has already called ``limit`` of them in a row. Only then need a window look
    behind the green-channel heads of its queues."""
    return chosen.priority == PRIORITY and not chosen.transferred_here and streak >= limit


def fairness_bound(
    chosen: Candidate,
    explanation: dict[str, Any],
    candidates: Sequence[Candidate],
    now: dt.datetime,
    *,
    streak: int,
    limit: int,
) -> tuple[Candidate, dict[str, Any]]:
    """At most ``limit`` green-channel tickets in a row at a window while others wait past
    their target: past it, the best overdue ticket of another class (in the design's order
    among them) is called instead. ``streak`` is the window's green-channel calls in a row;
    ``candidates`` are the heads the window may call, those of every class included.
    Returns ``(chosen, explanation)`` unchanged when the bound does not apply."""
    if not fairness_may_apply(chosen, streak, limit):
        return chosen, explanation
    overdue = [
        c
        for c in candidates
        if c.priority != PRIORITY and not c.transferred_here and c.overdue(now)
    ]
    if not overdue:
        return chosen, explanation
    instead, why = choose(overdue, now)
    why.update(
        decided_by="fairness_bound",
        candidates=len({c.ticket_id for c in candidates}),
        priority_streak=streak,
        max_priority_in_a_row=limit,
        passed_over={
            "number": chosen.number,
            "service": chosen.service_code,
            "priority": chosen.priority,
        },
    )
    return instead, why


# --- a reinstated no-show's place -------------------------------------------------------------

# The finest step of a stored time on both databases (PostgreSQL and SQLite keep microseconds).
TICK = dt.timedelta(microseconds=1)


@dataclass(frozen=True)
class Placement:
    queued_at: dt.datetime  # the new leg's queue time, which sets its place
    ahead: int  # tickets of its service queue called before it


def _between(
    ticket_id: int,
    before: tuple[dt.datetime, int] | None,
    after: tuple[dt.datetime, int],
) -> dt.datetime | None:
    """A queue time that puts ``ticket_id`` strictly after ``before`` (queued_at, id) and
    strictly before ``after``, or None when ties leave no room between them."""
    if before is None:
        return after[0] if ticket_id < after[1] else after[0] - TICK
    for queued_at in (before[0] + TICK, before[0]):
        if before < (queued_at, ticket_id) < after:
            return queued_at
    return None


def reinstate_placement(
    *,
    ticket_id: int,
    higher: int,
    same_class: Sequence[tuple[dt.datetime, int]],
    places: int,
    now: dt.datetime,
) -> Placement:
    """Where a reinstated ticket rejoins its service queue.

    The queue's call order is (class rank, queued_at, id); the ticket keeps its id and class,
    so only its queued_at is chosen. ``higher`` is how many waiting tickets of a higher class
    the queue holds (always ahead of it), ``same_class`` the waiting tickets of its own class as
    (queued_at, id) in call order. It gets exactly ``places`` tickets ahead of it, but never
    goes ahead of a higher class, and goes last in its class when fewer wait. Where equal queue
    times leave no room at that place (the ids decide between equal times, and the ticket's id
    is fixed), it goes to the nearest place behind it.
    """
    queue = sorted(same_class)
    start = min(max(places - higher, 0), len(queue))
    for k in range(start, len(queue)):
        queued_at = _between(ticket_id, queue[k - 1] if k else None, queue[k])
        if queued_at is not None:
            return Placement(queued_at, higher + k)
    # Last of its class: queued now, like a new ticket, unless that is not after the last one.
    queued_at = now
    if queue and (queued_at, ticket_id) <= queue[-1]:
        last_at, last_id = queue[-1]
        queued_at = last_at if ticket_id > last_id else last_at + TICK
    return Placement(queued_at, higher + len(queue))


# --- estimated wait ------------------------------------------------------------------------


def windows_for_estimate(open_windows: int, serving_windows: int) -> int:
    """The windows an estimate divides by: those open for the service; before any is (a
    fresh hall before the first clerk signs in, or all paused), those whose profile serves
    it, as a hall staffs its windows. 0 only when no window serves it at all."""
    return open_windows if open_windows > 0 else serving_windows


def estimated_wait_minutes(
    position: int, mean_service_minutes: float, counters_open: int
) -> int | None:
    """The design's estimate: position × recent mean service time ÷ counters for it
    (``windows_for_estimate``).

    ``None`` when no counter is there for the service: any number would be a guess.
    """
    if counters_open <= 0:
        return None
    if position <= 0:
        return 0
    return math.ceil(position * mean_service_minutes / counters_open)
