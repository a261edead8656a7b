package httpapi_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

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
//
// The year's change (web/test/statschange.test.mjs): the import batch 2026年一张图更新 of
// 2026-06-01 also splits square (9,0) into two halves of 7.5 亩 (00101, 00102), merges (9,1) and
// (9,2) into one parcel of 30 亩 (00103), retires (9,3) and adds a parcel of 15 亩 east of the
// grid (00104), all of the same attributes, so every table above stays as it was. From
// 2026-03-01 to today: added 1, retired 1, split 3 (one retired, two added), merged 3, changed 1
// ((9,9)); the matrix moves 60 亩 of 乔木林地 to 减少 (four squares), 60 亩 from 新增 to 乔木林地
// (7.5 + 7.5 + 30 + 15) and 15 亩 from 乔木林地 to 竹林地; 9 parcels on the map. A member of the
// forestry bureau sets task 1 to 滞后 on the page.
func TestWebStatsInBrowser(t *testing.T) {
	chromium := browserTools(t)
	ctx := context.Background()
	pool, ts := loadStatsCounty(t)
	runBrowserTest(t, ctx, "stats.test.mjs", chromium, map[string]string{
		"ECOCOMP_URL":    ts.URL,
		"ECOCOMP_VIEWER": "viewer1:Pass-word-2026", // userToken (access_test.go) gives every user this password
	}, nil)
	runBrowserTest(t, ctx, "statschange.test.mjs", chromium, map[string]string{
		"ECOCOMP_URL":    ts.URL,
		"ECOCOMP_VIEWER": "viewer1:Pass-word-2026",
		"ECOCOMP_MEMBER": "forester1:Pass-word-2026",
	}, nil)
	var status, by string
	if err := pool.QueryRow(ctx, `SELECT status, entered_by FROM pilot_task_update WHERE task = 'forest-chief' ORDER BY id DESC LIMIT 1`).Scan(&status, &by); err != nil ||
		status != "delayed" || by != "forester1" {
		t.Errorf("the update saved on the page: %s by %s (%v); want delayed by forester1", status, by, err)
	}
}

// loadStatsCounty builds the county of TestWebStatsInBrowser and starts a server on it.
func loadStatsCounty(t *testing.T) (*pgxpool.Pool, *httptest.Server) {
	t.Helper()
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
		// The year's change: one import batch splits, merges, retires and adds.
		`INSERT INTO import_batch (kind, source, started_at, finished_at, status) VALUES
		 ('import', '2026年一张图更新', '2026-05-31T22:00:00+08:00', '2026-05-31T22:30:00+08:00', 'done')`,
		`UPDATE parcel SET valid_to = '2026-06-01T00:00:00+08:00' WHERE code IN ('` + gridCode(9, 0) + `', '` + gridCode(9, 1) + `', '` + gridCode(9, 2) + `', '` + gridCode(9, 3) + `')`,
		`INSERT INTO parcel (code, xian, xiang, cun, lin_ban, xiao_ban, mian_ji, di_lei, lm_qs, sen_lin_lb, you_shi_sz, ling_zu, geom, valid_from)
		 SELECT '3611301000010001' || n.xb, xian, xiang, cun, lin_ban, n.xb, n.ha, di_lei, lm_qs, sen_lin_lb, you_shi_sz, ling_zu,
		        ST_Multi(ST_Transform(ST_MakeEnvelope(n.x0, n.y0, n.x1, n.y1, 4548), 4490)), '2026-06-01T00:00:00+08:00'
		 FROM parcel p JOIN (VALUES ('` + gridCode(9, 0) + `', '00101', 0.5, 583900, 3237000, 583950, 3237100),
		                           ('` + gridCode(9, 0) + `', '00102', 0.5, 583950, 3237000, 584000, 3237100),
		                           ('` + gridCode(9, 1) + `', '00103', 2.0, 583900, 3237100, 584000, 3237300),
		                           ('` + gridCode(9, 3) + `', '00104', 1.0, 584300, 3237000, 584400, 3237100)) n (code, xb, ha, x0, y0, x1, y1)
		   ON n.code = p.code`,
		`UPDATE parcel SET batch_id = (SELECT id FROM import_batch WHERE source = '2026年一张图更新') WHERE valid_from = '2026-06-01T00:00:00+08:00'`,
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
	return pool, ts
}
