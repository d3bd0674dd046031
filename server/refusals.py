"""A refusal of the engine said in a person's language (for the API, the hub and agents)."""

from __future__ import annotations

from typing import Any

from hallq.server import catalogs
from hallq.server.queue.errors import Refused, Term


def _localized(value: Any, lang: str) -> Any:
    if isinstance(value, Term):
        return catalogs.gettext(lang, value)
    if isinstance(value, dict):  # a name given in every hall language
        return value.get(lang) or next(iter(value.values()), "")
    return value


def explain(exc: Refused, lang: str) -> str:
    """The refusal's message in ``lang``, its parameters (statuses, names) translated too."""
    params = {k: _localized(v, lang) for k, v in exc.params.items()}
    return catalogs.gettext(lang, exc.message, **params)


def details(exc: Refused) -> dict[str, Any]:
    """The parameters programs can use (ids, codes, ISO times), beside the message."""
    return {k: v for k, v in exc.params.items() if not isinstance(v, dict | Term)}
