// The legend: one toggle per layer group (style.js GROUPS), the colour keys of parcel statuses
// and zone regimes, a hint when the parcels start deeper than the current zoom, and what the
// county's reserve holds (casemap.js) and what the wetland bank's layers hold (wetlandmap.js; its
// projects and debits only for signed-in staff).

import { h, $ } from './dom.js';
import { t, zoneKindLabel, areaKindLabel, statusLabel } from './i18n.js';
import { GROUPS, ZONE_COLORS, ZONE_LEGEND, STATUS_COLORS, RESERVE_COLOR, WETLAND_COLORS, PROJECT_COLORS, DEBIT_COLOR } from './style.js';
import { reserveSummary, reserveCount, onReserve } from './casemap.js';
import { wetlandLayerSummary, wetlandLayerCount, onWetlandLayers } from './wetlandmap.js';
import { can } from './auth.js';
import { app } from './state.js';

function swatch(color, kind) {
  return h('span', { class: 'swatch ' + (kind || 'fill'), style: kind === 'line' ? `border-color:${color}` : `background:${color}` });
}

function groupSwatch(id) {
  switch (id) {
    case 'labels': return h('span', { class: 'swatch text' }, '名');
    case 'county': return swatch('#111', 'line');
    case 'townships': return swatch('#4a4a4a', 'line dashed');
    case 'villages': return swatch('#7d7d7d', 'line dotted');
    case 'protected_areas': return swatch('#1f3b1f', 'line dashed');
    case 'reserve': return swatch(RESERVE_COLOR);
    case 'wetland_patches': return swatch(WETLAND_COLORS.provincial);
    case 'wetland_projects': return swatch(PROJECT_COLORS.approved);
    case 'wetland_debits': return swatch(DEBIT_COLOR);
    default: return null;
  }
}

// renderLegend draws the legend in the page's language (again after a language switch).
export function renderLegend() {
  const root = $('#legend-items');
  root.replaceChildren();
  for (const g of GROUPS) {
    const input = h('input', { type: 'checkbox', checked: g.visible, dataset: { group: g.id }, onchange: (ev) => {
      g.visible = ev.target.checked;
      if (app.map) for (const id of g.layers) if (app.map.getLayer(id)) app.map.setLayoutProperty(id, 'visibility', g.visible ? 'visible' : 'none');
    } });
    const item = h('li', { class: 'group', dataset: { group: g.id }, hidden: g.staff && !can('wetland') },
      h('label', null, input, ' ', groupSwatch(g.id), ' ', t('legend.' + g.id)));
    if (g.id === 'parcels') {
      item.append(h('div', { class: 'zoom-hint muted small', hidden: true }));
      item.append(h('ul', { class: 'keys' }, Object.entries(STATUS_COLORS).map(([s, c]) => h('li', null, swatch(c), ' ', statusLabel(s)))));
    }
    if (g.id === 'reserve') {
      item.dataset.count = reserveCount() === null ? '' : String(reserveCount());
      item.append(h('div', { class: 'reserve-info muted small' }, reserveSummary()));
    }
    if (g.id.startsWith('wetland_')) {
      item.dataset.count = wetlandLayerCount(g.id) === null ? '' : String(wetlandLayerCount(g.id));
      item.append(h('div', { class: 'layer-info muted small' }, wetlandLayerSummary(g.id)));
    }
    if (g.id === 'wetland_patches') {
      item.append(h('ul', { class: 'keys' }, Object.entries(WETLAND_COLORS).map(([k, c]) => h('li', null, swatch(c), ' ', t('wl.importance.' + k)))));
    }
    if (g.id === 'wetland_projects') {
      item.append(h('ul', { class: 'keys' }, Object.entries(PROJECT_COLORS).map(([k, c]) => h('li', null, swatch(c), ' ', t('wl.pstatus.' + k)))));
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

onReserve(() => {
  const item = $('#legend li[data-group=reserve]');
  if (!item) return;
  item.dataset.count = reserveCount() === null ? '' : String(reserveCount());
  item.querySelector('.reserve-info').textContent = reserveSummary();
});

onWetlandLayers((group) => {
  const item = $(`#legend li[data-group=${group}]`);
  if (!item) return;
  item.dataset.count = wetlandLayerCount(group) === null ? '' : String(wetlandLayerCount(group));
  item.querySelector('.layer-info').textContent = wetlandLayerSummary(group);
});

// attachLegend keeps the zoom hint in step with the map.
export function attachLegend(map) {
  map.on('load', updateZoomHints);
  map.on('zoomend', updateZoomHints);
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
