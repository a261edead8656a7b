// Incidents on the care map (issue 16 point 3: "incidents reported with a point and a photo"):
// the chosen month's incidents (GET /api/v1/care/incidents?month=…, a ranger's only on a
// ranger's page) as points; a click on one opens a popup with its kind, time, note and photo
// (GET /api/v1/care/incidents/{id}/photo). On a ranger's page a case officer or an administrator
// reports one: the place picked on the map, kind, time, note and a photo, posted as multipart to
// POST /api/v1/care/rangers/{id}/incidents; refusals told in the page's language.
//
// Test hooks: the map's source `care-incidents` and layer `care-incidents-circle`;
// #care-incidents-info[data-count]; the popup .care-popup[data-incident] with img.care-photo;
// #care-incident-form[data-state] idle | picking | loading | done | error with #ci-pick,
// #ci-point[data-lon][data-lat], #ci-kind, #ci-time (datetime-local, UTC+8), #ci-note,
// #ci-photo, #ci-go and #ci-msg.

import { Popup } from 'maplibre-gl';

import { getJSON, request } from './api.js';
import { h, fmt } from './dom.js';
import { app } from './state.js';
import { w, refusal } from './carewords.js';

export const INCIDENT_COLOR = '#d7191c';
export const KINDS = ['fire', 'illegal_logging', 'pest', 'illegal_occupation', 'wildlife', 'other'];
const EMPTY = { type: 'FeatureCollection', features: [] };
const inc = { data: EMPTY, added: false, shown: false, seq: 0, state: 'idle', count: 0, popup: null };
const report = { values: {}, photo: null, point: null, state: 'idle', error: null, done: '', ranger: null };
let rerender = () => {};

// initCareIncidents: re() redraws the care panel.
export function initCareIncidents(re) { rerender = re; }

async function addLayers() {
  await app.ready;
  const map = app.map;
  if (!map) return null;
  if (inc.added) return map;
  inc.added = true;
  map.addSource('care-incidents', { type: 'geojson', data: inc.data });
  map.addSource('care-incident-pick', { type: 'geojson', data: EMPTY });
  map.addLayer({ id: 'care-incidents-circle', type: 'circle', source: 'care-incidents',
    paint: { 'circle-radius': 7, 'circle-color': INCIDENT_COLOR, 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 2 } });
  map.addLayer({ id: 'care-incident-pick-circle', type: 'circle', source: 'care-incident-pick',
    paint: { 'circle-radius': 8, 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-color': INCIDENT_COLOR, 'circle-stroke-width': 3 } });
  return map;
}

// showIncidentLayers shows or hides the incidents with the care panel.
export async function showIncidentLayers(on) {
  if (on === inc.shown) return;
  inc.shown = on;
  if (!on && !inc.added) return;
  const map = await addLayers();
  if (!map) return;
  for (const id of ['care-incidents-circle', 'care-incident-pick-circle']) map.setLayoutProperty(id, 'visibility', on ? 'visible' : 'none');
  if (!on) {
    inc.popup?.remove();
    report.state = report.state === 'picking' ? 'idle' : report.state;
  }
}

// loadIncidents shows month's incidents (ranger's when given).
export async function loadIncidents(month, ranger) {
  const seq = ++inc.seq;
  inc.state = 'loading';
  try {
    const fc = await getJSON(`/api/v1/care/incidents?month=${month}${ranger ? `&ranger=${ranger}` : ''}`, { headers: { Accept: 'application/geo+json' } });
    if (seq !== inc.seq) return;
    inc.data = fc;
    inc.count = (fc.features || []).length;
    inc.state = 'ready';
    const map = await addLayers();
    map?.getSource('care-incidents')?.setData(fc);
  } catch (e) {
    if (seq !== inc.seq) return;
    inc.state = 'error';
    console.warn('care incidents:', e.message);
  }
  rerender();
}

// incidentsInfo is the line saying how many incidents the month has.
export function incidentsInfo() {
  return h('p', { id: 'care-incidents-info', class: 'small', dataset: { count: inc.state === 'ready' ? String(inc.count) : '' } },
    h('span', { class: 'swatch dot', style: `background:${INCIDENT_COLOR}` }), ' ', inc.state === 'ready' ? w('inc.n', { n: inc.count }) : '…');
}

const kindName = (p) => (p.kind_name && !/^[a-z_]+$/.test(p.kind_name) ? p.kind_name : w('inc.kind.' + p.kind));
const cst = (iso) => new Date(Date.parse(iso) + 8 * 3600e3).toISOString().slice(0, 16).replace('T', ' ');

// incidentClick takes a map click: the pick of a report's place, or an incident's popup. It
// answers true when it took the click.
export function incidentClick(ev) {
  const map = app.map;
  if (!map || !inc.shown) return false;
  if (report.state === 'picking') {
    report.point = { lon: Number(ev.lngLat.lng.toFixed(7)), lat: Number(ev.lngLat.lat.toFixed(7)) };
    report.state = 'idle';
    map.getCanvas().style.cursor = '';
    map.getSource('care-incident-pick')?.setData({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: {},
      geometry: { type: 'Point', coordinates: [report.point.lon, report.point.lat] } }] });
    rerender();
    return true;
  }
  const hit = map.queryRenderedFeatures([[ev.point.x - 6, ev.point.y - 6], [ev.point.x + 6, ev.point.y + 6]], { layers: ['care-incidents-circle'] });
  if (!hit.length) return false;
  const f = hit[0];
  const p = f.properties;
  inc.popup?.remove();
  const node = h('div', { class: 'care-popup', dataset: { incident: String(p.id) } },
    h('strong', null, kindName(p)), h('div', { class: 'small' }, cst(p.occurred_at), p.area && p.area !== 'null' ? ` · ${p.area}` : ''),
    p.note ? h('p', { class: 'small note' }, p.note) : null,
    h('img', { class: 'care-photo', src: p.photo_url || `/api/v1/care/incidents/${p.id}/photo`, alt: kindName(p), loading: 'eager' }));
  inc.popup = new Popup({ maxWidth: '260px', closeButton: true }).setLngLat(f.geometry.coordinates).setDOMContent(node).addTo(map);
  return true;
}

// nowCST is now as datetime-local in UTC+8.
const nowCST = () => new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 16);

// reportSection is the report form on ranger's page; onReported(incident) runs on success.
export function reportSection(ranger, onReported) {
  if (report.ranger !== ranger) {
    Object.assign(report, { ranger, values: {}, photo: null, point: null, state: 'idle', error: null, done: '' });
    app.map?.getSource('care-incident-pick')?.setData(EMPTY);
  }
  const v = report.values;
  v.kind ||= KINDS[0];
  v.time ||= nowCST();
  const set = (name) => (ev) => { v[name] = ev.target.value; };
  const pick = () => {
    report.state = 'picking';
    if (app.map) app.map.getCanvas().style.cursor = 'crosshair';
    rerender();
  };
  const p = report.point;
  const msg = report.state === 'error' && report.error ? refusal(report.error, 'ci-msg')
    : report.state === 'done' ? h('p', { id: 'ci-msg', class: 'ok' }, report.done)
      : report.state === 'loading' ? h('p', { id: 'ci-msg', class: 'loading' }, w('inc.sending')) : null;
  return h('section', { class: 'block' }, h('h3', null, w('inc.title')),
    h('form', { id: 'care-incident-form', class: 'step-form', dataset: { state: report.state }, onsubmit: (ev) => send(ev, ranger, onReported) },
      h('div', { class: 'sf-row' }, h('span', { class: 'sf-label' }, w('inc.place') + ' *'),
        h('button', { type: 'button', id: 'ci-pick', class: 'secondary', onclick: pick }, w('inc.pick')), ' ',
        h('span', { id: 'ci-point', class: 'small' + (p ? '' : ' muted'), dataset: { lon: p ? String(p.lon) : '', lat: p ? String(p.lat) : '' } },
          report.state === 'picking' ? w('inc.picking') : p ? w('inc.picked', { lon: fmt(p.lon, 5), lat: fmt(p.lat, 5) }) : '')),
      h('label', { class: 'sf-row' }, h('span', { class: 'sf-label' }, w('inc.kind') + ' *'),
        h('select', { id: 'ci-kind', onchange: set('kind') }, KINDS.map((k) => h('option', { value: k, selected: k === v.kind }, w('inc.kind.' + k))))),
      h('label', { class: 'sf-row' }, h('span', { class: 'sf-label' }, w('inc.time') + ' *'),
        h('input', { id: 'ci-time', type: 'datetime-local', value: v.time, oninput: set('time') })),
      h('label', { class: 'sf-row' }, h('span', { class: 'sf-label' }, w('inc.note')),
        h('textarea', { id: 'ci-note', rows: '2', maxlength: '2000', oninput: set('note') }, v.note || '')),
      h('label', { class: 'sf-row' }, h('span', { class: 'sf-label' }, w('inc.photo') + ' *'),
        h('input', { id: 'ci-photo', type: 'file', accept: 'image/jpeg,image/png', onchange: (ev) => { report.photo = ev.target.files[0] || null; } }),
        report.photo ? h('span', { class: 'small muted' }, ` ${report.photo.name}`) : null),
      msg,
      h('div', { class: 'row buttons' }, h('button', { type: 'submit', id: 'ci-go', disabled: report.state === 'loading' }, w('inc.go')))));
}

async function send(ev, ranger, onReported) {
  ev.preventDefault();
  const v = report.values;
  const missing = !report.point ? 'inc.no_point' : !report.photo ? 'inc.no_photo' : '';
  if (missing) {
    Object.assign(report, { state: 'error', error: { message: w(missing) } });
    rerender();
    return;
  }
  const body = new FormData();
  body.append('lon', String(report.point.lon));
  body.append('lat', String(report.point.lat));
  body.append('kind', v.kind);
  body.append('occurred_at', `${v.time.length === 16 ? v.time + ':00' : v.time}+08:00`);
  body.append('note', v.note || '');
  body.append('photo', report.photo, report.photo.name);
  Object.assign(report, { state: 'loading', error: null });
  rerender();
  try {
    const res = await request(`/api/v1/care/rangers/${ranger}/incidents`, { method: 'POST', body, headers: { Accept: 'application/json' } });
    const made = await res.json();
    Object.assign(report, { state: 'done', done: w('inc.done', { id: made.id, kind: kindName(made), area: made.area || w('inc.none_area') }),
      values: {}, photo: null, point: null });
    app.map?.getSource('care-incident-pick')?.setData(EMPTY);
    rerender();
    onReported(made);
  } catch (e) {
    Object.assign(report, { state: 'error', error: e });
    rerender();
  }
}
