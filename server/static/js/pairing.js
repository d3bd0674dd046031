/*
 * A device's screen (the kiosk, a lobby board) paired with its device token, the same way
 * on every such page:
 *
 * - a pairing link (/kiosk#token=…) gives the token; it leaves the address bar at once
 *   (HallQPairing.takeTokenFromLink, before anything else can read or log it) and is kept in
 *   localStorage under the page's key;
 * - or staff type it into the page's pairing form (#pairing-form, #pairing-token,
 *   #pairing-error);
 * - either way GET /api/v1/devices/me must name a device of the page's kind. While the server
 *   cannot be reached the token is kept and tried again; a token the server refuses is not.
 *
 *   var linkToken = HallQPairing.takeTokenFromLink("hallq.kiosk.token");
 *   var pairing = new HallQPairing({kind: "kiosk", storageKey: …, api: …, retryMs: 3000,
 *     paired: function (token, me) {…}, away: function () {…},
 *     refused: function (unknownToken) {…}, forget: function () {…}});
 *   pairing.pair(linkToken || localStorage.getItem(key));
 */
(function (global) {
  "use strict";

  function HallQPairing(options) {
    this.options = options;
    this.retryTimer = null;
    var self = this;
    var $ = function (id) { return global.document.getElementById(id); };
    $("pairing-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var token = $("pairing-token").value.trim();
      if (!token) return;
      $("pairing-error").textContent = "";
      self.pair(token);
    });
    // A new pairing link opened on a page already paired: the new token wins.
    global.addEventListener("hashchange", function () {
      var token = HallQPairing.takeTokenFromLink(options.storageKey);
      if (token) {
        options.forget();
        self.pair(token);
      }
    });
  }

  /* The token of a pairing link (#token=…), taken out of the address bar and kept; null when
     the address has none. */
  HallQPairing.takeTokenFromLink = function (storageKey) {
    var hash = global.location.hash;
    if (!hash || hash.length < 2) return null;
    var token = new URLSearchParams(hash.slice(1)).get("token");
    if (token === null) return null;
    global.history.replaceState(global.history.state, "", global.location.pathname + global.location.search);
    token = token.trim();
    if (token) global.localStorage.setItem(storageKey, token);
    return token || null;
  };

  HallQPairing.prototype.pair = async function (token) {
    var options = this.options;
    var self = this;
    clearTimeout(this.retryTimer);
    var me;
    try {
      me = await options.api("/api/v1/devices/me", token);
    } catch (err) {
      if (err.network || err.retry) {
        // The server is away (restarting, network down): keep the token and try again.
        options.away();
        this.retryTimer = setTimeout(function () { self.pair(token); }, options.retryMs);
        return;
      }
      options.refused(err.status === 401);
      return;
    }
    if (me.kind !== options.kind) {
      options.refused(false);
      return;
    }
    global.localStorage.setItem(options.storageKey, token);
    options.paired(token, me);
  };

  global.HallQPairing = HallQPairing;
})(window);
