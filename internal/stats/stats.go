// Package stats computes the bureau's inventory statistics from the parcel history: the tables a
// forest management inventory (森林资源规划设计调查) report publishes — land area by land class,
// forest area and stock by origin and category or forest type, arbor forest by age group and
// dominant species, area by ownership, public-welfare forest by administrative level and
// protection grade — for the county, a township or a village as the history stood at any
// instant, and what changed between two instants (change.go).
//
// The tables read parcel_stats (migration 00033), a summary of the parcel history that statement
// triggers keep exact: per grouping set of attributes, a row per village, value combination and
// validity period — a few hundred rows per village where there are thousands of parcels.
//
// Areas are the legal MIAN_JI (ha, 4 decimals) summed as numeric in PostgreSQL and carried in
// Go as integers of 0.0001 ha; 亩 = ha × 15 exactly, rounded to 0.01 only when printed. Stock is
// XU_JI in m³ (integers of 0.1 m³). The computed area (the geometry's planar area in EPSG:4548)
// is shown beside a total only where it differs from the legal one by more than TolerancePct.
//
// The layout — a block of 合计 rows for the unit asked for, then each sub-unit with its 小计 row,
// two header levels (a code or code group over 面积（亩）, 面积（公顷）, 蓄积) — follows common
// practice of inventory reports. GB/T 26424's own table text was not available offline, so the
// layout is NOT verified against the standard's wording.
package stats

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
)

// DB is what the package needs of a pool or a transaction.
type DB interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// TolerancePct is how far (per cent of the legal area) the computed area of a row may stray
// before it is shown beside the legal one: the parcel QA threshold of the domain (0.5 %).
const TolerancePct = "0.5"

// tolerance is TolerancePct as a fraction.
const tolerance = 0.005

// LayoutNote says where the tables' layout comes from; it goes into every table and workbook.
const LayoutNote = "表式参照森林资源规划设计调查成果统计表的通行做法（两级表头、合计与小计行），未经 GB/T 26424 标准原文核对。" +
	" The layout follows common practice of inventory reports; it is not verified against GB/T 26424's text."

// Measures of a column.
const (
	AreaMu     = "area_mu"
	AreaHa     = "area_ha"
	StockM3    = "stock_m3"
	Parcels    = "parcels"
	ComputedMu = "computed_mu"
)

// None is the group of parcels without the code a table groups by (or with a code outside the
// table's groups): 未区分.
const None = "none"

// group is a column or row class: a code of the dictionary or a named set of codes.
type group struct {
	key    string
	zh, en string   // empty: the dictionary label of key
	codes  []string // empty: just key
}

// def is one table.
type def struct {
	key, titleZH, titleEN string
	// filter restricts the parcels counted (SQL over p, no parameters); filterZH says it.
	filter, filterZH string
	// rowField is the parcel column of the row classes ("" for units only); rowDict its
	// dictionary field; rows its classes (nil: every code of the dictionary).
	rowField, rowDict, rowZH, rowEN string
	rows                            []group
	// colField, colDict, cols: the same for the column groups.
	colField, colDict string
	cols              []group
	// stock adds a 蓄积 column to each group.
	stock bool
	// gset is the grouping set of parcel_stats that holds the table's columns (migration 00033).
	gset int
	// extra column dimension (ownership: land and trees side by side).
	col2Field, col2Dict, col2ZH, col2EN string
	colZH, colEN                        string
}

var forestFilter = `p.di_lei IN ('030100', '030200', '030301')`

var defs = []def{
	{key: "land_class", titleZH: "各类土地面积统计表", titleEN: "Land area by land class",
		filter: "true", filterZH: "全部小班",
		colField: "di_lei", colDict: "DI_LEI", colZH: "地类", colEN: "land class", gset: 1},
	{key: "forest_origin_category", titleZH: "森林面积蓄积按起源和森林类别统计表", titleEN: "Forest area and stock by origin and forest category",
		filter: forestFilter, filterZH: "森林：地类 030100 乔木林地、030200 竹林地、030301 特殊灌木林地",
		rowField: "qi_yuan", rowDict: "QI_YUAN", rowZH: "起源", rowEN: "origin", rows: origins,
		colField: "sen_lin_lb", colDict: "SEN_LIN_LB", colZH: "森林类别", colEN: "forest category", stock: true, gset: 1},
	{key: "forest_origin_type", titleZH: "森林面积蓄积按起源和林种统计表", titleEN: "Forest area and stock by origin and forest type",
		filter: forestFilter, filterZH: "森林：地类 030100 乔木林地、030200 竹林地、030301 特殊灌木林地",
		rowField: "qi_yuan", rowDict: "QI_YUAN", rowZH: "起源", rowEN: "origin", rows: origins,
		colField: "lin_zhong", colDict: "LIN_ZHONG", colZH: "林种", colEN: "forest type", cols: forestTypes, stock: true, gset: 1},
	{key: "arbor_age_species", titleZH: "乔木林各龄组面积蓄积按优势树种统计表", titleEN: "Arbor forest area and stock by age group and dominant species",
		filter: `p.di_lei = '030100'`, filterZH: "乔木林：地类 030100 乔木林地",
		rowField: "you_shi_sz", rowDict: "YOU_SHI_SZ", rowZH: "优势树种", rowEN: "dominant species",
		colField: "ling_zu", colDict: "LING_ZU", colZH: "龄组", colEN: "age group", stock: true, gset: 2},
	{key: "ownership", titleZH: "林地面积按权属统计表", titleEN: "Forest land area by ownership",
		filter: "true", filterZH: "全部小班",
		colField: "ld_qs", colDict: "LD_QS", colZH: "林地所有权", colEN: "land ownership",
		col2Field: "lm_qs", col2Dict: "LM_QS", col2ZH: "林木所有权", col2EN: "tree ownership", gset: 3},
	{key: "public_welfare", titleZH: "公益林面积按事权等级和保护等级统计表", titleEN: "Public-welfare forest area by administrative level and protection grade",
		filter: `p.sen_lin_lb IN ('011', '012')`, filterZH: "公益林：森林类别 011 重点公益林、012 一般公益林",
		rowField: "shi_quan_d", rowDict: "SHI_QUAN_D", rowZH: "事权等级", rowEN: "administrative level",
		colField: "bh_dj", colDict: "BH_DJ", colZH: "林地保护等级", colEN: "protection grade", stock: true, gset: 4},
}

// origins groups QI_YUAN into natural (1x) and planted (2x) forest, by the dictionary's codes.
var origins = []group{
	{key: "natural", zh: "天然", en: "natural", codes: []string{"11", "12", "13"}},
	{key: "planted", zh: "人工", en: "planted", codes: []string{"21", "22", "23", "24"}},
}

// forestTypes groups LIN_ZHONG into the five forest types (林种) of the 2020 codes as the
// dictionary holds them since migration 00019 (240 能源林, 251–255 经济林).
var forestTypes = []group{
	{key: "protection", zh: "防护林", en: "protection forest", codes: []string{"111", "112", "113", "114", "115", "116", "117"}},
	{key: "special", zh: "特用林", en: "special-purpose forest", codes: []string{"121", "122", "123", "124", "125", "126", "127"}},
	{key: "timber", zh: "用材林", en: "timber forest", codes: []string{"231", "232", "233"}},
	{key: "economic", zh: "经济林", en: "economic forest", codes: []string{"251", "252", "253", "254", "255"}},
	{key: "energy", zh: "能源林", en: "energy forest", codes: []string{"240"}},
}

// Info names a table for lists.
type Info struct {
	Table    string    `json:"table"`
	TitleZH  string    `json:"title_zh"`
	TitleEN  string    `json:"title_en"`
	RowClass *RowClass `json:"row_class"`
}

// RowClass says what the class rows of a table are.
type RowClass struct {
	Field   string `json:"field"`
	LabelZH string `json:"label_zh"`
	LabelEN string `json:"label_en"`
}

// Tables lists the tables in display order.
func Tables() []Info {
	out := make([]Info, len(defs))
	for i, d := range defs {
		out[i] = Info{Table: d.key, TitleZH: d.titleZH, TitleEN: d.titleEN, RowClass: d.rowClass()}
	}
	return out
}

func (d def) rowClass() *RowClass {
	if d.rowField == "" {
		return nil
	}
	return &RowClass{Field: d.rowDict, LabelZH: d.rowZH, LabelEN: d.rowEN}
}

func lookup(key string) (def, bool) {
	for _, d := range defs {
		if d.key == key {
			return d, true
		}
	}
	return def{}, false
}

// Unit is an administrative unit.
type Unit struct {
	Code  string `json:"code"`
	Name  string `json:"name"`
	Level string `json:"level"`
}

// Column is one column of a table.
type Column struct {
	Key     string `json:"key"`
	LabelZH string `json:"label_zh"`
	LabelEN string `json:"label_en"`
	Unit    string `json:"unit"`
	Group   string `json:"group"`
	GroupZH string `json:"group_zh"`
	GroupEN string `json:"group_en"`
	// Measure is the measure part of Key (area_mu …).
	Measure string `json:"-"`
	// Super is a header above the group (ownership: 林地所有权 / 林木所有权), "" for none.
	Super string `json:"-"`
}

// Row is one row of a table.
type Row struct {
	UnitCode   string            `json:"unit_code"`
	UnitName   string            `json:"unit_name"`
	Level      string            `json:"level"`
	Kind       string            `json:"kind"` // total, subtotal, detail
	Subtotal   bool              `json:"subtotal"`
	Class      string            `json:"class"`
	ClassLabel string            `json:"class_label"`
	Values     map[string]string `json:"values"`
}

// Table is one computed statistics table.
type Table struct {
	Table        string    `json:"table"`
	TitleZH      string    `json:"title_zh"`
	TitleEN      string    `json:"title_en"`
	Unit         Unit      `json:"unit"`
	AsOf         string    `json:"as_of"`
	AsOfInstant  string    `json:"as_of_instant"`
	RowClass     *RowClass `json:"row_class"`
	Columns      []Column  `json:"columns"`
	Rows         []Row     `json:"rows"`
	TolerancePct string    `json:"tolerance_pct"`
	Parcels      int64     `json:"parcels"`
	Notes        []string  `json:"notes"`
}

// China is the county's time zone: dates are its calendar days.
var China = time.FixedZone("CST", 8*3600)

// ParseAsOf reads an as_of (or from/to) parameter: a county calendar day YYYY-MM-DD means the
// end of that day; an RFC 3339 instant means itself. Empty is now.
func ParseAsOf(param, s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return now, nil
	}
	if d, err := time.ParseInLocation("2006-01-02", s, China); err == nil {
		return d.Add(24*time.Hour - time.Microsecond), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	return time.Time{}, apperr.BadParam(param, "%q is not a date; write a county calendar day YYYY-MM-DD (the end of that day counts), e.g. 2026-06-30, or an RFC 3339 instant", s)
}

// FindUnit reads an administrative unit by code (6, 9 or 12 digits).
func FindUnit(ctx context.Context, db DB, code string) (Unit, error) {
	code = strings.TrimSpace(code)
	var u Unit
	err := db.QueryRow(ctx, `SELECT code, name, level FROM admin_unit WHERE code = $1`, code).Scan(&u.Code, &u.Name, &u.Level)
	if err == pgx.ErrNoRows {
		return u, apperr.New(apperr.NotFound, "there is no administrative unit %q: give the county (6 digits), a township (9) or a village (12) code of GET /api/v1/townships", code)
	}
	return u, err
}

// County is the county of the parcels (the one county unit), for a default unit.
func County(ctx context.Context, db DB) (Unit, error) {
	var u Unit
	err := db.QueryRow(ctx, `SELECT code, name, level FROM admin_unit WHERE level = 'county' ORDER BY code LIMIT 1`).Scan(&u.Code, &u.Name, &u.Level)
	if err == pgx.ErrNoRows {
		return u, apperr.New(apperr.NotFound, "no county is loaded: run `ecocomp seed demo` or import the administrative units first")
	}
	return u, err
}

// current reports whether an as_of asks for the current state: none given (the caller's "now"
// is already past by the time it is compared), or an instant not in the past.
func current(t time.Time, asOfText string) bool {
	return asOfText == "" || !t.Before(time.Now())
}

// versionAt is the SQL condition for the parcel version in force at $1, or for the current one.
func versionAt(cur bool) string {
	if cur {
		return `p.valid_to IS NULL`
	}
	return `p.valid_from <= $1 AND (p.valid_to IS NULL OR p.valid_to > $1)`
}

// unitColumns returns the parcel column a unit filters on and the one its sub-units are.
func unitColumns(level string) (filter, sub string) {
	switch level {
	case "county":
		return "p.xian", "p.township_code"
	case "township":
		return "p.township_code", "p.village_code"
	default:
		return "p.village_code", "p.village_code"
	}
}

// agg is a sum of parcels: count, legal area in 0.0001 ha, stock in 0.1 m³, computed area m².
type agg struct {
	n, ha, stock int64
	m2           float64
}

func (a *agg) add(b agg) { a.n += b.n; a.ha += b.ha; a.stock += b.stock; a.m2 += b.m2 }

// Compute computes table key for unit (the county when unit.Code is empty) as of t.
func Compute(ctx context.Context, db DB, key string, unit Unit, t time.Time, asOfText string) (*Table, error) {
	d, ok := lookup(key)
	if !ok {
		names := make([]string, len(defs))
		for i, x := range defs {
			names[i] = x.key
		}
		return nil, apperr.New(apperr.NotFound, "there is no statistics table %q; the tables are %s (GET /api/v1/stats lists them)", key, strings.Join(names, ", "))
	}
	labels, err := dictionary(ctx, db)
	if err != nil {
		return nil, err
	}
	subs, err := subUnits(ctx, db, unit)
	if err != nil {
		return nil, err
	}
	cur := current(t, asOfText)
	unitCol, subCol := unitColumns(unit.Level)
	rowExpr, colExpr, col2Expr := "''", "p."+d.colField, "''"
	if d.rowField != "" {
		rowExpr = "p." + d.rowField
	}
	if d.col2Field != "" {
		col2Expr = "p." + d.col2Field
	}
	// Identifiers come from the fixed table definitions above, never from the request.
	q := `SELECT ` + subCol + `, coalesce(` + rowExpr + `, ''), coalesce(` + colExpr + `, ''), coalesce(` + col2Expr + `, ''),
	       sum(p.parcels)::bigint, (sum(p.mian_ji) * 10000)::bigint, (sum(p.xu_ji) * 10)::bigint, sum(p.area_plane_m2)
	FROM parcel_stats p
	WHERE p.gset = ` + strconv.Itoa(d.gset) + ` AND ` + versionAt(cur) + ` AND ` + unitCol + ` = $2 AND ` + d.filter + `
	GROUP BY 1, 2, 3, 4`
	args := []any{t, unit.Code}
	if cur {
		q = strings.Replace(q, "$2", "$1", 1)
		args = []any{unit.Code}
	}
	rows, err := db.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	type cell struct{ sub, row, col, col2 string }
	cells := map[cell]agg{}
	for rows.Next() {
		var c cell
		var a agg
		if err := rows.Scan(&c.sub, &c.row, &c.col, &c.col2, &a.n, &a.ha, &a.stock, &a.m2); err != nil {
			rows.Close()
			return nil, err
		}
		cells[c] = a
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}

	rowGroups := d.rowGroups(labels)
	colGroups := d.colGroups(labels, d.colField, d.colDict, d.cols)
	var col2Groups []group
	if d.col2Field != "" {
		col2Groups = d.colGroups(labels, d.col2Field, d.col2Dict, nil)
	}
	// Sums: per sub-unit and row class ("" = all), per column group ("total" = all).
	type key2 struct{ sub, row string }
	sums := map[key2]map[string]*agg{}
	addTo := func(k key2, col string, a agg) {
		m := sums[k]
		if m == nil {
			m = map[string]*agg{}
			sums[k] = m
		}
		if m[col] == nil {
			m[col] = &agg{}
		}
		m[col].add(a)
	}
	subKnown := map[string]bool{}
	for _, s := range subs {
		subKnown[s.Code] = true
	}
	var total int64
	for c, a := range cells {
		if !subKnown[c.sub] {
			subKnown[c.sub] = true
			subs = append(subs, Unit{Code: c.sub, Name: "（未登记单位 " + c.sub + "）", Level: subLevel(unit.Level)})
		}
		total += a.n
		r := groupOf(rowGroups, c.row)
		cg := groupOf(colGroups, c.col)
		targets := []string{c.sub, unit.Code}
		if c.sub == unit.Code { // a village: its own only row
			targets = targets[:1]
		}
		for _, sub := range targets {
			for _, rk := range []string{"", r} {
				if rk == "" || d.rowField != "" {
					addTo(key2{sub, rk}, "total", a)
					addTo(key2{sub, rk}, "c:"+cg, a)
					if d.col2Field != "" {
						addTo(key2{sub, rk}, "d:"+groupOf(col2Groups, c.col2), a)
					}
				}
			}
		}
	}

	out := &Table{Table: d.key, TitleZH: d.titleZH, TitleEN: d.titleEN, Unit: unit, AsOf: asOfText,
		AsOfInstant: t.In(China).Format(time.RFC3339), RowClass: d.rowClass(), TolerancePct: TolerancePct, Parcels: total}
	if out.AsOf == "" {
		out.AsOf = t.In(China).Format("2006-01-02")
	}
	// Columns.
	type colRef struct {
		prefix string
		g      group
	}
	var refs []colRef
	out.Columns = append(out.Columns, d.measures("total", "合计", "total", "")...)
	out.Columns = append(out.Columns,
		Column{Key: "total." + Parcels, LabelZH: "小班数", LabelEN: "parcels", Unit: "个", Group: "total", GroupZH: "合计", GroupEN: "total", Measure: Parcels},
		Column{Key: "total." + ComputedMu, LabelZH: "图形面积（亩）", LabelEN: "computed area (mu)", Unit: "亩", Group: "total", GroupZH: "合计", GroupEN: "total", Measure: ComputedMu})
	for _, g := range colGroups {
		refs = append(refs, colRef{"c:", g})
		out.Columns = append(out.Columns, d.measures(g.key, g.zh, g.en, d.superZH(false))...)
	}
	for _, g := range col2Groups {
		refs = append(refs, colRef{"d:", g})
		// Land and tree ownership share codes: the tree groups' keys are prefixed.
		cols := d.measures("lm_"+g.key, g.zh, g.en, d.superZH(true))
		out.Columns = append(out.Columns, cols...)
	}
	values := func(m map[string]*agg) map[string]string {
		v := map[string]string{}
		put := func(prefix string, a *agg) {
			if a == nil {
				a = &agg{}
			}
			v[prefix+"."+AreaMu] = formatMu(a.ha)
			v[prefix+"."+AreaHa] = formatScaled(a.ha, 4)
			if d.stock {
				v[prefix+"."+StockM3] = formatScaled(a.stock, 1)
			}
		}
		tot := m["total"]
		put("total", tot)
		if tot == nil {
			tot = &agg{}
		}
		v["total."+Parcels] = strconv.FormatInt(tot.n, 10)
		legal := float64(tot.ha) // 0.0001 ha = 1 m²
		if tot.n > 0 && (tot.m2-legal > tolerance*legal || legal-tot.m2 > tolerance*legal) {
			v["total."+ComputedMu] = strconv.FormatFloat(tot.m2*3/2000, 'f', 2, 64)
		}
		for _, r := range refs {
			k := r.g.key
			if r.prefix == "d:" {
				k = "lm_" + k
			}
			put(k, m[r.prefix+r.g.key])
		}
		return v
	}
	block := func(u Unit, isTotal bool) {
		kindAll, kindClass := "subtotal", "detail"
		if isTotal {
			kindAll, kindClass = "total", "total"
		}
		if d.rowField == "" {
			kind := "detail"
			if isTotal {
				kind = "total"
			}
			out.Rows = append(out.Rows, Row{UnitCode: u.Code, UnitName: u.Name, Level: u.Level, Kind: kind, Subtotal: kind != "detail",
				Class: "", ClassLabel: "", Values: values(sums[key2{u.Code, ""}])})
			return
		}
		out.Rows = append(out.Rows, Row{UnitCode: u.Code, UnitName: u.Name, Level: u.Level, Kind: kindAll, Subtotal: true,
			Class: "", ClassLabel: "合计", Values: values(sums[key2{u.Code, ""}])})
		for _, g := range rowGroups {
			m := sums[key2{u.Code, g.key}]
			if m == nil && (g.key == None || len(d.rows) == 0) {
				continue // dictionary classes and 未区分 appear only where they hold parcels
			}
			out.Rows = append(out.Rows, Row{UnitCode: u.Code, UnitName: u.Name, Level: u.Level, Kind: kindClass, Subtotal: kindClass != "detail",
				Class: g.key, ClassLabel: g.zh, Values: values(m)})
		}
	}
	block(unit, true)
	if unit.Level != "village" {
		for _, s := range subs {
			block(s, false)
		}
	}
	out.Notes = []string{
		"统计范围：" + d.filterZH + "。",
		"面积为小班面积（MIAN_JI，公顷）之和，1 公顷 = 15 亩；蓄积为 XU_JI（立方米）之和。",
		"图形面积（EPSG:4548 平面面积）仅在与小班面积相差超过 " + TolerancePct + "% 时列出。",
		"未区分：该因子为空或不在分组代码内的小班。",
		LayoutNote,
	}
	return out, nil
}

func (d def) superZH(second bool) string {
	if d.col2Field == "" {
		return ""
	}
	if second {
		return d.col2ZH
	}
	return d.colZH
}

// measures are the columns of one group.
func (d def) measures(key, zh, en, super string) []Column {
	cols := []Column{
		{Key: key + "." + AreaMu, LabelZH: "面积（亩）", LabelEN: "area (mu)", Unit: "亩", Measure: AreaMu},
		{Key: key + "." + AreaHa, LabelZH: "面积（公顷）", LabelEN: "area (ha)", Unit: "公顷", Measure: AreaHa},
	}
	if d.stock {
		cols = append(cols, Column{Key: key + "." + StockM3, LabelZH: "蓄积（立方米）", LabelEN: "stock (m³)", Unit: "立方米", Measure: StockM3})
	}
	for i := range cols {
		cols[i].Group, cols[i].GroupZH, cols[i].GroupEN, cols[i].Super = key, zh, en, super
	}
	return cols
}

func subLevel(level string) string {
	if level == "county" {
		return "township"
	}
	return "village"
}

// rowGroups are the row classes of a table: its groups, or every code of the dictionary, and 未区分.
func (d def) rowGroups(labels map[string][]label) []group {
	if d.rowField == "" {
		return nil
	}
	return d.colGroups(labels, d.rowField, d.rowDict, d.rows)
}

// colGroups are the groups of a dimension: the given ones or one per dictionary code, then 未区分.
func (d def) colGroups(labels map[string][]label, _ string, dict string, given []group) []group {
	var out []group
	if given != nil {
		out = slices.Clone(given)
	} else {
		for _, l := range labels[dict] {
			out = append(out, group{key: l.code, zh: l.zh, en: l.en, codes: []string{l.code}})
		}
	}
	return append(out, group{key: None, zh: "未区分", en: "not classified"})
}

// groupOf finds the group of a code (None when no group holds it).
func groupOf(gs []group, code string) string {
	if code == "" {
		return None
	}
	for _, g := range gs {
		if slices.Contains(g.codes, code) || (len(g.codes) == 0 && g.key == code) {
			return g.key
		}
	}
	return None
}

type label struct{ code, zh, en string }

// dictionary reads the current scheme's codes and labels per field, in code order.
func dictionary(ctx context.Context, db DB) (map[string][]label, error) {
	rows, err := db.Query(ctx, `SELECT field, code, label_zh, label_en FROM code_dictionary WHERE scheme = '2020' ORDER BY field, code`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]label{}
	for rows.Next() {
		var f string
		var l label
		if err := rows.Scan(&f, &l.code, &l.zh, &l.en); err != nil {
			return nil, err
		}
		out[f] = append(out[f], l)
	}
	return out, rows.Err()
}

// subUnits are the units directly under u, by code (none under a village).
func subUnits(ctx context.Context, db DB, u Unit) ([]Unit, error) {
	if u.Level == "village" {
		return nil, nil
	}
	rows, err := db.Query(ctx, `SELECT code, name, level FROM admin_unit WHERE parent_code = $1 ORDER BY code`, u.Code)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Unit])
}

// formatScaled prints v / 10^scale with scale decimals.
func formatScaled(v int64, scale int) string {
	neg := v < 0
	if neg {
		v = -v
	}
	p := int64(1)
	for range scale {
		p *= 10
	}
	s := strconv.FormatInt(v/p, 10)
	if scale > 0 {
		s += "." + fmt.Sprintf("%0*d", scale, v%p)
	}
	if neg {
		s = "-" + s
	}
	return s
}

// formatMu prints an area of ha/10000 hectares in 亩 (× 15) to 0.01, half away from zero.
func formatMu(ha int64) string {
	mu := ha * 15 // 0.0001 亩
	neg := mu < 0
	if neg {
		mu = -mu
	}
	r := (mu + 50) / 100 // 0.01 亩
	if neg {
		r = -r
	}
	return formatScaled(r, 2)
}
