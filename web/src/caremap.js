// Forest care on the map (林长制, issue 16): the care responsibility areas coloured by ranger
// or by the age of their last patrol, a month's patrol tracks, and the coverage check's parcels
// (in no area: red; in two or more: orange). Sources and layers are added here once the map has
// loaded, above the parcels, the areas' names over the map's; care.js fills them.
//
// Test hooks: the map's sources `care-areas`, `care-tracks`, `care-coverage` and the layers
// `care-areas-fill`, `care-tracks-line`, `care-coverage-fill`.

import { app } from './state.js';
import { FONT } from './style.js';
import { bboxOf } from './map.js';

const EMPTY = { type: 'FeatureCollection', features: [] };

// Distinct colours for rangers (ColorBrewer Set1 and Dark2, without the reds and oranges the
// coverage check uses), taken in roster order.
export const RANGER_COLORS = ['#377eb8', '#4daf4a', '#984ea3', '#a65628', '#f781bf', '#1b9e77', '#7570b3',
  '#66a61e', '#e6ab02', '#17becf', '#8c564b', '#bcbd22'];
export const UNASSIGNED = '#bdbdbd';

// The last-patrol ages the legend shows, youngest first.
export const AGE_CLASSES = ['week', 'month', 'older', 'never'];
export const AGE_COLORS = { week: '#1a9850', month: '#fee08b', older: '#f46d43', never: '#7f7f7f' };
export const COVERAGE_COLORS = { outside: '#e41a1c', overlap: '#ff7f00' };
export const TRACK_COLOR = '#e7298a';

// ageClass files an area's last patrol (days ago, or null) under AGE_CLASSES.
export function ageClass(days) {
  if (days === null || days === undefined) return 'never';
  if (days <= 7) return 'week';
  if (days <= 30) return 'month';
  return 'older';
}

const data = { 'care-areas': EMPTY, 'care-tracks': EMPTY, 'care-coverage': EMPTY };
let colour = { by: 'ranger', rangers: [] };
let added = false;

// layers are the care layers, lowest first, put below the selection outline (the names on top).
function layers() {
  return [
    { id: 'care-areas-fill', type: 'fill', source: 'care-areas', paint: { 'fill-color': areaColour(), 'fill-opacity': 0.35 } },
    { id: 'care-areas-line', type: 'line', source: 'care-areas', paint: { 'line-color': areaColour(), 'line-width': 2.4 } },
    { id: 'care-coverage-fill', type: 'fill', source: 'care-coverage',
      paint: { 'fill-color': ['match', ['get', 'problem'], 'outside', COVERAGE_COLORS.outside, COVERAGE_COLORS.overlap], 'fill-opacity': 0.55 } },
    { id: 'care-coverage-line', type: 'line', source: 'care-coverage',
      paint: { 'line-color': ['match', ['get', 'problem'], 'outside', COVERAGE_COLORS.outside, COVERAGE_COLORS.overlap], 'line-width': 2 } },
    { id: 'care-tracks-line', type: 'line', source: 'care-tracks', layout: { 'line-cap': 'round', 'line-join': 'round' },
      paint: { 'line-color': TRACK_COLOR, 'line-width': 3.5 } },
    { id: 'care-areas-label', type: 'symbol', source: 'care-areas',
      layout: { 'text-field': ['get', 'label'], 'text-font': FONT, 'text-size': 13, 'text-max-width': 10 },
      paint: { 'text-color': '#1a1a1a', 'text-halo-color': 'rgba(255,255,255,0.9)', 'text-halo-width': 1.4 } },
  ];
}

// areaColour is the fill expression: by ranger (rangers in roster order) or by last-patrol age.
function areaColour() {
  if (colour.by === 'age') {
    const m = ['match', ['get', 'age']];
    for (const k of AGE_CLASSES) m.push(k, AGE_COLORS[k]);
    m.push(AGE_COLORS.never);
    return m;
  }
  if (colour.rangers.length === 0) return UNASSIGNED;
  const m = ['match', ['get', 'ranger_id']];
  colour.rangers.forEach((id, i) => m.push(id, rangerColour(i)));
  m.push(UNASSIGNED);
  return m;
}

export const rangerColour = (i) => RANGER_COLORS[i % RANGER_COLORS.length];

// addCareLayers puts the sources and layers on the map (once, after it has loaded).
async function addCareLayers() {
  await app.ready;
  const map = app.map;
  if (!map || added) return map;
  added = true;
  for (const [id, d] of Object.entries(data)) map.addSource(id, { type: 'geojson', data: d });
  const before = map.getLayer('selection-line') ? 'selection-line' : undefined;
  // The areas' names go on top: placed first, they win over the townships' where they collide.
  for (const l of layers()) map.addLayer(l, l.type === 'symbol' ? undefined : before);
  return map;
}

// setCareData replaces a source's features (care-areas, care-tracks or care-coverage).
export async function setCareData(source, fc) {
  data[source] = fc || EMPTY;
  const map = await addCareLayers();
  map?.getSource(source)?.setData(data[source]);
}

// setAreaColouring colours the areas by 'ranger' (rangers: ids in roster order) or by 'age'.
export async function setAreaColouring(by, rangers) {
  colour = { by, rangers: rangers || colour.rangers };
  const map = await addCareLayers();
  if (!map) return;
  map.setPaintProperty('care-areas-fill', 'fill-color', areaColour());
  map.setPaintProperty('care-areas-line', 'line-color', areaColour());
}

// showCareLayers shows or hides every care layer (the care panel is open or not).
export async function showCareLayers(on) {
  if (!on && !added) return;
  const map = await addCareLayers();
  if (!map) return;
  for (const l of layers()) map.setLayoutProperty(l.id, 'visibility', on ? 'visible' : 'none');
}

// careAreaAt is the care area under a map click, or null.
export function careAreaAt(point) {
  const map = app.map;
  if (!added || !map || map.getLayoutProperty('care-areas-fill', 'visibility') === 'none') return null;
  const hit = map.queryRenderedFeatures(point, { layers: ['care-areas-fill'] });
  return hit.length ? hit[0].properties : null;
}

// fitCare fits the map to the features of fc, clear of overlay (the panel over the map's right
// side, when shown).
export async function fitCare(fc, { overlay = null } = {}) {
  const map = await addCareLayers();
  if (!map || !fc.features.length) return;
  const boxes = fc.features.filter((f) => f.geometry).map((f) => bboxOf(f.geometry));
  if (!boxes.length) return;
  const w = Math.min(...boxes.map((b) => b[0])), s = Math.min(...boxes.map((b) => b[1]));
  const e = Math.max(...boxes.map((b) => b[2])), n = Math.max(...boxes.map((b) => b[3]));
  const box = map.getContainer().getBoundingClientRect();
  const covered = overlay && !overlay.hidden ? Math.max(0, box.right - overlay.getBoundingClientRect().left) : 0;
  const right = box.width - covered > 240 ? covered : 0;
  const pad = Math.min(50, Math.floor((box.width - right) / 6));
  map.fitBounds([[w, s], [e, n]], { padding: { top: pad, bottom: pad, left: pad, right: pad + right }, maxZoom: 16, duration: 0 });
}
