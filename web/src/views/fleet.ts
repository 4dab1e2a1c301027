// Fleet. Center: every node with its last heartbeat, cameras, outbox and lag, and the alerts the
// center raised (operators acknowledge them). Node: who it is, its uplink to the center, storage,
// and each camera's health.
import { ApiError, get, request, withQuery, type AlertRow, type Camera, type NodeRow } from '../api';
import type { Ctx } from '../app';
import { add, clear, field, fmtTime, h } from '../dom';
import { badge } from './status';

const table = (id: string, head: string[], rows: (string | Node)[][]) =>
  h('table', { id, class: 'results' }, h('thead', {}, h('tr', {}, head.map((c) => h('th', { scope: 'col' }, c)))), h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c) => h('td', {}, c))))));

export async function fleetView(root: HTMLElement, ctx: Ctx): Promise<void> {
  const body = h('div', {});
  root.append(h('div', { class: 'titlebar' }, h('h2', {}, ctx.isCenter ? 'Fleet' : 'This node')), body);
  const alerts = ctx.isCenter ? alertsSection(ctx) : null;
  if (alerts) root.append(alerts.section);
  let timer = 0;
  let left = false;
  ctx.onLeave(() => {
    left = true;
    window.clearTimeout(timer);
  });
  const draw = async () => {
    if (ctx.isCenter) {
      const nodes = (await get<{ nodes: NodeRow[] }>('/api/nodes')).nodes;
      clear(body);
      add(body, 
        table('nodes', ['site', 'node', 'last heartbeat (UTC)', 'seconds ago', 'cameras', 'outbox', 'dropped', 'lag (s)'],
          nodes.map((n) => [n.site, n.node, fmtTime(n.last_heartbeat), h('span', { class: n.seconds_since_heartbeat > 30 ? 'error' : '' }, String(n.seconds_since_heartbeat)),
            h('ul', { class: 'plain' }, n.cameras.map((c) => h('li', {}, badge(c.state), ` ${c.name}`, c.state !== 'streaming' && c.last_error ? h('span', { class: 'err' }, ` ${c.last_error}`) : null,
              ctx.canOperate ? [' · ', h('a', { href: `#/rules/${[n.site, n.node, c.name].map(encodeURIComponent).join('/')}`, 'aria-label': `rules of ${n.site}/${n.node}/${c.name}` }, 'rules')] : null))),
            String(n.outbox_pending), String(n.outbox_dropped_total), String(n.lag_s)])),
        nodes.length ? null : h('p', { class: 'muted' }, 'No node has sent a heartbeat yet.'),
      );
    } else {
      const [node, cams] = await Promise.all([
        get<{ site: string; node: string; uplink: Record<string, unknown> }>('/api/node'),
        get<{ cameras: Camera[]; storage: Record<string, unknown> }>('/api/cameras'),
      ]);
      const up = node.uplink;
      const st = cams.storage;
      const gb = (v: unknown) => `${(Number(v) / 1e9).toFixed(1)} GB`;
      clear(body);
      body.append(
        h('dl', { class: 'facts' },
          h('dt', {}, 'site / node'), h('dd', {}, `${node.site} / ${node.node}`),
          h('dt', {}, 'uplink'), h('dd', {}, up.configured ? `${up.connected ? 'connected' : 'disconnected'} · ${up.outbox_pending} in outbox · ${up.published_total} published${up.last_error ? ' · ' + String(up.last_error) : ''}` : `not configured (${up.outbox_pending} in outbox)`),
          h('dt', {}, 'storage'), h('dd', {}, `${st.state} · ${gb(st.free_bytes)} free of ${gb(st.filesystem_bytes)} · recordings ${gb(st.recordings_bytes)}`)),
        h('h3', {}, 'Cameras'),
        table('camera-health', ['camera', 'state', 'last error', 'fps in', 'fps analysed', 'dropped', 'reconnects', 'recording', 'events'],
          cams.cameras.map((c) => [h('a', { href: `#/camera/${encodeURIComponent(c.name)}` }, c.name), badge(c.state), c.state === 'streaming' ? '' : c.last_error, String(c.fps_in), String(c.fps_analysed), String(c.analysis_packets_dropped), String(c.reconnects), String(c.recording), String(c.events)])),
      );
    }
  };
  let rounds = 0;
  const loop = async () => {
    try {
      await draw();
      // Alerts every 15 s, and not while someone is working in their table (focus kept).
      if (alerts && rounds++ % 5 === 0 && !alerts.section.contains(document.activeElement)) await alerts.load();
    } catch (e) {
      ctx.say((e as Error).message, 'error');
    }
    if (!left) timer = window.setTimeout(loop, 3000);
  };
  await loop();
}

/** The center's alerts, newest first, paged: open, acknowledged or all; operators acknowledge. */
function alertsSection(ctx: Ctx): { section: HTMLElement; load: () => Promise<void> } {
  const state = h('select', { id: 'alert-state' }, ['open', 'acknowledged', 'all'].map((v) => h('option', { value: v }, v)));
  const tbody = h('tbody');
  const pager = h('div', { class: 'row pager' });
  const msg = h('p', { id: 'alerts-msg', role: 'status', 'aria-live': 'polite' });
  const section = h(
    'section',
    { class: 'alerts', 'aria-labelledby': 'alerts-title' },
    h('div', { class: 'titlebar' }, h('h3', { id: 'alerts-title' }, 'Alerts'), field('Show', state), h('button', { type: 'button', id: 'alerts-refresh', onclick: () => void load() }, 'Refresh')),
    h('table', { id: 'alerts', class: 'results' },
      h('thead', {}, h('tr', {}, ['fired (UTC)', 'alert', 'where', 'event', 'count', 'state', ''].map((c) => h('th', { scope: 'col' }, c)))), tbody),
    pager,
    msg,
  );
  const cursors: (string | undefined)[] = [undefined];
  let pageNo = 0;
  state.addEventListener('change', () => {
    cursors.length = 1;
    pageNo = 0;
    void load();
  });
  const ack = async (a: AlertRow, button: HTMLButtonElement) => {
    button.disabled = true;
    try {
      const done = await request<AlertRow>(`/api/alerts/${encodeURIComponent(a.id)}/ack`, { method: 'POST' });
      msg.className = 'ok';
      msg.textContent = `Alert ${done.alert} (${done.site}/${done.node}/${done.camera}) acknowledged by ${done.acknowledged_by} at ${fmtTime(done.acknowledged_at ?? '')}.`;
    } catch (e) {
      msg.className = 'error';
      msg.textContent = e instanceof ApiError ? e.message : String(e);
    }
    await load();
    section.querySelector<HTMLElement>('#alert-state')?.focus(); // the row (and its button) may be gone
  };
  const load = async () => {
    const page = await get<{ alerts: AlertRow[]; next_cursor?: string }>(withQuery('/api/alerts', { state: state.value, limit: 20, cursor: cursors[pageNo] }));
    clear(tbody);
    for (const a of page.alerts) {
      const e = a.event;
      const what = [e.type, e.direction, e.text, e.rule && `rule ${e.rule}`, e.class].filter(Boolean).join(' ');
      const button = h('button', { type: 'button', class: 'ack', 'aria-label': `Acknowledge alert ${a.alert} ${a.id}` }, 'Acknowledge');
      button.addEventListener('click', () => void ack(a, button));
      tbody.append(
        h('tr', { 'data-alert': a.id, class: a.state === 'open' ? 'warn' : '' },
          h('td', {}, fmtTime(a.fired_at)),
          h('td', {}, a.alert),
          h('td', {}, `${a.site}/${a.node}/${a.camera}`),
          h('td', {}, `${fmtTime(a.ts_utc)} ${what}`),
          h('td', {}, String(a.count)),
          h('td', { class: 'alert-state' }, a.state === 'open' ? 'open' : `acknowledged by ${a.acknowledged_by} at ${fmtTime(a.acknowledged_at ?? '')}`),
          h('td', {}, a.state === 'open' && ctx.canOperate ? button : '')),
      );
    }
    if (!page.alerts.length) tbody.append(h('tr', {}, h('td', { colspan: 7, class: 'muted' }, state.value === 'open' ? 'No open alerts.' : 'No alerts.')));
    cursors.length = pageNo + 1;
    if (page.next_cursor) cursors.push(page.next_cursor);
    clear(pager);
    pager.append(
      h('button', { type: 'button', id: 'alerts-newer', disabled: pageNo === 0, onclick: () => { pageNo--; void load(); } }, '← Newer'),
      h('span', { class: 'muted' }, `page ${pageNo + 1}`),
      h('button', { type: 'button', id: 'alerts-older', disabled: !page.next_cursor, onclick: () => { pageNo++; void load(); } }, 'Older →'),
    );
  };
  return { section, load };
}
