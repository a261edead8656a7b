// The case page (GET /api/v1/cases/{id}) beside the map: who and what, the steps the asker may
// take now (the server's `next`: each allowed one opens the small form it needs, the others are
// disabled with the server's reason), the history, the parcels (outlined and fitted on the map,
// each with its eligibility frozen at verification), the appraisal, the public notice and its
// objections, the contract and its schedule, the payments (finance records them), the change of
// rights, the documents (upload, download) and the 四至图 PDF. Every write sends the version the
// page shows; a refusal (a role, a stale version, an open objection…) is shown with the server's
// reason, and a stale page offers to reload.
//
// Test hooks: #case-view[data-state] is idle | loading | ready | error, with data-case (id),
// data-number, data-status and data-version; button.step[data-to][data-allowed]; p.why[data-to]
// (data-why: the server's words); #case-msg (a refusal, data-stale); #case-events li[data-to];
// #case-docs li[data-doc]; #case-payments tr.payment; #case-objections li[data-objection]
// [data-open]; #case-schedule tr; forms #step-form, #pay-form, #doc-form, #objection-form,
// .resolve-form; links #case-sizhi.

import { getJSON, request, enc } from './api.js';
import { h, $, fmt, fmtBytes } from './dom.js';
import { t, getLang, modeLabel } from './i18n.js';
import { can } from './auth.js';
import { stepForm, whyText, refusalNode, fmtTime, today } from './casesteps.js';
import { showCaseParcels, clearCaseParcels, loadReserve, refreshParcelTiles } from './casemap.js';

const DOC_KINDS = ['application', 'certificate', 'field_check', 'appraisal_report', 'notice_photo', 'contract', 'registration', 'other'];

const state = {
  id: 0,
  mode: 'idle', // idle | loading | ready | error
  data: null,
  error: '',
  step: '', // the step whose form is open
  refusal: null, // the last refused request (an ApiError)
  notice: '', // what the last write did
  seq: 0,
};
let hooks = { onBack: () => {}, onChanged: () => {} };

export function initCasePage(h) { hooks = { ...hooks, ...h }; }

export function caseOpen() { return state.mode !== 'idle'; }

// openCase shows case id (with data when the caller has just received it).
export async function openCase(id, data) {
  state.id = Number(id);
  state.step = '';
  state.refusal = null;
  state.notice = '';
  if (data) {
    show(data);
    return;
  }
  await load();
}

// closeCase hides the page (and forgets the case: it may hold an owner's name in clear).
export function closeCase() {
  state.seq++;
  state.mode = 'idle';
  state.data = null;
  state.id = 0;
  clearCaseParcels();
  render();
}

export function rerenderCase() {
  kept.clear();
  render();
}

// The forms of the page survive its redrawing (a refusal keeps what was typed) until the case
// changes: its version, payments, documents or objections.
const kept = new Map();
let keptStamp = '';
function keep(key, build) {
  const d = state.data;
  const stamp = [d.id, d.version, (d.payments || []).length, (d.documents || []).length, (d.objections || []).length].join(':');
  if (stamp !== keptStamp) {
    kept.clear();
    keptStamp = stamp;
  }
  if (!kept.has(key)) kept.set(key, build());
  return kept.get(key);
}

async function load({ keepMessages = false } = {}) {
  const seq = ++state.seq;
  state.mode = state.data && state.data.id === state.id ? 'ready' : 'loading';
  if (!keepMessages) {
    state.refusal = null;
    state.notice = '';
  }
  render();
  try {
    const data = await getJSON(`/api/v1/cases/${enc(state.id)}`, { headers: { Accept: 'application/json' } });
    if (seq !== state.seq) return;
    show(data);
  } catch (e) {
    if (seq !== state.seq) return;
    state.mode = 'error';
    state.error = e.message;
    render();
  }
}

function show(data) {
  const parcelsChanged = !state.data || state.data.id !== data.id ||
    state.data.parcels.map((p) => p.code).join() !== data.parcels.map((p) => p.code).join();
  state.data = data;
  state.id = data.id;
  state.mode = 'ready';
  render();
  if (parcelsChanged) showCaseParcels(data.parcels.map((p) => ({ code: p.code, role: p.role })), { rightPadding: overlap() });
}

// overlap is how much of the map the page covers on the right (px).
function overlap() {
  const m = $('#map')?.getBoundingClientRect();
  const c = view().getBoundingClientRect();
  return m && c.width ? Math.max(0, Math.round(m.right - c.left)) : 0;
}

// write sends a change of the case and shows the case the server answers; a refusal is kept
// for the page to show.
async function write(path, body, { notice, form } = {}) {
  state.refusal = null;
  state.notice = '';
  try {
    const res = await request(path, body instanceof FormData
      ? { method: 'POST', body, headers: { Accept: 'application/json' } }
      : { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json', Accept: 'application/json' } });
    const answer = await res.json();
    const before = state.data?.status;
    state.step = form ? '' : state.step;
    state.notice = notice || '';
    if (answer && answer.number) show(answer);
    else await load({ keepMessages: true });
    const after = state.data?.status;
    if (after !== before) {
      refreshParcelTiles();
      if (after === 'transferred' || after === 'closed') loadReserve();
    }
    hooks.onChanged(state.data);
  } catch (e) {
    state.refusal = e;
    render();
    throw e;
  }
}

function base() { return `/api/v1/cases/${enc(state.id)}`; }

// ---------- rendering ----------

function view() { return $('#case-view'); }

function render() {
  const root = view();
  root.hidden = state.mode === 'idle';
  root.dataset.state = state.mode;
  document.body.classList.toggle('case-open', state.mode !== 'idle');
  const d = state.mode === 'ready' ? state.data : null;
  root.dataset.case = d ? String(d.id) : '';
  root.dataset.number = d ? d.number : '';
  root.dataset.status = d ? d.status : '';
  root.dataset.version = d ? String(d.version) : '';
  if (state.mode === 'idle') {
    root.replaceChildren();
    return;
  }
  const scroll = root.querySelector('.case-body')?.scrollTop || 0;
  const top = h('div', { class: 'case-top' },
    h('button', { type: 'button', id: 'case-back', class: 'secondary small-btn', onclick: () => hooks.onBack() }, '‹ ' + t('case.back')),
    h('button', { type: 'button', id: 'case-close', class: 'link', title: t('panel.close'), onclick: closeCase }, '×'));
  if (state.mode === 'loading') {
    root.replaceChildren(top, h('p', { class: 'loading' }, t('panel.loading')));
    return;
  }
  if (state.mode === 'error') {
    root.replaceChildren(top, h('p', { class: 'error', role: 'alert' }, state.error));
    return;
  }
  const body = h('div', { class: 'case-body' },
    header(d), steps(d), contract(d), payments(d), parcels(d), verification(d), appraisal(d), notice(d), transfer(d), documents(d), timeline(d));
  root.replaceChildren(top, body);
  body.scrollTop = scroll;
}

export function statusBadge(status) {
  return h('span', { class: `case-status s-${status}`, dataset: { status } }, t('case.status.' + status));
}

function kv(rows) {
  return h('table', { class: 'kv' }, h('tbody', null, rows.filter(Boolean).map(([k, v, attrs]) => h('tr', attrs || null, h('th', null, k), h('td', null, v)))));
}

function section(id, title, ...children) {
  return h('section', { id, class: 'block case-block' }, h('h3', null, title), ...children);
}

function yuan(v) { return v === null || v === undefined ? '—' : `${fmt(v)} ${t('unit.yuan')}`; }

function header(d) {
  const o = d.owner || {};
  return h('header', { class: 'case-head' },
    h('div', { class: 'case-title' }, h('h2', { id: 'case-number' }, d.number), statusBadge(d.status),
      h('span', { class: 'case-mode' }, modeLabel(d.mode))),
    kv([
      [t('case.owner'), h('span', { id: 'case-owner' }, o.name || '—', ' ',
        h('span', { class: 'pii-badge small ' + (o.masked ? 'masked' : 'unmasked') }, o.masked ? t('roll.masked') : t('case.unmasked')))],
      [t('case.area'), `${fmt(d.area_mu)} ${t('unit.mu')}`],
      [t('case.opened'), `${fmtTime(d.opened_at)} · ${d.opened_by}`],
      [t('case.version'), h('span', { id: 'case-version' }, String(d.version))],
      [t('el.policy'), d.policy_version],
      d.note ? [t('case.note'), d.note] : null,
      d.reason ? [t('case.reason'), h('span', { id: 'case-reason' }, d.reason)] : null,
    ]),
    h('p', { class: 'links small' },
      h('a', { id: 'case-sizhi', class: 'download', href: `${base()}/sizhi.pdf`, download: '' }, t('case.sizhi'))));
}

// steps: the buttons of the next steps, the open step's form, and what the last write did.
function steps(d) {
  const sec = h('section', { id: 'case-next', class: 'block case-block' }, h('h3', null, t('case.next')));
  if (state.notice) sec.append(h('p', { id: 'case-notice', class: 'notice-ok', role: 'status' }, state.notice));
  if (state.refusal) {
    const reload = h('button', { type: 'button', id: 'case-reload', class: 'secondary', onclick: () => { state.step = ''; load(); } }, t('case.reload'));
    sec.append(refusalNode(state.refusal, 'case-msg', /has moved on/.test(state.refusal.detail || '') ? reload : null));
  }
  if (!d.next || d.next.length === 0) {
    sec.append(h('p', { class: 'muted', id: 'case-final' }, t(d.status === 'closed' ? 'case.final.closed' : 'case.final.ended')));
    return sec;
  }
  const list = h('ul', { class: 'steps' });
  for (const s of d.next) {
    const btn = h('button', { type: 'button', class: 'step ' + (s.to === 'rejected' || s.to === 'withdrawn' ? 'secondary' : ''),
      disabled: !s.allowed, dataset: { to: s.to, allowed: String(!!s.allowed) }, 'aria-expanded': String(state.step === s.to),
      onclick: () => { state.step = state.step === s.to ? '' : s.to; state.refusal = null; state.notice = ''; render(); } }, t('step.do.' + s.to));
    list.append(h('li', null, btn, !s.allowed && s.why ? h('p', { class: 'why small', dataset: { to: s.to, why: s.why }, title: s.why }, whyText(s.why)) : null));
  }
  sec.append(list);
  const open = d.next.find((s) => s.to === state.step && s.allowed);
  if (open) {
    sec.append(keep('step:' + open.to, () => stepForm(open.to, d.mode, {
      send: (body) => write(`${base()}/transitions`, { to: open.to, version: d.version, ...body },
        { form: true, notice: t('case.moved', { status: t('case.status.' + open.to) }) }),
      cancel: () => { state.step = ''; render(); },
    })));
  }
  return sec;
}

function eventText(e) {
  const d = e.detail || {};
  switch (e.action) {
    case 'open': return t('event.open', { mode: modeLabel(d.mode || ''), parcels: (d.parcels || []).join('、') });
    case 'objection': return t('event.objection', { by: d.raised_by || '', text: d.text || '' });
    case 'objection_resolved': return t('event.resolved', { text: d.resolution || '' });
    default: {
      const parts = [];
      if (d.field_check?.by) parts.push(t('sf.fc_by') + ' ' + d.field_check.by);
      if (d.appraised_yuan !== undefined) parts.push(`${t('sf.appraised_yuan')} ${fmt(d.appraised_yuan)}`);
      if (d.notice_start) parts.push(`${t('sf.notice_start')} ${d.notice_start}`);
      if (d.contract_number) parts.push(`${t('sf.contract_number')} ${d.contract_number}`);
      if (d.total_yuan !== undefined) parts.push(`${t('case.total')} ${fmt(d.total_yuan)}`);
      if (d.registration) parts.push(`${t('sf.registration')} ${d.registration}`);
      if (d.reason) parts.push(`${t('sf.reason')} ${d.reason}`);
      if (d.over_budget) parts.push(t('case.over_budget'));
      return parts.join('；');
    }
  }
}

function timeline(d) {
  return section('case-events', t('case.events'), h('ol', { class: 'timeline' }, (d.events || []).map((e) => h('li', { dataset: { to: e.to, action: e.action, version: String(e.version) } },
    h('div', { class: 'ev-head' },
      h('strong', null, e.action === 'transition' || e.action === 'open' ? t('case.status.' + e.to) : t('event.' + e.action + '.title')),
      h('span', { class: 'muted small' }, ` v${e.version} · ${fmtTime(e.at)} · ${e.actor}`)),
    h('div', { class: 'small' }, eventText(e))))));
}

function frozenSummary(f) {
  if (!f) return h('span', { class: 'muted small' }, t('case.not_frozen'));
  const rules = (f.rules || []).map((r) => h('li', { class: r.passed ? 'pass' : 'fail' }, r.passed ? '✓ ' : '✗ ', (getLang() === 'zh' && r.detail_zh) || r.detail || r.id));
  return h('details', { class: 'frozen small' },
    h('summary', null, t('case.frozen', { date: f.verified_on || '', policy: f.policy_version || '' }), ' · ', f.eligible ? t('el.yes') : t('el.no')),
    h('ul', { class: 'rules-small' }, rules));
}

function parcels(d) {
  return section('case-parcels', t('case.parcels'),
    h('table', { class: 'lines' },
      h('thead', null, h('tr', null, h('th', null, t('p.parcel')), h('th', null, t('case.place')), h('th', { class: 'num' }, t('sub.area')), h('th', { class: 'num' }, t('case.share')))),
      h('tbody', null, d.parcels.map((p) => [
        h('tr', { class: 'case-parcel', dataset: { code: p.code, role: p.role } },
          h('td', { class: 'mono small' }, p.code, p.role === 'counterpart' ? h('span', { class: 'badge counterpart' }, t('case.counterpart')) : null),
          h('td', { class: 'small' }, [p.township, p.village].filter(Boolean).join(' · ')),
          h('td', { class: 'num' }, fmt(p.area_mu)),
          h('td', { class: 'num' }, p.share_yuan !== undefined ? fmt(p.share_yuan) : (p.yearly_share_yuan !== undefined ? `${fmt(p.yearly_share_yuan)}/${t('case.year')}` : '—'))),
        p.role === 'offered' ? h('tr', { class: 'frozen-row' }, h('td', { colspan: '4' }, frozenSummary(p.frozen_eligibility))) : null,
      ]))));
}

function verification(d) {
  const v = d.verification;
  if (!v) return null;
  const yes = (b) => (b ? t('case.yes') : t('case.no'));
  return section('case-verification', t('case.verification'), kv([
    [t('sf.fc_date'), v.date], [t('sf.fc_by'), v.by],
    [t('sf.fc_boundaries'), yes(v.boundaries_confirmed)], [t('sf.fc_rights'), yes(v.rights_confirmed)], [t('sf.fc_dispute'), yes(v.dispute)],
    v.encumbrances && v.encumbrances.length ? [t('sf.fc_encumbrances'), v.encumbrances.join('；')] : null,
    v.note ? [t('sf.fc_note'), v.note] : null,
  ]));
}

function appraisal(d) {
  const a = d.appraisal;
  if (!a) return null;
  const dev = a.deviation_pct === null || a.deviation_pct === undefined ? '—' : `${a.deviation_pct > 0 ? '+' : ''}${fmt(a.deviation_pct, 1)} %`;
  return section('case-appraisal', t('case.appraisal'), kv([
    [t('sf.appraised_yuan'), yuan(a.appraised_yuan)], [t('case.indicative'), yuan(a.indicative_yuan)],
    [t('case.deviation'), h('span', { id: 'case-deviation' }, dev)], [t('sf.appraiser'), a.appraiser], [t('sf.report'), a.report],
  ]));
}

// notice: the public notice, its objections and, while it runs, the forms to record and
// resolve them (case officers and administrators; each is a step of the case).
function notice(d) {
  const n = d.notice;
  const objections = d.objections || [];
  if (!n && objections.length === 0) return null;
  const may = can('cases.write') && d.status === 'noticed';
  const sec = section('case-notice-block', t('case.notice'),
    n ? kv([[t('sf.notice_start'), n.start], [t('case.notice_days'), String(n.days)], [t('case.notice_ends'), h('span', { id: 'case-notice-ends' }, n.ends)]]) : null,
    h('p', { class: 'links small' },
      h('a', { class: 'download', href: '/api/v1/cases/notice.pdf', download: '' }, t('cases.notice_pdf'))));
  const list = h('ul', { id: 'case-objections', class: 'objections' });
  for (const o of objections) {
    const open = !o.resolved_at;
    const li = h('li', { class: open ? 'open' : 'resolved', dataset: { objection: String(o.id), open: String(open) } },
      h('div', null, h('strong', null, open ? t('case.objection_open') : t('case.objection_resolved')), ' ',
        h('span', { class: 'muted small' }, `${o.raised_on} · ${o.raised_by} · ${t('case.recorded_by', { who: o.recorded_by })}`)),
      h('div', { class: 'obj-text' }, o.text),
      open ? null : h('div', { class: 'small' }, `${t('case.resolution')}：${o.resolution || ''}`, h('span', { class: 'muted' }, ` (${o.resolved_by || ''}, ${fmtTime(o.resolved_at)})`)));
    if (open && may) {
      li.append(keep('resolve:' + o.id, () => {
        const text = h('input', { type: 'text', class: 'resolution-text', placeholder: t('case.resolution_ph') });
        return h('form', { class: 'resolve-form inline-form', dataset: { objection: String(o.id) }, onsubmit: (ev) => {
          ev.preventDefault();
          write(`${base()}/objections/${o.id}/resolution`, { version: d.version, resolution: text.value.trim() }, { notice: t('case.resolved_done') }).catch(() => {});
        } }, text, h('button', { type: 'submit' }, t('case.resolve')));
      }));
    }
    list.append(li);
  }
  if (objections.length) sec.append(h('h4', null, t('case.objections')), list);
  if (may) {
    sec.append(keep('objection', () => {
      const by = h('input', { id: 'obj-by', type: 'text', placeholder: t('case.raised_by') });
      const on = h('input', { id: 'obj-on', type: 'date', value: today(), max: today() });
      const text = h('textarea', { id: 'obj-text', rows: 2, placeholder: t('case.objection_text') });
      return h('details', { class: 'add' }, h('summary', null, t('case.add_objection')),
        h('form', { id: 'objection-form', class: 'inline-form col', onsubmit: (ev) => {
          ev.preventDefault();
          write(`${base()}/objections`, { version: d.version, raised_by: by.value.trim(), raised_on: on.value || undefined, text: text.value.trim() },
            { notice: t('case.objection_done') }).catch(() => {});
        } }, by, on, text, h('button', { type: 'submit', id: 'obj-go' }, t('case.record'))));
    }));
  }
  return sec;
}

function contract(d) {
  const c = d.contract;
  if (!c) return null;
  const rows = [
    [t('sf.contract_number'), h('span', { id: 'case-contract' }, c.number)], [t('sf.signed_on'), c.signed_on],
    c.price_yuan !== undefined ? [t('sf.price_yuan'), yuan(c.price_yuan)] : null,
    c.yearly_yuan !== undefined ? [t('sf.yearly_yuan'), `${yuan(c.yearly_yuan)} × ${c.term_years} ${t('case.years')}`] : null,
    c.starts_on ? [t('case.term'), `${c.starts_on} – ${c.ends_on || ''}`] : null,
    [t('case.total'), h('strong', { id: 'case-total' }, yuan(c.total_yuan))],
    c.over_budget ? [t('case.budget'), h('span', { class: 'warn' }, t('case.over_budget'))] : null,
  ];
  return section('case-contract-block', t('case.contract'), kv(rows),
    h('h4', null, t('case.schedule')),
    h('table', { id: 'case-schedule', class: 'lines' },
      h('thead', null, h('tr', null, h('th', null, t('case.instalment')), h('th', null, t('case.due')), h('th', { class: 'num' }, t('sub.amount')), h('th', null, ''))),
      h('tbody', null, (c.schedule || []).map((r) => h('tr', { dataset: { open: String(!!r.open) } },
        h('td', null, r.label), h('td', null, /^\d{4}-/.test(r.due) ? r.due : t('case.due_at', { status: t('case.status.' + r.due) })),
        h('td', { class: 'num' }, fmt(r.amount_yuan)),
        h('td', { class: 'small ' + (r.open ? 'ok' : 'muted') }, r.open ? t('case.due_now') : t('case.not_due'))))),
      h('tfoot', null, h('tr', null, h('th', { colspan: '2' }, t('case.paid_due')),
        h('td', { class: 'num', id: 'case-paid' }, fmt(d.paid_yuan)), h('td', { class: 'small muted' }, `/ ${fmt(d.due_yuan)}`)))));
}

function payments(d) {
  const list = d.payments || [];
  const finance = can('cases.pay');
  if (!d.contract && list.length === 0) return null;
  const sec = section('case-payments-block', t('case.payments'));
  if (list.length) {
    sec.append(h('table', { id: 'case-payments', class: 'lines' },
      h('thead', null, h('tr', null, h('th', null, t('pay.paid_on')), h('th', null, t('pay.voucher')), h('th', { class: 'num' }, t('sub.amount')), h('th', null, t('pay.by')))),
      h('tbody', null, list.map((p) => h('tr', { class: 'payment', dataset: { payment: String(p.id), voucher: p.voucher } },
        h('td', null, p.paid_on), h('td', { class: 'mono small' }, p.voucher, p.reverses ? h('span', { class: 'muted' }, ` ${t('pay.reverses', { id: p.reverses })}`) : null),
        h('td', { class: 'num' }, fmt(p.amount_yuan)), h('td', { class: 'small' }, p.recorded_by))))));
  } else sec.append(h('p', { class: 'muted small' }, t('pay.none')));
  if (finance && d.contract && ['signed', 'transferred', 'in_force'].includes(d.status)) sec.append(keep('pay', () => payForm(d)));
  return sec;
}

// payForm records a payment (finance), offering what has fallen due and is not yet paid.
function payForm(d) {
  const owed = Math.max(0, Math.round((Number(d.due_yuan) - Number(d.paid_yuan)) * 100) / 100);
  const amount = h('input', { id: 'pay-amount', type: 'text', inputmode: 'decimal', value: owed > 0 ? owed.toFixed(2) : '' });
  const on = h('input', { id: 'pay-on', type: 'date', value: today(), max: today() });
  const voucher = h('input', { id: 'pay-voucher', type: 'text', autocomplete: 'off' });
  return h('form', { id: 'pay-form', class: 'step-form', onsubmit: (ev) => {
    ev.preventDefault();
    write(`${base()}/payments`, { amount_yuan: amount.value.trim(), paid_on: on.value || undefined, voucher: voucher.value.trim() }, { notice: t('pay.done') }).catch(() => {});
  } },
  h('h4', null, t('pay.title')),
  h('p', { class: 'muted small' }, t('pay.owed', { owed: fmt(owed) })),
  h('label', { class: 'sf-row' }, h('span', { class: 'sf-label' }, t('sub.amount')), amount),
  h('label', { class: 'sf-row' }, h('span', { class: 'sf-label' }, t('pay.paid_on')), on),
  h('label', { class: 'sf-row' }, h('span', { class: 'sf-label' }, t('pay.voucher') + ' *'), voucher),
  h('div', { class: 'row buttons' }, h('button', { type: 'submit', id: 'pay-go' }, t('pay.go'))));
}

function transfer(d) {
  const tr = d.transfer;
  if (!tr) return null;
  return section('case-transfer', t('case.transfer'), kv([[t('sf.transferred_on'), tr.on], [t('sf.registration'), tr.registration], [t('case.holder'), tr.holder]]));
}

function documents(d) {
  const docs = d.documents || [];
  const read = can('cases.documents.read');
  const sec = section('case-docs-block', t('case.documents'));
  if (docs.length) {
    sec.append(h('ul', { id: 'case-docs', class: 'docs' }, docs.map((doc) => h('li', { dataset: { doc: String(doc.id), kind: doc.kind } },
      read ? h('a', { class: 'download', href: `${base()}/documents/${doc.id}`, download: '' }, doc.name) : h('span', null, doc.name),
      h('span', { class: 'muted small' }, ` ${t('doc.kind.' + doc.kind)} · ${fmtBytes(doc.size)} · ${doc.uploaded_by} · ${fmtTime(doc.uploaded_at)}`)))));
  } else sec.append(h('p', { class: 'muted small', id: 'case-docs' }, t('doc.none')));
  if (can('cases.write')) sec.append(keep('doc', docForm), h('p', { class: 'muted small' }, t('doc.rules')));
  return sec;
}

// docForm uploads a document into the case file (case officers and administrators).
function docForm() {
  const file = h('input', { id: 'doc-file', type: 'file', accept: '.pdf,.jpg,.jpeg,.png,.tif,.tiff,application/pdf,image/jpeg,image/png,image/tiff' });
  const kind = h('select', { id: 'doc-kind' }, DOC_KINDS.map((k) => h('option', { value: k, selected: k === 'other' }, t('doc.kind.' + k))));
  return h('form', { id: 'doc-form', class: 'inline-form', onsubmit: (ev) => {
    ev.preventDefault();
    const f = file.files[0];
    if (!f) return;
    const body = new FormData();
    body.append('kind', kind.value);
    body.append('file', f, f.name);
    write(`${base()}/documents`, body, { notice: t('doc.done', { name: f.name }) }).catch(() => {});
  } }, kind, file, h('button', { type: 'submit', id: 'doc-go' }, t('doc.upload')));
}
