"""The ticket report: what happened to tickets and windows over a range of business days,
computed from the event log (``events``) alone, so that every figure can be traced to the
tickets behind it (:func:`trace`).

What is counted
---------------
The range is ``from`` 00:00 to the end of ``to`` (24:00) in the hall's time zone. A figure
belongs to the range when its event happened within it; each event is a *fact* at the time
it was logged, and a fact is grouped by the event's service, window and clerk.

- ``issued``: tickets issued (``ticket.issued``), under the service they were issued for.
- ``served``: legs finished at a window (``ticket.finished``). A ticket served at two stages
  (transferred between them) counts once, at its last stage; its first stage counts as
  ``transferred``.
- ``no_show``: legs ended as a no-show (``ticket.no_show``), by a clerk or after the last recall.
  A no-show brought back and served later counts here and in ``served``.
- ``cancelled``: waiting tickets cancelled (``ticket.cancelled``).
- ``transferred``: legs sent on from a window to another service or window
  (``ticket.transferred``), under the service and window they left. A waiting ticket a
  supervisor moved to another service's queue (``ticket.moved``) is not among them: no
  window served it, and it keeps its leg and its queue time; its issue counts under the
  service it was issued for, its call and what follows under the service it moved to.
- ``wait_p50_s``, ``wait_p90_s``, ``wait_max_s``: one wait per call (``ticket.called``, by
  call-next or by number): the seconds from the moment the ticket last joined a queue — its
  issue, a transfer, a reinstatement after a no-show, or a requeue — to that call. A recall is
  not a new call, and a move to another queue is not a new join (the ticket keeps its queue
  time), so ``ticket.moved`` is not read at all. Grouped by the call's service, window, clerk
  and time.
- ``within_target``: the share of those calls whose wait was at most the target wait of the
  call's service (the hall file's, as loaded now: one yardstick for every period, and reading
  the target each call recorded would cost a third of the report); null without calls.
- ``service_p50_s``, ``service_p90_s``, ``service_max_s``: one time per leg served at a window:
  the seconds from its start (``ticket.started``) to its finish, or to its transfer onward
  when it was transferred after being started. Grouped by the leg's end.
- ``ratings``: ratings given per level 1..5 (``ticket.rated``), under the rated leg's service,
  window and clerk; ``satisfaction``: the share of ratings of 4 or 5, null without ratings.
- ``pause_s``: seconds windows spent paused: from ``counter.paused`` to the window's
  ``counter.resumed`` or ``counter.closed`` (a pause still running counts up to now), cut to
  the range, and for ``by=hour``/``by=day`` split at the hours. It belongs to the window, to
  the clerk who paused it and to the window's zone: rows ``by=service``, and any report
  filtered to a service, have ``pause_s`` null (the total keeps the windows' pause time unless
  a service filter is given).

Times are kept to the millisecond. Percentiles are nearest-rank: of the n values in ascending
order, the p-th percentile is the ``ceil(p * n / 100)``-th (so always an observed value, the
one :func:`trace` lists at that rank). Seconds are rounded to 0.1 s, shares to 4 decimals;
``pause_s`` to whole seconds.

Grouping (``by``): ``service`` (key: its code), ``zone`` (its code: a ticket's facts count for
the zone of their service, a pause for the zone of its window), ``counter`` (the window's
number, as text), ``clerk`` (the user name of the clerk at the window), ``hour`` (``"00"`` to
``"23"`` in the hall's local time), ``day`` (``"YYYY-MM-DD"``, local). Issues and
cancellations happen at no window: under ``by=counter`` and ``by=clerk`` they make a row of
their own whose key is null, so that the rows always add up to the total. Without ``by`` there
is one row, key ``"hall"``. Only keys with a fact make a row.

Filters narrow every figure to a service (facts of its legs), a zone (facts of its services'
legs, pauses of its windows), a window or a clerk (facts at that window, or by that clerk at
a window: issues and cancellations are at no window, so they count 0 there). A call or a
service time whose beginning (the queue join, the start) lies before the range is still
measured, from up to one day before it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, case, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from hallq.server.queue.errors import N_
from hallq.server.queue.hall import HallContext
from hallq.server.reports.query import BadReport, ReportQuery
from hallq.server.tables import COUNTERS, EVENTS, SERVICES, TICKETS, USERS, ZONES

# How far before the range the log is read for the beginnings of what ends within it.
LOOKBACK = dt.timedelta(days=1)
# Every time zone's offset is a whole number of quarter hours: local hours begin on UTC
# quarter hours, so times are grouped by these.
QUARTER = 900_000  # milliseconds

# Log rows fetched at a time.
_BATCH = 20_000

# Facts.
ISSUED, CALL, SERVED, NO_SHOW, CANCELLED, TRANSFERRED, RATED, PAUSE = range(8)

# Log rows read: the ticket moves that make or begin a fact, and the windows' pauses.
_JOIN, _CALLED, _STARTED, _FINISHED, _NO_SHOW, _CANCELLED, _TRANSFERRED, _RATED = range(8)
_ISSUED, _PAUSED, _PAUSE_END = 8, 9, 10
_KINDS = {
    "ticket.issued": _ISSUED,
    "ticket.queued": _JOIN,  # a new leg: after a transfer or a reinstatement
    "ticket.requeued": _JOIN,
    "ticket.called": _CALLED,
    "ticket.started": _STARTED,
    "ticket.finished": _FINISHED,
    "ticket.no_show": _NO_SHOW,
    "ticket.cancelled": _CANCELLED,
    "ticket.transferred": _TRANSFERRED,
    "ticket.rated": _RATED,
    "counter.paused": _PAUSED,
    "counter.resumed": _PAUSE_END,
    "counter.closed": _PAUSE_END,
}

COUNTS = ("issued", "served", "no_show", "cancelled", "transferred")
# The figures of a row, in the order of the CSV's columns (ratings are five columns).
FIGURES = (
    *COUNTS,
    "wait_p50_s",
    "wait_p90_s",
    "wait_max_s",
    "service_p50_s",
    "service_p90_s",
    "service_max_s",
    "within_target",
    "ratings",
    "satisfaction",
    "pause_s",
)
LEVELS = ("1", "2", "3", "4", "5")


class epoch_ms(FunctionElement[int]):
    """A stored time as whole milliseconds since 1970: the database converts it, because
    turning a million stored times into Python datetimes would cost seconds (and integers
    cost less than floats: SQLite's round() alone took a fifth of the report)."""

    type = BigInteger()
    inherit_cache = True


@compiles(epoch_ms, "sqlite")
def _epoch_sqlite(element: epoch_ms, compiler: Any, **kw: Any) -> str:
    # Stored as naive UTC text; julianday keeps milliseconds, in a float rounded back to them.
    at = compiler.process(element.clauses, **kw)
    return f"CAST((julianday({at}) - 2440587.5) * 86400000.0 + 0.5 AS INTEGER)"


@compiles(epoch_ms)
def _epoch_other(element: epoch_ms, compiler: Any, **kw: Any) -> str:
    # Printing a statement, and any other database: the SQL standard's way.
    return f"CAST(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) * 1000 AS BIGINT)"


@compiles(epoch_ms, "postgresql")
def _epoch_postgresql(element: epoch_ms, compiler: Any, **kw: Any) -> str:
    # date_part gives a double precision (EXTRACT would give a numeric: Decimal in Python).
    return f"CAST(round(date_part('epoch', {compiler.process(element.clauses, **kw)}) * 1000) AS BIGINT)"


_E = EVENTS.c


def _columns() -> tuple[Any, ...]:
    return (
        # The kind as a small number (no new Python string per row).
        case(_KINDS, value=_E.kind),
        epoch_ms(_E.at),
        _E.ticket_id,
        _E.leg,
        _E.service_id,
        _E.counter_id,
        _E.user_id,
        # Read from the payload only where needed: parsing every row's JSON would cost more
        # than the rest of the report.
        case((_E.kind == "ticket.rated", _E.payload["score"].as_integer()), else_=None),
    )


def _read_statement(hall_id: int, since: dt.datetime, until: dt.datetime) -> Any:
    """The log rows of the hall from ``since`` to ``until``, in time order (an index range)."""
    return (
        select(*_columns())
        .where(
            _E.hall_id == hall_id,
            _E.at >= since,
            _E.at < until,
            _E.kind.in_(list(_KINDS)),
        )
        .order_by(_E.at, _E.id)
    )


def _log_rows(
    session: Session, hall_id: int, since: dt.datetime, until: dt.datetime
) -> Iterator[Sequence[Any]]:
    """The log rows of :func:`_read_statement` as the database driver gives them: plain tuples.

    SQLAlchemy's row objects are skipped, because making a million of them takes longer than
    the rest of the report. On PostgreSQL the rows come through a server-side cursor, a batch
    at a time, rather than all held at once (SQLAlchemy's own streaming reads a row ahead into
    its buffer, so the driver's cursor is used directly, with the compiled statement).
    """
    connection = session.connection()
    dialect = connection.dialect.name
    statement = _read_statement(hall_id, since, until)
    if dialect != "postgresql":
        result = connection.execute(statement)
        try:
            while batch := result.cursor.fetchmany(_BATCH):
                yield from batch
        finally:
            result.close()
        return
    compiled = statement.compile(
        dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
    )
    driver = connection.connection.driver_connection
    assert driver is not None
    # WITH HOLD: it works in an autocommit session too (in a transaction it streams all the
    # same). Binary: numbers arrive as numbers, not as text to parse.
    with driver.cursor(name="hallq_report_log", withhold=True, binary=True) as cursor:  # type: ignore[call-overload]
        cursor.itersize = _BATCH
        cursor.execute(compiled.string, compiled.params)
        while batch := cursor.fetchmany(_BATCH):
            yield from batch


# --- the hall's names ------------------------------------------------------------------------


@dataclass(frozen=True)
class Names:
    """Services, zones, windows and clerks of the hall, by id, as the report names them."""

    service_code: dict[int, str]
    service_zone: dict[int, int]
    service_target_s: dict[int, float]
    service_order: dict[int, tuple[int, str]]
    service_name: dict[int, dict[str, str]]
    zone_code: dict[int, str]
    zone_name: dict[int, dict[str, str]]
    counter_number: dict[int, int]
    counter_zone: dict[int, int]
    counter_label: dict[int, str | None]
    user_name: dict[int, str]
    user_display: dict[int, str | None]


def load_names(session: Session, hall_id: int) -> Names:
    s, z, c, u = SERVICES.c, ZONES.c, COUNTERS.c, USERS.c
    services = session.execute(
        select(s.id, s.code, s.zone_id, s.target_wait, s.sort_order, s.name).where(
            s.hall_id == hall_id
        )
    ).all()
    zones = session.execute(select(z.id, z.code, z.name).where(z.hall_id == hall_id)).all()
    counters = session.execute(
        select(c.id, c.number, c.zone_id, c.label).where(c.hall_id == hall_id)
    ).all()
    users = session.execute(
        select(u.id, u.username, u.display_name).where(u.hall_id == hall_id)
    ).all()
    return Names(
        service_code={r.id: r.code for r in services},
        service_zone={r.id: r.zone_id for r in services},
        service_target_s={r.id: float(r.target_wait) * 60 for r in services},
        service_order={r.id: (r.sort_order, r.code) for r in services},
        service_name={r.id: dict(r.name or {}) for r in services},
        zone_code={r.id: r.code for r in zones},
        zone_name={r.id: dict(r.name or {}) for r in zones},
        counter_number={r.id: r.number for r in counters},
        counter_zone={r.id: r.zone_id for r in counters},
        counter_label={r.id: r.label for r in counters},
        user_name={r.id: r.username for r in users},
        user_display={r.id: r.display_name for r in users},
    )


def _find(table: dict[int, Any], wanted: Any, code: str, message: str, **params: Any) -> int:
    for key, value in table.items():
        if value == wanted:
            return key
    raise BadReport(code, message, **params)


# --- facts -------------------------------------------------------------------------------------

# (fact, time in ms since 1970, ticket id, leg, service id, window id, clerk id, value (seconds
# or a score), target wait in seconds)
Fact = tuple[int, int, int | None, int | None, int | None, int | None, int | None, Any, Any]


def _ms(moment: dt.datetime) -> int:
    return round(moment.timestamp() * 1000)


def range_bounds(hall: HallContext, query: ReportQuery) -> tuple[dt.datetime, dt.datetime]:
    """The range in UTC: from the first day's local midnight to the one after the last day."""
    start = dt.datetime.combine(query.first, dt.time(), tzinfo=hall.tz)
    end = dt.datetime.combine(query.last + dt.timedelta(days=1), dt.time(), tzinfo=hall.tz)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def facts(
    rows: Iterable[Sequence[Any]], start: int, end: int, now: int, names: Names
) -> Iterator[Fact]:
    """The facts of the range from log rows in time order (see the module's docstring), times
    as milliseconds since 1970. Rows before ``start`` only begin what may end within the range."""
    joined: dict[int, int] = {}  # ticket -> when it last joined a queue
    started: dict[int, int] = {}  # ticket -> when its current leg started at a window
    paused: dict[int, tuple[int, int | None]] = {}  # window -> (since, clerk)
    targets = names.service_target_s
    for k, t, tid, leg, sid, cid, uid, score in rows:
        if k == _CALLED:
            since = joined.pop(tid, None)
            if t >= start and since is not None:
                yield (CALL, t, tid, leg, sid, cid, uid, (t - since) / 1000, targets.get(sid))
        elif k == _STARTED:
            started[tid] = t
        elif k == _FINISHED:
            began = started.pop(tid, None)
            if t >= start:
                value = None if began is None else (t - began) / 1000
                yield (SERVED, t, tid, leg, sid, cid, uid, value, None)
        elif k == _ISSUED:
            joined[tid] = t
            if t >= start:
                yield (ISSUED, t, tid, leg, sid, None, None, None, None)
        elif k == _JOIN:
            joined[tid] = t
        elif k == _RATED:
            if t >= start and score is not None:
                yield (RATED, t, tid, leg, sid, cid, uid, int(score), None)
        elif k == _NO_SHOW:
            started.pop(tid, None)
            if t >= start:
                yield (NO_SHOW, t, tid, leg, sid, cid, uid, None, None)
        elif k == _TRANSFERRED:
            began = started.pop(tid, None)
            if t >= start:
                value = None if began is None else (t - began) / 1000
                yield (TRANSFERRED, t, tid, leg, sid, cid, uid, value, None)
        elif k == _CANCELLED:
            joined.pop(tid, None)
            if t >= start:
                # At no window, whoever cancelled it.
                yield (CANCELLED, t, tid, leg, sid, None, None, None, None)
        elif k == _PAUSED:
            if cid is not None:
                paused[cid] = (t, uid)
        elif k == _PAUSE_END and cid is not None and cid in paused:
            since, clerk = paused.pop(cid)
            yield from _pause_pieces(since, t, cid, clerk, start, end)
    for cid, (since, clerk) in paused.items():
        yield from _pause_pieces(since, min(now, end), cid, clerk, start, end)


def _pause_pieces(
    since: int, until: int, cid: int, clerk: int | None, start: int, end: int
) -> Iterator[Fact]:
    """A pause cut to the range, in pieces that end on quarter hours (for by=hour); their
    values in seconds."""
    t = max(since, start)
    until = min(until, end)
    while t < until:
        edge = min(until, (t // QUARTER + 1) * QUARTER)
        yield (PAUSE, t, None, None, None, cid, clerk, (edge - t) / 1000, None)
        t = edge


# --- grouping --------------------------------------------------------------------------------


Key = str | None


def _key_function(by: str | None, names: Names, hall: HallContext) -> Callable[[Fact], Key]:
    if by is None:
        return lambda f: "hall"
    if by == "service":
        codes = names.service_code
        return lambda f: codes.get(f[4]) if f[4] is not None else None  # type: ignore[arg-type]
    if by == "zone":
        zone_of_service = {sid: names.zone_code.get(z) for sid, z in names.service_zone.items()}
        zone_of_counter = {cid: names.zone_code.get(z) for cid, z in names.counter_zone.items()}

        def zone(f: Fact) -> Key:
            if f[0] == PAUSE:
                return zone_of_counter.get(f[5])  # type: ignore[arg-type]
            return zone_of_service.get(f[4])  # type: ignore[arg-type]

        return zone
    if by == "counter":
        numbers = {cid: str(n) for cid, n in names.counter_number.items()}
        return lambda f: numbers.get(f[5]) if f[5] is not None else None  # type: ignore[arg-type]
    if by == "clerk":
        users = names.user_name
        return lambda f: users.get(f[6]) if f[5] is not None and f[6] is not None else None  # type: ignore[arg-type]
    local: dict[int, tuple[str, str]] = {}
    tz = hall.tz
    part = 0 if by == "hour" else 1

    def when(f: Fact) -> Key:
        quarter = f[1] // QUARTER
        found = local.get(quarter)
        if found is None:
            moment = dt.datetime.fromtimestamp(quarter * QUARTER / 1000, tz)
            found = local[quarter] = (f"{moment.hour:02d}", moment.date().isoformat())
        return found[part]

    return when


def _filter(query: ReportQuery, names: Names) -> Callable[[Fact], bool] | None:
    """Which facts the query's filters keep; None: all. Refuses unknown names."""
    tests: list[Callable[[Fact], bool]] = []
    if query.service is not None:
        sid = _find(
            names.service_code,
            query.service,
            "unknown_service",
            N_("There is no service %(service)s."),
            service=query.service[:40],
        )
        tests.append(lambda f: f[4] == sid)
    if query.zone is not None:
        zid = _find(
            names.zone_code,
            query.zone,
            "unknown_zone",
            N_("There is no zone %(zone)s."),
            zone=query.zone[:40],
        )
        services = {s for s, z in names.service_zone.items() if z == zid}
        counters = {c for c, z in names.counter_zone.items() if z == zid}
        tests.append(lambda f: f[5] in counters if f[0] == PAUSE else f[4] in services)
    if query.counter is not None:
        cid = _find(
            names.counter_number,
            query.counter,
            "unknown_counter",
            N_("There is no window %(counter)s."),
            counter=query.counter,
        )
        tests.append(lambda f: f[5] == cid)
    if query.clerk is not None:
        uid = _find(
            names.user_name,
            query.clerk,
            "unknown_clerk",
            N_("There is no user %(clerk)s."),
            clerk=query.clerk[:64],
        )
        tests.append(lambda f: f[6] == uid and f[5] is not None)
    if not tests:
        return None
    if len(tests) == 1:
        return tests[0]
    return lambda f: all(test(f) for test in tests)


class _Tally:
    """One row's figures while the facts go by."""

    __slots__ = ("counts", "pause", "ratings", "services", "waits", "within")

    def __init__(self) -> None:
        self.counts = [0, 0, 0, 0, 0]  # issued, served, no_show, cancelled, transferred
        self.waits: list[float] = []
        self.within = 0
        self.services: list[float] = []
        self.ratings = [0, 0, 0, 0, 0]
        self.pause = 0.0

    def add(self, other: _Tally) -> None:
        self.counts = [a + b for a, b in zip(self.counts, other.counts, strict=True)]
        self.waits += other.waits
        self.within += other.within
        self.services += other.services
        self.ratings = [a + b for a, b in zip(self.ratings, other.ratings, strict=True)]
        self.pause += other.pause


def percentile(ordered: Sequence[float], p: int) -> float | None:
    """Nearest rank: the ``ceil(p * n / 100)``-th of the ``n`` values in ascending order."""
    if not ordered:
        return None
    rank = max(1, -(-p * len(ordered) // 100))
    return ordered[rank - 1]


def _seconds(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _share(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(part / whole, 4)


def _figures(tally: _Tally, pause_known: bool) -> dict[str, Any]:
    waits = sorted(tally.waits)
    services = sorted(tally.services)
    rated = sum(tally.ratings)
    out: dict[str, Any] = dict(zip(COUNTS, tally.counts, strict=True))
    out.update(
        wait_p50_s=_seconds(percentile(waits, 50)),
        wait_p90_s=_seconds(percentile(waits, 90)),
        wait_max_s=_seconds(waits[-1] if waits else None),
        service_p50_s=_seconds(percentile(services, 50)),
        service_p90_s=_seconds(percentile(services, 90)),
        service_max_s=_seconds(services[-1] if services else None),
        within_target=_share(tally.within, len(waits)),
        ratings=dict(zip(LEVELS, tally.ratings, strict=True)),
        satisfaction=_share(tally.ratings[3] + tally.ratings[4], rated),
        pause_s=round(tally.pause) if pause_known else None,
    )
    return out


@dataclass
class Row:
    key: Key
    label: dict[str, str]
    figures: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, **self.figures}


@dataclass
class Report:
    query: ReportQuery
    rows: list[Row]
    total: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {
            "from": self.query.first.isoformat(),
            "to": self.query.last.isoformat(),
            "by": self.query.by,
            "rows": [r.as_json() for r in self.rows],
            "total": self.total,
        }


@dataclass
class _Read:
    names: Names
    keep: Callable[[Fact], bool] | None
    facts: Iterator[Fact]


def _read(session: Session, hall: HallContext, query: ReportQuery, now: dt.datetime) -> _Read:
    names = load_names(session, hall.id)
    keep = _filter(query, names)
    start, end = range_bounds(hall, query)
    rows = _log_rows(session, hall.id, start - LOOKBACK, end)
    return _Read(names, keep, facts(rows, _ms(start), _ms(end), _ms(now), names))


def ticket_report(
    session: Session, hall: HallContext, query: ReportQuery, now: dt.datetime
) -> Report:
    """The report's rows and total (see the module's docstring for every figure)."""
    read = _read(session, hall, query, now)
    key_of = _key_function(query.by, read.names, hall)
    keep = read.keep
    pause_in_rows = query.by != "service"
    pause_known = query.service is None
    tallies: dict[Key, _Tally] = {}
    total_pause = 0.0
    for f in read.facts:
        if keep is not None and not keep(f):
            continue
        kind = f[0]
        if kind == PAUSE:
            total_pause += f[7]
            if not pause_in_rows:
                continue
        key = key_of(f)
        tally = tallies.get(key)
        if tally is None:
            tally = tallies[key] = _Tally()
        if kind == CALL:
            tally.waits.append(f[7])
            if f[8] is not None and f[7] <= f[8]:
                tally.within += 1
        elif kind == SERVED:
            tally.counts[1] += 1
            if f[7] is not None:
                tally.services.append(f[7])
        elif kind == ISSUED:
            tally.counts[0] += 1
        elif kind == RATED:
            if 1 <= f[7] <= 5:
                tally.ratings[f[7] - 1] += 1
        elif kind == PAUSE:
            tally.pause += f[7]
        elif kind == TRANSFERRED:
            tally.counts[4] += 1
            if f[7] is not None:
                tally.services.append(f[7])
        elif kind == NO_SHOW:
            tally.counts[2] += 1
        elif kind == CANCELLED:
            tally.counts[3] += 1

    whole = _Tally()
    for tally in tallies.values():
        whole.add(tally)
    whole.pause = total_pause
    if query.by is None and "hall" not in tallies:
        tallies["hall"] = _Tally()
    rows = [
        Row(
            key,
            _label(query.by, key, read.names, hall),
            _figures(tally, pause_known and pause_in_rows),
        )
        for key, tally in tallies.items()
    ]
    rows.sort(key=_sort_key(query.by, read.names))
    return Report(query, rows, _figures(whole, pause_known))


def _sort_key(by: str | None, names: Names) -> Callable[[Row], Any]:
    if by == "service":
        order = {code: names.service_order[sid] for sid, code in names.service_code.items()}
        return lambda r: (r.key is None, order.get(r.key or "", (0, "")))
    if by == "counter":
        return lambda r: (r.key is None, int(r.key) if r.key else 0)
    return lambda r: (r.key is None, r.key or "")


def _label(by: str | None, key: Key, names: Names, hall: HallContext) -> dict[str, str]:
    """The row's names per language, where the thing has names."""
    if key is None:
        return {}
    if by is None:
        return dict(hall.name)
    if by == "service":
        sid = next(s for s, c in names.service_code.items() if c == key)
        return names.service_name[sid]
    if by == "zone":
        zid = next(z for z, c in names.zone_code.items() if c == key)
        return names.zone_name[zid]
    if by == "counter":
        cid = next(c for c, n in names.counter_number.items() if str(n) == key)
        label = names.counter_label.get(cid)
        return {lang: label for lang in hall.languages} if label else {}
    if by == "clerk":
        uid = next(u for u, n in names.user_name.items() if n == key)
        display = names.user_display.get(uid)
        return {lang: display for lang in hall.languages} if display else {}
    return {}


# --- tracing a figure to its tickets -----------------------------------------------------------

# A figure of a row and the facts it counts: (fact, test of the fact's value and target).
_ANY: Callable[[Any, Any], bool] = lambda value, goal: True  # noqa: E731
TRACEABLE: dict[str, tuple[int | tuple[int, ...], Callable[[Any, Any], bool]]] = {
    "issued": (ISSUED, _ANY),
    "served": (SERVED, _ANY),
    "no_show": (NO_SHOW, _ANY),
    "cancelled": (CANCELLED, _ANY),
    "transferred": (TRANSFERRED, _ANY),
    # The calls behind wait_p50_s, wait_p90_s, wait_max_s, and within_target's whole.
    "wait": (CALL, _ANY),
    "within_target": (CALL, lambda value, goal: goal is not None and value <= goal),
    "over_target": (CALL, lambda value, goal: goal is None or value > goal),
    # The legs behind service_p50_s, service_p90_s, service_max_s.
    "service": ((SERVED, TRANSFERRED), lambda value, goal: value is not None),
    "rated": (RATED, _ANY),
    **{f"rating_{n}": (RATED, lambda value, goal, n=n: value == n) for n in range(1, 6)},
    # The ratings behind satisfaction's part.
    "satisfied": (RATED, lambda value, goal: value >= 4),
}


@dataclass(frozen=True)
class Traced:
    ticket_id: int
    number: str
    business_day: dt.date
    leg: int | None
    at: dt.datetime
    value: float | int | None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.ticket_id,
            "number": self.number,
            "business_day": self.business_day.isoformat(),
            "leg": self.leg,
            "at": self.at.isoformat(),
            "value": round(self.value, 1) if isinstance(self.value, float) else self.value,
        }


def trace(
    session: Session,
    hall: HallContext,
    query: ReportQuery,
    key: Key,
    figure: str,
    now: dt.datetime,
) -> list[Traced]:
    """The facts behind one figure of the row ``key`` (a row of ``ticket_report`` with the same
    query), in time order; for the percentile figures (``wait``, ``service``) sort them by
    value: the p-th percentile is the one at rank ``ceil(p * n / 100)``."""
    if figure not in TRACEABLE:
        raise BadReport(
            "unknown_figure",
            N_("A figure traced is one of: %(choices)s."),
            choices=", ".join(TRACEABLE),
        )
    kinds, test = TRACEABLE[figure]
    wanted = kinds if isinstance(kinds, tuple) else (kinds,)
    read = _read(session, hall, query, now)
    key_of = _key_function(query.by, read.names, hall)
    keep = read.keep
    found = [
        f
        for f in read.facts
        if f[0] in wanted
        and (keep is None or keep(f))
        and key_of(f) == key
        and test(f[7], f[8])
        and (f[0] != CALL or f[7] is not None)
    ]
    numbers = _ticket_numbers(session, hall.id, {f[2] for f in found if f[2] is not None})
    out = []
    for f in found:
        number, day = numbers.get(f[2], ("?", dt.date.min))  # type: ignore[arg-type]
        out.append(
            Traced(
                ticket_id=f[2],  # type: ignore[arg-type]
                number=number,
                business_day=day,
                leg=f[3],
                at=dt.datetime.fromtimestamp(f[1] / 1000, dt.UTC),
                value=f[7],
            )
        )
    return out


def _ticket_numbers(
    session: Session, hall_id: int, ids: set[int]
) -> dict[int, tuple[str, dt.date]]:
    t = TICKETS.c
    found: dict[int, tuple[str, dt.date]] = {}
    ordered = sorted(ids)
    for lo in range(0, len(ordered), 500):
        chunk = ordered[lo : lo + 500]
        for row in session.execute(
            select(t.id, t.number, t.business_day).where(t.hall_id == hall_id, t.id.in_(chunk))
        ):
            found[row.id] = (row.number, row.business_day)
    return found
