package export_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/export"
	"github.com/wuyuan-forestry/ecocomp/internal/features"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
)

// TestMain drops the test databases' template when the package's tests end.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// loadTwoTownships loads county 361130 with township 紫阳镇 (361130100: 3 parcels, 100 m squares
// along x from 583000 E, 3237000 N in EPSG:4548) and 清华镇 (361130101: 2 parcels further east).
func loadTwoTownships(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	_, err := pool.Exec(context.Background(), `
WITH area AS (SELECT ST_Multi(ST_Transform(ST_MakeEnvelope(582000, 3236000, 586000, 3238000, 4548), 4490)) AS g)
INSERT INTO admin_unit (code, level, name, parent_code, geom)
SELECT '361130', 'county', '婺源县', NULL, g FROM area
UNION ALL SELECT '361130100', 'township', '紫阳镇', '361130', g FROM area
UNION ALL SELECT '361130101', 'township', '清华镇', '361130', g FROM area
UNION ALL SELECT '361130100001', 'village', '甲村', '361130100', g FROM area
UNION ALL SELECT '361130101001', 'village', '乙村', '361130101', g FROM area;

INSERT INTO parcel (code, xian, xiang, cun, lin_ban, xiao_ban, mian_ji, di_lei, lm_qs, sen_lin_lb, you_shi_sz, geom, valid_from)
SELECT '361130' || x || '0010001' || lpad(i::text, 5, '0'), '361130', x, '001', '0001', lpad(i::text, 5, '0'), 1.5, '030100', '30', '022', '310000',
       ST_Multi(ST_Transform(ST_MakeEnvelope(583000 + i * 100, 3237000, 583100 + i * 100, 3237100, 4548), 4490)), '2026-01-01'
FROM (VALUES ('100', 1), ('100', 2), ('100', 3), ('101', 4), ('101', 5)) v(x, i);`)
	if err != nil {
		t.Fatalf("load townships: %v", err)
	}
}

type file struct {
	Type      string `json:"type"`
	Name      string `json:"name"`
	Generated string `json:"generated"`
	Note      string `json:"note"`
	CRS       *struct {
		Properties struct{ Name string } `json:"properties"`
	} `json:"crs"`
	Features []struct {
		ID       string `json:"id"`
		Geometry struct {
			Coordinates [][][][2]float64 `json:"coordinates"`
		} `json:"geometry"`
		Properties map[string]any `json:"properties"`
	} `json:"features"`
}

func exportFile(t *testing.T, pool *pgxpool.Pool, o export.Options) file {
	t.Helper()
	var b strings.Builder
	n, err := export.Parcels(context.Background(), pool, o, &b)
	if err != nil {
		t.Fatalf("export %+v: %v", o.Filter, err)
	}
	var f file
	if err := json.Unmarshal([]byte(b.String()), &f); err != nil {
		t.Fatalf("the export is not JSON: %v\n%.300s", err, b.String())
	}
	if n != len(f.Features) {
		t.Errorf("export says it wrote %d features; the file holds %d", n, len(f.Features))
	}
	return f
}

// TestExportFile: what a surveyor takes into the field — a FeatureCollection that says when it
// was made and that demo boundaries are not official, of the township asked for (by code or by
// name), in lon/lat or in Gauss-Krüger metres easting first with the CRS named.
func TestExportFile(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	loadTwoTownships(t, pool)
	now := time.Date(2026, 3, 1, 9, 30, 0, 0, time.FixedZone("CST", 8*3600))

	f := exportFile(t, pool, export.Options{CRS: features.CRS84, Now: now})
	if f.Type != "FeatureCollection" || f.Name != "parcels" || f.Generated != "2026-03-01T01:30:00Z" ||
		!strings.Contains(f.Note, "demonstration data") || f.CRS != nil || len(f.Features) != 5 {
		t.Errorf("county file: type %q, name %q, generated %q, note %q, crs %v, %d features; want a FeatureCollection of 5 in CRS84 stamped 2026-03-01T01:30:00Z",
			f.Type, f.Name, f.Generated, f.Note, f.CRS, len(f.Features))
	}
	if c := f.Features[0].Geometry.Coordinates[0][0][0]; c[0] < 117 || c[0] > 118.5 || c[1] < 29 || c[1] > 30 {
		t.Errorf("CRS84 coordinate %v; want longitude then latitude near 117.9, 29.2", c)
	}

	for _, township := range []string{"361130101", "清华镇"} {
		f = exportFile(t, pool, export.Options{Filter: features.Filter{Township: township}, CRS: features.Export4548, Now: now})
		if len(f.Features) != 2 || f.Features[0].ID != "361130101001000100004" || f.Features[1].ID != "361130101001000100005" {
			t.Errorf("township %s: %d features; want the 2 parcels of 清华镇", township, len(f.Features))
			continue
		}
		if f.CRS == nil || f.CRS.Properties.Name != "urn:ogc:def:crs:EPSG::4548" {
			t.Errorf("township %s in EPSG:4548: crs member %+v; want urn:ogc:def:crs:EPSG::4548", township, f.CRS)
		}
		found := false
		for _, c := range f.Features[0].Geometry.Coordinates[0][0] {
			found = found || c == [2]float64{583400, 3237000}
		}
		if !found {
			t.Errorf("township %s: ring %v; want the corner 583400 E, 3237000 N to the millimetre", township, f.Features[0].Geometry.Coordinates[0][0])
		}
	}
}

// TestUnknownTownshipRefused: a township that does not exist is an error naming it, and not a
// byte is written — never an empty file that looks like a township without parcels.
func TestUnknownTownshipRefused(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	loadTwoTownships(t, pool)
	var b strings.Builder
	_, err := export.Parcels(context.Background(), pool, export.Options{Filter: features.Filter{Township: "紫阳"}}, &b)
	var e *apperr.Error
	if !errors.As(err, &e) || e.Code != apperr.Invalid || e.Param != "township" || !strings.Contains(e.Detail, `"紫阳"`) || b.Len() != 0 {
		t.Errorf("export of township 紫阳: err %v, wrote %d bytes; want an invalid-township error and nothing written", err, b.Len())
	}
}

// TestFileName: the download's name says the township asked for, else the county the database
// holds (from its boundaries, not a code written into the program), the CRS and the day.
func TestFileName(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	ctx := context.Background()
	day := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	name := func(o export.Options) string {
		t.Helper()
		o.Now = day
		n, err := export.FileName(ctx, pool, o)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if got := name(export.Options{CRS: features.CRS84}); got != "parcels-all-EPSG4490-20260301.geojson" {
		t.Errorf("no county loaded: %s", got)
	}
	loadTwoTownships(t, pool)
	if _, err := pool.Exec(ctx, `INSERT INTO admin_unit (code, level, name, geom) SELECT '361127', 'county', '德兴市', geom FROM admin_unit WHERE code = '361130'`); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		o    export.Options
		want string
	}{
		{export.Options{CRS: features.CRS84}, "parcels-361127+361130-EPSG4490-20260301.geojson"},
		{export.Options{CRS: features.Export4548, Filter: features.Filter{Township: "361130100"}}, "parcels-361130100-EPSG4548-20260301.geojson"},
		{export.Options{CRS: features.CRS84, Filter: features.Filter{Township: "紫阳镇"}}, "parcels-紫阳镇-EPSG4490-20260301.geojson"},
	} {
		if got := name(tc.o); got != tc.want {
			t.Errorf("file name = %s; want %s", got, tc.want)
		}
	}
	if _, err := pool.Exec(ctx, `DELETE FROM admin_unit WHERE code = '361127'`); err != nil {
		t.Fatal(err)
	}
	if got := name(export.Options{CRS: features.CRS84}); got != "parcels-361130-EPSG4490-20260301.geojson" {
		t.Errorf("one county loaded: %s; want parcels-361130-EPSG4490-20260301.geojson", got)
	}
}
