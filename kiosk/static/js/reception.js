/*
 * The reception desk (/reception): staff sign in (POST /api/v1/auth/login, like the front
 * page), then
 * - issue a green-channel ticket with its reason (POST /api/v1/tickets, priority "priority"),
 * - book an appointment (POST /api/v1/appointments) and read its code to the customer,
 * - list today's appointments (GET /api/v1/appointments; phones come masked),
 * - check a customer in by code (POST /api/v1/appointments/check-in),
 * - find today's ticket by its number (GET /api/v1/tickets?number=) and print it again on a
 *   kiosk (POST /api/v1/tickets/{id}/reprint),
 * - see today's tickets that did not print (GET /api/v1/tickets/not-printed, read again every
 *   few seconds) and print each again on its kiosk.
 * Every refusal is shown with the server's message, in the page's language. A token that stops
 * working (signed out elsewhere, disabled, expired) brings the sign-in form back.
 */
(function () {
  "use strict";

  var t = HallQI18n.t;
  var lang = document.documentElement.lang;
  var hall = JSON.parse(document.getElementById("hall-data").textContent);
  var desk = {token: null, services: [], appointments: []};
  window.hallqReception = desk;

  function $(id) {
    return document.getElementById(id);
  }

  // --- signing in and out --------------------------------------------------------------------

  async function api(path, options) {
    options = Object.assign({token: desk.token}, options || {});
    try {
      return await HallQClient.api(path, options);
    } catch (err) {
      if (err.status === 401 && desk.token) signedOut();
      throw err;
    }
  }

  function signedOut() {
    desk.token = null;
    sessionStorage.removeItem("hallq.token");
    sessionStorage.removeItem("hallq.name");
    $("desk").hidden = true;
    $("signin").hidden = false;
  }

  function open(token, name) {
    desk.token = token;
    $("who").textContent = t("Signed in as %(name)s", {name: name || ""});
    $("signin").hidden = true;
    $("desk").hidden = false;
    loadServices();
    loadAppointments();
    defaultDateTime();
    loadNotPrinted();
  }

  $("signin-form").addEventListener("submit", async function (event) {
    event.preventDefault();
    var form = event.target;
    $("signin-error").textContent = "";
    try {
      var body = await HallQClient.api("/api/v1/auth/login", {
        method: "POST",
        body: {username: form.username.value, password: form.password.value},
      });
      sessionStorage.setItem("hallq.token", body.token);
      sessionStorage.setItem("hallq.name", body.name);
      form.password.value = "";
      open(body.token, body.name);
    } catch (err) {
      $("signin-error").textContent = err.message;
    }
  });

  $("signout").addEventListener("click", async function () {
    try {
      await api("/api/v1/auth/logout", {method: "POST"});
    } catch (err) {
      // signed out already: the form comes back all the same
    }
    signedOut();
  });

  // --- the hall's services and times ---------------------------------------------------------------

  function serviceName(code) {
    var service = desk.services.find(function (s) { return s.code === code; });
    return service ? service.name[lang] || service.code : code;
  }

  async function loadServices() {
    try {
      var body = await api("/api/v1/services");
      desk.services = body.services;
    } catch (err) {
      $("green-error").textContent = err.message;
      return;
    }
    document.querySelectorAll("select.services").forEach(function (select) {
      var chosen = select.value;
      select.textContent = "";
      desk.services.forEach(function (s) {
        var option = document.createElement("option");
        option.value = s.code;
        option.textContent = s.open ? s.name[lang] || s.code : t("%(service)s (not taking tickets now)", {service: s.name[lang] || s.code});
        select.appendChild(option);
      });
      if (chosen) select.value = chosen;
    });
  }

  function zoneParts(instant) {
    var parts = {};
    new Intl.DateTimeFormat("en-US", {
      timeZone: hall.timezone, hourCycle: "h23",
      year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
    }).formatToParts(new Date(instant)).forEach(function (p) { parts[p.type] = p.value; });
    return parts;
  }

  function offsetMinutes(instant) {
    // The hall's UTC offset at that instant, in minutes.
    var p = zoneParts(instant);
    var asUtc = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour) % 24, Number(p.minute), Number(p.second));
    return Math.round((asUtc - Math.floor(instant / 1000) * 1000) / 60000);
  }

  function hallIso(date, time) {
    // A date and time on the hall's clock ("2026-03-02", "14:30") as ISO 8601 with its offset.
    var d = date.split("-").map(Number);
    var h = time.split(":").map(Number);
    var wall = Date.UTC(d[0], d[1] - 1, d[2], h[0], h[1]);
    var offset = offsetMinutes(wall - offsetMinutes(wall) * 60000);
    var sign = offset < 0 ? "-" : "+";
    var abs = Math.abs(offset);
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return date + "T" + time.slice(0, 5) + ":00" + sign + pad(Math.floor(abs / 60)) + ":" + pad(abs % 60);
  }

  function hallTime(iso) {
    return new Intl.DateTimeFormat(lang, {timeZone: hall.timezone, hour: "2-digit", minute: "2-digit", hourCycle: "h23"})
      .format(new Date(iso));
  }

  function defaultDateTime() {
    var p = zoneParts(Date.now());
    if (!$("book-date").value) $("book-date").value = p.year + "-" + p.month + "-" + p.day;
    if (!$("book-time").value) {
      // the next half hour
      var minutes = Number(p.hour) * 60 + Number(p.minute) + 30;
      minutes = Math.min(23 * 60 + 30, Math.ceil(minutes / 30) * 30);
      var pad = function (n) { return (n < 10 ? "0" : "") + n; };
      $("book-time").value = pad(Math.floor(minutes / 60)) + ":" + pad(minutes % 60);
    }
  }

  // --- a ticket on screen (green channel, check-in, found) -----------------------------------------

  function statusText(ticket) {
    switch (ticket.status) {
      case "waiting":
        if (ticket.ahead === null || ticket.ahead === undefined) return t("Waiting");
        return ticket.eta_minutes === null || ticket.eta_minutes === undefined
          ? t("%(count)s people ahead", {count: ticket.ahead})
          : t("%(count)s people ahead, estimated wait %(minutes)s min", {count: ticket.ahead, minutes: ticket.eta_minutes});
      case "called": return t("Called to window %(number)s", {number: ticket.counter});
      case "serving": return t("Being served at window %(number)s", {number: ticket.counter});
      case "done": return t("Served");
      case "no_show": return t("Missed");
      default: return t("Cancelled");
    }
  }

  function statusToken(url) {
    return decodeURIComponent(new URL(url, window.location.href).pathname.split("/").filter(Boolean).pop() || "");
  }

  function showTicket(box, ticket) {
    var card = $("ticket-template").content.firstElementChild.cloneNode(true);
    card.dataset.ticket = String(ticket.id);
    card.querySelector(".ticket-number").textContent = ticket.number;
    card.querySelector(".ticket-service").textContent = serviceName(ticket.service);
    card.querySelector(".ticket-state").textContent = statusText(ticket);
    var link = card.querySelector(".ticket-link");
    var qr = card.querySelector(".ticket-qr");
    if (ticket.status_url) {
      var token = statusToken(ticket.status_url);
      link.href = "/t/" + encodeURIComponent(token);
      qr.src = "/t/" + encodeURIComponent(token) + "/qr.svg";
    } else {
      link.parentElement.remove();
      qr.remove();
    }
    var form = card.querySelector(".reprint-form");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      reprint(ticket, form);
    });
    box.textContent = "";
    box.appendChild(card);
  }

  async function reprint(ticket, form) {
    var message = form.querySelector(".reprint-message");
    var kiosk = form.kiosk.value.trim();
    message.textContent = "";
    message.classList.remove("error");
    try {
      var body = await api("/api/v1/tickets/" + ticket.id + "/reprint", {
        method: "POST",
        body: kiosk ? {kiosk: kiosk} : {},
      });
      message.textContent = t("Sent to %(kiosk)s for printing", {kiosk: body.device});
    } catch (err) {
      message.textContent = err.message;
      message.classList.add("error");
    }
  }

  // --- green channel ---------------------------------------------------------------------------------

  var greenForm = $("green-form");
  greenForm.addEventListener("change", function (event) {
    if (event.target.name !== "reason") return;
    var other = event.target.value === "other";
    $("green-other").disabled = !other;
    if (other) $("green-other").focus();
  });

  greenForm.addEventListener("submit", async function (event) {
    event.preventDefault();
    var error = $("green-error");
    error.textContent = "";
    var chosen = greenForm.querySelector("input[name=reason]:checked");
    if (!chosen) {
      error.textContent = t("Choose the reason for the green channel.");
      return;
    }
    var reason = chosen.value;
    if (reason === "other") {
      var text = $("green-other").value.trim();
      if (!text) {
        error.textContent = t("Type the reason.");
        $("green-other").focus();
        return;
      }
      reason = "other: " + text;
    }
    try {
      var ticket = await api("/api/v1/tickets", {
        method: "POST",
        body: {
          service: greenForm.service.value,
          priority: "priority",
          reason: reason,
          language: greenForm.language.value,
        },
      });
      showTicket($("green-result"), ticket);
      greenForm.reset();
      $("green-other").disabled = true;
      greenForm.language.value = lang;
    } catch (err) {
      error.textContent = err.message;
    }
  });

  // --- appointments ------------------------------------------------------------------------------

  var bookForm = $("book-form");
  bookForm.addEventListener("submit", async function (event) {
    event.preventDefault();
    var error = $("book-error");
    error.textContent = "";
    var date = bookForm.date.value;
    var time = bookForm.time.value;
    if (!date || !time) {
      error.textContent = t("Give the date and the time.");
      return;
    }
    var body = {service: bookForm.service.value, at: hallIso(date, time)};
    ["name", "reference", "phone"].forEach(function (field) {
      var value = bookForm[field].value.trim();
      if (value) body[field] = value;
    });
    try {
      var booking = await api("/api/v1/appointments", {method: "POST", body: body});
      var box = $("book-result");
      box.textContent = "";
      var intro = document.createElement("p");
      intro.textContent = t("Booked for %(service)s at %(time)s. The booking code is:", {
        service: serviceName(booking.service), time: hallTime(booking.at),
      });
      var code = document.createElement("p");
      code.className = "booking-code";
      code.id = "booking-code";
      code.textContent = booking.code;
      box.appendChild(intro);
      box.appendChild(code);
      ["name", "reference", "phone"].forEach(function (field) { bookForm[field].value = ""; });
      loadAppointments();
    } catch (err) {
      error.textContent = err.message;
    }
  });

  function bookingStatus(status) {
    if (status === "checked_in") return t("Checked in");
    if (status === "cancelled") return t("Cancelled");
    return t("Booked");
  }

  async function loadAppointments() {
    $("today-error").textContent = "";
    try {
      desk.appointments = (await api("/api/v1/appointments")).appointments;
    } catch (err) {
      $("today-error").textContent = err.message;
      return;
    }
    var body = $("appointments").querySelector("tbody");
    body.textContent = "";
    desk.appointments.forEach(function (a) {
      var row = body.insertRow();
      row.dataset.code = a.code;
      [
        [hallTime(a.at), ""],
        [a.code, "code"],
        [serviceName(a.service), ""],
        [a.name || "", ""],
        [a.reference || "", ""],
        [a.phone || "", "phone"],
        [bookingStatus(a.status), "status"],
      ].forEach(function (cell) {
        var td = row.insertCell();
        td.textContent = cell[0];
        if (cell[1]) td.className = cell[1];
      });
    });
    $("appointments").hidden = desk.appointments.length === 0;
    $("appointments-empty").hidden = desk.appointments.length !== 0;
  }

  $("today-refresh").addEventListener("click", loadAppointments);

  $("checkin-form").addEventListener("submit", async function (event) {
    event.preventDefault();
    var error = $("checkin-error");
    error.textContent = "";
    var code = $("checkin-code").value.trim();
    if (!/^[0-9]+$/.test(code)) {
      error.textContent = t("A booking code is made of digits.");
      return;
    }
    try {
      var ticket = await api("/api/v1/appointments/check-in", {method: "POST", body: {code: code}});
      showTicket($("checkin-result"), ticket);
      $("checkin-code").value = "";
      loadAppointments();
    } catch (err) {
      error.textContent = err.message;
    }
  });

  // --- find and reprint ------------------------------------------------------------------------------

  $("find-form").addEventListener("submit", async function (event) {
    event.preventDefault();
    var error = $("find-error");
    var box = $("find-result");
    error.textContent = "";
    box.textContent = "";
    var number = $("find-number").value.trim().toUpperCase();
    if (!/^[A-Z][0-9]{3,}$/.test(number)) {
      error.textContent = t("A ticket number is a letter and digits, like A023.");
      return;
    }
    try {
      var found = await api("/api/v1/tickets?number=" + encodeURIComponent(number));
      if (!found.tickets.length) {
        error.textContent = t("There is no ticket %(number)s today.", {number: number});
        return;
      }
      showTicket(box, found.tickets[0]);
    } catch (err) {
      error.textContent = err.message;
    }
  });

  // --- tickets that did not print ---------------------------------------------------------------------

  var NOT_PRINTED_EVERY = 10000; // ms: a failed print shows at the desk within this
  function whyNotPrinted(reason) {
    switch (reason) {
      case "too_old": return t("Too old when the printer was ready again");
      case "interrupted": return t("Cut short by a restart: check whether it came out");
      case "paper_out": return t("Printer out of paper");
      case "offline": return t("Printer offline");
      case "cannot_render": return t("The ticket could not be laid out");
      case "expired": return t("The kiosk did not answer");
      default: return reason;
    }
  }

  async function loadNotPrinted() {
    if (!desk.token) return;
    var error = $("not-printed-error");
    try {
      var found = (await api("/api/v1/tickets/not-printed")).tickets;
      error.textContent = "";
    } catch (err) {
      error.textContent = err.message;
      return;
    }
    var body = $("not-printed-list").querySelector("tbody");
    body.textContent = "";
    found.forEach(function (ticket) {
      var row = body.insertRow();
      row.dataset.ticket = String(ticket.ticket_id);
      [
        [ticket.number, "number"],
        [serviceName(ticket.service), ""],
        [ticket.kiosk, "kiosk"],
        [whyNotPrinted(ticket.reason), "why"],
        [hallTime(ticket.at), ""],
      ].forEach(function (cell) {
        var td = row.insertCell();
        td.textContent = cell[0];
        if (cell[1]) td.className = cell[1];
      });
      var button = document.createElement("button");
      button.type = "button";
      button.className = "secondary";
      button.textContent = t("Print %(number)s again", {number: ticket.number});
      button.addEventListener("click", function () { printAgain(ticket, button); });
      row.insertCell().appendChild(button);
    });
    $("not-printed-list").hidden = found.length === 0;
    $("not-printed-empty").hidden = found.length !== 0;
  }

  async function printAgain(ticket, button) {
    var message = $("not-printed-message");
    message.classList.remove("error");
    button.disabled = true;
    try {
      var body = await api("/api/v1/tickets/" + ticket.ticket_id + "/reprint", {method: "POST", body: {}});
      message.textContent = t("%(number)s sent to %(kiosk)s for printing", {number: ticket.number, kiosk: body.device});
    } catch (err) {
      message.textContent = err.message;
      message.classList.add("error");
      button.disabled = false;
    }
    loadNotPrinted();
  }

  $("not-printed-refresh").addEventListener("click", loadNotPrinted);
  setInterval(function () {
    if (!document.hidden) loadNotPrinted();
  }, NOT_PRINTED_EVERY);

  // --- start -------------------------------------------------------------------------------------------

  HallQI18n.load(lang).then(function () {
    var token = sessionStorage.getItem("hallq.token");
    if (token) open(token, sessionStorage.getItem("hallq.name") || "");
  });
})();
