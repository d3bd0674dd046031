"""The kiosk agent: takes the server's print jobs, prints them, and tells the server how it went
and what state its printer is in.

    hallq kiosk-agent --server http://hall:8000 --token hqd_… --printer tcp://10.0.0.7:9100

It talks to the server only through the public contract (Socket.IO namespace ``/hall`` with
the kiosk's device token; ``server/wire.py``) and to the printer only through a
``drivers.printer`` connection, so it cannot tell a real printer from the emulator.

- A ``print.job`` is written to the spool (``spool.py``) before anything else: it survives a
  restart, and the server's resending it on every reconnect until it is answered is harmless
  (the job's id is known: it is answered again, not printed again).
- Jobs print one at a time, oldest first, only while the printer says it can print. While it
  is out of paper or offline they wait; a job older than ``max_age`` when the paper comes back
  is not printed but answered ``too_old`` — "reprint at the desk" — so a roll change never
  spills a backlog of tickets nobody is waiting for.
- The printer's state is read every few seconds (``DLE EOT``) and reported as
  ``device.status`` when it changes; the kiosk's screen disables its buttons on it.
- Every thread has a stop flag and is joined by ``stop()``.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from hallq.drivers.printer import PrinterConnection, PrinterError, PrinterState
from hallq.drivers.printer.encode import encode
from hallq.kiosk.spool import Spool, SpooledJob
from hallq.kiosk.ticket_layout import layout_ticket
from hallq.server import wire
from hallq.server.agent_socket import agent_client, connect_until_stopped, hang_up

log = logging.getLogger(__name__)

# How long an answered job is remembered (not printed again if the server sends it again).
ANSWERED_KEPT = 24 * 3600.0
REPORT_AGAIN = 60.0  # seconds: the printer's state is told again even when unchanged
FORGET_EVERY = 600.0  # seconds between clearing out answered jobs older than ANSWERED_KEPT
# The printer can take a job in these states (near end still prints).
PRINTS = frozenset({PrinterState.OK, PrinterState.PAPER_NEAR_END, PrinterState.UNKNOWN})


@dataclass(frozen=True)
class Options:
    paper_mm: Literal[80, 58] = 80
    text_mode: Literal["image", "gb18030", "big5"] = "image"
    qr_mode: Literal["native", "image"] = "native"
    profile: str = "TM-T20II"
    # A job older than this (seconds since it was made) is not printed after the printer
    # comes back: it is answered too_old, and staff reprint it at the desk if need be.
    max_age: float = 300.0
    poll_seconds: float = 3.0
    answer_timeout: float = 5.0


class KioskAgent:
    def __init__(
        self,
        server_url: str,
        token: str,
        printer: PrinterConnection,
        spool: Spool,
        options: Options = Options(),
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.server_url = server_url.rstrip("/")
        self.token = token
        self.printer = printer
        self.spool = spool
        self.options = options
        self.clock = clock
        self.client = agent_client()
        self._printer_lock = threading.Lock()  # the status poll and a job never talk at once
        # Set when there may be work (a job came, the printer came back): an Event, not a
        # Condition, so that a job arriving during a pass is not missed until the next poll.
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._state: PrinterState | None = None  # what the printer last said
        self._reported: PrinterState | None = None  # what the server last heard
        self._reported_at = 0.0  # and when
        self._threads: list[threading.Thread] = []
        self._forgotten_at = float("-inf")  # when answered jobs were last cleared out
        self._register()

    # --- the server -----------------------------------------------------------------------

    def _register(self) -> None:
        on = self.client.on

        @on("connect", namespace=wire.NAMESPACE)
        def _connected() -> None:
            log.info("connected to %s", self.server_url)
            self._reported = None  # tell the server the printer's state again
            self._poke()

        @on("disconnect", namespace=wire.NAMESPACE)
        def _disconnected(*_reason: Any) -> None:
            log.warning("disconnected from %s; reconnecting", self.server_url)

        @on(wire.SESSION_ENDED, namespace=wire.NAMESPACE)
        def _ended(why: Any = None) -> None:
            log.error("the server ended this kiosk's session (%s): give it a new token", why)

        @on(wire.PRINT_JOB, namespace=wire.NAMESPACE)
        def _job(job: Any = None) -> None:
            self.take(job)

    def take(self, job: Any) -> None:
        """A ``print.job`` from the server: spool it (once), then print or answer it."""
        if not isinstance(job, dict) or not isinstance(job.get("id"), int):
            log.warning("ignored a malformed print job: %r", job)
            return
        spooled, new = self.spool.add(job, self.clock())
        if not new and spooled.finished and spooled.answered:
            spooled.answered = False  # the server did not get the answer: send it again
            self.spool.save(spooled)
        self._poke()

    def _answer(self, job: SpooledJob) -> bool:
        """Tell the server how the job went; True once it has it (then the job is forgotten)."""
        if not self.client.connected:
            return False
        result: dict[str, Any] = {"id": job.id, "ok": job.state == "printed"}
        if job.reason:
            result["reason"] = job.reason
        try:
            reply = self.client.call(
                wire.PRINT_RESULT,
                result,
                namespace=wire.NAMESPACE,
                timeout=self.options.answer_timeout,
            )
        except Exception as exc:  # timeout, or the connection dropped meanwhile
            log.warning("could not answer print job %s yet: %s", job.id, exc)
            return False
        if isinstance(reply, dict) and (reply.get("ok") or "error" in reply):
            # An error means the server no longer knows the job (it expired there): keeping
            # on answering would not help.
            if "error" in reply:
                log.warning("the server refused the answer to job %s: %s", job.id, reply)
            # Kept a while as answered, so that a job the server sends again (a reconnect
            # racing the answer) is answered again, never printed again.
            job.answered = True
            job.answered_at = self.clock()
            self.spool.save(job)
            return True
        return False

    def _report(self, state: PrinterState) -> None:
        """Tell the server the printer's state when it changes, and again now and then: the
        server then knows the agent is alive, and a state it lost (its own view of a
        disconnect racing a reconnect) comes back within REPORT_AGAIN seconds."""
        if not self.client.connected:
            return
        if state == self._reported and self.clock() - self._reported_at < REPORT_AGAIN:
            return
        try:
            reply = self.client.call(
                wire.DEVICE_STATUS,
                {"status": state.value, "detail": self.printer.describe()[:200]},
                namespace=wire.NAMESPACE,
                timeout=self.options.answer_timeout,
            )
        except Exception as exc:
            log.warning("could not report the printer's state: %s", exc)
            return
        if isinstance(reply, dict) and reply.get("ok"):
            self._reported, self._reported_at = state, self.clock()

    # --- the printer ----------------------------------------------------------------------

    def _poll(self) -> PrinterState:
        with self._printer_lock:
            state = self.printer.status()
        if state != self._state:
            log.info("printer %s: %s", self.printer.describe(), state.value)
            self._state = state
            self._poke()
        return state

    def _age(self, job: SpooledJob) -> float:
        """Seconds since the job was made (the press, or the reprint): the server's word, or
        when this agent first had it if the server gave none."""
        made = job.job.get("queued_at")
        try:
            stamp = dt.datetime.fromisoformat(made).timestamp() if made else job.received_at
        except (TypeError, ValueError):
            stamp = job.received_at
        return self.clock() - min(stamp, job.received_at)

    def _too_old(self, job: SpooledJob) -> None:
        job.state, job.reason = "failed", "too_old"
        self.spool.save(job)
        log.warning("job %s is too old to print now: reprint at the desk", job.id)

    def _print(self, job: SpooledJob) -> None:
        """Print one job, or leave it waiting (printer not ready), or fail it (too old)."""
        if self._age(job) > self.options.max_age:
            self._too_old(job)
            return
        if self._poll() not in PRINTS:
            return  # waits for the printer; polled again
        try:
            document = layout_ticket(
                job.job["ticket"],
                paper_mm=self.options.paper_mm,
                text_mode=self.options.text_mode,
                qr_mode=self.options.qr_mode,
            )
            data = encode(document, profile=self.options.profile)
        except Exception:  # a ticket that cannot be laid out must not block the others
            log.exception("job %s cannot be printed", job.id)
            job.state, job.reason = "failed", "cannot_render"
            self.spool.save(job)
            return
        # Written before the bytes go: after a crash here the job is not printed twice.
        job.state, job.attempts = "printing", job.attempts + 1
        self.spool.save(job)
        try:
            with self._printer_lock:
                self.printer.send(data)
        except PrinterError as exc:
            # Refused before it printed (a dropped connection, a printer switched off):
            # it waits for the printer like any other job.
            log.warning("job %s not printed: %s", job.id, exc)
            job.state = "received"
            self.spool.save(job)
            self._state = PrinterState.OFFLINE
            return
        job.state = "printed"
        self.spool.save(job)
        log.info("printed job %s (ticket %s)", job.id, job.job["ticket"].get("number"))

    # --- the loops ------------------------------------------------------------------------

    def _poke(self) -> None:
        self._wake.set()

    def _work(self) -> None:
        """Print waiting jobs in order and answer finished ones; wait when nothing can go."""
        while not self._stopped.is_set():
            self._wake.clear()  # before the pass: a poke during it makes the wait return at once
            if not self.work_once():
                self._wake.wait(self.options.poll_seconds)

    def work_once(self) -> bool:
        """One pass over the spool; True when something was answered (look again at once)."""
        jobs = self.spool.jobs()
        # Too old is too old whatever the printer says: answered at once, even behind a
        # job that waits for paper.
        for job in jobs:
            if job.state == "received" and self._age(job) > self.options.max_age:
                self._too_old(job)
        progressed = False
        blocked = False
        for job in self.spool.jobs():
            if self._stopped.is_set():
                break
            if job.state == "received" and not blocked:
                self._print(job)
                job = self.spool.get(job.id) or job
                # The printer cannot take it: later jobs wait behind it, in order.
                blocked = job.state == "received"
            if job.finished and not job.answered:
                progressed = self._answer(job) or progressed
        now = self.clock()
        if now - self._forgotten_at > FORGET_EVERY:
            self.spool.forget_answered(older_than=now - ANSWERED_KEPT)
            self._forgotten_at = now
        return progressed

    def _watch_printer(self) -> None:
        """Read the printer's state every few seconds; report it when it changes."""
        while not self._stopped.is_set():
            self._report(self._poll())
            self._stopped.wait(self.options.poll_seconds)

    def _connect(self) -> None:
        connect_until_stopped(self.client, self.server_url, self.token, self._stopped)

    def recover(self) -> None:
        """After a crash: a job that was being sent may have printed; it is not printed again
        but answered ``interrupted``, for staff to check and reprint at the desk."""
        for job in self.spool.jobs():
            if job.state == "printing":
                job.state, job.reason = "failed", "interrupted"
                self.spool.save(job)
                log.warning("job %s was cut short by a restart: reprint at the desk", job.id)

    def start(self) -> KioskAgent:
        self.recover()
        for target, name in (
            (self._connect, "kiosk-connect"),
            (self._watch_printer, "kiosk-printer"),
            (self._work, "kiosk-jobs"),
        ):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._poke()
        for thread in self._threads:
            thread.join(10)
        hang_up(self.client)
        self.printer.close()
