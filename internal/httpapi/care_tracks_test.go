package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wuyuan-forestry/ecocomp/internal/auth"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
)

// trackPoint is a track point given in the grid's frame (EPSG:4548 metres) and a time.
type trackPoint struct {
	x, y float64
	at   time.Time
}

// lonLat answers the points' EPSG:4490 longitudes and latitudes.
func lonLat(t *testing.T, pool *pgxpool.Pool, pts []trackPoint) (lons, lats []float64) {
	t.Helper()
	xs, ys := make([]float64, len(pts)), make([]float64, len(pts))
	for i, p := range pts {
		xs[i], ys[i] = p.x, p.y
	}
	if err := pool.QueryRow(context.Background(), `SELECT array_agg(ST_X(p) ORDER BY n), array_agg(ST_Y(p) ORDER BY n)
		FROM (SELECT n, ST_Transform(ST_SetSRID(ST_MakePoint(x, y), 4548), 4490) AS p
		      FROM unnest($1::float8[], $2::float8[]) WITH ORDINALITY AS u(x, y, n)) q`, xs, ys).Scan(&lons, &lats); err != nil {
		t.Fatal(err)
	}
	return lons, lats
}

// gpxOf is a GPX 1.1 file of the points.
func gpxOf(t *testing.T, pool *pgxpool.Pool, pts []trackPoint) string {
	lons, lats := lonLat(t, pool, pts)
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1"><trk><name>巡护</name><trkseg>`)
	for i, p := range pts {
		fmt.Fprintf(&b, "\n"+`<trkpt lat="%.9f" lon="%.9f"><ele>300</ele><time>%s</time></trkpt>`, lats[i], lons[i], p.at.UTC().Format(time.RFC3339))
	}
	b.WriteString("\n</trkseg></trk></gpx>\n")
	return b.String()
}

// northward is a straight walk up x from y0, a point every 100 m and minute (6 km/h).
func northward(x, y0 float64, n int, start time.Time) []trackPoint {
	pts := make([]trackPoint, n)
	for i := range pts {
		pts[i] = trackPoint{x, y0 + 100*float64(i), start.Add(time.Duration(i) * time.Minute)}
	}
	return pts
}

// postRaw posts body as is.
func postRaw(t *testing.T, url, token, contentType, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest("POST", url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// TestCareTracksMeasuredAndRefused, by hand: area A is the EPSG:4548 square x 583000–584000,
// y 3237000–3238000 (1 km²) inside the grid's county (x 582000–585000, y 3236000–3239000).
// A straight track up its middle (x 583500, 11 points 100 m and a minute apart) buffered by
// 100 m covers a 200 m × 1000 m strip of it: 0.2 km² / 1 km² = 20 %, 1.000 km walked. A second
// track along the same line on another day (posted as GeoJSON) makes 2 days, 2.000 km and still
// 20 %. Refused, with the point named: a point 1000 m off in a minute (60 km/h), a time going
// backwards, a track outside the county; and a GPX with a DOCTYPE.
func TestCareTracksMeasuredAndRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t)
	loadGrid(t, pool)
	officer := userToken(t, pool, "care.officer", auth.CaseOfficer)
	viewer := userToken(t, pool, "care.viewer", auth.Viewer)
	ts := newPIIServer(t, pool, discardLogger(), "")

	resp, b := send(t, "POST", ts.URL+"/api/v1/care/rangers", officer, map[string]any{
		"name": "王护林", "id_number": "36113019800101123X", "village_code": "361130100001",
		"contract_from": "2026-01-01", "contract_to": "2026-12-31", "yearly_pay_yuan": "10000.00"})
	var ranger struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal(b, &ranger); resp.StatusCode != http.StatusCreated || err != nil {
		t.Fatalf("add ranger: %d %s", resp.StatusCode, b)
	}
	resp, b = send(t, "POST", ts.URL+"/api/v1/care/areas", officer, careArea(t, pool, "A", 583000, 3237000, 584000, 3238000))
	var areas struct {
		IDs []int64 `json:"ids"`
	}
	if err := json.Unmarshal(b, &areas); resp.StatusCode != http.StatusCreated || err != nil {
		t.Fatalf("create area: %d %s", resp.StatusCode, b)
	}
	if resp, b := send(t, "POST", fmt.Sprintf("%s/api/v1/care/areas/%d/assignments", ts.URL, areas.IDs[0]), officer,
		map[string]any{"ranger": ranger.ID, "from": "2026-01-01"}); resp.StatusCode != http.StatusCreated {
		t.Fatalf("assign: %d %s", resp.StatusCode, b)
	}
	tracks := fmt.Sprintf("%s/api/v1/care/rangers/%d/tracks", ts.URL, ranger.ID)
	month := fmt.Sprintf("%s/api/v1/care/rangers/%d/months/2026-03", ts.URL, ranger.ID)
	type report struct {
		Area          *string  `json:"area"`
		Days          int      `json:"days"`
		Tracks        int      `json:"tracks"`
		LengthKm      float64  `json:"length_km"`
		CoverageShare *float64 `json:"coverage_share"`
	}
	measure := func() report {
		t.Helper()
		resp, b := send(t, "GET", month, viewer, nil)
		var r report
		if err := json.Unmarshal(b, &r); resp.StatusCode != http.StatusOK || err != nil {
			t.Fatalf("month: %d %s", resp.StatusCode, b)
		}
		return r
	}
	if r := measure(); r.Days != 0 || r.Tracks != 0 || r.CoverageShare == nil || *r.CoverageShare != 0 || r.Area == nil || *r.Area != "A" {
		t.Errorf("before any track: %+v; want area A, 0 days, coverage 0", r)
	}

	day1 := time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)
	line := northward(583500, 3237000, 11, day1)
	if resp, b := postRaw(t, tracks, viewer, "application/gpx+xml", gpxOf(t, pool, line)); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a viewer uploads: %d %s; want 403", resp.StatusCode, b)
	}
	resp, b = postRaw(t, tracks, officer, "application/gpx+xml", gpxOf(t, pool, line))
	if resp.StatusCode != http.StatusCreated || !strings.Contains(string(b), `"points":11`) || !strings.Contains(string(b), `"length_km":1`) ||
		!strings.Contains(string(b), `"area":"A"`) || !strings.Contains(string(b), `"source":"gpx"`) {
		t.Fatalf("upload the GPX: %d %s; want 201, 11 points, 1 km, area A", resp.StatusCode, b)
	}
	if r := measure(); r.Days != 1 || r.Tracks != 1 || r.LengthKm != 1 || r.CoverageShare == nil || math.Abs(*r.CoverageShare-0.2) > 0.0005 {
		t.Errorf("after one track: %+v; want 1 day, 1 track, 1.000 km, coverage 0.2000", r)
	}

	day2 := time.Date(2026, 3, 11, 8, 0, 0, 0, time.UTC)
	lons, lats := lonLat(t, pool, northward(583500, 3237000, 11, day2))
	coords, times := make([][]float64, len(lons)), make([]string, len(lons))
	for i := range lons {
		coords[i], times[i] = []float64{lons[i], lats[i]}, day2.Add(time.Duration(i)*time.Minute).Format(time.RFC3339)
	}
	resp, b = send(t, "POST", tracks, officer, map[string]any{"type": "Feature",
		"geometry": map[string]any{"type": "LineString", "coordinates": coords}, "properties": map[string]any{"times": times}})
	if resp.StatusCode != http.StatusCreated || !strings.Contains(string(b), `"source":"geojson"`) {
		t.Fatalf("post the GeoJSON track: %d %s", resp.StatusCode, b)
	}
	if r := measure(); r.Days != 2 || r.Tracks != 2 || r.LengthKm != 2 || r.CoverageShare == nil || math.Abs(*r.CoverageShare-0.2) > 0.0005 {
		t.Errorf("after two tracks: %+v; want 2 days, 2 tracks, 2.000 km, coverage still 0.2000", r)
	}

	day3 := time.Date(2026, 3, 12, 8, 0, 0, 0, time.UTC)
	teleport := northward(583500, 3237000, 11, day3)
	teleport[5].x += 1000
	backwards := northward(583500, 3237000, 11, day3)
	backwards[3].at = backwards[2].at.Add(-10 * time.Second)
	outside := northward(590000, 3237000, 11, day3)
	for _, c := range []struct {
		name, body, want string
	}{
		{"a teleport", gpxOf(t, pool, teleport), "point 6 (2026-03-12T08:05:00Z) is 1003 m from point 5 in 1m0s: 60 km/h"},
		{"time going backwards", gpxOf(t, pool, backwards), "point 4 (2026-03-12T08:01:50Z) is not after point 3 (2026-03-12T08:02:00Z)"},
		{"outside the county", gpxOf(t, pool, outside), "point 1 (2026-03-12T08:00:00Z) is outside the county"},
		{"a DOCTYPE", strings.Replace(gpxOf(t, pool, line), "<gpx ", `<!DOCTYPE gpx [<!ENTITY x "y">]><gpx `, 1), "DOCTYPE"},
		{"not UTF-8", strings.Replace(gpxOf(t, pool, line), "巡护", "\xff\xfe", 1), "not UTF-8"},
	} {
		if resp, b := postRaw(t, tracks, officer, "application/gpx+xml", c.body); resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), c.want) {
			t.Errorf("%s: %d %s; want 400 saying %q", c.name, resp.StatusCode, b, c.want)
		}
	}
	var stored, audited int
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM patrol_track), (SELECT count(*) FROM audit_log WHERE action = 'care.track.create')`).
		Scan(&stored, &audited); err != nil || stored != 2 || audited != 2 {
		t.Errorf("%d tracks stored, %d audited (%v); want the two accepted ones", stored, audited, err)
	}
}
