"""What a receipt printer is asked to print: a document of blocks, in order.

A document knows nothing of tickets: the kiosk lays a ticket out as blocks, and a connection
encodes them as ESC/POS (``encode.py``) and sends them. Every document starts with ``ESC @``
(initialise) and ends with a cut.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from PIL import Image


@dataclass(frozen=True)
class Raster:
    """A 1-bit image, at most the paper's printable width in dots (576 at 80 mm, 384 at
    58 mm): Chinese text rendered with a CJK font prints on every printer this way."""

    image: Image.Image
    align: Literal["left", "center"] = "center"


@dataclass(frozen=True)
class QrCode:
    """A QR code the printer draws itself (``GS ( k``); ``module`` is its dot size, 1-16."""

    data: str
    module: int = 6
    align: Literal["left", "center"] = "center"


@dataclass(frozen=True)
class Text:
    """Text in the printer's own font. ``encoding`` ``gb18030`` or ``big5`` sends Chinese in
    the printer's Chinese mode (``FS &`` … ``FS .``): only for printers that have a Chinese
    font; ``ascii`` otherwise. ``scale`` 1-8 multiplies width and height."""

    text: str
    encoding: Literal["ascii", "gb18030", "big5"] = "ascii"
    scale: int = 1
    bold: bool = False
    align: Literal["left", "center"] = "left"


@dataclass(frozen=True)
class Feed:
    lines: int = 1


@dataclass(frozen=True)
class Document:
    """One printout: its blocks in order (a cut follows the last)."""

    blocks: tuple[Raster | QrCode | Text | Feed, ...] = field(default_factory=tuple)
    width_dots: int = 576  # 576: 80 mm paper; 384: 58 mm
