// The cases on the map: the reserve (forest the county holds, GET /api/v1/reserve?format=geojson),
// a layer the legend toggles and names with its count and area, and the parcels of the case on
// the case page, outlined (offered orange, an exchange's counterpart purple) and fitted beside
// the page. The sources and layers are style.js's; this module fills them.
//
// Test hooks: #legend li[data-group=reserve] carries data-count; the map's sources `reserve` and
// `case-parcels` hold the features.

import { getJSON, enc } from './api.js';
import { fmt } from './dom.js';
import { t } from './i18n.js';
import { app } from './state.js';
import { bboxOf } from './map.js';

const EMPTY = { type: 'FeatureCollection', features: [] };

const reserve = { mode: 'idle', count: 0, areaMu: 0, data: EMPTY, seq: 0 };
let listeners = [];

// onReserve calls fn whenever what the reserve summary says changes (the legend redraws it).
export function onReserve(fn) { listeners.push(fn); }

// reserveSummary is the legend's line about the reserve: how many parcels, how many 亩.
export function reserveSummary() {
  switch (reserve.mode) {
    case 'ready': return reserve.count ? t('reserve.summary', { n: reserve.count, mu: fmt(reserve.areaMu) }) : t('reserve.none');
    case 'error': return t('reserve.error');
    default: return '';
  }
}

export function reserveCount() { return reserve.mode === 'ready' ? reserve.count : null; }

// loadReserve reads the reserve's parcels again (at start-up, after a sign-in and after a case
// changed forest rights) and draws them once the map has loaded.
export async function loadReserve() {
  const seq = ++reserve.seq;
  try {
    const fc = await getJSON('/api/v1/reserve?format=geojson', { headers: { Accept: 'application/geo+json' } });
    if (seq !== reserve.seq) return;
    // Without the feature ids: an id that reads as a number (the 21-digit parcel code) overflows
    // the 64-bit ids of MapLibre's GeoJSON tiles ("Given varint doesn't fit into 10 bytes").
    const features = (fc.features || []).map((f) => ({ type: 'Feature', geometry: f.geometry, properties: f.properties }));
    reserve.data = { type: 'FeatureCollection', features };
    reserve.count = features.length;
    reserve.areaMu = features.reduce((s, f) => s + Math.round(Number(f.properties?.area_mu || 0) * 100), 0) / 100;
    reserve.mode = 'ready';
  } catch (e) {
    if (seq !== reserve.seq) return;
    // A server without a cases policy has no reserve: the map works without the layer.
    console.warn('the reserve layer:', e.message);
    reserve.data = EMPTY;
    reserve.mode = 'error';
  }
  await app.ready;
  app.map?.getSource('reserve')?.setData(reserve.data);
  for (const fn of listeners) fn();
}

// bounds is the box around features, as fitBounds takes it (null when none has a geometry).
function bounds(features) {
  const boxes = features.filter((f) => f.geometry).map((f) => bboxOf(f.geometry));
  if (boxes.length === 0) return null;
  return [[Math.min(...boxes.map((b) => b[0])), Math.min(...boxes.map((b) => b[1]))], [Math.max(...boxes.map((b) => b[2])), Math.max(...boxes.map((b) => b[3]))]];
}

let caseSeq = 0;

// showCaseParcels outlines the parcels of a case ([{code, role}]) with their current geometry
// and fits the map to them, leaving room for the case page on the right. It answers the number
// of parcels drawn.
export async function showCaseParcels(parcels, { rightPadding = 0 } = {}) {
  const seq = ++caseSeq;
  const features = (await Promise.all(parcels.map(async (p) => {
    try {
      const f = await getJSON(`/api/v1/parcels/${enc(p.code)}`);
      return { type: 'Feature', geometry: f.geometry, properties: { code: p.code, role: p.role } };
    } catch (e) {
      console.warn(`parcel ${p.code} of the case:`, e.message);
      return null;
    }
  }))).filter(Boolean);
  if (seq !== caseSeq) return 0;
  await app.ready;
  const map = app.map;
  if (!map) return 0;
  map.getSource('case-parcels')?.setData({ type: 'FeatureCollection', features });
  const b = bounds(features);
  if (b) {
    // Leave room for the page on the right when the map is wide enough for it.
    const width = map.getContainer().clientWidth;
    const right = rightPadding && width - rightPadding > 200 ? rightPadding : 0;
    const pad = Math.min(50, Math.floor((width - right) / 6));
    map.fitBounds(b, { padding: { top: pad, bottom: pad, left: pad, right: pad + right }, maxZoom: 17, duration: 800 });
  }
  return features.length;
}

// clearCaseParcels removes the outline when the case page closes.
export function clearCaseParcels() {
  caseSeq++;
  app.map?.getSource('case-parcels')?.setData(EMPTY);
}

// refreshParcelTiles asks the parcel tiles again: a case changes the parcels' colours (in_case,
// then the reserve's after a transfer). The tiles are cached for a minute; a new query string
// passes the browser's cache (the server ignores it).
let tileRound = 0;
export function refreshParcelTiles() {
  const src = app.map?.getSource('parcels');
  if (!src || typeof src.setTiles !== 'function' || !Array.isArray(src.tiles)) return;
  tileRound++;
  src.setTiles(src.tiles.map((u) => u.replace(/([?&])r=\d+$/, '').replace(/(\.mvt)$/, `$1?r=${tileRound}`)));
}
