// The web UI served by `vsp center` in Debian's Chromium (center_page_test.sh starts the peers):
// fleet with heartbeats, live states of every node's cameras, search by fuzzy plate with paging,
// an event's clip fetched from its node through the center, counts charts. Fails on any console
// error or failed request.   Usage: node center_page_test.mjs CENTER_URL OUT_DIR
import { chromium } from 'playwright-core';

const [base, out] = process.argv.slice(2);
let failed = false;
const fail = (msg) => { console.error('FAIL ' + msg); failed = true; };
const ok = (msg) => console.log('ok   ' + msg);
const check = (cond, msg) => (cond ? ok(msg) : fail(msg));
const problems = [];
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync'] });
const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()} (${m.location().url})`); });
page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()} ${r.url()}`); });
page.on('requestfailed', (r) => {
  // A <video> cancels its own reads of a clip it holds as a blob (it re-reads by range).
  if (r.failure()?.errorText === 'net::ERR_ABORTED' && r.url().startsWith('blob:')) return;
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
};

await step('center live', async () => {
  await page.goto(base + '/');
  await page.waitForSelector('#cams .cam');
  check(/open center/.test(await page.textContent('#who')), 'the header says the center is open (no accounts yet)');
  const nav = await page.textContent('nav');
  check(!/Rules|Audit/.test(nav), `the center offers no node-only screens (nav: ${nav.trim()})`);
  await page.waitForSelector('.cam[data-camera="gate"] .badge.state-streaming', { timeout: 30000 });
  const title = await page.textContent('.cam[data-camera="gate"] h3');
  check(title === 'north/n1/gate', 'the grid names site/node/camera: ' + title);
  await page.waitForSelector('.cam[data-camera="lane1"]', { timeout: 20000 });
  await page.selectOption('#site-filter', 'north');
  await page.waitForFunction(() => !document.querySelector('.cam[data-camera="lane1"]'), null, { timeout: 10000 });
  check((await page.$$('#cams .cam')).length === 1, 'the site filter shows only north\'s camera');
  await page.selectOption('#site-filter', '');
  await page.waitForSelector('.cam[data-camera="lane1"]', { timeout: 10000 });
  ok('every site again');
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

await browser.close();
if (failed) process.exitCode = 1;
