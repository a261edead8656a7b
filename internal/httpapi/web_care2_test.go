package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/wuyuan-forestry/ecocomp/internal/auth"
	"github.com/wuyuan-forestry/ecocomp/internal/policy"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
)

// TestWebCareDrawAssignReportInBrowser drives the care panel's forms in Debian's chromium
// (web/test/care2.test.mjs) over the grid (the county x 582000–585000, y 3236000–3239000):
//
//   - area A (x 583000–584000, y 3237000–3237900) is 王护林's from 1 January last year; 李巡山 has
//     no area; both are under contract from 1 January last year to 31 December this year;
//   - in the browser a case officer draws area D (x 582200–582900, y 3236200–3236900) with the
//     zone check's tool, is refused the code A (taken, in Chinese), saves it as D with its three
//     chiefs and sees it listed and drawn; assigns 王护林 to D from before his contract (refused:
//     the contract named), 李巡山 from 1 January last year (the history shows it, current), then
//     王护林 from 1 January this year (refused 409 naming 李巡山 and that assignment);
//   - on 王护林's page reports a fire at the middle of A with a 16×16 PNG, sees the month's one
//     incident as a point and its popup with the photo; opens the ranger pay roll's
//     reconciliation and its xlsx link. Under the shipped policy (20 patrol days and 60 % a month,
//     else half pay; nothing retained without a compensation roll; the central fund of
//     600,000.00) neither ranger patrols, so every month over is paid half and the central fund
//     pays it all: no shortfall.
func TestWebCareDrawAssignReportInBrowser(t *testing.T) {
	chromium := browserTools(t)
	ctx := context.Background()
	pool := pgtest.New(t)
	loadGrid(t, pool)
	if _, err := policy.LoadShipped(ctx, pool); err != nil { // the zone check and the care rules need one
		t.Fatal(err)
	}
	userToken(t, pool, "officer1", auth.CaseOfficer)
	officer := userToken(t, pool, "officer2", auth.CaseOfficer)
	ts := newPIIServer(t, pool, discardLogger(), "")

	cst := time.FixedZone("CST", 8*3600)
	now := time.Now().In(cst)
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
			"name": name, "id_number": idn, "village_code": "361130100001",
			"contract_from": contractFrom, "contract_to": contractTo, "yearly_pay_yuan": "12000.00"})
		return created(resp, b, "add ranger "+name)
	}
	r1, r2 := ranger("王护林", "36113019800101123X"), ranger("李巡山", "361130199002021234")
	resp, b := send(t, "POST", ts.URL+"/api/v1/care/areas", officer, careArea(t, pool, "A", 583000, 3237000, 584000, 3237900))
	a := created(resp, b, "area A")
	resp, b = send(t, "POST", fmt.Sprintf("%s/api/v1/care/areas/%d/assignments", ts.URL, a), officer, map[string]any{"ranger": r1, "from": contractFrom})
	created(resp, b, "assign A")

	// The outline to draw (D) and the incident's place (the middle of A), in lon/lat.
	var ring, at json.RawMessage
	if err := pool.QueryRow(ctx, `SELECT ST_AsGeoJSON(ST_Transform(ST_MakeEnvelope(582200, 3236200, 582900, 3236900, 4548), 4490), 9)::json -> 'coordinates' -> 0,
		ST_AsGeoJSON(ST_Transform(ST_SetSRID(ST_MakePoint(583500, 3237450), 4548), 4490), 9)::json -> 'coordinates'`).Scan(&ring, &at); err != nil {
		t.Fatal(err)
	}
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for i := range 16 * 16 {
		img.Set(i%16, i/16, color.RGBA{R: 200, G: 40, B: 30, A: 255})
	}
	var pngBytes bytes.Buffer
	if err := png.Encode(&pngBytes, img); err != nil {
		t.Fatal(err)
	}
	photo := filepath.Join(t.TempDir(), "火情.png")
	if err := os.WriteFile(photo, pngBytes.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"ECOCOMP_URL":           ts.URL,
		"ECOCOMP_OFFICER":       "officer1:Pass-word-2026",
		"ECOCOMP_RANGER":        strconv.FormatInt(r1, 10),
		"ECOCOMP_RANGER2":       strconv.FormatInt(r2, 10),
		"ECOCOMP_MONTH":         now.Format("2006-01"),
		"ECOCOMP_CONTRACT_FROM": contractFrom,
		"ECOCOMP_CONTRACT_TO":   contractTo,
		"ECOCOMP_RING":          string(ring),
		"ECOCOMP_INCIDENT_AT":   string(at),
		"ECOCOMP_PHOTO":         photo,
	}
	runBrowserTest(t, ctx, "care2.test.mjs", chromium, env, nil)

	// What the browser did is what the database holds: D with its chiefs and about 490,000 m²,
	// 李巡山 on it, one fire with the PNG, every write audited.
	var chiefs, assigned, incidents, audited int
	var m2 float64
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM care_chief c JOIN care_area a ON a.id = c.area_id WHERE a.code = 'D'),
		(SELECT ST_Area(ST_Transform(geom, 4548)) FROM care_area WHERE code = 'D'),
		(SELECT count(*) FROM care_assignment s JOIN care_area a ON a.id = s.area_id WHERE a.code = 'D' AND s.ranger_id = $1),
		(SELECT count(*) FROM care_incident WHERE ranger_id = $2 AND kind = 'fire' AND photo_type = 'image/png'),
		(SELECT count(*) FROM audit_log WHERE action IN ('care.area.create', 'care.assignment.create', 'care.incident.create'))`, r2, r1).
		Scan(&chiefs, &m2, &assigned, &incidents, &audited); err != nil {
		t.Fatal(err)
	}
	if chiefs != 3 || assigned != 1 || incidents != 1 || audited != 5 {
		t.Errorf("D has %d chiefs, 李巡山 %d assignments on D, 王护林 %d fires with a PNG, %d audit rows; want 3, 1, 1 and 5 (A, D, two assignments, the fire)",
			chiefs, assigned, incidents, audited)
	}
	// Clicked on screen at zoom ~15, each vertex lands within a few metres: 700 m × 700 m ± 2 %.
	if m2 < 0.98*490000 || m2 > 1.02*490000 {
		t.Errorf("D is %.0f m²; want about 490,000 (700 m × 700 m as drawn)", m2)
	}
}
