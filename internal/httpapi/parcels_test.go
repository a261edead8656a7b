package httpapi_test

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
)

type feature struct {
	Type     string          `json:"type"`
	ID       string          `json:"id"`
	Geometry json.RawMessage `json:"geometry"`
	Props    map[string]any  `json:"properties"`
}

type collection struct {
	Type     string    `json:"type"`
	Features []feature `json:"features"`
	Returned int       `json:"numberReturned"`
	Next     string    `json:"next"`
	Links    []struct {
		Rel  string `json:"rel"`
		Href string `json:"href"`
	} `json:"links"`
}

func (c collection) nextLink() string {
	for _, l := range c.Links {
		if l.Rel == "next" {
			return l.Href
		}
	}
	return ""
}

func getJSON(t *testing.T, u string, v any) *http.Response {
	t.Helper()
	resp, body := get(t, u)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s = %d: %s", u, resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: not JSON: %v: %.300s", u, err, body)
	}
	return resp
}

func TestParcelByCode(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	loadGrid(t, pool)
	ts := newServer(t, pool)

	var f feature
	resp := getJSON(t, ts.URL+"/api/v1/parcels/"+gridCode(0, 0), &f)
	if ct := resp.Header.Get("Content-Type"); ct != "application/geo+json" {
		t.Errorf("Content-Type = %q", ct)
	}
	if f.Type != "Feature" || f.ID != gridCode(0, 0) || f.Props["code"] != gridCode(0, 0) {
		t.Fatalf("feature id/code = %q/%v; want %s", f.ID, f.Props["code"], gridCode(0, 0))
	}
	want := map[string]any{
		"township": "紫阳镇", "village": "测试村", "di_lei": "030100", "di_lei_label": "乔木林地",
		"sen_lin_lb_label": "一般商品林", "lm_qs_label": "个人", "you_shi_sz_label": "杉木", "mian_ji": 1.0,
	}
	for k, v := range want {
		if f.Props[k] != v {
			t.Errorf("properties[%s] = %v; want %v", k, f.Props[k], v)
		}
	}
	// A 100 m square: 15 亩 on the GK plane; ellipsoidal within 0.05 %.
	if mu := f.Props["area_mu"].(float64); math.Abs(mu-15) > 0.01 {
		t.Errorf("area_mu = %v; want ≈ 15", mu)
	}
	zones, _ := f.Props["zones"].([]any)
	if len(zones) != 1 {
		t.Fatalf("zones = %v; want the one core zone", f.Props["zones"])
	}
	z := zones[0].(map[string]any)
	if z["zone_kind"] != "core" || z["area_name"] != "测试保护区" || math.Abs(z["overlap_mu"].(float64)-7.5) > 0.01 {
		t.Errorf("zone overlap = %v; want core of 测试保护区, 7.5 亩", z)
	}
	for k := range f.Props {
		if strings.Contains(k, "owner") || strings.Contains(k, "name") && k != "name" {
			t.Errorf("personal data leaks into the lookup API: property %q", k)
		}
	}

	resp, body := get(t, ts.URL+"/api/v1/parcels/361130999999999999999")
	wantProblem(t, resp, body, 404, "no current parcel has the code")
}

func TestPointLookupFindsEveryParcel(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t)
	loadGrid(t, pool)
	ts := newServer(t, pool)
	rows, err := pool.Query(ctx, `SELECT code, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM parcel_current`)
	if err != nil {
		t.Fatal(err)
	}
	type pt struct {
		code     string
		lon, lat float64
	}
	var pts []pt
	for rows.Next() {
		var p pt
		if err := rows.Scan(&p.code, &p.lon, &p.lat); err != nil {
			t.Fatal(err)
		}
		pts = append(pts, p)
	}
	if len(pts) != 100 {
		t.Fatalf("fixture has %d parcels; want 100", len(pts))
	}
	for _, p := range pts {
		var c collection
		getJSON(t, ts.URL+"/api/v1/parcels?lon="+ftoa(p.lon)+"&lat="+ftoa(p.lat), &c)
		if len(c.Features) != 1 || c.Features[0].ID != p.code {
			ids := []string{}
			for _, f := range c.Features {
				ids = append(ids, f.ID)
			}
			t.Fatalf("point inside %s found %v", p.code, ids)
		}
	}
	var empty collection
	getJSON(t, ts.URL+"/api/v1/parcels?lon=116&lat=30", &empty)
	if empty.Type != "FeatureCollection" || len(empty.Features) != 0 {
		t.Errorf("a point outside every parcel: %+v; want an empty FeatureCollection", empty)
	}
}

func ftoa(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func TestBBoxPagingVisitsEveryParcelOnce(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	loadGrid(t, pool)
	ts := newServer(t, pool)
	for _, start := range []string{
		"/api/v1/parcels?bbox=117,29,119,30&limit=7",
		"/api/v1/parcels?township=" + url.QueryEscape("紫阳镇") + "&limit=13",
		"/api/v1/parcels?township=361130100&bbox=117,29,119,30&limit=1000",
	} {
		seen := map[string]int{}
		pages := 0
		for next := ts.URL + start; next != ""; pages++ {
			var c collection
			getJSON(t, next, &c)
			if c.Returned != len(c.Features) {
				t.Errorf("numberReturned = %d but %d features", c.Returned, len(c.Features))
			}
			for _, f := range c.Features {
				seen[f.ID]++
			}
			next = c.Next
			if pages > 200 {
				t.Fatal("paging does not end")
			}
		}
		if len(seen) != 100 {
			t.Errorf("%s: visited %d distinct parcels in %d pages; want 100", start, len(seen), pages)
		}
		for code, n := range seen {
			if n != 1 {
				t.Errorf("%s: parcel %s seen %d times", start, code, n)
			}
		}
	}
}

func TestLookupRejectsBadParameters(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	ts := newServer(t, pool)
	cases := []struct{ query, param, detail string }{
		{"bbox=1,2,3", "bbox", "has 3 values"},
		{"bbox=1,2,a,4", "bbox", "is not a number"},
		{"bbox=118,30,117,29", "bbox", "minimum greater than maximum"},
		{"bbox=100,-95,120,30", "bbox", "outside the valid range"},
		{"lon=200&lat=29", "lon", "outside -180…180"},
		{"lon=117&lat=95", "lat", "outside -90…90"},
		{"lon=117.8", "lat", "needs both lon and lat"},
		{"lon=east&lat=29", "lon", "is not a number"},
		{"bbox=117,29,118,30&limit=abc", "limit", "not a positive whole number"},
		{"bbox=117,29,118,30&limit=0", "limit", "not a positive whole number"},
		{"bbox=117,29,118,30&cursor=%21%21%21", "cursor", "not a cursor this server issued"},
		{"bbox=117,29,118,30&colour=red", "colour", "unknown parameter"},
		{"", "", "say which parcels"},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			resp, body := get(t, ts.URL+"/api/v1/parcels?"+tc.query)
			wantProblem(t, resp, body, 400, tc.detail)
			if tc.param != "" && !strings.Contains(string(body), `"parameter":"`+tc.param+`"`) {
				t.Errorf("problem does not name parameter %q: %s", tc.param, body)
			}
		})
	}
}

func TestExport(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	loadGrid(t, pool)
	ts := newServer(t, pool)

	// The plain download, RFC 7946: lon/lat, counter-clockwise exterior rings, ≤ 7 decimals.
	req, _ := http.NewRequest("GET", ts.URL+"/api/v1/export/parcels.geojson", nil)
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("export = %d %s", resp.StatusCode, body)
	}
	today := time.Now().Format("20060102")
	if cd := resp.Header.Get("Content-Disposition"); !strings.Contains(cd, "attachment") || !strings.Contains(cd, today) || !strings.Contains(cd, ".geojson") {
		t.Errorf("Content-Disposition = %q; want an attachment named with today's date", cd)
	}
	var fc struct {
		collection
		CRS  any    `json:"crs"`
		Note string `json:"note"`
	}
	if err := json.Unmarshal(body, &fc); err != nil {
		t.Fatalf("export is not JSON: %v", err)
	}
	if len(fc.Features) != 100 || fc.CRS != nil || !strings.Contains(fc.Note, "demonstration data") {
		t.Errorf("export: %d features, crs %v, note %q; want 100, no crs member (RFC 7946), the demo note", len(fc.Features), fc.CRS, fc.Note)
	}
	for _, f := range fc.Features[:5] {
		ring := exteriorRing(t, f.Geometry)
		if signedArea(ring) <= 0 {
			t.Errorf("%s: exterior ring is clockwise; RFC 7946 wants counter-clockwise", f.ID)
		}
		if lon := ring[0][0]; lon < 117 || lon > 119 {
			t.Errorf("%s: first coordinate %v is not lon/lat", f.ID, ring[0])
		}
	}
	if maxDecimals(string(body)) > 7 {
		t.Errorf("coordinates carry more than 7 decimals")
	}

	// EPSG:4548, gzip-compressed: metres, easting first, 3 decimals, a crs member.
	req, _ = http.NewRequest("GET", ts.URL+"/api/v1/export/parcels.geojson?crs=EPSG:4548&township=361130100", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding = %q; want gzip", resp.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	body, err = io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	fc.CRS = nil
	if err := json.Unmarshal(body, &fc); err != nil {
		t.Fatalf("gzip export is not JSON: %v", err)
	}
	if !strings.Contains(string(body), `"urn:ogc:def:crs:EPSG::4548"`) || len(fc.Features) != 100 {
		t.Errorf("EPSG:4548 export: %d features, crs %v", len(fc.Features), fc.CRS)
	}
	ring := exteriorRing(t, fc.Features[0].Geometry)
	if e, n := ring[0][0], ring[0][1]; math.Abs(e-583000) > 1000 || math.Abs(n-3237000) > 1000 {
		t.Errorf("first coordinate %v; want easting ≈ 583000, northing ≈ 3237000", ring[0])
	}
	if d := maxDecimals(string(body)); d > 3 {
		t.Errorf("EPSG:4548 coordinates carry %d decimals; want ≤ 3", d)
	}

	resp2, body2 := get(t, ts.URL+"/api/v1/export/parcels.geojson?crs=EPSG:3857")
	wantProblem(t, resp2, body2, 400, "not supported")
}

func exteriorRing(t *testing.T, g json.RawMessage) [][]float64 {
	t.Helper()
	var geom struct {
		Type        string          `json:"type"`
		Coordinates [][][][]float64 `json:"coordinates"`
	}
	if err := json.Unmarshal(g, &geom); err != nil || geom.Type != "MultiPolygon" {
		t.Fatalf("geometry %s is not a MultiPolygon: %v", g, err)
	}
	return geom.Coordinates[0][0]
}

// signedArea is positive for a counter-clockwise ring (shoelace formula).
func signedArea(ring [][]float64) float64 {
	var a float64
	for i := 0; i+1 < len(ring); i++ {
		a += ring[i][0]*ring[i+1][1] - ring[i+1][0]*ring[i][1]
	}
	return a / 2
}

// maxDecimals is the longest run of digits after a decimal point inside "coordinates" arrays.
func maxDecimals(body string) int {
	best := 0
	for _, part := range strings.Split(body, `"coordinates":`)[1:] {
		end := strings.Index(part, "}")
		coords := part[:end]
		for _, num := range strings.FieldsFunc(coords, func(r rune) bool { return r == '[' || r == ']' || r == ',' }) {
			if _, frac, ok := strings.Cut(num, "."); ok && len(frac) > best {
				best = len(frac)
			}
		}
	}
	return best
}
