// The import panel (surveyors and administrators): upload a parcel file, optionally as a dry run,
// then follow the import until it ends and show its report's summary.
//
// Test hooks: #import[data-state] is idle | uploading | running | done | error and
// #import[data-status] the import's status (queued, running, imported, dry_run, rejected, failed).

import { getJSON, request } from './api.js';
import { h, $, fmtBytes } from './dom.js';
import { t } from './i18n.js';

const FINAL = new Set(['imported', 'dry_run', 'rejected', 'failed', 'cancelled']);
const TEXT_LIMIT = 60_000; // characters of the text report shown; the rest stays on the server

const state = { mode: 'idle', job: null, text: '', error: '', seq: 0 };

export function initImport() {
  $('#import-form').addEventListener('submit', submit);
  $('#im-file').addEventListener('change', () => {
    const f = $('#im-file').files[0];
    $('#im-file-info').textContent = f ? `${f.name} · ${fmtBytes(f.size)}` : '';
  });
  render();
}

// resetImport forgets the import shown (on sign-out or a change of user).
export function resetImport() {
  state.seq++;
  state.mode = 'idle';
  state.job = null;
  state.text = '';
  state.error = '';
  $('#import-form').reset();
  $('#im-file-info').textContent = '';
  render();
}

export function rerenderImport() { render(); }

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function submit(ev) {
  ev.preventDefault();
  const file = $('#im-file').files[0];
  if (!file) {
    state.mode = 'error';
    state.error = t('im.nofile');
    render();
    return;
  }
  const seq = ++state.seq;
  const form = new FormData();
  if ($('#im-dry').checked) form.append('dry_run', 'true');
  form.append('file', file, file.name);
  state.mode = 'uploading';
  state.job = null;
  state.text = '';
  render();
  try {
    const res = await request('/api/v1/imports', { method: 'POST', body: form, headers: { Accept: 'application/json' } });
    const accepted = await res.json();
    if (seq !== state.seq) return;
    const href = accepted.href || `/api/v1/imports/${accepted.id}`;
    state.job = { ...accepted, status: accepted.status || 'queued' };
    state.mode = 'running';
    render();
    // Poll until the import ends: every second at first, then every three.
    for (let i = 0; ; i++) {
      await sleep(i < 10 ? 1000 : 3000);
      if (seq !== state.seq) return;
      const job = await getJSON(href, { headers: { Accept: 'application/json' } });
      if (seq !== state.seq) return;
      state.job = job;
      if (FINAL.has(job.status)) break;
      render();
    }
    const text = await (await request(`${href}?format=text`)).text();
    if (seq !== state.seq) return;
    state.text = text.length > TEXT_LIMIT ? text.slice(0, TEXT_LIMIT) + '\n…' : text;
    state.mode = 'done';
  } catch (e) {
    if (seq !== state.seq) return;
    state.mode = 'error';
    state.error = e.message;
  }
  render();
}

function report(job) {
  if (!job.report) return null;
  try {
    return typeof job.report === 'string' ? JSON.parse(job.report) : job.report;
  } catch {
    return null;
  }
}

function render() {
  const root = $('#import');
  const out = $('#im-result');
  root.dataset.state = state.mode;
  root.dataset.status = state.job ? state.job.status : '';
  $('#im-go').disabled = state.mode === 'uploading' || state.mode === 'running';
  out.replaceChildren();
  if (state.mode === 'error') {
    out.append(h('p', { class: 'error', role: 'alert' }, state.error));
    return;
  }
  if (state.mode === 'uploading') {
    out.append(h('p', { class: 'loading' }, t('im.uploading')));
    return;
  }
  const job = state.job;
  if (!job) return;
  out.append(h('p', { class: 'im-status s-' + job.status, dataset: { status: job.status } },
    t('im.status.' + job.status), job.id ? h('span', { class: 'muted small' }, ` · ${t('im.job', { id: job.id })}`) : null));
  // While it waits or runs: its place in the county's queue, the phase it is in, and any note
  // (an interrupted run that runs again says so).
  if (job.status === 'queued' && job.queue_position) out.append(h('p', { class: 'muted small', id: 'im-queue' }, t('im.queue', { n: job.queue_position })));
  if (job.status === 'running' && job.phase) out.append(h('p', { class: 'muted small', id: 'im-phase' }, t('im.phase.' + job.phase)));
  if (job.note) out.append(h('p', { class: 'muted small', id: 'im-note' }, job.note));
  const rep = report(job);
  if (rep) {
    const c = rep.counts || {};
    const kv = [
      [t('im.rows'), String(rep.rows ?? '—')],
      [t('im.findings'), t('im.findings_n', { errors: rep.errors ?? 0, warnings: rep.warnings ?? 0 })],
      [rep.dry_run ? t('im.would') : t('im.did'), t('im.counts', { new: c.new ?? 0, changed: c.changed ?? 0, unchanged: c.unchanged ?? 0, retired: c.retired ?? 0 })],
    ];
    if (rep.reason) kv.push([t('im.reason'), rep.reason]);
    out.append(h('table', { class: 'kv' }, h('tbody', null, kv.map(([k, v]) => h('tr', null, h('th', null, k), h('td', null, v))))));
  }
  if (state.text) out.append(h('details', { class: 'im-text', open: true }, h('summary', null, t('im.text')), h('pre', { id: 'im-text' }, state.text)));
}
