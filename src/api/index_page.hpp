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
 .err{color:#f99;font-size:12px;padding:0 10px 6px} [hidden]{display:none !important}
</style></head>
<body><header><h1>VSP node</h1><span class="muted" id="summary">loading…</span>
<span class="muted" id="who"></span><button id="logout" hidden>log out</button></header>
<form id="login" hidden style="padding:16px;display:flex;gap:8px;align-items:center">
 <input id="lname" placeholder="name" autocomplete="username" required>
 <input id="lpw" type="password" placeholder="password" autocomplete="current-password" required>
 <button type="submit">log in</button><span id="lerr" class="err"></span></form>
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
const loginEl = document.getElementById('login');
async function api(path) {
  const r = await fetch(path);
  if (r.status === 401) { loginEl.hidden = false; throw new Error('log in to see the cameras'); }
  return r.json();
}
function csrf() { const m = document.cookie.match(/(?:^|; )vsp_csrf=([0-9a-f]+)/); return m ? m[1] : ''; }
loginEl.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const r = await fetch('/api/login', { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: document.getElementById('lname').value, password: document.getElementById('lpw').value }) });
  if (r.ok) { loginEl.hidden = true; location.reload(); return; }
  const e = await r.json().catch(() => ({}));
  document.getElementById('lerr').textContent = e.message || ('login failed: ' + r.status);
});
document.getElementById('logout').addEventListener('click', async () => {
  await fetch('/api/logout', { method: 'POST', headers: { 'X-CSRF-Token': csrf() } });
  location.reload();
});
api('/api/me').then((me) => {
  document.getElementById('who').textContent = me.auth === 'open' ? 'open node (no users yet)' : `${me.name} (${me.role})`;
  document.getElementById('logout').hidden = me.auth !== 'session';
}).catch(() => {});
async function refresh() {
  try {
    const cams = (await api('/api/cameras')).cameras;
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
    const evs = (await api('/api/events?order=desc&limit=25')).events;
    eventsEl.innerHTML = evs.map(e => `<tr><td>${e.ts_utc.slice(11, 23)}</td><td>${e.camera}</td><td>${e.type}${e.direction ? ' ' + e.direction : ''} ${e.rule}</td><td>#${e.track_id} ${e['class']}</td></tr>`).join('');
  } catch (err) { document.getElementById('summary').textContent = 'node unreachable: ' + err; }
}
refresh(); setInterval(refresh, 2000);
</script></body></html>
)HTML";

}  // namespace vsp::api
