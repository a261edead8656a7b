// The pilot's tasks on the statistics page (issue 17, point 4): each task with its lead and
// partner units, yearly work plan, status and last update (day, unit, who, note), from
// GET /api/v1/pilot/tasks; a member of a task's unit (my_units) sets its status with a select, a
// note and 保存 (POST /api/v1/pilot/tasks/{code}/updates, dated today), and the table reloads.
//
// Test hooks: #stats-tasks-block[data-state=ready|error]; tr[data-task=CODE][data-status];
// in a row the member may update: select.task-status, input.task-note, input.task-plan,
// select.task-unit (two of the task's units), button.task-save; p.task-result after a save.

import { getJSON, postJSON } from './api.js';
import { h } from './dom.js';
import { st } from './statswords.js';

const STATUSES = ['not_started', 'in_progress', 'done', 'delayed'];

function today() {
  return new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);
}

const who = (s) => {
  const i = (s || '').indexOf('(');
  return i >= 0 ? s.slice(i + 1).replace(/\)$/, '') : s || '';
};

// tasksSection builds the section from result ({v} the task list, or {e} an error).
export function tasksSection(result) {
  const el = h('section', { class: 'stats-block stats-wide', id: 'stats-tasks-block' });
  fill(el, result);
  return el;
}

function fill(el, result, message) {
  const head = h('div', { class: 'stats-block-head' }, h('h3', null, st('tk.title')),
    h('a', { class: 'download stats-xlsx', href: '/api/v1/pilot/ledger.xlsx', download: '' }, st('st.xlsx')));
  if (!result || result.e) {
    el.dataset.state = 'error';
    el.replaceChildren(head, h('p', { class: 'error small' }, result?.e?.status === 404 ? st('st.pilot_missing') : result?.e?.message || st('st.none')));
    return;
  }
  const tl = result.v;
  const mine = new Map((tl.my_units || []).map((u) => [u.code, u.name]));
  const counts = STATUSES.concat('unknown').filter((s) => tl.statuses?.[s]).map((s) => `${st(s)} ${tl.statuses[s]}`).join('，');
  el.dataset.state = 'ready';
  el.replaceChildren(head,
    h('p', { class: 'small muted' }, st('st.tasks_loaded', { n: tl.tasks_loaded, of: tl.tasks_in_plan }) + (tl.complete ? '' : st('st.tasks_incomplete')),
      counts ? `；${counts}` : ''),
    h('p', { class: 'small muted' }, mine.size ? st('tk.mine', { u: [...mine.values()].join('、') }) : st('tk.not_member')),
    message ? h('p', { class: 'small task-result', role: 'status' }, message) : '',
    h('div', { class: 'table-wrap tall' }, h('table', { class: 'stats-table stats-tasks' },
      h('thead', null, h('tr', null, ['#', st('tk.task'), st('tk.units'), st('tk.plan'), st('tk.status'), st('tk.updated')].map((c) => h('th', null, c)))),
      h('tbody', null, (tl.tasks || []).map((t) => row(el, t, mine))))));
}

function row(el, t, mine) {
  const units = [t.lead_unit, ...(t.partner_units || [])].filter((u) => u && mine.has(u.code));
  const last = t.latest;
  const cells = [
    h('td', null, t.number ?? ''),
    h('td', { class: 'wrap' }, t.title),
    h('td', { class: 'wrap' }, h('strong', null, t.lead_unit?.name || ''), (t.partner_units || []).length ? ` / ${(t.partner_units || []).map((u) => u.name).join('、')}` : ''),
    h('td', { class: 'wrap' }, (t.plan || []).map((p) => h('div', null, `${p.year}：${p.work}`))),
    h('td', null, h('span', { class: `task-badge ${t.status}` }, st(t.status))),
    h('td', { class: 'wrap' }, last ? [h('div', null, `${last.on} · ${last.unit?.name || ''} · ${who(last.entered_by)}`),
      last.note ? h('div', { class: 'muted' }, last.note) : null,
      h('div', { class: 'muted small' }, st('tk.count', { n: (t.updates || []).length }))] : '—'),
  ];
  const tr = h('tr', { dataset: { task: t.code, status: t.status } }, cells);
  if (!units.length) return tr;
  // The member's controls, in the row below the task.
  const sel = h('select', { class: 'task-status', 'aria-label': st('tk.status') }, STATUSES.map((s) => h('option', { value: s }, st(s))));
  sel.value = STATUSES.includes(t.status) ? t.status : 'in_progress';
  const unitSel = units.length > 1 ? h('select', { class: 'task-unit' }, units.map((u) => h('option', { value: u.code }, u.name))) : null;
  const note = h('input', { class: 'task-note', type: 'text', maxlength: 500, placeholder: st('tk.note') });
  const year = Number(today().slice(0, 4));
  const plan = h('input', { class: 'task-plan', type: 'text', maxlength: 1000, placeholder: st('tk.plan_year', { y: year }) });
  const save = h('button', { type: 'button', class: 'task-save' }, st('tk.save'));
  save.addEventListener('click', async () => {
    save.disabled = true;
    const body = { status: sel.value, on: today(), note: note.value.trim(), unit: unitSel ? unitSel.value : units[0].code };
    if (plan.value.trim()) Object.assign(body, { plan_year: year, plan_work: plan.value.trim() });
    let message;
    try {
      await postJSON(`/api/v1/pilot/tasks/${encodeURIComponent(t.code)}/updates`, body);
      message = `${t.title.slice(0, 12)}…：${st('tk.saved')}（${st(body.status)}）`;
    } catch (e) {
      message = e.message;
    }
    const result = await getJSON('/api/v1/pilot/tasks', { headers: { Accept: 'application/json' } }).then((v) => ({ v }), (e) => ({ e }));
    fill(el, result, message);
  });
  const controls = h('tr', { class: 'task-controls', dataset: { task: t.code } },
    h('td', null), h('td', { colspan: 5 }, h('div', { class: 'task-form' }, unitSel, sel, note, plan, save)));
  return [tr, controls];
}
