/* httptool live dashboard: reads /events (Server-Sent Events) and redraws. The first event
   (history) holds every second so far; each state event the totals and the last seconds;
   the final event carries the run's HTML report, which replaces this page. */
(function () {
  "use strict";
  var LIGHT = ["#0072B2", "#D55E00", "#009E73", "#CC79A7"];
  var DARK = ["#56B4E9", "#E69F00", "#009E73", "#CC79A7"];
  var dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  var C = dark ? DARK : LIGHT;
  var fg = dark ? "#e6e6e6" : "#1b1b1b", grid = dark ? "rgba(255,255,255,0.10)" : "rgba(0,0,0,0.08)";
  var rows = {};           // second -> [second, requests, failures, p50, p95, p99, active]
  var charts = {};
  var updates = 0;
  var complete = 0;        // seconds below this one are whole (the current one is not drawn)

  function $(id) { return document.getElementById(id); }
  function three(v) { return v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0); }
  function fmtMs(ms) {
    if (ms == null || isNaN(ms)) return "-";
    if (ms < 0.9995) return three(ms * 1000) + "\u00b5s";
    if (ms < 999.5) return three(ms) + "ms";
    return three(ms / 1000) + "s";
  }
  function fmtNum(v) { return Number(v).toLocaleString("en-US", { maximumFractionDigits: 2 }); }
  function fmtElapsed(s) {
    s = Math.round(s);
    if (s < 60) return s + "s";
    var m = Math.floor(s / 60), r = s % 60;
    return m + "m" + (r < 10 ? "0" : "") + r + "s";
  }
  function setValue(id, value, shown) {
    var el = $(id);
    el.setAttribute("data-value", value == null ? "" : String(value));
    el.textContent = shown;
  }
  function cell(tr, text, cls, v) {
    var td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    if (v != null) td.setAttribute("data-v", String(v));
    tr.appendChild(td);
    return td;
  }
  function fill(tableId, items, row) {
    var tb = $(tableId).tBodies[0];
    tb.textContent = "";
    items.forEach(function (it) { var tr = document.createElement("tr"); row(tr, it); tb.appendChild(tr); });
  }

  function makeChart(id, series) {
    var el = $(id);
    var opts = {
      width: Math.max(300, el.clientWidth || 600), height: 220,
      scales: { x: { time: false } },
      axes: [{ stroke: fg, grid: { stroke: grid }, incrs: [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600],
               values: function (u, v) { return v.map(fmtElapsed); } },
             { stroke: fg, grid: { stroke: grid }, size: 60 }],
      series: [{ label: "second" }].concat(series.map(function (s, i) {
        return { label: s, stroke: C[i], width: 2, spanGaps: false, points: { size: 5 } };
      })),
    };
    var data = [[]].concat(series.map(function () { return []; }));
    return new uPlot(opts, data, el);
  }

  function draw() {
    var keys = Object.keys(rows).map(Number).filter(function (k) { return k < complete; })
      .sort(function (a, b) { return a - b; });
    var col = function (i) { return keys.map(function (k) { return rows[k][i]; }); };
    var x = keys;
    if (!charts.rps) {
      charts.rps = makeChart("live-chart-rps", ["requests/s", "failures/s"]);
      charts.lat = makeChart("live-chart-latency", ["p50 ms", "p95 ms", "p99 ms"]);
      charts.vus = makeChart("live-chart-vus", ["active VUs"]);
    }
    charts.rps.setData([x, col(1), col(2)]);
    charts.lat.setData([x, col(3), col(4), col(5)]);
    charts.vus.setData([x, col(6)]);
  }

  function show(st) {
    if (!st || st.requests == null) return;
    updates++;
    document.body.setAttribute("data-updates", String(updates));
    setValue("live-requests", st.requests, String(st.requests));
    $("live-rps").textContent = fmtNum(st.rps) + "/s now";
    setValue("live-failures", st.failures, String(st.failures));
    $("live-error-rate").textContent = st.requests ? (100 * st.failures / st.requests).toFixed(2) + "% of requests" : "-";
    setValue("live-p95", st.p95_ms, fmtMs(st.p95_ms));
    $("live-p50-p99").textContent = "p50 " + fmtMs(st.p50_ms) + ", p99 " + fmtMs(st.p99_ms);
    setValue("live-active", st.active, String(st.active));
    $("live-vus-max").textContent = "max " + st.vus_max;
    setValue("live-iterations", st.iterations, String(st.iterations));
    $("live-interrupted").textContent = st.interrupted + " interrupted";
    setValue("live-dropped", st.dropped, String(st.dropped));
    $("live-elapsed").textContent = fmtElapsed(st.elapsed) +
      (st.planned_duration ? " of " + fmtElapsed(st.planned_duration) : "");
    fill("live-requests-table", st.per_request, function (tr, r) {
      tr.setAttribute("data-request", r.name);
      tr.setAttribute("data-requests", String(r.requests));
      cell(tr, r.name);
      cell(tr, String(r.requests), "num", r.requests);
      cell(tr, fmtNum(r.rps) + "/s", "num", r.rps);
      cell(tr, fmtMs(r.p95_ms), "num", r.p95_ms);
      cell(tr, r.error_pct.toFixed(2) + "%", "num", r.error_pct);
    });
    fill("live-checks-table", st.checks, function (tr, c) {
      tr.setAttribute("data-check", c.name);
      cell(tr, c.name);
      cell(tr, String(c.passed), "num", c.passed);
      cell(tr, String(c.failed), c.failed ? "num fail" : "num", c.failed);
    });
    fill("live-thresholds-table", st.thresholds, function (tr, t) {
      tr.setAttribute("data-threshold", t.threshold);
      tr.setAttribute("data-passed", String(t.passed));
      cell(tr, t.threshold);
      cell(tr, t.shown, "num");
      cell(tr, t.passed ? "passing" : "failing", t.passed ? "pass" : "fail");
    });
    $("live-slowest").hidden = !(st.slowest && st.slowest.length);
    fill("live-slowest-table", st.slowest || [], function (tr, r) {
      tr.setAttribute("data-trace-id", r.trace_id);
      cell(tr, fmtMs(r.latency_ms), "num", r.latency_ms);
      cell(tr, r.request);
      cell(tr, String(r.vu), "num", r.vu);
      cell(tr, String(r.iteration), "num", r.iteration);
      cell(tr, r.trace_id, "mono");
    });
    (st.series || []).forEach(function (r) { rows[r[0]] = r; });
    complete = st.final ? Infinity : Math.floor(st.elapsed);
    draw();
  }

  function status(s) { var b = $("live-status"); b.setAttribute("data-state", s); b.textContent = s; }

  var es = new EventSource("/events");
  es.addEventListener("history", function (e) {
    var d = JSON.parse(e.data);
    rows = {};
    d.series.forEach(function (r) { rows[r[0]] = r; });
    status("running");
    show(d.state);
    if (!d.state || d.state.requests == null) draw();
  });
  es.addEventListener("state", function (e) { status("running"); show(JSON.parse(e.data)); });
  es.addEventListener("final", function (e) {
    es.close();
    var html = JSON.parse(e.data).html;
    document.open();
    document.write(html);
    document.close();
  });
  es.onerror = function () { if (es.readyState !== 2) status("reconnecting"); };
})();
