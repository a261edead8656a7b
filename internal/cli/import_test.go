package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wuyuan-forestry/ecocomp/internal/cli"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
)

// parcelsJSON is a GeoJSON file in EPSG:4548 with one 100 m square parcel per XIAO_BAN given.
func parcelsJSON(t *testing.T, dir, name string, crs bool, xiaoBan ...string) string {
	t.Helper()
	var feats []string
	for i, xb := range xiaoBan {
		x := 583000 + 100*float64(i)
		feats = append(feats, fmt.Sprintf(`{"type":"Feature","properties":{"XIAN":"361130","XIANG":"100","CUN":"001","LIN_BAN":"0001","XIAO_BAN":%q,"MIAN_JI":1.0,"CUN_MC":"汪口村"},
			"geometry":{"type":"Polygon","coordinates":[[[%[2]g,3237000],[%[3]g,3237000],[%[3]g,3237100],[%[2]g,3237100],[%[2]g,3237000]]]}}`, xb, x, x+100))
	}
	member := ""
	if crs {
		member = `"crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4548"}},`
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(`{"type":"FeatureCollection",`+member+`"features":[`+strings.Join(feats, ",")+`]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestImportCommand(t *testing.T) {
	ctx := context.Background()
	pool, url := pgtest.NewWithURL(t)
	if _, err := pool.Exec(ctx, `INSERT INTO admin_unit (code, level, name, geom) VALUES
		('361130', 'county', '婺源县', ST_Multi(ST_Transform(ST_MakeEnvelope(580000, 3230000, 590000, 3240000, 4548), 4490)))`); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DATABASE_URL", url)
	dir := t.TempDir()
	good := parcelsJSON(t, dir, "good.geojson", true, "00001", "00002")
	dup := parcelsJSON(t, dir, "dup.geojson", true, "00001", "00001")
	noCRS := parcelsJSON(t, dir, "nocrs.json", false, "00003")
	// A GeoJSON without a crs member is CRS84 by definition: metres there land far outside the county.
	run := func(args ...string) (string, string, int) {
		var out, errb bytes.Buffer
		code := cli.Main(ctx, args, &out, &errb)
		return out.String(), errb.String(), code
	}
	count := func() int {
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM parcel`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	cases := []struct {
		name     string
		args     []string
		code     int
		stdout   string // part of standard output
		stderr   string // part of the one error line
		parcels  int    // parcels afterwards
		jsonWant string // status in the JSON report on stdout
	}{
		{name: "no dataset", args: []string{"import"}, code: 2, stderr: "parcels` or `zones"},
		{name: "no file", args: []string{"import", "parcels", "--dry-run"}, code: 2, stderr: "give the FILE"},
		{name: "unknown encoding", args: []string{"import", "parcels", good, "--encoding", "KOI8-R"}, code: 2, stderr: "--encoding"},
		{name: "zones without an area", args: []string{"import", "zones", good, "--area-kind", "nature_reserve", "--zone-field", "GNFQ"}, code: 2, stderr: "--area NAME is required"},
		{name: "missing file", args: []string{"import", "parcels", filepath.Join(dir, "nope.zip")}, code: 1, stderr: "cannot read"},
		{name: "dry run", args: []string{"import", "parcels", "--dry-run", good}, code: 0, stdout: "DRY RUN, nothing written: would be 2 new"},
		{name: "import", args: []string{"import", "parcels", good}, code: 0, stdout: "IMPORTED as batch", parcels: 2},
		{name: "again, as JSON", args: []string{"import", "parcels", good, "--json"}, code: 0, jsonWant: "imported", parcels: 2},
		{name: "duplicate key", args: []string{"import", "parcels", dup}, code: 1, stdout: "duplicate_key", stderr: "import rejected", parcels: 2},
		{name: "metres without a CRS", args: []string{"import", "parcels", noCRS}, code: 1, stdout: "outside China", stderr: "import rejected", parcels: 2},
		{name: "with --srid", args: []string{"import", "parcels", "--srid", "4548", noCRS}, code: 0, stdout: "EPSG:4548", parcels: 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := run(tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d; want %d\nstdout: %s\nstderr: %s", code, tc.code, out, errOut)
			}
			if tc.stdout != "" && !strings.Contains(out, tc.stdout) {
				t.Errorf("stdout lacks %q:\n%s", tc.stdout, out)
			}
			if tc.code != 0 {
				lines := strings.Split(strings.TrimSpace(errOut), "\n")
				last := lines[len(lines)-1]
				if !strings.HasPrefix(last, "ecocomp: ") || !strings.Contains(last, tc.stderr) {
					t.Errorf("error line %q; want one line saying %q", last, tc.stderr)
				}
			}
			if tc.jsonWant != "" {
				var rep struct{ Status string }
				if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Status != tc.jsonWant {
					t.Errorf("JSON report status %q (%v); want %q", rep.Status, err, tc.jsonWant)
				}
			}
			if n := count(); n != tc.parcels {
				t.Errorf("%d parcels; want %d", n, tc.parcels)
			}
		})
	}
}
