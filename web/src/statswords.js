// The statistics page's words, Chinese first (the bureau's tables are in Chinese) and English.

import { getLang } from './i18n.js';

const words = {
  'st.title': ['统计', 'Statistics'],
  'st.hint': ['森林资源统计表、补偿概览和试点指标，图表均附数据表与 xlsx。', 'Inventory tables, the compensation overview and the pilot indicators; every chart with its table and xlsx.'],
  'st.show': ['统计图表', 'Charts'],
  'st.page': ['统计图表', 'Statistics'],
  'st.unit': ['范围', 'Unit'],
  'st.county': ['全县', 'whole county'],
  'st.as_of': ['截至日期', 'As of'],
  'st.print': ['打印', 'Print'],
  'st.close': ['关闭', 'Close'],
  'st.loading': ['正在统计…', 'Computing…'],
  'st.xlsx': ['下载 xlsx', 'xlsx'],
  'st.none': ['无数据', 'no data'],
  'st.land': ['各类土地面积（亩）', 'Land area by land class (mu)'],
  'st.arbor': ['乔木林各龄组面积（亩）按优势树种', 'Arbor forest area by age group and dominant species (mu)'],
  'st.subsidy': ['补贴金额按项目（元）', 'Subsidies by programme (yuan)'],
  'st.cases': ['赎买案件按状态（件）', 'Buyout cases by state'],
  'st.pilot': ['试点指标完成率（%）', 'Pilot indicators: progress (%)'],
  'st.overview': ['补偿概览', 'Compensation overview'],
  'st.class': ['类别', 'Class'],
  'st.area_mu': ['面积（亩）', 'Area (mu)'],
  'st.area_ha': ['面积（公顷）', 'Area (ha)'],
  'st.parcels': ['小班数', 'Parcels'],
  'st.species': ['优势树种', 'Species'],
  'st.program': ['补贴项目', 'Programme'],
  'st.amount': ['金额（元）', 'Amount (yuan)'],
  'st.status': ['状态', 'State'],
  'st.count': ['件数', 'Cases'],
  'st.indicator': ['指标', 'Indicator'],
  'st.target': ['目标', 'Target'],
  'st.latest': ['最新值', 'Latest'],
  'st.progress': ['完成率（%）', 'Progress (%)'],
  'st.lead': ['牵头单位', 'Lead unit'],
  'st.tasks_loaded': ['试点任务：已载入 {n} 项，方案共 {of} 项', 'Pilot tasks: {n} of the plan\'s {of} loaded'],
  'st.tasks_incomplete': ['（任务清单不完整）', ' (task list incomplete)'],
  'st.pilot_missing': ['未载入试点方案（ecocomp pilot load --shipped）', 'No pilot plan loaded (ecocomp pilot load --shipped)'],
  'st.eligible': ['可赎买小班', 'Eligible parcels'],
  'st.cost': ['参考价（元）', 'Indicative cost (yuan)'],
  'st.committed': ['本年签约（元）', 'Committed this year (yuan)'],
  'st.paid': ['本年支付（元）', 'Paid this year (yuan)'],
  'st.budget': ['本年预算（元）', 'Budget (yuan)'],
  'st.credits': ['湿地信用 签发/释放/售出', 'Wetland credits issued / released / sold'],
  'st.care': ['管护：责任区/护林员/对象覆盖率', 'Care: areas / rangers / covered'],
  'st.total': ['合计', 'Total'],
  // The year's change (statschange.js).
  'ch.title': ['年度变化：地类转移与小班变化', 'The year\'s change: land-class transitions and parcels'],
  'ch.from': ['起（日末）', 'From (end of day)'],
  'ch.to': ['止（日末）', 'To (end of day)'],
  'ch.run': ['统计变化', 'Compare'],
  'ch.map': ['在地图上显示变化小班', 'Show the changed parcels on the map'],
  'ch.hint': ['选择起止日期后点击“统计变化”：比较两日末的小班。', 'Pick two dates and press Compare: the parcels at the end of each day are compared.'],
  'ch.matrix': ['地类转移矩阵（亩，行：起日地类，列：止日地类）', 'Land-class transition matrix (mu; rows: class at from, columns: class at to)'],
  'ch.from_class': ['起 \\ 止', 'From \\ to'],
  'ch.counts': ['小班变化（块）', 'Parcels changed'],
  'ch.batches': ['引起变化的导入批次', 'Import batches behind the changes'],
  'ch.batch': ['批次', 'Batch'],
  'ch.source': ['来源', 'Source'],
  'ch.started': ['开始时间', 'Started'],
  'ch.no_batch': ['（无批次）', '(no batch)'],
  'ch.none': ['这段时间没有变化。', 'Nothing changed in the period.'],
  'ch.parcels': ['变化小班明细', 'Changed parcels'],
  'ch.code': ['小班编码', 'Parcel'],
  'ch.kind': ['变化', 'Change'],
  'ch.area_before': ['原面积（亩）', 'Area before (mu)'],
  'ch.area_after': ['现面积（亩）', 'Area after (mu)'],
  'ch.related': ['相关小班', 'Related'],
  'ch.legend': ['变化小班', 'Changed parcels'],
  'ch.back': ['返回统计图表', 'Back to the charts'],
  'ch.clear': ['清除', 'Clear'],
  'ch.gone_note': ['虚线：已注销的小班（含被分割、合并的原小班）', 'Dashed: parcels retired (also those split or merged away)'],
  'ch.more': ['另有 {n} 块未列出（见 xlsx）', '{n} more in the xlsx'],
  'added': ['新增', 'added'], 'retired': ['注销', 'retired'], 'split': ['分割', 'split'], 'merged': ['合并', 'merged'],
  'changed': ['属性或图形变化', 'changed'], 'replaced': ['重新编号', 'recoded'], 'unchanged': ['未变', 'unchanged'],
  'added_short': ['新增', 'add.'], 'retired_short': ['注销', 'ret.'], 'split_short': ['分割', 'split'], 'merged_short': ['合并', 'merg.'],
  'changed_short': ['变更', 'chg.'], 'replaced_short': ['重编', 'rec.'],
  // Task status (statstasks.js).
  'tk.title': ['试点任务进展', 'Pilot tasks'],
  'tk.task': ['任务', 'Task'],
  'tk.units': ['牵头 / 配合单位', 'Lead / partner units'],
  'tk.plan': ['年度工作计划', 'Yearly work plan'],
  'tk.status': ['状态', 'Status'],
  'tk.updated': ['最近更新', 'Last update'],
  'tk.note': ['情况说明', 'Note'],
  'tk.save': ['保存', 'Save'],
  'tk.count': ['共 {n} 次更新', '{n} update(s)'],
  'tk.saved': ['已保存', 'Saved'],
  'tk.plan_year': ['{y} 年工作计划（可不填）', 'Work plan for {y} (optional)'],
  'tk.mine': ['您所在单位：{u}，可更新本单位牵头或配合的任务。', 'Your units: {u}; you update the tasks they lead or partner.'],
  'tk.not_member': ['您不属于任何试点单位，只能查看。', 'You belong to no pilot unit: read only.'],
  'not_started': ['未启动', 'not started'], 'in_progress': ['进行中', 'in progress'], 'done': ['已完成', 'done'],
  'delayed': ['滞后', 'delayed'], 'unknown': ['未填报', 'not reported'],
};

const statusWords = {
  applied: ['申请', 'applied'], verified: ['资格审核', 'verified'], appraised: ['评估', 'appraised'], noticed: ['公示', 'noticed'],
  signed: ['签约', 'signed'], transferred: ['林权变更', 'transferred'], in_force: ['履行中', 'in force'], closed: ['办结', 'closed'],
  rejected: ['不予受理', 'rejected'], withdrawn: ['撤回', 'withdrawn'],
};

const pick = (pair) => (pair ? pair[getLang() === 'en' ? 1 : 0] : '');

// st gives a word of the page, with {name} filled from vars.
export function st(key, vars) {
  let s = pick(words[key]) || key;
  for (const [k, v] of Object.entries(vars || {})) s = s.replace(`{${k}}`, v);
  return s;
}

export const caseStatusWord = (s) => pick(statusWords[s]) || s;
