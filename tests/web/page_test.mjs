// The node's built-in page in Debian's Chromium: camera cards appear, the live MJPEG view shows
// frames, events fill the table. Usage: node page_test.mjs BASE_URL SCREENSHOT.png
import { chromium } from 'playwright-core';

const [base, shot] = process.argv.slice(2);
const fail = (msg) => { console.error('FAIL ' + msg); process.exitCode = 1; };
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync'] });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(base + '/');
  // The node has a user (page_test.sh): the page asks for a login first.
  await page.waitForSelector('#login:not([hidden])', { timeout: 15000 });
  await page.fill('#lname', 'wrong'); await page.fill('#lpw', 'wrong password');
  await page.click('#login button');
  await page.waitForFunction(() => document.getElementById('lerr').textContent.length > 0, null, { timeout: 10000 });
  console.log('ok   wrong login refused: ' + await page.textContent('#lerr'));
  await page.fill('#lname', 'pageadmin'); await page.fill('#lpw', 'page test password');
  await page.click('#login button');
  await page.waitForSelector('#login', { state: 'hidden', timeout: 15000 });
  console.log('ok   logged in through the form');
  await page.waitForSelector('.cam[data-camera="parking"] .st.state-streaming', { timeout: 30000 });
  console.log('ok   camera card shows streaming');
  // The live view is an MJPEG <img>: it has decoded a frame when naturalWidth > 0.
  await page.waitForFunction(() => {
    const img = document.querySelector('.cam[data-camera="parking"] img');
    return img && img.naturalWidth > 0;
  }, null, { timeout: 30000 });
  console.log('ok   live view shows frames');
  await page.waitForFunction(() => document.querySelectorAll('#events tr').length > 0, null, { timeout: 40000 });
  const firstEvent = await page.textContent('#events tr');
  if (!/parking/.test(firstEvent)) fail('event row does not name the camera: ' + firstEvent);
  else console.log('ok   events table: ' + firstEvent.replace(/\s+/g, ' ').trim());
  const summary = await page.textContent('#summary');
  if (!/1\/2 cameras streaming/.test(summary)) fail('summary should count 1 of 2 cameras streaming: ' + summary);
  else console.log('ok   summary: ' + summary);
  const broken = await page.textContent('.cam[data-camera="broken"] .err');
  if (!broken || broken.length === 0) fail('the broken camera shows no error');
  else console.log('ok   broken camera explains: ' + broken);
  if (shot) await page.screenshot({ path: shot });
} catch (e) {
  fail(e.message);
} finally {
  await browser.close();
}
