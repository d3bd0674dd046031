"""Flask side of the translations: the request's language, Flask-Babel, the browser catalogs.

``init_i18n(app)`` in ``create_app``. A request's language comes from, in order: ``?lang=``,
the ``hallq_lang`` cookie, ``Accept-Language``, ``app.config["HALLQ_DEFAULT_LANGUAGE"]``
(zh-Hant unless the hall says otherwise). A value that names no language HallQ has is skipped,
not an error: a stale cookie must not lock anyone out of a page.

Templates get Flask-Babel's ``_``/``gettext``/``ngettext`` (``%(name)s`` params, as in Python
and the browser), ``current_language()``, ``lang_attr()`` and ``language_names``. Views turn an
engine refusal (msgid + params) into the caller's language with :func:`translate`.
"""

from __future__ import annotations

import functools
import hashlib
import json
from typing import Any

from flask import Blueprint, Flask, Response, current_app, has_request_context, request
from flask_babel import Babel, get_locale, gettext

from hallq.server import catalogs

__all__ = [
    "COOKIE_NAME",
    "bp",
    "current_language",
    "init_i18n",
    "lang_attr",
    "select_language",
    "translate",
]

COOKIE_NAME = "hallq_lang"
QUERY_PARAM = "lang"
CONFIG_KEY = "HALLQ_DEFAULT_LANGUAGE"

# Bumped when the JSON shape changes, so a browser holding the old shape for an unchanged .mo
# does not get a 304 for it.
_PAYLOAD_FORMAT = b"hallq-i18n/1\0"

bp = Blueprint("i18n", __name__, url_prefix="/i18n")


def init_i18n(app: Flask) -> None:
    """Wire Flask-Babel, the locale selector, the template helpers and ``/i18n/<lang>.json``."""
    configured = app.config.get(CONFIG_KEY, catalogs.DEFAULT_LANGUAGE)
    default = catalogs.normalize_language(configured)
    if default is None:
        raise ValueError(
            f"{CONFIG_KEY}={configured!r} is not one of {', '.join(catalogs.LANGUAGES)}"
        )
    app.config[CONFIG_KEY] = default
    # One set of catalogs for pages, agents and the browser: Flask-Babel reads the same .mo
    # files as hallq.server.catalogs, whatever a deployment's config says.
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(catalogs.translations_dir())
    app.config["BABEL_DEFAULT_LOCALE"] = catalogs.babel_locale(default)
    app.config["BABEL_DOMAIN"] = catalogs.DOMAIN
    Babel(app, locale_selector=_select_locale)
    # pybabel extracts {% trans %} blocks trimmed (babel.cfg); render them the same way, or
    # a multi-line block would look up a msgid that is not in the catalogs.
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.jinja_env.globals.update(
        current_language=current_language,
        lang_attr=lang_attr,
        language_names=catalogs.LANGUAGE_NAMES,
    )
    app.register_blueprint(bp)


def select_language() -> str:
    """The language the current request asked for (see the module's docstring for the order)."""
    default = _default_language()
    if not has_request_context():
        return default
    return chosen_language() or catalogs.best_language(
        request.headers.get("Accept-Language"), default
    )


def chosen_language() -> str | None:
    """The language the user picked on purpose (``?lang=``, then the cookie), if any: unlike
    the browser's ``Accept-Language``, it outranks what a page knows of its reader."""
    if not has_request_context():
        return None
    default_chinese = _chinese_for(_default_language())
    for candidate in (request.args.get(QUERY_PARAM), request.cookies.get(COOKIE_NAME)):
        lang = catalogs.normalize_language(candidate, default_chinese=default_chinese)
        if lang is not None:
            return lang
    return None


def default_language() -> str:
    """The hall's own language (the server's default)."""
    return _default_language()


def _select_locale() -> str:
    return catalogs.babel_locale(select_language())


def _default_language() -> str:
    language: str = current_app.config.get(CONFIG_KEY, catalogs.DEFAULT_LANGUAGE)
    return language


def _chinese_for(default: str) -> str:
    # A tag saying only "Chinese" (plain zh) means the hall's own Chinese when its default is
    # a Chinese one; otherwise zh-Hans, as catalogs.normalize_language does on its own.
    return default if default.startswith("zh-") else "zh-Hans"


def current_language() -> str:
    """The BCP-47 tag of the current request's language (``zh-Hant``, ``zh-Hans``, ``en``).

    Read through Flask-Babel, which runs the selector once per request and honours
    ``force_locale``. Outside an app context there is no request: HallQ's default.
    """
    locale = get_locale()
    if locale is None:
        return catalogs.DEFAULT_LANGUAGE
    return catalogs.normalize_language(str(locale)) or catalogs.DEFAULT_LANGUAGE


def lang_attr() -> str:
    """The value for ``<html lang="…">``.

    Browsers pick CJK glyph shapes and fonts by it, so zh-Hant and zh-Hans pages must say
    which they are. HallQ's tags are valid BCP-47 already; this stays a separate helper so
    templates need not change if a hall ever wants a regional tag (``zh-Hant-HK``) here.
    """
    return current_language()


def translate(msgid: str, **params: Any) -> str:
    """``msgid`` in the current request's language, e.g. an engine refusal's message."""
    return catalogs.gettext(current_language(), msgid, **params)


@bp.get("/<lang>.json")
def messages_json(lang: str) -> Response:
    """``{"language": tag, "messages": {msgid: translation}}`` for ``HallQI18n.load``.

    Any tag HallQ understands is served (``zh-TW`` gets zh-Hant's catalog, named in
    ``language``). ``Cache-Control: no-cache`` with an ETag from the .mo file: screens keep the
    body and revalidate on every load, which costs a 304 until the catalogs change.
    """
    language = catalogs.normalize_language(lang, default_chinese=_chinese_for(_default_language()))
    if language is None:
        message = gettext(
            "Unknown language; use one of: %(languages)s", languages=", ".join(catalogs.LANGUAGES)
        )
        error = current_app.json.response(
            {"error": {"code": "unknown_language", "message": message}}
        )
        error.status_code = 404
        return error
    payload, etag = _payload(language)
    response = current_app.response_class(payload, mimetype="application/json")
    response.set_etag(etag)
    response.cache_control.no_cache = True
    return response.make_conditional(request)


@functools.cache
def _payload(language: str) -> tuple[bytes, str]:
    # Built once per process, like the catalogs it comes from. Sorted keys and no ASCII
    # escaping: a stable body for a given .mo, and CJK at 3 bytes a character, not 6.
    body = json.dumps(
        {"language": language, "messages": catalogs.catalog(language)},
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    ).encode("utf-8")
    mo_path = catalogs.mo_path(language)
    mo = mo_path.read_bytes() if mo_path.exists() else b""
    etag = hashlib.sha256(_PAYLOAD_FORMAT + mo).hexdigest()[:32]
    return body, etag
