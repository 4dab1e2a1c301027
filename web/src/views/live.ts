// Live grid: every camera with its state (streaming / reconnecting / failed and the last error)
// and its picture, faces blurred by the server. On a node: the live view (MJPEG, or refreshed
// snapshots for larger grids), with the analysis overlays on or off. On the center: every node's
// cameras, each with its latest snapshot relayed from its node every few seconds (no video
// through the center).
import { get, type Camera, type NodeRow } from '../api';
import type { Ctx } from '../app';
import { clear, field, h } from '../dom';
import { nextPictureDelayS, overlaysOn, relaySnapshotUrl, setOverlaysOn, viewUrl } from '../media';
import { badge } from './status';

/** Browsers keep about 6 connections per server; more MJPEG streams than this would starve the
 *  API calls, so larger grids refresh snapshots instead. */
const MAX_STREAMS = 4;

/** A center card's picture: fetched from the node through the center, again and again. */
interface Picture {
  timer: number;
  failures: number;
  url: string;
  ctrl: AbortController | null;
  stopped: boolean;
  /** fetches the next picture now (the overlay choice changed) */
  reload?: () => void;
}

export async function liveView(root: HTMLElement, ctx: Ctx): Promise<void> {
  const summary = h('p', { id: 'summary', class: 'muted' }, 'loading…');
  const grid = h('section', { id: 'cams', class: 'grid', 'aria-label': 'Cameras' });
  // Center: one site's cameras, or every site's.
  const site = h('select', { id: 'site-filter' }, h('option', { value: '' }, 'every site'));
  site.value = ctx.params.get('site') ?? '';
  site.addEventListener('change', () => void refresh());
  // The analysis overlays (boxes, track ids, lines, zones, counts) on the pictures, or not (on the
  // center: asked of the nodes through the relay, from the next picture on).
  const overlays = h('input', { type: 'checkbox', id: 'overlays-toggle', checked: overlaysOn() });
  overlays.addEventListener('change', () => {
    setOverlaysOn(overlays.checked);
    if (ctx.isCenter) for (const p of pictures.values()) p.reload?.();
    else for (const img of grid.querySelectorAll('img')) showNodePicture(img);
    ctx.say(overlays.checked ? 'Overlays shown.' : 'Overlays hidden: the pictures as the cameras see them (faces still blurred).');
  });
  root.append(
    h('div', { class: 'titlebar' }, h('h2', {}, 'Live'), summary, ctx.isCenter ? field('Site', site) : '', h('div', { class: 'field check' }, overlays, h('label', { for: overlays.id }, 'Overlays'))),
    grid,
  );
  const cards = new Map<string, HTMLElement>();
  const pictures = new Map<string, Picture>();
  let timer = 0;

  const altFor = (name: string) => `${name}: live view, faces blurred${overlays.checked ? '' : ', overlays off'}`;
  /** (Re)points a node card's image at its stream or a fresh snapshot, with the overlay choice. */
  const showNodePicture = (img: HTMLImageElement) => {
    const streams = img.dataset.stream === '1';
    img.src = viewUrl(img.dataset.base ?? '', { overlays: overlays.checked, t: streams ? undefined : Date.now() });
    img.alt = altFor(img.dataset.name ?? '');
  };

  const stopPicture = (key: string) => {
    const p = pictures.get(key);
    if (!p) return;
    p.stopped = true;
    window.clearTimeout(p.timer);
    p.ctrl?.abort();
    if (p.url) URL.revokeObjectURL(p.url);
    pictures.delete(key);
  };
  /** Center: the camera's latest picture through the center's relay, every few seconds. */
  const startPicture = (key: string, c: Camera, img: HTMLImageElement, msg: HTMLElement) => {
    const p: Picture = { timer: 0, failures: 0, url: '', ctrl: null, stopped: false };
    pictures.set(key, p);
    const load = async () => {
      p.ctrl = new AbortController();
      try {
        const r = await fetch(relaySnapshotUrl(c.site ?? '', c.node ?? '', c.name, { overlays: overlays.checked }), { credentials: 'same-origin', signal: p.ctrl.signal });
        if (!r.ok) {
          const e = (await r.json().catch(() => ({}))) as { message?: string };
          throw new Error(e.message ?? `HTTP ${r.status}`);
        }
        const blob = await r.blob();
        if (p.stopped) return;
        const old = p.url;
        p.url = URL.createObjectURL(blob);
        img.src = p.url;
        img.alt = `${c.site}/${c.node}/${c.name}: latest picture from its node, faces blurred${overlays.checked ? '' : ', overlays off'}`;
        img.dataset.overlays = overlays.checked ? '1' : '0';
        img.hidden = false;
        img.dataset.loaded = String(Number(img.dataset.loaded ?? '0') + 1);
        if (old) URL.revokeObjectURL(old);
        p.failures = 0;
        msg.hidden = true;
      } catch (e) {
        if (p.stopped || (e as Error).name === 'AbortError') return; // left the screen, the card went (site filter), or reload() took over
        p.failures++;
        msg.textContent = `No picture: ${(e as Error).message}`;
        msg.hidden = false;
      }
      if (!p.stopped) p.timer = window.setTimeout(() => void load(), nextPictureDelayS(p.failures) * 1000);
    };
    // The overlay choice changed: the next picture now, not at the next tick.
    p.reload = () => {
      if (p.stopped) return;
      window.clearTimeout(p.timer);
      p.ctrl?.abort();
      void load();
    };
    void load();
  };

  const card = (key: string, c: Camera, streams: boolean): HTMLElement => {
    let d = cards.get(key);
    if (d) return d;
    const title = ctx.isCenter ? `${c.site}/${c.node}/${c.name}` : c.name;
    let media: HTMLElement;
    if (ctx.isCenter) {
      const img = h('img', { alt: `${title}: latest picture from its node, faces blurred`, hidden: true, class: 'relayed' });
      const msg = h('p', { class: 'noimg' }, 'waiting for a picture from the node…');
      media = h('div', { class: 'media' }, img, msg);
      startPicture(key, c, img, msg);
    } else {
      const img = h('img', { 'data-stream': streams ? '1' : '0', 'data-base': (streams ? c.live : c.snapshot) ?? '', 'data-name': c.name, alt: '' });
      showNodePicture(img);
      media = img;
    }
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
      for (const [key, card] of cards)
        if (!cams.some((c) => `${c.site}/${c.node}/${c.name}` === key)) {
          stopPicture(key);
          card.remove();
          cards.delete(key);
        }
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
      if (img && img.dataset.stream === '0') showNodePicture(img);
    }
    grid.querySelector('.empty')?.remove();
    if (cams.length === 0) {
      for (const key of [...pictures.keys()]) stopPicture(key);
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
    for (const key of [...pictures.keys()]) stopPicture(key);
    for (const img of grid.querySelectorAll('img')) img.removeAttribute('src'); // ends the MJPEG streams
  });
  await loop();
}
