/// `/_dashboard`: one self-contained page (its script and style inline, no fonts, images or
/// anything else from elsewhere; the response's Content-Security-Policy forbids them). Once a
/// second it reads `/_dashboard/data` and plots the last two minutes on canvases:
/// requests per second, latency p50/p95/p99 over that second (from the difference of two
/// reads of the latency histogram), cache hit rate and bytes, active connections, pool
/// workers and queue depth, and the upstream pool.
///
/// Requests per second count completed requests (the dashboard's own reads excluded).
/// Rates use the proxy's own clock (`uptime_ms` of each read), not the browser's. Each
/// number shown has an element id (`v-rps`, `v-p50`, ...) and the page body counts its
/// updates in `data-updates`; each canvas carries the points it plotted (`data-points`) and
/// its first series' newest and highest value (`data-last`, `data-peak`). The integration
/// test reads them from headless Chromium.
enum Dashboard {
    static let html = #"""
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>Portcullis dashboard</title>
<style>
  :root { --bg:#0f1419; --panel:#182029; --grid:#2a3542; --text:#d8e0e8; --dim:#8695a5; }
  * { box-sizing: border-box; }
  body { margin:0; padding:16px 20px; background:var(--bg); color:var(--text);
         font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; }
  header { display:flex; align-items:baseline; gap:16px; flex-wrap:wrap; margin-bottom:12px; }
  h1 { font-size:20px; margin:0; }
  #meta, #updated { color:var(--dim); }
  #updated.stale { color:#ff6b6b; }
  .tiles { display:grid; grid-template-columns:repeat(auto-fill, minmax(150px, 1fr)); gap:10px; margin-bottom:14px; }
  .tile { background:var(--panel); border-radius:6px; padding:8px 12px; }
  .tile .label { color:var(--dim); font-size:12px; text-transform:uppercase; letter-spacing:.04em; }
  .tile .value { font-size:22px; font-variant-numeric:tabular-nums; }
  .charts { display:grid; grid-template-columns:repeat(auto-fill, minmax(420px, 1fr)); gap:12px; }
  .chart { background:var(--panel); border-radius:6px; padding:8px 10px; }
  .chart h2 { font-size:13px; font-weight:600; margin:0 0 4px; color:var(--dim); }
  .legend span { margin-right:12px; font-size:12px; }
  .legend i { display:inline-block; width:10px; height:3px; margin-right:4px; vertical-align:middle; }
  canvas { width:100%; height:170px; display:block; }
</style>
</head>
<body data-updates="0">
<header>
  <h1>Portcullis</h1>
  <span id="meta">connecting…</span>
  <span id="updated">no data yet</span>
</header>
<section class="tiles">
  <div class="tile"><div class="label">requests/s</div><div class="value" id="v-rps">–</div></div>
  <div class="tile"><div class="label">total requests</div><div class="value" id="v-total">–</div></div>
  <div class="tile"><div class="label">p50 ms</div><div class="value" id="v-p50">–</div></div>
  <div class="tile"><div class="label">p95 ms</div><div class="value" id="v-p95">–</div></div>
  <div class="tile"><div class="label">p99 ms</div><div class="value" id="v-p99">–</div></div>
  <div class="tile"><div class="label">cache hit rate</div><div class="value" id="v-hit">–</div></div>
  <div class="tile"><div class="label">cache bytes</div><div class="value" id="v-cache-bytes">–</div></div>
  <div class="tile"><div class="label">connections</div><div class="value" id="v-conn">–</div></div>
  <div class="tile"><div class="label">queue depth</div><div class="value" id="v-queue">–</div></div>
  <div class="tile"><div class="label">upstream idle</div><div class="value" id="v-upstream-idle">–</div></div>
  <div class="tile"><div class="label">errors/s</div><div class="value" id="v-errors">–</div></div>
</section>
<section class="charts">
  <div class="chart"><h2>Requests per second</h2><div class="legend" id="l-rps"></div><canvas id="c-rps"></canvas></div>
  <div class="chart"><h2>Latency over the last second (ms)</h2><div class="legend" id="l-lat"></div><canvas id="c-lat"></canvas></div>
  <div class="chart"><h2>Cache hit rate (%) and bytes</h2><div class="legend" id="l-cache"></div><canvas id="c-cache"></canvas></div>
  <div class="chart"><h2>Active connections</h2><div class="legend" id="l-conn"></div><canvas id="c-conn"></canvas></div>
  <div class="chart"><h2>Workers and queue depth</h2><div class="legend" id="l-pool"></div><canvas id="c-pool"></canvas></div>
  <div class="chart"><h2>Upstream pool</h2><div class="legend" id="l-up"></div><canvas id="c-up"></canvas></div>
</section>
<script>
"use strict";
const POINTS = 120;
const COLORS = ["#4fc3f7", "#ffb74d", "#e57373", "#81c784", "#ba68c8"];
const charts = {
  rps:   { series: ["requests/s", "errors/s"] },
  lat:   { series: ["p50", "p95", "p99"] },
  cache: { series: ["hit rate %", "MiB"], secondAxis: 1 },
  conn:  { series: ["active"] },
  pool:  { series: ["workers busy", "queue depth"] },
  up:    { series: ["idle", "new/s", "reused/s"] },
};
for (const [name, chart] of Object.entries(charts)) {
  chart.data = chart.series.map(() => []);
  document.getElementById("l-" + name).innerHTML = chart.series
    .map((s, i) => `<span><i style="background:${COLORS[i]}"></i>${s}</span>`).join("");
}
let previous = null;
let updates = 0;

function push(name, values) {
  const chart = charts[name];
  values.forEach((v, i) => { chart.data[i].push(v); if (chart.data[i].length > POINTS) chart.data[i].shift(); });
  draw(name);
}

function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function fmt(v) {
  if (v === null || v === undefined || !isFinite(v)) return "–";
  if (Math.abs(v) >= 1e9) return (v / 1e9).toFixed(1) + "G";
  if (Math.abs(v) >= 1e6) return (v / 1e6).toFixed(1) + "M";
  if (Math.abs(v) >= 1e4) return (v / 1e3).toFixed(1) + "k";
  if (Number.isInteger(v)) return String(v);
  return v < 10 ? v.toFixed(2) : v.toFixed(1);
}

function draw(name) {
  const chart = charts[name];
  const canvas = document.getElementById("c-" + name);
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth, h = canvas.clientHeight;
  if (canvas.width !== w * dpr) { canvas.width = w * dpr; canvas.height = h * dpr; }
  const g = canvas.getContext("2d");
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, h);
  const left = 46, right = chart.secondAxis !== undefined ? 46 : 8, top = 6, bottom = 16;
  const pw = w - left - right, ph = h - top - bottom;
  const axisOf = i => (chart.secondAxis === i ? 1 : 0);
  const max = [0, 0];
  chart.data.forEach((d, i) => d.forEach(v => { if (v !== null && v > max[axisOf(i)]) max[axisOf(i)] = v; }));
  const top0 = niceMax(max[0]), top1 = niceMax(max[1]);
  g.strokeStyle = "#2a3542"; g.fillStyle = "#8695a5"; g.font = "11px system-ui, sans-serif"; g.lineWidth = 1;
  for (let k = 0; k <= 4; k++) {
    const y = top + ph - (ph * k) / 4;
    g.beginPath(); g.moveTo(left, y); g.lineTo(left + pw, y); g.stroke();
    g.textAlign = "right"; g.fillText(fmt((top0 * k) / 4), left - 4, y + 4);
    if (chart.secondAxis !== undefined) { g.textAlign = "left"; g.fillText(fmt((top1 * k) / 4), left + pw + 4, y + 4); }
  }
  g.textAlign = "left"; g.fillText(`${POINTS} s`, left, h - 3);
  g.textAlign = "right"; g.fillText("now", left + pw, h - 3);
  chart.data.forEach((d, i) => {
    const scale = axisOf(i) ? top1 : top0;
    g.strokeStyle = COLORS[i]; g.lineWidth = 1.8; g.beginPath();
    let pen = false;
    d.forEach((v, j) => {
      const x = left + pw - ((d.length - 1 - j) * pw) / (POINTS - 1);
      if (v === null) { pen = false; return; }
      const y = top + ph - (Math.min(v, scale) / scale) * ph;
      if (pen) g.lineTo(x, y); else g.moveTo(x, y);
      pen = true;
    });
    g.stroke();
  });
  // For tests and scripts: points plotted, the newest and the highest value of the first series.
  canvas.dataset.points = String(chart.data[0].length);
  const last = chart.data[0][chart.data[0].length - 1];
  canvas.dataset.last = last === null || last === undefined ? "" : String(last);
  const shown = chart.data[0].filter((v) => v !== null && v !== undefined);
  canvas.dataset.peak = shown.length === 0 ? "" : String(Math.max(...shown));
}

function histogramMap(pairs) {
  const m = new Map();
  for (const [value, count] of pairs || []) m.set(value, count);
  return m;
}

// Percentiles (ms) of the observations between two reads of the latency histogram.
function windowQuantiles(now, before, qs) {
  const diff = [];
  let total = 0;
  for (const [value, count] of now) {
    const d = count - (before.get(value) || 0);
    if (d > 0) { diff.push([value, d]); total += d; }
  }
  if (total === 0) return qs.map(() => null);
  diff.sort((a, b) => a[0] - b[0]);
  return qs.map(q => {
    const rank = Math.max(1, Math.ceil(q * total));
    let seen = 0;
    for (const [value, d] of diff) { seen += d; if (seen >= rank) return value / 1000; }
    return diff[diff.length - 1][0] / 1000;
  });
}

function errorTotal(s) { return Object.values(s.errors_by_reason || {}).reduce((a, b) => a + b, 0); }

function set(id, text) { document.getElementById(id).textContent = text; }

function update(s) {
  const hist = histogramMap(s.latency_histogram_us);
  let rps = null, eps = null, p = [null, null, null], newRate = null, reusedRate = null;
  if (previous) {
    const dt = (s.uptime_ms - previous.s.uptime_ms) / 1000;
    if (dt > 0) {
      rps = (s.completed_requests - previous.s.completed_requests) / dt;
      eps = (errorTotal(s) - errorTotal(previous.s)) / dt;
      newRate = (s.upstream_pool.new_connections - previous.s.upstream_pool.new_connections) / dt;
      reusedRate = (s.upstream_pool.reused - previous.s.upstream_pool.reused) / dt;
    }
    p = windowQuantiles(hist, previous.hist, [0.5, 0.95, 0.99]);
  }
  previous = { s, hist };
  const hitPercent = s.cache.hits + s.cache.misses > 0 ? s.cache.hit_rate * 100 : null;
  push("rps", [rps, eps]);
  push("lat", p);
  push("cache", [hitPercent, s.cache.size_bytes / 1048576]);
  push("conn", [s.active_connections]);
  push("pool", [s.thread_pool.active, s.thread_pool.queue_depth]);
  push("up", [s.upstream_pool.idle, newRate, reusedRate]);
  set("v-rps", fmt(rps));
  set("v-total", fmt(s.total_requests));
  set("v-p50", fmt(p[0] ?? s.latency_p50_ms));
  set("v-p95", fmt(p[1] ?? s.latency_p95_ms));
  set("v-p99", fmt(p[2] ?? s.latency_p99_ms));
  set("v-hit", hitPercent === null ? "–" : hitPercent.toFixed(1) + "%");
  set("v-cache-bytes", fmt(s.cache.size_bytes));
  set("v-conn", fmt(s.active_connections));
  set("v-queue", fmt(s.thread_pool.queue_depth));
  set("v-upstream-idle", fmt(s.upstream_pool.idle));
  set("v-errors", fmt(eps));
  set("meta", `model ${s.model} · ${s.thread_pool.workers} workers · sandbox ${s.sandbox} · metrics ${s.metrics} · v${s.version} · up ${s.uptime_seconds} s`);
  updates += 1;
  document.body.dataset.updates = String(updates);
  const el = document.getElementById("updated");
  el.textContent = "updated " + new Date().toLocaleTimeString();
  el.className = "";
}

async function tick() {
  try {
    const response = await fetch("/_dashboard/data", { cache: "no-store" });
    if (!response.ok) throw new Error("HTTP " + response.status);
    update(await response.json());
  } catch (e) {
    const el = document.getElementById("updated");
    el.textContent = "no data: " + e.message;
    el.className = "stale";
  }
}
tick();
setInterval(tick, 1000);
window.addEventListener("resize", () => Object.keys(charts).forEach(draw));
</script>
</body>
</html>
"""#
}
