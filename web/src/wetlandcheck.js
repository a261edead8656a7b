// The zone check's wetland figures (the answer's `wetland` member): what the drawn footprint
// owes the wetland bank from the wetland patches it covers — per wetland type and importance the
// 亩 occupied, the debit ratio, the credits required, the basis and why — with the policy's
// reference price, the 湿地保护法 art. 21 note and the zones that forbid the activity. A case
// officer (or an administrator) opens a debit application (POST /api/v1/wetland/debits) or
// proposes a credit project (POST /api/v1/wetland/projects) from the drawn footprint; the
// server's refusal is shown with its reason.
//
// Test hooks: #zc-wetland[data-credits][data-occupied][data-basis], li.zcw-line[data-type]
// [data-importance][data-basis][data-credits]; #zc-debit-open; #zc-debit-form[data-state] idle |
// loading | error with #zcd-applicant, #zcd-purpose, #zcd-go and the refusal #zc-debit-msg;
// #zc-project-open, #zc-project-form with #zcp-name, #zcp-kind, #zcp-sponsor, #zcp-baseline,
// #zcp-go and #zc-project-msg.

import { postJSON } from './api.js';
import { h, fmt } from './dom.js';
import { t, getLang, zoneKindLabel } from './i18n.js';
import { can } from './auth.js';
import { lineWhy, basisLabel, refusalNode, credits } from './wetlandwords.js';

let hooks = { onCreated: () => {} };

// initWetlandCheck: onCreated(kind, item) runs when the server opened a debit or took a
// project's proposal (kind debit or project; main.js shows it).
export function initWetlandCheck(hk) { hooks = { ...hooks, ...hk }; }

// The forms under an answer: a debit for what the footprint owes, a credit project on it. One is
// open at a time, and what was typed survives redrawing until another answer comes.
const KINDS = ['restoration', 'creation', 'enhancement', 'preservation'];
const FORMS = {
  debit: { prefix: 'zcd', title: 'wl.zc.open_debit', go: 'wl.zc.open_go', url: '/api/v1/wetland/debits',
    fields: [{ name: 'applicant', label: 'wl.applicant', required: true }, { name: 'purpose', label: 'wl.purpose' }],
    body: (v, result) => ({ applicant: v.applicant, purpose: v.purpose, activity: result.activity }) },
  project: { prefix: 'zcp', title: 'wl.zc.propose', go: 'wl.zc.propose_go', url: '/api/v1/wetland/projects',
    fields: [{ name: 'name', label: 'wl.project_name', required: true }, { name: 'kind', label: 'wl.kind', required: true, options: KINDS },
      { name: 'sponsor', label: 'wl.sponsor', required: true }, { name: 'baseline', label: 'wl.baseline', required: true }],
    body: (v) => ({ name: v.name, kind: v.kind, sponsor: v.sponsor, baseline: v.baseline }) },
};
const form = { result: null, open: '', state: 'idle', refusal: null, missing: '', values: {} };

// zoneCheckWetland is the zone check's section (zonecheck.js calls it on each drawing).
export function zoneCheckWetland({ result, geometry, rerender }) {
  const w = result && result.wetland;
  if (!w) return null;
  if (form.result !== result) Object.assign(form, { result, open: '', state: 'idle', refusal: null, missing: '' });
  const sec = h('div', { id: 'zc-wetland', class: 'zc-wetland', dataset: { credits: String(w.credits_required), occupied: String(w.occupied_mu), basis: w.basis } },
    h('h3', null, t('wl.zc.title')));
  const forbidden = w.forbidden || [];
  if (!w.lines || w.lines.length === 0) {
    // Nothing owed: said only to who may propose a credit project here (the zones say the rest).
    if (!can('wetland.write')) return null;
    sec.append(h('p', { class: 'muted small' }, t('wl.zc.no_wetland')), actions(result, geometry, rerender, false));
    return sec;
  }
  if (forbidden.length) {
    sec.append(h('ul', { class: 'zcw-forbidden' }, forbidden.map((f) => h('li', { class: 'error small', dataset: { zoneKind: f.zone_kind } },
      t('wl.zc.forbidden', { area: f.area, zone: f.zone || zoneKindLabel(f.zone_kind) }), f.legal_basis ? ` ${f.legal_basis}` : ''))));
  }
  sec.append(h('p', { class: 'zcw-sum' },
    t('wl.zc.occupied', { mu: fmt(w.occupied_mu) }), ' · ', h('strong', { id: 'zc-wetland-credits' }, t('wl.zc.required', { n: fmt(w.credits_required) }))),
  h('p', { class: 'small' }, h('span', { class: 'muted' }, t('wl.basis') + '：'), basisLabel(w.basis)));
  sec.append(h('ul', { class: 'zcw-lines' }, w.lines.map((l) => h('li', { class: 'zcw-line b-' + l.basis,
    dataset: { type: l.type_code, importance: l.importance, basis: l.basis, credits: String(l.credits_required) } },
  h('div', null, h('strong', null, `${l.type_code} ${l.type_name}`), ' · ', l.importance_label || t('wl.importance.' + l.importance)),
  h('div', { class: 'small' }, `${fmt(l.occupied_mu)} ${t('unit.mu')}`, l.basis === 'none' ? '' : ` × ${l.ratio} = `,
    l.basis === 'none' ? h('span', { class: 'muted' }, ` · ${t('wl.basis.none')}`) : h('strong', null, credits(l.credits_required))),
  h('div', { class: 'small why', title: l.why }, lineWhy(l))))));
  if (w.art21 && w.art21.applies) {
    sec.append(h('p', { class: 'small zcw-art21' }, h('span', { class: 'muted' }, t('wl.art21') + '：'),
      t('wl.art21.note', { mu: fmt(w.art21.occupied_mu), n: fmt(w.art21.credits_required), basis: w.art21.legal_basis })));
  }
  if (Number(w.credits_required) > 0) {
    sec.append(h('p', { class: 'small' }, h('span', { class: 'muted' }, t('wl.reference') + '：'),
      t('wl.zc.reference', { price: fmt(w.reference_price_yuan_per_credit), fee: fmt(w.reference_fee_yuan) })),
    h('p', { class: 'small muted' }, t('wl.zc.service_area', { sa: w.service_area || '—' })));
  }
  if ((result.zones || []).some((z) => z.wetland_credits_required !== null && z.wetland_credits_required !== undefined)) {
    sec.append(h('p', { class: 'small muted zcw-supersedes' }, t('wl.zc.supersedes')));
  }
  if (getLang() === 'en' && w.message) sec.append(h('p', { class: 'small muted' }, w.message));
  if (can('wetland.write')) sec.append(actions(result, geometry, rerender, Number(w.credits_required) > 0 && forbidden.length === 0));
  return sec;
}

// actions: the buttons that open a debit (when the footprint owes credits and nothing forbids
// the activity) or propose a credit project, or the form one of them opened.
function actions(result, geometry, rerender, owes) {
  if (form.open) return openForm(FORMS[form.open], result, geometry, rerender);
  const button = (kind, id) => h('button', { type: 'button', id, class: kind === 'debit' ? '' : 'secondary',
    onclick: () => { Object.assign(form, { open: kind, state: 'idle', refusal: null, missing: '' }); rerender(); } }, t(FORMS[kind].title));
  return h('div', { class: 'row buttons wrap' }, owes ? button('debit', 'zc-debit-open') : null, button('project', 'zc-project-open'));
}

// openForm is a form of FORMS: its fields (input #<prefix>-<name>), the server's refusal
// beneath (#zc-<kind>-msg).
function openForm(spec, result, geometry, rerender) {
  const kind = form.open;
  const input = (f) => {
    const attrs = { id: `${spec.prefix}-${f.name}`, oninput: (ev) => { form.values[f.name] = ev.target.value; } };
    if (!f.options) return h('input', { ...attrs, type: 'text', value: form.values[f.name] || '', autocomplete: 'off' });
    form.values[f.name] ||= f.options[0];
    return h('select', { ...attrs, onchange: attrs.oninput }, f.options.map((o) => h('option', { value: o, selected: o === form.values[f.name] }, t('wl.kind.' + o))));
  };
  return h('form', { id: `zc-${kind}-form`, class: 'step-form', dataset: { state: form.state }, onsubmit: (ev) => submit(ev, spec, result, geometry, rerender) },
    h('h4', null, t(spec.title)),
    spec.fields.map((f) => h('label', { class: 'sf-row' }, h('span', { class: 'sf-label' }, t(f.label) + (f.required ? ' *' : '')), input(f))),
    form.missing ? h('p', { class: 'error small' }, t('step.required', { field: t(form.missing) })) : null,
    form.refusal ? refusalNode(form.refusal, `zc-${kind}-msg`) : null,
    h('div', { class: 'row buttons' },
      h('button', { type: 'submit', id: `${spec.prefix}-go`, disabled: form.state === 'loading' }, t(spec.go)),
      h('button', { type: 'button', class: 'secondary', onclick: () => { Object.assign(form, { open: '', refusal: null, state: 'idle', missing: '' }); rerender(); } }, t('step.cancel'))));
}

async function submit(ev, spec, result, geometry, rerender) {
  ev.preventDefault();
  const kind = form.open;
  const v = Object.fromEntries(spec.fields.map((f) => [f.name, (form.values[f.name] || '').trim()]));
  const missing = spec.fields.find((f) => f.required && !v[f.name]);
  Object.assign(form, { refusal: null, missing: missing ? missing.label : '', state: missing ? 'error' : 'loading' });
  rerender();
  if (missing) return;
  try {
    const made = await postJSON(spec.url, { ...spec.body(v, result), geometry });
    Object.assign(form, { open: '', state: 'idle', values: {} });
    rerender();
    hooks.onCreated(kind, made);
  } catch (e) {
    form.state = 'error';
    form.refusal = e;
    rerender();
  }
}
