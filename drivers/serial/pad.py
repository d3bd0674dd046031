"""What the counter agent sees of a window's satisfaction pad (the 好差評 pad): bytes to send
for what it wants the pad to do, and events out of the bytes the pad sends back.

    pad = load(PAD_PROTOCOLS, "v1")(address=1)
    link.write(pad.request_rating("A023"))       # the pad lights up, the customer presses
    for event in pad.feed(received):             # Score(4), Key("NEXT"), Ack(), PadError(…)
        ...

A protocol moves no bytes itself (``link.py`` does): it can be tested without a port, and a
vendor's pad that speaks something else plugs in beside v1 as a ``hallq.pad_protocols`` entry
point.
"""

from __future__ import annotations

import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar, TypeAlias

__all__ = ["Ack", "Key", "PadError", "PadEvent", "PadProtocol", "Score", "ascii_text"]


@dataclass(frozen=True)
class Score:
    """The customer's rating, 1 (very dissatisfied) to 5 (very satisfied)."""

    score: int


@dataclass(frozen=True)
class Key:
    """A call key on pads that have them: ``NEXT``, ``RECALL``, ``PAUSE``, ``RESUME``, or
    another the pad sends (passed on as it came, for the agent to refuse)."""

    name: str

    NEXT: ClassVar[str] = "NEXT"
    RECALL: ClassVar[str] = "RECALL"
    PAUSE: ClassVar[str] = "PAUSE"
    RESUME: ClassVar[str] = "RESUME"


@dataclass(frozen=True)
class Ack:
    """The device took the last frame."""


@dataclass(frozen=True)
class PadError:
    """The device refused a frame, saying why (its own words)."""

    detail: str


PadEvent: TypeAlias = Score | Key | Ack | PadError


class PadProtocol(ABC):
    """One way of talking to a pad at one address. Holds the state of the bytes received
    (a frame split across reads), so use one instance per port."""

    name: ClassVar[str]

    def __init__(self, address: int = 1) -> None:
        if isinstance(address, bool) or not isinstance(address, int) or not 0 <= address <= 255:
            raise ValueError(f"a pad's address is an int from 0 to 255, not {address!r}")
        self.address = address

    @abstractmethod
    def request_rating(self, number: str) -> bytes:
        """Ask the customer of ticket ``number`` (``A023``) for a rating."""

    @abstractmethod
    def cancel(self) -> bytes:
        """Withdraw the request (the window called someone else)."""

    @abstractmethod
    def show(self, text: str) -> bytes:
        """Show ``text`` on the pad's display (the clerk's id, or ``PAUSED``). The pad shows
        ASCII only: other characters are replaced, and the text is trimmed to what fits."""

    @abstractmethod
    def ping(self) -> bytes:
        """Ask the pad to answer (an ``Ack``): is it there?"""

    @abstractmethod
    def feed(self, data: bytes) -> list[PadEvent]:
        """The events in what the pad sent, in order; never raises. What is not a valid
        event for this pad (noise, bad frames, another address) is counted in ``stats``."""

    @property
    @abstractmethod
    def stats(self) -> Mapping[str, int]:
        """Counters of what was received: ``frames``, ``dropped``, ``noise``,
        ``bad_checksum``… and the protocol's own (``bad_score``, ``other_address``…)."""

    def describe(self) -> str:
        return f"{self.name} pad at address {self.address}"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.describe()}>"


# Characters worth keeping as something close rather than "?": NFKC already turns full-width
# letters and digits (Ａ０２３) into ASCII; these are the punctuation it leaves alone.
_CLOSE = str.maketrans(
    {
        "—": "-",
        "–": "-",
        "‐": "-",
        "−": "-",
        "‘": "'",
        "’": "'",
        "“": '"',
        "”": '"',
        "、": ",",
        "。": ".",
        "・": ".",
        "·": ".",
        "…": "...",
        "「": '"',
        "」": '"',
    }
)


def ascii_text(text: str, limit: int) -> str:
    """``text`` as a device showing printable ASCII can show it, at most ``limit`` long:
    full-width forms become their ASCII selves (ＡＢ１ → AB1), accents go (é → e), line
    breaks and tabs become spaces, and what has no ASCII form is ``?``."""
    text = unicodedata.normalize("NFKC", str(text)).translate(_CLOSE)
    out = []
    for char in unicodedata.normalize("NFKD", text):
        if 0x20 <= ord(char) <= 0x7E:
            out.append(char)
        elif char in "\t\r\n\v\f":
            out.append(" ")
        elif unicodedata.combining(char):
            continue  # an accent, its letter already kept
        else:
            out.append("?")
    return "".join(out).strip()[:limit]
