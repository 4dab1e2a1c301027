import { describe, expect, it } from 'vitest';
import { nextPictureDelayS, overlaysOn, relaySnapshotUrl, setOverlaysOn, viewUrl } from './media';

describe('camera picture URLs', () => {
  it('the_default_view_adds_nothing', () => {
    expect(viewUrl('/api/cameras/gate/live.mjpeg')).toBe('/api/cameras/gate/live.mjpeg');
    expect(viewUrl('/api/cameras/gate/live.mjpeg', { overlays: true })).toBe('/api/cameras/gate/live.mjpeg');
  });
  it('overlays_off_asks_for_overlays_0', () => {
    expect(viewUrl('/api/cameras/gate/live.mjpeg', { overlays: false })).toBe('/api/cameras/gate/live.mjpeg?overlays=0');
    expect(viewUrl('/api/cameras/gate/snapshot.jpg', { overlays: false, t: 42 })).toBe('/api/cameras/gate/snapshot.jpg?overlays=0&t=42');
  });
  it('a_reason_goes_only_with_raw', () => {
    expect(viewUrl('/l', { raw: true, reason: 'incident 4711', overlays: false })).toBe('/l?overlays=0&raw=1&reason=incident+4711');
    expect(viewUrl('/l', { raw: false, reason: 'incident 4711' })).toBe('/l');
  });
  it('the_center_relay_escapes_each_part', () => {
    expect(relaySnapshotUrl('north', 'n 1', 'gate/2')).toBe('/api/nodes/north/n%201/cameras/gate%2F2/snapshot.jpg');
    expect(relaySnapshotUrl('north', 'n 1', 'gate', { overlays: false })).toBe('/api/nodes/north/n%201/cameras/gate/snapshot.jpg?overlays=0');
    expect(relaySnapshotUrl('north', 'n 1', 'gate', { overlays: true })).toBe('/api/nodes/north/n%201/cameras/gate/snapshot.jpg');
  });
});

describe('center grid refresh', () => {
  it('every_few_seconds_while_the_node_answers', () => {
    expect(nextPictureDelayS(0)).toBe(5);
  });
  it('backs_off_to_a_minute_while_it_does_not', () => {
    expect(nextPictureDelayS(1)).toBe(10);
    expect(nextPictureDelayS(2)).toBe(20);
    expect(nextPictureDelayS(3)).toBe(40);
    expect(nextPictureDelayS(4)).toBe(60);
    expect(nextPictureDelayS(50)).toBe(60);
  });
});

describe('the overlay choice', () => {
  const mem = () => {
    const m = new Map<string, string>();
    return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v) };
  };
  it('is_on_until_turned_off_and_remembered', () => {
    const s = mem();
    expect(overlaysOn(s)).toBe(true);
    setOverlaysOn(false, s);
    expect(overlaysOn(s)).toBe(false);
    setOverlaysOn(true, s);
    expect(overlaysOn(s)).toBe(true);
  });
  it('without_storage_it_is_on', () => {
    expect(overlaysOn(null)).toBe(true);
  });
});
