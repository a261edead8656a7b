// Accounts: who is signed in (GET /api/v1/me), the sign-in page, the change-password form and the
// account area of the top bar. The server enforces every permission; the page only hides what a
// user's roles do not allow.
//
// Test hooks: body[data-auth] is unknown | anonymous | signed-in; body[data-view] is map | signin |
// password; #account carries data-user and data-roles (space-separated); #signin-form and
// #password-form carry data-state (idle | loading | error).

import { ApiError, getJSON, request, sendJSON } from './api.js';
import { h, $ } from './dom.js';
import { t, roleLabel } from './i18n.js';

// What each action needs; a user may hold several roles.
const ALLOWED = {
  import: ['surveyor', 'admin'],
  unmask: ['finance'], // owners' personal data in clear (the server decides and audits)
  cases: ['viewer', 'surveyor', 'case_officer', 'finance', 'admin'], // signed-in staff read cases
  'cases.write': ['case_officer', 'admin'], // open cases, take steps up to signing, objections, documents
  'cases.pay': ['finance'],
  'cases.documents.read': ['case_officer', 'finance', 'admin'],
  wetland: ['viewer', 'surveyor', 'case_officer', 'finance', 'admin'], // the wetland bank's page, projects and debits layers
  'wetland.write': ['case_officer', 'admin'], // propose and decide projects, release credits, open debits
  'wetland.sell': ['finance'], // settle a debit by buying credits
};

export const session = {
  user: null, // the "me" object, or null when nobody is signed in
  publicRead: null, // true when the server answers reads without a session; null until known
  accounts: true, // false when the server has no accounts (GET /api/v1/me answers 404)
};

export function can(action) {
  const roles = session.user ? session.user.roles || [] : [];
  return (ALLOWED[action] || []).some((r) => roles.includes(r));
}

// loadMe answers the signed-in user, or null when nobody is (401) or the server has no
// accounts (404: an older server; the map then works as before, without a sign-in button).
export async function loadMe() {
  try {
    const me = await getJSON('/api/v1/me', { auth: false, headers: { Accept: 'application/json' } });
    session.accounts = true;
    return me;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return null;
    if (e instanceof ApiError && e.status === 404) {
      session.accounts = false;
      return null;
    }
    throw e;
  }
}

// signInError turns the answer of POST /api/v1/session into a sentence for the sign-in page.
function signInError(e) {
  if (!(e instanceof ApiError)) return e.message;
  switch (e.status) {
    case 0: return e.message;
    case 400:
    case 401: return t('signin.wrong');
    case 403: return t('signin.disabled');
    case 429: return e.retryAfter ? t('signin.locked', { minutes: Math.max(1, Math.ceil(e.retryAfter / 60)) }) : t('signin.locked_later');
    default: return e.message;
  }
}

async function signIn(username, password) {
  const res = await sendJSON('POST', '/api/v1/session', { username, password }, { auth: false });
  return res.json();
}

export async function signOut() {
  await request('/api/v1/session', { method: 'DELETE', auth: false });
}

// ---------- views ----------

let hooks = { onSignedIn: () => {}, onCancel: () => {}, onSignOut: () => {} };
let forced = false; // the password form may not be left (must_change_password)

export function initAuth(h) {
  hooks = { ...hooks, ...h };
  $('#signin-form').addEventListener('submit', submitSignIn);
  $('#signin-cancel').addEventListener('click', () => hooks.onCancel());
  $('#signin-open').addEventListener('click', () => showSignIn());
  $('#signout').addEventListener('click', () => hooks.onSignOut());
  $('#account-password').addEventListener('click', () => showPassword(false));
  $('#password-form').addEventListener('submit', submitPassword);
  $('#pw-cancel').addEventListener('click', () => { if (!forced) hooks.onCancel(); });
  $('#pw-signout').addEventListener('click', () => hooks.onSignOut());
}

export function setView(view) {
  document.body.dataset.view = view;
  $('#auth-page').hidden = view === 'map';
  $('#signin-form').hidden = view !== 'signin';
  $('#password-form').hidden = view !== 'password';
}

function setMsg(el, text) {
  el.textContent = text || '';
  el.hidden = !text;
}

// showSignIn shows the sign-in page, with notice (why it is shown) when given; when the server
// reads anonymously it can be left for the map.
export function showSignIn(notice = '') {
  const form = $('#signin-form');
  form.reset();
  form.dataset.state = 'idle';
  setMsg($('#signin-msg'), '');
  setMsg($('#signin-notice'), notice);
  $('#signin-cancel').hidden = session.publicRead !== true;
  setView('signin');
  $('#signin-user').focus();
}

async function submitSignIn(ev) {
  ev.preventDefault();
  const form = $('#signin-form');
  const msg = $('#signin-msg');
  const username = $('#signin-user').value.trim();
  const password = $('#signin-password').value;
  if (!username || !password) {
    form.dataset.state = 'error';
    setMsg(msg, t('signin.empty'));
    return;
  }
  form.dataset.state = 'loading';
  setMsg(msg, '');
  $('#signin-go').disabled = true;
  $('#signin-go').textContent = t('signin.loading');
  try {
    const me = await signIn(username, password);
    $('#signin-password').value = '';
    form.dataset.state = 'idle';
    await hooks.onSignedIn(me);
  } catch (e) {
    form.dataset.state = 'error';
    setMsg(msg, signInError(e));
    $('#signin-password').value = '';
    $('#signin-password').focus();
  } finally {
    $('#signin-go').disabled = false;
    $('#signin-go').textContent = t('signin.go');
  }
}

// showPassword shows the change-password form; forced when the account still has its
// one-time initial password (the server refuses everything else until it is changed).
export function showPassword(isForced) {
  forced = !!isForced;
  const form = $('#password-form');
  form.reset();
  form.dataset.state = 'idle';
  form.dataset.forced = String(forced);
  setMsg($('#pw-msg'), '');
  $('#pw-intro').textContent = forced ? t('pw.intro_forced', { name: displayName(session.user) }) : t('pw.intro');
  $('#pw-cancel').hidden = forced;
  $('#pw-signout').hidden = !forced;
  setView('password');
  $('#pw-current').focus();
}

async function submitPassword(ev) {
  ev.preventDefault();
  const form = $('#password-form');
  const msg = $('#pw-msg');
  const current = $('#pw-current').value;
  const next = $('#pw-new').value;
  const repeat = $('#pw-repeat').value;
  let problem = '';
  if (!current || !next) problem = t('pw.empty');
  else if (next !== repeat) problem = t('pw.mismatch');
  else if (next === current) problem = t('pw.same');
  if (problem) {
    form.dataset.state = 'error';
    setMsg(msg, problem);
    return;
  }
  form.dataset.state = 'loading';
  setMsg(msg, '');
  $('#pw-go').disabled = true;
  try {
    await sendJSON('PUT', '/api/v1/me/password', { current, new: next }, { auth: false });
    form.reset();
    form.dataset.state = 'idle';
    const me = await loadMe();
    if (me) await hooks.onSignedIn(me, { passwordChanged: true });
    else await hooks.onSignOut(); // the session ended meanwhile: start again
  } catch (e) {
    form.dataset.state = 'error';
    if (e instanceof ApiError && e.status === 400) setMsg(msg, passwordRefusal(e.detail));
    else if (e instanceof ApiError && e.status === 401) setMsg(msg, t('auth.expired'));
    else setMsg(msg, e.message);
  } finally {
    $('#pw-go').disabled = false;
  }
}

// passwordRefusal says in the page's language why the server refused a new password (400). The
// server's details are English sentences; the known ones are translated, others shown as sent.
function passwordRefusal(detail = '') {
  let m;
  if (/current password is wrong/i.test(detail)) return t('pw.current_wrong');
  if (/must differ/i.test(detail)) return t('pw.same');
  if ((m = /has (\d+) characters; at least (\d+)/i.exec(detail))) return t('pw.rule.length', { n: m[1], min: m[2] });
  if ((m = /mixes (\d+) kinds? of characters?; use at least (\d+)/i.exec(detail))) return t('pw.rule.classes', { n: m[1], min: m[2] });
  if (/contains the user name/i.test(detail)) return t('pw.rule.name');
  if (/at most (\d+) bytes/i.test(detail)) return t('pw.rule.long');
  return t('pw.rejected', { detail });
}

function displayName(u) { return u ? u.display_name || u.name : ''; }

// renderAccount fills the top bar: the signed-in user with roles and buttons, or a sign-in button.
export function renderAccount() {
  const root = $('#account');
  const u = session.user;
  document.body.dataset.auth = u ? 'signed-in' : (session.publicRead === null ? 'unknown' : 'anonymous');
  root.dataset.user = u ? u.name : '';
  root.dataset.roles = u ? (u.roles || []).join(' ') : '';
  $('#account-user').hidden = !u;
  $('#signin-open').hidden = !!u || session.publicRead !== true || !session.accounts;
  if (!u) return;
  $('#account-name').textContent = displayName(u);
  $('#account-name').title = u.name;
  $('#account-roles').replaceChildren(...(u.roles || []).map((r) => h('span', { class: 'role', dataset: { role: r } }, roleLabel(r))));
  $('#account-password').hidden = !!u.must_change_password || (u.auth && u.auth !== 'session');
  $('#signout').hidden = u.auth && u.auth !== 'session';
}

// rerenderAuth refreshes the texts that depend on the language.
export function rerenderAuth() {
  renderAccount();
  if (document.body.dataset.view === 'password') $('#pw-intro').textContent = forced ? t('pw.intro_forced', { name: displayName(session.user) }) : t('pw.intro');
}
