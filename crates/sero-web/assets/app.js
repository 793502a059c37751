// SERO web app: the only script, served from the node binary.
// Any element with data-live="URL" has its contents replaced every two
// seconds by the HTML fragment at URL (same origin, rendered and escaped
// by the server). Polling stops once the fragment holds data-stop="1".
(function () {
  "use strict";
  var PERIOD = 2000;
  function refresh(el) {
    var url = el.getAttribute("data-live");
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) {
        if (!r.ok) { throw new Error(r.status); }
        return r.text();
      })
      .then(function (html) {
        el.innerHTML = html;
        el.removeAttribute("data-error");
        if (el.querySelector('[data-stop="1"]')) { return; }
        setTimeout(function () { refresh(el); }, PERIOD);
      })
      .catch(function () {
        el.setAttribute("data-error", "node unreachable");
        setTimeout(function () { refresh(el); }, PERIOD * 2);
      });
  }
  function start() {
    var els = document.querySelectorAll("[data-live]");
    for (var i = 0; i < els.length; i++) {
      (function (el) {
        if (el.querySelector('[data-stop="1"]')) { return; }
        setTimeout(function () { refresh(el); }, PERIOD);
      })(els[i]);
    }
    // A form that makes proofs: disable its button while it is submitted.
    var forms = document.querySelectorAll("form");
    for (var j = 0; j < forms.length; j++) {
      forms[j].addEventListener("submit", function (ev) {
        var b = ev.target.querySelector("button[type=submit]");
        if (b) { b.disabled = true; b.textContent = "Working…"; }
      });
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
