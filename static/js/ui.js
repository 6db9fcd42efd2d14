// Small page behaviours shared by every page (no inline script: the Content-Security-Policy forbids it).
(function () {
  "use strict";
  // Dismiss toasts: any [data-dismiss] button removes its [data-toast] (also for toasts added later).
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-dismiss]");
    if (button) { var toast = button.closest("[data-toast]"); if (toast) toast.remove(); }
  });
})();
