// Rule editor: the camera's lines (with their `in` arrow) and zones drawn on its snapshot. Draw,
// drag handles, or type coordinates; Save validates on the node with the config's own checks
// (errors shown at the rule and field) and the node swaps the rules in without a restart. On the
// center the same editor works on `site/node/camera`: the center carries every read and the save
// to the node over NATS (the node confirms with the version it keeps and the one it runs).
import { ApiError, get, request, withQuery, type Camera, type CountSeries, type LineRule, type NodeRow, type Rules, type RulesDoc, type ZoneRule } from '../api';
import type { Ctx } from '../app';
import { clear, field, h, iso, svg } from '../dom';
import { viewUrl } from '../media';
import { calibrationLabel, fixedGeometryText, freshName, inArrow, nearest, normalise, reversed, ruleErrorTarget, type Pt } from '../geometry';

type Sel = { kind: 'lines' | 'zones'; index: number } | null;
type Mode = 'select' | 'line' | 'zone';

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
  // The node's own snapshot without its overlays (the editor draws the rules being edited, not the
  // ones running); the center's relay gives the node's with them.
  const snapUrl = () => viewUrl(`${base}/snapshot.jpg`, { overlays: ctx.isCenter ? undefined : false, t: Date.now() });
  let doc: RulesDoc;
  try {
    doc = await get<RulesDoc>(`${base}/rules`);
  } catch (e) {
    // The center cannot reach the node (offline): say so where the editor would be.
    root.append(h('h2', {}, `Rules · ${title}`), h('p', { class: 'error', id: 'rules-msg', role: 'alert' }, (e as Error).message));
    return;
  }
  let rules: Rules = structuredClone(doc.rules);
  let sel: Sel = null;
  let mode: Mode = 'select';
  let draft: Pt[] = [];
  let dirty = false;
  let errors: { path: string; message: string }[] = [];
  let counts = new Map<string, Record<string, number>>();
  let W = 1280;
  let H = 720;

  const img = h('img', { class: 'rules-snap', alt: `${title}: latest frame${ctx.isCenter ? ' with overlays' : ''}, faces blurred`, src: snapUrl() });
  const overlay = svg('svg', { class: 'rules-overlay', id: 'rules-canvas', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'Rules drawn on the snapshot' }) as SVGSVGElement;
  const stage = h('div', { class: 'stage' }, img, overlay);
  const list = h('ul', { class: 'rule-list', id: 'rule-list', 'aria-label': 'Rules' });
  const editor = h('div', { class: 'rule-form', id: 'rule-form' });
  const msg = h('div', { id: 'rules-msg', role: 'alert' });
  const hint = h('p', { class: 'muted', id: 'rules-hint' });
  const version = h('p', { class: 'muted', id: 'rules-version' });
  const masks = doc.privacy_masks ?? [];
  const calib = doc.calibration?.points ?? [];
  const fixed = h('p', { class: 'muted', id: 'rules-fixed' }, fixedGeometryText(masks.length, calib.length));
  const btn = (id: string, label: string, onclick: () => void) => h('button', { type: 'button', id, onclick }, label);
  const toolbar = h(
    'div',
    { class: 'row wrap', role: 'toolbar', 'aria-label': 'Drawing tools' },
    btn('add-line', 'Add line', () => setMode('line')),
    btn('add-zone', 'Add zone', () => setMode('zone')),
    btn('finish-zone', 'Finish zone', () => finishZone()),
    btn('refresh-snap', 'New snapshot', () => (img.src = snapUrl())),
  );
  const saveBtn = btn('save-rules', ctx.isCenter ? 'Push to node' : 'Save and apply', () => void save());
  const revertBtn = btn('revert-rules', 'Revert', () => {
    rules = structuredClone(doc.rules);
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
    hint.textContent = m === 'line' ? 'Click the start, then the end of the line. Escape cancels.' : m === 'zone' ? 'Click the corners of the zone, then Finish zone (or Enter). Escape cancels.' : 'Drag a handle to move it, or select a rule to type its coordinates.';
    redraw();
  };
  /** After an edit: everything is redrawn, except the form when the edit came from it (the
   *  control keeps its focus). */
  const touch = (form = true) => {
    dirty = true;
    redraw(form);
  };
  const finishZone = () => {
    if (mode !== 'zone' || draft.length < 3) return;
    const z: ZoneRule = { name: freshName('zone', [...rules.lines, ...rules.zones].map((r) => r.name)), polygon: draft };
    rules.zones.push(z);
    sel = { kind: 'zones', index: rules.zones.length - 1 };
    setMode('select');
    touch();
  };

  const toPx = (ev: MouseEvent): [number, number] => {
    const r = overlay.getBoundingClientRect();
    return [((ev.clientX - r.left) / r.width) * W, ((ev.clientY - r.top) / r.height) * H];
  };
  let drag: { kind: 'lines' | 'zones'; index: number; point: number } | null = null;
  overlay.addEventListener('mousedown', (ev) => {
    const [x, y] = toPx(ev);
    if (mode !== 'select') return;
    const radius = (14 * W) / overlay.getBoundingClientRect().width;
    for (const kind of ['lines', 'zones'] as const)
      for (let i = 0; i < rules[kind].length; ++i) {
        const r = rules[kind][i];
        const pts = kind === 'lines' ? [(r as LineRule).p1, (r as LineRule).p2] : (r as ZoneRule).polygon;
        const k = nearest(pts, x, y, W, H, radius);
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
    } else rules.zones[drag.index].polygon[drag.point] = p;
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
    } else if (mode === 'zone') {
      draft.push(normalise(x, y, W, H));
      redraw();
    }
  });
  overlay.addEventListener('dblclick', () => finishZone());
  const onKey = (ev: KeyboardEvent) => {
    if (ev.key === 'Escape' && mode !== 'select') setMode('select');
    if (ev.key === 'Enter' && mode === 'zone') finishZone();
  };
  document.addEventListener('keydown', onKey);
  ctx.onLeave(() => document.removeEventListener('keydown', onKey));

  const errorsFor = (kind: 'lines' | 'zones', index: number) =>
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
    // Read-only: the privacy masks (black in the snapshot already) and the calibration points.
    const fixedLayer = svg('g', { class: 'fixed', 'aria-hidden': 'true' });
    masks.forEach((m, i) => {
      fixedLayer.append(svg('polygon', { points: m.polygon.map((p) => `${p[0] * W},${p[1] * H}`).join(' '), class: 'mask', 'stroke-width': stroke, 'data-mask': m.name || `mask ${i + 1}` }));
      const t = svg('text', { x: m.polygon[0][0] * W + 4, y: m.polygon[0][1] * H + font, class: 'label mask-label', 'font-size': font });
      t.textContent = `privacy mask${m.name ? ` ${m.name}` : ''}`;
      fixedLayer.append(t);
    });
    calib.forEach((c, i) => {
      const [x, y] = [c.image[0] * W, c.image[1] * H];
      fixedLayer.append(svg('path', { d: `M${x - stroke * 4},${y} h${stroke * 8} M${x},${y - stroke * 4} v${stroke * 8}`, class: 'calib', 'stroke-width': stroke, 'data-calib': i + 1 }));
      const t = svg('text', { x: x + stroke * 5, y: y - stroke * 2, class: 'label calib-label', 'font-size': font * 0.8 });
      t.textContent = calibrationLabel(i, c.world);
      fixedLayer.append(t);
    });
    overlay.append(fixedLayer);
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
    if (sel) {
      const kind = sel.kind;
      const index = sel.index;
      const r = rules[kind][index];
      const errs = errorsFor(kind, index);
      const fieldErr = (f: string) => errs.filter((e) => ruleErrorTarget(e.path)?.field === f).map((e) => h('p', { class: 'error', id: `err-${f}` }, e.message));
      const nameIn = h('input', { id: 'rule-name', value: r.name, 'aria-invalid': fieldErr('name').length ? 'true' : 'false' });
      nameIn.addEventListener('change', () => { r.name = nameIn.value.trim(); touch(false); });
      const parts: (HTMLElement | HTMLElement[])[] = [h('h3', {}, kind === 'lines' ? 'Line' : 'Zone'), field('Name', nameIn), fieldErr('name')];
      if (kind === 'lines') {
        const l = r as LineRule;
        const num = (label: string, get: () => number, set: (v: number) => void) => {
          const i = h('input', { type: 'number', min: 0, max: 1, step: 0.01, value: get() });
          i.addEventListener('change', () => { set(Number(i.value)); touch(false); });
          return field(label, i);
        };
        parts.push(
          h('div', { class: 'row' }, num('p1 x', () => l.p1[0], (v) => (l.p1 = [v, l.p1[1]])), num('p1 y', () => l.p1[1], (v) => (l.p1 = [l.p1[0], v]))), fieldErr('p1'),
          h('div', { class: 'row' }, num('p2 x', () => l.p2[0], (v) => (l.p2 = [v, l.p2[1]])), num('p2 y', () => l.p2[1], (v) => (l.p2 = [l.p2[0], v]))), fieldErr('p2'),
          h('p', { class: 'muted' }, '“in” counts objects crossing in the direction of the arrow.'),
          btn('reverse-line', 'Reverse in/out', () => { rules.lines[index] = reversed(l); touch(); }),
        );
      } else {
        const z = r as ZoneRule;
        const ta = h('textarea', { id: 'zone-points', rows: 3 }, z.polygon.map((p) => `${p[0]},${p[1]}`).join(' '));
        ta.addEventListener('change', () => {
          z.polygon = ta.value.trim().split(/\s+/).map((s) => s.split(',').map(Number) as Pt);
          touch(false);
        });
        parts.push(field('Corners (x,y pairs, 0..1)', ta), fieldErr('polygon'));
      }
      parts.push(btn('delete-rule', 'Delete rule', () => { rules[kind].splice(index, 1); sel = null; touch(); }));
      editor.append(...parts.flat());
    }
  }

  async function save(): Promise<void> {
    clear(msg);
    errors = [];
    const body: Rules = { lines: rules.lines.map(clean), zones: rules.zones.map(clean) };
    try {
      doc = await request<RulesDoc>(`${base}/rules`, { method: 'PUT', json: body, headers: { 'If-Match': `"${doc.version}"` } });
      rules = structuredClone(doc.rules);
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
      if (!drag) drawCounts();
    } catch {
      /* next poll */
    }
    if (!left) timer = window.setTimeout(poll, 3000);
  };
  setMode('select');
  await poll();
}
