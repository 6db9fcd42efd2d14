// The seller's product form: show only the fields of the chosen kind (stock for physical goods,
// delivery days for services, the file for digital goods). Without JavaScript every field shows and
// the server ignores the ones that do not apply.
(function () {
  "use strict";
  var kind = document.querySelector("select[name=kind]");
  if (!kind) return;
  var parts = document.querySelectorAll("[data-for-kind]");
  function show() {
    parts.forEach(function (part) {
      part.hidden = part.getAttribute("data-for-kind") !== kind.value;
    });
  }
  kind.addEventListener("change", show);
  show();
})();
