package features_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"

	"github.com/wuyuan-forestry/ecocomp/internal/features"
	"github.com/wuyuan-forestry/ecocomp/internal/overlay"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
)

// TestMain drops the test databases' template when the package's tests end.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// loadGrid loads a 3 × 3 grid of 100 m squares (15 亩 each) in EPSG:4548 near the county seat,
// in township 紫阳镇, each a parcel valid from 1 January 2026 in county time; and a core zone
// covering the west half of the south-west square (7.5 亩 of overlap).
func loadGrid(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	ctx := context.Background()
	_, err := pool.Exec(ctx, `
WITH area AS (SELECT ST_Multi(ST_Transform(ST_MakeEnvelope(582000, 3236000, 585000, 3239000, 4548), 4490)) AS g)
INSERT INTO admin_unit (code, level, name, parent_code, geom)
SELECT '361130', 'county', '婺源县', NULL, g FROM area
UNION ALL SELECT '361130100', 'township', '紫阳镇', '361130', g FROM area
UNION ALL SELECT '361130100001', 'village', '测试村', '361130100', g FROM area;

INSERT INTO parcel (code, xian, xiang, cun, lin_ban, xiao_ban, mian_ji, di_lei, lm_qs, sen_lin_lb, you_shi_sz, geom, valid_from)
SELECT '3611301000010001' || lpad((i * 3 + j + 1)::text, 5, '0'), '361130', '100', '001', '0001',
       lpad((i * 3 + j + 1)::text, 5, '0'), 1.5, '030100', '30', '022', '310000',
       ST_Multi(ST_Transform(ST_MakeEnvelope(583000 + i * 100, 3237000 + j * 100, 583100 + i * 100, 3237100 + j * 100, 4548), 4490)),
       '2026-01-01 00:00:00+08'
FROM generate_series(0, 2) i, generate_series(0, 2) j;

WITH a AS (INSERT INTO protected_area (name, area_kind, demo) VALUES ('测试保护区', 'nature_reserve', true) RETURNING id)
INSERT INTO zone (area_id, area_kind, zone_kind, site, name, demo, geom)
SELECT id, 'nature_reserve', 'core', '1', '测试核心区', true,
       ST_Multi(ST_Transform(ST_MakeEnvelope(582900, 3236900, 583050, 3237100, 4548), 4490)) FROM a;`)
	if err != nil {
		t.Fatalf("load grid: %v", err)
	}
	if _, err := overlay.All(ctx, pool); err != nil {
		t.Fatalf("overlay the grid: %v", err)
	}
}

// code is the parcel code of the square in column i, row j.
func code(i, j int) string { return fmt.Sprintf("3611301000010001%05d", i*3+j+1) }

// feature is a parcel feature as clients read it.
type feature struct {
	ID       string `json:"id"`
	Geometry struct {
		Coordinates [][][][2]float64 `json:"coordinates"`
	} `json:"geometry"`
	Properties map[string]any `json:"properties"`
}

// stream runs c.Stream into a FeatureCollection and decodes it.
func stream(t *testing.T, pool *pgxpool.Pool, c *features.Collection, f features.Filter, s features.Shape, max int) ([]feature, features.Page) {
	t.Helper()
	var b strings.Builder
	p, err := c.Stream(context.Background(), pool, f, s, max, []byte(`{"type":"FeatureCollection","features":[`), &b)
	if err != nil {
		t.Fatalf("stream %+v: %v", f, err)
	}
	b.WriteString("]}")
	var fc struct{ Features []feature }
	if err := json.Unmarshal([]byte(b.String()), &fc); err != nil {
		t.Fatalf("not GeoJSON: %v\n%.300s", err, b.String())
	}
	if len(fc.Features) != p.N {
		t.Fatalf("page says %d features, the text holds %d", p.N, len(fc.Features))
	}
	return fc.Features, p
}

func codes(fs []feature) string {
	var out []string
	for _, f := range fs {
		out = append(out, f.ID)
	}
	return strings.Join(out, " ")
}

// TestPagesVisitEveryParcelOnce: keyset pages of 4 walk all 9 parcels in code order, the last
// page saying there is no more.
func TestPagesVisitEveryParcelOnce(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	loadGrid(t, pool)
	var all []string
	after := ""
	for page := 1; ; page++ {
		fs, p := stream(t, pool, features.Parcels, features.Filter{After: after}, features.Shape{CRS: features.CRS84}, 4)
		for _, f := range fs {
			all = append(all, f.ID)
		}
		want := map[int]int{1: 4, 2: 4, 3: 1}[page]
		if p.N != want || p.More != (page < 3) {
			t.Fatalf("page %d: %d features, more=%v; want %d, more=%v", page, p.N, p.More, want, page < 3)
		}
		if !p.More {
			break
		}
		after = p.Last
	}
	var want []string
	for n := 1; n <= 9; n++ {
		want = append(want, fmt.Sprintf("3611301000010001%05d", n))
	}
	if strings.Join(all, " ") != strings.Join(want, " ") {
		t.Errorf("pages visited %v; want %v", all, want)
	}
}

// TestSelections: a point finds the parcel under it; a bbox in EPSG:4548 (northing first, as
// OGC API Part 2 has it) the parcels it touches; a township by code or name its parcels.
func TestSelections(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	loadGrid(t, pool)
	ctx := context.Background()
	var lon, lat float64
	// The middle of the square in column 1, row 2.
	if err := pool.QueryRow(ctx, `SELECT ST_X(g), ST_Y(g) FROM (SELECT ST_Transform(ST_SetSRID(ST_MakePoint(583150, 3237250), 4548), 4490) g) x`).Scan(&lon, &lat); err != nil {
		t.Fatal(err)
	}
	// Northing first: rows 0–1 of column 0 only (x 583010–583090, y 3237010–3237190).
	bbox := orb.Bound{Min: orb.Point{3237010, 583010}, Max: orb.Point{3237190, 583090}}
	for _, tc := range []struct {
		name string
		f    features.Filter
		want string
	}{
		{"point", features.Filter{Point: &orb.Point{lon, lat}}, code(1, 2)},
		{"bbox EPSG:4548", features.Filter{BBox: &bbox, BBoxCRS: features.EPSG4548}, code(0, 0) + " " + code(0, 1)},
		{"township code", features.Filter{Township: "361130100", Limit: 2}, code(0, 0) + " " + code(0, 1)},
		{"township name", features.Filter{Township: "紫阳镇", Code: code(2, 2)}, code(2, 2)},
		{"another township", features.Filter{Township: "361130101"}, ""},
	} {
		fs, _ := stream(t, pool, features.Parcels, tc.f, features.Shape{CRS: features.CRS84}, 0)
		if got := codes(fs); got != tc.want {
			t.Errorf("%s: got %q; want %q", tc.name, got, tc.want)
		}
	}
}

// TestParcelFeature: what a surveyor reads of a parcel — its areas, its zone overlaps worked by
// hand (half of a 15 亩 square in the core zone), the date its version took effect in county
// time, and coordinates in the CRS asked for.
func TestParcelFeature(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	loadGrid(t, pool)
	fs, _ := stream(t, pool, features.Parcels, features.Filter{Code: code(0, 0)}, features.Shape{CRS: features.CRS84, WithZones: true}, 0)
	if len(fs) != 1 {
		t.Fatalf("got %d features; want 1", len(fs))
	}
	p := fs[0].Properties
	if p["code"] != code(0, 0) || p["township"] != "紫阳镇" || p["area_mu"] != 15.0 || p["legal_area_mu"] != 22.5 {
		t.Errorf("properties code %v, township %v, area_mu %v, legal_area_mu %v; want the code, 紫阳镇, 15 (100 m × 100 m) and 22.5 (MIAN_JI 1.5 ha)",
			p["code"], p["township"], p["area_mu"], p["legal_area_mu"])
	}
	if p["valid_from"] != "2026-01-01T00:00:00+08:00" {
		t.Errorf("valid_from = %v; want 2026-01-01T00:00:00+08:00, 1 January in county time", p["valid_from"])
	}
	zones, _ := p["zones"].([]any)
	if len(zones) != 1 {
		t.Fatalf("zones = %v; want the core zone", p["zones"])
	}
	z := zones[0].(map[string]any)
	if z["zone_kind"] != "core" || z["overlap_mu"] != 7.5 || z["share"] != 0.5 || z["area_name"] != "测试保护区" {
		t.Errorf("zone overlap = %v; want core, 7.5 亩, share 0.5 of 测试保护区", z)
	}

	// Without zones asked for, none; in EPSG:4548 as exported (easting first, 3 decimals) and as
	// OGC API Part 2 (northing first), the square's south-west corner.
	for _, tc := range []struct {
		crs  features.CRS
		want [2]float64
	}{
		{features.Export4548, [2]float64{583000, 3237000}},
		{features.EPSG4548, [2]float64{3237000, 583000}},
	} {
		fs, _ := stream(t, pool, features.Parcels, features.Filter{Code: code(0, 0)}, features.Shape{CRS: tc.crs}, 0)
		if _, ok := fs[0].Properties["zones"]; ok {
			t.Errorf("%s: zones listed without being asked for", tc.crs.URI)
		}
		found := false
		for _, c := range fs[0].Geometry.Coordinates[0][0] {
			found = found || c == tc.want
		}
		if !found {
			t.Errorf("%s: ring %v; want the corner %v to the millimetre", tc.crs.URI, fs[0].Geometry.Coordinates[0][0], tc.want)
		}
	}
}

// failingWriter refuses every write, like a client that went away.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("connection reset") }

// TestBrokenStreamSaysItStarted: an error once output began is marked so the HTTP layer aborts
// the response instead of sending a short "complete" file; a query that fails first writes
// nothing and is a plain error.
func TestBrokenStreamSaysItStarted(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	loadGrid(t, pool)
	ctx := context.Background()
	_, err := features.Parcels.Stream(ctx, pool, features.Filter{}, features.Shape{CRS: features.CRS84}, 0, []byte("["), failingWriter{})
	if err == nil || !features.IsStarted(err) {
		t.Errorf("writer failing: err = %v; want one that says output began", err)
	}
	var b strings.Builder
	_, err = features.Zones.Stream(ctx, pool, features.Filter{After: "not a number"}, features.Shape{CRS: features.CRS84}, 0, []byte("["), &b)
	if err == nil || features.IsStarted(err) || b.Len() != 0 {
		t.Errorf("query failing: err = %v, wrote %q; want a plain error and nothing written", err, b.String())
	}
}
