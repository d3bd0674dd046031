"""The kiosk agent's print jobs on disk: one small JSON file per job, so that a job survives a
restart of the agent and is printed once.

A job's life: ``received`` (stored, not printed yet) → ``printing`` (the bytes are being
handed to the printer) → ``printed``, or ``failed`` with a reason (too old when the paper came
back, or interrupted); then it is ``answered`` once the server has the result, and kept a day
so that the same job sent again is answered again, never printed again.

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
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._lock = threading.Lock()

    def _path(self, job_id: int) -> Path:
        return self.folder / f"job-{job_id:012d}.json"

    def _write(self, job: SpooledJob) -> None:
        path = self._path(job.id)
        tmp = path.with_suffix(".tmp")
        data = json.dumps(asdict(job), ensure_ascii=False).encode()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        dir_fd = os.open(self.folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # the rename itself survives a power cut
        finally:
            os.close(dir_fd)

    def get(self, job_id: int) -> SpooledJob | None:
        try:
            raw = json.loads(self._path(job_id).read_text())
        except (FileNotFoundError, ValueError):
            return None
        return SpooledJob(**raw)

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
            self._path(job_id).unlink(missing_ok=True)

    def forget_answered(self, older_than: float) -> None:
        """Drop jobs answered before ``older_than`` (a day's worth is kept)."""
        for job in self.jobs():
            if job.answered and (job.answered_at or 0) < older_than:
                self.remove(job.id)

    def jobs(self) -> list[SpooledJob]:
        """Every job on disk, oldest first (a leftover temporary file is ignored)."""
        found = []
        for path in sorted(self.folder.glob("job-*.json")):
            job = self.get(int(path.stem.removeprefix("job-")))
            if job is not None:
                found.append(job)
        return found
