/* The overview page's charts, drawn with the vendored Chart.js from the page's JSON data island
   (<script type="application/json" id="overview-data">; the same object as /overview/data.json). */
(function () {
  "use strict";

  var island = document.getElementById("overview-data");
  if (!island || typeof window.Chart === "undefined") {
    return;
  }
  var data = JSON.parse(island.textContent);
  var css = window.getComputedStyle(document.documentElement);

  function color(name, fallback) {
    var value = css.getPropertyValue(name).trim();
    return value || fallback;
  }

  var palette = {
    succeeded: color("--succeeded-fg", "#146c2e"),
    failed: color("--failed-fg", "#a11c12"),
    cancelled: color("--cancelled-fg", "#6b5a35"),
    active: color("--accent", "#2454c5"),
    muted: color("--muted", "#5b6475"),
    border: color("--border", "#d9dde5")
  };

  window.Chart.defaults.color = color("--text", "#1c2330");
  window.Chart.defaults.borderColor = palette.border;
  window.Chart.defaults.font.family = window.getComputedStyle(document.body).fontFamily || "sans-serif";
  window.Chart.defaults.animation = false;
  window.Chart.defaults.maintainAspectRatio = false;

  function pad(number) {
    return number < 10 ? "0" + number : String(number);
  }

  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  /* Bucket starts are UTC; the labels are too, like every time in the dashboard. */
  function bucketLabel(iso) {
    var when = new Date(iso);
    var day = MONTHS[when.getUTCMonth()] + " " + when.getUTCDate();
    var time = pad(when.getUTCHours()) + ":" + pad(when.getUTCMinutes());
    if (data.unit === "day") {
      return day;
    }
    if (data.unit === "hour") {
      return time;
    }
    return day + " " + time;
  }

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (canvas) {
      return new window.Chart(canvas, config);
    }
    return null;
  }

  var outcomes = [
    ["succeeded", "Succeeded"],
    ["failed", "Failed"],
    ["cancelled", "Cancelled"],
    ["active", "Queued or running"]
  ];

  draw("chart-throughput", {
    type: "bar",
    data: {
      labels: data.buckets.map(bucketLabel),
      datasets: outcomes.map(function (pair) {
        return { label: pair[1], data: data.series[pair[0]], backgroundColor: palette[pair[0]], stack: "jobs" };
      })
    },
    options: {
      scales: {
        x: { stacked: true, ticks: { maxRotation: 0, autoSkipPadding: 12 } },
        y: { stacked: true, beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "jobs" } }
      },
      plugins: { legend: { position: "bottom" } }
    }
  });

  draw("chart-durations", {
    type: "bar",
    data: {
      labels: data.durations.map(function (row) { return row.pipeline; }),
      datasets: [
        { label: "p50", data: data.durations.map(function (row) { return row.p50_seconds; }), backgroundColor: palette.active },
        { label: "p95", data: data.durations.map(function (row) { return row.p95_seconds; }), backgroundColor: palette.muted }
      ]
    },
    options: {
      scales: { y: { beginAtZero: true, title: { display: true, text: "seconds" } } },
      plugins: { legend: { position: "bottom" } }
    }
  });

  var priorities = Object.keys(data.queue.by_priority).sort(function (a, b) { return Number(a) - Number(b); });
  draw("chart-queue", {
    type: "bar",
    data: {
      labels: priorities,
      datasets: [
        {
          label: "Waiting",
          data: priorities.map(function (key) { return data.queue.by_priority[key]; }),
          backgroundColor: palette.active
        }
      ]
    },
    options: {
      scales: {
        x: { title: { display: true, text: "priority" } },
        y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "jobs" } }
      },
      plugins: { legend: { display: false } }
    }
  });

  document.documentElement.classList.add("charts-drawn");
})();
