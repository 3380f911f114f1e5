/* The upload page with JavaScript: files are chosen or dropped, listed with a progress bar each, and posted one
   at a time to the form's data-file-url (the form's own fields and CSRF token go with each). A refused file
   (too large, server busy, ...) is marked and the others go on; a refused field (priority, labels) is shown
   next to the field and stops the upload. When every file is in, the browser goes to the jobs list of this
   upload. Without JavaScript the form posts all files at once and the server does the same. */
(function () {
  "use strict";

  var form = document.getElementById("upload-form");
  if (!form || !window.FormData || !window.XMLHttpRequest) {
    return;
  }
  var input = form.querySelector('input[type="file"]');
  var zone = document.getElementById("dropzone");
  var list = document.getElementById("upload-list");
  var status = document.getElementById("upload-status");
  var submit = document.getElementById("upload-submit");
  var maxBytes = parseInt(form.getAttribute("data-max-bytes"), 10);
  var maxMb = form.getAttribute("data-max-mb");
  var files = [];
  var busy = false;

  Array.prototype.forEach.call(form.querySelectorAll(".js-only"), function (el) { el.hidden = false; });
  zone.classList.add("dropzone-active");

  function sizeText(bytes) {
    if (bytes < 1024) { return bytes + " bytes"; }
    if (bytes < 1048576) { return (bytes / 1024).toFixed(1) + " KiB"; }
    return (bytes / 1048576).toFixed(1) + " MiB";
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function add(fileList) {
    Array.prototype.forEach.call(fileList, function (file) {
      var item = { file: file, state: "waiting", row: null, bar: null, note: null };
      files.push(item);
    });
    render();
  }

  function render() {
    list.textContent = "";
    list.hidden = files.length === 0;
    files.forEach(function (item, index) {
      var row = el("li", "upload-item upload-" + item.state);
      var name = el("span", "upload-name", item.file.name);
      var size = el("span", "upload-size muted", sizeText(item.file.size));
      var bar = el("progress");
      bar.max = 1;
      bar.value = item.state === "done" ? 1 : 0;
      bar.setAttribute("aria-label", "Upload of " + item.file.name);
      var note = el("span", "upload-note", item.message || "");
      row.appendChild(name);
      row.appendChild(size);
      row.appendChild(bar);
      row.appendChild(note);
      if (item.state === "waiting" && !busy) {
        var remove = el("button", "button-link", "Remove");
        remove.type = "button";
        remove.setAttribute("aria-label", "Remove " + item.file.name);
        remove.addEventListener("click", function () {
          files.splice(index, 1);
          render();
        });
        row.appendChild(remove);
      }
      item.row = row;
      item.bar = bar;
      item.note = note;
      list.appendChild(row);
    });
  }

  function mark(item, state, message) {
    item.state = state;
    item.message = message;
    item.row.className = "upload-item upload-" + state;
    item.note.textContent = message;
    if (state === "done") { item.bar.value = 1; }
    if (state === "failed") { item.bar.value = 0; }
  }

  function clearFieldErrors() {
    Array.prototype.forEach.call(form.querySelectorAll(".field-errors.from-js"), function (node) { node.remove(); });
    Array.prototype.forEach.call(form.querySelectorAll(".field-invalid"), function (node) {
      node.classList.remove("field-invalid");
    });
    Array.prototype.forEach.call(form.querySelectorAll("[aria-invalid]"), function (node) {
      node.removeAttribute("aria-invalid");
    });
  }

  function showFieldErrors(fields) {
    var firstControl = null;
    Object.keys(fields).forEach(function (name) {
      var control = form.elements[name];
      if (!control || !control.closest) { return; }
      var field = control.closest(".field");
      var errors = el("ul", "field-errors from-js");
      errors.id = name + "-errors-js";
      fields[name].forEach(function (message) { errors.appendChild(el("li", "", message)); });
      field.classList.add("field-invalid");
      field.appendChild(errors);
      control.setAttribute("aria-invalid", "true");
      var described = (control.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
      if (described.indexOf(errors.id) < 0) { described.push(errors.id); }
      control.setAttribute("aria-describedby", described.join(" "));
      firstControl = firstControl || control;
    });
    if (firstControl) { firstControl.focus(); }
  }

  function send(item) {
    return new Promise(function (resolve) {
      var data = new FormData(form);
      data.delete("files");
      data.append("files", item.file, item.file.name);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.getAttribute("data-file-url"));
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) { item.bar.value = event.loaded / event.total; }
      });
      xhr.addEventListener("load", function () {
        var body = {};
        try { body = JSON.parse(xhr.responseText); } catch (ignore) { body = {}; }
        resolve({ status: xhr.status, body: body, retryAfter: xhr.getResponseHeader("Retry-After") });
      });
      xhr.addEventListener("error", function () { resolve({ status: 0, body: {} }); });
      xhr.send(data);
    });
  }

  function explain(answer) {
    if (answer.status === 0) { return "Not uploaded: the server could not be reached."; }
    var message = answer.body.error || ("HTTP " + answer.status);
    if (!/[.!?]$/.test(message)) { message += "."; }
    if (answer.status === 429 && answer.retryAfter) {
      message += " Try again in " + answer.retryAfter + " s.";
    }
    return "Not uploaded: " + message;
  }

  function finish(created, jobsUrl) {
    busy = false;
    submit.disabled = false;
    var failed = files.filter(function (item) { return item.state === "failed"; }).length;
    if (created && !failed) {
      status.textContent = "Uploaded " + created + " file" + (created === 1 ? "" : "s") + ". Opening the jobs list…";
      window.location.assign(jobsUrl);
      return;
    }
    status.textContent = created + " uploaded, " + failed + " not uploaded. Upload again to retry the refused files.";
    if (created) {
      var link = el("a", "", "See the " + created + " new job" + (created === 1 ? "" : "s"));
      link.href = jobsUrl;
      status.appendChild(document.createTextNode(" "));
      status.appendChild(link);
    }
    files = files.filter(function (item) { return item.state !== "done"; });
  }

  async function uploadAll() {
    busy = true;
    submit.disabled = true;
    clearFieldErrors();
    render();
    status.textContent = "Uploading " + files.length + " file" + (files.length === 1 ? "" : "s") + "…";
    var created = 0;
    var jobsUrl = null;
    for (var i = 0; i < files.length; i += 1) {
      var item = files[i];
      if (item.state === "done") { continue; }
      if (item.file.size > maxBytes) {
        mark(item, "failed", "Not uploaded: larger than the limit of " + maxMb + " MiB.");
        continue;
      }
      mark(item, "sending", "Uploading…");
      var answer = await send(item);
      if (answer.status === 201) {
        created += 1;
        jobsUrl = answer.body.jobs_url;
        mark(item, "done", "Uploaded.");
      } else if (answer.status === 422 && answer.body.fields && !answer.body.fields.files) {
        mark(item, "failed", "Not uploaded: check the fields below.");
        showFieldErrors(answer.body.fields);
        break;
      } else {
        mark(item, "failed", explain(answer));
      }
    }
    finish(created, jobsUrl);
  }

  input.addEventListener("change", function () {
    add(input.files);
    input.value = "";
  });
  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (event) {
      event.preventDefault();
      zone.classList.add("dropzone-over");
    });
  });
  ["dragleave", "drop"].forEach(function (name) {
    zone.addEventListener(name, function () { zone.classList.remove("dropzone-over"); });
  });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files.length) { add(event.dataTransfer.files); }
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy) { return; }
    if (!files.some(function (item) { return item.state !== "done"; })) {
      clearFieldErrors();
      showFieldErrors({ files: ["Choose at least one file."] });
      return;
    }
    uploadAll();
  });
}());
