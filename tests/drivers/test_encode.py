"""encode(): the exact bytes each block becomes, checked as python-escpos's own tests do."""

from __future__ import annotations

import pytest
from PIL import Image

from hallq.drivers.printer.document import Document, Feed, QrCode, Raster, Text
from hallq.drivers.printer.encode import encode

INIT = b"\x1b@"
CUT = b"\x1bd\x06" + b"\x1dV\x00"  # feed 6 lines past the cutter, full cut
LEFT, CENTER = b"\x1ba\x00", b"\x1ba\x01"


def body(*blocks: Raster | QrCode | Text | Feed, width_dots: int = 576) -> bytes:
    """What ``encode`` puts between ``ESC @`` and the cut (checking both are there)."""
    data = encode(Document(blocks=blocks, width_dots=width_dots))
    assert data.startswith(INIT), data[:8]
    assert data.endswith(CUT), data[-8:]
    return data[len(INIT) : -len(CUT)]


def test_an_empty_document_is_a_reset_and_a_cut() -> None:
    assert encode(Document()) == INIT + CUT


def test_a_raster_is_gs_v_0_with_its_size_after_its_alignment() -> None:
    image = Image.new("1", (16, 3), 1)
    image.putpixel((0, 0), 0)  # the top left dot
    image.putpixel((15, 2), 0)  # the bottom right dot
    header = b"\x1dv0\x00" + b"\x02\x00" + b"\x03\x00"  # normal density, 2 bytes x 3 rows
    dots = b"\x80\x00" + b"\x00\x00" + b"\x00\x01"
    assert body(Raster(image, align="center")) == CENTER + header + dots
    assert body(Raster(image, align="left")) == LEFT + header + dots


def test_a_raster_is_sent_as_wide_as_it_is_not_padded_to_the_paper() -> None:
    image = Image.new("1", (100, 1), 0)  # 100 dots: 13 bytes, the last one's 4 bits blank
    data = body(Raster(image))
    assert data == CENTER + b"\x1dv0\x00\x0d\x00\x01\x00" + b"\xff" * 12 + b"\xf0"


def test_a_tall_raster_goes_in_pieces_of_960_rows() -> None:
    data = body(Raster(Image.new("1", (8, 1000), 0)))
    assert data == CENTER + b"\x1dv0\x00\x01\x00\xc0\x03" + b"\xff" * 960 + (
        b"\x1dv0\x00\x01\x00\x28\x00" + b"\xff" * 40
    )


def test_a_raster_wider_than_the_paper_is_refused_not_cut_off() -> None:
    with pytest.raises(
        ValueError, match=r"block 2 \(Raster\): the image is 577 dots wide, the paper prints 576"
    ):
        encode(Document(blocks=(Feed(1), Raster(Image.new("1", (577, 10), 1)))))
    narrow = Document(blocks=(Raster(Image.new("1", (400, 10), 1)),), width_dots=384)
    with pytest.raises(ValueError, match="400 dots wide, the paper prints 384"):
        encode(narrow)


def test_a_qr_code_is_stored_then_printed_natively_after_its_alignment() -> None:
    data = "https://q.example/t/1"
    expected = (
        CENTER
        + b"\x1d(k\x04\x00" + b"1A2\x00"  # model 2
        + b"\x1d(k\x03\x00" + b"1C\x06"  # module: 6 dots
        + b"\x1d(k\x03\x00" + b"1E1"  # error correction M
        + b"\x1d(k" + bytes([len(data) + 3, 0]) + b"1P0" + data.encode()  # store
        + b"\x1d(k\x03\x00" + b"1Q0"  # print
    )  # fmt: skip
    assert body(QrCode(data, module=6)) == expected
    assert body(QrCode(data, module=6, align="left")).startswith(LEFT + b"\x1d(k")


@pytest.mark.parametrize(
    ("block", "problem"),
    [
        (QrCode(""), "holds 1 to 2331 bytes of data, not 0"),
        (QrCode("x" * 2332), "not 2332"),
        (QrCode("x", module=17), "module 17; a QR module is 1 to 16 dots"),
        (Text("A001", scale=9), "scale 9"),
        (Text("A\x1dV\x00"), r"control characters \(U\+0000, U\+001D\)"),
        (Text("號"), "'號' in '號' cannot be sent as ascii; print a Raster of it, or encoding"),
        (Text("€", encoding="big5"), "cannot be sent as big5"),
        (Feed(-1), "cannot feed -1 lines"),
    ],
)
def test_what_would_print_wrong_is_refused_naming_the_block(block, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        encode(Document(blocks=(block,)))


def test_ascii_text_is_plain_bytes_with_size_weight_and_alignment() -> None:
    size_1, not_bold = b"\x1d!\x00", b"\x1bE\x00"
    assert body(Text("A001")) == size_1 + not_bold + LEFT + b"A001\n"
    # Scale 3 both ways, bold, centred; then size and weight go back for the next block.
    assert body(Text("A001", scale=3, bold=True, align="center")) == (
        b"\x1d!\x22" + b"\x1bE\x01" + CENTER + b"A001\n" + size_1 + not_bold
    )
    assert body(Text("one\ntwo")) == size_1 + not_bold + LEFT + b"one\ntwo\n"


def test_chinese_text_goes_in_the_printers_chinese_mode_in_its_encoding() -> None:
    style = b"\x1d!\x00\x1bE\x00" + CENTER
    assert body(Text("请到3号窗口", encoding="gb18030", align="center")) == (
        style + b"\x1c&" + "请到3号窗口".encode("gb18030") + b"\x1c." + b"\n"
    )
    # python-escpos's text() cannot do Big5: these bytes are written by hand.
    assert body(Text("請到3號窗口", encoding="big5", align="center")) == (
        style + b"\x1c&" + b"\xbd\xd0\xa8\xec3\xb8\xb9\xb5\xa1\xa4f" + b"\x1c." + b"\n"
    )


def test_a_feed_is_line_feeds() -> None:
    assert body(Feed(3)) == b"\n\n\n"
    assert body(Feed(0)) == b""


def test_blocks_follow_each_other_in_order() -> None:
    data = body(Text("A"), Feed(1), Raster(Image.new("1", (8, 1), 0), align="left"))
    assert (
        data
        == b"\x1d!\x00\x1bE\x00" + LEFT + b"A\n" + b"\n" + LEFT + b"\x1dv0\x00\x01\x00\x01\x00\xff"
    )


def test_the_profile_must_know_its_paper_width() -> None:
    with pytest.raises(ValueError, match="printer profile 'default' does not say its paper width"):
        encode(Document(), profile="default")
