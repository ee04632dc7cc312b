// ghostguard dashboard: draws the activity chart with the vendored uPlot.
// The data comes in the page (data-activity); no request, no CDN.
"use strict";
(function () {
  function draw() {
    var el = document.getElementById("chart");
    if (!el || typeof uPlot === "undefined") return;
    var d;
    try { d = JSON.parse(el.dataset.activity); } catch (e) { return; }
    var colors = ["#b3261e", "#1f5fa8", "#8a5a00"];
    var series = [{}].concat(d.series.map(function (s, i) {
      return { label: s.label, stroke: colors[i % colors.length], width: 1.5,
               fill: i === 0 ? "rgba(179,38,30,0.08)" : undefined };
    }));
    var data = [d.t].concat(d.series.map(function (s) { return s.data; }));
    var width = function () { return Math.max(280, el.clientWidth); };
    var plot = new uPlot({ width: width(), height: 240, series: series,
      axes: [{}, { size: 40 }], scales: { x: { time: true } } }, data, el);
    el.dataset.drawn = "true";
    window.addEventListener("resize", function () { plot.setSize({ width: width(), height: 240 }); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
