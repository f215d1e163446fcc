// Small progressive enhancements; every page works without JavaScript.
(function () {
  "use strict";
  // "Add a recommendation": clone the formset's empty form and bump TOTAL_FORMS.
  document.querySelectorAll("[data-formset]").forEach(function (box) {
    var prefix = box.getAttribute("data-formset");
    var total = box.querySelector("input[name='" + prefix + "-TOTAL_FORMS']");
    var template = box.querySelector("template");
    var button = box.querySelector("[data-add-row]");
    if (!total || !template || !button) { return; }
    button.addEventListener("click", function () {
      var index = parseInt(total.value, 10);
      var row = document.createElement("div");
      row.className = "formset-row";
      row.innerHTML = template.innerHTML.replace(/__prefix__/g, String(index));
      button.parentNode.insertBefore(row, button);
      total.value = String(index + 1);
      var field = row.querySelector("textarea, input");
      if (field) { field.focus(); }
    });
  });
  // Screening form: show the part that goes with the chosen action.
  var screen = document.querySelector("[data-testid='screen-form']");
  if (screen) {
    var update = function () {
      var chosen = screen.querySelector("input[name='action']:checked");
      var value = chosen ? chosen.value : "";
      screen.querySelector(".when-accept").hidden = value === "return";
      screen.querySelector(".when-return").hidden = value === "accept";
    };
    screen.addEventListener("change", update);
    update();
  }
  // The "new document" form's token (documents/form_tokens.py). When the person comes Back
  // to the form and the browser fetches it again, the page carries a new token; put back the
  // one this tab sent from it, so that a second Save edits the same document.
  document.querySelectorAll("input[data-keep-on-back]").forEach(function (input) {
    var key = "form-token:" + location.pathname;
    try {
      var navigation = performance.getEntriesByType("navigation")[0];
      var sent = window.sessionStorage.getItem(key);
      if (sent && navigation && navigation.type === "back_forward") { input.value = sent; }
      input.form.addEventListener("submit", function () {
        window.sessionStorage.setItem(key, input.value);
      });
    } catch (error) { /* no session storage: each page keeps its own token */ }
  });
  // Phones show a list table as one card per row (app.css); each cell takes the text of
  // its column's header as its label, unless the template wrote one.
  document.querySelectorAll("main table").forEach(function (table) {
    var heads = table.querySelectorAll("thead tr:first-child > th");
    if (!heads.length) { return; }
    table.querySelectorAll("tbody > tr").forEach(function (row) {
      Array.prototype.forEach.call(row.children, function (cell, i) {
        if (!cell.hasAttribute("data-label") && heads[i]) {
          cell.setAttribute("data-label", heads[i].textContent.trim());
        }
      });
    });
  });
  // A box that scrolls sideways must be reachable by keyboard to be scrolled.
  document.querySelectorAll("main .scroll, main .chart").forEach(function (box) {
    if (!box.hasAttribute("tabindex") && box.scrollWidth > box.clientWidth) {
      box.setAttribute("tabindex", "0");
    }
  });
})();
