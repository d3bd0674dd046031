/*
 * The supervisor's dashboard (/office): sign in, then watch the hall and act on it.
 *
 * Needs the back office's shell loaded first (office/base.html: socket.io.min.js, i18n.js,
 * hallq-client.js, office-session.js). Signing in is the shell's (HallQOffice): this page starts
 * once a supervisor or an administrator is signed in, and forgets everything when signed out.
 * Everything it knows comes from the public API:
 *
 * - live: the hall's snapshot and deltas (HallQClient): waiting counts, whether a service takes
 *   tickets, each window's state, clerk and number are drawn from them as they come;
 * - GET /api/v1/dashboard: longest waits, current tickets' times, devices, today's totals; read
 *   again (debounced) after deltas and every 30 seconds, since waits grow with time;
 * - GET /api/v1/alerts: the same; a server without it shows a quiet note instead.
 *
 * One action at a time: every action button is disabled while a request is in flight, so a
 * double click acts once. Dialogs are <dialog>s: Escape closes them, and the focus goes back
 * to the button that opened them. window.hallqOffice exposes the page's state to the tests.
 */
(function () {
  "use strict";

  var office = HallQOffice;
  var t = HallQI18n.t;
  var parse = HallQClient.instant;
  var duration = HallQClient.duration;
  var reasonText = HallQPauseReason; // pause-reasons.js
  var REFRESH_MS = 250; // deltas come in bursts: one read for a burst
  var ALERTS_MS = 1000;
  var POLL_MS = 30000;
  var TICK_MS = 1000;
  var NUMBER = /^[A-Za-z][0-9]{3,}$/;

  var hall = office.hall;
  var lang = office.lang;

  var page = {
    token: null,
    name: null,
    screen: null,
    client: null,
    dash: null, // the last GET /dashboard
    offset: 0, // the server's clock minus this one's, in ms
    alerts: null, // the last GET /alerts (its list), or null
    alertsMissing: false, // the server has no /alerts
    loads: 0, // dashboard reads done
    alertLoads: 0,
    renders: 0,
    busy: false,
    online: true,
  };
  window.hallqOffice = page;

  function $(id) {
    return document.getElementById(id);
  }

  function setText(el, text) {
    if (el.textContent !== text) el.textContent = text;
  }

  var nameOf = office.nameOf;
  var message = office.message;
  var api = office.api;

  function liveState() {
    return page.client && page.client.state;
  }

  function serviceName(code) {
    var state = liveState();
    var found = state && state.services.find(function (s) { return s.code === code; });
    return found ? nameOf(found) : code;
  }

  // --- time ------------------------------------------------------------------------------------

  function serverNow() {
    return Date.now() + page.offset;
  }

  function minutes(seconds) {
    return t("%(minutes)s min", {minutes: Math.floor(seconds / 60)});
  }

  function clockTime(iso) {
    var at = parse(iso);
    if (at === null) return "";
    try {
      return new Date(at).toLocaleTimeString(lang, {
        hour: "2-digit", minute: "2-digit", hour12: false, timeZone: hall.timezone,
      });
    } catch (err) {
      return new Date(at).toLocaleTimeString();
    }
  }

  // --- signed in and out ----------------------------------------------------------------------

  var REFUSED = office.refusal;

  function signedIn(who) {
    page.token = who.token;
    page.name = who.name;
    page.screen = "board";
    connect();
    readDashboard();
    readAlerts();
  }

  /* Signed out, or the session ended: nothing of the hall stays on the page. */
  function forgotten() {
    page.screen = "signin";
    page.token = null;
    page.dash = null;
    page.alerts = null;
    if (page.client) {
      var client = page.client;
      page.client = null;
      client.ended = true; // closed on purpose: no "offline" from it
      client.close();
    }
    $("service-rows").textContent = "";
    $("window-rows").textContent = "";
    $("alert-list").textContent = "";
    $("device-list").textContent = "";
    setOnline(true);
  }

  function forget(text) {
    office.forget(text);
  }

  // --- reads ----------------------------------------------------------------------------------------

  var dashTimer = null;
  var dashLoading = null;
  var dashAgain = false;

  function scheduleDashboard() {
    if (page.screen !== "board" || dashTimer) return;
    dashTimer = setTimeout(function () {
      dashTimer = null;
      readDashboard();
    }, REFRESH_MS);
  }

  /* One read at a time; a call during a read asks for one more after it. */
  function readDashboard() {
    if (dashLoading) {
      dashAgain = true;
      return dashLoading;
    }
    dashLoading = (async function () {
      do {
        dashAgain = false;
        if (!page.token) return;
        try {
          var asked = Date.now();
          var dash = await api("/api/v1/dashboard");
          if (!page.token) return;
          // The server's clock, give or take half the round trip: timers run from its times.
          page.offset = parse(dash.at) - (asked + Date.now()) / 2;
          page.dash = dash;
          page.loads += 1;
          render();
        } catch (err) {
          // A role taken away meanwhile: the page shows nothing more.
          if (err.status === 403 && err.code === "role_not_allowed") forget(REFUSED());
          else if (err.status !== 401) $("action-error").textContent = message(err);
          return;
        }
      } while (dashAgain);
    })().finally(function () {
      dashLoading = null;
    });
    return dashLoading;
  }

  var alertsTimer = null;

  function scheduleAlerts() {
    if (page.screen !== "board" || alertsTimer) return;
    alertsTimer = setTimeout(function () {
      alertsTimer = null;
      readAlerts();
    }, ALERTS_MS);
  }

  async function readAlerts() {
    if (!page.token) return;
    try {
      var body = await api("/api/v1/alerts");
      page.alerts = body.alerts || [];
      page.alertsMissing = false;
    } catch (err) {
      if (err.status === 404 && err.code === "not_found") {
        page.alerts = null;
        page.alertsMissing = true; // a server without alerts: no alerts, and a quiet note
      } else {
        return; // the next delta or poll tries again; the list shown stays
      }
    }
    page.alertLoads += 1;
    renderAlerts();
  }

  // --- rendering ------------------------------------------------------------------------------------

  function render() {
    if (page.screen !== "board") return;
    page.renders += 1;
    renderDay();
    renderServices();
    renderWindows();
    renderToday();
    renderDevices();
    updateButtons();
  }

  function renderDay() {
    var dash = page.dash;
    setText($("board-day"), dash ? t("Business day %(day)s", {day: dash.business_day}) : "");
  }

  /* A row per key, made once and updated in place, so a focused button keeps its focus. */
  function rowFor(body, key, make) {
    var row = body.querySelector('tr[data-key="' + key + '"]');
    if (!row) {
      row = make();
      row.dataset.key = key;
    }
    return row;
  }

  function cell(tag, className) {
    var el = document.createElement(tag);
    if (className) el.className = className;
    return el;
  }

  function dashService(code) {
    return page.dash && page.dash.services.find(function (s) { return s.code === code; });
  }

  /* Paused by a supervisor: the snapshot's figures say so at once (queue.updated). */
  function isPaused(service) {
    return service.closed_reason === "paused";
  }

  function renderServices() {
    var state = liveState();
    if (!state) return;
    var body = $("service-rows");
    var order = [];
    state.services.forEach(function (s) {
      var row = rowFor(body, s.code, function () {
        var tr = document.createElement("tr");
        var name = cell("th");
        name.scope = "row";
        tr.appendChild(name);
        tr.appendChild(cell("td", "num waiting"));
        tr.appendChild(cell("td", "num longest"));
        tr.appendChild(cell("td", "num target"));
        tr.appendChild(cell("td", "taking"));
        var act = cell("td", "row-actions");
        var pause = document.createElement("button");
        pause.type = "button";
        pause.className = "pause-service";
        pause.dataset.act = "pause";
        pause.setAttribute("aria-haspopup", "dialog");
        pause.addEventListener("click", function () { openPause(s.code, pause); });
        var reopen = document.createElement("button");
        reopen.type = "button";
        reopen.className = "reopen-service";
        reopen.dataset.act = "reopen";
        reopen.addEventListener("click", function () { reopenService(s.code, reopen); });
        act.appendChild(pause);
        act.appendChild(reopen);
        tr.appendChild(act);
        return tr;
      });
      row.dataset.service = s.code;
      var cells = row.children;
      setText(cells[0], nameOf(s));
      setText(cells[1], String(s.waiting));
      var target = (dashService(s.code) || {}).target_wait || s.target_wait;
      setText(cells[3], t("%(minutes)s min", {minutes: target}));
      var paused = isPaused(s);
      var known = dashService(s.code);
      var taking;
      if (paused) {
        // The reason and the time from the last read, once it has the pause.
        var why = known && known.paused ? known.paused_reason : null;
        var since = known && known.paused ? known.paused_since : null;
        if (why && since) taking = t("Paused: %(reason)s, since %(time)s", {reason: why, time: clockTime(since)});
        else if (why) taking = t("Paused: %(reason)s", {reason: why});
        else taking = t("Paused");
      } else if (s.open) {
        taking = t("Yes");
      } else if (s.closed_reason === "cap") {
        taking = t("No: the day's tickets are all issued");
      } else {
        taking = t("No: outside opening hours");
      }
      setText(cells[4], taking);
      cells[4].classList.toggle("warn", paused);
      var pause = cells[5].querySelector(".pause-service");
      var reopen = cells[5].querySelector(".reopen-service");
      setText(pause, t("Pause…"));
      pause.setAttribute("aria-label", t("Pause %(service)s…", {service: nameOf(s)}));
      setText(reopen, t("Reopen"));
      reopen.setAttribute("aria-label", t("Reopen %(service)s", {service: nameOf(s)}));
      var focused = document.activeElement;
      pause.hidden = paused;
      reopen.hidden = !paused;
      // The button that took the other's place keeps the keyboard's place.
      if (paused && focused === pause) reopen.focus();
      if (!paused && focused === reopen) pause.focus();
      order.push(row);
    });
    place(body, order);
    renderWaits();
  }

  /* Rows in the snapshot's order; rows of services or windows no longer there go. */
  function place(body, rows) {
    rows.forEach(function (row, i) {
      if (body.children[i] !== row) body.insertBefore(row, body.children[i] || null);
    });
    while (body.children.length > rows.length) body.removeChild(body.lastChild);
  }

  /* The longest waits, from the oldest waiting ticket's time: they grow every second. */
  function renderWaits() {
    var state = liveState();
    if (!state) return;
    var now = serverNow();
    state.services.forEach(function (s) {
      var row = $("service-rows").querySelector('tr[data-key="' + s.code + '"]');
      if (!row) return;
      var known = dashService(s.code);
      var since = known && s.waiting > 0 ? parse(known.oldest_queued_at) : null;
      var longest = row.children[2];
      var over = false;
      if (since === null) {
        setText(longest, "—");
      } else {
        var seconds = Math.max(0, (now - since) / 1000);
        over = seconds > known.target_wait * 60;
        setText(longest, over
          ? t("%(minutes)s min: over target", {minutes: Math.floor(seconds / 60)})
          : minutes(seconds));
      }
      row.classList.toggle("over", over);
    });
  }

  var STATES = {
    "closed": function () { return t("Closed"); },
    "open": function () { return t("Open"); },
    "serving": function () { return t("Serving"); },
    "paused": function () { return t("Paused"); },
  };

  function dashCounter(number) {
    return page.dash && page.dash.counters.find(function (c) { return c.number === number; });
  }

  /* The window's current ticket as the last read knows it, if it is still the one there. */
  function currentOf(counter) {
    var known = dashCounter(counter.number);
    var current = known && known.current;
    return current && current.number === counter.current_ticket ? current : null;
  }

  function windowName(c) {
    var label = t("Window %(number)s", {number: c.number});
    return c.label ? label + " · " + c.label : label;
  }

  function renderWindows() {
    var state = liveState();
    if (!state) return;
    var body = $("window-rows");
    var order = [];
    state.counters.slice().sort(function (a, b) { return a.number - b.number; }).forEach(function (c) {
      var row = rowFor(body, String(c.number), function () {
        var tr = document.createElement("tr");
        var name = cell("th");
        name.scope = "row";
        tr.appendChild(name);
        tr.appendChild(cell("td", "state"));
        tr.appendChild(cell("td", "clerk"));
        tr.appendChild(cell("td", "ticket"));
        var timer = cell("td", "num timer");
        timer.setAttribute("role", "timer");
        timer.setAttribute("aria-live", "off");
        tr.appendChild(timer);
        tr.appendChild(cell("td", "device"));
        var act = cell("td", "row-actions");
        var move = document.createElement("button");
        move.type = "button";
        move.className = "move-ticket";
        move.dataset.act = "move";
        move.setAttribute("aria-haspopup", "dialog");
        move.addEventListener("click", function () { openMove(c.number, move); });
        act.appendChild(move);
        tr.appendChild(act);
        return tr;
      });
      row.dataset.window = String(c.number);
      row.dataset.state = c.state;
      var cells = row.children;
      setText(cells[0], windowName(c));
      var current = currentOf(c);
      var stateText = (STATES[c.state] || function () { return c.state; })();
      if (c.state === "paused") {
        stateText = c.since
          ? t("Paused: %(reason)s, since %(time)s", {reason: reasonText(c.pause_reason), time: clockTime(c.since)})
          : t("Paused: %(reason)s", {reason: reasonText(c.pause_reason)});
      } else if (c.current_ticket && current && current.status === "called") {
        stateText = t("Calling");
      } else if (c.current_ticket) {
        stateText = t("Serving");
      }
      setText(cells[1], stateText);
      cells[1].classList.toggle("warn", c.state === "paused");
      setText(cells[2], c.clerk || "—");
      var ticketText = "—";
      if (c.current_ticket) {
        ticketText = c.current_ticket;
        if (current) {
          ticketText += " · " + serviceName(current.service);
          if (current.priority === "priority") ticketText += " · " + t("Green channel");
          else if (current.priority === "appointment") ticketText += " · " + t("Appointment");
        }
      }
      setText(cells[3], ticketText);
      cells[3].dataset.number = c.current_ticket || "";
      renderDevice(cells[5], c.number);
      var move = cells[6].querySelector(".move-ticket");
      setText(move, t("Move…"));
      move.setAttribute("aria-label", c.current_ticket
        ? t("Move %(number)s to another service…", {number: c.current_ticket})
        : t("Move the ticket at window %(number)s…", {number: c.number}));
      move.dataset.ready = c.current_ticket ? "1" : "";
      order.push(row);
    });
    place(body, order);
    renderTimers();
  }

  /* How long the window's ticket has been served (or called), or the window paused. */
  function renderTimers() {
    var state = liveState();
    if (!state) return;
    var now = serverNow();
    state.counters.forEach(function (c) {
      var row = $("window-rows").querySelector('tr[data-key="' + c.number + '"]');
      if (!row) return;
      var current = currentOf(c);
      var from = null;
      if (c.current_ticket && current) from = parse(current.started_at || current.called_at);
      else if (c.state === "paused") from = parse(c.since);
      setText(row.children[4], from === null ? "" : duration(now - from));
    });
  }

  var DEVICE_STATES = {
    "ok": function () { return t("Working"); },
    "offline": function () { return t("Offline"); },
    "paper_out": function () { return t("Out of paper"); },
    "paper_near_end": function () { return t("Paper running out"); },
    "pad_offline": function () { return t("Pad offline"); },
    "sign_offline": function () { return t("Sign offline"); },
    "unknown": function () { return t("State unknown"); },
  };

  var AGENT_GONE = "agent disconnected"; // what the server records when the agent leaves

  function deviceText(device) {
    if (!device.status) return t("Not connected yet");
    if (device.kind === "kiosk" && device.status === "offline" && device.detail !== AGENT_GONE) {
      return t("Printer offline"); // the kiosk is there; its printer does not answer
    }
    var known = DEVICE_STATES[device.status];
    return known ? known() : device.status;
  }

  /* A device that never connected is not a fault (a window not in use); one that reported
     anything but "ok" is. */
  function faulty(device) {
    return Boolean(device.status) && device.status !== "ok";
  }

  function deviceLine(device) {
    return t("%(device)s: %(state)s", {device: device.name, state: deviceText(device)});
  }

  function renderDevice(td, number) {
    var devices = page.dash
      ? page.dash.devices.filter(function (d) { return d.counter === number; })
      : [];
    var text = devices.length ? devices.map(deviceLine).join("; ") : "—";
    setText(td, text);
    td.classList.toggle("bad", devices.some(faulty));
  }

  function renderDevices() {
    var list = $("device-list");
    list.textContent = "";
    if (!page.dash) return;
    page.dash.devices.filter(function (d) { return d.counter === null; }).forEach(function (d) {
      var li = document.createElement("li");
      li.textContent = deviceLine(d);
      if (faulty(d)) li.className = "bad";
      list.appendChild(li);
    });
  }

  function renderToday() {
    var today = page.dash && page.dash.today;
    if (!today) return;
    setText($("today-issued"), String(today.issued));
    setText($("today-served"), String(today.served));
    setText($("today-waiting"), String(today.waiting));
    setText($("today-no-show"), String(today.no_show));
    setText($("today-cancelled"), String(today.cancelled));
    setText($("today-mean-wait"), today.mean_wait_s === null ? "—" : minutes(today.mean_wait_s));
  }

  var ALERT_KINDS = {
    "wait_over_target": function () { return t("Wait over target"); },
    "paper_out": function () { return t("Printer out of paper"); },
    "printer_offline": function () { return t("Printer offline"); },
    "pad_offline": function () { return t("Rating pad offline"); },
    "device_offline": function () { return t("Device offline"); },
    "follow_up_overdue": function () { return t("Follow-up overdue"); },
  };

  function renderAlerts() {
    var list = $("alert-list");
    list.textContent = "";
    $("alerts-unavailable").hidden = !page.alertsMissing;
    var alerts = page.alerts || [];
    $("alerts-none").hidden = page.alertsMissing || alerts.length > 0;
    alerts.forEach(function (a) {
      var li = document.createElement("li");
      li.dataset.kind = a.kind;
      var kind = document.createElement("strong");
      kind.textContent = ALERT_KINDS[a.kind] ? ALERT_KINDS[a.kind]() : a.kind;
      li.appendChild(kind);
      var said = a.message || "";
      if (said) li.appendChild(document.createTextNode(": " + said));
      if (a.since) li.appendChild(document.createTextNode(" " + t("(since %(time)s)", {time: clockTime(a.since)})));
      list.appendChild(li);
    });
  }

  // --- actions ---------------------------------------------------------------------------------------

  function actionButtons() {
    return Array.prototype.slice.call(document.querySelectorAll(
      "#actions button[data-dialog], #board button[data-act], dialog button[type=submit]"
    ));
  }

  function updateButtons() {
    actionButtons().forEach(function (b) {
      if (b.dataset.act === "move") b.disabled = page.busy || !b.dataset.ready;
      else b.disabled = page.busy;
    });
  }

  /* One request at a time: the buttons are disabled until it is answered, so a double click
     (or Enter held down) acts once. ``run`` returns what to say when it is done; the dialog
     it was asked from closes when it succeeds, and stays open with the error when not. */
  async function act(run, errorEl, dialogId) {
    if (page.busy) return false;
    var focused = document.activeElement; // a disabled button loses the focus: given back after
    page.busy = true;
    updateButtons();
    $("action-error").textContent = "";
    $("action-done").textContent = "";
    if (errorEl) errorEl.textContent = "";
    var ok = false;
    try {
      var done = await run();
      if (done) $("action-done").textContent = done;
      ok = true;
    } catch (err) {
      if (err.status !== 401) (errorEl || $("action-error")).textContent = message(err);
    } finally {
      page.busy = false;
      updateButtons();
      // Closed once its opener is enabled again, so that the focus can go back to it.
      if (ok && dialogId) closeDialog(dialogId);
      else giveFocusBack(focused);
    }
    if (ok) scheduleDashboard();
    return ok;
  }

  /* The focus back where the keyboard user left it, unless something took it meanwhile (a
     dialog's opener): the same button, or the one that took its place in the row. */
  function giveFocusBack(el) {
    if (!el || el === document.body || !document.contains(el)) return;
    if (document.activeElement && document.activeElement !== document.body) return;
    var target = el;
    if (el.hidden || el.disabled) {
      target = el.parentNode && el.parentNode.querySelector("button:not([hidden]):not([disabled])");
    }
    if (target) target.focus();
  }

  function wireDialog(dialog) {
    dialog.querySelectorAll("[data-close]").forEach(function (b) {
      b.addEventListener("click", function () { dialog.close(); });
    });
    dialog.addEventListener("close", function () {
      var opener = dialog.opener;
      dialog.opener = null;
      if (!opener || !document.contains(opener)) return;
      // A row's pause button may have given way to its reopen button meanwhile.
      var partner = opener.hidden && opener.parentNode.querySelector("button:not([hidden])");
      if (partner) partner.focus();
      else if (!opener.hidden) opener.focus();
    });
  }

  document.querySelectorAll("dialog").forEach(wireDialog);

  function openDialog(id, opener, prepare) {
    var dialog = $(id);
    var form = dialog.querySelector("form");
    form.reset();
    dialog.querySelectorAll(".error").forEach(function (el) { el.textContent = ""; });
    if (prepare) prepare(form);
    dialog.opener = opener;
    dialog.showModal();
    var first = form.querySelector("input:not([disabled]), select, textarea");
    if (first) first.focus();
  }

  function closeDialog(id) {
    var dialog = $(id);
    if (dialog.open) dialog.close();
  }

  function fillServices(select, except) {
    select.textContent = "";
    var state = liveState();
    (state ? state.services : []).forEach(function (s) {
      if (s.code === except) return;
      var option = document.createElement("option");
      option.value = s.code;
      option.textContent = nameOf(s);
      select.appendChild(option);
    });
  }

  $("open-issue").addEventListener("click", function (event) {
    openDialog("issue-dialog", event.currentTarget, function () { fillServices($("issue-service")); });
  });
  $("open-cancel").addEventListener("click", function (event) {
    openDialog("cancel-dialog", event.currentTarget);
  });
  $("open-move-waiting").addEventListener("click", function (event) {
    openDialog("move-waiting-dialog", event.currentTarget, function () {
      fillServices($("move-waiting-service"));
    });
  });
  $("open-reinstate").addEventListener("click", function (event) {
    openDialog("reinstate-dialog", event.currentTarget);
  });
  $("open-notice").addEventListener("click", function (event) {
    openDialog("notice-dialog", event.currentTarget, function () {
      var zones = $("notice-zone");
      zones.textContent = "";
      var all = document.createElement("option");
      all.value = "";
      all.textContent = t("Every board");
      zones.appendChild(all);
      ((page.dash && page.dash.zones) || []).forEach(function (z) {
        var option = document.createElement("option");
        option.value = z.code;
        option.textContent = t("Boards of zone %(zone)s", {zone: nameOf(z)});
        zones.appendChild(option);
      });
      fillNotice("");
    });
  });

  /* The notice's texts as the boards show them now, to edit rather than type again. */
  function fillNotice(zone) {
    var state = liveState();
    var notice = state && (state.notices || []).find(function (n) { return (n.zone || "") === zone; });
    $("notice-texts").querySelectorAll("input[data-lang]").forEach(function (input) {
      input.value = (notice && notice.text[input.dataset.lang]) || "";
    });
  }

  $("notice-zone").addEventListener("change", function (event) { fillNotice(event.target.value); });

  function submitting(formId, handler) {
    $(formId).addEventListener("submit", function (event) {
      event.preventDefault();
      if (page.busy) return;
      handler(event.target);
    });
  }

  submitting("issue-form", function (form) {
    var service = form.service.value;
    var reason = form.reason.value.trim();
    if (!reason) {
      $("issue-error").textContent = t("Say why this ticket goes through the green channel.");
      form.reason.focus();
      return;
    }
    act(async function () {
      var ticket = await api("/api/v1/tickets", {
        method: "POST",
        body: {service: service, priority: "priority", reason: reason},
      });
      return t("%(number)s issued for %(service)s (green channel)", {
        number: ticket.number, service: serviceName(service),
      });
    }, $("issue-error"), "issue-dialog");
  });

  /* Today's ticket of that number, or an Error saying there is none. */
  async function ticketByNumber(number) {
    var found = await api("/api/v1/tickets?number=" + encodeURIComponent(number));
    if (!found.tickets.length) {
      var err = new Error(t("There is no ticket %(number)s today.", {number: number}));
      err.status = 404;
      throw err;
    }
    return found.tickets[0];
  }

  function numberIn(form, errorEl) {
    var number = form.number.value.trim().toUpperCase();
    if (!NUMBER.test(number)) {
      errorEl.textContent = t("Type a ticket number, such as A012.");
      form.number.focus();
      return null;
    }
    return number;
  }

  submitting("cancel-form", function (form) {
    var number = numberIn(form, $("cancel-error"));
    if (!number) return;
    var reason = form.reason.value.trim();
    act(async function () {
      var ticket = await ticketByNumber(number);
      await api("/api/v1/tickets/" + ticket.id + "/cancel", {
        method: "POST",
        body: reason ? {reason: reason} : {},
      });
      return t("%(number)s is cancelled.", {number: number});
    }, $("cancel-error"), "cancel-dialog");
  });

  /* A waiting ticket to another service's queue: it keeps its number and its queue time (the
     server refuses one at a window, or one already in that queue, and says why). */
  submitting("move-waiting-form", function (form) {
    var number = numberIn(form, $("move-waiting-error"));
    if (!number) return;
    var body = {service: form.service.value};
    var note = form.note.value.trim();
    if (note) body.note = note;
    act(async function () {
      var ticket = await ticketByNumber(number);
      await api("/api/v1/tickets/" + ticket.id + "/move", {method: "POST", body: body});
      return t("%(number)s moved to %(service)s", {number: number, service: serviceName(body.service)});
    }, $("move-waiting-error"), "move-waiting-dialog");
  });

  submitting("reinstate-form", function (form) {
    var number = numberIn(form, $("reinstate-error"));
    if (!number) return;
    act(async function () {
      var ticket = await ticketByNumber(number);
      await api("/api/v1/tickets/" + ticket.id + "/reinstate", {method: "POST"});
      return t("%(number)s is back in the queue", {number: number});
    }, $("reinstate-error"), "reinstate-dialog");
  });

  submitting("notice-form", function (form) {
    var zone = form.zone.value;
    var text = {};
    var any = false;
    form.querySelectorAll("input[data-lang]").forEach(function (input) {
      text[input.dataset.lang] = input.value.trim();
      if (text[input.dataset.lang]) any = true;
    });
    var body = {text: text};
    if (zone) body.zone = zone;
    act(async function () {
      await api("/api/v1/notice", {method: "PUT", body: body});
      return any ? t("The notice is set.") : t("The notice is cleared.");
    }, $("notice-error"), "notice-dialog");
  });

  var pausing = null; // the service the pause dialog is for
  var moving = null; // the window the move dialog is for

  /* A server without the services' pause and reopen says "nothing at this address". */
  function serviceError(err) {
    if (err.status === 404 && err.code === "not_found") {
      var said = new Error(t("This server cannot pause or reopen a service yet."));
      said.status = 404;
      return said;
    }
    return err;
  }

  function openPause(code, button) {
    if (page.busy) return;
    pausing = code;
    openDialog("pause-dialog", button, function () {
      setText($("pause-title"), t("Pause %(service)s", {service: serviceName(code)}));
    });
  }

  submitting("pause-form", function (form) {
    var code = pausing;
    var reason = form.reason.value.trim();
    if (!reason) {
      $("pause-error").textContent = t("Say why the service pauses.");
      form.reason.focus();
      return;
    }
    act(async function () {
      try {
        await api("/api/v1/services/" + encodeURIComponent(code) + "/pause", {
          method: "POST",
          body: {reason: reason},
        });
      } catch (err) {
        throw serviceError(err);
      }
      return t("%(service)s is paused.", {service: serviceName(code)});
    }, $("pause-error"), "pause-dialog");
  });

  function reopenService(code) {
    act(async function () {
      try {
        await api("/api/v1/services/" + encodeURIComponent(code) + "/reopen", {method: "POST"});
      } catch (err) {
        throw serviceError(err);
      }
      return t("%(service)s takes tickets again.", {service: serviceName(code)});
    });
  }

  function openMove(number, button) {
    var state = liveState();
    var counter = state && state.counters.find(function (c) { return c.number === number; });
    if (page.busy || !counter || !counter.current_ticket) return;
    var current = currentOf(counter);
    moving = {window: number, ticket: counter.current_ticket};
    openDialog("move-dialog", button, function () {
      setText($("move-title"), t("Move %(number)s from window %(window)s", {
        number: counter.current_ticket, window: number,
      }));
      fillServices($("move-service"), current ? current.service : null);
    });
  }

  submitting("move-form", function (form) {
    var target = moving;
    var body = {service: form.service.value};
    var note = form.note.value.trim();
    if (note) body.note = note;
    if (!body.service) {
      $("move-error").textContent = t("Choose where the ticket goes.");
      return;
    }
    act(async function () {
      var ticket = await api("/api/v1/counters/" + target.window + "/transfer", {method: "POST", body: body});
      return t("%(number)s transferred to %(service)s", {
        number: ticket.number, service: serviceName(body.service),
      });
    }, $("move-error"), "move-dialog");
  });

  // --- live ----------------------------------------------------------------------------------------------

  function setOnline(online) {
    page.online = online;
    $("connection").hidden = online;
  }

  var DELTAS = ["ticket.issued", "ticket.called", "ticket.updated", "counter.updated", "queue.updated"];
  // Not part of the snapshot, but what the alerts are made of.
  var ALERTING = ["queue.updated", "counter.updated", "device.updated", "follow_up.updated"];

  function connect() {
    var client = new HallQClient({token: page.token});
    page.client = client;
    client
      .on("state", function () {
        if (client !== page.client) return;
        setOnline(true);
        scheduleDashboard(); // after a reconnect: what happened meanwhile
        scheduleAlerts();
      })
      .on("change", function () {
        // The snapshot's figures at once (a call shows in its window's row as it comes).
        if (client === page.client) render();
      })
      .on("offline", function () { if (client === page.client) setOnline(false); })
      .on("error", function () { if (client === page.client) setOnline(false); })
      .on("ended", function (why) {
        if (client !== page.client) return;
        forget((why && why.message) || t("Your session has ended: please sign in again."));
      });
    DELTAS.forEach(function (name) {
      client.on(name, function () { if (client === page.client) scheduleDashboard(); });
    });
    ALERTING.forEach(function (name) {
      client.on(name, function () { if (client === page.client) scheduleAlerts(); });
    });
    // A device's agent reported (paper out, pad offline, ok again): its line in its window's row
    // and in the devices' list, at once rather than at the next 30-second read.
    client.on("device.updated", function () { if (client === page.client) scheduleDashboard(); });
    client.connect();
  }

  // --- start -------------------------------------------------------------------------------------------

  function tick() {
    if (page.screen !== "board") return;
    renderWaits();
    renderTimers();
  }

  function poll() {
    if (page.screen !== "board") return;
    readDashboard();
    readAlerts();
  }

  office.signedOut(forgotten);
  office.ready(signedIn);
  setInterval(tick, TICK_MS);
  setInterval(poll, POLL_MS);
})();
