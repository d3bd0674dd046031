"""The printed ticket's layout: a print job's ticket as a printer :class:`Document`.

The kiosk agent encodes the document for its printer; the server draws the same document as
the ticket's PNG preview. From the top, in the ticket's language:

- the hall's name and the service's;
- the number, as large as the paper allows (the customer reads it across the hall), and the
  green channel or appointment when it is one;
- the people ahead and the estimated wait ("前面還有 3 人 · 預計等候約 12 分鐘");
- the date and time of issue, in the hall's local time;
- the documents the service needs, every one of them ("tell every missing document at once");
- a QR code to the customer's status page, with a line saying what it is for;
- a footer: the hall's own text, or a short thank-you.

Text is drawn with a CJK font into 1-bit :class:`Raster` blocks by default, so it prints on
every printer; ``text_mode="gb18030"``/``"big5"`` sends it as :class:`Text` in the printer's
Chinese font instead. The QR code is a native :class:`QrCode` or, for printers without one,
a Raster. Long texts wrap to the paper's width, measured in dots with the font that prints
them; nothing is ever wider than the paper.

This module imports no Flask and no database: only the wire contract (types), the catalogs,
the printer's document blocks, Pillow and qrcode.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import qrcode
from PIL import Image, ImageDraw, ImageFont
from qrcode.constants import ERROR_CORRECT_M
from qrcode.exceptions import DataOverflowError

from hallq.drivers.printer.document import Document, Feed, QrCode, Raster, Text
from hallq.kiosk import fonts
from hallq.server import catalogs
from hallq.server.catalogs import N_

if TYPE_CHECKING:
    from hallq.server import wire

__all__ = [
    "PAPER_DOTS",
    "QrMode",
    "TextMode",
    "issued_text",
    "layout_ticket",
    "preview_png",
    "wrap",
]

log = logging.getLogger(__name__)

PaperMm = Literal[80, 58]
TextMode = Literal["image", "gb18030", "big5"]
QrMode = Literal["native", "image"]

# Printable width in dots (203 dpi heads): 80 mm paper prints 72 mm, 58 mm prints 48 mm.
PAPER_DOTS: dict[int, int] = {80: 576, 58: 384}

# --- the printed words ------------------------------------------------------------------------
# The wait's words are in _wait_parts, where ngettext sees them; the rest are here.
# Translators: on a printed ticket: the date and time it was taken ("2026-11-30 14:05").
ISSUED = N_("Issued %(time)s")
# Translators: on a printed ticket, the heading over the documents the service needs.
DOCUMENTS = N_("Please bring the following documents:")
# Translators: on a printed ticket, under its QR code (it opens the ticket's status page).
SCAN = N_("Scan to follow your place in the queue")
# Translators: the last line of a printed ticket when the hall gives no text of its own.
THANKS = N_("Thank you for your patience")
# Translators: on a printed ticket under its number: a green-channel (priority) ticket.
PRIORITY = N_("Green channel")
# Translators: on a printed ticket under its number: a ticket of a booked appointment.
APPOINTMENT = N_("Appointment ticket")

_CLASS_LABELS = {"priority": PRIORITY, "appointment": APPOINTMENT}
_SEPARATOR = " · "  # between the people ahead and the wait; GB18030 and Big5 both have it


# --- what the ticket says, before it is drawn ------------------------------------------------


Role = Literal["hall", "service", "number", "label", "info", "heading", "item", "caption", "footer"]


@dataclass(frozen=True)
class _Para:
    """A paragraph of the ticket: wrapped and drawn in the style of its role."""

    text: str
    role: Role
    index: int | None = None  # a document's number in the list
    # Parts joined by _SEPARATOR on one line when they fit, else each on lines of its own.
    parts: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Gap:
    kind: Literal["space", "rule"] = "space"


@dataclass(frozen=True)
class _Qr:
    data: str


_Piece = _Para | _Gap | _Qr


def _content(ticket: wire.PrintTicket, footer: str | None) -> list[_Piece]:
    lang = _language(ticket.get("language"))
    _ = catalogs.translator(lang)
    pieces: list[_Piece] = []
    if hall := _clean(ticket.get("hall_name")):
        pieces.append(_Para(hall, "hall"))
    if service := _clean(ticket.get("service_name")) or _clean(ticket.get("service")):
        pieces.append(_Para(service, "service"))
    pieces.append(_Para(_clean(ticket.get("number")) or "?", "number"))
    label = _CLASS_LABELS.get(str(ticket.get("priority")))
    if label:
        pieces.append(_Para(_(label), "label"))
    pieces.append(_Gap())

    wait = _wait_parts(_, ticket.get("people_ahead"), ticket.get("eta_minutes"))
    if wait:
        pieces.append(_Para(_SEPARATOR.join(wait), "info", parts=wait))
    pieces.append(_Para(_(ISSUED, time=issued_text(ticket)), "info"))

    documents = [d for d in (_clean(d) for d in ticket.get("documents") or []) if d]
    if documents:
        pieces.append(_Gap("rule"))
        pieces.append(_Para(_(DOCUMENTS), "heading"))
        pieces.extend(_Para(d, "item", index=i) for i, d in enumerate(documents, 1))

    pieces.append(_Gap("rule"))
    if url := str(ticket.get("status_url") or "").strip():
        pieces.append(_Qr(url))
        pieces.append(_Para(_(SCAN), "caption"))
    if footer is None:
        footer = ticket.get("footer")
    for line in (_clean(footer, keep_lines=True) or _(THANKS)).split("\n"):
        if line.strip():
            pieces.append(_Para(line.strip(), "footer"))
    return pieces


def _wait_parts(_: catalogs.Translator, ahead: Any, eta: Any) -> tuple[str, ...]:
    """("前面還有 3 人", "預計等候約 12 分鐘"), or nothing for a ticket no longer waiting."""
    if not isinstance(ahead, int) or isinstance(ahead, bool) or ahead < 0:
        return ()  # called or served already (a reprint): no queue to speak of
    if ahead == 0:
        # Translators: on a printed ticket, when no ticket waits before this one.
        people = _("No one is waiting ahead of you")
    else:
        # Translators: on a printed ticket, how many tickets are called before this one.
        people = _.ngettext("%(num)s person ahead of you", "%(num)s people ahead of you", ahead)
    if not isinstance(eta, int) or isinstance(eta, bool) or eta < 0:
        # Translators: on a printed ticket, when the hall cannot estimate the wait (no
        # window serves the service yet).
        wait = _("The waiting time cannot be estimated yet")
    elif eta == 0:
        # Translators: on a printed ticket, when the estimated wait rounds to no minutes.
        wait = _("Your turn should come shortly")
    else:
        # Translators: on a printed ticket, the estimated wait in minutes.
        wait = _.ngettext(
            "Estimated wait about %(num)s minute", "Estimated wait about %(num)s minutes", eta
        )
    return (people, wait)


def issued_text(ticket: wire.PrintTicket) -> str:
    """The ticket's issue time as the hall's clock showed it: ``2026-11-30 14:05``.

    ``issued_at`` is the hall's local time with its UTC offset (the contract says so), so it
    is printed in the offset it carries; the time zone's name is not needed for that. A time
    that does not parse is printed as sent rather than stopping the ticket.
    """
    raw = str(ticket.get("issued_at") or "")
    try:
        when = dt.datetime.fromisoformat(raw)
    except ValueError:
        log.warning("ticket %s: issue time %r is not ISO 8601", ticket.get("number"), raw)
        return _clean(raw)[:32]
    return when.strftime("%Y-%m-%d %H:%M")


def _language(tag: Any) -> str:
    lang = catalogs.normalize_language(tag if isinstance(tag, str) else None)
    if lang is None:
        log.warning("ticket language %r unknown; printing in %s", tag, catalogs.DEFAULT_LANGUAGE)
        return catalogs.DEFAULT_LANGUAGE
    return lang


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")


def _clean(value: Any, *, keep_lines: bool = False) -> str:
    """Printable text: no control characters (an ESC in a name must not reach the printer),
    tabs as spaces, line breaks as spaces unless ``keep_lines``."""
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    if not keep_lines:
        text = text.replace("\n", " ")
    return _CONTROL.sub("", text).strip()


# --- wrapping ---------------------------------------------------------------------------------

# No line starts with closing punctuation, and none ends with opening punctuation (kinsoku).
_NO_BREAK_BEFORE = frozenset("，。、；：？！）」』】》〉〕］｝…‥·・—–～ー%,.;:?!)]}")
_NO_BREAK_AFTER = frozenset("（「『【《〈〔［｛([{")


def _wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def _tokens(text: str) -> Iterator[str]:
    """Pieces a line may break between: a wide (CJK) character, or a run of other
    non-space characters (an English word, a number), each with the spaces that follow it;
    closing punctuation stays with what precedes it, opening with what follows."""
    token = ""
    for ch in text:
        if token and _may_break(token[-1], ch):
            yield token
            token = ""
        token += ch
    if token:
        yield token


def _may_break(before: str, after: str) -> bool:
    """Whether a line may break between the characters ``before`` and ``after``."""
    if after.isspace() or after in _NO_BREAK_BEFORE or before in _NO_BREAK_AFTER:
        return False
    return before.isspace() or _wide(before) or _wide(after)


def wrap(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """``text`` in lines no wider than ``width`` (``measure`` gives a string's width in
    dots): Chinese breaks between any two characters, English at spaces; a word wider than
    the line breaks where it must. Spaces where a line breaks stay at the end of that line
    and are not measured, so ``"".join(wrap(text, ...)) == text``: nothing is lost."""
    if not text:
        return []
    lines: list[str] = []
    line = ""
    for token in _tokens(text):
        if measure((line + token).rstrip()) <= width:
            line += token
            continue
        if line:
            lines.append(line)
            line = ""
        if measure(token.rstrip()) <= width:
            line = token
            continue
        for ch in token:  # a word (or a URL) wider than the paper: break it anywhere
            if not line or measure((line + ch).rstrip()) <= width:
                line += ch
            else:
                lines.append(line)
                line = ch
    if line:
        lines.append(line)
    return lines


# --- text drawn as an image (every printer) ---------------------------------------------------


@dataclass(frozen=True)
class _Sizes:
    """Type sizes in dots (8 dots a millimetre) for one paper width."""

    hall: int
    service: int
    number: int  # at most; smaller when a long number would not fit
    label: int
    info: int
    heading: int
    item: int
    caption: int
    footer: int
    margin: int  # left and right, inside the printable width
    gap: int
    qr_module: int


_SIZES = {
    576: _Sizes(
        hall=30,
        service=36,
        number=220,
        label=30,
        info=26,
        heading=28,
        item=26,
        caption=24,
        footer=24,
        margin=8,
        gap=14,
        qr_module=6,
    ),
    384: _Sizes(
        hall=24,
        service=32,
        number=160,
        label=24,
        info=22,
        heading=22,
        item=22,
        caption=20,
        footer=20,
        margin=4,
        gap=10,
        qr_module=5,
    ),
}
_BOLD: frozenset[Role] = frozenset({"service", "heading"})
_LEFT: frozenset[Role] = frozenset({"heading", "item"})
# Grey levels darker than this print black: a little above the middle, so antialiased
# strokes of small characters keep their width on a thermal head, with no dithering noise.
_THRESHOLD = 150
_TO_1BIT = [0 if v < _THRESHOLD else 255 for v in range(256)]


class _Canvas:
    """Lines of text and rules stacked top to bottom, drawn at once into a 1-bit image
    exactly ``width`` dots wide (content centred inside it, so centring does not depend on
    the printer knowing its paper's width)."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.height = 0
        self.ops: list[tuple[Any, ...]] = []

    def __bool__(self) -> bool:
        return bool(self.ops)

    def space(self, dots: int) -> None:
        self.height += dots

    def rule(self, margin: int) -> None:
        self.height += 6
        self.ops.append(("rule", self.height, margin, self.width - margin))
        self.height += 8

    def text(
        self,
        line: str,
        font: ImageFont.FreeTypeFont,
        *,
        x: float | None = None,
        bold: bool = False,
        leading: int = 0,
        advance: bool = True,
    ) -> None:
        """One line, centred unless ``x`` is given; ``advance=False`` leaves the next line
        on the same height (a list item's number beside its text)."""
        ascent, descent = font.getmetrics()
        line = line.rstrip()
        if x is None:
            x = (self.width - font.getlength(line)) / 2
        self.ops.append(("text", x, self.height, line, font, 1 if bold else 0))
        if advance:
            self.height += ascent + descent + leading

    def badge(self, line: str, font: ImageFont.FreeTypeFont) -> None:
        """One short line in white on a black box, centred: the green channel stands out
        to the customer and to the clerk."""
        ascent, descent = font.getmetrics()
        pad = max(4, font.size // 3)
        line = line.strip()
        box_width = min(self.width, font.getlength(line) + 2 * pad)
        x0 = (self.width - box_width) / 2
        self.ops.append(("badge", x0, self.height, box_width, ascent + descent + pad, line, font))
        self.height += ascent + descent + pad

    def glyphs(self, text: str, font: ImageFont.FreeTypeFont, stroke: int) -> None:
        """``text`` centred, its ink box (not the font's line box) as tall as it is: the
        number, whose line box holds much empty space at large sizes."""
        left, top, right, bottom = font.getbbox(text, anchor="ls", stroke_width=stroke)
        x = (self.width - (right - left)) / 2 - left
        self.ops.append(("glyphs", x, self.height - top, text, font, stroke))
        self.height += bottom - top

    def image(self) -> Image.Image:
        canvas = Image.new("L", (self.width, max(1, self.height)), 255)
        draw = ImageDraw.Draw(canvas)
        for op in self.ops:
            if op[0] == "rule":
                _, y, x0, x1 = op
                for x in range(x0, x1, 12):  # dashed: reads as a cut line, costs less paper
                    draw.rectangle((x, y, min(x + 6, x1) - 1, y + 1), fill=0)
            elif op[0] == "badge":
                _, x0, y, box_width, box_height, line, font = op
                draw.rectangle((x0, y, x0 + box_width - 1, y + box_height - 1), fill=0)
                pad = (box_height - sum(font.getmetrics())) // 2
                x = x0 + (box_width - font.getlength(line)) / 2
                draw.text((x, y + pad), line, font=font, fill=255, anchor="la")
            elif op[0] == "text":
                _, x, y, line, font, bold = op
                # Bold as a printer strikes it, twice a dot apart: a stroke all round would
                # fill in the counters of dense characters (轉, 繼) at these sizes.
                for shift in range(1 + bold):
                    draw.text((x + shift, y), line, font=font, fill=0, anchor="la")
            else:
                _, x, y, line, font, stroke = op
                draw.text((x, y), line, font=font, fill=0, anchor="ls", stroke_width=stroke)
        return canvas.point(_TO_1BIT, "1")


def _image_blocks(
    pieces: Sequence[_Piece], width: int, font_path: str, qr_mode: QrMode
) -> list[Raster | QrCode | Text | Feed]:
    sizes = _SIZES[width]
    blocks: list[Raster | QrCode | Text | Feed] = []
    canvas = _Canvas(width)
    canvas.space(sizes.gap)
    inner = width - 2 * sizes.margin

    def flush() -> None:
        nonlocal canvas
        if canvas:
            blocks.append(Raster(canvas.image()))
        canvas = _Canvas(width)

    for piece in pieces:
        if isinstance(piece, _Gap):
            if piece.kind == "rule":
                canvas.rule(sizes.margin)
            else:
                canvas.space(sizes.gap)
        elif isinstance(piece, _Qr):
            qr = _qr_block(piece.data, width, sizes.qr_module, qr_mode)
            if qr is not None:
                flush()
                blocks.append(qr)
                canvas.space(sizes.gap // 2)
        elif piece.role == "number":
            font, stroke = _number_font(piece.text, font_path, sizes.number, inner)
            canvas.space(sizes.gap)
            canvas.glyphs(piece.text, font, stroke)
            canvas.space(sizes.gap * 2)
        else:
            size = getattr(sizes, piece.role)
            font = fonts.font(font_path, size)
            bold = piece.role in _BOLD
            leading = max(2, size // 6)
            if piece.role == "heading":
                canvas.space(sizes.gap // 2)
            if piece.index is not None:
                _item(canvas, piece, font, sizes.margin, inner, leading)
                continue
            if piece.role == "label":
                for line in _lines(piece, inner - size, _font_measure(font), balance=True):
                    canvas.badge(line, font)
                continue
            x = sizes.margin if piece.role in _LEFT else None
            for line in _lines(piece, inner, _font_measure(font), balance=x is None):
                canvas.text(line, font, x=x, bold=bold, leading=leading)
            if piece.role == "service":
                canvas.space(sizes.gap // 2)
    canvas.space(sizes.gap)  # the encoder feeds past the cutter
    flush()
    return blocks


def _item(
    canvas: _Canvas,
    piece: _Para,
    font: ImageFont.FreeTypeFont,
    margin: int,
    inner: int,
    leading: int,
) -> None:
    """One document, numbered, its wrapped lines hanging under its first."""
    prefix = f"{piece.index}."
    indent = font.getlength("00. ")
    canvas.text(prefix, font, x=margin, advance=False)
    for line in wrap(piece.text, inner - indent, _font_measure(font)):
        canvas.text(line, font, x=margin + indent, leading=leading)


def _lines(
    piece: _Para, width: float, measure: Callable[[str], float], *, balance: bool
) -> list[str]:
    """The paragraph's lines; a wait line's parts each get their own when they do not fit
    together, so a line never breaks inside "3 people ahead" when it can break between.
    Centred text is balanced: a long hall name breaks into lines of similar length rather
    than a full line and one orphaned character."""
    fold = _balanced if balance else wrap
    if piece.parts and measure(piece.text) > width:
        return [line for part in piece.parts for line in fold(part, width, measure)]
    return fold(piece.text, width, measure)


def _balanced(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """Like :func:`wrap`, in as few lines, at the narrowest width that needs no more."""
    lines = wrap(text, width, measure)
    if len(lines) < 2:
        return lines
    # Never so narrow that a word which fits the paper would have to break.
    widest_word = max(min(measure(t.rstrip()), width) for t in _tokens(text))
    low, high = max(width / len(lines), widest_word) - 1, width  # too narrow / wide enough
    while high - low > 2:
        middle = (low + high) / 2
        if len(wrap(text, middle, measure)) <= len(lines):
            high = middle
        else:
            low = middle
    return wrap(text, high, measure)


def _font_measure(font: ImageFont.FreeTypeFont) -> Callable[[str], float]:
    return font.getlength


def _number_font(
    number: str, font_path: str, largest: int, width: int
) -> tuple[ImageFont.FreeTypeFont, int]:
    """The largest size (at most ``largest``) at which ``number`` fits ``width``, and the
    stroke that makes it bold."""
    size = largest
    while True:
        font = fonts.font(font_path, size)
        stroke = max(1, size // 45)
        left, _, right, _ = font.getbbox(number, anchor="ls", stroke_width=stroke)
        if right - left <= width or size <= 12:
            return font, stroke
        size = max(12, min(size - 2, int(size * width / (right - left))))


def _qr_block(data: str, width: int, module: int, qr_mode: QrMode) -> QrCode | Raster | None:
    """The QR code's block; None (and an error logged) when the data is more than a QR code
    holds: the ticket still prints, without it."""
    try:
        if qr_mode == "native":
            modules = _qr_modules(data)
            # Keep 4 modules' worth of paper each side: the printer adds no quiet zone.
            fitted = max(1, min(module, width // (modules + 8), 16))
            return QrCode(data=data, module=fitted)
        return Raster(_qr_image(data, width, module))
    except (DataOverflowError, ValueError):  # qrcode 8 raises either, by the length
        log.error("status URL of %s characters is too long for a QR code: not printed", len(data))
        return None


def _qr_modules(data: str) -> int:
    """How many modules wide ``data``'s QR code is, at error correction M (a printer's usual
    default; L would be smaller)."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
    code.add_data(data)
    return 17 + 4 * code.best_fit()


def _qr_image(data: str, width: int, module: int) -> Image.Image:
    """The QR code drawn in black modules, centred in a white strip ``width`` dots wide, with
    a quiet zone of 4 modules above and below."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
    code.add_data(data)
    code.make(fit=True)
    matrix = code.get_matrix()
    n = len(matrix)
    module = max(1, min(module, width // (n + 8)))
    small = Image.new("1", (n, n), 1)
    small.putdata([0 if dark else 1 for row in matrix for dark in row])
    big = small.resize((n * module, n * module), Image.Resampling.NEAREST)
    strip = Image.new("1", (width, (n + 8) * module), 1)
    strip.paste(big, ((width - n * module) // 2, 4 * module))
    return strip


# --- text in the printer's own Chinese font ---------------------------------------------------

_FONT_A_DOTS = 12  # ESC/POS font A: 12 x 24 dots; a Chinese character is two columns wide
_TEXT_SCALE: dict[Role, int] = {"service": 2, "label": 1}
_TEXT_BOLD: frozenset[Role] = frozenset({"hall", "service", "number", "label", "heading"})
# Stand-ins for characters a printer's Chinese font lacks, before giving up with "?".
_STAND_INS = {
    "‧": "·",
    "・": "·",
    "•": "·",
    "∙": "·",
    "–": "-",
    "‒": "-",
    "−": "-",
    "‘": "'",
    "’": "'",
    "“": '"',
    "”": '"',
    "⋯": "…",
    "\u00a0": " ",
    "\u3000": " ",
}


def _codec(text_mode: str) -> str:
    # A printer's GB18030 font has the two-byte (GBK) characters; the four-byte ones print
    # as garbage, so they are replaced like anything Big5 lacks.
    return "gbk" if text_mode == "gb18030" else "big5"


def _printable(text: str, codec: str) -> str:
    """``text`` with every character the printer's encoding lacks replaced: by a common
    stand-in (``‧`` → ``·``), by its compatibility form (``ﬁ`` → ``fi``), else by ``?``."""
    try:
        text.encode(codec)
        return text
    except UnicodeEncodeError:
        pass
    out = []
    for ch in text:
        for candidate in (ch, _STAND_INS.get(ch), unicodedata.normalize("NFKC", ch)):
            if candidate and _encodes(candidate, codec):
                out.append(candidate)
                break
        else:
            out.append("?")
    return "".join(out)


def _encodes(text: str, codec: str) -> bool:
    try:
        text.encode(codec)
    except UnicodeEncodeError:
        return False
    return True


def _columns(scale: int) -> Callable[[str], float]:
    """Width in dots in the printer's font: an ASCII character is one column, anything sent
    as a two-byte Chinese code two."""
    unit = _FONT_A_DOTS * scale

    def measure(text: str) -> float:
        return unit * sum(1 if ord(ch) < 128 else 2 for ch in text)

    return measure


def _text_blocks(
    pieces: Sequence[_Piece], width: int, text_mode: str, qr_mode: QrMode
) -> list[Raster | QrCode | Text | Feed]:
    codec = _codec(text_mode)
    sizes = _SIZES[width]
    blocks: list[Raster | QrCode | Text | Feed] = []

    def text(line: str, scale: int, bold: bool, align: Literal["left", "center"]) -> Text:
        encoding: Literal["ascii", "gb18030", "big5"] = (
            "ascii" if line.isascii() else text_mode  # type: ignore[assignment]
        )
        # One block, one printed line: the encoder ends each with a line feed.
        return Text(line, encoding=encoding, scale=scale, bold=bold, align=align)

    for piece in pieces:
        if isinstance(piece, _Gap):
            if piece.kind == "rule":
                blocks.append(text("-" * (width // _FONT_A_DOTS), 1, False, "left"))
            else:
                blocks.append(Feed(1))
        elif isinstance(piece, _Qr):
            if qr := _qr_block(piece.data, width, sizes.qr_module, qr_mode):
                blocks.append(qr)
        elif piece.role == "number":
            number = _printable(piece.text, codec)
            # As large as fits with a column of paper to spare each side (at most 8 times).
            room = width - 2 * _FONT_A_DOTS
            scale = max(1, min(8, room // max(1, int(_columns(1)(number)))))
            blocks.append(text(number, scale, True, "center"))
        elif piece.index is not None:
            item = _printable(piece.text, codec)
            prefix = f"{piece.index}. "
            indent = " " * len(prefix)
            lines = wrap(item, width - _columns(1)(prefix), _columns(1))
            for i, line in enumerate(lines):
                blocks.append(text((prefix if i == 0 else indent) + line, 1, False, "left"))
        else:
            scale = _TEXT_SCALE.get(piece.role, 1)
            bold = piece.role in _TEXT_BOLD
            para = _Para(
                _printable(piece.text, codec),
                piece.role,
                parts=tuple(_printable(p, codec) for p in piece.parts),
            )
            align: Literal["left", "center"] = "left" if piece.role in _LEFT else "center"
            for line in _lines(para, width, _columns(scale), balance=align == "center"):
                blocks.append(text(line, scale, bold, align))
    return blocks


# --- the API ----------------------------------------------------------------------------------


def layout_ticket(
    ticket: wire.PrintTicket,
    *,
    paper_mm: PaperMm = 80,
    text_mode: TextMode = "image",
    qr_mode: QrMode = "native",
    footer: str | None = None,
    font_path: str | None = None,
) -> Document:
    """The ticket's printout as a :class:`Document`, in the ticket's language.

    - ``paper_mm``: 80 (576 dots) or 58 (384 dots); nothing in the document is wider.
    - ``text_mode``: ``"image"`` draws the text with a CJK font into a few 1-bit Raster blocks
      (prints on every printer); ``"gb18030"`` or ``"big5"`` sends it as Text blocks in the
      printer's Chinese font, characters the encoding lacks replaced.
    - ``qr_mode``: ``"native"`` (the printer draws a QrCode block) or ``"image"`` (a Raster).
    - ``footer``: the hall's text for the last lines (line breaks kept); None takes the
      ticket's own ``footer``, and a short thank-you is printed when neither says anything.
    - ``font_path``: the CJK font file (default: see :mod:`hallq.kiosk.fonts`).

    The issue time is printed in the UTC offset ``issued_at`` carries: the hall's own.

    Raises :class:`~hallq.kiosk.fonts.FontNotFound` in image mode without a CJK font, and
    ValueError for a paper, text or QR mode that does not exist.
    """
    width = PAPER_DOTS.get(paper_mm)
    if width is None:
        raise ValueError(f"paper_mm must be 80 or 58, not {paper_mm!r}")
    if text_mode not in ("image", "gb18030", "big5"):
        raise ValueError(f"text_mode must be image, gb18030 or big5, not {text_mode!r}")
    if qr_mode not in ("native", "image"):
        raise ValueError(f"qr_mode must be native or image, not {qr_mode!r}")
    pieces = _content(ticket, footer)
    if text_mode == "image":
        blocks = _image_blocks(pieces, width, fonts.cjk_font_path(font_path), qr_mode)
    else:
        blocks = _text_blocks(pieces, width, text_mode, qr_mode)
    return Document(blocks=tuple(blocks), width_dots=width)


def preview_png(
    ticket: wire.PrintTicket,
    *,
    paper_mm: PaperMm = 80,
    text_mode: TextMode = "image",
    qr_mode: QrMode = "native",
    footer: str | None = None,
    font_path: str | None = None,
) -> bytes:
    """The ticket as a PNG, as the printer would print it (the server's ticket preview)."""
    from hallq.drivers.printer.preview import document_to_png

    document = layout_ticket(
        ticket,
        paper_mm=paper_mm,
        text_mode=text_mode,
        qr_mode=qr_mode,
        footer=footer,
        font_path=font_path,
    )
    return document_to_png(document)
