// GeoJSON export: a plain download link to GET /api/v1/export/parcels.geojson with the chosen
// township, eligibility, view and CRS. The browser saves the server's stream to disk as it
// arrives; the page never holds the county in memory. The link follows the filters (and the
// view, when "current view only" is ticked) as they change.
//
// Test hooks: #export[data-state] is idle | ready (the download was started); #export[data-url]
// and the href of #ex-go are the export's URL.

import { h, $, setState } from './dom.js';
import { t } from './i18n.js';
import { app } from './state.js';

let townships = []; // [code, name], sorted by code

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

// updateLink points the link at the current filters.
function updateLink() {
  const url = exportURL();
  $('#ex-go').href = url;
  $('#export').dataset.url = url;
}

export function initExport() {
  for (const id of ['#ex-township', '#ex-eligible', '#ex-bbox', '#ex-crs']) $(id).addEventListener('change', updateLink);
  $('#ex-go').addEventListener('click', () => {
    updateLink(); // the view may have moved since
    setState($('#export'), 'ready');
    $('#ex-msg').textContent = t('ex.started');
  });
  renderTownships();
}

// attachExport keeps the link's bbox in step with the view.
export function attachExport(map) {
  map.on('moveend', () => { if ($('#ex-bbox').checked) updateLink(); });
}

// setExportTownships fills the township filter (GET /api/v1/townships).
export function setExportTownships(list) {
  townships = list;
  renderTownships();
}

export function renderTownships() {
  const sel = $('#ex-township');
  const current = sel.value;
  sel.replaceChildren(h('option', { value: '' }, t('ex.all')),
    ...townships.map(([code, name]) => h('option', { value: code, selected: code === current }, `${name}（${code}）`)));
  sel.value = townships.some(([c]) => c === current) ? current : '';
  updateLink();
}
