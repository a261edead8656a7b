package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wuyuan-forestry/ecocomp/internal/auth"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
)

// TestCareMapLayersOnTheGrid checks by hand what the web map draws of forest care, on the grid
// (squares of 100 m, column i at x 583000 + 100i, row j at y 3237000 + 100j, 15 亩 each):
//
//   - area A is columns 0–4 (x 583000–583500, y 3237000–3238000), ranger R1 from 2026-01-01;
//     area B is columns 4–9 below row 9 (x 583400–584000, y 3237000–3237900), ranger R2 from
//     2026-04-01 only;
//   - R1 walks up x 583200 on 10 March 16:00 and on 13 March 07:30 (UTC+8; 12 March 23:30 UTC):
//     A's last patrol is 2026-03-13, not the 12th; R2 walks up x 583700 on 20 March, before
//     R2's assignment: B's last patrol is null;
//   - the tracks of 2026-03 are those three (R1's two with ranger=R1), each 1.000 km, a straight
//     11-point line simplified to its 2 ends; April has none;
//   - square (2,2) is public-welfare 011 in A only: not drawn; square (4,3) is 012 in A and B:
//     an overlap of 15.00 亩, all of it in both; square (7,9) is 011 above B: outside, 15.00 亩.
func TestCareMapLayersOnTheGrid(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	loadGrid(t, pool)
	for _, q := range []string{
		`UPDATE parcel SET sen_lin_lb = '011' WHERE code IN ('` + gridCode(2, 2) + `', '` + gridCode(7, 9) + `')`,
		`UPDATE parcel SET sen_lin_lb = '012' WHERE code = '` + gridCode(4, 3) + `'`,
	} {
		if _, err := pool.Exec(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
	officer := userToken(t, pool, "care.officer", auth.CaseOfficer)
	viewer := userToken(t, pool, "care.viewer", auth.Viewer)
	ts := newPIIServer(t, pool, discardLogger(), "")

	created := func(resp *http.Response, b []byte, what string) int64 {
		t.Helper()
		var out struct {
			ID  int64   `json:"id"`
			IDs []int64 `json:"ids"`
		}
		if err := json.Unmarshal(b, &out); resp.StatusCode != http.StatusCreated || err != nil {
			t.Fatalf("%s: %d %s", what, resp.StatusCode, b)
		}
		if len(out.IDs) > 0 {
			return out.IDs[0]
		}
		return out.ID
	}
	ranger := func(name, idn string) int64 {
		t.Helper()
		resp, b := send(t, "POST", ts.URL+"/api/v1/care/rangers", officer, map[string]any{
			"name": name, "id_number": idn, "village_code": "361130100001",
			"contract_from": "2026-01-01", "contract_to": "2026-12-31", "yearly_pay_yuan": "10000.00"})
		return created(resp, b, "add ranger "+name)
	}
	r1, r2 := ranger("王护林", "36113019800101123X"), ranger("李巡山", "361130199002021234")
	resp, b := send(t, "POST", ts.URL+"/api/v1/care/areas", officer, careArea(t, pool, "A", 583000, 3237000, 583500, 3238000))
	a := created(resp, b, "area A")
	resp, b = send(t, "POST", ts.URL+"/api/v1/care/areas", officer, careArea(t, pool, "B", 583400, 3237000, 584000, 3237900))
	bID := created(resp, b, "area B")
	for _, as := range []struct {
		area, ranger int64
		from         string
	}{{a, r1, "2026-01-01"}, {bID, r2, "2026-04-01"}} {
		resp, b := send(t, "POST", fmt.Sprintf("%s/api/v1/care/areas/%d/assignments", ts.URL, as.area), officer,
			map[string]any{"ranger": as.ranger, "from": as.from})
		created(resp, b, "assign")
	}
	upload := func(r int64, x float64, start time.Time) {
		t.Helper()
		resp, b := postRaw(t, fmt.Sprintf("%s/api/v1/care/rangers/%d/tracks", ts.URL, r), officer, "application/gpx+xml",
			gpxOf(t, pool, northward(x, 3237000, 11, start)))
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("upload: %d %s", resp.StatusCode, b)
		}
	}
	upload(r1, 583200, time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC))
	upload(r1, 583200, time.Date(2026, 3, 12, 23, 30, 0, 0, time.UTC))
	upload(r2, 583700, time.Date(2026, 3, 20, 2, 0, 0, 0, time.UTC))

	// The areas with their last patrol, its age counted in UTC+8 days.
	resp, b = send(t, "GET", ts.URL+"/api/v1/care/areas", viewer, nil)
	var areas struct {
		Features []struct {
			Properties struct {
				Code           string  `json:"code"`
				LastPatrol     *string `json:"last_patrol"`
				LastPatrolDays *int    `json:"last_patrol_days"`
			} `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal(b, &areas); resp.StatusCode != http.StatusOK || err != nil || len(areas.Features) != 2 {
		t.Fatalf("areas: %d %s", resp.StatusCode, b)
	}
	now := time.Now().In(time.FixedZone("CST", 8*3600))
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	wantDays := int(today.Sub(time.Date(2026, 3, 13, 0, 0, 0, 0, time.UTC)).Hours() / 24)
	pa, pb := areas.Features[0].Properties, areas.Features[1].Properties
	if pa.Code != "A" || pa.LastPatrol == nil || *pa.LastPatrol != "2026-03-13" || pa.LastPatrolDays == nil || *pa.LastPatrolDays != wantDays {
		t.Errorf("area A: last patrol %v, %v days ago; want 2026-03-13 (the 12th 23:30 UTC is the 13th in UTC+8), %d days ago",
			deref(pa.LastPatrol), deref(pa.LastPatrolDays), wantDays)
	}
	if pb.Code != "B" || pb.LastPatrol != nil || pb.LastPatrolDays != nil {
		t.Errorf("area B: last patrol %v, %v days ago; want none (R2's track is before R2's assignment)", deref(pb.LastPatrol), deref(pb.LastPatrolDays))
	}

	// The month's tracks.
	type trackFC struct {
		Truncated bool `json:"truncated"`
		Features  []struct {
			Geometry struct {
				Type        string      `json:"type"`
				Coordinates [][]float64 `json:"coordinates"`
			} `json:"geometry"`
			Properties struct {
				ID        int64   `json:"id"`
				Ranger    int64   `json:"ranger"`
				Area      *string `json:"area"`
				StartedAt string  `json:"started_at"`
				LengthKm  float64 `json:"length_km"`
			} `json:"properties"`
		} `json:"features"`
	}
	tracks := func(query string) trackFC {
		t.Helper()
		resp, b := send(t, "GET", ts.URL+"/api/v1/care/tracks?"+query, viewer, nil)
		var fc trackFC
		if err := json.Unmarshal(b, &fc); resp.StatusCode != http.StatusOK || err != nil {
			t.Fatalf("tracks?%s: %d %s", query, resp.StatusCode, b)
		}
		return fc
	}
	march := tracks("month=2026-03")
	if len(march.Features) != 3 || march.Truncated {
		t.Fatalf("March: %d tracks (truncated %v); want 3", len(march.Features), march.Truncated)
	}
	for i, want := range []struct {
		ranger int64
		area   string
	}{{r1, "A"}, {r1, "A"}, {r2, ""}} {
		f := march.Features[i]
		if f.Properties.Ranger != want.ranger || fmt.Sprint(deref(f.Properties.Area)) != fmt.Sprint(orNil(want.area)) ||
			f.Properties.LengthKm != 1 || f.Geometry.Type != "LineString" || len(f.Geometry.Coordinates) != 2 {
			t.Errorf("March track %d: ranger %d, area %v, %.3f km, a %s of %d points; want ranger %d, area %v, 1.000 km, a LineString of 2",
				i+1, f.Properties.Ranger, deref(f.Properties.Area), f.Properties.LengthKm, f.Geometry.Type, len(f.Geometry.Coordinates), want.ranger, orNil(want.area))
		}
	}
	if n := len(tracks(fmt.Sprintf("month=2026-03&ranger=%d", r1)).Features); n != 2 {
		t.Errorf("R1's March: %d tracks; want 2", n)
	}
	if n := len(tracks("month=2026-04").Features); n != 0 {
		t.Errorf("April: %d tracks; want none", n)
	}
	for _, bad := range []string{"", "month=2026-13", "month=2026-03&ranger=x"} {
		if resp, b := send(t, "GET", ts.URL+"/api/v1/care/tracks?"+bad, viewer, nil); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("tracks?%s: %d %s; want 400", bad, resp.StatusCode, b)
		}
	}
	if resp, _ := send(t, "GET", ts.URL+"/api/v1/care/tracks?month=2026-03", "", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("tracks without signing in: %d; want 401 (staff only)", resp.StatusCode)
	}

	// The coverage check's parcels.
	resp, b = send(t, "GET", ts.URL+"/api/v1/care/coverage/parcels", viewer, nil)
	var cov struct {
		Type    string `json:"type"`
		Summary struct {
			TargetParcels int         `json:"target_parcels"`
			OutsideMu     json.Number `json:"outside_mu"`
			OverlapMu     json.Number `json:"overlap_mu"`
		} `json:"summary"`
		Features []struct {
			Geometry struct {
				Type string `json:"type"`
			} `json:"geometry"`
			Properties struct {
				Problem   string      `json:"problem"`
				Parcel    string      `json:"parcel"`
				Village   *string     `json:"village"`
				Mu        json.Number `json:"mu"`
				Areas     []string    `json:"areas"`
				OverlapMu json.Number `json:"overlap_mu"`
			} `json:"properties"`
		} `json:"features"`
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	if err := dec.Decode(&cov); resp.StatusCode != http.StatusOK || err != nil || resp.Header.Get("Content-Type") != "application/geo+json" {
		t.Fatalf("coverage parcels: %d %s %s (%v)", resp.StatusCode, resp.Header.Get("Content-Type"), b, err)
	}
	if cov.Type != "FeatureCollection" || cov.Summary.TargetParcels != 3 || cov.Summary.OutsideMu.String() != "15.00" || cov.Summary.OverlapMu.String() != "15.00" {
		t.Errorf("summary %+v; want 3 target parcels, 15.00 亩 outside, 15.00 亩 in two areas", cov.Summary)
	}
	if len(cov.Features) != 2 {
		t.Fatalf("%d coverage parcels: %s; want 2", len(cov.Features), b)
	}
	out, two := cov.Features[0], cov.Features[1]
	if p := out.Properties; p.Problem != "outside" || p.Parcel != gridCode(7, 9) || p.Mu.String() != "15.00" || deref(p.Village) != "测试村" || out.Geometry.Type != "MultiPolygon" {
		t.Errorf("first feature %+v (%s); want %s outside, 15.00 亩, in 测试村, a MultiPolygon", p, out.Geometry.Type, gridCode(7, 9))
	}
	if p := two.Properties; p.Problem != "overlap" || p.Parcel != gridCode(4, 3) || fmt.Sprint(p.Areas) != "[A B]" || p.Mu.String() != "15.00" || p.OverlapMu.String() != "15.00" {
		t.Errorf("second feature %+v; want %s in A and B, 15.00 亩, all of it in both", p, gridCode(4, 3))
	}
}

// deref shows a pointer's value, or nil.
func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// orNil is s, or nil when empty.
func orNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}
