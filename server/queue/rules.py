"""The hall's queue rules as pure functions: states, moves, call order, estimated wait.

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

    def wait_ratio(self, now: dt.datetime) -> float:
        """How far into its target wait this ticket is, scaled by the profile's weight."""
        waited = max((now - self.queued_at).total_seconds(), 0.0)
        return self.weight * waited / (self.target_wait * 60.0)

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
    explanation: dict[str, Any] = {
        "decided_by": decided_by,
        "transferred_here": chosen.transferred_here,
        "priority": chosen.priority,
        "tier": chosen.tier,
        "weight": chosen.weight,
        "waited_minutes": round(max((now - chosen.queued_at).total_seconds(), 0) / 60, 1),
        "target_wait": chosen.target_wait,
        "wait_ratio": round(chosen.wait_ratio(now), 3),
        "candidates": len(candidates),
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
    return chosen, explanation


# --- estimated wait ------------------------------------------------------------------------


def estimated_wait_minutes(
    position: int, mean_service_minutes: float, counters_open: int
) -> int | None:
    """The design's estimate: position × recent mean service time ÷ counters open for it.

    ``None`` when no counter is open for the service: any number would be a guess.
    """
    if counters_open <= 0:
        return None
    if position <= 0:
        return 0
    return math.ceil(position * mean_service_minutes / counters_open)
