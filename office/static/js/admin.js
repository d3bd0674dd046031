/*
 * The administration pages (/office/admin): the hall, zones, services, windows, devices, users
 * and the hall file, one sub-section at a time (the address's #fragment picks it).
 *
 * Needs the back office's shell first (office/base.html, office-session.js: HallQOffice). Only
 * an administrator sees anything: a supervisor is told the section is for administrators and
 * nothing is read; a clerk never gets past the sign-in. Everything is read and changed through
 * the administration API (/api/v1/admin/...): a change to the hall's configuration edits its
 * hall file and loads it again on the server, which tells open kiosks and boards at once.
 *
 * A refusal is shown next to the form it came from, in words: the server's message and, for
 * a hall file the checks refuse (400) or a request of the wrong shape (422), each problem.
 * A device's token is shown once, in a dialog: closing it takes the token off the page. The
 * devices' list follows what their agents report (device.updated, over the hall's socket).
 * Zones, services and windows are retired (DELETE) after a confirmation saying what happens.
 * One change at a time: the buttons are disabled while a request is in flight. Dialogs are
 * <dialog>s: Escape closes them and the focus goes back to the button that opened them.
 * window.hallqAdmin exposes the page's state (never a token) to the tests.
 */
(function () {
  "use strict";

  var office = HallQOffice;
  var t = HallQI18n.t;
  var $ = office.$;
  var nameOf = office.nameOf;
  var lang = office.lang;
  var hallInfo = office.hall;

  var LANGUAGES = ["zh-Hant", "zh-Hans", "en"]; // every name and document list has all three
  var DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
  var SUBS = ["hall", "zones", "services", "windows", "devices", "users", "hall-file"];
  var PAIRING = {kiosk: "/kiosk", display: "/display"}; // pages a pairing link opens

  var page = {
    admin: false, // an administrator is signed in
    sub: null,
    busy: false,
    loads: 0, // reads of the lists done
    hall: null,
    zones: [],
    services: [],
    windows: [],
    devices: [],
    users: [],
    checked: null, // the hall file checked and ready to load: its text
  };
  window.hallqAdmin = page;

  function setText(el, text) {
    if (el.textContent !== text) el.textContent = text;
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  /* A row's button; ``key`` names it ("user clerk1 edit") so that the focus can find its
     successor once the row is drawn again after a change. */
  function button(text, label, onClick, dialog, key) {
    var b = el("button", null, text);
    b.type = "button";
    if (label) b.setAttribute("aria-label", label);
    if (dialog) b.setAttribute("aria-haspopup", "dialog");
    b.dataset.act = "1";
    if (key) b.dataset.key = key;
    b.addEventListener("click", function () { onClick(b); });
    return b;
  }

  function row(tr, key) {
    tr.dataset.rowKey = key;
    return tr;
  }

  /* The element itself if still on the page; else the button drawn in its place (the same
     key), else the first button of its row; else null. */
  function present(node) {
    if (!node || document.contains(node)) return node;
    var key = node.dataset && node.dataset.key;
    if (!key) return null;
    var same = document.querySelector('button[data-key="' + CSS.escape(key) + '"]:not([hidden])');
    if (same) return same;
    var rowKey = key.split(" ").slice(0, 2).join(" ");
    return document.querySelector('tr[data-row-key="' + CSS.escape(rowKey) + '"] button');
  }

  // --- words ----------------------------------------------------------------------------------

  var ROLE_WORDS = {
    admin: function () { return t("Administrator"); },
    supervisor: function () { return t("Supervisor"); },
    clerk: function () { return t("Clerk"); },
  };
  var KIND_WORDS = {
    kiosk: function () { return t("Kiosk"); },
    display: function () { return t("Board"); },
    counter: function () { return t("Window's device"); },
  };
  var DEVICE_WORDS = { // what an agent reports (the dashboard says the same)
    ok: function () { return t("Working"); },
    offline: function () { return t("Offline"); },
    paper_out: function () { return t("Out of paper"); },
    paper_near_end: function () { return t("Paper running out"); },
    pad_offline: function () { return t("Pad offline"); },
    sign_offline: function () { return t("Sign offline"); },
    unknown: function () { return t("State unknown"); },
  };
  var STATE_WORDS = {
    closed: function () { return t("Closed"); },
    open: function () { return t("Open"); },
    idle: function () { return t("Open"); },
    calling: function () { return t("Calling"); },
    serving: function () { return t("Serving"); },
    paused: function () { return t("Paused"); },
  };

  function words(table, key) {
    return table[key] ? table[key]() : key;
  }

  function zoneName(code) {
    var zone = page.zones.find(function (z) { return z.code === code; });
    return zone ? nameOf(zone) : code || "";
  }

  function when(iso) {
    if (!iso) return t("Never");
    var at = new Date(iso);
    try {
      return at.toLocaleString(lang, {dateStyle: "medium", timeStyle: "short", timeZone: hallInfo.timezone});
    } catch (err) {
      return at.toLocaleString();
    }
  }

  /* A date of the calendar as the hall file writes it (2026-12-25), whatever form it came in. */
  function isoDate(value) {
    if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
    var parsed = new Date(value);
    return isNaN(parsed) ? String(value) : parsed.toISOString().slice(0, 10);
  }

  function lines(text) {
    return text.split("\n").map(function (s) { return s.trim(); }).filter(Boolean);
  }

  function list(text) {
    return text.split(",").map(function (s) { return s.trim(); }).filter(Boolean);
  }

  // --- errors ---------------------------------------------------------------------------------

  function problemText(p) {
    if (p.field !== undefined) return t("%(field)s: %(problem)s", {field: p.field, problem: p.problem});
    var where = p.where || "";
    if (p.line) where = t("%(where)s (line %(line)s)", {where: where, line: p.line});
    return where ? where + ": " + p.message : p.message;
  }

  /* The refusal in words where the form is: what to do about it when the page knows (a
     retire refused), the server's message, then each problem. */
  function showError(box, err) {
    box.textContent = "";
    if (!err) return;
    if (err.advice) box.appendChild(el("p", "advice", err.advice));
    box.appendChild(el("p", null, office.message(err)));
    if (err.problems && err.problems.length) {
      var ul = el("ul", "problems");
      err.problems.forEach(function (p) { ul.appendChild(el("li", null, problemText(p))); });
      box.appendChild(ul);
    }
  }

  function refused(text) {
    var err = new Error(text);
    err.status = 400;
    return err;
  }

  /* What an edit of the hall's configuration answered, said in a line. */
  function editedWords(done) {
    var count = (done && done.changes && done.changes.length) || 0;
    var said = count ? t("Saved: %(count)s changes.", {count: count}) : t("Saved: nothing had changed.");
    var warnings = (done && done.warnings) || [];
    if (warnings.length) said += " " + t("Warnings: %(list)s", {list: warnings.map(problemText).join("; ")});
    return said;
  }

  // --- one change at a time -------------------------------------------------------------------

  function updateButtons() {
    document.querySelectorAll("#admin-body button[data-act], #admin-body .buttons button, dialog button[type=submit]")
      .forEach(function (b) {
        if (b.id === "load-file") b.disabled = page.busy || page.checked === null;
        else if (b.id !== "token-close") b.disabled = page.busy;
      });
  }

  /* Runs one request: the buttons are disabled until it is answered. ``run`` returns what to
     say when done; the dialog it came from closes when it succeeds, and keeps the error when
     not. */
  async function act(run, errorBox, dialogId) {
    if (page.busy) return false;
    var focused = document.activeElement;
    page.busy = true;
    updateButtons();
    $("admin-done").textContent = "";
    $("admin-error").textContent = "";
    if (errorBox) errorBox.textContent = "";
    var ok = false;
    try {
      var said = await run();
      if (said) $("admin-done").textContent = said;
      ok = true;
    } catch (err) {
      if (err.status !== 401) showError(errorBox || $("admin-error"), err);
    } finally {
      page.busy = false;
      updateButtons();
      if (ok && dialogId) closeDialog(dialogId);
      else {
        var back = present(focused);
        if (back && !back.disabled && (!document.activeElement || document.activeElement === document.body)) back.focus();
      }
    }
    return ok;
  }

  // --- dialogs --------------------------------------------------------------------------------

  function wireDialog(dialog) {
    dialog.querySelectorAll("[data-close]").forEach(function (b) {
      b.addEventListener("click", function () { dialog.close(); });
    });
    dialog.addEventListener("close", function () {
      if (dialog.onClosed) {
        var after = dialog.onClosed;
        dialog.onClosed = null;
        after();
      }
      var opener = present(dialog.opener);
      dialog.opener = null;
      if (opener && !opener.hidden) opener.focus();
    });
  }

  document.querySelectorAll("dialog").forEach(wireDialog);

  function openDialog(id, opener, prepare) {
    var dialog = $(id);
    var form = dialog.querySelector("form");
    form.reset();
    dialog.querySelectorAll(".error").forEach(function (box) { box.textContent = ""; });
    if (prepare) prepare(form);
    dialog.opener = opener;
    dialog.showModal();
    var first = form.querySelector("input:not([disabled]):not([hidden]):not([readonly]), select:not([hidden]), textarea");
    if (first) first.focus();
  }

  function closeDialog(id) {
    var dialog = $(id);
    if (dialog.open) dialog.close();
  }

  /* A confirmation: ``yes`` runs when confirmed, its refusal shown in the dialog. */
  function confirmThen(opener, title, text, yes, run) {
    openDialog("confirm-dialog", opener, function () {
      setText($("confirm-title"), title);
      setText($("confirm-text"), text);
      setText($("confirm-yes"), yes);
    });
    $("confirm-form").onsubmit = function (event) {
      event.preventDefault();
      act(run, $("confirm-error"), "confirm-dialog");
    };
  }

  /* Retiring a zone, service or window: asked first; its tickets stay in the records. The
     hall file's checks refuse it while something still names it (a window's work profile, a
     device): ``advice()`` then says what, in words, before the checks' own problems. */
  function confirmRetire(opener, title, text, path, sub, done, advice) {
    confirmThen(opener, title, text, t("Retire it"), async function () {
      try {
        await office.send(path, {method: "DELETE"});
      } catch (err) {
        if (err.status === 400 && err.code === "hall_file_invalid") err.advice = advice();
        throw err;
      }
      await readAll();
      // Its row is gone: the focus goes back to the sub-section's title.
      $("confirm-dialog").opener = $(sub + "-title");
      return done;
    });
  }

  function retireButton(label, key, onClick) {
    var b = button(t("Retire"), label, onClick, true, key);
    b.classList.add("retire");
    return b;
  }

  function submitting(formId, handler) {
    $(formId).addEventListener("submit", function (event) {
      event.preventDefault();
      if (page.busy) return;
      handler(event.target);
    });
  }

  function options(select, items, blank) {
    select.textContent = "";
    if (blank) {
      var none = el("option", null, blank);
      none.value = "";
      select.appendChild(none);
    }
    items.forEach(function (item) {
      var option = el("option", null, item.text);
      option.value = item.value;
      select.appendChild(option);
    });
  }

  function zoneOptions(select, blank) {
    options(select, page.zones.map(function (z) {
      return {value: z.code, text: t("%(zone)s (%(code)s)", {zone: nameOf(z), code: z.code})};
    }), blank);
  }

  // --- sub-sections ---------------------------------------------------------------------------

  function subFromAddress() {
    var wanted = location.hash.replace(/^#/, "");
    return SUBS.indexOf(wanted) >= 0 ? wanted : SUBS[0];
  }

  function showSub(sub, moveFocus) {
    page.sub = sub;
    document.querySelectorAll("section.sub").forEach(function (section) {
      section.hidden = section.dataset.sub !== sub;
    });
    document.querySelectorAll(".subsections a").forEach(function (a) {
      if (a.dataset.sub === sub) a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    });
    if (moveFocus) $(sub + "-title").focus();
  }

  window.addEventListener("hashchange", function () {
    if (page.admin) showSub(subFromAddress(), true);
  });

  // --- reads ----------------------------------------------------------------------------------

  async function readAll() {
    var got = await Promise.all([
      office.send("/api/v1/admin/hall"),
      office.send("/api/v1/admin/zones"),
      office.send("/api/v1/admin/services"),
      office.send("/api/v1/admin/windows"),
      office.send("/api/v1/admin/devices"),
      office.send("/api/v1/admin/users"),
    ]);
    if (!page.admin) return;
    page.hall = got[0];
    page.zones = got[1].zones;
    page.services = got[2].services;
    page.windows = got[3].windows;
    page.devices = got[4].devices;
    page.users = got[5].users;
    page.loads += 1;
    render();
  }

  async function reread() {
    try {
      await readAll();
    } catch (err) {
      if (err.status !== 401) showError($("admin-error"), err);
    }
  }

  function render() {
    renderHall();
    renderZones();
    renderServices();
    renderWindows();
    renderDevices();
    renderUsers();
    updateButtons();
  }

  // --- the hall -------------------------------------------------------------------------------

  function renderHall() {
    var data = page.hall;
    if (!data) return;
    var form = $("hall-form");
    var hall = data.hall || {};
    LANGUAGES.forEach(function (code) {
      form.elements["name-" + code].value = (hall.name && hall.name[code]) || "";
    });
    form.elements.languages.value = (hall.languages || []).join(", ");
    form.elements.announce.value = (hall.announce || []).join(", ");
    form.elements.timezone.value = hall.timezone || "";
    form.elements.public_url.value = hall.public_url || "";
    form.querySelectorAll("input[data-rule]").forEach(function (input) {
      var value = (data.queue || {})[input.dataset.rule];
      input.value = value === null || value === undefined ? "" : String(value);
    });
    var calendar = data.calendar || {};
    var working = calendar.working_days || ["mon", "tue", "wed", "thu", "fri"];
    form.querySelectorAll("input[data-day]").forEach(function (box) {
      box.checked = working.indexOf(box.dataset.day) >= 0;
    });
    form.elements.holidays.value = (calendar.holidays || []).map(isoDate).join("\n");
    form.elements.extra_working_days.value = (calendar.extra_working_days || []).map(isoDate).join("\n");
  }

  function number(input, integer) {
    var text = input.value.trim();
    if (!text) return null;
    var value = Number(text);
    if (!isFinite(value) || (integer && !Number.isInteger(value))) {
      throw refused(t("%(field)s: type a number.", {field: input.labels[0].textContent}));
    }
    return value;
  }

  submitting("hall-form", function (form) {
    act(async function () {
      var name = {};
      LANGUAGES.forEach(function (code) { name[code] = form.elements["name-" + code].value.trim(); });
      var queue = {};
      form.querySelectorAll("input[data-rule]").forEach(function (input) {
        queue[input.dataset.rule] = number(input, input.dataset.rule !== "default_service_minutes");
      });
      var working = [];
      form.querySelectorAll("input[data-day]").forEach(function (box) {
        if (box.checked) working.push(box.dataset.day);
      });
      var done = await office.send("/api/v1/admin/hall", {
        method: "PATCH",
        body: {
          name: name,
          languages: list(form.elements.languages.value),
          announce: list(form.elements.announce.value),
          timezone: form.elements.timezone.value.trim(),
          public_url: form.elements.public_url.value.trim() || null,
          queue: queue,
          calendar: {
            working_days: working,
            holidays: lines(form.elements.holidays.value),
            extra_working_days: lines(form.elements.extra_working_days.value),
          },
        },
      });
      await readAll();
      return editedWords(done);
    }, $("hall-error"));
  });

  // --- zones ----------------------------------------------------------------------------------

  function renderZones() {
    var body = $("zone-rows");
    body.textContent = "";
    page.zones.forEach(function (zone) {
      var tr = row(el("tr"), "zone " + zone.code);
      tr.dataset.zone = zone.code;
      var code = el("th", null, zone.code);
      code.scope = "row";
      tr.appendChild(code);
      LANGUAGES.forEach(function (l) {
        var td = el("td", null, (zone.name && zone.name[l]) || "");
        td.lang = l;
        tr.appendChild(td);
      });
      var actions = el("td", "row-actions");
      actions.appendChild(button(t("Rename"), t("Rename zone %(zone)s", {zone: zone.code}), function (b) {
        openZone(zone, b);
      }, true, "zone " + zone.code + " rename"));
      actions.appendChild(retireButton(t("Retire zone %(zone)s", {zone: zone.code}), "zone " + zone.code + " retire", function (b) {
        confirmRetire(b, t("Retire zone %(zone)s", {zone: zone.code}),
          t("The zone is taken out of the hall; its tickets stay in the records. Only an empty zone can be retired: its services, windows and devices go to another zone first."),
          "/api/v1/admin/zones/" + encodeURIComponent(zone.code), "zones",
          t("Zone %(zone)s is retired.", {zone: zone.code}),
          function () { return zoneAdvice(zone.code); });
      }));
      tr.appendChild(actions);
      body.appendChild(tr);
    });
  }

  var editingZone = null;

  function openZone(zone, opener) {
    editingZone = zone;
    openDialog("zone-dialog", opener, function (form) {
      setText($("zone-dialog-title"), zone ? t("Rename zone %(zone)s", {zone: zone.code}) : t("Add a zone"));
      form.elements.code.value = zone ? zone.code : "";
      form.elements.code.disabled = Boolean(zone);
      LANGUAGES.forEach(function (l) {
        form.elements["name-" + l].value = zone ? (zone.name[l] || "") : "";
      });
    });
  }

  $("add-zone").addEventListener("click", function (event) { openZone(null, event.currentTarget); });

  function zoneAdvice(code) {
    var still = page.services.filter(function (s) { return s.zone === code; }).map(nameOf)
      .concat(page.windows.filter(function (w) { return w.zone === code; }).map(function (w) {
        return t("Window %(window)s", {window: w.number});
      }))
      .concat(page.devices.filter(function (d) { return d.zone === code && !d.window; }).map(function (d) {
        return d.name;
      }));
    if (!still.length) return null;
    return t("Still in this zone: %(list)s. Move them to another zone, or retire them, first.", {list: still.join(", ")});
  }

  submitting("zone-form", function (form) {
    var zone = editingZone;
    var name = {};
    LANGUAGES.forEach(function (l) { name[l] = form.elements["name-" + l].value.trim(); });
    act(async function () {
      var done = zone
        ? await office.send("/api/v1/admin/zones/" + encodeURIComponent(zone.code), {method: "PATCH", body: {name: name}})
        : await office.send("/api/v1/admin/zones", {method: "POST", body: {code: form.elements.code.value.trim(), name: name}});
      await readAll();
      return editedWords(done);
    }, $("zone-error"), "zone-dialog");
  });

  // --- services -------------------------------------------------------------------------------

  function renderServices() {
    var body = $("service-rows");
    body.textContent = "";
    page.services.forEach(function (s) {
      var tr = row(el("tr"), "service " + s.code);
      tr.dataset.service = s.code;
      var name = el("th", "name");
      name.scope = "row";
      name.appendChild(el("span", "service-name", nameOf(s)));
      name.appendChild(el("span", "code", s.code));
      tr.appendChild(name);
      tr.appendChild(el("td", "prefix", s.prefix));
      tr.appendChild(el("td", "zone", zoneName(s.zone)));
      tr.appendChild(el("td", "num", t("%(minutes)s min", {minutes: s.target_wait})));
      tr.appendChild(el("td", "num", s.typical_minutes ? t("%(minutes)s min", {minutes: s.typical_minutes}) : "—"));
      tr.appendChild(el("td", "num", s.daily_cap ? String(s.daily_cap) : t("None")));
      var documents = (s.documents && (s.documents[lang] || s.documents[LANGUAGES[0]])) || [];
      tr.appendChild(el("td", "num documents", String(documents.length)));
      var actions = el("td", "row-actions");
      actions.appendChild(button(t("Edit"), t("Edit %(service)s", {service: nameOf(s)}), function (b) {
        openService(s, b);
      }, true, "service " + s.code + " edit"));
      actions.appendChild(retireButton(t("Retire %(service)s", {service: nameOf(s)}), "service " + s.code + " retire", function (b) {
        confirmRetire(b, t("Retire %(service)s", {service: nameOf(s)}),
          t("It disappears from the kiosks at once and no more tickets are issued for it; its tickets stay in the records and the reports. It can be retired once no window's work profile names it."),
          "/api/v1/admin/services/" + encodeURIComponent(s.code), "services",
          t("%(service)s is retired.", {service: nameOf(s)}),
          function () { return serviceAdvice(s.code); });
      }));
      tr.appendChild(actions);
      body.appendChild(tr);
    });
  }

  var editingService = null;

  function openService(service, opener) {
    editingService = service;
    openDialog("service-dialog", opener, function (form) {
      setText($("service-dialog-title"), service ? t("Edit %(service)s", {service: nameOf(service)}) : t("Add a service"));
      zoneOptions(form.elements.zone);
      form.elements.code.value = service ? service.code : "";
      form.elements.code.disabled = Boolean(service);
      if (!service) return;
      LANGUAGES.forEach(function (l) {
        form.elements["name-" + l].value = service.name[l] || "";
        form.elements["documents-" + l].value = ((service.documents && service.documents[l]) || []).join("\n");
      });
      form.elements.prefix.value = service.prefix || "";
      form.elements.zone.value = service.zone;
      form.elements.target_wait.value = service.target_wait;
      form.elements.typical_minutes.value = service.typical_minutes === null || service.typical_minutes === undefined ? "" : service.typical_minutes;
      form.elements.daily_cap.value = service.daily_cap || "";
      DAYS.forEach(function (day) {
        form.elements["hours-" + day].value = ((service.hours || {})[day] || []).join(", ");
      });
    });
  }

  $("add-service").addEventListener("click", function (event) { openService(null, event.currentTarget); });

  function serviceAdvice(code) {
    var naming = page.windows.filter(function (w) {
      return (w.profile || []).some(function (tier) {
        return tier.some(function (entry) { return (Array.isArray(entry) ? entry[0] : entry) === code; });
      });
    }).map(function (w) { return String(w.number); });
    if (!naming.length) return null;
    return t("Windows %(windows)s still serve it: take it out of their work profiles (Windows, Edit) first.", {windows: naming.join(", ")});
  }

  function serviceBody(form) {
    var name = {};
    var documents = {};
    var any = false;
    LANGUAGES.forEach(function (l) {
      name[l] = form.elements["name-" + l].value.trim();
      documents[l] = lines(form.elements["documents-" + l].value);
      if (documents[l].length) any = true;
    });
    var hours = {};
    DAYS.forEach(function (day) {
      var ranges = list(form.elements["hours-" + day].value);
      if (ranges.length) hours[day] = ranges;
    });
    var target = number(form.elements.target_wait, true);
    if (target === null) throw refused(t("Type the target wait in minutes."));
    return {
      name: name,
      documents: any ? documents : null,
      prefix: form.elements.prefix.value.trim().toUpperCase(),
      zone: form.elements.zone.value,
      target_wait: target,
      typical_minutes: number(form.elements.typical_minutes, false),
      daily_cap: number(form.elements.daily_cap, true),
      hours: hours,
    };
  }

  submitting("service-form", function (form) {
    var service = editingService;
    act(async function () {
      var body = serviceBody(form);
      var done;
      if (service) {
        done = await office.send("/api/v1/admin/services/" + encodeURIComponent(service.code), {method: "PATCH", body: body});
      } else {
        body.code = form.elements.code.value.trim();
        done = await office.send("/api/v1/admin/services", {method: "POST", body: body});
      }
      await readAll();
      return editedWords(done);
    }, $("service-error"), "service-dialog");
  });

  // --- windows --------------------------------------------------------------------------------

  /* A work profile as the page writes it: a line a tier, codes by commas, a share after a
     colon; and back. */
  function profileText(profile) {
    return (profile || []).map(function (tier) {
      return tier.map(function (entry) {
        return entry[1] === 1 ? entry[0] : entry[0] + ":" + entry[1];
      }).join(", ");
    }).join("\n");
  }

  function profileFrom(text) {
    return lines(text).map(function (line) {
      return list(line).map(function (entry) {
        var parts = entry.split(":");
        if (parts.length === 1) return parts[0].trim();
        var share = Number(parts[1]);
        if (!isFinite(share)) throw refused(t("%(entry)s: the share after the colon is a number, like 0.5.", {entry: entry}));
        return [parts[0].trim(), share];
      });
    });
  }

  function renderWindows() {
    var body = $("window-rows");
    body.textContent = "";
    page.windows.forEach(function (w) {
      var tr = row(el("tr"), "window " + w.number);
      tr.dataset.window = String(w.number);
      var number = el("th", null, String(w.number));
      number.scope = "row";
      tr.appendChild(number);
      tr.appendChild(el("td", null, zoneName(w.zone)));
      tr.appendChild(el("td", null, w.label || "—"));
      tr.appendChild(el("td", "profile", profileText(w.profile).split("\n").join(" › ")));
      tr.appendChild(el("td", null, words(STATE_WORDS, w.state)));
      var actions = el("td", "row-actions");
      actions.appendChild(button(t("Edit"), t("Edit window %(window)s", {window: w.number}), function (b) {
        openWindow(w, b);
      }, true, "window " + w.number + " edit"));
      actions.appendChild(retireButton(t("Retire window %(window)s", {window: w.number}), "window " + w.number + " retire", function (b) {
        confirmRetire(b, t("Retire window %(window)s", {window: w.number}),
          t("The window is taken out of the hall and no clerk can open it any more; its tickets stay in the records. A window that still has a device of its own cannot be retired."),
          "/api/v1/admin/windows/" + w.number, "windows",
          t("Window %(window)s is retired.", {window: w.number}),
          function () { return windowAdvice(w.number); });
      }));
      tr.appendChild(actions);
      body.appendChild(tr);
    });
  }

  var editingWindow = null;

  function openWindow(w, opener) {
    editingWindow = w;
    openDialog("window-dialog", opener, function (form) {
      setText($("window-dialog-title"), w ? t("Edit window %(window)s", {window: w.number}) : t("Add a window"));
      zoneOptions(form.elements.zone);
      form.elements.number.value = w ? w.number : "";
      form.elements.number.disabled = Boolean(w);
      if (!w) return;
      form.elements.zone.value = w.zone;
      form.elements.label.value = w.label || "";
      form.elements.profile.value = profileText(w.profile);
    });
  }

  $("add-window").addEventListener("click", function (event) { openWindow(null, event.currentTarget); });

  function windowAdvice(number) {
    var devices = page.devices.filter(function (d) { return d.window === number; }).map(function (d) { return d.name; });
    if (!devices.length) return null;
    return t("The device %(devices)s belongs to this window: give it another window in the hall file (Hall file) first.", {devices: devices.join(", ")});
  }

  submitting("window-form", function (form) {
    var w = editingWindow;
    act(async function () {
      var body = {
        zone: form.elements.zone.value,
        label: form.elements.label.value.trim() || null,
        profile: profileFrom(form.elements.profile.value),
      };
      var done;
      if (w) {
        done = await office.send("/api/v1/admin/windows/" + w.number, {method: "PATCH", body: body});
      } else {
        body.number = number(form.elements.number, true);
        if (body.number === null) throw refused(t("Type the window's number."));
        done = await office.send("/api/v1/admin/windows", {method: "POST", body: body});
      }
      await readAll();
      return editedWords(done);
    }, $("window-error"), "window-dialog");
  });

  // --- devices --------------------------------------------------------------------------------

  function deviceStatus(d) {
    var status = d.status || {};
    if (!status.status) return t("Not reported");
    var said = words(DEVICE_WORDS, status.status);
    return status.detail ? said + ": " + status.detail : said;
  }

  function tokenState(d) {
    if (d.revoked) return t("Revoked");
    return d.has_token ? t("Working") : t("None");
  }

  function renderDevices() {
    var body = $("device-rows");
    body.textContent = "";
    page.devices.forEach(function (d) {
      var tr = row(el("tr"), "device " + d.name);
      tr.dataset.device = d.name;
      var name = el("th", null, d.name);
      name.scope = "row";
      tr.appendChild(name);
      tr.appendChild(el("td", null, words(KIND_WORDS, d.kind)));
      var where = d.window ? t("Window %(window)s", {window: d.window}) : d.zone ? zoneName(d.zone) : t("Whole hall");
      tr.appendChild(el("td", null, where));
      tr.appendChild(el("td", "seen", when(d.last_seen_at)));
      tr.appendChild(el("td", "status", deviceStatus(d)));
      var token = el("td", "token", tokenState(d));
      if (d.revoked) token.classList.add("bad");
      tr.appendChild(token);
      var actions = el("td", "row-actions");
      actions.appendChild(button(t("New token"), t("New token for %(device)s", {device: d.name}), function (b) {
        confirmRotate(d, b);
      }, true, "device " + d.name + " rotate"));
      if (d.has_token && !d.revoked) {
        var revoke = button(t("Revoke"), t("Revoke %(device)s", {device: d.name}), function (b) {
          confirmRevoke(d, b);
        }, true, "device " + d.name + " revoke");
        revoke.classList.add("revoke");
        actions.appendChild(revoke);
      }
      tr.appendChild(actions);
      body.appendChild(tr);
    });
  }

  function deviceKindChanged() {
    var kind = $("device-kind").value;
    document.querySelectorAll("#device-form [data-for-kind]").forEach(function (node) {
      node.hidden = node.dataset.forKind.split(" ").indexOf(kind) < 0;
    });
  }

  $("device-kind").addEventListener("change", deviceKindChanged);

  $("add-device").addEventListener("click", function (event) {
    openDialog("device-dialog", event.currentTarget, function (form) {
      zoneOptions(form.elements.zone, t("Whole hall (no zone)"));
      options(form.elements.window, page.windows.map(function (w) {
        return {value: String(w.number), text: t("Window %(window)s", {window: w.number})};
      }));
      deviceKindChanged();
    });
  });

  /* The token, this once. Closing the dialog takes it (and its link) off the page. */
  function showToken(name, kind, token, opener) {
    openDialog("token-dialog", opener, function () {
      setText($("token-dialog-title"), t("Token of %(device)s", {device: name}));
      $("token-value").value = token;
      var path = PAIRING[kind];
      $("token-link-row").hidden = !path;
      $("token-link").value = path ? location.origin + path + "#token=" + encodeURIComponent(token) : "";
      $("token-copied").textContent = "";
    });
    $("token-dialog").onClosed = function () {
      $("token-value").value = "";
      $("token-link").value = "";
      $("token-copied").textContent = "";
    };
    $("token-value").focus();
  }

  document.querySelectorAll("#token-dialog [data-copy]").forEach(function (b) {
    b.addEventListener("click", async function () {
      var input = $(b.dataset.copy);
      try {
        await navigator.clipboard.writeText(input.value);
      } catch (err) {
        input.select(); // no clipboard (an insecure address): selected, for Ctrl+C
        document.execCommand("copy");
      }
      $("token-copied").textContent = b.dataset.copy === "token-link" ? t("The link is copied.") : t("The token is copied.");
    });
  });

  submitting("device-form", function (form) {
    var kind = form.elements.kind.value;
    var body = {name: form.elements.name.value.trim(), kind: kind};
    if (kind === "counter") body.window = Number(form.elements.window.value);
    else if (form.elements.zone.value) body.zone = form.elements.zone.value;
    var opener = $("device-dialog").opener;
    var given = null;
    act(async function () {
      given = await office.send("/api/v1/admin/devices", {method: "POST", body: body});
      await readAll();
      return t("%(device)s is added.", {device: given.name});
    }, $("device-error"), "device-dialog").then(function (ok) {
      if (ok) showToken(given.name, given.kind, given.token, opener);
      given = null;
    });
  });

  function confirmRotate(d, opener) {
    confirmThen(opener, t("A new token for %(device)s", {device: d.name}),
      t("Its present token stops working at once: the device needs the new one to carry on."),
      t("Give it a new token"),
      async function () {
        var given = await office.send("/api/v1/admin/devices/" + encodeURIComponent(d.name) + "/rotate", {method: "POST"});
        await readAll();
        // The token dialog opens once the confirmation has closed.
        setTimeout(function () {
          showToken(given.name, given.kind || d.kind, given.token, present(opener) || $("add-device"));
          given = null;
        }, 0);
        return t("%(device)s has a new token.", {device: d.name});
      });
  }

  function confirmRevoke(d, opener) {
    confirmThen(opener, t("Revoke %(device)s", {device: d.name}),
      t("The device stops working at once and its screens close. It can be given a new token later."),
      t("Revoke it"),
      async function () {
        await office.send("/api/v1/admin/devices/" + encodeURIComponent(d.name) + "/revoke", {method: "POST"});
        await readAll();
        return t("%(device)s is revoked.", {device: d.name});
      });
  }

  // --- users ----------------------------------------------------------------------------------

  function renderUsers() {
    var body = $("user-rows");
    body.textContent = "";
    page.users.forEach(function (u) {
      var tr = row(el("tr"), "user " + u.username);
      tr.dataset.user = u.username;
      var name = el("th", null, u.username);
      name.scope = "row";
      tr.appendChild(name);
      tr.appendChild(el("td", null, u.display_name || "—"));
      tr.appendChild(el("td", "role", words(ROLE_WORDS, u.role)));
      var windows = u.role !== "clerk" ? "—" : u.windows && u.windows.length ? u.windows.join(", ") : t("Any");
      tr.appendChild(el("td", "windows", windows));
      var account = el("td", "account", u.active ? t("Active") : t("Account disabled"));
      if (!u.active) account.classList.add("bad");
      tr.appendChild(account);
      var actions = el("td", "row-actions");
      actions.appendChild(button(t("Edit"), t("Edit %(user)s", {user: u.username}), function (b) {
        openUser(u, b);
      }, true, "user " + u.username + " edit"));
      actions.appendChild(button(t("Reset password"), t("Reset password of %(user)s", {user: u.username}), function (b) {
        openPassword(u, b);
      }, true, "user " + u.username + " password"));
      if (u.active) {
        actions.appendChild(button(t("Disable"), t("Disable %(user)s", {user: u.username}), function (b) {
          confirmThen(b, t("Disable %(user)s", {user: u.username}),
            t("They cannot sign in any more and their sessions end at once."), t("Disable"),
            function () { return userAction(u, "disable", t("%(user)s is disabled.", {user: u.username})); });
        }, true, "user " + u.username + " active"));
      } else {
        actions.appendChild(button(t("Enable"), t("Enable %(user)s", {user: u.username}), function () {
          act(function () { return userAction(u, "enable", t("%(user)s is enabled again.", {user: u.username})); });
        }, false, "user " + u.username + " active"));
      }
      tr.appendChild(actions);
      body.appendChild(tr);
    });
  }

  async function userAction(u, what, said) {
    await office.send("/api/v1/admin/users/" + encodeURIComponent(u.username) + "/" + what, {method: "POST"});
    await readAll();
    return said;
  }

  var editingUser = null;

  function roleChanged() {
    $("user-windows").hidden = $("user-role").value !== "clerk";
  }

  $("user-role").addEventListener("change", roleChanged);

  function openUser(u, opener) {
    editingUser = u;
    openDialog("user-dialog", opener, function (form) {
      setText($("user-dialog-title"), u ? t("Edit %(user)s", {user: u.username}) : t("Add a user"));
      form.elements.username.value = u ? u.username : "";
      form.elements.username.disabled = Boolean(u);
      form.querySelectorAll("[data-new-only]").forEach(function (node) {
        node.hidden = Boolean(u);
        node.disabled = Boolean(u);
      });
      if (u) {
        form.elements.display_name.value = u.display_name || "";
        form.elements.role.value = u.role;
      }
      var boxes = $("user-window-boxes");
      boxes.textContent = "";
      page.windows.forEach(function (w) {
        var label = el("label", "check");
        var box = el("input");
        box.type = "checkbox";
        box.name = "window";
        box.value = String(w.number);
        box.checked = Boolean(u && u.windows && u.windows.indexOf(w.number) >= 0);
        label.appendChild(box);
        label.appendChild(document.createTextNode(" " + t("Window %(window)s", {window: w.number})));
        boxes.appendChild(label);
      });
      roleChanged();
    });
  }

  $("add-user").addEventListener("click", function (event) { openUser(null, event.currentTarget); });

  submitting("user-form", function (form) {
    var u = editingUser;
    var role = form.elements.role.value;
    var windows = [];
    form.querySelectorAll("#user-window-boxes input:checked").forEach(function (box) {
      windows.push(Number(box.value));
    });
    var body = {
      display_name: form.elements.display_name.value.trim() || null,
      role: role,
      windows: role === "clerk" && windows.length ? windows : null,
    };
    act(async function () {
      if (u) {
        await office.send("/api/v1/admin/users/" + encodeURIComponent(u.username), {method: "PATCH", body: body});
      } else {
        body.username = form.elements.username.value.trim();
        body.password = form.elements.password.value;
        if (!body.username) throw refused(t("Type a username."));
        await office.send("/api/v1/admin/users", {method: "POST", body: body});
      }
      await readAll();
      var who = u ? u.username : body.username;
      return u ? t("%(user)s is changed.", {user: who}) : t("%(user)s is added.", {user: who});
    }, $("user-error"), "user-dialog");
  });

  var resetting = null;

  function openPassword(u, opener) {
    resetting = u;
    openDialog("password-dialog", opener, function () {
      setText($("password-dialog-title"), t("Reset the password of %(user)s", {user: u.username}));
    });
  }

  submitting("password-form", function (form) {
    var u = resetting;
    var password = form.elements.password.value;
    act(async function () {
      await office.send("/api/v1/admin/users/" + encodeURIComponent(u.username) + "/password", {
        method: "POST", body: {password: password},
      });
      return t("The password of %(user)s is reset.", {user: u.username});
    }, $("password-error"), "password-dialog");
  });

  // --- the hall file --------------------------------------------------------------------------

  $("download-file").addEventListener("click", function () {
    act(async function () {
      var file = await office.send("/api/v1/admin/hall-file", {as: "text"});
      var url = URL.createObjectURL(new Blob([file.text], {type: "application/toml"}));
      var link = el("a");
      link.href = url;
      link.download = file.name || "hall.toml";
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
      return t("The hall file is downloaded.");
    });
  });

  $("upload-file").addEventListener("change", function () {
    page.checked = null;
    $("upload-result").textContent = "";
    $("upload-error").textContent = "";
    updateButtons();
  });

  submitting("upload-form", function (form) {
    var file = form.elements.file.files[0];
    page.checked = null;
    $("upload-result").textContent = "";
    act(async function () {
      if (!file) throw refused(t("Choose a hall file first."));
      var text = await file.text();
      var result = await office.send("/api/v1/admin/hall-file/check", {method: "POST", text: text});
      if (!result.ok) {
        var err = refused(t("The file cannot be loaded: %(count)s problems.", {count: result.problems.length}));
        err.problems = result.problems;
        throw err;
      }
      page.checked = text;
      var said = t("The file is fine: load it when you are ready.");
      if (result.warnings.length) said += " " + t("Warnings: %(list)s", {list: result.warnings.map(problemText).join("; ")});
      $("upload-result").textContent = said;
      return "";
    }, $("upload-error"));
  });

  $("load-file").addEventListener("click", function () {
    var text = page.checked;
    if (text === null) return;
    act(async function () {
      var done = await office.send("/api/v1/admin/hall-file", {method: "PUT", text: text});
      page.checked = null;
      $("upload-form").reset();
      $("upload-result").textContent = "";
      await readAll();
      return editedWords(done);
    }, $("upload-error"));
  });

  // --- devices, live --------------------------------------------------------------------------

  /* An administrator's socket hears what the devices' agents report (device.updated: paper
     out, pad offline, ok again): the devices' list is read again, once for a burst. */
  var DEVICES_MS = 250;
  var devicesTimer = null;

  function scheduleDevices() {
    if (devicesTimer) return;
    devicesTimer = setTimeout(function () {
      devicesTimer = null;
      readDevices();
    }, DEVICES_MS);
  }

  async function readDevices() {
    if (!page.admin) return;
    try {
      var got = await office.send("/api/v1/admin/devices");
      if (!page.admin) return;
      page.devices = got.devices;
    } catch (err) {
      return; // the next report, or the next change, reads them again
    }
    // Drawn again: the focus, when in the list, goes to the same button in its new row.
    var focused = document.activeElement;
    var inList = focused && $("device-rows").contains(focused);
    renderDevices();
    updateButtons();
    if (inList) {
      var back = present(focused);
      if (back) back.focus();
    }
  }

  var live = null; // the socket that hears the devices' reports (not in page: it holds the token)

  function connect(token) {
    var client = new HallQClient({token: token});
    var joined = false;
    live = client;
    client
      .on("state", function () {
        // After a reconnect: what was reported meanwhile (the first join: read with the rest).
        if (client === live && joined) scheduleDevices();
        joined = true;
      })
      .on("device.updated", function () { if (client === live) scheduleDevices(); })
      .on("ended", function () { if (client === live) office.forget(office.ended()); });
    client.connect();
  }

  function disconnect() {
    var client = live;
    if (!client) return;
    live = null;
    client.ended = true; // closed on purpose: no "ended" from it
    client.close();
  }

  // --- signed in and out ----------------------------------------------------------------------

  function clear() {
    disconnect();
    page.admin = false;
    page.hall = null;
    page.zones = [];
    page.services = [];
    page.windows = [];
    page.devices = [];
    page.users = [];
    page.checked = null;
    ["zone-rows", "service-rows", "window-rows", "device-rows", "user-rows", "admin-done", "admin-error",
     "upload-result", "upload-error", "hall-error"].forEach(function (id) { $(id).textContent = ""; });
    document.querySelectorAll("#admin form, dialog form").forEach(function (form) { form.reset(); });
    $("token-value").value = "";
    $("token-link").value = "";
    $("admin-body").hidden = true;
    $("admin-only").hidden = true;
  }

  office.signedOut(clear);

  office.ready(function (who) {
    clear();
    if (who.role !== "admin") {
      // A supervisor: told, and nothing is read.
      $("admin-only").hidden = false;
      return;
    }
    page.admin = true;
    $("admin-body").hidden = false;
    showSub(subFromAddress(), false);
    reread();
    connect(who.token);
  });
})();
