package casefile

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/wuyuan-forestry/ecocomp/internal/cases"
	"github.com/wuyuan-forestry/ecocomp/internal/policy"
	"github.com/wuyuan-forestry/ecocomp/internal/subsidy"
)

// NoticeRow is one case of the public-notice list (公示表).
type NoticeRow struct {
	Number, Mode, Owner, Township, Village string
	Parcels                                []string
	AreaMu                                 subsidy.CentiMu
	Appraised, Indicative                  *policy.Fen
	Start, Ends                            string
}

// Notice is the public-notice list of the cases in notice: what the bureau posts in the
// villages. It is public, so owners' names are always masked.
type Notice struct {
	County string
	Made   time.Time
	Rows   []NoticeRow
	// Where says where and how to object.
	Where string
}

// LoadNotice reads the cases in notice (of one township when township is not ""), oldest
// notice first, with owners masked whoever asks.
func LoadNotice(ctx context.Context, db cases.Querier, who cases.Who, township string, made time.Time) (*Notice, error) {
	list, _, err := cases.List(ctx, db, cases.Filter{Status: cases.Noticed, Township: township}, false)
	if err != nil {
		return nil, err
	}
	n := &Notice{Made: made, Rows: []NoticeRow{}}
	if err := db.QueryRow(ctx, `SELECT coalesce((SELECT name FROM admin_unit WHERE level = 'county' ORDER BY code LIMIT 1), '')`).Scan(&n.County); err != nil {
		return nil, err
	}
	for i := len(list) - 1; i >= 0; i-- {
		c, err := cases.Get(ctx, db, who, list[i].ID, false)
		if err != nil {
			return nil, err
		}
		r := NoticeRow{Number: c.Number, Mode: c.ModeLabel, Owner: c.Owner.Name, Township: list[i].Township, Village: list[i].Village,
			Parcels: list[i].Parcels, AreaMu: c.AreaMu}
		if a := c.Appraisal; a != nil {
			r.Appraised = &a.Appraised
			if a.Indicative > 0 {
				r.Indicative = &a.Indicative
			}
		}
		if c.Notice != nil {
			r.Start, r.Ends = c.Notice.Start, c.Notice.Ends
		}
		n.Rows = append(n.Rows, r)
	}
	n.Where = fmt.Sprintf("对公示内容有异议的，请在公示期内以书面形式向%s林业主管部门提出，写明案件编号、异议事项和理由，并留下联系方式；匿名异议不予受理。", n.County)
	return n, nil
}

func yuan(f *policy.Fen) string {
	if f == nil {
		return "—"
	}
	return f.String()
}

// WritePDF writes the list as an A4 landscape PDF to post.
func (n *Notice) WritePDF(w io.Writer) error {
	title := n.County + "森林资源赎买（收储）等案件公示表"
	p, err := newPDF("L", title, "ecocomp · "+title+" · 制表日期 "+date(n.Made)+" · 权利人姓名已按规定隐去部分", n.Made)
	if err != nil {
		return err
	}
	p.text(margin, margin, p.width-2*margin, 16, "C", title)
	p.SetXY(margin, margin+9)
	p.SetFont(family, "", 9)
	p.MultiCell(p.width-2*margin, 4.5, "下列案件正在公示。"+n.Where+"\n制表日期："+date(n.Made), "", "L", false)
	p.SetXY(margin, p.GetY()+2)
	t := &table{p: p, size: 8, cols: []column{{"序号", 10, "C"}, {"案件编号", 34, "L"}, {"方式", 18, "C"}, {"权利人", 18, "C"},
		{"乡镇、村", 30, "L"}, {"小班号", 45, "L"}, {"面积（亩）", 20, "R"}, {"评估价（元）", 25, "R"}, {"指导价（元）", 25, "R"},
		{"公示期", 42, "C"}}}
	t.head()
	for i, r := range n.Rows {
		t.row(false, strconv.Itoa(i+1), r.Number, r.Mode, r.Owner, r.Township+" "+r.Village, strings.Join(r.Parcels, "\n"),
			r.AreaMu.String(), yuan(r.Appraised), yuan(r.Indicative), r.Start+" 至 "+r.Ends)
	}
	if len(n.Rows) == 0 {
		p.text(margin, p.GetY()+3, p.width-2*margin, 10, "C", "目前没有处于公示期的案件。")
	}
	return p.write(w)
}

// WriteXLSX writes the list as a workbook.
func (n *Notice) WriteXLSX(w io.Writer) error {
	header := []string{"序号", "案件编号", "方式", "权利人", "乡镇", "村", "小班号", "面积（亩）", "评估价（元）", "指导价（元）", "公示开始", "公示截止", "异议受理"}
	rows := make([][]any, len(n.Rows))
	for i, r := range n.Rows {
		rows[i] = []any{i + 1, r.Number, r.Mode, r.Owner, r.Township, r.Village, strings.Join(r.Parcels, "、"), number(r.AreaMu),
			money(r.Appraised), money(r.Indicative), r.Start, r.Ends, n.Where}
	}
	title := n.County + "森林资源赎买（收储）等案件公示表　制表日期 " + date(n.Made)
	return writeSheet(w, "公示表", title, header, rows, map[int]float64{2: 20, 7: 48, 13: 60}, 8, 10)
}

// number is a decimal for a numeric cell.
func number(v fmt.Stringer) float64 {
	x, _ := strconv.ParseFloat(v.String(), 64)
	return x
}

// money is an amount for a numeric cell, empty when there is none.
func money(f *policy.Fen) any {
	if f == nil {
		return ""
	}
	return number(*f)
}

// writeSheet writes one sheet: a title row, a bold header row and the rows, the columns from
// numFrom to numTo (1-based) as numbers with two decimals, widths by column (others 14).
func writeSheet(w io.Writer, sheet, title string, header []string, rows [][]any, widths map[int]float64, numFrom, numTo int) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	twoDecimals, err := f.NewStyle(&excelize.Style{NumFmt: 2}) // 0.00
	if err != nil {
		return err
	}
	put := func(row int, values []any) error {
		for i, v := range values {
			cell, _ := excelize.CoordinatesToCellName(i+1, row)
			if err := f.SetCellValue(sheet, cell, v); err != nil {
				return err
			}
		}
		return nil
	}
	if err := put(1, []any{title}); err != nil {
		return err
	}
	head := make([]any, len(header))
	for i, h := range header {
		head[i] = h
	}
	if err := put(2, head); err != nil {
		return err
	}
	_ = f.SetRowStyle(sheet, 1, 2, bold)
	for i, r := range rows {
		if err := put(i+3, r); err != nil {
			return err
		}
	}
	if len(rows) > 0 {
		a, _ := excelize.CoordinatesToCellName(numFrom, 3)
		b, _ := excelize.CoordinatesToCellName(numTo, len(rows)+2)
		_ = f.SetCellStyle(sheet, a, b, twoDecimals)
	}
	for i := range header {
		col, _ := excelize.ColumnNumberToName(i + 1)
		width, ok := widths[i+1]
		if !ok {
			width = 14
		}
		_ = f.SetColWidth(sheet, col, col, width)
	}
	_ = f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 2, TopLeftCell: "A3", ActivePane: "bottomLeft"})
	return f.Write(w)
}

// StatusLabels are the case states as the bureau's sheets name them.
var StatusLabels = map[string]string{
	cases.Applied: "已申请", cases.Verified: "已核实", cases.Appraised: "已评估", cases.Noticed: "公示中", cases.Signed: "已签约",
	cases.Transferred: "已变更权属", cases.InForce: "履行中", cases.Closed: "已办结", cases.Rejected: "已驳回", cases.Withdrawn: "已撤回",
}

// WriteCaseList writes a case list (GET /api/v1/cases) as a workbook: one row per case and, under
// them, the count of cases per state.
func WriteCaseList(w io.Writer, list []cases.Summary, counts map[string]int, masked bool, made time.Time) error {
	header := []string{"案件编号", "方式", "状态", "权利人", "乡镇", "村", "小班号", "面积（亩）", "合同金额（元）", "已付（元）", "立案时间", "最近更新", "公示开始"}
	rows := make([][]any, 0, len(list)+len(counts)+2)
	for _, s := range list {
		notice := ""
		if s.NoticeStart != nil {
			notice = *s.NoticeStart
		}
		rows = append(rows, []any{s.Number, s.ModeLabel, StatusLabels[s.Status], s.Owner.Name, s.Township, s.Village,
			strings.Join(s.Parcels, "、"), number(s.AreaMu), money(s.Total), number(s.Paid),
			s.OpenedAt.In(cases.China).Format("2006-01-02 15:04"), s.UpdatedAt.In(cases.China).Format("2006-01-02 15:04"), notice})
	}
	rows = append(rows, []any{})
	for _, st := range cases.Statuses() {
		rows = append(rows, []any{"状态：" + StatusLabels[st], counts[st]})
	}
	title := "赎买等案件清单　导出时间 " + made.In(cases.China).Format("2006-01-02 15:04")
	if masked {
		title += "　（权利人姓名已部分隐去）"
	}
	return writeSheet(w, "案件", title, header, rows, map[int]float64{1: 20, 7: 48}, 8, 10)
}
