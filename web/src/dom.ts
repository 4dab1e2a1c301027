// Small DOM helpers: no framework, every element built with `h` (text is always set as text,
// never parsed as HTML, so names and errors from the server cannot inject markup).

type Attrs = Record<string, string | number | boolean | EventListener | undefined | null>;
type Child = Node | string | number | null | undefined | false;
export type Children = (Child | Children)[];

/** Appends children, skipping null/false and flattening nested lists. */
export function add(el: Element, ...children: Children): void {
  for (const c of children.flat(Infinity as 1) as Child[]) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Children): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v as EventListener);
    else if (k === 'class') el.className = String(v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  add(el, ...children);
  return el;
}

export function svg(tag: string, attrs: Record<string, string | number> = {}): SVGElement {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

/** "2026-11-30 06:42:10" in UTC from an RFC 3339 string or epoch ms. */
export function fmtTime(t: string | number): string {
  const d = typeof t === 'number' ? new Date(t) : new Date(t);
  return d.toISOString().replace('T', ' ').slice(0, 19);
}

/** RFC 3339 UTC with milliseconds, as the API wants. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** A value for <input type="datetime-local"> (UTC) and back. */
export function toLocalInput(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}
export function fromLocalInput(v: string): number | null {
  if (!v) return null;
  const ms = Date.parse((v.length === 16 ? v + ':00' : v) + 'Z');
  return Number.isNaN(ms) ? null : ms;
}

export function clear(el: Element): void {
  while (el.firstChild) el.firstChild.remove();
}

let seq = 0;
/** A fresh id for label/input pairs. */
export function uid(prefix = 'f'): string {
  return `${prefix}${++seq}`;
}

/** A labelled form field: the label is tied to the control by id. */
export function field(label: string, control: HTMLElement): HTMLElement {
  if (!control.id) control.id = uid();
  return h('div', { class: 'field' }, h('label', { for: control.id }, label), control);
}
