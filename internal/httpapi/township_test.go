package httpapi_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
	"github.com/wuyuan-forestry/ecocomp/internal/recompute"
	"github.com/xuri/excelize/v2"
)

// TestUnknownTownshipIs400: a township that does not exist is a mistake to name, not an empty
// answer, wherever a township selects parcels — a typo must not download an empty file.
func TestUnknownTownshipIs400(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	loadCompensation(t, pool)
	if _, err := recompute.All(context.Background(), pool, 2026); err != nil {
		t.Fatal(err)
	}
	ts := newPIIServer(t, pool, discardLogger(), "")
	for _, path := range []string{
		"/api/v1/parcels?township=nowhere",
		"/api/v1/export/parcels.geojson?township=nowhere",
		"/ogc/collections/parcels/items?township=nowhere",
		"/api/v1/subsidy-roll?year=2026&township=nowhere",
	} {
		resp, body := get(t, ts.URL+path)
		wantProblem(t, resp, body, http.StatusBadRequest, `no township has the code or name "nowhere"`)
	}
	// The township the fixture has is found by code and by name.
	for _, path := range []string{
		"/api/v1/parcels?township=361130100",
		"/api/v1/export/parcels.geojson?township=紫阳镇",
		"/ogc/collections/parcels/items?township=361130100",
		"/api/v1/subsidy-roll?year=2026&township=361130100",
	} {
		if resp, body := get(t, ts.URL+path); resp.StatusCode != 200 {
			t.Errorf("%s = %d %.200s", path, resp.StatusCode, body)
		}
	}
}

// TestVersionDatesInCountyTime: the parcel version an eligibility answer rests on shows when it
// took effect on the county's clock (+08:00), as the map and the bureau read dates.
func TestVersionDatesInCountyTime(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	loadCompensation(t, pool) // valid from 2026-01-01 00:00 UTC
	ts := newServer(t, pool)
	var e struct {
		ParcelVersion struct {
			ValidFrom string `json:"valid_from"`
		} `json:"parcel_version"`
	}
	getJSON(t, ts.URL+"/api/v1/parcels/"+p1+"/eligibility", &e)
	if e.ParcelVersion.ValidFrom != "2026-01-01T08:00:00+08:00" {
		t.Errorf("parcel_version.valid_from = %q; want 2026-01-01T08:00:00+08:00", e.ParcelVersion.ValidFrom)
	}
}

// TestRollNamesTheCountyFromTheData: the roll's county is the one the boundaries name (the
// printed xlsx title too), not a name written into the program.
func TestRollNamesTheCountyFromTheData(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	loadCompensation(t, pool)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `UPDATE admin_unit SET name = '测试县' WHERE code = '361130'`); err != nil {
		t.Fatal(err)
	}
	if _, err := recompute.All(ctx, pool, 2026); err != nil {
		t.Fatal(err)
	}
	ts := newPIIServer(t, pool, discardLogger(), "")
	var roll struct {
		County string `json:"county"`
	}
	getJSON(t, ts.URL+"/api/v1/subsidy-roll?year=2026&township=361130100", &roll)
	if roll.County != "测试县" {
		t.Errorf("roll county = %q; want 测试县", roll.County)
	}
	resp, body := get(t, ts.URL+"/api/v1/subsidy-roll?year=2026&format=xlsx")
	x, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("xlsx roll (%d): %v", resp.StatusCode, err)
	}
	defer x.Close()
	if title, _ := x.GetCellValue("发放清册", "A1"); !strings.HasPrefix(title, "测试县 2026 年度生态补偿资金发放清册") {
		t.Errorf("xlsx title = %q; want it to start with 测试县 2026 年度生态补偿资金发放清册", title)
	}
}
