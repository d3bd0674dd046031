"""Any text-to-speech program that can write a WAV, run as a command: a better engine than
espeak-ng (Piper, a vendor's TTS, a script calling a cloud service) without writing Python.

    command = mytts --lang {language} --out {output} {text}
    command = piper --model /opt/voices/{voice}.onnx --output_file {output}    # text on stdin

The template is split like a shell would (``shlex``) *before* anything is put in it, then each
placeholder is replaced inside its word: ``{text}`` stays one argument whatever it contains
(``; rm -rf x`` or ``$(…)`` are just words said aloud), and no shell ever runs. Placeholders:

- ``{text}``: what to say. Without it, the text is written to the command's standard input.
- ``{output}``: a temporary file the command writes the WAV to. Without it, the WAV is read
  from the command's standard output.
- ``{language}``: ``cmn``, ``yue``, ``en``…; ``{voice}``: the option ``voice.<language>``, or
  the language itself when there is no such option.

Options: ``command`` (required), ``voice.<language>``, ``timeout`` in seconds (30), and
``version``, any text, to be changed when the program or its voices change so that cached
phrases are made again.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

from ..audio import wav
from .base import SpeechEngine, SpeechError, stderr_tail

__all__ = ["CommandEngine"]

_PLACEHOLDER = re.compile(r"\{(text|output|language|voice)\}")


class CommandEngine(SpeechEngine):
    """Runs the configured command once per phrase, without a shell, and reads its WAV."""

    name: ClassVar[str] = "command"

    def __init__(self, options: Mapping[str, str] | None = None) -> None:
        super().__init__(options)
        self._check_options({"command", "timeout", "version"}, prefixes=("voice.",))
        self.template = self.options.get("command", "").strip()
        if not self.template:
            raise SpeechError("the command speech engine needs the option command")
        try:
            self.words = shlex.split(self.template)
        except ValueError as exc:
            raise SpeechError(f"cannot read the speech command {self.template!r}: {exc}") from exc
        if not self.words:
            raise SpeechError("the speech command is empty")
        used = {name for word in self.words for name in _PLACEHOLDER.findall(word)}
        self.text_in_arguments = "text" in used
        self.output_file = "output" in used
        self.timeout = self._number_option("timeout", 30, 0.1, 3600)

    def describe(self) -> str:
        voices = ", ".join(
            f"{key.removeprefix('voice.')}={value}"
            for key, value in sorted(self.options.items())
            if key.startswith("voice.")
        )
        text = f"command {self.template}"
        if voices:
            text += f"; voices {voices}"
        if "version" in self.options:
            text += f"; version {self.options['version']}"
        return text

    def arguments(self, text: str, language: str, output: Path) -> list[str]:
        """The command's arguments for one phrase (each placeholder replaced in one pass, so a
        text that contains ``{output}`` is said, not substituted)."""
        values = {
            "text": text,
            "output": str(output),
            "language": language,
            "voice": self.options.get(f"voice.{language}", language),
        }
        return [_PLACEHOLDER.sub(lambda m: values[m.group(1)], word) for word in self.words]

    def synthesize(self, text: str, language: str) -> bytes:
        if not text.strip():
            raise SpeechError("nothing to say: the text is empty")
        if not language or _PLACEHOLDER.search(language) or language.startswith("-"):
            raise SpeechError(f"not a language code: {language!r}")
        program = self.words[0]
        with tempfile.TemporaryDirectory(prefix="hallq-speech-") as folder:
            output = Path(folder, "speech.wav")
            command = self.arguments(text, language, output)
            try:
                run = subprocess.run(
                    command,
                    input=None if self.text_in_arguments else text.encode("utf-8"),
                    stdin=subprocess.DEVNULL if self.text_in_arguments else None,
                    capture_output=True,
                    timeout=self.timeout,
                    check=False,
                )
            except FileNotFoundError as exc:
                raise SpeechError(f"the speech command {program!r} is not installed") from exc
            except subprocess.TimeoutExpired as exc:
                raise SpeechError(
                    f"the speech command {program!r} took more than {self.timeout:g} s to say "
                    f"{text!r} in {language}; it was stopped. stderr: {stderr_tail(exc.stderr)}"
                ) from exc
            except OSError as exc:
                raise SpeechError(f"cannot run the speech command {program!r}: {exc}") from exc
            if run.returncode != 0:
                raise SpeechError(
                    f"the speech command {program!r} failed saying {text!r} in {language} "
                    f"(exit status {run.returncode}): {stderr_tail(run.stderr)}"
                )
            if self.output_file:
                try:
                    data = output.read_bytes()
                except OSError:
                    raise SpeechError(
                        f"the speech command {program!r} wrote no WAV to {{output}} for {text!r} "
                        f"in {language}: {stderr_tail(run.stderr)}"
                    ) from None
            else:
                data = run.stdout
        try:
            seconds = wav.duration(data)
        except ValueError as exc:
            raise SpeechError(
                f"the speech command {program!r} gave no usable WAV for {text!r} in {language}: "
                f"{exc}; stderr: {stderr_tail(run.stderr)}"
            ) from exc
        if seconds <= 0:
            raise SpeechError(f"the speech command {program!r} gave an empty WAV for {text!r}")
        return data
