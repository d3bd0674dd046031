"""The back office's reports, follow-ups and audit pages in Chromium against a real
``hallq serve``: a report shows the API's own figures, draws its charts, traces a figure to its
tickets and downloads its CSV file; a rating of 1 is an open follow-up (marked overdue, in
words and in style, once past its deadline) that the page will not close without a note and
closes with one, and a new case shows without a reload; a clerk is refused on every one of
these pages; an audit search by ticket number lists that ticket's events, a page at a time;
axe-core (WCAG 2.1 AA) on each page.

One server for the module (the sample hall, open all day). Each test works on tickets of its
own, and compares the page with what the API answers at the time, so the order does not matter.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from hallq.server.models import FollowUp
from tests.support.browser import LiveHall, axe_violations, collect_errors, describe_violations
from tests.support.browser import live_hall as serve_hall
from tests.support.hall import PASSWORD

pytestmark = pytest.mark.browser

VIEWPORT = {"width": 1500, "height": 1000}
BOM = b"\xef\xbb\xbf"


@pytest.fixture(scope="module")
def live(tmp_path_factory) -> Iterator[LiveHall]:
    with serve_hall(tmp_path_factory.mktemp("sections")) as hall:
        yield hall


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport=VIEWPORT, locale="en-US", accept_downloads=True)
    context.set_default_timeout(15_000)
    yield context
    context.close()


def open_page(context, live: LiveHall, path: str, user: str = "supervisor"):
    page = context.new_page()
    page.errors = collect_errors(page)
    page.goto(f"{live.url}{path}?lang=en")
    sign_in(page, user)
    return page


def sign_in(page, user: str) -> None:
    page.fill("#signin-username", user)
    page.fill("#signin-password", PASSWORD)
    page.click("#signin-form button[type=submit]")


def assert_accessible(page) -> None:
    violations = axe_violations(page)
    assert not violations, describe_violations(violations)


def serve(live: LiveHall, window: int, service: str, scores: list[int | None]) -> list[dict]:
    """Tickets of ``service`` served one after another at ``window``, each rated from the
    window's pad with its score (None: not rated); answers the ratings' answers."""
    clerk = live.login(f"clerk{window}")
    live.ok("POST", f"/api/v1/counters/{window}/open", clerk)
    rated = []
    for score in scores:
        ticket = live.issue(service)
        called = live.ok("POST", f"/api/v1/counters/{window}/call-next", clerk)
        assert called["number"] == ticket["number"]
        live.ok("POST", f"/api/v1/counters/{window}/start", clerk)
        live.ok("POST", f"/api/v1/counters/{window}/finish", clerk)
        if score is not None:
            rated.append(
                live.ok(
                    "POST",
                    "/api/v1/ratings",
                    live.token(f"counter-{window}"),
                    json={"ticket": ticket["number"], "score": score},
                )
            )
    live.ok("POST", f"/api/v1/counters/{window}/close", clerk)
    return rated


# --- how the page writes the API's figures ------------------------------------------------------


def min_sec(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    whole = math.floor(seconds + 0.5)  # JavaScript's Math.round
    return f"{whole // 60}:{whole % 60:02d}"


def share(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def count(value: int | None) -> str:
    return "—" if value is None else str(value)


def shown(figures: dict[str, Any]) -> dict[str, str]:
    """Every figure of a row as the table writes it, by the cell's data-key."""
    out = {
        k: count(figures[k]) for k in ("issued", "served", "no_show", "cancelled", "transferred")
    }
    for k in (
        "wait_p50_s",
        "wait_p90_s",
        "wait_max_s",
        "service_p50_s",
        "service_p90_s",
        "service_max_s",
    ):
        out[k] = min_sec(figures[k])
    out["within_target"] = share(figures["within_target"])
    out.update({f"rating_{n}": count(figures["ratings"][n]) for n in "12345"})
    out["satisfaction"] = share(figures["satisfaction"])
    out["pause_s"] = min_sec(figures["pause_s"])
    return out


def row_cells(row) -> dict[str, str]:
    return row.evaluate(
        "tr => Object.fromEntries([...tr.querySelectorAll('td')]"
        ".map(td => [td.dataset.key, td.textContent.trim()]))"
    )


# --- the tests ----------------------------------------------------------------------------------


def test_a_report_shows_the_apis_figures_its_charts_tickets_and_csv(context, live) -> None:
    rated = serve(live, 6, "equity-transfer", [5, 4, None])
    cancelled = live.issue("equity-transfer")
    staff = live.login("supervisor")
    live.ok("POST", f"/api/v1/tickets/{cancelled['id']}/cancel", staff, json={})

    page = open_page(context, live, "/office/reports")
    page.wait_for_function("window.hallqReports && window.hallqReports.loads > 0")
    # The page's default: this month so far in the hall's time zone, one row per service.
    today = dt.datetime.now(ZoneInfo(live.hall.context.tz.key)).date()
    query = {"from": today.replace(day=1).isoformat(), "to": today.isoformat(), "by": "service"}
    assert page.input_value("#report-from") == query["from"]
    assert page.input_value("#report-to") == query["to"]
    report = live.ok("GET", "/api/v1/reports/tickets", staff, params=query)

    equity = next(r for r in report["rows"] if r["key"] == "equity-transfer")
    assert (equity["issued"], equity["served"], equity["cancelled"]) == (4, 3, 1)
    assert equity["ratings"]["5"] == 1 and equity["ratings"]["4"] == 1
    assert page.locator("#report-rows tr").count() == len(report["rows"])
    for row in report["rows"]:
        assert row_cells(page.locator(f"#report-rows tr[data-key='{row['key']}']")) == shown(row)
    assert row_cells(page.locator("#report-total tr")) == shown(report["total"])

    # Its charts: a Chart.js chart on each canvas, labelled for a screen reader.
    for canvas in ("chart-volume", "chart-wait", "chart-ratings"):
        assert page.evaluate(f"!!Chart.getChart(document.getElementById('{canvas}'))"), canvas
        assert "table" in page.get_attribute(f"#{canvas}", "aria-label")
    volume = page.evaluate(
        "Chart.getChart(document.getElementById('chart-volume')).data.datasets.map(d => d.data)"
    )
    assert volume == [[r["issued"] for r in report["rows"]], [r["served"] for r in report["rows"]]]

    # A figure opens the tickets behind it.
    page.click("#report-rows tr[data-key='equity-transfer'] td[data-key='rating_5'] button")
    dialog = page.locator("#trace-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#trace-rows tr")).to_have_count(1)
    expect(dialog.locator("#trace-rows th")).to_have_text(rated[0]["ticket"])
    assert_accessible(page)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    # The CSV file: the same query, with a byte order mark for Excel.
    with page.expect_download() as download:
        page.click("#report-csv")
    body = Path(download.value.path()).read_bytes()
    assert body.startswith(BOM)
    lines = body[len(BOM) :].decode("utf-8").splitlines()
    assert len(lines) == len(report["rows"]) + 2  # the header, the rows, the total
    assert_accessible(page)
    assert not page.errors, page.errors


def test_a_rating_of_1_is_a_follow_up_closed_only_with_a_note(context, live) -> None:
    [rating] = serve(live, 7, "consultation", [1])
    case = rating["follow_up"]
    assert case is not None
    # As if its deadline had passed yesterday: overdue, in words and in style.
    with live.hall.db.writing() as session:
        session.execute(
            update(FollowUp)
            .where(FollowUp.id == case)
            .values(due_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
        )
    live.hall.db.dispose()

    page = open_page(context, live, "/office/follow-ups")
    page.wait_for_function("window.hallqFollowUps && window.hallqFollowUps.loads > 0")
    row = page.locator(f"#case-rows tr[data-id='{case}']")
    expect(row.locator(".badge")).to_have_text("Overdue")
    expect(row).to_have_class("overdue")
    expect(row).to_contain_text("A rating of 1")
    page.check("#status-filter input[value=overdue]")
    page.wait_for_function("window.hallqFollowUps.list.items.every(i => i.overdue)")
    expect(row).to_be_visible()
    page.check("#status-filter input[value=open]")
    expect(row).to_contain_text(rating["ticket"])
    row.locator("button").click()
    expect(page.locator("#case-what")).to_have_text("A rating of 1")
    expect(page.locator("#case-window")).to_have_text("7")
    assert_accessible(page)

    # From the keyboard: closing without a note is refused on the page, and the case stays open.
    page.focus("#close-note")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#close-error")).to_contain_text("Write the fix")
    expect(page.locator("#close-note")).to_be_focused()
    expect(page.locator("#close-note")).to_have_attribute("aria-invalid", "true")
    staff = live.login("supervisor")
    assert live.ok("GET", f"/api/v1/follow-ups/{case}", staff)["status"] == "open"

    page.keyboard.type("Called the customer back; the clerk will explain fees up front.")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#case-status")).to_have_text("Case closed")
    expect(page.locator("#case-fix")).to_contain_text("Called the customer back")
    closed = live.ok("GET", f"/api/v1/follow-ups/{case}", staff)
    assert closed["status"] == "closed" and closed["note"].startswith("Called the customer")
    # Gone from the open list; a new bad rating shows there without a reload.
    expect(row).to_have_count(0)
    page.evaluate("window.notReloaded = true")
    [again] = serve(live, 7, "consultation", [2])
    expect(page.locator(f"#case-rows tr[data-id='{again['follow_up']}']")).to_be_visible()
    assert page.evaluate("window.notReloaded === true && window.hallqFollowUps.heard > 0")
    assert not page.errors, page.errors


def test_a_clerk_is_refused_and_an_audit_lists_a_tickets_events(context, live) -> None:
    page = context.new_page()
    page.errors = collect_errors(page)
    for path in ("/office/reports", "/office/follow-ups", "/office/audit"):
        page.goto(f"{live.url}{path}?lang=en")
        sign_in(page, "clerk2")
        expect(page.locator("#signin-error")).to_contain_text("supervisors and administrators")
        expect(page.locator("main[data-office-page]")).to_be_hidden()
        assert page.evaluate("sessionStorage.getItem('hallq.office.token')") is None
        assert page.locator("#report-rows tr, #case-rows tr, #audit-rows tr").count() == 0
    assert_accessible(page)

    # A supervisor searches the log by a ticket's number: that ticket's events, newest first.
    [rated] = serve(live, 8, "certificate-pickup", [3])
    sign_in(page, "supervisor")
    page.wait_for_function("window.hallqAudit && window.hallqAudit.loads > 0")
    page.fill("#audit-ticket", rated["ticket"])
    page.click("#audit-form button[type=submit]")
    page.wait_for_function(
        "window.hallqAudit.entries.length > 0 && window.hallqAudit.entries.every("
        f"e => e.ticket && e.ticket.number === {rated['ticket']!r})"
    )
    kinds = page.locator("#audit-rows tr").evaluate_all("rows => rows.map(r => r.dataset.kind)")
    for kind in ("ticket.issued", "ticket.called", "ticket.started", "ticket.finished"):
        assert kind in kinds
    assert kinds.index("ticket.rated") < kinds.index("ticket.issued")  # newest first
    expect(page.locator("#audit-rows tr[data-kind='ticket.rated'] .details")).to_contain_text(
        "score: 3"
    )
    assert_accessible(page)

    # Paged: two entries a page, "Older" brings the two before them.
    page.evaluate("window.hallqAudit.limit = 2")
    page.click("#audit-form button[type=submit]")
    expect(page.locator("#audit-rows tr")).to_have_count(2)
    page.click("#audit-older")
    expect(page.locator("#audit-rows tr")).to_have_count(4)
    ids = page.evaluate("window.hallqAudit.entries.map(e => e.id)")
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 4
    assert kinds[:4] == page.locator("#audit-rows tr").evaluate_all(
        "rows => rows.map(r => r.dataset.kind)"
    )
    assert not page.errors, page.errors
