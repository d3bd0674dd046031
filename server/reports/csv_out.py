"""A ticket report as a CSV file that a spreadsheet opens as it is: UTF-8 with a byte order mark
(Excel reads a file without one in the machine's legacy code page), the header in the
reader's language, the same numbers as the JSON answer, ratings as five columns, and a last
row with the total."""

from __future__ import annotations

import csv
import io
from typing import Any

from hallq.server import catalogs
from hallq.server.queue.errors import N_
from hallq.server.reports.query import ReportQuery
from hallq.server.reports.tickets import LEVELS, Report

BOM = "\ufeff"

# The first column names what the rows are.
KEY_HEADERS = {
    None: N_("Hall"),
    "service": N_("Service"),
    "counter": N_("Window"),
    "clerk": N_("Clerk"),
    "zone": N_("Zone"),
    "hour": N_("Hour"),
    "day": N_("Day"),
}
# (figure, header) in column order; "ratings" stands for its five columns.
COLUMNS = (
    ("issued", N_("Issued")),
    ("served", N_("Served")),
    ("no_show", N_("No-shows")),
    ("cancelled", N_("Cancelled")),
    ("transferred", N_("Transferred")),
    ("wait_p50_s", N_("Wait p50 (s)")),
    ("wait_p90_s", N_("Wait p90 (s)")),
    ("wait_max_s", N_("Wait max (s)")),
    ("service_p50_s", N_("Service p50 (s)")),
    ("service_p90_s", N_("Service p90 (s)")),
    ("service_max_s", N_("Service max (s)")),
    ("within_target", N_("Within target wait (share)")),
    ("ratings", N_("Ratings of %(level)s")),
    ("satisfaction", N_("Satisfaction (share of 4 and 5)")),
    ("pause_s", N_("Pause (s)")),
)
NAME_HEADER = N_("Description")
TOTAL = N_("Total")
NO_WINDOW = N_("(at no window)")


def header(by: str | None, lang: str) -> list[str]:
    out = [catalogs.gettext(lang, KEY_HEADERS[by]), catalogs.gettext(lang, NAME_HEADER)]
    for figure, title in COLUMNS:
        if figure == "ratings":
            out += [catalogs.gettext(lang, title, level=level) for level in LEVELS]
        else:
            out.append(catalogs.gettext(lang, title))
    return out


def _cells(figures: dict[str, Any]) -> list[Any]:
    out: list[Any] = []
    for figure, _title in COLUMNS:
        if figure == "ratings":
            out += [figures["ratings"][level] for level in LEVELS]
        else:
            value = figures[figure]
            out.append("" if value is None else value)
    return out


def _name(label: dict[str, str], lang: str) -> str:
    return label.get(lang) or next(iter(label.values()), "")


# A spreadsheet runs a cell that begins with one of these as a formula: a user name or a
# service name typed as "=HYPERLINK(…)" must stay text (OWASP's advice: a leading quote).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def report_csv(made: Report, lang: str) -> bytes:
    """The report's rows and total as CSV bytes, in ``lang``."""
    by = made.query.by
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header(by, lang))
    for row in made.rows:
        key = row.key if row.key is not None else catalogs.gettext(lang, NO_WINDOW)
        writer.writerow([_text(key), _text(_name(row.label, lang)), *_cells(row.figures)])
    writer.writerow([catalogs.gettext(lang, TOTAL), "", *_cells(made.total)])
    return (BOM + buffer.getvalue()).encode("utf-8")


def filename(query: ReportQuery) -> str:
    """``hallq-tickets-2026-11-01-2026-11-30.csv`` (``-by-service`` before ``.csv`` if grouped)."""
    grouped = f"-by-{query.by}" if query.by else ""
    return f"hallq-tickets-{query.first.isoformat()}-{query.last.isoformat()}{grouped}.csv"
