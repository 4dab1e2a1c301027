// Live grid: every camera with its state (streaming / reconnecting / failed and the last error)
// and, on a node, its live view (faces blurred by the server). On the center: every node's cameras.
import { get, type Camera, type NodeRow } from '../api';
import type { Ctx } from '../app';
import { clear, field, h } from '../dom';
import { badge } from './status';

/** Browsers keep about 6 connections per server; more MJPEG streams than this would starve the
 *  API calls, so larger grids refresh snapshots instead. */
const MAX_STREAMS = 4;

export async function liveView(root: HTMLElement, ctx: Ctx): Promise<void> {
  const summary = h('p', { id: 'summary', class: 'muted' }, 'loading…');
  const grid = h('section', { id: 'cams', class: 'grid', 'aria-label': 'Cameras' });
  // Center: one site's cameras, or every site's.
  const site = h('select', { id: 'site-filter' }, h('option', { value: '' }, 'every site'));
  site.value = ctx.params.get('site') ?? '';
  site.addEventListener('change', () => void refresh());
  root.append(h('div', { class: 'titlebar' }, h('h2', {}, 'Live'), summary, ctx.isCenter ? field('Site', site) : ''), grid);
  const cards = new Map<string, HTMLElement>();
  let timer = 0;

  const card = (key: string, c: Camera, streams: boolean): HTMLElement => {
    let d = cards.get(key);
    if (d) return d;
    const title = ctx.isCenter ? `${c.site}/${c.node}/${c.name}` : c.name;
    const media = ctx.isCenter
      ? h('div', { class: 'noimg' }, 'live view is on the node')
      : h('img', { alt: `${c.name}: live view, faces blurred`, src: streams ? (c.live ?? '') : `${c.snapshot}?t=${Date.now()}`, 'data-stream': streams ? '1' : '0' });
    const link = ctx.isCenter
      ? h('a', { href: `#/search?site=${encodeURIComponent(c.site ?? '')}&node=${encodeURIComponent(c.node ?? '')}&camera=${encodeURIComponent(c.name)}` }, title)
      : h('a', { href: `#/camera/${encodeURIComponent(c.name)}` }, title);
    d = h('article', { class: 'cam', 'data-camera': c.name }, media, h('div', { class: 'bar' }, h('h3', {}, link), h('span', { class: 'st' })), h('p', { class: 'err' }), h('p', { class: 'bar counts muted' }));
    grid.append(d);
    cards.set(key, d);
    return d;
  };

  const refresh = async () => {
    let cams: Camera[];
    if (ctx.isCenter) {
      const nodes = (await get<{ nodes: NodeRow[] }>('/api/nodes')).nodes;
      const sites = [...new Set(nodes.map((n) => n.site))].sort();
      for (const name of sites) if (![...site.options].some((o) => o.value === name)) site.append(h('option', { value: name }, name));
      cams = nodes.filter((n) => !site.value || n.site === site.value).flatMap((n) => n.cameras.map((c) => ({ ...c, site: n.site, node: n.node }) as Camera));
      for (const [key, card] of cards) if (!cams.some((c) => `${c.site}/${c.node}/${c.name}` === key)) (card.remove(), cards.delete(key));
    } else cams = (await get<{ cameras: Camera[] }>('/api/cameras')).cameras;
    const streams = cams.length <= MAX_STREAMS;
    let up = 0;
    for (const c of cams) {
      const d = card(`${c.site ?? ''}/${c.node ?? ''}/${c.name}`, c, streams);
      if (c.state === 'streaming') up++;
      const st = d.querySelector('.st')!;
      clear(st);
      st.append(badge(c.state));
      if (c.fps_in !== undefined) st.append(` ${c.fps_in} fps in · ${c.fps_analysed} analysed`);
      d.querySelector('.err')!.textContent = c.state === 'streaming' ? '' : c.last_error || '';
      if (c.events !== undefined) d.querySelector('.counts')!.textContent = `events ${c.events} · segments ${c.segments} · reconnects ${c.reconnects}`;
      const img = d.querySelector('img');
      if (img && img.dataset.stream === '0') img.src = `${c.snapshot}?t=${Date.now()}`;
    }
    grid.querySelector('.empty')?.remove();
    if (cams.length === 0) {
      clear(grid);
      cards.clear();
      grid.append(h('p', { class: 'muted empty' }, ctx.isCenter ? (site.value ? `No camera at site ${site.value}.` : 'No node has sent a heartbeat yet.') : 'This node has no cameras.'));
    }
    summary.textContent = `${up}/${cams.length} cameras streaming`;
  };
  const loop = async () => {
    try {
      await refresh();
    } catch (e) {
      summary.textContent = `cannot refresh: ${(e as Error).message}`;
    }
    if (!left) timer = window.setTimeout(loop, 2000);
  };
  let left = false;
  ctx.onLeave(() => {
    left = true;
    window.clearTimeout(timer);
    for (const img of grid.querySelectorAll('img')) img.removeAttribute('src'); // ends the MJPEG streams
  });
  await loop();
}
