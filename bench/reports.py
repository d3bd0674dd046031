"""The ticket report over a month of history: time to answer the JSON and the CSV.

A new hall (the sample hall) gets a month of generated history, by default 30 days of 5,000
tickets a day (150,000 tickets, about a million log rows), put straight into the database:
tickets, their log rows, ratings and the days' number counters, shaped as the engine writes
them (the same kinds, columns and payload keys) but made by this script, not through the
command path — a benchmark needs the volume, not the rules (the tests build their history
through the API). Each day every window opens at 08:30, pauses twice and closes at 18:00;
tickets are issued from 08:30 to 17:30 and are served (with a recall now and then, the
documents checked, a rating for most), transferred to a second service, requeued once, left
as no-shows or cancelled while waiting; each is printed at the kiosk (``device_command.done``).

Then ``hallq serve`` runs on it and a supervisor asks, over HTTP, for the month's report as
JSON (without grouping, and grouped by service, hour and clerk) and as CSV, several times each.
Target: every answer under 2 s.

    .venv/bin/python bench/reports.py [--db sqlite|postgres] [--days 30] [--per-day 5000] [--runs 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import secrets
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    API,
    DB_CHOICES,
    PASSWORD,
    Hall,
    Http,
    hall_server,
    print_latencies,
    print_setup,
    print_table,
)

# Shares of the day's tickets per service, and how a ticket's visit ends.
SERVICE_SHARE = {
    "property-transfer": 0.30,
    "vehicle-transfer": 0.20,
    "equity-transfer": 0.10,
    "consultation": 0.25,
    "certificate-pickup": 0.15,
}
CANCELLED, NO_SHOW, TRANSFERRED, REQUEUED = 0.03, 0.04, 0.06, 0.02
RECALLED, DOCUMENTS_CHECKED, RATED = 0.2, 0.3, 0.65
SCORES = (1, 2, 3, 4, 5)
SCORE_WEIGHTS = (0.03, 0.04, 0.13, 0.35, 0.45)


def _at(day: dt.date, tz: Any, hours: float) -> dt.datetime:
    """``hours`` after the local midnight of ``day``, in UTC."""
    midnight = dt.datetime.combine(day, dt.time(), tzinfo=tz)
    return (midnight + dt.timedelta(hours=hours)).astimezone(dt.UTC)


@dataclass
class History:
    """The rows to insert, in the engine's shapes."""

    tickets: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    ratings: list[dict[str, Any]] = field(default_factory=list)
    day_counters: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Ids:
    hall: int
    services: dict[str, tuple[int, str, float]]  # code -> (id, prefix, target minutes)
    counters: dict[int, int]  # number -> id
    serving: dict[str, list[int]]  # service code -> window numbers serving it
    clerks: dict[int, int]  # window number -> clerk's user id
    supervisor: int
    kiosk: int
    pads: dict[int, int]  # window number -> its counter device


def _ids(hall: Hall) -> _Ids:
    from sqlalchemy import select

    from hallq.server.models import Counter, Service

    with hall.db.reading() as session:
        services = {
            r.code: (r.id, r.prefix, float(r.target_wait))
            for r in session.execute(
                select(Service.id, Service.code, Service.prefix, Service.target_wait).where(
                    Service.hall_id == hall.context.id
                )
            )
        }
        counters = session.execute(
            select(Counter.id, Counter.number, Counter.profile).where(
                Counter.hall_id == hall.context.id
            )
        ).all()
    serving: dict[str, list[int]] = {code: [] for code in services}
    for row in counters:
        for tier in row.profile:
            for code, _weight in tier:
                serving[code].append(row.number)
    return _Ids(
        hall=hall.context.id,
        services=services,
        counters={r.number: r.id for r in counters},
        serving=serving,
        clerks={n: hall.users[f"clerk{n}"] for n in (r.number for r in counters)},
        supervisor=hall.users["supervisor"],
        kiosk=hall.devices["kiosk-1"],
        pads={r.number: hall.devices[f"counter-{r.number}"] for r in counters},
    )


def _event(
    at: dt.datetime,
    kind: str,
    hall_id: int,
    *,
    ticket_id: int | None = None,
    leg: int | None = None,
    service_id: int | None = None,
    counter_id: int | None = None,
    user_id: int | None = None,
    device_id: int | None = None,
    source: str = "api",
    **payload: Any,
) -> dict[str, Any]:
    return {
        "hall_id": hall_id,
        "at": at,
        "kind": kind,
        "ticket_id": ticket_id,
        "leg": leg,
        "service_id": service_id,
        "counter_id": counter_id,
        "user_id": user_id,
        "device_id": device_id,
        "payload": payload,
        "source": source,
    }


def generate(
    hall: Hall, first_day: dt.date, days: int, per_day: int, *, seed: int = 15
) -> Iterator[History]:
    """One :class:`History` per day (kept small so that a month does not sit in memory)."""
    rng = random.Random(seed)
    ids = _ids(hall)
    tz = hall.context.tz
    codes = list(SERVICE_SHARE)
    shares = list(SERVICE_SHARE.values())
    next_ticket = 1
    for offset in range(days):
        day = first_day + dt.timedelta(days=offset)
        out = History()
        h = ids.hall
        seqs: dict[str, int] = {}
        for number, cid in ids.counters.items():
            clerk = ids.clerks[number]
            out.events.append(
                _event(
                    _at(day, tz, 8.5),
                    "counter.opened",
                    h,
                    counter_id=cid,
                    user_id=clerk,
                    counter=number,
                )
            )
            for begin in (10.5 + rng.random(), 15 + rng.random()):
                minutes = rng.uniform(5, 20)
                reason = "break"
                out.events.append(
                    _event(
                        _at(day, tz, begin),
                        "counter.paused",
                        h,
                        counter_id=cid,
                        user_id=clerk,
                        counter=number,
                        reason=reason,
                    )
                )
                out.events.append(
                    _event(
                        _at(day, tz, begin + minutes / 60),
                        "counter.resumed",
                        h,
                        counter_id=cid,
                        user_id=clerk,
                        counter=number,
                        reason=reason,
                        paused_seconds=minutes * 60,
                    )
                )
            out.events.append(
                _event(
                    _at(day, tz, 18.0),
                    "counter.closed",
                    h,
                    counter_id=cid,
                    counter=number,
                    clerk_id=clerk,
                    by_other=False,
                )
            )
        issue_hours = sorted(rng.uniform(8.5, 17.5) for _ in range(per_day))
        for hours in issue_hours:
            code = rng.choices(codes, shares)[0]
            sid, prefix, _target = ids.services[code]
            seqs[prefix] = seqs.get(prefix, 0) + 1
            tid = next_ticket
            next_ticket += 1
            number = f"{prefix}{seqs[prefix]:03d}"
            issued = _at(day, tz, hours)
            ticket = _ticket(h, tid, day, number, seqs[prefix], sid, issued)
            out.tickets.append(ticket)
            out.events.append(
                _event(
                    issued,
                    "ticket.issued",
                    h,
                    ticket_id=tid,
                    leg=1,
                    service_id=sid,
                    device_id=ids.kiosk,
                    source="device",
                    number=number,
                    priority="normal",
                    language="zh-Hant",
                    appointment=None,
                    reason=None,
                    business_day=day.isoformat(),
                )
            )
            out.events.append(
                _event(
                    issued + dt.timedelta(seconds=2),
                    "device_command.done",
                    h,
                    ticket_id=tid,
                    device_id=ids.kiosk,
                    source="device",
                    command=tid,
                    command_kind="print.job",
                    device=ids.kiosk,
                    ok=True,
                )
            )
            _visit(rng, ids, out, ticket, code, issued)
        for prefix, last in seqs.items():
            out.day_counters.append(
                {"hall_id": h, "prefix": prefix, "business_day": day, "last": last}
            )
        out.events.sort(key=lambda e: e["at"])
        yield out


def _ticket(
    hall_id: int, tid: int, day: dt.date, number: str, seq: int, sid: int, issued: dt.datetime
) -> dict[str, Any]:
    return {
        "id": tid,
        "hall_id": hall_id,
        "business_day": day,
        "number": number,
        "seq": seq,
        "service_id": sid,
        "priority": "normal",
        "class_rank": 2,
        "language": "zh-Hant",
        "appointment": None,
        "missing_documents": None,
        "status": "waiting",
        "leg": 1,
        "target_counter_id": None,
        "counter_id": None,
        "clerk_id": None,
        "issued_at": issued,
        "queued_at": issued,
        "called_at": None,
        "call_count": 0,
        "started_at": None,
        "ended_at": None,
        "status_token": secrets.token_urlsafe(16),
        "explanation": None,
    }


def _call(
    hall_id: int,
    at_window: dict[str, Any],
    number: str,
    window: int,
    target: float,
    at: dt.datetime,
    waited: float,
) -> dict[str, Any]:
    """A call's log row, with the explanation call-next keeps."""
    return _event(
        at,
        "ticket.called",
        hall_id,
        **at_window,
        number=number,
        counter=window,
        call_count=1,
        priority="normal",
        language="zh-Hant",
        waited_seconds=round(waited, 1),
        explanation={
            "decided_by": "wait_ratio",
            "transferred_here": False,
            "priority": "normal",
            "tier": 1,
            "weight": 1.0,
            "waited_minutes": round(waited / 60, 1),
            "target_wait": int(target),
            "wait_ratio": round(waited / 60 / target, 3),
            "candidates": 2,
            "runner_up": None,
        },
    )


def _visit(
    rng: random.Random,
    ids: _Ids,
    out: History,
    ticket: dict[str, Any],
    code: str,
    issued: dt.datetime,
) -> None:
    """What happens to one ticket after its issue: its log rows, its final columns."""
    h, tid, number = ids.hall, ticket["id"], ticket["number"]
    sec = dt.timedelta(seconds=1)
    fate = rng.random()
    if fate < CANCELLED:
        at = issued + rng.uniform(120, 1200) * sec
        sid = ids.services[code][0]
        out.events.append(
            _event(
                at,
                "ticket.cancelled",
                h,
                ticket_id=tid,
                leg=1,
                service_id=sid,
                user_id=ids.supervisor,
                number=number,
                reason="left",
            )
        )
        ticket.update(status="cancelled", ended_at=at)
        return
    queued = issued
    leg = 1
    legs = 2 if fate < CANCELLED + TRANSFERRED else 1
    for stage in range(legs):
        sid, _prefix, target = ids.services[code]
        window = rng.choice(ids.serving[code])
        cid, clerk = ids.counters[window], ids.clerks[window]
        at_window = {
            "ticket_id": tid,
            "leg": leg,
            "service_id": sid,
            "counter_id": cid,
            "user_id": clerk,
        }
        called = queued + rng.expovariate(1 / 600) * sec
        waited = (called - queued).total_seconds()

        out.events.append(_call(h, at_window, number, window, target, called, waited))
        now = called
        if stage == 0 and legs == 1 and rng.random() < REQUEUED / (1 - CANCELLED - TRANSFERRED):
            now += 60 * sec
            out.events.append(
                _event(now, "ticket.requeued", h, **at_window, number=number, counter=window)
            )
            called = now + rng.expovariate(1 / 300) * sec
            waited = (called - queued).total_seconds()
            out.events.append(_call(h, at_window, number, window, target, called, waited))
            now = called
        if rng.random() < RECALLED:
            now += 45 * sec
            out.events.append(
                _event(
                    now,
                    "ticket.recalled",
                    h,
                    **at_window,
                    number=number,
                    counter=window,
                    call_count=2,
                )
            )
        if (
            stage == legs - 1
            and CANCELLED + TRANSFERRED <= fate < CANCELLED + TRANSFERRED + NO_SHOW
        ):
            now += 90 * sec
            out.events.append(
                _event(
                    now,
                    "ticket.no_show",
                    h,
                    **at_window,
                    number=number,
                    counter=window,
                    automatic=True,
                    call_count=3,
                )
            )
            ticket.update(
                status="no_show",
                ended_at=now,
                counter_id=cid,
                clerk_id=clerk,
                called_at=called,
                leg=leg,
                service_id=sid,
            )
            return
        started = now + rng.uniform(10, 60) * sec
        out.events.append(
            _event(
                started,
                "ticket.started",
                h,
                **at_window,
                number=number,
                counter=window,
                waited_seconds=waited,
            )
        )
        if rng.random() < DOCUMENTS_CHECKED:
            out.events.append(
                _event(
                    started + 30 * sec,
                    "ticket.documents_checked",
                    h,
                    **at_window,
                    number=number,
                    missing=[],
                )
            )
        ended = started + rng.lognormvariate(5.8, 0.5) * sec
        served = (ended - started).total_seconds()
        if stage < legs - 1:
            onward = "certificate-pickup" if code != "certificate-pickup" else "consultation"
            out.events.append(
                _event(
                    ended,
                    "ticket.transferred",
                    h,
                    **at_window,
                    number=number,
                    counter=window,
                    to_service=onward,
                    to_counter=None,
                    note=None,
                    from_status="serving",
                    served_seconds=served,
                )
            )
            leg += 1
            code = onward
            out.events.append(
                _event(
                    ended,
                    "ticket.queued",
                    h,
                    ticket_id=tid,
                    leg=leg,
                    service_id=ids.services[onward][0],
                    user_id=clerk,
                    number=number,
                    to_counter=None,
                    priority="normal",
                    language="zh-Hant",
                )
            )
            queued = ended
            continue
        out.events.append(
            _event(
                ended,
                "ticket.finished",
                h,
                **at_window,
                number=number,
                counter=window,
                service_seconds=served,
            )
        )
        ticket.update(
            status="done",
            leg=leg,
            service_id=sid,
            counter_id=cid,
            clerk_id=clerk,
            called_at=called,
            call_count=1,
            started_at=started,
            ended_at=ended,
            queued_at=queued,
        )
        if rng.random() < RATED:
            score = rng.choices(SCORES, SCORE_WEIGHTS)[0]
            at = ended + rng.uniform(5, 40) * sec
            out.events.append(
                _event(
                    at,
                    "ticket.rated",
                    h,
                    **at_window,
                    device_id=ids.pads[window],
                    source="device",
                    number=number,
                    score=score,
                    follow_up_id=None,
                )
            )
            out.ratings.append(
                {
                    "hall_id": h,
                    "ticket_id": tid,
                    "leg": leg,
                    "score": score,
                    "service_id": sid,
                    "counter_id": cid,
                    "clerk_id": clerk,
                    "device_id": ids.pads[window],
                    "at": at,
                }
            )


# --- putting it into the database ------------------------------------------------------------


def _sqlite_value(value: Any) -> Any:
    # As SQLAlchemy stores them on SQLite: naive UTC text with microseconds, ISO dates, JSON text.
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value


def _postgres_value(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value


def insert_history(hall: Hall, batches: Iterator[History]) -> tuple[int, int]:
    """Bulk insert (executemany on SQLite, COPY on PostgreSQL); returns (tickets, log rows)."""
    tickets = events = 0
    raw = hall.db.engine.raw_connection()
    try:
        dialect = hall.db.engine.dialect.name
        for batch in batches:
            for table, rows in (
                ("tickets", batch.tickets),
                ("events", batch.events),
                ("ratings", batch.ratings),
                ("day_counters", batch.day_counters),
            ):
                if not rows:
                    continue
                columns = list(rows[0])
                cur = raw.cursor()
                if dialect == "postgresql":
                    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                        for row in rows:
                            copy.write_row([_postgres_value(row[c]) for c in columns])
                else:
                    cur.executemany(
                        f"INSERT INTO {table} ({', '.join(columns)}) "
                        f"VALUES ({', '.join('?' for _ in columns)})",
                        [tuple(_sqlite_value(row[c]) for c in columns) for row in rows],
                    )
                cur.close()
            raw.commit()
            tickets += len(batch.tickets)
            events += len(batch.events)
        cur = raw.cursor()
        if dialect == "postgresql":
            cur.execute(
                "SELECT setval(pg_get_serial_sequence('tickets', 'id'), max(id)) FROM tickets"
            )
            raw.commit()
            cur.close()
            raw.driver_connection.autocommit = True  # type: ignore[union-attr]
            cur = raw.cursor()
            cur.execute("ANALYZE")
        else:
            cur.execute("ANALYZE")
            raw.commit()
        cur.close()
    finally:
        raw.close()
    return tickets, events


# --- timing the answers --------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=DB_CHOICES, default="sqlite")
    parser.add_argument("--days", type=int, default=30, help="days of history")
    parser.add_argument("--per-day", type=int, default=5000, help="tickets a day")
    parser.add_argument("--runs", type=int, default=5, help="timed requests per report")
    args = parser.parse_args(argv)

    # The month before this one, so that the report covers a finished past.
    first_day = (dt.date.today().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    last_day = first_day + dt.timedelta(days=args.days - 1)
    print_setup(
        "ticket report over generated history",
        database=args.db,
        history=f"{args.days} days from {first_day} to {last_day}, {args.per_day} tickets a day",
        runs=f"{args.runs} timed requests per report, after one untimed",
    )
    made: dict[str, float] = {}

    def prepare(hall: Hall) -> None:
        t0 = time.perf_counter()
        made["tickets"], made["events"] = insert_history(
            hall, generate(hall, first_day, args.days, args.per_day)
        )
        made["seconds"] = time.perf_counter() - t0

    with hall_server(args.db, prepare) as setup:
        print(
            f"  generated {made['tickets']:,} tickets and {made['events']:,} log rows "
            f"in {made['seconds']:.0f} s"
        )
        anonymous = Http(setup.url)
        login = anonymous.json(
            "POST", f"{API}/auth/login", {"username": "supervisor", "password": PASSWORD}
        )
        anonymous.close()
        supervisor = Http(setup.url, login["token"], timeout=120)
        base = f"{API}/reports/tickets?from={first_day}&to={last_day}"
        reports = [
            ("JSON, hall", base),
            ("JSON, by service", base + "&by=service"),
            ("JSON, by hour", base + "&by=hour"),
            ("JSON, by clerk", base + "&by=clerk"),
            ("JSON, by day, zone B", base + "&by=day&zone=B"),
            ("CSV, by service", base + "&by=service&format=csv&lang=en"),
            ("CSV, by day", base + "&by=day&format=csv&lang=en"),
        ]
        measures: list[tuple[str, list[float]]] = []
        answers: dict[str, bytes] = {}
        server_cpu: list[tuple[str, str]] = []
        for name, path in reports:
            timings: list[float] = []
            meter = setup.cpu_meter()
            for run in range(args.runs + 1):
                if run == 1:
                    meter.start()
                t0 = time.perf_counter()
                status, body = supervisor.request("GET", path)
                elapsed = (time.perf_counter() - t0) * 1000
                if status != 200:
                    raise SystemExit(f"{path}: HTTP {status}: {body[:300]!r}")
                if run:
                    timings.append(elapsed)
                answers[name] = body
            measures.append((name, timings))
            used = meter.stop()
            per_request = (used.server + (used.database or 0.0)) / max(1, args.runs)
            server_cpu.append((name, f"{1000 * per_request:.0f}"))
        supervisor.close()
        print()
        print_latencies(measures)
        print()
        print("  CPU per request, the server's and PostgreSQL's (ms; the figure a busy machine")
        print("  inflates least):")
        print_table(["measure", "CPU ms"], server_cpu)
        total = json.loads(answers["JSON, hall"])["total"]
        print()
        print(
            "  the month: "
            + ", ".join(
                f"{k} {total[k]:,}"
                for k in ("issued", "served", "no_show", "cancelled", "transferred")
            )
            + f"; wait p50/p90/max {total['wait_p50_s']}/{total['wait_p90_s']}/{total['wait_max_s']} s"
            + f"; within target {total['within_target']}; satisfaction {total['satisfaction']}"
            + f"; pause {total['pause_s']:,} s"
        )
        print(f"  CSV by day: {len(answers['CSV, by day']):,} bytes")


if __name__ == "__main__":
    main()
