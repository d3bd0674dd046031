"""espeak-ng (Debian's ``espeak-ng``): small, fast (about 20 ms a phrase), robotic, and
present everywhere, so the announcer speaks out of the box.

Options (all strings): ``voice.cmn``, ``voice.yue``, ``voice.en`` replace the default voices,
and ``voice.<language>`` adds a language; ``speed`` in words per minute (80–450; espeak-ng's
default 175 otherwise); ``binary``, the program (``espeak-ng``); ``timeout`` in seconds (10).

Mandarin is ``cmn-latn-pinyin``, not plain ``cmn``: the latter misreads 請, 號, 到 and 口 in
the announcer's phrases, the former reads them right in traditional and simplified script.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

from ..audio import wav
from .base import SpeechEngine, SpeechError, stderr_tail

__all__ = ["DEFAULT_VOICES", "EspeakEngine"]

DEFAULT_VOICES: Mapping[str, str] = {"cmn": "cmn-latn-pinyin", "yue": "yue", "en": "en"}
_VERSION = re.compile(r"text-to-speech:\s*(\S+)")


class EspeakEngine(SpeechEngine):
    """Runs ``espeak-ng -v VOICE -w FILE --stdin`` once per phrase: the text goes in on
    standard input, so nothing in it is ever read as an option or by a shell."""

    name: ClassVar[str] = "espeak"

    def __init__(self, options: Mapping[str, str] | None = None) -> None:
        super().__init__(options)
        self._check_options({"speed", "binary", "timeout"}, prefixes=("voice.",))
        self.voices = dict(DEFAULT_VOICES)
        for key, value in self.options.items():
            if key.startswith("voice.") and key != "voice." and value.strip():
                self.voices[key.removeprefix("voice.")] = value.strip()
        speed = self.options.get("speed")
        self.speed = None if speed is None else int(self._number_option("speed", 175, 80, 450))
        self.binary = self.options.get("binary", "espeak-ng")
        self.timeout = self._number_option("timeout", 10, 0.1, 600)
        self._version: str | None = None

    def version(self) -> str:
        """espeak-ng's version (``1.51``); ``SpeechError`` when it cannot be run."""
        if self._version is None:
            run = self._run([self.binary, "--version"], None, "asking its version")
            found = _VERSION.search(run.stdout.decode("utf-8", "replace"))
            self._version = found.group(1) if found else "unknown version"
        return self._version

    def describe(self) -> str:
        try:
            version = f"espeak-ng {self.version()}"
        except SpeechError:
            version = f"espeak-ng (cannot run {self.binary!r})"
        voices = ", ".join(f"{language}={voice}" for language, voice in sorted(self.voices.items()))
        speed = f"{self.speed} wpm" if self.speed is not None else "default speed"
        return f"{version}: {voices}; {speed}"

    def synthesize(self, text: str, language: str) -> bytes:
        voice = self.voices.get(language)
        if voice is None:
            raise SpeechError(
                f"the espeak speech engine has no voice for language {language!r}; it has: "
                f"{', '.join(sorted(self.voices))} (add one with the option voice.{language})"
            )
        if not text.strip():
            raise SpeechError("nothing to say: the text is empty")
        with tempfile.TemporaryDirectory(prefix="hallq-espeak-") as folder:
            output = Path(folder, "speech.wav")
            command = [self.binary, "-b", "1", "-v", voice, "-w", str(output)]
            if self.speed is not None:
                command += ["-s", str(self.speed)]
            command.append("--stdin")
            self._run(command, text.encode("utf-8"), f"saying {text!r} in {language}")
            try:
                data = output.read_bytes()
            except OSError as exc:
                raise SpeechError(f"espeak-ng wrote no WAV for {text!r} ({voice}): {exc}") from exc
        try:
            seconds = wav.duration(data)
        except ValueError as exc:
            raise SpeechError(f"espeak-ng wrote a bad WAV for {text!r} ({voice}): {exc}") from exc
        if seconds <= 0:
            raise SpeechError(f"espeak-ng wrote an empty WAV for {text!r} ({voice})")
        return data

    def _run(
        self, command: list[str], stdin: bytes | None, doing: str
    ) -> subprocess.CompletedProcess[bytes]:
        try:
            run = subprocess.run(
                command,
                input=stdin,
                stdin=None if stdin is not None else subprocess.DEVNULL,
                capture_output=True,
                timeout=self.timeout,
                check=False,
            )
        except FileNotFoundError as exc:
            raise SpeechError(
                f"espeak-ng is not installed or not at {self.binary!r} "
                "(Debian: apt install espeak-ng; or set the speech option binary)"
            ) from exc
        except subprocess.TimeoutExpired as exc:
            raise SpeechError(
                f"espeak-ng took more than {self.timeout:g} s {doing}; it was stopped"
            ) from exc
        except OSError as exc:
            raise SpeechError(f"cannot run {self.binary!r} ({doing}): {exc}") from exc
        if run.returncode != 0:
            raise SpeechError(
                f"espeak-ng failed {doing} (exit status {run.returncode}): "
                f"{stderr_tail(run.stderr)}"
            )
        return run
