"""The printed ticket's layout (``kiosk/ticket_layout.py``): what a customer reads, on both
paper widths, in every language, drawn as images or sent as the printer's own Chinese text.

Text modes (``gb18030``, ``big5``) expose the words as Text blocks, so the content, its order
and its wrapping are checked there; image mode is checked for what an image can show: 1-bit
rasters no wider than the paper, a number as tall as a thumb, margins never touched.
"""

from __future__ import annotations

import io
import itertools
import re

import pytest
import qrcode
from PIL import Image
from qrcode.constants import ERROR_CORRECT_M

from hallq.drivers.printer.document import Document, QrCode, Raster, Text
from hallq.kiosk import fonts
from hallq.kiosk.ticket_layout import PAPER_DOTS, issued_text, layout_ticket, preview_png
from hallq.server import wire

LANGUAGES = ("zh-Hant", "zh-Hans", "en")
PAPERS = (80, 58)
URL = "https://queue.example.org/t/Zk3xQ9vLmN0pR2sT4uVw"

NAMES = {
    "zh-Hant": ("臺北市中山地政事務所不動產登記服務大廳", "不動產移轉登記（買賣、贈與、繼承）"),
    "zh-Hans": ("上海市浦东新区不动产登记中心综合服务大厅", "不动产转移登记（买卖、赠与、继承）"),
    "en": (
        "Zhongshan Land Registration Office, Taipei City",
        "Property transfer (sale, gift or inheritance)",
    ),
}
DOCUMENTS = {
    "zh-Hant": [
        "身分證正本",
        "印鑑證明（三個月內核發）",
        "土地及建物所有權狀正本；如有遺失，請先申請補發並攜帶切結書、委託書及代理人身分證明文件",
    ],
    "zh-Hans": [
        "身份证原件",
        "户口簿",
        "不动产权证书原件；如有遗失，请先申请补发并携带承诺书、委托书及代理人身份证明文件",
    ],
    "en": [
        "National ID card (original)",
        "Certificate of seal impression issued within the last three months",
        "Title deeds of the land and the building; if one is lost, apply for a replacement "
        "first and bring the affidavit, the power of attorney and the agent's ID",
    ],
}


def ticket(lang: str = "zh-Hant", **changes) -> wire.PrintTicket:
    hall, service = NAMES[lang]
    printed: wire.PrintTicket = {
        "id": 17,
        "number": "A023",
        "service": "property-transfer",
        "service_name": service,
        "documents": list(DOCUMENTS[lang]),
        "language": lang,
        "priority": "normal",
        "people_ahead": 3,
        "eta_minutes": 12,
        "issued_at": "2026-11-30T14:05:09+08:00",
        "status_url": URL,
        "hall_name": hall,
        "footer": None,
    }
    printed.update(changes)  # type: ignore[typeddict-item]
    return printed


def lines(document: Document) -> list[str]:
    """The printed lines of a text-mode document (the encoder ends each with a line feed)."""
    return [b.text for b in document.blocks if isinstance(b, Text)]


def rasters(document: Document) -> list[Image.Image]:
    return [b.image for b in document.blocks if isinstance(b, Raster)]


def item_text(document: Document, index: int) -> str:
    """Document ``index`` (1-based) as printed: its numbered line and the indented lines
    under it, joined back together."""
    out: list[str] = []
    texts = lines(document)
    for i, line in enumerate(texts):
        if line.startswith(f"{index}. "):
            out.append(line[len(f"{index}. ") :])
            for following in texts[i + 1 :]:
                if not following.startswith(" " * len(f"{index}. ")):
                    break
                out.append(following[len(f"{index}. ") :])
            break
    return "".join(out)


def columns(text: str) -> int:
    """Width in the printer's font A columns: ASCII one, a two-byte character two."""
    return sum(1 if ord(ch) < 128 else 2 for ch in text)


def ink_rows(image: Image.Image) -> list[bool]:
    """For each row, whether it holds a black dot (mode 1: black is 0)."""
    width, height = image.size
    data = image.tobytes()  # packed, 1 bit a pixel, rows padded to bytes
    stride = (width + 7) // 8
    full = bytes([0xFF]) * stride
    if width % 8:
        full = full[:-1] + bytes([(0xFF << (8 - width % 8)) & 0xFF])
    rows = []
    for y in range(height):
        row = data[y * stride : (y + 1) * stride]
        masked = bytes(a & b for a, b in zip(row, full, strict=True))
        rows.append(masked != full)
    return rows


def tallest_ink_band(image: Image.Image) -> int:
    best = run = 0
    for inked in ink_rows(image):
        run = run + 1 if inked else 0
        best = max(best, run)
    return best


# --- image mode: every printer -----------------------------------------------------------------


@pytest.mark.parametrize("paper", PAPERS)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_image_mode_is_a_few_one_bit_rasters_no_wider_than_the_paper(lang, paper):
    document = layout_ticket(ticket(lang), paper_mm=paper)
    width = PAPER_DOTS[paper]
    assert document.width_dots == width
    images = rasters(document)
    assert 1 <= len(images) <= 3, "a few large rasters, not one per line"
    for image in images:
        assert image.mode == "1"
        assert image.width <= width
        assert image.width % 8 == 0  # GS v 0 sends whole bytes
        assert image.getextrema() == (0, 255)  # black and white, and something printed
    assert not any(isinstance(b, Text) for b in document.blocks)
    (qr,) = [b for b in document.blocks if isinstance(b, QrCode)]
    assert qr.data == URL


@pytest.mark.parametrize("paper", PAPERS)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_text_never_touches_the_paper_edges(lang, paper):
    """Long names and documents wrap before the margins: ink in the outermost columns would
    mean a line was cut off by the image's edge."""
    long_name = NAMES[lang][0] * 3
    document = layout_ticket(ticket(lang, hall_name=long_name, number="A1000"), paper_mm=paper)
    for image in rasters(document):
        edges = (
            image.crop((0, 0, 2, image.height)),
            image.crop((image.width - 2, 0, image.width, image.height)),
        )
        for edge in edges:
            assert edge.getextrema() == (255, 255), "ink at the edge of the paper"


@pytest.mark.parametrize("paper", PAPERS)
@pytest.mark.parametrize("number", ["A001", "B999", "C1000", "Z12345"])
def test_the_number_is_very_large_and_fits(number, paper):
    document = layout_ticket(ticket(number=number), paper_mm=paper)
    header = rasters(document)[0]
    width = PAPER_DOTS[paper]
    # The number is the tallest thing printed: a band of ink a fifth of the paper's width
    # high (at least 14 mm at 80 mm) where the text lines around it are about 3 mm.
    band = tallest_ink_band(header)
    assert band >= width // 5, band
    small = layout_ticket(ticket(number="A001", hall_name="", service_name=""), paper_mm=paper)
    assert tallest_ink_band(rasters(small)[0]) >= band * 0.8  # same size for usual numbers


def test_the_number_alone_matches_the_numbers_band():
    """Rendering a ticket whose number changes changes only the number's band."""
    first = rasters(layout_ticket(ticket(number="A023")))[0]
    second = rasters(layout_ticket(ticket(number="A024")))[0]
    assert first.size == second.size
    differing = [
        y
        for y in range(first.height)
        if first.crop((0, y, first.width, y + 1)).tobytes()
        != second.crop((0, y, first.width, y + 1)).tobytes()
    ]
    assert differing, "the number is not in the first raster"
    assert max(differing) - min(differing) >= PAPER_DOTS[80] // 5


def test_text_is_thresholded_not_dithered():
    """Blank paper between lines is pure white: a dithered grey would scatter dots there."""
    (header, *_) = rasters(layout_ticket(ticket()))
    rows = ink_rows(header)
    assert not any(rows[:5]), "the top margin is blank"
    gaps = sum(1 for a, b in itertools.pairwise(rows) if a and not b)
    assert gaps >= 5, "separate lines have blank rows between them"


@pytest.mark.parametrize("paper", PAPERS)
def test_image_qr_is_the_status_urls_code(paper):
    document = layout_ticket(ticket(), paper_mm=paper, qr_mode="image")
    assert not any(isinstance(b, QrCode) for b in document.blocks)
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
    code.add_data(URL)
    code.make(fit=True)
    matrix = code.get_matrix()
    n = len(matrix)
    found = []
    for image in rasters(document):
        inverted = Image.eval(image.convert("L"), lambda v: 255 - v)
        left, top, right, bottom = inverted.getbbox()
        if right - left != bottom - top or (right - left) % n:
            continue
        square = image.crop((left, top, right, bottom)).convert("L")
        modules = square.resize((n, n), Image.Resampling.BOX)
        read = [[modules.getpixel((x, y)) < 128 for x in range(n)] for y in range(n)]
        found.append((read == matrix, right - left, left, image.width - right))
    assert found, "no square raster of the QR code's size"
    same, size, left_margin, right_margin = found[0]
    assert same, "the raster is not the status URL's QR code"
    assert size <= PAPER_DOTS[paper]
    assert abs(left_margin - right_margin) <= 1, "centred"


@pytest.mark.parametrize("paper", PAPERS)
def test_a_native_qr_code_fits_the_paper_even_for_a_long_url(paper):
    long_url = "https://queue.example.org/t/" + "x" * 300
    document = layout_ticket(ticket(status_url=long_url), paper_mm=paper)
    (qr,) = [b for b in document.blocks if isinstance(b, QrCode)]
    assert qr.data == long_url
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
    code.add_data(long_url)
    code.make(fit=True)
    assert (len(code.get_matrix()) + 8) * qr.module <= PAPER_DOTS[paper]
    assert 1 <= qr.module <= 16


@pytest.mark.parametrize("qr_mode", ["native", "image"])
def test_a_url_too_long_for_any_qr_code_still_prints_the_ticket(qr_mode):
    document = layout_ticket(ticket(status_url="https://x.example/" + "y" * 4000), qr_mode=qr_mode)
    assert not any(isinstance(b, QrCode) for b in document.blocks)
    assert len(rasters(document)) == 1  # the text, in one piece: no QR code raster


def test_no_documents_no_heading():
    assert "請準備以下文件：" not in words(documents=[])
    assert "請準備以下文件：" not in words(documents=["", "  "])


def test_no_status_url_no_qr_code_and_no_caption():
    document = layout_ticket(ticket(status_url=""), text_mode="gb18030")
    assert not any(isinstance(b, QrCode) for b in document.blocks)
    assert "掃描查看排隊進度" not in lines(document)


# --- text modes: the words, their order, their wrapping ---------------------------------------


def test_the_ticket_reads_in_order_in_traditional_chinese():
    document = layout_ticket(ticket(), text_mode="big5")
    texts = lines(document)
    hall, service = NAMES["zh-Hant"]
    expected_order = [
        hall[:4],
        service[:4],
        "A023",
        "前面還有 3 人 · 預計等候約 12 分鐘",
        "取號時間 2026-11-30 14:05",
        "請準備以下文件：",
        "1. 身分證正本",
        "2. 印鑑證明（三個月內核發）",
        "3. ",
        "掃描查看排隊進度",
        "感謝您耐心等候",
    ]
    positions = []
    for wanted in expected_order:
        at = next((i for i, t in enumerate(texts) if t.strip().startswith(wanted)), None)
        assert at is not None, f"{wanted!r} not printed: {texts}"
        positions.append(at)
    assert positions == sorted(positions), texts
    (number,) = [b for b in document.blocks if isinstance(b, Text) and b.text.strip() == "A023"]
    assert number.scale >= 6 and number.bold and number.align == "center"
    qr_at = next(i for i, b in enumerate(document.blocks) if isinstance(b, QrCode))
    caption_at = next(
        i for i, b in enumerate(document.blocks) if isinstance(b, Text) and "掃描" in b.text
    )
    assert qr_at < caption_at, "the QR code's line is under it"


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        (
            "zh-Hans",
            ["前面还有 3 人 · 预计等候约 12 分钟", "取号时间 2026-11-30 14:05", "请准备以下文件："],
        ),
        (
            "en",
            ["3 people ahead of you", "Estimated wait about 12 minutes", "Issued 2026-11-30 14:05"],
        ),
    ],
)
def test_the_ticket_speaks_the_tickets_language(lang, words):
    texts = [t.strip() for t in lines(layout_ticket(ticket(lang), text_mode="gb18030"))]
    for wanted in words:
        assert wanted in texts, texts


@pytest.mark.parametrize("paper", PAPERS)
@pytest.mark.parametrize(
    ("lang", "mode"),
    # Big5 has no simplified characters: test_big5_replaces_simplified_characters_it_lacks.
    [
        (lang, mode)
        for lang in LANGUAGES
        for mode in ("gb18030", "big5")
        if (lang, mode) != ("zh-Hans", "big5")
    ],
)
def test_every_document_is_printed_whole(lang, mode, paper):
    """Wrapping loses nothing: each document's wrapped lines, joined, are the document."""
    document = layout_ticket(ticket(lang), text_mode=mode, paper_mm=paper)
    for index, wanted in enumerate(DOCUMENTS[lang], 1):
        assert item_text(document, index) == wanted
    heading = {"zh-Hant": "請準備以下文件：", "zh-Hans": "请准备以下文件：", "en": None}[lang]
    heading = heading or "Please bring the following documents:"
    assert heading in "".join(lines(document))  # on 58 mm, English takes two lines


@pytest.mark.parametrize("paper", PAPERS)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_wrapped_names_are_whole_and_within_the_paper(lang, paper):
    long_hall = NAMES[lang][0] + " " + NAMES[lang][0]
    document = layout_ticket(ticket(lang, hall_name=long_hall), text_mode="gb18030", paper_mm=paper)
    texts = [b for b in document.blocks if isinstance(b, Text)]
    hall_lines = []
    for block in texts:  # the hall's lines come first, before the service's larger ones
        if block.scale != 1:
            break
        hall_lines.append(block.text)
    assert len(hall_lines) >= 2
    assert "".join(hall_lines) == long_hall
    for block in texts:
        printed = block.text.rstrip()
        assert columns(printed) * 12 * block.scale <= PAPER_DOTS[paper], block


@pytest.mark.parametrize("mode", ["gb18030", "big5"])
@pytest.mark.parametrize("lang", LANGUAGES)
def test_native_text_encodes_without_errors(lang, mode):
    odd = ticket(
        lang,
        hall_name=NAMES[lang][0] + " 🏛 𠮷野家",  # an emoji and a character beyond GBK/Big5
        service_name=NAMES[lang][1] + "・‧–“”",
        documents=[*DOCUMENTS[lang], "ﬁle 影本 ‧ 𩸽"],
    )
    document = layout_ticket(odd, text_mode=mode)
    for block in document.blocks:
        if isinstance(block, Text):
            assert block.encoding in ("ascii", mode)
            block.text.encode({"gb18030": "gbk"}.get(block.encoding, block.encoding))
            block.text.encode(block.encoding)
    printed = "".join(lines(document))
    assert "🏛" not in printed and "𠮷" not in printed and "𩸽" not in printed
    assert "?" in printed
    assert "file 影本" in printed  # a ligature neither has becomes its plain letters


def test_big5_replaces_simplified_characters_it_lacks():
    document = layout_ticket(ticket("zh-Hans"), text_mode="big5")
    for block in document.blocks:
        if isinstance(block, Text):
            block.text.encode(block.encoding)
    texts = lines(document)
    assert "A023" in [t.strip() for t in texts]
    assert any("?" in t for t in texts)


def test_control_characters_never_reach_the_printer():
    document = layout_ticket(
        ticket(service_name="登記\x1b@\x1dV\x00A", hall_name="大廳\r\n二樓"), text_mode="big5"
    )
    printed = "".join(b.text for b in document.blocks if isinstance(b, Text))
    assert not re.search(r"[\x00-\x1f\x7f]", printed)
    assert "登記@VA" in printed and "大廳 二樓" in printed


# --- what the wait line says -----------------------------------------------------------------


def words(**changes) -> list[str]:
    lang = changes.pop("lang", "zh-Hant")
    return [t.strip() for t in lines(layout_ticket(ticket(lang, **changes), text_mode="big5"))]


def test_nobody_ahead_reads_naturally():
    assert "前面沒有人等候 · 預計等候約 4 分鐘" in words(people_ahead=0, eta_minutes=4)
    english = words(lang="en", people_ahead=0, eta_minutes=4)
    # Too long for one line at 80 mm: it breaks between its parts, not inside one.
    at = english.index("No one is waiting ahead of you")
    assert english[at + 1] == "Estimated wait about 4 minutes"
    assert not any("0 people" in t or "0 人" in t for t in words(people_ahead=0))


def test_an_unknown_estimate_says_so():
    assert "前面還有 5 人 · 暫時無法預估等候時間" in words(people_ahead=5, eta_minutes=None)
    assert "前面沒有人等候 · 暫時無法預估等候時間" in words(people_ahead=0, eta_minutes=None)
    english = " ".join(words(lang="en", people_ahead=5, eta_minutes=None))
    assert "5 people ahead of you" in english
    assert "The waiting time cannot be estimated yet" in english
    assert not any("None" in t for t in words(people_ahead=5, eta_minutes=None))


def test_an_estimate_under_a_minute_and_singulars():
    assert "前面還有 1 人 · 很快就輪到您" in words(people_ahead=1, eta_minutes=0)
    english = " ".join(words(lang="en", people_ahead=1, eta_minutes=1))
    assert "1 person ahead of you" in english
    assert "Estimated wait about 1 minute" in english
    assert "minutes" not in english


def test_a_ticket_no_longer_waiting_prints_no_queue_line():
    texts = words(people_ahead=None, eta_minutes=None)
    assert not any("前面" in t or "預計" in t or "預估" in t for t in texts)
    assert "取號時間 2026-11-30 14:05" in texts


@pytest.mark.parametrize(
    ("priority", "label"), [("priority", "綠色通道"), ("appointment", "預約號"), ("normal", None)]
)
def test_the_green_channel_and_appointments_are_marked(priority, label):
    texts = words(priority=priority)
    marks = {"綠色通道", "預約號"} & set(texts)
    assert marks == ({label} if label else set())
    if label:
        assert texts.index(label) == texts.index("A023") + 1


# --- time and footer --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("issued_at", "printed"),
    [
        ("2026-11-30T14:05:09+08:00", "2026-11-30 14:05"),  # the hall's local time, as sent
        ("2026-11-30T23:59:59.999999+08:00", "2026-11-30 23:59"),
        ("2026-03-29T01:30:00-03:00", "2026-03-29 01:30"),
        ("2026-11-30T06:05:09Z", "2026-11-30 06:05"),
    ],
)
def test_the_issue_time_is_printed_in_the_offset_it_carries(issued_at, printed):
    assert issued_text(ticket(issued_at=issued_at)) == printed


def test_a_bad_issue_time_still_prints():
    assert issued_text(ticket(issued_at="yesterday\x1b")) == "yesterday"
    assert "取號時間 yesterday" in words(issued_at="yesterday")


def test_the_footer_is_the_halls_text_else_a_thank_you():
    assert words()[-1] == "感謝您耐心等候"
    assert words(footer="過號請至服務台重新取號")[-1] == "過號請至服務台重新取號"
    from_argument = lines(
        layout_ticket(ticket(footer="不是這個"), text_mode="big5", footer="請保管好號碼\n謝謝")
    )
    assert [t.strip() for t in from_argument[-2:]] == ["請保管好號碼", "謝謝"]
    assert "感謝您耐心等候" in words(footer="   ")


def test_an_unknown_language_still_prints():
    texts = words(language="fr")
    assert "A023" in texts and "取號時間 2026-11-30 14:05" in texts


# --- options ----------------------------------------------------------------------------------


def test_bad_options_are_refused():
    with pytest.raises(ValueError, match="paper"):
        layout_ticket(ticket(), paper_mm=76)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="text_mode"):
        layout_ticket(ticket(), text_mode="utf8")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="qr_mode"):
        layout_ticket(ticket(), qr_mode="svg")  # type: ignore[arg-type]


def test_a_missing_font_says_what_to_install(tmp_path):
    with pytest.raises(fonts.FontNotFound, match="does not exist"):
        layout_ticket(ticket(), font_path=str(tmp_path / "none.ttc"))
    # The text modes need no font.
    assert layout_ticket(ticket(), text_mode="big5", font_path=str(tmp_path / "none.ttc"))


@pytest.mark.parametrize("qr_mode", ["native", "image"])
@pytest.mark.parametrize("text_mode", ["image", "gb18030", "big5"])
@pytest.mark.parametrize("paper", PAPERS)
def test_the_printer_driver_encodes_every_layout(paper, text_mode, qr_mode):
    """The document is what the kiosk agent sends: drivers/printer/encode.py refuses a block
    too wide, text its encoding cannot carry, control characters, bad sizes."""
    encode = pytest.importorskip("hallq.drivers.printer.encode")
    for lang in LANGUAGES:
        document = layout_ticket(
            ticket(lang, hall_name=NAMES[lang][0] + " 🏛 𠮷"),
            paper_mm=paper,
            text_mode=text_mode,
            qr_mode=qr_mode,
        )
        profile = "TM-T20II" if paper == 80 else "ZJ-5870"
        data = encode.encode(document, profile=profile)
        assert data.startswith(b"\x1b@")


def test_preview_png_draws_the_same_document():
    pytest.importorskip("hallq.drivers.printer.preview")
    png = preview_png(ticket(), paper_mm=58)
    image = Image.open(io.BytesIO(png))
    assert png.startswith(b"\x89PNG")
    assert image.width >= PAPER_DOTS[58]
