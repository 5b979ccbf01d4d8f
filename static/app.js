// Live feedback on typed skills: how each fragment is understood by the
// taxonomy. Progressive enhancement: without JavaScript the "Vérifier"
// button gives the same answer. No inline script (strict CSP).
(function () {
  "use strict";
  var DELAY_MS = 400;

  function render(target, data) {
    target.textContent = "";
    var list = document.createElement("ul");
    list.className = "chips";
    data.skills.forEach(function (s) {
      var li = document.createElement("li");
      li.className = "chip ok";
      li.textContent = s.fragment + " → " + s.label + " (" + Math.round(s.score) + ")";
      list.appendChild(li);
    });
    data.unmatched.forEach(function (u) {
      var li = document.createElement("li");
      li.className = "chip ko";
      li.textContent = u + " : non reconnu";
      list.appendChild(li);
    });
    if (list.children.length) { target.appendChild(list); }
  }

  function watch(field) {
    var target = document.getElementById(field.getAttribute("data-live-map"));
    if (!target) { return; }
    var timer = null;
    var last = null;
    function update() {
      var text = field.value;
      if (text === last) { return; }
      last = text;
      fetch("/api/v1/map?text=" + encodeURIComponent(text), { headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) { if (data && field.value === text) { render(target, data); } })
        .catch(function () { /* the Vérifier button still works */ });
    }
    field.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(update, DELAY_MS);
    });
    if (field.value) { update(); }
  }

  // Insertion clause form: a preset fills the labour share; the hours are
  // recomputed as figures are typed (the server recomputes on save).
  function clauseForm(select) {
    var form = select.form;
    function field(name) { return form.elements[name]; }
    function number(name) { return parseFloat((field(name).value || "").replace(",", ".").replace(/\s/g, "")); }
    function compute() {
      var out = document.getElementById("computed");
      var a = number("amount"), s = number("labour_share"), r = number("insertion_rate"), c = number("hourly_cost");
      if (!out || [a, s, r, c].some(isNaN) || c <= 0) { return; }
      out.textContent = "Heures d'insertion requises : " + Math.round(a * s / 100 * r / 100 / c) + " h (calcul indicatif)";
    }
    select.addEventListener("change", function () {
      var option = select.options[select.selectedIndex];
      if (option && option.getAttribute("data-share")) { field("labour_share").value = option.getAttribute("data-share"); }
      compute();
    });
    ["amount", "labour_share", "insertion_rate", "hourly_cost"].forEach(function (name) {
      if (field(name)) { field(name).addEventListener("input", compute); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-live-map]"), watch);
    Array.prototype.forEach.call(document.querySelectorAll("[data-labour-presets]"), clauseForm);
  });
}());
