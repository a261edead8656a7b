// The year's ranger pay roll in the care panel (issue 16 point 2): a link to the xlsx
// (GET /api/v1/care/roll?year=Y&format=xlsx) and, on request, its reconciliation with what the
// compensation roll retained (GET /api/v1/care/roll?year=Y): the retained total, what the
// rangers' pay took of it, what is left, the other sources and the shortfall, in yuan.
//
// Test hooks: #care-roll[data-year]; #care-roll-year; #care-roll-xlsx; #care-roll-load;
// #care-roll-recon[data-retained][data-paid][data-left][data-shortfall][data-pay] (decimal yuan).

import { getJSON } from './api.js';
import { h, fmt } from './dom.js';
import { w } from './carewords.js';

const roll = { year: new Date(Date.now() + 8 * 3600e3).getUTCFullYear(), state: 'idle', data: null, error: '', seq: 0 };

async function load(rerender) {
  const seq = ++roll.seq;
  Object.assign(roll, { state: 'loading', data: null, error: '' });
  rerender();
  try {
    const d = await getJSON(`/api/v1/care/roll?year=${roll.year}`, { headers: { Accept: 'application/json' } });
    if (seq !== roll.seq) return;
    Object.assign(roll, { state: 'ready', data: d });
  } catch (e) {
    if (seq !== roll.seq) return;
    Object.assign(roll, { state: 'error', error: e.message });
  }
  rerender();
}

// rollSection is the finance block of the care panel's list.
export function rollSection(rerender) {
  const years = [roll.year + 1, roll.year, roll.year - 1, roll.year - 2];
  const sel = h('select', { id: 'care-roll-year', 'aria-label': w('roll.year'),
    onchange: (ev) => { roll.year = Number(ev.target.value); Object.assign(roll, { state: 'idle', data: null }); roll.seq++; rerender(); } },
  years.map((y) => h('option', { value: String(y), selected: y === roll.year }, String(y))));
  const sec = h('section', { id: 'care-roll', class: 'block', dataset: { year: String(roll.year) } },
    h('h3', null, w('roll.title'), ' ', h('label', { class: 'inline' }, w('roll.year'), ' ', sel)),
    h('p', { class: 'row buttons wrap' },
      h('a', { id: 'care-roll-xlsx', class: 'download', href: `/api/v1/care/roll?year=${roll.year}&format=xlsx`, download: '' }, w('roll.xlsx')),
      roll.state === 'idle' ? h('button', { type: 'button', id: 'care-roll-load', class: 'secondary', onclick: () => load(rerender) }, w('roll.load')) : null));
  if (roll.state === 'loading') sec.append(h('p', { class: 'loading' }, w('roll.loading')));
  if (roll.state === 'error') sec.append(h('p', { class: 'error', role: 'alert' }, roll.error));
  if (roll.state !== 'ready') return sec;
  const d = roll.data;
  const line = (key, v, cls = '') => h('tr', { class: cls }, h('th', null, w(key)), h('td', { class: 'num' }, fmt(v)));
  sec.append(h('table', { id: 'care-roll-recon', class: 'kv roll',
    dataset: { retained: d.retained_total_yuan, paid: d.paid_from_retained_yuan, left: d.retained_left_yuan, shortfall: d.shortfall_yuan, pay: d.pay_total_yuan } },
  h('tbody', null,
    line('roll.pay_total', d.pay_total_yuan),
    line('roll.retained', d.retained_total_yuan),
    line('roll.paid', d.paid_from_retained_yuan),
    line('roll.left', d.retained_left_yuan),
    (d.sources || []).filter((s) => s.kind !== 'retained_public_management').map((s) => h('tr', null, h('th', null, `${w('roll.source')}：${s.name}`),
      h('td', { class: 'num' }, `${fmt(s.spent_yuan)} / ${fmt(s.available_yuan)}`))),
    line('roll.shortfall', d.shortfall_yuan, Number(d.shortfall_yuan) > 0 ? 'error' : ''))),
  h('p', { class: 'muted small' }, w('roll.rangers', { n: (d.rows || []).length }), d.policy_version ? ` · ${d.policy_version}` : '', d.note ? ` · ${d.note}` : ''));
  return sec;
}
