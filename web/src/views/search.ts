// Search events by time, camera, type and rule (node); on the center also by site, node, class and
// plate (exact, prefix or fuzzy: one edit away). Pages through the server's cursors.
import { get, withQuery, type Camera, type NodeRow, type VspEvent } from '../api';
import type { Ctx } from '../app';
import { clear, field, fmtTime, fromLocalInput, h, iso, toLocalInput } from '../dom';
import { describe, evidencePanel } from './evidence';

const TYPES = ['', 'line_crossing', 'zone_enter', 'zone_exit', 'zone_dwell', 'zone_overcrowded', 'plate_read', 'object_abandoned', 'object_removed', 'object_cleared', 'wrong_way', 'speeding', 'red_light', 'forbidden_stop'];
const PAGE = 25;

export async function searchView(root: HTMLElement, ctx: Ctx): Promise<void> {
  const p = ctx.params;
  const now = Date.now();
  const since = h('input', { type: 'datetime-local', step: '1', name: 'since', value: p.get('since') ?? toLocalInput(now - 86_400_000) });
  const until = h('input', { type: 'datetime-local', step: '1', name: 'until', value: p.get('until') ?? '' });
  const camera = h('select', { name: 'camera' }, h('option', { value: '' }, 'any camera'));
  const type = h('select', { name: 'type' }, TYPES.map((t) => h('option', { value: t }, t || 'any type')));
  const rule = h('input', { name: 'rule', value: p.get('rule') ?? '', placeholder: 'any' });
  const site = h('input', { name: 'site', value: p.get('site') ?? '', placeholder: 'any' });
  const node = h('input', { name: 'node', value: p.get('node') ?? '', placeholder: 'any' });
  const cls = h('input', { name: 'class', value: p.get('class') ?? '', placeholder: 'any (e.g. car)' });
  const plate = h('input', { name: 'plate', value: p.get('plate') ?? '', placeholder: 'any' });
  const match = h('select', { name: 'plate_match' }, ['fuzzy', 'prefix', 'exact'].map((m) => h('option', { value: m }, m)));
  type.value = p.get('type') ?? '';

  if (ctx.isCenter) {
    const nodes = (await get<{ nodes: NodeRow[] }>('/api/nodes')).nodes;
    const names = [...new Set(nodes.flatMap((n) => n.cameras.map((c) => c.name)))].sort();
    camera.append(...names.map((n) => h('option', { value: n }, n)));
  } else {
    const cams = (await get<{ cameras: Camera[] }>('/api/cameras')).cameras;
    camera.append(...cams.map((c) => h('option', { value: c.name }, c.name)));
  }
  camera.value = p.get('camera') ?? '';

  const form = h(
    'form',
    { id: 'search-form', class: 'row wrap', role: 'search' },
    field('From (UTC)', since),
    field('To (UTC)', until),
    ctx.isCenter ? [field('Site', site), field('Node', node)] : null,
    field('Camera', camera),
    field('Type', type),
    field('Rule', rule),
    ctx.isCenter ? [field('Class', cls), field('Plate', plate), field('Plate match', match)] : null,
    h('button', { type: 'submit' }, 'Search'),
  );
  const table = h('table', { id: 'results', class: 'results' }, h('caption', { class: 'sr-only' }, 'Events found'), h('thead', {}, h('tr', {}, ['time (UTC)', 'camera', 'event', 'rule', 'object', ''].map((c) => h('th', { scope: 'col' }, c)))), h('tbody'));
  const tbody = table.querySelector('tbody')!;
  const pager = h('div', { class: 'row pager' });
  const detail = h('div', { id: 'detail', class: 'detail' });
  root.append(h('div', { class: 'titlebar' }, h('h2', {}, 'Search events')), form, h('div', { class: 'split' }, h('div', {}, table, pager), detail));

  // cursors[i] is the cursor of page i (page 0 has none)
  let cursors: (string | undefined)[] = [undefined];
  let pageNo = 0;
  const run = async () => {
    const q: Record<string, string | number | undefined> = {
      since: fromLocalInput(since.value) !== null ? iso(fromLocalInput(since.value)!) : undefined,
      until: fromLocalInput(until.value) !== null ? iso(fromLocalInput(until.value)!) : undefined,
      camera: camera.value,
      type: type.value,
      rule: rule.value.trim(),
      limit: PAGE,
      cursor: cursors[pageNo],
    };
    if (ctx.isCenter) Object.assign(q, { site: site.value.trim(), node: node.value.trim(), class: cls.value.trim(), plate: plate.value.trim(), plate_match: plate.value.trim() ? match.value : undefined });
    else q.order = 'desc';
    const page = await get<{ events: VspEvent[]; next_cursor?: string }>(withQuery('/api/events', q));
    clear(tbody);
    for (const e of page.events) {
      const open = h('button', { type: 'button', class: 'open', 'aria-label': `Open event ${describe(e)} at ${fmtTime(e.ts_utc)}`, onclick: () => {
        clear(detail);
        detail.append(evidencePanel(ctx, e));
        for (const tr of tbody.querySelectorAll('tr')) tr.classList.toggle('selected', tr.dataset.event === e.id);
      } }, 'Open');
      tbody.append(h('tr', { 'data-event': e.id }, h('td', {}, fmtTime(e.ts_utc)), h('td', {}, ctx.isCenter ? `${e.site}/${e.node}/${e.camera}` : e.camera), h('td', {}, describe(e)), h('td', {}, e.rule), h('td', {}, `#${e.track_id} ${e.class}`), h('td', {}, open)));
    }
    if (page.events.length === 0) tbody.append(h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'No events match.')));
    cursors = cursors.slice(0, pageNo + 1);
    if (page.next_cursor) cursors.push(page.next_cursor);
    clear(pager);
    pager.append(
      h('button', { type: 'button', id: 'prev-page', disabled: pageNo === 0, onclick: () => { pageNo--; void run(); } }, '← Newer'),
      h('span', { class: 'muted' }, `page ${pageNo + 1} · ${page.events.length} event(s)`),
      h('button', { type: 'button', id: 'next-page', disabled: !page.next_cursor, onclick: () => { pageNo++; void run(); } }, 'Older →'),
    );
    if (ctx.isCenter) (pager.querySelector('#prev-page') as HTMLElement).textContent = '← Previous';
    if (ctx.isCenter) (pager.querySelector('#next-page') as HTMLElement).textContent = 'Next →';
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    cursors = [undefined];
    pageNo = 0;
    run().catch((e: Error) => ctx.say(e.message, 'error'));
  });
  await run();
}
