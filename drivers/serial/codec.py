"""The v1 serial framing shared by the counter's pad and window sign (9600 baud, 8N1):

    STX  ADDR  CMD  DATA   CHK  ETX
    02   "01"  "R"  "A023" "23" 03

``ADDR`` is the device's address as two ASCII hex digits, ``CMD`` one ASCII letter, ``DATA``
0 to 32 printable ASCII characters (0x20–0x7E) and ``CHK`` two ASCII hex digits: the XOR of the
ADDR, CMD and DATA bytes. ``encode`` writes uppercase hex; ``FrameDecoder`` also takes
lowercase.

A serial line is noisy (a pad being plugged in, a loose connector, another device on the
wrong port), so the decoder never raises: what is not a frame is counted in ``CodecStats``
and dropped, and a new STX always starts a new frame, so one bad frame never costs the next.
It holds at most one frame's worth of bytes: a frame is abandoned as soon as it is known to
be longer than the longest valid one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields

__all__ = ["ETX", "MAX_DATA", "MAX_FRAME", "STX", "CodecStats", "Frame", "FrameDecoder", "encode"]

STX, ETX = 0x02, 0x03
MAX_DATA = 32
# What lies between STX and ETX: ADDR (2) + CMD (1) + DATA + CHK (2).
_MIN_BODY = 5
MAX_BODY = _MIN_BODY + MAX_DATA
MAX_FRAME = MAX_BODY + 2  # with STX and ETX

_PRINTABLE = bytes(range(0x20, 0x7F))
_LETTERS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
# int(x, 16) would also take " 1", "+1" or "-1": the digits a frame may hold, and their value.
_HEX = {ord(c): int(c, 16) for c in "0123456789abcdefABCDEF"}
_STX_OR_ETX = re.compile(b"[\x02\x03]")


@dataclass(frozen=True)
class Frame:
    address: int  # 0..255
    command: str  # one ASCII letter
    data: str = ""  # 0..32 printable ASCII (0x20..0x7E)


def checksum(payload: bytes) -> int:
    """The XOR of the bytes (ADDR, CMD and DATA)."""
    value = 0
    for byte in payload:
        value ^= byte
    return value


def problem(frame: Frame) -> str | None:
    """Why ``frame`` cannot be sent, or None when it can."""
    address, command, data = frame.address, frame.command, frame.data
    if isinstance(address, bool) or not isinstance(address, int) or not 0 <= address <= 255:
        return f"address must be an int from 0 to 255, not {address!r}"
    if not (isinstance(command, str) and len(command) == 1 and ord(command) in _LETTERS):
        return f"command must be one ASCII letter, not {command!r}"
    if not isinstance(data, str):
        return f"data must be a str, not {type(data).__name__}"
    if len(data) > MAX_DATA:
        return f"data is {len(data)} characters long; at most {MAX_DATA} fit in a frame"
    if not all(0x20 <= ord(c) <= 0x7E for c in data):
        return f"data must be printable ASCII (0x20–0x7E): {data!r}"
    return None


def encode(frame: Frame) -> bytes:
    """The frame's bytes on the wire; ``ValueError`` saying why for a frame that cannot be."""
    why = problem(frame)
    if why is not None:
        raise ValueError(f"cannot encode {frame!r}: {why}")
    payload = f"{frame.address:02X}{frame.command}{frame.data}".encode("ascii")
    return b"\x02" + payload + f"{checksum(payload):02X}".encode("ascii") + b"\x03"


@dataclass
class CodecStats:
    """What a decoder has seen. Each STX starts one attempt at a frame, which ends as exactly
    one of ``frames``, ``bad_checksum``, ``too_long``, ``malformed`` or ``cut`` (or is still
    under way); ``noise`` counts the bytes outside any attempt."""

    frames: int = 0  # good frames decoded
    noise: int = 0  # bytes outside any frame (before an STX, after an ETX)
    bad_checksum: int = 0  # well formed, but CHK is not the XOR of its bytes
    too_long: int = 0  # no ETX within the longest frame there can be
    malformed: int = 0  # too short, bad hex, a command that is no letter, non-printable data
    cut: int = 0  # abandoned: a new STX came before its ETX (or the line was reset)

    def dropped(self) -> int:
        """Every bad frame (noise bytes are not frames and are not counted here)."""
        return self.bad_checksum + self.too_long + self.malformed + self.cut

    def as_dict(self) -> dict[str, int]:
        counts = {f.name: getattr(self, f.name) for f in fields(self)}
        counts["dropped"] = self.dropped()
        return counts


class FrameDecoder:
    """Bytes in as they arrive, frames out: a frame split across reads is kept until its end.

    Not thread-safe: one reader feeds it."""

    def __init__(self) -> None:
        self.stats = CodecStats()
        # The bytes after the STX of the frame under way; None outside a frame. An overlong
        # frame's bytes are skipped (``_skipping``) up to the next STX or ETX, without being
        # held or counted again.
        self._body: bytearray | None = None
        self._skipping = False

    @property
    def pending(self) -> int:
        """Bytes held of an unfinished frame (at most ``MAX_BODY``)."""
        return 0 if self._body is None else len(self._body)

    @property
    def in_frame(self) -> bool:
        """An STX has come and its frame has not ended yet."""
        return self._body is not None

    def reset(self) -> None:
        """Forget a frame under way (the line went down: its end will never come); it counts
        as cut."""
        if self._body is not None:
            self.stats.cut += 1
        self._body = None
        self._skipping = False

    def feed(self, data: bytes) -> list[Frame]:
        """The frames that ``data`` completes, in order. Never raises."""
        frames: list[Frame] = []
        stats = self.stats
        end = len(data)
        i = 0
        # The search for STX and ETX is done by bytes.find and a regex (in C): a byte at a
        # time in Python would be some ten times slower.
        while i < end:
            if self._skipping:
                found = _STX_OR_ETX.search(data, i)
                if found is None:
                    break
                i = found.start()
                self._skipping = False
                if data[i] == ETX:
                    i += 1  # the end of the overlong frame: back outside any frame
                # an STX: the loop starts the next frame with it
            elif self._body is None:
                start = data.find(STX, i)
                if start < 0:
                    stats.noise += end - i
                    break
                stats.noise += start - i
                self._body = bytearray()
                i = start + 1
            else:
                body = self._body
                room = MAX_BODY - len(body)
                # Look no further than one byte past what the frame can still hold: that byte
                # can only be its ETX (or the STX of the next one).
                limit = min(end, i + room + 1)
                found = _STX_OR_ETX.search(data, i, limit)
                if found is None:
                    if limit - i <= room:
                        body += data[i:limit]
                        i = limit
                    else:
                        stats.too_long += 1
                        self._body = None
                        self._skipping = True
                        i = limit
                    continue
                at = found.start()
                if data[at] == STX:
                    stats.cut += 1
                    self._body = bytearray()
                else:
                    body += data[i:at]
                    self._body = None
                    frame = self._parse(body)
                    if frame is not None:
                        frames.append(frame)
                i = at + 1
        return frames

    def _parse(self, body: bytearray) -> Frame | None:
        """The frame between an STX and its ETX, or None (counted) when it is not one."""
        stats = self.stats
        if len(body) < _MIN_BODY:
            stats.malformed += 1
            return None
        hi, lo, check_hi, check_lo = (
            _HEX.get(b, -1) for b in (body[0], body[1], body[-2], body[-1])
        )
        if min(hi, lo, check_hi, check_lo) < 0:
            stats.malformed += 1
            return None
        payload = body[:-2]
        # Checked before the content: noise on the line shows as a bad checksum, while a
        # frame whose checksum is right but whose content is wrong was sent that way.
        if checksum(payload) != check_hi << 4 | check_lo:
            stats.bad_checksum += 1
            return None
        data = bytes(payload[3:])
        if body[2] not in _LETTERS or data.translate(None, _PRINTABLE):
            stats.malformed += 1
            return None
        stats.frames += 1
        return Frame(hi << 4 | lo, chr(body[2]), data.decode("ascii"))
