/*
 * The kiosk's touch screen (/kiosk): a customer touches a service and gets a ticket; a customer
 * with a booking code checks in; staff pair the screen once and unlock its settings with a PIN.
 *
 * Needs socket.io.min.js, i18n.js and hallq-client.js loaded first, and the hall's public
 * description in <script id="hall-data">. Everything it knows comes from the public API:
 *
 * - the device token: typed into the pairing form, or from a pairing link /kiosk#token=hqd_…
 *   (taken out of the address bar at once, so no server or proxy ever logs it), kept in
 *   localStorage and checked with GET /api/v1/devices/me (a kiosk's token only);
 * - the services and their queues: the Socket.IO snapshot and queue.updated (HallQClient);
 * - the printer: devices/me's status at load, then device.updated; paper_out and offline stop
 *   every ticket (the customer is told why), the other states do not;
 * - a press: POST /api/v1/tickets with an Idempotency-Key, the same key when the press is
 *   retried after a network error, so a retry never makes a second ticket;
 * - print.outcome: a ticket that could not be printed keeps its number on the screen, with
 *   what to do, until someone touches "Done".
 *
 * The screen goes back to its start (home, the hall's first language) after idle_seconds
 * without a touch, and from a ticket after ticket_seconds (devices/me's kiosk settings).
 * window.hallqKiosk exposes its state to the tests.
 */
(function () {
  "use strict";

  var TOKEN_KEY = "hallq.kiosk.token";
  var RETRY_DELAYS = [500, 1000, 2000, 4000]; // ms between tries of one press
  var REQUEST_TIMEOUT = 10000;
  var PAIR_RETRY_MS = 3000;
  var PRINTER_STOPS = {paper_out: true, offline: true};
  var CODE_DIGITS = 6;
  var PIN_DIGITS = 8;
  var OUTCOMES_KEPT = 20;

  // A pairing link's token leaves the address bar before anything else can read or log it.
  var linkToken = HallQPairing.takeTokenFromLink(TOKEN_KEY);

  var t = HallQI18n.t;
  var hall = JSON.parse(document.getElementById("hall-data").textContent);
  var defaultLanguage = hall.languages[0];
  var lang = document.documentElement.lang;

  var kiosk = {
    token: null,
    device: null, // GET /devices/me
    settings: {idle_seconds: 30, ticket_seconds: 8},
    client: null,
    services: null, // the snapshot's services, kept live by HallQClient
    printer: "unknown",
    printerNews: 0, // how many device.updated came (a devices/me answer older than one is stale)
    screen: null,
    busy: false,
    pressing: null, // the service code of the press in flight
    online: true,
    ticket: null, // the ticket on screen: {issued, token, printFailed}
    outcomes: {}, // ticket id -> print.outcome, for an outcome that comes before the answer
    checkinCode: "",
    pin: "",
    presses: 0,
    lastIdempotencyKey: null,
  };
  window.hallqKiosk = kiosk;

  var idleTimer = null;
  var ticketTimer = null;

  function $(id) {
    return document.getElementById(id);
  }

  // --- pairing -----------------------------------------------------------------------------

  var pairing = new HallQPairing({
    kind: "kiosk",
    storageKey: TOKEN_KEY,
    retryMs: PAIR_RETRY_MS,
    api: function (path, token) { return api(path, {token: token}); },
    away: function () {
      setOnline(false);
      if (!kiosk.screen) show("home");
    },
    refused: function (unknownToken) {
      forget();
      showPairing(unknownToken
        ? t("This token is not known: check it, or ask for a new one")
        : t("This token does not belong to a kiosk"));
    },
    paired: function (token, me) {
      kiosk.token = token;
      adopt(me);
      setOnline(true);
      connect(token);
      goHome(true);
    },
    forget: function () { forget(); },
  });

  function adopt(me, printerNews) {
    kiosk.device = me;
    if (me.kiosk) {
      kiosk.settings = {
        idle_seconds: Number(me.kiosk.idle_seconds) || 30,
        ticket_seconds: Number(me.kiosk.ticket_seconds) || 8,
      };
    }
    // A device.updated that came while devices/me was on its way is newer than its answer.
    if (printerNews === undefined || printerNews === kiosk.printerNews) {
      kiosk.printer = (me.status && me.status.status) || "unknown";
    }
    renderPrinter();
  }

  async function refreshDevice() {
    if (!kiosk.token) return;
    var news = kiosk.printerNews;
    try {
      adopt(await api("/api/v1/devices/me"), news);
    } catch (err) {
      // the socket says when the token stops working; a network error changes nothing here
    }
  }

  function forget() {
    window.localStorage.removeItem(TOKEN_KEY);
    kiosk.token = null;
    kiosk.device = null;
    if (kiosk.client) {
      var client = kiosk.client;
      kiosk.client = null;
      client.ended = true; // no "ended" or "offline" from a client we close ourselves
      client.close();
    }
    kiosk.services = null;
  }

  function showPairing(message) {
    clearTimeout(ticketTimer);
    kiosk.ticket = null;
    setOnline(true);
    $("pairing-error").textContent = message || "";
    $("pairing-token").value = "";
    show("pairing");
  }

  // --- the live hall -------------------------------------------------------------------------

  function connect(token) {
    var client = new HallQClient({token: token});
    kiosk.client = client;
    client
      .on("change", function (state) {
        if (client !== kiosk.client) return;
        kiosk.services = state.services;
        renderServices();
        if (kiosk.screen === "ticket") renderTicket();
      })
      .on("state", function (state) {
        if (client !== kiosk.client) return;
        setOnline(true);
        adoptHall(state.hall);
        // After a reconnect the printer may have changed meanwhile.
        refreshDevice();
      })
      .on("offline", function () { if (client === kiosk.client) setOnline(false); })
      .on("error", function () { if (client === kiosk.client) setOnline(false); })
      .on("ended", function () {
        if (client !== kiosk.client) return;
        forget();
        showPairing(t("This kiosk's token stopped working: pair it again"));
      })
      .on("device.updated", function (device) {
        if (client !== kiosk.client || !device || !device.status) return;
        kiosk.printer = device.status.status || "unknown";
        kiosk.printerNews += 1;
        renderPrinter();
      })
      .on("print.outcome", onPrintOutcome)
      .on("hall.updated", function () {
        if (client !== kiosk.client) return;
        client.resync();
        refreshDevice();
      });
    client.connect();
  }

  /* The hall's name as the snapshot says (an administrator may have renamed it). */
  function adoptHall(fresh) {
    if (!fresh || !fresh.name) return;
    var changed = JSON.stringify(fresh.name) !== JSON.stringify(hall.name);
    hall.name = fresh.name;
    if (changed) {
      var name = hall.name[lang] || hall.name[defaultLanguage];
      $("hall-name").textContent = name;
      document.title = name;
    }
  }

  function setOnline(online) {
    kiosk.online = online;
    $("connection").hidden = online;
  }

  function printerProblem() {
    if (kiosk.printer === "paper_out") return t("The printer is out of paper: please ask staff for help");
    if (kiosk.printer === "offline") return t("The printer is not working: please ask staff for help");
    return null;
  }

  function printerStopped() {
    return Object.prototype.hasOwnProperty.call(PRINTER_STOPS, kiosk.printer);
  }

  function printerStateText() {
    switch (kiosk.printer) {
      case "ok": return t("Ready");
      case "paper_near_end": return t("Paper running low");
      case "paper_out": return t("Out of paper");
      case "offline": return t("Not working");
      default: return t("Not known yet");
    }
  }

  function renderPrinter() {
    var problem = printerProblem();
    var box = $("printer-problem");
    box.textContent = problem || "";
    box.hidden = !problem;
    $("staff-printer").textContent = printerStateText();
    renderServices();
    renderCheckin();
  }

  // --- home: the services -----------------------------------------------------------------------

  function nameOf(service) {
    return (service.name && (service.name[lang] || service.name[defaultLanguage])) || service.code;
  }

  function serviceByCode(code) {
    return (kiosk.services || []).find(function (s) { return s.code === code; }) || null;
  }

  function hallDate(offsetDays) {
    // The hall's calendar date (YYYY-MM-DD) today, or offsetDays later.
    var parts = {};
    new Intl.DateTimeFormat("en-CA", {timeZone: hall.timezone, year: "numeric", month: "2-digit", day: "2-digit"})
      .formatToParts(new Date())
      .forEach(function (p) { parts[p.type] = p.value; });
    var day = new Date(Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day) + (offsetDays || 0)));
    return day.toISOString().slice(0, 10);
  }

  function closedReason(service) {
    if (service.closed_reason === "paused") return t("Service paused");
    if (service.closed_reason === "cap") {
      return t("All of today's tickets for this service have been given out");
    }
    var opens = service.opens_at;
    if (service.closed_reason === "hours" && opens) {
      // opens_at is the hall's local time with its offset: its clock time is as written.
      var time = opens.slice(11, 16);
      var day = opens.slice(0, 10);
      if (day === hallDate(0)) return t("Closed now: opens at %(time)s", {time: time});
      if (day === hallDate(1)) return t("Closed now: opens tomorrow at %(time)s", {time: time});
      var when = new Intl.DateTimeFormat(lang, {weekday: "long", month: "long", day: "numeric", timeZone: hall.timezone})
        .format(new Date(opens));
      return t("Closed now: opens %(day)s at %(time)s", {day: when, time: time});
    }
    return t("Closed now");
  }

  function figuresText(service) {
    if (!service.waiting) return t("No one is waiting");
    if (service.eta_minutes === null || service.eta_minutes === undefined) {
      return t("%(count)s waiting, waiting time not known", {count: service.waiting});
    }
    return t("%(count)s waiting, about %(minutes)s min", {count: service.waiting, minutes: service.eta_minutes});
  }

  function renderServices() {
    var box = $("services");
    var stopped = printerStopped();
    $("checkin-open").disabled = stopped || kiosk.busy;
    if (!kiosk.services) return;
    box.setAttribute("aria-busy", "false");
    var loading = box.querySelector("p");
    if (loading) loading.remove();
    var existing = {};
    box.querySelectorAll("button.service").forEach(function (b) { existing[b.dataset.service] = b; });
    kiosk.services.forEach(function (service, i) {
      var button = existing[service.code];
      delete existing[service.code];
      if (!button) {
        button = document.createElement("button");
        button.type = "button";
        button.className = "service";
        button.dataset.service = service.code;
        ["name", "figures", "reason"].forEach(function (part) {
          var span = document.createElement("span");
          span.className = part;
          button.appendChild(span);
        });
        button.addEventListener("click", function () { press(button.dataset.service); });
      }
      if (box.children[i] !== button) box.insertBefore(button, box.children[i] || null);
      button.querySelector(".name").textContent = nameOf(service);
      var figures = button.querySelector(".figures");
      var reason = button.querySelector(".reason");
      if (service.open) {
        figures.textContent = figuresText(service);
        figures.hidden = false;
        reason.textContent = "";
        reason.hidden = true;
      } else {
        figures.textContent = "";
        figures.hidden = true;
        reason.textContent = closedReason(service);
        reason.hidden = false;
      }
      button.classList.toggle("closed", !service.open);
      button.disabled = !service.open || stopped || kiosk.busy;
      if (kiosk.pressing === service.code) button.setAttribute("aria-busy", "true");
      else button.removeAttribute("aria-busy");
    });
    Object.keys(existing).forEach(function (code) { existing[code].remove(); });
  }

  function showHomeError(message) {
    var box = $("home-error");
    box.textContent = message || "";
    box.hidden = !message;
  }

  function refusalText(err) {
    if (err.network) return t("The kiosk cannot reach the server: please try again, or ask staff for help");
    return err.message || t("Something went wrong: please ask staff for help");
  }

  async function press(code) {
    var service = serviceByCode(code);
    if (kiosk.busy || !service || !service.open || printerStopped()) return;
    var key = idempotencyKey();
    kiosk.presses += 1;
    kiosk.lastIdempotencyKey = key;
    setBusy(true, code);
    showHomeError("");
    try {
      var issued = await withRetries(function () {
        return api("/api/v1/tickets", {
          method: "POST",
          body: {service: code, language: lang},
          headers: {"Idempotency-Key": key},
        });
      });
      setBusy(false);
      showTicket(issued);
    } catch (err) {
      setBusy(false);
      showHomeError(refusalText(err));
    }
  }

  function setBusy(busy, code) {
    kiosk.busy = busy;
    kiosk.pressing = busy ? code || null : null;
    renderServices();
    renderCheckin();
    renderPin();
  }

  // --- the ticket -------------------------------------------------------------------------------

  function statusToken(statusUrl) {
    var path = new URL(statusUrl, window.location.href).pathname;
    return decodeURIComponent(path.split("/").filter(Boolean).pop() || "");
  }

  function showTicket(issued) {
    kiosk.ticket = {issued: issued, token: statusToken(issued.status_url), printFailed: null};
    $("ticket-qr").src = "/t/" + encodeURIComponent(kiosk.ticket.token) + "/qr.svg";
    var early = kiosk.outcomes[issued.id];
    if (early && !early.ok) kiosk.ticket.printFailed = early.reason || "failed";
    renderTicket();
    show("ticket");
    if (!kiosk.ticket.printFailed) startTicketTimer();
  }

  function startTicketTimer() {
    clearTimeout(ticketTimer);
    ticketTimer = setTimeout(function () {
      if (kiosk.screen === "ticket" && kiosk.ticket && !kiosk.ticket.printFailed) goHome(true);
    }, kiosk.settings.ticket_seconds * 1000);
  }

  function renderTicket() {
    var ticket = kiosk.ticket;
    if (!ticket) return;
    var issued = ticket.issued;
    var service = serviceByCode(issued.service);
    $("ticket-number").textContent = issued.number;
    $("ticket-service").textContent = service ? nameOf(service) : issued.service;
    var ahead = $("ticket-ahead");
    ahead.hidden = issued.ahead === null || issued.ahead === undefined;
    ahead.textContent = issued.ahead === 0 ? t("You are next") : t("%(count)s people ahead", {count: issued.ahead});
    $("ticket-eta").textContent = issued.eta_minutes === null || issued.eta_minutes === undefined
      ? t("The waiting time is not known yet")
      : t("Estimated wait %(minutes)s min", {minutes: issued.eta_minutes});
    var failed = $("ticket-print-failed");
    if (ticket.printFailed) {
      failed.textContent = ticket.printFailed === "too_old"
        ? t("The ticket could not be printed in time: please note your number and ask at the desk")
        : t("The ticket could not be printed: please note your number, or ask staff to reprint it");
    }
    failed.hidden = !ticket.printFailed;
    $("ticket-take").hidden = Boolean(ticket.printFailed);
    var documents = (service && service.documents && service.documents[lang]) ||
      (issued.language === lang ? issued.documents : null) || [];
    var list = $("ticket-documents").querySelector("ul");
    list.textContent = "";
    documents.forEach(function (doc) {
      var li = document.createElement("li");
      li.textContent = doc;
      list.appendChild(li);
    });
    $("ticket-documents").hidden = documents.length === 0;
  }

  function onPrintOutcome(outcome) {
    if (!outcome || outcome.ticket_id === null || outcome.ticket_id === undefined) return;
    kiosk.outcomes[outcome.ticket_id] = outcome;
    var ids = Object.keys(kiosk.outcomes);
    if (ids.length > OUTCOMES_KEPT) delete kiosk.outcomes[ids[0]];
    var ticket = kiosk.ticket;
    if (!ticket || kiosk.screen !== "ticket" || ticket.issued.id !== outcome.ticket_id) return;
    if (!outcome.ok) {
      // Keep the number and the QR code on the screen until someone touches "Done".
      ticket.printFailed = outcome.reason || "failed";
      clearTimeout(ticketTimer);
    } else if (ticket.printFailed) {
      ticket.printFailed = null; // printed after all (staff reprinted it)
      startTicketTimer();
    }
    renderTicket();
  }

  $("ticket-done").addEventListener("click", function () { goHome(true); });

  // --- keypads: booking code and staff PIN ----------------------------------------------------------

  function keypad(name, onKey) {
    $(name + "-keys").addEventListener("click", function (event) {
      var key = event.target.closest("button[data-key]");
      if (key) onKey(key.dataset.key);
    });
  }

  function typed(value, key, max) {
    if (key === "back") return value.slice(0, -1);
    if (key === "clear") return "";
    if (/^[0-9]$/.test(key) && value.length < max) return value + key;
    return value;
  }

  function renderSlots(box, count, filled, show) {
    box.textContent = "";
    for (var i = 0; i < count; i++) {
      var slot = document.createElement("span");
      if (i < filled.length) {
        if (show) slot.textContent = filled[i];
        else slot.className = "dot";
      }
      box.appendChild(slot);
    }
  }

  function renderCheckin() {
    var code = kiosk.checkinCode;
    renderSlots($("checkin-display"), CODE_DIGITS, code, true);
    $("checkin-typed").textContent = code ? t("Typed: %(digits)s", {digits: code.split("").join(" ")}) : "";
    $("checkin-submit").disabled = code.length !== CODE_DIGITS || kiosk.busy || printerStopped();
  }

  function showError(id, message) {
    $(id).textContent = message || "";
    $(id).hidden = !message;
  }

  function openCheckin() {
    if (kiosk.busy || printerStopped()) return;
    kiosk.checkinCode = "";
    showError("checkin-error", "");
    renderCheckin();
    show("checkin");
  }

  keypad("checkin", function (key) {
    kiosk.checkinCode = typed(kiosk.checkinCode, key, CODE_DIGITS);
    showError("checkin-error", "");
    renderCheckin();
  });

  async function submitCheckin() {
    if (kiosk.busy || kiosk.checkinCode.length !== CODE_DIGITS || printerStopped()) return;
    setBusy(true);
    try {
      var issued = await api("/api/v1/appointments/check-in", {
        method: "POST",
        body: {code: kiosk.checkinCode, language: lang},
      });
      setBusy(false);
      kiosk.checkinCode = "";
      showTicket(issued);
    } catch (err) {
      setBusy(false);
      showError("checkin-error", refusalText(err));
    }
  }

  $("checkin-open").addEventListener("click", openCheckin);
  $("checkin-cancel").addEventListener("click", function () { goHome(false); });
  $("checkin-submit").addEventListener("click", submitCheckin);

  function renderPin() {
    var pin = kiosk.pin;
    renderSlots($("pin-display"), Math.max(4, pin.length), pin, false);
    $("pin-typed").textContent = pin ? t("%(count)s digits typed", {count: pin.length}) : "";
    $("pin-submit").disabled = pin.length === 0 || kiosk.busy;
  }

  function openPin() {
    kiosk.pin = "";
    showError("pin-error", "");
    renderPin();
    show("pin");
  }

  keypad("pin", function (key) {
    kiosk.pin = typed(kiosk.pin, key, PIN_DIGITS);
    showError("pin-error", "");
    renderPin();
  });

  async function submitPin() {
    if (kiosk.busy || !kiosk.pin) return;
    var pin = kiosk.pin;
    kiosk.pin = "";
    setBusy(true);
    try {
      await api("/api/v1/devices/me/unlock", {method: "POST", body: {pin: pin}});
      setBusy(false);
      openStaff();
    } catch (err) {
      setBusy(false);
      showError("pin-error", refusalText(err));
    }
  }

  $("staff-open").addEventListener("click", openPin);
  $("pin-cancel").addEventListener("click", function () { goHome(false); });
  $("pin-submit").addEventListener("click", submitPin);

  // A keyboard works too: digits, Backspace, Enter and Escape on the keypad screens.
  document.addEventListener("keydown", function (event) {
    var screen = kiosk.screen;
    if (screen !== "checkin" && screen !== "pin") return;
    var onButton = event.target && event.target.closest && event.target.closest("button");
    var key = null;
    if (/^[0-9]$/.test(event.key)) key = event.key;
    else if (event.key === "Backspace") key = "back";
    else if (event.key === "Escape") return goHome(false);
    else if (event.key === "Enter" && !onButton) {
      event.preventDefault();
      return screen === "checkin" ? submitCheckin() : submitPin();
    }
    if (key === null) return;
    event.preventDefault();
    if (screen === "checkin") {
      kiosk.checkinCode = typed(kiosk.checkinCode, key, CODE_DIGITS);
      showError("checkin-error", "");
      renderCheckin();
    } else {
      kiosk.pin = typed(kiosk.pin, key, PIN_DIGITS);
      showError("pin-error", "");
      renderPin();
    }
  });

  // --- staff settings ---------------------------------------------------------------------------------

  function openStaff() {
    $("staff-device").textContent = kiosk.device ? kiosk.device.name : "";
    $("staff-printer").textContent = printerStateText();
    show("staff");
  }

  $("staff-close").addEventListener("click", function () { goHome(true); });
  $("staff-reload").addEventListener("click", function () { window.location.reload(); });
  $("staff-leave").addEventListener("click", function () { window.location.assign("/"); });
  $("staff-unpair").addEventListener("click", function () {
    forget();
    showPairing("");
  });

  // --- screens, language, idle ---------------------------------------------------------------------------

  var SCREENS = ["pairing", "home", "ticket", "checkin", "pin", "staff"];

  function show(name) {
    var changed = kiosk.screen !== name;
    kiosk.screen = name;
    SCREENS.forEach(function (id) { $(id).hidden = id !== name; });
    $("languages").hidden = false;
    $("staff-open").hidden = name === "pairing" || name === "pin" || name === "staff";
    if (name !== "ticket") clearTimeout(ticketTimer);
    if (changed) {
      var heading = $(name).querySelector("h2");
      heading.setAttribute("tabindex", "-1");
      heading.focus({preventScroll: true});
      window.scrollTo(0, 0);
    }
    resetIdle();
  }

  function goHome(freshStart) {
    clearTimeout(ticketTimer);
    kiosk.ticket = null;
    kiosk.checkinCode = "";
    kiosk.pin = "";
    showHomeError("");
    if (!kiosk.token) {
      showPairing("");
      return;
    }
    show("home");
    if (freshStart && lang !== defaultLanguage) setLanguage(defaultLanguage);
  }

  async function setLanguage(code) {
    try {
      await HallQI18n.load(code);
    } catch (err) {
      return; // the catalog did not come: stay in the language on screen
    }
    lang = HallQI18n.language;
    renderLanguage();
  }

  function renderLanguage() {
    HallQI18n.apply(document);
    var name = hall.name[lang] || hall.name[defaultLanguage];
    $("hall-name").textContent = name;
    document.title = name;
    document.querySelectorAll("#languages .lang").forEach(function (b) {
      b.setAttribute("aria-pressed", String(b.dataset.lang === lang));
    });
    renderServices();
    renderPrinter();
    renderTicket();
    renderCheckin();
    renderPin();
    if (kiosk.screen === "staff") openStaff();
  }

  $("languages").addEventListener("click", function (event) {
    var button = event.target.closest("button[data-lang]");
    if (button) setLanguage(button.dataset.lang);
  });

  function onIdle() {
    var screen = kiosk.screen;
    // A ticket has its own timer; one that could not be printed stays until it is touched.
    if (!kiosk.token || screen === "pairing" || screen === "ticket" || kiosk.busy) {
      if (kiosk.busy) resetIdle();
      return;
    }
    if (screen !== "home" || lang !== defaultLanguage) goHome(true);
    else showHomeError("");
  }

  function resetIdle() {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(onIdle, kiosk.settings.idle_seconds * 1000);
  }

  ["pointerdown", "keydown", "input"].forEach(function (name) {
    document.addEventListener(name, resetIdle, true);
  });

  // --- the REST API ------------------------------------------------------------------------------

  function idempotencyKey() {
    // crypto.getRandomValues works on plain http too (a hall's LAN), randomUUID does not.
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return "kiosk-" + Array.prototype.map.call(bytes, function (b) {
      return (b < 16 ? "0" : "") + b.toString(16);
    }).join("");
  }

  /* HallQClient.api with the extra headers a press needs (Idempotency-Key), a time limit,
     and errors that say whether the request may be tried again. */
  async function api(path, options) {
    options = options || {};
    var headers = {"Accept": "application/json", "Accept-Language": lang};
    var token = options.token || kiosk.token;
    if (token) headers["Authorization"] = "Bearer " + token;
    if (options.body !== undefined) headers["Content-Type"] = "application/json";
    Object.assign(headers, options.headers || {});
    var controller = new AbortController();
    var timer = setTimeout(function () { controller.abort(); }, REQUEST_TIMEOUT);
    var response;
    try {
      response = await window.fetch(path, {
        method: options.method || "GET",
        headers: headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        cache: "no-store",
        credentials: "omit",
        signal: controller.signal,
      });
    } catch (err) {
      var lost = new Error(err.message);
      lost.network = true;
      throw lost;
    } finally {
      clearTimeout(timer);
    }
    var body = null;
    if (response.status !== 204) {
      try {
        body = await response.json();
      } catch (err) {
        body = null;
      }
    }
    if (!response.ok) throw HallQClient.failure(response, body);
    return body;
  }

  async function withRetries(attempt) {
    for (var i = 0; ; i++) {
      try {
        return await attempt();
      } catch (err) {
        if (!(err.network || err.retry) || i >= RETRY_DELAYS.length) throw err;
        await new Promise(function (resolve) { setTimeout(resolve, RETRY_DELAYS[i]); });
      }
    }
  }

  // --- start ---------------------------------------------------------------------------------------------

  HallQI18n.load(defaultLanguage)
    .catch(function () { return null; })
    .then(function () {
      lang = HallQI18n.language;
      renderLanguage();
      var token = linkToken || window.localStorage.getItem(TOKEN_KEY);
      if (token) pairing.pair(token);
      else showPairing("");
    });
})();
