// Counts per line/zone over time (bucket 1m, 15m, 1h or 1d) and, on a node, each camera's health
// (fps in, fps analysed) sampled live while the screen is open.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { get, withQuery, type Camera, type CountSeries } from '../api';
import type { Ctx } from '../app';
import { add, clear, field, h, iso } from '../dom';
import { BUCKETS, countColumns } from '../geometry';

const RANGES: Record<string, number> = { 'last hour': 3_600_000, 'last 6 hours': 21_600_000, 'last 24 hours': 86_400_000, 'last 7 days': 7 * 86_400_000 };
const COLOURS = ['#7fd1ff', '#f2c46b', '#9be79b', '#ff8f8f', '#e5a0ff', '#cfcfcf'];

function plot(title: string, cols: number[][], names: string[], width: number, kind: 'bars' | 'lines'): HTMLElement {
  const box = h('figure', { class: 'chart', 'aria-label': title });
  const bars = uPlot.paths.bars ? uPlot.paths.bars({ size: [0.8, 40] }) : undefined;
  const opts: uPlot.Options = {
    title,
    width,
    height: 220,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    axes: [{ stroke: '#ccc', grid: { stroke: '#333' } }, { stroke: '#ccc', grid: { stroke: '#333' } }],
    series: [{ label: 'time (UTC)' }, ...names.map((n, i) => ({ label: n, stroke: COLOURS[i % COLOURS.length], fill: kind === 'bars' ? COLOURS[i % COLOURS.length] + '66' : undefined, width: 2, paths: kind === 'bars' ? bars : undefined }))],
  };
  new uPlot(opts, cols as uPlot.AlignedData, box);
  // A text alternative: totals of counts, latest values of rates.
  const summary = (i: number) => (kind === 'bars' ? cols[i + 1].reduce((a, b) => a + b, 0) : `${(cols[i + 1].at(-1) ?? 0).toFixed(1)} now`);
  box.append(h('figcaption', { class: 'muted' }, names.map((n, i) => `${n}: ${summary(i)}`).join(' · ')));
  return box;
}

export async function chartsView(root: HTMLElement, ctx: Ctx): Promise<void> {
  const camera = h('select', { name: 'camera' }, h('option', { value: '' }, 'every camera'));
  let cams: Camera[] = [];
  if (!ctx.isCenter) {
    cams = (await get<{ cameras: Camera[] }>('/api/cameras')).cameras;
    camera.append(...cams.map((c) => h('option', { value: c.name }, c.name)));
  }
  camera.value = ctx.params.get('camera') ?? '';
  const bucket = h('select', { name: 'bucket' }, Object.keys(BUCKETS).map((b) => h('option', { value: b }, b)));
  const range = h('select', { name: 'range' }, Object.keys(RANGES).map((r) => h('option', { value: r }, r)));
  const form = h('form', { class: 'row', id: 'charts-form' }, field('Camera', camera), field('Bucket', bucket), field('Range', range), h('button', { type: 'submit' }, 'Show'));
  const counts = h('section', { id: 'counts', 'aria-label': 'Counts per rule' });
  const healthBox = h('section', { id: 'health', 'aria-label': 'Camera health' });
  add(root, h('div', { class: 'titlebar' }, h('h2', {}, 'Charts')), form, h('h3', {}, 'Counts per line and zone'), counts, ctx.isCenter ? null : [h('h3', {}, 'Camera health (live, since this screen opened)'), healthBox]);
  const width = () => Math.max(320, Math.min(1100, root.clientWidth - 24));

  const draw = async () => {
    const until = Date.now();
    const since = until - RANGES[range.value];
    const b = bucket.value;
    const r = await get<{ series: CountSeries[] }>(withQuery('/api/counts', { camera: camera.value, bucket: b, since: iso(since), until: iso(until) }));
    clear(counts);
    if (r.series.length === 0) counts.append(h('p', { class: 'muted' }, 'No counts in this range.'));
    for (const s of r.series) {
      const keys = [...new Set(s.points.flatMap((p) => Object.keys(p).filter((k) => k !== 't')))].sort();
      const where = s.site ? `${s.site}/${s.node}/${s.camera}` : s.camera;
      counts.append(plot(`${where} · ${s.rule} (per ${b})`, countColumns(s.points, since, until, BUCKETS[b], keys), keys, width(), 'bars'));
    }
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    draw().catch((e: Error) => ctx.say(e.message, 'error'));
  });
  await draw();

  if (ctx.isCenter) return;
  // ---- Health: fps in / analysed and drops, sampled every 2 s ----
  const t: number[] = [];
  const series = new Map<string, { fin: number[]; fan: number[] }>();
  const table = h('table', { class: 'results' }, h('thead', {}, h('tr', {}, ['camera', 'state', 'fps in', 'fps analysed', 'detector runs', 'packets dropped', 'reconnects', 'restarts'].map((c) => h('th', { scope: 'col' }, c)))), h('tbody'));
  const plots = h('div', {});
  healthBox.append(table, plots);
  let timer = 0;
  let left = false;
  ctx.onLeave(() => {
    left = true;
    window.clearTimeout(timer);
  });
  const sample = async () => {
    try {
      cams = (await get<{ cameras: Camera[] }>('/api/cameras')).cameras;
      t.push(Date.now() / 1000);
      if (t.length > 150) t.shift();
      const tb = table.querySelector('tbody')!;
      clear(tb);
      for (const c of cams) {
        const s = series.get(c.name) ?? { fin: [], fan: [] };
        series.set(c.name, s);
        s.fin.push(c.fps_in ?? 0);
        s.fan.push(c.fps_analysed ?? 0);
        while (s.fin.length > t.length) s.fin.shift(), s.fan.shift();
        while (s.fin.length < t.length) s.fin.unshift(0), s.fan.unshift(0);
        tb.append(h('tr', {}, [c.name, c.state, c.fps_in, c.fps_analysed, c.frames_detected, c.analysis_packets_dropped, c.reconnects, c.restarts].map((v) => h('td', {}, String(v ?? '')))));
      }
      if (t.length >= 2) {
        clear(plots);
        for (const [name, s] of series) plots.append(plot(`${name}: frames per second`, [t, s.fin, s.fan], ['fps in', 'fps analysed'], width(), 'lines'));
      }
    } catch {
      /* next sample */
    }
    if (!left) timer = window.setTimeout(sample, 2000);
  };
  await sample();
}
