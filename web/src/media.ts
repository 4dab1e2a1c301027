// Where the pictures of a camera come from: the node's live view and snapshot (faces blurred, the
// analysis overlays drawn unless the operator turned them off), and on the center the node's
// snapshot relayed over NATS. Pure functions, plus the remembered overlay choice.
import { withQuery } from './api';

export interface ViewOptions {
  /** false: the frame without boxes, track ids, lines and zones (`overlays=0`) */
  overlays?: boolean;
  /** unblurred (auditor, admin), with the stated reason the server audits */
  raw?: boolean;
  reason?: string;
  /** a cache breaker for snapshots */
  t?: number;
}

/** `live.mjpeg` or `snapshot.jpg` URL with the view's options (the server's defaults left out). */
export function viewUrl(base: string, o: ViewOptions = {}): string {
  return withQuery(base, {
    overlays: o.overlays === false ? 0 : undefined,
    raw: o.raw ? 1 : undefined,
    reason: o.raw ? o.reason : undefined,
    t: o.t,
  });
}

/** The center's relay of a node camera's latest picture (blurred by the node, audited by both);
 *  `overlays` false asks the node for it without its overlays. */
export function relaySnapshotUrl(site: string, node: string, camera: string, o: Pick<ViewOptions, 'overlays'> = {}): string {
  const enc = encodeURIComponent;
  return viewUrl(`/api/nodes/${enc(site)}/${enc(node)}/cameras/${enc(camera)}/snapshot.jpg`, { overlays: o.overlays });
}

/** Seconds until the center grid asks for a camera's picture again: every few seconds while the
 *  node answers, backing off (up to a minute) while it does not. */
export const PICTURE_EVERY_S = 5;
export function nextPictureDelayS(consecutiveFailures: number): number {
  if (consecutiveFailures <= 0) return PICTURE_EVERY_S;
  return Math.min(60, PICTURE_EVERY_S * 2 ** Math.min(consecutiveFailures, 4));
}

const KEY = 'vsp.overlays';
/** The overlay choice, kept in this browser (on unless turned off). */
export function overlaysOn(store: Pick<Storage, 'getItem'> | null = safeStorage()): boolean {
  return store?.getItem(KEY) !== '0';
}
export function setOverlaysOn(on: boolean, store: Pick<Storage, 'setItem'> | null = safeStorage()): void {
  store?.setItem(KEY, on ? '1' : '0');
}
function safeStorage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null; // storage disabled: the choice lasts for the page only
  }
}
