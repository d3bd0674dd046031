"""Recorded clips, said one after another: a hall's own voice, one word at a time.

    folder/
      cmn/  請.wav  號.wav  到.wav  號窗口.wav  0.wav … 9.wav  A.wav  B.wav …
      yue/  …
      en/   ticket.wav  please.wav  go.wav  to.wav  window.wav  0.wav …  A.wav …

The text is split on whitespace and each token is looked up in the language's subfolder by
file name: the exact name first, then ignoring case ("a" finds ``A.wav``, "Please" finds
``please.wav``), then without punctuation at its ends ("3," finds ``3.wav``; a token of
punctuation only is skipped). Names are compared in Unicode NFC, so clips named on a Mac
are found. The clips are joined with a short gap (option ``gap``, seconds, 0.08) after being
converted to one format (mono 16-bit 22,050 Hz), whatever each was recorded as.

Options: ``folder`` (required), ``gap``.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

from ..audio import wav
from .base import SpeechEngine, SpeechError

__all__ = ["ClipsEngine"]


def _normal(name: str) -> str:
    return unicodedata.normalize("NFC", name)


def _strip_punctuation(token: str) -> str:
    start, end = 0, len(token)
    while start < end and unicodedata.category(token[start]).startswith("P"):
        start += 1
    while end > start and unicodedata.category(token[end - 1]).startswith("P"):
        end -= 1
    return token[start:end]


class ClipsEngine(SpeechEngine):
    """Says a text by joining the recorded clip of each of its words."""

    name: ClassVar[str] = "clips"

    def __init__(self, options: Mapping[str, str] | None = None) -> None:
        super().__init__(options)
        self._check_options({"folder", "gap"})
        folder = self.options.get("folder", "").strip()
        if not folder:
            raise SpeechError("the clips speech engine needs the option folder (of clips)")
        self.folder = Path(folder).expanduser()
        if not self.folder.is_dir():
            raise SpeechError(f"the clips folder {self.folder} does not exist")
        self.gap = self._number_option("gap", 0.08, 0, 5)

    def languages(self) -> list[str]:
        """The languages there are clips for (the folder's subfolders)."""
        return sorted(p.name for p in self.folder.iterdir() if p.is_dir())

    def _clips(self, language: str) -> dict[str, Path]:
        """Clip name (NFC, no ``.wav``) -> file, read afresh so new clips count at once."""
        folder = self.folder / language
        if "/" in language or language in ("", ".", "..") or not folder.is_dir():
            raise SpeechError(
                f"no clips for language {language!r} in {self.folder}; there are: "
                f"{', '.join(self.languages()) or 'none'}"
            )
        return {
            _normal(path.stem): path
            for path in folder.iterdir()
            if path.suffix.lower() == ".wav" and path.is_file()
        }

    def describe(self) -> str:
        # A fingerprint of every clip, so the cache notices clips recorded again.
        fingerprint = hashlib.sha256()
        count = 0
        for path in sorted(self.folder.glob("*/*")):
            if path.suffix.lower() == ".wav" and path.is_file():
                stat = path.stat()
                fingerprint.update(f"{path.relative_to(self.folder)}\0{stat.st_size}\0".encode())
                fingerprint.update(f"{stat.st_mtime_ns}\0".encode())
                count += 1
        return (
            f"clips in {self.folder} ({count} clips, {fingerprint.hexdigest()[:16]}), "
            f"gap {self.gap:g} s"
        )

    def _find(self, token: str, clips: Mapping[str, Path]) -> Path | None:
        """The clip for one token, or None when the token is punctuation only."""
        token = _normal(token)
        for candidate in (token, _strip_punctuation(token)):
            if not candidate:
                return None
            if candidate in clips:
                return clips[candidate]
            folded = candidate.casefold()
            for name, path in sorted(clips.items()):
                if name.casefold() == folded:
                    return path
        raise KeyError(token)

    def synthesize(self, text: str, language: str) -> bytes:
        clips = self._clips(language)
        parts: list[bytes] = []
        for token in text.split():
            try:
                path = self._find(token, clips)
            except KeyError:
                raise SpeechError(
                    f"no clip for {token!r} in language {language!r}: add "
                    f"{self.folder / language / token}.wav"
                ) from None
            if path is None:
                continue
            try:
                data = path.read_bytes()
                wav.duration(data)  # checked here so that the error names the file
            except (OSError, ValueError) as exc:
                raise SpeechError(f"cannot use the clip {path}: {exc}") from exc
            parts.append(data)
        if not parts:
            raise SpeechError(f"nothing to say in {language}: {text!r} has no words")
        return wav.join(parts, gap=self.gap)
