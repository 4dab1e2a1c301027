// One camera: live view, health, and a timeline of its recordings and events. Click (or Enter on)
// an event to open its evidence; click the timeline to play from that moment; export any range.
import { get, withQuery, type Camera, type Recording, type VspEvent } from '../api';
import type { Ctx } from '../app';
import { add, clear, field, fmtTime, fromLocalInput, h, iso, svg, toLocalInput } from '../dom';
import { overlaysOn, setOverlaysOn, viewUrl } from '../media';
import { describe, evidencePanel, loadClip } from './evidence';
import { badge } from './status';

const WINDOWS: Record<string, number> = { '15 min': 900_000, '1 hour': 3_600_000, '6 hours': 21_600_000, '24 hours': 86_400_000 };
const TYPE_COLOURS: Record<string, string> = { line_crossing: '#7fd1ff', zone_enter: '#9be79b', zone_exit: '#f2c46b', plate_read: '#e5a0ff' };

export async function cameraView(root: HTMLElement, ctx: Ctx, name: string): Promise<void> {
  const cam = await get<Camera>(`/api/cameras/${encodeURIComponent(name)}`);
  const state = h('span', { class: 'st' }, badge(cam.state));
  const err = h('p', { class: 'err' });
  const health = h('p', { class: 'muted' });
  const img = h('img', { class: 'live' });
  // The live view: blurred unless an auditor/admin gave a reason; overlays as the operator chose.
  let unmaskReason = '';
  const overlays = h('input', { type: 'checkbox', id: 'overlays-toggle', checked: overlaysOn() });
  const showLive = () => {
    img.src = viewUrl(cam.live ?? '', { overlays: overlays.checked, raw: unmaskReason !== '', reason: unmaskReason });
    img.alt = `${name}: live view, ${unmaskReason ? 'NOT blurred' : 'faces blurred'}${overlays.checked ? '' : ', overlays off'}`;
  };
  overlays.addEventListener('change', () => {
    setOverlaysOn(overlays.checked);
    showLive();
  });
  showLive();
  const winSel = h('select', {}, Object.keys(WINDOWS).map((k) => h('option', { value: k, selected: k === '15 min' }, k)));
  const timeline = h('div', { class: 'timeline', id: 'timeline' });
  const eventsList = h('ol', { class: 'eventlist', id: 'camera-events', 'aria-label': 'Events in the window' });
  const detail = h('div', { id: 'detail', class: 'detail' }, h('p', { class: 'muted' }, 'Choose an event on the timeline or in the list below; click elsewhere on the timeline to play the recording from there.'));
  const exportBox = h('div', { id: 'export-result' });
  const now = Date.now();
  const exStart = h('input', { type: 'datetime-local', id: 'export-start', step: '1', value: toLocalInput(now - 60_000) });
  const exEnd = h('input', { type: 'datetime-local', id: 'export-end', step: '1', value: toLocalInput(now) });
  const exportForm = h(
    'form',
    { class: 'row', id: 'export-form', 'aria-label': 'Export a clip' },
    field('From (UTC)', exStart),
    field('To (UTC)', exEnd),
    h('button', { type: 'submit' }, 'Export clip'),
  );
  exportForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const s = fromLocalInput(exStart.value);
    const e = fromLocalInput(exEnd.value);
    if (s === null || e === null || s >= e) {
      ctx.say('Choose a start before the end.', 'error');
      return;
    }
    void loadClip(ctx, exportBox, { camera: name }, s, e);
  });

  // Unblurred live view (auditor, admin): needs a stated reason, and the server audits it.
  const reason = h('input', { id: 'unmask-reason', minlength: 4, required: true, placeholder: 'e.g. incident 4711' });
  const blurAgain = h('button', { type: 'button', id: 'blur-again', hidden: true, onclick: () => {
    unmaskReason = '';
    showLive();
    blurAgain.hidden = true;
    unmaskForm.hidden = false;
    ctx.say('Faces are blurred again.');
  } }, 'Blur again');
  const unmaskForm = h('form', { class: 'row', id: 'unmask-form', 'aria-label': 'Show without blur' }, field('Reason to see faces (audited)', reason), h('button', { type: 'submit' }, 'Show unblurred'));
  unmaskForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    unmaskReason = reason.value.trim();
    showLive();
    unmaskForm.hidden = true;
    blurAgain.hidden = false;
    ctx.say(`Unblurred view of ${name}, audited with the reason “${reason.value.trim()}”.`);
  });

  add(root, 
    h('div', { class: 'titlebar' }, h('h2', {}, name), state, ctx.canOperate ? h('a', { href: `#/rules/${encodeURIComponent(name)}`, class: 'button' }, 'Edit rules') : null),
    h('div', { class: 'camera-page' }, h('div', {}, img, h('div', { class: 'field check' }, overlays, h('label', { for: overlays.id }, 'Overlays')), err, health, ctx.canAudit ? [unmaskForm, blurAgain] : null), h('div', {}, h('h3', {}, 'Event'), detail)),
    h('section', { 'aria-label': 'Timeline' }, h('div', { class: 'row' }, h('h3', {}, 'Timeline'), field('Window', winSel)), timeline, eventsList),
    ctx.canOperate ? h('section', { 'aria-label': 'Export' }, h('h3', {}, 'Export a clip'), exportForm, exportBox) : null,
  );

  const open = (e: VspEvent) => {
    clear(detail);
    detail.append(evidencePanel(ctx, e));
    for (const el of root.querySelectorAll('[data-event-id]')) el.classList.toggle('selected', (el as HTMLElement).dataset.eventId === e.id);
  };

  const drawTimeline = async () => {
    const until = Date.now();
    const since = until - WINDOWS[winSel.value];
    const q = { camera: name, since: iso(since), until: iso(until) };
    const [recs, evs] = await Promise.all([
      ctx.canOperate ? get<{ recordings: Recording[] }>(withQuery('/api/recordings', q)).then((r) => r.recordings) : Promise.resolve([] as Recording[]),
      get<{ events: VspEvent[] }>(withQuery('/api/events', { ...q, order: 'desc', limit: 500 })).then((r) => r.events),
    ]);
    const W = 1000;
    const x = (t: number) => ((t - since) / (until - since)) * W;
    const s = svg('svg', { viewBox: `0 0 ${W} 64`, preserveAspectRatio: 'none', role: 'group', 'aria-label': `Recordings and events, last ${winSel.value}` });
    s.append(svg('rect', { x: 0, y: 0, width: W, height: 64, class: 'tl-bg' }));
    for (const r of recs) {
      const a = Math.max(0, x(Date.parse(r.start)));
      const b = Math.min(W, x(Date.parse(r.end)));
      if (b > a) s.append(svg('rect', { x: a, y: 36, width: Math.max(b - a, 0.5), height: 20, class: 'tl-rec' }));
    }
    for (const e of evs) {
      const t = svg('rect', { x: x(Date.parse(e.ts_utc)) - 1.5, y: 6, width: 3, height: 26, fill: TYPE_COLOURS[e.type] ?? '#ddd', class: 'tl-ev' });
      const title = svg('title');
      title.textContent = `${fmtTime(e.ts_utc)} ${describe(e)} ${e.rule}`;
      t.append(title);
      t.addEventListener('click', (ev) => {
        ev.stopPropagation();
        open(e);
      });
      s.append(t);
    }
    // Click anywhere else: play 30 s from that moment (scrub).
    s.addEventListener('click', (ev) => {
      if (!ctx.canOperate) return;
      const box = s.getBoundingClientRect();
      const t = since + ((ev.clientX - box.left) / box.width) * (until - since);
      clear(detail);
      const clip = h('div', {});
      detail.append(h('h3', {}, `Recording from ${fmtTime(t)} UTC`), clip);
      void loadClip(ctx, clip, { camera: name }, t, Math.min(t + 30_000, until));
    });
    const labels = h('div', { class: 'tl-labels muted' }, h('span', {}, fmtTime(since)), h('span', {}, `${recs.length} recording segment(s), ${evs.length} event(s)`), h('span', {}, fmtTime(until)));
    clear(timeline);
    timeline.append(s, labels);
    clear(eventsList);
    for (const e of evs.slice(0, 50))
      eventsList.append(
        h('li', {}, h('button', { type: 'button', class: 'linklike', 'data-event-id': e.id, onclick: () => open(e) }, `${fmtTime(e.ts_utc)} · ${describe(e)} · ${e.rule} · #${e.track_id} ${e.class}`)),
      );
    if (evs.length === 0) eventsList.append(h('li', { class: 'muted' }, 'No events in this window.'));
  };
  winSel.addEventListener('change', () => void drawTimeline());

  let timer = 0;
  let left = false;
  const poll = async () => {
    try {
      const c = await get<Camera>(`/api/cameras/${encodeURIComponent(name)}`);
      clear(state);
      state.append(badge(c.state));
      err.textContent = c.state === 'streaming' ? '' : c.last_error;
      health.textContent = `${c.fps_in} fps in · ${c.fps_analysed} analysed · ${c.frames_detected} detector runs · ${c.analysis_packets_dropped} packets dropped · ${c.reconnects} reconnects · recording ${c.recording}`;
    } catch {
      /* the status line of the next poll will say */
    }
    if (!left) timer = window.setTimeout(poll, 2000);
  };
  ctx.onLeave(() => {
    left = true;
    window.clearTimeout(timer);
    img.removeAttribute('src');
  });
  await poll();
  await drawTimeline();
}
