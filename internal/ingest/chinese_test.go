package ingest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wuyuan-forestry/ecocomp/internal/export"
	"github.com/wuyuan-forestry/ecocomp/internal/features"
	"github.com/wuyuan-forestry/ecocomp/internal/ingest"
)

// TestChineseTextSurvivesGBKToExport: village names written by a GIS into a GBK DBF (with its
// .cpg) reach the database as the same Unicode text and come back out of the GeoJSON export,
// as the extra attribute the mapping kept them as.
func TestChineseTextSurvivesGBKToExport(t *testing.T) {
	ctx := context.Background()
	pool := newCounty(t)
	dir := t.TempDir()
	src := writeGeoJSON(t, filepath.Join(dir, "src.geojson"), 4548, basic())
	ogr(t, "-f", "ESRI Shapefile", "-lco", "ENCODING=CP936", filepath.Join(dir, "wuyuan.shp"), src)

	// The DBF really is GBK: it holds the GBK bytes of every name.
	dbf, err := os.ReadFile(filepath.Join(dir, "wuyuan.dbf"))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range villages {
		cmd := exec.Command("iconv", "-f", "UTF-8", "-t", "GBK")
		cmd.Stdin = strings.NewReader(v)
		gbk, err := cmd.Output()
		if err != nil {
			t.Fatalf("iconv: %v", err)
		}
		if !bytes.Contains(dbf, gbk) || bytes.Contains(dbf, []byte(v)) {
			t.Fatalf("the DBF does not hold %s in GBK", v)
		}
	}

	zipped := zipFiles(t, filepath.Join(dir, "wuyuan.zip"), shapefileSet(filepath.Join(dir, "wuyuan"))...)
	if rep, err := ingest.ImportParcels(ctx, pool, zipped, ingest.Options{Mapping: keepVillages}); err != nil {
		t.Fatalf("import: %v\n%s", err, rep.Text())
	}
	var stored []string
	if err := pool.QueryRow(ctx, `SELECT array_agg(extra ->> 'CUN_MC' ORDER BY code) FROM parcel_current`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if strings.Join(stored, ",") != strings.Join(villages, ",") {
		t.Fatalf("stored names %q; want %q", stored, villages)
	}

	var buf bytes.Buffer
	if _, err := export.Parcels(ctx, pool, export.Options{CRS: features.CRS84, Now: time.Now()}, &buf); err != nil {
		t.Fatal(err)
	}
	var fc geoCollection
	if err := json.Unmarshal(buf.Bytes(), &fc); err != nil {
		t.Fatal(err)
	}
	got := map[string]any{}
	for _, f := range fc.Features {
		got[f.Properties["code"].(string)] = f.Properties["CUN_MC"]
	}
	for i, v := range villages {
		if got[code(i+1)] != v {
			t.Errorf("exported CUN_MC of %s = %v; want %s (the export must carry parcel.extra as properties)", code(i+1), got[code(i+1)], v)
		}
	}
	// And the export comes back in as it went out: nothing changes.
	exported := filepath.Join(dir, "export.geojson")
	if err := os.WriteFile(exported, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	again, err := ingest.ImportParcels(ctx, pool, exported, ingest.Options{Mapping: keepVillages})
	if err != nil || again.Counts != (ingest.Counts{Unchanged: 5}) {
		t.Errorf("re-importing the export: %v, %+v; want all 5 unchanged\n%s", err, again.Counts, again.Text())
	}
}
