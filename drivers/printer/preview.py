"""A picture of a printout: the blocks of a document drawn top to bottom on white paper of
``document.width_dots``, one pixel a printer dot, ending with a dashed line where the cut is.

The kiosk shows it before printing (``GET /api/v1/tickets/{id}/preview.png``) and the
emulator saves one for each job it receives, both from a document, so a test can hold the
picture of what was printed against the picture of what was meant.

- Raster: its dots as the printer gets them (``raster.printed``), as is.
- QrCode: drawn with the ``qrcode`` library, ``module`` dots a module, level M as encoded;
  a printer picks its own mask, so the pattern may differ from a real print, not the size.
- Text: in a CJK font at 24 dots a line (a printer's Font A, 12 x 24, and its 24 x 24
  Chinese), times its scale, wrapped at the paper's edge; bold is drawn again a dot
  (a dot per scale) to the right, as a printer strikes twice.
- Feed: a blank line of 30 dots (the printers' default line spacing).

It is a picture, 1 bit deep like the paper, not a simulation of a printer's fonts.
"""

from __future__ import annotations

import functools
import io
from pathlib import Path

import qrcode
import qrcode.constants
from PIL import Image, ImageDraw, ImageFont

from . import raster
from .document import Document, Feed, QrCode, Raster, Text

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

GLYPH = 24  # dots: a printer font's line of characters
LINE = 30  # dots: a line, spacing included
CUT_MARGIN = 24  # blank paper above the cut line
# Fonts with the CJK ideographs, traditional and simplified, where Debian and others put them.
SYSTEM_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/System/Library/Fonts/PingFang.ttc",
    "C:/Windows/Fonts/msyh.ttc",
)
WHITE, BLACK = 1, 0


def document_to_png(document: Document, *, font_path: str | None = None) -> bytes:
    """The picture as PNG bytes (1 bit deep: a ticket is a few KB)."""
    out = io.BytesIO()
    document_to_image(document, font_path=font_path).save(out, format="PNG")
    return out.getvalue()


def document_to_image(document: Document, *, font_path: str | None = None) -> Image.Image:
    """The picture, a mode ``"1"`` image ``document.width_dots`` wide. ``font_path`` names the
    font for Text (a missing file is an error); else the first of ``SYSTEM_FONTS`` there is;
    else PIL's own font, which has no Chinese."""
    width = document.width_dots
    strips = [_strip(block, width, font_path) for block in document.blocks]
    height = sum(strip.height for strip in strips) + CUT_MARGIN + 1
    page = Image.new("1", (width, height), WHITE)
    top = 0
    for strip in strips:
        page.paste(strip, (0, top))
        top += strip.height
    draw = ImageDraw.Draw(page)
    for left in range(0, width, 12):  # the cut: dashes of 8 dots, 4 apart
        draw.line((left, height - 1, min(left + 7, width - 1), height - 1), fill=BLACK)
    return page


def _strip(block: object, width: int, font_path: str | None) -> Image.Image:
    """One block drawn across the paper's width."""
    if isinstance(block, Raster):
        return _placed(raster.printed(block.image), width, block.align)
    if isinstance(block, QrCode):
        return _placed(_qr_image(block), width, block.align)
    if isinstance(block, Text):
        return _text(block, width, font_path)
    if isinstance(block, Feed):
        return Image.new("1", (width, LINE * max(0, block.lines)), WHITE)
    raise TypeError(f"not a block of document.py: {block!r}")


def _placed(image: Image.Image, width: int, align: str) -> Image.Image:
    strip = Image.new("1", (width, image.height), WHITE)
    left = max(0, (width - image.width) // 2) if align == "center" else 0
    strip.paste(image, (left, 0))  # wider than the paper: cut off, as on paper
    return strip


def _qr_image(block: QrCode) -> Image.Image:
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M,  # encode.QR_LEVEL
        box_size=max(1, block.module),
        border=0,  # a printer draws no quiet zone: the paper around it is one
    )
    code.add_data(block.data.encode("utf-8"))
    code.make(fit=True)
    image: Image.Image = code.make_image(fill_color="black", back_color="white").get_image()
    return image.convert("1")


def _text(block: Text, width: int, font_path: str | None) -> Image.Image:
    scale = min(max(block.scale, 1), 8)
    font = _font(font_path, GLYPH * scale)
    lines = [part for line in block.text.split("\n") for part in _wrapped(line, font, width)]
    line_height = GLYPH * scale + (LINE - GLYPH)
    strip = Image.new("1", (width, line_height * len(lines)), WHITE)
    draw = ImageDraw.Draw(strip)
    draw.fontmode = "1"  # dots, no grey: it is paper
    for number, line in enumerate(lines):
        used = draw.textlength(line, font=font)
        left = max(0, (width - used) // 2) if block.align == "center" else 0
        middle = number * line_height + line_height / 2
        for shift in range(1 + (scale if block.bold else 0)):  # bolder as it grows
            draw.text((left + shift, middle), line, font=font, fill=BLACK, anchor="lm")
    return strip


def _wrapped(line: str, font: Font, width: int) -> list[str]:
    """The line broken where it reaches the paper's edge, as a printer breaks it: at any
    character, not at words."""
    parts, current = [], ""
    for char in line:
        if current and font.getlength(current + char) > width:
            parts.append(current)
            current = ""
        current += char
    parts.append(current)
    return parts


def _font(font_path: str | None, size: int) -> Font:
    return _load_font(find_font(font_path), size)


def find_font(font_path: str | None = None) -> str | None:
    """The font file Text is drawn with: ``font_path``, else a system CJK font, else
    ``None`` (PIL's own font)."""
    if font_path is not None:
        if not Path(font_path).is_file():
            raise FileNotFoundError(f"font {font_path!r} does not exist")
        return font_path
    return _system_font()


@functools.cache
def _system_font() -> str | None:
    return next((path for path in SYSTEM_FONTS if Path(path).is_file()), None)


@functools.lru_cache(maxsize=32)
def _load_font(path: str | None, size: int) -> Font:
    if path is None:
        return ImageFont.load_default(size)
    return ImageFont.truetype(path, size)
