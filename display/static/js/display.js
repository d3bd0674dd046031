/*
 * The lobby board (/display): the latest call huge (A023 → 5號窗口), flashing while it is being
 * announced; the last calls; each window's number (or "service paused"); the people waiting
 * per service; the date and a clock in the hall's time zone; the supervisor's notice, scrolling.
 *
 * Needs socket.io.min.js and hallq-client.js loaded first, the hall's public description in
 * <script id="hall-data"> and the board's settings in <script id="board-data">. Everything it
 * knows comes from the public API:
 *
 * - the device token: typed into the pairing form, or from a pairing link /display#token=hqd_…
 *   (taken out of the address bar at once, so no server or proxy ever logs it), kept in
 *   localStorage and checked with GET /api/v1/devices/me (a display's token only), which also
 *   gives the board's zone (none: the whole hall);
 * - the hall: the Socket.IO snapshot and its deltas, through HallQClient, which re-asks for a
 *   snapshot after a reconnect or a gap in seq. The board renders from client.state after
 *   every "change", so whatever it shows is the snapshot's true state plus the deltas since.
 *   Deltas go to the whole hall: the board keeps its zone's calls, windows and services;
 * - the texts: the catalog of each of the hall's languages, loaded once (and again after a
 *   reconnect, in case the server was upgraded). The board shows the languages in turn,
 *   Chinese first, every LANGUAGE_MS, so it never asks the server for a catalog to switch.
 *
 * It runs for weeks without a reload: every list it keeps is bounded, the page's elements are
 * made once (windows and services once each) and only their texts change, and one interval
 * drives the clock, the language turns and the end of a flash. window.hallqDisplay exposes
 * its state to the tests.
 */
(function () {
  "use strict";

  var instant = HallQClient.instant; // the wire's times in milliseconds

  var TOKEN_KEY = "hallq.display.token";
  var TICK_MS = 1000; // the one interval: clock, languages, end of a flash, a new day
  var FLASH_MS = 10000; // about as long as a call takes to be announced in three languages
  var LANGUAGE_MS = 8000; // each language stays this long
  var PAIR_RETRY_MS = 3000;
  var REQUEST_TIMEOUT = 10000;
  var SNAPSHOT_CALLS = 10; // the snapshot's recent_calls hold at most this many (hall-wide)
  var TICKER_REM_PER_SECOND = 4; // how fast the notice scrolls, in the board's rem
  var PLACEHOLDER = /%\((\w+)\)s|%%/g;

  // A pairing link's token leaves the address bar before anything else can read or log it.
  var linkToken = HallQPairing.takeTokenFromLink(TOKEN_KEY);

  var hall = JSON.parse(document.getElementById("hall-data").textContent);
  var settings = JSON.parse(document.getElementById("board-data").textContent);
  var RECENT_ROWS = settings.recent_rows;
  var CALLS_KEPT = RECENT_ROWS + 1; // the latest and the rows under it

  var board = {
    token: null,
    device: null, // GET /devices/me
    zone: null, // the device's zone; null: the whole hall
    client: null,
    state: null, // the snapshot, kept live by HallQClient (client.state)
    calls: [], // this board's calls, newest first, one per ticket, at most CALLS_KEPT
    shownKey: null, // the latest call on screen (ticket and time), to flash a new one
    snapshots: 0,
    flashing: false,
    flashUntil: 0,
    flashes: 0, // how many times the latest call started flashing
    online: true,
    screen: null,
    lang: document.documentElement.lang,
    catalogs: {}, // language -> {msgid: translation}
    hold: false, // tests: stay in the language shown
    languageSince: 0,
    notice: null, // the notice on screen: {key, text}
    day: null, // the hall's date, to start a new day with a fresh snapshot
    renders: 0,
  };
  window.hallqDisplay = board;

  var formats = {}; // language -> Intl formats, made once each
  var reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)");

  function $(id) {
    return document.getElementById(id);
  }

  // --- texts in the hall's languages --------------------------------------------------------

  function catalogUrl(lang) {
    return settings.catalog_url.replace("LANG", encodeURIComponent(lang));
  }

  async function loadCatalog(lang) {
    var response = await request(catalogUrl(lang), {});
    if (!response.ok) throw new Error("no catalog for " + lang + " (HTTP " + response.status + ")");
    var body = await response.json();
    board.catalogs[lang] = body.messages || {};
  }

  function loadCatalogs() {
    return Promise.all(hall.languages.map(function (lang) {
      return loadCatalog(lang).catch(function () { return null; }); // shown once it comes
    }));
  }

  function translate(lang, msgid, params) {
    var messages = board.catalogs[lang] || {};
    var text = Object.prototype.hasOwnProperty.call(messages, msgid) ? messages[msgid] : msgid;
    if (!params) return text;
    return text.replace(PLACEHOLDER, function (whole, name) {
      if (name === undefined) return "%";
      return Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole;
    });
  }

  // The board's own t(): the language on screen changes every few seconds, from catalogs
  // kept in memory (pybabel extracts its t("…") calls, as HallQI18n.t's).
  function t(msgid, params) {
    return translate(board.lang, msgid, params);
  }

  function isChinese(lang) {
    return lang.slice(0, 2) === "zh";
  }

  /* The languages the board takes in turn: the hall's, Chinese first, those whose catalog
     came (English needs its own too: the board's msgids are not all its English text). */
  function rotation() {
    var langs = hall.languages.filter(isChinese).concat(hall.languages.filter(function (l) {
      return !isChinese(l);
    }));
    var ready = langs.filter(function (l) { return board.catalogs[l]; });
    return ready.length ? ready : langs.slice(0, 1);
  }

  var translatable = Array.prototype.slice.call(document.querySelectorAll("[data-i18n], [data-i18n-attr]"));

  function applyTexts() {
    translatable.forEach(function (el) {
      var msgid = el.getAttribute("data-i18n");
      if (msgid) setText(el, t(msgid));
      var attrs = el.getAttribute("data-i18n-attr");
      if (!attrs) return;
      attrs.split(";").forEach(function (pair) {
        var at = pair.indexOf(":"); // the first colon only: a msgid may hold one
        if (at > 0) el.setAttribute(pair.slice(0, at).trim(), t(pair.slice(at + 1).trim()));
      });
    });
  }

  function showLanguage(lang) {
    board.lang = lang;
    board.languageSince = Date.now();
    document.documentElement.lang = lang;
    applyTexts();
    var name = hall.name[lang] || hall.name[hall.languages[0]] || "HallQ";
    setText($("hall-name"), name);
    document.title = name;
    renderClock();
    render();
  }

  function nextLanguage() {
    var langs = rotation();
    var i = langs.indexOf(board.lang);
    showLanguage(langs[(i + 1) % langs.length]);
  }

  // For the tests: show one language now, and stay in it with hold = true.
  board.showLanguage = function (lang, hold) {
    board.hold = Boolean(hold);
    showLanguage(lang);
  };

  // --- pairing -------------------------------------------------------------------------------

  var pairing = new HallQPairing({
    kind: "display",
    storageKey: TOKEN_KEY,
    retryMs: PAIR_RETRY_MS,
    api: function (path, token) { return api(path, token); },
    away: function () {
      setOnline(false);
      if (board.screen !== "board") show("board");
    },
    refused: function (unknownToken) {
      forget();
      showPairing(unknownToken
        ? t("This token is not known: check it, or ask for a new one")
        : t("This token does not belong to a lobby display"));
    },
    paired: function (token, me) {
      board.token = token;
      board.device = me;
      board.zone = me.zone || null;
      show("board");
      connect(token);
    },
    forget: function () { forget(); },
  });

  function forget() {
    window.localStorage.removeItem(TOKEN_KEY);
    board.token = null;
    board.device = null;
    board.zone = null;
    if (board.client) {
      var client = board.client;
      board.client = null;
      client.ended = true; // no "ended" or "offline" from a client we close ourselves
      client.close();
    }
    board.state = null;
    board.calls = [];
    board.shownKey = null;
    board.snapshots = 0; // the next client's first snapshot is no news
    stopFlash();
  }

  function showPairing(message) {
    setOnline(true);
    $("pairing-error").textContent = message || "";
    $("pairing-token").value = "";
    show("pairing");
    $("pairing-token").focus();
  }

  function show(name) {
    board.screen = name;
    $("pairing").hidden = name !== "pairing";
    $("board").hidden = name !== "board";
    if (name === "board") {
      render();
      restartTicker();
    }
  }

  // --- the live hall -----------------------------------------------------------------------

  function connect(token) {
    var client = new HallQClient({token: token});
    board.client = client;
    client
      .on("state", function (state) {
        if (client !== board.client) return;
        setOnline(true);
        adoptHall(state.hall);
        fromSnapshot(state);
        // After a reconnect the server may have new catalogs (an upgrade), or had none to
        // give when the board started: a 304 each when nothing changed.
        if (board.snapshots > 1 || rotation().length < hall.languages.length) {
          loadCatalogs().then(function () { if (client === board.client) showLanguage(board.lang); });
        }
      })
      .on("ticket.called", function (call) {
        if (client === board.client) onCall(call);
      })
      .on("change", function (state) {
        if (client !== board.client) return;
        board.state = state;
        render();
      })
      .on("offline", function () { if (client === board.client) setOnline(false); })
      .on("error", function () { if (client === board.client) setOnline(false); })
      .on("ended", function () {
        if (client !== board.client) return;
        forget();
        showPairing(t("This display's token stopped working: pair it again"));
      })
      .on("hall.updated", function () {
        if (client === board.client) client.resync();
      });
    client.connect();
  }

  function setOnline(online) {
    board.online = online;
    $("connection").hidden = online;
  }

  function adoptHall(fresh) {
    if (!fresh) return;
    if (fresh.timezone !== hall.timezone) formats = {};
    hall = fresh;
    if (hall.languages.indexOf(board.lang) < 0) showLanguage(rotation()[0]);
  }

  function serviceOf(code) {
    var services = (board.state && board.state.services) || [];
    for (var i = 0; i < services.length; i++) {
      if (services[i].code === code) return services[i];
    }
    return null;
  }

  /* A zone's board shows the calls to its windows and the calls of its services' tickets
     (their customers wait in this zone, even when a window elsewhere calls them). */
  function ours(call) {
    if (!board.zone) return true;
    if (call.zone === board.zone) return true;
    var service = serviceOf(call.service);
    return Boolean(service && service.zone === board.zone);
  }

  function kept(call) {
    // What the board needs of a call, and no reference to the payload it came in.
    return {
      ticket_id: call.ticket_id,
      number: call.number,
      counter: call.counter,
      zone: call.zone,
      service: call.service,
      recall: Boolean(call.recall),
      at: call.at,
    };
  }

  function callKey(call) {
    return call ? call.ticket_id + "@" + call.at : null;
  }

  function remember(call) {
    var calls = board.calls;
    for (var i = 0; i < calls.length; i++) {
      if (calls[i].ticket_id === call.ticket_id) {
        calls.splice(i, 1); // called again, or to another window: one line per ticket
        break;
      }
    }
    calls.unshift(kept(call));
    if (calls.length > CALLS_KEPT) calls.length = CALLS_KEPT;
  }

  function onCall(call) {
    if (!call || !ours(call)) return;
    remember(call);
    startFlash();
    // "change" comes next and renders it.
  }

  /* The snapshot is the truth: its calls, newest first. It holds the hall's last few only, so a
     zone's board keeps its own older calls of the same day below them when the snapshot is full
     (a snapshot with fewer holds every call of the day, and a new day starts empty). */
  function fromSnapshot(state) {
    board.state = state;
    board.snapshots += 1;
    var all = state.recent_calls || [];
    var before = board.calls;
    var previous = board.shownKey;
    board.calls = [];
    for (var i = all.length - 1; i >= 0; i--) {
      if (ours(all[i])) remember(all[i]); // oldest first, so the newest ends on top
    }
    if (all.length >= SNAPSHOT_CALLS && board.calls.length < CALLS_KEPT) {
      var oldest = all[all.length - 1];
      var limit = instant(oldest.at);
      var day = hallDate(limit);
      before.forEach(function (call) {
        if (board.calls.length >= CALLS_KEPT) return;
        var at = instant(call.at);
        var known = board.calls.some(function (c) { return c.ticket_id === call.ticket_id; });
        if (!known && at < limit && hallDate(at) === day) board.calls.push(call);
      });
    }
    // A call made while the board was away is shown as a new one.
    if (board.snapshots > 1 && board.calls.length && callKey(board.calls[0]) !== previous) startFlash();
  }

  // --- the flash -------------------------------------------------------------------------------

  function startFlash() {
    board.flashUntil = Date.now() + FLASH_MS;
    board.flashes += 1;
    // Two identical animations under two names: swapping them restarts the flash (a recall
    // while the last flash still runs) without forcing the browser to lay the page out.
    var now = $("now");
    var odd = board.flashes % 2 === 1;
    now.classList.remove(odd ? "flash-b" : "flash-a");
    now.classList.add(odd ? "flash-a" : "flash-b");
    board.flashing = true;
  }

  function stopFlash() {
    var now = $("now");
    now.classList.remove("flash-a", "flash-b");
    board.flashing = false;
  }

  // --- rendering ---------------------------------------------------------------------------------

  function setText(el, text) {
    if (el.textContent !== text) el.textContent = text;
  }

  function setHidden(el, hidden) {
    if (el.hidden !== hidden) el.hidden = hidden;
  }

  function windowLabel(number) {
    // Translators: a window on the lobby board, after the called number and an arrow: A023 → 5號窗口.
    return t("Lobby board: window %(number)s", {number: number});
  }

  function nameOf(thing) {
    return (thing.name && (thing.name[board.lang] || thing.name[hall.languages[0]])) || thing.code;
  }

  function render() {
    if (board.screen !== "board") return;
    board.renders += 1;
    renderNow();
    renderRecent();
    renderWindows();
    renderServices();
    renderNotice();
  }

  function renderNow() {
    var latest = board.calls[0] || null;
    setHidden($("now-call"), !latest);
    setHidden($("now-empty"), Boolean(latest));
    setHidden($("now-recall"), !(latest && latest.recall));
    if (latest) {
      setText($("now-number"), latest.number);
      setText($("now-window"), windowLabel(latest.counter));
    }
    board.shownKey = callKey(latest);
  }

  var recentRows = Array.prototype.slice.call($("recent").children).map(function (li) {
    return {li: li, number: li.querySelector(".number"), window: li.querySelector(".window")};
  });

  function renderRecent() {
    recentRows.forEach(function (row, i) {
      var call = board.calls[i + 1];
      setHidden(row.li, !call);
      setText(row.number, call ? call.number : "");
      setText(row.window, call ? windowLabel(call.counter) : "");
    });
  }

  var windowTiles = {}; // window number -> its tile, made once
  var serviceRows = {}; // service code -> its row, made once

  function tile(number) {
    var item = windowTiles[number];
    if (item) return item;
    var li = document.createElement("li");
    li.className = "window-tile";
    li.dataset.window = String(number);
    var label = document.createElement("span");
    label.className = "label";
    var value = document.createElement("span");
    value.className = "value";
    li.appendChild(label);
    li.appendChild(value);
    item = windowTiles[number] = {li: li, label: label, value: value, state: null};
    return item;
  }

  /* The zone's windows in order, each with its number, "service paused" or "closed". Tiles are
     reused; a window that left the hall (a reloaded hall file) takes its tile with it. */
  function renderWindows() {
    var list = $("windows");
    var counters = ((board.state && board.state.counters) || [])
      .filter(function (c) { return !board.zone || c.zone === board.zone; })
      .slice()
      .sort(function (a, b) { return a.number - b.number; });
    var latest = board.calls[0];
    var wanted = {};
    counters.forEach(function (counter, i) {
      var item = tile(counter.number);
      wanted[counter.number] = true;
      if (list.children[i] !== item.li) list.insertBefore(item.li, list.children[i] || null);
      setText(item.label, windowLabel(counter.number));
      var state = counter.state;
      var value;
      if (state === "paused") value = t("Service paused");
      else if (state === "closed") value = t("Closed");
      else value = counter.current_ticket || "–";
      setText(item.value, value);
      if (item.state !== state) {
        item.li.className = "window-tile " + state;
        item.state = state;
      }
      item.li.classList.toggle("called", Boolean(board.flashing && latest && latest.counter === counter.number));
    });
    Object.keys(windowTiles).forEach(function (number) {
      if (!wanted[number]) {
        windowTiles[number].li.remove();
        delete windowTiles[number];
      }
    });
  }

  function renderServices() {
    var list = $("services");
    var services = ((board.state && board.state.services) || [])
      .filter(function (s) { return !board.zone || s.zone === board.zone; });
    var wanted = {};
    services.forEach(function (service, i) {
      var row = serviceRows[service.code];
      if (!row) {
        var li = document.createElement("li");
        li.dataset.service = service.code;
        var name = document.createElement("span");
        name.className = "name";
        var count = document.createElement("span");
        count.className = "count";
        li.appendChild(name);
        li.appendChild(count);
        row = serviceRows[service.code] = {li: li, name: name, count: count};
      }
      wanted[service.code] = true;
      if (list.children[i] !== row.li) list.insertBefore(row.li, list.children[i] || null);
      setText(row.name, nameOf(service));
      setText(row.count, String(service.waiting || 0));
    });
    Object.keys(serviceRows).forEach(function (code) {
      if (!wanted[code]) {
        serviceRows[code].li.remove();
        delete serviceRows[code];
      }
    });
  }

  // --- the notice ---------------------------------------------------------------------------------

  /* The zone's notice, else the hall's; in the language on screen, else the first of the
     hall's languages that has it, else any. */
  function currentNotice() {
    var notices = (board.state && board.state.notices) || [];
    var found = null;
    var hallWide = null;
    notices.forEach(function (n) {
      if (!n || !n.text) return;
      if (board.zone && n.zone === board.zone) found = n;
      if (n.zone === null || n.zone === undefined || n.zone === "") hallWide = n;
    });
    return found || hallWide;
  }

  function noticeText(notice, lang) {
    if (!notice) return "";
    var text = notice.text;
    if (text[lang]) return text[lang];
    var langs = hall.languages.concat(Object.keys(text));
    for (var i = 0; i < langs.length; i++) {
      if (text[langs[i]]) return text[langs[i]];
    }
    return "";
  }

  function renderNotice() {
    var notice = currentNotice();
    var text = noticeText(notice, board.lang);
    var key = notice ? (notice.zone || "") + "@" + notice.set_at + ":" + JSON.stringify(notice.text) : null;
    var box = $("notice");
    if (!text) {
      setHidden(box, true);
      board.notice = null;
      return;
    }
    var shown = board.notice;
    setHidden(box, false);
    if (!shown || shown.key !== key) {
      // A new notice (or another one): at once, from the start of the line.
      board.notice = {key: key, text: text};
      setText($("notice-text"), text);
      restartTicker();
    } else if (shown.text !== text && reducedMotion.matches) {
      // Standing still, it follows the language at once; scrolling, it changes language only
      // when the line has run out (see onTickerLap), never in the middle of a sentence.
      shown.text = text;
      setText($("notice-text"), text);
    }
  }

  var tickerLaps = 0;

  function restartTicker() {
    var line = $("notice-text");
    if ($("notice").hidden || $("board").hidden) return;
    tickerLaps += 1;
    line.classList.remove(tickerLaps % 2 ? "run-b" : "run-a");
    line.classList.add(tickerLaps % 2 ? "run-a" : "run-b");
    tickerSpeed(line);
  }

  function tickerSpeed(line) {
    // The line starts out of sight on the right and runs until it leaves on the left: its
    // duration follows its length, so every notice moves at the same, readable speed.
    var rem = parseFloat(window.getComputedStyle(document.documentElement).fontSize) || 16;
    var seconds = Math.max(4, line.scrollWidth / (rem * TICKER_REM_PER_SECOND));
    line.style.animationDuration = seconds.toFixed(1) + "s";
  }

  function onTickerLap() {
    var shown = board.notice;
    if (!shown) return;
    var text = noticeText(currentNotice(), board.lang);
    if (text && text !== shown.text) {
      shown.text = text;
      var line = $("notice-text");
      setText(line, text);
      tickerSpeed(line);
    }
  }

  $("notice-text").addEventListener("animationiteration", onTickerLap);

  // --- date and clock -------------------------------------------------------------------------------

  function format(lang) {
    var f = formats[lang];
    if (f) return f;
    var zone = {timeZone: hall.timezone};
    try {
      new Intl.DateTimeFormat("en", zone);
    } catch (err) {
      zone = {}; // a zone this browser does not know: the device's own time
    }
    f = formats[lang] = {
      date: new Intl.DateTimeFormat(lang, Object.assign({weekday: "long", year: "numeric", month: "long", day: "numeric"}, zone)),
      time: new Intl.DateTimeFormat(lang, Object.assign({hour: "2-digit", minute: "2-digit", hourCycle: "h23"}, zone)),
      day: new Intl.DateTimeFormat("en-CA", Object.assign({year: "numeric", month: "2-digit", day: "2-digit"}, zone)),
    };
    return f;
  }

  function hallDate(when) {
    return format(board.lang).day.format(new Date(when));
  }

  function renderClock() {
    var now = new Date();
    var f = format(board.lang);
    setText($("date"), f.date.format(now));
    var time = f.time.format(now);
    var clock = $("clock");
    if (clock.textContent !== time) {
      clock.textContent = time;
      clock.setAttribute("datetime", time);
    }
  }

  function tick() {
    var now = Date.now();
    if (board.flashing && now >= board.flashUntil) {
      stopFlash();
      renderWindows();
    }
    if (board.screen === "board" && !board.hold && now - board.languageSince >= LANGUAGE_MS) {
      nextLanguage();
    } else {
      renderClock();
    }
    // A new day in the hall: yesterday's calls go, with a fresh snapshot (today's calls).
    var day = hallDate(now);
    if (board.day && day !== board.day && board.client) board.client.resync();
    board.day = day;
  }

  // --- the REST API ---------------------------------------------------------------------------------

  async function request(path, options) {
    var controller = new AbortController();
    var timer = setTimeout(function () { controller.abort(); }, REQUEST_TIMEOUT);
    try {
      return await window.fetch(path, Object.assign({
        cache: "no-cache",
        credentials: "omit",
        signal: controller.signal,
        headers: {"Accept": "application/json"},
      }, options));
    } catch (err) {
      var lost = new Error(err.message);
      lost.network = true;
      throw lost;
    } finally {
      clearTimeout(timer);
    }
  }

  async function api(path, token) {
    var response = await request(path, {
      cache: "no-store",
      headers: {"Accept": "application/json", "Accept-Language": board.lang, "Authorization": "Bearer " + token},
    });
    var body = null;
    try {
      body = await response.json();
    } catch (err) {
      body = null;
    }
    if (!response.ok) throw HallQClient.failure(response, body);
    return body;
  }

  // --- start ---------------------------------------------------------------------------------------------

  board.day = hallDate(Date.now());
  loadCatalogs().then(function () {
    showLanguage(rotation()[0]);
    setInterval(tick, TICK_MS);
    var token = linkToken || window.localStorage.getItem(TOKEN_KEY);
    if (token) pairing.pair(token);
    else showPairing("");
  });
})();
