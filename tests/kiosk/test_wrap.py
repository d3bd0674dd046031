"""Wrapping by width (``ticket_layout.wrap``): Chinese breaks anywhere, English at spaces,
punctuation stays where a reader expects it, and nothing is ever lost or too wide."""

from __future__ import annotations

import pytest

from hallq.kiosk import fonts
from hallq.kiosk.ticket_layout import wrap


def chars(text: str) -> float:
    """A monospaced measure: every character one unit wide (10 dots)."""
    return 10.0 * len(text)


SAMPLES = [
    "土地及建物所有權狀正本；如有遺失，請先申請補發並攜帶切結書",
    "Certificate of seal impression issued within the last three months",
    "身分證正本 (ID card) 及印鑑證明（三個月內核發）",
    "https://example.org/a-very-long-url-without-any-spaces-at-all-0123456789",
    "A  two   spaced    text",
    "「引號」與（括號）、頓號。句號",
    "x",
    " leading and trailing ",
]


def test_chinese_breaks_between_any_two_characters():
    assert wrap("身分證正本印鑑證明", 40, chars) == ["身分證正", "本印鑑證", "明"]


def test_english_breaks_at_spaces_and_keeps_them():
    assert wrap("bring your ID card", 100, chars) == ["bring your ", "ID card"]


def test_a_word_wider_than_the_line_breaks_where_it_must():
    assert wrap("abcdefghij xy", 40, chars) == ["abcd", "efgh", "ij ", "xy"]


def test_closing_punctuation_never_starts_a_line_and_opening_never_ends_one():
    lines = wrap("一二三，四五（六七）八", 30, chars)
    assert "".join(lines) == "一二三，四五（六七）八"
    for line in lines:
        assert line[0] not in "，。、；：）」』"
        assert line.rstrip()[-1] not in "（「『"


@pytest.mark.parametrize("width", [10, 30, 50, 80, 120, 240])
@pytest.mark.parametrize("text", SAMPLES)
def test_nothing_is_lost_and_no_line_is_too_wide(text, width):
    lines = wrap(text, width, chars)
    assert "".join(lines) == text
    assert all(line for line in lines)
    assert all(chars(line.rstrip()) <= max(width, 10) for line in lines)


@pytest.mark.parametrize("size", [20, 26, 36])
@pytest.mark.parametrize("width", [368, 560])
@pytest.mark.parametrize("text", SAMPLES)
def test_with_the_ticket_font(text, width, size):
    font = fonts.font(fonts.cjk_font_path(), size)
    lines = wrap(text, width, font.getlength)
    assert "".join(lines) == text
    assert all(font.getlength(line.rstrip()) <= width for line in lines)


def test_empty_text_is_no_lines():
    assert wrap("", 100, chars) == []
