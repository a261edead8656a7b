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
