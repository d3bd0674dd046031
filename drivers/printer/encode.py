"""A document as the bytes an ESC/POS printer prints, made with python-escpos's ``Dummy``.

    ESC @                                   initialise
    Raster   ESC a n, GS v 0 …              a 1-bit image (taller ones in 960-row pieces)
    QrCode   ESC a n, GS ( k …              drawn by the printer: model 2, module, level M
    Text     GS ! n, ESC E n, ESC a n, then the text and LF; Chinese inside FS & … FS .
    Feed     LF × lines
    ESC d 6, GS V 0                         feed past the cutter, then a full cut

Every block sets the alignment it needs (``ESC a`` acts on images and QR codes as on text;
python-escpos's ``center=True`` would send each image padded to the full width instead, and
its native QR code refuses to centre at all), and a Text that changed size or weight puts
them back, so blocks never depend on the one before.

Refused, with a ``ValueError`` saying which block and why, rather than printed wrong: a Raster
wider than the paper (a printer cuts it off silently), text that the chosen encoding cannot
carry or that holds control characters (they would be commands: a cut, a reset), a QR code
with no data or more than a printer's QR code holds, sizes out of range.
"""

from __future__ import annotations

from escpos.constants import QR_ECLEVEL_M
from escpos.printer import Dummy

from .document import Document, Feed, QrCode, Raster, Text

# The QR code's error correction: level M survives the smudges and creases of a thermal
# ticket in a pocket. preview.py draws it at the same level.
QR_LEVEL = "M"
QR_MAX_BYTES = 2331  # what a version 40 code holds at level M, in bytes
CHINESE_ON, CHINESE_OFF = b"\x1c&", b"\x1c."  # FS &, FS .
LF = b"\n"


def encode(document: Document, *, profile: str = "TM-T20II") -> bytes:
    """The bytes that print ``document`` on a printer of python-escpos's ``profile`` (its
    paper width bounds the images, with the document's own ``width_dots``)."""
    printer = Dummy(profile=profile)
    width = min(document.width_dots, _profile_width(profile, printer))
    printer.hw("INIT")
    for number, block in enumerate(document.blocks, start=1):
        where = f"block {number} ({type(block).__name__})"
        if isinstance(block, Raster):
            _raster(printer, block, width, where)
        elif isinstance(block, QrCode):
            _qr(printer, block, where)
        elif isinstance(block, Text):
            _text(printer, block, where)
        elif isinstance(block, Feed):
            if block.lines < 0:
                raise ValueError(f"{where}: cannot feed {block.lines} lines")
            printer._raw(LF * block.lines)
        else:
            raise TypeError(f"{where}: not a block of document.py: {block!r}")
    printer.cut()
    output: bytes = printer.output
    return output


def _profile_width(profile: str, printer: Dummy) -> int:
    pixels = printer.profile.profile_data.get("media", {}).get("width", {}).get("pixels")
    if not isinstance(pixels, int):
        # Without it python-escpos cannot centre or bound images (and says so on stdout).
        raise ValueError(
            f"printer profile {profile!r} does not say its paper width; name one that does "
            "(TM-T20II: 576 dots, 80 mm paper)"
        )
    return pixels


def _raster(printer: Dummy, block: Raster, width: int, where: str) -> None:
    if block.image.width > width:
        raise ValueError(
            f"{where}: the image is {block.image.width} dots wide, the paper prints {width}: "
            "it would be cut off. Draw it at most that wide."
        )
    if block.image.width == 0 or block.image.height == 0:
        raise ValueError(f"{where}: the image is empty ({block.image.width}x{block.image.height})")
    printer.set(align=block.align)
    printer.image(block.image, impl="bitImageRaster")


def _qr(printer: Dummy, block: QrCode, where: str) -> None:
    size = len(block.data.encode("utf-8"))
    if not 0 < size <= QR_MAX_BYTES:
        raise ValueError(f"{where}: a QR code holds 1 to {QR_MAX_BYTES} bytes of data, not {size}")
    if not 1 <= block.module <= 16:
        raise ValueError(f"{where}: module {block.module}; a QR module is 1 to 16 dots")
    printer.set(align=block.align)
    printer.qr(block.data, ec=QR_ECLEVEL_M, size=block.module, native=True)


def _text(printer: Dummy, block: Text, where: str) -> None:
    if not 1 <= block.scale <= 8:
        raise ValueError(f"{where}: scale {block.scale}; a printer scales text 1 to 8 times")
    controls = sorted(
        {f"U+{ord(c):04X}" for c in block.text if c != "\n" and (c < " " or c == "\x7f")}
    )
    if controls:
        raise ValueError(
            f"{where}: {block.text!r} holds control characters ({', '.join(controls)}); "
            "a printer would take them for commands"
        )
    try:
        data = block.text.encode(block.encoding)
    except UnicodeEncodeError as exc:
        hint = (
            "a Raster of it, or encoding 'gb18030' or 'big5'"
            if block.encoding == "ascii"
            else "a Raster of it"
        )
        raise ValueError(
            f"{where}: {exc.object[exc.start : exc.end]!r} in {block.text!r} cannot be sent "
            f"as {block.encoding}; print {hint}"
        ) from None
    except LookupError:
        raise ValueError(f"{where}: unknown encoding {block.encoding!r}") from None
    printer.set(
        align=block.align, bold=block.bold, custom_size=True, width=block.scale, height=block.scale
    )
    if block.encoding == "ascii":
        printer._raw(data + LF)
    else:
        # python-escpos's text() sends GB18030 without FS & and cannot do Big5 at all
        # (DEVICE-NOTES.md): the Chinese mode's bytes are written here.
        printer._raw(CHINESE_ON + data + CHINESE_OFF + LF)
    if block.bold or block.scale != 1:
        printer.set(bold=False, custom_size=True, width=1, height=1)
