// The map and its layers: the server's map configuration (bounds, year, basemap), the vector
// tile sources from their TileJSON, the style (style.js) and the MapLibre map itself. Labels are
// drawn with glyphs the server makes from its own font (/fonts/…), CJK included: nothing comes
// from a CDN or from the fonts of the browser's machine.

import { Map as MapLibreMap, NavigationControl, ScaleControl, setWorkerUrl } from 'maplibre-gl';

import { getJSON } from './api.js';
import { banner } from './dom.js';
import { t } from './i18n.js';
import { buildStyle, TILE_LAYERS } from './style.js';
import { app } from './state.js';

// The worker is copied beside the bundle by build.mjs (as .js, a MIME type every server knows).
setWorkerUrl(new URL('./maplibre-gl-worker.js', import.meta.url).href);

// Used only when the server cannot be asked: the map still opens over the demo county, and the
// year is the calendar year. Otherwise everything comes from GET /api/v1/map-config.
const FALLBACK = {
  basemap_url: '',
  bounds: [117.37, 29.01, 118.21, 29.58],
  demo: true,
};

// loadConfig reads the map configuration (unless the caller already has it) and keeps it in
// app.config; a failure is shown and the fallback used.
export async function loadConfig(loaded) {
  let config;
  try {
    config = { ...FALLBACK, ...(loaded || await getJSON('/api/v1/map-config')) };
  } catch (e) {
    banner(e.message);
    config = { ...FALLBACK, year: new Date().getFullYear() };
  }
  app.config = config;
  return config;
}

// absolute resolves a server path template against the page, keeping {placeholders} readable.
function absolute(path) {
  return new URL(path, location.href).href.replace(/%7B/g, '{').replace(/%7D/g, '}');
}

// tileSource reads a layer's TileJSON (resolving relative tile URLs against it); when that fails
// it falls back to the URL template of docs/API.md.
async function tileSource(layer) {
  const tjURL = new URL(`/tiles/${layer}.json`, location.href);
  const fallback = { type: 'vector', tiles: [absolute(`/tiles/${layer}/{z}/{x}/{y}.mvt`)], minzoom: 6, maxzoom: 18 };
  try {
    const tj = await getJSON(tjURL.href);
    if (!Array.isArray(tj.tiles) || tj.tiles.length === 0) return fallback;
    const src = { type: 'vector', tiles: tj.tiles.map((u) => decodeURI(new URL(u, tjURL).href)) };
    if (Number.isFinite(tj.minzoom)) src.minzoom = tj.minzoom;
    if (Number.isFinite(tj.maxzoom)) src.maxzoom = tj.maxzoom;
    if (Array.isArray(tj.bounds) && tj.bounds.length === 4) src.bounds = tj.bounds;
    if (tj.attribution) src.attribution = tj.attribution;
    return src;
  } catch (e) {
    console.warn(`TileJSON of ${layer}:`, e.message);
    return fallback;
  }
}

// createMap builds the map over config; it answers null (and says why) when the browser cannot
// draw it. body[data-map-state] becomes ready after the first idle frame.
export async function createMap(config) {
  const entries = await Promise.all(TILE_LAYERS.map(async (l) => [l, await tileSource(l)]));
  const style = buildStyle({ sources: Object.fromEntries(entries), basemapURL: config.basemap_url, glyphs: absolute('/fonts/{fontstack}/{range}.pbf') });
  let map;
  try {
    map = new MapLibreMap({
      container: 'map',
      style,
      bounds: config.bounds,
      fitBoundsOptions: { padding: 20 },
      minZoom: 5,
      maxZoom: 19,
      attributionControl: { compact: true, customAttribution: config.basemap_attribution || '' },
      dragRotate: false,
      pitchWithRotate: false,
      // Ideographs from the server's glyphs too, not drawn from whatever fonts this machine has.
      localIdeographFontFamily: false,
      canvasContextAttributes: { preserveDrawingBuffer: true }, // lets tests and users read the canvas back
    });
  } catch (e) {
    document.body.dataset.mapState = 'error';
    banner(t('map.webgl', { detail: e.message }));
    return null;
  }
  app.map = map;
  window.ecocompMap = map;
  map.addControl(new NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new ScaleControl({ unit: 'metric' }), 'bottom-right');

  let tileErrorShown = false;
  map.on('error', (ev) => {
    const msg = ev && ev.error ? ev.error.message || String(ev.error) : 'error';
    console.warn('map error:', msg);
    if (!tileErrorShown) {
      tileErrorShown = true;
      banner(t('map.tiles', { detail: msg }));
    }
  });
  app.ready = new Promise((resolve) => map.once('load', resolve));
  map.once('load', () => map.once('idle', () => {
    document.body.dataset.mapState = 'ready';
    document.querySelector('#map-loading').hidden = true;
  }));
  return map;
}

// setSelection outlines the selected parcel with the API's exact geometry (null clears it).
export function setSelection(feature) {
  const src = app.map && app.map.getSource('selection');
  if (!src) return;
  src.setData({ type: 'FeatureCollection', features: feature && feature.geometry ? [{ type: 'Feature', geometry: feature.geometry, properties: {} }] : [] });
}

// bboxOf is the [west, south, east, north] of a GeoJSON geometry.
export function bboxOf(geometry) {
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  const walk = (c) => {
    if (typeof c[0] === 'number') {
      minX = Math.min(minX, c[0]); maxX = Math.max(maxX, c[0]);
      minY = Math.min(minY, c[1]); maxY = Math.max(maxY, c[1]);
    } else c.forEach(walk);
  };
  walk(geometry.coordinates);
  return [minX, minY, maxX, maxY];
}
