// Camera state badges, shared by the grid, the camera page and the fleet.
import { h } from '../dom';

const words: Record<string, string> = {
  streaming: 'streaming',
  connecting: 'connecting',
  reconnecting: 'reconnecting',
  failed: 'failed',
  stopped: 'stopped',
};

export function badge(state: string): HTMLElement {
  return h('span', { class: `badge state-${state}`, 'data-state': state }, words[state] ?? state);
}
