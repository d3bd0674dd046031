/*
 * The customer's page of one ticket (/t/<token>, the QR code on the ticket): its number, its
 * state, the people ahead and the estimated wait, live.
 *
 * The server renders the whole page, so it works without JavaScript. This script:
 * - shows it in the ticket's own language (the one chosen at the kiosk) unless the address
 *   names one (?lang=, the language links);
 * - joins the Socket.IO namespace /hall with the ticket's status token (auth: {ticket}), which
 *   hears only this ticket's changes (ticket.status) and hints that its queue moved
 *   (queue.moved); on either it reads the ticket's place again from
 *   GET /api/v1/tickets/<id>?token=<token> (after a random 0-2 s for a hint, so that a call
 *   does not bring every phone of the queue at the same instant);
 * - says very visibly "Please go to window N" when the ticket is called.
 * It shows nothing about anyone else. window.hallqTicket exposes its state to the tests.
 */
(function () {
  "use strict";

  var JITTER_MS = 2000;
  var POLL_MS = 30000; // only while the socket is down
  var FINAL = {done: true, cancelled: true};

  var t = HallQI18n.t;
  var data = JSON.parse(document.getElementById("ticket-data").textContent);
  var ticket = data.ticket;
  var token = decodeURIComponent(window.location.pathname.split("/").filter(Boolean).pop() || "");
  var explicit = new URLSearchParams(window.location.search).get("lang");
  var lang = document.documentElement.lang;
  var page = {ticket: ticket, lang: lang, refreshes: 0, online: false, connected: false, socket: null};
  window.hallqTicket = page;

  var pending = null;

  function $(id) {
    return document.getElementById(id);
  }

  function testid(name) {
    return document.querySelector('[data-testid="' + name + '"]');
  }

  function statusText(tk) {
    switch (tk.status) {
      case "waiting": return t("Waiting");
      case "called": return t("Please go to window %(number)s", {number: tk.counter});
      case "serving": return t("Being served at window %(number)s", {number: tk.counter});
      case "done": return t("Served");
      case "no_show": return t("Missed: please ask at the reception");
      default: return t("Cancelled");
    }
  }

  function render() {
    var tk = page.ticket;
    var hallName = data.hall_name[lang] || "";
    $("hall-name").textContent = hallName;
    $("service-name").textContent = (data.service_name && data.service_name[lang]) || tk.service;
    testid("number").textContent = tk.number;
    testid("status").textContent = statusText(tk);
    var called = $("called");
    if (tk.status === "called") {
      var text = t("Please go to window %(number)s", {number: tk.counter});
      if (called.hidden || called.textContent !== text) called.textContent = text;
      called.hidden = false;
      document.title = text;
    } else {
      called.hidden = true;
      called.textContent = "";
      document.title = t("Ticket %(number)s", {number: tk.number});
    }
    var waiting = tk.status === "waiting" && tk.position;
    document.querySelectorAll(".place").forEach(function (el) { el.hidden = !waiting; });
    testid("ahead").textContent = waiting ? t("%(count)s people ahead", {count: tk.ahead}) : "";
    testid("eta").textContent = !waiting ? "" : tk.eta_minutes === null || tk.eta_minutes === undefined
      ? t("No window is open for this service yet")
      : t("Estimated wait %(minutes)s min", {minutes: tk.eta_minutes});
    var docs = (data.documents && data.documents[lang]) || [];
    var list = $("documents").querySelector("ul");
    list.textContent = "";
    docs.forEach(function (doc) {
      var li = document.createElement("li");
      li.textContent = doc;
      list.appendChild(li);
    });
    $("documents").hidden = docs.length === 0;
    var missing = tk.missing_documents || [];
    var missingList = $("missing").querySelector("ul");
    missingList.textContent = "";
    missing.forEach(function (doc) {
      var li = document.createElement("li");
      li.textContent = doc;
      missingList.appendChild(li);
    });
    $("missing").hidden = missing.length === 0;
    var live = $("live");
    live.hidden = FINAL[tk.status] === true;
    live.textContent = page.online ? t("Live") : page.connected ? t("Reconnecting…") : t("Connecting…");
    document.querySelectorAll("nav.lang a[lang]").forEach(function (a) {
      if (a.getAttribute("lang") === lang) a.setAttribute("aria-current", "true");
      else a.removeAttribute("aria-current");
    });
  }

  function update(fresh) {
    var before = page.ticket;
    if (fresh.service !== before.service) {
      // Transferred to another service: the server renders its name and documents.
      window.location.reload();
      return;
    }
    var becameCalled = fresh.status === "called" &&
      (before.status !== "called" || fresh.call_count !== before.call_count);
    var merged = Object.assign({}, before, fresh);
    if (fresh.status !== "waiting") {
      merged.position = null;
      merged.ahead = null;
      merged.eta_minutes = null;
    }
    page.ticket = merged;
    render();
    if (becameCalled) attention();
  }

  function attention() {
    var called = $("called");
    called.classList.remove("flash");
    void called.offsetWidth; // restart the animation
    called.classList.add("flash");
    if (navigator.vibrate) {
      try {
        navigator.vibrate([300, 150, 300]);
      } catch (err) {
        // not allowed before the customer touched the page: the banner says it anyway
      }
    }
  }

  async function refresh() {
    pending = null;
    page.refreshes += 1;
    try {
      var response = await fetch(
        "/api/v1/tickets/" + encodeURIComponent(page.ticket.id) + "?token=" + encodeURIComponent(token),
        {headers: {"Accept": "application/json", "Accept-Language": lang}, cache: "no-store", credentials: "omit"}
      );
      if (!response.ok) return;
      update(await response.json());
    } catch (err) {
      // offline for a moment: the next hint, reconnect or poll tries again
    }
  }

  function refreshSoon() {
    if (pending !== null) return;
    pending = setTimeout(refresh, Math.random() * JITTER_MS);
  }

  function connect() {
    if (typeof window.io !== "function") return;
    var socket = window.io("/hall", {
      auth: {ticket: token},
      transports: ["websocket"],
      reconnectionDelayMax: 10000,
    });
    page.socket = socket;
    socket.on("connect", function () {
      page.online = page.connected = true;
      render();
    });
    socket.on("disconnect", function () {
      page.online = false;
      render();
    });
    socket.on("connect_error", function (err) {
      page.online = false;
      render();
      if (err && err.data && err.data.code === "unknown_ticket") socket.close();
    });
    socket.on("ticket.status", function (message) {
      if (!message || !message.ticket || message.ticket.id !== page.ticket.id) return;
      update(message.ticket);
      // The place and the estimate come with a read, and so does what the clerk found
      // missing of the documents; a call or an end needs none.
      if (message.ticket.status === "waiting" || message.move === "documents") refresh();
      if (FINAL[message.ticket.status]) socket.close();
    });
    socket.on("queue.moved", function () {
      if (page.ticket.status === "waiting") refreshSoon();
    });
    setInterval(function () {
      if (!page.online && !FINAL[page.ticket.status]) refresh();
    }, POLL_MS);
  }

  var wanted = explicit ? lang : ticket.language || lang;
  HallQI18n.load(wanted)
    .catch(function () { return HallQI18n.load(lang); })
    .then(function () {
      lang = page.lang = HallQI18n.language;
      HallQI18n.apply(document);
      render();
      if (!FINAL[ticket.status]) connect();
    })
    .catch(function () {
      if (!FINAL[ticket.status]) connect();
    });
})();
