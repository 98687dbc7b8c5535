// The export modal: any [data-export-entity] button opens the one dialog of the page,
// set up for its entity (fields, page filters). The form itself is a plain GET to /export.
(function () {
  "use strict";
  var dialog = document.getElementById("export-modal");
  if (!dialog || typeof dialog.showModal !== "function") { return; }
  var form = dialog.querySelector("form");
  var fieldsBox = dialog.querySelector(".export-fields");
  var fieldsSet = dialog.querySelector(".export-fields-set");
  var filtersBox = dialog.querySelector(".export-filters");
  var names = dialog.querySelector(".export-names");
  var title = dialog.querySelector("#export-modal-title");

  function parse(text, fallback) {
    try { return JSON.parse(text || ""); } catch (e) { return fallback; }
  }

  function hidden(name, value) {
    var input = document.createElement("input");
    input.type = "hidden";
    input.name = name;
    input.value = value;
    return input;
  }

  function open(button) {
    form.elements.entity.value = button.getAttribute("data-export-entity");
    title.textContent = button.getAttribute("data-export-title") || "Export";
    filtersBox.replaceChildren();
    var filters = parse(button.getAttribute("data-export-filters"), {});
    form.elements.from.value = "";
    form.elements.to.value = "";
    Object.keys(filters).forEach(function (key) {
      if (filters[key] !== null && filters[key] !== "") {
        if (key === "from" || key === "to") { form.elements[key].value = filters[key]; }
        else { filtersBox.appendChild(hidden(key, filters[key])); }
      }
    });
    fieldsBox.replaceChildren();
    var fields = parse(button.getAttribute("data-export-fields"), []);
    var hasPrivate = false;
    fields.forEach(function (field) {
      var label = document.createElement("label");
      var box = document.createElement("input");
      box.type = "checkbox";
      box.name = "fields";
      box.value = field.key;
      if (field.private) { box.disabled = true; box.dataset.private = "1"; hasPrivate = true; }
      label.appendChild(box);
      label.appendChild(document.createTextNode(" " + field.label));
      fieldsBox.appendChild(label);
    });
    fieldsSet.hidden = fields.length === 0;
    names.hidden = !hasPrivate;
    form.elements.include_names.checked = false;
    dialog.showModal();
  }

  document.querySelectorAll("[data-export-entity]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      event.preventDefault();
      open(button);
    });
  });
  // A patient-name field can be ticked only with "Include patient names".
  form.elements.include_names.addEventListener("change", function () {
    var on = form.elements.include_names.checked;
    fieldsBox.querySelectorAll("[data-private]").forEach(function (box) {
      box.disabled = !on;
      if (!on) { box.checked = false; }
    });
  });
  dialog.querySelector(".export-close").addEventListener("click", function () { dialog.close(); });
  // The file downloads and the page stays: close the dialog, let the button work again.
  form.addEventListener("submit", function () {
    window.setTimeout(function () {
      dialog.close();
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = false; });
    }, 300);
  });
})();
