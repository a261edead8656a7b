package cli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wuyuan-forestry/ecocomp/internal/cli"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
)

// TestImportWetlandsCommand: `ecocomp import wetlands` needs its two fields, lands a file whole
// and prints the report.
func TestImportWetlandsCommand(t *testing.T) {
	ctx := context.Background()
	pool, url := pgtest.NewWithURL(t)
	if _, err := pool.Exec(ctx, `INSERT INTO admin_unit (code, level, name, geom) VALUES
		('361130', 'county', '婺源县', ST_Multi(ST_Transform(ST_MakeEnvelope(580000, 3230000, 590000, 3240000, 4548), 4490)))`); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DATABASE_URL", url)
	file := filepath.Join(t.TempDir(), "wetlands.geojson")
	if err := os.WriteFile(file, []byte(`{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4548"}},"features":[
		{"type":"Feature","properties":{"SDLX":"永久性河流","ZYX":"国家重要湿地"},"geometry":{"type":"Polygon","coordinates":[[[583000,3237000],[583100,3237000],[583100,3237100],[583000,3237100],[583000,3237000]]]}},
		{"type":"Feature","properties":{"SDLX":"2006","ZYX":"general"},"geometry":{"type":"Polygon","coordinates":[[[583100,3237000],[583200,3237000],[583200,3237100],[583100,3237100],[583100,3237000]]]}}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := cli.Main(ctx, []string{"import", "wetlands", file, "--type-field", "SDLX"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "--importance-field") {
		t.Errorf("without --importance-field: exit %d, %s; want 2 naming it", code, errb.String())
	}
	out.Reset()
	if code := cli.Main(ctx, []string{"import", "wetlands", file, "--type-field", "SDLX", "--importance-field", "ZYX"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "IMPORTED") {
		t.Fatalf("import: exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	var got string
	if err := pool.QueryRow(ctx, `SELECT string_agg(type_code || ':' || importance, ',' ORDER BY type_code) FROM wetland_patch`).Scan(&got); err != nil || got != "1201:national,2006:general" {
		t.Errorf("patches %q (%v); want 1201:national,2006:general", got, err)
	}
}
