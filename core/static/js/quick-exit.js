// Quick exit: leave for a neutral page at once, replacing this page in the history so the Back
// button does not return to it, and end the session in the background (the answer to that post
// also has the browser drop our cookies and storage). Escape twice does the same. Without
// JavaScript the form itself posts to /exit/, whose page moves on by a meta refresh.
(function () {
  "use strict";
  function leave(form) {
    var target = form.getAttribute("data-quick-exit");
    try {
      fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin", keepalive: true });
    } catch (e) { /* leaving matters more than signing out */ }
    window.location.replace(target);
  }
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form.quick-exit");
    if (!form) { return; }
    form.addEventListener("submit", function (event) { event.preventDefault(); leave(form); });
    var lastEscape = 0;
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") { return; }
      var now = Date.now();
      if (now - lastEscape < 800) { leave(form); }
      lastEscape = now;
    });
  });
})();
