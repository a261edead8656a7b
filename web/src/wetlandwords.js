// The wetland bank's words: what a debit line owes and why, the bases, and why the server
// refused a request. The server explains in English (a line's `why`, a problem's `detail`);
// the page says the known sentences in its own language and always keeps the server's words.

import { h, fmt } from './dom.js';
import { t, getLang, zoneKindLabel } from './i18n.js';

// importanceLabel names national / provincial / general important wetland.
export const importanceLabel = (i) => t('wl.importance.' + i);

// kindLabel names a project kind: the policy's name (label) in Chinese, the page's word otherwise.
export const kindLabel = (kind, label) => (getLang() === 'en' || !label ? t('wl.kind.' + kind) : label);

// basisLabel names a basis: bank, art21, bank+art21 or none.
export const basisLabel = (b) => (b || 'none').split('+').map((x) => t('wl.basis.' + x)).join(' + ');

// lineWhy says why a line of a debit (or of the zone check's wetland figures) owes what it owes.
export function lineWhy(l) {
  if (getLang() === 'en') return l.why || '';
  const v = { mu: fmt(l.occupied_mu), type: l.type_name || l.type_code, imp: l.importance_label || importanceLabel(l.importance),
    area: l.area || '', zone: zoneKindLabel(l.zone_kind), ratio: l.ratio, credits: fmt(l.credits_required) };
  if (l.basis === 'bank') return t('wl.why.bank', v);
  if (l.basis === 'art21') return t('wl.why.art21', v);
  if (/not a debit activity/.test(l.why || '')) return t('wl.why.activity', v);
  if (/not a debit zone/.test(l.why || '')) return t('wl.why.zone', v);
  if (/asks no credits/.test(l.why || '')) return t('wl.why.outside', v);
  return l.why || '';
}

// Why the server refused a request, by the start of its detail; the first match wins.
const REFUSALS = [
  [/has moved on/, 'wl.refusal.stale'],
  [/is forbidden in/, 'wl.refusal.forbidden'],
  [/owes no wetland credits/, 'wl.refusal.owes_nothing'],
  [/released and unsold/, 'wl.refusal.unreleased'],
  [/only within their service area/, 'wl.refusal.service_area'],
  [/more than it owes/, 'wl.refusal.overbuy'],
  [/nothing is left to buy/, 'wl.refusal.settled'],
  [/voucher .* already recorded/, 'wl.refusal.voucher'],
  [/has no credits to sell/, 'wl.refusal.not_approved'],
  [/credits are issued on approval/, 'wl.refusal.not_approved'],
  [/a milestone is released once/, 'wl.refusal.released_once'],
  [/release the milestones in order/, 'wl.refusal.order'],
  [/after the as-built verification/, 'wl.refusal.too_early'],
  [/more than the .* issued|no credits left to release/, 'wl.refusal.over_issued'],
  [/only a proposed project/, 'wl.refusal.decided'],
  [/cannot earn credits twice/, 'wl.refusal.overlap'],
  [/no service area/, 'wl.refusal.no_service_area'],
  [/is after today/, 'wl.refusal.future'],
  [/is empty|is missing/, 'wl.refusal.missing'],
  [/(^|: )only /, 'refusal.role'],
];

// refusalNode shows a refused request: the gist in the page's language, the server's detail
// beneath (data-status: the HTTP status).
export function refusalNode(e, id) {
  const detail = e.status === 0 ? '' : (e.detail || e.message || String(e));
  const known = REFUSALS.find(([re]) => re.test(detail));
  let gist = known ? t(known[1]) : (e.status === 403 ? t('refusal.role') : '');
  if (e.status === 0) gist = e.message;
  return h('div', { id, class: 'error refusal', role: 'alert', dataset: { status: String(e.status ?? '') } },
    gist ? h('strong', { class: 'gist' }, gist) : null,
    detail ? h('div', { class: 'detail' }, detail) : null);
}

// credits writes a number of credits (two decimals) with its unit.
export const credits = (n) => `${fmt(n)} ${t('unit.credits')}`;
