package stats

import (
	"fmt"
	"io"
	"strconv"

	"github.com/xuri/excelize/v2"
)

// sheetName is the table's Chinese title cut to Excel's 31 characters.
func sheetName(s string) string {
	r := []rune(s)
	if len(r) > 31 {
		r = r[:31]
	}
	return string(r)
}

// numFmt is the custom number format of a measure.
func numFmt(measure string) string {
	switch measure {
	case AreaHa:
		return "0.0000"
	case StockM3:
		return "0.0"
	case Parcels:
		return "0"
	default:
		return "0.00"
	}
}

// WriteXLSX writes the table as a workbook of one sheet: the title, the unit and date, two (or,
// for ownership, three) merged header rows, then the 合计 block and each sub-unit with its 小计,
// numbers as numbers, and the notes.
func (t *Table) WriteXLSX(w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	sheet := sheetName(t.TitleZH)
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	header, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true},
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true},
		Border:    borders()})
	if err != nil {
		return err
	}
	styles := map[string][2]int{} // measure → plain, bold
	for _, m := range []string{AreaMu, AreaHa, StockM3, Parcels, ComputedMu} {
		fm := numFmt(m)
		plain, err := f.NewStyle(&excelize.Style{CustomNumFmt: &fm, Border: borders()})
		if err != nil {
			return err
		}
		b, err := f.NewStyle(&excelize.Style{CustomNumFmt: &fm, Font: &excelize.Font{Bold: true}, Border: borders()})
		if err != nil {
			return err
		}
		styles[m] = [2]int{plain, b}
	}
	text, _ := f.NewStyle(&excelize.Style{Border: borders()})
	textBold, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Border: borders()})

	// Leading columns: unit, code, and the row class.
	lead := []string{"单位", "代码"}
	if t.RowClass != nil {
		lead = append(lead, t.RowClass.LabelZH)
	}
	hasSuper := false
	for _, c := range t.Columns {
		if c.Super != "" {
			hasSuper = true
		}
	}
	top := 3 // first header row
	levels := 2
	if hasSuper {
		levels = 3
	}
	last := len(lead) + len(t.Columns)
	lastCell, _ := excelize.CoordinatesToCellName(last, 1)
	if err := f.SetCellValue(sheet, "A1", t.TitleZH); err != nil {
		return err
	}
	_ = f.MergeCell(sheet, "A1", lastCell)
	_ = f.SetCellStyle(sheet, "A1", "A1", bold)
	_ = f.SetCellValue(sheet, "A2", fmt.Sprintf("统计单位：%s（%s）    统计时点：%s    面积单位：亩、公顷；蓄积：立方米", t.Unit.Name, t.Unit.Code, t.AsOf))
	for i, l := range lead {
		a, _ := excelize.CoordinatesToCellName(i+1, top)
		b, _ := excelize.CoordinatesToCellName(i+1, top+levels-1)
		_ = f.SetCellValue(sheet, a, l)
		_ = f.MergeCell(sheet, a, b)
		_ = f.SetCellStyle(sheet, a, b, header)
	}
	// Runs of columns with equal headers are merged; a group without a super header spans both
	// upper header rows.
	runs := func(key func(Column) string, do func(from, to int)) {
		start := 0
		for i := 1; i <= len(t.Columns); i++ {
			if i < len(t.Columns) && key(t.Columns[i]) == key(t.Columns[start]) {
				continue
			}
			do(start, i-1)
			start = i
		}
	}
	put := func(c0, r0, c1, r1 int, v string) {
		a, b := mustCell(len(lead)+c0+1, r0), mustCell(len(lead)+c1+1, r1)
		_ = f.SetCellValue(sheet, a, v)
		if a != b {
			_ = f.MergeCell(sheet, a, b)
		}
		_ = f.SetCellStyle(sheet, a, b, header)
	}
	groupRow := top
	if hasSuper {
		groupRow = top + 1
		runs(func(c Column) string {
			if c.Super == "" {
				return "g:" + c.Group
			}
			return "s:" + c.Super
		}, func(from, to int) {
			c := t.Columns[from]
			if c.Super == "" {
				put(from, top, to, top+1, c.GroupZH)
			} else {
				put(from, top, to, top, c.Super)
			}
		})
	}
	runs(func(c Column) string { return c.Super + "/" + c.Group }, func(from, to int) {
		c := t.Columns[from]
		if !hasSuper || c.Super != "" {
			put(from, groupRow, to, groupRow, c.GroupZH)
		}
	})
	row := groupRow + 1
	for i, c := range t.Columns {
		put(i, row, i, row, c.LabelZH)
	}
	row++
	for _, r := range t.Rows {
		st := 0
		tst := text
		if r.Subtotal {
			st, tst = 1, textBold
		}
		name := r.UnitName
		if r.Kind == "total" && r.Class == "" {
			name = r.UnitName + "（合计）"
		} else if r.Kind == "subtotal" {
			name = r.UnitName + "（小计）"
		}
		vals := []any{name, r.UnitCode}
		if t.RowClass != nil {
			vals = append(vals, r.ClassLabel)
		}
		for i, v := range vals {
			a, _ := excelize.CoordinatesToCellName(i+1, row)
			_ = f.SetCellValue(sheet, a, v)
			_ = f.SetCellStyle(sheet, a, a, tst)
		}
		for i, c := range t.Columns {
			a, _ := excelize.CoordinatesToCellName(len(lead)+i+1, row)
			_ = f.SetCellStyle(sheet, a, a, styles[c.Measure][st])
			s, ok := r.Values[c.Key]
			if !ok {
				continue
			}
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return fmt.Errorf("xlsx: %s %s: %w", r.UnitCode, c.Key, err)
			}
			if err := f.SetCellFloat(sheet, a, v, -1, 64); err != nil {
				return err
			}
		}
		row++
	}
	row++
	for _, n := range t.Notes {
		a, _ := excelize.CoordinatesToCellName(1, row)
		_ = f.SetCellValue(sheet, a, n)
		row++
	}
	_ = f.SetColWidth(sheet, "A", "A", 18)
	_ = f.SetColWidth(sheet, "B", "B", 14)
	if err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, XSplit: len(lead), YSplit: top + levels - 1,
		TopLeftCell: mustCell(len(lead)+1, top+levels), ActivePane: "bottomRight"}); err != nil {
		return err
	}
	return f.Write(w)
}

func mustCell(col, row int) string {
	c, _ := excelize.CoordinatesToCellName(col, row)
	return c
}

func borders() []excelize.Border {
	var out []excelize.Border
	for _, s := range []string{"left", "right", "top", "bottom"} {
		out = append(out, excelize.Border{Type: s, Color: "000000", Style: 1})
	}
	return out
}

// WriteXLSX writes the change as a workbook: the transition matrix (from classes down, to
// classes across, with 合计) and the list of changed parcels.
func (c *Change) WriteXLSX(w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	sheet := "地类转移矩阵"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	header, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: &excelize.Alignment{Horizontal: "center", WrapText: true}, Border: borders()})
	fm := "0.00"
	num, _ := f.NewStyle(&excelize.Style{CustomNumFmt: &fm, Border: borders()})
	_ = f.SetCellValue(sheet, "A1", fmt.Sprintf("地类转移矩阵（亩）：%s（%s） %s 至 %s", c.Unit.Name, c.Unit.Code, c.From, c.To))
	froms := append([]ClassLabel{}, c.Classes...)
	froms = append(froms, ClassLabel{Code: Added, Label: "新增"}, ClassLabel{Code: Revised, Label: "面积变更"})
	tos := append([]ClassLabel{}, c.Classes...)
	tos = append(tos, ClassLabel{Code: Retired, Label: "减少（退出）"})
	cell := map[[2]string]float64{}
	for _, m := range c.Matrix {
		v, _ := strconv.ParseFloat(m.AreaMu, 64)
		cell[[2]string{m.From, m.To}] = v
	}
	_ = f.SetCellValue(sheet, "A2", "前期地类 \\ 后期地类")
	_ = f.SetCellStyle(sheet, "A2", "A2", header)
	for j, t := range tos {
		a := mustCell(j+2, 2)
		_ = f.SetCellValue(sheet, a, t.Label)
		_ = f.SetCellStyle(sheet, a, a, header)
	}
	tot := mustCell(len(tos)+2, 2)
	_ = f.SetCellValue(sheet, tot, "合计")
	_ = f.SetCellStyle(sheet, tot, tot, header)
	for i, fr := range froms {
		r := i + 3
		a := mustCell(1, r)
		_ = f.SetCellValue(sheet, a, fr.Label)
		_ = f.SetCellStyle(sheet, a, a, header)
		for j, t := range tos {
			a := mustCell(j+2, r)
			_ = f.SetCellFloat(sheet, a, cell[[2]string{fr.Code, t.Code}], 2, 64)
			_ = f.SetCellStyle(sheet, a, a, num)
		}
		a = mustCell(len(tos)+2, r)
		_ = f.SetCellFormula(sheet, a, fmt.Sprintf("SUM(%s:%s)", mustCell(2, r), mustCell(len(tos)+1, r)))
		_ = f.SetCellStyle(sheet, a, a, num)
	}
	list := "变化小班"
	if _, err := f.NewSheet(list); err != nil {
		return err
	}
	heads := []string{"小班编号", "变化", "前期地类", "后期地类", "前期面积（亩）", "后期面积（亩）", "批次", "批次来源", "时间", "相关小班"}
	for j, h := range heads {
		a := mustCell(j+1, 1)
		_ = f.SetCellValue(list, a, h)
		_ = f.SetCellStyle(list, a, a, header)
	}
	for i, pc := range c.Changes {
		r := i + 2
		var batch any
		if pc.Batch != nil {
			batch = *pc.Batch
		}
		vals := []any{pc.Code, pc.Change, pc.FromDiLei, pc.ToDiLei, numOrNil(pc.AreaMuBefore), numOrNil(pc.AreaMuAfter), batch, pc.BatchSource, pc.At, fmt.Sprint(pc.Related)}
		for j, v := range vals {
			_ = f.SetCellValue(list, mustCell(j+1, r), v)
		}
	}
	return f.Write(w)
}

func numOrNil(s string) any {
	if s == "" {
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return s
	}
	return v
}
