"""Fixtures of the driver tests: printer emulators, started and stopped around each test, and
a ticket-like document to print.

- ``emulator``: a network printer (``PrinterEmulator``) on a free loopback port.
- ``serial_emulator``: a serial printer (``SerialPrinterEmulator``) on a pty.
- ``ticket_image``: draws a ticket's lines as a 1-bit image, any size.
- ``ticket``: a document as the kiosk lays a ticket out: a 576-dot image of its Chinese
  lines, the number in the printer's font, the status QR code, a Big5 line, feeds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from hallq.drivers.printer.document import Document, Feed, QrCode, Raster, Text
from hallq.drivers.printer.emulator import PrinterEmulator, SerialPrinterEmulator
from hallq.drivers.printer.preview import find_font


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[PrinterEmulator]:
    with PrinterEmulator(out_dir=tmp_path / "printed") as printer:
        yield printer
    assert printer.printer.errors == []


@pytest.fixture
def serial_emulator(tmp_path: Path) -> Iterator[SerialPrinterEmulator]:
    with SerialPrinterEmulator(out_dir=tmp_path / "printed-serial") as printer:
        yield printer
    assert printer.printer.errors == []


def _ticket_image(width: int = 576, height: int = 260) -> Image.Image:
    """A ticket's Chinese lines drawn in 1 bit, as the kiosk renders them."""
    image = Image.new("1", (width, height), 1)
    draw = ImageDraw.Draw(image)
    font_path = find_font()
    big = ImageFont.truetype(font_path, 96) if font_path else ImageFont.load_default(96)
    small = ImageFont.truetype(font_path, 32) if font_path else ImageFont.load_default(32)
    draw.text((width // 2, 70), "A023", font=big, fill=0, anchor="mm")
    draw.text((width // 2, 160), "不動產登記 · 前面還有 12 人", font=small, fill=0, anchor="mm")
    draw.text((width // 2, 210), "請攜帶身份證及房產證原件", font=small, fill=0, anchor="mm")
    draw.rectangle((0, 0, width - 1, height - 1), outline=0)
    return image


@pytest.fixture
def ticket_image() -> Callable[..., Image.Image]:
    """``ticket_image(width=576, height=260)``: a ticket's lines as a 1-bit image."""
    return _ticket_image


@pytest.fixture
def ticket() -> Document:
    return Document(
        blocks=(
            Raster(_ticket_image()),
            Feed(1),
            QrCode("https://queue.example.org/t/8f3a2c9d41", module=6),
            Text("A023", scale=2, bold=True, align="center"),
            Text("请到 3 号窗口办理", encoding="gb18030", align="center"),
            Text("2026-03-02 09:41", align="left"),
            Feed(2),
        )
    )
