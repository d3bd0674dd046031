/*
 * Ticket reports (/office/reports): the form, the table, the charts, the CSV file and the
 * tickets behind a figure.
 *
 * Runs on the back office's shell (office-session.js: HallQOffice, its sign-in refuses clerks,
 * its token and api()); needs Chart.js
 * (vendor/chart.umd.min.js) and i18n.js. Everything comes from the public API:
 *
 * - the lists of the form: services and windows from GET /api/v1/state, zones from
 *   GET /api/v1/dashboard;
 * - GET /api/v1/reports/tickets?from&to&by&zone&service&counter&clerk: the rows and the total,
 *   shown as they are (durations as minutes:seconds, shares as percentages);
 * - the same with format=csv: fetched with the token (a plain link could not send it) and
 *   saved under the server's file name;
 * - GET /api/v1/reports/tickets/trace: the tickets behind a figure, in a dialog.
 *
 * The charts draw the table's own rows; each canvas's label sends a screen reader to the table.
 * window.hallqReports exposes the page's state to the tests.
 */
(function () {
  "use strict";

  var t = HallQI18n.t;
  var session = window.HallQOffice;
  var lang = document.documentElement.lang;
  var hall = JSON.parse(document.getElementById("hall-data").textContent);
  var TRACE_PAGE = 200;
  var LEVELS = ["1", "2", "3", "4", "5"];
  // One colour per rating level, 1 (red) to 5 (green), and two for the other charts: each
  // at least 3:1 against white, told apart by the legend's words as well.
  var LEVEL_COLOURS = ["#b3261e", "#c0561b", "#8a6d00", "#3f7f2c", "#1b6b3a"];
  var FIRST = "#0b5cad";
  var SECOND = "#b14a00";

  var page = {
    report: null, // the last answer of GET /reports/tickets
    query: null, // its parameters
    loads: 0,
    charts: {},
    busy: false,
    trace: null,
  };
  window.hallqReports = page;

  function $(id) {
    return document.getElementById(id);
  }

  var message = session.message;

  function nameOf(names, fallback) {
    if (!names) return fallback || "";
    return names[lang] || names[hall.languages[0]] || fallback || "";
  }

  // --- how figures are written -----------------------------------------------------------------

  function minSec(seconds) {
    if (seconds === null || seconds === undefined) return "—";
    var s = Math.round(seconds);
    var m = Math.floor(s / 60);
    var rest = s % 60;
    return m + ":" + (rest < 10 ? "0" : "") + rest;
  }

  function share(value) {
    if (value === null || value === undefined) return "—";
    return (value * 100).toFixed(1) + "%";
  }

  function count(value) {
    return value === null || value === undefined ? "—" : String(value);
  }

  // (figure of the answer, how it is written, the figure traced, or null)
  var COLUMNS = [
    ["issued", count, "issued"],
    ["served", count, "served"],
    ["no_show", count, "no_show"],
    ["cancelled", count, "cancelled"],
    ["transferred", count, "transferred"],
    ["wait_p50_s", minSec, "wait"],
    ["wait_p90_s", minSec, "wait"],
    ["wait_max_s", minSec, "wait"],
    ["within_target", share, "within_target"],
    ["service_p50_s", minSec, "service"],
    ["service_p90_s", minSec, "service"],
    ["service_max_s", minSec, "service"],
  ];

  function columnHeader(figure) {
    var names = {
      issued: t("Issued"),
      served: t("Served"),
      no_show: t("No-shows"),
      cancelled: t("Cancelled"),
      transferred: t("Transferred"),
      wait: t("Waits (one per call)"),
      within_target: t("Calls within the target wait"),
      service: t("Service times (one per stage)"),
      satisfied: t("Ratings of 4 and 5"),
    };
    if (/^rating_/.test(figure)) return t("Ratings of %(level)s", {level: figure.slice(7)});
    return names[figure] || figure;
  }

  // --- the row's name ------------------------------------------------------------------------

  function rowName(row, by) {
    if (row.key === null) return t("(at no window)");
    if (!by) return t("The whole hall");
    if (by === "hour") return t("%(from)s to %(to)s", {from: row.key + ":00", to: pad2(Number(row.key) + 1) + ":00"});
    if (by === "counter") {
      var label = nameOf(row.label, "");
      return label ? t("Window %(number)s", {number: row.key}) + " · " + label : t("Window %(number)s", {number: row.key});
    }
    if (by === "day") return row.key;
    var name = nameOf(row.label, "");
    return name && name !== row.key ? name : row.key;
  }

  function pad2(n) {
    return (n < 10 ? "0" : "") + n;
  }

  function keyHeader(by) {
    return {
      "": t("Hall"),
      service: t("Service"),
      counter: t("Window"),
      clerk: t("Clerk"),
      zone: t("Zone"),
      hour: t("Hour"),
      day: t("Day"),
    }[by || ""];
  }

  // --- the form -----------------------------------------------------------------------------------

  function localToday() {
    // The hall's date, not this computer's: a report is over the hall's business days.
    try {
      var parts = new Intl.DateTimeFormat("en-CA", {
        timeZone: hall.timezone, year: "numeric", month: "2-digit", day: "2-digit",
      }).format(new Date());
      if (/^\d{4}-\d{2}-\d{2}$/.test(parts)) return parts;
    } catch (err) {
      // An unknown time zone: this computer's date below.
    }
    var d = new Date();
    return d.getFullYear() + "-" + pad2(d.getMonth() + 1) + "-" + pad2(d.getDate());
  }

  function fillForm() {
    var today = localToday();
    if (!$("report-to").value) $("report-to").value = today;
    if (!$("report-from").value) $("report-from").value = today.slice(0, 8) + "01";
  }

  function option(select, value, text) {
    var el = document.createElement("option");
    el.value = value;
    el.textContent = text;
    select.appendChild(el);
  }

  async function readChoices() {
    try {
      var state = await session.api("/api/v1/state");
      state.services.forEach(function (s) { option($("report-service"), s.code, nameOf(s.name, s.code)); });
      state.counters.forEach(function (c) {
        var text = t("Window %(number)s", {number: c.number});
        option($("report-counter"), String(c.number), c.label ? text + " · " + c.label : text);
      });
    } catch (err) {
      // The filters stay empty: the report still works for the whole hall.
    }
    try {
      var dash = await session.api("/api/v1/dashboard");
      dash.zones.forEach(function (z) { option($("report-zone"), z.code, nameOf(z.name, z.code)); });
    } catch (err) {
      // As above.
    }
  }

  function formQuery() {
    var form = $("report-form");
    var query = {from: form.from.value, to: form.to.value};
    ["by", "zone", "service", "counter", "clerk"].forEach(function (name) {
      var value = form[name].value.trim();
      if (value) query[name] = value;
    });
    return query;
  }

  function queryString(query, extra) {
    var params = new URLSearchParams();
    Object.keys(query).forEach(function (k) { params.set(k, query[k]); });
    Object.keys(extra || {}).forEach(function (k) { params.set(k, extra[k]); });
    params.set("lang", lang);
    return params.toString();
  }

  function csvPath(query) {
    return "/api/v1/reports/tickets?" + queryString(query, {format: "csv"});
  }

  $("report-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var form = event.target;
    var missing = ["from", "to"].filter(function (name) { return !form[name].value; });
    ["from", "to"].forEach(function (name) {
      form[name].setAttribute("aria-invalid", missing.indexOf(name) >= 0 ? "true" : "false");
    });
    if (missing.length) {
      $("report-error").textContent = t("Give the first and the last day of the report.");
      form[missing[0]].focus();
      return;
    }
    readReport(formQuery());
  });

  async function readReport(query) {
    if (page.busy) return;
    page.busy = true;
    var button = $("report-form").querySelector("button[type=submit]");
    button.disabled = true;
    $("report-error").textContent = "";
    $("report-status").textContent = t("Reading the report…");
    try {
      var report = await session.api("/api/v1/reports/tickets?" + queryString(query));
      page.report = report;
      page.query = query;
      page.loads += 1;
      render(report);
      $("report-csv").href = csvPath(query);
      $("report-csv").hidden = false;
      $("report-status").textContent = t("Report from %(from)s to %(to)s. Rows: %(rows)s.", {
        from: report.from, to: report.to, rows: report.rows.length,
      });
    } catch (err) {
      $("report-status").textContent = "";
      $("report-error").textContent = message(err);
    } finally {
      page.busy = false;
      button.disabled = false;
    }
  }

  // --- the table --------------------------------------------------------------------------------

  function cell(tr, text, figure, row, isTotal) {
    var td = document.createElement("td");
    td.className = "num";
    td.dataset.figure = figure;
    if (figure && text !== "—" && text !== "0" && row && !isTotal) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "figure";
      button.textContent = text;
      button.dataset.trace = figure;
      button.setAttribute("aria-haspopup", "dialog");
      button.addEventListener("click", function () { openTrace(row, figure, button); });
      td.appendChild(button);
    } else {
      td.textContent = text;
    }
    tr.appendChild(td);
    return td;
  }

  function figuresRow(tr, figures, row, isTotal) {
    COLUMNS.forEach(function (column) {
      cell(tr, column[1](figures[column[0]]), column[2], row, isTotal).dataset.key = column[0];
    });
    LEVELS.forEach(function (level) {
      cell(tr, count(figures.ratings[level]), "rating_" + level, row, isTotal).dataset.key = "rating_" + level;
    });
    cell(tr, share(figures.satisfaction), "satisfied", row, isTotal).dataset.key = "satisfaction";
    cell(tr, minSec(figures.pause_s), null, row, isTotal).dataset.key = "pause_s";
  }

  function render(report) {
    var by = report.by || "";
    $("report-key-header").textContent = keyHeader(by);
    $("report-caption").textContent = t("Report from %(from)s to %(to)s", {from: report.from, to: report.to});
    var body = $("report-rows");
    body.textContent = "";
    report.rows.forEach(function (row) {
      var tr = document.createElement("tr");
      tr.dataset.key = row.key === null ? "" : row.key;
      var th = document.createElement("th");
      th.scope = "row";
      th.textContent = rowName(row, by);
      tr.appendChild(th);
      figuresRow(tr, row, row, false);
      body.appendChild(tr);
    });
    var foot = $("report-total");
    foot.textContent = "";
    var tr = document.createElement("tr");
    tr.className = "total";
    var th = document.createElement("th");
    th.scope = "row";
    th.textContent = t("Total");
    tr.appendChild(th);
    figuresRow(tr, report.total, null, true);
    foot.appendChild(tr);
    $("report-result").hidden = false;
    $("report-empty").hidden = report.rows.length > 0;
    drawCharts(report);
  }

  // --- the charts ---------------------------------------------------------------------------------

  function chart(id, config) {
    if (page.charts[id]) page.charts[id].destroy();
    config.options = Object.assign({
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      plugins: {legend: {position: "bottom", labels: {color: "#1c2430"}}},
    }, config.options || {});
    page.charts[id] = new Chart($(id), config);
  }

  function axes(stacked, title) {
    return {
      x: {stacked: stacked, ticks: {color: "#1c2430"}},
      y: {
        stacked: stacked,
        beginAtZero: true,
        ticks: {color: "#1c2430", precision: 0},
        title: title ? {display: true, text: title, color: "#1c2430"} : undefined,
      },
    };
  }

  function minutesOf(seconds) {
    return seconds === null ? null : Math.round(seconds / 6) / 10;
  }

  function drawCharts(report) {
    var rows = report.rows;
    $("report-charts").hidden = rows.length === 0;
    if (typeof Chart === "undefined" || rows.length === 0) return;
    var labels = rows.map(function (row) { return rowName(row, report.by); });
    chart("chart-volume", {
      type: "bar",
      data: {
        labels: labels,
        datasets: [
          {label: t("Issued"), data: rows.map(function (r) { return r.issued; }), backgroundColor: FIRST},
          {label: t("Served"), data: rows.map(function (r) { return r.served; }), backgroundColor: SECOND},
        ],
      },
      options: {scales: axes(false, t("Tickets"))},
    });
    chart("chart-wait", {
      type: "bar",
      data: {
        labels: labels,
        datasets: [
          {label: t("p50"), data: rows.map(function (r) { return minutesOf(r.wait_p50_s); }), backgroundColor: FIRST},
          {label: t("p90"), data: rows.map(function (r) { return minutesOf(r.wait_p90_s); }), backgroundColor: SECOND},
        ],
      },
      options: {scales: axes(false, t("Minutes"))},
    });
    chart("chart-ratings", {
      type: "bar",
      data: {
        labels: labels,
        datasets: LEVELS.map(function (level, i) {
          return {
            label: t("Ratings of %(level)s", {level: level}),
            data: rows.map(function (r) { return r.ratings[level]; }),
            backgroundColor: LEVEL_COLOURS[i],
          };
        }),
      },
      options: {scales: axes(true, t("Ratings"))},
    });
  }

  // --- the CSV file --------------------------------------------------------------------------------

  function fileName(response) {
    var said = response.headers.get("Content-Disposition") || "";
    var found = said.match(/filename="?([^";]+)"?/);
    return found ? found[1] : "report.csv";
  }

  $("report-csv").addEventListener("click", async function (event) {
    event.preventDefault();
    if (!page.query || page.busy) return;
    page.busy = true;
    $("report-error").textContent = "";
    try {
      var response = await fetch(csvPath(page.query), {
        headers: {"Authorization": "Bearer " + session.token, "Accept-Language": lang},
      });
      if (!response.ok) {
        var body = await response.json().catch(function () { return null; });
        var err = new Error((body && body.error && body.error.message) || response.statusText);
        err.status = response.status;
        throw err;
      }
      var blob = await response.blob();
      var link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = fileName(response);
      link.hidden = true;
      document.body.appendChild(link);
      link.click();
      setTimeout(function () {
        URL.revokeObjectURL(link.href);
        link.remove();
      }, 1000);
    } catch (err) {
      $("report-error").textContent = message(err);
    } finally {
      page.busy = false;
    }
  });

  // --- the tickets behind a figure -------------------------------------------------------------------

  function when(iso) {
    try {
      return new Date(iso).toLocaleString(lang, {
        timeZone: hall.timezone, hour12: false, year: "numeric", month: "2-digit", day: "2-digit",
        hour: "2-digit", minute: "2-digit", second: "2-digit",
      });
    } catch (err) {
      return iso;
    }
  }

  function traceValue(figure, value) {
    if (value === null || value === undefined) return "—";
    if (/^rating_|^rated$|^satisfied$/.test(figure)) return String(value);
    return minSec(value);
  }

  var opener = null;

  function openTrace(row, figure, button) {
    opener = button;
    page.trace = {row: row, figure: figure, offset: 0, count: 0};
    $("trace-title").textContent = t("The tickets behind “%(figure)s”: %(row)s", {
      figure: columnHeader(figure), row: rowName(row, page.report.by),
    });
    $("trace-rows").textContent = "";
    $("trace-count").textContent = "";
    $("trace-error").textContent = "";
    $("trace-more").hidden = true;
    // A rating's score, or the wait or service time the fact measured.
    var rated = /^rating_|^satisfied$/.test(figure);
    $("trace-value-header").textContent = rated ? t("Score") : t("Time (min:s)");
    $("trace-dialog").showModal();
    readTrace();
  }

  async function readTrace() {
    var trace = page.trace;
    var extra = {key: trace.row.key === null ? "" : trace.row.key, figure: trace.figure,
      limit: TRACE_PAGE, offset: trace.offset};
    try {
      var found = await session.api("/api/v1/reports/tickets/trace?" + queryString(page.query, extra));
      if (page.trace !== trace) return;
      trace.count = found.count;
      found.tickets.forEach(function (ticket) {
        var tr = document.createElement("tr");
        [ticket.number, ticket.business_day, ticket.leg === null ? "—" : String(ticket.leg),
          when(ticket.at), traceValue(trace.figure, ticket.value)].forEach(function (text, i) {
          var td = document.createElement(i === 0 ? "th" : "td");
          if (i === 0) td.scope = "row";
          if (i === 2 || i === 4) td.className = "num";
          td.textContent = text;
          tr.appendChild(td);
        });
        $("trace-rows").appendChild(tr);
      });
      trace.offset += found.tickets.length;
      $("trace-count").textContent = t("%(shown)s of %(count)s shown.", {shown: trace.offset, count: found.count});
      $("trace-more").hidden = trace.offset >= found.count;
    } catch (err) {
      $("trace-error").textContent = message(err);
    }
  }

  $("trace-more").addEventListener("click", readTrace);

  $("trace-dialog").addEventListener("close", function () {
    page.trace = null;
    if (opener && document.body.contains(opener)) opener.focus();
    opener = null;
  });
  $("trace-dialog").querySelectorAll("[data-close]").forEach(function (button) {
    button.addEventListener("click", function () { $("trace-dialog").close(); });
  });

  // --- start -------------------------------------------------------------------------------------

  var chosen = false; // the form's lists, read once

  session.ready(function () {
    fillForm();
    if (!chosen) {
      chosen = true;
      readChoices();
    }
    readReport(formQuery());
  });

  // Signed out: nothing of the last report stays on the page.
  session.signedOut(function () {
    page.report = null;
    page.query = null;
    Object.keys(page.charts).forEach(function (id) { page.charts[id].destroy(); });
    page.charts = {};
    $("report-rows").textContent = "";
    $("report-total").textContent = "";
    $("report-result").hidden = true;
    $("report-charts").hidden = true;
    $("report-csv").hidden = true;
    $("report-status").textContent = "";
    $("report-error").textContent = "";
  });
})();
