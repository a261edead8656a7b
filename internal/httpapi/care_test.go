package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wuyuan-forestry/ecocomp/internal/auth"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
)

// careArea is a GeoJSON feature of a care area: the EPSG:4548 rectangle x0–x1, y0–y1 (metres,
// the grid's frame) in EPSG:4490 longitude/latitude.
func careArea(t *testing.T, pool *pgxpool.Pool, code string, x0, y0, x1, y1 int) map[string]any {
	t.Helper()
	var g json.RawMessage
	if err := pool.QueryRow(context.Background(), `SELECT ST_AsGeoJSON(ST_Transform(ST_MakeEnvelope($1, $2, $3, $4, 4548), 4490), 9)::json`,
		x0, y0, x1, y1).Scan(&g); err != nil {
		t.Fatal(err)
	}
	return map[string]any{"type": "Feature", "id": code, "geometry": g, "properties": map[string]any{"code": code, "name": "责任区 " + code, "fid": 1,
		"chiefs": map[string]string{"village": "村林长", "township": "乡林长", "county": "县林长"}}}
}

// TestCareCoverageOnTheGrid checks the coverage check by hand on the grid (squares of 100 m,
// column i at x 583000 + 100i, row j at y 3237000 + 100j, MIAN_JI 1.0 ha = 15 亩 each, all
// commercial forest 022 unless changed here):
//
//   - square (0,0) is made public-welfare 011 and lies in no area: listed outside, 15.00 亩;
//   - square (4,4) is made natural forest (QI_YUAN 11) and lies in area A only: not listed;
//   - square (5,5) is made public-welfare 012 and lies in A (its lower half, y 3237500–3237550)
//     and B (whole): listed in two areas, 15.00 亩, of which the lower half, 7.50 亩, is in both.
//
// Area A is x 583400–583600, y 3237400–3237550; area B is x 583500–583700, y 3237500–3237700.
// B touches square (4,4) at a corner only, which is not being in it.
func TestCareCoverageOnTheGrid(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t)
	loadGrid(t, pool)
	for _, q := range []string{
		`UPDATE parcel SET sen_lin_lb = '011' WHERE code = '` + gridCode(0, 0) + `'`,
		`UPDATE parcel SET qi_yuan = '11' WHERE code = '` + gridCode(4, 4) + `'`,
		`UPDATE parcel SET sen_lin_lb = '012' WHERE code = '` + gridCode(5, 5) + `'`,
	} {
		if _, err := pool.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	officer := userToken(t, pool, "care.officer", auth.CaseOfficer)
	viewer := userToken(t, pool, "care.viewer", auth.Viewer)
	ts := newPIIServer(t, pool, discardLogger(), "")

	body := map[string]any{"type": "FeatureCollection", "features": []any{
		careArea(t, pool, "A", 583400, 3237400, 583600, 3237550),
		careArea(t, pool, "B", 583500, 3237500, 583700, 3237700),
	}}
	if resp, b := send(t, "POST", ts.URL+"/api/v1/care/areas", viewer, body); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a viewer creates areas: %d %s; want 403", resp.StatusCode, b)
	}
	if resp, b := send(t, "POST", ts.URL+"/api/v1/care/areas", officer, body); resp.StatusCode != http.StatusCreated {
		t.Fatalf("create areas: %d %s", resp.StatusCode, b)
	}
	// A bow-tie refuses the whole collection, naming the feature.
	bad := careArea(t, pool, "C", 583000, 3236000, 583100, 3236100)
	bad["geometry"] = map[string]any{"type": "Polygon", "coordinates": [][][]float64{{{117.8, 29.2}, {117.81, 29.21}, {117.81, 29.2}, {117.8, 29.21}, {117.8, 29.2}}}}
	resp, b := send(t, "POST", ts.URL+"/api/v1/care/areas", officer, map[string]any{"type": "FeatureCollection", "features": []any{
		careArea(t, pool, "D", 583000, 3236000, 583100, 3236100), bad}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "feature 2 (C) is not a valid polygon") {
		t.Errorf("a self-intersecting area: %d %s; want 400 naming feature 2", resp.StatusCode, b)
	}
	var areas int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM care_area`).Scan(&areas); err != nil || areas != 2 {
		t.Errorf("%d areas stored (%v); want A and B only (the refused collection stored nothing)", areas, err)
	}

	resp, b = send(t, "GET", ts.URL+"/api/v1/care/coverage", viewer, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("coverage: %d %s", resp.StatusCode, b)
	}
	var cov struct {
		TargetParcels int         `json:"target_parcels"`
		TargetMu      json.Number `json:"target_mu"`
		OutsideMu     json.Number `json:"outside_mu"`
		Outside       []struct {
			Parcel string      `json:"parcel"`
			Mu     json.Number `json:"mu"`
		} `json:"outside"`
		OverlapMu json.Number `json:"overlap_mu"`
		Twice     []struct {
			Parcel    string      `json:"parcel"`
			Areas     []string    `json:"areas"`
			Mu        json.Number `json:"mu"`
			OverlapMu json.Number `json:"overlap_mu"`
		} `json:"in_two_or_more"`
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	if err := dec.Decode(&cov); err != nil {
		t.Fatal(err)
	}
	if cov.TargetParcels != 3 || cov.TargetMu.String() != "45.00" {
		t.Errorf("target: %d parcels, %s 亩; want 3, 45.00", cov.TargetParcels, cov.TargetMu)
	}
	if len(cov.Outside) != 1 || cov.Outside[0].Parcel != gridCode(0, 0) || cov.Outside[0].Mu.String() != "15.00" || cov.OutsideMu.String() != "15.00" {
		t.Errorf("outside every area: %+v (%s 亩); want %s alone, 15.00 亩", cov.Outside, cov.OutsideMu, gridCode(0, 0))
	}
	if len(cov.Twice) != 1 || cov.Twice[0].Parcel != gridCode(5, 5) || fmt.Sprint(cov.Twice[0].Areas) != "[A B]" ||
		cov.Twice[0].Mu.String() != "15.00" || cov.Twice[0].OverlapMu.String() != "7.50" || cov.OverlapMu.String() != "7.50" {
		t.Errorf("in two areas: %+v (overlap %s 亩); want %s in A and B, 15.00 亩, 7.50 of them in both", cov.Twice, cov.OverlapMu, gridCode(5, 5))
	}

	resp, b = send(t, "GET", ts.URL+"/api/v1/care/areas", viewer, nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), `"county":"县林长"`) || strings.Count(string(b), `"type":"Feature"`) != 2 {
		t.Errorf("areas: %d %s; want two features with their chiefs", resp.StatusCode, b)
	}
}

// TestCareRangersMaskedAndAssignedOneAtATime: a viewer sees a ranger masked, finance in clear
// with one pii.read audit row; a second ranger on the same area for overlapping days is refused
// with a 409 naming the assignment it meets, and days after it are accepted (history kept).
func TestCareRangersMaskedAndAssignedOneAtATime(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t)
	loadGrid(t, pool)
	officer := userToken(t, pool, "care.officer", auth.CaseOfficer)
	viewer := userToken(t, pool, "care.viewer", auth.Viewer)
	finance := userToken(t, pool, "care.finance", auth.Finance)
	ts := newPIIServer(t, pool, discardLogger(), "")

	ranger := func(token, name, idn string) (*http.Response, int64) {
		t.Helper()
		resp, b := send(t, "POST", ts.URL+"/api/v1/care/rangers", token, map[string]any{
			"name": name, "id_number": idn, "bank_account": "6217001234567890123", "village_code": "361130100001",
			"poor_household": true, "contract_from": "2026-01-01", "contract_to": "2026-12-31", "yearly_pay_yuan": "10000.00"})
		var out struct {
			ID int64 `json:"id"`
		}
		_ = json.Unmarshal(b, &out)
		return resp, out.ID
	}
	if resp, _ := ranger(finance, "王护林", "36113019800101123X"); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("finance adds a ranger: %d; want 403 (case officers and administrators write)", resp.StatusCode)
	}
	resp, r1 := ranger(officer, "王护林", "36113019800101123x")
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("add ranger: %d", resp.StatusCode)
	}
	if resp, _ := ranger(officer, "王护林", "36113019800101123X"); resp.StatusCode != http.StatusConflict {
		t.Errorf("the same ID number again: %d; want 409", resp.StatusCode)
	}
	_, r2 := ranger(officer, "李巡山", "361130199002021234")

	var plain int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM ranger WHERE position(convert_to('王护林', 'UTF8') IN name_enc) > 0
		OR position(convert_to('6217001234567890123', 'UTF8') IN bank_account_enc) > 0`).Scan(&plain); err != nil || plain != 0 {
		t.Errorf("%d rangers stored in clear (%v); want none", plain, err)
	}

	type roster struct {
		Masked  bool `json:"masked"`
		Rangers []struct {
			ID          int64       `json:"id"`
			Name        string      `json:"name"`
			IDNumber    string      `json:"id_number"`
			BankAccount string      `json:"bank_account"`
			YearlyPay   json.Number `json:"yearly_pay_yuan"`
		} `json:"rangers"`
	}
	reads := func() int {
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'pii.read' AND entity = 'ranger'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	var seen roster
	resp, b := send(t, "GET", ts.URL+"/api/v1/care/rangers", viewer, nil)
	if err := json.Unmarshal(b, &seen); resp.StatusCode != http.StatusOK || err != nil || len(seen.Rangers) != 2 {
		t.Fatalf("roster as viewer: %d %s", resp.StatusCode, b)
	}
	if w := seen.Rangers[0]; !seen.Masked || w.Name == "王护林" || strings.Contains(string(b), "王护林") ||
		strings.Contains(string(b), "36113019800101123X") || strings.Contains(string(b), "6217001234567890123") {
		t.Errorf("a viewer sees %+v; want the name, ID number and account masked", w)
	}
	if n := reads(); n != 0 {
		t.Errorf("%d pii.read rows after a masked read; want none", n)
	}
	resp, b = send(t, "GET", ts.URL+"/api/v1/care/rangers", finance, nil)
	if err := json.Unmarshal(b, &seen); resp.StatusCode != http.StatusOK || err != nil || len(seen.Rangers) != 2 {
		t.Fatalf("roster as finance: %d %s", resp.StatusCode, b)
	}
	if w := seen.Rangers[0]; seen.Masked || w.ID != r1 || w.Name != "王护林" || w.IDNumber != "36113019800101123X" ||
		w.BankAccount != "6217001234567890123" || w.YearlyPay.String() != "10000.00" {
		t.Errorf("finance sees %+v; want 王护林 in clear, paid 10000.00", w)
	}
	if n := reads(); n != 1 {
		t.Errorf("%d pii.read rows after finance's read; want one", n)
	}

	areaBody := careArea(t, pool, "A", 583000, 3237000, 583300, 3237300)
	resp, b = send(t, "POST", ts.URL+"/api/v1/care/areas", officer, areaBody)
	var created struct {
		IDs []int64 `json:"ids"`
	}
	if err := json.Unmarshal(b, &created); resp.StatusCode != http.StatusCreated || err != nil || len(created.IDs) != 1 {
		t.Fatalf("create one area: %d %s", resp.StatusCode, b)
	}
	assign := fmt.Sprintf("%s/api/v1/care/areas/%d/assignments", ts.URL, created.IDs[0])
	resp, b = send(t, "POST", assign, officer, map[string]any{"ranger": r1, "from": "2026-01-01", "to": "2026-06-30"})
	var first struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal(b, &first); resp.StatusCode != http.StatusCreated || err != nil {
		t.Fatalf("first assignment: %d %s", resp.StatusCode, b)
	}
	resp, b = send(t, "POST", assign, officer, map[string]any{"ranger": r2, "from": "2026-06-01"})
	want := fmt.Sprintf("area A already has ranger %d from 2026-01-01 to 2026-06-30 (assignment %d): one ranger at a time", r1, first.ID)
	if resp.StatusCode != http.StatusConflict || !strings.Contains(string(b), want) {
		t.Errorf("an overlapping assignment: %d %s; want 409 saying %q", resp.StatusCode, b, want)
	}
	if resp, b := send(t, "POST", assign, viewer, map[string]any{"ranger": r2, "from": "2026-07-01"}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a viewer assigns: %d %s; want 403", resp.StatusCode, b)
	}
	if resp, b := send(t, "POST", assign, officer, map[string]any{"ranger": r2, "from": "2026-07-01"}); resp.StatusCode != http.StatusCreated {
		t.Errorf("the next ranger from the day after: %d %s; want 201", resp.StatusCode, b)
	}
	var periods string
	if err := pool.QueryRow(ctx, `SELECT string_agg(period::text, ' ' ORDER BY lower(period)) FROM care_assignment`).Scan(&periods); err != nil ||
		periods != "[2026-01-01,2026-07-01) [2026-07-01,2027-01-01)" {
		t.Errorf("assignments %q (%v); want the first half-year and the second, both kept", periods, err)
	}
	var writes int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action LIKE 'care.%'`).Scan(&writes); err != nil || writes != 5 {
		t.Errorf("%d care.* audit rows (%v); want 5: two rangers, one area, two assignments", writes, err)
	}
}
