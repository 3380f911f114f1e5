// Pipeline editor, progressive enhancement only: every form works without this file.
// "Try it" can take several seconds: say so, and keep a second click from starting a second run.
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (!button || !button.classList.contains("try-button")) {
      return;
    }
    var form = button.form;
    var status = form.querySelector(".try-status");
    if (status) {
      status.textContent = "Running the pipeline on the sample…";
    }
    form.setAttribute("aria-busy", "true");
    // Disabled after the browser has taken the button's formaction for this submission.
    window.setTimeout(function () {
      button.disabled = true;
      button.textContent = "Running…";
    }, 0);
  });
})();
