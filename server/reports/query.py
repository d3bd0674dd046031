"""A ticket report's parameters, checked before anything is read.

A refusal here is :class:`BadReport`, which the API answers with 400: the range or a filter
makes no sense, whatever the hall holds.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass

from hallq.server.queue.errors import N_, Refused

GROUPINGS = ("service", "counter", "clerk", "zone", "hour", "day")
FORMATS = ("json", "csv")
# Up to a leap year's days, both ends counted.
MAX_DAYS = 366

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class BadReport(Refused):
    """The report asked for makes no sense (a bad date, a reversed or too long range, an
    unknown grouping, figure or filter value)."""


@dataclass(frozen=True)
class ReportQuery:
    """What to report on: business days ``first``..``last`` (both included) in the hall's time
    zone, grouped ``by`` (None: one row for the hall), narrowed by the filters."""

    first: dt.date
    last: dt.date
    by: str | None = None
    service: str | None = None
    zone: str | None = None
    counter: int | None = None
    clerk: str | None = None

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def _date(name: str, value: str | None) -> dt.date:
    if value is None or not value.strip():
        raise BadReport(
            "date_required", N_("Give the report's %(name)s date (YYYY-MM-DD)."), name=name
        )
    value = value.strip()
    try:
        if not _DATE.match(value):
            raise ValueError(value)
        return dt.date.fromisoformat(value)
    except ValueError:
        raise BadReport(
            "bad_date",
            N_("%(value)s is not a date: write it as YYYY-MM-DD (e.g. 2026-11-30)."),
            value=value[:40],
            name=name,
        ) from None


def _text(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    return value.strip()


def parse_query(args: Mapping[str, str | None]) -> ReportQuery:
    """``from``, ``to``, ``by`` and the filters ``service``, ``zone``, ``counter``, ``clerk``
    as a request's query gives them (strings); refuses with :class:`BadReport`."""
    first = _date("from", args.get("from"))
    last = _date("to", args.get("to"))
    if first > last:
        raise BadReport(
            "reversed_range",
            N_("The report's range ends (%(to)s) before it begins (%(from)s)."),
            **{"from": first.isoformat(), "to": last.isoformat()},
        )
    if (last - first).days + 1 > MAX_DAYS:
        raise BadReport(
            "range_too_long",
            N_("A report covers at most %(max)s days; this range has %(days)s."),
            max=MAX_DAYS,
            days=(last - first).days + 1,
        )
    by = _text(args.get("by"))
    if by is not None and by not in GROUPINGS:
        raise BadReport(
            "unknown_grouping",
            N_("A report is grouped by one of: %(choices)s."),
            choices=", ".join(GROUPINGS),
            by=by[:40],
        )
    counter_text = _text(args.get("counter"))
    counter = None
    if counter_text is not None:
        if not counter_text.isdigit() or len(counter_text) > 6:
            raise BadReport(
                "bad_counter",
                N_("A window is given by its number (e.g. 3)."),
                counter=counter_text[:40],
            )
        counter = int(counter_text)
    return ReportQuery(
        first=first,
        last=last,
        by=by,
        service=_text(args.get("service")),
        zone=_text(args.get("zone")),
        counter=counter,
        clerk=_text(args.get("clerk")),
    )


def parse_format(value: str | None) -> str:
    chosen = _text(value) or "json"
    if chosen not in FORMATS:
        raise BadReport(
            "unknown_format",
            N_("A report comes as one of: %(choices)s."),
            choices=", ".join(FORMATS),
        )
    return chosen
