/*
 * Follow-up cases (/office/follow-ups): the list by status, one case and its notes, and the
 * supervisor's actions on it; recording a complaint.
 *
 * Runs on the back office's shell (office-session.js: HallQOffice, its sign-in refuses clerks,
 * its token and api()). Everything comes from the public API:
 *
 * - GET /api/v1/follow-ups?status=open|overdue|closed|all&page: the list, newest first;
 * - GET /api/v1/follow-ups/{id}: one case; POST .../assign {assignee}, .../notes {text},
 *   .../close {note}: the actions (closing needs the fix: the page says so before asking);
 * - POST /api/v1/follow-ups: a complaint (channel, text, ticket number and day, clerk, window);
 * - GET /api/v1/admin/users (administrators only): the people a case can be assigned to;
 *   a supervisor types the username;
 * - live: the follow_up.updated message (HallQClient) reads the list, and the case shown,
 *   again.
 *
 * One action at a time: the buttons are disabled while a request is in flight.
 * window.hallqFollowUps exposes the page's state to the tests.
 */
(function () {
  "use strict";

  var t = HallQI18n.t;
  var office = window.HallQOffice;
  var $ = office.$;
  var lang = office.lang;
  var hall = office.hall;
  var PER_PAGE = 50;
  var REFRESH_MS = 250; // messages come in bursts: one read for a burst

  var page = {
    status: "open",
    page: 1,
    list: null, // the last GET /follow-ups
    current: null, // the case shown
    loads: 0,
    heard: 0, // follow_up.updated messages
    busy: false,
    client: null,
    people: null, // administrators: [{username, display_name}] a case can go to
  };
  window.hallqFollowUps = page;

  var CHANNELS = {
    counter: function () { return t("At a window"); },
    phone: function () { return t("By phone"); },
    email: function () { return t("By email"); },
    letter: function () { return t("By letter"); },
    online: function () { return t("Online"); },
    other: function () { return t("Another way"); },
  };

  function when(iso) {
    if (!iso) return "—";
    try {
      return new Date(iso).toLocaleString(lang, {
        timeZone: hall.timezone, hour12: false, year: "numeric", month: "2-digit",
        day: "2-digit", hour: "2-digit", minute: "2-digit",
      });
    } catch (err) {
      return iso;
    }
  }

  function what(item) {
    if (item.kind === "rating") return t("A rating of %(score)s", {score: item.score});
    var channel = CHANNELS[item.channel];
    return t("A complaint (%(channel)s)", {channel: channel ? channel() : item.channel || ""});
  }

  function person(p) {
    if (!p) return "—";
    return p.display_name && p.display_name !== p.username ? p.display_name + " (" + p.username + ")" : p.username;
  }

  function ticketOf(item) {
    if (!item.ticket || !item.ticket.number) return "—";
    return item.ticket.number + (item.ticket.business_day ? " · " + item.ticket.business_day : "");
  }

  function statusOf(item) {
    if (item.status === "closed") return {cls: "closed", text: t("Case closed")};
    if (item.overdue) return {cls: "overdue", text: t("Overdue")};
    return {cls: "open", text: t("Case open")};
  }

  function badge(item) {
    var s = statusOf(item);
    var span = document.createElement("span");
    span.className = "badge " + s.cls;
    span.textContent = s.text;
    return span;
  }

  function setBusy(on) {
    page.busy = on;
    document.querySelectorAll("#case-actions button, #complaint-form button[type=submit]")
      .forEach(function (b) { b.disabled = on; });
  }

  // --- the list ---------------------------------------------------------------------------------

  var listLoading = null;
  var listAgain = false;

  /* One read at a time; a call during a read asks for one more after it. */
  function readList() {
    if (listLoading) {
      listAgain = true;
      return listLoading;
    }
    listLoading = (async function () {
      do {
        listAgain = false;
        if (!office.token) return;
        try {
          var found = await office.api("/api/v1/follow-ups?status=" + page.status +
            "&page=" + page.page + "&per_page=" + PER_PAGE);
          if (!office.token) return;
          page.list = found;
          page.loads += 1;
          $("list-error").textContent = "";
          renderList();
        } catch (err) {
          $("list-error").textContent = office.message(err);
        }
      } while (listAgain);
    })().finally(function () { listLoading = null; });
    return listLoading;
  }

  function renderList() {
    var list = page.list;
    var body = $("case-rows");
    body.textContent = "";
    list.items.forEach(function (item) {
      var tr = document.createElement("tr");
      tr.dataset.id = item.id;
      if (item.status === "open" && item.overdue) tr.className = "overdue";
      if (page.current && page.current.id === item.id) tr.classList.add("selected");
      var th = document.createElement("th");
      th.scope = "row";
      var button = document.createElement("button");
      button.type = "button";
      button.className = "figure";
      button.textContent = t("Case %(id)s", {id: item.id});
      button.setAttribute("aria-controls", "case");
      button.addEventListener("click", function () { showCase(item.id, true); });
      th.appendChild(button);
      tr.appendChild(th);
      [what(item), ticketOf(item), item.counter ? String(item.counter) : "—", person(item.clerk),
        when(item.due_at), person(item.assignee)].forEach(function (text, i) {
        var td = document.createElement("td");
        td.textContent = text;
        if (i === 4) td.className = "due";
        tr.appendChild(td);
      });
      var status = document.createElement("td");
      status.className = "status";
      status.appendChild(badge(item));
      tr.appendChild(status);
      body.appendChild(tr);
    });
    $("list-none").hidden = list.items.length > 0;
    var first = list.total ? (list.page - 1) * list.per_page + 1 : 0;
    var last = (list.page - 1) * list.per_page + list.items.length;
    $("page-info").textContent = t("Cases %(first)s to %(last)s of %(total)s", {first: first, last: last, total: list.total});
    $("list-caption").textContent = $("page-info").textContent;
    $("page-newer").hidden = list.page <= 1;
    $("page-older").hidden = last >= list.total;
  }

  document.querySelectorAll("#status-filter input").forEach(function (input) {
    input.addEventListener("change", function () {
      if (!input.checked) return;
      page.status = input.value;
      page.page = 1;
      readList();
    });
  });
  $("page-newer").addEventListener("click", function () {
    page.page = Math.max(1, page.page - 1);
    readList();
  });
  $("page-older").addEventListener("click", function () {
    page.page += 1;
    readList();
  });

  // --- one case ---------------------------------------------------------------------------------

  async function showCase(id, focus) {
    try {
      var item = await office.api("/api/v1/follow-ups/" + id);
      renderCase(item);
      if (focus) $("case").focus();
    } catch (err) {
      $("list-error").textContent = office.message(err);
    }
  }

  function show(id, text, hiddenIfEmpty) {
    $(id).textContent = text || "—";
    if (hiddenIfEmpty) {
      $(id).hidden = !text;
      $(id + "-term").hidden = !text;
    }
  }

  function renderCase(item) {
    var changed = !page.current || page.current.id !== item.id;
    page.current = item;
    $("case-none").hidden = true;
    $("case-body").hidden = false;
    $("case-title").textContent = t("Case %(id)s", {id: item.id});
    var s = statusOf(item);
    $("case-status").className = "badge " + s.cls;
    $("case-status").textContent = s.text;
    show("case-what", what(item));
    show("case-ticket", ticketOf(item));
    show("case-window", item.counter ? String(item.counter) : "");
    show("case-clerk", item.clerk ? person(item.clerk) : "");
    show("case-opened", when(item.opened_at));
    show("case-due", when(item.due_at));
    show("case-recorded-by", item.recorded_by || "");
    show("case-assignee", item.assignee ? person(item.assignee) + " · " + when(item.assigned_at) : "");
    show("case-text", item.text || "", true);
    show("case-closed", item.closed_at ? when(item.closed_at) + (item.closed_by ? " · " + item.closed_by : "") : "", true);
    show("case-fix", item.note || "", true);
    var notes = $("case-notes");
    notes.textContent = "";
    item.notes.forEach(function (note) {
      var li = document.createElement("li");
      var meta = document.createElement("span");
      meta.className = "meta";
      meta.textContent = when(note.at) + (note.user ? " · " + note.user : "");
      li.appendChild(meta);
      li.appendChild(document.createTextNode(note.text));
      notes.appendChild(li);
    });
    $("notes-none").hidden = item.notes.length > 0;
    $("case-actions").hidden = item.status !== "open";
    if (changed) {
      ["assign-error", "note-error", "close-error"].forEach(function (e) { $(e).textContent = ""; });
      $("note-text").value = "";
      $("close-note").value = "";
      $("close-note").removeAttribute("aria-invalid");
      $("note-text").removeAttribute("aria-invalid");
      $("assign-who").value = item.assignee ? item.assignee.username : "";
      if (page.people) $("assign-select").value = item.assignee ? item.assignee.username : "";
    }
    document.querySelectorAll("#case-rows tr").forEach(function (tr) {
      tr.classList.toggle("selected", Number(tr.dataset.id) === item.id);
    });
  }

  function forgetCase() {
    page.current = null;
    $("case-title").textContent = t("Case");
    $("case-none").hidden = false;
    $("case-body").hidden = true;
  }

  /* An action on the case shown: the form's button is off while it runs; the case shown
     again as the server answers, and the list read again. */
  async function act(path, body, errorId, done) {
    if (page.busy || !page.current) return;
    setBusy(true);
    $(errorId).textContent = "";
    try {
      var item = await office.api("/api/v1/follow-ups/" + page.current.id + path, {method: "POST", body: body});
      renderCase(item);
      $("page-done").textContent = done(item);
      readList();
      return item;
    } catch (err) {
      $(errorId).textContent = office.message(err);
      return null;
    } finally {
      setBusy(false);
    }
  }

  $("assign-form").addEventListener("submit", async function (event) {
    event.preventDefault();
    var who = page.people ? $("assign-select").value : $("assign-who").value.trim();
    if (!who) {
      $("assign-error").textContent = t("Say whom to assign the case to.");
      (page.people ? $("assign-select") : $("assign-who")).focus();
      return;
    }
    await act("/assign", {assignee: who}, "assign-error", function (item) {
      return t("Case %(id)s is assigned to %(name)s.", {id: item.id, name: who});
    });
  });

  $("note-form").addEventListener("submit", async function (event) {
    event.preventDefault();
    var text = $("note-text").value.trim();
    if (!text) {
      $("note-text").setAttribute("aria-invalid", "true");
      $("note-error").textContent = t("Write the note first.");
      $("note-text").focus();
      return;
    }
    $("note-text").removeAttribute("aria-invalid");
    var item = await act("/notes", {text: text}, "note-error", function (it) {
      return t("The note is added to case %(id)s.", {id: it.id});
    });
    if (item) $("note-text").value = "";
  });

  $("close-form").addEventListener("submit", async function (event) {
    event.preventDefault();
    var note = $("close-note").value.trim();
    if (!note) {
      // Refused here already: a case closes with its fix written down.
      $("close-note").setAttribute("aria-invalid", "true");
      $("close-error").textContent = t("Write the fix: a case is closed with a note of what was done.");
      $("close-note").focus();
      return;
    }
    $("close-note").removeAttribute("aria-invalid");
    var item = await act("/close", {note: note}, "close-error", function (it) {
      return t("Case %(id)s is closed.", {id: it.id});
    });
    if (item) $("case").focus();
  });

  // --- the people a case can be assigned to (administrators) ------------------------------------

  async function readPeople(who) {
    page.people = null;
    $("assign-select").hidden = true;
    $("assign-who").hidden = false;
    if (who.role !== "admin") return;
    try {
      var found = await office.api("/api/v1/admin/users");
      var people = found.users.filter(function (u) {
        return u.active && (u.role === "admin" || u.role === "supervisor");
      });
      var select = $("assign-select");
      select.textContent = "";
      var none = document.createElement("option");
      none.value = "";
      none.textContent = t("Choose…");
      select.appendChild(none);
      people.forEach(function (u) {
        var option = document.createElement("option");
        option.value = u.username;
        option.textContent = person(u);
        select.appendChild(option);
      });
      page.people = people;
      select.hidden = false;
      $("assign-who").hidden = true;
      if (page.current && page.current.assignee) select.value = page.current.assignee.username;
    } catch (err) {
      // The username field stays.
    }
  }

  // The label names the field shown: the list (administrators) or the username field.
  $("assign-label").addEventListener("click", function (event) {
    if (page.people) {
      event.preventDefault();
      $("assign-select").focus();
    }
  });

  // --- recording a complaint ------------------------------------------------------------------------

  var opener = null;

  async function readWindows() {
    try {
      var state = await office.api("/api/v1/state");
      var select = $("complaint-counter");
      while (select.options.length > 1) select.remove(1);
      state.counters.forEach(function (c) {
        var option = document.createElement("option");
        option.value = String(c.number);
        option.textContent = t("Window %(number)s", {number: c.number}) + (c.label ? " · " + c.label : "");
        select.appendChild(option);
      });
    } catch (err) {
      // No list of windows: a complaint can still be recorded without one.
    }
  }

  $("open-complaint").addEventListener("click", function () {
    opener = $("open-complaint");
    $("complaint-form").reset();
    $("complaint-error").textContent = "";
    $("complaint-text").removeAttribute("aria-invalid");
    $("complaint-dialog").showModal();
    $("complaint-channel").focus();
  });

  $("complaint-dialog").addEventListener("close", function () {
    if (opener) opener.focus();
    opener = null;
  });
  $("complaint-dialog").querySelectorAll("[data-close]").forEach(function (button) {
    button.addEventListener("click", function () { $("complaint-dialog").close(); });
  });

  $("complaint-form").addEventListener("submit", async function (event) {
    event.preventDefault();
    if (page.busy) return;
    var form = event.target;
    var text = form.text.value.trim();
    if (!text) {
      form.text.setAttribute("aria-invalid", "true");
      $("complaint-error").textContent = t("Write what the complaint says.");
      form.text.focus();
      return;
    }
    form.text.removeAttribute("aria-invalid");
    var body = {channel: form.channel.value, text: text};
    var ticket = form.ticket.value.trim();
    if (ticket) {
      body.ticket = ticket;
      if (form.day.value) body.day = form.day.value;
    }
    if (form.clerk.value.trim()) body.clerk = form.clerk.value.trim();
    if (form.counter.value) body.counter = Number(form.counter.value);
    setBusy(true);
    $("complaint-error").textContent = "";
    try {
      var item = await office.api("/api/v1/follow-ups", {method: "POST", body: body});
      opener = null;
      $("complaint-dialog").close();
      $("page-done").textContent = t("The complaint is recorded as case %(id)s.", {id: item.id});
      renderCase(item);
      readList();
      $("case").focus();
    } catch (err) {
      $("complaint-error").textContent = office.message(err);
    } finally {
      setBusy(false);
    }
  });

  // --- live ------------------------------------------------------------------------------------------

  var listTimer = null;

  function heard(data) {
    page.heard += 1;
    if (listTimer) return;
    listTimer = setTimeout(function () {
      listTimer = null;
      readList();
      if (page.current && data && page.current.id === data.id && !page.busy) showCase(data.id, false);
    }, REFRESH_MS);
  }

  function setOnline(online) {
    var banner = $("connection");
    if (banner) banner.hidden = online;
  }

  function connect(token) {
    var client = new HallQClient({token: token});
    page.client = client;
    client
      .on("state", function () {
        if (client !== page.client) return;
        setOnline(true);
        readList(); // after a reconnect: what happened meanwhile
      })
      .on("follow_up.updated", function (data) { if (client === page.client) heard(data); })
      .on("offline", function () { if (client === page.client) setOnline(false); })
      .on("error", function () { if (client === page.client) setOnline(false); })
      .on("ended", function () {
        if (client === page.client) office.forget(office.ended());
      });
    client.connect();
  }

  function disconnect() {
    if (!page.client) return;
    var client = page.client;
    page.client = null;
    client.ended = true; // closed on purpose: no "offline" from it
    client.close();
  }

  // --- start -------------------------------------------------------------------------------------------

  office.ready(function (who) {
    readList();
    readPeople(who);
    readWindows();
    connect(who.token);
  });

  office.signedOut(function () {
    disconnect();
    setOnline(true);
    page.list = null;
    $("case-rows").textContent = "";
    $("page-done").textContent = "";
    forgetCase();
  });
})();
