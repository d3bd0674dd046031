"""The layout's rules (DESIGN.md, Layout), checked on the source: who may import what.

- The queue engine (``server/queue/``) is plain Python over a SQLAlchemy session: no Flask,
  no Socket.IO, no web layer of HallQ.
- ``drivers/`` knows nothing of halls: it imports no server and no screen.
- The wire contract (``server/wire.py``) loads neither Flask nor the database, so agents can
  share it.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from collections.abc import Iterable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# The engine: no web framework, no realtime hub, none of the server's web modules.
QUEUE_FORBIDDEN = (
    "flask",
    "flask_*",  # any Flask extension (flask_socketio, flask_babel, flask_openapi3, …)
    "socketio",
    "engineio",
    "werkzeug",
    "hallq.server.api",
    "hallq.server.realtime",
    "hallq.server.app",
    "hallq.server.state",
)
# Drivers: nothing of the server or the screens (nor their bare folder names).
DRIVERS_FORBIDDEN = (
    "hallq.server",
    "hallq.kiosk",
    "hallq.display",
    "hallq.counter",
    "server",
    "kiosk",
    "display",
    "counter",
)


def module_name(path: Path) -> str:
    """``server/queue/engine.py`` -> ``hallq.server.queue.engine`` (a package: its name)."""
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(["hallq", *parts])


def imported_modules(source: str, module: str, is_package: bool) -> Iterable[tuple[int, str]]:
    """``(line, module)`` for every import in the source, anywhere in it; relative imports are
    made absolute, and ``from a import b`` yields both ``a`` and ``a.b`` (b may be a module)."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            yield node.lineno, base
            for alias in node.names:
                if alias.name != "*":
                    yield node.lineno, f"{base}.{alias.name}"


def matches(name: str, rule: str) -> bool:
    if rule.endswith("*"):
        top = name.split(".")[0]
        return top.startswith(rule[:-1])
    return name == rule or name.startswith(rule + ".")


def violations(files: Iterable[Path], forbidden: tuple[str, ...]) -> list[str]:
    """``path:line: imports NAME (forbidden: RULE)`` for each forbidden import in the files."""
    found = []
    for path in sorted(files):
        source = path.read_text(encoding="utf-8")
        module = module_name(path)
        seen: set[tuple[int, str]] = set()
        for line, name in imported_modules(source, module, path.name == "__init__.py"):
            for rule in forbidden:
                if matches(name, rule) and (line, rule) not in seen:
                    seen.add((line, rule))
                    where = path.relative_to(REPO)
                    found.append(f"{where}:{line}: imports {name} (not allowed: {rule})")
    return found


def python_files(folder: str) -> list[Path]:
    files = [p for p in (REPO / folder).rglob("*.py") if "__pycache__" not in p.parts]
    assert files, f"no Python files under {folder}/"
    return files


def test_the_queue_engine_imports_no_web_layer() -> None:
    problems = violations(python_files("server/queue"), QUEUE_FORBIDDEN)
    assert not problems, "the queue engine must stay plain Python:\n" + "\n".join(problems)


def test_drivers_import_no_server_and_no_screen() -> None:
    problems = violations(python_files("drivers"), DRIVERS_FORBIDDEN)
    assert not problems, "drivers/ must know nothing of halls:\n" + "\n".join(problems)


def test_the_wire_contract_loads_neither_flask_nor_the_database() -> None:
    probe = (
        "import sys\n"
        "import hallq.server.wire\n"
        "tops = {'flask', 'flask_socketio', 'werkzeug', 'sqlalchemy'}\n"
        "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in tops)))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=REPO
    )
    assert run.returncode == 0, run.stderr
    loaded = run.stdout.split()
    assert not loaded, f"importing hallq.server.wire loaded: {', '.join(loaded)}"


# --- the checker itself -----------------------------------------------------------------------


@pytest.fixture
def fake_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setitem(globals(), "REPO", tmp_path)  # the checker reads REPO from here
    return tmp_path


def write(root: Path, relative: str, source: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return path


def test_the_checker_names_the_file_and_line(fake_tree: Path) -> None:
    engine = write(
        fake_tree,
        "server/queue/engine.py",
        """\
        import datetime
        from sqlalchemy import select

        from flask import g
        from hallq.server import wire, state
        from .. import realtime
        from ..api.tickets import issue


        def later():
            import flask_socketio
        """,
    )
    fine = write(fake_tree, "server/queue/__init__.py", "from . import rules\n")
    assert violations([engine, fine], QUEUE_FORBIDDEN) == [
        "server/queue/engine.py:4: imports flask (not allowed: flask)",
        "server/queue/engine.py:5: imports hallq.server.state (not allowed: hallq.server.state)",
        "server/queue/engine.py:6: imports hallq.server.realtime (not allowed: hallq.server.realtime)",
        "server/queue/engine.py:7: imports hallq.server.api.tickets (not allowed: hallq.server.api)",
        "server/queue/engine.py:11: imports flask_socketio (not allowed: flask_*)",
    ]


def test_the_checker_resolves_relative_imports_of_drivers(fake_tree: Path) -> None:
    printer = write(
        fake_tree,
        "drivers/printer/__init__.py",
        """\
        from . import network
        from ...server import wire
        from hallq.drivers.serial import framing
        import hallq.kiosk.render
        """,
    )
    assert violations([printer], DRIVERS_FORBIDDEN) == [
        "drivers/printer/__init__.py:2: imports hallq.server (not allowed: hallq.server)",
        "drivers/printer/__init__.py:4: imports hallq.kiosk.render (not allowed: hallq.kiosk)",
    ]


# The one command path: only these open a write transaction (``Database.writing``).
WRITERS = {"server/db.py", "server/commands.py"}


def test_only_the_command_path_opens_write_transactions() -> None:
    """Views, socket handlers, pages, the CLI and the demo change the hall through
    ``commands.CommandPath.run``, never with a transaction of their own."""
    offenders = []
    for path in sorted((REPO / "server").rglob("*.py")):
        relative = path.relative_to(REPO).as_posix()
        if relative in WRITERS:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "writing"
            ):
                offenders.append(f"{relative}:{node.lineno}")
    assert offenders == [], "write transactions outside the command path: " + ", ".join(offenders)
