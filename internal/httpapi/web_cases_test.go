package httpapi_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/wuyuan-forestry/ecocomp/internal/cases"
)

// TestWebCasesInBrowser drives buyout cases in Debian's chromium (web/test/cases.test.mjs,
// playwright-core) over the case county of cases_test.go (张三's and 李四's squares in the
// reserve's core zone, the shipped policy): a case officer, finance and an administrator sign in,
// each in their own browser; the officer opens a buyout of 张三's squares 00001 and 00003 from
// the map and carries it to signed (a field check, an appraisal with its report uploaded, a
// notice that started 8 days ago), meeting on the way a stale page (409), an open objection that
// blocks signing, a price beyond the yearly budget (403, administrators only) and steps after
// signing that are the administrator's; finance pays the first instalment, the administrator
// records the change of rights, finance pays the rest and the administrator closes the case; the
// reserve layer then holds both squares, and the 四至图 downloads as a PDF. A case opened
// meanwhile on square 00011 refuses the panel's opening with its reason, and is withdrawn. What the browser cannot
// know (where the squares are, the notice's first day) comes from here.
func TestWebCasesInBrowser(t *testing.T) {
	chromium := browserTools(t)
	ctx := context.Background()
	cc := newCaseCounty(t)

	// userToken (access_test.go) gives every user this password.
	const password = "Pass-word-2026"
	env := map[string]string{
		"ECOCOMP_URL":          cc.ts.URL,
		"ECOCOMP_OFFICER":      "officer1:" + password,
		"ECOCOMP_FINANCE":      "finance1:" + password,
		"ECOCOMP_ADMIN":        "admin1:" + password,
		"ECOCOMP_NOTICE_START": day(-8),
		"ECOCOMP_YEAR":         strconv.Itoa(cases.Today().Year()),
	}
	for name, code := range map[string]string{"A": gridCode(0, 0), "B": gridCode(0, 2), "C": gridCode(1, 0)} {
		var lon, lat float64
		if err := cc.pool.QueryRow(ctx, `SELECT ST_X(pt), ST_Y(pt) FROM parcel, ST_PointOnSurface(geom) pt WHERE code = $1 AND valid_to IS NULL`, code).Scan(&lon, &lat); err != nil {
			t.Fatalf("a point inside %s: %v", code, err)
		}
		env["ECOCOMP_PARCEL_"+name] = code
		env["ECOCOMP_PARCEL_"+name+"_LON"] = strconv.FormatFloat(lon, 'f', 7, 64)
		env["ECOCOMP_PARCEL_"+name+"_LAT"] = strconv.FormatFloat(lat, 'f', 7, 64)
	}

	runBrowserTest(t, ctx, "cases.test.mjs", chromium, env, nil)

	// What the browser did is what the database holds.
	var status string
	var events, payments, documents int
	if err := cc.pool.QueryRow(ctx, `SELECT b.status, (SELECT count(*) FROM case_event e WHERE e.case_id = b.id),
		(SELECT count(*) FROM case_payment p WHERE p.case_id = b.id), (SELECT count(*) FROM case_document d WHERE d.case_id = b.id)
		FROM buyout_case b JOIN case_parcel cp ON cp.case_id = b.id WHERE cp.code = $1 AND b.mode = 'buyout'`, gridCode(0, 0)).Scan(&status, &events, &payments, &documents); err != nil {
		t.Fatalf("the browser's case: %v", err)
	}
	// open, verified, appraised, noticed, objection, its resolution, signed, transferred, closed
	if status != "closed" || events != 9 || payments != 2 || documents != 1 {
		t.Errorf("the browser's case is %s with %d events, %d payments, %d documents; want closed, 9, 2, 1", status, events, payments, documents)
	}
	var held int
	if err := cc.pool.QueryRow(ctx, `SELECT count(*) FROM parcel p JOIN owner o ON o.id = p.owner_id
		WHERE p.valid_to IS NULL AND o.kind = 'state' AND p.code IN ($1, $2)`, gridCode(0, 0), gridCode(0, 2)).Scan(&held); err != nil || held != 2 {
		t.Errorf("the reserve holds %d of the two squares (%v); want both", held, err)
	}
	var withdrawn string
	if err := cc.pool.QueryRow(ctx, `SELECT b.status FROM buyout_case b JOIN case_parcel cp ON cp.case_id = b.id WHERE cp.code = $1`, gridCode(1, 0)).Scan(&withdrawn); err != nil || withdrawn != "withdrawn" {
		t.Errorf("the other officer's case on %s is %q (%v); want withdrawn", gridCode(1, 0), withdrawn, err)
	}
	var reads int
	if err := cc.pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'pii.read' AND actor = 'finance1' AND entity = 'buyout_case'`).Scan(&reads); err != nil || reads == 0 {
		t.Errorf("finance's unmasked case reads left %d audit rows (%v); want them audited", reads, err)
	}
}
