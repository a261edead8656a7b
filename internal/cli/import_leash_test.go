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

// TestImportRefusesWhatItMustNotRead: through the command, a VRT document named .geojson is
// refused before GDAL reads it, and ECOCOMP_IMPORT_MAX_FEATURES caps the features of a file.
func TestImportRefusesWhatItMustNotRead(t *testing.T) {
	ctx := context.Background()
	pool, url := pgtest.NewWithURL(t)
	if _, err := pool.Exec(ctx, `INSERT INTO admin_unit (code, level, name, geom) VALUES
		('361130', 'county', '婺源县', ST_Multi(ST_Transform(ST_MakeEnvelope(580000, 3230000, 590000, 3240000, 4548), 4490)))`); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DATABASE_URL", url)
	dir := t.TempDir()
	vrt := filepath.Join(dir, "x.geojson")
	if err := os.WriteFile(vrt, []byte(`<OGRVRTDataSource><OGRVRTLayer name="env"><SrcDataSource>CSV:/proc/self/environ</SrcDataSource></OGRVRTLayer></OGRVRTDataSource>`), 0o644); err != nil {
		t.Fatal(err)
	}
	three := parcelsJSON(t, dir, "three.geojson", true, "00001", "00002", "00003")
	cases := []struct {
		name   string
		env    string // ECOCOMP_IMPORT_MAX_FEATURES
		file   string
		code   int
		stdout string
		stderr string
	}{
		{name: "a VRT named .geojson", file: vrt, code: 1, stdout: "REJECTED, nothing written: x.geojson is not GeoJSON", stderr: "starts with < (an XML document, such as an OGR VRT)"},
		{name: "over the feature cap", env: "2", file: three, code: 1, stdout: "error   file", stderr: "three.geojson holds 3 features, more than the 2 an import takes (ECOCOMP_IMPORT_MAX_FEATURES)"},
		{name: "within the cap", env: "3", file: three, code: 0, stdout: "IMPORTED as batch"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("ECOCOMP_IMPORT_MAX_FEATURES", tc.env)
			var out, errb bytes.Buffer
			code := cli.Main(ctx, []string{"import", "parcels", tc.file}, &out, &errb)
			if code != tc.code || !strings.Contains(out.String(), tc.stdout) || !strings.Contains(errb.String(), tc.stderr) {
				t.Errorf("exit %d; want %d with stdout saying %q and stderr %q\nstdout: %s\nstderr: %s", code, tc.code, tc.stdout, tc.stderr, out.String(), errb.String())
			}
		})
	}
}
