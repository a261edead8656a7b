package pilot

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// StatusLabel names a task status in Chinese.
var StatusLabel = map[string]string{"not_started": "未启动", "in_progress": "进行中", "done": "已完成", "delayed": "滞后", "unknown": "未填报"}

func unitNames(us []Unit) string {
	names := make([]string, len(us))
	for i, u := range us {
		names[i] = u.Name
	}
	return strings.Join(names, "、")
}

func number(n interface{ String() string }) any {
	if f, err := strconv.ParseFloat(n.String(), 64); err == nil {
		return f
	}
	return n.String()
}

// WriteLedger writes the 工作台账: sheet 指标 (each indicator against its target, with its latest
// entry and progress) and sheet 任务 (each task with its units, yearly plan and status — the
// latest update's, with its note, day, unit and who reported it).
func WriteLedger(ctx context.Context, db Querier, w io.Writer) error {
	b, err := Indicators(ctx, db)
	if err != nil {
		return err
	}
	tl, err := Tasks(ctx, db)
	if err != nil {
		return err
	}
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", "指标"); err != nil {
		return err
	}
	if _, err := f.NewSheet("任务"); err != nil {
		return err
	}
	title := fmt.Sprintf("生态综合补偿试点工作台账（%s）", b.Version.Version)
	ind := [][]any{{title}, {"序号", "指标", "计量单位", "目标值", "目标年度", "牵头单位", "配合单位", "最新值", "填报日期", "填报单位", "完成率(%)", "是否达标", "方案原文"}}
	for i, in := range b.Indicators {
		row := []any{i + 1, in.Name, in.Measure, number(in.Target), in.Year, in.LeadUnit.Name, unitNames(in.PartnerUnits), "", "", "", number(in.ProgressPct), "否", in.Quote}
		if in.Latest != nil {
			row[7], row[8], row[9] = number(in.Latest.Value), in.Latest.On, in.Latest.Unit.Name
		}
		if in.Met {
			row[11] = "是"
		}
		ind = append(ind, row)
	}
	tasks := [][]any{{title}, {fmt.Sprintf("已载入任务 %d 项，方案共 %d 项", tl.TasksLoaded, tl.TasksInPlan)},
		{"序号", "方案编号", "任务", "牵头单位", "配合单位", "年度工作计划", "状态", "情况说明", "更新日期", "填报单位", "填报人", "更新次数"}}
	if !tl.Complete {
		tasks[1] = append(tasks[1], "（清单不完整："+tl.Note+"）")
	}
	for i, t := range tl.Tasks {
		var plan []string
		for _, p := range t.Plan {
			plan = append(plan, fmt.Sprintf("%d年：%s", p.Year, p.Work))
		}
		num := any("")
		if t.Number != nil {
			num = *t.Number
		}
		row := []any{i + 1, num, t.Title, t.LeadUnit.Name, unitNames(t.PartnerUnits), strings.Join(plan, "\n"), StatusLabel[t.Status], "", "", "", "", len(t.Updates)}
		if t.Latest != nil {
			row[7], row[8], row[9], row[10] = t.Latest.Note, t.Latest.On, t.Latest.Unit.Name, t.Latest.EnteredBy
		}
		tasks = append(tasks, row)
	}
	for sheet, rows := range map[string][][]any{"指标": ind, "任务": tasks} {
		for i, r := range rows {
			cell, _ := excelize.CoordinatesToCellName(1, i+1)
			if err := f.SetSheetRow(sheet, cell, &r); err != nil {
				return err
			}
		}
		_ = f.SetColWidth(sheet, "B", "C", 30)
	}
	return f.Write(w)
}
