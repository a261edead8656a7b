package httpapi_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
)

// GDAL is the reference client: these tests run Debian's ogrinfo and ogr2ogr (gdal-bin, which
// .ci/run installs) against the running server and the exported files.

func gdal(t *testing.T, tool string, args ...string) (stdout, stderr string) {
	t.Helper()
	path, err := exec.LookPath(tool)
	if err != nil {
		t.Fatalf("%s is needed (apt-get install -y gdal-bin; .ci/run does it): %v", tool, err)
	}
	cmd := exec.Command(path, args...)
	cmd.Env = append(os.Environ(), "GDAL_HTTP_TIMEOUT=60", "CPL_DEBUG=OFF")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %v: %v\n%s%s", tool, args, err, out.String(), errb.String())
	}
	return out.String(), errb.String()
}

func noWarnings(t *testing.T, what, stderr string) {
	t.Helper()
	if s := strings.TrimSpace(stderr); s != "" {
		t.Errorf("%s printed warnings or errors:\n%s", what, s)
	}
}

var featureCount = regexp.MustCompile(`Feature Count: (\d+)`)

func countIn(t *testing.T, ogrinfoOut string) int {
	t.Helper()
	m := featureCount.FindStringSubmatch(ogrinfoOut)
	if m == nil {
		t.Fatalf("no feature count in:\n%s", ogrinfoOut)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

func dbCount(t *testing.T, pool *pgxpool.Pool, sql string) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), sql).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// checkGDALReadsServer: ogrinfo lists the three collections without warnings, and ogr2ogr fetches
// every parcel and zone through the next links, matching the database.
func checkGDALReadsServer(t *testing.T, pool *pgxpool.Pool, baseURL string, pageSize int) {
	t.Helper()
	out, errs := gdal(t, "ogrinfo", "-ro", "OAPIF:"+baseURL+"/ogc")
	noWarnings(t, "ogrinfo OAPIF", errs)
	for _, layer := range []string{"parcels", "zones", "protected_areas"} {
		if !strings.Contains(out, ": "+layer+" ") && !strings.Contains(out, ": "+layer+"\n") {
			t.Errorf("ogrinfo does not list collection %s:\n%s", layer, out)
		}
	}
	dir := t.TempDir()
	for _, tc := range []struct{ layer, countSQL string }{
		{"parcels", "SELECT count(*) FROM parcel_current"},
		{"zones", "SELECT count(*) FROM zone"},
		{"protected_areas", "SELECT count(DISTINCT area_id) FROM zone"},
	} {
		dst := filepath.Join(dir, tc.layer+".geojson")
		_, errs := gdal(t, "ogr2ogr", "-f", "GeoJSON", "-oo", "PAGE_SIZE="+strconv.Itoa(pageSize), dst, "OAPIF:"+baseURL+"/ogc", tc.layer)
		noWarnings(t, "ogr2ogr "+tc.layer, errs)
		info, errs := gdal(t, "ogrinfo", "-ro", "-so", "-al", dst)
		noWarnings(t, "ogrinfo "+tc.layer, errs)
		if got, want := countIn(t, info), dbCount(t, pool, tc.countSQL); got != want {
			t.Errorf("ogr2ogr fetched %d %s; the database has %d", got, tc.layer, want)
		}
	}
}

func TestGDALReadsOGCAPI(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	loadGrid(t, pool)
	ts := newServer(t, pool)
	checkGDALReadsServer(t, pool, ts.URL, 30)
}

func TestGDALReadsExports(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	loadGrid(t, pool)
	ts := newServer(t, pool)
	dir := t.TempDir()
	for _, tc := range []struct{ crs, wantSRS string }{
		// RFC 7946 files carry no crs member: GDAL reads them as WGS 84 (CGCS2000 differs by cm).
		{"EPSG:4490", `GEOGCRS["WGS 84"`},
		{"EPSG:4548", `PROJCRS["CGCS2000 / 3-degree Gauss-Kruger CM 117E"`},
	} {
		resp, err := http.Get(ts.URL + "/api/v1/export/parcels.geojson?crs=" + tc.crs)
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(dir, strings.ReplaceAll(tc.crs, ":", "")+".geojson")
		f, _ := os.Create(dst)
		io.Copy(f, resp.Body)
		f.Close()
		resp.Body.Close()
		out, errs := gdal(t, "ogrinfo", "-ro", "-so", "-al", dst)
		noWarnings(t, "ogrinfo "+tc.crs, errs)
		if n := countIn(t, out); n != 100 {
			t.Errorf("%s export: ogrinfo counts %d features; want 100", tc.crs, n)
		}
		if !strings.Contains(out, tc.wantSRS) {
			t.Errorf("%s export: ogrinfo SRS is not %s:\n%s", tc.crs, tc.wantSRS, out)
		}
		if tc.crs == "EPSG:4548" && !strings.Contains(out, "Extent: (583000.000000, 3237000.000000) - (584000.000000, 3238000.000000)") {
			t.Errorf("EPSG:4548 export extent is not the grid's:\n%s", out)
		}
	}
}
