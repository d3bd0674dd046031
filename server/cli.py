"""The ``hallq`` command: set up a hall, add people and devices, run the server or the demo.

Messages are for the person installing a hall: what happened, and the next step.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from hallq.server.roles import DEVICE_KINDS, ROLES

# The database, the engine and argon2 are imported by the commands that use them: the agents
# and emulators this command also starts (kiosk-agent, counter-agent, emulate pad…) then
# start without them, a few tenths of a second sooner each.
if TYPE_CHECKING:
    from hallq.server import db as dbmod
    from hallq.server.commands import CommandPath
    from hallq.server.models import Hall
    from hallq.server.queue.events import Actor
    from hallq.server.queue.hall import HallContext


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _database() -> dbmod.Database:
    from hallq.server import db as dbmod

    return dbmod.Database(dbmod.database_url())


def _describe(url: str) -> str:
    from sqlalchemy.engine import make_url

    u = make_url(url)
    return (
        u.database if u.get_backend_name() == "sqlite" else u.render_as_string(hide_password=True)
    )


def _ready_database() -> dbmod.Database:
    """The database, refusing politely when ``hallq init`` has not been run."""
    from sqlalchemy.engine import make_url

    from hallq.server import db as dbmod
    from hallq.server.migrate import is_current

    url = make_url(dbmod.database_url())
    sqlite_file = url.database if url.get_backend_name() == "sqlite" else None
    if sqlite_file and sqlite_file != ":memory:" and not Path(sqlite_file).exists():
        # Opening it would leave an empty database file behind that looks like a set-up one.
        raise click.ClickException(
            f"there is no database at {sqlite_file} yet. Run `hallq init` first."
        )
    database = _database()
    try:
        current = is_current(database.engine)
    except Exception as exc:  # the database cannot even be reached
        raise click.ClickException(
            f"cannot open the database {_describe(dbmod.database_url())}: {exc}\n"
            "Check HALLQ_DATABASE_URL / HALLQ_DATA_DIR."
        ) from exc
    if not current:
        raise click.ClickException(
            "the database is not set up (or is older than this HallQ). Run `hallq init` first."
        )
    return database


CLI = "cli"  # the log's actor and source for what the hallq command changes


def _cli_actor(hall_id: int) -> Actor:
    from hallq.server.queue.events import Actor

    # The person at the server's console: the log keeps their system account's name.
    return Actor(hall_id=hall_id, role=CLI, source=CLI, name=_console_user())


def _console_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # an account without a name (containers)
        return f"uid {os.getuid()}"


def _commands(database: dbmod.Database) -> CommandPath:
    """The command path, without a realtime hub: the servers learn of revocations from the
    announcement (commands.py), and of everything else from their own reads."""
    from hallq.server import device_policy
    from hallq.server.commands import CommandPath, NoRealtime

    return CommandPath(database, NoRealtime(), device_policy.follow)


def _run(database: dbmod.Database, hall: HallContext, work: Any) -> Any:
    """Run an administrative command; a refusal becomes the command's error message."""
    from hallq.server.queue.errors import Refused
    from hallq.server.refusals import explain

    try:
        return _commands(database).run(hall, _cli_actor(hall.id), _now(), work)
    except Refused as refused:
        raise click.ClickException(explain(refused, "en")) from None


def _hall_context(database: dbmod.Database, code: str | None) -> HallContext:
    from hallq.server.queue.hall import hall_context

    with database.reading() as session:
        return hall_context(_the_hall(session, code))


def _the_hall(session: Any, code: str | None) -> Hall:
    from sqlalchemy import select

    from hallq.server.models import Hall

    halls = session.scalars(select(Hall).order_by(Hall.id)).all()
    if code:
        for hall in halls:
            if hall.code == code:
                return hall
        raise click.ClickException(
            f"no hall {code!r}; halls here: {', '.join(h.code for h in halls) or 'none'}"
        )
    if not halls:
        raise click.ClickException("no hall is loaded yet. Run `hallq init` first.")
    if len(halls) > 1:
        raise click.ClickException(
            f"several halls here; say which with --hall ({', '.join(h.code for h in halls)})"
        )
    return halls[0]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """HallQ: the queue, kiosk and lobby-screen system of a service hall.

    Data lives in HALLQ_DATA_DIR (default ./var); HALLQ_DATABASE_URL selects PostgreSQL
    instead of the SQLite file there; HALLQ_REDIS_URL lets several server processes share
    the realtime hub.
    """
    # What this process writes (the database, keys, logs) is the service user's alone.
    os.umask(0o077)


# --- init ---------------------------------------------------------------------------------


@main.command()
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="the hall file (TOML); default: the sample transfer hall",
)
@click.option(
    "--demo", is_flag=True, help="load the hall with every service open all day and no daily cap"
)
@click.option("--check", is_flag=True, help="only check the hall file; change nothing")
def init(config_path: Path | None, demo: bool, check: bool) -> None:
    """Check the hall file, create or upgrade the database, and load the hall."""
    from sqlalchemy import select

    from hallq.server import db as dbmod
    from hallq.server.admin.halls import load_hall_file
    from hallq.server.hall_file import HallConfigError, load_hall_config, sample_hall_path
    from hallq.server.migrate import upgrade
    from hallq.server.models import User

    path = config_path or sample_hall_path()
    if config_path is not None and not config_path.exists():
        raise click.ClickException(f"{config_path}: no such file")
    try:
        config = load_hall_config(path)
    except HallConfigError as err:
        click.echo(str(err), err=True)
        n = len(err.problems)
        raise click.ClickException(
            f"{n} mistake{'s' if n != 1 else ''} in {path}; nothing was changed."
        ) from None
    for warning in config.warnings:
        click.echo(f"warning: {warning.format(str(path))}", err=True)
    if check:
        click.echo(
            f"{path}: hall {config.code} is valid ({len(config.services)} services, {len(config.counters)} windows)."
        )
        return
    if demo:
        config = config.as_demo()

    url = dbmod.database_url()
    database = _database()
    before, after = upgrade(database.engine)
    if before is None:
        click.echo(f"Created the database: {_describe(url)}")
    elif before != after:
        click.echo(f"Upgraded the database ({before} -> {after}): {_describe(url)}")
    now = _now()
    loaded = _commands(database).run(
        None,
        _cli_actor(0),
        now,
        lambda session: load_hall_file(
            session,
            config,
            demo=demo,
            source=str(config_path or "sample"),
            role=CLI,
            origin=CLI,
            now=now,
        ),
    )
    with database.reading() as session:
        has_users = (
            session.scalar(select(User.id).where(User.hall_id == loaded.hall.id).limit(1))
            is not None
        )
    changes = loaded.changes
    database.dispose()
    source = "the sample hall" if config_path is None else str(config_path)
    click.echo(
        f"Loaded hall {config.code} from {source}{' (demo: open all day, no caps)' if demo else ''}."
    )
    for change in changes:
        click.echo(f"  {change}")
    if not has_users:
        click.echo(
            "Next: add an administrator and clerks, e.g.\n"
            "  hallq user add admin --role admin --password '…'\n"
            "  hallq user add wang --role clerk --password '…'\n"
            "then give each device a token (hallq device add NAME) and start the server (hallq serve)."
        )


# --- users --------------------------------------------------------------------------------


@main.group()
def user() -> None:
    """People who sign in: admins, supervisors and clerks."""


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="asked for when not given",
)
@click.option("--display-name", help="the name screens show (default: NAME)")
@click.option("--hall", "hall_code", help="the hall, when this database holds several")
def user_add(
    name: str, role: str, password: str, display_name: str | None, hall_code: str | None
) -> None:
    """Add a user, or reset an existing user's role and password (their sessions end)."""
    from hallq.server.admin import users
    from hallq.server.auth import hash_password

    if len(password) < 4:
        raise click.ClickException("the password is too short (at least 4 characters).")
    if not 1 <= len(name) <= 64 or not name.isprintable() or " " in name:
        raise click.ClickException("a user name is 1 to 64 characters without spaces.")
    database = _ready_database()
    hall = _hall_context(database, hall_code)
    password_hash = hash_password(password)  # slow: before the transaction, not inside it
    now = _now()
    change = _run(
        database,
        hall,
        lambda session: users.put_user(
            session,
            _cli_actor(hall.id),
            name,
            role=role,
            password_hash=password_hash,
            display_name=display_name,
            now=now,
        ),
    )
    database.dispose()
    if change.changes == ["added"]:
        click.echo(
            f"Added {role} {name} to hall {hall.code}. They sign in at POST /api/v1/auth/login."
        )
    else:
        click.echo(
            f"User {name} exists: role set to {role}, password reset, account enabled; "
            "their open sessions ended."
        )


@user.command("disable")
@click.argument("name")
def user_disable(name: str) -> None:
    """Disable a user: their tokens stop working at once."""
    from hallq.server.admin import users

    database = _ready_database()
    hall = _hall_context(database, None)
    _run(
        database,
        hall,
        lambda session: users.disable_user(session, _cli_actor(hall.id), name, _now()),
    )
    database.dispose()
    click.echo(f"User {name} is disabled; their sessions ended.")


@user.command("list")
def user_list() -> None:
    """List users."""
    from sqlalchemy import select

    from hallq.server.models import User

    database = _ready_database()
    with database.reading() as session:
        for u in session.scalars(select(User).order_by(User.username)):
            click.echo(f"{u.username:20} {u.role:11} {'active' if u.active else 'disabled'}")
    database.dispose()


# --- devices ------------------------------------------------------------------------------


@main.group()
def device() -> None:
    """Kiosks, lobby displays and counter agents, each with its own token."""


@device.command("add")
@click.argument("name")
@click.option(
    "--kind",
    type=click.Choice(DEVICE_KINDS),
    help="needed for a device the hall file does not declare",
)
@click.option("--zone", help="the zone it belongs to (kiosk, display)")
@click.option("--counter", "counter_number", type=int, help="its window (counter agents)")
@click.option("--hall", "hall_code", help="the hall, when this database holds several")
def device_add(
    name: str, kind: str | None, zone: str | None, counter_number: int | None, hall_code: str | None
) -> None:
    """Add a device (or give an existing one a new token). The token is the last line printed."""
    from hallq.server.admin import devices

    database = _ready_database()
    hall = _hall_context(database, hall_code)
    now = _now()
    given = _run(
        database,
        hall,
        lambda session: devices.give_token(
            session,
            _cli_actor(hall.id),
            name,
            kind=kind,
            zone=zone,
            counter_number=counter_number,
            now=now,
        ),
    )
    database.dispose()
    verb = "Added" if given.added else "New token for"
    click.echo(f"{verb} {given.kind} {name}; any earlier token of it no longer works. Its token:")
    click.echo(given.token)


@device.command("revoke")
@click.argument("name")
def device_revoke(name: str) -> None:
    """Revoke a device's token at once (a lost or replaced device)."""
    from hallq.server.admin import devices

    database = _ready_database()
    hall = _hall_context(database, None)
    _run(database, hall, lambda session: devices.revoke(session, _cli_actor(hall.id), name, _now()))
    database.dispose()
    click.echo(
        f"Device {name} can no longer connect. `hallq device add {name}` gives it a new token."
    )


@device.command("list")
def device_list() -> None:
    """List devices with their state."""
    from sqlalchemy import select

    from hallq.server.models import Device

    database = _ready_database()
    with database.reading() as session:
        for d in session.scalars(select(Device).order_by(Device.name)):
            seen = d.last_seen_at.isoformat(timespec="seconds") if d.last_seen_at else "never"
            token = "token" if d.token_hash else "no token"
            click.echo(f"{d.name:16} {d.kind:8} {token:9} last seen {seen}  {d.status or ''}")
    database.dispose()


# --- backup / restore -----------------------------------------------------------------------


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def backup(file: Path) -> None:
    """Back the hall's database up into FILE, while the server runs (SQLite's online backup,
    or pg_dump for PostgreSQL). FILE must not exist yet."""
    from hallq.server import backup as backups
    from hallq.server import db as dbmod

    _ready_database().dispose()
    try:
        done = backups.backup(dbmod.database_url(), file)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Backed up the {done.kind} database into {done.path} ({done.size:,} bytes).")


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
def restore(file: Path) -> None:
    """Restore the backup FILE into an empty data directory (SQLite) or an empty PostgreSQL
    database (HALLQ_DATABASE_URL); then `hallq init` upgrades it if need be."""
    from hallq.server import backup as backups
    from hallq.server import db as dbmod

    url = dbmod.database_url()
    try:
        done = backups.restore(file, url)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"Restored {file} into the {done.kind} database {_describe(url)}. "
        "Run `hallq check` (or `hallq init` after an upgrade of HallQ), then `hallq serve`."
    )


# --- serve / demo -------------------------------------------------------------------------


@main.command()
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="0.0.0.0 to serve the hall's network"
)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--dev", is_flag=True, help="Flask's development server with the reloader (not for a hall)"
)
def serve(host: str, port: int, dev: bool) -> None:
    """Run the hall server (gunicorn, one gevent worker: what the benchmarks measured)."""
    if dev:
        click.get_current_context().invoke(check, quiet=True)  # and its warnings
        from hallq.server.app import create_app

        app = create_app()
        socketio = app.extensions["socketio"]
        click.echo(f"Development server on http://{host}:{port}/ (Ctrl-C stops it)")
        socketio.run(
            app, host=host, port=port, debug=True, use_reloader=True, allow_unsafe_werkzeug=True
        )
        return
    # Checked in a child process: psycopg chooses how to wait for the database when it is
    # first imported, and it must first be imported in the worker, after gevent's patching,
    # or every query would stop the whole worker while it waits.
    checked = subprocess.run(
        [sys.executable, "-m", "hallq.server.cli", "check", "--quiet"], check=False
    )
    if checked.returncode != 0:
        raise SystemExit(checked.returncode)
    from hallq.server.serving import run_gunicorn

    click.echo(f"HallQ serving http://{host}:{port}/ (Ctrl-C stops it)")
    run_gunicorn(host, port)


@main.command()
@click.option("--quiet", is_flag=True, help="say nothing when all is well")
def check(quiet: bool) -> None:
    """Check that the database answers and holds a loaded hall (exit status 0 if so)."""
    from sqlalchemy import select

    from hallq.server import db as dbmod
    from hallq.server.models import Hall

    database = _ready_database()
    with database.reading() as session:
        loaded = session.execute(select(Hall.code, Hall.config)).all()
    database.dispose()
    halls = [code for code, _config in loaded]
    if not halls:
        raise click.ClickException("no hall is loaded yet. Run `hallq init` first.")
    for code, config in loaded:
        if not os.environ.get("HALLQ_PUBLIC_URL") and not (config or {}).get("public_url"):
            # Said even with --quiet (serve runs it so): tickets' QR codes depend on it.
            click.echo(
                f"warning: hall {code} has no public URL: tickets' QR codes will hold only a "
                "path. Set HALLQ_PUBLIC_URL, or public_url in the hall file's [hall] table, to "
                "the address customers' phones reach (e.g. https://queue.example.org).",
                err=True,
            )
    if not quiet:
        click.echo(
            f"Database {_describe(dbmod.database_url())} is ready; halls: {', '.join(halls)}."
        )


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--keep", is_flag=True, help="keep the previous demo's tickets instead of starting afresh"
)
def demo(host: str, port: int, keep: bool) -> None:
    """Run a whole demo hall on SQLite: the sample hall open all day, demo users and devices."""
    from hallq.server.demo import run_demo

    run_demo(host=host, port=port, keep=keep)


@main.group()
def emulate() -> None:
    """Emulated devices (a receipt printer, a counter pad...) for the demo and the tests:
    each speaks its device's protocol on a real port, so agents cannot tell it from one."""


# Commands of installed packages (entry points `hallq.commands`), imported when used.
from hallq.server import plugins  # noqa: E402  (beside its one use; it imports no Flask)

plugins.add_commands(main)
plugins.add_commands(emulate, plugins.EMULATORS)


if __name__ == "__main__":
    sys.exit(main())
