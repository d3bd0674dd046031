"""The v1 pad protocol (the design's own): the ``hallq.pad_protocols`` entry point ``v1``.

Host → pad: ``R`` ask for a rating (DATA: the ticket number), ``C`` cancel it, ``W`` show a
text (the clerk's id, or ``PAUSED``), ``P`` ping. Pad → host: ``S`` a score (DATA ``1`` to
``5``), ``K`` a call key (``NEXT``, ``RECALL``, ``PAUSE``, ``RESUME``…), ``A`` ack, ``E``
error. Framing: ``codec.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from .codec import Frame
from .pad import Key, PadEvent, PadProtocol, Score
from .v1 import V1Framing, common_event

__all__ = ["PadProtocolV1"]

_SCORES = {str(n): n for n in range(1, 6)}


class PadProtocolV1(PadProtocol):
    name: ClassVar[str] = "v1"

    def __init__(self, address: int = 1) -> None:
        super().__init__(address)
        # bad_score: an S whose DATA is not one digit 1–5; bad_key: a K with no key name.
        self._framing = V1Framing(address, ("bad_score", "bad_key"))

    def request_rating(self, number: str) -> bytes:
        return self._framing.text("R", number)

    def cancel(self) -> bytes:
        return self._framing.frame("C")

    def show(self, text: str) -> bytes:
        return self._framing.text("W", text)

    def ping(self) -> bytes:
        return self._framing.frame("P")

    def feed(self, data: bytes) -> list[PadEvent]:
        return self._framing.feed(data, self._event)

    @property
    def stats(self) -> Mapping[str, int]:
        return self._framing.stats()

    def _event(self, frame: Frame) -> PadEvent | None:
        if frame.command == "S":
            score = _SCORES.get(frame.data)
            if score is None:
                self._framing.counts["bad_score"] += 1
                return None
            return Score(score)
        if frame.command == "K":
            name = frame.data.strip()
            if not name:
                self._framing.counts["bad_key"] += 1
                return None
            return Key(name)
        return common_event(self._framing, frame)
