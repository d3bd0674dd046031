"""The queue's rules on plain values: state machine, call order, the green channel's fairness
bound, a reinstated no-show's place, numbers, estimated wait."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from hallq.server.queue import rules
from hallq.server.queue.errors import Conflict

T0 = dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC)

# The design's diagram, written out move by move: (move, from) -> to.
ALLOWED = {
    ("call", "waiting"): "called",
    ("start", "called"): "serving",
    ("finish", "serving"): "done",
    ("recall", "called"): "called",
    ("no_show", "called"): "no_show",
    ("no_show", "serving"): "no_show",
    ("requeue", "called"): "waiting",
    ("transfer", "called"): "waiting",
    ("transfer", "serving"): "waiting",
    ("cancel", "waiting"): "cancelled",
    ("reinstate", "no_show"): "waiting",
}


@pytest.mark.parametrize("move", sorted(rules.MOVES))
@pytest.mark.parametrize("status", rules.STATUSES)
def test_only_the_designs_moves_are_allowed(move: str, status: str) -> None:
    expected = ALLOWED.get((move, status))
    if expected is None:
        with pytest.raises(Conflict) as refused:
            rules.check_move(move, status, "A001")
        assert refused.value.code == "illegal_move"
        assert refused.value.params["number"] == "A001"
        assert refused.value.params["state"] == status
    else:
        assert rules.check_move(move, status, "A001") == expected


def test_final_states_have_no_way_out_but_a_no_show_brought_back() -> None:
    for status in rules.FINAL_STATUSES:
        ways_out = {move for move, (sources, _) in rules.MOVES.items() if status in sources}
        assert ways_out == ({"reinstate"} if status == "no_show" else set())


def test_a_refused_reinstatement_says_only_a_no_show_comes_back() -> None:
    with pytest.raises(Conflict) as refused:
        rules.check_move("reinstate", "done", "A001")
    assert refused.value.message.endswith("only a no-show can be brought back.")


@pytest.mark.parametrize(
    ("seq", "number"),
    [(1, "A001"), (23, "A023"), (999, "A999"), (1000, "A1000"), (12345, "A12345")],
)
def test_numbers_have_at_least_three_digits_and_are_never_cut(seq: int, number: str) -> None:
    assert rules.format_number("A", seq) == number


def test_number_zero_does_not_exist() -> None:
    with pytest.raises(ValueError):
        rules.format_number("A", 0)


def cand(
    ticket_id: int,
    *,
    priority: str = "normal",
    waited: float = 10,
    tier: int = 1,
    weight: float = 1.0,
    target: int = 20,
    here: bool = False,
    issued_offset: float = 0,
) -> rules.Candidate:
    queued = T0 - dt.timedelta(minutes=waited)
    return rules.Candidate(
        ticket_id=ticket_id,
        number=f"X{ticket_id:03d}",
        service_code=f"s{ticket_id}",
        priority=priority,
        queued_at=queued,
        issued_at=queued + dt.timedelta(seconds=issued_offset),
        transferred_here=here,
        tier=tier,
        weight=weight,
        target_wait=target,
    )


def test_transferred_here_comes_before_everything() -> None:
    chosen, why = rules.choose(
        [cand(1, priority="priority", waited=60), cand(2, here=True, waited=1, tier=2)], T0
    )
    assert chosen.ticket_id == 2
    assert why["decided_by"] == "transferred_here"


def test_priority_class_before_tier() -> None:
    chosen, why = rules.choose(
        [cand(1, tier=1, waited=50), cand(2, priority="priority", tier=2, waited=1)], T0
    )
    assert chosen.ticket_id == 2 and why["decided_by"] == "priority"
    # Green channel before appointments, appointments before walk-ins.
    chosen, _ = rules.choose([cand(3, priority="appointment"), cand(4, priority="priority")], T0)
    assert chosen.ticket_id == 4
    chosen, _ = rules.choose(
        [cand(5, priority="normal", waited=99), cand(6, priority="appointment")], T0
    )
    assert chosen.ticket_id == 6


def test_tier_before_waiting_time() -> None:
    chosen, why = rules.choose([cand(1, tier=2, waited=90), cand(2, tier=1, waited=1)], T0)
    assert chosen.ticket_id == 2 and why["decided_by"] == "tier"


def test_within_a_tier_the_wait_relative_to_target_decides() -> None:
    # 12 min of a 10-min target (1.2) beats 20 min of a 30-min target (0.67).
    chosen, why = rules.choose([cand(1, waited=20, target=30), cand(2, waited=12, target=10)], T0)
    assert chosen.ticket_id == 2
    assert why["decided_by"] == "wait_ratio"
    assert why["wait_ratio"] == pytest.approx(1.2)
    assert why["runner_up"]["number"] == "X001"


def test_weight_scales_the_wait_ratio() -> None:
    chosen, _ = rules.choose([cand(1, waited=10, weight=1.0), cand(2, waited=6, weight=2.0)], T0)
    assert chosen.ticket_id == 2


def test_issue_time_breaks_a_tie() -> None:
    chosen, why = rules.choose([cand(1, issued_offset=5), cand(2, issued_offset=1)], T0)
    assert chosen.ticket_id == 2 and why["decided_by"] == "issued_at"


def test_explanation_of_a_lone_candidate() -> None:
    _, why = rules.choose([cand(9, waited=5, target=20)], T0)
    assert why["decided_by"] == "only_candidate"
    assert why["runner_up"] is None
    assert why["waited_minutes"] == 5.0
    assert why["candidates"] == 1


def test_choose_needs_candidates() -> None:
    with pytest.raises(ValueError):
        rules.choose([], T0)


# --- the green channel's fairness bound ---------------------------------------------------------


def fair(
    candidates: list[rules.Candidate], streak: int, limit: int = 3
) -> tuple[rules.Candidate, dict[str, Any]]:
    chosen, why = rules.choose(candidates, T0)
    return rules.fairness_bound(chosen, why, candidates, T0, streak=streak, limit=limit)


def test_below_the_bound_the_green_channel_goes_first() -> None:
    heads = [cand(1, priority="priority", waited=1), cand(2, waited=60, target=20)]
    for streak in (0, 1, 2):
        chosen, why = fair(heads, streak)
        assert chosen.ticket_id == 1 and why["decided_by"] == "priority"


def test_at_the_bound_an_overdue_walk_in_is_called_instead() -> None:
    heads = [cand(1, priority="priority", waited=1), cand(2, waited=21, target=20)]
    chosen, why = fair(heads, streak=3)
    assert chosen.ticket_id == 2
    assert why["decided_by"] == "fairness_bound"
    assert (why["priority_streak"], why["max_priority_in_a_row"]) == (3, 3)
    assert why["passed_over"] == {"number": "X001", "service": "s1", "priority": "priority"}
    assert why["waited_minutes"] == 21.0 and why["target_wait"] == 20


def test_the_bound_waits_for_a_ticket_past_its_target() -> None:
    # 19 minutes of a 20-minute target, even with a heavy weight: still within its target.
    heads = [cand(1, priority="priority"), cand(2, waited=19, target=20, weight=5.0)]
    chosen, why = fair(heads, streak=10)
    assert chosen.ticket_id == 1 and why["decided_by"] == "priority"


def test_the_bound_takes_the_best_overdue_in_the_designs_order() -> None:
    heads = [
        cand(1, priority="priority"),
        cand(2, waited=90, target=20, tier=2),  # longest overdue, but a lower tier
        cand(3, waited=25, target=20, tier=1),
        cand(4, waited=5, target=20, tier=1, priority="appointment"),  # not overdue
        cand(5, waited=50, target=20, tier=1),
    ]
    chosen, why = fair(heads, streak=3)
    assert chosen.ticket_id == 5 and why["decided_by"] == "fairness_bound"
    assert why["runner_up"]["number"] == "X003"
    # An overdue appointment goes before overdue walk-ins (its class ranks higher).
    chosen, _ = fair([*heads, cand(6, waited=30, target=20, priority="appointment")], streak=3)
    assert chosen.ticket_id == 6


def test_a_ticket_sent_to_this_window_is_never_held_back_by_the_bound() -> None:
    heads = [cand(1, priority="priority", here=True), cand(2, waited=60, target=20)]
    chosen, why = fair(heads, streak=99)
    assert chosen.ticket_id == 1 and why["decided_by"] == "transferred_here"
    assert not rules.fairness_may_apply(chosen, 99, 3)


def test_overdue_green_channel_tickets_do_not_trigger_the_bound() -> None:
    heads = [cand(1, priority="priority", waited=1), cand(2, priority="priority", waited=60)]
    chosen, why = fair(heads, streak=5)
    assert chosen.ticket_id == 2 and why["decided_by"] == "wait_ratio"


def test_when_the_bound_may_apply() -> None:
    green, walk_in = cand(1, priority="priority"), cand(2)
    assert rules.fairness_may_apply(green, 3, 3) and rules.fairness_may_apply(green, 4, 3)
    assert not rules.fairness_may_apply(green, 2, 3)
    assert not rules.fairness_may_apply(walk_in, 9, 3)


# --- a reinstated no-show's place ----------------------------------------------------------------

US = dt.timedelta(microseconds=1)


def queue_at(*minutes_and_ids: tuple[float, int]) -> list[tuple[dt.datetime, int]]:
    return [(T0 + dt.timedelta(minutes=m), i) for m, i in minutes_and_ids]


def order_of(ticket_id: int, placed: rules.Placement, queue: list[tuple[dt.datetime, int]]) -> int:
    """How many of ``queue`` the call order (queued_at, id) puts ahead of the placed ticket."""
    return sum(1 for entry in queue if entry < (placed.queued_at, ticket_id))


NOW = T0 + dt.timedelta(hours=1)
FIVE = queue_at((1, 11), (2, 12), (3, 13), (4, 14), (5, 15))


@pytest.mark.parametrize(("places", "ahead"), [(0, 0), (1, 1), (3, 3), (5, 5), (9, 5)])
def test_reinstated_places_from_the_head_or_last(places: int, ahead: int) -> None:
    placed = rules.reinstate_placement(
        ticket_id=3, higher=0, same_class=FIVE, places=places, now=NOW
    )
    assert placed.ahead == ahead
    assert order_of(3, placed, FIVE) == ahead
    if ahead == len(FIVE):
        assert placed.queued_at == NOW  # last: queued now, like a new ticket
    elif ahead:
        assert placed.queued_at == FIVE[ahead - 1][0] + US  # just after the one before it


def test_never_ahead_of_a_higher_class() -> None:
    # Two green-channel tickets wait: with 1 place asked, it still comes after both of them,
    # at the head of its own class; with 4, two of its own class are ahead of it too.
    first = rules.reinstate_placement(ticket_id=3, higher=2, same_class=FIVE, places=1, now=NOW)
    assert first.ahead == 2 and order_of(3, first, FIVE) == 0
    fourth = rules.reinstate_placement(ticket_id=3, higher=2, same_class=FIVE, places=4, now=NOW)
    assert fourth.ahead == 4 and order_of(3, fourth, FIVE) == 2


def test_an_empty_queue_takes_it_now() -> None:
    placed = rules.reinstate_placement(ticket_id=3, higher=0, same_class=[], places=3, now=NOW)
    assert placed == rules.Placement(NOW, 0)


@pytest.mark.parametrize("ticket_id", [1, 12, 99])
def test_equal_queue_times_the_ids_decide(ticket_id: int) -> None:
    # Five tickets queued in the same microsecond: between equal times only the id orders,
    # so the ticket can sit between two of them only if its id falls between theirs.
    tied = queue_at(*((0, i) for i in (10, 11, 13, 14, 15)))
    for places in range(7):
        placed = rules.reinstate_placement(
            ticket_id=ticket_id, higher=0, same_class=tied, places=places, now=NOW
        )
        assert placed.ahead == order_of(ticket_id, placed, tied)  # says where it really is
        assert placed.ahead >= min(places, len(tied))  # never ahead of its place
        assert (placed.queued_at, ticket_id) not in tied
    # Id 12 fits after 10 and 11 exactly; id 99 cannot get between them: it goes right after.
    exact = rules.reinstate_placement(ticket_id=12, higher=0, same_class=tied, places=2, now=NOW)
    assert exact == rules.Placement(T0, 2)
    behind = rules.reinstate_placement(ticket_id=99, higher=0, same_class=tied, places=2, now=NOW)
    assert behind.ahead == 5 and behind.queued_at == NOW


def test_a_one_microsecond_gap_still_fits_a_ticket() -> None:
    close = [(T0, 20), (T0 + US, 21)]
    placed = rules.reinstate_placement(ticket_id=30, higher=0, same_class=close, places=1, now=NOW)
    assert placed == rules.Placement(T0, 1)  # same time as the first, after it by id
    head = rules.reinstate_placement(ticket_id=30, higher=0, same_class=close, places=0, now=NOW)
    assert head == rules.Placement(T0 - US, 0)


def test_last_of_a_queue_whose_tail_is_in_the_same_microsecond_as_now() -> None:
    tail = [(NOW, 40)]
    placed = rules.reinstate_placement(ticket_id=3, higher=0, same_class=tail, places=5, now=NOW)
    assert placed == rules.Placement(NOW + US, 1)
    placed = rules.reinstate_placement(ticket_id=41, higher=0, same_class=tail, places=5, now=NOW)
    assert placed == rules.Placement(NOW, 1)


# --- estimated wait ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("open_windows", "serving", "divisor"), [(2, 4, 2), (0, 4, 4), (1, 1, 1), (0, 0, 0)]
)
def test_an_estimate_divides_by_open_windows_or_else_by_those_that_serve_it(
    open_windows: int, serving: int, divisor: int
) -> None:
    assert rules.windows_for_estimate(open_windows, serving) == divisor


@pytest.mark.parametrize(
    ("position", "mean", "open_windows", "expected"),
    [(1, 5.0, 1, 5), (4, 5.0, 2, 10), (3, 2.5, 2, 4), (0, 5.0, 1, 0), (5, 5.0, 0, None)],
)
def test_estimated_wait(
    position: int, mean: float, open_windows: int, expected: int | None
) -> None:
    assert rules.estimated_wait_minutes(position, mean, open_windows) == expected
