// Assign a ranger to a care area (POST /api/v1/care/areas/{id}/assignments) from the area's
// section of the care panel (a ranger, from, to) or from a ranger's page (an area, from, to),
// and the area's history of assignments (GET /api/v1/care/areas/{id}/assignments). A refusal —
// 409, another ranger in that period; 400, outside the ranger's contract — is told in the page's
// language naming the conflicting assignment, with the server's words beneath.
//
// Test hooks: #care-area-assign[data-area] with #care-history[data-count] and
// tr.assignment-row[data-assignment][data-ranger][data-from][data-to][data-current];
// #care-assign-form[data-state] idle | loading | done | error with #ca-ranger or #ca-area
// (selects), #ca-from, #ca-to (dates), #ca-go and #care-assign-msg (the refusal or what was done).

import { getJSON, postJSON } from './api.js';
import { h } from './dom.js';
import { w, refusal } from './carewords.js';

const history = new Map(); // area id → { state, list, error }
const forms = new Map(); // 'area:1' | 'ranger:2' → { values, state, error, done }

const formOf = (key) => {
  if (!forms.has(key)) forms.set(key, { values: {}, state: 'idle', error: null, done: '' });
  return forms.get(key);
};

// resetAssignForms forgets what the forms said (another area or page opens).
export function resetAssignForms() { forms.clear(); }

// loadHistory reads an area's assignments (again), then rerenders.
export async function loadHistory(area, rerender) {
  const cur = history.get(area) || { state: 'loading', list: [] };
  history.set(area, { ...cur, state: 'loading' });
  try {
    const res = await getJSON(`/api/v1/care/areas/${area}/assignments`, { headers: { Accept: 'application/json' } });
    history.set(area, { state: 'ready', list: res.assignments || [] });
  } catch (e) {
    history.set(area, { state: 'error', list: [], error: e.message });
  }
  rerender();
}

// areaAssignSection is an area's history and, for writers, the form assigning a ranger to it.
// ctx: {area (a feature's properties), rangers, mayWrite, rerender, onAssigned, close}.
export function areaAssignSection(ctx) {
  const a = ctx.area;
  const hist = history.get(a.id);
  if (!hist) queueMicrotask(() => loadHistory(a.id, ctx.rerender));
  const nameOf = (id) => ctx.rangers.find((r) => r.id === Number(id))?.name || `#${id}`;
  const sec = h('section', { id: 'care-area-assign', class: 'block care-assign', dataset: { area: String(a.id) } },
    h('h3', null, w('assign.title', { code: a.code }), ' ',
      h('button', { type: 'button', class: 'link', id: 'care-assign-close', onclick: ctx.close }, '×')));
  sec.append(h('h4', null, w('assign.history')));
  if (!hist || hist.state === 'loading') sec.append(h('p', { class: 'loading' }, '…'));
  else if (hist.state === 'error') sec.append(h('p', { class: 'error', role: 'alert' }, hist.error));
  else if (!hist.list.length) sec.append(h('p', { id: 'care-history', class: 'muted', dataset: { count: '0' } }, w('assign.none')));
  else {
    sec.append(h('table', { id: 'care-history', class: 'roll cases', dataset: { count: String(hist.list.length) } },
      h('thead', null, h('tr', null, h('th', null, w('assign.ranger')), h('th', null, w('assign.period')), h('th', null, w('assign.by')))),
      h('tbody', null, hist.list.map((s) => h('tr', { class: 'assignment-row' + (s.current ? ' current' : ''),
        dataset: { assignment: String(s.id), ranger: String(s.ranger), from: s.from, to: s.to, current: String(!!s.current) } },
      h('td', null, nameOf(s.ranger), s.current ? h('span', { class: 'badge' }, w('assign.current')) : null),
      h('td', null, `${s.from} – ${s.to}`, h('span', { class: 'muted small' }, ` #${s.id}`)),
      h('td', { class: 'small' }, s.created_by.replace(/^user:/, '')))))));
  }
  if (ctx.mayWrite) {
    sec.append(assignForm(`area:${a.id}`, {
      pick: { id: 'ca-ranger', label: 'assign.ranger', options: ctx.rangers.map((r) => [String(r.id), r.name]) },
      post: (v) => ({ area: a.id, ranger: Number(v.pick) }), nameOf, rerender: ctx.rerender,
      onAssigned: () => { loadHistory(a.id, ctx.rerender); ctx.onAssigned(); },
    }));
  }
  return sec;
}

// rangerAssignSection is the form on a ranger's page putting the ranger on an area.
// ctx: {ranger (id), areas (features), rangers, rerender, onAssigned}.
export function rangerAssignSection(ctx) {
  const nameOf = (id) => ctx.rangers.find((r) => r.id === Number(id))?.name || `#${id}`;
  return h('section', { class: 'block care-assign' }, h('h3', null, w('assign.here')),
    assignForm(`ranger:${ctx.ranger}`, {
      pick: { id: 'ca-area', label: 'assign.area', options: ctx.areas.map((f) => [String(f.properties.id), `${f.properties.code} ${f.properties.name}`]) },
      post: (v) => ({ area: Number(v.pick), ranger: ctx.ranger }), nameOf, rerender: ctx.rerender,
      onAssigned: (area) => { history.delete(area); ctx.onAssigned(); },
    }));
}

function assignForm(key, spec) {
  const f = formOf(key);
  const set = (name) => (ev) => { f.values[name] = ev.target.value; };
  const msg = f.state === 'error' && f.error ? refusal(f.error, 'care-assign-msg', spec.nameOf)
    : f.state === 'done' ? h('p', { id: 'care-assign-msg', class: 'ok' }, f.done) : null;
  return h('form', { id: 'care-assign-form', class: 'step-form', dataset: { state: f.state }, onsubmit: (ev) => submit(ev, f, spec) },
    h('label', { class: 'sf-row' }, h('span', { class: 'sf-label' }, w(spec.pick.label) + ' *'),
      h('select', { id: spec.pick.id, onchange: set('pick') }, h('option', { value: '' }, '—'),
        spec.pick.options.map(([v, label]) => h('option', { value: v, selected: v === f.values.pick }, label)))),
    h('label', { class: 'sf-row' }, h('span', { class: 'sf-label' }, w('assign.from') + ' *'),
      h('input', { id: 'ca-from', type: 'date', value: f.values.from || '', oninput: set('from') })),
    h('label', { class: 'sf-row' }, h('span', { class: 'sf-label' }, w('assign.to')),
      h('input', { id: 'ca-to', type: 'date', value: f.values.to || '', oninput: set('to') })),
    msg,
    h('div', { class: 'row buttons' }, h('button', { type: 'submit', id: 'ca-go', disabled: f.state === 'loading' }, w('assign.go'))));
}

async function submit(ev, f, spec) {
  ev.preventDefault();
  const v = { pick: f.values.pick || '', from: (f.values.from || '').trim(), to: (f.values.to || '').trim() };
  const missing = !v.pick ? w(spec.pick.label) : !v.from ? w('assign.from') : '';
  if (missing) {
    Object.assign(f, { state: 'error', error: { message: w('assign.pick', { field: missing }) } });
    spec.rerender();
    return;
  }
  const { area, ranger } = spec.post(v);
  Object.assign(f, { state: 'loading', error: null });
  spec.rerender();
  try {
    await postJSON(`/api/v1/care/areas/${area}/assignments`, { ranger, from: v.from, to: v.to });
    Object.assign(f, { state: 'done', done: w('assign.done', { ranger: spec.nameOf(ranger), from: v.from, to: v.to || '…' }), values: {} });
    spec.rerender();
    spec.onAssigned(area);
  } catch (e) {
    Object.assign(f, { state: 'error', error: e });
    spec.rerender();
  }
}
