"""An ESC/POS stream read back into the blocks of ``document.py``, as a printer would print
it: what the emulator shows of a job, and what the tests compare with what was sent.

    ESC @               reset (and drop an unfinished line, as a printer does)
    ESC a, ESC E, ESC ! , GS !      alignment, bold, size of what follows
    GS v 0              a Raster: a 1-bit image of exactly the bits sent
    GS ( k (QR)         a QrCode, at the print function, with the data stored before it
    FS & … FS .         Chinese: the line becomes Text in GB18030 or Big5
    text, LF            Text (one a line), ascii outside the Chinese mode
    LF alone, ESC d n   Feed
    GS V                the cut (the feed just before it is the cut's, not a Feed)

What the parse cannot give back: an image's width is a whole number of bytes (the printer
only knows that); consecutive ``GS v 0`` pieces of one width and alignment become one Raster
(python-escpos sends images taller than 960 rows in pieces, which print as one); right
alignment is read as left (a Document has none); line breaks inside a Text become Texts.

Which Chinese encoding a printer reads is its model's (or a setting's), not the stream's,
and every Big5 byte pair is valid GB18030 too (it reads as other characters), so "Big5 when
it is not valid GB18030" would never pick Big5. ``chinese="auto"`` reads both and keeps the
reading with fewer characters that Chinese text does not hold (private use, kana, Greek…
what GB18030 makes of most Big5), GB18030 when they tie: right for most lines, not for all
(``請`` alone is ``叫`` in GB18030). An emulator of a traditional-Chinese printer says
``chinese="big5"``, as the real one is set.

Anything else is skipped; no input makes it raise.
"""

from __future__ import annotations

from typing import Literal

from PIL import Image

from . import raster
from .document import Document, Feed, QrCode, Raster, Text
from .escpos_stream import Buffer, commands, is_cut, is_real_time

Chinese = Literal["auto", "gb18030", "big5"]
Align = Literal["left", "center"]
Block = Raster | QrCode | Text | Feed

_QR = 49  # GS ( k cn: the QR code's


def parse(data: Buffer, *, width_dots: int = 576, chinese: Chinese = "auto") -> Document:
    """The document ``data`` prints (cuts included: split jobs first with
    ``escpos_stream.split_jobs`` to have one document each)."""
    reader = _Reader(chinese, width_dots)
    for command in commands(data):
        reader.take(command)
    return Document(blocks=tuple(reader.finish()), width_dots=width_dots)


class _Reader:
    def __init__(self, chinese: Chinese, width_dots: int) -> None:
        self.chinese_codec = chinese
        self.max_dots = width_dots * 4  # a wider image is noise, not something to draw
        self.blocks: list[Block] = []
        self.reset()
        self.feed_before_cut = 0  # ESC d n seen: a Feed, unless a cut follows
        self.raster_run = False  # the last command was GS v 0 (its pieces join)

    def reset(self) -> None:
        self.align: Align = "left"
        self.bold = False
        self.scale = 1
        self.chinese = False
        self.qr_module = 3  # a printer's power-on size
        self.qr_data = b""
        self.line = bytearray()
        self.line_chinese = False
        self.line_style: tuple[int, bool, Align] = (1, False, "left")

    # --- dispatch ------------------------------------------------------------------------

    def take(self, command: bytes) -> None:
        if is_real_time(command):
            return  # a status query in the stream prints nothing and changes nothing
        if self.feed_before_cut and not is_cut(command):
            self._feed(self.feed_before_cut)
        self.feed_before_cut = 0
        was_raster, self.raster_run = self.raster_run, False
        first = command[0]
        if first >= 0x20:
            self._text(command)
        elif first == 0x0A:
            self._line_feed()
        elif first == 0x1B:
            self._esc(command)
        elif first == 0x1D:
            self._gs(command, was_raster)
        elif first == 0x1C:
            if command[1:2] == b"&":
                self.chinese = True
            elif command[1:2] == b".":
                self.chinese = False

    def finish(self) -> list[Block]:
        self._end_line()
        if self.feed_before_cut:
            self._feed(self.feed_before_cut)
        return self.blocks

    # --- text ----------------------------------------------------------------------------

    def _text(self, run: bytes) -> None:
        if not self.line:
            self.line_style = (self.scale, self.bold, self.align)
        self.line += run
        self.line_chinese |= self.chinese

    def _line_feed(self) -> None:
        if self.line:
            self._end_line()
        else:
            self._feed(1)

    def _end_line(self) -> None:
        if not self.line:
            return
        scale, bold, align = self.line_style
        data = bytes(self.line)
        if self.line_chinese:
            text, encoding = self._decode_chinese(data)
            block = Text(text, encoding=encoding, scale=scale, bold=bold, align=align)
        else:
            # Outside the Chinese mode a byte above 0x7F is a character of the code page,
            # PC437 unless changed.
            block = Text(data.decode("cp437"), scale=scale, bold=bold, align=align)
        self.blocks.append(block)
        self.line.clear()
        self.line_chinese = False

    def _decode_chinese(self, data: bytes) -> tuple[str, Literal["gb18030", "big5"]]:
        if self.chinese_codec != "auto":
            return data.decode(self.chinese_codec, errors="replace"), self.chinese_codec
        simplified = data.decode("gb18030", errors="replace")
        try:
            traditional = data.decode("big5")
        except UnicodeDecodeError:
            return simplified, "gb18030"
        if _oddness(traditional) < _oddness(simplified):
            return traditional, "big5"
        return simplified, "gb18030"

    def _feed(self, lines: int) -> None:
        if lines <= 0:
            return
        last = self.blocks[-1] if self.blocks else None
        if isinstance(last, Feed):
            self.blocks[-1] = Feed(last.lines + lines)
        else:
            self.blocks.append(Feed(lines))

    # --- ESC, GS -------------------------------------------------------------------------

    def _esc(self, command: bytes) -> None:
        kind, value = command[1:2], command[2] if len(command) > 2 else 0
        if kind == b"@":
            self.line.clear()  # ESC @ clears the print buffer: an unfinished line is lost
            self.line_chinese = False
            self.reset()
        elif kind == b"a":
            self.align = "center" if value in (1, 49) else "left"
        elif kind == b"E":
            self.bold = bool(value & 1)
        elif kind == b"!":  # print mode: bit 3 bold, bits 4-5 double height, width
            self.bold = bool(value & 0x08)
            self.scale = 2 if value & 0x30 else 1
        elif kind == b"d":  # print the line and feed n lines
            had_line = bool(self.line)
            self._end_line()
            self.feed_before_cut = max(0, value - had_line)
        elif kind == b"J":  # print the line and feed n dots
            self._end_line()

    def _gs(self, command: bytes, was_raster: bool) -> None:
        kind = command[1:2]
        if kind == b"!":
            value = command[2]
            self.scale = max((value >> 4 & 7) + 1, (value & 7) + 1)
        elif kind == b"v" and len(command) >= 8:
            self._end_line()
            self._raster(command, was_raster)
        elif kind == b"(" and command[2:3] == b"k" and len(command) >= 7:
            self._qr(command)
        elif kind == b"V":
            self._end_line()

    def _raster(self, command: bytes, was_raster: bool) -> None:
        density = command[3] & 3  # bit 0: double width, bit 1: double height
        width_bytes = command[4] | command[5] << 8
        height = command[6] | command[7] << 8
        width = width_bytes * 8 * (2 if density & 1 else 1)
        if not width_bytes or not height or width > self.max_dots:
            return
        image = raster.from_raster(width_bytes, height, command[8:])
        if density:
            image = image.resize(
                (width, height * (2 if density & 2 else 1)), Image.Resampling.NEAREST
            )
        last = self.blocks[-1] if self.blocks else None
        if (
            was_raster
            and isinstance(last, Raster)
            and last.align == self.align
            and last.image.width == image.width
        ):
            joined = Image.new("1", (image.width, last.image.height + image.height), 1)
            joined.paste(last.image, (0, 0))
            joined.paste(image, (0, last.image.height))
            self.blocks[-1] = Raster(joined, align=self.align)
        else:
            self.blocks.append(Raster(image, align=self.align))
        self.raster_run = True

    def _qr(self, command: bytes) -> None:
        # GS ( k pL pH cn fn [parameters]
        code, function, parameters = command[5], command[6], command[7:]
        if code != _QR:
            return
        if function == 67 and parameters and 1 <= parameters[0] <= 16:  # module size
            self.qr_module = parameters[0]
        elif function == 80 and parameters:  # store: m, then the data
            self.qr_data = bytes(parameters[1:])
        elif function == 81 and self.qr_data:  # print what was stored
            self._end_line()
            data = self.qr_data.decode("utf-8", errors="replace")
            self.blocks.append(QrCode(data, module=self.qr_module, align=self.align))


# What Chinese text is made of: ASCII, CJK punctuation, the unified ideographs (and
# extension A), full-width forms.
_CHINESE_TEXT = (
    (0x20, 0x7E),
    (0x3000, 0x303F),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xFF00, 0xFFEF),
)


def _oddness(text: str) -> int:
    """How many characters of ``text`` Chinese text would not hold."""
    return sum(not any(low <= ord(char) <= high for low, high in _CHINESE_TEXT) for char in text)
