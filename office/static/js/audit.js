/*
 * The event log (/office/audit): a search form and its results, newest first, a page at a
 * time ("Older" asks for the entries before the last one shown).
 *
 * Runs on the back office's shell (office-session.js: HallQOffice, its sign-in refuses clerks,
 * its token and api()). Everything comes from GET /api/v1/audit?ticket&day&user&device&kind
 * &from&to&before_id&limit, which answers {entries, next}: `next` is the before_id of the
 * older page, null on the last. Times typed without an offset are the hall's local time, as
 * the API reads them. Payloads come masked (phone numbers, customers' names) and are shown as
 * they come, compactly. window.hallqAudit exposes the page's state to the tests.
 */
(function () {
  "use strict";

  var t = HallQI18n.t;
  var office = window.HallQOffice;
  var $ = office.$;
  var lang = office.lang;
  var hall = office.hall;

  var page = {
    query: null, // the search shown
    next: null, // the older page's before_id
    entries: [],
    loads: 0,
    busy: false,
    limit: 50, // entries a page
  };
  window.hallqAudit = page;

  function when(iso) {
    try {
      return new Date(iso).toLocaleString(lang, {
        timeZone: hall.timezone, hour12: false, year: "numeric", month: "2-digit",
        day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
      });
    } catch (err) {
      return iso;
    }
  }

  function formQuery() {
    var form = $("audit-form");
    var query = {};
    ["ticket", "day", "user", "device", "kind", "from", "to"].forEach(function (name) {
      var value = form[name].value.trim();
      if (value) query[name] = value;
    });
    return query;
  }

  function path(query, before) {
    var params = new URLSearchParams(query);
    params.set("limit", String(page.limit));
    if (before) params.set("before_id", String(before));
    return "/api/v1/audit?" + params.toString();
  }

  /* A payload in one short paragraph: "key: value · key: value", nested values as JSON. */
  function payload(data) {
    var p = document.createElement("p");
    p.className = "payload";
    var keys = Object.keys(data || {});
    keys.forEach(function (key, i) {
      if (i) p.appendChild(document.createTextNode(" · "));
      var k = document.createElement("span");
      k.className = "k";
      k.textContent = key + ": ";
      p.appendChild(k);
      var value = data[key];
      p.appendChild(document.createTextNode(
        value !== null && typeof value === "object" ? JSON.stringify(value) : String(value)
      ));
    });
    if (!keys.length) p.textContent = "—";
    return p;
  }

  function by(entry) {
    var parts = [];
    if (entry.user) parts.push(entry.user);
    if (entry.device) parts.push(t("device %(name)s", {name: entry.device}));
    if (entry.source) parts.push("(" + entry.source + ")");
    return parts.join(" ") || "—";
  }

  function row(entry) {
    var tr = document.createElement("tr");
    tr.dataset.id = entry.id;
    tr.dataset.kind = entry.kind;
    var cells = [
      [when(entry.at), "when"],
      [entry.kind, "kind"],
      [entry.ticket ? entry.ticket.number + " · " + entry.ticket.business_day : "—", "ticket"],
      [entry.service || "—", "service"],
      [entry.counter ? String(entry.counter) : "—", "counter"],
      [by(entry), "by"],
    ];
    cells.forEach(function (c) {
      var td = document.createElement("td");
      td.className = c[1];
      td.textContent = c[0];
      tr.appendChild(td);
    });
    var details = document.createElement("td");
    details.className = "details";
    details.appendChild(payload(entry.payload));
    tr.appendChild(details);
    return tr;
  }

  async function read(query, before) {
    if (page.busy) return;
    page.busy = true;
    var buttons = document.querySelectorAll("#audit-form button, #audit-older");
    buttons.forEach(function (b) { b.disabled = true; });
    $("audit-error").textContent = "";
    $("audit-status").textContent = t("Searching…");
    try {
      var found = await office.api(path(query, before));
      if (!before) {
        $("audit-rows").textContent = "";
        page.entries = [];
      }
      page.query = query;
      page.next = found.next;
      page.loads += 1;
      found.entries.forEach(function (entry) {
        page.entries.push(entry);
        $("audit-rows").appendChild(row(entry));
      });
      $("audit-none").hidden = page.entries.length > 0;
      $("audit-older").hidden = !found.next;
      $("audit-status").textContent = t("Entries shown: %(count)s.", {count: page.entries.length});
      if (before && found.entries.length) {
        // The first of the older ones, for a keyboard reader who asked for them.
        var first = $("audit-rows").querySelector("tr[data-id='" + found.entries[0].id + "'] td");
        if (first) {
          first.tabIndex = -1;
          first.focus();
        }
      }
    } catch (err) {
      $("audit-status").textContent = "";
      $("audit-error").textContent = office.message(err);
    } finally {
      page.busy = false;
      buttons.forEach(function (b) { b.disabled = false; });
    }
  }

  $("audit-form").addEventListener("submit", function (event) {
    event.preventDefault();
    read(formQuery(), null);
  });

  $("audit-older").addEventListener("click", function () {
    if (page.query && page.next) read(page.query, page.next);
  });

  office.ready(function () {
    read(formQuery(), null);
  });

  office.signedOut(function () {
    page.query = null;
    page.next = null;
    page.entries = [];
    $("audit-rows").textContent = "";
    $("audit-older").hidden = true;
    $("audit-status").textContent = "";
    $("audit-error").textContent = "";
  });
})();
