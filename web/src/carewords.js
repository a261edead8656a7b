// The words of the care panel's forms (draw an area, assign a ranger, report an incident, the
// ranger roll), in both of the page's languages, and the server's refusals told in them: the
// gist in the page's language, naming what the server named, the server's words beneath.

import { h } from './dom.js';
import { getLang } from './i18n.js';

const WORDS = {
  zh: {
    'draw.open': '保存为管护责任区',
    'draw.title': '新建管护责任区（按所画范围）',
    'draw.code': '编号', 'draw.name': '名称',
    'draw.chief.village': '村级林长', 'draw.chief.township': '乡级林长', 'draw.chief.county': '县级林长',
    'draw.go': '保存责任区', 'draw.cancel': '取消',
    'draw.missing': '请填写{field}。',
    'draw.saved': '责任区 {code} 已保存。',
    'ref.invalid_polygon': '所画范围不是有效的多边形（自相交或洞在外）：请重新画。',
    'ref.code_taken': '编号 {code} 已被另一责任区使用：请换一个编号。',
    'ref.code_form': '编号只能是 1–40 位字母、数字、_ 或 -。',
    'ref.name': '名称须为 1–200 个字。',
    'ref.role': '只有案件经办人或管理员可以做这件事。',
    'ref.overlap': '该责任区在这段时间已有护林员 {ranger}（{from} 至 {to}，指派 #{id}）：一个责任区同一时间只有一名护林员，请选这段时间以外的日期。',
    'ref.contract': '{ranger} 的合同期为 {from} 至 {to}：指派的起止日期须在合同期内。',
    'ref.date': '日期格式不对：请写成 2026-03-31。',
    'ref.ends_before': '结束日期早于开始日期。',
    'ref.photo': '照片有问题：只收完整的 JPEG 或 PNG 照片。',
    'ref.photo_size': '照片太大（超过 12 MiB）：请降低分辨率后再传。',
    'ref.outside': '所选地点在本县范围以外：请在县内选点。',
    'ref.future': '发生时间在将来：请检查时间。',
    'ref.kind': '事件类型不在政策所列之内。',
    'ref.note': '说明最多 2000 字。',
    'assign.open': '指派 / 历史',
    'assign.title': '责任区 {code} · 护林员指派',
    'assign.history': '指派历史',
    'assign.none': '还没有指派过护林员。',
    'assign.ranger': '护林员', 'assign.area': '责任区', 'assign.from': '起', 'assign.to': '止（空：到合同期满）',
    'assign.period': '期间', 'assign.by': '经办', 'assign.current': '当前',
    'assign.go': '指派', 'assign.done': '已指派：{ranger}，{from} 至 {to}。',
    'assign.here': '指派到责任区',
    'assign.pick': '请选择{field}。',
    'inc.title': '上报事件',
    'inc.place': '地点', 'inc.pick': '在地图上选点', 'inc.picking': '请在地图上点击事件地点…', 'inc.picked': '地点：{lon}, {lat}',
    'inc.no_point': '请先在地图上选点。', 'inc.no_photo': '请附一张照片（JPEG 或 PNG）。',
    'inc.kind': '类型', 'inc.time': '时间', 'inc.note': '说明', 'inc.photo': '照片',
    'inc.go': '上报', 'inc.sending': '正在上报…', 'inc.done': '事件已上报（#{id}，{kind}，{area}）。',
    'inc.n': '本月事件 {n} 起', 'inc.legend': '事件（所选月份）', 'inc.none_area': '不在责任区',
    'inc.kind.fire': '火情', 'inc.kind.illegal_logging': '盗伐', 'inc.kind.pest': '病虫害',
    'inc.kind.illegal_occupation': '非法占地', 'inc.kind.wildlife': '野生动物', 'inc.kind.other': '其他',
    'roll.title': '护林员报酬清册',
    'roll.year': '年度', 'roll.xlsx': '下载清册（xlsx）', 'roll.load': '显示对账',
    'roll.loading': '正在计算清册…',
    'roll.retained': '公益林补偿留存（县级统筹）', 'roll.paid': '其中用于护林员报酬', 'roll.left': '留存结余', 'roll.shortfall': '资金缺口',
    'roll.pay_total': '应发报酬合计', 'roll.rangers': '护林员 {n} 人',
    'roll.source': '其他资金来源', 'roll.spent': '已用', 'roll.available': '可用',
  },
  en: {
    'draw.open': 'Save as a care area',
    'draw.title': 'New care area (the drawn outline)',
    'draw.code': 'Code', 'draw.name': 'Name',
    'draw.chief.village': 'Village chief', 'draw.chief.township': 'Township chief', 'draw.chief.county': 'County chief',
    'draw.go': 'Save the area', 'draw.cancel': 'Cancel',
    'draw.missing': 'Fill in {field}.',
    'draw.saved': 'Area {code} saved.',
    'ref.invalid_polygon': 'The outline is not a valid polygon (it crosses itself): draw it again.',
    'ref.code_taken': 'Code {code} is taken by another area: choose another.',
    'ref.code_form': 'A code is 1–40 letters, digits, _ or -.',
    'ref.name': 'A name has 1–200 characters.',
    'ref.role': 'Only case officers and administrators may do this.',
    'ref.overlap': 'The area has ranger {ranger} from {from} to {to} (assignment #{id}): one ranger at a time; pick days outside it.',
    'ref.contract': '{ranger} is under contract from {from} to {to}: the assignment must lie within it.',
    'ref.date': 'Write dates as 2026-03-31.',
    'ref.ends_before': 'The end is before the start.',
    'ref.photo': 'The photo was refused: one whole JPEG or PNG only.',
    'ref.photo_size': 'The photo is over 12 MiB: send it at a lower resolution.',
    'ref.outside': 'The point is outside the county.',
    'ref.future': 'The time is in the future.',
    'ref.kind': 'Not a kind of incident the policy lists.',
    'ref.note': 'The note has at most 2000 characters.',
    'assign.open': 'Assign / history',
    'assign.title': 'Area {code} · rangers',
    'assign.history': 'Assignments',
    'assign.none': 'No ranger has been assigned yet.',
    'assign.ranger': 'Ranger', 'assign.area': 'Area', 'assign.from': 'From', 'assign.to': 'To (empty: the contract’s end)',
    'assign.period': 'Period', 'assign.by': 'By', 'assign.current': 'now',
    'assign.go': 'Assign', 'assign.done': 'Assigned: {ranger}, {from} to {to}.',
    'assign.here': 'Assign to an area',
    'assign.pick': 'Choose {field}.',
    'inc.title': 'Report an incident',
    'inc.place': 'Place', 'inc.pick': 'Pick on the map', 'inc.picking': 'Click the incident’s place on the map…', 'inc.picked': 'Place: {lon}, {lat}',
    'inc.no_point': 'Pick the place on the map first.', 'inc.no_photo': 'Attach a photo (JPEG or PNG).',
    'inc.kind': 'Kind', 'inc.time': 'Time', 'inc.note': 'Note', 'inc.photo': 'Photo',
    'inc.go': 'Report', 'inc.sending': 'Reporting…', 'inc.done': 'Incident reported (#{id}, {kind}, {area}).',
    'inc.n': 'Incidents this month: {n}', 'inc.legend': 'Incidents (the month)', 'inc.none_area': 'no area',
    'inc.kind.fire': 'Fire', 'inc.kind.illegal_logging': 'Illegal logging', 'inc.kind.pest': 'Pests',
    'inc.kind.illegal_occupation': 'Illegal occupation', 'inc.kind.wildlife': 'Wildlife', 'inc.kind.other': 'Other',
    'roll.title': 'Ranger pay roll',
    'roll.year': 'Year', 'roll.xlsx': 'Download the roll (xlsx)', 'roll.load': 'Show the reconciliation',
    'roll.loading': 'Computing the roll…',
    'roll.retained': 'Retained from the compensation (county)', 'roll.paid': 'Of it paid to rangers', 'roll.left': 'Retained left', 'roll.shortfall': 'Shortfall',
    'roll.pay_total': 'Pay due in total', 'roll.rangers': '{n} rangers',
    'roll.source': 'Other sources', 'roll.spent': 'spent', 'roll.available': 'available',
  },
};

// w is a word of the care forms in the page's language, with {name} filled from vars.
export function w(key, vars) {
  const s = WORDS[getLang() === 'en' ? 'en' : 'zh'][key] ?? WORDS.zh[key] ?? key;
  return vars ? s.replace(/\{(\w+)\}/g, (m, k) => (vars[k] === undefined || vars[k] === null ? m : String(vars[k]))) : s;
}

// The server's refusals, by its words; the first match wins. Each gives the key and the values
// it names (from the match; nameOf turns a ranger id into a name).
const REFUSALS = [
  [/is not a valid polygon/, () => ['ref.invalid_polygon']],
  [/a care area with code "([^"]*)" already exists/, (m) => ['ref.code_taken', { code: m[1] }]],
  [/"code" .* must be 1–40/, () => ['ref.code_form']],
  [/"name" must have/, () => ['ref.name']],
  [/already has ranger (\d+) from (\d{4}-\d\d-\d\d) to (\d{4}-\d\d-\d\d) \(assignment (\d+)\)/, (m, nameOf) => ['ref.overlap', { ranger: nameOf(m[1]), from: m[2], to: m[3], id: m[4] }]],
  [/ranger (\d+) is under contract from (\d{4}-\d\d-\d\d) to (\d{4}-\d\d-\d\d)/, (m, nameOf) => ['ref.contract', { ranger: nameOf(m[1]), from: m[2], to: m[3] }]],
  [/not a date/, () => ['ref.date']],
  [/ends .* before it starts/, () => ['ref.ends_before']],
  [/is over \d+ MiB/, () => ['ref.photo_size']],
  [/photo|JPEG|PNG|polyglot|image/i, () => ['ref.photo']],
  [/outside the county/, () => ['ref.outside']],
  [/in the future/, () => ['ref.future']],
  [/not a kind of incident/, () => ['ref.kind']],
  [/the note must be/, () => ['ref.note']],
  [/(^|: )only /, () => ['ref.role']],
];

// refusal shows a refused request (an ApiError or {message}) as #id: the gist in the page's
// language, the server's words beneath; nameOf(id) names a ranger.
export function refusal(e, id, nameOf = (x) => `#${x}`) {
  const detail = e.status === 0 ? '' : (e.detail || '');
  let gist = e.message || String(e);
  for (const [re, fn] of REFUSALS) {
    const m = re.exec(detail);
    if (m) {
      const [key, vars] = fn(m, nameOf);
      gist = w(key, vars);
      break;
    }
  }
  if (e.status === 403 && !/(^|: )only /.test(detail)) gist = w('ref.role');
  return h('div', { id, class: 'error refusal', role: 'alert', dataset: { status: String(e.status ?? '') } },
    h('strong', { class: 'gist' }, gist), detail && detail !== gist ? h('div', { class: 'detail' }, detail) : null);
}
