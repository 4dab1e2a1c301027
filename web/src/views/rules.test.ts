import { describe, expect, it } from 'vitest';
import { cameraApi } from './rules';

describe('where the rule editor reads and saves', () => {
  it('on_a_node_the_camera_is_its_own_api', () => {
    expect(cameraApi(false, 'gate')).toEqual({ name: 'gate', title: 'gate', base: '/api/cameras/gate', where: {} });
  });
  it('on_the_center_site_node_camera_go_through_the_center_to_the_node', () => {
    expect(cameraApi(true, 'north/n 1/gate')).toEqual({
      name: 'gate',
      title: 'north/n 1/gate',
      base: '/api/nodes/north/n%201/cameras/gate',
      where: { site: 'north', node: 'n 1' },
    });
  });
  it('on_the_center_a_bare_camera_name_is_not_an_address', () => {
    expect(cameraApi(true, 'gate')).toBeNull();
    expect(cameraApi(true, 'north//gate')).toBeNull();
  });
});
