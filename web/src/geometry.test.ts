import { describe, expect, it } from 'vitest';
import { BUCKETS, countColumns, freshName, inArrow, nearest, normalise, reversed, ruleErrorTarget, side } from './geometry';
import { calibrationLabel, fixedGeometryText } from './geometry';

describe('rule geometry', () => {
  it('in_arrow_of_a_left_to_right_line_points_down_on_screen', () => {
    const a = inArrow([0.2, 0.5], [0.8, 0.5], 100, 100, 10);
    expect(a.from).toEqual([50, 50]);
    expect(a.to[0]).toBeCloseTo(50);
    expect(a.to[1]).toBeCloseTo(60);
  });
  it('in_arrow_agrees_with_the_side_the_node_calls_in', () => {
    const p1: [number, number] = [0.5, 0.1];
    const p2: [number, number] = [0.5, 0.9];
    const a = inArrow(p1, p2, 640, 360, 20);
    expect(side(p1, p2, [a.to[0] / 640, a.to[1] / 360], 640, 360)).toBe(1);
    expect(side(p1, p2, [0.9, 0.5], 640, 360)).toBe(-1); // downwards line: its right is screen left
  });
  it('reversing_a_line_swaps_in_and_out', () => {
    const l = { p1: [0.1, 0.2] as [number, number], p2: [0.9, 0.2] as [number, number] };
    expect(side(reversed(l).p1, reversed(l).p2, [0.5, 0.5], 10, 10)).toBe(-side(l.p1, l.p2, [0.5, 0.5], 10, 10));
  });
  it('normalise_clamps_to_the_frame_and_rounds', () => {
    expect(normalise(-5, 50, 100, 200)).toEqual([0, 0.25]);
    expect(normalise(33.33333, 250, 100, 200)).toEqual([0.3333, 1]);
  });
  it('nearest_picks_the_closest_handle_within_the_radius_only', () => {
    const pts: [number, number][] = [[0.1, 0.1], [0.12, 0.1], [0.9, 0.9]];
    expect(nearest(pts, 12, 10, 100, 100, 5)).toBe(1);
    expect(nearest(pts, 50, 50, 100, 100, 5)).toBe(-1);
  });
  it('fresh_names_skip_the_taken_ones', () => {
    expect(freshName('line', ['line-1', 'line-3'])).toBe('line-2');
  });
  it('error_paths_point_at_the_rule_and_field', () => {
    expect(ruleErrorTarget('cameras[gate].rules.lines[2].p2')).toEqual({ kind: 'lines', index: 2, field: 'p2' });
    expect(ruleErrorTarget('cameras[gate].rules.zones[0]')).toEqual({ kind: 'zones', index: 0, field: '' });
    expect(ruleErrorTarget('cameras[gate].detector')).toBeNull();
    expect(ruleErrorTarget('cameras[gate].privacy_masks[1].polygon')).toEqual({ kind: 'masks', index: 1, field: 'polygon' });
    expect(ruleErrorTarget('cameras[gate].calibration.points[2].world')).toEqual({ kind: 'calib', index: 2, field: 'world' });
    expect(ruleErrorTarget('cameras[gate].calibration.points[2].image[0]')).toEqual({ kind: 'calib', index: 2, field: 'image' });
    expect(ruleErrorTarget('cameras[gate].privacy_masks[0].polygon[1][0]')).toEqual({ kind: 'masks', index: 0, field: 'polygon' });
    expect(ruleErrorTarget('cameras[gate].calibration.points')).toEqual({ kind: 'calib', index: -1, field: 'points' });
    expect(ruleErrorTarget('cameras[gate].calibration.max_residual_m')).toEqual({ kind: 'calib', index: -1, field: 'max_residual_m' });
    expect(ruleErrorTarget('cameras[gate].calibration')).toEqual({ kind: 'calib', index: -1, field: 'points' });
  });
  it('count_columns_fill_quiet_buckets_with_zero', () => {
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    const cols = countColumns([{ t: '2026-01-01T00:01:00.000Z', in: 3, out: 1 }], t0, t0 + 3 * 60_000, BUCKETS['1m'], ['in', 'out']);
    expect(cols[0].length).toBe(3);
    expect(cols[1]).toEqual([0, 3, 0]);
    expect(cols[2]).toEqual([0, 1, 0]);
  });
});

describe('masks and calibration points', () => {
  it('calibration_points_are_numbered_with_their_road_position', () => {
    expect(calibrationLabel(0, [3.5, 0])).toBe('C1 (3.5, 0 m)');
    expect(calibrationLabel(3, [12.3456, -7.001])).toBe('C4 (12.35, -7 m)');
  });
  it('the_editor_says_what_masks_and_calibration_points_it_edits', () => {
    expect(fixedGeometryText(0, 0)).toBe('No privacy masks; no calibration (road rules in metres need at least 4 points).');
    expect(fixedGeometryText(1, 0)).toBe('1 privacy mask (hatched; black in every view, snapshot and export); no calibration (road rules in metres need at least 4 points).');
    expect(fixedGeometryText(2, 4)).toBe('2 privacy masks (hatched; black in every view, snapshot and export); 4 calibration points (C1…; image point ↔ road plane in metres, at least 4).');
  });
});
