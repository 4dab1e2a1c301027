// The node's and the center's HTTP API: one fetch wrapper (cookies, CSRF, errors as values the
// screens can show at the field), and the shapes the screens use.

export interface Me {
  name: string;
  role: 'viewer' | 'operator' | 'admin' | 'auditor';
  auth: 'session' | 'token' | 'open';
  kind: 'node' | 'center';
}

export interface Camera {
  name: string;
  state: 'connecting' | 'streaming' | 'reconnecting' | 'failed' | 'stopped';
  last_error: string;
  fps_in?: number;
  fps_analysed?: number;
  width?: number;
  height?: number;
  analysis_packets_dropped?: number;
  frames_analysed?: number;
  frames_detected?: number;
  reconnects?: number;
  restarts?: number;
  segments?: number;
  events?: number;
  recording?: string;
  snapshot?: string;
  live?: string;
  /** center only: where the camera is */
  site?: string;
  node?: string;
}

export interface VspEvent {
  id: string;
  site: string;
  node: string;
  camera: string;
  type: string;
  ts_utc: string;
  pts_s: number;
  track_id: number;
  class: string;
  rule: string;
  direction?: string;
  dwell_s?: number;
  text?: string;
  confidence?: number;
  snapshot_ref?: string;
  evidence_ref?: string;
}

export interface Recording {
  camera: string;
  start: string;
  end: string;
  duration_s: number;
  bytes: number;
}

export interface CountSeries {
  camera: string;
  rule: string;
  site?: string;
  node?: string;
  points: ({ t: string } & Record<string, number | string>)[];
}

export interface LineRule {
  name: string;
  p1: [number, number];
  p2: [number, number];
  [key: string]: unknown;
}
export interface ZoneRule {
  name: string;
  polygon: [number, number][];
  [key: string]: unknown;
}
export interface Rules {
  lines: LineRule[];
  zones: ZoneRule[];
}
export interface PrivacyMask {
  /** optional label; left out when none */
  name?: string;
  polygon: [number, number][];
}
export interface CalibrationPoint {
  /** normalised 0..1 in the frame */
  image: [number, number];
  /** metres on the road plane */
  world: [number, number];
}
export interface Calibration {
  points: CalibrationPoint[];
  [key: string]: unknown;
}
/** What PUT .../rules takes: the camera's run-time rules document. */
export interface RulesBody {
  rules: Rules;
  privacy_masks: PrivacyMask[];
  calibration: Calibration | null;
}
export interface RulesDoc {
  camera: string;
  version: number;
  applied_version: number;
  rules: Rules;
  /** blacked out in every frame, view and export; edited with the rules */
  privacy_masks: PrivacyMask[];
  /** ground plane of the road rules (none: null); edited with the rules */
  calibration: Calibration | null;
  /** center only: the node that answered */
  site?: string;
  node?: string;
}

/** One firing of a center alert rule (GET /api/alerts). */
export interface AlertRow {
  id: string;
  alert: string;
  state: 'open' | 'acknowledged';
  event_id: string;
  site: string;
  node: string;
  camera: string;
  type: string;
  ts_utc: string;
  fired_at: string;
  count: number;
  event: VspEvent;
  acknowledged_by?: string;
  acknowledged_at?: string;
}

export interface NodeRow {
  site: string;
  node: string;
  last_heartbeat: string;
  seconds_since_heartbeat: number;
  cameras: { name: string; state: string; last_error: string }[];
  outbox_pending: number;
  outbox_dropped_total: number;
  lag_s: number;
}

export interface AuditRecord {
  seq: number;
  time: string;
  user: string;
  role: string;
  address: string;
  action: string;
  target: string;
  reason: string;
  result: string;
  hash: string;
}

/** An API error: the HTTP status and the server's `{code, message, path}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly path: string = '',
    readonly errors: { path: string; message: string }[] = [],
  ) {
    super(message);
  }
}

/** Called when the server says the session is gone (401): the app shows the login again. */
let onUnauthenticated: (why: string) => void = () => {};
export function setUnauthenticatedHandler(f: (why: string) => void): void {
  onUnauthenticated = f;
}

export function csrfToken(): string {
  const m = document.cookie.match(/(?:^|; )vsp_csrf=([0-9a-zA-Z_-]+)/);
  return m ? m[1] : '';
}

export async function request<T>(path: string, init: RequestInit & { json?: unknown; quiet401?: boolean } = {}): Promise<T> {
  const headers = new Headers(init.headers);
  const method = (init.method ?? 'GET').toUpperCase();
  let body = init.body;
  if (init.json !== undefined) {
    headers.set('Content-Type', 'application/json');
    body = JSON.stringify(init.json);
  }
  if (method !== 'GET' && method !== 'HEAD') headers.set('X-CSRF-Token', csrfToken());
  const r = await fetch(path, { ...init, method, headers, body, credentials: 'same-origin' });
  if (!r.ok) {
    const e = (await r.json().catch(() => ({}))) as { code?: string; message?: string; path?: string; errors?: { path: string; message: string }[] };
    const err = new ApiError(r.status, e.code ?? 'http_' + r.status, e.message ?? `${method} ${path}: HTTP ${r.status}`, e.path ?? '', e.errors ?? []);
    if (r.status === 401 && !init.quiet401) onUnauthenticated(err.code === 'session_expired' ? 'Your session has expired. Log in again.' : 'Log in to continue.');
    throw err;
  }
  const type = r.headers.get('Content-Type') ?? '';
  return (type.startsWith('application/json') ? await r.json() : await r.text()) as T;
}

export const get = <T>(path: string) => request<T>(path);

/** `path?k=v&...` without the empty values. */
export function withQuery(path: string, q: Record<string, string | number | undefined | null>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `${path}?${s}` : path;
}

export function login(name: string, password: string): Promise<{ name: string; role: string; expires: string }> {
  return request('/api/login', { method: 'POST', json: { name, password }, quiet401: true });
}
export function logout(): Promise<unknown> {
  return request('/api/logout', { method: 'POST' });
}
