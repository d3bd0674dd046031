"""Personal data, masked: phone numbers and customers' names as screens, answers and logs show
them.

- A Hong Kong number (8 digits, optionally +852) keeps its first and last four digits:
  ``9123 4567`` → ``9***4567``; a mainland mobile (11 digits from 13 to 19, optionally +86)
  its first three and last four: ``138-1234-5678`` → ``138****5678``. The prefix and its
  spacing stay as written; digits in a ticket number, a date or a time are left alone.
- A name keeps its first character: ``陳大文`` → ``陳**``; a name in Latin letters also hides
  its length: ``Chan Tai Man`` → ``C***``. In free text only names after a title
  (``Mr Chan Tai Man``) or a label (``姓名：陳大文``, ``name: Chan``) can be found.

The event log and the tables keep the data whole (the hall's own records); masking happens on
the way out: the follow-up and audit answers, and every log record of the server
(:func:`install_log_masking`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

_SEP = r"[ -]?"
PHONE = re.compile(
    r"(?<![\w+])"
    r"(?P<prefix>(?:\+|00)?(?:852|86)[ -]?|\(\+?(?:852|86)\) ?)?"
    r"(?:"
    rf"(?P<cn>1[3-9][0-9]){_SEP}(?P<cn_mid>[0-9]{{4}}){_SEP}(?P<cn_end>[0-9]{{4}})"
    r"|"
    rf"(?P<hk>[2-9])(?P<hk_mid>[0-9]{{3}}){_SEP}(?P<hk_end>[0-9]{{4}})"
    r")"
    r"(?![\w-])"
)

# A title, then a name in Latin letters: "Mr Chan Tai Man", "Ms. Wong".
_TITLED_NAME = re.compile(
    r"\b(?P<title>(?:Mr|Mrs|Ms|Miss|Dr|Mdm|Madam)\.?\s+)"
    r"(?P<name>[A-Z][A-Za-z'-]*(?:\s+[A-Z][A-Za-z'-]*)*)(?![A-Za-z*])"
)
# A label, then a name: "姓名：陳大文", "name: Chan Tai Man", "客戶 陳大文".
_LABELLED_NAME = re.compile(
    r"(?P<label>(?:姓名|名字|客戶|客户|顧客|顾客|市民|[Nn]ame|[Cc]ustomer)\s*[:：]\s*)"
    r"(?P<name>[\u3400-\u9fff]{2,4}|[A-Z][A-Za-z'-]*(?:\s+[A-Z][A-Za-z'-]*)*)(?![A-Za-z*])"
)

# Keys of a stored record whose value is a person's phone number or name.
PHONE_KEYS = frozenset({"phone", "mobile", "tel", "telephone", "contact_phone"})
NAME_KEYS = frozenset({"customer", "customer_name", "contact_name", "person", "full_name"})


def _phone(match: re.Match[str]) -> str:
    prefix = match["prefix"] or ""
    if match["cn"]:
        return f"{prefix}{match['cn']}****{match['cn_end']}"
    return f"{prefix}{match['hk']}***{match['hk_end']}"


def mask_phones(text: str) -> str:
    """Every Hong Kong or mainland phone number in ``text``, masked."""
    return PHONE.sub(_phone, text)


def mask_phone(value: str) -> str:
    """A value known to be a phone number: masked even when the pattern does not know its
    form (then all but its last four digits become ``*``)."""
    masked = mask_phones(value)
    if masked != value:
        return masked
    digits = sum(char.isdigit() for char in value)
    seen = 0
    out = []
    for char in value:
        if char.isdigit():
            seen += 1
            out.append(char if seen > digits - 4 and digits > 4 else "*")
        else:
            out.append(char)
    return "".join(out)


def mask_name(name: str) -> str:
    """``陳大文`` → ``陳**``; ``Chan Tai Man`` → ``C***`` (a Latin name's length is a hint)."""
    name = name.strip()
    if not name:
        return name
    if name[0].isascii():
        return name[0] + "***"
    return name[0] + "*" * max(len(name) - 1, 1)


def mask_text(text: str) -> str:
    """Free text (a complaint, a note, a log line): phone numbers, and names after a title or
    a label."""
    text = mask_phones(text)
    text = _TITLED_NAME.sub(lambda m: m["title"] + mask_name(m["name"]), text)
    return _LABELLED_NAME.sub(lambda m: m["label"] + mask_name(m["name"]), text)


def mask_value(value: Any, key: str | None = None) -> Any:
    """A stored record (an event's payload) with its personal data masked: values under a
    phone or name key, and phone numbers and titled names in any text."""
    if isinstance(value, dict):
        return {k: mask_value(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_value(item, key) for item in value]
    if not isinstance(value, str):
        return value
    lowered = (key or "").lower()
    if lowered in PHONE_KEYS:
        return mask_phone(value)
    if lowered in NAME_KEYS:
        return mask_name(value)
    return mask_text(value)


class MaskingFilter(logging.Filter):
    """Masks a log record's message (with its arguments) and its traceback's text."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "hallq_masked", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: let logging report it as it does
            return True
        record.msg = mask_text(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        record.hallq_masked = True
        return True


_FILTER = MaskingFilter()


def install_log_masking() -> None:
    """Mask every log record of the process, whatever logger made it and whichever handler
    (the server's, gunicorn's, one added later) writes it: records are masked as they are
    made. Installing twice is harmless."""
    factory: Callable[..., logging.LogRecord] = logging.getLogRecordFactory()
    if getattr(factory, "hallq_masking", False):
        return

    def masked_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        _FILTER.filter(record)
        return record

    masked_record.hallq_masking = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(masked_record)
    for handler in logging.getLogger().handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)
