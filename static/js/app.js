/* Behaviour shared by every page, kept out of the HTML so the Content-Security-Policy can forbid
 * inline scripts and event-handler attributes.
 * - the top bar's menu button opens and closes the navigation on small screens;
 * - a <select data-autosubmit> sends its form when its value changes (the language picker; a
 *   <noscript> button does it without JavaScript). */
(function () {
  "use strict";

  var bar = document.getElementById("topbar");
  var toggle = bar && bar.querySelector(".menu-toggle");
  if (toggle) {
    toggle.addEventListener("click", function () {
      var open = bar.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field instanceof HTMLSelectElement && field.hasAttribute("data-autosubmit") && field.form) {
      field.form.submit();
    }
  });
})();
