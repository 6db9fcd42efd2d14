// The directory's filter sheet: folded on phones, open on wide screens (where it is a sidebar).
(function () {
  "use strict";
  var sheet = document.querySelector("details[data-open-wide]");
  if (!sheet || !window.matchMedia) return;
  var wide = window.matchMedia("(min-width: 1024px)");
  function apply() { if (wide.matches) sheet.open = true; }
  apply();
  if (wide.addEventListener) wide.addEventListener("change", apply);
})();
