package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/xuri/excelize/v2"

	"github.com/wuyuan-forestry/ecocomp/internal/ingest"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
	"github.com/wuyuan-forestry/ecocomp/internal/stats"
)

// statsSquare is a GeoJSON feature for the w × h metre rectangle at column i, row j of a 100 m
// grid (EPSG:4548) near the county seat, with the parcel XIAO_BAN n.
func statsSquare(n int, i, j, w, h float64, props map[string]any) map[string]any {
	x, y := 583000+i*100, 3237000+j*100
	p := map[string]any{"XIAN": "361130", "XIANG": "100", "CUN": "001", "LIN_BAN": "0001", "XIAO_BAN": fmt.Sprintf("%05d", n),
		"MIAN_JI": w * h / 10000, "DI_LEI": "030100", "LM_QS": "30", "SEN_LIN_LB": "022", "YOU_SHI_SZ": "310000"}
	for k, v := range props {
		p[k] = v
	}
	return map[string]any{"type": "Feature", "properties": p, "geometry": map[string]any{"type": "Polygon",
		"coordinates": [][][2]float64{{{x, y}, {x + w, y}, {x + w, y + h}, {x, y + h}, {x, y}}}}}
}

func statsImport(t *testing.T, pool *pgxpool.Pool, name string, feats []map[string]any) {
	t.Helper()
	fc := map[string]any{"type": "FeatureCollection", "features": feats,
		"crs": map[string]any{"type": "name", "properties": map[string]string{"name": "urn:ogc:def:crs:EPSG::4548"}}}
	b, _ := json.Marshal(fc)
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := ingest.ImportParcels(context.Background(), pool, path, ingest.Options{Full: true})
	if err != nil {
		t.Fatalf("import %s: %v\n%s", name, err, rep.Text())
	}
}

// statsCounty is a county with one township and village and, imported through the ingest path,
// a 4 × 4 grid of 1 ha squares (XIAO_BAN n = 4i + j + 1), all 乔木林地.
func statsCounty(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool := pgtest.New(t)
	sq := `ST_Multi(ST_Transform(ST_MakeEnvelope(580000, 3230000, 590000, 3240000, 4548), 4490))`
	if _, err := pool.Exec(context.Background(), `INSERT INTO admin_unit (code, level, name, parent_code, geom) VALUES
		('361130', 'county', '婺源县', NULL, `+sq+`),
		('361130100', 'township', '紫阳镇', '361130', `+sq+`),
		('361130100001', 'village', '测试村', '361130100', `+sq+`)`); err != nil {
		t.Fatal(err)
	}
	var v1 []map[string]any
	for i := range 4 {
		for j := range 4 {
			v1 = append(v1, statsSquare(4*i+j+1, float64(i), float64(j), 100, 100, nil))
		}
	}
	statsImport(t, pool, "2025.geojson", v1)
	return pool
}

// statsVersion2 is the next year's full file: 1 becomes 竹林地, 2's MIAN_JI is revised to 1.1 ha,
// 16 is gone, 11 is split into 17 (west half) and 18 (east half, 未成林造林地), 13 and 14 are
// merged into 19, and 20 is new (一般灌木林地) east of the grid.
func statsVersion2() []map[string]any {
	var v2 []map[string]any
	for i := range 4 {
		for j := range 4 {
			n := 4*i + j + 1
			switch n {
			case 1:
				v2 = append(v2, statsSquare(n, 0, 0, 100, 100, map[string]any{"DI_LEI": "030200"}))
			case 2:
				v2 = append(v2, statsSquare(n, 0, 1, 100, 100, map[string]any{"MIAN_JI": 1.1}))
			case 11, 13, 14, 16:
			default:
				v2 = append(v2, statsSquare(n, float64(i), float64(j), 100, 100, nil))
			}
		}
	}
	return append(v2,
		statsSquare(17, 2, 2, 50, 100, nil),
		statsSquare(18, 2.5, 2, 50, 100, map[string]any{"DI_LEI": "030402"}),
		statsSquare(19, 3, 0, 100, 200, nil),
		statsSquare(20, 5, 0, 100, 100, map[string]any{"DI_LEI": "030302"}))
}

// TestStatsTablesOverHTTP: the list, a table in JSON and xlsx, and the problems for an unknown
// table, unit and date; after the second import the table answers the new state (the cache
// follows the import) while as_of before it still answers the old.
func TestStatsTablesOverHTTP(t *testing.T) {
	pool := statsCounty(t)
	ts := newServer(t, pool)

	var list struct {
		Tables []struct {
			Table   string `json:"table"`
			TitleZH string `json:"title_zh"`
		}
	}
	getJSON(t, ts.URL+"/api/v1/stats", &list)
	if len(list.Tables) != 6 || list.Tables[0].Table != "land_class" {
		t.Errorf("tables %+v; want six, land_class first", list.Tables)
	}
	var tb stats.Table
	getJSON(t, ts.URL+"/api/v1/stats/land_class?unit=361130", &tb)
	if tb.Rows[0].Values["total.area_mu"] != "240.00" || tb.Rows[0].Values["030100.area_ha"] != "16.0000" || tb.Unit.Name != "婺源县" {
		t.Errorf("county total %v (%+v); want 240.00 亩, 16 ha of 乔木林地", tb.Rows[0].Values, tb.Unit)
	}
	before := time.Now()
	time.Sleep(10 * time.Millisecond)
	statsImport(t, pool, "2026.geojson", statsVersion2())

	getJSON(t, ts.URL+"/api/v1/stats/land_class?unit=361130100", &tb)
	want := map[string]string{"total.area_mu": "241.50", "030100.area_mu": "204.00", "030200.area_mu": "15.00", "030402.area_mu": "7.50", "030302.area_mu": "15.00", "total.parcels": "16"}
	for k, w := range want {
		if got := tb.Rows[0].Values[k]; got != w {
			t.Errorf("after the second import %s = %q, want %q", k, got, w)
		}
	}
	getJSON(t, ts.URL+"/api/v1/stats/land_class?as_of="+url.QueryEscape(before.Format(time.RFC3339Nano)), &tb)
	if got := tb.Rows[0].Values["total.area_mu"]; got != "240.00" {
		t.Errorf("as of the first import: %s 亩, want 240.00", got)
	}

	resp, body := get(t, ts.URL+"/api/v1/stats/timber_volume")
	wantProblem(t, resp, body, 404, "land_class")
	resp, body = get(t, ts.URL+"/api/v1/stats/land_class?unit=361199")
	wantProblem(t, resp, body, 400, "no administrative unit")
	resp, body = get(t, ts.URL+"/api/v1/stats/land_class?as_of=30.6.2026")
	wantProblem(t, resp, body, 400, "YYYY-MM-DD")
	resp, body = get(t, ts.URL+"/api/v1/stats/land_class?format=pdf")
	wantProblem(t, resp, body, 400, "json, xlsx")

	resp, body = get(t, ts.URL+"/api/v1/stats/public_welfare?format=xlsx&unit=361130")
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Disposition"), "public_welfare-361130") {
		t.Fatalf("xlsx: %d %s", resp.StatusCode, resp.Header.Get("Content-Disposition"))
	}
	f, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("xlsx does not open: %v", err)
	}
	defer f.Close()
	if v, _ := f.GetCellValue(f.GetSheetName(0), "D3"); v != "合计" {
		t.Errorf("D3 = %q, want the merged 合计 header", v)
	}
}

// TestStatsChangeOverHTTP: the transition matrix, the changes and their batch between the two
// imported versions of the grid, in JSON, GeoJSON and xlsx.
func TestStatsChangeOverHTTP(t *testing.T) {
	pool := statsCounty(t)
	ts := newServer(t, pool)
	from := time.Now()
	time.Sleep(10 * time.Millisecond)
	statsImport(t, pool, "2026.geojson", statsVersion2())
	to := time.Now()
	q := "from=" + url.QueryEscape(from.Format(time.RFC3339Nano)) + "&to=" + url.QueryEscape(to.Format(time.RFC3339Nano))

	var c stats.Change
	getJSON(t, ts.URL+"/api/v1/stats/change?unit=361130100&"+q, &c)
	cells := map[string]string{}
	for _, m := range c.Matrix {
		cells[m.From+">"+m.To] = fmt.Sprintf("%s/%d", m.AreaMu, m.Parcels)
	}
	want := map[string]string{
		"030100>030100": "165.00/11", "030100>030200": "15.00/1", "030100>retired": "60.00/4",
		"added>030100": "37.50/2", "added>030402": "7.50/1", "added>030302": "15.00/1", "revised>030100": "1.50/0",
	}
	for k, w := range want {
		if cells[k] != w {
			t.Errorf("matrix %s = %q, want %q", k, cells[k], w)
		}
	}
	if len(cells) != len(want) {
		t.Errorf("matrix has %d cells, want %d: %v", len(cells), len(want), cells)
	}
	wantCounts := map[string]int{"added": 1, "retired": 1, "changed": 2, "split": 3, "merged": 3, "replaced": 0, "unchanged": 10}
	for k, w := range wantCounts {
		if c.Counts[k] != w {
			t.Errorf("count %s = %d, want %d", k, c.Counts[k], w)
		}
	}
	byCode := map[string]stats.ParcelChange{}
	for _, pc := range c.Changes {
		byCode[pc.Code] = pc
	}
	code := func(n int) string { return fmt.Sprintf("3611301000010001%05d", n) }
	if pc := byCode[code(11)]; pc.Change != "split" || strings.Join(pc.Related, ",") != code(17)+","+code(18) {
		t.Errorf("parcel 11: %s related %v; want split into 17 and 18", pc.Change, pc.Related)
	}
	if pc := byCode[code(19)]; pc.Change != "merged" || len(pc.Related) != 2 {
		t.Errorf("parcel 19: %s related %v; want merged from 13 and 14", pc.Change, pc.Related)
	}
	if pc := byCode[code(16)]; pc.Change != "retired" || pc.Batch == nil || !strings.Contains(pc.BatchSource, "2026.geojson") {
		t.Errorf("parcel 16: %+v; want retired by the 2026.geojson batch", pc)
	}
	if len(c.Batches) != 1 || c.Batches[0].Retired != 4 || c.Batches[0].Added != 4 || c.Batches[0].Changed != 2 {
		t.Errorf("batches %+v; want one with 4 added, 2 changed, 4 retired", c.Batches)
	}
	tot := map[string]string{}
	for _, a := range c.Totals.To {
		tot[a.Code] = a.AreaMu
	}
	if tot["030100"] != "204.00" {
		t.Errorf("030100 at to: %s, want 204.00 (165 + 1.5 revised + 37.5 added)", tot["030100"])
	}

	var fc struct {
		Features []struct {
			ID         string         `json:"id"`
			Properties map[string]any `json:"properties"`
			Geometry   map[string]any `json:"geometry"`
		}
	}
	getJSON(t, ts.URL+"/api/v1/stats/change?format=geojson&"+q, &fc)
	if len(fc.Features) != 10 || fc.Features[0].Geometry["type"] != "MultiPolygon" {
		t.Errorf("geojson: %d features (first %+v), want the 10 changed parcels", len(fc.Features), fc.Features[0])
	}

	resp, body := get(t, ts.URL+"/api/v1/stats/change?format=xlsx&"+q)
	if resp.StatusCode != 200 {
		t.Fatalf("change xlsx: %d %s", resp.StatusCode, body)
	}
	f, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, _ := f.GetRows("地类转移矩阵")
	if len(rows) < 3 || rows[1][1] != "乔木林地" || rows[2][0] != "乔木林地" || rows[2][1] != "165.00" {
		t.Errorf("matrix sheet starts %v; want 乔木林地 → 乔木林地 165.00", rows[:min(3, len(rows))])
	}

	resp, body = get(t, ts.URL+"/api/v1/stats/change?to=2026-01-01")
	wantProblem(t, resp, body, 400, "from")
	resp, body = get(t, ts.URL+"/api/v1/stats/change?from=2026-06-30&to=2026-01-01")
	wantProblem(t, resp, body, 400, "before")
}
