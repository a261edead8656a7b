// Forest care under the forest-chief system (林长制 · 护林, issue 16) on the map, for signed-in
// staff: the sidebar's entry (colour the areas by ranger or by last-patrol age, pick the month of
// tracks shown, open the panel), and the panel beside the map — the areas, the roster, the
// coverage check (public-welfare and natural forest in no area or in two, in 亩, also drawn on
// the map) — and a ranger's page (a click on an area or a roster row): the monthly table of the
// year (GET …/assessment: patrol days, length, share of the area within 100 m of a track,
// incidents, whether the month passed and its pay) and a GPX track
// upload (case officers and administrators), refusals told in the page's language with the
// server's words beneath. The server decides who may do what.
//
// Test hooks: #care[data-state] (the sidebar); #care-colour (select ranger | age) and
// #care-legend li[data-key]; #care-month (input type=month); #care-view[data-state] idle |
// loading | ready | error with data-mode list | ranger; #care-areas tr.area-row[data-area]
// [data-code][data-ranger][data-last-patrol]; #care-roster tr.ranger-row[data-ranger];
// #care-coverage[data-outside][data-overlap] with tr.coverage-row[data-parcel][data-problem];
// #care-ranger[data-ranger][data-year]; #care-months tr.month-row[data-month][data-days]
// [data-tracks][data-coverage] (a share, '' when none)[data-passed] (true | false | '' when the
// month is not over); #care-assessment-xlsx; #care-gpx (file input), #care-upload,
// #care-upload-msg[data-state] idle | loading | done | error; #care-tracks-info[data-count].

import { getJSON, request } from './api.js';
import { h, $, fmt } from './dom.js';
import { t, getLang } from './i18n.js';
import { session } from './auth.js';
import { setCareData, setAreaColouring, showCareLayers, fitCare, careAreaAt, ageClass,
  AGE_CLASSES, AGE_COLORS, COVERAGE_COLORS, TRACK_COLOR, UNASSIGNED, rangerColour } from './caremap.js';
import { areaAssignSection, rangerAssignSection, resetAssignForms } from './careassign.js';
import { INCIDENT_COLOR, initCareIncidents, showIncidentLayers, loadIncidents, incidentClick, incidentsInfo, reportSection } from './careincidents.js';
import { rollSection } from './careroll.js';
import { w } from './carewords.js';

const STAFF = ['viewer', 'surveyor', 'case_officer', 'finance', 'admin'];
const WRITERS = ['case_officer', 'admin'];
const roles = () => (session.user ? session.user.roles || [] : []);
const isStaff = () => roles().some((r) => STAFF.includes(r));
const mayWrite = () => roles().some((r) => WRITERS.includes(r));

const page = {
  open: false, mode: 'list', state: 'idle', error: '', seq: 0,
  areas: null, rangers: null, coverage: null, coverageState: 'idle', coverageError: '',
  colour: 'ranger', month: thisMonth(),
  tracks: { state: 'idle', count: 0, truncated: false, error: '', seq: 0 },
  assignArea: null, // the area whose assignments are shown (careassign.js)
  ranger: null, // { id, year, months: [...], state, error, upload: {state, text, error} }
};
let hooks = { onOpen: () => {} };
let rangerSeq = 0;

// thisMonth is yyyy-mm today in UTC+8, the bureau's day.
function thisMonth() {
  return new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 7);
}

// initCare wires the sidebar; onOpen runs when the panel opens (main.js closes the others).
export function initCare(hk) {
  hooks = { ...hooks, ...hk };
  initCareIncidents(() => render());
  $('#care-show').addEventListener('click', () => showCare());
  const sel = $('#care-colour');
  sel.addEventListener('change', () => {
    page.colour = sel.value;
    recolour();
    renderLegend();
    if (!page.open) showCare(); // the areas are drawn while the panel is open
  });
  const month = $('#care-month');
  month.value = page.month;
  month.addEventListener('change', () => {
    if (!/^\d{4}-\d{2}$/.test(month.value)) return;
    page.month = month.value;
    if (page.open) {
      loadTracks();
      render(); // the ranger's table marks the month
    } else showCare();
  });
  renderSidebar();
}

export function rerenderCare() {
  renderSidebar();
  render();
}

// resetCare forgets what the previous user saw.
export function resetCare() {
  page.seq++;
  Object.assign(page, { open: false, mode: 'list', state: 'idle', areas: null, rangers: null, coverage: null, ranger: null });
  showCareLayers(false);
  render();
  renderSidebar();
}

// closeCare hides the panel and the care layers (another page opens).
export function closeCare() {
  if (!page.open) return;
  page.open = false;
  page.seq++;
  showCareLayers(false);
  render();
}

export const careOpen = () => page.open;

// careClick takes a map click while the panel is open: an area opens its ranger's page. It
// answers true when it took the click.
export function careClick(ev) {
  if (!page.open) return false;
  if (incidentClick(ev)) return true;
  const a = careAreaAt(ev.point);
  if (!a) return false;
  if (a.ranger_id !== undefined && a.ranger_id !== null && a.ranger_id >= 0) openRanger(Number(a.ranger_id));
  return true;
}

function renderSidebar() {
  const sec = $('#care');
  sec.hidden = !isStaff();
  sec.dataset.state = page.state;
  $('#care-colour').value = page.colour;
  renderLegend();
  const info = $('#care-tracks-info');
  const tr = page.tracks;
  info.dataset.count = tr.state === 'ready' ? String(tr.count) : '';
  info.textContent = tr.state === 'ready' ? t(tr.truncated ? 'care.tracks_truncated' : 'care.tracks_n', { n: tr.count })
    : tr.state === 'error' ? tr.error : '';
}

function renderLegend() {
  const ul = $('#care-legend');
  const sw = (c) => h('span', { class: 'swatch', style: `background:${c}` });
  const items = [];
  if (page.colour === 'age') {
    for (const k of AGE_CLASSES) items.push(h('li', { dataset: { key: k } }, sw(AGE_COLORS[k]), ' ', t('care.age.' + k)));
  } else {
    (page.rangers || []).forEach((r, i) => items.push(h('li', { dataset: { key: 'ranger-' + r.id } }, sw(rangerColour(i)), ' ', r.name)));
    items.push(h('li', { dataset: { key: 'none' } }, sw(UNASSIGNED), ' ', t('care.unassigned')));
  }
  items.push(h('li', { dataset: { key: 'outside' } }, sw(COVERAGE_COLORS.outside), ' ', t('care.cov.outside')));
  items.push(h('li', { dataset: { key: 'overlap' } }, sw(COVERAGE_COLORS.overlap), ' ', t('care.cov.overlap')));
  items.push(h('li', { dataset: { key: 'track' } }, h('span', { class: 'swatch line', style: `border-color:${TRACK_COLOR}` }), ' ', t('care.track')));
  items.push(h('li', { dataset: { key: 'incident' } }, h('span', { class: 'swatch dot', style: `background:${INCIDENT_COLOR}` }), ' ', w('inc.legend')));
  ul.replaceChildren(...items);
}

function recolour() {
  setAreaColouring(page.colour, (page.rangers || []).map((r) => r.id));
}

export function showCare(focus) {
  hooks.onOpen();
  if (focus) page.assignArea = focus; // a code: the area just drawn
  page.open = true;
  page.mode = 'list';
  showCareLayers(true);
  load();
}

// load reads the areas and the roster, then the coverage check (slower: a county-wide check)
// and the month's tracks.
async function load() {
  const seq = ++page.seq;
  page.state = 'loading';
  render();
  try {
    const [areas, roster] = await Promise.all([getJSON('/api/v1/care/areas', { headers: { Accept: 'application/geo+json' } }),
      getJSON('/api/v1/care/rangers', { headers: { Accept: 'application/json' } })]);
    if (seq !== page.seq) return;
    page.areas = areas.features || [];
    page.rangers = roster.rangers || [];
    page.state = 'ready';
    if (typeof page.assignArea === 'string') page.assignArea = page.areas.find((f) => f.properties.code === page.assignArea)?.properties.id ?? null;
    showAreas(true);
  } catch (e) {
    if (seq !== page.seq) return;
    page.state = 'error';
    page.error = e.message;
  }
  render();
  renderSidebar();
  if (page.state === 'ready') {
    loadTracks();
    loadCoverage(seq);
  }
}

// showAreas puts the areas on the map with what the colouring needs; fit the first time.
function showAreas(fit) {
  const fc = { type: 'FeatureCollection', features: page.areas.map((f) => {
    const p = f.properties;
    const ranger = p.ranger ? p.ranger.ranger_id : -1;
    return { type: 'Feature', geometry: f.geometry, properties: { id: p.id, code: p.code, ranger_id: ranger,
      age: ageClass(p.last_patrol_days), label: `${p.name}\n${rangerName(ranger) || t('care.unassigned')}` } };
  }) };
  recolour();
  setCareData('care-areas', fc);
  if (fit) fitCare(fc, { overlay: $('#care-view') });
}

async function loadCoverage(seq) {
  page.coverageState = 'loading';
  render();
  try {
    const fc = await getJSON('/api/v1/care/coverage/parcels', { headers: { Accept: 'application/geo+json' } });
    if (seq !== page.seq) return;
    page.coverage = fc;
    page.coverageState = 'ready';
    setCareData('care-coverage', { type: 'FeatureCollection', features: fc.features.filter((f) => f.geometry) });
  } catch (e) {
    if (seq !== page.seq) return;
    page.coverageState = 'error';
    page.coverageError = e.message;
  }
  render();
}

// loadTracks shows the chosen month's tracks: the ranger's when a ranger's page is open.
async function loadTracks() {
  const tr = page.tracks;
  const seq = ++tr.seq;
  tr.state = 'loading';
  renderSidebar();
  const who = page.mode === 'ranger' && page.ranger ? `&ranger=${page.ranger.id}` : '';
  loadIncidents(page.month, page.mode === 'ranger' && page.ranger ? page.ranger.id : null);
  try {
    const fc = await getJSON(`/api/v1/care/tracks?month=${page.month}${who}`, { headers: { Accept: 'application/geo+json' } });
    if (seq !== tr.seq) return;
    Object.assign(tr, { state: 'ready', count: fc.features.length, truncated: !!fc.truncated });
    await setCareData('care-tracks', fc);
  } catch (e) {
    if (seq !== tr.seq) return;
    Object.assign(tr, { state: 'error', error: e.message });
  }
  renderSidebar();
}

function setMonth(m) {
  page.month = m;
  $('#care-month').value = m;
  loadTracks();
}

const rangerOf = (id) => (page.rangers || []).find((r) => r.id === id);
const rangerName = (id) => rangerOf(id)?.name || '';

function render() {
  const view = $('#care-view');
  view.hidden = !page.open;
  view.dataset.state = page.state;
  view.dataset.mode = page.mode;
  document.body.classList.toggle('care-open', page.open);
  showIncidentLayers(page.open);
  if (!page.open) {
    view.replaceChildren();
    return;
  }
  const title = page.mode === 'ranger' && page.ranger ? t('care.ranger_title', { name: rangerName(page.ranger.id) || page.ranger.id }) : t('care.title');
  const head = h('header', { class: 'roll-head' },
    h('div', { class: 'roll-title' }, h('h2', null, title)),
    h('div', { class: 'roll-actions' },
      page.mode === 'ranger' ? h('button', { type: 'button', id: 'care-back', class: 'secondary', onclick: backToList }, t('care.back')) : null,
      h('button', { type: 'button', id: 'care-refresh', class: 'secondary', onclick: () => (page.mode === 'ranger' ? refreshRanger() : load()) }, t('cases.refresh')),
      h('button', { type: 'button', id: 'care-close', class: 'link', title: t('panel.close'), onclick: closeCare }, '×')));
  view.replaceChildren(head);
  if (page.state === 'error') {
    view.append(h('p', { class: 'error', role: 'alert' }, page.error));
    return;
  }
  if (page.state !== 'ready') {
    view.append(h('p', { class: 'loading' }, t('panel.loading')));
    return;
  }
  view.append(page.mode === 'ranger' ? rangerPage() : h('div', { class: 'care-body' }, areasTable(), assignSection(), incidentsInfo(), rosterTable(),
    coverageSection(), rollSection(render)));
}

function areasTable() {
  const sec = h('section', { class: 'block' }, h('h3', null, t('care.areas'), h('span', { class: 'muted small' }, ` · ${page.areas.length}`)));
  if (!page.areas.length) {
    sec.append(h('p', { class: 'muted' }, t('care.no_areas')));
    return sec;
  }
  sec.append(h('table', { id: 'care-areas', class: 'roll cases' },
    h('thead', null, h('tr', null, h('th', null, t('care.area')), h('th', null, t('care.ranger')), h('th', { class: 'num' }, t('care.mu')),
      h('th', null, t('care.chiefs')), h('th', null, t('care.last_patrol')))),
    h('tbody', null, page.areas.map((f) => {
      const p = f.properties;
      const rid = p.ranger ? p.ranger.ranger_id : null;
      const open = () => { if (rid) openRanger(rid); };
      const age = ageClass(p.last_patrol_days);
      return h('tr', { class: 'area-row case-row', tabindex: '0', dataset: { area: String(p.id), code: p.code, ranger: rid ? String(rid) : '', lastPatrol: p.last_patrol || '' },
        onclick: open, onkeydown: (ev) => { if (ev.key === 'Enter') open(); } },
      h('td', null, h('strong', null, p.code), ' ', p.name, h('br'),
        h('button', { type: 'button', class: 'link care-assign-open', dataset: { area: String(p.id) },
          onclick: (ev) => { ev.stopPropagation(); page.assignArea = page.assignArea === p.id ? null : p.id; resetAssignForms(); render(); } }, w('assign.open'))),
      h('td', null, rid ? rangerName(rid) || `#${rid}` : h('span', { class: 'muted' }, t('care.unassigned'))),
      h('td', { class: 'num' }, fmt(p.area_mu)),
      h('td', { class: 'small' }, ['village', 'township', 'county'].filter((l) => p.chiefs?.[l]).map((l) => `${t('care.chief.' + l)} ${p.chiefs[l]}`).join('；')),
      h('td', null, h('span', { class: 'swatch', style: `background:${AGE_COLORS[age]}` }), ' ',
        p.last_patrol ? t('care.days_ago', { day: p.last_patrol, n: p.last_patrol_days }) : t('care.age.never')));
    }))));
  return sec;
}

function rosterTable() {
  const sec = h('section', { class: 'block' }, h('h3', null, t('care.roster'), h('span', { class: 'muted small' }, ` · ${page.rangers.length}`)));
  if (!page.rangers.length) {
    sec.append(h('p', { class: 'muted' }, t('care.no_rangers')));
    return sec;
  }
  sec.append(h('table', { id: 'care-roster', class: 'roll cases' },
    h('thead', null, h('tr', null, ['care.name', 'care.village', 'care.areas_now', 'care.contract'].map((k) => h('th', null, t(k))), h('th', { class: 'num' }, t('care.pay')))),
    h('tbody', null, page.rangers.map((r, i) => {
      const open = () => openRanger(r.id);
      return h('tr', { class: 'ranger-row case-row', tabindex: '0', dataset: { ranger: String(r.id) }, onclick: open, onkeydown: (ev) => { if (ev.key === 'Enter') open(); } },
        h('td', null, h('span', { class: 'swatch', style: `background:${rangerColour(i)}` }), ' ', h('a', { href: '#', class: 'case-link', onclick: (ev) => ev.preventDefault() }, r.name),
          r.poor_household ? h('span', { class: 'badge' }, t('care.poor')) : null),
        h('td', null, r.village || r.village_code || '—'),
        h('td', null, (r.areas || []).join('、') || '—'),
        h('td', { class: 'small' }, `${r.contract_from} – ${r.contract_to}`),
        h('td', { class: 'num' }, fmt(r.yearly_pay_yuan)));
    }))));
  return sec;
}

function coverageSection() {
  const sec = h('section', { class: 'block' }, h('h3', null, t('care.coverage')));
  if (page.coverageState === 'error') {
    sec.append(h('p', { class: 'error', role: 'alert' }, page.coverageError));
    return sec;
  }
  if (page.coverageState !== 'ready') {
    sec.append(h('p', { class: 'loading' }, t('care.coverage_loading')));
    return sec;
  }
  const s = page.coverage.summary || {};
  const rows = page.coverage.features.map((f) => f.properties);
  sec.append(h('p', { class: 'small' }, t('care.coverage_summary', { n: s.target_parcels, mu: fmt(s.target_mu), out: s.outside_parcels, outmu: fmt(s.outside_mu),
    two: s.in_two_or_more_parcels, overlap: fmt(s.overlap_mu) })));
  const wrap = h('div', { id: 'care-coverage', dataset: { outside: String(s.outside_parcels ?? 0), overlap: String(s.in_two_or_more_parcels ?? 0) } });
  sec.append(wrap);
  if (!rows.length) {
    wrap.append(h('p', { class: 'muted' }, t('care.coverage_ok')));
    return sec;
  }
  wrap.append(h('div', { class: 'table-wrap' }, h('table', { class: 'roll cases' },
    h('thead', null, h('tr', null, h('th', null, t('care.problem')), h('th', null, t('care.parcel')), h('th', null, t('care.village')),
      h('th', { class: 'num' }, t('care.mu')), h('th', null, t('care.in_areas')))),
    h('tbody', null, rows.map((p) => h('tr', { class: 'coverage-row', dataset: { parcel: p.parcel, problem: p.problem } },
      h('td', null, h('span', { class: 'swatch', style: `background:${COVERAGE_COLORS[p.problem]}` }), ' ', t('care.cov.' + p.problem)),
      h('td', null, p.parcel),
      h('td', null, p.village || p.village_code || '—'),
      h('td', { class: 'num' }, fmt(p.mu)),
      h('td', { class: 'small' }, p.problem === 'overlap' ? t('care.overlap_in', { areas: (p.areas || []).join('、'), mu: fmt(p.overlap_mu) }) : '—')))))));
  return sec;
}

// ---------- a ranger's page ----------

function openRanger(id) {
  hooks.onOpen();
  page.open = true;
  page.mode = 'ranger';
  page.assignArea = null;
  resetAssignForms();
  showCareLayers(true);
  const year = Number(page.month.slice(0, 4));
  page.ranger = { id, year, months: null, state: 'loading', error: '', upload: { state: 'idle', text: '', error: null } };
  if (page.state !== 'ready') {
    load().then(() => { page.mode = 'ranger'; refreshRanger(); });
    return;
  }
  render();
  refreshRanger();
}

function backToList() {
  page.mode = 'list';
  page.ranger = null;
  render();
  loadTracks();
}

// refreshRanger reads the ranger's assessment of the year (GET …/assessment?year=: twelve months
// with days, coverage, incidents, whether each passed and its pay) and the ranger's tracks of
// the chosen month.
async function refreshRanger() {
  const r = page.ranger;
  if (!r) return;
  const seq = ++rangerSeq;
  r.state = 'loading';
  render();
  loadTracks();
  try {
    const a = await getJSON(`/api/v1/care/rangers/${r.id}/assessment?year=${r.year}`, { headers: { Accept: 'application/json' } });
    if (seq !== rangerSeq || page.ranger !== r) return;
    r.assessment = a;
    r.months = a.months || [];
    r.state = 'ready';
  } catch (e) {
    if (seq !== rangerSeq || page.ranger !== r) return;
    r.state = 'error';
    r.error = e.message;
  }
  render();
}

const share = (x) => (x === null || x === undefined ? '—' : `${fmt(x * 100, 1)} %`);

function rangerPage() {
  const r = page.ranger;
  const info = rangerOf(r.id) || {};
  const years = [r.year + 1, r.year, r.year - 1, r.year - 2].filter((y, i, a) => a.indexOf(y) === i);
  const yearSel = h('select', { id: 'care-year', 'aria-label': t('care.year'), onchange: (ev) => { r.year = Number(ev.target.value); refreshRanger(); } },
    years.map((y) => h('option', { value: String(y), selected: y === r.year }, String(y))));
  const root = h('div', { id: 'care-ranger', class: 'care-body', dataset: { ranger: String(r.id), year: String(r.year) } });
  root.append(h('table', { class: 'kv' }, h('tbody', null,
    h('tr', null, h('th', null, t('care.name')), h('td', null, info.name || `#${r.id}`, info.poor_household ? h('span', { class: 'badge' }, t('care.poor')) : null)),
    h('tr', null, h('th', null, t('care.village')), h('td', null, info.village || info.village_code || '—')),
    h('tr', null, h('th', null, t('care.areas_now')), h('td', null, (info.areas || []).join('、') || '—')),
    h('tr', null, h('th', null, t('care.contract')), h('td', null, info.contract_from ? `${info.contract_from} – ${info.contract_to}` : '—')))));
  const sec = h('section', { class: 'block' }, h('h3', null, t('care.months'), ' ', h('label', { class: 'inline' }, t('care.year'), ' ', yearSel)));
  root.append(sec);
  if (r.state === 'error') sec.append(h('p', { class: 'error', role: 'alert' }, r.error));
  else if (r.state !== 'ready') sec.append(h('p', { class: 'loading' }, t('panel.loading')));
  else {
    const a = r.assessment;
    sec.append(h('div', { class: 'table-wrap' }, h('table', { id: 'care-months', class: 'roll cases' },
      h('thead', null, h('tr', null, h('th', null, t('care.month')), h('th', null, t('care.area')),
        ['care.days', 'care.km', 'care.share', 'care.incidents'].map((k) => h('th', { class: 'num' }, t(k))),
        h('th', null, t('care.passed')), h('th', { class: 'num' }, t('care.pay_month')))),
      h('tbody', null, r.months.map((m) => h('tr', { class: 'month-row case-row' + (m.month === page.month ? ' current' : ''), tabindex: '0',
        dataset: { month: m.month, days: String(m.days), tracks: String(m.tracks), coverage: m.coverage_share === null || m.coverage_share === undefined ? '' : String(m.coverage_share),
          passed: m.assessed ? String(!!m.passed) : '' },
        title: t('care.month_click'), onclick: () => { setMonth(m.month); render(); } },
      h('td', null, m.month), h('td', null, m.area || '—'), h('td', { class: 'num' }, String(m.days)),
      h('td', { class: 'num' }, fmt(m.length_km, 1)), h('td', { class: 'num share' }, share(m.coverage_share)), h('td', { class: 'num' }, String(m.incidents ?? 0)),
      h('td', { class: 'passed ' + (!m.assessed ? 'muted' : m.passed ? 'yes' : 'no') },
        !m.assessed ? t('care.not_yet') : m.passed ? t('care.pass') : t('care.fail', { f: m.pay_factor })),
      h('td', { class: 'num' }, m.assessed ? fmt(m.pay_yuan) : h('span', { class: 'muted' }, fmt(m.full_pay_yuan)))))),
      h('tfoot', null, h('tr', null, h('th', { colspan: '6' }, t('care.year_total', { n: a.months_passed })),
        h('td', { class: 'num total', colspan: '2' }, `${fmt(a.pay_yuan)} / ${fmt(a.full_pay_yuan)}`))))));
    const rules = a.rules || {};
    sec.append(h('p', { class: 'muted small' }, t('care.share_note', { m: a.coverage_metres ?? 100 }), ' ',
      a.policy_version ? t('care.rules', { days: rules.min_days ?? 0, share: fmt(Number(rules.min_coverage_share ?? 0) * 100, 0),
        factor: rules.reduced_factor ?? 1, policy: a.policy_version }) : t('care.no_policy'), ' ',
      h('a', { id: 'care-assessment-xlsx', class: 'download', href: `/api/v1/care/rangers/${r.id}/assessment?year=${r.year}&format=xlsx`, download: '' }, t('care.xlsx'))));
  }
  root.append(incidentsInfo());
  if (mayWrite()) {
    root.append(uploadSection(r));
    root.append(reportSection(r.id, (made) => {
      setMonth(new Date(Date.parse(made.occurred_at) + 8 * 3600e3).toISOString().slice(0, 7));
      refreshRanger();
    }));
    root.append(rangerAssignSection({ ranger: r.id, areas: page.areas || [], rangers: page.rangers || [], rerender: render, onAssigned: refreshLists }));
  }
  return root;
}

function uploadSection(r) {
  const u = r.upload;
  const input = h('input', { id: 'care-gpx', type: 'file', accept: '.gpx,application/gpx+xml,.geojson,.json' });
  const msg = h('div', { id: 'care-upload-msg', dataset: { state: u.state }, 'aria-live': 'polite' });
  if (u.state === 'loading') msg.append(h('p', { class: 'loading' }, t('care.uploading')));
  if (u.state === 'done') msg.append(h('p', { class: 'ok' }, u.text));
  if (u.state === 'error') msg.append(refusal(u.error));
  return h('section', { class: 'block' }, h('h3', null, t('care.upload')),
    h('p', { class: 'muted small' }, t('care.upload_hint')),
    h('div', { class: 'row' }, input, h('button', { type: 'button', id: 'care-upload', onclick: () => upload(r, input) }, t('care.upload_go'))),
    msg);
}

async function upload(r, input) {
  const file = input.files && input.files[0];
  if (!file) {
    r.upload = { state: 'error', error: { message: t('care.pick_file'), detail: '' } };
    render();
    return;
  }
  r.upload = { state: 'loading' };
  render();
  try {
    const body = await file.text();
    const res = await request(`/api/v1/care/rangers/${r.id}/tracks`, { method: 'POST', body,
      headers: { 'Content-Type': body.trimStart().startsWith('{') ? 'application/geo+json' : 'application/gpx+xml', Accept: 'application/json' } });
    const tr = await res.json();
    if (page.ranger !== r) return;
    const day = new Date(Date.parse(tr.started_at) + 8 * 3600e3).toISOString().slice(0, 10);
    r.upload = { state: 'done', text: t('care.uploaded', { day, points: tr.points, km: fmt(tr.length_km, 2), area: tr.area || t('care.no_area') }) };
    page.month = day.slice(0, 7);
    $('#care-month').value = page.month;
    r.year = Number(day.slice(0, 4));
    await reloadAreas();
    await refreshRanger();
  } catch (e) {
    if (page.ranger !== r) return;
    r.upload = { state: 'error', error: e };
    render();
  }
}

// assignSection is the chosen area's assignments and the form assigning a ranger (careassign.js).
function assignSection() {
  const f = page.assignArea !== null && (page.areas || []).find((x) => x.properties.id === page.assignArea);
  if (!f) return null;
  return areaAssignSection({ area: f.properties, rangers: page.rangers || [], mayWrite: mayWrite(), rerender: render,
    onAssigned: refreshLists, close: () => { page.assignArea = null; render(); } });
}

// refreshLists reads the areas and the roster again (an assignment changed who is on which).
async function refreshLists() {
  try {
    const roster = await getJSON('/api/v1/care/rangers', { headers: { Accept: 'application/json' } });
    page.rangers = roster.rangers || [];
  } catch (e) {
    console.warn('care rangers:', e.message);
  }
  await reloadAreas();
  render();
  renderSidebar();
}

// reloadAreas reads the areas again (their last patrol changed).
async function reloadAreas() {
  try {
    const areas = await getJSON('/api/v1/care/areas', { headers: { Accept: 'application/geo+json' } });
    page.areas = areas.features || [];
    showAreas(false);
  } catch (e) {
    console.warn('care areas:', e.message);
  }
}

// Why the server refused a track, by its words; the first match wins.
const REFUSALS = [
  [/km\/h/, 'care.refusal.speed'],
  [/is not after point/, 'care.refusal.order'],
  [/outside the county|leaves the county/, 'care.refusal.county'],
  [/no county outline/, 'care.refusal.no_county'],
  [/DOCTYPE/, 'care.refusal.doctype'],
  [/not UTF-8/, 'care.refusal.utf8'],
  [/has no <time>|<time>|not an RFC 3339 time/, 'care.refusal.time'],
  [/needs at least 2|more than \d+ points/, 'care.refusal.points'],
  [/not well-formed|send a GPX|not a GeoJSON|is a GeoJSON/, 'care.refusal.format'],
  [/is over \d+ MiB/, 'care.refusal.size'],
  [/(^|: )only /, 'refusal.role'],
];

// refusal shows a refused upload: the gist in the page's language (naming the point), the
// server's words beneath.
function refusal(e) {
  const detail = e.status === 0 ? '' : (e.detail || '');
  const known = REFUSALS.find(([re]) => re.test(detail));
  const point = /^point (\d+)/.exec(detail);
  let gist = known ? t(known[1]) : (e.status === 403 ? t('refusal.role') : e.message);
  if (point && getLang() !== 'en') gist = t('care.refusal.at_point', { n: point[1] }) + gist;
  return h('div', { id: 'care-refusal', class: 'error refusal', role: 'alert', dataset: { status: String(e.status ?? '') } },
    h('strong', { class: 'gist' }, gist), detail ? h('div', { class: 'detail' }, detail) : null);
}
