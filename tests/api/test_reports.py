"""GET /api/v1/reports/tickets: every figure of every grouping and filter equals the one worked
out by hand from a seeded plan of a few hundred tickets played through the API on a fake clock
(tests/support/report_fixture.py); the CSV carries the same numbers; the trace lists the
tickets behind a figure; access, bad parameters, an empty range; once on PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.api.conftest import (
    BASE,
    CJK,
    DB_FILE,
    Api,
    HallInfo,
    _copy_database,
    assert_error,
    build_app,
    login_tokens,
)
from tests.support.hall import FakeClock, build_hall
from tests.support.report_fixture import Hall, Play, expected, nearest_rank, traced

FIRST = dt.date(2025, 3, 5)  # Wednesday; the plan plays three days
LAST = FIRST + dt.timedelta(days=2)
PER_DAY = 70
REPORT = "/reports/tickets"

EN_HEADER = {
    None: "Hall",
    "service": "Service",
    "counter": "Window",
    "clerk": "Clerk",
    "zone": "Zone",
    "hour": "Hour",
    "day": "Day",
}
EN_FIGURES = [
    "Description",
    "Issued",
    "Served",
    "No-shows",
    "Cancelled",
    "Transferred",
    "Wait p50 (s)",
    "Wait p90 (s)",
    "Wait max (s)",
    "Service p50 (s)",
    "Service p90 (s)",
    "Service max (s)",
    "Within target wait (share)",
    "Ratings of 1",
    "Ratings of 2",
    "Ratings of 3",
    "Ratings of 4",
    "Ratings of 5",
    "Satisfaction (share of 4 and 5)",
    "Pause (s)",
]
FIGURE_ORDER = [
    "issued",
    "served",
    "no_show",
    "cancelled",
    "transferred",
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
]


@dataclass
class Played:
    api: Api
    play: Play
    hall: Hall


@pytest.fixture(scope="module")
def played(hall_template: HallInfo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Played]:
    """The plan played once for the module; the tests only read the hall afterwards."""
    path = tmp_path_factory.mktemp("reports") / DB_FILE
    _copy_database(hall_template.path, path)
    info = HallInfo(
        url=f"sqlite:///{path}",
        path=path,
        context=hall_template.context,
        config=hall_template.config,
        users=dict(hall_template.users),
        devices=dict(hall_template.devices),
        tokens=dict(hall_template.tokens),
        user_tokens=dict(hall_template.user_tokens),
    )
    clock = FakeClock(BASE)
    app = build_app(info, clock)
    api = Api(app.test_client(), info)
    play = Play(api, clock, info, seed=15)
    for offset in range(3):
        play.day(FIRST + dt.timedelta(days=offset), PER_DAY)
    # One window stays paused past the last day's closing, for a pause still running "now".
    api.open(9)
    api.ok(api.act(9, "pause", json={"reason": "meeting"}))
    play.paused[9] = clock()
    clock.advance(1800)
    yield Played(api, play, Hall.of(info))
    app.extensions["hallq"].db.dispose()


def _facts(played: Played) -> list[Any]:
    """The plan's facts, with the pause still running up to the clock's now."""
    from tests.support.report_fixture import Fact

    running = [
        Fact("pause", since, None, None, n, f"clerk{n}", end=played.play.clock())
        for n, since in played.play.paused.items()
    ]
    return played.play.facts + running


def _get(api: Api, path: str = REPORT, who: str = "supervisor", **params: Any) -> Any:
    query = {k: str(v) for k, v in params.items() if v is not None}
    return api.get(path, who, query_string=query)


def _report(api: Api, **params: Any) -> dict[str, Any]:
    params.setdefault("from", FIRST.isoformat())
    params.setdefault("to", LAST.isoformat())
    return api.ok(_get(api, **params))  # type: ignore[no-any-return]


def _check(
    played: Played, first: dt.date, last: dt.date, by: str | None, **only: Any
) -> dict[str, Any]:
    answer = _report(
        played.api, **{"from": first.isoformat(), "to": last.isoformat(), "by": by}, **only
    )
    rows, total = expected(_facts(played), played.hall, first, last, by, **only)
    got = {row["key"]: {k: row[k] for k in FIGURE_ORDER} for row in answer["rows"]}
    assert set(got) == set(rows), (sorted(map(str, got)), sorted(map(str, rows)))
    for key, figures in rows.items():
        assert got[key] == figures, f"row {key!r}"
    assert {k: answer["total"][k] for k in FIGURE_ORDER} == total
    assert (answer["from"], answer["to"], answer["by"]) == (first.isoformat(), last.isoformat(), by)
    return answer


# --- the figures ------------------------------------------------------------------------------


def test_the_plan_is_a_few_hundred_tickets_of_every_kind(played: Played) -> None:
    kinds = [f.figure for f in played.play.facts]
    assert kinds.count("issued") == 3 * PER_DAY
    for figure in ("served", "no_show", "cancelled", "transferred", "rated", "pause"):
        assert kinds.count(figure) >= 3, figure
    assert any(f.figure == "transferred" and f.value is None for f in played.play.facts)
    assert any(f.figure == "transferred" and f.value is not None for f in played.play.facts)


@pytest.mark.parametrize("by", [None, "service", "counter", "clerk", "zone", "hour", "day"])
def test_every_figure_of_every_grouping(played: Played, by: str | None) -> None:
    answer = _check(played, FIRST, LAST, by)
    total = answer["total"]
    # Rows add up to the total.
    for name in ("issued", "served", "no_show", "cancelled", "transferred"):
        assert sum(row[name] for row in answer["rows"]) == total[name]
    if by == "service":
        assert all(row["pause_s"] is None for row in answer["rows"])
        assert total["pause_s"] > 0
        first = answer["rows"][0]
        assert first["key"] == "property-transfer"  # the hall file's order
        assert first["label"]["en"] == "Property transfer"
        assert first["label"]["zh-Hant"] == "物業過戶"
    if by in ("counter", "clerk"):
        none_row = next(row for row in answer["rows"] if row["key"] is None)
        assert none_row["issued"] == total["issued"]  # issues happen at no window
        assert answer["rows"][-1]["key"] is None
    if by == "counter":
        keys = [row["key"] for row in answer["rows"] if row["key"]]
        assert keys == sorted(keys, key=int)
        seven = next(row for row in answer["rows"] if row["key"] == "7")
        assert seven["label"]["en"] == "諮詢 Enquiries"
    if by == "hour":
        assert all(len(row["key"]) == 2 and "08" <= row["key"] <= "23" for row in answer["rows"])
    if by == "day":
        assert [row["key"] for row in answer["rows"]] == [
            (FIRST + dt.timedelta(days=i)).isoformat() for i in range(3)
        ]
    if by is None:
        assert [row["key"] for row in answer["rows"]] == ["hall"]
        assert answer["rows"][0]["label"]["en"] == "Harbour Transfer Service Hall"


@pytest.mark.parametrize(
    ("by", "only"),
    [
        (None, {"service": "consultation"}),
        ("hour", {"service": "property-transfer"}),
        (None, {"zone": "B"}),
        ("counter", {"zone": "C"}),
        ("service", {"counter": 4}),
        ("day", {"counter": 9}),
        (None, {"clerk": "clerk7"}),
        ("hour", {"clerk": "clerk2"}),
        ("clerk", {"zone": "A", "service": "consultation"}),
    ],
)
def test_filters(played: Played, by: str | None, only: dict[str, Any]) -> None:
    _check(played, FIRST, LAST, by, **only)


def test_one_day_of_the_three(played: Played) -> None:
    middle = FIRST + dt.timedelta(days=1)
    answer = _check(played, middle, middle, "service")
    assert answer["total"]["issued"] == PER_DAY


def test_a_pause_still_running_counts_up_to_now(played: Played) -> None:
    today = played.play.clock().astimezone(played.hall.tz).date()
    answer = _check(played, today, today, "counter")
    nine = next(row for row in answer["rows"] if row["key"] == "9")
    assert nine["pause_s"] >= 1800


def test_an_empty_range_is_zero_not_an_error(played: Played) -> None:
    answer = _report(played.api, **{"from": "2025-01-01", "to": "2025-01-31"})
    zero = {
        "issued": 0,
        "served": 0,
        "no_show": 0,
        "cancelled": 0,
        "transferred": 0,
        "wait_p50_s": None,
        "wait_p90_s": None,
        "wait_max_s": None,
        "service_p50_s": None,
        "service_p90_s": None,
        "service_max_s": None,
        "within_target": None,
        "ratings": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0},
        "satisfaction": None,
        "pause_s": 0,
    }
    assert [row["key"] for row in answer["rows"]] == ["hall"]
    assert {k: answer["rows"][0][k] for k in zero} == zero
    assert answer["total"] == zero
    by_service = _report(played.api, **{"from": "2025-01-01", "to": "2025-01-31", "by": "service"})
    assert by_service["rows"] == []
    assert by_service["total"]["issued"] == 0


# --- CSV --------------------------------------------------------------------------------------


def _csv_number(cell: str) -> Any:
    if cell == "":
        return None
    return float(cell) if "." in cell else int(cell)


@pytest.mark.parametrize("by", ["service", "clerk", None])
def test_the_csv_has_the_same_numbers(played: Played, by: str | None) -> None:
    api = played.api
    answer = _report(api, by=by)
    response = _get(
        api,
        **{
            "from": FIRST.isoformat(),
            "to": LAST.isoformat(),
            "by": by,
            "format": "csv",
            "lang": "en",
        },
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    name = f"hallq-tickets-{FIRST}-{LAST}" + (f"-by-{by}" if by else "") + ".csv"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{name}"'
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert table[0] == [EN_HEADER[by], *EN_FIGURES]
    assert len(table) == len(answer["rows"]) + 2
    for line, row in zip(table[1:], [*answer["rows"], None], strict=True):
        figures = answer["total"] if row is None else row
        if row is None:
            assert line[:2] == ["Total", ""]
        else:
            assert line[0] == (row["key"] if row["key"] is not None else "(at no window)")
            assert line[1] == (row["label"].get("en") or "")
        numbers = [_csv_number(cell) for cell in line[2:]]
        wanted: list[Any] = []
        for name_ in FIGURE_ORDER:
            if name_ == "ratings":
                wanted += [figures["ratings"][level] for level in "12345"]
            else:
                wanted.append(figures[name_])
        assert numbers == wanted


def test_the_csv_speaks_the_callers_language(played: Played) -> None:
    response = played.api.get(
        REPORT,
        "supervisor",
        query_string={
            "from": FIRST.isoformat(),
            "to": LAST.isoformat(),
            "by": "service",
            "format": "csv",
        },
        headers={"Accept-Language": "zh-Hant"},
    )
    table = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"), newline="")))
    assert CJK.search(table[0][0]) and CJK.search(table[0][2]), table[0]  # 業務, 已取號
    assert table[1][:2] == ["property-transfer", "物業過戶"]
    english = played.api.get(
        REPORT,
        "supervisor",
        query_string={
            "from": FIRST.isoformat(),
            "to": LAST.isoformat(),
            "by": "service",
            "format": "csv",
        },
        headers={"Accept-Language": "en"},
    )
    rows = list(csv.reader(io.StringIO(english.get_data().decode("utf-8-sig"), newline="")))
    assert rows[1][:2] == ["property-transfer", "Property transfer"]
    assert [line[2:] for line in rows][1:] == [line[2:] for line in table][1:]


# --- tracing a figure to its tickets ------------------------------------------------------------


@pytest.mark.parametrize(
    ("by", "key", "figure"),
    [
        (None, "hall", "issued"),
        ("service", "consultation", "served"),
        ("service", "vehicle-transfer", "over_target"),
        ("counter", "3", "within_target"),
        ("counter", "", "cancelled"),
        ("clerk", "clerk5", "service"),
        ("day", (FIRST + dt.timedelta(days=1)).isoformat(), "rating_5"),
        ("hour", "10", "wait"),
        ("zone", "B", "transferred"),
        ("service", "equity-transfer", "no_show"),
        (None, "hall", "satisfied"),
    ],
)
def test_trace_lists_the_tickets_behind_a_figure(
    played: Played, by: str | None, key: str, figure: str
) -> None:
    answer = played.api.ok(
        _get(
            played.api,
            f"{REPORT}/trace",
            **{
                "from": FIRST.isoformat(),
                "to": LAST.isoformat(),
                "by": by,
                "key": key,
                "figure": figure,
            },
        )
    )
    wanted = traced(_facts(played), played.hall, FIRST, LAST, by, key or None, figure)
    assert answer["count"] == len(wanted)
    assert sorted(t["id"] for t in answer["tickets"]) == sorted(wanted)
    numbers = played.play.numbers
    for t in answer["tickets"]:
        number, day = numbers[t["id"]]
        assert (t["number"], t["business_day"]) == (number, day.isoformat())
    ats = [t["at"] for t in answer["tickets"]]
    assert ats == sorted(ats)


def test_a_percentile_is_a_traced_value(played: Played) -> None:
    """The p90 wait of a row is the value at rank ceil(0.9 n) of its traced calls."""
    api = played.api
    report = _report(api, by="service")
    row = next(r for r in report["rows"] if r["key"] == "consultation")
    trace = api.ok(
        _get(
            api,
            f"{REPORT}/trace",
            **{
                "from": FIRST.isoformat(),
                "to": LAST.isoformat(),
                "by": "service",
                "key": "consultation",
                "figure": "wait",
            },
        )
    )
    values = [t["value"] for t in trace["tickets"]]
    assert nearest_rank(values, 90) == row["wait_p90_s"]
    assert max(values) == row["wait_max_s"]
    within = api.ok(
        _get(
            api,
            f"{REPORT}/trace",
            **{
                "from": FIRST.isoformat(),
                "to": LAST.isoformat(),
                "by": "service",
                "key": "consultation",
                "figure": "within_target",
            },
        )
    )
    assert round(within["count"] / trace["count"], 4) == row["within_target"]
    page = api.ok(
        _get(
            api,
            f"{REPORT}/trace",
            **{
                "from": FIRST.isoformat(),
                "to": LAST.isoformat(),
                "figure": "issued",
                "key": "hall",
                "limit": 10,
                "offset": 5,
            },
        )
    )
    assert page["count"] == 3 * PER_DAY and len(page["tickets"]) == 10


# --- who may ask, and what is refused ----------------------------------------------------------


def test_only_supervisors_and_admins(played: Played) -> None:
    api = played.api
    for who in ("supervisor", "admin"):
        assert (
            _get(api, who=who, **{"from": FIRST.isoformat(), "to": LAST.isoformat()}).status_code
            == 200
        )
    for who in ("clerk1", "kiosk-1", "counter-1", "display-a"):
        for path in (REPORT, f"{REPORT}/trace"):
            response = _get(
                api,
                path,
                who,
                **{"from": FIRST.isoformat(), "to": LAST.isoformat(), "figure": "issued"},
            )
            assert_error(response, 403, "role_not_allowed")
    assert_error(_get(api, who=None, **{"from": FIRST.isoformat(), "to": LAST.isoformat()}), 401)


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"from": "2025-03-07", "to": "2025-03-05"}, "reversed_range"),
        ({"from": "2024-01-01", "to": "2025-01-01"}, "range_too_long"),
        ({"from": "2025-3-5", "to": "2025-03-07"}, "bad_date"),
        ({"from": "2025-02-30", "to": "2025-03-07"}, "bad_date"),
        ({"from": "", "to": "2025-03-07"}, "date_required"),
        ({"by": "week"}, "unknown_grouping"),
        ({"format": "xlsx"}, "unknown_format"),
        ({"service": "nothing"}, "unknown_service"),
        ({"zone": "Z"}, "unknown_zone"),
        ({"counter": "99"}, "unknown_counter"),
        ({"counter": "x"}, "bad_counter"),
        ({"clerk": "nobody"}, "unknown_clerk"),
    ],
)
def test_bad_parameters_are_a_400(played: Played, params: dict[str, str], code: str) -> None:
    query = {"from": FIRST.isoformat(), "to": LAST.isoformat(), "lang": "en", **params}
    assert_error(_get(played.api, **query), 400, code, lang="en")


def test_a_year_is_allowed_and_a_bad_figure_is_refused(played: Played) -> None:
    api = played.api
    year = _report(api, **{"from": "2024-03-08", "to": "2025-03-07"})  # 366 days
    assert year["total"]["issued"] == 3 * PER_DAY
    response = _get(
        api,
        f"{REPORT}/trace",
        **{"from": FIRST.isoformat(), "to": LAST.isoformat(), "figure": "mood", "lang": "en"},
    )
    assert_error(response, 400, "unknown_figure", lang="en")


# --- PostgreSQL -----------------------------------------------------------------------------------


@pytest.fixture
def pg_played(pg_url: str, tmp_path: Path) -> Iterator[Played]:
    built = build_hall(pg_url)
    built.db.dispose()
    info = HallInfo(
        url=pg_url,
        path=tmp_path / "unused.sqlite3",
        context=built.context,
        config=built.config,
        users=dict(built.users),
        devices=dict(built.devices),
        tokens=dict(built.tokens),
        user_tokens=login_tokens(pg_url, built.users, BASE),
    )
    clock = FakeClock(BASE)
    app: Flask = build_app(info, clock)
    api = Api(app.test_client(), info)
    play = Play(api, clock, info, seed=7)
    play.day(FIRST, 40)
    yield Played(api, play, Hall.of(info))
    app.extensions["hallq"].callers.close()
    app.extensions["hallq"].db.dispose()


@pytest.mark.postgres
def test_the_report_on_postgresql(pg_played: Played) -> None:
    for by in (None, "service", "counter", "clerk", "hour"):
        _check(pg_played, FIRST, FIRST, by)
    _check(pg_played, FIRST, FIRST, "day", zone="A")
    response = _get(
        pg_played.api, **{"from": FIRST.isoformat(), "to": FIRST.isoformat(), "format": "csv"}
    )
    assert response.get_data().startswith(b"\xef\xbb\xbf")


def test_a_name_that_looks_like_a_formula_stays_text_in_the_csv(api: Api) -> None:
    """Excel runs a cell beginning with = + - @ as a formula: a hostile service name must not."""
    hostile = '=HYPERLINK("http://evil.example","click")'
    names = {"zh-Hant": "諮詢", "zh-Hans": "咨询", "en": hostile}
    renamed = api.request("PATCH", "/admin/services/consultation", "admin", json={"name": names})
    assert renamed.status_code == 200, renamed.get_data(as_text=True)
    api.issue("consultation")
    day = api.ok(api.get("/dashboard", "supervisor"))["business_day"]
    response = api.get(
        REPORT,
        "supervisor",
        query_string={"from": day, "to": day, "by": "service", "format": "csv", "lang": "en"},
    )
    table = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"), newline="")))
    (row,) = [r for r in table if r[0] == "consultation"]
    assert row[1] == "'" + hostile
