// Signal forms and the trend chart of a signal (ours).
// Forms: each group of inputs that belongs to one choice of a selector (data-when) is shown only
// while that choice is selected; without this script every group shows and the chosen one is
// read.
// Chart: Fetches the JSON named by #trend[data-url] and draws it with
// uPlot: the value (raw readings) or the hourly average with its min and max, plus the fixed
// alarm limits as dashed lines. Drag to zoom in, double-click to zoom out.
(function () {
  "use strict";
  function draw(el, t) {
    var xs = [], avg = [], min = [], max = [];
    t.points.forEach(function (p) {
      xs.push(p.t_ms / 1000); avg.push(p.avg); min.push(p.min); max.push(p.max);
    });
    var hourly = t.resolution === "hour";
    var series = [{}, {
      label: (hourly ? "average " : "") + t.name + " (" + t.unit + ")",
      stroke: "#1d5fd1", width: 2, points: { show: !hourly && xs.length < 200 }
    }];
    var data = [xs, avg];
    if (hourly) {
      series.push({ label: "min", stroke: "#8fb0e8", width: 1 });
      series.push({ label: "max", stroke: "#8fb0e8", width: 1 });
      data.push(min, max);
    }
    var colours = { hh: "#b3261e", h: "#d9822b", l: "#d9822b", ll: "#b3261e" };
    t.limits.forEach(function (l) {
      series.push({
        label: l.level.toUpperCase() + " " + l.value + (l.enabled ? "" : " (disabled)"),
        stroke: colours[l.level] || "#b3261e", width: 1, dash: [6, 4], points: { show: false }
      });
      data.push(xs.map(function () { return l.value; }));
    });
    el.textContent = "";
    if (!xs.length) {
      el.textContent = "No readings in this range.";
      el.setAttribute("data-points", "0");
      return;
    }
    var width = Math.max(280, el.clientWidth - 24);
    var chart = new uPlot({
      width: width, height: 300, series: series,
      cursor: { drag: { x: true, y: false } },
      scales: { x: { time: true } },
      axes: [{}, { label: t.unit }]
    }, data, el);
    el.setAttribute("data-points", String(xs.length));
    window.addEventListener("resize", function () {
      chart.setSize({ width: Math.max(280, el.clientWidth - 24), height: 300 });
    });
  }
  function toggleGroups(form) {
    var chosen = {};
    ["source.kind", "params.kind"].forEach(function (n) {
      var s = form.querySelector("select[name='" + n + "']");
      if (s) chosen[s.value] = true;
    });
    form.querySelectorAll("fieldset[data-when]").forEach(function (fs) {
      fs.hidden = !chosen[fs.getAttribute("data-when")];
    });
  }
  function forms() {
    document.querySelectorAll("form.signal-form").forEach(function (f) {
      toggleGroups(f);
      f.addEventListener("change", function () { toggleGroups(f); });
    });
  }
  function start() {
    forms();
    var el = document.getElementById("trend");
    if (!el || typeof uPlot === "undefined") return;
    el.textContent = "Loading…";
    fetch(el.getAttribute("data-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
      .then(function (t) { draw(el, t); })
      .catch(function (e) { el.textContent = "The chart could not be loaded (" + e.message + "); the table below has the data."; });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
