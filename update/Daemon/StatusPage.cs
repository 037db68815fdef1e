using System;

namespace Molt.Update.Daemon
{
    /// <summary>
    /// The page the update daemon serves at <c>GET /</c> (docs/update-daemon.md):
    /// one self-contained HTML document, inline CSS and script, no external
    /// asset, that polls <c>GET /status</c> every 2 seconds and renders it.
    /// It lives in the kernel image as a UTF-8 literal (.rodata: nothing is
    /// allocated to serve it); the host tests link this file and load the
    /// page in chromium (tests/Molt.Tests/Browser).
    ///
    /// Contract with the tests: stable ids (#build-id, #arch, #cpus, #uptime,
    /// #level, #busy, #heap, #patch-memory, #last-updated, #banner, #patches, #history,
    /// #classes) and per-cell <c>data-f</c> names equal to the JSON fields.
    /// Every string from the kernel is inserted as text, never as markup.
    /// Kept ASCII and under 12 KB (a host test checks both).
    /// </summary>
    public static class StatusPage
    {
        /// <summary>The page, UTF-8 (ASCII).</summary>
        public static ReadOnlySpan<byte> Html => """
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>Molt status</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1b1f24}
header{background:#20303f;color:#fff;padding:10px 16px;display:flex;gap:16px;align-items:baseline;flex-wrap:wrap}
header h1{font-size:18px;margin:0}
main{padding:12px 16px;max-width:1100px}
#banner{display:none;background:#b3261e;color:#fff;padding:8px 16px;font-weight:600}
body.down #banner{display:block}
body.down main{opacity:.55}
dl{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:8px;margin:0 0 12px}
dl div{background:#fff;border:1px solid #d8dde3;border-radius:6px;padding:6px 10px}
dt{font-size:12px;color:#5a6470}dd{margin:0;font-weight:600;font-family:ui-monospace,monospace}
#level{font-size:20px}
h2{font-size:15px;margin:16px 0 6px}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #d8dde3}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #e6e9ed;white-space:nowrap}
th{font-size:12px;color:#5a6470;background:#eef1f4}
td.n{text-align:right;font-family:ui-monospace,monospace}
tr.refused td{color:#b3261e}tr.rolled_back td{color:#8a5a00}
.empty{color:#5a6470;font-style:italic;margin:4px 0}
#busy.on{color:#8a5a00}
.wide{grid-column:span 2}
td[data-f=reason]{white-space:normal;min-width:220px}
#classes{width:auto;min-width:320px}
</style></head>
<body>
<header><h1>Molt</h1><span>live update status</span>
<span>last updated: <b id="last-updated" data-testid="last-updated">never</b></span></header>
<div id="banner" data-testid="unreachable" role="alert">Daemon unreachable<span id="banner-why"></span></div>
<main>
<dl>
<div><dt>Build</dt><dd id="build-id" data-testid="build-id">-</dd></div>
<div><dt>Arch</dt><dd id="arch" data-testid="arch">-</dd></div>
<div><dt>CPUs</dt><dd id="cpus" data-testid="cpus">-</dd></div>
<div><dt>Uptime</dt><dd id="uptime" data-testid="uptime">-</dd></div>
<div><dt>Patch level</dt><dd id="level" data-testid="level">-</dd></div>
<div><dt>Last sequence</dt><dd id="last-sequence">-</dd></div>
<div class="wide"><dt>Update in progress</dt><dd id="busy" data-testid="busy">-</dd></div>
<div><dt>Heap in use</dt><dd id="heap">-</dd></div>
<div><dt>Patch memory</dt><dd id="patch-memory" title="frames the loaded patches hold; address space reserved since boot (never reused)">-</dd></div>
</dl>
<h2>Patch stack (bottom first)</h2>
<table id="patches" data-testid="patches"><thead><tr><th>Level</th><th>Name</th><th>Sequence</th><th>Applied at</th><th>Apply time</th><th>Longest blocked call</th><th>Module</th></tr></thead><tbody></tbody></table>
<p class="empty" id="patches-empty">No patch applied: the kernel runs as booted.</p>
<h2>Updatable classes</h2>
<table id="classes" data-testid="classes"><thead><tr><th>Class</th><th>Version</th></tr></thead><tbody></tbody></table>
<p class="empty" id="classes-empty">No updatable class published.</p>
<h2>History (newest first)</h2>
<table id="history" data-testid="history"><thead><tr><th>Event</th><th>Name</th><th>Sequence</th><th>Level</th><th>At</th><th>Total</th><th>Longest blocked call</th><th>Reason</th></tr></thead><tbody></tbody></table>
<p class="empty" id="history-empty">No update yet.</p>
</main>
<script>
"use strict";
var PERIOD = 2000, TIMEOUT = 5000, seen = false;
function $(id) { return document.getElementById(id); }
function num(v) { return typeof v === "number" && isFinite(v); }
function two(n) { return (n < 10 ? "0" : "") + n; }
// Milliseconds as a clock: 1h 02m 03s (days when there are some).
function clock(ms) {
  if (!num(ms) || ms < 0) return "-";
  var s = Math.floor(ms / 1000), d = Math.floor(s / 86400), h = Math.floor(s / 3600) % 24, m = Math.floor(s / 60) % 60;
  return (d ? d + "d " + two(h) : h) + "h " + two(m) + "m " + two(s % 60) + "s";
}
// A duration in microseconds: 850 us, 35.3 ms, 1.24 s.
function micros(us) {
  if (!num(us)) return "-";
  if (us < 1000) return us + " us";
  if (us < 1000000) return (us / 1000).toFixed(1) + " ms";
  return (us / 1000000).toFixed(2) + " s";
}
function bytes(b) {
  if (!num(b)) return "-";
  if (b < 10240) return b + " B";
  if (b < 1048576) return (b / 1024).toFixed(1) + " KiB";
  return (b / 1048576).toFixed(1) + " MiB";
}
function text(v) { return v === null || v === undefined || v === "" ? "-" : String(v); }
function list(v) { return Array.isArray(v) ? v : []; }
// A short age: 14s, 2m 03s, then as a clock.
function short(ms) {
  var s = Math.floor(ms / 1000);
  return s < 60 ? s + "s" : s < 3600 ? Math.floor(s / 60) + "m " + two(s % 60) + "s" : clock(ms);
}
// When (since boot) and how long ago, from the kernel's own uptime.
function when(at, now) {
  if (!num(at)) return "-";
  return clock(at) + (num(now) && now >= at ? " (" + short(now - at) + " ago)" : "");
}
function set(id, v, title) { var e = $(id); e.textContent = v; if (title !== undefined) e.title = title; }
// Replaces a table's rows: cells are [field, text, numeric?]; text only, never markup.
function rows(id, items, cells, cls) {
  var body = $(id).tBodies[0];
  while (body.firstChild) body.removeChild(body.firstChild);
  items.forEach(function (it) {
    var tr = document.createElement("tr");
    if (cls) tr.className = cls(it);
    cells(it).forEach(function (c) {
      var td = document.createElement("td");
      td.setAttribute("data-f", c[0]);
      td.textContent = c[1];
      if (c[2]) td.className = "n";
      tr.appendChild(td);
    });
    body.appendChild(tr);
  });
  $(id + "-empty").style.display = items.length ? "none" : "";
}
function render(s) {
  var id = typeof s.build_id === "string" ? s.build_id : "";
  set("build-id", id ? id.slice(0, 12) : "-", id);
  set("arch", text(s.arch));
  set("cpus", text(s.cpus));
  set("uptime", clock(s.uptime_ms));
  set("level", text(s.level));
  set("last-sequence", text(s.last_sequence));
  var busy = typeof s.busy === "string" && s.busy !== "" ? s.busy : null;
  set("busy", busy || "no");
  $("busy").className = busy ? "on" : "";
  set("heap", bytes(s.heap_bytes_in_use));
  var frames = s.patch_memory_frames_in_use;
  set("patch-memory", (num(frames) ? frames + (frames === 1 ? " frame" : " frames") : "-") + ", " + bytes(s.patch_memory_reserved_bytes) + " reserved");
  rows("patches", list(s.patches), function (p) {
    return [["level", text(p.level), 1], ["name", text(p.name)], ["sequence", text(p.sequence), 1],
      ["applied_at_ms", when(p.applied_at_ms, s.uptime_ms)], ["total_us", micros(p.total_us), 1],
      ["max_blocked_us", micros(p.max_blocked_us), 1], ["module_bytes", bytes(p.module_bytes), 1]];
  });
  rows("classes", list(s.classes), function (c) {
    return [["name", text(c.name)], ["version", text(c.version), 1]];
  });
  rows("history", list(s.history).slice().reverse(), function (h) {
    return [["event", text(h.event).replace("_", " ")], ["name", text(h.name)], ["sequence", text(h.sequence), 1],
      ["level", text(h.level), 1], ["at_ms", when(h.at_ms, s.uptime_ms)], ["total_us", micros(h.total_us), 1],
      ["max_blocked_us", micros(h.max_blocked_us), 1], ["reason", text(h.reason)]];
  }, function (h) { return typeof h.event === "string" ? h.event : ""; });
  document.title = "Molt " + text(s.arch) + " level " + text(s.level);
}
function stamp() { var d = new Date(); return two(d.getHours()) + ":" + two(d.getMinutes()) + ":" + two(d.getSeconds()); }
function down(why) {
  document.body.className = "down";
  set("banner-why", ": " + why + (seen ? " (showing its last answer)" : ""));
}
// One poll at a time: the next is scheduled when this one ends, so a slow daemon is never flooded.
function poll() {
  var ctl = window.AbortController ? new AbortController() : null;
  var timer = setTimeout(function () { if (ctl) ctl.abort(); }, TIMEOUT);
  fetch("/status", { cache: "no-store", signal: ctl ? ctl.signal : undefined })
    .then(function (r) {
      if (!r.ok) throw new Error("GET /status answered " + r.status);
      return r.json();
    })
    .then(function (s) {
      if (!s || typeof s !== "object") throw new Error("GET /status answered no object");
      render(s);
      document.body.className = "";
      seen = true;
      set("last-updated", stamp());
    })
    .catch(function (e) { down(e && e.name === "AbortError" ? "no answer in " + TIMEOUT / 1000 + " s" : (e && e.message) || "fetch failed"); })
    .then(function () { clearTimeout(timer); setTimeout(poll, PERIOD); });
}
poll();
</script>
</body></html>
"""u8;
    }
}
