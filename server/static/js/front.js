/* The front page: staff sign in and watch the hall's queues and windows live. */
(function () {
  "use strict";
  var t = HallQI18n.t;
  var lang = document.documentElement.lang;
  var form = document.getElementById("signin-form");

  function cell(row, text, cls) {
    var td = row.insertCell();
    td.textContent = text;
    if (cls) td.className = cls;
  }

  function render(state) {
    var services = document.querySelector("#services tbody");
    services.textContent = "";
    state.services.forEach(function (s) {
      var row = services.insertRow();
      row.dataset.service = s.code;
      cell(row, s.name[lang] || s.code);
      cell(row, String(s.waiting), "num waiting");
      cell(row, !s.open ? t("Closed") : s.eta_minutes === null ? "—" : t("%(minutes)s min", {minutes: s.eta_minutes}), "num");
    });
    var counters = document.querySelector("#counters tbody");
    counters.textContent = "";
    state.counters.forEach(function (c) {
      var row = counters.insertRow();
      row.dataset.counter = String(c.number);
      cell(row, t("Window %(number)s", {number: c.number}));
      var label = {closed: t("Closed"), open: t("Open"), serving: t("Now serving"), paused: t("Service paused")}[c.state];
      cell(row, label + (c.current_ticket ? " " + c.current_ticket : ""), "state");
      cell(row, c.clerk || "");
    });
  }

  function watch(token, name) {
    document.getElementById("signin").hidden = true;
    document.getElementById("overview").hidden = false;
    document.getElementById("who").textContent = t("Signed in as %(name)s", {name: name});
    var live = document.getElementById("live-state");
    var hall = new HallQClient({token: token});
    hall.on("change", render)
      .on("state", function () { live.textContent = t("Live"); })
      .on("offline", function () { live.textContent = t("Reconnecting…"); })
      .on("error", function () { live.textContent = t("Reconnecting…"); })
      .on("ended", function () {
        // Signed out, expired or revoked: back to the sign-in form.
        sessionStorage.removeItem("hallq.token");
        location.reload();
      });
    hall.connect();
    window.hallqOverview = hall;
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    var error = document.getElementById("signin-error");
    error.textContent = "";
    try {
      var body = await HallQClient.api("/api/v1/auth/login", {
        method: "POST",
        body: {username: form.username.value, password: form.password.value},
      });
      sessionStorage.setItem("hallq.token", body.token);
      sessionStorage.setItem("hallq.name", body.name);
      watch(body.token, body.name);
    } catch (err) {
      error.textContent = err.message;
    }
  });

  HallQI18n.load(lang).then(function () {
    var token = sessionStorage.getItem("hallq.token");
    if (token) watch(token, sessionStorage.getItem("hallq.name") || "");
  });
})();
