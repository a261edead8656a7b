// The steps of a case as forms, and the server's reasons in words. Each step of
// POST /api/v1/cases/{id}/transitions records something (the field check, the appraisal, the
// notice's first day, the contract, the registration, a reason); stepForm builds the small form
// for it and hands the body to send. The server explains in English why a step is not open
// (`next[].why`) or why it refused one (the problem's `detail`); the known sentences are said in
// the page's language too, and the server's own words are always kept.
//
// Test hooks: form#step-form[data-to] with inputs #sf-<field> (sf-fc_by, sf-appraised_yuan, …).

import { h } from './dom.js';
import { t, getLang } from './i18n.js';

// today is the county's calendar day (Beijing time), YYYY-MM-DD.
export function today() {
  return new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);
}

// fmtTime writes an RFC 3339 time as a county (Beijing) date and time.
export function fmtTime(at) {
  if (!at) return '—';
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) return String(at);
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', hour12: false }).formatToParts(d).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

// Modes paid every year in the shipped policy (its cases.yearly_modes): the contract form starts
// with a yearly payment for them and a price for the others. The server decides and says so.
const YEARLY = new Set(['lease', 'custody', 'concession', 'closure_agreement']);

// The fields of each step: name (input id sf-<name>), the member of the request it fills (a dot
// for a nested object), its kind, and whether the form insists on it.
const FIELDS = {
  verified: [
    { name: 'fc_date', key: 'field_check.date', kind: 'date', value: today },
    { name: 'fc_by', key: 'field_check.by', kind: 'text', required: true },
    { name: 'fc_boundaries', key: 'field_check.boundaries_confirmed', kind: 'check' },
    { name: 'fc_rights', key: 'field_check.rights_confirmed', kind: 'check' },
    { name: 'fc_dispute', key: 'field_check.dispute', kind: 'check' },
    { name: 'fc_encumbrances', key: 'field_check.encumbrances', kind: 'list' },
    { name: 'fc_note', key: 'field_check.note', kind: 'area' },
  ],
  appraised: [
    { name: 'appraised_yuan', key: 'appraised_yuan', kind: 'money', required: true },
    { name: 'appraiser', key: 'appraiser', kind: 'text', required: true },
    { name: 'report', key: 'report', kind: 'text', required: true },
  ],
  noticed: [{ name: 'notice_start', key: 'notice_start', kind: 'date', value: today, required: true }],
  signed: [
    { name: 'contract_number', key: 'contract_number', kind: 'text', required: true },
    { name: 'signed_on', key: 'signed_on', kind: 'date', value: today },
    { name: 'price_yuan', key: 'price_yuan', kind: 'money', group: 'price', required: true },
    { name: 'yearly_yuan', key: 'yearly_yuan', kind: 'money', group: 'yearly', required: true },
    { name: 'term_years', key: 'term_years', kind: 'int', group: 'yearly', required: true },
    { name: 'starts_on', key: 'starts_on', kind: 'date', group: 'yearly' },
  ],
  transferred: [
    { name: 'registration', key: 'registration', kind: 'text', required: true },
    { name: 'transferred_on', key: 'transferred_on', kind: 'date', value: today },
  ],
  in_force: [],
  closed: [{ name: 'reason', key: 'reason', kind: 'area' }],
  rejected: [{ name: 'reason', key: 'reason', kind: 'area', required: true }],
  withdrawn: [{ name: 'reason', key: 'reason', kind: 'area', required: true }],
};

function input(f) {
  const id = `sf-${f.name}`;
  const value = typeof f.value === 'function' ? f.value() : (f.value ?? '');
  switch (f.kind) {
    case 'check': return h('input', { id, type: 'checkbox' });
    case 'area': return h('textarea', { id, rows: 2 });
    case 'date': return h('input', { id, type: 'date', value, max: today() });
    case 'money': return h('input', { id, type: 'text', inputmode: 'decimal', placeholder: '0.00', autocomplete: 'off' });
    case 'int': return h('input', { id, type: 'number', min: '1', max: '70', step: '1' });
    default: return h('input', { id, type: 'text', autocomplete: 'off' });
  }
}

function set(obj, key, v) {
  const path = key.split('.');
  let o = obj;
  for (const k of path.slice(0, -1)) o = o[k] ??= {};
  o[path[path.length - 1]] = v;
}

// stepForm is the form of the step to `to` of a case in `mode`; send(body) posts it (the caller
// adds to and version) and answers a promise; cancel closes the form.
export function stepForm(to, mode, { send, cancel }) {
  const fields = FIELDS[to] || [];
  let pay = YEARLY.has(mode) ? 'yearly' : 'price';
  const rows = new Map();
  const msg = h('p', { class: 'error', role: 'alert', hidden: true });
  const go = h('button', { type: 'submit', id: 'sf-go' }, t('step.do.' + to));
  const body = [];
  if (to === 'signed') {
    const radio = (v) => h('label', { class: 'check inline' }, h('input', { type: 'radio', name: 'sf-pay', id: `sf-pay-${v}`, value: v, checked: pay === v,
      onchange: () => { pay = v; showGroups(); } }), ' ', t('sf.pay.' + v));
    body.push(h('div', { class: 'sf-row' }, h('span', { class: 'sf-label' }, t('sf.pay')), radio('price'), ' ', radio('yearly')));
  }
  for (const f of fields) {
    const el = input(f);
    const row = f.kind === 'check'
      ? h('label', { class: 'check' }, el, ' ', t('sf.' + f.name))
      : h('label', { class: 'sf-row' }, h('span', { class: 'sf-label' }, t('sf.' + f.name) + (f.required ? ' *' : '')), el);
    rows.set(f.name, row);
    body.push(row);
  }
  const hint = t('step.hint.' + to);
  function showGroups() {
    for (const f of fields) if (f.group) rows.get(f.name).hidden = f.group !== pay;
  }
  showGroups();
  const form = h('form', { id: 'step-form', class: 'step-form', dataset: { to, state: 'idle' } },
    h('h4', null, t('step.do.' + to)),
    hint !== 'step.hint.' + to ? h('p', { class: 'muted small' }, hint) : null,
    body, msg,
    h('div', { class: 'row buttons' }, go, h('button', { type: 'button', class: 'secondary', id: 'sf-cancel', onclick: cancel }, t('step.cancel'))));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const out = {};
    for (const f of fields) {
      if (f.group && f.group !== pay) continue;
      const el = form.querySelector(`#sf-${f.name}`);
      let v;
      switch (f.kind) {
        case 'check': v = el.checked; break;
        case 'list': v = el.value.split(/[,，;；、\n]/).map((s) => s.trim()).filter(Boolean); break;
        case 'int': v = el.value.trim() === '' ? undefined : Number(el.value); break;
        default: v = el.value.trim() === '' ? undefined : el.value.trim();
      }
      if (f.required && (v === undefined || v === '')) {
        msg.hidden = false;
        msg.textContent = t('step.required', { field: t('sf.' + f.name) });
        form.dataset.state = 'error';
        el.focus();
        return;
      }
      if (v !== undefined) set(out, f.key, v);
    }
    form.dataset.state = 'loading';
    go.disabled = true;
    msg.hidden = true;
    try {
      await send(out);
      form.dataset.state = 'idle';
    } catch {
      form.dataset.state = 'error'; // the caller shows why
    } finally {
      go.disabled = false;
    }
  });
  return form;
}

// ---------- the server's reasons ----------

// Why a step is not open now (nextSteps in internal/cases): the known sentences by their start.
const WHY = [
  [/^only an administrator records steps after signing/, 'why.admin_after_signing'],
  [/^only an administrator may reject a case once it is signed/, 'why.admin_reject_signed'],
  [/^only a case officer \(or an administrator\) moves a case up to signed/, 'why.officer_up_to_signed'],
  [/^only a case officer or an administrator rejects/, 'why.officer_rejects'],
  [/^only a case officer or an administrator records a withdrawal/, 'why.officer_withdraws'],
  [/^an objection raised during the public notice is not resolved/, 'why.objection'],
  [/^the public notice runs until (\d{4}-\d{2}-\d{2})/, 'why.notice', (m) => ({ ends: m[1] })],
  [/^the contract is not paid in full/, 'why.unpaid'],
  [/^a case can be withdrawn only before it is signed/, 'why.withdraw_signed'],
  [/^the forest rights have already changed hands/, 'why.transferred'],
];

// whyText says why a step is not open, in the page's language (the server's words when unknown).
export function whyText(why) {
  if (!why || getLang() === 'en') return why || '';
  for (const [re, key, vars] of WHY) {
    const m = re.exec(why);
    if (m) return t(key, vars ? vars(m) : undefined);
  }
  return why;
}

// Why the server refused a request (the problem's detail), most specific first.
const REFUSALS = [
  [/has moved on/, 'refusal.stale'],
  [/objection\(s\).*not resolved|objection raised during the public notice is not resolved/, 'refusal.objection'],
  [/already in an open case/, 'refusal.open_case'],
  [/beyond the budget/, 'refusal.budget'],
  [/public notice runs until/, 'refusal.notice'],
  [/paid in full|pay what is due/, 'refusal.unpaid'],
  [/fallen due|more than the contract|more than what has fallen due/, 'refusal.overpay'],
  [/not a candidate/, 'refusal.candidate'],
  [/(^|: )only /, 'refusal.role'],
];

// refusal is what a refused request shows: the gist in the page's language when the reason is
// a known one, then the server's own detail. stale tells the caller to offer a reload.
export function refusal(e) {
  const detail = e.detail || e.message || String(e);
  let gist = '';
  if (e.status === 403 && !REFUSALS.some(([re]) => re.test(detail))) gist = t('refusal.role');
  for (const [re, key] of REFUSALS) {
    if (re.test(detail)) {
      gist = t(key);
      break;
    }
  }
  if (e.status === 0) gist = e.message; // the server cannot be reached
  return { gist, detail: e.status === 0 ? '' : detail, stale: /has moved on/.test(detail) };
}

// refusalNode shows a refusal: the gist, the server's detail beneath.
export function refusalNode(e, id, extra) {
  const r = refusal(e);
  return h('div', { id, class: 'error refusal', role: 'alert', dataset: { status: String(e.status ?? ''), stale: String(r.stale) } },
    r.gist ? h('strong', { class: 'gist' }, r.gist) : null,
    r.detail ? h('div', { class: 'detail' }, r.detail) : null,
    extra || null);
}
