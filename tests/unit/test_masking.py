"""Personal data masked: phone numbers in many forms, names, payloads, log records."""

from __future__ import annotations

import logging

import pytest

from hallq.server.masking import (
    MaskingFilter,
    install_log_masking,
    mask_name,
    mask_phone,
    mask_text,
    mask_value,
)


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("91234567", "9***4567"),
        ("9123 4567", "9***4567"),
        ("9123-4567", "9***4567"),
        ("+852 9123 4567", "+852 9***4567"),
        ("+852-9123-4567", "+852-9***4567"),
        ("+85291234567", "+8529***4567"),
        ("(852) 2123 4567", "(852) 2***4567"),
        ("13812345678", "138****5678"),
        ("138 1234 5678", "138****5678"),
        ("138-1234-5678", "138****5678"),
        ("+86 138 1234 5678", "+86 138****5678"),
        ("+8613812345678", "+86138****5678"),
        ("008613812345678", "0086138****5678"),
        ("致電 6123 4567 找陳先生", "致電 6***4567 找陳先生"),
        ("call 91234567, or 13912345678.", "call 9***4567, or 139****5678."),
    ],
)
def test_phone_numbers(text: str, masked: str) -> None:
    assert mask_text(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "ticket A023 at window 3",
        "2026-12-25 10:30",
        "2026-12-25T02:00:00+00:00",
        "id 123456789012",
        "12345",
        "9123 45678",  # not a number of either form
        "order 1234-5678-9",
    ],
)
def test_what_is_not_a_phone_number_stays(text: str) -> None:
    assert mask_text(text) == text


def test_masking_twice_changes_nothing() -> None:
    once = mask_text("+852 9123 4567 and 13812345678, Mr Chan Tai Man")
    assert mask_text(once) == once


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("陳大文", "陳**"),
        ("歐陽小明", "歐***"),
        ("李", "李*"),
        ("Chan Tai Man", "C***"),
        ("Wong", "W***"),
        ("  陳大文 ", "陳**"),
        ("", ""),
    ],
)
def test_names(name: str, masked: str) -> None:
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("Mr Chan Tai Man complained", "Mr C*** complained"),
        ("Ms. Wong called back", "Ms. W*** called back"),
        ("姓名：陳大文，電話 91234567", "姓名：陳**，電話 9***4567"),
        ("客戶: 李小龍", "客戶: 李**"),
        ("name: Chan Siu Ming", "name: C***"),
    ],
)
def test_names_in_free_text(text: str, masked: str) -> None:
    assert mask_text(text) == masked


def test_a_known_phone_field_is_masked_whatever_its_form() -> None:
    assert mask_phone("+44 20 7946 0958").endswith("0958")
    assert "7946" not in mask_phone("+44 20 7946 0958")
    assert mask_phone("1234") == "****"


def test_payloads() -> None:
    payload = {
        "phone": "98765432",
        "customer_name": "陳大文",
        "reason": "asked to call 13812345678",
        "name": "kiosk-1",  # a device's name
        "username": "clerk1",
        "count": 3,
        "changes": ["phone 6123 4567", {"mobile": "+86 13912345678"}],
    }
    assert mask_value(payload) == {
        "phone": "9***5432",
        "customer_name": "陳**",
        "reason": "asked to call 138****5678",
        "name": "kiosk-1",
        "username": "clerk1",
        "count": 3,
        "changes": ["phone 6***4567", {"mobile": "+86 139****5678"}],
    }


def test_log_records_are_masked(caplog: pytest.LogCaptureFixture) -> None:
    install_log_masking()
    install_log_masking()  # twice: harmless
    log = logging.getLogger("hallq.test.masking")
    with caplog.at_level(logging.INFO, logger="hallq.test.masking"):
        log.info("customer %s rang from %s", "Mr Chan Tai Man", "+852 9123 4567")
        try:
            raise ValueError("bad number 13812345678")
        except ValueError:
            log.exception("failed for 61234567")
    text = caplog.text
    assert "9123 4567" not in text and "13812345678" not in text and "61234567" not in text
    assert "+852 9***4567" in text and "138****5678" in text and "Mr C***" in text


def test_the_filter_alone() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "tel %s", ("91234567",), None)
    assert MaskingFilter().filter(record)
    assert record.getMessage() == "tel 9***4567"
