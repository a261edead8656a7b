// The HTTP API: one fetch wrapper that turns network failures and RFC 9457 problems into errors
// a person can read (the problem's detail, never a stack).

import { t } from './i18n.js';

export class ApiError extends Error {
  constructor(message, status, detail, retryAfter = null) {
    super(message);
    this.status = status; // 0 when the server could not be reached
    this.detail = detail;
    this.retryAfter = retryAfter; // seconds, from Retry-After (429), when the server sent a number
  }
}

// authLost is called (once per burst) when a request answers 401: the session ended or the
// server stopped reading for anonymous users. main.js decides what to show.
let authLost = null;
export function onAuthLost(fn) { authLost = fn; }

async function problemDetail(res) {
  const type = res.headers.get('content-type') || '';
  try {
    if (type.includes('json')) {
      const p = await res.json();
      return p.detail || p.title || '';
    }
    return (await res.text()).slice(0, 300);
  } catch {
    return '';
  }
}

function retryAfterSeconds(res) {
  const v = res.headers.get('Retry-After');
  return v && /^\d+$/.test(v.trim()) ? Number(v.trim()) : null;
}

// request fetches path and returns the Response when it is 2xx; otherwise it throws an ApiError
// whose message is ready to show. opts.auth === false keeps a 401 from reporting a lost session
// (the session endpoints themselves answer 401 as a matter of course).
export async function request(path, opts = {}) {
  const { auth = true, ...init } = opts;
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(t('err.network'), 0, String(e));
  }
  if (!res.ok) {
    const detail = (await problemDetail(res)) || `HTTP ${res.status} ${res.statusText}`;
    if (res.status === 401 && auth && authLost) queueMicrotask(authLost);
    if (res.status === 401) throw new ApiError(t('err.unauthorized', { detail }), 401, detail);
    if (res.status === 429) throw new ApiError(t('err.generic', { detail }), 429, detail, retryAfterSeconds(res));
    if (res.status === 404) throw new ApiError(t('err.notfound', { detail }), 404, detail);
    // A proxy in front of a stopped server answers 502/504 without a problem body.
    if ((res.status === 502 || res.status === 504) && !detail.includes(' ')) throw new ApiError(t('err.network'), res.status, detail);
    throw new ApiError(t('err.generic', { detail }), res.status, detail);
  }
  return res;
}

export async function getJSON(path, opts) {
  const res = await request(path, opts);
  return res.json();
}

export async function postJSON(path, body) {
  const res = await sendJSON('POST', path, body);
  return res.json();
}

// sendJSON sends body as JSON with method and returns the Response (204 has no body).
export function sendJSON(method, path, body, opts = {}) {
  return request(path, {
    ...opts,
    method,
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

export const enc = encodeURIComponent;
