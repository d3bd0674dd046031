"""Phrases synthesised once, kept as WAV files: the announcer says the same few hundred
phrases all day ("請 A 0 2 3 號 到 5 號窗口"), and a file is what the player plays.

    cache = SpeechCache(Path("var/speech"), engine)
    path = cache.wav("請 A 0 2 3 號 到 5 號窗口", "cmn")     # synthesised on the first call only

A file's name is the SHA-256 of the engine's description, the language and the text, so a
different voice, speed or engine never reuses another's phrases (old files just stay unused:
deleting the folder at any time is safe). Files are written to a temporary name and renamed,
so a reader (or a second process sharing the folder) never sees half a file. Within one
process, threads asking for the same phrase at once synthesise it once.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

from ..audio import wav
from .base import SpeechEngine, SpeechError

__all__ = ["SpeechCache"]


class SpeechCache:
    """WAV files of ``engine``'s phrases in ``folder`` (made when first needed)."""

    def __init__(self, folder: Path, engine: SpeechEngine) -> None:
        self.folder = Path(folder)
        self.engine = engine
        self._guard = threading.Lock()
        # phrase file name -> [its lock, threads using it]: while one thread synthesises a phrase,
        # the others asking for it wait, then find the file
        self._locks: dict[str, list[Any]] = {}

    def path(self, text: str, language: str) -> Path:
        """Where the phrase's file is, or would be."""
        # JSON keeps the three apart: no text and language can pass for another pair
        key = json.dumps([self.engine.describe(), language, text], ensure_ascii=False)
        return self.folder / f"{hashlib.sha256(key.encode('utf-8')).hexdigest()}.wav"

    def cached(self, text: str, language: str) -> bool:
        """Whether the phrase is already a file (asking synthesises nothing)."""
        return self.path(text, language).is_file()

    def wav(self, text: str, language: str) -> Path:
        """The phrase's WAV file, synthesised now if it is not there yet. ``SpeechError`` when
        the engine fails or gives something that is not a WAV (nothing is kept then)."""
        path = self.path(text, language)
        if path.is_file():
            return path
        lock = self._lock_for(path.name)
        try:
            with lock:
                if path.is_file():  # another thread made it while this one waited
                    return path
                data = self.engine.synthesize(text, language)
                if not isinstance(data, bytes | bytearray):
                    raise SpeechError(
                        f"{self.engine.describe()} returned {type(data).__name__}, not WAV bytes"
                    )
                try:
                    wav.duration(data)
                except ValueError as exc:
                    raise SpeechError(
                        f"{self.engine.describe()} gave no usable WAV for {text!r} in "
                        f"{language}: {exc}"
                    ) from exc
                self._write(path, bytes(data))
                return path
        finally:
            self._release(path.name)

    def _lock_for(self, name: str) -> threading.Lock:
        """The lock of one phrase, counted so it is forgotten when nobody waits on it."""
        with self._guard:
            entry = self._locks.setdefault(name, [threading.Lock(), 0])
            entry[1] += 1
            return entry[0]

    def _release(self, name: str) -> None:
        with self._guard:
            entry = self._locks[name]
            entry[1] -= 1
            if entry[1] == 0:
                del self._locks[name]

    def _write(self, path: Path, data: bytes) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())  # a crash must not leave a short file under the name
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
