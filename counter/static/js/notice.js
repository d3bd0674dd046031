/*
 * The printable notice of a customer's missing documents (/counter/notice/<ticket id>).
 *
 * Reads the ticket with the clerk's token, which the counter page keeps in this tab's
 * sessionStorage (the counter page opens this page in a window of its own, which starts with
 * a copy of that session). The notice is in the ticket's language: its catalog is loaded and
 * the ticket read again in it, so the missing documents come in that language too. Then it
 * prints. window.hallqNotice tells the tests when it is ready.
 */
(function () {
  "use strict";

  var TOKEN_KEY = "hallq.token";
  var data = JSON.parse(document.getElementById("notice-data").textContent);
  var hall = data.hall;
  var notice = {ready: false, ticket: null, printed: false};
  window.hallqNotice = notice;

  function $(id) {
    return document.getElementById(id);
  }

  function readTicket(token, lang) {
    // ?lang= outranks the clerk's own language cookie: the notice is the customer's.
    return HallQClient.api("/api/v1/tickets/" + data.ticket_id + "?lang=" + encodeURIComponent(lang), {token: token});
  }

  function serviceName(services, code, lang) {
    var found = services.find(function (s) { return s.code === code; });
    return found ? found.name[lang] || found.name[hall.languages[0]] || code : code;
  }

  function today(lang) {
    var options = {year: "numeric", month: "long", day: "numeric"};
    try {
      return new Intl.DateTimeFormat(lang, Object.assign({timeZone: hall.timezone}, options)).format(new Date());
    } catch (err) {
      return new Intl.DateTimeFormat(lang, options).format(new Date());
    }
  }

  async function start() {
    var lang = document.documentElement.lang;
    var token = sessionStorage.getItem(TOKEN_KEY);
    try {
      await HallQI18n.load(lang);
      if (!token) throw new Error(HallQI18n.t("Sign in at the counter page first, then open the notice from there."));
      var ticket = await readTicket(token, lang);
      if (ticket.language && ticket.language !== lang) {
        lang = await HallQI18n.load(ticket.language);
        ticket = await readTicket(token, lang);
      }
      var services = (await HallQClient.api("/api/v1/services", {token: token})).services;
      HallQI18n.apply(document);
      $("notice-hall").textContent = hall.name[lang] || hall.name[hall.languages[0]] || "";
      $("notice-number").textContent = ticket.number;
      $("notice-service").textContent = serviceName(services, ticket.service, lang);
      var date = $("notice-date");
      date.textContent = today(lang);
      date.setAttribute("datetime", new Date().toISOString().slice(0, 10));
      var missing = ticket.missing_documents || [];
      var list = $("notice-missing");
      list.textContent = "";
      missing.forEach(function (text) {
        var li = document.createElement("li");
        li.textContent = text;
        list.appendChild(li);
      });
      list.hidden = !missing.length;
      $("notice-none").hidden = missing.length > 0;
      document.title = HallQI18n.t("Documents still needed") + " · " + ticket.number;
      $("notice-body").hidden = false;
      $("notice-print").hidden = false;
      notice.ticket = ticket;
      notice.ready = true;
      notice.printed = true;
      window.print();
    } catch (err) {
      $("notice-error").textContent = err.message;
      notice.error = err.message;
    }
  }

  $("notice-print").addEventListener("click", function () { window.print(); });
  start();
})();
