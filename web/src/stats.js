// The statistics page (issue 17, point 5): for the county or a township and a date, charts that
// people want to look at — land area by land class (pie), arbor forest by age group and dominant
// species (stacked bars), subsidies by programme, buyout cases by state, and the pilot's
// indicators against their targets — each drawn with Apache ECharts (statscharts.js, bundled)
// and each with the table it is drawn from below it and a link to its xlsx. The inventory
// tables come from GET /api/v1/stats/{table} (as of the date), the subsidies and cases from the
// compensation overview (GET /api/v1/stats/overview, the date's year), the indicators from
// GET /api/v1/pilot/indicators. The page prints (style.css, @media print).
//
// The page builds its own sidebar entry and page element and follows the signed-in account by
// watching #account[data-user], so main.js only starts it.
//
// Test hooks: #stats[hidden] (the sidebar entry, for signed-in staff); #stats-view[data-state]
// idle | loading | ready with data-unit and data-as-of of what is shown; #stats-unit (select),
// #stats-as-of (date input); .stats-block[data-chart=land|arbor|subsidy|cases|pilot]
// [data-state=ready|empty|error][data-sum] (a digest of the figures drawn), each with a canvas
// in .stats-chart, a table.stats-table and a.stats-xlsx. Below the charts: the year's change
// (statschange.js, #stats-change) and the pilot's tasks with their status controls
// (statstasks.js, #stats-tasks-block).

import { getJSON } from './api.js';
import { h, $, fmt } from './dom.js';
import { getLang } from './i18n.js';
import { loadTownships } from './townships.js';
import { st, caseStatusWord } from './statswords.js';
import { draw, dispose, resizeAll } from './statscharts.js';
import { changeSection, clearMap, forgetChange } from './statschange.js';
import { tasksSection } from './statstasks.js';

const page = { open: false, user: '', unit: '', asOf: '', townships: null, seq: 0, data: {} };

const BLOCKS = ['land', 'arbor', 'subsidy', 'cases', 'pilot'];

function today() {
  // The county's calendar day (UTC+8).
  return new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);
}

const label = (o, base) => (getLang() === 'en' ? o[base + '_en'] : o[base + '_zh']) || o[base + '_zh'] || '';
const num = (v) => (v === undefined || v === null || v === '' ? 0 : Number(v));

// initStats adds the sidebar entry and the page, and follows who is signed in.
export function initStats() {
  const entry = h('section', { id: 'stats', hidden: true },
    h('h2', { id: 'stats-title' }), h('p', { id: 'stats-hint', class: 'muted small' }),
    h('div', { class: 'row buttons' }, h('button', { id: 'stats-show', type: 'button', onclick: () => openStats() })));
  const sidebar = $('#sidebar');
  sidebar.insertBefore(entry, $('#roll') || null);
  $('main').append(h('section', { id: 'stats-view', hidden: true, 'aria-live': 'polite', dataset: { state: 'idle' } }));
  // Another page opening from the sidebar closes this one.
  sidebar.addEventListener('click', (ev) => {
    if (page.open && ev.target.closest('button') && !ev.target.closest('#stats')) closeStats();
  });
  new MutationObserver(follow).observe($('#account'), { attributes: true, attributeFilter: ['data-user', 'data-roles'] });
  $('#lang-toggle').addEventListener('click', () => setTimeout(rerender, 0));
  window.addEventListener('resize', () => resizeAll(document.querySelectorAll('#stats-view .stats-chart')));
  follow();
}

// follow shows the entry to signed-in staff and forgets what the previous account saw.
function follow() {
  const user = $('#account').dataset.user || '';
  if (user !== page.user) {
    page.user = user;
    page.data = {};
    forgetChange();
    closeStats();
  }
  rerender();
}

function rerender() {
  const entry = $('#stats');
  if (!entry) return;
  entry.hidden = !page.user;
  $('#stats-title').textContent = st('st.title');
  $('#stats-hint').textContent = st('st.hint');
  $('#stats-show').textContent = st('st.show');
  if (page.open) render();
}

export function closeStats() {
  page.open = false;
  page.seq++;
  const view = $('#stats-view');
  if (!view) return;
  for (const el of view.querySelectorAll('.stats-chart')) dispose(el);
  view.hidden = true;
  view.replaceChildren();
  view.dataset.state = 'idle';
  document.body.classList.remove('printing-stats');
}

export async function openStats() {
  page.open = true;
  if (!page.asOf) page.asOf = today();
  document.body.classList.add('printing-stats');
  if (!page.townships) {
    try {
      page.townships = await loadTownships();
    } catch {
      page.townships = [];
    }
  }
  load();
}

async function load() {
  const seq = ++page.seq;
  const view = $('#stats-view');
  view.hidden = false;
  view.dataset.state = 'loading';
  render();
  const unit = page.unit;
  const asOf = page.asOf;
  const year = asOf.slice(0, 4);
  const q = new URLSearchParams();
  if (unit) q.set('unit', unit);
  q.set('as_of', asOf);
  const oq = new URLSearchParams({ year });
  if (unit) oq.set('unit', unit);
  const json = { headers: { Accept: 'application/json' } };
  const get = (path) => getJSON(path, json).then((v) => ({ v }), (e) => ({ e }));
  const [land, arbor, overview, pilot, tasks] = await Promise.all([
    get(`/api/v1/stats/land_class?${q}`), get(`/api/v1/stats/arbor_age_species?${q}`),
    get(`/api/v1/stats/overview?${oq}`), get('/api/v1/pilot/indicators'), get('/api/v1/pilot/tasks'),
  ]);
  if (seq !== page.seq) return;
  page.data = { land, arbor, overview, pilot, tasks, unit, asOf, year, q: q.toString(), oq: oq.toString() };
  view.dataset.state = 'ready';
  view.dataset.unit = unit;
  view.dataset.asOf = asOf;
  render();
}

function controls() {
  const sel = h('select', { id: 'stats-unit', onchange: (ev) => { page.unit = ev.target.value; load(); } },
    h('option', { value: '' }, st('st.county')),
    (page.townships || []).map(([code, name]) => h('option', { value: code }, name)));
  sel.value = page.unit;
  const date = h('input', { id: 'stats-as-of', type: 'date', value: page.asOf, max: today(),
    onchange: (ev) => { if (ev.target.value) { page.asOf = ev.target.value; load(); } } });
  return h('div', { class: 'stats-head' },
    h('h2', null, st('st.page')),
    h('label', null, st('st.unit'), ' ', sel),
    h('label', null, st('st.as_of'), ' ', date),
    h('span', { class: 'stats-actions' },
      h('button', { type: 'button', class: 'secondary', onclick: () => window.print() }, st('st.print')),
      h('button', { type: 'button', class: 'secondary', id: 'stats-close', onclick: () => closeStats() }, st('st.close'))));
}

function render() {
  const view = $('#stats-view');
  if (!view || !page.open) return;
  for (const el of view.querySelectorAll('.stats-chart')) dispose(el);
  const d = page.data;
  const parts = [controls()];
  if (view.dataset.state === 'loading' && !d.land) {
    parts.push(h('p', { class: 'muted' }, st('st.loading')));
    view.replaceChildren(...parts);
    return;
  }
  const blocks = h('div', { class: 'stats-grid' });
  parts.push(overviewStrip(d.overview), blocks,
    changeSection(d.unit ?? page.unit, () => closeStats(), () => { clearMap(); openStats(); }),
    tasksSection(d.tasks));
  view.replaceChildren(...parts);
  const builders = { land: landBlock, arbor: arborBlock, subsidy: subsidyBlock, cases: casesBlock, pilot: pilotBlock };
  for (const key of BLOCKS) {
    const b = builders[key](d);
    blocks.append(b.el);
    if (b.option) draw(b.el.querySelector('.stats-chart'), b.option);
  }
}

// block is one chart with its title, xlsx link, canvas and table.
function block(key, title, href, result, build) {
  const el = h('section', { class: 'stats-block', dataset: { chart: key } },
    h('div', { class: 'stats-block-head' }, h('h3', null, title),
      href ? h('a', { class: 'download stats-xlsx', href, download: '' }, st('st.xlsx')) : null));
  if (!result || result.e) {
    el.dataset.state = 'error';
    el.append(h('p', { class: 'error small' }, result ? result.e.message : st('st.none')));
    return { el };
  }
  const { option, table, sum, empty, extra } = build(result.v);
  el.dataset.sum = sum;
  el.dataset.state = empty ? 'empty' : 'ready';
  if (extra) el.append(extra);
  el.append(h('div', { class: 'stats-chart' }));
  el.append(h('div', { class: 'table-wrap' }, table));
  return { el, option: empty ? emptyOption() : option };
}

function emptyOption() {
  return { title: undefined, graphic: undefined, xAxis: { show: false }, yAxis: { show: false },
    series: [{ type: 'pie', data: [{ name: st('st.none'), value: 0 }], label: { show: true, position: 'center', formatter: st('st.none') } }] };
}

function table(head, rows, foot) {
  return h('table', { class: 'stats-table' },
    h('thead', null, h('tr', null, head.map((c, i) => h('th', { class: i ? 'num' : null }, c)))),
    h('tbody', null, rows.map((r) => h('tr', null, r.map((c, i) => h('td', { class: i ? 'num' : null }, c))))),
    foot ? h('tfoot', null, h('tr', null, foot.map((c, i) => h('th', { class: i ? 'num' : null }, c)))) : null);
}

// groups lists the column groups of a statistics table other than total, with their label.
function groups(tab) {
  const seen = new Map();
  for (const c of tab.columns || []) {
    if (c.group === 'total' || seen.has(c.group)) continue;
    seen.set(c.group, label(c, 'group') || c.group);
  }
  return [...seen];
}

function landBlock(d) {
  return block('land', st('st.land'), `/api/v1/stats/land_class?${d.q}&format=xlsx`, d.land, (tab) => {
    const row = (tab.rows || [])[0] || { values: {} };
    const v = row.values || {};
    const gs = groups(tab).map(([g, name]) => ({ g, name, mu: num(v[`${g}.area_mu`]), ha: v[`${g}.area_ha`], parcels: v[`${g}.parcels`] }));
    const shown = gs.filter((x) => x.mu > 0);
    const total = num(v['total.area_mu']);
    return {
      empty: shown.length === 0,
      sum: `${row.unit_name || ''} ${total.toFixed(2)} ${shown.map((x) => `${x.g}:${x.mu.toFixed(2)}`).join(' ')}`,
      option: {
        tooltip: { trigger: 'item', formatter: '{b}: {c} 亩 ({d}%)' },
        legend: { type: 'scroll', bottom: 0 },
        series: [{ type: 'pie', radius: ['35%', '68%'], center: ['50%', '45%'], label: { formatter: '{b}\n{d}%' },
          data: shown.map((x) => ({ name: x.name, value: x.mu })) }],
      },
      // The table counts parcels per class only where its columns carry them.
      table: gs.some((x) => x.parcels !== undefined)
        ? table([st('st.class'), st('st.area_mu'), st('st.area_ha'), st('st.parcels')],
          gs.map((x) => [x.name, fmt(x.mu), fmt(x.ha, 4), x.parcels ?? '']),
          [st('st.total'), fmt(total), fmt(v['total.area_ha'], 4), v['total.parcels'] ?? ''])
        : table([st('st.class'), st('st.area_mu'), st('st.area_ha')],
          gs.map((x) => [x.name, fmt(x.mu), fmt(x.ha, 4)]),
          [`${st('st.total')}（${v['total.parcels'] ?? 0} ${st('st.parcels')}）`, fmt(total), fmt(v['total.area_ha'], 4)]),
    };
  });
}

function arborBlock(d) {
  return block('arbor', st('st.arbor'), `/api/v1/stats/arbor_age_species?${d.q}&format=xlsx`, d.arbor, (tab) => {
    const rows = (tab.rows || []);
    const unitCode = rows[0]?.unit_code;
    const species = rows.filter((r) => r.unit_code === unitCode && r.class !== '' && num(r.values?.['total.area_mu']) > 0);
    const ages = groups(tab);
    const total = num(rows[0]?.values?.['total.area_mu']);
    return {
      empty: species.length === 0,
      sum: `${total.toFixed(2)} ${species.map((r) => `${r.class}:${num(r.values['total.area_mu']).toFixed(2)}`).join(' ')}`,
      option: {
        tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
        legend: { bottom: 0 },
        grid: { left: 60, right: 16, top: 36, bottom: 84 },
        xAxis: { type: 'category', data: species.map((r) => r.class_label || r.class), axisLabel: { interval: 0, rotate: species.length > 5 ? 30 : 0 } },
        yAxis: { type: 'value', name: '亩' },
        series: ages.map(([g, name]) => ({ type: 'bar', stack: 'age', name, data: species.map((r) => num(r.values[`${g}.area_mu`])) })),
      },
      table: table([st('st.species'), ...ages.map(([, name]) => name), st('st.total')],
        species.map((r) => [r.class_label || r.class, ...ages.map(([g]) => fmt(r.values[`${g}.area_mu`])), fmt(r.values['total.area_mu'])])),
    };
  });
}

function subsidyBlock(d) {
  return block('subsidy', `${st('st.subsidy')} · ${d.year}`, `/api/v1/stats/overview?${d.oq}&format=xlsx`, d.overview, (o) => {
    const ps = o.subsidies?.programs || [];
    return {
      empty: ps.length === 0,
      sum: `${o.unit?.code} ${num(o.subsidies?.total_yuan).toFixed(2)} ${ps.map((p) => `${p.program}:${num(p.amount_yuan).toFixed(2)}`).join(' ')}`,
      option: {
        tooltip: { trigger: 'axis' },
        grid: { left: 80, right: 16, top: 36, bottom: 40 },
        xAxis: { type: 'category', data: ps.map((p) => p.program_name), axisLabel: { interval: 0 } },
        yAxis: { type: 'value', name: '元' },
        series: [{ type: 'bar', data: ps.map((p) => num(p.amount_yuan)), label: { show: true, position: 'top' } }],
      },
      table: table([st('st.program'), st('st.parcels'), st('st.area_mu'), st('st.amount')],
        ps.map((p) => [p.program_name, p.parcels, fmt(p.area_mu), fmt(p.amount_yuan)]),
        [st('st.total'), '', '', fmt(o.subsidies?.total_yuan)]),
    };
  });
}

function casesBlock(d) {
  return block('cases', st('st.cases'), `/api/v1/stats/overview?${d.oq}&format=xlsx`, d.overview, (o) => {
    const rows = (o.cases?.by_status || []);
    return {
      empty: !o.cases?.total,
      sum: `${o.unit?.code} ${o.cases?.total} ${rows.filter((r) => r.cases).map((r) => `${r.status}:${r.cases}`).join(' ')}`,
      option: {
        tooltip: { trigger: 'axis' },
        grid: { left: 40, right: 16, top: 16, bottom: 40 },
        xAxis: { type: 'category', data: rows.map((r) => caseStatusWord(r.status)), axisLabel: { interval: 0, rotate: 30 } },
        yAxis: { type: 'value', minInterval: 1 },
        series: [{ type: 'bar', data: rows.map((r) => r.cases), label: { show: true, position: 'top' } }],
      },
      table: table([st('st.status'), st('st.count'), st('st.area_mu')], rows.map((r) => [caseStatusWord(r.status), r.cases, fmt(r.area_mu)]),
        [st('st.total'), o.cases?.total ?? 0, '']),
    };
  });
}

function pilotBlock(d) {
  const result = d.pilot && d.pilot.e && d.pilot.e.status === 404 ? { e: new Error(st('st.pilot_missing')) } : d.pilot;
  return block('pilot', st('st.pilot'), '/api/v1/pilot/ledger.xlsx', result, (b) => {
    const ins = b.indicators || [];
    const extra = h('p', { class: 'small muted', id: 'stats-tasks' },
      st('st.tasks_loaded', { n: b.tasks_loaded, of: b.tasks_in_plan }) + (b.complete ? '' : st('st.tasks_incomplete')));
    return {
      extra,
      empty: ins.length === 0,
      sum: ins.map((i) => `${i.code}:${num(i.progress_pct).toFixed(1)}`).join(' '),
      option: {
        tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
        grid: { left: 150, right: 40, top: 10, bottom: 30 },
        xAxis: { type: 'value', name: '%', max: (v) => Math.max(100, Math.ceil(v.max / 10) * 10) },
        yAxis: { type: 'category', inverse: true, data: ins.map((i) => i.name) },
        series: [{ type: 'bar', data: ins.map((i) => ({ value: num(i.progress_pct), itemStyle: { color: i.met ? '#2e7d32' : '#ffb300' } })),
          label: { show: true, position: 'right', formatter: '{c}%' },
          markLine: { symbol: 'none', data: [{ xAxis: 100 }], lineStyle: { color: '#b3261e', type: 'dashed' }, label: { position: 'start', formatter: st('st.target') } } }],
      },
      table: table([st('st.indicator'), st('st.target'), st('st.latest'), st('st.progress'), st('st.lead')],
        ins.map((i) => [i.name, `${i.target} ${i.measure}`, i.latest ? `${i.latest.value} ${i.measure}（${i.latest.on}）` : '—', i.progress_pct, i.lead_unit?.name || ''])),
    };
  });
}

// overviewStrip is the overview's remaining figures in one line of key numbers.
function overviewStrip(res) {
  if (!res || res.e) return h('p', { class: 'small muted' });
  const o = res.v;
  const cell = (k, v) => h('div', { class: 'stats-kpi' }, h('span', { class: 'muted small' }, k), h('strong', null, v));
  return h('div', { class: 'stats-kpis', id: 'stats-overview', dataset: { unit: o.unit?.code || '' } },
    h('span', { class: 'stats-kpi-title' }, `${st('st.overview')} · ${o.unit?.name || ''} · ${o.year}`),
    cell(st('st.eligible'), `${o.eligibility?.parcels ?? 0}（${fmt(o.eligibility?.area_mu)} 亩）`),
    cell(st('st.cost'), fmt(o.eligibility?.cost_yuan)),
    cell(st('st.committed'), fmt(o.cases?.committed_yuan)),
    cell(st('st.paid'), fmt(o.cases?.paid_yuan)),
    cell(st('st.budget'), o.cases?.budget_yuan == null ? '—' : fmt(o.cases.budget_yuan)),
    cell(st('st.credits'), `${fmt(o.wetland?.issued)} / ${fmt(o.wetland?.released)} / ${fmt(o.wetland?.sold)}`),
    cell(st('st.care'), `${o.care?.areas ?? 0} / ${o.care?.rangers ?? 0} / ${o.care?.covered_pct ?? '—'}%`));
}
