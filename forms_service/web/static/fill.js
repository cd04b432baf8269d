// The fill page of a 附件1: the parts that apply to the chosen 申請類別 are shown, the others hidden
// (the server renders the same for the type it was given; without JavaScript a 「檢查內容」 does it).
(function () {
  "use strict";
  var types = document.querySelectorAll('input[name="application_type"]');
  if (!types.length) { return; }
  function apply() {
    var chosen = document.querySelector('input[name="application_type"]:checked');
    var terminating = chosen && chosen.value === "termination";
    document.querySelectorAll("[data-show-when]").forEach(function (part) {
      var when = part.getAttribute("data-show-when");
      part.hidden = when === "termination" ? !terminating : terminating;
    });
  }
  types.forEach(function (input) { input.addEventListener("change", apply); });
})();
