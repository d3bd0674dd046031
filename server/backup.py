"""Backups of a hall's database, taken while it serves, and their restore into an empty one.

- SQLite: SQLite's own online backup (``sqlite3.Connection.backup``), page by page, each step
  a consistent read: writers are not stopped, and the copy is the database as it was when
  the last step ran. The backup is itself a SQLite database file.
- PostgreSQL: ``pg_dump --format=custom`` (one snapshot, in one transaction), restored with
  ``pg_restore``. The PostgreSQL client tools must be installed (``postgresql-client``).

A restore goes only into an empty place (no database file yet, or a database with no table),
so it never mixes two halls' days; then ``hallq init`` upgrades it if the backup was taken
by an older HallQ.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from hallq.server.db import Database

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
PAGES_PER_STEP = 256  # SQLite pages copied between two looks at the writers (4 KB each)


class BackupError(Exception):
    """The backup or restore cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class Done:
    kind: str  # "sqlite" or "postgresql"
    path: Path
    size: int


def backup(url: str, target: Path) -> Done:
    """Copy the database at ``url`` into the new file ``target`` (never overwritten)."""
    if target.exists():
        raise BackupError(f"{target} already exists: name a new file")
    target.parent.mkdir(parents=True, exist_ok=True)
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        if backend == "sqlite":
            _sqlite_backup(_sqlite_path(url), partial)
        elif backend == "postgresql":
            _run(["pg_dump", "--format=custom", "--no-owner", "--file", str(partial), _libpq(url)])
        else:
            raise BackupError(f"no backup for a {backend} database")
        os.chmod(partial, 0o600)  # the hall's people and tokens' hashes are in it
        partial.rename(target)  # a backup that stopped half-way never has the final name
    finally:
        partial.unlink(missing_ok=True)
    return Done(backend, target, target.stat().st_size)


def restore(source: Path, url: str) -> Done:
    """Put the backup ``source`` into the empty database at ``url``."""
    if not source.is_file():
        raise BackupError(f"{source}: no such backup file")
    with source.open("rb") as f:
        head = f.read(16)
    backend = make_url(url).get_backend_name()
    if head.startswith(SQLITE_MAGIC):
        if backend != "sqlite":
            raise BackupError(
                f"{source} is a SQLite backup; this HallQ uses {backend}. Restore it with "
                "HALLQ_DATABASE_URL unset and HALLQ_DATA_DIR naming an empty data directory."
            )
        path = _sqlite_path(url)
        if path.exists() and path.stat().st_size > 0:
            raise BackupError(
                f"{path} already holds a database: restore into an empty data directory"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        try:
            _sqlite_backup(source, partial)
            os.chmod(partial, 0o600)
            partial.rename(path)
        finally:
            partial.unlink(missing_ok=True)
        return Done("sqlite", path, path.stat().st_size)
    if head.startswith(PG_DUMP_MAGIC):
        if backend != "postgresql":
            raise BackupError(
                f"{source} is a PostgreSQL backup; set HALLQ_DATABASE_URL to an empty "
                "PostgreSQL database to restore it"
            )
        database = Database(url)
        try:
            tables = inspect(database.engine).get_table_names()
        except Exception as exc:
            raise BackupError(f"cannot reach the database to restore into: {exc}") from exc
        finally:
            database.dispose()
        if tables:
            raise BackupError(
                f"the database already holds {len(tables)} tables: restore into an empty one "
                "(createdb hallq_restored)"
            )
        _run(
            [
                "pg_restore",
                "--no-owner",
                "--exit-on-error",
                "--single-transaction",
                "--dbname",
                _libpq(url),
                str(source),
            ]
        )
        return Done("postgresql", source, source.stat().st_size)
    raise BackupError(f"{source} is not a HallQ backup (neither SQLite nor pg_dump's format)")


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("the SQLite database is in memory: there is nothing to back up")
    return Path(database)


def _sqlite_backup(source: Path, target: Path) -> None:
    if not source.exists():
        raise BackupError(f"there is no database at {source}")
    # Read-only: a backup never creates or changes the hall's database.
    with (
        closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)) as src,
        closing(sqlite3.connect(target)) as dst,
    ):
        src.backup(dst, pages=PAGES_PER_STEP)


def _libpq(url: str) -> str:
    """The SQLAlchemy URL as the PostgreSQL tools take it (password included, for them only)."""
    parsed = make_url(url).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=False)


def _run(argv: list[str]) -> None:
    tool = argv[0]
    if shutil.which(tool) is None:
        raise BackupError(
            f"{tool} is not installed: install the PostgreSQL client tools "
            "(on Debian: apt-get install postgresql-client)"
        )
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        # The URL (with its password) is not repeated: only the tool's own words.
        raise BackupError(f"{tool} failed: {done.stderr.strip() or done.stdout.strip()}")
