"""The queue's rules on plain values: state machine, call order, numbers, estimated wait."""

from __future__ import annotations

import datetime as dt

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


def test_final_states_have_no_way_out() -> None:
    for status in rules.FINAL_STATUSES:
        assert not any(status in sources for sources, _ in rules.MOVES.values())


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


@pytest.mark.parametrize(
    ("position", "mean", "open_windows", "expected"),
    [(1, 5.0, 1, 5), (4, 5.0, 2, 10), (3, 2.5, 2, 4), (0, 5.0, 1, 0), (5, 5.0, 0, None)],
)
def test_estimated_wait(
    position: int, mean: float, open_windows: int, expected: int | None
) -> None:
    assert rules.estimated_wait_minutes(position, mean, open_windows) == expected
