/**
 * HallQPauseReason(reason): a window's pause reason in the reader's language.
 *
 * The server stores a reason from the list (break, meeting, system_failure) or
 * "other: <the clerk's own words>"; the clerk's screen and the supervisor's dashboard show
 * it the same way. Needs HallQI18n (i18n.js) loaded first.
 */
(function () {
  "use strict";

  var t = function (msgid) { return window.HallQI18n.t(msgid); };
  var REASONS = {
    "break": function () { return t("Break"); },
    "meeting": function () { return t("Meeting"); },
    "system_failure": function () { return t("System failure"); },
    "other": function () { return t("Other"); },
  };

  window.HallQPauseReason = function (reason) {
    if (!reason) return "";
    if (REASONS[reason]) return REASONS[reason]();
    if (reason.indexOf("other: ") === 0) return reason.slice(7);
    return reason;
  };
})();
