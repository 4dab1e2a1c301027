// Fleet. Center: every node with its last heartbeat, cameras, outbox and lag. Node: who it is,
// its uplink to the center, storage, and each camera's health.
import { get, type Camera, type NodeRow } from '../api';
import type { Ctx } from '../app';
import { add, clear, fmtTime, h } from '../dom';
import { badge } from './status';

const table = (id: string, head: string[], rows: (string | Node)[][]) =>
  h('table', { id, class: 'results' }, h('thead', {}, h('tr', {}, head.map((c) => h('th', { scope: 'col' }, c)))), h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c) => h('td', {}, c))))));

export async function fleetView(root: HTMLElement, ctx: Ctx): Promise<void> {
  const body = h('div', {});
  root.append(h('div', { class: 'titlebar' }, h('h2', {}, ctx.isCenter ? 'Fleet' : 'This node')), body);
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
            h('ul', { class: 'plain' }, n.cameras.map((c) => h('li', {}, badge(c.state), ` ${c.name}`, c.state !== 'streaming' && c.last_error ? h('span', { class: 'err' }, ` ${c.last_error}`) : null))),
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
  const loop = async () => {
    try {
      await draw();
    } catch (e) {
      ctx.say((e as Error).message, 'error');
    }
    if (!left) timer = window.setTimeout(loop, 3000);
  };
  await loop();
}
