"""Refusals: a move the hall's rules do not allow, with the reason a clerk can read.

The message is an untranslated msgid with ``%(name)s`` parameters; the web layer
translates it into the caller's language, so the engine stays free of Flask.
"""

from __future__ import annotations

from typing import Any


def N_(message: str) -> str:
    """Marks a msgid for extraction; translated later, in the caller's language."""
    return message


class Term(str):
    """A parameter that is itself a msgid (a status, a role): translated with the message."""


STATUS_TERMS = {
    "waiting": Term(N_("waiting")),
    "called": Term(N_("called")),
    "serving": Term(N_("being served")),
    "done": Term(N_("done")),
    "no_show": Term(N_("a no-show")),
    "cancelled": Term(N_("cancelled")),
}
ROLE_TERMS = {
    "admin": Term(N_("administrator")),
    "supervisor": Term(N_("supervisor")),
    "clerk": Term(N_("clerk")),
    "kiosk": Term(N_("kiosk")),
    "display": Term(N_("lobby display")),
    "counter": Term(N_("counter agent")),
}


class Refused(Exception):
    """Base of every refusal; ``code`` is stable for programs, ``message`` is for people."""

    def __init__(self, code: str, message: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.message = message
        self.params = params

    def __str__(self) -> str:
        """``code: message`` in English, for logs and tracebacks (clients get translations)."""
        try:
            text = self.message % self.params
        except (KeyError, TypeError, ValueError):
            text = self.message
        return f"{self.code}: {text}"


class NotFound(Refused):
    """The thing named does not exist (in this hall)."""


class Forbidden(Refused):
    """The caller may not do this (wrong window, wrong kind of device...)."""


class Conflict(Refused):
    """Not now: the state of the ticket, the window or the service does not allow it."""


class Invalid(Refused):
    """The request makes no sense even before looking at the hall's state."""


class BadRequest(Refused):
    """A required part of the request is missing or unreadable (a blank closing note, a
    search parameter that is not a date): HTTP 400."""
