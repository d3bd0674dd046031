"""``hallq backup`` while the hall serves and issues, then ``hallq restore`` into an empty data
directory or database: the same tickets, ratings and log, a server that starts on it, and the
refusals that keep a restore from mixing two halls' data."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from hallq.server.db import Database
from hallq.server.models import Event, Rating, Ticket
from tests.e2e.conftest import Api, prepare_hall
from tests.e2e.test_cli import run_hallq, said, succeeded
from tests.support import services


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'data' / 'hallq.sqlite3'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def empty_postgres() -> Any:
    with services.fresh_postgres_database() as url:
        yield url


def _rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    database = Database(url)
    try:
        with database.reading() as session:
            return {
                "tickets": [
                    tuple(r)
                    for r in session.execute(
                        select(Ticket.id, Ticket.number, Ticket.status, Ticket.service_id).order_by(
                            Ticket.id
                        )
                    )
                ],
                "ratings": [
                    tuple(r)
                    for r in session.execute(
                        select(Rating.ticket_id, Rating.score, Rating.clerk_id).order_by(Rating.id)
                    )
                ],
                "events": [
                    tuple(r)
                    for r in session.execute(
                        select(Event.id, Event.kind, Event.ticket_id).order_by(Event.id)
                    )
                ],
            }
    finally:
        database.dispose()


def test_a_backup_taken_while_issuing_restores_to_a_hall_that_serves(
    database_url, start_server, api, tmp_path: Path, request
) -> None:
    postgres = database_url.startswith("postgresql")
    env = {"HALLQ_DATABASE_URL": database_url} if postgres else {}
    data = tmp_path / "data"
    hall = prepare_hall(database_url)
    server = start_server(database_url)
    kiosk: Api = api(server, hall.tokens["kiosk-1"])
    clerk: Api = api(server, api(server).login("clerk1"))
    first = kiosk.post("/api/v1/tickets", {"service": "property-transfer"}).body
    assert clerk.post("/api/v1/counters/1/open").status == 200
    for step in ("call-next", "start", "finish"):
        assert clerk.post(f"/api/v1/counters/1/{step}").status == 200
    window: Api = api(server, hall.tokens["counter-1"])
    assert window.post("/api/v1/ratings", {"ticket": first["id"], "score": 2}).status == 201
    # The report of the one service no one presses for below: it is whole in the backup.
    today = dt.datetime.now(dt.UTC).date()
    report = (
        f"/api/v1/reports/tickets?from={today - dt.timedelta(days=1)}"
        f"&to={today + dt.timedelta(days=1)}&by=clerk&service=property-transfer"
    )
    supervisor: Api = api(server, api(server).login("supervisor"))
    reported = supervisor.get(report).body
    served = [(r["key"], r["served"], r["ratings"]["2"]) for r in reported["rows"] if r["served"]]
    assert served == [("clerk1", 1, 1)]

    # Presses go on while the backup is taken: it is online, and consistent.
    stop = threading.Event()
    issued: list[int] = []

    def press() -> None:
        while not stop.is_set():
            reply = kiosk.post("/api/v1/tickets", {"service": "consultation"})
            assert reply.status == 201, reply
            issued.append(reply.body["id"])

    presser = threading.Thread(target=press)
    presser.start()
    try:
        backup_file = tmp_path / "backups" / "hall.backup"
        result = run_hallq("backup", str(backup_file), data_dir=data, cwd=tmp_path, env=env)
    finally:
        stop.set()
        presser.join(30)
    assert "Backed up the" in succeeded(result)
    assert issued, "no ticket was issued during the backup"
    assert backup_file.stat().st_mode & 0o077 == 0  # the hall's people are in it
    # The same name again: refused, nothing overwritten.
    again = run_hallq("backup", str(backup_file), data_dir=data, cwd=tmp_path, env=env)
    assert again.returncode != 0 and "already exists" in again.stderr, said(again)

    # Into an empty place: an empty data directory, or an empty PostgreSQL database.
    restored_data = tmp_path / "restored"
    restored_url = (
        request.getfixturevalue("empty_postgres")
        if postgres
        else f"sqlite:///{restored_data / 'hallq.sqlite3'}"
    )
    restored_env = {"HALLQ_DATABASE_URL": restored_url} if postgres else {}
    result = run_hallq(
        "restore", str(backup_file), data_dir=restored_data, cwd=tmp_path, env=restored_env
    )
    assert "Restored" in succeeded(result)
    succeeded(run_hallq("check", data_dir=restored_data, cwd=tmp_path, env=restored_env))

    # What the backup holds is the hall as it was at one moment: every row up to then, the
    # same as in the hall, and nothing half-written.
    original, copy = _rows(database_url), _rows(restored_url)
    for table in ("tickets", "ratings", "events"):
        assert copy[table] == original[table][: len(copy[table])], table
    assert copy["ratings"] == original["ratings"] == [(first["id"], 2, copy["ratings"][0][2])]
    copied_tickets = {row[0] for row in copy["tickets"]}
    assert first["id"] in copied_tickets
    issued_logged = {e[2] for e in copy["events"] if e[1] == "ticket.issued"}
    assert issued_logged == copied_tickets  # each ticket with its log row, and only those

    # A server starts on the copy and serves it: the same tickets, the next number after them.
    second = start_server(restored_url)
    staff: Api = api(second, api(second).login("supervisor"))
    assert staff.get(f"/api/v1/tickets/{first['id']}").body["rating"] == 2
    assert staff.get(report).body == reported  # the same report, figure for figure
    newest = max(copied_tickets)
    assert staff.get(f"/api/v1/tickets/{newest}").status == 200

    # A restore never goes over a database that is there.
    again = run_hallq(
        "restore", str(backup_file), data_dir=restored_data, cwd=tmp_path, env=restored_env
    )
    assert again.returncode != 0, said(again)
    assert ("already holds" in again.stderr) or ("tables" in again.stderr), said(again)


def test_restore_refuses_what_is_not_a_backup_of_this_kind(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.txt"
    bogus.write_text("not a database", encoding="utf-8")
    result = run_hallq("restore", str(bogus), data_dir=tmp_path / "d1", cwd=tmp_path)
    assert result.returncode != 0 and "not a HallQ backup" in result.stderr, said(result)
    fake_dump = tmp_path / "pg.backup"
    fake_dump.write_bytes(b"PGDMP\x01\x0e\x00" + b"\x00" * 64)
    result = run_hallq("restore", str(fake_dump), data_dir=tmp_path / "d2", cwd=tmp_path)
    assert result.returncode != 0 and "PostgreSQL backup" in result.stderr, said(result)
    assert not (tmp_path / "d2" / "hallq.sqlite3").exists()
    result = run_hallq("backup", str(tmp_path / "b"), data_dir=tmp_path / "empty", cwd=tmp_path)
    assert result.returncode != 0 and "hallq init" in result.stderr, said(result)
