import { ApiError, login } from '../api';
import { h } from '../dom';

export function loginView(root: HTMLElement, message: string, done: () => Promise<void>): void {
  const name = h('input', { id: 'lname', name: 'username', autocomplete: 'username', required: true });
  const pw = h('input', { id: 'lpw', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const err = h('p', { id: 'lerr', class: 'error', role: 'alert' }, message);
  const button = h('button', { type: 'submit' }, 'Log in');
  const form = h(
    'form',
    { id: 'login', class: 'login', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title' }, 'VSP'),
    h('p', { class: 'muted' }, 'Log in to see the cameras.'),
    h('div', { class: 'field' }, h('label', { for: 'lname' }, 'Name'), name),
    h('div', { class: 'field' }, h('label', { for: 'lpw' }, 'Password'), pw),
    button,
    err,
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    button.disabled = true;
    err.textContent = '';
    try {
      await login(name.value, pw.value);
      location.hash = location.hash || '#/live';
      await done();
    } catch (e) {
      err.textContent = e instanceof ApiError && e.code === 'bad_credentials' ? 'Wrong name or password.' : (e as Error).message;
      pw.select();
    } finally {
      button.disabled = false;
    }
  });
  root.append(h('main', { id: 'main', class: 'center-box' }, form));
  name.focus();
}
