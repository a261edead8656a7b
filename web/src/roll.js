// The disbursement roll (发放清册): year and township in the sidebar, the roll of one township in
// a table over the map (village subtotals, the total, 100 rows a page) with a badge that says
// whether personal data is masked, and plain download links (the browser streams xlsx and csv).
// The server decides the masking by the signed-in user's roles and audits unmasked reads.
//
// Test hooks: #roll[data-state] and #roll-view[data-state] are idle | loading | ready | error;
// #roll-view carries data-masked (true | false), data-township, data-page and data-pages.

import { getJSON } from './api.js';
import { h, $, fmt } from './dom.js';
import { t, getLang } from './i18n.js';
import { can } from './auth.js';

const PAGE = 100;

const state = {
  years: [],
  year: 0,
  township: '',
  masked: false, // finance asks for the masked roll (to post publicly)
  townships: [], // [code, name], sorted
  open: false,
  mode: 'idle',
  error: '',
  data: null,
  page: 0,
  seq: 0,
  onUnexpectedMask: () => {},
};

// initRoll wires the sidebar; the year comes later, with the map configuration (setRollYear).
export function initRoll({ onUnexpectedMask }) {
  if (onUnexpectedMask) state.onUnexpectedMask = onUnexpectedMask;
  $('#roll-year').addEventListener('change', (ev) => {
    state.year = Number(ev.target.value);
    renderLinks();
    if (state.open) load();
  });
  $('#roll-township').addEventListener('change', (ev) => {
    state.township = ev.target.value;
    renderLinks();
    if (state.open && state.township) load();
  });
  $('#roll-mask').addEventListener('change', (ev) => {
    state.masked = ev.target.checked;
    renderLinks();
    if (state.open && state.township) load();
  });
  $('#roll-show').addEventListener('click', () => {
    if (!state.township || !state.year) return;
    state.open = true;
    load();
  });
  renderControls();
}

// setRollYear follows the year of the map configuration (known once it has loaded).
export function setRollYear(year) {
  if (!year || year === state.years[0]) return;
  state.year = year;
  state.years = [year, year - 1, year - 2];
  renderControls();
}

export function setRollTownships(townships) {
  state.townships = townships;
  renderControls();
}

// resetRoll forgets the roll shown (it may hold unmasked personal data of the previous user);
// with reopen, an open roll is read again under the new identity.
export function resetRoll({ reopen = false } = {}) {
  state.seq++;
  state.masked = false;
  $('#roll-mask').checked = false;
  renderControls();
  state.data = null;
  state.error = '';
  state.mode = 'idle';
  state.page = 0;
  if (reopen && state.open && state.township) {
    load();
    return;
  }
  state.open = false;
  render();
}

export function rerenderRoll() {
  renderControls();
  render();
}

function query(format) {
  const q = new URLSearchParams({ year: String(state.year) });
  if (state.township) q.set('township', state.township);
  if (state.masked && can('unmask')) q.set('masked', 'true');
  q.set('format', format);
  return `/api/v1/subsidy-roll?${q}`;
}

async function load() {
  const seq = ++state.seq;
  state.mode = 'loading';
  state.data = null;
  state.page = 0;
  render();
  try {
    const data = await getJSON(query('json'), { headers: { Accept: 'application/json' } });
    if (seq !== state.seq) return;
    state.data = data;
    state.mode = 'ready';
    if (data.masked && !state.masked && can('unmask')) state.onUnexpectedMask();
  } catch (e) {
    if (seq !== state.seq) return;
    state.mode = 'error';
    state.error = e.message;
  }
  render();
}

function close() {
  state.open = false;
  state.seq++;
  state.data = null;
  state.mode = 'idle';
  render();
}

// ---------- sidebar ----------

function renderControls() {
  const year = $('#roll-year');
  year.replaceChildren(...state.years.map((y) => h('option', { value: String(y), selected: y === state.year }, String(y))));
  const sel = $('#roll-township');
  const opts = [h('option', { value: '' }, state.townships.length ? t('roll.pick') : t('roll.townships_loading'))];
  for (const [code, name] of state.townships) opts.push(h('option', { value: code, selected: code === state.township }, `${name}（${code}）`));
  sel.replaceChildren(...opts);
  sel.value = state.townships.some(([c]) => c === state.township) ? state.township : '';
  if (sel.value !== state.township) state.township = sel.value;
  $('#roll-mask-label').hidden = !can('unmask');
  renderLinks();
}

function downloadLinks(idPrefix) {
  return [
    h('a', { id: `${idPrefix}-xlsx`, class: 'download', href: query('xlsx'), download: '' }, t('roll.xlsx')),
    h('a', { id: `${idPrefix}-csv`, class: 'download', href: query('csv'), download: '' }, t('roll.csv')),
  ];
}

function renderLinks() {
  $('#roll-show').disabled = !state.township || !state.year;
  $('#roll-links').replaceChildren(h('span', { class: 'muted' }, t('roll.download') + ' '), ...downloadLinks('roll-dl'),
    h('span', { class: 'muted small' }, ' ' + (state.township ? '' : t('roll.county'))));
  $('#roll').dataset.state = state.mode;
}

// ---------- the roll over the map ----------

function townshipName() {
  return state.townships.find(([c]) => c === state.township)?.[1] || state.township;
}

function maskBadge(masked) {
  return h('span', { id: 'roll-badge', class: 'pii-badge ' + (masked ? 'masked' : 'unmasked'), dataset: { masked: String(masked) } },
    masked ? t('roll.masked') : t('roll.unmasked'));
}

function render() {
  const view = $('#roll-view');
  $('#roll').dataset.state = state.mode;
  view.hidden = !state.open;
  view.dataset.state = state.mode;
  view.dataset.township = state.open ? state.township : '';
  view.dataset.masked = state.data ? String(!!state.data.masked) : '';
  document.body.classList.toggle('roll-open', state.open);
  if (!state.open) {
    view.replaceChildren();
    return;
  }
  const d = state.data;
  const head = h('header', { class: 'roll-head' },
    h('div', { class: 'roll-title' },
      h('h2', null, t('roll.heading', { year: state.year, township: townshipName() })),
      d ? maskBadge(!!d.masked) : null,
      d && d.policy_version ? h('span', { class: 'muted small' }, `${t('el.policy')} ${d.policy_version}`) : null),
    h('div', { class: 'roll-actions' }, h('span', { class: 'muted' }, t('roll.download') + ' '), ...downloadLinks('rv'),
      h('button', { type: 'button', id: 'roll-close', class: 'link', title: t('panel.close'), onclick: close }, '×')));
  view.replaceChildren(head);
  if (state.mode === 'loading') {
    view.append(h('p', { class: 'loading' }, t('panel.loading')));
    return;
  }
  if (state.mode === 'error') {
    view.append(h('p', { class: 'error', role: 'alert' }, state.error));
    return;
  }
  if (!d) return;
  const note = !d.masked ? t('roll.unmasked_note') : (can('unmask') ? t('roll.masked_note_finance') : t('roll.masked_note'));
  view.append(h('p', { class: 'pii-note ' + (d.masked ? 'masked' : 'unmasked') }, note));
  if (d.rows.length === 0) {
    view.append(h('p', { class: 'muted' }, t('roll.empty')));
    return;
  }
  const pages = Math.ceil(d.rows.length / PAGE);
  state.page = Math.min(state.page, pages - 1);
  view.dataset.page = String(state.page + 1);
  view.dataset.pages = String(pages);
  view.append(h('div', { class: 'table-wrap' }, table(d, state.page)));
  view.append(pager(d.rows.length, pages));
  view.append(h('p', { id: 'roll-split', class: 'small' }, t('roll.split', { paid: fmt(d.owner_total_yuan), county: fmt(d.county_retained_total_yuan) })));
  const pending = pendingList(d);
  if (pending) view.append(pending);
  // The server's note is English; the Chinese interface says the same in Chinese.
  if (d.note) view.append(h('p', { class: 'muted small' }, getLang() === 'en' ? d.note : t('roll.note')));
}

function table(d, page) {
  const villages = new Map(d.villages.map((v) => [v.code, v]));
  const rows = d.rows;
  const start = page * PAGE;
  const end = Math.min(rows.length, start + PAGE);
  const body = [];
  for (let i = start; i < end; i++) {
    const r = rows[i];
    body.push(h('tr', { class: 'roll-row' },
      h('td', null, r.village),
      h('td', { class: 'owner' }, r.owner),
      h('td', { class: 'id-number mono' }, r.id_number || '—'),
      h('td', { class: 'account mono' }, r.account || '—'),
      h('td', { class: 'program' }, r.program_name || r.program),
      h('td', { class: 'num' }, fmt(r.area_mu)),
      h('td', { class: 'num' }, fmt(r.amount_yuan)),
      h('td', { class: 'num retained' }, fmt(r.county_retained_yuan)),
      h('td', { class: 'num paid' }, fmt(r.owner_yuan)),
      h('td', { class: 'note small' }, rowNote(r))));
    // A village's subtotal follows its last row.
    if (i === rows.length - 1 || rows[i + 1].village_code !== r.village_code) {
      const v = villages.get(r.village_code);
      if (v) body.push(h('tr', { class: 'subtotal', dataset: { village: v.code } },
        h('td', { colspan: '5' }, t('roll.subtotal', { village: v.name || r.village })),
        h('td', { class: 'num' }, fmt(v.area_mu)),
        h('td', { class: 'num' }, fmt(v.amount_yuan)),
        h('td', { class: 'num' }, fmt(v.county_retained_yuan)),
        h('td', { class: 'num' }, fmt(v.owner_yuan)),
        h('td', null, '')));
    }
  }
  const area = d.townships.reduce((s, tw) => s + Math.round(Number(tw.area_mu) * 100), 0) / 100;
  return h('table', { id: 'roll-table', class: 'roll' },
    h('thead', null, h('tr', null,
      h('th', null, t('roll.village')), h('th', null, t('roll.owner')), h('th', null, t('roll.id_number')),
      h('th', null, t('roll.account')), h('th', null, t('roll.program')),
      h('th', { class: 'num' }, t('sub.area')), h('th', { class: 'num' }, t('sub.amount')),
      h('th', { class: 'num' }, t('roll.retained')), h('th', { class: 'num' }, t('roll.paid')), h('th', null, t('roll.note_col')))),
    h('tbody', null, body),
    h('tfoot', null, h('tr', { class: 'total' },
      h('th', { colspan: '5' }, t('roll.total', { rows: d.rows.length, villages: d.villages.length })),
      h('td', { class: 'num' }, fmt(area)),
      h('td', { class: 'num', id: 'roll-total' }, fmt(d.total_yuan)),
      h('td', { class: 'num', id: 'roll-retained' }, fmt(d.county_retained_total_yuan)),
      h('td', { class: 'num', id: 'roll-paid' }, fmt(d.owner_total_yuan)),
      h('td', null, ''))));
}

// rowNote says why a row pays nothing (pending: the rate is not known; its parcels) or less than
// its amount (the county's part); the server writes it in Chinese.
function rowNote(r) {
  if (getLang() === 'zh') return r.note || '';
  const parts = [];
  if (r.pending) parts.push(t('roll.pending_row', { parcels: (r.parcel_codes || []).join(', ') }));
  else if (Number(r.county_retained_yuan) > 0) parts.push(t('roll.retained_row', { county: fmt(r.county_retained_yuan) }));
  if (!r.pending && r.confirmed === false) parts.push(t('sub.unconfirmed'));
  return parts.join('; ');
}

// pendingList names the programmes the roll lists but does not pay, with their parcels.
function pendingList(d) {
  if (!d.pending_programs || d.pending_programs.length === 0) return null;
  return h('section', { id: 'roll-pending', class: 'pending' },
    h('h3', null, t('roll.pending_title')),
    h('ul', null, d.pending_programs.map((p) => h('li', { dataset: { program: p.program } },
      h('strong', null, p.program_name), ' ',
      t('roll.pending_item', { parcels: p.parcels, area: fmt(p.area_mu) }), ' ',
      h('span', { class: 'muted small' }, getLang() === 'zh' ? p.note : t('roll.pending_note'))))));
}

function pager(n, pages) {
  const go = (p) => () => { state.page = p; render(); $('#roll-view .table-wrap')?.scrollTo(0, 0); };
  return h('nav', { class: 'pager' },
    h('button', { type: 'button', class: 'secondary', id: 'roll-prev', disabled: state.page === 0, onclick: go(state.page - 1) }, t('roll.prev')),
    h('span', { class: 'muted' }, t('roll.page', { page: state.page + 1, pages, from: state.page * PAGE + 1, to: Math.min(n, (state.page + 1) * PAGE), rows: n })),
    h('button', { type: 'button', class: 'secondary', id: 'roll-next', disabled: state.page >= pages - 1, onclick: go(state.page + 1) }, t('roll.next')));
}
