package ingest_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wuyuan-forestry/ecocomp/internal/ingest"
)

func patch(typ, imp, code string, rings []ring) feature {
	return feature{props: map[string]any{"SDLX": typ, "ZYX": imp, "TBBH": code}, rings: rings}
}

// TestImportWetlands: a wetland inventory lands whole (types by code or name, importance in
// English or Chinese, areas as drawn: 100 m × 50 m = 7.5 亩); a second file replaces it; a file
// with an unknown type, an unknown importance or two overlapping patches lands nothing and names
// each row.
func TestImportWetlands(t *testing.T) {
	ctx := context.Background()
	pool := newCounty(t)
	dir := t.TempDir()
	fields := ingest.WetlandFields{Type: "sdlx", Importance: "zyx", Code: "tbbh"}
	first := []feature{
		patch("1201", "national", "SD-1", box(x0, y0, x0+100, y0+50)),
		patch("草本沼泽", "省级重要湿地", "SD-2", box(x0+100, y0, x0+200, y0+50)),
		patch("2001", "一般湿地", "SD-3", box(x0, y0+100, x0+100, y0+200)),
	}
	rep, err := ingest.ImportWetlands(ctx, pool, writeGeoJSON(t, filepath.Join(dir, "wetlands.geojson"), 4548, first), ingest.Options{}, fields)
	if err != nil || rep.Status != ingest.StatusImported || rep.Counts.New != 3 {
		t.Fatalf("import: %v %s %+v\n%s", err, rep.Status, rep.Counts, rep.Text())
	}
	var got string
	if err := pool.QueryRow(ctx, `SELECT string_agg(code || ':' || type_code || ':' || importance || ':' || round((ST_Area(ST_Transform(geom, 4548)) * 3 / 2000)::numeric, 2), ',' ORDER BY code)
		FROM wetland_patch`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if want := "SD-1:1201:national:7.50,SD-2:1402:provincial:7.50,SD-3:2001:general:15.00"; got != want {
		t.Errorf("patches %s; want %s", got, want)
	}

	bad := []feature{
		patch("9999", "national", "X-1", box(x0, y0, x0+100, y0+50)),
		patch("1201", "很重要", "X-2", box(x0+200, y0, x0+300, y0+50)),
		patch("1201", "general", "X-3", box(x0+400, y0, x0+500, y0+100)),
		patch("1201", "general", "X-4", box(x0+450, y0, x0+550, y0+100)),
	}
	rep, err = ingest.ImportWetlands(ctx, pool, writeGeoJSON(t, filepath.Join(dir, "bad.geojson"), 4548, bad), ingest.Options{}, fields)
	if err == nil || rep.Status != ingest.StatusRejected {
		t.Fatalf("a bad file: %v %s; want rejected\n%s", err, rep.Status, rep.Text())
	}
	text := rep.Text()
	for _, want := range []string{"X-1", "'9999' is neither a code nor a name", "X-2", "'很重要' is not an importance", "X-3", "overlap"} {
		if !strings.Contains(text, want) {
			t.Errorf("the report does not say %q:\n%s", want, text)
		}
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM wetland_patch`).Scan(&n); err != nil || n != 3 {
		t.Errorf("%d patches after the rejected file (%v); want the 3 of the first import", n, err)
	}

	second := []feature{patch("永久性河流", "national", "SD-9", box(x0, y0, x0+300, y0+100))}
	rep, err = ingest.ImportWetlands(ctx, pool, writeGeoJSON(t, filepath.Join(dir, "second.geojson"), 4548, second), ingest.Options{}, fields)
	if err != nil || rep.Counts.New != 1 || rep.Counts.Deleted != 3 {
		t.Fatalf("replacing: %v %+v; want 1 new, 3 deleted\n%s", err, rep.Counts, rep.Text())
	}
	if rep, err := ingest.ImportWetlands(ctx, pool, "x.geojson", ingest.Options{}, ingest.WetlandFields{Type: "sdlx"}); err == nil || !strings.Contains(rep.Reason, "--importance-field") {
		t.Errorf("no importance field: %v %q; want refused naming --importance-field", err, rep.Reason)
	}
}
