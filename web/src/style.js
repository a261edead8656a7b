// The map style: vector-tile sources of the ecocomp server, colours by regime and status, names
// as a bureau's map writes them (townships, villages, protected areas, parcel numbers from zoom
// 15), and the layer groups the legend toggles.

export const TILE_LAYERS = ['county', 'townships', 'villages', 'protected_areas', 'zones', 'parcels', 'labels'];

// FONT is the one font stack the server draws glyphs in (internal/glyphs).
export const FONT = ['WenQuanYi Micro Hei'];

export const ZONE_COLORS = {
  core: '#d7191c',
  core_protection: '#b2182b',
  buffer: '#fd8d3c',
  general_control: '#f4a582',
  experimental: '#fee08b',
  conservation: '#08306b',
  restoration: '#1b9e9e',
  reasonable_use: '#9ecae1',
  primary: '#6a3d9a',
  secondary: '#cab2d6',
  core_scenic: '#8c510a',
  general_scenic: '#dfc27d',
};

export const STATUS_COLORS = {
  eligible: '#1a9850',
  in_case: '#7b3294',
  public_welfare: '#bf9f6b',
  other: '#d4d4d4',
};
const NO_STATUS = '#f2f2f2';

// The forest the county's reserve holds (GET /api/v1/reserve?format=geojson) and the parcels of
// the case on screen: offered (the owner's) and counterpart (the reserve's, in an exchange).
export const RESERVE_COLOR = '#01665e';
export const CASE_COLORS = { offered: '#ff7f00', counterpart: '#6a51a3' };
const EMPTY = { type: 'FeatureCollection', features: [] };

// The wetland bank (wetlandmap.js fills these sources): wetland patches by importance, credit
// projects by status, debits (occupations that owe credits), and the project or debit on screen.
export const WETLAND_COLORS = { national: '#0b3c8c', provincial: '#2f7fd0', general: '#8fcdee' };
export const PROJECT_COLORS = { proposed: '#7cb342', approved: '#2e7d32', rejected: '#9e9e9e' };
export const DEBIT_COLOR = '#d84315';

// The zone kinds the legend shows, grouped by area kind.
export const ZONE_LEGEND = [
  ['nature_reserve', ['core', 'buffer', 'experimental', 'core_protection', 'general_control']],
  ['wetland_park', ['conservation', 'restoration', 'reasonable_use']],
];

// Layer groups: what one legend toggle switches.
export const GROUPS = [
  { id: 'labels', layers: ['labels-parcel', 'labels-village', 'labels-protected_area', 'labels-township'], visible: true },
  { id: 'parcels', layers: ['parcels-fill', 'parcels-line'], visible: true },
  { id: 'reserve', layers: ['reserve-fill', 'reserve-line'], visible: true },
  { id: 'wetland_debits', layers: ['wetland-debits-fill', 'wetland-debits-line'], visible: true, staff: true },
  { id: 'wetland_projects', layers: ['wetland-projects-fill', 'wetland-projects-line'], visible: true, staff: true },
  { id: 'wetland_patches', layers: ['wetland-patches-fill', 'wetland-patches-line'], visible: true },
  { id: 'zones', layers: ['zones-fill', 'zones-line'], visible: true },
  { id: 'protected_areas', layers: ['protected_areas-line'], visible: true },
  { id: 'villages', layers: ['villages-line'], visible: false },
  { id: 'townships', layers: ['townships-line'], visible: true },
  { id: 'county', layers: ['county-fill', 'county-line'], visible: true },
];

function match(prop, colors, fallback) {
  const m = ['match', ['coalesce', ['get', prop], '']];
  for (const [k, v] of Object.entries(colors)) m.push(k, v);
  m.push(fallback);
  return m;
}

// label is a symbol layer of the labels source writing the names of one kind.
function label(kind, minzoom, size, color, extra = {}) {
  return {
    id: `labels-${kind}`, type: 'symbol', source: 'labels', 'source-layer': 'labels', minzoom,
    filter: ['==', ['get', 'kind'], kind],
    layout: { 'text-field': ['get', 'name'], 'text-font': FONT, 'text-size': size, 'text-max-width': 8, 'text-padding': 4, ...extra },
    paint: { 'text-color': color, 'text-halo-color': 'rgba(255,255,255,0.9)', 'text-halo-width': 1.4 },
  };
}

// sources are the vector sources built from the TileJSON documents (or the URL template);
// glyphs is the server's glyph URL template.
export function buildStyle({ sources, basemapURL, glyphs }) {
  const style = {
    version: 8,
    glyphs,
    sources: {},
    layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#eef0ea' } }],
  };
  if (basemapURL) {
    style.sources.basemap = { type: 'raster', tiles: [basemapURL], tileSize: 256 };
    style.layers.push({ id: 'basemap', type: 'raster', source: 'basemap' });
  }
  for (const [id, src] of Object.entries(sources)) style.sources[id] = src;
  style.sources.selection = { type: 'geojson', data: EMPTY };
  // Filled by casemap.js: the reserve once the map has loaded, a case's parcels while it is shown.
  style.sources.reserve = { type: 'geojson', data: EMPTY };
  style.sources['case-parcels'] = { type: 'geojson', data: EMPTY };
  for (const id of ['wetland-patches', 'wetland-projects', 'wetland-debits', 'wetland-item']) style.sources[id] = { type: 'geojson', data: EMPTY };

  const vis = (group) => (GROUPS.find((g) => g.id === group).visible ? 'visible' : 'none');
  style.layers.push(
    { id: 'county-fill', type: 'fill', source: 'county', 'source-layer': 'county', layout: { visibility: vis('county') },
      paint: { 'fill-color': '#fbfbf7', 'fill-opacity': basemapURL ? 0 : 0.9 } },
    { id: 'parcels-fill', type: 'fill', source: 'parcels', 'source-layer': 'parcels', layout: { visibility: vis('parcels') },
      paint: { 'fill-color': match('status', STATUS_COLORS, NO_STATUS), 'fill-opacity': 0.75 } },
    { id: 'parcels-line', type: 'line', source: 'parcels', 'source-layer': 'parcels', layout: { visibility: vis('parcels') },
      paint: { 'line-color': '#5b6b5b', 'line-width': ['interpolate', ['linear'], ['zoom'], 10, 0.2, 15, 1],
        'line-opacity': ['interpolate', ['linear'], ['zoom'], 10, 0.15, 13, 0.6] } },
    { id: 'villages-line', type: 'line', source: 'villages', 'source-layer': 'villages', layout: { visibility: vis('villages') },
      paint: { 'line-color': '#7d7d7d', 'line-width': 0.8, 'line-dasharray': [2, 2] } },
    { id: 'townships-line', type: 'line', source: 'townships', 'source-layer': 'townships', layout: { visibility: vis('townships') },
      paint: { 'line-color': '#4a4a4a', 'line-width': 1.3, 'line-dasharray': [4, 2] } },
    { id: 'zones-fill', type: 'fill', source: 'zones', 'source-layer': 'zones', layout: { visibility: vis('zones') },
      paint: { 'fill-color': match('zone_kind', ZONE_COLORS, '#999999'), 'fill-opacity': 0.35 } },
    { id: 'zones-line', type: 'line', source: 'zones', 'source-layer': 'zones', layout: { visibility: vis('zones') },
      paint: { 'line-color': match('zone_kind', ZONE_COLORS, '#999999'), 'line-width': 1.6 } },
    { id: 'protected_areas-line', type: 'line', source: 'protected_areas', 'source-layer': 'protected_areas',
      layout: { visibility: vis('protected_areas') },
      paint: { 'line-color': '#1f3b1f', 'line-width': 2.2, 'line-dasharray': [3, 1.5] } },
    { id: 'county-line', type: 'line', source: 'county', 'source-layer': 'county', layout: { visibility: vis('county') },
      paint: { 'line-color': '#111111', 'line-width': 2.6 } },
    { id: 'reserve-fill', type: 'fill', source: 'reserve', layout: { visibility: vis('reserve') },
      paint: { 'fill-color': RESERVE_COLOR, 'fill-opacity': 0.7 } },
    { id: 'reserve-line', type: 'line', source: 'reserve', layout: { visibility: vis('reserve') },
      paint: { 'line-color': '#003c30', 'line-width': 1.6 } },
    { id: 'wetland-patches-fill', type: 'fill', source: 'wetland-patches', layout: { visibility: vis('wetland_patches') },
      paint: { 'fill-color': match('importance', WETLAND_COLORS, WETLAND_COLORS.general), 'fill-opacity': 0.55 } },
    { id: 'wetland-patches-line', type: 'line', source: 'wetland-patches', layout: { visibility: vis('wetland_patches') },
      paint: { 'line-color': WETLAND_COLORS.national, 'line-width': 1 } },
    { id: 'wetland-projects-fill', type: 'fill', source: 'wetland-projects', layout: { visibility: vis('wetland_projects') },
      paint: { 'fill-color': match('status', PROJECT_COLORS, PROJECT_COLORS.proposed), 'fill-opacity': 0.35 } },
    { id: 'wetland-projects-line', type: 'line', source: 'wetland-projects', layout: { visibility: vis('wetland_projects') },
      paint: { 'line-color': match('status', PROJECT_COLORS, PROJECT_COLORS.proposed), 'line-width': 2.2 } },
    { id: 'wetland-debits-fill', type: 'fill', source: 'wetland-debits', layout: { visibility: vis('wetland_debits') },
      paint: { 'fill-color': DEBIT_COLOR, 'fill-opacity': ['case', ['==', ['get', 'status'], 'settled'], 0.15, 0.3] } },
    { id: 'wetland-debits-line', type: 'line', source: 'wetland-debits', layout: { visibility: vis('wetland_debits') },
      paint: { 'line-color': DEBIT_COLOR, 'line-width': 2 } },
    // The project or debit open beside the map.
    { id: 'wetland-item-line', type: 'line', source: 'wetland-item', paint: { 'line-color': '#ff00c8', 'line-width': 4 } },
    // The parcels of the case page, over everything but the names.
    { id: 'case-parcels-fill', type: 'fill', source: 'case-parcels',
      paint: { 'fill-color': match('role', CASE_COLORS, CASE_COLORS.offered), 'fill-opacity': 0.12 } },
    { id: 'case-parcels-line', type: 'line', source: 'case-parcels',
      paint: { 'line-color': match('role', CASE_COLORS, CASE_COLORS.offered), 'line-width': 4 } },
    // Zones the last zone check touched (filter set by the zone check).
    { id: 'zones-hit', type: 'line', source: 'zones', 'source-layer': 'zones', filter: ['==', ['literal', 1], 0],
      paint: { 'line-color': '#ff00c8', 'line-width': 4 } },
    { id: 'zones-hit-fill', type: 'fill', source: 'zones', 'source-layer': 'zones', filter: ['==', ['literal', 1], 0],
      paint: { 'fill-color': '#ff00c8', 'fill-opacity': 0.18 } },
    // The selected parcel, drawn from the API's exact geometry.
    { id: 'selection-line', type: 'line', source: 'selection',
      paint: { 'line-color': '#0047ff', 'line-width': 3.5 } },
    // Names on top; the upper layers are placed first where labels collide: townships win.
    label('parcel', 15, 11, '#3b4a3b'),
    label('village', 11, ['interpolate', ['linear'], ['zoom'], 11, 11, 15, 13], '#555555'),
    // A protected area is named on each of its sites, the site (片区) under the name.
    label('protected_area', 5, ['interpolate', ['linear'], ['zoom'], 8, 12, 13, 15], '#1f3b1f', {
      'text-letter-spacing': 0.05,
      'text-field': ['format', ['get', 'name'], {}, ['case', ['!=', ['coalesce', ['get', 'site'], ''], ''], ['concat', '\n', ['get', 'site']], ''], { 'font-scale': 0.85 }],
    }),
    label('township', 5, ['interpolate', ['linear'], ['zoom'], 8, 13, 13, 17], '#1a1a1a', { 'text-letter-spacing': 0.1 }),
  );
  for (const l of style.layers) {
    const g = GROUPS.find((x) => x.layers.includes(l.id));
    if (g && l.type === 'symbol') l.layout.visibility = g.visible ? 'visible' : 'none';
  }
  return style;
}

export { NO_STATUS };
