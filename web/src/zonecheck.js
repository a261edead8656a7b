// The zone check: draw a project's footprint (terra-draw), pick an activity, and see what each
// protected-area zone it touches says (POST /api/v1/zone-check); the touched zones are
// highlighted on the map. Other modules add sections beneath (addZoneCheckSection: the
// wetland bank's figures).
//
// Test hooks: #zonecheck[data-state] is idle | drawing | loading | ready | error and
// #zonecheck[data-verdict] the overall verdict.

import { TerraDraw, TerraDrawPolygonMode } from 'terra-draw';
import { TerraDrawMapLibreGLAdapter } from 'terra-draw-maplibre-gl-adapter';

import { postJSON } from './api.js';
import { h, $, fmt, setState } from './dom.js';
import { t, getLang, activities, activityLabel, zoneKindLabel, verdictLabel } from './i18n.js';
import { ZONE_COLORS } from './style.js';
import { app } from './state.js';

const zc = { mode: 'idle', result: null, error: '', geometry: null, activity: 'construction', seq: 0, finishedAt: 0 };
const sections = [];

// addZoneCheckSection adds fn({result, geometry, activity, rerender}) → a node (or null) under
// each answer.
export function addZoneCheckSection(fn) { sections.push(fn); }

// ownsClick says whether a map click belongs to the drawing (a vertex, or the click that closed
// the footprint) rather than to the parcel under it.
export function ownsClick() { return zc.mode === 'drawing' || Date.now() - zc.finishedAt < 500; }

export function isDrawing() { return zc.mode === 'drawing'; }

export function renderActivities() {
  const sel = $('#zc-activity');
  sel.replaceChildren(...Object.keys(activities).map((a) => h('option', { value: a, selected: a === zc.activity }, activityLabel(a))));
}

// attachDraw starts terra-draw on the loaded map.
export function attachDraw(map) {
  try {
    const draw = new TerraDraw({
      adapter: new TerraDrawMapLibreGLAdapter({ map }),
      modes: [new TerraDrawPolygonMode({
        styles: { fillColor: '#ff00c8', fillOpacity: 0.15, outlineColor: '#ff00c8', outlineWidth: 2, closingPointColor: '#ffffff', closingPointOutlineColor: '#ff00c8' },
      })],
    });
    draw.start();
    draw.on('finish', (id, ctx) => {
      if (ctx && ctx.action && ctx.action !== 'draw') return;
      const f = draw.getSnapshotFeature(id);
      if (!f) return;
      // Keep only the footprint just drawn.
      const others = draw.getSnapshot().filter((x) => x.id !== id).map((x) => x.id);
      if (others.length) draw.removeFeatures(others);
      zc.finishedAt = Date.now();
      draw.setMode('static');
      map.getCanvas().style.cursor = '';
      zc.geometry = f.geometry;
      runZoneCheck();
    });
    app.draw = draw;
    renderZoneCheck();
  } catch (e) {
    console.error('terra-draw:', e);
    zc.mode = 'error';
    zc.error = e.message;
    renderZoneCheck();
  }
}

export function initZoneCheck() {
  renderActivities();
  $('#zc-activity').addEventListener('change', (ev) => {
    zc.activity = ev.target.value;
    if (zc.geometry && zc.mode !== 'drawing') runZoneCheck();
  });
  $('#zc-draw').addEventListener('click', () => {
    if (!app.draw) return;
    app.draw.clear();
    app.draw.setMode('polygon');
    zc.mode = 'drawing';
    zc.geometry = null;
    zc.result = null;
    highlightZones([]);
    renderZoneCheck();
  });
  $('#zc-clear').addEventListener('click', () => {
    zc.seq++;
    if (app.draw) {
      app.draw.clear();
      app.draw.setMode('static');
    }
    zc.mode = 'idle';
    zc.geometry = null;
    zc.result = null;
    highlightZones([]);
    renderZoneCheck();
  });
  renderZoneCheck();
}

async function runZoneCheck() {
  const seq = ++zc.seq;
  zc.mode = 'loading';
  renderZoneCheck();
  try {
    const res = await postJSON('/api/v1/zone-check', { geometry: zc.geometry, activity: zc.activity });
    if (seq !== zc.seq) return;
    zc.result = res;
    zc.mode = 'ready';
    highlightZones(res.zones || []);
  } catch (e) {
    if (seq !== zc.seq) return;
    zc.mode = 'error';
    zc.error = e.message;
    highlightZones([]);
  }
  renderZoneCheck();
}

function highlightZones(zones) {
  if (!app.map || !app.map.getLayer('zones-hit')) return;
  const none = ['==', ['literal', 1], 0];
  const filter = zones.length === 0 ? none : ['any', ...zones.map((z) => ['all',
    ['==', ['get', 'area_name'], z.area_name],
    ['==', ['get', 'zone_kind'], z.zone_kind],
    ['==', ['coalesce', ['get', 'site'], ''], z.site || '']])];
  app.map.setFilter('zones-hit', filter);
  app.map.setFilter('zones-hit-fill', filter);
}

export function renderZoneCheck() {
  const root = $('#zonecheck');
  const out = $('#zc-result');
  setState(root, zc.mode);
  root.dataset.verdict = zc.mode === 'ready' && zc.result ? zc.result.verdict || '' : '';
  $('#zc-draw').disabled = zc.mode === 'drawing' || !app.draw;
  out.replaceChildren();
  if (zc.mode === 'drawing') out.append(h('p', { class: 'hint' }, t('zc.drawing')));
  if (zc.mode === 'loading') out.append(h('p', { class: 'loading' }, t('zc.loading')));
  if (zc.mode === 'error') out.append(h('p', { class: 'error', role: 'alert' }, zc.error));
  if (zc.mode !== 'ready' || !zc.result) return;
  const r = zc.result;
  out.append(h('p', { class: 'verdict v-' + r.verdict, dataset: { verdict: r.verdict } },
    verdictLabel(r.verdict), ' · ', activityLabel(r.activity || zc.activity)));
  if (r.footprint_mu !== undefined) out.append(h('p', { class: 'muted' }, t('zc.footprint', { mu: fmt(r.footprint_mu) })));
  const zones = r.zones || [];
  if (zones.length === 0) out.append(h('p', { class: 'muted' }, t('zc.none')));
  else renderZones(out, r, zones);
  for (const fn of sections) {
    const node = fn({ result: r, geometry: zc.geometry, activity: zc.activity, rerender: renderZoneCheck });
    if (node) out.append(node);
  }
}

function renderZones(out, r, zones) {
  out.append(h('ul', { class: 'zc-zones' }, zones.map((z) => h('li', { class: 'v-' + z.verdict, dataset: { verdict: z.verdict, zoneKind: z.zone_kind } },
    h('div', null, h('span', { class: 'swatch', style: `background:${ZONE_COLORS[z.zone_kind] || '#999'}` }), ' ',
      h('strong', null, `${z.area_name}${z.site ? ' · ' + z.site : ''} · ${getLang() === 'en' ? zoneKindLabel(z.zone_kind) : (z.zone_label || zoneKindLabel(z.zone_kind))}`)),
    h('div', null, h('span', { class: 'verdict-tag v-' + z.verdict }, verdictLabel(z.verdict)), ` ${t('zc.overlap')} ${fmt(z.overlap_mu)} ${t('unit.mu')}`),
    z.rule ? h('div', { class: 'small' }, h('span', { class: 'muted' }, t('zc.rule') + '：'), z.rule) : null,
    z.legal_basis ? h('div', { class: 'small' }, h('span', { class: 'muted' }, t('zc.basis') + '：'), z.legal_basis) : null,
    z.wetland_credits_required !== null && z.wetland_credits_required !== undefined
      ? h('div', { class: 'small' }, `${t('zc.credits')}：${fmt(z.wetland_credits_required)} ${t('unit.credits')}`) : null,
    z.fee_yuan ? h('div', { class: 'small' }, `${t('zc.fee')}：${fmt(z.fee_yuan)} ${t('unit.yuan')}`) : null,
  ))));
  out.append(h('p', { class: 'total' }, `${t('zc.total_fee')}：${fmt(r.total_fee_yuan)} ${t('unit.yuan')}`));
}
