package httpapi_test

import (
	"context"
	"testing"

	"github.com/wuyuan-forestry/ecocomp/internal/auth"
	"github.com/wuyuan-forestry/ecocomp/internal/pilot"
)

// TestWebStatsInBrowser opens the statistics page in Debian's chromium (web/test/stats.test.mjs)
// over the county of TestCompensationOverviewOnTheGrid (紫阳镇: the 10 × 10 grid of 15 亩 squares;
// 清华镇: two parcels of 30 亩), with the grid's land classes, age groups and species varied here:
// column 8 is 竹林地 (030200, 10 squares, 150 亩); the others are 乔木林地 of 杉木, 马尾松 in columns
// 4–7 (600 亩), each row's age group its row number mod 5 + 1. Square (9,9) changes on
// 2026-06-01 from 乔木林地 to 竹林地: 紫阳镇 has 1,335 亩 乔木林地 and 165 亩 竹林地 today, and 1,350
// and 150 as of 2026-03-01. The pilot plan is loaded with two entries: 林权抵押 0.15 of 0.2 亿元
// (75.0 %) and 绿色产业引导基金 1.2 of 1 亿元 (120.0 %).
func TestWebStatsInBrowser(t *testing.T) {
	chromium := browserTools(t)
	ctx := context.Background()
	pool := loadOverviewCounty(t)
	for _, q := range []string{
		`UPDATE parcel SET ling_zu = ((xiao_ban::int - 1) % 10 % 5 + 1)::text WHERE xiang = '100'`,
		`UPDATE parcel SET you_shi_sz = '220000' WHERE xiang = '100' AND (xiao_ban::int - 1) / 10 BETWEEN 4 AND 7`,
		`UPDATE parcel SET di_lei = '030200', you_shi_sz = '660000', ling_zu = NULL WHERE xiang = '100' AND (xiao_ban::int - 1) / 10 = 8`,
		`UPDATE parcel SET valid_to = '2026-06-01T00:00:00+08:00' WHERE code = '` + gridCode(9, 9) + `'`,
		`INSERT INTO parcel (code, xian, xiang, cun, lin_ban, xiao_ban, mian_ji, di_lei, lm_qs, sen_lin_lb, you_shi_sz, geom, valid_from)
		 SELECT code, xian, xiang, cun, lin_ban, xiao_ban, mian_ji, '030200', lm_qs, sen_lin_lb, '660000', geom, '2026-06-01T00:00:00+08:00'
		 FROM parcel WHERE code = '` + gridCode(9, 9) + `'`,
	} {
		if _, err := pool.Exec(ctx, q); err != nil {
			t.Fatalf("%v\n%s", err, q)
		}
	}
	if _, err := pilot.LoadShipped(ctx, pool); err != nil {
		t.Fatal(err)
	}
	forester := userToken(t, pool, "forester1", auth.CaseOfficer)
	treasurer := userToken(t, pool, "treasurer1", auth.Finance)
	userToken(t, pool, "viewer1", auth.Viewer)
	for user, unit := range map[string]string{"forester1": "forestry", "treasurer1": "finance"} {
		if err := pilot.AddMember(ctx, pool, user, []string{unit}); err != nil {
			t.Fatal(err)
		}
	}
	ts := newPIIServer(t, pool, discardLogger(), "")
	for _, e := range []struct{ token, code, value string }{{forester, "forest_right_loans", "0.15"}, {treasurer, "green_fund", "1.2"}} {
		if code, b := postEntry(t, ts.URL+"/api/v1/pilot/indicators/"+e.code+"/entries", e.token, map[string]string{"on": "2026-09-30", "value": e.value}, "", nil); code != 201 {
			t.Fatalf("entry on %s: %d %s", e.code, code, b)
		}
	}
	runBrowserTest(t, ctx, "stats.test.mjs", chromium, map[string]string{
		"ECOCOMP_URL":    ts.URL,
		"ECOCOMP_VIEWER": "viewer1:Pass-word-2026", // userToken (access_test.go) gives every user this password
	}, nil)
}
