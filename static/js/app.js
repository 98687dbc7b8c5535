// Progressive enhancements; every page works without them.
(function () {
  "use strict";
  // Drag and drop onto the upload form's drop zone puts the files in its file input.
  document.querySelectorAll("[data-dropzone]").forEach(function (form) {
    var zone = form.querySelector("[data-dropzone-target]");
    var input = form.querySelector("input[type=file]");
    if (!zone || !input) { return; }
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("dropzone-active");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("dropzone-active"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length) {
        input.files = event.dataTransfer.files;
        zone.querySelector("p").textContent = input.files.length + " file(s) ready to import";
      }
    });
  });
  // Forms that destroy something ask first (data-confirm holds the question).
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); event.stopImmediatePropagation(); }
    });
  });
  // Buttons that start a long action say so and cannot be pressed twice.
  document.querySelectorAll("form").forEach(function (form) {
    form.addEventListener("submit", function () {
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        window.setTimeout(function () { button.disabled = true; }, 0);
      });
    });
  });
})();
