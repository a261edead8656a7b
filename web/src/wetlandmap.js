// The wetland bank on the map: the wetland patches (GET /api/v1/wetland/patches, coloured by
// importance; every reader sees them), the credit projects and the debits (GET
// /api/v1/wetland/{projects,debits}?format=geojson; signed-in staff), each a legend group with
// its count, and the project or debit open beside the map, outlined and fitted. The sources and
// layers are style.js's; this module fills them.
//
// Test hooks: the map's sources `wetland-patches`, `wetland-projects`, `wetland-debits` and
// `wetland-item`; #legend li[data-group=wetland_patches|wetland_projects|wetland_debits]
// carries data-count.

import { getJSON } from './api.js';
import { fmt } from './dom.js';
import { t } from './i18n.js';
import { app } from './state.js';
import { bboxOf } from './map.js';

const EMPTY = { type: 'FeatureCollection', features: [] };

// The layers by legend group: where each is read, whether it needs a signed-in member of staff.
const LAYERS = {
  wetland_patches: { source: 'wetland-patches', url: '/api/v1/wetland/patches', staff: false, mu: 'area_mu' },
  wetland_projects: { source: 'wetland-projects', url: '/api/v1/wetland/projects?format=geojson', staff: true, mu: 'area_mu' },
  wetland_debits: { source: 'wetland-debits', url: '/api/v1/wetland/debits?format=geojson', staff: true, mu: 'occupied_mu' },
};
const layers = Object.fromEntries(Object.keys(LAYERS).map((g) => [g, { mode: 'idle', count: 0, mu: 0, data: EMPTY, seq: 0 }]));
const listeners = [];

// onWetlandLayers calls fn whenever a layer's count changes (the legend redraws its line).
export function onWetlandLayers(fn) { listeners.push(fn); }

// wetlandLayerCount is how many features a group's layer holds (null until read).
export function wetlandLayerCount(group) { return layers[group]?.mode === 'ready' ? layers[group].count : null; }

// wetlandLayerSummary is the legend's line about a group: how many, how many 亩.
export function wetlandLayerSummary(group) {
  const l = layers[group];
  if (!l) return '';
  if (l.mode === 'error') return t('wl.layer.error');
  if (l.mode !== 'ready') return '';
  return l.count ? t('wl.layer.summary.' + group, { n: l.count, mu: fmt(l.mu) }) : t('wl.layer.none');
}

// The features without their ids (MapLibre's GeoJSON tiles want ids that fit 64 bits; a
// layer's id goes into the properties, where a click can read it).
function plain(fc) {
  return (fc.features || []).map((f) => ({ type: 'Feature', geometry: f.geometry, properties: { ...f.properties, id: f.id } }));
}

async function loadLayer(group, staff) {
  const def = LAYERS[group];
  const l = layers[group];
  const seq = ++l.seq;
  if (def.staff && !staff) {
    Object.assign(l, { mode: 'idle', count: 0, mu: 0, data: EMPTY });
  } else {
    try {
      const features = plain(await getJSON(def.url, { headers: { Accept: 'application/geo+json' } }));
      if (seq !== l.seq) return;
      const mu = features.reduce((s, f) => s + Math.round(Number(f.properties?.[def.mu] || 0) * 100), 0) / 100;
      Object.assign(l, { mode: 'ready', count: features.length, mu, data: { type: 'FeatureCollection', features } });
    } catch (e) {
      if (seq !== l.seq) return;
      console.warn(`the ${group} layer:`, e.message);
      Object.assign(l, { mode: 'error', data: EMPTY });
    }
  }
  await app.ready;
  app.map?.getSource(def.source)?.setData(l.data);
  for (const fn of listeners) fn(group);
}

// loadWetlandLayers reads the layers again: the patches for everyone, projects and debits when
// staff is set (a signed-in member of staff), otherwise they are emptied.
export function loadWetlandLayers({ staff, only } = {}) {
  return Promise.all(Object.keys(LAYERS).filter((g) => !only || only.includes(g)).map((g) => loadLayer(g, staff)));
}

// wetlandFeature is the map's feature of project or debit id (group wetland_projects or
// wetland_debits), or null.
export function wetlandFeature(group, id) {
  return layers[group]?.data.features.find((f) => f.properties.id === Number(id)) || null;
}

let itemSeq = 0;

// showWetlandItem outlines a project's or debit's footprint and fits the map to it, leaving
// rightPadding pixels for the page beside the map.
export async function showWetlandItem(geometry, { rightPadding = 0 } = {}) {
  const seq = ++itemSeq;
  await app.ready;
  const map = app.map;
  if (!map || seq !== itemSeq) return;
  map.getSource('wetland-item')?.setData(geometry ? { type: 'FeatureCollection', features: [{ type: 'Feature', geometry, properties: {} }] } : EMPTY);
  if (!geometry) return;
  const [w, s, e, n] = bboxOf(geometry);
  const width = map.getContainer().clientWidth;
  const right = rightPadding && width - rightPadding > 200 ? rightPadding : 0;
  const pad = Math.min(60, Math.floor((width - right) / 6));
  map.fitBounds([[w, s], [e, n]], { padding: { top: pad, bottom: pad, left: pad, right: pad + right }, maxZoom: 17, duration: 600 });
}

export function clearWetlandItem() {
  itemSeq++;
  app.map?.getSource('wetland-item')?.setData(EMPTY);
}
