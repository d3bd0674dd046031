"""The v1 framing of one device at one address: what the pad (``pad_v1``) and the window sign
(``sign_v1``) share. Each adds the commands it knows to the two every v1 device answers
with: ``A`` (ack) and ``E`` (error, with the device's reason as DATA)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from .codec import MAX_DATA, Frame, FrameDecoder, encode
from .pad import Ack, PadError, PadEvent, ascii_text

__all__ = ["V1Framing", "common_event"]


class V1Framing:
    """Frames to one address out, frames from it in. Frames from another address (a bus
    with several devices, or a misconfigured one) are counted as ``other_address`` and
    ignored; a command the device should not send as ``unknown_command``."""

    # Always in ``stats()``, at 0 until seen, so a monitor sees the same keys from the start.
    COUNTERS = ("other_address", "unknown_command")

    def __init__(self, address: int, counters: tuple[str, ...] = ()) -> None:
        if isinstance(address, bool) or not isinstance(address, int) or not 0 <= address <= 255:
            raise ValueError(f"a device's address is an int from 0 to 255, not {address!r}")
        self.address = address
        self.decoder = FrameDecoder()
        self.counts: Counter[str] = Counter(dict.fromkeys((*self.COUNTERS, *counters), 0))

    def frame(self, command: str, data: str = "") -> bytes:
        return encode(Frame(self.address, command, data))

    def text(self, command: str, text: str) -> bytes:
        """A frame carrying text a person wrote: made ASCII and trimmed to fit, never refused."""
        return self.frame(command, ascii_text(text, MAX_DATA))

    def feed(self, data: bytes, event: Callable[[Frame], PadEvent | None]) -> list[PadEvent]:
        """``event(frame)`` of each frame from this address that makes one; never raises."""
        events = []
        for frame in self.decoder.feed(data):
            if frame.address != self.address:
                self.counts["other_address"] += 1
                continue
            found = event(frame)
            if found is not None:
                events.append(found)
        return events

    def stats(self) -> dict[str, int]:
        return {**self.decoder.stats.as_dict(), **self.counts}


def common_event(framing: V1Framing, frame: Frame) -> PadEvent | None:
    """``A`` and ``E``, which every v1 device sends; any other command is counted as unknown."""
    if frame.command == "A":
        return Ack()
    if frame.command == "E":
        return PadError(frame.data)
    framing.counts["unknown_command"] += 1
    return None
