/*
 * HallQClient: a screen's view of the hall, kept live over Socket.IO. No build step.
 *
 * Needs /static/vendor/socket.io.min.js loaded first. A screen uses it like this:
 *
 *   var hall = new HallQClient({token: deviceOrLoginToken});
 *   hall.on("state", function (state) { render(state); });        // snapshot, and after a resync
 *   hall.on("ticket.called", function (call, state) { flash(call); });
 *   hall.on("change", function (state) { render(state); });       // after every delta
 *   hall.on("error", function (err) { showOffline(err); });
 *   hall.on("ended", function (why) { signInAgain(why); });     // token revoked or expired
 *   hall.on("device.updated", function (device) { … });           // addressed: no seq
 *   hall.connect();
 *
 * The client keeps `hall.state` (the wire contract's StatePayload) up to date: services'
 * queues from queue.updated, windows from counter.updated, recent calls from ticket.called.
 * Every delta carries the hall's `seq`; one that does not follow the last means something was
 * missed, and the client asks for a fresh snapshot (state.request) instead of guessing.
 * Deltas older than the snapshot are ignored.
 *
 * HallQClient.api(path, {method, body, token}) calls the REST API and throws an Error with
 * the server's {code, message} on a refusal.
 */
(function (global) {
  "use strict";

  var NAMESPACE = "/hall";
  var RECENT_CALLS = 30; // as many as the snapshot: a zone board finds enough of its own

  function HallQClient(options) {
    this.token = options.token;
    this.url = options.url || "";
    this.state = null;
    this.seq = 0;
    this.socket = null;
    this.handlers = {};
    this.resyncs = 0;
  }

  HallQClient.prototype.on = function (name, fn) {
    (this.handlers[name] = this.handlers[name] || []).push(fn);
    return this;
  };

  HallQClient.prototype._fire = function (name) {
    var args = Array.prototype.slice.call(arguments, 1);
    (this.handlers[name] || []).forEach(function (fn) {
      try {
        fn.apply(null, args);
      } catch (err) {
        global.console && global.console.error(err);
      }
    });
  };

  HallQClient.prototype.connect = function () {
    var self = this;
    var socket = global.io(this.url + NAMESPACE, {
      auth: {token: this.token},
      transports: ["websocket"],
      reconnectionDelayMax: 5000,
    });
    this.socket = socket;
    socket.on("joined", function (who) { self.who = who; self._fire("joined", who); });
    socket.on("state", function (state) {
      self.state = state;
      self.seq = state.seq;
      self._fire("state", state);
      self._fire("change", state);
    });
    socket.on("connect_error", function (err) {
      if (err && err.data && err.data.code === "bad_token") {
        self._end(err.data);
        return;
      }
      self._fire("error", err);
    });
    // The server closes the socket of a token that stopped working, and says so first.
    socket.on("session.ended", function (why) { self._end(why); });
    socket.on("disconnect", function (reason) {
      if (self.ended) return;
      self._fire("offline", reason);
      // A disconnect by the server is not retried by Socket.IO: try once more, and the
      // server either lets us in again or says why not.
      if (reason === "io server disconnect") socket.connect();
    });
    ["ticket.issued", "ticket.called", "ticket.updated", "counter.updated", "queue.updated", "hall.updated",
      "notice.updated"]
      .forEach(function (name) {
        socket.on(name, function (data) { self._delta(name, data); });
      });
    // Addressed to this client's device or window (no seq): handed on as they come.
    ["device.updated", "print.outcome", "rating.stored", "rating.ended", "follow_up.updated"]
      .forEach(function (name) {
        socket.on(name, function (data) { self._fire(name, data); });
      });
    return this;
  };

  HallQClient.prototype.close = function () {
    if (this.socket) this.socket.close();
  };

  HallQClient.prototype._end = function (why) {
    if (this.ended) return;
    this.ended = true;
    this.close();
    this._fire("ended", why || {code: "bad_token"});
  };

  HallQClient.prototype.resync = function () {
    this.resyncs += 1;
    if (this.socket) this.socket.emit("state.request", {});
  };

  HallQClient.prototype._delta = function (name, data) {
    if (!this.state || data.seq <= this.seq) return; // before the snapshot: already in it
    if (data.seq !== this.seq + 1) {
      this.resync();
      return;
    }
    this.seq = data.seq;
    this.state.seq = data.seq;
    apply(this.state, name, data);
    this._fire(name, data, this.state);
    this._fire("change", this.state);
  };

  function apply(state, name, data) {
    if (name === "queue.updated") {
      // Figures only: merged into the snapshot's services (names and documents stay).
      data.services.forEach(function (fresh) {
        var known = state.services.find(function (s) { return s.code === fresh.code; });
        if (known) Object.assign(known, fresh);
      });
    } else if (name === "counter.updated") {
      var j = state.counters.findIndex(function (c) { return c.number === data.counter.number; });
      if (j >= 0) state.counters[j] = data.counter;
      else state.counters.push(data.counter);
    } else if (name === "notice.updated") {
      state.notices = data.notices;
    } else if (name === "ticket.called") {
      state.recent_calls.unshift(data);
      state.recent_calls.length = Math.min(state.recent_calls.length, RECENT_CALLS);
    }
  }

  HallQClient.api = async function (path, options) {
    options = options || {};
    var headers = {"Accept": "application/json"};
    if (options.token) headers["Authorization"] = "Bearer " + options.token;
    if (options.body !== undefined) headers["Content-Type"] = "application/json";
    var lang = global.document && global.document.documentElement.lang;
    if (lang) headers["Accept-Language"] = lang;
    var response = await global.fetch(path, {
      method: options.method || "GET",
      headers: headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    var body = response.status === 204 ? null : await response.json();
    if (!response.ok) throw HallQClient.failure(response, body);
    return body;
  };

  /* The Error for a refused request: the contract's message ({error: {code, message}}) with
     its code and the HTTP status; ``retry`` when a proxy says the server is away (502–504). */
  HallQClient.failure = function (response, body) {
    var said = body && body.error;
    var error = new Error((said && said.message) || response.statusText);
    error.code = said && said.code;
    error.status = response.status;
    error.retry = response.status === 502 || response.status === 503 || response.status === 504;
    return error;
  };

  /* A time of the wire (ISO 8601 with its offset; one without it is UTC) in milliseconds;
     null for none. */
  HallQClient.instant = function (iso) {
    if (!iso) return null;
    return Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? iso : iso + "Z");
  };

  /* A running time as the staff's screens show it: 4:07, 1:02:09. */
  HallQClient.duration = function (ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    var h = Math.floor(s / 3600);
    var m = Math.floor((s % 3600) / 60);
    var sec = s % 60;
    var mm = (h && m < 10 ? "0" : "") + m;
    return (h ? h + ":" : "") + mm + ":" + (sec < 10 ? "0" : "") + sec;
  };

  global.HallQClient = HallQClient;
})(window);
