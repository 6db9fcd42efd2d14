// Conversation page: keep the newest message in view, and make "Open for $…" a single click.
// The feed itself refreshes through htmx (hx-trigger="messages-update from:body, every 30s"):
// notifications.js fires "messages-update" when the server pushes {"kind": "messages", ...}.
(function () {
  "use strict";

  function scrollToLatest() {
    var latest = document.getElementById("latest");
    if (latest && !window.location.hash.match(/^#message-/)) latest.scrollIntoView({ block: "end" });
  }

  document.addEventListener("DOMContentLoaded", scrollToLatest);
  // The only htmx swap on this page is the feed (a 204 "nothing new" swaps nothing).
  document.body.addEventListener("htmx:afterSettle", scrollToLatest);

  // A second click on "Open for $…" while the first is on its way does nothing (the server charges once anyway).
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("[data-open-paid]");
    if (!form) return;
    if (form.getAttribute("data-sent")) { event.preventDefault(); return; }
    form.setAttribute("data-sent", "1");
    var button = form.querySelector("[data-open-button]");
    if (button) button.setAttribute("aria-busy", "true");
  });
})();
