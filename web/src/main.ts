// VSP web UI: login, then a shell with one screen per hash route. Served by `vsp serve` (one
// node) and `vsp center` (every node) from the same bundle; /api/me says which and who.
import './style.css';
import { ApiError, get, logout, setUnauthenticatedHandler, type Me } from './api';
import { rolesFor, type Ctx, type View } from './app';
import { clear, h } from './dom';
import { loginView } from './views/login';
import { liveView } from './views/live';
import { cameraView } from './views/camera';
import { searchView } from './views/search';
import { chartsView } from './views/charts';
import { rulesView } from './views/rules';
import { fleetView } from './views/fleet';
import { auditView } from './views/audit';

const app = document.getElementById('app')!;
let me: Me | null = null;
let place = '';
let leaving: (() => void)[] = [];

interface Route {
  path: string;
  label: string;
  view: View;
  show: (c: { canOperate: boolean; canAudit: boolean; isCenter: boolean }) => boolean;
  nav: boolean;
}
const routes: Route[] = [
  { path: 'live', label: 'Live', view: liveView, show: () => true, nav: true },
  { path: 'search', label: 'Search', view: searchView, show: () => true, nav: true },
  { path: 'charts', label: 'Charts', view: chartsView, show: () => true, nav: true },
  { path: 'rules', label: 'Rules', view: rulesView, show: (c) => c.canOperate, nav: true },
  { path: 'fleet', label: 'Fleet', view: fleetView, show: () => true, nav: true },
  { path: 'audit', label: 'Audit log', view: auditView, show: (c) => c.canAudit && !c.isCenter, nav: true },
  { path: 'camera', label: 'Camera', view: cameraView, show: (c) => !c.isCenter, nav: false },
];

function leave(): void {
  for (const f of leaving) {
    try {
      f();
    } catch {
      /* a cleanup must not stop the others */
    }
  }
  leaving = [];
}

function showLogin(message = ''): void {
  leave();
  me = null;
  clear(app);
  loginView(app, message, async () => {
    await start();
  });
}

setUnauthenticatedHandler((why) => {
  if (me) showLogin(why);
});

async function start(): Promise<void> {
  try {
    me = await get<Me>('/api/me');
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return showLogin(e.code === 'session_expired' ? 'Your session has expired. Log in again.' : '');
    clear(app);
    app.append(h('p', { class: 'error', role: 'alert' }, `The server cannot be reached: ${(e as Error).message}`));
    return;
  }
  me.kind = me.kind ?? 'node';
  if (me.kind === 'node') {
    const n = await get<{ site: string; node: string }>('/api/node').catch(() => null);
    place = n ? `${n.site} / ${n.node}` : 'node';
  } else place = 'center';
  render();
}

function render(): void {
  if (!me) return;
  leave();
  const roles = rolesFor(me);
  const isCenter = me.kind === 'center';
  const hash = location.hash.replace(/^#\/?/, '') || 'live';
  const [pathPart, query = ''] = hash.split('?');
  const [name, ...rest] = pathPart.split('/');
  const route = routes.find((r) => r.path === name && r.show({ ...roles, isCenter })) ?? routes[0];
  const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
  const nav = h(
    'nav',
    { 'aria-label': 'Screens' },
    h(
      'ul',
      {},
      routes
        .filter((r) => r.nav && r.show({ ...roles, isCenter }))
        .map((r) => h('li', {}, h('a', { href: `#/${r.path}`, 'aria-current': r === route || (route.path === 'camera' && r.path === 'live') ? 'page' : undefined }, r.label))),
    ),
  );
  const who = me.auth === 'open' ? (isCenter ? 'open center (no accounts)' : 'open node (no users yet)') : `${me.name} · ${me.role}`;
  const header = h(
    'header',
    {},
    h('h1', {}, 'VSP ', h('span', { class: 'place' }, place)),
    nav,
    h(
      'div',
      { class: 'who' },
      h('span', { id: 'who' }, who),
      me.auth === 'session'
        ? h('button', {
            id: 'logout',
            type: 'button',
            onclick: async () => {
              await logout().catch(() => {});
              history.replaceState(null, '', '#/live'); // the next person starts at the grid
              showLogin('Logged out.');
            },
          }, 'Log out')
        : null,
    ),
  );
  const main = h('main', { id: 'main', tabindex: '-1' });
  clear(app);
  app.append(header, status, main);
  const ctx: Ctx = {
    me,
    place,
    ...roles,
    isCenter,
    params: new URLSearchParams(query),
    onLeave: (f) => leaving.push(f),
    say: (text, kind = 'ok') => {
      status.textContent = text;
      status.className = `status ${kind}`;
    },
  };
  document.title = `VSP · ${route.label}`;
  Promise.resolve(route.view(main, ctx, decodeURIComponent(rest.join('/')))).catch((e: unknown) => {
    if (e instanceof ApiError && e.status === 401) return; // the login is already shown
    ctx.say(`${(e as Error).message}`, 'error');
  });
}

// The skip link moves focus to the screen without touching the route (the hash).
document.querySelector('.skip')?.addEventListener('click', (ev) => {
  ev.preventDefault();
  document.getElementById('main')?.focus();
});

window.addEventListener('hashchange', () => {
  if (me) render();
});
void start();
