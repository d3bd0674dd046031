"""The picture of a printout: blocks drawn top to bottom, and the emulator's picture of a
printed ticket is the kiosk's preview of the same ticket."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import qrcode
import qrcode.constants
from PIL import Image, ImageChops

from hallq.drivers.printer import open_printer, preview
from hallq.drivers.printer.document import Document, Feed, QrCode, Raster, Text
from hallq.drivers.printer.emulator import PrinterEmulator
from hallq.drivers.printer.encode import encode
from hallq.drivers.printer.preview import (
    CUT_MARGIN,
    LINE,
    document_to_image,
    document_to_png,
    find_font,
)


def same_picture(a: Image.Image, b: Image.Image) -> bool:
    return (
        a.size == b.size and ImageChops.difference(a.convert("L"), b.convert("L")).getbbox() is None
    )


def ink(page: Image.Image) -> tuple[int, int, int, int] | None:
    """The box around the black dots, ``None`` for blank paper."""
    return ImageChops.invert(page.convert("L")).getbbox()


def test_an_empty_document_is_paper_with_the_cut_line() -> None:
    page = document_to_image(Document())
    assert page.mode == "1" and page.size == (576, CUT_MARGIN + 1)
    grey = page.convert("L")
    bottom = [grey.getpixel((x, page.height - 1)) for x in range(576)]
    assert bottom[:24] == ([0] * 8 + [255] * 4) * 2  # dashes of 8 dots, 4 apart
    assert ink(page.crop((0, 0, 576, page.height - 1))) is None
    assert document_to_image(Document(width_dots=384)).width == 384


def test_a_raster_is_pasted_dot_for_dot_where_the_printer_puts_it() -> None:
    image = Image.effect_noise((200, 50), 80).convert("1")
    page = document_to_image(Document(blocks=(Raster(image), Raster(image, align="left"))))
    assert page.size == (576, 100 + CUT_MARGIN + 1)
    assert same_picture(page.crop((188, 0, 388, 50)), image)  # (576 - 200) / 2
    assert same_picture(page.crop((0, 50, 200, 100)), image)
    assert ink(page.crop((0, 0, 188, 50))) is None and ink(page.crop((388, 0, 576, 50))) is None
    assert ink(page.crop((200, 50, 576, 100))) is None


def test_a_qr_code_is_drawn_at_its_module_size() -> None:
    data = "https://queue.example.org/t/8f3a2c9d41"
    page = document_to_image(Document(blocks=(QrCode(data, module=5, align="left"),)))
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=5, border=0)
    code.add_data(data)
    code.make(fit=True)
    side = (17 + 4 * code.version) * 5  # modules a side, times the module
    assert page.height == side + CUT_MARGIN + 1
    expected = code.make_image().get_image().convert("1")
    assert same_picture(page.crop((0, 0, side, side)), expected)


def test_text_is_a_line_of_24_dots_times_its_scale_wrapped_at_the_edge() -> None:
    one = document_to_image(Document(blocks=(Text("A023"),)))
    assert one.height == LINE + CUT_MARGIN + 1
    three = document_to_image(Document(blocks=(Text("A023", scale=3),)))
    assert three.height == 24 * 3 + 6 + CUT_MARGIN + 1
    long = document_to_image(Document(blocks=(Text("請到三號窗口辦理" * 6, encoding="big5"),)))
    assert long.height == 2 * LINE + CUT_MARGIN + 1  # 48 ideographs of 24 dots: two lines
    two_lines = document_to_image(Document(blocks=(Text("one\ntwo"),)))
    assert two_lines.height == 2 * LINE + CUT_MARGIN + 1


def test_centred_text_is_centred_and_bold_is_heavier() -> None:
    left = document_to_image(Document(blocks=(Text("A023", scale=2),)))
    centred = document_to_image(Document(blocks=(Text("A023", scale=2, align="center"),)))
    bold = document_to_image(Document(blocks=(Text("A023", scale=2, bold=True),)))
    box = ink(left)
    assert box is not None and box[0] < 5
    box = ink(centred)
    assert box is not None and abs((box[0] + box[2]) / 2 - 288) <= 2
    count = lambda page: page.convert("L").histogram()[0]  # noqa: E731 - black dots
    assert count(bold) > count(left)


def test_chinese_is_drawn_in_a_cjk_font_not_as_boxes() -> None:
    # scripts/setup installs it: without one, tickets would print boxes, so this fails.
    assert find_font() is not None, "no CJK font installed: run scripts/setup (fonts-wqy-microhei)"
    first = document_to_image(Document(blocks=(Text("請", encoding="big5"),)))
    second = document_to_image(Document(blocks=(Text("號", encoding="big5"),)))
    assert not same_picture(first, second)  # two glyphs, not one "missing" box twice


def test_a_named_font_must_exist_and_without_any_pils_own_is_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(FileNotFoundError, match=r"font '/no/such/font\.ttf' does not exist"):
        document_to_png(Document(blocks=(Text("A"),)), font_path="/no/such/font.ttf")
    monkeypatch.setattr(preview, "SYSTEM_FONTS", ("/no/such/font.ttc",))
    preview._system_font.cache_clear()
    try:
        page = document_to_image(Document(blocks=(Text("A023"),)))
    finally:
        preview._system_font.cache_clear()
    assert ink(page) is not None  # drawn all the same


def test_feeds_are_blank_lines() -> None:
    page = document_to_image(Document(blocks=(Feed(3),)))
    assert page.height == 3 * LINE + CUT_MARGIN + 1
    assert ink(page.crop((0, 0, 576, 3 * LINE))) is None


def test_the_png_is_the_image() -> None:
    document = Document(blocks=(Text("A023", scale=2), QrCode("x")))
    png = document_to_png(document)
    assert same_picture(Image.open(io.BytesIO(png)), document_to_image(document))


@pytest.mark.parametrize("chinese", ["gb18030", "big5"])
def test_the_emulators_picture_of_a_printed_ticket_is_its_preview(
    tmp_path: Path, ticket_image, chinese: str
) -> None:
    line = "請到 3 號窗口辦理" if chinese == "big5" else "请到 3 号窗口办理"
    ticket = Document(
        blocks=(
            Raster(ticket_image(width=570)),  # not a whole number of bytes: the printer pads
            QrCode("https://queue.example.org/t/8f3a2c9d41", module=6),
            Text("A023", scale=3, bold=True, align="center"),
            Text(line, encoding=chinese, align="center"),  # type: ignore[arg-type]
            Feed(2),
            Text("2026-03-02 09:41"),
        )
    )
    with PrinterEmulator(out_dir=tmp_path, chinese=chinese) as emulator:  # type: ignore[arg-type]
        with open_printer(emulator.url) as printer:
            printer.send(encode(ticket))
        emulator.wait_for_job(1)
    printed = Image.open(tmp_path / "job-0001.png")
    assert same_picture(printed, document_to_image(ticket))
