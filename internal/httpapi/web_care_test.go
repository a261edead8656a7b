package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/wuyuan-forestry/ecocomp/internal/auth"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
)

// TestWebCareInBrowser drives forest care on the web map in Debian's chromium
// (web/test/care.test.mjs, playwright-core) over the grid (squares of 100 m, column i at
// x 583000 + 100i, row j at y 3237000 + 100j, 15 亩 each; the county x 582000–585000,
// y 3236000–3239000):
//
//   - area A (x 583000–584000, y 3237000–3237900: 900,000 m²) is 王护林's, B (x 583900–584800,
//     y 3237000–3238000) 李巡山's, C (x 582200–582900, y 3236200–3238800) nobody's;
//   - 李巡山 patrolled B 45 days ago (>30 天); A has never been patrolled, nor has C;
//   - square (9,5) is public-welfare 011 in A and B (an overlap of 15.00 亩), square (3,9) is 011
//     above A and left of B (outside every area, 15.00 亩);
//   - in the browser a case officer opens 王护林's page, sees this month's coverage at 0, is
//     refused a GPX with a jump at point 6, uploads a straight track up x 583500 (11 points,
//     1 km, from the first of this month): buffered by 100 m it covers 200 m × 900 m of A, 20.0 %,
//     and the track shows on the map.
func TestWebCareInBrowser(t *testing.T) {
	chromium := browserTools(t)
	ctx := context.Background()
	pool := pgtest.New(t)
	loadGrid(t, pool)
	if _, err := pool.Exec(ctx, `UPDATE parcel SET sen_lin_lb = '011' WHERE code IN ($1, $2)`, gridCode(9, 5), gridCode(3, 9)); err != nil {
		t.Fatal(err)
	}
	officer := userToken(t, pool, "officer1", auth.CaseOfficer)
	ts := newPIIServer(t, pool, discardLogger(), "")

	cst := time.FixedZone("CST", 8*3600)
	now := time.Now().In(cst)
	monthStart := time.Date(now.Year(), now.Month(), 1, 8, 0, 0, 0, cst)
	contractFrom := fmt.Sprintf("%d-01-01", now.Year()-1)
	contractTo := fmt.Sprintf("%d-12-31", now.Year())

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
			"name": name, "id_number": idn, "village_code": "361130100001", "poor_household": name == "王护林",
			"contract_from": contractFrom, "contract_to": contractTo, "yearly_pay_yuan": "12000.00"})
		return created(resp, b, "add ranger "+name)
	}
	r1, r2 := ranger("王护林", "36113019800101123X"), ranger("李巡山", "361130199002021234")
	area := func(code string, x0, y0, x1, y1 int) int64 {
		t.Helper()
		resp, b := send(t, "POST", ts.URL+"/api/v1/care/areas", officer, careArea(t, pool, code, x0, y0, x1, y1))
		return created(resp, b, "area "+code)
	}
	a, b := area("A", 583000, 3237000, 584000, 3237900), area("B", 583900, 3237000, 584800, 3238000)
	area("C", 582200, 3236200, 582900, 3238800)
	for _, as := range [][2]int64{{a, r1}, {b, r2}} {
		resp, body := send(t, "POST", fmt.Sprintf("%s/api/v1/care/areas/%d/assignments", ts.URL, as[0]), officer,
			map[string]any{"ranger": as[1], "from": contractFrom})
		created(resp, body, "assign")
	}
	old := now.AddDate(0, 0, -45)
	if resp, body := postRaw(t, fmt.Sprintf("%s/api/v1/care/rangers/%d/tracks", ts.URL, r2), officer, "application/gpx+xml",
		gpxOf(t, pool, northward(584300, 3237000, 11, time.Date(old.Year(), old.Month(), old.Day(), 8, 0, 0, 0, cst)))); resp.StatusCode != http.StatusCreated {
		t.Fatalf("李巡山's old track: %d %s", resp.StatusCode, body)
	}

	dir := t.TempDir()
	good, bad := filepath.Join(dir, "巡护-王护林.gpx"), filepath.Join(dir, "跳点.gpx")
	jump := northward(583500, 3237000, 11, monthStart)
	jump[5].x += 1000
	for path, pts := range map[string][]trackPoint{good: northward(583500, 3237000, 11, monthStart), bad: jump} {
		if err := os.WriteFile(path, []byte(gpxOf(t, pool, pts)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	env := map[string]string{
		"ECOCOMP_URL":     ts.URL,
		"ECOCOMP_OFFICER": "officer1:Pass-word-2026", // userToken's password
		"ECOCOMP_RANGER":  strconv.FormatInt(r1, 10),
		"ECOCOMP_RANGER2": strconv.FormatInt(r2, 10),
		"ECOCOMP_MONTH":   monthStart.Format("2006-01"),
		"ECOCOMP_GPX":     good,
		"ECOCOMP_GPX_BAD": bad,
		"ECOCOMP_OUTSIDE": gridCode(3, 9),
		"ECOCOMP_OVERLAP": gridCode(9, 5),
	}
	runBrowserTest(t, ctx, "care.test.mjs", chromium, env, nil)

	// What the browser did is what the database holds: 王护林's one track, audited with 李巡山's.
	var tracks, audited int
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM patrol_track WHERE ranger_id = $1),
		(SELECT count(*) FROM audit_log WHERE action = 'care.track.create')`, r1).Scan(&tracks, &audited); err != nil ||
		tracks != 1 || audited != 2 {
		t.Errorf("王护林 has %d tracks, %d care.track.create audit rows (%v); want 1 track (the jump refused), 2 rows (李巡山's too)", tracks, audited, err)
	}
}
