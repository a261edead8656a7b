// Buyout cases (赎买案件) on the map: the cases page over the map (filters by status, mode and
// township, the count per status, the xlsx list and the public-notice list 公示表 as PDF and
// xlsx), the case page (casepage.js) and, in the parcel panel, the parcel's cases and — for case
// officers and administrators — a form that opens a case for it with one of the modes its
// eligibility offers (the eligibility's `swap` is a case's `exchange`). The server decides who
// may do what; the page hides what a role cannot do and shows the server's reason when it
// refuses.
//
// Test hooks: #cases[data-state] (the sidebar); #cases-view[data-state] idle | loading | ready |
// error, with data-count (rows shown) and data-status/-mode/-township (the filters);
// #cases-counts [data-status][data-count]; #cases-table tr.case-row[data-id][data-number]
// [data-status]; #parcel-cases[data-state] in the parcel panel, #case-open-form[data-state]
// idle | loading | error and its refusal #case-open-msg.

import { getJSON, postJSON, enc } from './api.js';
import { h, $, fmt } from './dom.js';
import { t, modeLabel } from './i18n.js';
import { can } from './auth.js';
import { initCasePage, openCase, closeCase, rerenderCase, statusBadge } from './casepage.js';
import { refusalNode, fmtTime } from './casesteps.js';
import { refreshParcelTiles } from './casemap.js';

export const CASE_STATUSES = ['applied', 'verified', 'appraised', 'noticed', 'signed', 'transferred', 'in_force', 'closed', 'rejected', 'withdrawn'];
export const CASE_MODES = ['buyout', 'lease', 'exchange', 'custody', 'equity', 'concession', 'closure_agreement'];

// caseMode is the case mode of an eligibility mode (置换: swap there, exchange here).
export const caseMode = (id) => (id === 'swap' ? 'exchange' : id);

const list = {
  open: false,
  mode: 'idle',
  error: '',
  data: null,
  status: '',
  caseMode: '',
  township: '',
  townships: [],
  seq: 0,
};

let hooks = { onOpenList: () => {}, reloadPanel: () => {}, rerenderPanel: () => {} };

// initCases wires the sidebar and the case page. onOpenList runs when the cases page opens
// (main.js closes the roll); reloadPanel(code) shows a parcel again after a case changed it.
export function initCases(h) {
  hooks = { ...hooks, ...h };
  $('#cases-show').addEventListener('click', () => showList());
  initCasePage({
    onBack: () => showList(),
    onChanged: (c) => {
      forgetParcelCases();
      if (list.open) load();
      if (panelCode && c && c.parcels.some((p) => p.code === panelCode)) hooks.reloadPanel(panelCode);
    },
  });
  renderSidebar();
}

// setCasesTownships gives the township filter every township of the county.
export function setCasesTownships(townships) {
  list.townships = townships;
  if (list.open) renderList();
}

// resetCases forgets what the previous user saw (a case may show an owner's name in clear).
export function resetCases() {
  list.seq++;
  list.open = false;
  list.data = null;
  list.mode = 'idle';
  forgetParcelCases();
  closeCase();
  renderList();
  renderSidebar();
}

export function rerenderCases() {
  renderSidebar();
  renderList();
  rerenderCase();
}

export function closeCasesList() {
  list.open = false;
  list.seq++;
  renderList();
}

function renderSidebar() {
  const sec = $('#cases');
  sec.hidden = !can('cases');
  sec.dataset.state = list.mode;
  $('#cases-hint').textContent = can('cases.write') ? t('cases.hint_officer') : t('cases.hint');
}

// ---------- the cases page ----------

function query(extra = {}) {
  const q = new URLSearchParams();
  if (list.status) q.set('status', list.status);
  if (list.caseMode) q.set('mode', list.caseMode);
  if (list.township) q.set('township', list.township);
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  return q.toString();
}

export function showList() {
  closeCase();
  list.open = true;
  hooks.onOpenList();
  load();
}

async function load() {
  const seq = ++list.seq;
  list.mode = 'loading';
  renderList();
  try {
    const data = await getJSON(`/api/v1/cases?${query()}`, { headers: { Accept: 'application/json' } });
    if (seq !== list.seq) return;
    list.data = data;
    list.mode = 'ready';
  } catch (e) {
    if (seq !== list.seq) return;
    list.mode = 'error';
    list.error = e.message;
  }
  renderList();
  renderSidebar();
}

function setFilter(key, value) {
  list[key] = value;
  load();
}

function select(id, value, options, onchange, label) {
  return h('label', { class: 'filter' }, h('span', { class: 'muted small' }, label),
    h('select', { id, onchange: (ev) => onchange(ev.target.value) },
      options.map(([v, text]) => h('option', { value: v, selected: v === value }, text))));
}

function renderList() {
  const view = $('#cases-view');
  view.hidden = !list.open;
  view.dataset.state = list.mode;
  view.dataset.status = list.status;
  view.dataset.mode = list.caseMode;
  view.dataset.township = list.township;
  document.body.classList.toggle('cases-open', list.open);
  if (!list.open) {
    view.replaceChildren();
    return;
  }
  const d = list.data;
  const notice = list.township ? `?township=${enc(list.township)}` : '';
  const head = h('header', { class: 'roll-head' },
    h('div', { class: 'roll-title' }, h('h2', null, t('cases.title')),
      d ? h('span', { class: 'pii-badge ' + (d.masked ? 'masked' : 'unmasked') }, d.masked ? t('roll.masked') : t('roll.unmasked')) : null),
    h('div', { class: 'roll-actions' }, h('span', { class: 'muted' }, t('roll.download') + ' '),
      h('a', { id: 'cases-xlsx', class: 'download', href: `/api/v1/cases?${query({ format: 'xlsx' })}`, download: '' }, t('cases.xlsx')),
      h('a', { id: 'cases-notice-pdf', class: 'download', href: `/api/v1/cases/notice.pdf${notice}`, download: '' }, t('cases.notice_pdf')),
      h('a', { id: 'cases-notice-xlsx', class: 'download', href: `/api/v1/cases/notice.xlsx${notice}`, download: '' }, t('cases.notice_xlsx')),
      h('button', { type: 'button', id: 'cases-close', class: 'link', title: t('panel.close'), onclick: closeCasesList }, '×')));
  const filters = h('div', { class: 'case-filters' },
    select('cases-status', list.status, [['', t('cases.all')], ...CASE_STATUSES.map((s) => [s, t('case.status.' + s)])], (v) => setFilter('status', v), t('cases.status')),
    select('cases-mode', list.caseMode, [['', t('cases.all')], ...CASE_MODES.map((m) => [m, modeLabel(m)])], (v) => setFilter('caseMode', v), t('cases.mode')),
    select('cases-township', list.township, [['', t('ex.all')], ...list.townships.map(([c, n]) => [c, n])], (v) => setFilter('township', v), t('roll.township')),
    h('button', { type: 'button', id: 'cases-refresh', class: 'secondary', onclick: load }, t('cases.refresh')));
  view.replaceChildren(head, filters);
  if (d) view.append(counts(d.counts || {}));
  if (list.mode === 'loading' && !d) {
    view.append(h('p', { class: 'loading' }, t('panel.loading')));
    return;
  }
  if (list.mode === 'error') {
    view.append(h('p', { class: 'error', role: 'alert' }, list.error));
    return;
  }
  if (!d) return;
  view.dataset.count = String(d.cases.length);
  if (d.cases.length === 0) {
    view.append(h('p', { class: 'muted', id: 'cases-empty' }, t('cases.empty')));
    return;
  }
  view.append(h('div', { class: 'table-wrap' }, table(d.cases)));
  view.append(h('p', { class: 'muted small' }, t(can('cases.write') ? 'cases.note_officer' : 'cases.note')));
}

// counts: one chip per status with its count (of the cases the other filters select); a click
// filters by it, a second click shows every status again.
function counts(c) {
  const total = Object.values(c).reduce((s, n) => s + n, 0);
  const chip = (status, n, label) => h('button', { type: 'button', class: 'count-chip' + (list.status === status ? ' active' : '') + (n ? '' : ' zero'),
    dataset: { status, count: String(n) }, onclick: () => setFilter('status', list.status === status ? '' : status) },
  label, ' ', h('strong', null, String(n)));
  return h('div', { id: 'cases-counts', class: 'counts' },
    chip('', total, t('cases.all')),
    CASE_STATUSES.map((s) => chip(s, c[s] || 0, t('case.status.' + s))));
}

function table(rows) {
  return h('table', { id: 'cases-table', class: 'roll cases' },
    h('thead', null, h('tr', null, ['case.number', 'cases.mode', 'cases.status', 'case.owner', 'case.place', 'case.parcels'].map((k) => h('th', null, t(k))),
      h('th', { class: 'num' }, t('sub.area')), h('th', { class: 'num' }, t('cases.contract')), h('th', { class: 'num' }, t('cases.paid')), h('th', null, t('cases.updated')))),
    h('tbody', null, rows.map((c) => h('tr', { class: 'case-row', tabindex: '0', dataset: { id: String(c.id), number: c.number, status: c.status },
      onclick: () => openFromList(c.id), onkeydown: (ev) => { if (ev.key === 'Enter') openFromList(c.id); } },
    h('td', null, h('a', { href: '#', class: 'case-link', onclick: (ev) => ev.preventDefault() }, c.number)),
    h('td', null, modeLabel(c.mode)),
    h('td', null, statusBadge(c.status)),
    h('td', null, c.owner?.name || '—'),
    h('td', null, [c.township, c.village].filter(Boolean).join(' · ')),
    h('td', { class: 'mono small parcels-cell', title: (c.parcels || []).join('\n') }, (c.parcels || []).length > 2 ? `${c.parcels[0]} …（${c.parcels.length}）` : (c.parcels || []).join('、')),
    h('td', { class: 'num' }, fmt(c.area_mu)),
    h('td', { class: 'num' }, c.contract_yuan === null || c.contract_yuan === undefined ? '—' : fmt(c.contract_yuan)),
    h('td', { class: 'num' }, fmt(c.paid_yuan)),
    h('td', { class: 'small' }, fmtTime(c.updated_at))))));
}

// openFromList shows a case beside the map (its parcels on it) instead of the list.
function openFromList(id) {
  closeCasesList();
  openCase(id);
}

// ---------- in the parcel panel ----------

let panelCode = '';
const parcelCases = { code: '', mode: 'idle', cases: [], error: '' };
const openForm = { code: '', mode: '', more: '', counterpart: '', note: '', state: 'idle', refusal: null };

function forgetParcelCases() {
  parcelCases.code = '';
  parcelCases.mode = 'idle';
}

async function loadParcelCases(code, rerender) {
  parcelCases.code = code;
  parcelCases.mode = 'loading';
  try {
    const d = await getJSON(`/api/v1/cases?parcel=${enc(code)}`, { headers: { Accept: 'application/json' } });
    if (parcelCases.code !== code) return;
    parcelCases.cases = d.cases || [];
    parcelCases.mode = 'ready';
  } catch (e) {
    if (parcelCases.code !== code) return;
    parcelCases.mode = 'error';
    parcelCases.error = e.message;
  }
  rerender();
}

// parcelSection is the panel's 案件 block (panel.js calls it on each drawing): the parcel's
// cases and, for case officers, the form that opens one.
export function parcelSection({ code, eligibility, rerender }) {
  panelCode = code;
  if (!can('cases')) return null;
  if (parcelCases.code !== code || parcelCases.mode === 'idle') loadParcelCases(code, rerender);
  if (openForm.code !== code) Object.assign(openForm, { code, mode: '', more: '', counterpart: '', note: '', state: 'idle', refusal: null });
  const sec = h('section', { id: 'parcel-cases', class: 'block', dataset: { state: parcelCases.mode } }, h('h3', null, t('case.panel.title')));
  if (parcelCases.mode === 'ready') {
    if (parcelCases.cases.length === 0) sec.append(h('p', { class: 'muted small' }, t('case.panel.none')));
    else {
      sec.append(h('ul', { class: 'parcel-case-list' }, parcelCases.cases.map((c) => h('li', { dataset: { id: String(c.id), status: c.status } },
        h('a', { href: '#', class: 'case-link', onclick: (ev) => { ev.preventDefault(); openCase(c.id); } }, c.number), ' ',
        statusBadge(c.status), ' ', h('span', { class: 'muted small' }, modeLabel(c.mode))))));
    }
  } else if (parcelCases.mode === 'error') sec.append(h('p', { class: 'error small' }, parcelCases.error));
  if (can('cases.write') && eligibility.mode === 'ready') sec.append(openCaseForm(code, eligibility.data, rerender));
  return sec;
}

// openCaseForm: the mode (from the eligibility's modes and other modes), more parcels of the
// same owner, the reserve's parcels for an exchange, a note; the server's refusal beneath.
function openCaseForm(code, el, rerender) {
  const modes = [...new Set([...(el.modes || []), ...(el.other_modes || [])].map((m) => caseMode(m.id || m)))];
  if (modes.length === 0) {
    return h('p', { id: 'case-open-none', class: 'muted small' }, el.status === 'in_case' ? t('case.open.in_case') : t('case.open.none'));
  }
  if (!modes.includes(openForm.mode)) openForm.mode = modes[0];
  const bind = (key) => (ev) => { openForm[key] = ev.target.value; };
  const exchange = openForm.mode === 'exchange';
  const form = h('form', { id: 'case-open-form', class: 'step-form', dataset: { state: openForm.state }, onsubmit: (ev) => submitOpen(ev, code, rerender) },
    h('h4', null, t('case.open.title')),
    h('label', { class: 'sf-row' }, h('span', { class: 'sf-label' }, t('cases.mode')),
      h('select', { id: 'case-mode', onchange: (ev) => { openForm.mode = ev.target.value; rerender(); } },
        modes.map((m) => h('option', { value: m, selected: m === openForm.mode }, modeLabel(m))))),
    h('label', { class: 'sf-row' }, h('span', { class: 'sf-label' }, t('case.open.more')),
      h('input', { id: 'case-more', type: 'text', value: openForm.more, placeholder: t('case.open.more_ph'), oninput: bind('more') })),
    exchange ? h('label', { class: 'sf-row' }, h('span', { class: 'sf-label' }, t('case.open.counterpart') + ' *'),
      h('input', { id: 'case-counterpart', type: 'text', value: openForm.counterpart, placeholder: t('case.open.counterpart_ph'), oninput: bind('counterpart') })) : null,
    h('label', { class: 'sf-row' }, h('span', { class: 'sf-label' }, t('case.note')),
      h('input', { id: 'case-note', type: 'text', value: openForm.note, oninput: bind('note') })),
    openForm.refusal ? refusalNode(openForm.refusal, 'case-open-msg') : null,
    h('div', { class: 'row buttons' }, h('button', { type: 'submit', id: 'case-open', disabled: openForm.state === 'loading' }, t('case.open.go'))));
  return form;
}

const codes = (s) => s.split(/[\s,，;；、]+/).map((x) => x.trim()).filter(Boolean);

async function submitOpen(ev, code, rerender) {
  ev.preventDefault();
  openForm.state = 'loading';
  openForm.refusal = null;
  rerender();
  try {
    const body = { mode: openForm.mode, parcels: [code, ...codes(openForm.more).filter((c) => c !== code)] };
    if (openForm.mode === 'exchange') body.counterpart = codes(openForm.counterpart);
    if (openForm.note.trim()) body.note = openForm.note.trim();
    const c = await postJSON('/api/v1/cases', body);
    Object.assign(openForm, { code: '', state: 'idle', refusal: null });
    forgetParcelCases();
    closeCasesList();
    await openCase(c.id, c);
    refreshParcelTiles();
    hooks.reloadPanel(code); // the parcel is in a case now
  } catch (e) {
    openForm.state = 'error';
    openForm.refusal = e;
    rerender();
  }
}
