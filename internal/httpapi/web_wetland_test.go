package httpapi_test

import (
	"context"
	"strconv"
	"testing"
	"time"
)

// TestWebWetlandInBrowser drives the wetland bank in Debian's chromium (web/test/wetland.test.mjs,
// playwright-core) over the wetland county of wetland_test.go (park A's reasonable-use zone with
// the national-important patch P1 of 7.5 亩, the shipped policy). The Go side approves three
// restoration projects: X (15 亩, 15.00 credits) and Y (45 亩, 45.00 credits) in park A's service
// area, their as-built milestone (30 %: 4.50 and 13.50 credits) verified three years ago, and one
// in park B (another service area). In the browser a case officer records X's first monitoring
// year (1.50 more: 6.00 released; the second year first is refused as out of order), draws a
// footprint around P1 in the reasonable-use zone (7.50 亩 of national wetland × 2 = 15.00 credits,
// 1,411,764.75 元 at the reference price) and opens a debit from it, then proposes a restoration
// project on a 100 m square without wetland (about 15 credits, drawn by hand) and approves it; finance buys the 15.00
// credits as 6.00 from X and 9.00 from Y at an appraised 90,000 元 (a line over X's 6.00 is refused
// first; park B's project is not offered) and sees the balances change: X 0.00 and Y 4.50
// available, 1,350,000.00 元 in the fund. What the browser cannot know (where P1 is, the
// projects' ids) comes from here.
func TestWebWetlandInBrowser(t *testing.T) {
	chromium := browserTools(t)
	ctx := context.Background()
	wb := newWetlandBank(t)

	asBuilt := time.Now().AddDate(-3, 0, 0).Format(time.DateOnly)
	x := wb.approved(t, "饶河滩地恢复项目", "restoration", 581000, 3231800, 581100, 3231900)
	y := wb.approved(t, "古坦稻田退还湿地项目", "restoration", 581100, 3231800, 581400, 3231900)
	b := wb.approved(t, "乙园项目", "restoration", 590500, 3231500, 590600, 3231600)
	for _, p := range []projectView{x, y, b} {
		wb.release(t, p.ID, "as_built", asBuilt, nil)
	}

	// A rectangle 20 m around P1 (581000–581050 × 3231000–3231100): it covers the whole patch
	// however the clicks round, and reaches out of the park to the west and south.
	var ring string
	if err := wb.pool.QueryRow(ctx, `SELECT (ST_AsGeoJSON(ST_Transform(ST_MakeEnvelope(580980, 3230980, 581080, 3231120, 4548), 4490), 7)::json -> 'coordinates' -> 0)::text`).Scan(&ring); err != nil {
		t.Fatal(err)
	}
	var square string
	if err := wb.pool.QueryRow(ctx, `SELECT (ST_AsGeoJSON(ST_Transform(ST_MakeEnvelope(581500, 3231800, 581600, 3231900, 4548), 4490), 7)::json -> 'coordinates' -> 0)::text`).Scan(&square); err != nil {
		t.Fatal(err)
	}
	const password = "Pass-word-2026" // userToken (access_test.go) gives every user this password
	env := map[string]string{
		"ECOCOMP_URL":       wb.ts.URL,
		"ECOCOMP_OFFICER":   "officer1:" + password,
		"ECOCOMP_FINANCE":   "finance1:" + password,
		"ECOCOMP_FOOTPRINT": ring,
		"ECOCOMP_PROJECT_X": strconv.FormatInt(x.ID, 10),
		"ECOCOMP_PROJECT_Y": strconv.FormatInt(y.ID, 10),
		"ECOCOMP_PROJECT_B": strconv.FormatInt(b.ID, 10),
		// A 100 m square in park A's reasonable-use zone, on no wetland patch and no project.
		"ECOCOMP_PROJECT_FOOTPRINT": square,
	}
	runBrowserTest(t, ctx, "wetland.test.mjs", chromium, env, nil)

	// What the browser did is what the database holds.
	var status, applicant string
	var required, sales, saleLines int64
	if err := wb.pool.QueryRow(ctx, `SELECT d.status, d.applicant, d.required_centi, (SELECT count(*) FROM wetland_sale s WHERE s.debit_id = d.id),
		(SELECT count(*) FROM wetland_ledger l WHERE l.debit_id = d.id AND l.kind = 'sale') FROM wetland_debit d`).Scan(&status, &applicant, &required, &sales, &saleLines); err != nil {
		t.Fatalf("the browser's debit: %v", err)
	}
	if status != "settled" || applicant != "婺源县文旅投资公司" || required != 1500 || sales != 1 || saleLines != 2 {
		t.Errorf("the debit is %s for %s owing %d centi-credits with %d sales of %d lines; want settled, 婺源县文旅投资公司, 1500, 1 sale of 2 lines",
			status, applicant, required, sales, saleLines)
	}
	var released int64
	var verifier string
	if err := wb.pool.QueryRow(ctx, `SELECT credits_centi, verifier FROM wetland_release WHERE project_id = $1 AND milestone = 'monitoring_1'`, x.ID).Scan(&released, &verifier); err != nil ||
		released != 150 || verifier != "江西省林业科学院 监测组" {
		t.Errorf("X's first monitoring year released %d centi-credits verified by %q (%v); want 150 by 江西省林业科学院 监测组", released, verifier, err)
	}
	var proposed string
	var earned int64
	if err := wb.pool.QueryRow(ctx, `SELECT status, credits_centi FROM wetland_project WHERE name = '汪口稻田湿地恢复项目'`).Scan(&proposed, &earned); err != nil ||
		proposed != "approved" || earned < 1400 || earned > 1600 {
		t.Errorf("the browser's project is %q earning %d centi-credits (%v); want approved, about 1500", proposed, earned, err)
	}
	var audited int
	if err := wb.pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE (action = 'wetland.debit.open' AND actor = 'officer1')
		OR (action = 'wetland.sale' AND actor = 'finance1')`).Scan(&audited); err != nil || audited != 2 {
		t.Errorf("%d audit rows of the debit's opening and its sale (%v); want 2", audited, err)
	}
}
