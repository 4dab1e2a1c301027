// The audit log (auditor, admin): who did what, oldest first, paged; each record chained to the
// one before by its hash (`vsp audit verify` checks the chain).
import { get, withQuery, type AuditRecord } from '../api';
import type { Ctx } from '../app';
import { clear, fmtTime, h } from '../dom';

export async function auditView(root: HTMLElement, _ctx: Ctx): Promise<void> {
  const tbody = h('tbody');
  const pager = h('div', { class: 'row pager' });
  root.append(
    h('div', { class: 'titlebar' }, h('h2', {}, 'Audit log')),
    h('table', { id: 'audit', class: 'results' }, h('thead', {}, h('tr', {}, ['#', 'time (UTC)', 'user', 'role', 'address', 'action', 'target', 'reason', 'result'].map((c) => h('th', { scope: 'col' }, c)))), tbody),
    pager,
  );
  const cursors: (string | undefined)[] = [undefined];
  let pageNo = 0;
  const run = async () => {
    const page = await get<{ records: AuditRecord[]; next_cursor?: string }>(withQuery('/api/audit', { limit: 50, cursor: cursors[pageNo] }));
    clear(tbody);
    for (const r of page.records)
      tbody.append(h('tr', { class: r.result === 'ok' ? '' : 'warn' }, [String(r.seq), fmtTime(r.time), r.user, r.role, r.address, r.action, r.target, r.reason, r.result].map((v) => h('td', {}, v))));
    cursors.length = pageNo + 1;
    if (page.next_cursor) cursors.push(page.next_cursor);
    clear(pager);
    pager.append(
      h('button', { type: 'button', disabled: pageNo === 0, onclick: () => { pageNo--; void run(); } }, '← Earlier'),
      h('span', { class: 'muted' }, `page ${pageNo + 1}`),
      h('button', { type: 'button', disabled: !page.next_cursor, onclick: () => { pageNo++; void run(); } }, 'Later →'),
    );
  };
  await run();
}
