// The HTTP API: one fetch wrapper that turns network failures and RFC 9457 problems into errors
// a person can read (the problem's detail, never a stack).

import { t } from './i18n.js';

export class ApiError extends Error {
  constructor(message, status, detail) {
    super(message);
    this.status = status; // 0 when the server could not be reached
    this.detail = detail;
  }
}

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

// request fetches path and returns the Response when it is 2xx; otherwise it throws an ApiError
// whose message is ready to show.
export async function request(path, opts = {}) {
  let res;
  try {
    res = await fetch(path, opts);
  } catch (e) {
    throw new ApiError(t('err.network'), 0, String(e));
  }
  if (!res.ok) {
    const detail = (await problemDetail(res)) || `HTTP ${res.status} ${res.statusText}`;
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
  const res = await request(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify(body),
  });
  return res.json();
}

export const enc = encodeURIComponent;
