// The dashboard's shell: the login page, the routes (#/ the overview,
// #/fn/NAME a function's page), logout and the error banner. Nothing but
// the login page is shown without a key.
import { h, replace } from './dom.js';
import { api, session, APIError } from './api.js';
import { overview } from './overview.js';
import { functionPage } from './function.js';

const main = document.getElementById('main');
const flashBox = document.getElementById('flash');
let page = null; // the current page's cleanup (timers, log follows)

// flash shows an error with what to do about it.
export function flash(err) {
  if (!err) {
    replace(flashBox);
    return;
  }
  if (err.name === 'AbortError') return;
  const msg = err instanceof APIError ? err.message : String(err.message || err);
  const hint = err instanceof APIError ? err.hint : 'Reload the page; if it persists, report it with the browser console\'s output.';
  replace(flashBox, h('div', { class: 'error', id: 'error' },
    h('strong', { text: msg }), ' ', h('span', { class: 'hint', text: hint }),
    h('button', { type: 'button', class: 'close', 'aria-label': 'Dismiss', onclick: () => flash(null) }, '×')));
}

// errorBox is an error shown in place of a section, with what to do.
export function errorBox(err) {
  const msg = err instanceof APIError ? err.message : String(err.message || err);
  const hint = err instanceof APIError ? err.hint : '';
  return h('p', { class: 'error inline', role: 'alert' }, h('strong', { text: msg }), ' ', h('span', { class: 'hint', text: hint }));
}

function loginPage(message) {
  document.getElementById('nav').hidden = true;
  const input = h('input', { id: 'key', name: 'key', type: 'password', autocomplete: 'off', required: true, placeholder: 'lmb_…', 'aria-describedby': 'key-help' });
  const err = h('div', { id: 'login-error', role: 'alert' });
  if (message) replace(err, h('p', { class: 'error inline' }, message));
  const submit = h('button', { type: 'submit', id: 'login' }, 'Log in');
  const form = h('form', { class: 'login', onsubmit: async (e) => {
    e.preventDefault();
    submit.disabled = true;
    replace(err);
    const key = input.value.trim();
    try {
      const who = await api('/whoami', { key });
      session.set(key);
      sessionStorage.setItem('lambda.who', `${who.name || who.id} (${who.scope})`);
      route();
    } catch (e2) {
      let hintText = e2.hint;
      if (e2.status === 401) hintText = 'Check that you pasted the whole secret (lmb_…); `lambda keys create NAME --scope read` on the server creates a key, `lambda keys list` shows which exist.';
      if (e2.status === 403) hintText = 'This key may not read: the dashboard needs a read, deploy or admin key.';
      replace(err, h('p', { class: 'error inline' }, h('strong', { text: e2.message }), ' ', h('span', { class: 'hint', text: hintText })));
      input.focus();
    } finally {
      submit.disabled = false;
    }
  } },
  h('h1', {}, 'Log in'),
  h('label', { for: 'key' }, 'API key'),
  input,
  h('p', { id: 'key-help', class: 'muted' }, 'The key is kept in this browser tab\'s session only, and sent to this server only. On the server\'s host, `lambda keys create dashboard --scope read` makes one (deploy scope to roll back and change settings).'),
  submit, err);
  replace(main, form);
  input.focus();
}

function route() {
  if (page) page();
  page = null;
  flash(null);
  if (!session.key()) {
    loginPage();
    return;
  }
  document.getElementById('nav').hidden = false;
  document.getElementById('who').textContent = sessionStorage.getItem('lambda.who') || '';
  const hash = location.hash || '#/';
  const m = hash.match(/^#\/fn\/([^/?]+)/);
  const ctx = { main, flash, errorBox };
  page = m ? functionPage(decodeURIComponent(m[1]), ctx) : overview(ctx);
}

document.getElementById('logout').addEventListener('click', () => {
  session.clear();
  sessionStorage.removeItem('lambda.who');
  location.hash = '#/';
  loginPage('Logged out: the key is forgotten by this tab.');
});

window.addEventListener('lambda:unauthorized', (e) => {
  session.clear();
  if (page) page();
  page = null;
  loginPage(`Your key was refused: ${e.detail.message} Log in with a valid key.`);
});
window.addEventListener('hashchange', route);
route();
