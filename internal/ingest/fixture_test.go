package ingest_test

import (
	"archive/zip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wuyuan-forestry/ecocomp/internal/ingest"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
)

// The fixture county is a 10 km square in EPSG:4548 (CGCS2000 GK CM 117°E) near the county
// seat; the test parcels are 100 m squares in it (1 ha = 15 亩 each, MIAN_JI 1.0000).
const (
	x0, y0 = 583000.0, 3237000.0
)

// newCounty is a fresh database with county 361130, a township and a village.
func newCounty(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool := pgtest.New(t)
	sq := `ST_Multi(ST_Transform(ST_MakeEnvelope(580000, 3230000, 590000, 3240000, 4548), 4490))`
	if _, err := pool.Exec(context.Background(), `INSERT INTO admin_unit (code, level, name, parent_code, geom) VALUES
		('361130', 'county', '婺源县', NULL, `+sq+`),
		('361130100', 'township', '紫阳镇', '361130', `+sq+`),
		('361130100001', 'village', '测试村', '361130100', `+sq+`)`); err != nil {
		t.Fatal(err)
	}
	return pool
}

// ring is a closed ring of EPSG:4548 points.
type ring [][2]float64

// square is the 100 m square whose south-west corner is cell (i, j) of the fixture grid.
func square(i, j int) []ring {
	x, y := x0+float64(i)*100, y0+float64(j)*100
	return []ring{{{x, y}, {x + 100, y}, {x + 100, y + 100}, {x, y + 100}, {x, y}}}
}

// feature is one GeoJSON feature; geometry is raw GeoJSON when set, else polygon rings.
type feature struct {
	props    map[string]any
	rings    []ring
	geometry string
}

// parcel is a feature with the standard fields of parcel n (XIAO_BAN n) on square (i, j).
func parcel(n, i, j int, extra map[string]any) feature {
	p := map[string]any{"XIAN": "361130", "XIANG": "100", "CUN": "001", "LIN_BAN": "0001",
		"XIAO_BAN": fmt.Sprintf("%05d", n), "MIAN_JI": 1.0, "DI_LEI": "030100", "LM_QS": "30",
		"SEN_LIN_LB": "022", "YOU_SHI_SZ": "310000", "LING_ZU": "3", "XU_JI": 120.5}
	for k, v := range extra {
		if v == nil {
			delete(p, k)
			continue
		}
		p[k] = v
	}
	return feature{props: p, rings: square(i, j)}
}

// keepVillages is the mapping that keeps the village names of basic() as an extra attribute
// (a field no mapping lists is not kept, and not published).
var keepVillages = &ingest.Mapping{Extra: []string{"CUN_MC"}}

func code(n int) string { return fmt.Sprintf("3611301000010001%05d", n) }

// writeGeoJSON writes features in EPSG:srid (a crs member says so unless srid is 0).
func writeGeoJSON(t *testing.T, path string, srid int, feats []feature) string {
	t.Helper()
	fc := map[string]any{"type": "FeatureCollection"}
	if srid != 0 {
		fc["crs"] = map[string]any{"type": "name", "properties": map[string]string{"name": fmt.Sprintf("urn:ogc:def:crs:EPSG::%d", srid)}}
	}
	var list []json.RawMessage
	for _, f := range feats {
		geom := f.geometry
		if geom == "" {
			b, _ := json.Marshal(map[string]any{"type": "Polygon", "coordinates": f.rings})
			geom = string(b)
		}
		props, _ := json.Marshal(f.props)
		list = append(list, json.RawMessage(fmt.Sprintf(`{"type":"Feature","properties":%s,"geometry":%s}`, props, geom)))
	}
	if list == nil {
		list = []json.RawMessage{}
	}
	fc["features"] = list
	b, err := json.Marshal(fc)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// ogr runs ogr2ogr, the surveyors' tool, to make a test file.
func ogr(t *testing.T, args ...string) {
	t.Helper()
	out, err := exec.Command("ogr2ogr", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("ogr2ogr %v: %v\n%s", args, err, out)
	}
}

// zipFiles packs files (by their base names) into a zip.
func zipFiles(t *testing.T, zipPath string, files ...string) string {
	t.Helper()
	f, err := os.Create(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for _, p := range files {
		w, err := zw.Create(filepath.Base(p))
		if err != nil {
			t.Fatal(err)
		}
		in, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(w, in); err != nil {
			t.Fatal(err)
		}
		in.Close()
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return zipPath
}

// shapefileSet lists the files of a Shapefile made at base.shp that exist.
func shapefileSet(base string) []string {
	var out []string
	for _, ext := range []string{".shp", ".shx", ".dbf", ".prj", ".cpg"} {
		if _, err := os.Stat(base + ext); err == nil {
			out = append(out, base+ext)
		}
	}
	return out
}

// checksum fingerprints everything an import may write.
func checksum(t *testing.T, pool *pgxpool.Pool) string {
	t.Helper()
	var sum string
	if err := pool.QueryRow(context.Background(), `SELECT
		coalesce((SELECT md5(string_agg(p::text, '|' ORDER BY id)) FROM parcel p), '-') || '/' ||
		coalesce((SELECT md5(string_agg(b::text, '|' ORDER BY id)) FROM import_batch b), '-') || '/' ||
		coalesce((SELECT md5(string_agg(z::text, '|' ORDER BY id)) FROM zone z), '-') || '/' ||
		(SELECT count(*) FROM audit_log)::text`).Scan(&sum); err != nil {
		t.Fatal(err)
	}
	return sum
}
