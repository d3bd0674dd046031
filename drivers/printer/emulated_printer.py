"""The printer inside the emulators (``emulator.py``), whatever carries its bytes: its state,
its answers to status queries, and the jobs it cuts.

What it does, as a real ESC/POS printer would:

- ``DLE EOT n`` is answered at once from the state, whatever else is going on, and is never
  part of a job. ``offline`` is a printer that is on but not printing (cover open): it still
  answers, with the offline bit set (``DLE EOT 1`` 0x1A); ``out`` says offline too and, to
  ``DLE EOT 4``, paper out (0x72); ``near_end`` prints and says so (0x1E). A printer that does
  not answer at all is ``silent = True`` (hung, or a cable that carries one way), or the
  emulator stopped (switched off).
- The stream is cut into commands as a printer reads it (``escpos_stream.py``): bytes inside
  an image are image, not queries or cuts.
- A job ends at each cut (``GS V``). While ``out`` or ``offline`` a real printer keeps what it
  receives and prints it when the paper is back: a backlog of stale tickets that the kiosk
  must not cause (it asks the status first). The emulator does not print them later: a job
  of which any byte arrived while ``out`` or ``offline`` goes to ``rejected`` instead of
  ``jobs``, and is not written to ``out_dir``.
- Each connection (or the serial line) reads its own stream; bytes left unfinished when a
  connection closes (no cut) are dropped and counted in ``discarded_bytes``.

Garbage never stops it: what cannot be read is skipped, and a failure while keeping a job
(a full disk) is logged and kept in ``errors``.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, get_args

from . import status
from .document import Document, Feed, QrCode, Raster, Text
from .escpos_parse import Chinese, parse
from .escpos_stream import MAX_DATA, command_length, is_cut, is_real_time, status_query
from .preview import document_to_png

log = logging.getLogger(__name__)

EmulatorState = Literal["ok", "near_end", "out", "offline"]
STATES: tuple[str, ...] = get_args(EmulatorState)
_NOT_PRINTING = ("out", "offline")
MAX_JOB = 16 * 1024 * 1024  # bytes without a cut beyond this are noise, not a ticket

# DLE EOT n -> the reply, by state. n = 2 (why offline): 0x32 printing stopped at paper end,
# 0x16 cover open. n = 3 (errors): none.
_REPLIES: dict[int, dict[str, bytes]] = {
    1: {
        "ok": status.ONLINE_REPLY,
        "near_end": status.ONLINE_REPLY,
        "out": status.OFFLINE_REPLY,
        "offline": status.OFFLINE_REPLY,
    },
    2: {"ok": b"\x12", "near_end": b"\x12", "out": b"\x32", "offline": b"\x16"},
    3: dict.fromkeys(STATES, b"\x12"),
    4: {
        "ok": status.PAPER_OK_REPLY,
        "near_end": status.PAPER_NEAR_END_REPLY,
        "out": status.PAPER_OUT_REPLY,
        "offline": status.PAPER_OK_REPLY,
    },
}


@dataclass(frozen=True)
class PrintedJob:
    """One job as the printer got it: its bytes (the cut included), when its cut arrived, and
    what it prints."""

    number: int
    data: bytes
    cut_at: datetime
    document: Document

    @property
    def blocks(self) -> tuple[Raster | QrCode | Text | Feed, ...]:
        return self.document.blocks


class EmulatedPrinter:
    def __init__(
        self,
        *,
        out_dir: Path | None = None,
        width_dots: int = 576,
        chinese: Chinese = "auto",
        font_path: str | None = None,
    ) -> None:
        self.out_dir = out_dir
        self.width_dots = width_dots
        self.chinese: Chinese = chinese
        self.font_path = font_path
        self.silent = False
        self.jobs: list[PrintedJob] = []
        self.rejected: list[PrintedJob] = []
        self.errors: list[str] = []
        self.discarded_bytes = 0
        self._numbers = {"printed": 0, "rejected": 0}
        self._state: EmulatorState = "ok"
        self._changed = threading.Condition()  # a job kept; waited on by wait_for_*()
        if out_dir is not None:
            out_dir.mkdir(parents=True, exist_ok=True)

    @property
    def state(self) -> EmulatorState:
        return self._state

    @state.setter
    def state(self, value: EmulatorState) -> None:
        if value not in STATES:
            raise ValueError(f"printer state {value!r}; one of {', '.join(STATES)}")
        self._state = value

    def answer(self, query: int) -> bytes:
        """The reply to ``DLE EOT query``: one byte, or nothing when silent or unknown."""
        if self.silent:
            return b""
        return _REPLIES.get(query, {}).get(self._state, b"")

    def session(self) -> StreamSession:
        """A reader for one connection's bytes."""
        return StreamSession(self)

    def wait_for_job(self, number: int = 1, timeout: float = 5.0) -> PrintedJob:
        """The ``number``-th printed job (from 1), once it has been cut and kept."""
        return self._wait(self.jobs, number, timeout, "printed")

    def wait_for_rejected(self, number: int = 1, timeout: float = 5.0) -> PrintedJob:
        return self._wait(self.rejected, number, timeout, "rejected")

    def _wait(self, kept: list[PrintedJob], number: int, timeout: float, what: str) -> PrintedJob:
        with self._changed:
            if not self._changed.wait_for(lambda: len(kept) >= number, timeout):
                raise TimeoutError(
                    f"no {what} job {number} within {timeout:g} s "
                    f"({len(self.jobs)} printed, {len(self.rejected)} rejected)"
                )
            return kept[number - 1]

    def finish_job(self, data: bytes, *, refused: bool) -> None:
        """Keep a job that just got its cut."""
        document = parse(data, width_dots=self.width_dots, chinese=self.chinese)
        cut_at = datetime.now(UTC)
        kind, kept = ("rejected", self.rejected) if refused else ("printed", self.jobs)
        with self._changed:
            self._numbers[kind] += 1
            job = PrintedJob(self._numbers[kind], data, cut_at, document)
        if not refused and self.out_dir is not None:
            self._write(job)
        with self._changed:
            kept.append(job)
            self._changed.notify_all()

    def _write(self, job: PrintedJob) -> None:
        assert self.out_dir is not None
        stem = self.out_dir / f"job-{job.number:04d}"
        try:
            stem.with_suffix(".bin").write_bytes(job.data)
            png = document_to_png(job.document, font_path=self.font_path)
            stem.with_suffix(".png").write_bytes(png)
        except Exception as exc:  # a full disk must not stop the printer thread
            self.note_error(f"job {job.number}: not written to {self.out_dir}: {exc!r}")

    def note_error(self, message: str) -> None:
        log.error("printer emulator: %s", message)
        self.errors.append(message)


class StreamSession:
    """One connection's stream, cut into commands: queries answered, jobs handed over."""

    def __init__(self, printer: EmulatedPrinter) -> None:
        self.printer = printer
        self._pending = bytearray()  # the start of a command not fully arrived
        self._job = bytearray()
        self._refused = False

    def feed(self, data: bytes) -> bytes:
        """Take bytes as they arrive; the replies to send back."""
        self._pending += data
        replies = bytearray()
        pos = 0
        while pos < len(self._pending):
            length = command_length(self._pending, pos)
            if length is None:
                break
            command = bytes(self._pending[pos : pos + length])
            pos += length
            query = status_query(command)
            if query is not None:
                replies += self.printer.answer(query)
            elif not is_real_time(command):
                self._take(command)
        del self._pending[:pos]
        if len(self._pending) > MAX_DATA + 16:  # cannot happen: command_length caps it
            self._discard(self._pending)
        return bytes(replies)

    def close(self) -> None:
        self._discard(self._pending)
        self._discard(self._job)
        self._refused = False

    def _take(self, command: bytes) -> None:
        self._job += command
        if self.printer.state in _NOT_PRINTING:
            self._refused = True
        if is_cut(command):
            data, refused = bytes(self._job), self._refused
            self._job.clear()
            self._refused = False
            self.printer.finish_job(data, refused=refused)
        elif len(self._job) > MAX_JOB:
            self._discard(self._job)

    def _discard(self, buffer: bytearray) -> None:
        self.printer.discarded_bytes += len(buffer)
        buffer.clear()
