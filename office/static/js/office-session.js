/*
 * HallQOffice: what every back-office page shares (office/base.html): signing in and out, the
 * header, and calls to the API with the signed-in token.
 *
 * Needs i18n.js and hallq-client.js loaded first, and the hall's public description in
 * <script id="hall-data">. The page's own script, loaded after this one, says what to do:
 *
 *   HallQOffice.ready(function (who) { … });  // someone allowed is signed in: {name, role, token}
 *   HallQOffice.signedOut(function () { … }); // signed out or the session ended: forget it all
 *   HallQOffice.api(path, options);           // HallQClient.api with the token; a 401 signs out
 *   HallQOffice.send(path, options);          // the same, keeping a refusal's problems; text too
 *
 * The token comes from POST /api/v1/auth/login and is kept in this tab's sessionStorage. Only
 * a supervisor or an administrator gets further: a clerk's token is given back (signed out) at
 * once and nothing of the hall is read with it. On load a kept token is checked against
 * GET /api/v1/auth/me first. The page's <main data-office-page> shows once someone is signed
 * in, the sign-in form otherwise; the header's sections marked data-admin-only show to an
 * administrator only.
 */
(function (global) {
  "use strict";

  var t = HallQI18n.t;
  var TOKEN_KEY = "hallq.office.token";
  var NAME_KEY = "hallq.office.name";
  var ROLES = ["admin", "supervisor"];

  function $(id) {
    return document.getElementById(id);
  }

  var office = {
    hall: JSON.parse($("hall-data").textContent),
    lang: document.documentElement.lang,
    token: null,
    who: null, // {name, role, token} of the one signed in
    screen: null, // "signin" or "page"
    t: t,
    $: $,
  };
  global.HallQOffice = office;

  var readyHooks = [];
  var signedOutHooks = [];

  office.ready = function (fn) {
    readyHooks.push(fn);
  };

  office.signedOut = function (fn) {
    signedOutHooks.push(fn);
  };

  function run(hooks, arg) {
    hooks.forEach(function (fn) {
      try {
        fn(arg);
      } catch (err) {
        global.console && global.console.error(err);
      }
    });
  }

  office.refusal = function () {
    return t("The back office is for supervisors and administrators: this account cannot open it.");
  };

  office.ended = function () {
    return t("Your session has ended: please sign in again.");
  };

  /* What to tell the reader of a failed request: the server's message, or that it is away. */
  office.message = function (err) {
    if (err && err.status) return err.message;
    return t("The server cannot be reached. Try again in a moment.");
  };

  /* A thing's name in the reader's language, else the hall's first, else its code. */
  office.nameOf = function (thing) {
    if (!thing || !thing.name) return (thing && thing.code) || "";
    return thing.name[office.lang] || thing.name[office.hall.languages[0]] || thing.code;
  };

  function show(screen) {
    office.screen = screen;
    var on = screen === "page";
    $("signin").hidden = on;
    document.querySelectorAll("[data-office-page]").forEach(function (el) { el.hidden = !on; });
    $("sign-out").hidden = !on;
    $("who").hidden = !on;
    $("sections").hidden = !on;
    var admin = on && office.who && office.who.role === "admin";
    document.querySelectorAll("#sections [data-admin-only]").forEach(function (el) { el.hidden = !admin; });
  }

  function allowed(role) {
    return ROLES.indexOf(role) >= 0;
  }

  function signedIn(token, name, role) {
    office.token = token;
    office.who = {name: name, role: role, token: token};
    $("who").textContent = t("Signed in as %(name)s", {name: name});
    show("page");
    run(readyHooks, office.who);
  }

  /* Back to the sign-in form, with ``text`` said there; the page forgets what it showed. */
  office.forget = function (text) {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(NAME_KEY);
    office.token = null;
    office.who = null;
    run(signedOutHooks);
    document.querySelectorAll("dialog[open]").forEach(function (d) { d.close(); });
    show("signin");
    $("signin-error").textContent = text || "";
    $("signin-form").reset();
    $("signin-username").focus();
  };

  /* A token that is not to be kept is given back at once: the page reads nothing with it. */
  async function giveBack(token) {
    try {
      await HallQClient.api("/api/v1/auth/logout", {method: "POST", token: token});
    } catch (err) {
      // A device's token cannot sign out; an ended one is gone already.
    }
  }

  office.api = function (path, options) {
    options = Object.assign({token: office.token}, options || {});
    return HallQClient.api(path, options).catch(function (err) {
      if (err.status === 401) office.forget(office.ended());
      throw err;
    });
  };

  function fileName(response) {
    var said = response.headers.get("Content-Disposition") || "";
    var match = /filename="?([^";]+)"?/.exec(said);
    return match ? match[1] : null;
  }

  /* Like ``api``, for what it does not do: a refusal keeps the server's whole answer (its
     ``problems``), a body may be text (``text``, sent as ``type``, application/toml unless
     said), and ``as: "text"`` answers {text, name} (a file the server gives to download). */
  office.send = async function (path, options) {
    options = options || {};
    var headers = {"Accept": options.as === "text" ? "*/*" : "application/json"};
    if (office.lang) headers["Accept-Language"] = office.lang;
    if (office.token) headers["Authorization"] = "Bearer " + office.token;
    var body;
    if (options.text !== undefined) {
      headers["Content-Type"] = options.type || "application/toml";
      body = options.text;
    } else if (options.body !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(options.body);
    }
    var response = await global.fetch(path, {method: options.method || "GET", headers: headers, body: body});
    if (response.ok) {
      if (response.status === 204) return null;
      if (options.as === "text") return {text: await response.text(), name: fileName(response)};
      return response.json();
    }
    var answer = null;
    try {
      answer = await response.json();
    } catch (err) {
      // Not JSON (a proxy's page): the status says enough.
    }
    var error = HallQClient.failure(response, answer);
    error.problems = (answer && answer.error && answer.error.problems) || [];
    if (response.status === 401) office.forget(office.ended());
    throw error;
  };

  $("signin-form").addEventListener("submit", async function (event) {
    event.preventDefault();
    var form = event.target;
    var button = form.querySelector("button[type=submit]");
    if (button.disabled) return;
    $("signin-error").textContent = "";
    button.disabled = true;
    try {
      var body = await HallQClient.api("/api/v1/auth/login", {
        method: "POST",
        body: {username: form.username.value, password: form.password.value},
      });
      if (!allowed(body.role)) {
        await giveBack(body.token);
        form.password.value = "";
        $("signin-error").textContent = office.refusal();
        return;
      }
      sessionStorage.setItem(TOKEN_KEY, body.token);
      sessionStorage.setItem(NAME_KEY, body.name);
      signedIn(body.token, body.name, body.role);
    } catch (err) {
      $("signin-error").textContent = office.message(err);
    } finally {
      button.disabled = false;
    }
  });

  $("sign-out").addEventListener("click", async function () {
    var token = office.token;
    if (token) await giveBack(token);
    office.forget("");
  });

  async function resume(token) {
    try {
      var me = await HallQClient.api("/api/v1/auth/me", {token: token});
      if (!allowed(me.role)) {
        office.forget(office.refusal());
        return;
      }
      signedIn(token, me.name, me.role);
    } catch (err) {
      office.forget(err.status === 401 ? office.ended() : office.message(err));
    }
  }

  HallQI18n.load(office.lang).then(function () {
    if (/[?&]lang=/.test(location.search)) HallQI18n.remember(office.lang);
    var token = sessionStorage.getItem(TOKEN_KEY);
    if (token) resume(token);
    else office.forget("");
  });
})(window);
