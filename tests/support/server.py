"""Run a HallQ server (or any other command) as a child process of the tests.

>>> with ServerProcess(env={"HALLQ_DATABASE_URL": url}, workdir=tmp_path) as server:
...     requests.get(server.url + "/api/v1/services")

The default command is ``hallq serve --host 127.0.0.1 --port P`` on a free port. Any command
will do (``ServerProcess.hallq("demo", "--port", "{port}")``, ``python -m http.server``…):
``{host}`` and ``{port}`` in its arguments are replaced by the chosen address.

The process runs in a session (and process group) of its own. ``stop()`` ends the whole group;
``kill9()`` kills only the main process, as a crash or ``kill -9`` would. Whatever is still running
when the tests end is stopped at exit. Children of the server must stay in its process group
(do not start them with ``start_new_session``) to be stopped with it.
"""

import atexit
import contextlib
import http.client
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import weakref
from collections.abc import Mapping, Sequence
from pathlib import Path

from tests.support.ports import free_port

# Variables of HallQ's operating contract. They are not inherited from the environment of the
# tests (a developer's shell may point them at a real hall): pass them in ``env``.
CONTRACT_VARIABLES = ("HALLQ_DATA_DIR", "HALLQ_DATABASE_URL", "HALLQ_REDIS_URL")

# Runs first in the child: asks Linux to SIGKILL it when the test process dies (even by
# SIGKILL), then becomes the real command with the same pid. The signal comes when the thread
# that started the child ends: start servers from the main thread (fixtures and tests do).
_DIE_WITH_PARENT = """
import ctypes, os, signal, sys
try:
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
except Exception:
    pass
if os.getppid() != int(sys.argv[1]):
    sys.exit("the test process ended before the server started")
os.execvp(sys.argv[2], sys.argv[2:])
"""

_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class ServerError(RuntimeError):
    """The server process did not start, or ended, when it should have been serving."""


def hallq_argv(*args: str) -> list[str]:
    """The command line of the ``hallq`` CLI in this Python environment, with ``args``."""
    return [sys.executable, "-m", "hallq.server.cli", *args]


class ServerProcess:
    """A server in a child process: start, wait until it answers, stop; see the module doc.

    ``argv``: the command (default ``hallq serve --host {host} --port {port}``); ``{host}`` and
    ``{port}`` in it are replaced. ``env``: variables over ``os.environ`` (a value of None removes
    one); ``HALLQ_DATA_DIR`` defaults to ``<workdir>/data``. ``port``: default a free one.
    ``ready_path``: what ``wait_ready`` polls for a 200 (None: only check the process runs).
    ``workdir``: holds the log (and the default data dir); default a temporary directory that
    ``stop()`` removes, so pass ``tmp_path`` to keep them. ``cwd``: default ``workdir``.
    """

    def __init__(
        self,
        argv: Sequence[str] | None = None,
        *,
        env: Mapping[str, str | None] | None = None,
        host: str = "127.0.0.1",
        port: int | None = None,
        ready_path: str | None = "/healthz",
        workdir: str | os.PathLike[str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        die_with_parent: bool = True,
    ) -> None:
        self.host = host
        self.port = port or free_port(host)
        if argv is None:
            argv = hallq_argv("serve", "--host", "{host}", "--port", "{port}")
        self.argv = [
            str(arg).replace("{host}", host).replace("{port}", str(self.port)) for arg in argv
        ]
        self.ready_path = ready_path
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="hallq-server-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        # A temporary workdir goes with stop(), or with this object, or at exit.
        self._remove_workdir = (
            weakref.finalize(self, shutil.rmtree, str(self.workdir), ignore_errors=True)
            if workdir is None
            else None
        )
        self.log_path = self.workdir / f"server-{self.port}.log"
        self.cwd = Path(cwd) if cwd is not None else self.workdir
        self.env = self._environment(env or {})
        self.die_with_parent = die_with_parent and sys.platform == "linux"
        self.proc: subprocess.Popen[bytes] | None = None

    @classmethod
    def hallq(cls, *args: str, **kwargs) -> "ServerProcess":
        """A ``hallq`` subcommand, e.g. ``ServerProcess.hallq("demo", "--port", "{port}")``."""
        return cls(hallq_argv(*args), **kwargs)

    def _environment(self, overrides: Mapping[str, str | None]) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in CONTRACT_VARIABLES}
        env["PYTHONUNBUFFERED"] = "1"
        env["HALLQ_DATA_DIR"] = str(self.workdir / "data")
        for key, value in overrides.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = str(value)
        return env

    # --- facts ------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:41234`` (no trailing slash)."""
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int:
        """Pid of the main process (also the id of its process group)."""
        if self.proc is None:
            raise ServerError("the server has not been started")
        return self.proc.pid

    @property
    def returncode(self) -> int | None:
        """Exit status of the main process, or None while it runs (or before it started)."""
        return None if self.proc is None else self.proc.poll()

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def group_pids(self) -> list[int]:
        """Pids of the live processes (zombies excluded) in the server's process group."""
        if self.proc is None:
            return []
        self.proc.poll()  # reap the main process if it has ended
        return _group_pids(self.proc.pid)

    def log_text(self) -> str:
        """Everything the process wrote to stdout and stderr so far."""
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def __repr__(self) -> str:
        state = "not started" if self.proc is None else f"pid {self.proc.pid}"
        return f"<ServerProcess {self.url} {state}: {' '.join(self.argv)}>"

    # --- life -------------------------------------------------------------------------------

    def start(self) -> "ServerProcess":
        """Start the process (does not wait for it to answer: see ``wait_ready``)."""
        if self.proc is not None:
            raise ServerError(f"{self!r} was already started")
        argv = self.argv
        if self.die_with_parent:
            argv = [sys.executable, "-c", _DIE_WITH_PARENT, str(os.getpid()), *argv]
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                argv,
                env=self.env,
                cwd=self.cwd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        with _live_lock:
            _live.add(self)
        return self

    def wait_ready(self, timeout: float = 20.0) -> "ServerProcess":
        """Wait until ``GET <url><ready_path>`` answers 200; raise ServerError with the end of
        the log if the process ends first or ``timeout`` seconds pass."""
        if self.proc is None:
            raise ServerError("wait_ready() before start()")
        deadline = time.monotonic() + timeout
        last = "no answer yet"
        while True:
            code = self.proc.poll()
            if code is not None:
                raise ServerError(self._failure(f"exited with status {code} before it was ready"))
            if self.ready_path is None:
                return self
            try:
                with _NO_PROXY.open(self.url + self.ready_path, timeout=2) as response:
                    if response.status == 200:
                        return self
                    last = f"HTTP {response.status}"
            except urllib.error.HTTPError as exc:
                last = f"HTTP {exc.code}"
            except urllib.error.URLError as exc:
                reason = exc.reason
                last = (
                    f"{type(reason).__name__}: {reason}"
                    if isinstance(reason, OSError)
                    else str(exc)
                )
            except (OSError, http.client.HTTPException) as exc:
                last = f"{type(exc).__name__}: {exc}"
            if time.monotonic() >= deadline:
                raise ServerError(
                    self._failure(f"was not ready after {timeout:g} s (last answer: {last})")
                )
            time.sleep(0.05)

    def _failure(self, what: str) -> str:
        return (
            f"{' '.join(self.argv)} ({self.url}{self.ready_path or ''}) {what}.\n"
            f"Last lines of {self.log_path.name}:\n{self.log_tail(60)}"
        )

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM to the whole process group, SIGKILL to what is left after ``timeout``
        seconds. Returns the main process's exit status. Safe to call more than once."""
        proc = self.proc
        if proc is None:
            if self._remove_workdir:
                self._remove_workdir()
            return None
        try:
            if self.group_pids():
                _signal_group(proc.pid, signal.SIGTERM)
                if not self._wait_group_gone(timeout):
                    _signal_group(proc.pid, signal.SIGKILL)
                    self._wait_group_gone(5.0)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=1.0)
        finally:
            with _live_lock:
                _live.discard(self)
            if self._remove_workdir:
                self._remove_workdir()
        return proc.returncode

    def kill9(self) -> int | None:
        """SIGKILL to the main process only, as a crash would; its children are left to fend
        for themselves (``stop()`` still ends them). Returns its exit status."""
        if self.proc is None:
            raise ServerError("kill9() before start()")
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.proc.pid, signal.SIGKILL)
        return self.proc.wait(timeout=10.0)

    def _wait_group_gone(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self.group_pids():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
        return True

    def __enter__(self) -> "ServerProcess":
        if self.proc is None:
            self.start()
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _group_pids(pgid: int) -> list[int]:
    """Live (not zombie) processes whose process group is ``pgid``."""
    if not os.path.isdir("/proc"):
        try:
            os.killpg(pgid, 0)
        except (ProcessLookupError, PermissionError):
            return []
        return [pgid]
    pids = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        # pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses
        fields = stat[stat.rindex(b")") + 2 :].split()
        if int(fields[2]) == pgid and fields[0] not in (b"Z", b"X"):
            pids.append(int(entry.name))
    return pids


# Safety net: whatever a test forgot is stopped when the interpreter exits.
_live: set[ServerProcess] = set()
_live_lock = threading.Lock()


def stop_all(timeout: float = 5.0) -> None:
    """Stop every ServerProcess still running in this interpreter."""
    with _live_lock:
        servers = list(_live)
    for server in servers:
        with contextlib.suppress(Exception):
            server.stop(timeout=timeout)


atexit.register(stop_all)
