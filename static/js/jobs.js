/* The jobs list: "select all" for the bulk actions and a count of the selected jobs. Without JavaScript each
   checkbox still works and "select all" stays hidden. Rows are replaced by htmx polling; checkboxes survive it
   (hx-preserve), and the handlers below are delegated, so they keep working on new rows. */
(function () {
  "use strict";

  function boxes() {
    return Array.prototype.slice.call(document.querySelectorAll('#job-rows input[name="job_ids"]'));
  }

  function refresh() {
    var all = document.getElementById("select-all");
    var count = document.getElementById("selection-count");
    var items = boxes();
    var checked = items.filter(function (box) { return box.checked; }).length;
    if (all) {
      all.checked = items.length > 0 && checked === items.length;
      all.indeterminate = checked > 0 && checked < items.length;
    }
    if (count) {
      count.textContent = checked ? checked + " selected" : "";
    }
  }

  function init() {
    var all = document.getElementById("select-all");
    if (!all) {
      return;
    }
    all.closest(".select-all").hidden = false;
    all.addEventListener("change", function () {
      boxes().forEach(function (box) { box.checked = all.checked; });
      refresh();
    });
    document.addEventListener("change", function (event) {
      if (event.target && event.target.name === "job_ids") {
        refresh();
      }
    });
    document.body.addEventListener("htmx:afterSettle", refresh);
    var form = document.getElementById("bulk-form");
    form.addEventListener("submit", function (event) {
      if (!boxes().some(function (box) { return box.checked; })) {
        event.preventDefault();
        document.getElementById("selection-count").textContent = "Select at least one job first.";
      }
    });
    refresh();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
