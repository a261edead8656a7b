// The zone check's wetland figures (the answer's `wetland` member): what the drawn footprint
// owes the wetland bank from the wetland patches it covers — per wetland type and importance the
// 亩 occupied, the debit ratio, the credits required, the basis and why — with the policy's
// reference price, the 湿地保护法 art. 21 note and the zones that forbid the activity. A case
// officer (or an administrator) opens a debit application (POST /api/v1/wetland/debits) from
// the drawn footprint; the server's refusal is shown with its reason.
//
// Test hooks: #zc-wetland[data-credits][data-occupied][data-basis], li.zcw-line[data-type]
// [data-importance][data-basis][data-credits]; #zc-debit-open; #zc-debit-form[data-state] idle |
// loading | error with #zcd-applicant, #zcd-purpose, #zcd-go and the refusal #zc-debit-msg.

import { postJSON } from './api.js';
import { h, fmt } from './dom.js';
import { t, getLang, zoneKindLabel } from './i18n.js';
import { can } from './auth.js';
import { lineWhy, basisLabel, refusalNode, credits } from './wetlandwords.js';

let hooks = { onDebitOpened: () => {} };

// initWetlandCheck: onDebitOpened(debit) runs when the server opened a debit (main.js shows it).
export function initWetlandCheck(hk) { hooks = { ...hooks, ...hk }; }

// The debit form of the answer on screen: kept across redrawings (what was typed stays) until
// another answer comes.
const form = { result: null, open: false, state: 'idle', refusal: null, applicant: '', purpose: '' };

// zoneCheckWetland is the zone check's section (zonecheck.js calls it on each drawing).
export function zoneCheckWetland({ result, geometry, rerender }) {
  const w = result && result.wetland;
  if (!w) return null;
  if (form.result !== result) Object.assign(form, { result, open: false, state: 'idle', refusal: null });
  const sec = h('div', { id: 'zc-wetland', class: 'zc-wetland', dataset: { credits: String(w.credits_required), occupied: String(w.occupied_mu), basis: w.basis } },
    h('h3', null, t('wl.zc.title')));
  const forbidden = w.forbidden || [];
  if (forbidden.length) {
    sec.append(h('ul', { class: 'zcw-forbidden' }, forbidden.map((f) => h('li', { class: 'error small', dataset: { zoneKind: f.zone_kind } },
      t('wl.zc.forbidden', { area: f.area, zone: f.zone || zoneKindLabel(f.zone_kind) }), f.legal_basis ? ` ${f.legal_basis}` : ''))));
  }
  if (!w.lines || w.lines.length === 0) {
    sec.append(h('p', { class: 'muted small' }, t('wl.zc.no_wetland')));
    return sec;
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
  if (can('wetland.write') && Number(w.credits_required) > 0 && forbidden.length === 0) sec.append(debitForm(result, geometry, rerender));
  return sec;
}

// debitForm opens a debit application for the drawn footprint: applicant and purpose; the
// activity is the zone check's.
function debitForm(result, geometry, rerender) {
  if (!form.open) {
    return h('div', { class: 'row buttons' }, h('button', { type: 'button', id: 'zc-debit-open', onclick: () => { form.open = true; rerender(); } }, t('wl.zc.open_debit')));
  }
  const bind = (key) => (ev) => { form[key] = ev.target.value; };
  return h('form', { id: 'zc-debit-form', class: 'step-form', dataset: { state: form.state }, onsubmit: (ev) => submit(ev, result, geometry, rerender) },
    h('h4', null, t('wl.zc.open_debit')),
    h('label', { class: 'sf-row' }, h('span', { class: 'sf-label' }, t('wl.applicant') + ' *'),
      h('input', { id: 'zcd-applicant', type: 'text', value: form.applicant, autocomplete: 'off', oninput: bind('applicant') })),
    h('label', { class: 'sf-row' }, h('span', { class: 'sf-label' }, t('wl.purpose')),
      h('input', { id: 'zcd-purpose', type: 'text', value: form.purpose, autocomplete: 'off', oninput: bind('purpose') })),
    form.state === 'error' && !form.refusal ? h('p', { class: 'error small' }, t('step.required', { field: t('wl.applicant') })) : null,
    form.refusal ? refusalNode(form.refusal, 'zc-debit-msg') : null,
    h('div', { class: 'row buttons' },
      h('button', { type: 'submit', id: 'zcd-go', disabled: form.state === 'loading' }, t('wl.zc.open_go')),
      h('button', { type: 'button', class: 'secondary', onclick: () => { form.open = false; form.refusal = null; form.state = 'idle'; rerender(); } }, t('step.cancel'))));
}

async function submit(ev, result, geometry, rerender) {
  ev.preventDefault();
  form.refusal = null;
  if (!form.applicant.trim()) {
    form.state = 'error';
    rerender();
    return;
  }
  form.state = 'loading';
  rerender();
  try {
    const debit = await postJSON('/api/v1/wetland/debits', { applicant: form.applicant.trim(), purpose: form.purpose.trim(), activity: result.activity, geometry });
    Object.assign(form, { open: false, state: 'idle', applicant: '', purpose: '' });
    rerender();
    hooks.onDebitOpened(debit);
  } catch (e) {
    form.state = 'error';
    form.refusal = e;
    rerender();
  }
}
