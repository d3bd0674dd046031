/*
 * HallQI18n: the server's translation catalogs in the browser. No dependencies, no build.
 *
 * How a page uses it:
 *
 *   <html lang="{{ lang_attr() }}">
 *   <script src="{{ url_for('static', filename='js/i18n.js') }}"></script>
 *   <h1 data-i18n="Now serving">Now serving</h1>
 *   <input name="username" data-i18n-attr="placeholder:Username;title:Username">
 *   <span data-i18n="Window %(number)s" data-i18n-params='{"number": 3}'></span>
 *   <script>
 *     (async function () {
 *       await HallQI18n.load(document.documentElement.lang);   // or the language a visitor taps
 *       HallQI18n.apply(document);                              // every data-i18n element
 *       status.textContent = HallQI18n.t("%(count)s people ahead", {count: 4});
 *     })();
 *   </script>
 *
 * Write msgids as literal strings in HallQI18n.t("…") calls or data-i18n attributes: pybabel
 * extracts t("…") calls from static/js (babel.cfg). A msgid used only in an HTML attribute must
 * also be marked where pybabel sees it (a template's _("…"), or N_("…") in Python).
 * Placeholders are %(name)s, as in Python, so one msgid serves both; %% is a literal percent
 * sign when params are given. A msgid with no translation shows as written (the English text),
 * as on the server. There are no plurals in the browser: phrase counts so they need none.
 *
 * load() also sets <html lang>, so the browser uses traditional or simplified glyph shapes.
 * apply() reads the msgid from the attribute each time, so it can run again after load() of
 * another language. remember(lang) stores the choice in the hallq_lang cookie for the server's
 * pages (staff screens); a kiosk should not remember one customer's language for the next.
 */
(function (global) {
  "use strict";

  var PLACEHOLDER = /%\((\w+)\)s|%%/g;
  var COOKIE = "hallq_lang";

  // The catalogs live at <prefix>/i18n/<lang>.json, beside <prefix>/static/js/i18n.js; derive
  // the prefix from this script's address so a hall behind a path-prefix proxy still works.
  var endpoint = "/i18n/";
  var script = global.document && global.document.currentScript;
  if (script && script.src) {
    var match = script.src.match(/^(.*)\/static\/js\/i18n\.js(?:[?#].*)?$/);
    if (match) endpoint = match[1] + "/i18n/";
  }

  var messages = {};
  var latest = 0;

  function t(msgid, params) {
    var text = Object.prototype.hasOwnProperty.call(messages, msgid) ? messages[msgid] : msgid;
    if (!params) return text;
    return text.replace(PLACEHOLDER, function (whole, name) {
      if (name === undefined) return "%";
      // A missing value stays visible rather than breaking the screen.
      return Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole;
    });
  }

  async function load(lang) {
    var ticket = ++latest;
    var response = await fetch(endpoint + encodeURIComponent(lang) + ".json", {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    if (!response.ok) {
      throw new Error("HallQI18n: no catalog for " + lang + " (HTTP " + response.status + ")");
    }
    var body = await response.json();
    // Two taps on language buttons in a row: only the last one's catalog may win.
    if (ticket !== latest) return api.language;
    messages = body.messages || {};
    api.language = body.language;
    if (global.document && global.document.documentElement) {
      global.document.documentElement.lang = body.language;
    }
    return body.language;
  }

  function paramsOf(el) {
    var raw = el.getAttribute("data-i18n-params");
    if (!raw) return undefined;
    try {
      return JSON.parse(raw);
    } catch (err) {
      return undefined;
    }
  }

  function translateElement(el) {
    var msgid = el.getAttribute("data-i18n");
    if (msgid) el.textContent = t(msgid, paramsOf(el));
    var attrs = el.getAttribute("data-i18n-attr");
    if (!attrs) return;
    attrs.split(";").forEach(function (pair) {
      // Split at the first colon only: a msgid may contain one ("Note: …").
      var at = pair.indexOf(":");
      if (at < 1) return;
      var name = pair.slice(0, at).trim();
      var id = pair.slice(at + 1).trim();
      if (name && id) el.setAttribute(name, t(id));
    });
  }

  function apply(root) {
    root = root || global.document;
    if (root.getAttribute) translateElement(root);
    var nodes = root.querySelectorAll("[data-i18n], [data-i18n-attr]");
    for (var i = 0; i < nodes.length; i++) translateElement(nodes[i]);
    return root;
  }

  function remember(lang) {
    global.document.cookie =
      COOKIE + "=" + encodeURIComponent(lang) + "; path=/; max-age=31536000; SameSite=Lax";
  }

  var api = {
    language:
      (global.document && global.document.documentElement && global.document.documentElement.lang) ||
      "zh-Hant",
    load: load,
    t: t,
    apply: apply,
    remember: remember,
  };
  global.HallQI18n = api;
})(window);
