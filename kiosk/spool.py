"""The kiosk agent's print jobs on disk: one small JSON file per job, so that a job survives a
restart of the agent and is printed once.

A job's life: ``received`` (stored, not printed yet) → ``printing`` (the bytes are being
handed to the printer) → ``printed``, or ``failed`` with a reason (too old when the paper came
back, or interrupted); then it is ``answered`` once the server has the result, and kept a day
(in ``answered/``) so that the same job sent again is answered again, never printed again.

Every change is written to a new file and renamed over the old one after an fsync, so a
crash (kill -9, a power cut) leaves either the old state or the new one, never half a file.
A job found ``printing`` after a crash may or may not have come out of the printer: it is not
printed again (a customer must never get two tickets) but answered as ``interrupted``, which
the kiosk's screen and the back office show as "reprint at the desk".
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

State = Literal["received", "printing", "printed", "failed"]


@dataclass
class SpooledJob:
    id: int
    job: dict[str, Any]  # the print.job as the server sent it (wire.PrintJob)
    received_at: float  # time.time() when the agent first had it
    state: State = "received"
    reason: str | None = None  # why it failed
    answered: bool = False  # the server acknowledged the result
    answered_at: float | None = None
    attempts: int = field(default=0)

    @property
    def finished(self) -> bool:
        return self.state in ("printed", "failed")


class Spool:
    """Jobs still to print or to answer in the folder itself; answered ones in ``answered/``,
    so that a pass over the work to do never reads the day's printed tickets."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.answered_folder = folder / "answered"
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.answered_folder.mkdir(exist_ok=True, mode=0o700)
        self._lock = threading.Lock()

    def _path(self, job_id: int, answered: bool = False) -> Path:
        return (self.answered_folder if answered else self.folder) / f"job-{job_id:012d}.json"

    def _write(self, job: SpooledJob) -> None:
        path = self._path(job.id, job.answered)
        tmp = path.with_suffix(".tmp")
        data = json.dumps(asdict(job), ensure_ascii=False).encode()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        _fsync_folder(path.parent)  # the rename itself survives a power cut
        # Then the copy in the other folder goes. After a crash in between both exist and
        # ``get`` prefers the one still to answer: answered twice at worst, printed once.
        other = self._path(job.id, not job.answered)
        if other.exists():
            other.unlink(missing_ok=True)
            _fsync_folder(other.parent)

    def _read(self, path: Path) -> SpooledJob | None:
        try:
            raw = json.loads(path.read_text())
        except (FileNotFoundError, ValueError):
            return None
        return SpooledJob(**raw)

    def get(self, job_id: int) -> SpooledJob | None:
        return self._read(self._path(job_id)) or self._read(self._path(job_id, answered=True))

    def add(self, job: dict[str, Any], now: float) -> tuple[SpooledJob, bool]:
        """Keep a job the server sent; returns it and whether it is new (the server sends a
        job again on every reconnect until it is answered)."""
        with self._lock:
            known = self.get(int(job["id"]))
            if known is not None:
                return known, False
            spooled = SpooledJob(id=int(job["id"]), job=job, received_at=now)
            self._write(spooled)
            return spooled, True

    def save(self, job: SpooledJob) -> None:
        with self._lock:
            self._write(job)

    def remove(self, job_id: int) -> None:
        with self._lock:
            for answered in (False, True):
                self._path(job_id, answered).unlink(missing_ok=True)

    def forget_answered(self, older_than: float) -> None:
        """Drop jobs answered before ``older_than`` (the agent keeps a day's worth)."""
        for job in self.answered():
            if (job.answered_at or 0) < older_than:
                with self._lock:  # the answer only: a copy still to answer stays
                    self._path(job.id, answered=True).unlink(missing_ok=True)

    def jobs(self) -> list[SpooledJob]:
        """The jobs still to print or to answer, oldest first (a leftover temporary file is
        ignored)."""
        return self._jobs_in(self.folder)

    def answered(self) -> list[SpooledJob]:
        """The jobs the server has the answer to, kept to answer a job sent again."""
        return self._jobs_in(self.answered_folder)

    def _jobs_in(self, folder: Path) -> list[SpooledJob]:
        found = []
        for path in sorted(folder.glob("job-*.json")):
            job = self._read(path)
            if job is not None:
                found.append(job)
        return found


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
