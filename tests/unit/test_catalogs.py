"""The translation catalogs: complete, compiled, placeholder-safe; and the Flask-free access.

The catalog checks read the committed files, so CI fails on a forgotten ``scripts/i18n
compile``, a Chinese string left untranslated or fuzzy, or a translation whose ``%(name)s``
placeholders differ from its msgid's (which would raise at run time or show the wrong value).
"""

import io
import re
import subprocess
import sys

import pytest
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from hallq.server import catalogs

LOCALES = ["zh_Hant", "zh_Hans", "en"]
CHINESE = ["zh_Hant", "zh_Hans"]

# A named placeholder and its conversion: only %(name)s is allowed, because the browser's
# HallQI18n.t() understands nothing else.
NAMED = re.compile(r"%\((\w+)\)([#0 +\-]*\d*(?:\.\d+)?[a-zA-Z]?)")


def read_catalog(path):
    with path.open("rb") as fp:
        return read_po(fp)


def po_path(locale):
    return catalogs.translations_dir() / locale / "LC_MESSAGES" / "messages.po"


def pot():
    return read_catalog(catalogs.translations_dir() / "messages.pot")


def messages(catalog):
    return [m for m in catalog if m.id]


def forms(message):
    return list(message.string) if isinstance(message.string, tuple) else [message.string]


def ids(message):
    return list(message.id) if isinstance(message.id, tuple) else [message.id]


def placeholders(text):
    """Names of the %(name)s placeholders in ``text``."""
    found = NAMED.findall(text)
    bad = [f"%({name}){conv}" for name, conv in found if conv != "s"]
    assert not bad, f"only %(name)s placeholders work in the browser: {bad} in {text!r}"
    return {name for name, _ in found}


def compiled(catalog):
    """{(context, msgid): translation} as ``scripts/i18n compile`` would write it."""
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return read_mo(buffer)


def as_dict(catalog):
    def frozen(value):  # read_mo gives plural ids and forms as lists
        return tuple(value) if isinstance(value, list) else value

    return {(m.context, frozen(m.id)): frozen(m.string) for m in catalog if m.id}


# --- the committed catalog files --------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_committed_mo_is_the_compiled_po(locale):
    source = read_catalog(po_path(locale))
    assert not source.fuzzy, "a fuzzy header makes pybabel compile skip the whole catalog"
    mo = catalogs.translations_dir() / locale / "LC_MESSAGES" / "messages.mo"
    with mo.open("rb") as fp:
        committed = read_mo(fp)
    expected = compiled(source)
    assert as_dict(committed) == as_dict(expected), "run scripts/i18n compile"
    assert committed.plural_forms == expected.plural_forms


@pytest.mark.parametrize("locale", LOCALES)
def test_po_has_exactly_the_template_messages(locale):
    template = {(m.context, m.id) for m in messages(pot())}
    assert template, "messages.pot is empty"
    translated = {(m.context, m.id) for m in messages(read_catalog(po_path(locale)))}
    assert translated == template, "run scripts/i18n extract"


@pytest.mark.parametrize("locale", CHINESE)
def test_every_message_has_a_reviewed_chinese_translation(locale):
    catalog = read_catalog(po_path(locale))
    missing = [m.id for m in messages(catalog) if m.fuzzy or not all(forms(m))]
    assert not missing, f"untranslated or fuzzy in {locale}: {missing}"
    assert catalog.num_plurals == 1, "Chinese has one plural form"


def test_english_plural_forms():
    assert read_catalog(po_path("en")).num_plurals == 2


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_keep_the_msgid_placeholders(locale):
    for message in messages(read_catalog(po_path(locale))):
        if message.fuzzy:  # not compiled, so never shown; the test above rejects it anyway
            continue
        wanted = [placeholders(msgid) for msgid in ids(message)]
        for text in filter(None, forms(message)):
            got = placeholders(text)
            if len(wanted) == 1:
                assert got == wanted[0], f"{locale}: {message.id!r} -> {text!r}"
            else:
                # A plural form may leave out what only one of the msgids names (often num).
                union, common = wanted[0] | wanted[1], wanted[0] & wanted[1]
                assert common <= got <= union, f"{locale}: {message.id!r} -> {text!r}"
            if got:
                # A stray "%" or a "%s" beside the names would raise when formatted.
                text % dict.fromkeys(got, "7")


def test_every_language_has_its_compiled_catalog():
    for lang in catalogs.LANGUAGES:
        assert catalogs.mo_path(lang).is_file(), lang
    assert (catalogs.translations_dir() / "messages.pot").is_file()


# --- gettext and friends ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("zh-Hant", "A001 號"), ("zh-Hans", "A001 号"), ("en", "Ticket A001")],
)
def test_gettext_translates_and_fills_placeholders(lang, expected):
    assert catalogs.gettext(lang, "Ticket %(number)s", number="A001") == expected


def test_gettext_falls_back_to_the_msgid():
    assert catalogs.gettext("en", "Waiting") == "Waiting"  # en left empty: msgid is English
    assert catalogs.gettext("zh-Hant", "No such message %(x)s", x=1) == "No such message 1"


def test_gettext_leaves_percent_alone_without_params():
    assert catalogs.gettext("zh-Hant", "100%") == "100%"


def test_english_catalog_may_reword():
    assert catalogs.gettext("en", "%(count)s people ahead", count=1) == "People ahead: 1"


def test_gettext_accepts_any_known_tag_and_refuses_others():
    assert catalogs.gettext("zh-TW", "Waiting") == "等候中"
    assert catalogs.translations("zh_cn") is catalogs.translations("zh-Hans")
    with pytest.raises(ValueError, match="unknown language"):
        catalogs.gettext("fr", "Waiting")


def test_ngettext():
    assert catalogs.ngettext("zh-Hant", "%(num)s ticket waiting", "%(num)s tickets waiting", 1) == (
        "1 人等候"
    )
    assert catalogs.ngettext("zh-Hans", "%(num)s ticket waiting", "%(num)s tickets waiting", 5) == (
        "5 人等候"
    )
    assert catalogs.ngettext("en", "%(num)s ticket waiting", "%(num)s tickets waiting", 1) == (
        "1 ticket waiting"
    )
    assert catalogs.ngettext("en", "%(num)s ticket waiting", "%(num)s tickets waiting", 2) == (
        "2 tickets waiting"
    )


def test_translator_binds_the_language():
    _ = catalogs.translator("zh-Hans")
    assert _.language == "zh-Hans"
    assert _("Window %(number)s", number=3) == "3 号窗口"
    assert _.ngettext("%(num)s ticket waiting", "%(num)s tickets waiting", 2) == "2 人等候"
    with pytest.raises(ValueError):
        catalogs.translator("xx")


def test_a_translation_that_does_not_format_falls_back_to_the_msgid(monkeypatch):
    class Broken:
        def gettext(self, msgid):
            return "%(nombre)s 號"

    monkeypatch.setattr(catalogs, "translations", lambda lang: Broken())
    assert catalogs.gettext("zh-Hant", "Ticket %(number)s", number="A001") == "Ticket A001"


def test_a_missing_catalog_shows_the_source_text(monkeypatch, tmp_path):
    monkeypatch.setattr(catalogs, "translations_dir", lambda: tmp_path)
    catalogs._translations.cache_clear()
    catalogs._catalog.cache_clear()
    try:
        assert catalogs.gettext("zh-Hant", "Waiting") == "Waiting"
        assert catalogs.catalog("zh-Hant") == {}
    finally:
        catalogs._translations.cache_clear()
        catalogs._catalog.cache_clear()


def test_catalog_for_the_browser():
    zh = catalogs.catalog("zh-Hant")
    assert zh["Waiting"] == "等候中"
    assert zh["Window %(number)s"] == "%(number)s 號櫃檯"
    assert "" not in zh  # the header
    assert all(isinstance(key, str) for key in zh)  # no plural entries
    assert "%(num)s ticket waiting" not in zh
    en = catalogs.catalog("en")
    assert "Waiting" not in en  # untranslated: the browser shows the msgid
    assert en["%(count)s people ahead"] == "People ahead: %(count)s"
    zh["Waiting"] = "changed"
    assert catalogs.catalog("zh-Hant")["Waiting"] == "等候中"  # callers get a copy


def test_every_pot_message_reaches_the_chinese_browser_catalogs():
    singular = {m.id for m in messages(pot()) if isinstance(m.id, str) and not m.context}
    for lang in ("zh-Hant", "zh-Hans"):
        assert singular <= catalogs.catalog(lang).keys(), lang


def test_n_marks_without_translating():
    assert catalogs.N_("Service paused") == "Service paused"


# --- language tags ----------------------------------------------------------------------


def test_languages():
    assert catalogs.LANGUAGES == ("zh-Hant", "zh-Hans", "en")
    assert catalogs.DEFAULT_LANGUAGE == "zh-Hant"
    assert set(catalogs.LANGUAGE_NAMES) == set(catalogs.LANGUAGES)


@pytest.mark.parametrize(
    ("lang", "locale"), [("zh-Hant", "zh_Hant"), ("zh-Hans", "zh_Hans"), ("en", "en")]
)
def test_babel_locale(lang, locale):
    assert catalogs.babel_locale(lang) == locale
    assert (catalogs.translations_dir() / locale / "LC_MESSAGES").is_dir()


def test_babel_locale_refuses_unknown_languages():
    with pytest.raises(ValueError):
        catalogs.babel_locale("fr")


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("zh-Hant", "zh-Hant"),
        ("ZH-HANT", "zh-Hant"),
        ("zh_Hans", "zh-Hans"),
        ("en", "en"),
        ("zh-TW", "zh-Hant"),
        ("zh-hk", "zh-Hant"),
        ("zh_MO", "zh-Hant"),
        ("zh-CN", "zh-Hans"),
        ("zh-SG", "zh-Hans"),
        ("zh-MY", "zh-Hans"),
        ("zh", "zh-Hans"),  # CLDR: zh is written in Hans, unless the caller knows better
        ("zh-US", "zh-Hans"),  # a region that does not decide the script
        ("zh-Hant-CN", "zh-Hant"),  # the script subtag wins over the region
        ("zh-Hans-HK", "zh-Hans"),
        ("zh-Hant-TW", "zh-Hant"),
        ("zh-CHT", "zh-Hant"),
        ("zh-CHS", "zh-Hans"),
        ("cmn-Hant-TW", "zh-Hant"),
        ("yue", "zh-Hant"),
        ("yue-CN", "zh-Hans"),
        ("zh_TW.UTF-8", "zh-Hant"),  # LANG of an agent's machine
        ("en-GB", "en"),
        ("EN_us", "en"),
        (" en ", "en"),
        ("fr", None),
        ("fr-CA", None),
        ("*", None),
        ("", None),
        ("-", None),
        (None, None),
    ],
)
def test_normalize_language(tag, expected):
    assert catalogs.normalize_language(tag) == expected


def test_bare_chinese_follows_the_callers_choice():
    assert catalogs.normalize_language("zh", default_chinese="zh-Hant") == "zh-Hant"
    assert catalogs.normalize_language("zh-CN", default_chinese="zh-Hant") == "zh-Hans"


@pytest.mark.parametrize(
    ("header", "default", "expected"),
    [
        (None, "zh-Hant", "zh-Hant"),
        ("", "zh-Hans", "zh-Hans"),
        ("zh-TW,zh;q=0.9,en-US;q=0.8,en;q=0.7", "en", "zh-Hant"),
        ("zh-CN,zh;q=0.9", "zh-Hant", "zh-Hans"),
        ("en;q=0.5, zh-CN", "zh-Hant", "zh-Hans"),  # q-values, not header order
        ("fr, en-GB;q=0.8, zh-CN;q=0.5", "zh-Hant", "en"),  # unknown entries skipped
        ("en;q=0.8, zh-TW;q=0.8", "zh-Hans", "en"),  # equal q: header order
        ("zh-CN;q=0, en;q=0.1", "zh-Hant", "en"),  # q=0 means "not this"
        ("fr, de", "zh-Hant", "zh-Hant"),
        ("*", "zh-Hans", "zh-Hans"),
        ("zh", "zh-Hant", "zh-Hant"),  # a bare zh takes the hall's Chinese
        ("zh", "zh-Hans", "zh-Hans"),
        ("zh", "en", "zh-Hans"),
        ("garbage;;;q=x, ,zh-HK", "en", "zh-Hant"),
        ("x" * 5000, "zh-Hant", "zh-Hant"),
        (None, "zh-TW", "zh-Hant"),  # the default is normalized too
    ],
)
def test_best_language(header, default, expected):
    assert catalogs.best_language(header, default) == expected


def test_best_language_refuses_an_unknown_default():
    with pytest.raises(ValueError):
        catalogs.best_language("en", "fr")


def test_imports_without_flask_or_a_database():
    # Agents import this module; it must not drag the server's stack into them.
    code = (
        "import sys, hallq.server.catalogs as c; c.gettext('zh-Hant', 'Waiting'); "
        "print(sorted(m for m in ('flask', 'flask_babel', 'sqlalchemy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
