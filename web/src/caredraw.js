// Draw a care responsibility area (管护责任区, issue 16 point 1: "… or drawn on the map"): the
// zone check's drawing tool (zonecheck.js) gives the outline; under its answer a case officer or
// an administrator saves it as an area — code, name and the three forest chiefs (村级/乡级/县级
// 林长) — through POST /api/v1/care/areas. A refusal (an invalid outline, a code taken) is told
// in the page's language with the server's words beneath; a saved area opens the care panel,
// where it is listed and drawn.
//
// Test hooks: #zc-care-open; #zc-care-form[data-state] idle | loading | error with #zcc-code,
// #zcc-name, #zcc-village, #zcc-township, #zcc-county, #zcc-go and the refusal #zc-care-msg.

import { postJSON } from './api.js';
import { h } from './dom.js';
import { session } from './auth.js';
import { w, refusal } from './carewords.js';

const WRITERS = ['case_officer', 'admin'];
const mayWrite = () => (session.user?.roles || []).some((r) => WRITERS.includes(r));

const FIELDS = [
  { name: 'code', label: 'draw.code', required: true }, { name: 'name', label: 'draw.name', required: true },
  { name: 'village', label: 'draw.chief.village' }, { name: 'township', label: 'draw.chief.township' }, { name: 'county', label: 'draw.chief.county' },
];
const form = { result: null, open: false, state: 'idle', error: null, missing: '', values: {} };
let hooks = { onSaved: () => {} };

// initCareDraw: onSaved(code) runs when the server took the area (main.js opens the care panel).
export function initCareDraw(hk) { hooks = { ...hooks, ...hk }; }

// zoneCheckCareArea is the zone check's section (zonecheck.js calls it under each answer).
export function zoneCheckCareArea({ result, geometry, rerender }) {
  if (!mayWrite() || !geometry) return null;
  if (form.result !== result) Object.assign(form, { result, state: 'idle', error: null, missing: '' });
  const sec = h('div', { id: 'zc-care', class: 'zc-wetland' });
  if (!form.open) {
    sec.append(h('div', { class: 'row buttons wrap' }, h('button', { type: 'button', id: 'zc-care-open', class: 'secondary',
      onclick: () => { form.open = true; rerender(); } }, w('draw.open'))));
    return sec;
  }
  const input = (f) => h('input', { id: `zcc-${f.name}`, type: 'text', value: form.values[f.name] || '', autocomplete: 'off',
    maxlength: f.name === 'code' ? '40' : '200', oninput: (ev) => { form.values[f.name] = ev.target.value; } });
  sec.append(h('form', { id: 'zc-care-form', class: 'step-form', dataset: { state: form.state }, onsubmit: (ev) => save(ev, geometry, rerender) },
    h('h4', null, w('draw.title')),
    FIELDS.map((f) => h('label', { class: 'sf-row' }, h('span', { class: 'sf-label' }, w(f.label) + (f.required ? ' *' : '')), input(f))),
    form.missing ? h('p', { class: 'error small' }, w('draw.missing', { field: w(form.missing) })) : null,
    form.error ? refusal(form.error, 'zc-care-msg') : null,
    h('div', { class: 'row buttons' },
      h('button', { type: 'submit', id: 'zcc-go', disabled: form.state === 'loading' }, w('draw.go')),
      h('button', { type: 'button', class: 'secondary', onclick: () => { Object.assign(form, { open: false, error: null, missing: '', state: 'idle' }); rerender(); } }, w('draw.cancel')))));
  return sec;
}

async function save(ev, geometry, rerender) {
  ev.preventDefault();
  const v = Object.fromEntries(FIELDS.map((f) => [f.name, (form.values[f.name] || '').trim()]));
  const missing = FIELDS.find((f) => f.required && !v[f.name]);
  Object.assign(form, { error: null, missing: missing ? missing.label : '', state: missing ? 'error' : 'loading' });
  rerender();
  if (missing) return;
  const chiefs = Object.fromEntries(['village', 'township', 'county'].filter((l) => v[l]).map((l) => [l, v[l]]));
  try {
    await postJSON('/api/v1/care/areas', { type: 'Feature', geometry, properties: { code: v.code, name: v.name, chiefs } });
    Object.assign(form, { open: false, state: 'idle', values: {} });
    rerender();
    hooks.onSaved(v.code);
  } catch (e) {
    Object.assign(form, { state: 'error', error: e });
    rerender();
  }
}
