"""Translation catalogs for every HallQ surface: pages, printed tickets, voice prompts.

Pages, the kiosk agent (tickets) and the announcer (voice) all draw from the same gettext
catalogs under ``hallq.assets/translations``; this module is how they reach them. It imports no
Flask and no database, so an agent process can use it without the server's stack.

Languages are named by BCP-47 tags (``zh-Hant``, ``zh-Hans``, ``en``); Babel and the catalog
folders use its locale names (``zh_Hant``…), see :func:`babel_locale`.

In code, mark strings so ``scripts/i18n extract`` finds them:

    _ = catalogs.translator(ticket_language)      # agents
    text = _("Ticket %(number)s", number="A001")

    LABEL = catalogs.N_("Service paused")          # translated later, by value
    catalogs.gettext(lang, LABEL)

``gettext(lang, msgid)`` takes the language first, so pybabel cannot see a literal msgid in
it; pass literals through ``translator(lang)`` (bound ``_``) or mark them with ``N_``.
"""

from __future__ import annotations

import functools
import importlib.resources
import logging
import re
from pathlib import Path
from typing import Any

from babel.messages.mofile import read_mo
from babel.support import Translations
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

__all__ = [
    "DEFAULT_LANGUAGE",
    "DOMAIN",
    "LANGUAGES",
    "LANGUAGE_NAMES",
    "N_",
    "Translator",
    "babel_locale",
    "best_language",
    "catalog",
    "gettext",
    "mo_path",
    "ngettext",
    "normalize_language",
    "translations",
    "translations_dir",
    "translator",
]

log = logging.getLogger(__name__)

LANGUAGES: tuple[str, ...] = ("zh-Hant", "zh-Hans", "en")
DEFAULT_LANGUAGE = "zh-Hant"
DOMAIN = "messages"

# A language picker shows each language in its own script (the endonym), whatever the page's
# current language, so a visitor who cannot read the current one still finds theirs. These
# names are therefore deliberately not in the catalogs.
LANGUAGE_NAMES: dict[str, str] = {"zh-Hant": "繁體中文", "zh-Hans": "简体中文", "en": "English"}

_BY_LOWER = {lang.lower(): lang for lang in LANGUAGES}

# Where a tag names a region but no script, the region decides which characters its readers
# use. Regions not listed (zh-US, zh-AU…) say only "Chinese" and get the caller's choice.
_HANT_REGIONS = frozenset({"tw", "hk", "mo"})
_HANS_REGIONS = frozenset({"cn", "sg", "my"})
# Old Windows and .NET tags, still sent by some kiosk shells.
_LEGACY_SCRIPTS = {"cht": "zh-Hant", "chs": "zh-Hans"}
_CHINESE_PRIMARIES = frozenset({"zh", "cmn", "yue"})


def N_(s: str) -> str:
    """Mark ``s`` for extraction without translating it now (it is translated where shown)."""
    return s


def babel_locale(lang: str) -> str:
    """Babel's locale name for a language tag: ``zh-Hant`` → ``zh_Hant``; also the folder name."""
    canonical = _require(lang)
    return canonical.replace("-", "_")


def normalize_language(tag: str | None, *, default_chinese: str = "zh-Hans") -> str | None:
    """Map a language tag from a browser, a cookie, a device or ``LANG`` to one of LANGUAGES.

    Case-insensitive; ``-`` or ``_`` between subtags; a POSIX suffix (``zh_TW.UTF-8``) is
    ignored. Chinese is decided by the script subtag when there is one (``zh-Hant-CN`` →
    zh-Hant), else by the region (TW, HK, MO → zh-Hant; CN, SG, MY → zh-Hans). Cantonese
    (``yue``) without either is zh-Hant, as it is written in Hong Kong and Macau.

    A tag that says only "Chinese" (plain ``zh``, or a region we cannot place) becomes
    ``default_chinese``. Left alone that is zh-Hans, CLDR's likely script for ``zh`` and what
    mainland browsers send as their fallback; callers that know the hall pass its default
    language when that is a Chinese one, because a visitor whose device says only "Chinese"
    expects the hall's own Chinese (see :func:`best_language`). Any ``en-*`` → en. Anything
    else → None.
    """
    if not isinstance(tag, str) or not tag:  # JSON bodies and cookies carry anything
        return None
    text = tag.strip().split(".", 1)[0].split("@", 1)[0].lower()
    if text in _BY_LOWER:
        return _BY_LOWER[text]
    subtags = [s for s in re.split(r"[-_]", text) if s]
    if not subtags:
        return None
    primary, rest = subtags[0], subtags[1:]
    if primary == "en":
        return "en"
    if primary not in _CHINESE_PRIMARIES:
        return None
    region = None
    for sub in rest:
        if sub == "hant":
            return "zh-Hant"
        if sub == "hans":
            return "zh-Hans"
        if sub in _LEGACY_SCRIPTS:
            return _LEGACY_SCRIPTS[sub]
        if region is None and (len(sub) == 2 or (len(sub) == 3 and sub.isdigit())):
            region = sub
    if region in _HANT_REGIONS:
        return "zh-Hant"
    if region in _HANS_REGIONS:
        return "zh-Hans"
    if primary == "yue":
        return "zh-Hant"
    return _require(default_chinese)


def best_language(accept_language_header: str | None, default: str) -> str:
    """The language to use for an ``Accept-Language`` header, or ``default`` when none fits.

    Entries are taken by descending q-value (ties in header order); ``q=0`` means "not this
    one" and is skipped. A bare ``zh`` resolves to ``default`` when the hall's default is a
    Chinese one, else to zh-Hans (see :func:`normalize_language`).
    """
    fallback = _require(default)
    if not accept_language_header:
        return fallback
    chinese = fallback if fallback.startswith("zh-") else "zh-Hans"
    # werkzeug parses (and sorts by quality) without a Flask app; it keeps q=0 entries.
    for value, quality in parse_accept_header(accept_language_header, LanguageAccept):
        if quality <= 0:
            continue
        lang = normalize_language(value, default_chinese=chinese)
        if lang is not None:
            return lang
    return fallback


@functools.cache
def translations_dir() -> Path:
    """The folder holding ``<locale>/LC_MESSAGES/messages.mo`` and ``messages.pot``."""
    path = importlib.resources.files("hallq.assets") / "translations"
    # Flask-Babel and gettext need a real directory; installs from a wheel and editable
    # installs both give one. A zipped install would not, and should fail loudly here.
    if not isinstance(path, Path):
        raise RuntimeError(f"hallq.assets is not on the file system: {path!r}")
    return path


def mo_path(lang: str) -> Path:
    """The compiled catalog of ``lang`` (committed, so no compile step at install)."""
    return translations_dir() / babel_locale(lang) / "LC_MESSAGES" / f"{DOMAIN}.mo"


def translations(lang: str) -> Translations:
    """The gettext translations of ``lang`` (any tag :func:`normalize_language` accepts).

    Cached per language for the life of the process: restart after ``scripts/i18n compile``.
    Raises ValueError for a language HallQ does not have.
    """
    return _translations(_require(lang))


@functools.cache
def _translations(lang: str) -> Translations:
    path = mo_path(lang)
    try:
        with path.open("rb") as fp:
            return Translations(fp, domain=DOMAIN)
    except FileNotFoundError:
        # A missing catalog is a packaging bug (tests catch it), but a kiosk must still
        # print: showing the source strings beats refusing to issue a ticket.
        log.error("no compiled catalog for %s at %s; showing untranslated text", lang, path)
        return Translations(domain=DOMAIN)


def gettext(lang: str, msgid: str, **params: Any) -> str:
    """``msgid`` translated into ``lang``, with ``%(name)s`` placeholders filled from params."""
    return _format(translations(lang).gettext(msgid), msgid, params)


def ngettext(lang: str, singular: str, plural: str, n: int, **params: Any) -> str:
    """The plural form of a message for count ``n``; ``%(num)s`` is ``n`` unless given."""
    params.setdefault("num", n)
    fallback = singular if n == 1 else plural
    return _format(translations(lang).ngettext(singular, plural, n), fallback, params)


class Translator:
    """``gettext``/``ngettext`` bound to one language, for ``_ = translator(lang)``.

    Binding the language lets code write ``_("literal")``, which pybabel extracts; the
    language-first :func:`gettext` hides its literal from extraction.
    """

    __slots__ = ("language",)

    def __init__(self, lang: str) -> None:
        self.language = _require(lang)

    def __call__(self, msgid: str, **params: Any) -> str:
        return gettext(self.language, msgid, **params)

    def gettext(self, msgid: str, **params: Any) -> str:
        return gettext(self.language, msgid, **params)

    def ngettext(self, singular: str, plural: str, n: int, **params: Any) -> str:
        return ngettext(self.language, singular, plural, n, **params)

    def __repr__(self) -> str:
        return f"Translator({self.language!r})"


def translator(lang: str) -> Translator:
    """A :class:`Translator` for ``lang``; raises ValueError for an unknown language."""
    return Translator(lang)


def catalog(lang: str) -> dict[str, str]:
    """Every translated msgid of ``lang`` → its translation, for the browser's ``t()``.

    Untranslated messages are left out, so the browser falls back to the msgid as the server
    does. Plural and context entries are left out too: the browser's ``t()`` has neither.
    """
    return dict(_catalog(_require(lang)))


@functools.cache
def _catalog(lang: str) -> dict[str, str]:
    path = mo_path(lang)
    if not path.exists():
        return {}
    with path.open("rb") as fp:
        compiled = read_mo(fp)
    return {
        message.id: message.string
        for message in compiled
        if message.id
        and isinstance(message.id, str)
        and isinstance(message.string, str)
        and message.string
        and message.context is None
    }


def _require(lang: str) -> str:
    canonical = normalize_language(lang)
    if canonical is None:
        raise ValueError(f"unknown language {lang!r}; HallQ has {', '.join(LANGUAGES)}")
    return canonical


def _format(text: str, fallback: str, params: dict[str, Any]) -> str:
    # Formatting only when there are params matches Flask-Babel, so "100%" stays as written.
    if not params:
        return text
    try:
        return text % params
    except (KeyError, ValueError, TypeError):
        # A bad translation must not stop a ticket from printing or a call from being
        # announced; the source string is the best remaining text. Tests keep this rare.
        log.warning(
            "translation %r does not format with %s; using %r", text, sorted(params), fallback
        )
        return fallback % params
