// Rule editor: the camera's run-time rules document drawn on its snapshot — lines (with their `in`
// arrow), zones, privacy masks and calibration points (image point + road position in metres).
// Draw, drag handles, or type coordinates; Save validates on the node with the config's own checks
// (errors shown at the rule and field) and the node swaps it all in without a restart. On the
// center the same editor works on `site/node/camera`: the center carries every read and the save
// to the node over NATS (the node confirms with the version it keeps and the one it runs).
import { ApiError, get, request, withQuery, type Calibration, type CalibrationPoint, type Camera, type CountSeries, type LineRule, type NodeRow, type PrivacyMask, type Rules, type RulesBody, type RulesDoc, type ZoneRule } from '../api';
import type { Ctx } from '../app';
import { clear, field, h, iso, svg } from '../dom';
import { viewUrl } from '../media';
import { calibrationLabel, fixedGeometryText, freshName, inArrow, nearest, normalise, reversed, ruleErrorTarget, type ErrorKind, type Pt } from '../geometry';

type Kind = 'lines' | 'zones' | 'masks' | 'calib';
type Sel = { kind: Kind; index: number } | null;
type Mode = 'select' | 'line' | 'zone' | 'mask' | 'calib';

/** Keys the editor sends back: what the user edits plus every key the node gave with a value. */
function clean<T extends Record<string, unknown>>(r: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) if (v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0 && k === 'classes')) out[k] = v;
  return out as T;
}

/** Where a camera's rules live: the node's own API, or on the center the node's through it. */
export function cameraApi(isCenter: boolean, arg: string): { name: string; title: string; base: string; where: { site?: string; node?: string } } | null {
  const enc = encodeURIComponent;
  if (!isCenter) return { name: arg, title: arg, base: `/api/cameras/${enc(arg)}`, where: {} };
  const parts = arg.split('/');
  if (parts.length !== 3 || parts.some((p) => !p)) return null;
  const [site, node, name] = parts;
  return { name, title: `${site}/${node}/${name}`, base: `/api/nodes/${enc(site)}/${enc(node)}/cameras/${enc(name)}`, where: { site, node } };
}

export async function rulesView(root: HTMLElement, ctx: Ctx, arg: string): Promise<void> {
  const at = arg ? cameraApi(ctx.isCenter, arg) : null;
  if (!at) {
    const links = ctx.isCenter
      ? (await get<{ nodes: NodeRow[] }>('/api/nodes')).nodes.flatMap((n) => n.cameras.map((c) => `${n.site}/${n.node}/${c.name}`))
      : (await get<{ cameras: Camera[] }>('/api/cameras')).cameras.map((c) => c.name);
    root.append(
      h('h2', {}, 'Rules'),
      h('p', {}, ctx.isCenter ? 'Choose a camera; its rules are read from and pushed to its node:' : 'Choose a camera:'),
      h('ul', { id: 'rule-cameras' }, links.map((l) => h('li', {}, h('a', { href: `#/rules/${l.split('/').map(encodeURIComponent).join('/')}` }, l)))),
      links.length ? '' : h('p', { class: 'muted' }, ctx.isCenter ? 'No node has sent a heartbeat yet.' : 'This node has no cameras.'),
    );
    return;
  }
  const { name, title, base, where } = at;
  // The node's snapshot without its overlays (the editor draws the rules being edited, not the ones
  // running); on the center through its relay, which passes `overlays=0` on.
  const snapUrl = () => viewUrl(`${base}/snapshot.jpg`, { overlays: false, t: Date.now() });
  let doc: RulesDoc;
  try {
    doc = await get<RulesDoc>(`${base}/rules`);
  } catch (e) {
    // The center cannot reach the node (offline): say so where the editor would be.
    root.append(h('h2', {}, `Rules · ${title}`), h('p', { class: 'error', id: 'rules-msg', role: 'alert' }, (e as Error).message));
    return;
  }
  let rules: Rules = structuredClone(doc.rules);
  let masks: PrivacyMask[] = structuredClone(doc.privacy_masks ?? []);
  let calib: CalibrationPoint[] = structuredClone(doc.calibration?.points ?? []);
  let sel: Sel = null;
  let mode: Mode = 'select';
  let draft: Pt[] = [];
  let dirty = false;
  let errors: { path: string; message: string }[] = [];
  let snapAfter: number | null = null; // reload the snapshot once the node runs this version
  let counts = new Map<string, Record<string, number>>();
  let W = 1280;
  let H = 720;

  const img = h('img', { class: 'rules-snap', alt: `${title}: latest frame, faces blurred`, src: snapUrl() });
  const overlay = svg('svg', { class: 'rules-overlay', id: 'rules-canvas', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'Rules drawn on the snapshot' }) as SVGSVGElement;
  const stage = h('div', { class: 'stage' }, img, overlay);
  const list = h('ul', { class: 'rule-list', id: 'rule-list', 'aria-label': 'Rules' });
  const editor = h('div', { class: 'rule-form', id: 'rule-form' });
  const msg = h('div', { id: 'rules-msg', role: 'alert' });
  const hint = h('p', { class: 'muted', id: 'rules-hint' });
  const version = h('p', { class: 'muted', id: 'rules-version' });
  const fixed = h('p', { class: 'muted', id: 'rules-fixed' });
  const btn = (id: string, label: string, onclick: () => void) => h('button', { type: 'button', id, onclick }, label);
  const toolbar = h(
    'div',
    { class: 'row wrap', role: 'toolbar', 'aria-label': 'Drawing tools' },
    btn('add-line', 'Add line', () => setMode('line')),
    btn('add-zone', 'Add zone', () => setMode('zone')),
    btn('add-mask', 'Add privacy mask', () => setMode('mask')),
    btn('add-calib', 'Add calibration point', () => setMode('calib')),
    btn('finish-zone', 'Finish area', () => finishOrPlace()),
    btn('refresh-snap', 'New snapshot', () => (img.src = snapUrl())),
  );
  const saveBtn = btn('save-rules', ctx.isCenter ? 'Push to node' : 'Save and apply', () => void save());
  const revertBtn = btn('revert-rules', 'Revert', () => {
    rules = structuredClone(doc.rules);
    masks = structuredClone(doc.privacy_masks ?? []);
    calib = structuredClone(doc.calibration?.points ?? []);
    sel = null;
    dirty = false;
    errors = [];
    clear(msg);
    redraw();
  });
  root.append(
    h('div', { class: 'titlebar' }, h('h2', {}, `Rules · ${title}`), ctx.isCenter ? h('span', { class: 'muted' }, 'read from and pushed to the node over NATS') : h('a', { href: `#/camera/${encodeURIComponent(name)}` }, 'camera page')),
    h('div', { class: 'rules-page' }, h('div', {}, toolbar, hint, stage, fixed), h('div', {}, version, list, editor, h('div', { class: 'row' }, saveBtn, revertBtn), msg)),
  );

  img.addEventListener('load', () => {
    W = img.naturalWidth;
    H = img.naturalHeight;
    overlay.setAttribute('viewBox', `0 0 ${W} ${H}`);
    redraw();
  });

  const setMode = (m: Mode) => {
    mode = m;
    draft = [];
    toolbar.querySelector('#finish-zone')!.textContent = m === 'calib' ? 'Place at centre' : 'Finish area';
    for (const [id, on] of [['add-line', 'line'], ['add-zone', 'zone'], ['add-mask', 'mask'], ['add-calib', 'calib']] as const) toolbar.querySelector(`#${id}`)!.setAttribute('aria-pressed', String(m === on));
    hint.textContent =
      m === 'line' ? 'Click the start, then the end of the line. Escape cancels.'
      : m === 'zone' || m === 'mask' ? `Click the corners of the ${m === 'zone' ? 'zone' : 'privacy mask'}, then Finish area (or Enter; Enter before any click places a square to type corners into). Escape cancels.`
      : m === 'calib' ? 'Click a road point whose position you know, then type it in metres (Enter places one at the centre). Escape cancels.'
      : 'Drag a handle to move it, or select an item in the list to type its coordinates.';
    redraw();
  };
  /** After an edit: everything is redrawn, except the form when the edit came from it (the
   *  control keeps its focus). */
  const touch = (form = true) => {
    dirty = true;
    redraw(form);
  };
  /** Ends drawing a zone or a mask; with no corner clicked yet (keyboard), a square at the centre. */
  const finishZone = () => {
    if (mode !== 'zone' && mode !== 'mask') return;
    if (draft.length === 0) draft = [[0.4, 0.4], [0.6, 0.4], [0.6, 0.6], [0.4, 0.6]];
    if (draft.length < 3) return;
    if (mode === 'zone') {
      rules.zones.push({ name: freshName('zone', [...rules.lines, ...rules.zones].map((r) => r.name)), polygon: draft });
      sel = { kind: 'zones', index: rules.zones.length - 1 };
    } else {
      masks.push({ name: freshName('mask', masks.map((m) => m.name ?? '')), polygon: draft });
      sel = { kind: 'masks', index: masks.length - 1 };
    }
    setMode('select');
    touch();
  };
  /** Finish area / Place at centre: ends a zone or a mask, or places a calibration point at the
   *  centre (the keyboard's way to add one; its coordinates are then typed). */
  const finishOrPlace = () => (mode === 'calib' ? addCalib([0.5, 0.5]) : finishZone());
  const addCalib = (p: Pt) => {
    calib.push({ image: p, world: [0, 0] });
    sel = { kind: 'calib', index: calib.length - 1 };
    setMode('select');
    touch();
    editor.querySelector<HTMLInputElement>('#calib-world-x')?.focus();
  };
  /** The points of an item, for dragging. */
  const pointsOf = (kind: Kind, i: number): Pt[] =>
    kind === 'lines' ? [rules.lines[i].p1, rules.lines[i].p2] : kind === 'zones' ? rules.zones[i].polygon : kind === 'masks' ? masks[i].polygon : [calib[i].image];
  const count = (kind: Kind) => (kind === 'lines' || kind === 'zones' ? rules[kind].length : kind === 'masks' ? masks.length : calib.length);

  const toPx = (ev: MouseEvent): [number, number] => {
    const r = overlay.getBoundingClientRect();
    return [((ev.clientX - r.left) / r.width) * W, ((ev.clientY - r.top) / r.height) * H];
  };
  let drag: { kind: Kind; index: number; point: number } | null = null;
  overlay.addEventListener('mousedown', (ev) => {
    const [x, y] = toPx(ev);
    if (mode !== 'select') return;
    const radius = (14 * W) / overlay.getBoundingClientRect().width;
    for (const kind of ['calib', 'lines', 'zones', 'masks'] as const)
      for (let i = 0; i < count(kind); ++i) {
        const k = nearest(pointsOf(kind, i), x, y, W, H, radius);
        if (k >= 0) {
          drag = { kind, index: i, point: k };
          sel = { kind, index: i };
          ev.preventDefault();
          redraw();
          return;
        }
      }
  });
  overlay.addEventListener('mousemove', (ev) => {
    if (!drag) return;
    const [x, y] = toPx(ev);
    const p = normalise(x, y, W, H);
    if (drag.kind === 'lines') {
      const l = rules.lines[drag.index];
      if (drag.point === 0) l.p1 = p;
      else l.p2 = p;
    } else if (drag.kind === 'zones') rules.zones[drag.index].polygon[drag.point] = p;
    else if (drag.kind === 'masks') masks[drag.index].polygon[drag.point] = p;
    else calib[drag.index].image = p;
    touch();
  });
  window.addEventListener('mouseup', () => (drag = null));
  overlay.addEventListener('click', (ev) => {
    const [x, y] = toPx(ev);
    if (mode === 'line') {
      draft.push(normalise(x, y, W, H));
      if (draft.length === 2) {
        const l: LineRule = { name: freshName('line', [...rules.lines, ...rules.zones].map((r) => r.name)), p1: draft[0], p2: draft[1] };
        rules.lines.push(l);
        sel = { kind: 'lines', index: rules.lines.length - 1 };
        setMode('select');
        touch();
      } else redraw();
    } else if (mode === 'zone' || mode === 'mask') {
      draft.push(normalise(x, y, W, H));
      redraw();
    } else if (mode === 'calib') addCalib(normalise(x, y, W, H));
  });
  overlay.addEventListener('dblclick', () => finishZone());
  const onKey = (ev: KeyboardEvent) => {
    if (ev.key === 'Escape' && mode !== 'select') setMode('select');
    // Enter on a control is that control's (a button's click, a field's change).
    if (ev.key !== 'Enter' || (ev.target instanceof HTMLElement && ev.target.closest('button, input, textarea, select, a'))) return;
    finishOrPlace();
  };
  document.addEventListener('keydown', onKey);
  ctx.onLeave(() => document.removeEventListener('keydown', onKey));

  const errorsFor = (kind: ErrorKind, index: number) =>
    errors.filter((e) => {
      const t = ruleErrorTarget(e.path);
      return t && t.kind === kind && t.index === index;
    });

  function countText(rule: string): string {
    const c = counts.get(rule);
    if (!c) return 'no counts in the last hour';
    return Object.entries(c).map(([k, v]) => `${k} ${v}`).join(' · ');
  }

  function redraw(form = true): void {
    // ---- Overlay ----
    while (overlay.firstChild) overlay.firstChild.remove();
    const stroke = Math.max(2, W / 400);
    const font = Math.max(12, W / 60);
    // Privacy masks (black in the snapshot once the node runs them) and calibration points.
    const pick = (kind: Kind, i: number) => () => { if (mode === 'select') { sel = { kind, index: i }; redraw(); } };
    masks.forEach((m, i) => {
      const chosen = sel?.kind === 'masks' && sel.index === i;
      const poly = svg('polygon', { points: m.polygon.map((p) => `${p[0] * W},${p[1] * H}`).join(' '), class: `mask${chosen ? ' chosen' : ''}`, 'stroke-width': stroke, 'data-mask': m.name || `mask ${i + 1}` });
      poly.addEventListener('click', pick('masks', i));
      overlay.append(poly);
      const t = svg('text', { x: m.polygon[0][0] * W + 4, y: m.polygon[0][1] * H + font, class: 'label mask-label', 'font-size': font });
      t.textContent = `privacy mask${m.name ? ` ${m.name}` : ''}`;
      overlay.append(t);
      if (chosen) m.polygon.forEach((p) => overlay.append(svg('circle', { cx: p[0] * W, cy: p[1] * H, r: stroke * 3, class: 'handle' })));
    });
    calib.forEach((c, i) => {
      const chosen = sel?.kind === 'calib' && sel.index === i;
      const [x, y] = [c.image[0] * W, c.image[1] * H];
      const g = svg('g', { class: `calib${chosen ? ' chosen' : ''}`, 'data-calib': i + 1 });
      g.append(svg('path', { d: `M${x - stroke * 4},${y} h${stroke * 8} M${x},${y - stroke * 4} v${stroke * 8}`, class: 'calib', 'stroke-width': stroke }));
      // Labels of points near the right edge go to their left, inside the picture.
      const left = c.image[0] > 0.8;
      const t = svg('text', { x: left ? x - stroke * 5 : x + stroke * 5, y: y - stroke * 2, class: 'label calib-label', 'font-size': font * 0.8, 'text-anchor': left ? 'end' : 'start' });
      t.textContent = calibrationLabel(i, c.world);
      g.append(t);
      g.addEventListener('click', pick('calib', i));
      overlay.append(g);
      if (chosen) overlay.append(svg('circle', { cx: x, cy: y, r: stroke * 3, class: 'handle' }));
    });
    rules.zones.forEach((z, i) => {
      const chosen = sel?.kind === 'zones' && sel.index === i;
      const poly = svg('polygon', { points: z.polygon.map((p) => `${p[0] * W},${p[1] * H}`).join(' '), class: `zone${chosen ? ' chosen' : ''}`, 'stroke-width': stroke });
      poly.addEventListener('click', () => { if (mode === 'select') { sel = { kind: 'zones', index: i }; redraw(); } });
      overlay.append(poly);
      const label = svg('text', { x: z.polygon[0][0] * W + 4, y: z.polygon[0][1] * H + font, class: 'label', 'font-size': font, 'data-zone': z.name });
      label.textContent = `${z.name}: ${countText(z.name)}`;
      overlay.append(label);
      if (chosen) z.polygon.forEach((p) => overlay.append(svg('circle', { cx: p[0] * W, cy: p[1] * H, r: stroke * 3, class: 'handle' })));
    });
    rules.lines.forEach((l, i) => {
      const chosen = sel?.kind === 'lines' && sel.index === i;
      const g = svg('g', { class: `line${chosen ? ' chosen' : ''}`, 'data-rule': l.name });
      g.append(svg('line', { x1: l.p1[0] * W, y1: l.p1[1] * H, x2: l.p2[0] * W, y2: l.p2[1] * H, 'stroke-width': stroke * 1.5 }));
      const a = inArrow(l.p1, l.p2, W, H, Math.max(30, W / 20));
      g.append(svg('line', { x1: a.from[0], y1: a.from[1], x2: a.to[0], y2: a.to[1], class: 'arrow', 'stroke-width': stroke, 'marker-end': 'url(#arrowhead)' }));
      const t = svg('text', { x: a.to[0] + 4, y: a.to[1], class: 'label', 'font-size': font });
      t.textContent = `in · ${l.name}: ${countText(l.name)}`;
      g.append(t);
      g.addEventListener('click', () => { if (mode === 'select') { sel = { kind: 'lines', index: i }; redraw(); } });
      overlay.append(g);
      for (const p of [l.p1, l.p2]) overlay.append(svg('circle', { cx: p[0] * W, cy: p[1] * H, r: stroke * (chosen ? 3 : 2), class: 'handle' }));
    });
    for (const p of draft) overlay.append(svg('circle', { cx: p[0] * W, cy: p[1] * H, r: stroke * 3, class: 'handle draft' }));
    if (draft.length > 1) overlay.append(svg('polyline', { points: draft.map((p) => `${p[0] * W},${p[1] * H}`).join(' '), class: 'draft', 'stroke-width': stroke }));
    const defs = svg('defs');
    const marker = svg('marker', { id: 'arrowhead', markerWidth: 6, markerHeight: 6, refX: 3, refY: 3, orient: 'auto' });
    marker.append(svg('path', { d: 'M0,0 L6,3 L0,6 z', class: 'arrowhead' }));
    defs.append(marker);
    const hatch = svg('pattern', { id: 'mask-hatch', patternUnits: 'userSpaceOnUse', width: 12, height: 12, patternTransform: 'rotate(45)' });
    hatch.append(svg('line', { x1: 0, y1: 0, x2: 0, y2: 12, class: 'hatch' }));
    defs.append(hatch);
    overlay.prepend(defs);

    // ---- List ----
    clear(list);
    for (const kind of ['lines', 'zones'] as const)
      rules[kind].forEach((r, i) => {
        const errs = errorsFor(kind, i);
        const chosen = sel?.kind === kind && sel.index === i;
        list.append(
          h('li', { class: errs.length ? 'invalid' : '', 'data-rule': r.name },
            h('button', { type: 'button', class: 'linklike', 'aria-pressed': chosen ? 'true' : 'false', onclick: () => { sel = { kind, index: i }; redraw(); } }, `${kind === 'lines' ? 'Line' : 'Zone'} ${r.name}`),
            h('span', { class: 'muted count', 'data-count': r.name }, ` ${countText(r.name)}`),
            errs.map((e) => h('p', { class: 'error' }, e.message))),
        );
      });
    if (!rules.lines.length && !rules.zones.length) list.append(h('li', { class: 'muted' }, 'No rules yet: add a line or a zone.'));
    masks.forEach((m, i) => {
      const errs = errorsFor('masks', i);
      const chosen = sel?.kind === 'masks' && sel.index === i;
      list.append(
        h('li', { class: errs.length ? 'invalid' : '', 'data-mask': m.name || `mask ${i + 1}` },
          h('button', { type: 'button', class: 'linklike', 'aria-pressed': chosen ? 'true' : 'false', onclick: () => { sel = { kind: 'masks', index: i }; redraw(); } }, `Privacy mask ${m.name || i + 1}`),
          errs.map((e) => h('p', { class: 'error' }, e.message))),
      );
    });
    calib.forEach((c, i) => {
      const errs = errorsFor('calib', i);
      const chosen = sel?.kind === 'calib' && sel.index === i;
      list.append(
        h('li', { class: errs.length ? 'invalid' : '', 'data-calib': i + 1 },
          h('button', { type: 'button', class: 'linklike', 'aria-pressed': chosen ? 'true' : 'false', onclick: () => { sel = { kind: 'calib', index: i }; redraw(); } }, `Calibration point ${calibrationLabel(i, c.world)}`),
          errs.map((e) => h('p', { class: 'error' }, e.message))),
      );
    });
    // Errors about the calibration as a whole (too few points, collinear, residual too large).
    const whole = errorsFor('calib', -1);
    if (whole.length) list.append(h('li', { class: 'invalid', id: 'calib-errors' }, h('span', {}, 'Calibration'), whole.map((e) => h('p', { class: 'error', id: `err-calibration-${ruleErrorTarget(e.path)?.field ?? 'points'}` }, e.message))));
    fixed.textContent = fixedGeometryText(masks.length, calib.length);

    version.textContent = `Version ${doc.version} (node runs version ${doc.applied_version})${dirty ? ' · unsaved changes' : ''}`;
    saveBtn.disabled = !dirty;
    if (form) drawForm();
  }

  function drawCounts(): void {
    for (const span of list.querySelectorAll<HTMLElement>('[data-count]')) span.textContent = ` ${countText(span.dataset.count ?? '')}`;
    for (const t of overlay.querySelectorAll('text')) {
      const rule = t.closest('[data-rule]')?.getAttribute('data-rule') ?? t.getAttribute('data-zone');
      if (rule) t.textContent = `${t.closest('[data-rule]') ? 'in · ' : ''}${rule}: ${countText(rule)}`;
    }
    version.textContent = `Version ${doc.version} (node runs version ${doc.applied_version})${dirty ? ' · unsaved changes' : ''}`;
  }

  function drawForm(): void {
    clear(editor);
    if (!sel) return;
    const { kind, index } = sel;
    const errs = errorsFor(kind, index);
    const fieldErr = (f: string) => errs.filter((e) => ruleErrorTarget(e.path)?.field === f).map((e) => h('p', { class: 'error', id: `err-${f}` }, e.message));
    /** A number input; `range` 0..1 for image coordinates, none for metres. */
    const num = (label: string, id: string, get: () => number, set: (v: number) => void, unit: 'normalised' | 'm' = 'normalised', invalid = false) => {
      const i = h('input', unit === 'normalised' ? { id, type: 'number', min: 0, max: 1, step: 0.01, value: get(), 'aria-invalid': String(invalid) } : { id, type: 'number', step: 0.1, value: get(), 'aria-invalid': String(invalid) });
      i.addEventListener('change', () => { set(Number(i.value)); touch(false); });
      return field(label, i);
    };
    const corners = (poly: () => Pt[], set: (p: Pt[]) => void) => {
      const ta = h('textarea', { id: 'zone-points', rows: 3, 'aria-invalid': String(fieldErr('polygon').length > 0) }, poly().map((p) => `${p[0]},${p[1]}`).join(' '));
      ta.addEventListener('change', () => {
        set(ta.value.trim().split(/\s+/).filter((x) => x).map((x) => x.split(',').map(Number) as Pt));
        touch(false);
      });
      return [field('Corners (x,y pairs, 0..1)', ta), ...fieldErr('polygon')];
    };
    const parts: (HTMLElement | HTMLElement[])[] = [];
    if (kind === 'calib') {
      // ---- A calibration point: where the camera sees it, and where it is on the road ----
      const c = calib[index];
      const C = `C${index + 1}`;
      parts.push(
        h('h3', {}, `Calibration point ${C}`),
        h('p', { class: 'muted' }, 'A road point seen in the image, and its position on the road plane in metres (any origin; e.g. the corners of lane markings of known length).'),
        h('div', { class: 'row' }, num(`${C} image x (0..1)`, 'calib-image-x', () => c.image[0], (v) => (c.image = [v, c.image[1]]), 'normalised', fieldErr('image').length > 0), num(`${C} image y (0..1)`, 'calib-image-y', () => c.image[1], (v) => (c.image = [c.image[0], v]), 'normalised', fieldErr('image').length > 0)), fieldErr('image'),
        h('div', { class: 'row' }, num(`${C} world x (m)`, 'calib-world-x', () => c.world[0], (v) => (c.world = [v, c.world[1]]), 'm', fieldErr('world').length > 0), num(`${C} world y (m)`, 'calib-world-y', () => c.world[1], (v) => (c.world = [c.world[0], v]), 'm', fieldErr('world').length > 0)), fieldErr('world'),
        btn('delete-rule', 'Delete calibration point', () => { calib.splice(index, 1); sel = null; touch(); }),
      );
    } else if (kind === 'masks') {
      // ---- A privacy mask ----
      const m = masks[index];
      const nameIn = h('input', { id: 'rule-name', value: m.name ?? '', 'aria-invalid': String(fieldErr('name').length > 0) });
      nameIn.addEventListener('change', () => { m.name = nameIn.value.trim(); touch(false); });
      parts.push(
        h('h3', {}, 'Privacy mask'),
        h('p', { class: 'muted' }, 'Blacked out in every frame before analysis, and in the live view, snapshots and exports.'),
        field('Name (optional)', nameIn), fieldErr('name'),
        ...corners(() => m.polygon, (p) => (m.polygon = p)),
        btn('delete-rule', 'Delete mask', () => { masks.splice(index, 1); sel = null; touch(); }),
      );
    } else {
      // ---- A line or a zone ----
      const r = rules[kind][index];
      const nameIn = h('input', { id: 'rule-name', value: r.name, 'aria-invalid': fieldErr('name').length ? 'true' : 'false' });
      nameIn.addEventListener('change', () => { r.name = nameIn.value.trim(); touch(false); });
      parts.push(h('h3', {}, kind === 'lines' ? 'Line' : 'Zone'), field('Name', nameIn), fieldErr('name'));
      if (kind === 'lines') {
        const l = r as LineRule;
        parts.push(
          h('div', { class: 'row' }, num('p1 x', 'p1-x', () => l.p1[0], (v) => (l.p1 = [v, l.p1[1]])), num('p1 y', 'p1-y', () => l.p1[1], (v) => (l.p1 = [l.p1[0], v]))), fieldErr('p1'),
          h('div', { class: 'row' }, num('p2 x', 'p2-x', () => l.p2[0], (v) => (l.p2 = [v, l.p2[1]])), num('p2 y', 'p2-y', () => l.p2[1], (v) => (l.p2 = [l.p2[0], v]))), fieldErr('p2'),
          h('p', { class: 'muted' }, '“in” counts objects crossing in the direction of the arrow.'),
          btn('reverse-line', 'Reverse in/out', () => { rules.lines[index] = reversed(l); touch(); }),
        );
      } else {
        const z = r as ZoneRule;
        parts.push(...corners(() => z.polygon, (p) => (z.polygon = p)));
      }
      parts.push(btn('delete-rule', 'Delete rule', () => { rules[kind].splice(index, 1); sel = null; touch(); }));
    }
    editor.append(...parts.flat());
  }

  async function save(): Promise<void> {
    clear(msg);
    errors = [];
    // The whole run-time rules document; rule keys the editor does not show (stop lines) go back as they came.
    const calibration: Calibration | null = calib.length ? { ...(doc.calibration ?? {}), points: calib } : null;
    // A mask without a name is sent without one (the config refuses an empty name).
    const privacy_masks = masks.map((m) => (m.name ? { name: m.name, polygon: m.polygon } : { polygon: m.polygon }));
    const body: RulesBody = { rules: { ...rules, lines: rules.lines.map(clean), zones: rules.zones.map(clean) }, privacy_masks, calibration };
    const masksChanged = JSON.stringify(masks) !== JSON.stringify(doc.privacy_masks ?? []);
    try {
      doc = await request<RulesDoc>(`${base}/rules`, { method: 'PUT', json: body, headers: { 'If-Match': `"${doc.version}"` } });
      rules = structuredClone(doc.rules);
      masks = structuredClone(doc.privacy_masks ?? []);
      calib = structuredClone(doc.calibration?.points ?? []);
      // A new snapshot once the node runs the new masks: they are black in it.
      if (masksChanged) snapAfter = doc.version;
      dirty = false;
      msg.append(h('p', { class: 'ok' }, ctx.isCenter
        ? `Pushed: node ${where.site}/${where.node} keeps version ${doc.version} and applies it at its next frame, without a restart.`
        : `Saved version ${doc.version}; the node applies it at its next frame, without a restart.`));
      ctx.say(`Rules of ${title} ${ctx.isCenter ? 'pushed' : 'saved'} (version ${doc.version}).`);
    } catch (e) {
      if (e instanceof ApiError && e.code === 'invalid_rules') {
        errors = e.errors.length ? e.errors : [{ path: e.path, message: e.message }];
        msg.append(h('p', { class: 'error' }, 'The node refused these rules:'), h('ul', { class: 'error' }, errors.map((x) => h('li', {}, `${x.path}: ${x.message}`))));
      } else if (e instanceof ApiError && e.code === 'version_conflict') {
        msg.append(h('p', { class: 'error' }, `${e.message}.`));
      } else msg.append(h('p', { class: 'error' }, (e as Error).message));
    }
    redraw();
  }

  // ---- Counts of the last hour per rule, and the version the node runs ----
  let timer = 0;
  let left = false;
  ctx.onLeave(() => {
    left = true;
    window.clearTimeout(timer);
  });
  const poll = async () => {
    try {
      const until = Date.now();
      const r = await get<{ series: CountSeries[] }>(withQuery('/api/counts', { ...where, camera: name, bucket: '1h', since: iso(until - 3_600_000), until: iso(until + 60_000) }));
      const next = new Map<string, Record<string, number>>();
      for (const s of r.series) {
        const sum: Record<string, number> = {};
        for (const p of s.points) for (const [k, v] of Object.entries(p)) if (k !== 't') sum[k] = (sum[k] ?? 0) + Number(v);
        next.set(s.rule, sum);
      }
      counts = next;
      const fresh = await get<RulesDoc>(`${base}/rules`);
      doc.applied_version = fresh.version === doc.version ? fresh.applied_version : doc.applied_version;
      if (snapAfter !== null && doc.applied_version >= snapAfter) {
        snapAfter = null;
        img.src = snapUrl();
      }
      if (!drag) drawCounts();
    } catch {
      /* next poll */
    }
    if (!left) timer = window.setTimeout(poll, 3000);
  };
  setMode('select');
  await poll();
}
