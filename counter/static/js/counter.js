/*
 * The clerk's screen (/counter): sign in, open a window, and work it.
 *
 * Needs socket.io.min.js, i18n.js and hallq-client.js loaded first, and the hall's public
 * description in <script id="hall-data">. Everything it knows comes from the public API:
 *
 * - the clerk's token: from POST /api/v1/auth/login, kept in this tab's sessionStorage (the
 *   notice page, opened from here, reads it there too); a session that ends (signed out,
 *   expired, revoked) goes back to the sign-in form;
 * - the window: the one the clerk holds (GET /api/v1/counters), else the one they open;
 * - the desk: GET /api/v1/counters/{n}/desk, read again, debounced, when a delta concerns
 *   the window or its services, and after every action;
 * - the rating: rating.stored and rating.ended, addressed to the window's room.
 *
 * One action at a time: every action button is disabled while a request is in flight, so a
 * double click acts once. Every action has a key (shown on its button, aria-keyshortcuts),
 * not fired while the clerk types in a field or a dialog is open. window.hallqCounter
 * exposes the page's state to the tests.
 */
(function () {
  "use strict";

  var t = HallQI18n.t;
  var since = HallQClient.instant;
  var duration = HallQClient.duration;
  var reasonText = HallQPauseReason; // pause-reasons.js
  var TOKEN_KEY = "hallq.token";
  var NAME_KEY = "hallq.name";
  var WINDOW_KEY = "hallq.counter.window";
  var NO_SHOW_KEY = "hallq.counter.no-show";
  var REFRESH_MS = 250; // deltas come in bursts: one desk read for a burst
  var TICK_MS = 1000;

  var hall = JSON.parse(document.getElementById("hall-data").textContent);
  var lang = document.documentElement.lang;

  var page = {
    token: null,
    name: null,
    window: null, // the window's number
    allowed: null, // the windows this clerk may open (GET /counters); null: any
    desk: null, // the last desk read
    client: null,
    busy: false, // an action in flight
    loads: 0, // desk reads done
    renders: 0,
    online: true,
    lastNoShow: null, // {id, number}: the one "bring back" acts on
    lastFinished: null, // {id, number}: for a rating.ended of it
    rating: null, // what the rating panel shows
    screen: null,
  };
  window.hallqCounter = page;

  function $(id) {
    return document.getElementById(id);
  }

  function setText(el, text) {
    if (el.textContent !== text) el.textContent = text;
  }

  function nameOf(thing) {
    if (!thing || !thing.name) return (thing && thing.code) || "";
    return thing.name[lang] || thing.name[hall.languages[0]] || thing.code;
  }

  function serviceName(code) {
    var known = page.client && page.client.state && page.client.state.services;
    var found = (known || []).find(function (s) { return s.code === code; });
    if (!found && page.desk) found = page.desk.services.find(function (s) { return s.code === code; });
    return found ? nameOf(found) : code;
  }

  // --- screens -------------------------------------------------------------------------------

  function show(name) {
    page.screen = name;
    $("signin").hidden = name !== "signin";
    $("choose").hidden = name !== "choose";
    $("desk").hidden = name !== "desk";
    $("sign-out").hidden = name === "signin";
    $("who").hidden = name === "signin";
  }

  function signedIn(token, name) {
    page.token = token;
    page.name = name;
    setText($("who"), t("Signed in as %(name)s", {name: name}));
    connect();
    findWindow();
  }

  function forget(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(NAME_KEY);
    sessionStorage.removeItem(WINDOW_KEY);
    page.token = null;
    page.window = null;
    page.desk = null;
    if (page.client) {
      var client = page.client;
      page.client = null;
      client.ended = true; // closed on purpose: no "offline" from it
      client.close();
    }
    setOnline(true);
    show("signin");
    $("signin-error").textContent = message || "";
    $("signin-form").reset();
    $("signin-username").focus();
  }

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
      sessionStorage.setItem(TOKEN_KEY, body.token);
      sessionStorage.setItem(NAME_KEY, body.name);
      signedIn(body.token, body.name);
    } catch (err) {
      $("signin-error").textContent = message(err);
    } finally {
      button.disabled = false;
    }
  });

  $("sign-out").addEventListener("click", async function () {
    var token = page.token;
    try {
      if (token) await HallQClient.api("/api/v1/auth/logout", {method: "POST", token: token});
    } catch (err) {
      // Signed out already, or the server is away: the token is forgotten here all the same.
    }
    forget("");
  });

  function message(err) {
    if (err && err.status) return err.message;
    return t("The server cannot be reached. Try again in a moment.");
  }

  function api(path, options) {
    options = Object.assign({token: page.token}, options || {});
    return HallQClient.api(path, options).catch(function (err) {
      if (err.status === 401) {
        forget(t("Your session has ended: please sign in again."));
      }
      throw err;
    });
  }

  // --- choosing a window ------------------------------------------------------------------

  /* A clerk who reloads the page is usually still at the window they had: its desk is asked
     for at once, beside the catalog, rather than after it and the list of windows. */
  var early = null; // {number, desk: a promise of the desk}

  function askEarly(token) {
    var number = Number(sessionStorage.getItem(WINDOW_KEY)) || null;
    if (!token || !number) return;
    var asked = window.hallqEarlyDesk; // by the page's head, before the scripts loaded
    var desk = asked && asked.number === number
      ? asked.response.then(async function (response) {
        var body = await response.json();
        if (response.ok) return body;
        throw HallQClient.failure(response, body);
      })
      : HallQClient.api("/api/v1/counters/" + number + "/desk", {token: token});
    early = {number: number, desk: desk};
    early.desk.catch(function () {}); // looked at by findWindow; no unhandled rejection
  }

  async function findWindow() {
    var guess = early;
    if (guess) {
      try {
        await guess.desk;
        atWindow(guess.number); // loadDesk takes the desk already read
        return;
      } catch (err) {
        early = null;
        if (err.status === 401) {
          forget(t("Your session has ended: please sign in again."));
          return;
        }
      }
    }
    var counters;
    try {
      var listed = await api("/api/v1/counters");
      counters = listed.counters;
      page.allowed = listed.allowed || null; // the windows this clerk may open; null: any
    } catch (err) {
      if (err.status === 401) return;
      show("choose");
      $("choose-error").textContent = message(err);
      return;
    }
    var remembered = Number(sessionStorage.getItem(WINDOW_KEY)) || null;
    var mine = counters.find(function (c) {
      return c.state !== "closed" && (c.number === remembered || c.clerk === page.name);
    });
    if (mine) {
      atWindow(mine.number);
    } else {
      listWindows(counters);
    }
  }

  function windowName(c) {
    var label = t("Window %(number)s", {number: c.number});
    return c.label ? label + " · " + c.label : label;
  }

  /* The windows, each with the clerk who holds it; kept live while the clerk chooses
     (``again``: a delta, which leaves the focus where it is). */
  function listWindows(counters, again) {
    show("choose");
    var list = $("window-choices");
    var focused = again && list.contains(document.activeElement)
      ? document.activeElement.closest("li").dataset.window
      : null;
    list.textContent = "";
    counters.slice().sort(function (a, b) { return a.number - b.number; }).forEach(function (c) {
      var li = document.createElement("li");
      li.dataset.window = String(c.number);
      var button = document.createElement("button");
      button.type = "button";
      button.className = "window-choice";
      var title = document.createElement("span");
      title.className = "choice-title";
      title.textContent = windowName(c);
      var state = document.createElement("span");
      state.className = "choice-state";
      if (c.state === "closed" && page.allowed && page.allowed.indexOf(c.number) < 0) {
        state.textContent = t("Not one of your windows");
        button.disabled = true;
      } else if (c.state === "closed") {
        state.textContent = t("Closed: open it");
      } else {
        state.textContent = t("Held by %(name)s", {name: c.clerk || "?"});
        button.disabled = true;
      }
      button.appendChild(title);
      button.appendChild(state);
      button.addEventListener("click", function () { openWindow(c.number, button); });
      li.appendChild(button);
      list.appendChild(li);
    });
    var keep = focused && list.querySelector('li[data-window="' + focused + '"] button:not([disabled])');
    var first = keep || (again ? null : list.querySelector("button:not([disabled])"));
    if (first) first.focus();
  }

  async function openWindow(number, button) {
    if (page.busy) return;
    page.busy = true;
    button.disabled = true;
    $("choose-error").textContent = "";
    try {
      await api("/api/v1/counters/" + number + "/open", {method: "POST"});
      atWindow(number);
    } catch (err) {
      button.disabled = false;
      if (err.status !== 401) $("choose-error").textContent = message(err);
    } finally {
      page.busy = false;
    }
  }

  function atWindow(number) {
    page.window = number;
    sessionStorage.setItem(WINDOW_KEY, String(number));
    setText($("desk-title"), t("Window %(number)s", {number: number}));
    document.title = t("Window %(number)s", {number: number}) + " · " + nameOf(hall);
    $("action-error").textContent = "";
    $("action-done").textContent = "";
    page.desk = null;
    show("desk");
    // The socket hears the window's addressed messages (its rating): the server put it in
    // the window's room when it connected, or when the clerk opened the window since.
    refresh();
  }

  // --- the desk -------------------------------------------------------------------------------

  var refreshTimer = null;
  var loading = null; // the desk read in flight (a promise)
  var again = false;
  var missed = false; // a delta came while an action was in flight

  /* A desk read soon: deltas come in bursts (a call is a ticket.called, a counter.updated
     and a queue.updated), and one read serves them all. */
  function scheduleRefresh() {
    if (page.screen !== "desk" || refreshTimer) return;
    if (page.busy) {
      // The action's own read comes after it; one more then, for what this delta brought.
      missed = true;
      return;
    }
    refreshTimer = setTimeout(function () {
      refreshTimer = null;
      refresh();
    }, REFRESH_MS);
  }

  /* Read the desk; resolves once the desk on screen is at least as fresh as the call. A call
     during a read asks for one more read after it, and waits for that one too. */
  function refresh() {
    if (loading) {
      again = true;
      return loading;
    }
    loading = (async function () {
      do {
        again = false;
        await loadDesk();
      } while (again && page.window !== null);
    })().finally(function () {
      loading = null;
    });
    return loading;
  }

  async function loadDesk() {
    var number = page.window;
    if (number === null) return;
    var read = early && early.number === number ? early.desk : null;
    early = null;
    try {
      var desk = await (read || api("/api/v1/counters/" + number + "/desk"));
      if (number !== page.window) return;
      page.desk = desk;
      page.loads += 1;
      render();
    } catch (err) {
      if (err.status === 401 || number !== page.window) return;
      if (err.status === 403 || err.status === 409) {
        // The window is not ours any more (closed by a supervisor, taken over).
        sessionStorage.removeItem(WINDOW_KEY);
        page.window = null;
        await findWindow();
        $("choose-error").textContent = err.message;
        return;
      }
      $("action-error").textContent = message(err);
    }
  }

  function render() {
    var desk = page.desk;
    if (!desk || page.screen !== "desk") return;
    page.renders += 1;
    renderWindowState();
    renderCurrent();
    renderWaiting();
    renderFigures();
    renderRating();
    updateButtons();
  }

  function renderWindowState() {
    var counter = page.desk.counter;
    var banner = $("paused-banner");
    banner.hidden = counter.state !== "paused";
    if (counter.state === "paused") {
      setText(banner, t("Service paused: %(reason)s", {reason: reasonText(counter.pause_reason)}));
    }
    document.body.classList.toggle("is-paused", counter.state === "paused");
  }

  function renderCurrent() {
    var current = page.desk.current;
    $("current-empty").hidden = Boolean(current);
    $("current-ticket").hidden = !current;
    $("documents").hidden = !current || !documentsOf(current).length;
    document.body.classList.toggle("has-ticket", Boolean(current));
    if (!current) {
      setText($("current-number"), "");
      return;
    }
    setText($("current-number"), current.number);
    setText($("current-service"), serviceName(current.service));
    var status = current.status === "serving"
      ? t("Being served")
      : current.call_count > 1
        ? t("Called %(count)s times: waiting for the customer", {count: current.call_count})
        : t("Called: waiting for the customer");
    setText($("current-status"), status);
    var priority = $("current-priority");
    priority.hidden = current.priority === "normal";
    if (current.priority === "priority") setText(priority, t("Green channel"));
    if (current.priority === "appointment") setText(priority, t("Appointment"));
    setText($("timer-label"), current.status === "serving" ? t("Serving for") : t("Since the call"));
    renderTimer();
    renderTransfers(current);
    renderDocuments(current);
  }

  // Where the ticket was before, and what the clerk who sent it on wrote for this one.
  function renderTransfers(current) {
    var list = $("current-transfers");
    var transfers = current.transfers || [];
    list.hidden = !transfers.length;
    list.textContent = "";
    transfers.forEach(function (sent) {
      var item = document.createElement("li");
      var from = sent.from_counter
        ? t("Sent on by window %(window)s", {window: sent.from_counter})
        : t("Sent on");
      item.textContent = sent.note ? from + ": " + sent.note : from;
      list.appendChild(item);
    });
  }

  function documentsOf(ticket) {
    var docs = ticket.documents || {};
    return docs[lang] || docs[ticket.language] || docs[hall.languages[0]] || [];
  }

  function renderTimer() {
    var current = page.desk && page.desk.current;
    if (!current) return;
    var from = since(current.status === "serving" ? current.started_at : current.called_at);
    setText($("timer"), from === null ? "" : duration(Date.now() - from));
  }

  // --- documents ----------------------------------------------------------------------------------

  var shownDocs = null; // "ticket id:leg:documents" now in the list, to keep focus and ticks
  var saving = null; // the PUT in flight
  var pendingSave = null; // the latest ticks, to send when it is done

  function renderDocuments(current) {
    var docs = documentsOf(current);
    var key = current.id + ":" + current.leg + ":" + JSON.stringify(docs);
    var list = $("document-list");
    if (shownDocs !== key) {
      shownDocs = key;
      list.textContent = "";
      docs.forEach(function (text, i) {
        var li = document.createElement("li");
        var label = document.createElement("label");
        var box = document.createElement("input");
        box.type = "checkbox";
        box.dataset.index = String(i);
        box.addEventListener("change", function () { saveDocuments(current.id); });
        label.appendChild(box);
        label.appendChild(document.createTextNode(" " + text));
        li.appendChild(label);
        list.appendChild(li);
      });
    }
    // The ticks follow the server unless the clerk's own are on their way.
    if (!saving && !pendingSave) {
      var missing = current.missing || [];
      list.querySelectorAll("input[type=checkbox]").forEach(function (box) {
        box.checked = current.checked && missing.indexOf(Number(box.dataset.index)) < 0;
      });
    }
    renderDocumentState(current);
  }

  function renderDocumentState(current) {
    var missing = current.missing || [];
    var text;
    if (!current.checked) text = t("Not checked yet: tick what the customer brought.");
    else if (!missing.length) text = t("Everything was brought.");
    else text = t("Missing: %(count)s documents", {count: missing.length});
    setText($("documents-state"), text);
    var link = $("notice-link");
    link.hidden = !(current.checked && missing.length);
    link.href = location.pathname.replace(/\/?$/, "/notice/" + current.id);
  }

  function tickedMissing() {
    var missing = [];
    $("document-list").querySelectorAll("input[type=checkbox]").forEach(function (box) {
      if (!box.checked) missing.push(Number(box.dataset.index));
    });
    return missing;
  }

  async function saveDocuments(ticketId) {
    pendingSave = {id: ticketId, missing: tickedMissing()};
    if (saving) return;
    while (pendingSave) {
      var next = pendingSave;
      pendingSave = null;
      saving = next;
      try {
        await api("/api/v1/tickets/" + next.id + "/documents", {method: "PUT", body: {missing: next.missing}});
        var current = page.desk && page.desk.current;
        if (current && current.id === next.id) {
          current.missing = next.missing;
          current.checked = true;
          renderDocumentState(current);
        }
        page.documentsSaved = (page.documentsSaved || 0) + 1;
      } catch (err) {
        if (err.status !== 401) $("action-error").textContent = message(err);
        saving = null;
        pendingSave = null;
        refresh(); // the server's ticks again
        return;
      }
    }
    saving = null;
  }

  $("documents-all").addEventListener("click", function () {
    var current = page.desk && page.desk.current;
    if (!current) return;
    $("document-list").querySelectorAll("input[type=checkbox]").forEach(function (box) { box.checked = true; });
    saveDocuments(current.id);
  });

  $("notice-link").addEventListener("click", function (event) {
    // A window of this tab's own, so it shares the tab's session (and so the token).
    event.preventDefault();
    window.open(event.currentTarget.href, "_blank");
  });

  // --- the waiting list ------------------------------------------------------------------------

  function renderWaiting() {
    var waiting = page.desk.waiting;
    var body = $("waiting-list");
    $("waiting-empty").hidden = waiting.length > 0;
    $("waiting-table").hidden = waiting.length === 0;
    var focused = document.activeElement && document.activeElement.dataset
      ? document.activeElement.dataset.number
      : null;
    var inList = focused && body.contains(document.activeElement);
    var rows = document.createDocumentFragment();
    waiting.forEach(function (w) {
      var tr = document.createElement("tr");
      tr.dataset.number = w.number;
      if (w.priority !== "normal" || w.sent_here) tr.className = "first";
      var number = document.createElement("th");
      number.scope = "row";
      number.textContent = w.number;
      tr.appendChild(number);
      var service = document.createElement("td");
      var what = serviceName(w.service);
      if (w.sent_here) what += " · " + t("Sent to this window");
      else if (w.priority === "priority") what += " · " + t("Green channel");
      else if (w.priority === "appointment") what += " · " + t("Appointment");
      service.textContent = what;
      tr.appendChild(service);
      var waited = document.createElement("td");
      waited.className = "num";
      waited.textContent = t("%(minutes)s min", {minutes: w.waited_minutes});
      tr.appendChild(waited);
      var act = document.createElement("td");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "call-one";
      button.dataset.number = w.number;
      button.textContent = t("Call %(number)s", {number: w.number});
      button.addEventListener("click", function () { callNumber(w.number); });
      act.appendChild(button);
      tr.appendChild(act);
      rows.appendChild(tr);
    });
    body.textContent = "";
    body.appendChild(rows);
    if (inList) {
      var again = body.querySelector('button[data-number="' + focused + '"]') || body.querySelector("button");
      if (again) again.focus();
    }
  }

  // --- figures and the rating -----------------------------------------------------------------

  function renderFigures() {
    var body = $("service-figures");
    body.textContent = "";
    page.desk.services.forEach(function (s) {
      var tr = document.createElement("tr");
      tr.dataset.service = s.code;
      var name = document.createElement("th");
      name.scope = "row";
      name.textContent = nameOf(s);
      var waiting = document.createElement("td");
      waiting.className = "num waiting";
      waiting.textContent = String(s.waiting);
      var longest = document.createElement("td");
      longest.className = "num longest";
      longest.textContent = s.longest_wait_minutes === null || s.longest_wait_minutes === undefined
        ? "—"
        : t("%(minutes)s min", {minutes: s.longest_wait_minutes});
      tr.appendChild(name);
      tr.appendChild(waiting);
      tr.appendChild(longest);
      body.appendChild(tr);
    });
    var today = page.desk.today;
    setText($("today-served"), String(today.served));
    setText($("today-mean"), today.mean_service_minutes === null || today.mean_service_minutes === undefined
      ? "—"
      : t("%(minutes)s min", {minutes: today.mean_service_minutes}));
    setText($("today-ratings"), today.ratings
      ? t("%(count)s ratings, mean %(mean)s of 5", {count: today.ratings, mean: today.mean_rating})
      : t("None yet"));
  }

  var SCORES = {
    5: function () { return t("Very satisfied"); },
    4: function () { return t("Satisfied"); },
    3: function () { return t("Neutral"); },
    2: function () { return t("Dissatisfied"); },
    1: function () { return t("Very dissatisfied"); },
  };

  function renderRating() {
    var shown = page.rating;
    if (!shown && page.desk && page.desk.last_rating) {
      var last = page.desk.last_rating;
      shown = {number: last.number, score: last.score};
    }
    var el = $("rating-text");
    el.className = "rating-text";
    if (!shown) {
      setText(el, t("No rating yet today."));
      return;
    }
    if (shown.score) {
      setText(el, t("%(number)s rated %(score)s of 5: %(words)s", {
        number: shown.number, score: shown.score, words: SCORES[shown.score] ? SCORES[shown.score]() : "",
      }));
      el.classList.add(shown.score >= 4 ? "good" : shown.score === 3 ? "middling" : "bad");
    } else {
      setText(el, shown.number
        ? t("%(number)s: not rated", {number: shown.number})
        : t("The customer did not rate."));
      el.classList.add("none");
    }
  }

  function onRatingStored(data) {
    if (data.counter !== page.window) return;
    page.rating = {number: data.number, score: data.score, ticket_id: data.ticket_id};
    renderRating();
    scheduleRefresh(); // the clerk's figures
  }

  function onRatingEnded(data) {
    if (data.counter !== page.window || data.rated) return;
    var known = data.number ||
      (page.lastFinished && page.lastFinished.id === data.ticket_id ? page.lastFinished.number : null);
    page.rating = {number: known, score: null, ticket_id: data.ticket_id, reason: data.reason};
    renderRating();
  }

  // --- actions -----------------------------------------------------------------------------------

  var buttons = Array.prototype.slice.call(document.querySelectorAll("#actions button[data-action]"));

  function updateButtons() {
    var desk = page.desk;
    var current = desk && desk.current;
    var state = desk ? desk.counter.state : "closed";
    var paused = state === "paused";
    var status = current ? current.status : null;
    var allowed = {
      "call-next": !paused && !current,
      "recall": status === "called",
      "start": status === "called",
      "finish": status === "serving",
      "no-show": Boolean(current),
      "requeue": status === "called",
      "transfer": Boolean(current),
      "reinstate": Boolean(page.lastNoShow),
      "pause": !paused,
      "resume": paused,
      "close": !current,
    };
    $("act-pause").hidden = paused;
    $("act-resume").hidden = !paused;
    buttons.forEach(function (b) {
      b.disabled = page.busy || !desk || !allowed[b.dataset.action];
    });
    var callOne = !page.busy && !paused && !current;
    $("waiting-list").querySelectorAll("button").forEach(function (b) { b.disabled = !callOne; });
    setText($("reinstate-label"), page.lastNoShow
      ? t("Bring back %(number)s", {number: page.lastNoShow.number})
      : t("Bring back the last no-show"));
  }

  /* One request at a time: the buttons are disabled until it is answered, so a double click
     (or a key held down) acts once. */
  async function act(run) {
    if (page.busy || page.window === null) return;
    page.busy = true;
    updateButtons();
    // No desk read runs beside the action: one would race it (a read of a window being
    // closed is refused), and the read after it shows what it did.
    clearTimeout(refreshTimer);
    refreshTimer = null;
    if (loading) await loading;
    $("action-error").textContent = "";
    $("action-done").textContent = "";
    try {
      var done = await run();
      if (done) $("action-done").textContent = done;
    } catch (err) {
      if (err.status !== 401) $("action-error").textContent = message(err);
    }
    // The buttons come back with the desk as the action left it, never from the one before.
    try {
      if (page.window !== null) await refresh();
    } finally {
      page.busy = false;
      updateButtons();
      if (missed) {
        missed = false;
        scheduleRefresh();
      }
    }
  }

  function post(what, body) {
    return api("/api/v1/counters/" + page.window + "/" + what, {method: "POST", body: body});
  }

  function rememberNoShow(ticket) {
    page.lastNoShow = {id: ticket.id, number: ticket.number};
    sessionStorage.setItem(NO_SHOW_KEY, JSON.stringify(page.lastNoShow));
  }

  var ACTIONS = {
    "call-next": async function () {
      var called = await post("call-next");
      if (!called) return t("No one is waiting for this window.");
      return t("Called %(number)s", {number: called.number});
    },
    "recall": async function () {
      var ticket = await post("recall");
      if (ticket.became === "no_show" || ticket.status === "no_show") {
        rememberNoShow(ticket);
        return t("%(number)s was called too many times: marked as not come", {number: ticket.number});
      }
      return t("Called %(number)s again", {number: ticket.number});
    },
    "start": async function () {
      var ticket = await post("start");
      return t("Serving %(number)s", {number: ticket.number});
    },
    "finish": async function () {
      var ticket = await post("finish");
      page.lastFinished = {id: ticket.id, number: ticket.number};
      page.rating = null;
      return t("%(number)s finished", {number: ticket.number});
    },
    "no-show": async function () {
      var ticket = await post("no-show");
      rememberNoShow(ticket);
      return t("%(number)s did not come", {number: ticket.number});
    },
    "requeue": async function () {
      var ticket = await post("requeue");
      return t("%(number)s is back in the queue", {number: ticket.number});
    },
    "reinstate": async function () {
      var gone = page.lastNoShow;
      var ticket = await api("/api/v1/tickets/" + gone.id + "/reinstate", {method: "POST"});
      page.lastNoShow = null;
      sessionStorage.removeItem(NO_SHOW_KEY);
      return t("%(number)s is back in the queue", {number: ticket.number});
    },
    "resume": async function () {
      await post("resume");
      return t("The window is open again.");
    },
    "close": async function () {
      var number = page.window;
      await post("close");
      sessionStorage.removeItem(WINDOW_KEY);
      page.window = null;
      page.desk = null;
      await findWindow();
      $("choose-error").textContent = "";
      return t("Window %(number)s is closed.", {number: number});
    },
  };

  buttons.forEach(function (b) {
    b.addEventListener("click", function () {
      var name = b.dataset.action;
      if (b.disabled) return;
      if (name === "pause") openPause();
      else if (name === "transfer") openTransfer();
      else act(ACTIONS[name]);
    });
  });

  function callNumber(number) {
    act(async function () {
      var called = await post("call", {number: number});
      return t("Called %(number)s", {number: called.number});
    });
  }

  // --- dialogs: pause and transfer --------------------------------------------------------------

  function wireDialog(dialog) {
    dialog.querySelectorAll("[data-close]").forEach(function (b) {
      b.addEventListener("click", function () { dialog.close(); });
    });
    dialog.addEventListener("close", function () {
      var opener = dialog.opener;
      dialog.opener = null;
      if (opener && !opener.disabled && !opener.hidden) opener.focus();
    });
  }

  var pauseDialog = $("pause-dialog");
  var transferDialog = $("transfer-dialog");
  wireDialog(pauseDialog);
  wireDialog(transferDialog);

  function openPause() {
    var form = $("pause-form");
    form.reset();
    $("pause-text").disabled = true;
    $("pause-error").textContent = "";
    pauseDialog.opener = $("act-pause");
    pauseDialog.opener.focus(); // where the dialog gives the focus back when it closes
    pauseDialog.showModal();
    form.querySelector("input[name=reason]:checked").focus();
  }

  $("pause-form").addEventListener("change", function (event) {
    if (event.target.name !== "reason") return;
    var other = event.target.value === "other";
    $("pause-text").disabled = !other;
    $("pause-text").setAttribute("aria-required", String(other));
  });

  $("pause-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var form = event.target;
    var reason = form.querySelector("input[name=reason]:checked").value;
    var text = $("pause-text").value.trim();
    if (reason === "other") {
      if (!text) {
        $("pause-error").textContent = t("Say why the window pauses.");
        $("pause-text").focus();
        return;
      }
      reason = "other: " + text;
    }
    var submit = form.querySelector("button[type=submit]");
    if (submit.disabled) return;
    submit.disabled = true;
    act(async function () {
      try {
        await post("pause", {reason: reason});
      } catch (err) {
        $("pause-error").textContent = message(err);
        throw err;
      } finally {
        submit.disabled = false;
      }
      pauseDialog.opener = null;
      pauseDialog.close();
      $("act-resume").hidden = false;
      $("act-resume").focus();
      return t("The window is paused.");
    });
  });

  function openTransfer() {
    var current = page.desk && page.desk.current;
    if (!current) return;
    var form = $("transfer-form");
    form.reset();
    $("transfer-error").textContent = "";
    var services = $("transfer-service");
    services.textContent = "";
    var known = (page.client && page.client.state && page.client.state.services) || page.desk.services;
    known.forEach(function (s) {
      var option = document.createElement("option");
      option.value = s.code;
      option.textContent = nameOf(s);
      services.appendChild(option);
    });
    var windows = $("transfer-counter");
    windows.textContent = "";
    var counters = (page.client && page.client.state && page.client.state.counters) || [];
    counters
      .filter(function (c) { return c.number !== page.window && c.state !== "closed"; })
      .sort(function (a, b) { return a.number - b.number; })
      .forEach(function (c) {
        var option = document.createElement("option");
        option.value = String(c.number);
        option.textContent = windowName(c) + (c.state === "paused" ? " (" + t("Service paused") + ")" : "");
        windows.appendChild(option);
      });
    var noWindow = !windows.options.length;
    form.querySelector("input[name=to][value=counter]").disabled = noWindow;
    chooseTarget("service");
    transferDialog.opener = $("act-transfer");
    transferDialog.opener.focus(); // where the dialog gives the focus back when it closes
    transferDialog.showModal();
    form.querySelector("input[name=to]:checked").focus();
  }

  function chooseTarget(to) {
    $("transfer-service").disabled = to !== "service";
    $("transfer-counter").disabled = to !== "counter";
  }

  $("transfer-form").addEventListener("change", function (event) {
    if (event.target.name === "to") chooseTarget(event.target.value);
  });

  $("transfer-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var form = event.target;
    var to = form.querySelector("input[name=to]:checked").value;
    var body = {};
    if (to === "service") body.service = $("transfer-service").value;
    else body.counter = Number($("transfer-counter").value);
    var note = $("transfer-note").value.trim();
    if (note) body.note = note;
    if ((to === "service" && !body.service) || (to === "counter" && !body.counter)) {
      $("transfer-error").textContent = t("Choose where the ticket goes.");
      return;
    }
    var submit = form.querySelector("button[type=submit]");
    if (submit.disabled) return;
    submit.disabled = true;
    act(async function () {
      var ticket;
      try {
        ticket = await post("transfer", body);
      } catch (err) {
        $("transfer-error").textContent = message(err);
        throw err;
      } finally {
        submit.disabled = false;
      }
      transferDialog.opener = null;
      transferDialog.close();
      return to === "service"
        ? t("%(number)s transferred to %(service)s", {number: ticket.number, service: serviceName(body.service)})
        : t("%(number)s transferred to window %(counter)s", {number: ticket.number, counter: body.counter});
    });
  });

  // --- keyboard shortcuts ------------------------------------------------------------------------

  function typing(el) {
    if (!el) return false;
    if (el.isContentEditable) return true;
    var tag = el.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT") return true;
    if (tag !== "INPUT") return false;
    return ["checkbox", "radio", "button", "submit", "reset"].indexOf(el.type) < 0;
  }

  var FOCUS_KEYS = {
    // Into the waiting list: its first call button.
    L: function () {
      var first = $("waiting-list").querySelector("button:not([disabled])");
      if (first) first.focus();
      else $("waiting-scroll").focus();
    },
    D: function () {
      var box = $("document-list").querySelector("input");
      if (box && !$("documents").hidden) box.focus();
    },
  };

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    if (page.screen !== "desk" || typing(event.target)) return;
    if (document.querySelector("dialog[open]")) return;
    // By the key's place, not its character: the same with a Chinese input method on.
    var match = /^Key([A-Z])$/.exec(event.code || "");
    if (!match) return;
    var key = match[1];
    if (FOCUS_KEYS[key]) {
      event.preventDefault();
      FOCUS_KEYS[key]();
      return;
    }
    var button = buttons.find(function (b) {
      return b.getAttribute("aria-keyshortcuts") === key && !b.hidden;
    });
    if (!button) return;
    event.preventDefault();
    if (!button.disabled && !event.repeat) button.click();
  });

  // --- live ------------------------------------------------------------------------------------------

  function setOnline(online) {
    page.online = online;
    $("connection").hidden = online;
  }

  /* Whether a delta may change the desk: the window itself, its current ticket, or a queue it
     calls from. Other windows' business does not cost a read. */
  function concerns(name, data) {
    var desk = page.desk;
    if (!desk) return true;
    var mine = page.window;
    var codes = desk.services.map(function (s) { return s.code; });
    if (name === "counter.updated") return data.counter && data.counter.number === mine;
    if (name === "queue.updated") {
      return (data.services || []).some(function (s) { return codes.indexOf(s.code) >= 0; });
    }
    if (name === "ticket.called") return data.counter === mine || codes.indexOf(data.service) >= 0;
    var ticket = data.ticket;
    if (!ticket) return false;
    return codes.indexOf(ticket.service) >= 0 || ticket.counter === mine || ticket.target_counter === mine ||
      Boolean(desk.current && desk.current.id === ticket.id);
  }

  function connect() {
    var client = new HallQClient({token: page.token});
    page.client = client;
    client
      .on("state", function () {
        if (client !== page.client) return;
        setOnline(true);
        scheduleRefresh(); // after a reconnect: what happened meanwhile
      })
      .on("offline", function () { if (client === page.client) setOnline(false); })
      .on("error", function () { if (client === page.client) setOnline(false); })
      .on("ended", function (why) {
        if (client !== page.client) return;
        forget((why && why.message) || t("Your session has ended: please sign in again."));
      })
      .on("rating.stored", function (data) { if (client === page.client) onRatingStored(data); })
      .on("rating.ended", function (data) { if (client === page.client) onRatingEnded(data); });
    ["ticket.issued", "ticket.called", "ticket.updated", "counter.updated", "queue.updated"].forEach(function (name) {
      client.on(name, function (data, state) {
        if (client !== page.client) return;
        if (page.screen === "choose" && name === "counter.updated") listWindows(state.counters, true);
        else if (concerns(name, data)) scheduleRefresh();
      });
    });
    client.connect();
  }

  // --- start ---------------------------------------------------------------------------------------------

  function tick() {
    if (page.screen === "desk") renderTimer();
  }

  askEarly(sessionStorage.getItem(TOKEN_KEY));
  HallQI18n.load(lang).then(function () {
    if (/[?&]lang=/.test(location.search)) HallQI18n.remember(lang);
    try {
      page.lastNoShow = JSON.parse(sessionStorage.getItem(NO_SHOW_KEY) || "null");
    } catch (err) {
      page.lastNoShow = null;
    }
    setInterval(tick, TICK_MS);
    var token = sessionStorage.getItem(TOKEN_KEY);
    if (token) signedIn(token, sessionStorage.getItem(NAME_KEY) || "");
    else forget("");
  });
})();
