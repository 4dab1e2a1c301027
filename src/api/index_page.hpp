#pragma once
/// The built-in page at `/`: every camera live (MJPEG with overlays), its state and counts, and
/// the latest events. Plain HTML + JS, no build step; the full web UI comes later.
namespace vsp::api {

inline constexpr const char* kIndexPage = R"HTML(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>VSP node</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
 body{font-family:system-ui,sans-serif;margin:0;background:#111;color:#eee}
 header{padding:10px 16px;background:#1d1d1d;display:flex;gap:16px;align-items:baseline}
 h1{font-size:18px;margin:0} .muted{color:#999;font-size:13px}
 main{display:grid;grid-template-columns:minmax(0,3fr) minmax(260px,1fr);gap:12px;padding:12px}
 #cams{display:grid;grid-template-columns:repeat(auto-fill,minmax(360px,1fr));gap:12px}
 .cam{background:#1b1b1b;border-radius:6px;overflow:hidden}
 .cam img{width:100%;display:block;background:#000;min-height:120px}
 .cam .bar{padding:6px 10px;display:flex;justify-content:space-between;font-size:13px}
 .state-streaming{color:#6c6}.state-reconnecting,.state-connecting{color:#fc6}.state-failed{color:#f66}
 table{width:100%;border-collapse:collapse;font-size:12px} td,th{padding:3px 4px;border-bottom:1px solid #333;text-align:left}
 .err{color:#f99;font-size:12px;padding:0 10px 6px}
</style></head>
<body><header><h1>VSP node</h1><span class="muted" id="summary">loading…</span></header>
<main><section id="cams"></section>
<aside><h2 style="font-size:15px">Latest events</h2><table><thead><tr><th>time (UTC)</th><th>camera</th><th>event</th><th>track</th></tr></thead><tbody id="events"></tbody></table></aside></main>
<script>
const camsEl = document.getElementById('cams'), eventsEl = document.getElementById('events');
const cards = {};
function card(c) {
  if (!cards[c.name]) {
    const d = document.createElement('div'); d.className = 'cam'; d.dataset.camera = c.name;
    d.innerHTML = `<img alt="${c.name} live" src="${c.live}"><div class="bar"><b>${c.name}</b><span class="st"></span></div><div class="err"></div><div class="bar counts"></div>`;
    camsEl.appendChild(d); cards[c.name] = d;
  }
  return cards[c.name];
}
async function refresh() {
  try {
    const cams = (await (await fetch('/api/cameras')).json()).cameras;
    let up = 0;
    for (const c of cams) {
      const d = card(c);
      if (c.state === 'streaming') up++;
      const st = d.querySelector('.st');
      st.textContent = `${c.state} · ${c.fps_in} fps in · ${c.fps_analysed} fps analysed`;
      st.className = 'st state-' + c.state;
      d.querySelector('.err').textContent = c.state === 'streaming' ? '' : (c.last_error || '');
      d.querySelector('.counts').textContent = `events ${c.events} · segments ${c.segments} · reconnects ${c.reconnects}`;
    }
    document.getElementById('summary').textContent = `${up}/${cams.length} cameras streaming`;
    const evs = (await (await fetch('/api/events?order=desc&limit=25')).json()).events;
    eventsEl.innerHTML = evs.map(e => `<tr><td>${e.ts_utc.slice(11, 23)}</td><td>${e.camera}</td><td>${e.type}${e.direction ? ' ' + e.direction : ''} ${e.rule}</td><td>#${e.track_id} ${e['class']}</td></tr>`).join('');
  } catch (err) { document.getElementById('summary').textContent = 'node unreachable: ' + err; }
}
refresh(); setInterval(refresh, 2000);
</script></body></html>
)HTML";

}  // namespace vsp::api
