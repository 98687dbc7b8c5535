// Interactive SVG charts drawn from JSON the server put in the page.
// Works under a strict Content-Security-Policy: no eval, no inline scripts or styles
// (attributes such as fill and stroke are presentation attributes, not styles).
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var PALETTE = ["#1f5f8b", "#e07b39", "#3a9a5b", "#8e5ea2", "#c44e52", "#7f7f7f"];

  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (parent) { parent.appendChild(node); }
    return node;
  }

  function format(value, kind) {
    if (value === null || value === undefined || isNaN(value)) { return "–"; }
    var abs = Math.abs(value);
    if (kind === "money") {
      return (value < 0 ? "-$" : "$") + abs.toLocaleString(undefined,
        {minimumFractionDigits: abs >= 1000 ? 0 : 2, maximumFractionDigits: abs >= 1000 ? 0 : 2});
    }
    return value.toLocaleString(undefined, {maximumFractionDigits: 2});
  }

  function niceTicks(low, high, count) {
    if (low === high) { high = low + 1; }
    var span = high - low;
    var step = Math.pow(10, Math.floor(Math.log10(span / count)));
    [1, 2, 2.5, 5, 10].some(function (m) {
      if (span / (step * m) <= count) { step = step * m; return true; }
      return false;
    });
    var ticks = [];
    var last = Math.ceil(high / step - 1e-9) * step;
    for (var t = Math.floor(low / step) * step; t <= last + step * 1e-9; t += step) {
      ticks.push(Math.round(t * 1e6) / 1e6);
    }
    return ticks;
  }

  function draw(container) {
    var source = container.querySelector("script[type='application/json']");
    if (!source) { return; }
    var chart = JSON.parse(source.textContent);
    var box = container.querySelector(".chart-canvas");
    var tooltip = container.querySelector(".chart-tooltip");
    box.textContent = "";
    var width = Math.max(box.clientWidth || 600, 300);
    var height = 320;
    var margin = {top: 12, right: 16, bottom: 56, left: 72};
    var innerW = width - margin.left - margin.right;
    var innerH = height - margin.top - margin.bottom;
    var drawn = chart.series.filter(function (s) { return s.drawn; });
    var values = [];
    // A series may carry shaded bands: "bands": [[lower, upper], ...] (or one "band").
    function bandsOf(s) { return s.bands || (s.band ? [s.band] : []); }
    drawn.forEach(function (s) {
      s.values.forEach(function (v) { if (v !== null) { values.push(v); } });
      bandsOf(s).forEach(function (b) {
        b.forEach(function (edge) { edge.forEach(function (v) { if (v !== null) { values.push(v); } }); });
      });
    });
    if (!values.length) { box.textContent = "No data for this chart yet."; return; }
    var ticks = niceTicks(Math.min(0, Math.min.apply(null, values)), Math.max.apply(null, values), 6);
    var low = ticks[0], high = ticks[ticks.length - 1];
    var n = chart.x.length;
    var band = innerW / n;
    function xAt(i) { return margin.left + band * (i + 0.5); }
    function yAt(v) { return margin.top + innerH - (v - low) / (high - low) * innerH; }

    var svg = el("svg", {width: width, height: height, viewBox: "0 0 " + width + " " + height,
      role: "img", "aria-label": chart.title}, box);
    ticks.forEach(function (t) {
      el("line", {x1: margin.left, x2: width - margin.right, y1: yAt(t), y2: yAt(t),
        stroke: "#e3e7ec"}, svg);
      var label = el("text", {x: margin.left - 8, y: yAt(t) + 4, "text-anchor": "end",
        "font-size": 11, fill: "#5b6675"}, svg);
      label.textContent = format(t, chart.value_format);
    });
    var every = Math.max(1, Math.ceil(n / 18));
    var longest = Math.max.apply(null, chart.x.map(function (label) { return String(label).length; }));
    var rotate = longest * 6.5 > band * every - 4;
    chart.x.forEach(function (label, i) {
      if (i % every) { return; }
      var text = el("text", {x: xAt(i), y: height - margin.bottom + 16, "font-size": 11,
        fill: "#5b6675", "text-anchor": rotate ? "end" : "middle",
        transform: rotate ? "rotate(-40 " + xAt(i) + " " + (height - margin.bottom + 16) + ")" : ""}, svg);
      text.textContent = label;
    });
    el("line", {x1: margin.left, x2: width - margin.right, y1: yAt(0), y2: yAt(0), stroke: "#9aa4b0"}, svg);

    drawn.forEach(function (series, si) {
      var colour = PALETTE[si % PALETTE.length];
      bandsOf(series).forEach(function (b) {
        var upper = "", lower = [];
        b[1].forEach(function (v, i) {
          if (v === null || b[0][i] === null) { return; }
          upper += (upper ? "L" : "M") + xAt(i) + " " + yAt(v);
          lower.unshift("L" + xAt(i) + " " + yAt(b[0][i]));
        });
        if (upper) {
          el("path", {d: upper + lower.join("") + "Z", fill: colour, "fill-opacity": 0.16,
            stroke: "none", class: "chart-band"}, svg);
        }
      });
    });

    var barW = band * 0.8 / Math.max(drawn.length, 1);
    drawn.forEach(function (series, si) {
      var colour = PALETTE[si % PALETTE.length];
      if (chart.kind === "line") {
        var d = "";
        series.values.forEach(function (v, i) {
          if (v === null) { return; }
          d += (d && series.values[i - 1] !== null ? "L" : "M") + xAt(i) + " " + yAt(v);
        });
        el("path", {d: d, fill: "none", stroke: colour, "stroke-width": 2}, svg);
      }
      series.values.forEach(function (v, i) {
        if (v === null) { return; }
        var parent = series.links[i] ? el("a", {href: series.links[i]}, svg) : svg;
        var mark;
        if (chart.kind === "bar") {
          var x = margin.left + band * i + band * 0.1 + barW * si;
          mark = el("rect", {x: x, width: Math.max(barW - 1, 1), y: Math.min(yAt(v), yAt(0)),
            height: Math.abs(yAt(v) - yAt(0)), fill: colour}, parent);
        } else {
          mark = el("circle", {cx: xAt(i), cy: yAt(v), r: 3.5, fill: colour}, parent);
        }
        mark.setAttribute("data-index", i);
        mark.setAttribute("class", "chart-mark");
      });
    });

    // Hover: a transparent band per x shows every series' value there.
    chart.x.forEach(function (label, i) {
      var hit = el("rect", {x: margin.left + band * i, y: margin.top, width: band, height: innerH,
        fill: "transparent", "data-index": i, class: "chart-hit"}, svg);
      var firstLink = null;
      drawn.forEach(function (s) { if (!firstLink && s.links[i]) { firstLink = s.links[i]; } });
      if (firstLink) { hit.addEventListener("click", function () { window.location.href = firstLink; }); }
      hit.addEventListener("mouseenter", function () { show(i); });
      hit.addEventListener("mousemove", function (event) { place(event); });
      hit.addEventListener("mouseleave", function () { tooltip.hidden = true; });
    });
    svg.querySelectorAll(".chart-mark").forEach(function (mark) {
      mark.addEventListener("mouseenter", function (event) { show(+mark.getAttribute("data-index")); place(event); });
      mark.addEventListener("mouseleave", function () { tooltip.hidden = true; });
    });
    // Hit bands sit on top for hover, but marks stay clickable: raise marks above them.
    svg.querySelectorAll("a, circle.chart-mark").forEach(function (node) {
      if (node.parentNode === svg) { svg.appendChild(node); }
    });

    function show(i) {
      tooltip.textContent = "";
      var title = document.createElement("strong");
      title.textContent = chart.x[i];
      tooltip.appendChild(title);
      chart.series.forEach(function (s, si) {
        var row = document.createElement("div");
        row.textContent = s.name + ": " + format(s.values[i], s.format || chart.value_format);
        if (s.drawn) { row.className = "tt-series tt-" + (chart.series.filter(function (d) { return d.drawn; }).indexOf(s) % PALETTE.length); }
        tooltip.appendChild(row);
      });
      tooltip.hidden = false;
    }
    function place(event) {
      var rect = box.getBoundingClientRect();
      tooltip.style.left = Math.min(event.clientX - rect.left + 14, width - 200) + "px";
      tooltip.style.top = (event.clientY - rect.top + 10) + "px";
    }

    var legend = container.querySelector(".chart-legend");
    if (legend) {
      legend.textContent = "";
      drawn.forEach(function (s, si) {
        var item = document.createElement("li");
        item.className = "legend-" + (si % PALETTE.length);
        item.textContent = s.name;
        legend.appendChild(item);
      });
    }
  }

  function drawAll() { document.querySelectorAll("[data-chart]").forEach(draw); }
  drawAll();
  var pending = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(pending);
    pending = window.setTimeout(drawAll, 150);
  });
})();
