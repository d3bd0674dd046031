"""Entry points: a package adds pages and ``hallq`` commands, and drivers are found by name.

Each test installs a fake distribution: a folder on ``sys.path`` holding
``<name>.dist-info/METADATA`` and ``entry_points.txt`` beside the plugin's modules, exactly
what pip leaves in site-packages.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from hallq.drivers import plugins as drivers
from hallq.server import cli, plugins
from hallq.server.app import create_app

DIST = "hallq-fake-plugin"

Install = Callable[..., "FakeDist"]


class FakeDist:
    """A distribution installed in ``site`` (on sys.path); ``mod`` is its module's name."""

    def __init__(self, site: Path, mod: str) -> None:
        self.site = site
        self.mod = mod


@pytest.fixture
def install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Install]:
    """``install(entry_points, source)``: a fake distribution ``hallq-fake-plugin 0.1`` whose
    module (a name of its own, in ``.mod``) holds ``source``. ``entry_points`` maps a group to
    ``{name: "attr"}`` (an attribute of the module) or ``{name: "module:attr"}``."""
    modules: list[str] = []

    def make(entry_points: dict[str, dict[str, str]], source: str = "") -> FakeDist:
        mod = f"hallq_fake_plugin_{secrets.token_hex(4)}"
        site = tmp_path / f"site-{len(modules) + 1}"
        info = site / f"{DIST.replace('-', '_')}-0.1.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {DIST}\nVersion: 0.1\n")
        lines = []
        for group, points in entry_points.items():
            lines.append(f"[{group}]")
            lines += [f"{n} = {v if ':' in v else f'{mod}:{v}'}" for n, v in points.items()]
        (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
        (site / f"{mod}.py").write_text(textwrap.dedent(source))
        modules.append(mod)
        monkeypatch.syspath_prepend(str(site))  # also invalidates importlib's caches
        return FakeDist(site, mod)

    yield make
    for mod in modules:
        sys.modules.pop(mod, None)


def hall_app(tmp_path: Path):
    """The HallQ app as tests/api/conftest.py builds it (no request here reads the database)."""
    return create_app(
        {
            "HALLQ_DATABASE_URL": f"sqlite:///{tmp_path / 'hallq.sqlite3'}",
            "HALLQ_DATA_DIR": str(tmp_path),
            "TESTING": True,
        }
    )


# --- pages ------------------------------------------------------------------------------------

PAGES_SOURCE = """
from pathlib import Path
from flask import Blueprint, current_app

bp = Blueprint(
    "fake_plugin", __name__, url_prefix="/fake-plugin",
    static_folder=str(Path(__file__).parent / "fake_static"), static_url_path="/static",
)

@bp.get("/hello")
def hello():
    return {"hello": "from the plugin", "in_hallq": "hallq" in current_app.extensions}

def init(app):
    app.register_blueprint(bp)

def refuse(app):
    raise RuntimeError("no screen here")

not_callable = 42
"""


def test_a_page_plugin_is_served_by_create_app(install: Install, tmp_path: Path) -> None:
    dist = install({plugins.PAGES: {"fake": "init"}}, PAGES_SOURCE)
    (dist.site / "fake_static").mkdir()
    (dist.site / "fake_static" / "screen.js").write_text("console.log('screen');\n")
    app = hall_app(tmp_path)
    try:
        client = app.test_client()
        page = client.get("/fake-plugin/hello")
        assert page.status_code == 200, page.get_data(as_text=True)
        assert page.get_json() == {"hello": "from the plugin", "in_hallq": True}
        static = client.get("/fake-plugin/static/screen.js")
        assert static.status_code == 200 and b"screen" in static.data
        static.close()
        # The server's own routes are all still there.
        assert client.get("/api/openapi.json").status_code == 200
        assert client.get("/static/js/i18n.js").status_code == 200
    finally:
        app.extensions["hallq"].db.dispose()


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("hallq_no_such_module:init", "cannot be loaded: ModuleNotFoundError"),
        ("refuse", "failed to add its pages: RuntimeError: no screen here"),
        ("not_callable", "is not a callable taking the Flask app"),
    ],
)
def test_a_broken_page_plugin_stops_the_start_naming_it(
    install: Install, tmp_path: Path, value: str, problem: str
) -> None:
    dist = install({plugins.PAGES: {"broken": value}}, PAGES_SOURCE)
    target = value if ":" in value else f"{dist.mod}:{value}"
    with pytest.raises(plugins.PluginError) as raised:
        hall_app(tmp_path)
    message = str(raised.value)
    assert f"hallq.pages entry point 'broken = {target}' of {DIST} 0.1" in message, message
    assert problem in message, message


# --- commands ---------------------------------------------------------------------------------

COMMANDS_SOURCE = """
import click

@click.command()
@click.option("--name", default="hall")
def hello(name):
    '''Say hello from a plugin.'''
    click.echo(f"hello {name} from the plugin")

@click.group()
def kiosk():
    '''Kiosk things.'''

@kiosk.command()
def ping():
    click.echo("pong")

@click.command(hidden=True)
def secret():
    click.echo("secret ran")

not_a_command = 42
"""


@pytest.fixture
def hallq_main(monkeypatch: pytest.MonkeyPatch) -> click.Group:
    """The real ``hallq`` group, its commands restored after the test."""
    monkeypatch.setattr(cli.main, "commands", dict(cli.main.commands))
    return cli.main


def test_a_command_plugin_shows_in_help_and_runs(install: Install, hallq_main) -> None:
    dist = install(
        {plugins.COMMANDS: {"hello": "hello", "kiosk": "kiosk", "secret": "secret"}},
        COMMANDS_SOURCE,
    )
    plugins.add_commands(hallq_main)
    assert dist.mod not in sys.modules  # nothing imported until it is needed
    runner = CliRunner()

    ran = runner.invoke(hallq_main, ["check", "--help"])
    assert ran.exit_code == 0, ran.output
    assert dist.mod not in sys.modules  # another command does not import it either

    shown = runner.invoke(hallq_main, ["--help"])
    assert shown.exit_code == 0, shown.output
    assert re.search(r"\n  hello +Say hello from a plugin\.", shown.output), shown.output
    assert re.search(r"\n  kiosk +Kiosk things\.", shown.output), shown.output
    assert "secret" not in shown.output  # a hidden command stays hidden
    for own in ("init", "serve", "demo", "user", "device", "check"):
        assert f"  {own} " in shown.output, shown.output

    ran = runner.invoke(hallq_main, ["hello", "--name", "Wan Chai"])
    assert ran.exit_code == 0, ran.output
    assert ran.output == "hello Wan Chai from the plugin\n"
    ran = runner.invoke(hallq_main, ["kiosk", "ping"])
    assert (ran.exit_code, ran.output) == (0, "pong\n")
    helped = runner.invoke(hallq_main, ["hello", "--help"])
    assert "hello [OPTIONS]" in helped.output, helped.output
    assert "--name" in helped.output


def test_a_broken_command_plugin_names_itself_and_the_rest_work(
    install: Install, hallq_main
) -> None:
    dist = install(
        {
            plugins.COMMANDS: {
                "broken": "hallq_no_such_module:cli",
                "odd": "not_a_command",
                "hello": "hello",
            }
        },
        COMMANDS_SOURCE,
    )
    plugins.add_commands(hallq_main)
    runner = CliRunner()

    shown = runner.invoke(hallq_main, ["--help"])
    assert shown.exit_code == 0, shown.output
    assert re.search(r"\n  broken +\(cannot be loaded: `hallq broken` says why\)", shown.output), (
        shown.output
    )
    assert re.search(r"\n  hello +Say hello from a plugin\.", shown.output), shown.output

    broken = runner.invoke(hallq_main, ["broken", "--anything"])
    assert broken.exit_code == 1, broken.output
    assert (
        f"hallq.commands entry point 'broken = hallq_no_such_module:cli' of {DIST} 0.1"
        in broken.output
    ), broken.output
    assert "ModuleNotFoundError: No module named 'hallq_no_such_module'" in broken.output
    odd = runner.invoke(hallq_main, ["odd"])
    assert odd.exit_code == 1, odd.output
    assert f"'odd = {dist.mod}:not_a_command'" in odd.output
    assert "is not a click command" in odd.output, odd.output

    assert runner.invoke(hallq_main, ["hello"]).output == "hello hall from the plugin\n"
    assert runner.invoke(hallq_main, ["init", "--help"]).exit_code == 0


def test_a_plugin_cannot_replace_a_command_of_hallq(install: Install, hallq_main, capsys) -> None:
    own = hallq_main.commands["init"]
    dist = install({plugins.COMMANDS: {"init": "hello"}}, COMMANDS_SOURCE)
    plugins.add_commands(hallq_main)
    assert hallq_main.commands["init"] is own
    warning = capsys.readouterr().err
    assert (
        f"warning: the hallq.commands entry point 'init = {dist.mod}:hello' of {DIST} 0.1 "
        "is ignored: the command 'init' is one of hallq's own." in warning
    ), warning


def test_the_hallq_command_adds_installed_plugins(install: Install, tmp_path: Path) -> None:
    """The real entry: ``hallq`` (server/cli.py) adds them; ``--help`` imports no Flask."""
    dist = install({plugins.COMMANDS: {"hello": "hello"}}, COMMANDS_SOURCE)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(dist.site), *sys.path])}
    probe = (
        "import sys\n"
        "from hallq.server.cli import main\n"
        "try:\n"
        "    main(sys.argv[1:])\n"
        "except SystemExit as stop:\n"
        f"    print('modules:', 'flask' in sys.modules, {dist.mod!r} in sys.modules)\n"
        "    raise\n"
    )

    def hallq(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", probe, *args],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )

    shown = hallq("--help")
    assert shown.returncode == 0, shown.stderr
    assert re.search(r"\n  hello +Say hello from a plugin\.", shown.stdout), shown.stdout
    assert "modules: False True" in shown.stdout  # no Flask; the plugin, for its help line
    ran = hallq("hello", "--name", "Sha Tin")
    assert ran.returncode == 0, ran.stderr
    assert "hello Sha Tin from the plugin" in ran.stdout
    other = hallq("init", "--help")
    assert other.returncode == 0, other.stderr
    assert "modules: False False" in other.stdout  # another command leaves it unimported


# --- drivers ----------------------------------------------------------------------------------

DRIVERS_SOURCE = """
class TcpConnection:
    pass

class SerialConnection:
    pass

class EspeakEngine:
    pass
"""


def test_drivers_are_found_and_loaded_by_name(install: Install) -> None:
    dist = install(
        {
            drivers.PRINTER_CONNECTIONS: {
                "fake-tcp": "TcpConnection",
                "fake-serial": "SerialConnection",
            },
            drivers.SPEECH: {"fake-speech": "EspeakEngine"},
        },
        DRIVERS_SOURCE,
    )
    assert {"fake-serial", "fake-tcp"} <= set(drivers.names(drivers.PRINTER_CONNECTIONS))
    assert "fake-speech" in drivers.names(drivers.SPEECH)
    assert dist.mod not in sys.modules  # listing names imports nothing
    tcp = drivers.load(drivers.PRINTER_CONNECTIONS, "fake-tcp")
    assert tcp.__name__ == "TcpConnection" and tcp.__module__ == dist.mod
    assert drivers.load(drivers.SPEECH, "fake-speech").__name__ == "EspeakEngine"


def test_drivers_refuse_an_unknown_name_listing_the_known_ones(install: Install) -> None:
    install({drivers.PRINTER_CONNECTIONS: {"fake-a": "TcpConnection", "fake-b": "TcpConnection"}})
    with pytest.raises(drivers.UnknownPlugin) as raised:
        drivers.load(drivers.PRINTER_CONNECTIONS, "bluetooth")
    message = str(raised.value)
    assert "no printer connection (URL scheme) 'bluetooth'" in message, message
    assert "fake-a, fake-b" in message, message
    assert raised.value.available == drivers.names(drivers.PRINTER_CONNECTIONS)
    assert isinstance(raised.value, LookupError)

    with pytest.raises(drivers.UnknownPlugin, match="'v9'; available: "):
        drivers.load(drivers.PAD_PROTOCOLS, "v9")
    with pytest.raises(ValueError, match=r"unknown driver group 'hallq\.printers'"):
        drivers.names("hallq.printers")


def test_a_broken_driver_names_its_entry_point(install: Install) -> None:
    install({drivers.SPEECH: {"vendor": "hallq_no_such_module:Engine"}})
    with pytest.raises(drivers.BrokenPlugin) as raised:
        drivers.load(drivers.SPEECH, "vendor")
    message = str(raised.value)
    assert (
        f"hallq.speech entry point 'vendor = hallq_no_such_module:Engine' of {DIST} 0.1" in message
    )
    assert "ModuleNotFoundError" in message, message


VENDOR_PAD_SOURCE = """
from hallq.drivers.serial.pad import PadProtocol, Score, Key


class LinePad(PadProtocol):
    # A vendor's pad that speaks lines: ASK A023 / OFF / SHOW text / PING; SCORE 4 / KEY NEXT.
    name = "acme"

    def __init__(self, address=1):
        super().__init__(address)
        self._held = b""
        self._counts = {"frames": 0, "dropped": 0}

    def request_rating(self, number):
        return f"ASK {number}\\n".encode()

    def cancel(self):
        return b"OFF\\n"

    def show(self, text):
        return f"SHOW {text}\\n".encode()

    def ping(self):
        return b"PING\\n"

    def feed(self, data):
        self._held += data
        *lines, self._held = self._held.split(b"\\n")
        events = []
        for line in lines:
            word, _, rest = line.decode(errors="replace").partition(" ")
            if word == "SCORE" and rest in {"1", "2", "3", "4", "5"}:
                events.append(Score(int(rest)))
            elif word == "KEY" and rest:
                events.append(Key(rest))
            else:
                self._counts["dropped"] += 1
                continue
            self._counts["frames"] += 1
        return events

    @property
    def stats(self):
        return dict(self._counts)
"""


def test_a_vendor_pad_protocol_plugs_in_beside_v1_without_touching_the_agent(
    install: Install,
) -> None:
    from hallq.counter.agent import CounterAgent, Options

    install({drivers.PAD_PROTOCOLS: {"acme": "LinePad"}}, VENDOR_PAD_SOURCE)
    assert {"acme", "v1"} <= set(drivers.names(drivers.PAD_PROTOCOLS))
    agent = CounterAgent("http://127.0.0.1:9", "t", "loop://", options=Options(protocol="acme"))
    pad = agent.devices["pad"]
    written: list[bytes] = []
    pad.link = type("Link", (), {"write": lambda self, data: written.append(data) or True})()
    pad.present = True
    agent._rating_request({"id": 3, "ticket_id": 8, "number": "B007", "counter": 2})
    assert written == [b"ASK B007\n"]
    agent._device_data(pad, b"SCO")
    agent._device_data(pad, b"RE 5\nnoise\n")
    while not agent._tasks.empty():
        agent._tasks.get_nowait()()
    assert [m.payload for m in agent._outbox] == [{"ticket": 8, "score": 5, "id": 3}]
    assert pad.protocol.stats == {"frames": 1, "dropped": 1}
