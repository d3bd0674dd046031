"""``hallq init`` on the database of a hall that ran an older HallQ: upgraded in place, its
records kept, the new columns filled from the hall file."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine, text

from hallq.server.migrate import alembic_config
from tests.support.server import CONTRACT_VARIABLES, hallq_argv

CLI_TIMEOUT = 90.0  # seconds for one command; the machine is shared
DB_FILE = "hallq.sqlite3"


def hallq(*args: str, data_dir: Path, cwd: Path) -> str:
    """``hallq ARGS`` with HALLQ_DATA_DIR set (and nothing of the developer's environment);
    returns its output, failing the test if it fails."""
    env = {k: v for k, v in os.environ.items() if k not in CONTRACT_VARIABLES}
    env.update({"HALLQ_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"})
    done = subprocess.run(
        hallq_argv(*args),
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
    )
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_init_upgrades_the_database_of_an_older_hallq_in_place(tmp_path: Path) -> None:
    data = tmp_path / "data"
    hallq("init", data_dir=data, cwd=tmp_path)
    hallq("device", "add", "extra-kiosk", "--kind", "kiosk", data_dir=data, cwd=tmp_path)
    # Back to the schema before the engine settings (0003): a hall running an older HallQ.
    url = f"sqlite:///{data / DB_FILE}"
    engine = create_engine(url)
    with engine.begin() as conn:
        cfg = alembic_config(url)
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0002")
    engine.dispose()

    out = hallq("init", data_dir=data, cwd=tmp_path)

    assert re.search(r"Upgraded the database \(0002 -> \w+\)", out), out
    engine = create_engine(url)
    with engine.connect() as conn:
        devices = conn.execute(text("SELECT name FROM devices")).scalars().all()
        typical = conn.execute(
            text("SELECT typical_minutes FROM services WHERE code = 'consultation'")
        ).scalar_one()
        streaks = conn.execute(text("SELECT DISTINCT priority_streak FROM counters")).all()
    engine.dispose()
    assert "extra-kiosk" in devices  # what the hall had is kept
    assert typical == 4 and streaks == [(0,)]  # the new columns, filled by the hall file
