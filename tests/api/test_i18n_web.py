"""The Flask side of i18n: the request's language, templates, /i18n/<lang>.json and i18n.js."""

import importlib.resources
import time
from urllib.parse import urlsplit

import pytest
from flask import Flask, jsonify, render_template_string
from flask_babel import force_locale, gettext

from hallq.server import catalogs
from hallq.server.i18n import current_language, init_i18n, lang_attr, translate

STATIC = importlib.resources.files("hallq.server") / "static"

PAGE = (
    '<html lang="{{ lang_attr() }}">{{ _("Waiting") }}|{{ _("Ticket %(number)s", number="A001") }}'
    '|{{ ngettext("%(num)s ticket waiting", "%(num)s tickets waiting", 3) }}'
    "|{{ current_language() }}|{{ language_names[current_language()] }}"
)


def make_app(**config):
    app = Flask(__name__, static_folder=str(STATIC))
    app.config.update(TESTING=True, **config)
    init_i18n(app)

    @app.get("/probe")
    def probe():
        return jsonify(
            language=current_language(),
            lang_attr=lang_attr(),
            babel=gettext("Waiting"),
            translated=translate("Window %(number)s", number=3),
        )

    @app.get("/page")
    def page():
        return render_template_string(PAGE)

    return app


@pytest.fixture
def app():
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


# --- /i18n/<lang>.json ------------------------------------------------------------------


@pytest.mark.parametrize("lang", catalogs.LANGUAGES)
def test_catalog_json_for_each_language(client, lang):
    response = client.get(f"/i18n/{lang}.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json() == {"language": lang, "messages": catalogs.catalog(lang)}
    assert response.headers["ETag"]
    assert "no-cache" in response.headers["Cache-Control"]


def test_catalog_json_content(client):
    zh = client.get("/i18n/zh-Hant.json")
    assert zh.get_json()["messages"]["Waiting"] == "等候中"
    assert "等候中".encode() in zh.data  # UTF-8, not \\u escapes: half the bytes
    hans = client.get("/i18n/zh-Hans.json").get_json()["messages"]
    assert hans["Window %(number)s"] == "%(number)s 号窗口"
    en = client.get("/i18n/en.json").get_json()["messages"]
    assert "Waiting" not in en  # the browser falls back to the msgid


def test_catalog_json_accepts_other_tags_for_a_language(client):
    assert client.get("/i18n/zh-TW.json").get_json()["language"] == "zh-Hant"
    assert client.get("/i18n/zh-cn.json").get_json()["language"] == "zh-Hans"
    assert client.get("/i18n/en-GB.json").get_json()["language"] == "en"
    # A bare zh is the hall's own Chinese, or simplified when the hall's default is English.
    assert client.get("/i18n/zh.json").get_json()["language"] == "zh-Hant"
    english_hall = make_app(HALLQ_DEFAULT_LANGUAGE="en").test_client()
    assert english_hall.get("/i18n/zh.json").get_json()["language"] == "zh-Hans"


@pytest.mark.parametrize("lang", ["fr", "xx-YY", "klingon", "*"])
def test_unknown_language_is_a_json_404(client, lang):
    response = client.get(f"/i18n/{lang}.json")
    assert response.status_code == 404
    error = response.get_json()["error"]
    assert error["code"] == "unknown_language"
    assert "zh-Hant, zh-Hans, en" in error["message"]


def test_unknown_language_message_is_in_the_callers_language(client):
    response = client.get("/i18n/fr.json", headers={"Accept-Language": "zh-CN"})
    message = response.get_json()["error"]["message"]
    assert message == "不支持此语言；可用的语言：zh-Hant, zh-Hans, en"


def test_etag_revalidation(client):
    first = client.get("/i18n/zh-Hant.json")
    etag = first.headers["ETag"]
    again = client.get("/i18n/zh-Hant.json", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    stale = client.get("/i18n/zh-Hant.json", headers={"If-None-Match": '"not-the-etag"'})
    assert stale.status_code == 200
    other = client.get("/i18n/zh-Hans.json")
    assert other.headers["ETag"] != etag
    # The same language under another tag is the same catalog.
    assert client.get("/i18n/zh-TW.json").headers["ETag"] == etag


# --- the request's language -------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "cookie", "accept", "expected"),
    [
        ("en", "zh-Hans", "zh-TW", "en"),  # ?lang= first
        (None, "zh-Hans", "en", "zh-Hans"),  # then the cookie
        (None, None, "en-GB,zh;q=0.5", "en"),  # then Accept-Language
        (None, None, "fr, zh-CN;q=0.5, en;q=0.4", "zh-Hans"),
        (None, None, None, "zh-Hant"),  # then the hall's default
        (None, None, "fr, de", "zh-Hant"),
        ("fr", "zh-Hans", "en", "zh-Hans"),  # an unknown ?lang= is skipped, not an error
        (None, "klingon", "zh-CN", "zh-Hans"),  # so is a stale cookie
        ("zh-tw", None, "en", "zh-Hant"),  # any tag HallQ understands
        ("zh", None, None, "zh-Hant"),  # bare zh: the hall's Chinese
    ],
)
def test_language_selection_order(client, query, cookie, accept, expected):
    if cookie:
        client.set_cookie("hallq_lang", cookie)
    headers = {"Accept-Language": accept} if accept else {}
    url = f"/probe?lang={query}" if query else "/probe"
    body = client.get(url, headers=headers).get_json()
    assert body["language"] == expected
    assert body["lang_attr"] == expected


def test_configured_default_language():
    client = make_app(HALLQ_DEFAULT_LANGUAGE="zh-Hans").test_client()
    assert client.get("/probe").get_json()["language"] == "zh-Hans"
    aliased = make_app(HALLQ_DEFAULT_LANGUAGE="zh-TW")
    assert aliased.config["HALLQ_DEFAULT_LANGUAGE"] == "zh-Hant"


def test_an_unknown_default_language_fails_at_start():
    with pytest.raises(ValueError, match="HALLQ_DEFAULT_LANGUAGE"):
        make_app(HALLQ_DEFAULT_LANGUAGE="fr")


@pytest.mark.parametrize(
    ("lang", "babel", "translated"),
    [
        ("zh-Hant", "等候中", "3 號櫃檯"),
        ("zh-Hans", "等候中", "3 号窗口"),
        ("en", "Waiting", "Window 3"),
    ],
)
def test_flask_babel_and_translate_use_the_request_language(client, lang, babel, translated):
    body = client.get(f"/probe?lang={lang}").get_json()
    assert body["babel"] == babel  # Flask-Babel found <locale>/LC_MESSAGES/messages.mo
    assert body["translated"] == translated


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("zh-Hant", '<html lang="zh-Hant">等候中|A001 號|3 人等候|zh-Hant|繁體中文'),
        ("zh-Hans", '<html lang="zh-Hans">等候中|A001 号|3 人等候|zh-Hans|简体中文'),
        ("en", '<html lang="en">Waiting|Ticket A001|3 tickets waiting|en|English'),
    ],
)
def test_templates(client, lang, expected):
    assert client.get(f"/page?lang={lang}").get_data(as_text=True) == expected


def test_current_language_without_a_request(app):
    assert current_language() == catalogs.DEFAULT_LANGUAGE  # no app context at all
    hans = make_app(HALLQ_DEFAULT_LANGUAGE="zh-Hans")
    with hans.app_context():
        assert current_language() == "zh-Hans"
        with force_locale("en"):
            assert current_language() == "en"
            assert translate("Ticket %(number)s", number="B002") == "Ticket B002"


# --- i18n.js ----------------------------------------------------------------------------


def test_i18n_js_is_served(client):
    response = client.get("/static/js/i18n.js")
    assert response.status_code == 200
    assert "javascript" in response.mimetype
    assert b"HallQI18n" in response.data


# i18n.js in Chromium, on a page of a made-up hall behind a path prefix: every request to it
# is answered by this module's app (the real /static/js/i18n.js and /i18n/<lang>.json).
HALL = "http://hall.example"
HARNESS_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><script src="/prefix/static/js/i18n.js?v=1"></script></head>
<body>
<h1 id="title" data-i18n="Now serving">Now serving</h1>
<span id="window3" data-i18n="Window %(number)s" data-i18n-params='{"number": 3}'></span>
<input id="field" data-i18n-attr="placeholder:Username; title:Password">
</body>
</html>
"""

# Run in the page. fetch holds each answer until the script lets it through, so that two taps
# in a row can be answered in the wrong order; returns what a page would see.
HARNESS = r"""
async () => {
  const I = window.HallQI18n;
  const realFetch = window.fetch.bind(window);
  const requested = [];
  const pending = [];
  window.fetch = (url, init) => {
    requested.push(url);
    return new Promise((resolve, reject) => {
      pending.push(() => realFetch(url, init).then(resolve, reject));
    });
  };
  const title = document.getElementById("title");
  const window3 = document.getElementById("window3");
  const field = document.getElementById("field");
  const out = {before: I.t("Waiting"), initial: I.language};
  // Two taps in a row; the first answer arrives last and must not win.
  const first = I.load("en"), second = I.load("zh-Hans");
  pending[1](); await second; pending[0](); await first;
  out.language = I.language;
  out.htmlLang = document.documentElement.lang;
  out.waiting = I.t("Waiting");
  out.window = I.t("Window %(number)s", {number: 7});
  out.missingParam = I.t("Window %(number)s", {});
  out.unknown = I.t("Not in any catalog %(x)s and 100%%", {x: "!"});
  out.noParams = I.t("100%%");
  I.apply(document);
  out.applied = [title.textContent, window3.textContent];
  out.applied.push(field.getAttribute("placeholder"), field.getAttribute("title"));
  const failed = I.load("fr"); pending[2]();
  try { await failed; out.failed = false; } catch (err) { out.failed = true; }
  out.afterFailure = I.language;
  I.remember("zh-Hant");
  out.cookie = document.cookie;
  out.requested = requested;
  return out;
}
"""


@pytest.mark.browser
def test_i18n_js_in_the_browser(client, page):
    def answer(route):
        url = urlsplit(route.request.url)
        path = url.path.removeprefix("/prefix")
        if path == "/harness":
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=HARNESS_PAGE)
            return
        response = client.get(path, query_string=url.query)
        try:
            route.fulfill(
                status=response.status_code,
                content_type=response.headers.get("Content-Type"),
                body=response.get_data(),
            )
        finally:
            response.close()

    uncaught: list[str] = []
    page.on("pageerror", lambda exc: uncaught.append(str(exc)))
    page.route(f"{HALL}/**", answer)
    page.goto(f"{HALL}/prefix/harness")
    out = page.evaluate(HARNESS)

    assert out["before"] == "Waiting"  # nothing loaded: the msgid
    assert out["initial"] == "en"  # from <html lang>
    assert out["requested"][:2] == [
        "http://hall.example/prefix/i18n/en.json",
        "http://hall.example/prefix/i18n/zh-Hans.json",
    ]
    assert out["language"] == "zh-Hans"
    assert out["htmlLang"] == "zh-Hans"
    assert out["waiting"] == "等候中"
    assert out["window"] == "7 号窗口"
    assert out["missingParam"] == "%(number)s 号窗口"
    assert out["unknown"] == "Not in any catalog ! and 100%"
    assert out["noParams"] == "100%%"  # as in Python: no params, no formatting
    assert out["applied"] == ["正在办理", "3 号窗口", "用户名", "密码"]
    assert out["failed"] is True
    assert out["afterFailure"] == "zh-Hans"  # a failed load keeps the catalog it had
    assert out["cookie"] == "hallq_lang=zh-Hant"
    [cookie] = page.context.cookies(HALL)
    assert (cookie["name"], cookie["value"], cookie["path"]) == ("hallq_lang", "zh-Hant", "/")
    assert cookie["sameSite"] == "Lax"
    assert abs(cookie["expires"] - (time.time() + 31_536_000)) < 3600  # a year
    assert not uncaught, uncaught
