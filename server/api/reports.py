"""Ticket reports over a date range, from the event log (see ``hallq.server.reports.tickets``
for what every figure counts), as JSON or as a CSV file, and the tickets behind a figure."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Response, request
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from hallq.server.api.context import hall, requires
from hallq.server.api.errors import error_response
from hallq.server.api.schemas import ERRORS, ErrorOut
from hallq.server.i18n import current_language
from hallq.server.refusals import details, explain
from hallq.server.reports import csv_out
from hallq.server.reports import tickets as report
from hallq.server.reports.query import GROUPINGS, BadReport, parse_format, parse_query
from hallq.server.state import hallq

tag = Tag(name="reports", description="Ticket reports over a date range, from the event log")
bp = APIBlueprint(
    "reports", __name__, abp_tags=[tag], abp_security=[{"bearer": []}], abp_responses=ERRORS
)

# --- schemas -----------------------------------------------------------------------------------

_DAY = "a business day, YYYY-MM-DD, in the hall's time zone"


class _RangeIn(BaseModel):
    """Strings, checked by the report itself: a bad value is a 400 that says what is wrong."""

    from_: str = Field(alias="from", description=f"first day: {_DAY}")
    to: str = Field(description=f"last day, included: {_DAY}; at most 366 days in all")
    by: str | None = Field(
        default=None, description="group rows by " + ", ".join(GROUPINGS) + "; none: one row"
    )
    service: str | None = Field(default=None, max_length=64, description="only this service (code)")
    zone: str | None = Field(default=None, max_length=64, description="only this zone (code)")
    counter: str | None = Field(default=None, max_length=8, description="only this window (number)")
    clerk: str | None = Field(
        default=None, max_length=64, description="only this clerk (user name)"
    )
    lang: str | None = Field(
        default=None, description="the language of names and errors (else Accept-Language)"
    )


class ReportQueryIn(_RangeIn):
    format: str | None = Field(default=None, description="json (default) or csv")


class TraceQueryIn(_RangeIn):
    key: str = Field(
        default="",
        max_length=64,
        description="the row's key as the report gives it; empty for the row whose key is null",
    )
    figure: str = Field(description="which figure: " + ", ".join(report.TRACEABLE))
    limit: int = Field(default=1000, ge=1, le=10_000)
    offset: int = Field(default=0, ge=0)


class Ratings(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    one: int = Field(alias="1")
    two: int = Field(alias="2")
    three: int = Field(alias="3")
    four: int = Field(alias="4")
    five: int = Field(alias="5")


class Figures(BaseModel):
    issued: int
    served: int
    no_show: int
    cancelled: int
    transferred: int
    wait_p50_s: float | None
    wait_p90_s: float | None
    wait_max_s: float | None
    service_p50_s: float | None
    service_p90_s: float | None
    service_max_s: float | None
    within_target: float | None = Field(ge=0, le=1)
    ratings: Ratings
    satisfaction: float | None = Field(ge=0, le=1)
    pause_s: int | None


class ReportRow(Figures):
    key: str | None = Field(description="service or zone code, window number, user name, hour, day")
    label: dict[str, str] = Field(description="its names per language, where it has names")


class ReportOut(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
        openapi_extra={
            "content": {
                "text/csv": {
                    "schema": {
                        "type": "string",
                        "description": "with format=csv: UTF-8 with a byte order mark",
                    }
                }
            }
        },
    )

    from_: str = Field(alias="from")
    to: str
    by: str | None
    rows: list[ReportRow]
    total: Figures


class TracedTicket(BaseModel):
    id: int
    number: str
    business_day: str
    leg: int | None
    at: str = Field(description="when the event that makes the fact happened (UTC)")
    value: float | None = Field(
        description="the wait or service seconds, or the rating's score; null for counts"
    )


class TraceOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: str = Field(alias="from")
    to: str
    by: str | None
    key: str | None
    figure: str
    count: int
    tickets: list[TracedTicket]


REPORT_ERRORS = {400: ErrorOut}

# The module's docstring is the reference of every figure: the OpenAPI document carries it.
_DEFINITIONS = (report.__doc__ or "").split("What is counted\n---------------\n", 1)[-1]


# --- views -------------------------------------------------------------------------------------


@contextmanager
def _snapshot() -> Iterator[Session]:
    """One consistent read for the whole report. PostgreSQL's reads otherwise run in
    autocommit, statement by statement, and the log is read through a server-side cursor
    (not a million rows held at once), which needs a transaction."""
    db = hallq().db
    if db.is_sqlite:
        with db.reading() as session:
            yield session
        return
    with db.read_engine.connect() as connection:
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin(), Session(bind=connection) as session:
            yield session


def _bad(exc: BadReport) -> Response:
    return error_response(400, exc.code, explain(exc, current_language()), details=details(exc))


@bp.get(
    "/reports/tickets",
    summary="Ticket figures over a date range, per hall, service, zone, window, clerk, hour or day",
    description=(
        "Supervisors and admins. `from`/`to` are business days in the hall's time zone (`to` "
        "included, at most 366 days); `by` groups the rows; `service`, `zone`, `counter`, "
        "`clerk` narrow every figure. `format=csv` answers the same figures as a CSV file "
        "(UTF-8 with a byte order mark, header in the caller's language, ratings as five "
        "columns, a last row with the total). A bad range, grouping or filter is a 400.\n\n"
        + _DEFINITIONS
    ),
    responses={200: ReportOut, **REPORT_ERRORS},
)
@requires("admin", "supervisor")
def tickets_report(query: ReportQueryIn) -> Any:
    try:
        wanted = parse_query(request.args)
        answer_as = parse_format(request.args.get("format"))
        state = hallq()
        with _snapshot() as session:
            made = report.ticket_report(session, hall(), wanted, state.clock())
    except BadReport as exc:
        return _bad(exc)
    if answer_as == "csv":
        body = csv_out.report_csv(made, current_language())
        response = Response(body, mimetype="text/csv")
        response.charset = "utf-8"
        response.headers["Content-Type"] = "text/csv; charset=utf-8"
        response.headers["Content-Disposition"] = (
            f'attachment; filename="{csv_out.filename(made.query)}"'
        )
        return response
    return made.as_json()


@bp.get(
    "/reports/tickets/trace",
    summary="The tickets behind one figure of one row of a ticket report",
    description=(
        "The same `from`, `to`, `by` and filters as the report, the row's `key` and a "
        "`figure`: issued, served, no_show, cancelled, transferred; wait (the calls behind the "
        "wait percentiles and within_target's whole), within_target, over_target; service "
        "(the legs behind the service-time percentiles); rated, rating_1 … rating_5, "
        "satisfied (ratings of 4 or 5). Each entry: the ticket (id, number, business day), "
        "the leg, when the fact happened and its value (seconds or score). Sorted by time; "
        "`count` is the figure (all entries), `limit`/`offset` page them."
    ),
    responses={200: TraceOut, **REPORT_ERRORS},
)
@requires("admin", "supervisor")
def tickets_trace(query: TraceQueryIn) -> Any:
    try:
        wanted = parse_query(request.args)
        key = query.key.strip() or None
        state = hallq()
        with _snapshot() as session:
            found = report.trace(session, hall(), wanted, key, query.figure.strip(), state.clock())
    except BadReport as exc:
        return _bad(exc)
    page = found[query.offset : query.offset + query.limit]
    return {
        "from": wanted.first.isoformat(),
        "to": wanted.last.isoformat(),
        "by": wanted.by,
        "key": key,
        "figure": query.figure.strip(),
        "count": len(found),
        "tickets": [t.as_json() for t in page],
    }
