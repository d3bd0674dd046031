"""The CJK font a printed ticket is drawn with, found once and loaded once per size.

A ticket's Chinese prints on every printer as an image drawn with a font that has the CJK
ideographs (DEVICE-NOTES.md, "Thermal printing"). The font is, in order: the ``font_path`` a
caller names, ``HALLQ_TICKET_FONT``, a font shipped in ``hallq.assets/fonts``, then the
system's CJK fonts (``fonts-wqy-microhei``, which ``scripts/setup`` installs, then Noto CJK).
"""

from __future__ import annotations

import functools
import importlib.resources
import os
from pathlib import Path

from PIL import ImageFont

__all__ = ["SYSTEM_FONTS", "FontNotFound", "cjk_font_path", "font"]

# Traditional and simplified ideographs, Latin and digits in one file; index 0 of each.
SYSTEM_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
)
_SUFFIXES = (".ttc", ".ttf", ".otf", ".otc")


class FontNotFound(FileNotFoundError):
    """No CJK font to draw a ticket with: install ``fonts-wqy-microhei`` or name one."""


def cjk_font_path(font_path: str | None = None) -> str:
    """The file of the CJK font to draw tickets with; raises FontNotFound."""
    if font_path:
        if not Path(font_path).is_file():
            raise FontNotFound(f"ticket font {font_path!r} does not exist")
        return font_path
    return _default_font_path(os.environ.get("HALLQ_TICKET_FONT") or None)


@functools.lru_cache(maxsize=4)
def _default_font_path(from_environment: str | None) -> str:
    if from_environment:
        return cjk_font_path(from_environment)
    candidates = [*_shipped_fonts(), *SYSTEM_FONTS]
    for candidate in candidates:
        if Path(candidate).is_file():
            return str(candidate)
    raise FontNotFound(
        "no CJK font for printed tickets: install fonts-wqy-microhei (scripts/setup does), "
        "set HALLQ_TICKET_FONT, or pass font_path; looked for " + ", ".join(map(str, candidates))
    )


def _shipped_fonts() -> list[Path]:
    try:
        folder = importlib.resources.files("hallq.assets") / "fonts"
    except ModuleNotFoundError:
        return []
    if not isinstance(folder, Path) or not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in _SUFFIXES)


@functools.lru_cache(maxsize=64)
def font(path: str, size: int) -> ImageFont.FreeTypeFont:
    """The font at ``path`` in ``size`` pixels (dots), loaded once per process.

    The basic layout engine is enough for Chinese and Latin text, and faster than Raqm; it
    also keeps measurements the same on machines with and without libraqm.
    """
    return ImageFont.truetype(path, size, index=0, layout_engine=ImageFont.Layout.BASIC)
