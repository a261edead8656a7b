// The parcel side panel: attributes with labels, legal and computed area, zone overlaps, the
// eligibility verdict rule by rule, what other modules add (addPanelSection: the parcel's cases),
// and the subsidy lines of a selectable year.
//
// Test hooks: #panel[data-state] is empty | loading | ready | error and carries data-code;
// #eligibility and #subsidies have their own data-state.

import { getJSON, enc } from './api.js';
import { h, $, fmt } from './dom.js';
import { t, getLang, zoneKindLabel, areaKindLabel, modeLabel, ruleLabel, statusLabel } from './i18n.js';
import { STATUS_COLORS, NO_STATUS, ZONE_COLORS } from './style.js';

const ATTRS = ['di_lei', 'ld_qs', 'lm_qs', 'sen_lin_lb', 'shi_quan_d', 'qi_yuan', 'you_shi_sz', 'ling_zu'];

const state = {
  mode: 'empty', // empty | loading | ready | error | nothing
  error: '',
  feature: null,
  eligibility: { mode: 'idle', data: null, error: '' },
  subsidies: { mode: 'idle', data: null, error: '' },
  year: 0, // the server's year (map configuration), set by initPanel
  years: [],
  seq: 0, // guards against a slow answer overwriting a newer selection
  onSelect: () => {},
};

// Sections other modules add below the eligibility: fn({code, feature, eligibility, rerender})
// answers an element (or null) on every drawing of the panel.
const sections = [];
export function addPanelSection(fn) { sections.push(fn); }

export function initPanel({ year, onSelect }) {
  state.year = year;
  state.years = [year + 1, year, year - 1, year - 2];
  state.onSelect = onSelect;
  $('#panel-close').addEventListener('click', clearPanel);
  render();
}

function panelEl() { return $('#panel'); }

export function clearPanel() {
  state.seq++;
  state.mode = 'empty';
  state.feature = null;
  state.onSelect(null);
  render();
}

// showAt looks up the parcel under a clicked point.
export async function showAt(lngLat) {
  const seq = ++state.seq;
  setLoading();
  try {
    const fc = await getJSON(`/api/v1/parcels?lon=${lngLat.lng.toFixed(7)}&lat=${lngLat.lat.toFixed(7)}`);
    if (seq !== state.seq) return;
    if (!fc.features || fc.features.length === 0) {
      state.mode = 'nothing';
      state.feature = null;
      state.onSelect(null);
      render();
      return;
    }
    showFeature(fc.features[0], seq);
  } catch (e) {
    if (seq === state.seq) fail(e);
  }
}

// showCode fetches a parcel by code; it resolves to the feature (or throws the readable error).
export async function showCode(code) {
  const seq = ++state.seq;
  setLoading();
  try {
    const f = await getJSON(`/api/v1/parcels/${enc(code)}`);
    if (seq === state.seq) showFeature(f, seq);
    return f;
  } catch (e) {
    if (seq === state.seq) fail(e);
    throw e;
  }
}

function setLoading() {
  state.mode = 'loading';
  render();
}

function fail(e) {
  state.mode = 'error';
  state.error = e.message;
  render();
}

function showFeature(f, seq) {
  state.mode = 'ready';
  state.feature = f;
  state.onSelect(f);
  render();
  loadEligibility(f.properties.code, seq);
  loadSubsidies(f.properties.code, seq);
}

async function loadEligibility(code, seq) {
  state.eligibility = { mode: 'loading', data: null, error: '' };
  render();
  try {
    const data = await getJSON(`/api/v1/parcels/${enc(code)}/eligibility`);
    if (seq !== state.seq) return;
    state.eligibility = { mode: 'ready', data, error: '' };
  } catch (e) {
    if (seq !== state.seq) return;
    state.eligibility = { mode: 'error', data: null, error: e.message };
  }
  render();
}

async function loadSubsidies(code, seq) {
  const year = state.year;
  state.subsidies = { mode: 'loading', data: null, error: '' };
  render();
  try {
    const data = await getJSON(`/api/v1/parcels/${enc(code)}/subsidies?year=${year}`);
    if (seq !== state.seq || year !== state.year) return;
    state.subsidies = { mode: 'ready', data, error: '' };
  } catch (e) {
    if (seq !== state.seq || year !== state.year) return;
    state.subsidies = { mode: 'error', data: null, error: e.message };
  }
  render();
}

export function rerenderPanel() { render(); }

function render() {
  const panel = panelEl();
  const body = $('#panel-body');
  panel.dataset.state = state.mode === 'nothing' ? 'ready' : state.mode;
  panel.dataset.code = state.mode === 'ready' && state.feature ? state.feature.properties.code : '';
  $('#panel-close').hidden = state.mode === 'empty';
  body.replaceChildren();
  switch (state.mode) {
    case 'empty':
      body.append(h('p', { class: 'hint' }, t('panel.hint')));
      return;
    case 'loading':
      body.append(h('p', { class: 'loading' }, t('panel.loading')));
      return;
    case 'error':
      body.append(h('p', { class: 'error', role: 'alert' }, state.error));
      return;
    case 'nothing':
      body.append(h('p', { class: 'hint' }, t('panel.nothing')));
      return;
  }
  const p = state.feature.properties;
  body.append(
    renderHeader(p),
    renderAttributes(p),
    renderAreas(p),
    renderZones(p.zones || []),
    renderEligibility(),
    ...sections.map((fn) => fn({ code: p.code, feature: state.feature, eligibility: state.eligibility, rerender: render })).filter(Boolean),
    renderSubsidies(p.code),
  );
}

function badge(status) {
  return h('span', { class: 'badge', style: `background:${STATUS_COLORS[status] || NO_STATUS}` , dataset: { status: status || '' } }, statusLabel(status));
}

function renderHeader(p) {
  return h('header', { class: 'parcel-head' },
    h('div', { class: 'code-line' }, h('span', { class: 'muted' }, t('p.parcel') + ' '), h('strong', { class: 'parcel-code' }, p.code)),
    h('div', null, badge(p.status), p.demo ? h('span', { class: 'badge demo' }, t('p.demo')) : null),
    h('div', { class: 'muted' }, [p.township, p.village].filter(Boolean).join(' · ')),
  );
}

function codeWithLabel(code, label) {
  if (code === null || code === undefined || code === '') return '—';
  if (!label) return String(code);
  return `${label}（${code}）`;
}

function renderAttributes(p) {
  const rows = ATTRS.map((k) => h('tr', null, h('th', null, t('f.' + k)), h('td', null, codeWithLabel(p[k], p[k + '_label']))));
  rows.push(h('tr', null, h('th', null, t('f.xu_ji')), h('td', null, p.xu_ji === null || p.xu_ji === undefined ? '—' : fmt(p.xu_ji, 1))));
  return h('section', { class: 'block' }, h('h3', null, t('p.attributes')), h('table', { class: 'kv' }, h('tbody', null, rows)));
}

function renderAreas(p) {
  return h('section', { class: 'block' }, h('h3', null, t('p.area')),
    h('table', { class: 'kv' }, h('tbody', null,
      h('tr', null, h('th', null, t('p.legal_area')),
        h('td', { class: 'legal-area' }, `${fmt(p.mian_ji, 4)} ${t('unit.ha')} · ${fmt(p.legal_area_mu)} ${t('unit.mu')}`)),
      h('tr', null, h('th', null, t('p.computed_area')),
        h('td', { class: 'computed-area' }, `${fmt(p.area_ha, 4)} ${t('unit.ha')} · ${fmt(p.area_mu)} ${t('unit.mu')}`)),
    )));
}

function renderZones(zones) {
  const sec = h('section', { class: 'block zones' }, h('h3', null, t('p.zones')));
  if (zones.length === 0) {
    sec.append(h('p', { class: 'muted' }, t('p.no_zones')));
    return sec;
  }
  sec.append(h('ul', { class: 'zone-list' }, zones.map((z) => h('li', null,
    h('span', { class: 'swatch', style: `background:${ZONE_COLORS[z.zone_kind] || '#999'}` }), ' ',
    h('span', null, `${z.area_name} · ${z.zone || zoneKindLabel(z.zone_kind)}`),
    h('span', { class: 'muted' }, ` ${zoneKindLabel(z.zone_kind)} / ${areaKindLabel(z.area_kind)}`),
    h('div', { class: 'num' }, `${fmt(z.overlap_mu)} ${t('unit.mu')} · ${t('p.share')} ${fmt(Number(z.share) * 100, 1)} %`),
  ))));
  return sec;
}

function renderEligibility() {
  const e = state.eligibility;
  const sec = h('section', { id: 'eligibility', class: 'block', dataset: { state: e.mode } }, h('h3', null, t('el.title')));
  if (e.mode === 'loading' || e.mode === 'idle') {
    sec.append(h('p', { class: 'loading' }, t('panel.loading')));
    return sec;
  }
  if (e.mode === 'error') {
    sec.append(h('p', { class: 'error', role: 'alert' }, e.error));
    return sec;
  }
  const d = e.data;
  sec.dataset.eligible = String(!!d.eligible);
  sec.append(h('p', { class: 'verdict ' + (d.eligible ? 'yes' : 'no') }, d.eligible ? '✓ ' + t('el.yes') : '✗ ' + t('el.no')));
  sec.append(h('ul', { class: 'rules' }, (d.rules || []).map((r) => h('li', { class: r.passed ? 'pass' : 'fail', dataset: { rule: r.id, passed: String(!!r.passed) } },
    h('span', { class: 'mark' }, r.passed ? '✓' : '✗'),
    h('div', null, h('strong', null, ruleLabel(r.id)), h('div', { class: 'detail' }, (getLang() === 'zh' && r.detail_zh) || r.detail || ''))))));
  const kv = [];
  if (d.modes && d.modes.length) kv.push([t('el.modes'), d.modes.map(modeLabel).join(getLang() === 'en' ? ', ' : '、')]);
  // Not a buyout candidate, yet the state may still lease, hold in custody or pool the forest.
  if (d.other_modes && d.other_modes.length) kv.push([t('el.other_modes'), d.other_modes.map(modeLabel).join(getLang() === 'en' ? ', ' : '、')]);
  // What an eligible parcel needs before a contract (a mortgage: the lender's consent).
  for (const w of d.warnings || []) kv.push([t('el.warning'), getLang() === 'en' ? w.detail : (w.detail_zh || w.detail)]);
  if (d.eligible) kv.push([t('el.priority'), String(d.priority ?? '—')]);
  if (d.estimate_yuan !== null && d.estimate_yuan !== undefined) kv.push([t('el.estimate'), `${fmt(d.estimate_yuan)} ${t('unit.yuan')}`]);
  if (d.policy_version) kv.push([t('el.policy'), d.policy_version]);
  if (kv.length) sec.append(h('table', { class: 'kv' }, h('tbody', null, kv.map(([k, v]) => h('tr', null, h('th', null, k), h('td', null, v))))));
  return sec;
}

function renderSubsidies(code) {
  const s = state.subsidies;
  const select = h('select', { id: 'subsidy-year', 'aria-label': t('sub.year'), onchange: (ev) => {
    state.year = Number(ev.target.value);
    loadSubsidies(code, state.seq);
  } }, state.years.map((y) => h('option', { value: String(y), selected: y === state.year }, String(y))));
  const sec = h('section', { id: 'subsidies', class: 'block', dataset: { state: s.mode, year: String(state.year) } },
    h('h3', null, t('sub.title'), ' ', h('label', { class: 'inline' }, t('sub.year'), ' ', select)));
  if (s.mode === 'loading' || s.mode === 'idle') {
    sec.append(h('p', { class: 'loading' }, t('panel.loading')));
    return sec;
  }
  if (s.mode === 'error') {
    sec.append(h('p', { class: 'error', role: 'alert' }, s.error));
    return sec;
  }
  const d = s.data;
  if (!d.lines || d.lines.length === 0) {
    sec.append(h('p', { class: 'muted' }, t('sub.none')));
  } else {
    sec.append(h('table', { class: 'lines' },
      h('thead', null, h('tr', null, h('th', null, t('sub.program')), h('th', { class: 'num' }, t('sub.area')),
        h('th', { class: 'num' }, t('sub.rate')), h('th', { class: 'num' }, t('sub.amount')))),
      h('tbody', null, d.lines.map((l) => [
        h('tr', { class: 'line' + (l.pending ? ' pending' : ''), dataset: { program: l.program, pending: String(!!l.pending) } },
          h('td', null, getLang() === 'en' ? `${l.program_name} (${l.program})` : l.program_name,
            l.confirmed === false ? h('sup', { class: 'unconfirmed', title: t('sub.unconfirmed') }, ' *') : null,
            l.pending ? h('span', { class: 'badge pending' }, t('sub.pending')) : null),
          h('td', { class: 'num' }, fmt(l.area_mu)), h('td', { class: 'num' }, fmt(l.rate_yuan_per_mu)), h('td', { class: 'num' }, fmt(l.amount_yuan))),
        Number(l.county_retained_yuan) > 0
          ? h('tr', { class: 'split' }, h('td', { colspan: '4', class: 'muted small' },
            t('sub.split', { owner: fmt(l.owner_yuan), county: fmt(l.county_retained_yuan) })))
          : null,
        // The basis sentence in the interface's language (basis_zh, like eligibility's detail_zh).
        h('tr', { class: 'basis' }, h('td', { colspan: '4' }, (getLang() === 'zh' && l.basis_zh) || l.basis || '')),
      ])),
      h('tfoot', null,
        h('tr', null, h('th', { colspan: '3' }, t('sub.total')), h('td', { class: 'num total' }, fmt(d.total_yuan))),
        Number(d.county_retained_total_yuan) > 0 ? [
          h('tr', { class: 'retained' }, h('th', { colspan: '3' }, t('sub.retained')), h('td', { class: 'num' }, fmt(d.county_retained_total_yuan))),
          h('tr', { class: 'owner' }, h('th', { colspan: '3' }, t('sub.owner')), h('td', { class: 'num owner-total' }, fmt(d.owner_total_yuan))),
        ] : null),
    ));
    if (d.lines.some((l) => l.confirmed === false)) sec.append(h('p', { class: 'muted small' }, '* ' + t('sub.unconfirmed')));
    if (d.lines.some((l) => l.pending)) sec.append(h('p', { class: 'muted small' }, t('sub.pending_note')));
  }
  if (d.policy_version) sec.append(h('p', { class: 'muted small' }, `${t('el.policy')} ${d.policy_version}`));
  return sec;
}
