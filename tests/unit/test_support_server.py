"""ServerProcess, checked against stand-in commands (python -m http.server and small scripts)."""

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support.ports import free_port
from tests.support.server import ServerError, ServerProcess, hallq_argv

REPO_ROOT = Path(__file__).resolve().parents[2]
HTTP_SERVER = [sys.executable, "-m", "http.server", "--bind", "{host}", "{port}"]

# Starts a child that sleeps (in the same process group), then serves HTTP on argv[1].
PARENT_WITH_CHILD = """
import runpy, subprocess, sys
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
print("child", child.pid, flush=True)
sys.argv = ["http.server", "--bind", "127.0.0.1", sys.argv[1]]
runpy.run_module("http.server", run_name="__main__")
"""


def get(url: str) -> int:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status


def pid_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            state = f.read().rsplit(b")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in (b"Z", b"X")


def wait_until(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_free_port_can_be_bound():
    import socket

    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_default_command_is_hallq_serve_on_the_chosen_port():
    server = ServerProcess(port=8123)
    assert server.argv == hallq_argv("serve", "--host", "127.0.0.1", "--port", "8123")
    assert server.argv[:3] == [sys.executable, "-m", "hallq.server.cli"]
    assert server.url == "http://127.0.0.1:8123"
    assert server.ready_path == "/healthz"
    server.stop()  # never started: nothing to do, removes its temporary folder
    assert not server.workdir.exists()


def test_hallq_subcommand_form_substitutes_the_port(tmp_path):
    server = ServerProcess.hallq("demo", "--port", "{port}", port=8124, workdir=tmp_path)
    assert server.argv == hallq_argv("demo", "--port", "8124")


def test_serves_until_stopped_and_leaves_nothing(tmp_path):
    with ServerProcess(HTTP_SERVER, ready_path="/", workdir=tmp_path) as server:
        assert get(server.url + "/") == 200
        assert server.running()
        pid = server.pid
        assert server.group_pids() == [pid]
    assert server.returncode is not None
    assert not pid_alive(pid)
    assert server.group_pids() == []
    assert "GET / HTTP" in server.log_text()  # the log is kept in the given workdir


def test_owned_workdir_is_removed_on_stop():
    server = ServerProcess(HTTP_SERVER, ready_path="/").start()
    try:
        server.wait_ready()
        assert server.log_path.exists()
    finally:
        server.stop()
    assert not server.workdir.exists()


def test_environment_is_merged_and_contract_variables_are_not_inherited(monkeypatch, tmp_path):
    monkeypatch.setenv("HALLQ_DATABASE_URL", "postgresql+psycopg://a-real-hall/db")
    monkeypatch.setenv("HALLQ_TEST_INHERITED", "yes")
    monkeypatch.setenv("HALLQ_TEST_REMOVED", "no")
    names = ["HALLQ_DATA_DIR", "HALLQ_DATABASE_URL", "HALLQ_REDIS_URL"]
    names += ["HALLQ_TEST_INHERITED", "HALLQ_TEST_REMOVED"]
    show = f"import os; print([(k, os.environ[k]) for k in {names!r} if k in os.environ])"
    server = ServerProcess(
        [sys.executable, "-c", show],
        env={"HALLQ_REDIS_URL": "redis://x/1", "HALLQ_TEST_REMOVED": None},
        ready_path=None,
        workdir=tmp_path,
    )
    server.start()
    try:
        server.proc.wait(timeout=10)
    finally:
        server.stop()
    env = dict(eval(server.log_text()))
    assert env == {
        "HALLQ_DATA_DIR": str(tmp_path / "data"),
        "HALLQ_REDIS_URL": "redis://x/1",
        "HALLQ_TEST_INHERITED": "yes",
    }


def test_wait_ready_reports_an_early_exit_with_the_log(tmp_path):
    server = ServerProcess(
        [sys.executable, "-c", "print('config is broken'); raise SystemExit(3)"],
        workdir=tmp_path,
    )
    with pytest.raises(ServerError) as failure:
        server.__enter__()
    message = str(failure.value)
    assert "exited with status 3" in message
    assert "config is broken" in message
    assert server.group_pids() == []


def test_wait_ready_times_out_with_the_last_answer(tmp_path):
    server = ServerProcess(
        [sys.executable, "-c", "print('starting', flush=True); import time; time.sleep(60)"],
        workdir=tmp_path,
    ).start()
    try:
        started = time.monotonic()
        with pytest.raises(ServerError) as failure:
            server.wait_ready(timeout=0.5)
        assert time.monotonic() - started < 3
        assert "not ready after 0.5 s" in str(failure.value)
        assert "ConnectionRefusedError" in str(failure.value)
        assert "starting" in str(failure.value)
    finally:
        server.stop()
    assert server.group_pids() == []


def test_kill9_kills_the_main_process_only_and_stop_ends_the_rest(tmp_path):
    server = ServerProcess(
        [sys.executable, "-c", PARENT_WITH_CHILD, "{port}"], ready_path="/", workdir=tmp_path
    )
    with server:
        child = int(server.log_text().split("child ")[1].split()[0])
        assert sorted(server.group_pids()) == sorted([server.pid, child])
        assert server.kill9() == -signal.SIGKILL
        assert not pid_alive(server.pid)
        assert pid_alive(child)  # orphaned, as after a real crash
        assert server.group_pids() == [child]
    assert not pid_alive(child)


def test_stop_kills_what_ignores_sigterm(tmp_path):
    ignore_term = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('ready', flush=True); time.sleep(60)"
    )
    server = ServerProcess(
        [sys.executable, "-c", ignore_term], ready_path=None, workdir=tmp_path
    ).start()
    assert wait_until(lambda: "ready" in server.log_text())
    started = time.monotonic()
    assert server.stop(timeout=0.5) == -signal.SIGKILL
    assert time.monotonic() - started < 5
    assert server.group_pids() == []


def test_server_dies_when_the_test_process_is_killed(tmp_path):
    # A stand-in for pytest: starts a server, then dies by SIGKILL without any clean-up.
    script = (
        "import os, sys, signal\n"
        "from tests.support.server import ServerProcess\n"
        "s = ServerProcess([sys.executable, '-c', 'import time; time.sleep(60)'],\n"
        f"                 ready_path=None, workdir={str(tmp_path)!r}).start()\n"
        "print(s.pid, flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == -signal.SIGKILL, result.stderr
    orphan = int(result.stdout.split()[0])
    assert wait_until(lambda: not pid_alive(orphan)), "the server outlived the test process"


def test_server_factory_starts_ready_servers_and_stops_them(server_factory):
    first = server_factory(HTTP_SERVER, ready_path="/")
    second = server_factory(HTTP_SERVER, ready_path="/")
    assert first.port != second.port
    assert get(first.url + "/") == get(second.url + "/") == 200
    assert first.workdir != second.workdir
