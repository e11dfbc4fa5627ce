/* Upload page: drop a file on the drop zone, and send the form with a progress bar.
 *
 * Progressive enhancement: without this script the page is a plain multipart form with an
 * <input type="file">. With it, a dropped file fills that same input, and the form is sent by
 * XMLHttpRequest so the upload's progress can be shown; the server's answer is followed as a
 * normal submission would be (the upload's page on success, the form with its errors otherwise).
 */
(function () {
  "use strict";

  function init(form) {
    var zone = form.querySelector("[data-dropzone]");
    var input = zone && zone.querySelector("input[type=file]");
    if (!zone || !input) return;
    var hint = zone.querySelector("[data-dropzone-hint]");
    var chosen = zone.querySelector("[data-dropzone-file]");
    var box = form.querySelector("[data-upload-progress]");
    var bar = box && box.querySelector("progress");
    var percent = box && box.querySelector("[data-upload-percent]");
    var failure = form.querySelector("[data-upload-error]");
    var button = form.querySelector("button[type=submit]");

    if (hint) hint.hidden = false;
    zone.classList.add("dropzone-ready");

    function showChosen() {
      if (chosen) chosen.textContent = input.files.length ? input.files[0].name : "";
    }
    input.addEventListener("change", showChosen);

    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("over");
      });
    });
    ["dragleave", "dragend", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () {
        zone.classList.remove("over");
      });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      var files = event.dataTransfer && event.dataTransfer.files;
      if (!files || !files.length) return;
      // A FileList cannot be built directly; a DataTransfer makes one holding the first file.
      var transfer = new DataTransfer();
      transfer.items.add(files[0]);
      input.files = transfer.files;
      showChosen();
    });

    if (!window.XMLHttpRequest || !window.FormData) return;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.getAttribute("action") || window.location.href);
      xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
      if (box) box.hidden = false;
      if (failure) failure.hidden = true;
      if (button) button.disabled = true;
      xhr.upload.addEventListener("progress", function (e) {
        if (!e.lengthComputable || !bar) return;
        var done = Math.round((e.loaded / e.total) * 100);
        bar.value = done;
        if (percent) percent.textContent = done + " %";
      });
      xhr.addEventListener("load", function () {
        var target = xhr.responseURL || "";
        if (xhr.status >= 200 && xhr.status < 300 && target && target !== window.location.href) {
          window.location.assign(target); // redirected to the upload's page: follow it
          return;
        }
        // The form came back with its errors: put it in place of this one (the file must be
        // chosen again, exactly as after a normal submission).
        var answer = new DOMParser().parseFromString(xhr.responseText, "text/html");
        var fresh = answer.querySelector("[data-upload-form]");
        if (fresh) {
          form.replaceWith(fresh);
          init(fresh);
          var alert = fresh.querySelector("[role=alert]:not([hidden])");
          if (alert) alert.scrollIntoView({ block: "center" });
          return;
        }
        fail();
      });
      function fail() {
        if (box) box.hidden = true;
        if (failure) failure.hidden = false;
        if (button) button.disabled = false;
      }
      xhr.addEventListener("error", fail);
      xhr.send(new FormData(form));
    });
  }

  document.querySelectorAll("[data-upload-form]").forEach(init);
})();
