package httpapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"

	"github.com/wuyuan-forestry/ecocomp/internal/auth"
	"github.com/wuyuan-forestry/ecocomp/internal/config"
	"github.com/wuyuan-forestry/ecocomp/internal/httpapi"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
)

// TestGDALReadsOGCAPIWithBasicAuth: with anonymous reading off, GDAL's OAPIF driver is refused
// without credentials and reads every collection, through every page, with HTTP Basic — a
// password or an API token as the password, as QGIS stores them.
func TestGDALReadsOGCAPIWithBasicAuth(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	loadGrid(t, pool)
	svc := auth.New(pool, config.Config{})
	if _, err := svc.CreateUser(ctx, auth.NewUser{Name: "gis.desk", Roles: []auth.Role{auth.Viewer}, Password: "Qgis-desk-2026"}); err != nil {
		t.Fatal(err)
	}
	_, token, err := svc.AddToken(ctx, "gis.desk", "QGIS", 0)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(httpapi.New(pool, discardLogger(), config.Config{RequireSignIn: true}))
	t.Cleanup(ts.Close)

	out, err := exec.Command("ogrinfo", "-ro", "OAPIF:"+ts.URL+"/ogc").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "401") {
		t.Errorf("ogrinfo without credentials: %v\n%s\nwant it refused with HTTP 401", err, out)
	}

	t.Setenv("GDAL_HTTP_AUTH", "BASIC")
	t.Setenv("GDAL_HTTP_USERPWD", "gis.desk:Qgis-desk-2026")
	checkGDALReadsServer(t, pool, ts.URL, 30)

	t.Setenv("GDAL_HTTP_USERPWD", "gis.desk:"+token)
	checkGDALReadsServer(t, pool, ts.URL, 50)

	var signIns int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'basic.auth' AND outcome = 'ok' AND actor = 'gis.desk'`).Scan(&signIns); err != nil {
		t.Fatal(err)
	}
	if signIns != 1 {
		t.Errorf("%d audited Basic sign-ins for two full reads; want 1 (the check is remembered for a minute)", signIns)
	}
}

// TestVectorTilesTakeBasicAuth: with anonymous reading off, QGIS's vector tile layer signs in
// with HTTP Basic (its authentication configurations cannot send a cookie): the TileJSON and a
// tile answer with Basic, are refused without it (401 with a Basic challenge), and Basic stays
// refused on the other API routes.
func TestVectorTilesTakeBasicAuth(t *testing.T) {
	pool := pgtest.New(t)
	loadGrid(t, pool)
	svc := auth.New(pool, config.Config{})
	if _, err := svc.CreateUser(context.Background(), auth.NewUser{Name: "gis.desk", Roles: []auth.Role{auth.Viewer}, Password: "Qgis-desk-2026"}); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(httpapi.New(pool, discardLogger(), config.Config{RequireSignIn: true}))
	t.Cleanup(ts.Close)
	get := func(path string, basic bool) *http.Response {
		req, _ := http.NewRequest("GET", ts.URL+path, nil)
		if basic {
			req.SetBasicAuth("gis.desk", "Qgis-desk-2026")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if r := get("/tiles/parcels.json", false); r.StatusCode != 401 || !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Basic") {
		t.Errorf("TileJSON without credentials: %d %q; want 401 with a Basic challenge", r.StatusCode, r.Header.Get("WWW-Authenticate"))
	}
	for _, path := range []string{"/tiles/parcels.json", "/tiles/parcels/15/26787/13889.mvt"} {
		if r := get(path, true); r.StatusCode != 200 && r.StatusCode != 204 {
			t.Errorf("%s with Basic: %d; want it served", path, r.StatusCode)
		}
	}
	if r := get("/api/v1/parcels?bbox=117.8,29.2,117.9,29.3", true); r.StatusCode != 401 {
		t.Errorf("Basic on the parcel API: %d; want 401 (Basic is for GIS clients on /ogc and /tiles)", r.StatusCode)
	}
}
