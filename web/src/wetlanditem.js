// A credit project or a debit of the wetland bank beside the map (its footprint outlined and
// fitted). A project: sponsor, baseline, area, credits by its kind's ratio, its balance (issued,
// released, held in reserve, sold, available), the milestones with their releases; a case
// officer approves or rejects a proposed project and records a milestone's release with its
// evidence and verifier. A debit: the wetland it occupies line by line (type, importance, basis,
// ratio, credits and why), the art. 21 note, its sales; finance settles it by buying released
// credits from one or more projects of its service area at an appraised price, the policy's
// reference price shown beside it. A refusal shows the server's reason.
//
// Test hooks: #wetland-item[data-state] idle | loading | ready | error with data-kind (project |
// debit), data-id, data-status, data-version; #wetland-msg (a refusal, data-status) and
// #wetland-notice; project: #wp-credits[data-credits], #wp-balance td[data-bucket], #wp-milestones tr[data-milestone]
// [data-released], #wp-approve, #wp-reject, #release-form with #rel-milestone, #rel-verified-on,
// #rel-verifier, #rel-evidence, #rel-note, #rel-credits, #rel-go; debit: #wd-figures
// td[data-figure], #wd-lines tr.wd-line, #wd-sales li[data-sale], #sale-form with
// input.sale-credits[data-project], #sale-price, #sale-reference[data-price], #sale-appraiser,
// #sale-appraised-on, #sale-report, #sale-paid-on, #sale-voucher, #sale-total[data-credits]
// [data-amount], #sale-go; links #wetland-item-ledger, #wetland-item-xlsx.

import { getJSON, postJSON, enc } from './api.js';
import { h, $, fmt } from './dom.js';
import { t, activityLabel, zoneKindLabel } from './i18n.js';
import { can } from './auth.js';
import { today, fmtTime } from './casesteps.js';
import { lineWhy, basisLabel, refusalNode, credits, kindLabel } from './wetlandwords.js';
import { showWetlandItem, clearWetlandItem, wetlandFeature } from './wetlandmap.js';

const state = { kind: '', id: 0, mode: 'idle', data: null, error: '', refusal: null, notice: '', balance: null, reference: null, geometry: null, seq: 0 };
let hooks = { onBack: () => {}, onChanged: () => {} };

export function initWetlandItem(hk) { hooks = { ...hooks, ...hk }; }

export function wetlandItemOpen() { return state.mode !== 'idle'; }

const path = (kind, id) => `/api/v1/wetland/${kind === 'project' ? 'projects' : 'debits'}/${enc(id)}`;

// openWetlandItem shows project or debit id (kind), with data (and what was done, notice) when
// the caller has just received it.
export async function openWetlandItem(kind, id, data, notice = '') {
  Object.assign(state, { kind, id: Number(id), refusal: null, notice, balance: null, reference: null, geometry: null });
  kept.clear();
  if (data) show(data);
  else await load();
  drawFootprint();
}

export function closeWetlandItem() {
  state.seq++;
  Object.assign(state, { mode: 'idle', data: null, kind: '', id: 0, balance: null, reference: null, geometry: null });
  clearWetlandItem();
  render();
}

export function rerenderWetlandItem() {
  kept.clear();
  render();
}

async function load() {
  const seq = ++state.seq;
  Object.assign(state, { mode: 'loading', refusal: null, notice: '' });
  render();
  let data;
  try {
    data = await getJSON(path(state.kind, state.id), { headers: { Accept: 'application/json' } });
  } catch (e) {
    data = e;
  }
  if (seq !== state.seq) return;
  if (!(data instanceof Error)) {
    show(data);
    return;
  }
  Object.assign(state, { mode: 'error', error: data.message });
  render();
}

function show(data) {
  state.data = data;
  state.id = data.id;
  state.mode = 'ready';
  render();
  if (state.kind === 'debit' && data.status === 'open' && can('wetland.sell')) loadSaleContext();
}

// The footprint: the layer's feature when the map holds it, else the layer read for it.
async function geometryOf(kind, id) {
  const group = kind === 'project' ? 'wetland_projects' : 'wetland_debits';
  const f = wetlandFeature(group, id);
  if (f) return f.geometry;
  const fc = await getJSON(`/api/v1/wetland/${kind === 'project' ? 'projects' : 'debits'}?format=geojson`, { headers: { Accept: 'application/geo+json' } });
  return (fc.features || []).find((x) => x.id === Number(id))?.geometry || null;
}

async function drawFootprint() {
  const { kind, id } = state;
  try {
    const g = await geometryOf(kind, id);
    if (kind !== state.kind || id !== state.id) return;
    state.geometry = g;
    const pane = $('#wetland-item').getBoundingClientRect();
    await showWetlandItem(g, { rightPadding: Math.round(pane.width) });
  } catch (e) {
    console.warn('the footprint:', e.message);
  }
}

// loadSaleContext reads what the sale form offers: every project's balance, and the policy's
// reference price (the zone check's figure for the debit's footprint: the debit does not carry
// it).
async function loadSaleContext() {
  const { id } = state;
  try {
    const [balance, geometry] = await Promise.all([getJSON('/api/v1/wetland/balance'), state.geometry || geometryOf('debit', id)]);
    if (id !== state.id) return;
    state.balance = balance;
    kept.clear();
    render();
    if (geometry && state.reference === null) {
      const zc = await postJSON('/api/v1/zone-check', { geometry, activity: state.data.activity });
      if (id !== state.id) return;
      state.reference = zc.wetland ? zc.wetland.reference_price_yuan_per_credit : null;
      const ref = $('#sale-reference');
      if (ref) setReference(ref);
    }
  } catch (e) {
    console.warn('the sale form:', e.message);
  }
}

// write posts body to p and shows the project or debit the server answers.
async function write(p, body, notice) {
  Object.assign(state, { refusal: null, notice: '' });
  try {
    const answer = await postJSON(p, body);
    state.notice = notice;
    kept.clear();
    show(answer);
    const pane = $('#wetland-item .case-body');
    if (pane) pane.scrollTop = 0; // the notice and the new balance are at the top
    hooks.onChanged(state.kind, answer);
  } catch (e) {
    state.refusal = e;
    render();
    $('#wetland-msg')?.scrollIntoView({ block: 'nearest' });
  }
}

// ---------- rendering ----------

// Forms survive redrawing (a refusal keeps what was typed) until the item changes.
const kept = new Map();
function keep(key, build) {
  if (!kept.has(key)) kept.set(key, build());
  return kept.get(key);
}

function render() {
  const root = $('#wetland-item');
  root.hidden = state.mode === 'idle';
  document.body.classList.toggle('wetland-item-open', state.mode !== 'idle');
  const d = state.mode === 'ready' ? state.data : null;
  Object.assign(root.dataset, { state: state.mode, kind: state.kind, id: d ? String(d.id) : '', status: d ? d.status : '', version: d ? String(d.version) : '' });
  if (state.mode === 'idle') {
    root.replaceChildren();
    return;
  }
  const top = h('div', { class: 'case-top' },
    h('button', { type: 'button', id: 'wetland-back', class: 'secondary small-btn', onclick: () => hooks.onBack() }, '‹ ' + t('wl.back')),
    h('button', { type: 'button', id: 'wetland-item-close', class: 'link', title: t('panel.close'), onclick: closeWetlandItem }, '×'));
  if (!d) {
    root.replaceChildren(top, state.mode === 'error' ? h('p', { class: 'error', role: 'alert' }, state.error) : h('p', { class: 'loading' }, t('panel.loading')));
    return;
  }
  const scroll = root.querySelector('.case-body')?.scrollTop || 0;
  const messages = [
    state.notice ? h('p', { id: 'wetland-notice', class: 'notice-ok', role: 'status' }, state.notice) : null,
    state.refusal ? refusalNode(state.refusal, 'wetland-msg') : null,
  ];
  const body = h('div', { class: 'case-body' }, ...(state.kind === 'project' ? projectView(d, messages) : debitView(d, messages)));
  root.replaceChildren(top, body);
  body.scrollTop = scroll;
}

export function wetlandStatus(kind, status) {
  return h('span', { class: `case-status ws-${status}`, dataset: { status } }, t(`wl.${kind === 'project' ? 'pstatus' : 'dstatus'}.${status}`));
}

function kv(rows) {
  return h('table', { class: 'kv' }, h('tbody', null, rows.filter(Boolean).map(([k, v]) => h('tr', null, h('th', null, k), h('td', null, v)))));
}

function block(id, title, ...children) {
  return h('section', { id, class: 'block case-block' }, h('h3', null, title), ...children);
}

function ledgerLinks(query) {
  return h('p', { class: 'links small' }, h('span', { class: 'muted' }, t('wl.statement') + ' '),
    h('a', { id: 'wetland-item-ledger', class: 'download', href: `/api/v1/wetland/ledger?${query}`, target: '_blank', rel: 'noopener' }, 'JSON'),
    h('a', { id: 'wetland-item-xlsx', class: 'download', href: `/api/v1/wetland/ledger?${query}&format=xlsx`, download: '' }, 'xlsx'));
}

// ---------- a project ----------

// BUCKETS are a balance's figures in the order the bank reads them.
export const BUCKETS = ['issued', 'released', 'reserve_held', 'sold', 'available', 'retired'];

function projectView(p, messages) {
  const b = p.balance || {};
  return [
    h('header', { class: 'case-head' },
      h('div', { class: 'case-title' }, h('h2', { id: 'wp-name' }, p.name), wetlandStatus('project', p.status), h('span', { class: 'case-mode' }, kindLabel(p.kind, p.kind_label))),
      kv([
        [t('wl.sponsor'), p.sponsor], [t('wl.baseline'), p.baseline],
        [t('wl.area'), `${fmt(p.area_mu)} ${t('unit.mu')}`],
        [t('wl.credits'), h('span', { id: 'wp-credits', dataset: { credits: String(p.credits) } }, `${credits(p.credits)}（${t('wl.ratio', { mu: p.mu_per_credit })}）`)],
        [t('wl.service_area'), p.service_area], p.area ? [t('wl.park'), p.area] : null,
        [t('el.policy'), p.policy_version],
        [t('wl.proposed'), `${fmtTime(p.created_at)} · ${p.created_by}`],
        p.decided_by ? [t('wl.decided'), `${fmtTime(p.decided_at)} · ${p.decided_by}`] : null,
        p.reason ? [t('wl.reason'), p.reason] : null,
      ]),
      ledgerLinks(`project=${p.id}`)),
    ...messages,
    p.status === 'proposed' && can('wetland.write') ? keep('decide', () => decideForm(p)) : null,
    block('wp-balance-block', t('wl.balance'), h('table', { id: 'wp-balance', class: 'lines balance' },
      h('thead', null, h('tr', null, BUCKETS.map((k) => h('th', { class: 'num' }, t('wl.b.' + k))), h('th', { class: 'num' }, t('wl.b.proceeds')))),
      h('tbody', null, h('tr', null, BUCKETS.map((k) => h('td', { class: 'num', dataset: { bucket: k, value: String(b[k]) } }, fmt(b[k]))),
        h('td', { class: 'num', dataset: { bucket: 'proceeds_yuan' } }, fmt(b.proceeds_yuan)))))),
    milestones(p),
  ];
}

// decideForm approves or rejects a proposed project (case officers, administrators).
function decideForm(p) {
  const reason = h('input', { id: 'wp-reason', type: 'text', placeholder: t('wl.reject_reason') });
  const send = (to) => write(`${path('project', p.id)}/transitions`, { to, version: p.version, reason: reason.value.trim() || undefined },
    t(to === 'approved' ? 'wl.approved_done' : 'wl.rejected_done'));
  return h('section', { id: 'wp-decide', class: 'block case-block' }, h('h3', null, t('wl.decide')),
    h('p', { class: 'muted small' }, t('wl.decide_hint')),
    h('div', { class: 'inline-form' },
      h('button', { type: 'button', id: 'wp-approve', onclick: () => send('approved') }, t('wl.approve')),
      reason, h('button', { type: 'button', id: 'wp-reject', class: 'secondary', onclick: () => send('rejected') }, t('wl.reject'))));
}

function milestones(p) {
  const list = p.milestones || [];
  const sec = block('wp-milestones-block', t('wl.milestones'), h('table', { id: 'wp-milestones', class: 'lines' },
    h('thead', null, h('tr', null, h('th', null, t('wl.milestone')), h('th', { class: 'num' }, t('wl.share')), h('th', { class: 'num' }, t('wl.scheduled')),
      h('th', null, t('wl.release')))),
    h('tbody', null, list.map((m) => h('tr', { dataset: { milestone: m.id, released: String(!!m.release) } },
      h('td', null, m.name, m.reserve ? h('span', { class: 'badge' }, t('wl.reserve')) : null,
        m.earliest_on && !m.release ? h('div', { class: 'muted small' }, t('wl.earliest', { on: m.earliest_on })) : null),
      h('td', { class: 'num' }, `${fmt(Number(m.share) * 100, 0)}%`),
      h('td', { class: 'num' }, fmt(m.scheduled_credits)),
      h('td', { class: 'small' }, m.release
        ? [h('strong', null, credits(m.release.credits)), ` · ${m.release.verified_on} · ${m.release.verifier}`,
          h('div', { class: 'muted' }, `${t('wl.evidence')}：${m.release.evidence}${m.release.note ? '；' + m.release.note : ''} · ${m.release.recorded_by}`)]
        : h('span', { class: 'muted' }, t('wl.not_released'))))))));
  if (p.status === 'approved' && can('wetland.write') && list.some((m) => !m.release)) sec.append(keep('release', () => releaseForm(p)));
  return sec;
}

function field(label, el, required) {
  return h('label', { class: 'sf-row' }, h('span', { class: 'sf-label' }, label + (required ? ' *' : '')), el);
}

// releaseForm records the release of a milestone: when it was verified, by whom, on what
// evidence; the credits default to the milestone's share (the server's figure).
function releaseForm(p) {
  const open = p.milestones.filter((m) => !m.release);
  const milestone = h('select', { id: 'rel-milestone' }, open.map((m, i) => h('option', { value: m.id, selected: i === 0 }, m.name)));
  const amount = h('input', { id: 'rel-credits', type: 'text', inputmode: 'decimal', autocomplete: 'off' });
  const hint = h('p', { class: 'muted small' });
  const pick = () => {
    const m = open.find((x) => x.id === milestone.value);
    amount.placeholder = m ? fmt(m.scheduled_credits) : '';
    hint.textContent = m ? t('wl.release_hint', { n: fmt(m.scheduled_credits), on: m.earliest_on || '—' }) : '';
  };
  milestone.addEventListener('change', pick);
  pick();
  const on = h('input', { id: 'rel-verified-on', type: 'date', value: today(), max: today() });
  const verifier = h('input', { id: 'rel-verifier', type: 'text', autocomplete: 'off' });
  const evidence = h('input', { id: 'rel-evidence', type: 'text', autocomplete: 'off' });
  const note = h('input', { id: 'rel-note', type: 'text', autocomplete: 'off' });
  return h('form', { id: 'release-form', class: 'step-form', onsubmit: (ev) => {
    ev.preventDefault();
    const body = { milestone: milestone.value, verified_on: on.value || undefined, verifier: verifier.value.trim(), evidence: evidence.value.trim(),
      note: note.value.trim() || undefined, credits: amount.value.trim() || undefined };
    write(`${path('project', p.id)}/releases`, body, t('wl.released_done', { name: milestone.selectedOptions[0]?.textContent || body.milestone }));
  } },
  h('h4', null, t('wl.release_title')), hint,
  field(t('wl.milestone'), milestone, true), field(t('wl.verified_on'), on, true), field(t('wl.verifier'), verifier, true),
  field(t('wl.evidence'), evidence, true), field(t('wl.note_field'), note), field(t('wl.release_credits'), amount),
  h('div', { class: 'row buttons' }, h('button', { type: 'submit', id: 'rel-go' }, t('wl.release_go'))));
}

// ---------- a debit ----------

function debitView(d, messages) {
  const figures = [['occupied_mu', `${fmt(d.occupied_mu)} ${t('unit.mu')}`], ['credits_required', credits(d.credits_required)],
    ['credits_retired', credits(d.credits_retired)], ['credits_outstanding', credits(d.credits_outstanding)], ['paid_yuan', `${fmt(d.paid_yuan)} ${t('unit.yuan')}`]];
  return [
    h('header', { class: 'case-head' },
      h('div', { class: 'case-title' }, h('h2', { id: 'wd-title' }, t('wl.debit_no', { id: d.id })), wetlandStatus('debit', d.status),
        h('span', { class: 'case-mode' }, activityLabel(d.activity))),
      kv([
        [t('wl.applicant'), h('span', { id: 'wd-applicant' }, d.applicant)], d.purpose ? [t('wl.purpose'), d.purpose] : null,
        [t('wl.service_area'), d.service_area], d.area ? [t('wl.park'), d.area] : null,
        [t('el.policy'), d.policy_version], [t('wl.opened'), `${fmtTime(d.created_at)} · ${d.created_by}`],
      ]),
      ledgerLinks(`buyer=${enc(d.applicant)}`)),
    ...messages,
    block('wd-figures-block', t('wl.debit_figures'), h('table', { id: 'wd-figures', class: 'lines balance' },
      h('thead', null, h('tr', null, figures.map(([k]) => h('th', { class: 'num' }, t('wl.d.' + k))))),
      h('tbody', null, h('tr', null, figures.map(([k, v]) => h('td', { class: 'num', dataset: { figure: k, value: String(d[k]) } }, v)))))),
    block('wd-lines-block', t('wl.lines'), debitLines(d.lines || []),
      d.art21 && d.art21.applies ? h('p', { class: 'small' }, h('span', { class: 'muted' }, t('wl.art21') + '：'),
        t('wl.art21.note', { mu: fmt(d.art21.occupied_mu), n: fmt(d.art21.credits_required), basis: d.art21.legal_basis })) : null),
    sales(d),
    d.status === 'open' && can('wetland.sell') && Number(d.credits_outstanding) > 0 ? (state.balance ? keep('sale', () => saleForm(d)) : h('p', { class: 'loading' }, t('panel.loading'))) : null,
  ];
}

export function debitLines(lines) {
  return h('table', { id: 'wd-lines', class: 'lines' },
    h('thead', null, h('tr', null, h('th', null, t('wl.type')), h('th', null, t('wl.importance')), h('th', null, t('wl.where')),
      h('th', { class: 'num' }, t('wl.d.occupied_mu')), h('th', null, t('wl.basis')), h('th', { class: 'num' }, t('wl.ratio_col')), h('th', { class: 'num' }, t('wl.credits')))),
    h('tbody', null, lines.map((l) => [
      h('tr', { class: 'wd-line', dataset: { type: l.type_code, importance: l.importance, basis: l.basis, credits: String(l.credits_required) } },
        h('td', null, `${l.type_code} ${l.type_name}`), h('td', null, l.importance_label), h('td', { class: 'small' }, l.area ? `${l.area} · ${zoneKindLabel(l.zone_kind)}` : t('wl.outside')),
        h('td', { class: 'num' }, fmt(l.occupied_mu)), h('td', null, basisLabel(l.basis)), h('td', { class: 'num' }, l.basis === 'none' ? '—' : l.ratio),
        h('td', { class: 'num' }, fmt(l.credits_required))),
      h('tr', { class: 'why-row' }, h('td', { colspan: '7', class: 'small muted', title: l.why }, lineWhy(l))),
    ])));
}

function sales(d) {
  const list = d.sales || [];
  if (list.length === 0) return block('wd-sales-block', t('wl.sales'), h('p', { class: 'muted small', id: 'wd-sales' }, t('wl.no_sales')));
  return block('wd-sales-block', t('wl.sales'), h('ul', { id: 'wd-sales', class: 'docs' }, list.map((s) => h('li', { dataset: { sale: String(s.id), voucher: s.voucher } },
    h('div', null, h('strong', null, `${credits(s.credits)} × ${fmt(s.price_yuan_per_credit)} = ${fmt(s.amount_yuan)} ${t('unit.yuan')}`),
      h('span', { class: 'muted small' }, ` · ${t('wl.paid_on')} ${s.paid_on} · ${t('wl.voucher')} ${s.voucher}`)),
    h('div', { class: 'small' }, t('wl.sale_appraisal', { appraiser: s.appraiser, on: s.appraised_on, report: s.appraisal_report }),
      s.deviation_pct === null || s.deviation_pct === undefined ? '' : ` · ${t('wl.deviation', { ref: fmt(s.reference_price_yuan_per_credit), pct: `${s.deviation_pct > 0 ? '+' : ''}${fmt(s.deviation_pct, 1)}` })}`),
    h('ul', { class: 'small sale-lines' }, (s.lines || []).map((l) => h('li', { dataset: { project: String(l.project) } },
      `${l.name} (#${l.project})：${credits(l.credits)} · ${fmt(l.amount_yuan)} ${t('unit.yuan')}`))),
    h('div', { class: 'muted small' }, `${t('wl.fund')}：${s.fund} · ${s.recorded_by} · ${fmtTime(s.recorded_at)}`)))));
}

const cents = (v) => Math.round(Number(String(v || '').replace(/[,，\s]/g, '')) * 100);
const money = (c) => (c / 100).toFixed(2);

function setReference(el) {
  el.dataset.price = state.reference === null ? '' : String(state.reference);
  el.textContent = state.reference === null ? t('wl.reference_unknown') : t('wl.reference_price', { price: fmt(state.reference) });
}

// saleForm settles a debit (finance): credits from the approved projects of the debit's service
// area that have released and unsold credits (prefilled in project order up to what is owed),
// a price per credit from a third-party appraisal beside the policy's reference price, the
// appraiser, the appraisal's date and report, and the payment's date and voucher.
function saleForm(d) {
  const candidates = (state.balance?.projects || []).filter((p) => p.status === 'approved' && p.service_area === d.service_area && cents(p.available) > 0);
  let left = cents(d.credits_outstanding);
  const inputs = candidates.map((p) => {
    const take = Math.min(left, cents(p.available));
    left -= take;
    return h('input', { type: 'text', inputmode: 'decimal', class: 'sale-credits', id: `sale-credits-${p.project}`, dataset: { project: String(p.project) },
      value: take > 0 ? money(take) : '', autocomplete: 'off', oninput: () => total() });
  });
  const price = h('input', { id: 'sale-price', type: 'text', inputmode: 'decimal', autocomplete: 'off', placeholder: '0.00', oninput: () => total() });
  const reference = h('span', { id: 'sale-reference', class: 'muted small' });
  setReference(reference);
  const sum = h('p', { id: 'sale-total', class: 'total' });
  const text = (id) => h('input', { id, type: 'text', autocomplete: 'off' });
  const appraiser = text('sale-appraiser');
  const report = text('sale-report');
  const voucher = text('sale-voucher');
  const appraisedOn = h('input', { id: 'sale-appraised-on', type: 'date', max: today() });
  const paidOn = h('input', { id: 'sale-paid-on', type: 'date', value: today(), max: today() });
  function total() {
    const p = cents(price.value);
    let c = 0;
    let fen = 0;
    for (const el of inputs) {
      const n = cents(el.value) || 0;
      c += n;
      fen += Number.isFinite(p) ? Math.round((p * n) / 100) : 0;
    }
    sum.dataset.credits = money(c);
    sum.dataset.amount = money(fen);
    sum.textContent = t('wl.sale_total', { n: fmt(c / 100), owed: fmt(d.credits_outstanding), amount: fmt(fen / 100) });
  }
  total();
  const rows = candidates.map((p, i) => h('tr', { dataset: { project: String(p.project) } },
    h('td', null, p.name, h('span', { class: 'muted small' }, ` #${p.project}`)), h('td', { class: 'num' }, fmt(p.available)), h('td', { class: 'num' }, inputs[i])));
  return h('form', { id: 'sale-form', class: 'step-form', onsubmit: (ev) => {
    ev.preventDefault();
    const lines = inputs.filter((el) => el.value.trim() !== '' && cents(el.value) !== 0).map((el) => ({ project: Number(el.dataset.project), credits: el.value.trim() }));
    write(`${path('debit', d.id)}/sales`, { lines, price_yuan_per_credit: price.value.trim() || undefined, appraiser: appraiser.value.trim(),
      appraised_on: appraisedOn.value || undefined, appraisal_report: report.value.trim(), paid_on: paidOn.value || undefined, voucher: voucher.value.trim() },
    t('wl.sold_done'));
  } },
  h('h4', null, t('wl.sale_title')),
  h('p', { class: 'muted small' }, t('wl.sale_hint', { sa: d.service_area })),
  candidates.length ? h('table', { id: 'sale-lines', class: 'lines' },
    h('thead', null, h('tr', null, h('th', null, t('wl.project')), h('th', { class: 'num' }, t('wl.b.available')), h('th', { class: 'num' }, t('wl.buy')))),
    h('tbody', null, rows)) : h('p', { class: 'warn small', id: 'sale-none' }, t('wl.sale_none')),
  h('label', { class: 'sf-row' }, h('span', { class: 'sf-label' }, t('wl.price') + ' *'), price),
  h('div', { class: 'sf-row' }, h('span', { class: 'sf-label' }), reference),
  field(t('wl.appraiser'), appraiser, true), field(t('wl.appraised_on'), appraisedOn, true), field(t('wl.report'), report, true),
  field(t('wl.paid_on'), paidOn, true), field(t('wl.voucher'), voucher, true),
  sum,
  h('div', { class: 'row buttons' }, h('button', { type: 'submit', id: 'sale-go' }, t('wl.sale_go'))));
}
