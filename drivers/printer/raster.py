"""An image as the printer gets it, and back: 1 bit a dot, rows padded to whole bytes.

``printed`` makes from any picture exactly the dots python-escpos sends (its conversion:
white under transparency, grey, inverted, then Floyd-Steinberg to 1 bit), so the preview of
a document and the emulator's picture of the same printout agree dot for dot.
"""

from __future__ import annotations

from escpos.image import EscposImage
from PIL import Image

_INVERT = bytes(255 - value for value in range(256))


def printed(image: Image.Image) -> Image.Image:
    """The dots that print, as a mode ``"1"`` image (black = a dot), as wide as the printer
    receives it: rounded up to a multiple of 8 with blank dots on the right."""
    converted = EscposImage(image)
    return from_raster(converted.width_bytes, converted.height, converted.to_raster_format())


def from_raster(width_bytes: int, height: int, data: bytes) -> Image.Image:
    """The image a ``GS v 0`` payload draws (ESC/POS: a set bit is a dot; PIL: a set bit in a
    mode ``"1"`` image is white)."""
    return Image.frombytes("1", (width_bytes * 8, height), data.translate(_INVERT))


def to_raster(image: Image.Image) -> bytes:
    """The ``GS v 0`` payload of a ``printed()`` image."""
    return image.convert("1").tobytes().translate(_INVERT)
