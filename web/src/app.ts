// What every screen gets: who is logged in, where we are (node or center), and what the role may do.
import type { Me } from './api';

export interface Ctx {
  me: Me;
  /** node: "site/node"; center: "center" */
  place: string;
  canOperate: boolean; // clips, exports, recordings, rule editing
  canAudit: boolean; // the audit log
  isCenter: boolean;
  /** Query parameters of the current route (`#/search?camera=x`). */
  params: URLSearchParams;
  /** Registers a cleanup run when the screen is left (timers, streams). */
  onLeave(f: () => void): void;
  /** Shows a message in the status line (polite live region). */
  say(text: string, kind?: 'ok' | 'error'): void;
}

export type View = (root: HTMLElement, ctx: Ctx, arg: string) => void | Promise<void>;

export function rolesFor(me: Me): { canOperate: boolean; canAudit: boolean } {
  return {
    canOperate: me.role === 'operator' || me.role === 'admin',
    canAudit: me.role === 'auditor' || me.role === 'admin',
  };
}
