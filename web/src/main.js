// The ecocomp web map: MapLibre GL JS over the server's vector tiles, a parcel panel, a zone check
// on a drawn footprint (terra-draw), GeoJSON export, the subsidy roll and (for surveyors) imports.
// Every asset comes from the ecocomp binary. Accounts (auth.js): on load GET /api/v1/me; without a
// session the map is shown when the server reads anonymously, else the sign-in page.
//
// Test hooks: window.ecocompMap (the maplibre Map), window.ecocomp (map, draw, config, ready, session),
// body[data-map-state] loading | ready | error, body[data-auth] and body[data-view] (auth.js), and
// data-state on #panel, #search, #zonecheck, #export, #roll, #roll-view and #import.

import { Map as MapLibreMap, NavigationControl, ScaleControl, setWorkerUrl } from 'maplibre-gl';
import { TerraDraw, TerraDrawPolygonMode } from 'terra-draw';
import { TerraDrawMapLibreGLAdapter } from 'terra-draw-maplibre-gl-adapter';

import { getJSON, postJSON, request, onAuthLost } from './api.js';
import { h, $, fmt, fmtBytes } from './dom.js';
import { t, setLang, getLang, applyStatic, activities, activityLabel, zoneKindLabel, areaKindLabel, verdictLabel, statusLabel } from './i18n.js';
import { buildStyle, GROUPS, TILE_LAYERS, ZONE_COLORS, ZONE_LEGEND, STATUS_COLORS } from './style.js';
import { initPanel, showAt, showCode, rerenderPanel } from './panel.js';
import { initAuth, session, can, loadMe, signOut, showSignIn, showPassword, setView, renderAccount, rerenderAuth } from './auth.js';
import { initRoll, setRollYear, setRollTownships, resetRoll, rerenderRoll } from './roll.js';
import { initImport, resetImport, rerenderImport } from './imports.js';

// The worker is copied beside the bundle by build.mjs (as .js, a MIME type every server knows).
setWorkerUrl(new URL('./maplibre-gl-worker.js', import.meta.url).href);

const DEFAULT_CONFIG = {
  basemap_url: '',
  year: 2026,
  bounds: [117.37, 29.01, 118.21, 29.58],
  center: [117.86, 29.25],
  demo: true,
};

const app = { map: null, draw: null, config: DEFAULT_CONFIG, townships: new Map(), session };
window.ecocomp = app;

// banner shows a message above the map: an error (kind 'error') or a notice ('info').
function banner(message, kind = 'error') {
  const el = $('#banner');
  if (!message) {
    el.hidden = true;
    el.textContent = '';
    return;
  }
  el.hidden = false;
  el.className = kind;
  el.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  el.replaceChildren(h('span', null, message), h('button', { type: 'button', class: 'link', onclick: () => banner('') }, '×'));
}

function setState(el, s) { el.dataset.state = s; }

// ---------- language ----------

function initLang() {
  const q = new URLSearchParams(location.search).get('lang');
  let l = q || localStorage.getItem('ecocomp.lang') || 'zh';
  setLang(l);
  applyStatic();
  $('#lang-toggle').addEventListener('click', () => {
    setLang(getLang() === 'en' ? 'zh' : 'en');
    localStorage.setItem('ecocomp.lang', getLang());
    applyStatic();
    renderLegend();
    renderActivities();
    renderTownships();
    rerenderPanel();
    renderZoneCheck();
    rerenderAuth();
    rerenderRoll();
    rerenderImport();
  });
}

// ---------- map ----------

// tileSource reads a layer's TileJSON (resolving relative tile URLs against it); when that fails
// it falls back to the URL template of API.md.
async function tileSource(layer) {
  const tjURL = new URL(`/tiles/${layer}.json`, location.href);
  const fallback = { type: 'vector', tiles: [new URL(`/tiles/${layer}/{z}/{x}/{y}.mvt`, location.href).href.replace(/%7B/g, '{').replace(/%7D/g, '}')], minzoom: 6, maxzoom: 18 };
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

// initMap builds the map once; config is the map configuration when the caller already read it.
async function initMap(loaded) {
  const body = document.body;
  let config = DEFAULT_CONFIG;
  try {
    config = { ...DEFAULT_CONFIG, ...(loaded || await getJSON('/api/v1/map-config')) };
  } catch (e) {
    banner(e.message);
  }
  app.config = config;
  setRollYear(config.year);
  $('#demo-note').hidden = config.demo === false;

  const entries = await Promise.all(TILE_LAYERS.map(async (l) => [l, await tileSource(l)]));
  const style = buildStyle({ sources: Object.fromEntries(entries), basemapURL: config.basemap_url });

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
      canvasContextAttributes: { preserveDrawingBuffer: true }, // lets tests and users read the canvas back
    });
  } catch (e) {
    body.dataset.mapState = 'error';
    banner(t('map.webgl', { detail: e.message }));
    return;
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
  map.once('load', () => {
    initDraw(map);
    map.once('idle', () => {
      body.dataset.mapState = 'ready';
      $('#map-loading').hidden = true;
    });
  });
  map.on('idle', collectTownships);
  map.on('load', updateZoomHints);
  map.on('zoomend', updateZoomHints);

  map.on('click', (ev) => {
    // The click that closes a footprint is not a parcel click.
    if (isDrawing() || Date.now() - zc.finishedAt < 500) return;
    showAt(ev.lngLat);
  });
  map.on('mousemove', 'parcels-fill', () => { if (!isDrawing()) map.getCanvas().style.cursor = 'pointer'; });
  map.on('mouseleave', 'parcels-fill', () => { if (!isDrawing()) map.getCanvas().style.cursor = ''; });

  initPanel({ year: config.year || DEFAULT_CONFIG.year, onSelect: (f) => setSelection(f) });
}

function setSelection(feature) {
  if (!app.map) return;
  const src = app.map.getSource('selection');
  if (!src) return;
  src.setData({ type: 'FeatureCollection', features: feature && feature.geometry ? [{ type: 'Feature', geometry: feature.geometry, properties: {} }] : [] });
}

function bboxOf(geometry) {
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

// ---------- legend ----------

function swatch(color, kind) {
  return h('span', { class: 'swatch ' + (kind || 'fill'), style: kind === 'line' ? `border-color:${color}` : `background:${color}` });
}

function renderLegend() {
  const root = $('#legend-items');
  root.replaceChildren();
  for (const g of GROUPS) {
    const input = h('input', { type: 'checkbox', checked: g.visible, dataset: { group: g.id }, onchange: (ev) => {
      g.visible = ev.target.checked;
      if (app.map) for (const id of g.layers) if (app.map.getLayer(id)) app.map.setLayoutProperty(id, 'visibility', g.visible ? 'visible' : 'none');
    } });
    const item = h('li', { class: 'group', dataset: { group: g.id } }, h('label', null, input, ' ', groupSwatch(g.id), ' ', t('legend.' + g.id)));
    if (g.id === 'parcels') {
      item.append(h('div', { class: 'zoom-hint muted small', hidden: true }));
      item.append(h('ul', { class: 'keys' }, Object.entries(STATUS_COLORS).map(([s, c]) => h('li', null, swatch(c), ' ', statusLabel(s)))));
    }
    if (g.id === 'zones') {
      item.append(h('ul', { class: 'keys' }, ZONE_LEGEND.map(([area, kinds]) => [
        h('li', { class: 'muted' }, areaKindLabel(area)),
        kinds.map((k) => h('li', null, swatch(ZONE_COLORS[k]), ' ', zoneKindLabel(k))),
      ])));
    }
    root.append(item);
  }
  updateZoomHints();
}

// updateZoomHints tells when a layer's tiles start deeper than the current zoom (parcels).
function updateZoomHints() {
  const map = app.map;
  const hint = $('#legend li[data-group=parcels] .zoom-hint');
  if (!hint) return;
  const src = map && map.getSource('parcels');
  const minzoom = src && Number.isFinite(src.minzoom) ? src.minzoom : 0;
  hint.textContent = t('legend.zoomin', { z: minzoom });
  hint.hidden = !map || map.getZoom() >= minzoom;
}

function groupSwatch(id) {
  switch (id) {
    case 'county': return swatch('#111', 'line');
    case 'townships': return swatch('#4a4a4a', 'line dashed');
    case 'villages': return swatch('#7d7d7d', 'line dotted');
    case 'protected_areas': return swatch('#1f3b1f', 'line dashed');
    default: return null;
  }
}

// ---------- search ----------

function initSearch() {
  const form = $('#search');
  const input = $('#search-input');
  const msg = $('#search-msg');
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const code = input.value.trim();
    if (!code) {
      setState(form, 'error');
      msg.textContent = t('search.empty');
      return;
    }
    setState(form, 'loading');
    msg.textContent = t('search.loading');
    try {
      const f = await showCode(code);
      const [w, s, e, n] = bboxOf(f.geometry);
      if (app.map) {
        // moveend may never come when the camera is already there: wait at most a little longer than the flight.
        const arrived = new Promise((resolve) => { app.map.once('moveend', resolve); setTimeout(resolve, 3000); });
        app.map.fitBounds([[w, s], [e, n]], { padding: 60, maxZoom: 17, duration: 1200 });
        await arrived;
      }
      form.dataset.code = f.properties.code;
      setState(form, 'ready');
      msg.textContent = t('search.found', { code: f.properties.code });
    } catch (e) {
      setState(form, 'error');
      msg.textContent = e.message;
    }
  });
}

// ---------- zone check ----------

const zc = { mode: 'idle', result: null, error: '', geometry: null, activity: 'construction', seq: 0, finishedAt: 0 };

function isDrawing() { return zc.mode === 'drawing'; }

function renderActivities() {
  const sel = $('#zc-activity');
  sel.replaceChildren(...Object.keys(activities).map((a) => h('option', { value: a, selected: a === zc.activity }, activityLabel(a))));
}

function initDraw(map) {
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

function initZoneCheck() {
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

function renderZoneCheck() {
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
  if (zones.length === 0) {
    out.append(h('p', { class: 'muted' }, t('zc.none')));
    return;
  }
  out.append(h('ul', { class: 'zc-zones' }, zones.map((z) => h('li', { class: 'v-' + z.verdict, dataset: { verdict: z.verdict, zoneKind: z.zone_kind } },
    h('div', null, h('span', { class: 'swatch', style: `background:${ZONE_COLORS[z.zone_kind] || '#999'}` }), ' ',
      h('strong', null, `${z.area_name}${z.site ? ' · ' + z.site : ''} · ${getLang() === 'en' ? zoneKindLabel(z.zone_kind) : (z.zone_label || zoneKindLabel(z.zone_kind))}`)),
    h('div', null, h('span', { class: 'verdict-tag v-' + z.verdict }, verdictLabel(z.verdict)), ` ${t('zc.overlap')} ${fmt(z.overlap_mu)} ${t('unit.mu')}`),
    z.rule ? h('div', { class: 'small' }, h('span', { class: 'muted' }, t('zc.rule') + '：'), z.rule) : null,
    z.legal_basis ? h('div', { class: 'small' }, h('span', { class: 'muted' }, t('zc.basis') + '：'), z.legal_basis) : null,
    z.wetland_credits_required !== null && z.wetland_credits_required !== undefined
      ? h('div', { class: 'small' }, `${t('zc.credits')}：${fmt(z.wetland_credits_required)} ${t('unit.mu')}`) : null,
    z.fee_yuan ? h('div', { class: 'small' }, `${t('zc.fee')}：${fmt(z.fee_yuan)} ${t('unit.yuan')}`) : null,
  ))));
  out.append(h('p', { class: 'total' }, `${t('zc.total_fee')}：${fmt(r.total_fee_yuan)} ${t('unit.yuan')}`));
}

// ---------- export ----------

// collectTownships gathers township codes and names from the loaded township tiles.
function collectTownships() {
  const map = app.map;
  if (!map || !map.getSource('townships')) return;
  let changed = false;
  for (const f of map.querySourceFeatures('townships', { sourceLayer: 'townships' })) {
    const { code, name } = f.properties || {};
    if (code && !app.townships.has(code)) {
      app.townships.set(code, name || code);
      changed = true;
    }
  }
  if (changed) renderTownships();
}

function renderTownships() {
  const sel = $('#ex-township');
  const current = sel.value;
  const opts = [h('option', { value: '' }, t('ex.all'))];
  const sorted = [...app.townships].sort((a, b) => a[0].localeCompare(b[0]));
  for (const [code, name] of sorted) {
    opts.push(h('option', { value: code, selected: code === current }, `${name}（${code}）`));
  }
  sel.replaceChildren(...opts);
  sel.value = current && app.townships.has(current) ? current : '';
  setRollTownships(sorted);
}

function exportURL() {
  const q = new URLSearchParams();
  const township = $('#ex-township').value;
  if (township) q.set('township', township);
  if ($('#ex-eligible').checked) q.set('eligible', 'true');
  if ($('#ex-bbox').checked && app.map) {
    const b = app.map.getBounds();
    q.set('bbox', [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(6)).join(','));
  }
  q.set('crs', $('#ex-crs').value);
  return `/api/v1/export/parcels.geojson?${q}`;
}

function filenameOf(res) {
  const cd = res.headers.get('content-disposition') || '';
  const star = /filename\*=UTF-8''([^;]+)/i.exec(cd);
  if (star) return decodeURIComponent(star[1]);
  const plain = /filename="?([^";]+)"?/i.exec(cd);
  return plain ? plain[1] : 'parcels.geojson';
}

function initExport() {
  const root = $('#export');
  const btn = $('#ex-go');
  const msg = $('#ex-msg');
  btn.addEventListener('click', async () => {
    setState(root, 'loading');
    btn.disabled = true;
    msg.textContent = t('ex.loading');
    try {
      const url = exportURL();
      root.dataset.url = url;
      const res = await request(url, { headers: { Accept: 'application/geo+json' } });
      const blob = await res.blob();
      const name = filenameOf(res);
      const href = URL.createObjectURL(blob);
      const a = h('a', { href, download: name, hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(href), 60_000);
      setState(root, 'ready');
      msg.textContent = t('ex.done', { name, size: fmtBytes(blob.size) });
    } catch (e) {
      setState(root, 'error');
      msg.textContent = e.message;
    } finally {
      btn.disabled = false;
    }
  });
}

// ---------- accounts ----------

let mapStarted = false;

// enterMap shows the map, building it the first time.
function enterMap(config) {
  setView('map');
  if (mapStarted) {
    if (app.map) app.map.resize();
    return;
  }
  mapStarted = true;
  initMap(config).catch((e) => {
    console.error(e);
    document.body.dataset.mapState = 'error';
    banner(e.message);
  });
}

// applyRoles shows the panels the user's roles allow (the server enforces them anyway).
function applyRoles() {
  $('#import').hidden = !can('import');
}

// forget drops what the previous user saw that others may not: the roll (maybe unmasked) and
// the import report. An open roll is read again as the new user when reopen is set.
function forget(reopen) {
  resetRoll({ reopen });
  resetImport();
}

// signedIn takes the user that GET /api/v1/me or a sign-in answered.
async function signedIn(me, { passwordChanged = false } = {}) {
  const changed = !session.user || session.user.name !== me.name;
  session.user = me;
  renderAccount();
  applyRoles();
  if (me.must_change_password) {
    forget(false);
    showPassword(true);
    return;
  }
  if (changed) forget(true);
  if (passwordChanged) banner(t('pw.done'), 'info');
  else if ($('#banner').className === 'info') banner('');
  enterMap();
}

// anonymous decides what a visitor without a session sees: the map when the server reads
// anonymously (viewer level), else the sign-in page.
async function anonymous(notice = '') {
  session.user = null;
  applyRoles();
  let config;
  try {
    config = await getJSON('/api/v1/map-config', { auth: false });
    session.publicRead = true;
  } catch (e) {
    if (e.status === 401) {
      session.publicRead = false;
      renderAccount();
      showSignIn(notice);
      return;
    }
    banner(e.message); // the server is unreachable or failing: the map says so as before
  }
  renderAccount();
  enterMap(config);
}

async function doSignOut() {
  try {
    await signOut();
  } catch (e) {
    if (e.status !== 401) {
      banner(e.message);
      return;
    }
  }
  session.user = null;
  forget(false);
  await anonymous();
  if (document.body.dataset.view === 'map') banner(t('auth.signedout'), 'info');
}

// recheckSession asks who we are and shows what fits. It runs on a 401 (the session ended or the
// server stopped anonymous reading), when the tab comes back into view, and when finance gets a
// masked roll it did not ask for: on a server that reads anonymously an ended session is served
// as a visitor, without a 401.
let checking = false;
async function recheckSession() {
  if (checking) return;
  checking = true;
  try {
    const me = await loadMe();
    if (me && session.user && me.name === session.user.name) {
      session.user = me;
      renderAccount();
      if (me.must_change_password && document.body.dataset.view !== 'password') showPassword(true);
      return;
    }
    if (me) {
      await signedIn(me);
      return;
    }
    const had = !!session.user;
    session.user = null;
    forget(false);
    await anonymous(had ? t('auth.expired') : '');
    if (had && document.body.dataset.view === 'map') banner(t('auth.expired'));
  } catch (e) {
    console.warn('checking the session:', e.message);
  } finally {
    checking = false;
  }
}

async function boot() {
  let me;
  try {
    me = await loadMe();
  } catch (e) {
    // The server cannot be reached (or answers no accounts): show the map, which says why.
    banner(e.message);
    renderAccount();
    enterMap();
    return;
  }
  if (me) await signedIn(me);
  else await anonymous();
}

// ---------- start ----------

initLang();
renderLegend();
initSearch();
initZoneCheck();
initExport();
initRoll({ year: DEFAULT_CONFIG.year, onUnexpectedMask: recheckSession });
initImport();
initAuth({
  onSignedIn: (me, opts) => signedIn(me, opts),
  onCancel: () => (session.user ? enterMap() : anonymous()),
  onSignOut: doSignOut,
});
onAuthLost(recheckSession);
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible' && session.user) recheckSession();
});
boot();
