// Warn before a signed-in session ends (WCAG 2.2.1): the page knows how long is left when it is
// served; shortly before the end it asks the server again (another tab may have been used), and
// if the end is near it shows the warning, with the sign-out time, and moves focus to "Stay
// signed in". Asking does not count as activity; pressing the button does. Once the time has
// passed, the page is loaded again, which leads to the sign-in page.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("session-warning");
    if (!box) { return; }
    var form = box.querySelector("form");
    var statusUrl = form.getAttribute("action");
    var warnBefore = parseInt(box.getAttribute("data-warn-before"), 10) * 1000;
    var deadline = Date.now() + parseInt(box.getAttribute("data-seconds-left"), 10) * 1000;
    var timer = null;
    var returnFocus = null;

    function later(callback, at) {
      window.clearTimeout(timer);
      timer = window.setTimeout(callback, Math.max(0, at - Date.now()));
    }
    function signedOut() {
      window.location.assign(window.location.pathname + window.location.search);
    }
    function show(extendable) {
      var end = box.querySelector("[data-session-end]");
      var when = new Date(deadline);
      end.setAttribute("datetime", when.toISOString());
      end.textContent = when.toLocaleTimeString(document.documentElement.lang, { hour: "numeric", minute: "2-digit" });
      box.querySelectorAll("[data-if-extendable]").forEach(function (part) { part.hidden = !extendable; });
      box.querySelector("[data-if-final]").hidden = extendable;
      if (box.hidden) {
        returnFocus = document.activeElement;
        box.hidden = false;
        (extendable ? form.querySelector("button") : box).focus();
      }
      later(signedOut, deadline);
    }
    function hide() {
      box.hidden = true;
      if (returnFocus && document.contains(returnFocus)) { returnFocus.focus(); }
    }
    function update(answer) {
      if (answer.seconds_left <= 0) { signedOut(); return; }
      deadline = Date.now() + answer.seconds_left * 1000;
      if (answer.seconds_left * 1000 > warnBefore) {
        hide();
        later(check, deadline - warnBefore);
      } else {
        show(answer.extendable);
      }
    }
    function check() {
      fetch(statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.json(); })
        .then(update, function () { later(check, Math.min(deadline, Date.now() + 15000)); });
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      fetch(statusUrl, { method: "POST", body: new FormData(form), credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.json(); })
        .then(update, signedOut);
    });
    box.setAttribute("tabindex", "-1");
    later(check, deadline - warnBefore);
  });
})();
