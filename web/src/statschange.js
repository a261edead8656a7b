// The year's change on the statistics page (issue 17, point 2): between two dates, the
// land-class transition matrix (from rows × to columns, 亩) with its xlsx, how many parcels were
// added, retired, split, merged, changed or recoded and by which import batches, and a button
// that shows the period's changed parcels on the map, coloured by kind of change, with a legend.
// All from GET /api/v1/stats/change (JSON, xlsx and geojson). Nothing is computed until the
// period is asked for: a period over a whole import lists every parcel.
//
// Test hooks: #stats-change[data-state=idle|loading|ready|error][data-from][data-to][data-unit]
// [data-sum] ("added:N retired:N split:N merged:N changed:N replaced:N"); #stats-change-from,
// #stats-change-to (date inputs), #stats-change-run, #stats-change-map (buttons);
// table#stats-change-matrix; a#stats-change-xlsx; #stats-change-legend[data-features=N]
// [data-kinds] over the map; the map's source `stats-change` and layers `stats-change-fill`,
// `stats-change-line`.

import { getJSON } from './api.js';
import { h, $, fmt } from './dom.js';
import { app } from './state.js';
import { bboxOf } from './map.js';
import { st } from './statswords.js';

// The kinds of change, in the order the legend lists them, with their colours.
export const KINDS = ['added', 'retired', 'split', 'merged', 'changed', 'replaced'];
export const KIND_COLORS = { added: '#1a9850', retired: '#d73027', split: '#7b3294', merged: '#2166ac', changed: '#f28e2b', replaced: '#8c510a' };

const EMPTY = { type: 'FeatureCollection', features: [] };
const ch = { from: '', to: '', unit: '', data: null, state: 'idle', error: '', el: null, seq: 0 };
let layersAdded = false;

function today() {
  return new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);
}

function query(format) {
  const q = new URLSearchParams({ from: ch.from });
  if (ch.to) q.set('to', ch.to); // empty: now
  if (ch.unit) q.set('unit', ch.unit);
  if (format) q.set('format', format);
  return q.toString();
}

// changeSection is the section for unit; onMap is called before the parcels go on the map (the
// statistics page closes so the map shows).
export function changeSection(unit, onMap, onBack) {
  if (!ch.from) {
    ch.from = `${Number(today().slice(0, 4)) - 1}-12-31`;
    ch.to = today();
  }
  if (unit !== ch.unit) {
    ch.unit = unit;
    ch.data = null;
    ch.state = 'idle';
  }
  ch.onMap = onMap;
  ch.onBack = onBack;
  ch.el = h('section', { class: 'stats-block stats-wide', id: 'stats-change' });
  fill();
  return ch.el;
}

async function run() {
  const seq = ++ch.seq;
  ch.state = 'loading';
  fill();
  try {
    const d = await getJSON(`/api/v1/stats/change?${query()}`, { headers: { Accept: 'application/json' } });
    if (seq !== ch.seq) return;
    ch.data = d;
    ch.state = 'ready';
  } catch (e) {
    if (seq !== ch.seq) return;
    ch.data = null;
    ch.state = 'error';
    ch.error = e.message;
  }
  fill();
}

function fill() {
  const el = ch.el;
  if (!el) return;
  const d = ch.data;
  el.dataset.state = ch.state;
  el.dataset.unit = ch.unit;
  el.dataset.from = ch.from;
  el.dataset.to = ch.to;
  el.dataset.sum = d ? KINDS.map((k) => `${k}:${d.counts?.[k] ?? 0}`).join(' ') : '';
  const date = (id, key) => h('input', { id, type: 'date', value: ch[key], max: today(),
    onchange: (ev) => { ch[key] = ev.target.value; } });
  const changed = d ? (d.changes || []).length : 0;
  const parts = [
    h('div', { class: 'stats-block-head' }, h('h3', null, st('ch.title')),
      d ? h('a', { class: 'download stats-xlsx', id: 'stats-change-xlsx', href: `/api/v1/stats/change?${query('xlsx')}`, download: '' }, st('st.xlsx')) : null),
    h('div', { class: 'stats-change-controls' },
      h('label', null, st('ch.from'), ' ', date('stats-change-from', 'from')),
      h('label', null, st('ch.to'), ' ', date('stats-change-to', 'to')),
      h('button', { type: 'button', id: 'stats-change-run', disabled: ch.state === 'loading', onclick: () => run() }, st('ch.run')),
      h('button', { type: 'button', id: 'stats-change-map', class: 'secondary', disabled: !changed, onclick: () => showOnMap() }, st('ch.map'))),
  ];
  if (ch.state === 'idle') parts.push(h('p', { class: 'small muted' }, st('ch.hint')));
  if (ch.state === 'loading') parts.push(h('p', { class: 'small muted' }, st('st.loading')));
  if (ch.state === 'error') parts.push(h('p', { class: 'error small' }, ch.error));
  if (d) {
    parts.push(countsStrip(d));
    if (!changed) parts.push(h('p', { class: 'small muted' }, st('ch.none')));
    parts.push(h('div', { class: 'stats-change-grid' },
      h('div', null, h('h4', null, st('ch.matrix')), h('div', { class: 'table-wrap' }, matrixTable(d))),
      h('div', null, h('h4', null, st('ch.batches')), h('div', { class: 'table-wrap' }, batchTable(d)))));
    if (changed) {
      parts.push(h('details', { class: 'stats-change-list' }, h('summary', null, `${st('ch.parcels')}（${changed}）`),
        h('div', { class: 'table-wrap' }, parcelTable(d))));
    }
  }
  el.replaceChildren(...parts);
}

function countsStrip(d) {
  const c = d.counts || {};
  return h('div', { class: 'stats-change-counts', 'aria-label': st('ch.counts') },
    [...KINDS, 'unchanged'].map((k) => h('span', { class: 'stats-change-count', dataset: { kind: k } },
      k === 'unchanged' ? null : h('i', { class: 'swatch', style: `background:${KIND_COLORS[k]}` }),
      `${st(k)} `, h('strong', null, String(c[k] ?? 0)))));
}

// matrixTable lays the matrix out as from rows × to columns, only the classes that occur, with
// row and column sums (亩).
function matrixTable(d) {
  const order = new Map((d.classes || []).map((c, i) => [c.code, i]));
  const rank = (code) => (code === 'added' || code === 'revised' ? 1e6 + (code === 'revised') : code === 'retired' ? 1e6 : order.get(code) ?? 9e5);
  const rows = new Map(), cols = new Map(), cell = new Map();
  for (const m of d.matrix || []) {
    rows.set(m.from, m.from === 'added' ? st('added') : m.from_label || m.from);
    cols.set(m.to, m.to === 'retired' ? st('retired') : m.to_label || m.to);
    cell.set(`${m.from}|${m.to}`, Number(m.area_mu));
  }
  const rs = [...rows.keys()].sort((a, b) => rank(a) - rank(b));
  const cs = [...cols.keys()].sort((a, b) => rank(a) - rank(b));
  if (!rs.length) return h('p', { class: 'small muted' }, st('st.none'));
  const colSum = cs.map((c) => rs.reduce((s, r) => s + (cell.get(`${r}|${c}`) || 0), 0));
  const diag = (r, c) => r === c;
  return h('table', { class: 'stats-table stats-matrix', id: 'stats-change-matrix' },
    h('thead', null, h('tr', null, h('th', null, st('ch.from_class')), cs.map((c) => h('th', { class: 'num', dataset: { to: c } }, cols.get(c))),
      h('th', { class: 'num' }, st('st.total')))),
    h('tbody', null, rs.map((r) => h('tr', { dataset: { from: r } }, h('th', null, rows.get(r)),
      cs.map((c) => {
        const v = cell.get(`${r}|${c}`);
        return h('td', { class: `num${v !== undefined && !diag(r, c) ? ' moved' : ''}`, dataset: { to: c } }, v === undefined ? '' : fmt(v));
      }),
      h('th', { class: 'num' }, fmt(cs.reduce((s, c) => s + (cell.get(`${r}|${c}`) || 0), 0)))))),
    h('tfoot', null, h('tr', null, h('th', null, st('st.total')), colSum.map((v) => h('th', { class: 'num' }, fmt(v))),
      h('th', { class: 'num' }, fmt(colSum.reduce((s, v) => s + v, 0))))));
}

// batchTable counts each batch's parcels by kind of change (from the changes, so split and
// merged are told apart from plain additions and retirements).
function batchTable(d) {
  const info = new Map((d.batches || []).map((b) => [b.id, b]));
  const by = new Map();
  for (const c of d.changes || []) {
    const key = c.batch ?? 'none';
    if (!by.has(key)) by.set(key, Object.fromEntries(KINDS.map((k) => [k, 0])));
    by.get(key)[c.change] = (by.get(key)[c.change] || 0) + 1;
  }
  if (!by.size) return h('p', { class: 'small muted' }, st('st.none'));
  return h('table', { class: 'stats-table', id: 'stats-change-batches' },
    h('thead', null, h('tr', null, h('th', null, st('ch.batch')), h('th', null, st('ch.source')), h('th', null, st('ch.started')),
      KINDS.map((k) => h('th', { class: 'num', title: st(k) }, st(`${k}_short`))))),
    h('tbody', null, [...by].map(([id, n]) => {
      const b = info.get(id);
      return h('tr', { dataset: { batch: String(id) } },
        h('td', null, b ? `#${b.id} ${b.kind}` : st('ch.no_batch')), h('td', { class: 'wrap' }, b?.source || ''),
        h('td', null, b?.started_at ? b.started_at.slice(0, 10) : ''),
        KINDS.map((k) => h('td', { class: 'num' }, n[k] ? String(n[k]) : '')));
    })));
}

function parcelTable(d) {
  const list = d.changes || [];
  const shown = list.slice(0, 300);
  return h('div', null, h('table', { class: 'stats-table' },
    h('thead', null, h('tr', null, [st('ch.code'), st('ch.kind'), st('ch.from'), st('ch.to'), st('ch.area_before'), st('ch.area_after'), st('ch.batch'), st('ch.related')]
      .map((c) => h('th', null, c)))),
    h('tbody', null, shown.map((c) => h('tr', null, h('td', null, c.code),
      h('td', null, h('i', { class: 'swatch', style: `background:${KIND_COLORS[c.change] || '#999'}` }), st(c.change)),
      h('td', null, c.from_di_lei || ''), h('td', null, c.to_di_lei || ''), h('td', { class: 'num' }, c.area_mu_before ? fmt(c.area_mu_before) : ''),
      h('td', { class: 'num' }, c.area_mu_after ? fmt(c.area_mu_after) : ''), h('td', null, c.batch ? `#${c.batch}` : ''),
      h('td', null, (c.related || []).join(' ')))))),
  list.length > shown.length ? h('p', { class: 'small muted' }, st('ch.more', { n: list.length - shown.length })) : null);
}

// The map: the changed parcels coloured by kind; the retired side (and the parcel a split
// retired) with a dashed outline only, so what replaced it shows through.
const colourExpr = () => ['match', ['get', 'change'], ...KINDS.flatMap((k) => [k, KIND_COLORS[k]]), '#999999'];
const isGone = ['==', ['get', 'gone'], true];

// forMap keeps what the layers need. The features lose their id: a parcel code is a 21-digit
// number, which MapLibre would take as a numeric feature id too large for a vector tile.
function forMap(fc) {
  return { type: 'FeatureCollection', features: fc.features.filter((f) => f.geometry).map((f) => {
    const p = f.properties || {};
    return { type: 'Feature', geometry: f.geometry, properties: { code: p.code, change: p.change, from_di_lei: p.from_di_lei || '',
      to_di_lei: p.to_di_lei || '', batch: p.batch ?? 0, related: (p.related || []).join(' '), gone: !p.area_mu_after } };
  }) };
}

function addLayers(map) {
  if (layersAdded) return;
  layersAdded = true;
  map.addSource('stats-change', { type: 'geojson', data: EMPTY });
  const before = map.getLayer('selection-line') ? 'selection-line' : undefined;
  map.addLayer({ id: 'stats-change-fill', type: 'fill', source: 'stats-change', filter: ['!', isGone],
    paint: { 'fill-color': colourExpr(), 'fill-opacity': 0.5 } }, before);
  map.addLayer({ id: 'stats-change-line', type: 'line', source: 'stats-change', filter: ['!', isGone],
    paint: { 'line-color': colourExpr(), 'line-width': 2 } }, before);
  map.addLayer({ id: 'stats-change-gone', type: 'line', source: 'stats-change', filter: isGone,
    paint: { 'line-color': colourExpr(), 'line-width': 2.5, 'line-dasharray': [2, 1.5] } }, before);
}

async function showOnMap() {
  const fc = await getJSON(`/api/v1/stats/change?${query('geojson')}`, { headers: { Accept: 'application/geo+json' } }).catch((e) => {
    ch.state = 'error';
    ch.error = e.message;
    fill();
    return null;
  });
  if (!fc) return;
  await app.ready;
  const map = app.map;
  if (!map) return;
  ch.onMap?.();
  addLayers(map);
  map.getSource('stats-change').setData(forMap(fc));
  for (const id of ['stats-change-fill', 'stats-change-line', 'stats-change-gone']) map.setLayoutProperty(id, 'visibility', 'visible');
  legend(fc);
  const boxes = fc.features.filter((f) => f.geometry).map((f) => bboxOf(f.geometry));
  if (boxes.length) {
    const w = Math.min(...boxes.map((b) => b[0])), s = Math.min(...boxes.map((b) => b[1]));
    const e = Math.max(...boxes.map((b) => b[2])), n = Math.max(...boxes.map((b) => b[3]));
    // Clear of the legend, which sits at the map's lower left.
    const below = ($('#stats-change-legend')?.offsetHeight || 0) + 50;
    const room = map.getContainer().clientHeight;
    map.fitBounds([[w, s], [e, n]], { padding: { top: 50, left: 50, right: 50, bottom: below < room - 150 ? below : 50 }, maxZoom: 17, duration: 0 });
  }
}

function legend(fc) {
  $('#stats-change-legend')?.remove();
  const n = {};
  for (const f of fc.features) n[f.properties?.change] = (n[f.properties?.change] || 0) + 1;
  const kinds = KINDS.filter((k) => n[k]);
  const box = h('section', { id: 'stats-change-legend', class: 'stats-change-legend', dataset: { features: String(fc.features.length), kinds: kinds.join(' ') } },
    h('h3', null, `${st('ch.legend')} · ${ch.from} → ${ch.to}`),
    h('ul', null, kinds.map((k) => h('li', { dataset: { kind: k } },
      h('i', { class: `swatch${k === 'retired' ? ' gone' : ''}`, style: k === 'retired' ? `border-color:${KIND_COLORS[k]}` : `background:${KIND_COLORS[k]}` }),
      `${st(k)} ${n[k]}`))),
    h('p', { class: 'small muted' }, st('ch.gone_note')),
    h('div', { class: 'row buttons' },
      h('button', { type: 'button', id: 'stats-change-back', onclick: () => { ch.onBack?.(); } }, st('ch.back')),
      h('button', { type: 'button', class: 'secondary', id: 'stats-change-clear', onclick: () => clearMap() }, st('ch.clear'))));
  (app.map?.getContainer() || $('main')).append(box);
}

// clearMap takes the changed parcels and their legend off the map.
export function clearMap() {
  $('#stats-change-legend')?.remove();
  const map = app.map;
  if (!layersAdded || !map) return;
  map.getSource('stats-change')?.setData(EMPTY);
  for (const id of ['stats-change-fill', 'stats-change-line', 'stats-change-gone']) map.setLayoutProperty(id, 'visibility', 'none');
}

// forget drops the period's result (another account signed in).
export function forgetChange() {
  ch.data = null;
  ch.state = 'idle';
  ch.seq++;
  clearMap();
}
