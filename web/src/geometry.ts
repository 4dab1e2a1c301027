// Rule geometry for the editor, pure (tested in geometry.test.ts). Rules are stored normalised
// (0..1, origin top-left, y down); the editor draws in frame pixels.

export type Pt = [number, number];

/** The side a line's `in` direction points to: `in` = from the left of p1→p2 to its right on
 *  screen (y down), the node's convention (analytics/options.hpp). Returns the arrow from the
 *  segment's midpoint, `len` pixels long, in pixel coordinates of a `w`×`h` frame. */
export function inArrow(p1: Pt, p2: Pt, w: number, h: number, len: number): { from: Pt; to: Pt } {
  const a: Pt = [p1[0] * w, p1[1] * h];
  const b: Pt = [p2[0] * w, p2[1] * h];
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const n = Math.hypot(dx, dy) || 1;
  const mid: Pt = [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
  // Right-hand normal in y-down coordinates: (-dy, dx).
  return { from: mid, to: [mid[0] + (-dy / n) * len, mid[1] + (dx / n) * len] };
}

/** Which side of p1→p2 a normalised point is on, in the frame's pixels: +1 = the `in` side
 *  (right of the direction), -1 = the `out` side, 0 = on the line. */
export function side(p1: Pt, p2: Pt, q: Pt, w: number, h: number): number {
  const c = (p2[0] - p1[0]) * w * ((q[1] - p1[1]) * h) - (p2[1] - p1[1]) * h * ((q[0] - p1[0]) * w);
  return c > 1e-9 ? 1 : c < -1e-9 ? -1 : 0;
}

/** A pixel position as a normalised point, clamped to the frame and rounded to 4 decimals. */
export function normalise(x: number, y: number, w: number, h: number): Pt {
  const c = (v: number) => Math.round(Math.min(1, Math.max(0, v)) * 10000) / 10000;
  return [c(x / w), c(y / h)];
}

/** Index of the point within `radius` pixels of (x, y), nearest first; -1 when none. */
export function nearest(points: Pt[], x: number, y: number, w: number, h: number, radius: number): number {
  let best = -1;
  let bestD = radius;
  points.forEach((p, i) => {
    const d = Math.hypot(p[0] * w - x, p[1] * h - y);
    if (d <= bestD) {
      best = i;
      bestD = d;
    }
  });
  return best;
}

/** `base-1`, `base-2`, ... : the first name not taken. */
export function freshName(base: string, taken: string[]): string {
  for (let i = 1; ; ++i) if (!taken.includes(`${base}-${i}`)) return `${base}-${i}`;
}

/** Swaps a line's ends: the `in` and `out` directions trade places. */
export function reversed<T extends { p1: Pt; p2: Pt }>(line: T): T {
  return { ...line, p1: line.p2, p2: line.p1 };
}

/** What an error is about in the editor: a line, zone or privacy mask (`index`), or a calibration
 *  point (`calib`; index -1 = the calibration as a whole, e.g. collinear points). */
export type ErrorKind = 'lines' | 'zones' | 'masks' | 'calib';

/** Splits an API error path (`cameras[gate].rules.lines[0].p2`, `cameras[gate].privacy_masks[1].polygon`,
 *  `cameras[gate].calibration.points[2].world`, `cameras[gate].calibration.points`) into what the
 *  editor shows it at. */
export function ruleErrorTarget(path: string): { kind: ErrorKind; index: number; field: string } | null {
  const r = path.match(/rules\.(lines|zones)\[(\d+)\](?:\.([a-z_0-9]+))?/);
  if (r) return { kind: r[1] as 'lines' | 'zones', index: Number(r[2]), field: r[3] ?? '' };
  const m = path.match(/privacy_masks\[(\d+)\](?:\.([a-z_0-9]+))?/);
  if (m) return { kind: 'masks', index: Number(m[1]), field: m[2] ?? '' };
  const c = path.match(/calibration(?:\.points(?:\[(\d+)\](?:\.([a-z_0-9]+))?)?|\.([a-z_0-9]+))?/);
  if (c) return { kind: 'calib', index: c[1] === undefined ? -1 : Number(c[1]), field: c[2] ?? c[3] ?? (c[1] === undefined ? 'points' : '') };
  return null;
}

/** Bucket sizes the counts API takes, in ms. */
export const BUCKETS: Record<string, number> = { '1m': 60_000, '15m': 900_000, '1h': 3_600_000, '1d': 86_400_000 };

/** Time axis and one column per key for a counts series: missing buckets are 0, so a quiet
 *  minute reads as zero instead of a line drawn across it. */
export function countColumns(points: ({ t: string } & Record<string, number | string>)[], since: number, until: number, bucketMs: number, keys: string[]): number[][] {
  const start = Math.floor(since / bucketMs) * bucketMs;
  const xs: number[] = [];
  for (let t = start; t < until; t += bucketMs) xs.push(t / 1000);
  const byT = new Map(points.map((p) => [Date.parse(p.t) / 1000, p]));
  return [xs, ...keys.map((k) => xs.map((x) => Number(byT.get(x)?.[k] ?? 0)))];
}

/** The label of calibration point `i` (0-based) on the snapshot: its number and where it is on
 *  the road plane, in metres (at most 2 decimals). */
export function calibrationLabel(i: number, world: Pt): string {
  const m = (v: number) => String(Math.round(v * 100) / 100);
  return `C${i + 1} (${m(world[0])}, ${m(world[1])} m)`;
}

/** What the editor says about the privacy masks and calibration points it edits. */
export function fixedGeometryText(masks: number, calibrationPoints: number): string {
  const m = masks ? `${masks} privacy mask${masks === 1 ? '' : 's'} (hatched; black in every view, snapshot and export)` : 'no privacy masks';
  const c = calibrationPoints ? `${calibrationPoints} calibration point${calibrationPoints === 1 ? '' : 's'} (C1…; image point ↔ road plane in metres, at least 4)` : 'no calibration (road rules in metres need at least 4 points)';
  return `${m[0].toUpperCase()}${m.slice(1)}; ${c}.`;
}
