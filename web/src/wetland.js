// The wetland bank (湿地银行) of the 饶河源 wetland park on the map: the sidebar's entry, the
// bank's page over the map — the credit projects with their balances (issued, released, held in
// reserve, sold, available, proceeds), the debits (applications that occupy wetland, what they
// owe and what they have retired and paid), what the protection fund received, and the ledger
// as JSON and xlsx (whole, per project, per buyer) — and the project or debit page beside the map
// (wetlanditem.js). Debits are opened from the zone check (wetlandcheck.js). The server decides
// who may do what; the page hides what a role cannot do and shows the server's reason when it
// refuses.
//
// Test hooks: #wetland[data-state] (the sidebar); #wetland-view[data-state] idle | loading |
// ready | error with data-projects and data-debits (rows shown); #wetland-totals td[data-bucket];
// #wetland-fund[data-received]; #wetland-projects tr.project-row[data-project][data-status]
// [data-available][data-sold]; #wetland-debits tr.debit-row[data-debit][data-status]
// [data-outstanding]; links #wetland-ledger, #wetland-ledger-xlsx.

import { getJSON } from './api.js';
import { h, $, fmt } from './dom.js';
import { t, activityLabel } from './i18n.js';
import { can } from './auth.js';
import { initWetlandItem, openWetlandItem, closeWetlandItem, rerenderWetlandItem, wetlandStatus, BUCKETS } from './wetlanditem.js';
import { loadWetlandLayers } from './wetlandmap.js';
import { kindLabel } from './wetlandwords.js';

const page = { open: false, mode: 'idle', error: '', balance: null, projects: null, debits: null, seq: 0 };
let hooks = { onOpen: () => {} };

// initWetland wires the sidebar and the item page; onOpen runs when the bank's page or an item
// opens (main.js closes the roll and the cases).
export function initWetland(hk) {
  hooks = { ...hooks, ...hk };
  $('#wetland-show').addEventListener('click', () => showWetland());
  initWetlandItem({
    onBack: () => showWetland(),
    onChanged: () => {
      reloadLayers();
      if (page.open) load();
    },
  });
  renderSidebar();
}

// reloadLayers reads the projects and debits layers again (after a write, a sign-in or out).
export function reloadLayers() {
  return loadWetlandLayers({ staff: can('wetland'), only: ['wetland_projects', 'wetland_debits'] });
}

// resetWetland forgets what the previous user saw.
export function resetWetland() {
  page.seq++;
  Object.assign(page, { open: false, mode: 'idle', balance: null, projects: null, debits: null });
  closeWetlandItem();
  render();
  renderSidebar();
}

export function rerenderWetland() {
  renderSidebar();
  render();
  rerenderWetlandItem();
}

// closeWetland hides the bank's page and the item page (another page opens over the map).
export function closeWetland() {
  page.open = false;
  page.seq++;
  closeWetlandItem();
  render();
}

export function showWetland() {
  closeWetlandItem();
  hooks.onOpen();
  page.open = true;
  load();
}

// openCreated shows a debit or project (kind) the zone check has just made, beside the map.
export function openCreated(kind, item) {
  page.open = false;
  render();
  hooks.onOpen();
  reloadLayers();
  openWetlandItem(kind, item.id, item, t(kind === 'project' ? 'wl.proposed_done' : 'wl.debit_opened'));
}

function renderSidebar() {
  const sec = $('#wetland');
  sec.hidden = !can('wetland');
  sec.dataset.state = page.mode;
  $('#wetland-hint').textContent = t(can('wetland.write') ? 'wl.hint_officer' : (can('wetland.sell') ? 'wl.hint_finance' : 'wl.hint'));
}

async function load() {
  const seq = ++page.seq;
  page.mode = 'loading';
  render();
  try {
    const json = { headers: { Accept: 'application/json' } };
    const [balance, projects, debits] = await Promise.all([getJSON('/api/v1/wetland/balance', json),
      getJSON('/api/v1/wetland/projects', json), getJSON('/api/v1/wetland/debits', json)]);
    if (seq !== page.seq) return;
    Object.assign(page, { balance, projects: projects.projects || [], debits: debits.debits || [], mode: 'ready' });
  } catch (e) {
    if (seq !== page.seq) return;
    page.mode = 'error';
    page.error = e.message;
  }
  render();
  renderSidebar();
}

function render() {
  const view = $('#wetland-view');
  view.hidden = !page.open;
  view.dataset.state = page.mode;
  document.body.classList.toggle('wetland-open', page.open);
  if (!page.open) {
    view.replaceChildren();
    return;
  }
  const head = h('header', { class: 'roll-head' },
    h('div', { class: 'roll-title' }, h('h2', null, t('wl.title')), page.balance ? h('span', { class: 'muted' }, page.balance.fund) : null),
    h('div', { class: 'roll-actions' }, h('span', { class: 'muted' }, t('wl.ledger') + ' '),
      h('a', { id: 'wetland-ledger', class: 'download', href: '/api/v1/wetland/ledger', target: '_blank', rel: 'noopener' }, 'JSON'),
      h('a', { id: 'wetland-ledger-xlsx', class: 'download', href: '/api/v1/wetland/ledger?format=xlsx', download: '' }, 'xlsx'),
      h('button', { type: 'button', id: 'wetland-refresh', class: 'secondary', onclick: load }, t('cases.refresh')),
      h('button', { type: 'button', id: 'wetland-close', class: 'link', title: t('panel.close'), onclick: closeWetland }, '×')));
  view.replaceChildren(head);
  if (page.mode === 'error') {
    view.append(h('p', { class: 'error', role: 'alert' }, page.error));
    return;
  }
  if (!page.balance) {
    view.append(h('p', { class: 'loading' }, t('panel.loading')));
    return;
  }
  view.dataset.projects = String(page.balance.projects.length);
  view.dataset.debits = String(page.debits.length);
  view.append(h('div', { class: 'wetland-body' }, totals(page.balance), projectsTable(page.balance.projects, page.projects), debitsTable(page.debits),
    h('p', { class: 'muted small' }, t(can('wetland.write') ? 'wl.note_officer' : 'wl.note'))));
}

function totals(b) {
  return h('section', { class: 'wetland-totals' },
    h('table', { id: 'wetland-totals', class: 'lines balance' },
      h('thead', null, h('tr', null, h('th', null, ''), BUCKETS.map((k) => h('th', { class: 'num' }, t('wl.b.' + k))))),
      h('tbody', null, h('tr', null, h('th', null, t('wl.all_projects')),
        BUCKETS.map((k) => h('td', { class: 'num', dataset: { bucket: k, value: String(b.total[k]) } }, fmt(b.total[k])))))),
    h('p', { id: 'wetland-fund', class: 'fund', dataset: { received: String(b.fund_received_yuan) } },
      t('wl.fund_received', { fund: b.fund, amount: fmt(b.fund_received_yuan) })));
}

// projectsTable: one row per project, its balance beside what it is; a click opens it.
function projectsTable(rows, projects) {
  const byID = new Map((projects || []).map((p) => [p.id, p]));
  const sec = h('section', { class: 'wetland-section' }, h('h3', null, t('wl.projects'), h('span', { class: 'muted small' }, ` · ${rows.length}`)));
  if (rows.length === 0) {
    sec.append(h('p', { class: 'muted', id: 'wetland-projects-empty' }, t('wl.no_projects')));
    return sec;
  }
  sec.append(h('div', { class: 'table-wrap' }, h('table', { id: 'wetland-projects', class: 'roll cases' },
    h('thead', null, h('tr', null, ['wl.project', 'wl.kind', 'wl.status', 'wl.service_area'].map((k) => h('th', null, t(k))),
      h('th', { class: 'num' }, t('wl.area_mu')), BUCKETS.map((k) => h('th', { class: 'num' }, t('wl.b.' + k))), h('th', { class: 'num' }, t('wl.b.proceeds')),
      h('th', null, t('wl.statement')))),
    h('tbody', null, rows.map((b) => {
      const p = byID.get(b.project) || {};
      const open = () => openItem('project', b.project);
      return h('tr', { class: 'project-row case-row', tabindex: '0', dataset: { project: String(b.project), status: b.status, available: String(b.available), sold: String(b.sold) },
        onclick: open, onkeydown: (ev) => { if (ev.key === 'Enter') open(); } },
      h('td', null, h('a', { href: '#', class: 'case-link', onclick: (ev) => ev.preventDefault() }, b.name), h('div', { class: 'muted small' }, b.sponsor)),
      h('td', null, kindLabel(b.kind, p.kind_label)),
      h('td', null, wetlandStatus('project', b.status)),
      h('td', { class: 'small' }, b.service_area),
      h('td', { class: 'num' }, fmt(p.area_mu)),
      BUCKETS.map((k) => h('td', { class: 'num' + (k === 'available' ? ' strong' : ''), dataset: { bucket: k } }, fmt(b[k]))),
      h('td', { class: 'num' }, fmt(b.proceeds_yuan)),
      h('td', { class: 'small', onclick: (ev) => ev.stopPropagation() },
        h('a', { class: 'download', href: `/api/v1/wetland/ledger?project=${b.project}&format=xlsx`, download: '' }, 'xlsx')));
    })))));
  return sec;
}

// debitsTable: one row per debit: who, what for, what it owes and has settled; a click opens it.
function debitsTable(rows) {
  const sec = h('section', { class: 'wetland-section' }, h('h3', null, t('wl.debits'), h('span', { class: 'muted small' }, ` · ${rows.length}`)));
  if (rows.length === 0) {
    sec.append(h('p', { class: 'muted', id: 'wetland-debits-empty' }, t('wl.no_debits')));
    return sec;
  }
  sec.append(h('div', { class: 'table-wrap' }, h('table', { id: 'wetland-debits', class: 'roll cases' },
    h('thead', null, h('tr', null, ['wl.debit', 'wl.applicant', 'wl.purpose', 'wl.status', 'wl.service_area'].map((k) => h('th', null, t(k))),
      ['occupied_mu', 'credits_required', 'credits_retired', 'credits_outstanding', 'paid_yuan'].map((k) => h('th', { class: 'num' }, t('wl.d.' + k))),
      h('th', null, t('wl.statement')))),
    h('tbody', null, rows.map((d) => {
      const open = () => openItem('debit', d.id);
      return h('tr', { class: 'debit-row case-row', tabindex: '0', dataset: { debit: String(d.id), status: d.status, outstanding: String(d.credits_outstanding) },
        onclick: open, onkeydown: (ev) => { if (ev.key === 'Enter') open(); } },
      h('td', null, h('a', { href: '#', class: 'case-link', onclick: (ev) => ev.preventDefault() }, t('wl.debit_no', { id: d.id }))),
      h('td', null, d.applicant),
      h('td', { class: 'small' }, [d.purpose, activityLabel(d.activity)].filter(Boolean).join(' · ')),
      h('td', null, wetlandStatus('debit', d.status)),
      h('td', { class: 'small' }, d.service_area),
      ['occupied_mu', 'credits_required', 'credits_retired', 'credits_outstanding', 'paid_yuan'].map((k) => h('td', { class: 'num', dataset: { figure: k } }, fmt(d[k]))),
      h('td', { class: 'small', onclick: (ev) => ev.stopPropagation() },
        h('a', { class: 'download', href: `/api/v1/wetland/ledger?buyer=${encodeURIComponent(d.applicant)}&format=xlsx`, download: '' }, 'xlsx')));
    })))));
  return sec;
}

// openItem shows a project or debit beside the map instead of the page.
function openItem(kind, id) {
  page.open = false;
  page.seq++;
  render();
  openWetlandItem(kind, id);
}
