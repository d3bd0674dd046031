"""What the announcer says for a call, in each spoken language: "請 A 0 2 3 號 到 5 號窗口".

The templates live in the translation catalogs like every other string a customer meets
(``scripts/i18n``): the spoken language picks the written one it reads — Cantonese reads
Traditional Chinese, Mandarin the hall's Chinese (Simplified unless the hall writes only
Traditional), English reads English. The ticket's characters are spelled out one by one, as
halls read them ("A 0 2 3", never "A twenty-three"); the window is said as a number, and it is
always said.
"""

from __future__ import annotations

from collections.abc import Sequence

from hallq.server import catalogs
from hallq.server.catalogs import N_

# Spoken language (the hall file's `announce`) -> the written language its phrase is read from.
SPOKEN = {"yue": "zh-Hant", "cmn": "zh-Hans", "en": "en"}

# Translators: what the hall's speakers say when a ticket is called. %(number)s is the ticket
# spelled out ("A 0 2 3"), %(window)s the window's number. Keep the spaces around the number
# so that each character is read on its own; zh: "請 %(number)s 號 到 %(window)s 號窗口".
CALL = N_("Ticket %(number)s, please go to window %(window)s.")


def spell(number: str) -> str:
    """ "A023" → "A 0 2 3": each character read on its own."""
    return " ".join(number.strip())


def written_language(spoken: str, hall_languages: Sequence[str] = ()) -> str:
    """The catalog a spoken language reads its phrase from."""
    if spoken == "cmn" and "zh-Hans" not in hall_languages and "zh-Hant" in hall_languages:
        return "zh-Hant"  # a Traditional-only hall: Mandarin reads the hall's own script
    try:
        return SPOKEN[spoken]
    except KeyError:
        raise ValueError(
            f"no phrases for spoken language {spoken!r}; known: {', '.join(SPOKEN)}"
        ) from None


def call_phrase(number: str, window: int, spoken: str, hall_languages: Sequence[str] = ()) -> str:
    """The phrase for ``number`` called to ``window``, to be said in ``spoken``."""
    lang = written_language(spoken, hall_languages)
    return catalogs.gettext(lang, CALL, number=spell(number), window=window)
