"""The back office's pages over the reports, the follow-ups and the event log:
``/office/reports``, ``/office/follow-ups`` and ``/office/audit``.

Each page is a shell: its script signs in (a clerk is refused before anything is read) and
reads everything through the public API (``/api/v1/reports/tickets``, ``/api/v1/follow-ups``,
``/api/v1/audit``), so the server renders nothing of the hall's data into them. Their endpoints
are named ``office.<section>`` so that the header's navigation (``pages.SECTIONS``) lists them.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, render_template

from hallq.office.pages import _hall, sections


def _page(template: str, endpoint: str) -> Any:
    hall = _hall()
    return render_template(
        template,
        hall=hall.public() if hall else None,
        sections=sections(endpoint),
    )


def reports() -> Any:
    """Ticket reports over a date range, as a table, charts and a CSV file."""
    return _page("office/reports.html", "office.reports")


def follow_ups() -> Any:
    """Follow-up cases: bad ratings and recorded complaints, assigned, annotated, closed."""
    return _page("office/follow_ups.html", "office.follow_ups")


def audit() -> Any:
    """The event log, searched and paged."""
    return _page("office/audit.html", "office.audit")


# (address, endpoint, view): the endpoints are the back office's (``office.``), as SECTIONS
# names them, though they are added to the app rather than to the blueprint.
PAGES = (
    ("/office/reports", "office.reports", reports),
    ("/office/follow-ups", "office.follow_ups", follow_ups),
    ("/office/audit", "office.audit", audit),
)


def init_sections(app: Flask) -> None:
    for rule, endpoint, view in PAGES:
        app.add_url_rule(rule, endpoint=endpoint, view_func=view, methods=["GET"])
