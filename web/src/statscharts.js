// ECharts for the statistics page, only the parts it uses (pie and bar charts on a canvas), so
// the bundle stays small; everything is bundled by esbuild, nothing comes from a CDN.

import * as echarts from 'echarts/core';
import { PieChart, BarChart } from 'echarts/charts';
import { TooltipComponent, LegendComponent, GridComponent, MarkLineComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([PieChart, BarChart, TooltipComponent, LegendComponent, GridComponent, MarkLineComponent, CanvasRenderer]);

const palette = ['#2e7d32', '#66bb6a', '#a5d6a7', '#8d6e63', '#ffb300', '#4fc3f7', '#7e57c2', '#ef5350', '#26a69a', '#bdbdbd', '#5c6bc0', '#d4e157'];

// draw renders option into el (one chart per element, reused), without animation so that a
// screenshot or a print shows the final picture.
export function draw(el, option) {
  const chart = echarts.getInstanceByDom(el) || echarts.init(el, null, { renderer: 'canvas' });
  chart.setOption({ animation: false, color: palette, textStyle: { fontFamily: 'system-ui, "Noto Sans CJK SC", sans-serif' }, ...option }, true);
  return chart;
}

export function dispose(el) {
  const c = echarts.getInstanceByDom(el);
  if (c) c.dispose();
}

export function resizeAll(els) {
  for (const el of els) echarts.getInstanceByDom(el)?.resize();
}
