// The web UI served by `vsp center` in Debian's Chromium (center_page_test.sh starts the peers):
// fleet with heartbeats, live states of every node's cameras, search by fuzzy plate with paging,
// an event's clip fetched from its node through the center, counts charts; then, with an operator
// account: a rule drawn on the center and pushed to the node (refused first with the node's field
// error, then kept and run by the node), alerts acknowledged, and a push to a node that has gone
// offline. Fails on any console error or failed request that the step did not expect.
// Usage: VSP=... CENTER_CONFIG=... NODE_URL=... NODE_PID=... node center_page_test.mjs CENTER_URL OUT_DIR
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';

const [base, out] = process.argv.slice(2);
let failed = false;
const fail = (msg) => { console.error('FAIL ' + msg); failed = true; };
const ok = (msg) => console.log('ok   ' + msg);
const check = (cond, msg) => (cond ? ok(msg) : fail(msg));
const problems = [];
let expected = []; // [{status, url}] the current step expects
const expect = (list) => { expected = list; };
// The synthetic node (uplink_load) sends heartbeats but answers no requests: whenever the live
// grid is shown, the center's relay of its camera's picture is a 504 (node_offline).
const always = [{ status: 504, url: '/api/nodes/east/l1/cameras/lane1/snapshot.jpg' }];
const allowed = (status, url) => [...always, ...expected].some((e) => e.status === status && url.includes(e.url));
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync'] });
const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
page.on('console', (m) => {
  if (m.type() !== 'error') return;
  const st = Number((m.text().match(/status of (\d{3})/) || [])[1]);
  if (st && allowed(st, m.location().url)) return;
  problems.push(`console error: ${m.text()} (${m.location().url})`);
});
page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
page.on('response', (r) => { if (r.status() >= 400 && !allowed(r.status(), r.url())) problems.push(`HTTP ${r.status()} ${r.url()}`); });
page.on('requestfailed', (r) => {
  // A <video> cancels its own reads of a clip it holds as a blob (it re-reads by range).
  if (r.failure()?.errorText === 'net::ERR_ABORTED' && r.url().startsWith('blob:')) return;
  // Leaving the rule editor aborts its snapshot load.
  if (r.failure()?.errorText === 'net::ERR_ABORTED' && /snapshot\.jpg/.test(r.url())) return;
  problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
});
// Every screen: each form control has a label (or aria-label), each image an alt text.
const unlabelled = () => page.evaluate(() => [
  ...[...document.querySelectorAll('input, select, textarea')].filter((c) => !c.labels?.length && !c.getAttribute('aria-label')).map((c) => `${c.tagName.toLowerCase()}[name=${c.name || c.id}]`),
  ...[...document.querySelectorAll('img')].filter((i) => !i.getAttribute('alt')).map((i) => `img ${i.src}`),
]);
const shot = async (name) => {
  await page.screenshot({ path: `${out}/${name}.png`, fullPage: true });
  const missing = await unlabelled();
  if (missing.length) fail(`${name}: controls without a label or images without alt: ${missing.join(', ')}`);
  ok(`screenshot ${name}.png (every control labelled)`);
};
const go = async (hash) => { await page.evaluate((h) => { location.hash = h; }, hash); };
const step = async (name, f) => {
  try { await f(); } catch (e) {
    fail(`${name}: ${e.message.split('\n')[0]}`);
    await page.screenshot({ path: `${out}/failed-${name.replace(/\W+/g, '-')}.png`, fullPage: true }).catch(() => {});
  }
  if (problems.length) { fail(`${name}: ${problems.join('; ')}`); problems.length = 0; }
  expect([]);
};

await step('center live', async () => {
  // Each camera's latest picture, relayed from its node through the center, every few seconds:
  // every fetch is seen (the listener is there before the grid loads).
  const pictures = [];
  const seen = (r) => { if (/\/api\/nodes\/north\/n1\/cameras\/gate\/snapshot\.jpg$/.test(r.url())) pictures.push([r.status(), r.headers()['content-type']]); };
  page.on('response', seen);
  await page.goto(base + '/');
  await page.waitForSelector('#cams .cam');
  check(/open center/.test(await page.textContent('#who')), 'the header says the center is open (no accounts yet)');
  const nav = await page.textContent('nav');
  check(!/Audit/.test(nav) && /Rules/.test(nav), `the center offers its screens, the rule editor included, and no node-only ones (nav: ${nav.trim()})`);
  await page.waitForSelector('.cam[data-camera="gate"] .badge.state-streaming', { timeout: 30000 });
  const title = await page.textContent('.cam[data-camera="gate"] h3');
  check(title === 'north/n1/gate', 'the grid names site/node/camera: ' + title);
  await page.waitForSelector('.cam[data-camera="lane1"]', { timeout: 20000 });
  await page.waitForFunction(() => { const i = document.querySelector('.cam[data-camera="gate"] img.relayed'); return i && !i.hidden && i.naturalWidth > 0 && Number(i.dataset.loaded) >= 2; }, null, { timeout: 30000 });
  page.off('response', seen);
  check(pictures.length >= 2 && pictures.every(([st, type]) => st === 200 && type === 'image/jpeg'), `the grid shows gate's picture from its node, refreshed (${pictures.length} fetches, all 200 image/jpeg)`);
  check(/faces blurred/.test(await page.getAttribute('.cam[data-camera="gate"] img.relayed', 'alt')), 'the relayed picture says faces are blurred');
  await page.waitForFunction(() => /did not answer/.test(document.querySelector('.cam[data-camera="lane1"] .noimg')?.textContent ?? ''), null, { timeout: 20000 });
  ok('a node that does not answer shows why: ' + await page.textContent('.cam[data-camera="lane1"] .noimg'));
  await page.selectOption('#site-filter', 'north');
  await page.waitForFunction(() => !document.querySelector('.cam[data-camera="lane1"]'), null, { timeout: 10000 });
  check((await page.$$('#cams .cam')).length === 1, 'the site filter shows only north\'s camera');
  await page.selectOption('#site-filter', '');
  await page.waitForSelector('.cam[data-camera="lane1"]', { timeout: 10000 });
  ok('every site again');
  // Overlays off: the next pictures are the nodes' without them (overlays=0 passed on by the relay).
  const plain = page.waitForResponse((r) => /\/api\/nodes\/north\/n1\/cameras\/gate\/snapshot\.jpg\?overlays=0$/.test(r.url()), { timeout: 20000 });
  await page.uncheck('#overlays-toggle');
  const r0 = await plain;
  check(r0.status() === 200 && r0.headers()['content-type'] === 'image/jpeg', `the center's grid asks the node for its picture without overlays (${r0.status()})`);
  await page.waitForFunction(() => document.querySelector('.cam[data-camera="gate"] img.relayed')?.dataset.overlays === '0', null, { timeout: 10000 });
  check(/overlays off/.test(await page.getAttribute('.cam[data-camera="gate"] img.relayed', 'alt')), 'and says so in the picture\'s alt text');
  // The node's yellow `mid` line (y = 0.5, across the frame) is drawn only with overlays: the share
  // of yellow pixels in the best row around it.
  const yellowRow = () => page.$eval('.cam[data-camera="gate"] img.relayed', (i) => {
    const c = document.createElement('canvas');
    c.width = i.naturalWidth;
    c.height = i.naturalHeight;
    const g = c.getContext('2d');
    g.drawImage(i, 0, 0);
    let best = 0;
    for (let y = Math.floor(c.height * 0.45); y < c.height * 0.55; ++y) {
      const d = g.getImageData(0, y, c.width, 1).data;
      let n = 0;
      for (let x = 0; x < d.length; x += 4) if (d[x] > 180 && d[x + 1] > 180 && d[x + 2] < 100) n++;
      best = Math.max(best, n / c.width);
    }
    return best;
  });
  const plainYellow = await yellowRow();
  check(plainYellow < 0.2, `the relayed picture has no line drawn on it (${(100 * plainYellow).toFixed(0)} % of a row yellow)`);
  await shot('center-live-no-overlays');
  await page.check('#overlays-toggle');
  await page.waitForFunction(() => document.querySelector('.cam[data-camera="gate"] img.relayed')?.dataset.overlays === '1', null, { timeout: 20000 });
  const drawnYellow = await yellowRow();
  check(drawnYellow > 0.5, `overlays on again: the node's line is drawn across the picture (${(100 * drawnYellow).toFixed(0)} % of a row yellow)`);
  await shot('center-live');
});

await step('center fleet', async () => {
  await go('#/fleet');
  await page.waitForSelector('#nodes tbody tr');
  const rows = await page.$$eval('#nodes tbody tr', (trs) => trs.map((t) => t.textContent));
  check(rows.some((r) => /north/.test(r) && /n1/.test(r) && /gate/.test(r)) && rows.some((r) => /east/.test(r) && /l1/.test(r)), `fleet lists both nodes (${rows.length})`);
  await shot('center-fleet');
});

await step('center search by plate', async () => {
  await go('#/search');
  await page.waitForSelector('#search-form input[name=plate]');
  await page.fill('#search-form input[name=plate]', 'abc1224');
  await page.selectOption('#search-form select[name=plate_match]', 'fuzzy');
  await page.click('#search-form button[type=submit]');
  // The view may still show the rows of its first, unfiltered search: wait (bounded) for the answer.
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll('#results tbody tr[data-event]')];
    return rows.length > 0 && rows.every((t) => /plate_read ABC1234/.test(t.textContent));
  }, null, { timeout: 15000 }).catch(() => {});
  const first = await page.$$eval('#results tbody tr[data-event]', (trs) => trs.map((t) => t.textContent));
  const odd = first.filter((r) => !/plate_read ABC1234/.test(r));
  check(first.length === 25 && odd.length === 0, `fuzzy plate abc1224 finds ABC1234 only (${first.length} on page 1${odd.length ? `; not ABC1234: ${odd[0]}` : ''})`);
  await page.click('#next-page');
  await page.waitForFunction(() => /page 2/.test(document.querySelector('.pager')?.textContent ?? ''));
  const second = await page.$$eval('#results tbody tr[data-event]', (trs) => trs.map((t) => t.dataset.event));
  check(second.length > 0, `page 2 shows ${second.length} more`);
  await page.click('#results tbody button.open');
  await page.waitForSelector('#detail .evidence');
  check(/ABC1234/.test(await page.textContent('#detail .evidence')), 'the evidence names the plate');
  await shot('center-search');
});

await step('center clip from the node', async () => {
  await go('#/search?site=north&node=n1&camera=gate');
  await page.waitForSelector('#search-form');
  await page.selectOption('#search-form select[name=type]', 'line_crossing');
  await page.click('#search-form button[type=submit]');
  await page.waitForSelector('#results tbody button.open');
  await page.click('#results tbody button.open');
  await page.click('#detail button.play');
  await page.waitForFunction(() => { const v = document.querySelector('#detail video'); return v && v.readyState >= 1 && v.duration > 0; }, null, { timeout: 120000 });
  ok(`the clip plays through the center (${(await page.$eval('#detail video', (v) => v.duration)).toFixed(1)} s)`);
  await shot('center-clip');
});

await step('center charts', async () => {
  await go('#/charts');
  await page.waitForSelector('#counts figure.chart', { timeout: 20000 });
  const titles = await page.$$eval('#counts .u-title', (t) => t.map((x) => x.textContent));
  check(titles.some((t) => /north\/n1\/gate · mid/.test(t)) && titles.some((t) => /east\/l1\/lane1 · mid/.test(t)), 'counts of both nodes: ' + titles.join(' | '));
  await shot('center-charts');
});


// ---- From here on the center has accounts: an operator logs in --------------------------------
await step('operator logs in', async () => {
  await page.goto('about:blank'); // no screen polls while the first account appears
  const pw = `${mkdtempSync(`${tmpdir()}/vsp-center-page-`)}/password`;
  writeFileSync(pw, 'center operator password\n');
  execFileSync(process.env.VSP, ['user', 'add', 'op1', '--role', 'operator', '--password-file', pw, '--config', process.env.CENTER_CONFIG], { stdio: 'ignore' });
  expect([{ status: 401, url: '/api/me' }]);
  await page.goto(base + '/');
  await page.waitForSelector('#login', { timeout: 15000 });
  await page.fill('#lname', 'op1');
  await page.fill('#lpw', 'center operator password');
  await page.click('#login button[type=submit]');
  await page.waitForSelector('#who', { timeout: 15000 });
  check(/op1 · operator/.test(await page.textContent('#who')), 'the operator is logged in to the center');
  check(/Rules/.test(await page.textContent('nav')), 'an operator is offered the rule editor on the center');
});

await step('center pushes a rule to the node', async () => {
  const nodeRules = async () => (await fetch(`${process.env.NODE_URL}/api/cameras/gate/rules`)).json();
  const before = await nodeRules();
  await go('#/rules');
  await page.click('#rule-cameras a:text-is("north/n1/gate")');
  await page.waitForFunction(() => document.querySelector('.rules-snap')?.naturalWidth > 0, null, { timeout: 20000 });
  ok('the editor shows the camera\'s snapshot, fetched from the node through the center');
  check(new RegExp(`Version ${before.version} `).test(await page.textContent('#rules-version')), `the editor starts from the node's version ${before.version}`);
  const box = await page.$eval('#rules-canvas', (s) => { const r = s.getBoundingClientRect(); return { x: r.left, y: r.top, w: r.width, h: r.height }; });
  await page.click('#add-line');
  await page.mouse.click(box.x + box.w * 0.05, box.y + box.h * 0.7);
  await page.mouse.click(box.x + box.w * 0.95, box.y + box.h * 0.7);
  await page.waitForSelector('#rule-list li[data-rule="line-1"]');
  // What the node refuses comes back with the node's own field path.
  expect([{ status: 400, url: '/api/nodes/north/n1/cameras/gate/rules' }]);
  const p1x = page.getByLabel('p1 x');
  await p1x.fill('1.5');
  await p1x.press('Tab');
  await page.click('#save-rules');
  await page.waitForSelector('#rule-list li.invalid', { timeout: 10000 });
  const err = await page.textContent('#rules-msg');
  check(/expected a number in 0\.\.1, got 1\.5/.test(err) && /cameras\[gate\]\.rules\.lines\[1\]\.p1/.test(err), 'the node refuses the pushed p1, naming its field: ' + err.replace(/\s+/g, ' '));
  check(await page.$('#err-p1') !== null, 'the error is shown next to the p1 fields');
  check((await nodeRules()).version === before.version, 'the refused push left the node\'s rules as they were');
  await shot('center-rules-error');
  expect([]);
  await p1x.fill('0.05');
  await p1x.press('Tab');
  await page.fill('#rule-name', 'pushed');
  await page.press('#rule-name', 'Tab');
  await page.click('#save-rules');
  const want = before.version + 1;
  await page.waitForFunction((v) => new RegExp(`keeps version ${v}`).test(document.getElementById('rules-msg').textContent), want, { timeout: 15000 });
  ok('pushed: ' + (await page.textContent('#rules-msg')).trim());
  const after = await nodeRules();
  const line = after.rules.lines.find((l) => l.name === 'pushed');
  check(after.version === want && line && Math.abs(line.p1[1] - 0.7) < 0.02 && after.rules.lines.some((l) => l.name === 'mid'),
    `the node's own API holds the pushed line, version ${after.version} (${JSON.stringify(line?.p1)} → ${JSON.stringify(line?.p2)})`);
  await page.waitForFunction((v) => new RegExp(`Version ${v} \\(node runs version ${v}\\)`).test(document.getElementById('rules-version').textContent), want, { timeout: 20000 });
  ok('the node reports it runs the pushed version: ' + await page.textContent('#rules-version'));
  // A privacy mask goes the same way (keyboard: Add privacy mask, then Finish area before any click
  // places a square at the centre).
  await page.focus('#add-mask');
  await page.keyboard.press('Enter');
  await page.focus('#finish-zone');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#rule-list li[data-mask="mask-1"]');
  await page.click('#save-rules');
  await page.waitForFunction((v) => new RegExp(`keeps version ${v}`).test(document.getElementById('rules-msg').textContent), want + 1, { timeout: 15000 });
  const masked = await nodeRules();
  check(masked.version === want + 1 && masked.privacy_masks.length === 1 && masked.privacy_masks[0].name === 'mask-1' && JSON.stringify(masked.privacy_masks[0].polygon) === '[[0.4,0.4],[0.6,0.4],[0.6,0.6],[0.4,0.6]]' && masked.rules.lines.some((l) => l.name === 'pushed'),
    `a privacy mask pushed from the center is the node's (version ${masked.version}: ${JSON.stringify(masked.privacy_masks)})`);
  await shot('center-rules');
});

await step('center alerts acknowledged', async () => {
  await go('#/fleet');
  await page.waitForSelector('#alerts tbody tr[data-alert] button.ack', { timeout: 60000 });
  const id = await page.$eval('#alerts tbody tr[data-alert]', (t) => t.dataset.alert);
  check(/gate_crossing/.test(await page.textContent(`#alerts tr[data-alert="${id}"]`)), 'the fleet lists the open gate_crossing alert');
  await shot('center-alerts-open');
  await page.click(`#alerts tr[data-alert="${id}"] button.ack`);
  await page.waitForFunction(() => /acknowledged by op1/.test(document.getElementById('alerts-msg').textContent), null, { timeout: 10000 });
  ok(await page.textContent('#alerts-msg'));
  // The message comes with the answer, the list is loaded again after it.
  const gone = await page.waitForFunction((a) => !document.querySelector(`#alerts tr[data-alert="${a}"]`), id, { timeout: 10000 }).then(() => true, () => false);
  check(gone, 'the acknowledged alert leaves the open list');
  await page.selectOption('#alert-state', 'acknowledged');
  await page.waitForSelector(`#alerts tr[data-alert="${id}"]`, { timeout: 10000 });
  const row = await page.textContent(`#alerts tr[data-alert="${id}"]`);
  check(/acknowledged by op1 at \d{4}-\d\d-\d\d/.test(row) && !(await page.$(`#alerts tr[data-alert="${id}"] button.ack`)), 'the acknowledged list shows who and when: ' + row.trim());
  await shot('center-alerts-acknowledged');
});

await step('push to an offline node', async () => {
  await go('#/rules/north/n1/gate');
  await page.waitForFunction(() => document.querySelector('.rules-snap')?.naturalWidth > 0, null, { timeout: 20000 });
  // The editor is open on a live node; then the node dies, and the operator pushes an edit.
  expect([{ status: 504, url: '/api/nodes/north/n1/cameras/gate/' }]);
  process.kill(Number(process.env.NODE_PID), 'SIGKILL');
  await new Promise((r) => setTimeout(r, 1500));
  await page.click('#rule-list li[data-rule="pushed"] button');
  await page.click('#reverse-line');
  await page.click('#save-rules');
  await page.waitForFunction(() => /did not answer/.test(document.getElementById('rules-msg').textContent), null, { timeout: 15000 });
  const msg = (await page.textContent('#rules-msg')).trim();
  check(/node 'n1' at site 'north' did not answer .*its rules were not changed/.test(msg), 'the push to the offline node fails clearly: ' + msg);
  await shot('center-rules-offline');
});

await browser.close();
if (failed) process.exitCode = 1;
