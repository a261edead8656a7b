package httpapi_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
	"github.com/wuyuan-forestry/ecocomp/internal/recompute"
)

// TestBadInputIsA4xx sends what careless scripts and attackers send — invalid UTF-8, numbers
// that overflow, malformed cursors and ids on every collection, oversize bodies, header
// injection — and expects a 4xx problem naming what is wrong, never a 500.
func TestBadInputIsA4xx(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	loadCompensation(t, pool)
	if _, err := recompute.All(context.Background(), pool, 2026); err != nil {
		t.Fatal(err)
	}
	ts := newPIIServer(t, pool, discardLogger(), "")
	big := strings.Repeat("9", 40)
	for _, tc := range []struct {
		method, path, body string
		status             int
		want               string
	}{
		{"GET", "/api/v1/parcels?lon=%ff&lat=29", "", 400, `"lon"`},
		{"GET", "/api/v1/parcels?township=%ff%fe", "", 400, `"township"`},
		{"GET", "/api/v1/parcels?bbox=1,2,3," + big, "", 400, `"bbox"`},
		{"GET", "/api/v1/parcels?bbox=117,29,118,30&limit=" + big, "", 400, `"limit"`},
		{"GET", "/api/v1/parcels?bbox=117,29,118,30&cursor=%%%", "", 400, `"cursor"`},
		{"GET", "/api/v1/parcels?bbox=117,29,118,30&cursor=" + strings.Repeat("QUFB", 30), "", 400, `"cursor"`},
		{"GET", "/api/v1/parcels/%ff%fe", "", 404, "no current parcel"},
		{"GET", "/api/v1/parcels/" + p1 + "/subsidies?year=" + big, "", 400, `"year"`},
		{"GET", "/api/v1/parcels/" + p1 + "/eligibility?as_of=%ff", "", 400, `"as_of"`},
		{"GET", "/api/v1/export/parcels.geojson?township=%ff", "", 400, `"township"`},
		{"GET", "/api/v1/export/parcels.geojson?township=a%0d%0aSet-Cookie:x=y", "", 400, `"township"`},
		{"GET", "/api/v1/subsidy-roll?year=2026&township=a%0d%0aX-Injected:1", "", 400, `"township"`},
		{"GET", "/api/v1/subsidy-roll?year=2026&township=%ff", "", 400, `"township"`},
		{"GET", "/ogc/collections/parcels/items?cursor=zzz", "", 400, `"cursor"`},
		{"GET", "/ogc/collections/zones/items?cursor=zzz", "", 400, `"cursor"`},
		{"GET", "/ogc/collections/zones/items?cursor=" + big, "", 400, `"cursor"`},
		{"GET", "/ogc/collections/protected_areas/items?cursor=-1x", "", 400, `"cursor"`},
		{"GET", "/ogc/collections/zones/items/" + big, "", 404, "no feature"},
		{"GET", "/ogc/collections/protected_areas/items/" + big, "", 404, "no feature"},
		{"GET", "/ogc/collections/zones/items/%ff", "", 404, "no feature"},
		{"GET", "/ogc/collections/parcels/items?limit=" + big, "", 400, `"limit"`},
		{"GET", "/ogc/collections/parcels/items?bbox=%ff", "", 400, `"bbox"`},
		{"GET", "/tiles/parcels/" + big + "/0/0.mvt", "", 400, `"z"`},
		{"GET", "/api/v1/imports/" + big, "", 401, ""},
		{"POST", "/api/v1/zone-check", `{"activity":"construction","geometry":` + strings.Repeat("[", 100000) + `}`, 400, "not JSON"},
		{"POST", "/api/v1/zone-check", strings.Repeat(" ", 9<<20), 413, "MB"},
		{"POST", "/api/v1/session", "{\"username\":\"a\xff\",\"password\":\"b\"}", 401, "wrong"},
		{"POST", "/api/v1/session", `{"username":"` + strings.Repeat("x", 100<<10) + `"}`, 413, "64 KiB"},
	} {
		req, _ := http.NewRequest(tc.method, ts.URL+tc.path, bytes.NewReader([]byte(tc.body)))
		if tc.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", tc.method, tc.path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		short := tc.path
		if len(short) > 90 {
			short = short[:90] + "…"
		}
		if resp.StatusCode != tc.status || resp.Header.Get("Content-Type") != "application/problem+json" || !strings.Contains(string(body), tc.want) {
			t.Errorf("%s %s: %d %s %.300s; want %d problem+json mentioning %s", tc.method, short, resp.StatusCode,
				resp.Header.Get("Content-Type"), body, tc.status, tc.want)
		}
		for k := range resp.Header {
			if k == "Set-Cookie" || k == "X-Injected" {
				t.Errorf("%s %s: a parameter became the header %s", tc.method, short, k)
			}
		}
	}

	// A township's name reaches the download's file name only encoded.
	resp, body := get(t, ts.URL+"/api/v1/export/parcels.geojson?township="+url.QueryEscape("紫阳镇"))
	cd := resp.Header.Get("Content-Disposition")
	if resp.StatusCode != 200 || !strings.HasPrefix(cd, `attachment; filename=parcels-`) || !strings.Contains(cd, "filename*=UTF-8''parcels-%E7%B4%AB%E9%98%B3%E9%95%87-") {
		t.Errorf("export of 紫阳镇: %d, Content-Disposition %q (%.100s)", resp.StatusCode, cd, body)
	}
}
