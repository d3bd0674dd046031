"""The ``hallq`` command as a hall's installer uses it: init, users, devices, serve, demo."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path

import pytest
import requests

from hallq.server.hall_file import sample_hall_path
from tests.e2e.conftest import SERVER_START_TIMEOUT, serve_argv
from tests.support.ports import free_port
from tests.support.server import CONTRACT_VARIABLES, ServerProcess, hallq_argv

CLI_TIMEOUT = 90.0  # seconds for one command; the machine is shared
DB_FILE = "hallq.sqlite3"


def run_hallq(
    *args: str, data_dir: Path, cwd: Path, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``hallq ARGS`` with HALLQ_DATA_DIR set (and nothing of the developer's environment)."""
    full_env = {k: v for k, v in os.environ.items() if k not in CONTRACT_VARIABLES}
    full_env.update({"HALLQ_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1", **(env or {})})
    return subprocess.run(
        hallq_argv(*args),
        env=full_env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
    )


def said(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n--- stdout\n{result.stdout}--- stderr\n{result.stderr}"


def succeeded(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, said(result)
    return result.stdout


def last_line(text: str) -> str:
    return text.strip().splitlines()[-1].strip()


def test_init_on_a_fresh_data_dir_creates_the_database_and_says_what_next(tmp_path) -> None:
    data = tmp_path / "data"
    out = succeeded(run_hallq("init", data_dir=data, cwd=tmp_path))
    assert (data / DB_FILE).is_file()
    assert "Created the database" in out, out
    for step in ("hallq user add", "hallq device add", "hallq serve"):
        assert step in out, f"init does not mention {step!r}:\n{out}"
    again = succeeded(run_hallq("init", data_dir=data, cwd=tmp_path))
    assert "Created the database" not in again, again  # a second run upgrades in place


def test_init_lists_every_mistake_with_its_line_and_changes_nothing(tmp_path) -> None:
    lines = sample_hall_path().read_text(encoding="utf-8").splitlines()
    mistakes = {  # original line -> the line with a mistake
        'timezone = "Asia/Hong_Kong"': 'timezone = "Mars/Olympus"',
        'prefix = "B"': 'prefix = "A"',  # the vehicle service takes the property prefix
        "target_wait = 15": "target_wait = 9999",
        'profile = [["property-transfer"], ["certificate-pickup"]]': (
            'profile = [["property-transfr"], ["certificate-pickup"]]'
        ),
    }
    where: list[int] = []
    for good, bad in mistakes.items():
        index = next(i for i, line in enumerate(lines) if line.strip() == good)
        lines[index] = lines[index].replace(good, bad)
        where.append(index + 1)
    (tmp_path / "bad.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    data = tmp_path / "data"

    for args in (("init", "--config", "bad.toml"), ("init", "--check", "--config", "bad.toml")):
        result = run_hallq(*args, data_dir=data, cwd=tmp_path)
        assert result.returncode != 0, said(result)
        shown = result.stdout + result.stderr
        for line in where:
            assert re.search(rf"^bad\.toml:{line}:", shown, re.M), f"no bad.toml:{line}\n{shown}"
        assert "4 mistakes" in shown, shown
        assert not (data / DB_FILE).exists(), f"{' '.join(args)} left a database behind"

    refused = run_hallq(
        "user",
        "add",
        "wang",
        "--role",
        "clerk",
        "--password",
        "pw-1234",
        data_dir=data,
        cwd=tmp_path,
    )
    assert refused.returncode != 0 and "hallq init" in refused.stderr, said(refused)
    assert not (data / DB_FILE).exists(), "`hallq user add` before init left a database file"


def test_init_check_only_checks(tmp_path) -> None:
    data = tmp_path / "data"
    out = succeeded(run_hallq("init", "--check", data_dir=data, cwd=tmp_path))
    assert "valid" in out, out
    assert not data.exists() or not any(data.iterdir()), f"--check wrote {list(data.iterdir())}"


def test_serve_before_init_says_to_run_init(tmp_path) -> None:
    data = tmp_path / "data"
    port = free_port()
    result = run_hallq("serve", "--port", str(port), data_dir=data, cwd=tmp_path)
    assert result.returncode != 0, said(result)
    assert "hallq init" in result.stderr, said(result)
    assert not (data / DB_FILE).exists(), "`hallq serve` before init left a database file"


def test_users_and_devices_made_by_the_cli_work_on_a_running_server(
    tmp_path, server_factory, api
) -> None:
    data = tmp_path / "data"

    def hallq(*args: str) -> str:
        return succeeded(run_hallq(*args, data_dir=data, cwd=tmp_path))

    hallq("init", "--demo")  # open all day: issuing works at any hour
    hallq("user", "add", "wang", "--role", "clerk", "--password", "wang-pw-1")
    kiosk_token = last_line(hallq("device", "add", "kiosk-z", "--kind", "kiosk"))
    assert re.fullmatch(r"\S{20,}", kiosk_token), kiosk_token

    server = server_factory(
        serve_argv(), env={"HALLQ_DATA_DIR": str(data)}, timeout=SERVER_START_TIMEOUT
    )
    kiosk = api(server, kiosk_token)
    reply = kiosk.post("/api/v1/tickets", {"service": "consultation"})
    assert reply.status == 201, reply
    clerk_token = api(server).login("wang", "wang-pw-1")
    clerk = api(server, clerk_token)
    me = clerk.get("/api/v1/auth/me")
    assert me.status == 200 and me.body["role"] == "clerk", me

    # A device added while the server runs works at once.
    display_token = last_line(hallq("device", "add", "display-z", "--kind", "display"))
    reply = api(server, display_token).get("/api/v1/services")
    assert reply.status == 200, reply

    # Disabling a user and revoking a device take effect at once.
    hallq("user", "disable", "wang")
    assert clerk.get("/api/v1/auth/me").status == 401
    assert (
        api(server).post("/api/v1/auth/login", {"username": "wang", "password": "wang-pw-1"}).status
        == 401
    )
    hallq("device", "revoke", "kiosk-z")
    reply = kiosk.post("/api/v1/tickets", {"service": "consultation"})
    assert reply.status == 401, reply
    assert reply.body["error"]["code"], reply

    # A new token for the same device: the new one works, the old one stays dead.
    new_token = last_line(hallq("device", "add", "kiosk-z"))
    assert new_token != kiosk_token
    assert api(server, new_token).post("/api/v1/tickets", {"service": "consultation"}).status == 201
    assert kiosk.post("/api/v1/tickets", {"service": "consultation"}).status == 401


# --- the demo ----------------------------------------------------------------------------

DEMO_STOP_TIMEOUT = 15.0  # seconds; the server's graceful stop is 3 s


def _ppid_and_state(pid: int) -> tuple[int, str] | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return None
    # pid (comm) state ppid ...; comm may hold spaces and parentheses
    fields = stat[stat.rindex(b")") + 2 :].split()
    return int(fields[1]), fields[0].decode()


def descendants(pid: int) -> list[int]:
    """The live processes started by ``pid``, by their children and so on."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit() and (found := _ppid_and_state(int(entry.name))) is not None:
            ppid, state = found
            if state not in ("Z", "X"):
                children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def still_alive(pids: list[int], within: float) -> list[int]:
    """Those of ``pids`` still running (not zombies) after waiting up to ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        alive = [pid for pid in pids if (found := _ppid_and_state(pid)) and found[1] not in "ZX"]
        if not alive or time.monotonic() >= deadline:
            return alive
        time.sleep(0.05)


def start_demo(tmp_path: Path, server_factory) -> tuple[ServerProcess, str, list[int]]:
    """``hallq demo`` on a free port (a process group leader, as a shell starts it), ready and
    past its welcome; returns it, its output so far and the pids of its processes."""
    demo = server_factory(
        hallq_argv("demo", "--port", "{port}"),
        env={"HALLQ_DATA_DIR": str(tmp_path / "demo")},
        timeout=SERVER_START_TIMEOUT + 30,
    )
    deadline = time.monotonic() + 20
    while "Logs:" not in demo.log_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    text = demo.log_text()
    assert "Logs:" in text, text
    pids = [demo.pid, *descendants(demo.pid)]
    # The demo, the server (gunicorn's arbiter) and its worker, at least.
    assert len(pids) >= 3, f"demo, server and its worker expected: {pids}"
    # The parts run in process groups of their own: the terminal's Ctrl-C reaches the demo only.
    for pid in pids[1:]:
        assert os.getpgid(pid) != demo.pid, f"part {pid} is in the demo's process group"
    return demo, text, pids


def assert_stopped_cleanly(demo: ServerProcess, pids: list[int], how: str) -> None:
    try:
        status = demo.proc.wait(timeout=DEMO_STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(
            f"the demo did not stop within {DEMO_STOP_TIMEOUT:g} s of {how}:\n{demo.log_tail()}"
        )
    output = demo.log_text()
    assert status == 0, f"exit status {status} after {how}:\n{output}"
    assert "Demo hall stopped." in output, output
    for bad in ("unexpectedly", "Traceback", "Aborted"):
        assert bad not in output, f"{bad!r} after {how}:\n{output}"
    left = still_alive(pids, within=5)
    assert not left, f"left running after the demo stopped: {left}"
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{demo.url}/healthz", timeout=5)


def test_demo_runs_a_hall_and_stops_everything_on_sigterm(tmp_path, server_factory, api) -> None:
    demo, text, pids = start_demo(tmp_path, server_factory)
    for url in (f"{demo.url}/", f"{demo.url}/api/openapi.json", f"{demo.url}/healthz"):
        assert url in text, f"the demo does not show {url}:\n{text}"
    tokens = dict(re.findall(r"^\s+(kiosk-\d|display-[a-z]+|counter-\d)\s+(\S+)$", text, re.M))
    assert {"kiosk-1", "display-a", "counter-1"} <= set(tokens), text
    password = re.search(r"with password '([^']+)'", text)
    assert password, text

    client = api(demo)
    reply = client.post(
        "/api/v1/tickets", {"service": "property-transfer"}, token=tokens["kiosk-1"]
    )
    assert reply.status == 201, reply
    login = client.post("/api/v1/auth/login", {"username": "clerk1", "password": password[1]})
    assert login.status == 200
    # The lobby board's link, and the announcer saying the call (kept: no sound card here).
    assert f"{demo.url}/display#token=" in text, text
    clerk = login.body["token"]
    lobby = tokens["display-lobby"]
    deadline = time.monotonic() + 20  # the announcer is up once it has said how it stands

    def speakers() -> str:
        me = client.get("/api/v1/devices/me", token=lobby).body
        return (me.get("status") or {}).get("status", "")

    while speakers() != "ok" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert client.post("/api/v1/counters/1/open", token=clerk).status == 200
    assert client.post("/api/v1/counters/1/call-next", token=clerk).status == 200
    kept = tmp_path / "demo" / "announcements"
    assert str(kept) in text, text
    deadline = time.monotonic() + 40
    while not list(kept.glob("*.wav")) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert list(kept.glob("*.wav")), (tmp_path / "demo" / "logs" / "announcer.log").read_text()
    # Window 1's emulated pad rates every finished ticket: its customers answer 5.
    assert f"{demo.url}/counter" in text, text
    assert client.post("/api/v1/counters/1/start", token=clerk).status == 200
    assert client.post("/api/v1/counters/1/finish", token=clerk).status == 200
    deadline = time.monotonic() + 30
    while (
        client.get(f"/api/v1/tickets/{reply.body['id']}", token=clerk).body.get("rating") is None
        and time.monotonic() < deadline
    ):
        time.sleep(0.2)
    assert client.get(f"/api/v1/tickets/{reply.body['id']}", token=clerk).body["rating"] == 5, (
        tmp_path / "demo" / "logs" / "counter-agent-1.log"
    ).read_text()
    # The back office: its page, and the supervisor's dashboard read with the demo's account.
    assert f"{demo.url}/office" in text, text
    assert requests.get(f"{demo.url}/office", timeout=5).status_code == 200
    supervisor = client.post(
        "/api/v1/auth/login", {"username": "supervisor", "password": password[1]}
    ).body["token"]
    assert client.get("/api/v1/dashboard", token=supervisor).body["today"]["served"] >= 1
    client.close()

    os.kill(demo.pid, signal.SIGTERM)
    assert_stopped_cleanly(demo, pids, "SIGTERM")


def test_demo_stops_cleanly_on_ctrl_c(tmp_path, server_factory) -> None:
    demo, _text, pids = start_demo(tmp_path, server_factory)
    # Ctrl-C in a terminal: SIGINT to the whole foreground process group.
    os.killpg(demo.pid, signal.SIGINT)
    assert_stopped_cleanly(demo, pids, "Ctrl-C (SIGINT to its process group)")


def test_demo_killed_with_kill_9_takes_its_parts_with_it(tmp_path, server_factory) -> None:
    demo, _text, pids = start_demo(tmp_path, server_factory)
    demo.kill9()
    left = still_alive(pids, within=10)
    assert not left, f"left running after kill -9 of the demo: {left}"
