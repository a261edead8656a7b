package overview

import (
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"
)

// statusLabel names a case state in Chinese.
var statusLabel = map[string]string{
	"applied": "申请", "verified": "资格审核", "appraised": "评估", "noticed": "公示", "signed": "签约",
	"transferred": "林权变更", "in_force": "履行中", "closed": "办结", "rejected": "不予受理", "withdrawn": "撤回",
}

// modeLabel names an eligibility mode in Chinese.
var modeLabel = map[string]string{
	"buyout": "赎买", "swap": "置换", "lease": "租赁", "custody": "托管", "equity": "股权合作",
	"concession": "特许经营", "closure_agreement": "协议封育", "": "（未定）",
}

func num(h int64) float64 { return float64(h) / 100 }

// WriteXLSX writes the overview as one sheet 补偿概览, a block per panel.
func WriteXLSX(w io.Writer, o *Overview) error {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "补偿概览"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	rows := [][]any{{fmt.Sprintf("%s %d 年生态补偿概览", o.Unit.Name, o.Year)}, {"政策版本", o.PolicyVersion}, {}, {"一、补贴（按项目）"},
		{"项目", "名称", "小班数", "面积(亩)", "金额(元)"}}
	for _, p := range o.Subsidies.Programs {
		rows = append(rows, []any{p.Program, p.Name, p.Parcels, num(int64(p.AreaMu)), num(int64(p.AmountYuan))})
	}
	rows = append(rows, []any{"合计", "", "", "", num(int64(o.Subsidies.TotalYuan))}, []any{}, []any{"二、可赎买（按功能区与方式）"},
		[]any{"功能区", "方式", "小班数", "面积(亩)", "参考价(元)"})
	for _, e := range o.Eligibility.Rows {
		zone := e.Zone
		if zone == "" {
			zone = "区外"
		}
		rows = append(rows, []any{zone, modeLabel[e.Mode], e.Parcels, num(int64(e.AreaMu)), num(int64(e.CostYuan))})
	}
	rows = append(rows, []any{"合计（每小班计一次）", "", o.Eligibility.Parcels, num(int64(o.Eligibility.AreaMu)), num(int64(o.Eligibility.CostYuan))},
		[]any{}, []any{"三、赎买案件（按状态）"}, []any{"状态", "件数", "面积(亩)"})
	for _, c := range o.Cases.ByStatus {
		rows = append(rows, []any{statusLabel[c.Status], c.Cases, num(int64(c.AreaMu))})
	}
	budget := any("")
	if o.Cases.BudgetYuan != nil {
		budget = num(int64(*o.Cases.BudgetYuan))
	}
	rows = append(rows, []any{"合计", o.Cases.Total}, []any{"本年签约(元)", num(int64(o.Cases.CommittedYuan)), "本年支付(元)", num(int64(o.Cases.PaidYuan)), "本年预算(元)", budget},
		[]any{}, []any{"四、湿地银行信用"}, []any{"", "签发", "释放", "售出", "本年售出金额(元)"},
		[]any{"累计", num(int64(o.Wetland.Issued)), num(int64(o.Wetland.Released)), num(int64(o.Wetland.Sold))},
		[]any{"本年", num(int64(o.Wetland.YearIssued)), num(int64(o.Wetland.YearReleased)), num(int64(o.Wetland.YearSold)), num(int64(o.Wetland.YearProceedsYuan))},
		[]any{}, []any{"五、管护（" + o.Care.On + "）"}, []any{"责任区", "有护林员的责任区", "护林员", "管护对象小班", "管护对象(亩)", "责任区外小班", "责任区外(亩)"},
		[]any{o.Care.Areas, o.Care.AreasWithRanger, o.Care.Rangers, o.Care.TargetParcels, num(int64(o.Care.TargetMu)), o.Care.OutsideParcels, num(int64(o.Care.OutsideMu))})
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(sheet, cell, &r); err != nil {
			return err
		}
	}
	_ = f.SetColWidth(sheet, "A", "G", 16)
	return f.Write(w)
}
