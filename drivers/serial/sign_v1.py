"""The window sign: a small LED display above the window showing its current number, on the
same v1 framing as the pad (``codec.py``). The host sends ``W`` with the text, ``P`` to ask
whether it is there; the sign answers ``A`` (or ``E`` with its reason).

DATA is ASCII, so a paused window is sent as ``PAUSED`` and the sign itself shows 暫停服務.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from .codec import Frame
from .pad import PadEvent
from .v1 import V1Framing, common_event

__all__ = ["PAUSED", "SignProtocolV1"]

PAUSED = "PAUSED"  # the text the sign shows as 暫停服務


class SignProtocolV1:
    name: ClassVar[str] = "v1"
    PAUSED: ClassVar[str] = PAUSED

    def __init__(self, address: int = 1) -> None:
        self._framing = V1Framing(address)
        self.address = address

    def show(self, text: str) -> bytes:
        """The number (``A023``), ``PAUSED``, or "" for a blank sign; made ASCII and trimmed
        to fit."""
        return self._framing.text("W", text)

    def ping(self) -> bytes:
        return self._framing.frame("P")

    def feed(self, data: bytes) -> list[PadEvent]:
        """The sign's answers (``Ack``, ``PadError``); never raises."""
        return self._framing.feed(data, self._event)

    @property
    def stats(self) -> Mapping[str, int]:
        return self._framing.stats()

    def describe(self) -> str:
        return f"{self.name} window sign at address {self.address}"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.describe()}>"

    def _event(self, frame: Frame) -> PadEvent | None:
        return common_event(self._framing, frame)
