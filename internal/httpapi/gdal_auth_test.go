package httpapi_test

import (
	"context"
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
