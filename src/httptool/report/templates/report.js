/* httptool HTML report: draws the charts (uPlot, inlined above) from the JSON in
   #report-data and makes the tables sortable. Everything the report says in numbers is
   already in the HTML; this script only adds the charts and the sorting. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var LIGHT = { fg: "#1b1b1b", muted: "#5c5c5c", grid: "rgba(0,0,0,0.08)", line: "#d6d6d6",
    c: ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"] };
  var DARK = { fg: "#e6e6e6", muted: "#a3a3a3", grid: "rgba(255,255,255,0.10)", line: "#3a3d42",
    c: ["#56B4E9", "#E69F00", "#009E73", "#CC79A7", "#F0E442", "#0072B2", "#e6e6e6", "#D55E00"] };
  var dark = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;
  var printing = false;
  var charts = [];

  function pal() { return (!printing && dark && dark.matches) ? DARK : LIGHT; }

  function three(v) {
    if (v < 10) return v.toFixed(2);
    if (v < 100) return v.toFixed(1);
    return v.toFixed(0);
  }
  function fmtMs(ms) {
    if (ms == null || isNaN(ms)) return "-";
    if (ms <= 0) return "0ms";
    if (ms < 0.9995) return three(ms * 1000) + "\u00b5s";
    if (ms < 999.5) return three(ms) + "ms";
    return three(ms / 1000) + "s";
  }
  function fmtNum(v, d) {
    if (v == null || isNaN(v)) return "-";
    return Number(v).toLocaleString("en-US", { maximumFractionDigits: d == null ? 2 : d });
  }
  function fmtElapsed(s) {
    s = Math.round(s);
    if (s < 60) return s + "s";
    var m = Math.floor(s / 60), r = s % 60;
    if (m < 60) return m + "m" + (r ? (r < 10 ? "0" : "") + r + "s" : "");
    var h = Math.floor(m / 60);
    m = m % 60;
    return h + "h" + (m < 10 ? "0" : "") + m + "m";
  }
  function pctOf(x) {
    var p = 100 - 100 / x;
    return parseFloat(p.toFixed(4)) + "%";
  }

  function axis(p, o) {
    return Object.assign({ stroke: p.fg, grid: { stroke: p.grid, width: 1 },
      ticks: { stroke: p.line, width: 1 } }, o || {});
  }
  // a value with no value beside it (a run of one second, the second after a gap) has no
  // line to be part of: draw it as a point, or it is not drawn at all
  function lonePoints(u, si) {
    var d = u.data[si], out = [];
    for (var i = 0; i < d.length; i++) {
      if (d[i] != null && (i === 0 || d[i - 1] == null) &&
          (i === d.length - 1 || d[i + 1] == null)) out.push(i);
    }
    return out.length ? out : null;
  }
  function line(p, i, label, fmt, extra) {
    return Object.assign({ label: label, stroke: p.c[i % p.c.length], width: 2,
      points: { show: false, filter: lonePoints, size: 7, fill: p.c[i % p.c.length] },
      value: function (u, v) { return fmt(v); } }, extra || {});
  }
  // seconds from 0 to the last, and at least 0-1 s: from the data, as uPlot pads a lone x
  // value to 0-100 before asking (a 4 ms run's axis read 0s-1m30s)
  var SECONDS_X = { time: false, range: function (u) {
    var xs = u.data[0], lo = xs.length ? xs[0] : 0, hi = xs.length ? xs[xs.length - 1] : 0;
    return [Math.min(0, lo), Math.max(hi, lo + 1)];
  } };
  // whole seconds, then round minutes and hours: no repeated tick labels on short runs
  var SECONDS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800,
    21600, 43200, 86400];
  function timeAxis(p) {
    return axis(p, { incrs: SECONDS, values: function (u, vs) { return vs.map(fmtElapsed); } });
  }
  function isPow10(x) {
    var l = Math.log10(x);
    return Math.abs(l - Math.round(l)) < 1e-9;
  }
  function decades(u, vs) {
    return vs.map(function (x) { return x != null && isPow10(x) ? x : null; });
  }
  function timeX() {
    return { label: "time", value: function (u, v) { return v == null ? "-" : fmtElapsed(v); } };
  }

  // `httptool report --baseline`: the baseline's lines, grey and thin, under this run's
  function baseLine(p, label, fmt, dash) {
    return { label: label, stroke: p.muted, width: 1.25, dash: dash,
      points: { show: false, filter: lonePoints, size: 5, fill: p.muted },
      value: function (u, v) { return fmt(v); } };
  }
  function withBase(b, p, pairs) {
    if (!b.s.base_requests) return b;
    pairs.forEach(function (q) {
      b.opts.series.push(baseLine(p, "baseline " + q[1], q[2], q[3]));
      b.rows.push(b.s["base_" + q[0]]);
    });
    return b;
  }

  var builders = {
    "chart-rps": function (p, s) {
      return withBase({ s: s, opts: { series: [timeX(),
          line(p, 0, "requests/s", function (v) { return fmtNum(v); }),
          line(p, 1, "failures/s", function (v) { return fmtNum(v); }, { dash: [6, 3] })],
        scales: { x: SECONDS_X },
        axes: [timeAxis(p),
               axis(p, { label: "per second", size: 60 })] },
        rows: [s.x, s.requests, s.failures] }, p,
        [["requests", "requests/s", function (v) { return fmtNum(v); }, undefined]]);
    },
    "chart-vus": function (p, s) {
      return { opts: { series: [timeX(),
          line(p, 2, "active VUs", function (v) { return fmtNum(v, 0); }, { spanGaps: true })],
        scales: { x: SECONDS_X },
        axes: [timeAxis(p),
               axis(p, { label: "VUs", size: 60 })] },
        rows: [s.x, s.active] };
    },
    "chart-latency": function (p, s) {
      return withBase({ s: s, opts: { series: [timeX(),
          line(p, 2, "p50", fmtMs, { spanGaps: false }),
          line(p, 0, "p95", fmtMs, { dash: [6, 3] }),
          line(p, 1, "p99", fmtMs, { dash: [2, 3] })],
        scales: { x: SECONDS_X },
        axes: [timeAxis(p),
               axis(p, { label: "latency", size: 64,
                 values: function (u, vs) { return vs.map(fmtMs); } })] },
        rows: [s.x, s.p50, s.p95, s.p99] }, p,
        [["p50", "p50", fmtMs, undefined], ["p95", "p95", fmtMs, [6, 3]]]);
    },
    "chart-curve": function (p) {
      var c = data.curve;
      var series = [{ label: "percentile",
        value: function (u, v) { return v == null ? "-" : pctOf(v); } }];
      var rows = [c.x];
      c.lines.forEach(function (l, i) {
        series.push(line(p, i, l.name, fmtMs, { width: i === 0 ? 2.5 : 1.5,
          dash: i === 0 ? undefined
            : [[6, 3], [2, 3], [8, 2, 2, 2], [12, 4], [4, 4, 1, 4], [1, 2]][(i - 1) % 6] }));
        rows.push(l.ms);
      });
      if (c.baseline) {
        series.push(baseLine(p, "baseline: all requests", fmtMs, undefined));
        rows.push(c.baseline);
      }
      return { opts: { series: series,
        scales: { x: { time: false, distr: 3, log: 10 } },
        axes: [axis(p, {
                 // only 0%, 90%, 99%, 99.9%...: one label, tick and grid line per decade
                 filter: decades,
                 grid: { stroke: p.grid, width: 1, filter: decades },
                 ticks: { stroke: p.line, width: 1, filter: decades },
                 values: function (u, vs) {
                   // narrow (print, phone): every other decade, so labels never touch
                   var every = u.width < 480 ? 2 : 1;
                   return vs.map(function (x) {
                     return x != null && isPow10(x) && Math.round(Math.log10(x)) % every === 0
                       ? pctOf(x) : "";
                   });
                 } }),
               axis(p, { label: "latency", size: 64,
                 values: function (u, vs) { return vs.map(fmtMs); } })] },
        rows: rows };
    }
  };

  function drawAll() {
    charts.forEach(function (c) { c.u.destroy(); });
    charts = [];
    var p = pal();
    Object.keys(builders).forEach(function (id) {
      var el = document.getElementById(id);
      if (!el) return;
      if (id !== "chart-curve" && !data.series) return;
      if (id === "chart-curve" && !data.curve) return;
      var b = builders[id](p, data.series);
      var width = printing ? 330 : Math.max(260, el.clientWidth || 500);
      var opts = Object.assign({ width: width, height: printing ? 190 : 230,
        legend: { live: true }, cursor: { drag: { x: true, y: false } } }, b.opts);
      var u = new uPlot(opts, b.rows, el);
      charts.push({ u: u, el: el });
    });
    document.body.setAttribute("data-charts-drawn", String(charts.length));
  }

  function resize() {
    if (printing) return;
    charts.forEach(function (c) {
      var w = Math.max(260, c.el.clientWidth);
      if (Math.abs(w - c.u.width) > 2) c.u.setSize({ width: w, height: c.u.height });
    });
  }

  function sortable(t) {
    var heads = t.tHead ? Array.prototype.slice.call(t.tHead.rows[0].cells) : [];
    heads.forEach(function (th, i) {
      th.tabIndex = 0;
      th.title = "sort";
      function go() {
        var dir = th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
        heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", dir);
        var body = t.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        function key(r) {
          var c = r.cells[i];
          var v = c && c.getAttribute("data-v");
          return v !== null && v !== undefined && v !== "" ? parseFloat(v)
            : (c ? c.textContent.trim().toLowerCase() : "");
        }
        rows.sort(function (a, b) {
          var x = key(a), y = key(b), d;
          if (typeof x === "number" && typeof y === "number") d = x - y;
          else d = String(x).localeCompare(String(y), undefined, { numeric: true });
          return dir === "ascending" ? d : -d;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      }
      th.addEventListener("click", go);
      th.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); go(); }
      });
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), sortable);
  drawAll();
  if (window.ResizeObserver) {
    var ro = new ResizeObserver(function () { resize(); });
    Array.prototype.forEach.call(document.querySelectorAll(".chart .plot"),
      function (el) { ro.observe(el); });
  } else {
    window.addEventListener("resize", resize);
  }
  if (dark && dark.addEventListener) dark.addEventListener("change", drawAll);
  window.addEventListener("beforeprint", function () { printing = true; drawAll(); });
  window.addEventListener("afterprint", function () { printing = false; drawAll(); });
})();
