"""A few hundred tickets through the API on a fake clock, from a seeded plan, and the ticket
report's figures worked out from that plan alone.

``Play`` drives the hall as its staff would (kiosk issues, calls by number and call-next,
recalls, starts, finishes, no-shows and reinstatements, requeues, transfers to a service or a
window, cancellations, ratings from the pads, pauses, closing time) and writes down, as it
goes, every fact the report must count: when, which ticket, service, window, clerk, and the
wait or service time it measured itself from its own clock. ``expected`` groups and sums those
facts as the report's definitions say, with none of the report's code.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from tests.api.conftest import Api, HallInfo, login_tokens
from tests.support.hall import FakeClock

LEVELS = ("1", "2", "3", "4", "5")


@dataclass(frozen=True)
class Fact:
    figure: str  # issued call served no_show cancelled transferred rated pause
    at: dt.datetime
    ticket: int | None
    service: str | None
    window: int | None
    clerk: str | None
    value: float | None = None  # wait or service seconds, score, pause seconds
    target: float | None = None  # a call: its service's target wait in seconds
    end: dt.datetime | None = None  # a pause: its end


@dataclass
class Waiting:
    number: str
    service: str
    joined: dt.datetime
    window: int | None = None  # transferred to this window


@dataclass
class Play:
    api: Api
    clock: FakeClock
    hall: HallInfo
    seed: int
    facts: list[Fact] = field(default_factory=list)
    waiting: dict[int, Waiting] = field(default_factory=dict)
    no_shows: dict[int, tuple[str, str, dt.datetime]] = field(default_factory=dict)
    paused: dict[int, dt.datetime] = field(default_factory=dict)
    numbers: dict[int, tuple[str, dt.date]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        config = self.hall.config
        self.tz = ZoneInfo(config.timezone)
        self.codes = [s.code for s in config.services]
        self.target = {s.code: s.target_wait * 60 for s in config.services}
        self.serves = {c.number: c.service_codes for c in config.counters}
        self.windows = sorted(self.serves)

    # --- the record ---------------------------------------------------------------------

    def now(self) -> dt.datetime:
        return self.clock()

    def note(self, figure: str, ticket: int | None, service: str | None, window: int | None,
             value: float | None = None, target: float | None = None) -> None:  # fmt: skip
        clerk = f"clerk{window}" if window is not None else None
        self.facts.append(Fact(figure, self.now(), ticket, service, window, clerk, value, target))

    def wait(self, low: int, high: int) -> None:
        self.clock.advance(self.rng.randint(low, high))

    # --- a day --------------------------------------------------------------------------

    def day(self, day: dt.date, tickets: int) -> None:
        start = dt.datetime.combine(day, dt.time(8, 30), tzinfo=self.tz).astimezone(dt.UTC)
        self.clock.set(start)
        # Staff sign in each morning (a login token lasts a shift).
        self.hall.user_tokens = login_tokens(self.hall.url, self.hall.users, start)
        for n in self.windows:
            self.api.open(n)
        issued = 0
        while issued < tickets or self.waiting:
            self.wait(5, 70)
            roll = self.rng.random()
            if issued < tickets and (len(self.waiting) < 3 or roll < 0.4):
                self.issue()
                issued += 1
            elif roll < 0.43:
                self.pause_or_resume()
            elif roll < 0.45 and self.waiting:
                self.cancel(self.rng.choice(sorted(self.waiting)))
            elif roll < 0.47 and self.no_shows:
                self.reinstate()
            else:
                free = [n for n in self.windows if n not in self.paused]
                self.serve(self.rng.choice(free))
            if issued >= tickets and self.rng.random() < 0.05:
                # The day ends with a few still waiting: cancelled at closing time.
                break
        self.wait(60, 600)
        for tid in sorted(self.waiting):
            self.cancel(tid)
        for n in self.windows:
            self.close(n)

    def issue(self) -> None:
        code = self.rng.choice(self.codes)
        ticket = self.api.issue(code)
        self.waiting[ticket["id"]] = Waiting(ticket["number"], code, self.now())
        self.numbers[ticket["id"]] = (ticket["number"], self.now().astimezone(self.tz).date())
        self.note("issued", ticket["id"], code, None)

    def cancel(self, tid: int) -> None:
        w = self.waiting.pop(tid)
        self.api.ok(self.api.post(f"/tickets/{tid}/cancel", "supervisor", json={"reason": "left"}))
        self.note("cancelled", tid, w.service, None)

    def reinstate(self) -> None:
        tid = self.rng.choice(sorted(self.no_shows))
        number, code, since = self.no_shows.pop(tid)
        if self.now() - since > dt.timedelta(minutes=25):
            return  # too late to come back (the hall allows 30 minutes)
        self.api.ok(self.api.post(f"/tickets/{tid}/reinstate", "supervisor"))
        self.waiting[tid] = Waiting(number, code, self.now())

    def pause_or_resume(self) -> None:
        if self.paused and self.rng.random() < 0.6:
            n = self.rng.choice(sorted(self.paused))
            self.api.ok(self.api.act(n, "resume"))
            self.end_pause(n)
            return
        free = [n for n in self.windows if n not in self.paused]
        if len(free) > 2:
            n = self.rng.choice(free)
            self.api.ok(self.api.act(n, "pause", json={"reason": "break"}))
            self.paused[n] = self.now()

    def end_pause(self, n: int) -> None:
        since = self.paused.pop(n)
        self.facts.append(Fact("pause", since, None, None, n, f"clerk{n}", None, None, self.now()))

    def close(self, n: int) -> None:
        self.api.ok(self.api.act(n, "close"))
        if n in self.paused:
            self.end_pause(n)  # closing ends the pause
        for w in self.waiting.values():
            if w.window == n:
                w.window = None  # back to its service's queue

    # --- at a window ----------------------------------------------------------------------

    def serve(self, n: int) -> None:
        may_call = [
            tid
            for tid, w in self.waiting.items()
            if w.window == n or (w.window is None and w.service in self.serves[n])
        ]
        if not may_call:
            return
        if self.rng.random() < 0.25:
            called = self.api.call(n)  # call-next: the engine chooses
        else:
            number = self.waiting[self.rng.choice(may_call)].number
            called = self.api.ok(self.api.act(n, "call", json={"number": number}))
        tid = called["id"]
        w = self.waiting.pop(tid)
        code = w.service
        self.note("call", tid, code, n, (self.now() - w.joined).total_seconds(), self.target[code])
        fate = self.rng.random()
        self.wait(5, 60)
        if fate < 0.06:
            self.api.ok(self.api.act(n, "recall"))
            self.wait(20, 60)
        if fate < 0.02:
            # Two more recalls and the customer is taken for gone.
            self.api.ok(self.api.act(n, "recall"))
            self.wait(20, 60)
            moved = self.api.ok(self.api.act(n, "recall"))
            assert moved["status"] == "no_show", moved
            self.gone(tid, w, n)
            return
        if fate < 0.10:
            self.api.ok(self.api.act(n, "no-show"))
            self.gone(tid, w, n)
            return
        if fate < 0.15:
            self.api.ok(self.api.act(n, "requeue"))
            self.waiting[tid] = Waiting(w.number, code, self.now())
            return
        if fate < 0.18:
            self.transfer(tid, w, n, None)
            return
        self.api.ok(self.api.act(n, "start"))
        started = self.now()
        self.wait(30, 900)
        served = (self.now() - started).total_seconds()
        if fate < 0.26:
            self.transfer(tid, w, n, served)
            return
        self.api.ok(self.api.act(n, "finish"))
        self.note("served", tid, code, n, served)
        if self.rng.random() < 0.7:
            self.wait(2, 20)
            score = self.rng.choice((1, 2, 3, 3, 4, 4, 4, 5, 5, 5, 5))
            rating = {"ticket": w.number, "score": score}
            self.api.ok(self.api.post("/ratings", f"counter-{n}", json=rating), 201)
            self.note("rated", tid, code, n, score)

    def gone(self, tid: int, w: Waiting, n: int) -> None:
        self.note("no_show", tid, w.service, n)
        self.no_shows[tid] = (w.number, w.service, self.now())

    def transfer(self, tid: int, w: Waiting, n: int, served: float | None) -> None:
        to_window = self.rng.random() < 0.3
        if to_window:
            target = self.rng.choice([m for m in self.windows if m != n])
            body: dict[str, Any] = {"counter": target}
            onward = Waiting(w.number, w.service, self.now(), target)
        else:
            code = self.rng.choice([c for c in self.codes if c != w.service])
            body = {"service": code}
            onward = Waiting(w.number, code, self.now())
        self.api.ok(self.api.act(n, "transfer", json=body))
        self.note("transferred", tid, w.service, n, served)
        self.waiting[tid] = onward


# --- the figures, from the facts alone --------------------------------------------------------


def nearest_rank(values: list[float], p: int) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(p / 100 * len(ordered)) - 1]


def _r1(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def figures(facts: list[Fact], pause: float | None) -> dict[str, Any]:
    def of(figure: str) -> list[Fact]:
        return [f for f in facts if f.figure == figure]

    waits = [f.value for f in of("call") if f.value is not None]
    within = [f for f in of("call") if f.value is not None and f.value <= (f.target or 0)]
    services = [f.value for f in of("served") + of("transferred") if f.value is not None]
    scores = [int(f.value) for f in of("rated") if f.value is not None]
    happy = sum(1 for s in scores if s >= 4)
    return {
        "issued": len(of("issued")),
        "served": len(of("served")),
        "no_show": len(of("no_show")),
        "cancelled": len(of("cancelled")),
        "transferred": len(of("transferred")),
        "wait_p50_s": _r1(nearest_rank(waits, 50)),
        "wait_p90_s": _r1(nearest_rank(waits, 90)),
        "wait_max_s": _r1(max(waits) if waits else None),
        "service_p50_s": _r1(nearest_rank(services, 50)),
        "service_p90_s": _r1(nearest_rank(services, 90)),
        "service_max_s": _r1(max(services) if services else None),
        "within_target": round(len(within) / len(waits), 4) if waits else None,
        "ratings": {level: scores.count(int(level)) for level in LEVELS},
        "satisfaction": round(happy / len(scores), 4) if scores else None,
        "pause_s": None if pause is None else round(pause),
    }


@dataclass(frozen=True)
class Hall:
    """What the expectations need to know of the hall."""

    tz: ZoneInfo
    service_zone: dict[str, str]
    window_zone: dict[int, str]

    @classmethod
    def of(cls, info: HallInfo) -> Hall:
        config = info.config
        return cls(
            ZoneInfo(config.timezone),
            {s.code: s.zone for s in config.services},
            {c.number: c.zone for c in config.counters},
        )


def _hour_pieces(f: Fact, tz: ZoneInfo) -> list[tuple[dt.datetime, float]]:
    """A pause as (local hour's start, seconds paused within that hour)."""
    assert f.end is not None
    out = []
    hour = f.at.astimezone(tz).replace(minute=0, second=0, microsecond=0)
    while hour < f.end:
        nxt = hour + dt.timedelta(hours=1)
        overlap = (min(f.end, nxt) - max(f.at, hour)).total_seconds()
        if overlap > 0:
            out.append((hour, overlap))
        hour = nxt
    return out


def expected(
    facts: list[Fact],
    hall: Hall,
    first: dt.date,
    last: dt.date,
    by: str | None = None,
    **only: Any,
) -> tuple[dict[str | None, dict[str, Any]], dict[str, Any]]:
    """(rows by key, total) of the report ``from=first&to=last&by=...`` with the filters
    ``only`` (service=, zone=, counter=, clerk=)."""
    tz = hall.tz
    begin = dt.datetime.combine(first, dt.time(), tzinfo=tz)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=tz)

    def keep(f: Fact) -> bool:
        if f.figure == "pause":
            if "service" in only:
                return False
            if "zone" in only and hall.window_zone[f.window or 0] != only["zone"]:
                return False
        else:
            if "service" in only and f.service != only["service"]:
                return False
            if "zone" in only and hall.service_zone.get(f.service or "") != only["zone"]:
                return False
        if "counter" in only and f.window != only["counter"]:
            return False
        return "clerk" not in only or (f.clerk == only["clerk"] and f.window is not None)

    # Pauses cut to the range; everything else inside it.
    chosen: list[Fact] = []
    for f in facts:
        if not keep(f):
            continue
        if f.figure == "pause":
            assert f.end is not None
            at, until = max(f.at, begin), min(f.end, end)
            if at < until:
                chosen.append(Fact("pause", at, None, None, f.window, f.clerk, end=until))
        elif begin <= f.at < end:
            chosen.append(f)

    key_of: Callable[[Fact], str | None]
    if by is None:
        key_of = lambda f: "hall"  # noqa: E731
    elif by == "service":
        key_of = lambda f: f.service  # noqa: E731
    elif by == "zone":
        key_of = lambda f: (  # noqa: E731
            hall.window_zone[f.window or 0]
            if f.figure == "pause"
            else hall.service_zone[f.service or ""]
        )
    elif by == "counter":
        key_of = lambda f: None if f.window is None else str(f.window)  # noqa: E731
    elif by == "clerk":
        key_of = lambda f: f.clerk if f.window is not None else None  # noqa: E731
    elif by == "hour":
        key_of = lambda f: f"{f.at.astimezone(tz).hour:02d}"  # noqa: E731
    else:
        key_of = lambda f: f.at.astimezone(tz).date().isoformat()  # noqa: E731

    grouped: dict[str | None, list[Fact]] = {}
    paused: dict[str | None, float] = {}
    for f in chosen:
        if f.figure == "pause":
            if by == "service":
                continue
            assert f.end is not None
            if by in ("hour", "day"):
                for hour, seconds in _hour_pieces(f, tz):
                    key = f"{hour.hour:02d}" if by == "hour" else hour.date().isoformat()
                    grouped.setdefault(key, [])
                    paused[key] = paused.get(key, 0.0) + seconds
                continue
            key = key_of(f)
            grouped.setdefault(key, [])
            paused[key] = paused.get(key, 0.0) + (f.end - f.at).total_seconds()
            continue
        grouped.setdefault(key_of(f), []).append(f)
    pause_in_rows = by != "service" and "service" not in only
    rows = {
        key: figures(group, paused.get(key, 0.0) if pause_in_rows else None)
        for key, group in grouped.items()
    }
    if by is None and "hall" not in rows:
        rows["hall"] = figures([], 0.0 if pause_in_rows else None)
    everything = [f for f in chosen if f.figure != "pause"]
    total_pause = sum(
        (f.end - f.at).total_seconds() for f in chosen if f.figure == "pause" and f.end
    )
    total = figures(everything, None if "service" in only else total_pause)
    return rows, total


def traced(
    facts: list[Fact], hall: Hall, first: dt.date, last: dt.date, by: str | None, key: str | None,
    figure: str,
) -> list[int]:  # fmt: skip
    """The ticket ids behind one figure of one row (no filters), in time order."""
    tz = hall.tz
    begin = dt.datetime.combine(first, dt.time(), tzinfo=tz)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    tests: dict[str, Callable[[Fact], bool]] = {
        "issued": lambda f: f.figure == "issued",
        "served": lambda f: f.figure == "served",
        "wait": lambda f: f.figure == "call",
        "within_target": lambda f: f.figure == "call" and (f.value or 0) <= (f.target or 0),
        "over_target": lambda f: f.figure == "call" and (f.value or 0) > (f.target or 0),
        "service": lambda f: f.figure in ("served", "transferred") and f.value is not None,
        "rating_5": lambda f: f.figure == "rated" and f.value == 5,
        "satisfied": lambda f: f.figure == "rated" and (f.value or 0) >= 4,
        "cancelled": lambda f: f.figure == "cancelled",
        "transferred": lambda f: f.figure == "transferred",
        "no_show": lambda f: f.figure == "no_show",
    }
    test = tests[figure]

    def key_of(f: Fact) -> str | None:
        if by is None:
            return "hall"
        if by == "service":
            return f.service
        if by == "counter":
            return None if f.window is None else str(f.window)
        if by == "clerk":
            return f.clerk if f.window is not None else None
        if by == "day":
            return f.at.astimezone(tz).date().isoformat()
        if by == "hour":
            return f"{f.at.astimezone(tz).hour:02d}"
        return hall.service_zone[f.service or ""]

    return [
        f.ticket
        for f in facts
        if f.figure != "pause" and begin <= f.at < end and test(f) and key_of(f) == key and f.ticket
    ]
