"""What the announcer sees of a speech engine: text and a language in, a WAV out.

    engine = open_engine("espeak", {"voice.cmn": "cmn-latn-pinyin", "speed": "150"})
    data = engine.synthesize("請 A 0 2 3 號 到 5 號窗口", "cmn")    # bytes of a RIFF WAV

Languages are short codes: ``cmn`` (Mandarin), ``yue`` (Cantonese), ``en`` (English), or any
other an engine is configured for. The caller writes what is to be said as it should be read
(ticket numbers digit by digit, "A 0 2 3"); an engine says the text, it does not interpret it.

Engines are entry points (``hallq.speech``, see ``drivers/plugins.py``): a hall with recorded
clips or a better engine plugs one in by name, with options as strings from its configuration.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from typing import ClassVar

__all__ = ["SpeechEngine", "SpeechError"]


class SpeechError(RuntimeError):
    """Synthesis failed (engine missing, broken, bad output, unknown language)."""


class SpeechEngine(ABC):
    """One way of turning text into speech, configured by string options.

    Engines are cheap to make and hold no process open between calls; ``synthesize`` may be
    slow (a subprocess), so callers cache its results (``SpeechCache``)."""

    name: ClassVar[str]

    def __init__(self, options: Mapping[str, str] | None = None) -> None:
        self.options: dict[str, str] = {str(k): str(v) for k, v in (options or {}).items()}

    @abstractmethod
    def synthesize(self, text: str, language: str) -> bytes:
        """A RIFF WAV (PCM 16-bit) of `text` spoken in `language` ("cmn", "yue", "en", or
        another the engine knows)."""

    def describe(self) -> str:
        """For logs and the cache key: engine, voices, version. Two engines that would say a
        text differently must describe themselves differently."""
        options = ", ".join(f"{key}={value}" for key, value in sorted(self.options.items()))
        return f"{self.name} ({options})" if options else self.name

    def _check_options(self, known: Iterable[str], prefixes: Iterable[str] = ()) -> None:
        """A mistyped option is a configuration error, reported when the engine is made."""
        known, prefixes = set(known), tuple(prefixes)
        unknown = sorted(k for k in self.options if k not in known and not k.startswith(prefixes))
        if unknown:
            there = ", ".join(sorted(known) + [f"{prefix}<language>" for prefix in prefixes])
            raise SpeechError(
                f"unknown option(s) for the {self.name} speech engine: {', '.join(unknown)}; "
                f"the options are: {there}"
            )

    def _number_option(self, key: str, default: float, low: float, high: float) -> float:
        raw = self.options.get(key)
        if raw is None:
            return default
        try:
            value = float(raw)
        except ValueError:
            value = float("nan")
        if not low <= value <= high:
            raise SpeechError(
                f"option {key} of the {self.name} speech engine must be a number from {low:g} "
                f"to {high:g}: {raw!r}"
            )
        return value

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.describe()}>"


def stderr_tail(stderr: bytes | str | None, limit: int = 600) -> str:
    """The end of what a command wrote to stderr, on one line, for an error message."""
    if not stderr:
        return "(it wrote nothing to stderr)"
    text = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else stderr
    text = " ".join(text.split())
    return text if len(text) <= limit else "…" + text[-limit:]
