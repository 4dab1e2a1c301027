// An event's evidence: its fields, its snapshot where it has one, and its clip (the recording
// around it, faces blurred by the server), playable and downloadable. Also exports any range.
import { ApiError, withQuery, type VspEvent } from '../api';
import type { Ctx } from '../app';
import { clear, fmtTime, h, iso } from '../dom';

export function describe(e: VspEvent): string {
  const extra = e.direction ? ` ${e.direction}` : e.text ? ` ${e.text}` : e.dwell_s !== undefined ? ` after ${e.dwell_s.toFixed(1)} s` : '';
  return `${e.type}${extra}`;
}

function clipUrl(ctx: Ctx, e: { site?: string; node?: string; camera: string }, start: number, end: number): string {
  return withQuery('/api/clip', ctx.isCenter ? { site: e.site, node: e.node, camera: e.camera, start: iso(start), end: iso(end) } : { camera: e.camera, start: iso(start), end: iso(end) });
}

/** Fetches a clip into `box` as a <video> with a download link; errors are shown there. */
export async function loadClip(ctx: Ctx, box: HTMLElement, where: { site?: string; node?: string; camera: string }, start: number, end: number): Promise<boolean> {
  clear(box);
  const note = h('p', { class: 'muted', role: 'status' }, `Preparing the clip ${fmtTime(start)} – ${fmtTime(end)} UTC…`);
  box.append(note);
  try {
    const r = await fetch(clipUrl(ctx, where, start, end), { credentials: 'same-origin' });
    if (!r.ok) {
      const j = (await r.json().catch(() => ({}))) as { code?: string; message?: string };
      throw new ApiError(r.status, j.code ?? '', j.message ?? `HTTP ${r.status}`);
    }
    const blob = await r.blob();
    const url = URL.createObjectURL(blob);
    ctx.onLeave(() => URL.revokeObjectURL(url));
    const name = `${where.camera}-${iso(start).replace(/[:.]/g, '-')}.mp4`;
    const video = h('video', { class: 'clip', controls: true, src: url, 'aria-label': `Clip of ${where.camera} from ${fmtTime(start)}` });
    video.muted = true;
    clear(box);
    box.append(video, h('p', {}, h('a', { class: 'download', href: url, download: name }, `Download ${name}`), ` (${(blob.size / 1e6).toFixed(2)} MB, faces blurred)`));
    return true;
  } catch (e) {
    clear(box);
    box.append(h('p', { class: 'error', role: 'alert' }, e instanceof ApiError && e.code === 'no_recording' ? 'No recording covers this time.' : `The clip could not be made: ${(e as Error).message}`));
    return false;
  }
}

/** The evidence panel of one event. */
export function evidencePanel(ctx: Ctx, e: VspEvent): HTMLElement {
  const t = Date.parse(e.ts_utc);
  const clipBox = h('div', { class: 'clipbox' });
  const rows: [string, string][] = [
    ['time (UTC)', fmtTime(e.ts_utc) + e.ts_utc.slice(19, 23)],
    ['camera', ctx.isCenter ? `${e.site}/${e.node}/${e.camera}` : e.camera],
    ['event', describe(e)],
    ['rule', e.rule || '—'],
    ['object', `#${e.track_id} ${e.class}`],
  ];
  if (e.text) rows.push(['plate', `${e.text} (${Math.round((e.confidence ?? 0) * 100)} %)`]);
  if (e.evidence_ref) rows.push(['evidence pack', e.evidence_ref]);
  const panel = h(
    'section',
    { class: 'evidence', 'aria-label': `Evidence of event ${e.id}`, 'data-event': e.id },
    h('h3', {}, `${describe(e)} · ${e.rule}`),
    h('dl', {}, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
    e.snapshot_ref ? h('img', { class: 'snap', alt: `Snapshot of event ${describe(e)}`, src: `/api/events/${encodeURIComponent(e.id)}/snapshot.jpg` }) : null,
    ctx.canOperate
      ? h('button', { type: 'button', class: 'play', onclick: () => void loadClip(ctx, clipBox, e, t - 5000, t + 5000) }, 'Play clip (−5 s … +5 s)')
      : h('p', { class: 'muted' }, 'Clips need the operator role.'),
    clipBox,
  );
  return panel;
}
