"""Reading a printer URL's options (``?baudrate=19200&timeout=2``) the same way everywhere.

Each connection names its options with a converter and a default; a caller's keyword
options are defaults too, and the URL's query (what a hall configured) wins over both. A
name nobody knows or a value that does not convert is a ``PrinterUrlError`` naming the URL,
so a typo in a hall's configuration stops the agent at start rather than being ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import SplitResult, parse_qsl, urlsplit

from .base import PrinterUrlError

Converter = Callable[[Any], Any]


def split(url: str, scheme: str) -> SplitResult:
    parts = urlsplit(url)
    if parts.scheme.lower() != scheme:
        raise PrinterUrlError(f"{url!r} is not a {scheme}:// printer address")
    if parts.fragment:
        raise PrinterUrlError(f"{url!r}: a printer address has no #fragment")
    return parts


def seconds(value: Any) -> float:
    number = float(value)
    if not 0 < number <= 3600:  # also refuses nan
        raise ValueError("must be a number of seconds above 0")
    return number


def integer(value: Any) -> int:
    """An int; a string may be written in hex (``0x82``), as USB endpoints usually are."""
    if isinstance(value, bool):
        raise ValueError("must be a whole number")
    return int(value, 0) if isinstance(value, str) else int(value)


def flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in ("1", "true", "yes", "on"):
        return True
    if word in ("0", "false", "no", "off"):
        return False
    raise ValueError("must be true or false")


def choice(*allowed: Any) -> Converter:
    def convert(value: Any) -> Any:
        for candidate in allowed:
            if str(value).upper() == str(candidate).upper():
                return candidate
        raise ValueError(f"must be one of {', '.join(map(str, allowed))}")

    return convert


def read(
    url: str,
    query: str,
    given: Mapping[str, Any],
    spec: Mapping[str, tuple[Converter, Any]],
) -> dict[str, Any]:
    """The options' values: ``spec`` maps a name to ``(converter, default)``."""
    unknown = sorted(set(given) - set(spec))
    if unknown:
        raise PrinterUrlError(
            f"unknown option(s) {', '.join(unknown)} for {url!r}; known: {', '.join(sorted(spec))}"
        )
    raw: dict[str, Any] = dict(given)
    seen: set[str] = set()
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name not in spec:
            raise PrinterUrlError(
                f"{url!r}: unknown option {name!r}; known: {', '.join(sorted(spec))}"
            )
        if name in seen:
            raise PrinterUrlError(f"{url!r}: option {name!r} is given twice")
        seen.add(name)
        raw[name] = value
    values = {}
    for name, (convert, default) in spec.items():
        if name not in raw:
            values[name] = default
            continue
        try:
            values[name] = convert(raw[name])
        except (TypeError, ValueError) as exc:
            raise PrinterUrlError(f"{url!r}: {name}={raw[name]!r}: {exc}") from None
    return values
