"""Where each ESC/POS command in a byte stream ends, knowing nothing of what it means.

A printer reads a command's parameters and data as the command says (``GS v 0`` carries
``xL xH yL yH`` and then that many bytes of image), so bytes that look like a command inside
an image are image. Splitting the same way lets the emulator find real-time status queries
and cuts without mistaking image data for them, and the parser read what a printer would.

Nothing here raises on any input: an unknown command is its prefix and one byte (printers
print what follows), a length that no printer could hold is taken for noise (its prefix is
skipped), and a command that runs past the end of the data is ``None``, "wait for more".
"""

from __future__ import annotations

from collections.abc import Iterator

ESC, GS, FS, DLE = 0x1B, 0x1D, 0x1C, 0x10
EOT, ENQ, DC4 = 0x04, 0x05, 0x14
LF = 0x0A

Buffer = bytes | bytearray | memoryview

# A declared length above this (4 MiB; a 576 x 4000 dot image is 288 KB) is noise.
MAX_DATA = 4 * 1024 * 1024

# Commands of a fixed length, by their second byte: the whole length, prefix included.
_ESC_FIXED = {
    **dict.fromkeys(b"@LS2i<mv", 2),
    **dict.fromkeys(b"aE!-GMtdJKe3 RV{=rTU%?u", 3),
    **dict.fromkeys(b"$\\cf", 4),
    ord("p"): 5,
    ord("W"): 10,
}
_GS_FIXED = {
    **dict.fromkeys(b":", 2),
    **dict.fromkeys(b"!BHfhwarIb/ETj", 3),
    **dict.fromkeys(b"LWP$\\", 4),
    ord("^"): 5,
    ord("g"): 6,
}
_FS_FIXED = {
    **dict.fromkeys(b"&.", 2),
    **dict.fromkeys(b"!-CW", 3),
    **dict.fromkeys(b"Sp?", 4),
    ord("2"): 76,  # FS 2 c1 c2 and a 24 x 24 user character (72 bytes)
}
_CUT_WITH_FEED = frozenset((65, 66, 97, 98, 103, 104))  # GS V m n: a fourth byte


def command_length(data: Buffer, pos: int = 0) -> int | None:
    """Bytes from ``data[pos]`` that make one command, or one run of text (bytes from 0x20
    up, Chinese double bytes included); ``None`` when the data ends before the command."""
    first = data[pos]
    if first >= 0x20:
        end = pos + 1
        while end < len(data) and data[end] >= 0x20:
            end += 1
        return end - pos
    if first in (ESC, GS, FS):
        if pos + 1 >= len(data):
            return None
        second = data[pos + 1]
        if first == ESC:
            return _esc(data, pos, second)
        if first == GS:
            return _gs(data, pos, second)
        return _fs(data, pos, second)
    if first == DLE:
        return _dle(data, pos)
    return 1  # LF, CR, HT, NUL and other single control bytes


def commands(data: Buffer) -> Iterator[bytes]:
    """Each command of ``data`` in turn; an unfinished last one is left out."""
    pos = 0
    while pos < len(data):
        length = command_length(data, pos)
        if length is None:
            return
        yield bytes(data[pos : pos + length])
        pos += length


def is_cut(command: bytes) -> bool:
    return command[:2] == b"\x1dV"


def status_query(command: bytes) -> int | None:
    """``n`` of a ``DLE EOT n`` real-time status query, else ``None``."""
    if len(command) == 3 and command[0] == DLE and command[1] == EOT:
        return command[2]
    return None


def is_real_time(command: bytes) -> bool:
    """``DLE EOT``, ``DLE ENQ``, ``DLE DC4``: acted on at once, never printed."""
    return len(command) >= 2 and command[0] == DLE and command[1] in (EOT, ENQ, DC4)


def split_jobs(data: Buffer) -> list[bytes]:
    """The jobs in ``data``, each ending with its cut; what follows the last cut, if anything,
    is a last job of its own."""
    jobs, current = [], bytearray()
    for command in commands(data):
        current += command
        if is_cut(command):
            jobs.append(bytes(current))
            current.clear()
    if current:
        jobs.append(bytes(current))
    return jobs


# --- lengths -------------------------------------------------------------------------------


def _have(data: Buffer, pos: int, length: int) -> int | None:
    return length if pos + length <= len(data) else None


def _sized(data: Buffer, pos: int, head: int, size: int) -> int | None:
    """``head`` bytes then ``size`` bytes of data; noise when the size is beyond belief."""
    if size > MAX_DATA:
        return 2
    return _have(data, pos, head + size)


def _word(data: Buffer, at: int) -> int:
    return data[at] | data[at + 1] << 8


def _esc(data: Buffer, pos: int, second: int) -> int | None:
    fixed = _ESC_FIXED.get(second)
    if fixed is not None:
        return _have(data, pos, fixed)
    if second == ord("("):  # ESC ( fn pL pH data
        if _have(data, pos, 5) is None:
            return None
        return _sized(data, pos, 5, _word(data, pos + 3))
    if second == ord("*"):  # ESC * m nL nH: a column image, 1 or 3 bytes a column
        if _have(data, pos, 5) is None:
            return None
        mode, columns = data[pos + 2], _word(data, pos + 3)
        per_column = {0: 1, 1: 1, 32: 3, 33: 3}.get(mode)
        return 3 if per_column is None else _sized(data, pos, 5, columns * per_column)
    if second == ord("D"):  # ESC D n1 … nk NUL: up to 32 tab stops
        for end in range(pos + 2, min(len(data), pos + 35)):
            if data[end] == 0:
                return end + 1 - pos
        return None if len(data) < pos + 35 else 35
    if second == ord("&"):
        return _user_characters(data, pos)
    return 2


def _user_characters(data: Buffer, pos: int) -> int | None:
    """ESC & y c1 c2, then for each character: x and y*x bytes."""
    if _have(data, pos, 5) is None:
        return None
    height, first, last = data[pos + 2], data[pos + 3], data[pos + 4]
    if not (1 <= height <= 3 and 32 <= first <= last <= 126):
        return 2
    at = pos + 5
    for _ in range(last - first + 1):
        if at >= len(data):
            return None
        at += 1 + height * data[at]
    return _have(data, pos, at - pos)


def _gs(data: Buffer, pos: int, second: int) -> int | None:
    fixed = _GS_FIXED.get(second)
    if fixed is not None:
        return _have(data, pos, fixed)
    if second == ord("V"):  # GS V m, or GS V m n
        if _have(data, pos, 3) is None:
            return None
        return _have(data, pos, 4 if data[pos + 2] in _CUT_WITH_FEED else 3)
    if second == ord("v"):  # GS v 0 m xL xH yL yH, then (xL + xH*256) * (yL + yH*256) bytes
        if _have(data, pos, 3) is None:
            return None
        if data[pos + 2] not in (0, 48):
            return 2
        if _have(data, pos, 8) is None:
            return None
        return _sized(data, pos, 8, _word(data, pos + 4) * _word(data, pos + 6))
    if second == ord("("):  # GS ( fn pL pH data: QR codes, graphics, settings
        if _have(data, pos, 5) is None:
            return None
        return _sized(data, pos, 5, _word(data, pos + 3))
    if second == ord("k"):  # GS k m: a barcode
        if _have(data, pos, 3) is None:
            return None
        kind = data[pos + 2]
        if kind <= 6:  # data up to a NUL
            for end in range(pos + 3, min(len(data), pos + 3 + 256)):
                if data[end] == 0:
                    return end + 1 - pos
            return None if len(data) < pos + 3 + 256 else 3
        if 65 <= kind <= 79:  # GS k m n data
            if _have(data, pos, 4) is None:
                return None
            return _have(data, pos, 4 + data[pos + 3])
        return 3
    if second == ord("8"):  # GS 8 L p1 p2 p3 p4 data (graphics, a 32-bit size)
        if _have(data, pos, 7) is None:
            return None
        if data[pos + 2] != ord("L"):
            return 2
        size = _word(data, pos + 3) | _word(data, pos + 5) << 16
        return _sized(data, pos, 7, size)
    if second == ord("*"):  # GS * x y: a downloaded image, x*y*8 bytes
        if _have(data, pos, 4) is None:
            return None
        return _sized(data, pos, 4, data[pos + 2] * data[pos + 3] * 8)
    return 2


def _fs(data: Buffer, pos: int, second: int) -> int | None:
    fixed = _FS_FIXED.get(second)
    if fixed is not None:
        return _have(data, pos, fixed)
    if second == ord("("):  # FS ( fn pL pH data
        if _have(data, pos, 5) is None:
            return None
        return _sized(data, pos, 5, _word(data, pos + 3))
    if second == ord("q"):  # FS q n, then n images: xL xH yL yH and x*y*8 bytes
        if _have(data, pos, 3) is None:
            return None
        at = pos + 3
        for _ in range(data[pos + 2]):
            if _have(data, at, 4) is None:
                return None
            size = _word(data, at) * _word(data, at + 2) * 8
            if size > MAX_DATA:
                return 2
            at += 4 + size
        return _have(data, pos, at - pos)
    return 2


def _dle(data: Buffer, pos: int) -> int | None:
    if pos + 1 >= len(data):
        return None
    second = data[pos + 1]
    if second in (EOT, ENQ):  # DLE EOT n, DLE ENQ n
        return _have(data, pos, 3)
    if second == DC4:  # DLE DC4 fn …: its length depends on fn
        if _have(data, pos, 3) is None:
            return None
        return _have(data, pos, {1: 5, 2: 5, 3: 8, 7: 4, 8: 10}.get(data[pos + 2], 3))
    return 1  # a lone DLE
