"""Reading ESC/POS back: encode -> parse gives the same dots, QR data and text; the stream
splitter finds where commands end; garbage never makes either raise."""

from __future__ import annotations

import random

import pytest
from PIL import Image

from hallq.drivers.printer import raster
from hallq.drivers.printer.document import Document, Feed, QrCode, Raster, Text
from hallq.drivers.printer.encode import encode
from hallq.drivers.printer.escpos_parse import parse
from hallq.drivers.printer.escpos_stream import command_length, commands, split_jobs


def round_trip(*blocks: Raster | QrCode | Text | Feed, **options) -> tuple:
    return parse(encode(Document(blocks=blocks)), **options).blocks


def test_a_ticket_comes_back_block_for_block(ticket: Document) -> None:
    back = parse(encode(ticket))
    assert back.width_dots == 576
    assert [type(block) for block in back.blocks] == [type(block) for block in ticket.blocks]
    for sent, got in zip(ticket.blocks, back.blocks, strict=True):
        if isinstance(sent, Raster):
            assert got.align == sent.align
            assert got.image.mode == "1" and got.image.size == sent.image.size
            assert got.image.tobytes() == sent.image.convert("1").tobytes()  # every dot
        else:
            assert got == sent


def test_the_dots_are_the_ones_python_escpos_sends_whatever_the_picture(ticket_image) -> None:
    grey = ticket_image(width=570).convert("L").rotate(7, fillcolor=200)  # greys, odd width
    (back,) = round_trip(Raster(grey, align="left"))
    assert back.image.size == (576, grey.height)  # a whole number of bytes a row
    assert back.image.tobytes() == raster.printed(grey).tobytes()
    assert back.align == "left"


def test_a_tall_image_sent_in_pieces_comes_back_as_one() -> None:
    tall = Image.effect_noise((576, 2100), 90).convert("1")
    (back,) = round_trip(Raster(tall))
    assert back.image.size == (576, 2100)
    assert back.image.tobytes() == tall.tobytes()


def test_qr_codes_keep_their_data_module_and_alignment() -> None:
    sent = (
        QrCode("https://queue.example.org/t/abc?x=1&y=號", module=8, align="left"),
        QrCode("A023", module=3),
    )
    assert round_trip(*sent) == sent


@pytest.mark.parametrize(
    "text",
    [
        Text("A023 Window 3", scale=4, bold=True, align="center"),
        Text("请到 3 号窗口办理业务", encoding="gb18030"),
        Text("𠀀 and 㐀: four-byte GB18030", encoding="gb18030", scale=2),
        Text("A023", encoding="gb18030"),  # the Chinese mode is kept even for digits
    ],
)
def test_text_comes_back_with_its_encoding_and_style(text: Text) -> None:
    assert round_trip(text, Feed(2), Text("end")) == (text, Feed(2), Text("end"))


def test_big5_text_comes_back_from_a_printer_set_to_big5() -> None:
    text = Text("請到 3 號窗口辦理", encoding="big5", align="center")
    assert round_trip(text, chinese="big5") == (text,)


def test_auto_reads_big5_when_gb18030_makes_odd_characters_of_it() -> None:
    # Every Big5 byte pair is valid GB18030: 請到 3 號窗口辦理 reads 叫\ue7cf 3 腹怠快瞶\ue60c.
    text = Text("請到 3 號窗口辦理", encoding="big5")
    assert round_trip(text) == (text,)
    assert round_trip(Text("前面還有 12 人", encoding="big5")) == (
        Text("前面還有 12 人", encoding="big5"),
    )
    # Where both readings look like Chinese, GB18030 it is: a printer's setting decides.
    assert round_trip(Text("請", encoding="big5")) == (Text("叫", encoding="gb18030"),)
    simplified = Text("请到 3 号窗口办理", encoding="gb18030")
    assert round_trip(simplified) == (simplified,)
    # A byte pair Big5 does not have: GB18030.
    assert parse(b"\x1c&\x81\x30\x81\x30\x1c.\n").blocks == (Text("\x80", encoding="gb18030"),)


def test_the_feed_before_the_cut_is_the_cuts_and_others_are_feeds() -> None:
    assert parse(b"\x1b@A\n\x1bd\x06\x1dV\x00").blocks == (Text("A"),)
    assert parse(b"A\n\x1bd\x03B\n").blocks == (Text("A"), Feed(3), Text("B"))
    assert parse(b"A\x1bd\x03\x1dV\x00").blocks == (Text("A"),)  # ESC d prints the line


def test_esc_at_drops_an_unfinished_line_and_resets_the_style() -> None:
    data = b"\x1ba\x01\x1d!\x11\x1bE\x01lost" + b"\x1b@" + b"kept\n"
    assert parse(data).blocks == (Text("kept"),)


def test_status_queries_in_the_stream_print_nothing() -> None:
    assert parse(b"A\x10\x04\x01B\n\x10\x04\x04").blocks == (Text("AB"),)


def test_the_splitter_reads_a_command_to_its_declared_end() -> None:
    image = b"\x1dv0\x00\x02\x00\x02\x00" + b"\x10\x04\x01\x1d"  # 4 bytes of image
    assert command_length(image) == len(image)
    assert command_length(image[:-1]) is None  # wait for the rest
    assert list(commands(image + b"AB\n")) == [image, b"AB", b"\n"]
    qr_store = b"\x1d(k\x06\x001P0abc"
    assert command_length(qr_store + b"junk") == len(qr_store)
    assert command_length(b"\x1b") is None and command_length(b"\x1bX") == 2  # unknown: skipped
    assert command_length(b"\x1dV\x00") == 3 and command_length(b"\x1dVA\x10") == 4
    assert command_length(b"\x10\x04") is None and command_length(b"\x10\x04\x04") == 3


def test_a_length_no_printer_could_hold_is_noise() -> None:
    huge = b"\x1dv0\x00\xff\xff\xff\xff" + b"A\n"  # 64 KB x 64 K rows
    assert command_length(huge) == 2
    # The rest prints as text (0xFF is a no-break space in PC437), as it would on paper.
    assert parse(huge).blocks == (Text("0\xa0\xa0\xa0\xa0A"),)


def test_jobs_split_at_each_cut() -> None:
    one, two = encode(Document(blocks=(Text("1"),))), encode(Document(blocks=(Text("2"),)))
    assert split_jobs(one + two + b"tail") == [one, two, b"tail"]
    assert [parse(job).blocks for job in split_jobs(one + two)] == [(Text("1"),), (Text("2"),)]


def garbage(generator: random.Random, size: int) -> bytes:
    """Random bytes, rich in command prefixes so the odd paths are taken."""
    alphabet = [0x1B, 0x1D, 0x1C, 0x10, 0x0A, 0x04, 0x00, 0x30, 0x31, 0x76, 0x28, 0x6B, 0x56]
    return bytes(
        generator.choice(alphabet) if generator.random() < 0.4 else generator.getrandbits(8)
        for _ in range(size)
    )


def test_garbage_never_makes_the_parser_raise(ticket_image) -> None:
    generator = random.Random(20260302)
    for _ in range(300):
        data = garbage(generator, generator.randrange(1, 3000))
        document = parse(data)
        assert isinstance(document, Document)
        pos = 0
        while pos < len(data) and (length := command_length(data, pos)) is not None:
            assert length >= 1
            pos += length
    # Valid jobs with their bytes damaged, too.
    valid = encode(
        Document(blocks=(Raster(ticket_image()), QrCode("https://q.example/t/1"), Text("A")))
    )
    for _ in range(100):
        damaged = bytearray(valid)
        for _ in range(generator.randrange(1, 20)):
            damaged[generator.randrange(len(damaged))] = generator.getrandbits(8)
        parse(bytes(damaged))
        parse(bytes(damaged[: generator.randrange(len(damaged))]))
