package stats

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/xuri/excelize/v2"

	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
)

// rect is a w × h metre rectangle (EPSG:4548) whose south-west corner is x, y, as CGCS2000.
func rect(x, y, w, h float64) string {
	return fmt.Sprintf("ST_Multi(ST_Transform(ST_MakeEnvelope(%g, %g, %g, %g, 4548), 4490))", x, y, x+w, y+h)
}

// smallCounty loads a hand-made county: two townships, three villages, seven current parcels
// (from 2026-01-01) and one retired in 2026 (2025-01-01 … 2026-01-01). Their legal areas and
// codes are chosen so that every cell can be summed on paper:
//
//	P1 361130100001 030100 1.0000 ha QI_YUAN 11 SEN_LIN_LB 011 LIN_ZHONG 111 LING_ZU 3 杉木 LD 20 LM 20 SQ 1 BH 2 XU_JI 120.5
//	P2 361130100001 030100 2.5000 ha 21 022 233 1 杉木 LD 20 LM 30 XU_JI 50.0
//	P3 361130100001 030200 0.3334 ha 21 012 252 毛竹 LD 10 LM 10 SQ 2 BH 3
//	P4 361130100002 030301 0.5000 ha 11 011 112 LD 21 LM 20 SQ 1 BH 1
//	P5 361130100002 030402 1.0000 ha LD 20 LM 40
//	P6 361130101001 030100 1.2345 ha on a 1 ha square, 12 021 231 4 马尾松 LD 10 LM 10 XU_JI 200.0
//	P7 361130101001 no land class, 0.7500 ha
//	P8 361130101001 030100 2.0000 ha, retired on 2026-01-01
//
// Every geometry is as large as its legal area, but P6's (1 ha).
func smallCounty(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool := pgtest.New(t)
	all := rect(580000, 3230000, 10000, 10000)
	west, east := rect(580000, 3230000, 5000, 10000), rect(585000, 3230000, 5000, 10000)
	sql := `INSERT INTO admin_unit (code, level, name, parent_code, geom) VALUES
	('361130', 'county', '婺源县', NULL, ` + all + `),
	('361130100', 'township', '紫阳镇', '361130', ` + west + `),
	('361130101', 'township', '清华镇', '361130', ` + east + `),
	('361130100001', 'village', '一村', '361130100', ` + rect(580000, 3230000, 5000, 5000) + `),
	('361130100002', 'village', '二村', '361130100', ` + rect(580000, 3235000, 5000, 5000) + `),
	('361130101001', 'village', '三村', '361130101', ` + east + `);
	INSERT INTO import_batch (kind, source, started_at, finished_at, status) VALUES ('seed', 'hand-made county', '2025-01-01', '2025-01-01', 'done');
	INSERT INTO parcel (code, xian, xiang, cun, lin_ban, xiao_ban, mian_ji, di_lei, qi_yuan, sen_lin_lb, lin_zhong, ling_zu, you_shi_sz,
	                    ld_qs, lm_qs, shi_quan_d, bh_dj, xu_ji, geom, valid_from, valid_to, batch_id) VALUES
	('P1', '361130', '100', '001', '0001', '00001', 1.0000, '030100', '11', '011', '111', '3', '310000', '20', '20', '1', '2', 120.5, ` + rect(581000, 3231000, 100, 100) + `, '2026-01-01', NULL, 1),
	('P2', '361130', '100', '001', '0001', '00002', 2.5000, '030100', '21', '022', '233', '1', '310000', '20', '30', NULL, NULL, 50.0, ` + rect(581200, 3231000, 100, 250) + `, '2026-01-01', NULL, 1),
	('P3', '361130', '100', '001', '0001', '00003', 0.3334, '030200', '21', '012', '252', NULL, '660000', '10', '10', '2', '3', NULL, ` + rect(581400, 3231000, 100, 33.34) + `, '2026-01-01', NULL, 1),
	('P4', '361130', '100', '002', '0001', '00001', 0.5000, '030301', '11', '011', '112', NULL, NULL, '21', '20', '1', '1', NULL, ` + rect(581000, 3236000, 100, 50) + `, '2026-01-01', NULL, 1),
	('P5', '361130', '100', '002', '0001', '00002', 1.0000, '030402', NULL, NULL, NULL, NULL, NULL, '20', '40', NULL, NULL, NULL, ` + rect(581200, 3236000, 100, 100) + `, '2026-01-01', NULL, 1),
	('P6', '361130', '101', '001', '0001', '00001', 1.2345, '030100', '12', '021', '231', '4', '220000', '10', '10', NULL, NULL, 200.0, ` + rect(586000, 3231000, 100, 100) + `, '2026-01-01', NULL, 1),
	('P7', '361130', '101', '001', '0001', '00002', 0.7500, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, ` + rect(586200, 3231000, 100, 75) + `, '2026-01-01', NULL, 1),
	('P8', '361130', '101', '001', '0001', '00003', 2.0000, '030100', '11', '011', '111', '5', '310000', '20', '20', '1', '1', 300.0, ` + rect(586400, 3231000, 100, 200) + `, '2025-01-01', '2026-01-01', 1)`
	if _, err := pool.Exec(context.Background(), sql); err != nil {
		t.Fatalf("load the hand-made county: %v", err)
	}
	return pool
}

func day(s string) time.Time {
	t, err := ParseAsOf("as_of", s, time.Now())
	if err != nil {
		panic(err)
	}
	return t
}

func compute(t *testing.T, pool *pgxpool.Pool, table, unit, asOf string) *Table {
	t.Helper()
	ctx := context.Background()
	u, err := FindUnit(ctx, pool, unit)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := Compute(ctx, pool, table, u, day(asOf), asOf)
	if err != nil {
		t.Fatalf("%s for %s: %v", table, unit, err)
	}
	return tb
}

// row finds the row of unit and class.
func row(t *testing.T, tb *Table, unit, class string) Row {
	t.Helper()
	for _, r := range tb.Rows {
		if r.UnitCode == unit && r.Class == class {
			return r
		}
	}
	t.Fatalf("%s: no row for unit %s class %q", tb.Table, unit, class)
	return Row{}
}

// expect compares cells: "unit|class|key" → value ("" = the cell must be absent).
func expect(t *testing.T, tb *Table, want map[string]string) {
	t.Helper()
	for k, w := range want {
		p := strings.Split(k, "|")
		r := row(t, tb, p[0], p[1])
		got, ok := r.Values[p[2]]
		if w == "" {
			if ok {
				t.Errorf("%s %s: %s = %q, want no value", tb.Table, k, p[2], got)
			}
			continue
		}
		if got != w {
			t.Errorf("%s %s = %q, want %q", tb.Table, k, got, w)
		}
	}
}

// TestTablesMatchHandSums: each table of the hand-made county, cell by cell, against sums done
// on paper (1 ha = 15 亩; half a hundredth of a 亩 rounds away from zero).
func TestTablesMatchHandSums(t *testing.T) {
	pool := smallCounty(t)
	const c, z, q = "361130", "361130100", "361130101"

	lc := compute(t, pool, "land_class", c, "2026-06-30")
	expect(t, lc, map[string]string{
		c + "||total.area_mu": "109.77", c + "||total.area_ha": "7.3179", c + "||total.parcels": "7",
		c + "||030100.area_mu": "71.02", c + "||030100.area_ha": "4.7345", c + "||030200.area_mu": "5.00",
		c + "||030301.area_mu": "7.50", c + "||030402.area_mu": "15.00", c + "||none.area_mu": "11.25", c + "||030401.area_mu": "0.00",
		// The geometries are 7.0834 ha: 3.2 % short of the legal area, so the computed area shows.
		c + "||total.computed_mu": "106.25",
		z + "||total.area_mu":     "80.00", z + "||total.computed_mu": "",
		q + "||total.area_mu": "29.77", q + "||total.computed_mu": "26.25", q + "||030100.area_ha": "1.2345",
	})
	if r := row(t, lc, c, ""); r.Kind != "total" || !r.Subtotal {
		t.Errorf("the county row is %s (subtotal %v), want total", r.Kind, r.Subtotal)
	}
	if len(lc.Rows) != 3 || lc.Rows[1].UnitCode != z || lc.Rows[1].Kind != "detail" || lc.Rows[1].UnitName != "紫阳镇" {
		t.Errorf("land_class rows: %+v; want the county, then 紫阳镇 and 清华镇", lc.Rows)
	}

	// A township's table has its villages.
	lz := compute(t, pool, "land_class", z, "2026-06-30")
	expect(t, lz, map[string]string{z + "||total.area_mu": "80.00", z + "001||total.area_mu": "57.50", z + "002||total.area_mu": "22.50",
		z + "002||030402.area_ha": "1.0000"})

	fo := compute(t, pool, "forest_origin_category", c, "2026-06-30")
	expect(t, fo, map[string]string{
		c + "||total.area_mu": "83.52", c + "||total.stock_m3": "370.5",
		c + "|natural|total.area_mu": "41.02", c + "|natural|011.area_mu": "22.50", c + "|natural|021.area_mu": "18.52",
		c + "|natural|total.stock_m3": "320.5", c + "|planted|total.area_mu": "42.50", c + "|planted|022.area_mu": "37.50",
		c + "|planted|012.area_mu": "5.00", c + "|planted|total.stock_m3": "50.0",
		z + "||total.area_mu": "65.00", z + "|natural|011.area_mu": "22.50", q + "|natural|021.stock_m3": "200.0",
	})
	if r := row(t, fo, z, ""); r.Kind != "subtotal" || !r.Subtotal {
		t.Errorf("紫阳镇's all-origin row is %s, want subtotal", r.Kind)
	}
	if r := row(t, fo, z, "natural"); r.Kind != "detail" || r.ClassLabel != "天然" {
		t.Errorf("紫阳镇's natural row is %s %q, want detail 天然", r.Kind, r.ClassLabel)
	}

	ft := compute(t, pool, "forest_origin_type", c, "2026-06-30")
	expect(t, ft, map[string]string{c + "||protection.area_mu": "22.50", c + "||timber.area_mu": "56.02", c + "||economic.area_mu": "5.00",
		c + "|natural|timber.stock_m3": "200.0", c + "|planted|timber.stock_m3": "50.0", c + "||special.area_mu": "0.00"})

	aa := compute(t, pool, "arbor_age_species", c, "2026-06-30")
	expect(t, aa, map[string]string{c + "||total.area_mu": "71.02", c + "||total.stock_m3": "370.5",
		c + "|310000|total.area_mu": "52.50", c + "|310000|1.area_mu": "37.50", c + "|310000|1.stock_m3": "50.0",
		c + "|310000|3.area_mu": "15.00", c + "|310000|3.stock_m3": "120.5", c + "|220000|4.area_ha": "1.2345"})
	if r := row(t, aa, c, "310000"); r.ClassLabel != "杉木" {
		t.Errorf("species label %q, want 杉木", r.ClassLabel)
	}

	ow := compute(t, pool, "ownership", c, "2026-06-30")
	expect(t, ow, map[string]string{c + "||20.area_mu": "67.50", c + "||10.area_mu": "23.52", c + "||21.area_mu": "7.50", c + "||none.area_mu": "11.25",
		c + "||lm_20.area_mu": "22.50", c + "||lm_30.area_mu": "37.50", c + "||lm_10.area_mu": "23.52", c + "||lm_40.area_mu": "15.00", c + "||lm_none.area_mu": "11.25"})

	pw := compute(t, pool, "public_welfare", c, "2026-06-30")
	expect(t, pw, map[string]string{c + "||total.area_mu": "27.50", c + "|1|total.area_mu": "22.50", c + "|1|2.area_mu": "15.00",
		c + "|1|1.area_mu": "7.50", c + "|2|3.area_mu": "5.00", c + "||total.stock_m3": "120.5"})

	// As of 2025: only the parcel retired since.
	old := compute(t, pool, "land_class", c, "2025-06-30")
	expect(t, old, map[string]string{c + "||total.area_mu": "30.00", c + "||030100.area_mu": "30.00", z + "||total.area_mu": "0.00", q + "||total.parcels": "1"})
}

// TestTablesReconcileWithSQL: for every table, unit and date, the total row's cells equal a
// direct SQL sum of MIAN_JI × 15 rounded to 0.01 亩, and the sub-units add up to the total.
func TestTablesReconcileWithSQL(t *testing.T) {
	pool := smallCounty(t)
	ctx := context.Background()
	for _, d := range defs {
		for _, unit := range []string{"361130", "361130100", "361130101", "361130100001"} {
			for _, asOf := range []string{"2025-06-30", "2026-06-30"} {
				tb := compute(t, pool, d.key, unit, asOf)
				u := tb.Unit
				unitCol, _ := unitColumns(u.Level)
				labels, _ := dictionary(ctx, pool)
				groups := d.colGroups(labels, d.colField, d.colDict, d.cols)
				var cases []string
				for _, g := range groups {
					codes := g.codes
					if len(codes) == 0 {
						codes = []string{g.key}
					}
					if g.key != None {
						cases = append(cases, fmt.Sprintf("WHEN p.%s IN ('%s') THEN '%s'", d.colField, strings.Join(codes, "','"), g.key))
					}
				}
				q := fmt.Sprintf(`SELECT CASE %s ELSE 'none' END, round(sum(p.mian_ji) * 15, 2)::text FROM parcel p
					WHERE p.valid_from <= $1 AND (p.valid_to IS NULL OR p.valid_to > $1) AND %s = $2 AND %s GROUP BY 1`,
					strings.Join(cases, " "), unitCol, d.filter)
				rows, err := pool.Query(ctx, q, day(asOf), u.Code)
				if err != nil {
					t.Fatal(err)
				}
				want := map[string]string{}
				for rows.Next() {
					var g, v string
					if err := rows.Scan(&g, &v); err != nil {
						t.Fatal(err)
					}
					want[g] = v
				}
				rows.Close()
				total := row(t, tb, u.Code, "")
				for _, g := range groups {
					w := want[g.key]
					if w == "" {
						w = "0.00"
					}
					if got := total.Values[g.key+".area_mu"]; got != w {
						t.Errorf("%s %s %s: %s.area_mu = %s, SQL says %s", d.key, unit, asOf, g.key, got, w)
					}
				}
				var sqlTotal string
				if err := pool.QueryRow(ctx, fmt.Sprintf(`SELECT coalesce(round(sum(p.mian_ji) * 15, 2), 0)::text FROM parcel p
					WHERE p.valid_from <= $1 AND (p.valid_to IS NULL OR p.valid_to > $1) AND %s = $2 AND %s`, unitCol, d.filter),
					day(asOf), u.Code).Scan(&sqlTotal); err != nil {
					t.Fatal(err)
				}
				if sqlTotal == "0" {
					sqlTotal = "0.00"
				}
				if got := total.Values["total.area_mu"]; got != sqlTotal {
					t.Errorf("%s %s %s: total %s, SQL says %s", d.key, unit, asOf, got, sqlTotal)
				}
				// The sub-units' hectares add up to the unit's, exactly.
				if u.Level != "village" {
					var sum float64
					for _, r := range tb.Rows {
						if r.UnitCode != u.Code && r.Class == "" {
							var v float64
							fmt.Sscan(r.Values["total.area_ha"], &v)
							sum += v
						}
					}
					var tot float64
					fmt.Sscan(total.Values["total.area_ha"], &tot)
					if fmt.Sprintf("%.4f", sum) != fmt.Sprintf("%.4f", tot) {
						t.Errorf("%s %s %s: sub-units sum to %.4f ha, the total is %.4f", d.key, unit, asOf, sum, tot)
					}
				}
			}
		}
	}
}

// TestXLSXLayout: the workbook reads back with its title, merged two-level headers, the 合计
// and 小计 rows, and numbers stored as numbers.
func TestXLSXLayout(t *testing.T) {
	pool := smallCounty(t)
	tb := compute(t, pool, "forest_origin_category", "361130", "2026-06-30")
	var buf bytes.Buffer
	if err := tb.WriteXLSX(&buf); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatalf("the workbook does not open: %v", err)
	}
	defer f.Close()
	sheet := f.GetSheetName(0)
	if sheet != "森林面积蓄积按起源和森林类别统计表" {
		t.Errorf("sheet %q, want the table's Chinese title", sheet)
	}
	merges, err := f.GetMergeCells(sheet)
	if err != nil {
		t.Fatal(err)
	}
	merged := map[string]string{}
	for _, m := range merges {
		merged[m.GetStartAxis()+":"+m.GetEndAxis()] = m.GetCellValue()
	}
	// Leading columns 单位, 代码, 起源 span both header rows (3–4); 合计 spans 面积（亩）…小班数,
	// 图形面积 (D3:H3); then each category's three measures.
	for rng, want := range map[string]string{"A3:A4": "单位", "B3:B4": "代码", "C3:C4": "起源", "D3:H3": "合计", "I3:K3": "重点公益林", "L3:N3": "一般公益林"} {
		if got, ok := merged[rng]; !ok || got != want {
			t.Errorf("merged %s = %q (present %v), want %q; merges %v", rng, got, ok, want, merged)
		}
	}
	if v, _ := f.GetCellValue(sheet, "I4"); v != "面积（亩）" {
		t.Errorf("I4 = %q, want 面积（亩）", v)
	}
	// Row 5 is the county's 合计, row 8 紫阳镇's 小计 (after the county's natural and planted rows).
	if v, _ := f.GetCellValue(sheet, "A5"); v != "婺源县（合计）" {
		t.Errorf("A5 = %q, want 婺源县（合计）", v)
	}
	if v, _ := f.GetCellValue(sheet, "A8"); v != "紫阳镇（小计）" {
		t.Errorf("A8 = %q, want 紫阳镇（小计）", v)
	}
	typ, err := f.GetCellType(sheet, "D8")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := f.GetCellValue(sheet, "D8", excelize.Options{RawCellValue: true})
	if typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString || raw != "65" {
		t.Errorf("D8 (紫阳镇 小计 亩) is %q of type %v, want the number 65 (65.00 亩)", raw, typ)
	}
	if v, _ := f.GetCellValue(sheet, "D8"); v != "65.00" {
		t.Errorf("D8 shows %q, want 65.00", v)
	}
}

func TestUnknownTableAndUnit(t *testing.T) {
	pool := smallCounty(t)
	ctx := context.Background()
	if _, err := FindUnit(ctx, pool, "361199"); err == nil || !strings.Contains(err.Error(), "no administrative unit") {
		t.Errorf("unknown unit: %v", err)
	}
	u, _ := FindUnit(ctx, pool, "361130")
	if _, err := Compute(ctx, pool, "nope", u, time.Now(), ""); err == nil || !strings.Contains(err.Error(), "land_class") {
		t.Errorf("unknown table: %v, want the list of tables", err)
	}
}

// TestSummaryFollowsParcelWrites: after inserts, updates (a retirement and a new version),
// deletes and a truncate of parcels, parcel_stats holds exactly the grouped sums of the parcel
// table (counts and MIAN_JI to the last decimal).
func TestSummaryFollowsParcelWrites(t *testing.T) {
	pool := smallCounty(t)
	ctx := context.Background()
	sets := map[int]string{1: "di_lei, sen_lin_lb, lin_zhong, qi_yuan", 2: "di_lei, you_shi_sz, ling_zu", 3: "ld_qs, lm_qs", 4: "sen_lin_lb, shi_quan_d, bh_dj"}
	same := func(step string) {
		t.Helper()
		for gset, cols := range sets {
			var diff int
			if err := pool.QueryRow(ctx, fmt.Sprintf(`WITH g AS (
				SELECT village_code, %[1]s, valid_from, valid_to, count(*) AS parcels, sum(mian_ji) AS mian_ji, sum(coalesce(xu_ji, 0)) AS xu_ji
				FROM parcel GROUP BY village_code, %[1]s, valid_from, valid_to),
			s AS (SELECT village_code, %[1]s, valid_from, valid_to, parcels, mian_ji, xu_ji FROM parcel_stats WHERE gset = %[2]d)
			SELECT count(*) FROM ((TABLE g EXCEPT TABLE s) UNION ALL (TABLE s EXCEPT TABLE g)) x`, cols, gset)).Scan(&diff); err != nil {
				t.Fatal(err)
			}
			if diff != 0 {
				t.Errorf("after %s: parcel_stats set %d differs from the parcels in %d rows", step, gset, diff)
			}
		}
	}
	same("loading")
	for _, step := range []struct{ name, sql string }{
		{"retiring P1 and writing its next version", `WITH old AS (UPDATE parcel SET valid_to = '2026-07-01' WHERE code = 'P1' AND valid_to IS NULL RETURNING *)
			INSERT INTO parcel (code, xian, xiang, cun, lin_ban, xiao_ban, mian_ji, di_lei, geom, valid_from)
			SELECT code, xian, xiang, cun, lin_ban, xiao_ban, 1.0001, '030200', geom, '2026-07-01' FROM old`},
		{"revising P2's stock", `UPDATE parcel SET xu_ji = 55.5 WHERE code = 'P2'`},
		{"deleting P7", `DELETE FROM parcel WHERE code = 'P7'`},
	} {
		if _, err := pool.Exec(ctx, step.sql); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		same(step.name)
	}
	tb := compute(t, pool, "land_class", "361130", "2026-07-02")
	// 109.7685 亩 − P1 15 + P1' 15.0015 − P7 11.25 = 98.52 亩.
	if got := row(t, tb, "361130", "").Values["total.area_mu"]; got != "98.52" {
		t.Errorf("after the writes the county has %s 亩, want 98.52", got)
	}
	if _, err := pool.Exec(ctx, `TRUNCATE parcel CASCADE`); err != nil {
		t.Fatal(err)
	}
	same("truncating")
}

// TestCacheFollowsBatches: the current state is computed once and then answered from the cache,
// until a parcel write makes a new import batch; a past date has its own entry.
func TestCacheFollowsBatches(t *testing.T) {
	pool := smallCounty(t)
	ctx := context.Background()
	c := NewCache(16)
	u, _ := FindUnit(ctx, pool, "361130")
	for i, want := range []bool{false, true} {
		tb, hit, err := c.Table(ctx, pool, "land_class", u, time.Now(), "")
		if err != nil {
			t.Fatal(err)
		}
		if hit != want || tb.Rows[0].Values["total.area_mu"] != "109.77" {
			t.Errorf("request %d: hit %v total %s; want hit %v, 109.77", i+1, hit, tb.Rows[0].Values["total.area_mu"], want)
		}
	}
	if _, hit, _ := c.Table(ctx, pool, "land_class", u, day("2025-06-30"), "2025-06-30"); hit {
		t.Error("a past date was answered with the current state's entry")
	}
	if _, err := pool.Exec(ctx, `WITH b AS (INSERT INTO import_batch (kind, source, finished_at, status) VALUES ('edit', 'test', now(), 'done') RETURNING id)
		UPDATE parcel SET mian_ji = 2.0000, batch_id = (SELECT id FROM b) WHERE code = 'P1'`); err != nil {
		t.Fatal(err)
	}
	tb, hit, err := c.Table(ctx, pool, "land_class", u, time.Now(), "")
	if err != nil {
		t.Fatal(err)
	}
	if hit || tb.Rows[0].Values["total.area_mu"] != "124.77" {
		t.Errorf("after a new batch: hit %v total %s; want a fresh 124.77", hit, tb.Rows[0].Values["total.area_mu"])
	}
}
