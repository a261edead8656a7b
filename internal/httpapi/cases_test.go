package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wuyuan-forestry/ecocomp/internal/auth"
	"github.com/wuyuan-forestry/ecocomp/internal/cases"
	"github.com/wuyuan-forestry/ecocomp/internal/overlay"
	"github.com/wuyuan-forestry/ecocomp/internal/owners"
	"github.com/wuyuan-forestry/ecocomp/internal/policy"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
	"github.com/wuyuan-forestry/ecocomp/internal/recompute"
)

// caseCounty is the grid fixture made a pilot area for cases: the three western columns of
// 1 ha squares lie in the reserve's core zone; every square is planted (QI_YUAN 21), near-mature
// (LING_ZU 3) commercial Chinese fir (022, 310000) with 120 m³; odd squares (xiao_ban 00001,
// 00003, …) belong to 张三, even ones to 李四, both individuals (LM_QS 30). The shipped policy is
// loaded and this year's results computed.
type caseCounty struct {
	ts                              *httptest.Server
	pool                            *pgxpool.Pool
	officer, finance, admin, viewer string
	zhang, li                       int64
}

func newCaseCounty(t *testing.T) *caseCounty {
	t.Helper()
	ctx := context.Background()
	pool := pgtest.New(t)
	loadGrid(t, pool)
	cc := &caseCounty{pool: pool}
	cc.zhang = insertOwner(t, pool, owners.Owner{Kind: "individual", Name: "张三", IDNumber: "36113019700101001X", BankAccount: "6217000000000001"})
	cc.li = insertOwner(t, pool, owners.Owner{Kind: "individual", Name: "李四", IDNumber: "361130198001010023", BankAccount: "6217000000000002"})
	if _, err := pool.Exec(ctx, `
INSERT INTO zone (area_id, area_kind, zone_kind, site, name, demo, geom)
SELECT id, 'nature_reserve', 'core', '2', '测试核心区二', true,
       ST_Multi(ST_Transform(ST_MakeEnvelope(583000, 3237000, 583300, 3238000, 4548), 4490)) FROM protected_area WHERE name = '测试保护区'`); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE parcel SET qi_yuan = '21', ling_zu = '3', xu_ji = 120, owner_id = CASE WHEN xiao_ban::int % 2 = 1 THEN $1::bigint ELSE $2::bigint END`,
		cc.zhang, cc.li); err != nil {
		t.Fatal(err)
	}
	if _, err := overlay.All(ctx, pool); err != nil {
		t.Fatal(err)
	}
	if _, err := policy.LoadShipped(ctx, pool); err != nil {
		t.Fatal(err)
	}
	if _, err := recompute.All(ctx, pool, cases.Today().Year()); err != nil {
		t.Fatal(err)
	}
	cc.officer = userToken(t, pool, "officer1", auth.CaseOfficer)
	cc.finance = userToken(t, pool, "finance1", auth.Finance)
	cc.admin = userToken(t, pool, "admin1", auth.Admin)
	cc.viewer = userToken(t, pool, "viewer1", auth.Viewer)
	cc.ts = newPIIServer(t, pool, discardLogger(), "")
	return cc
}

// caseView is the part of a case the tests read.
type caseView struct {
	ID      int64  `json:"id"`
	Number  string `json:"number"`
	Mode    string `json:"mode"`
	Payment string `json:"payment"`
	Status  string `json:"status"`
	Version int    `json:"version"`
	Owner   struct {
		Name   string
		Masked bool
	} `json:"owner"`
	Paid     json.Number `json:"paid_yuan"`
	Due      json.Number `json:"due_yuan"`
	Contract *struct {
		Total    json.Number `json:"total_yuan"`
		Schedule []struct {
			Amount json.Number `json:"amount_yuan"`
			Open   bool        `json:"open"`
		} `json:"schedule"`
		OverBudget bool `json:"over_budget"`
	} `json:"contract"`
	Appraisal *struct {
		Deviation *float64 `json:"deviation_pct"`
	} `json:"appraisal"`
	Parcels []struct {
		Code   string          `json:"code"`
		Role   string          `json:"role"`
		Frozen json.RawMessage `json:"frozen_eligibility"`
	} `json:"parcels"`
	Events []struct {
		Actor string `json:"actor"`
		To    string `json:"to"`
	} `json:"events"`
	Next []struct {
		To      string `json:"to"`
		Allowed bool   `json:"allowed"`
		Why     string `json:"why"`
	} `json:"next"`
}

// do sends a request and decodes the case it answers (when it answers one).
func (cc *caseCounty) do(t *testing.T, method, path, token string, body any) (int, caseView, string) {
	t.Helper()
	resp, b := send(t, method, cc.ts.URL+path, token, body)
	var c caseView
	if resp.StatusCode < 300 {
		if err := json.Unmarshal(b, &c); err != nil {
			t.Fatalf("%s %s: %v\n%s", method, path, err, b)
		}
	}
	return resp.StatusCode, c, string(b)
}

// must is do, failing the test unless the status is want.
func (cc *caseCounty) must(t *testing.T, want int, method, path, token string, body any) caseView {
	t.Helper()
	status, c, b := cc.do(t, method, path, token, body)
	if status != want {
		t.Fatalf("%s %s %v: %d, want %d\n%s", method, path, body, status, want, b)
	}
	return c
}

func day(offset int) string { return cases.Today().AddDate(0, 0, offset).Format(time.DateOnly) }

// toSigned carries a case from applied to signed with the given contract terms.
func (cc *caseCounty) toSigned(t *testing.T, c caseView, contract map[string]any) caseView {
	t.Helper()
	p := fmt.Sprintf("/api/v1/cases/%d/transitions", c.ID)
	c = cc.must(t, 200, "POST", p, cc.officer, map[string]any{"to": "verified", "version": c.Version,
		"field_check": map[string]any{"by": "王五", "boundaries_confirmed": true, "rights_confirmed": true}})
	c = cc.must(t, 200, "POST", p, cc.officer, map[string]any{"to": "appraised", "version": c.Version,
		"appraised_yuan": "30000.00", "appraiser": "江西某资产评估有限公司", "report": "赣评报字〔2026〕第1号"})
	c = cc.must(t, 200, "POST", p, cc.officer, map[string]any{"to": "noticed", "version": c.Version, "notice_start": day(-7)})
	contract["to"], contract["version"] = "signed", c.Version
	return cc.must(t, 200, "POST", p, cc.officer, contract)
}

// TestBuyoutCaseEndToEnd carries a buyout of 张三's two squares in the core zone (00001 and
// 00003, 1 ha = 15 亩 each) from application to closed, each step by the role that may take it:
//   - opening puts the parcels in a case: their eligibility turns to in_case;
//   - a stale version, a viewer, an officer after signing and an open objection are refused;
//   - the contract of 100,000.00 元 is paid 60 % at signing (60,000.00) and 40 % after the
//     change of rights (40,000.00); paying ahead of the schedule is refused;
//   - after the transfer the parcels are held by the reserve (LM_QS 10, no longer eligible), the
//     reserve lists them at 50,000.00 元 each (the price split by legal area), and an as_of
//     before the transfer still shows the old owner's verdict.
func TestBuyoutCaseEndToEnd(t *testing.T) {
	cc := newCaseCounty(t)
	a, b := gridCode(0, 0), gridCode(0, 2)
	c := cc.must(t, 201, "POST", "/api/v1/cases", cc.officer, map[string]any{"mode": "buyout", "parcels": []string{a, b}})
	if want := fmt.Sprintf("WY-SM-%d-0001", cases.Today().Year()); c.Number != want || c.Status != "applied" || c.Version != 1 || c.Payment != "lump" {
		t.Fatalf("opened %+v; want %s applied at version 1", c, want)
	}
	if !c.Owner.Masked || c.Owner.Name == "张三" {
		t.Errorf("a case officer sees the owner as %+v; want the name masked", c.Owner)
	}
	var el eligibilityAnswer
	resp, body := send(t, "GET", cc.ts.URL+"/api/v1/parcels/"+a+"/eligibility", cc.viewer, nil)
	if err := json.Unmarshal(body, &el); err != nil || resp.StatusCode != 200 || el.Eligible || el.Status != "in_case" {
		t.Errorf("a parcel in an open case: eligibility %+v (%d); want in_case", el, resp.StatusCode)
	}
	var stored string
	if err := cc.pool.QueryRow(context.Background(), `SELECT e.status FROM parcel_eligibility e JOIN parcel p ON p.id = e.parcel_id
		WHERE p.code = $1 AND p.valid_to IS NULL`, a).Scan(&stored); err != nil || stored != "in_case" {
		t.Errorf("the stored verdict (map colours, candidate lists) is %q (%v); want in_case at once", stored, err)
	}

	p := fmt.Sprintf("/api/v1/cases/%d/transitions", c.ID)
	verify := map[string]any{"to": "verified", "version": 1, "field_check": map[string]any{"by": "王五", "boundaries_confirmed": true, "rights_confirmed": true}}
	if status, _, _ := cc.do(t, "POST", p, cc.viewer, verify); status != 403 {
		t.Errorf("a viewer verifying: %d; want 403", status)
	}
	c = cc.must(t, 200, "POST", p, cc.officer, verify)
	if status, _, body := cc.do(t, "POST", p, cc.officer, verify); status != 409 || !strings.Contains(body, "moved on") {
		t.Errorf("the same step again at version 1: %d %s; want 409 saying the case has moved on", status, body)
	}
	if len(c.Parcels) != 2 || !strings.Contains(string(c.Parcels[0].Frozen), `"policy_version"`) || !strings.Contains(string(c.Parcels[0].Frozen), `"rules"`) {
		t.Errorf("verification froze %s; want each parcel's rules and policy version", c.Parcels[0].Frozen)
	}
	c = cc.must(t, 200, "POST", p, cc.officer, map[string]any{"to": "appraised", "version": c.Version,
		"appraised_yuan": "100000.00", "appraiser": "江西某资产评估有限公司", "report": "赣评报字〔2026〕第1号"})
	if c.Appraisal == nil || c.Appraisal.Deviation == nil {
		t.Errorf("appraisal %+v; want the deviation from the indicative price", c.Appraisal)
	}
	c = cc.must(t, 200, "POST", p, cc.officer, map[string]any{"to": "noticed", "version": c.Version, "notice_start": day(-7)})
	c = cc.must(t, 201, "POST", fmt.Sprintf("/api/v1/cases/%d/objections", c.ID), cc.officer,
		map[string]any{"version": c.Version, "raised_by": "邻户赵六", "text": "东侧界址有误"})
	sign := map[string]any{"to": "signed", "version": c.Version, "contract_number": "WY-HT-0001", "price_yuan": "100000.00"}
	if status, _, body := cc.do(t, "POST", p, cc.officer, sign); status != 409 || !strings.Contains(body, "objection") {
		t.Errorf("signing with an open objection: %d %s; want 409 naming the objection", status, body)
	}
	var next string
	for _, n := range c.Next {
		if n.To == "signed" && !n.Allowed {
			next = n.Why
		}
	}
	if !strings.Contains(next, "objection") {
		t.Errorf("the case page's next steps %+v; want signing shown blocked by the objection", c.Next)
	}
	c = cc.must(t, 200, "POST", fmt.Sprintf("/api/v1/cases/%d/objections/1/resolution", c.ID), cc.officer,
		map[string]any{"version": c.Version, "resolution": "复核界址无误，异议人撤回"})
	sign["version"] = c.Version
	c = cc.must(t, 200, "POST", p, cc.officer, sign)
	if c.Status != "signed" || c.Contract == nil || c.Contract.Total != "100000.00" || len(c.Contract.Schedule) != 2 ||
		c.Contract.Schedule[0].Amount != "60000.00" || !c.Contract.Schedule[0].Open || c.Contract.Schedule[1].Amount != "40000.00" || c.Contract.Schedule[1].Open {
		t.Fatalf("signed %+v; want 60,000.00 due now and 40,000.00 after the transfer", c.Contract)
	}

	pay := fmt.Sprintf("/api/v1/cases/%d/payments", c.ID)
	if status, _, _ := cc.do(t, "POST", pay, cc.officer, map[string]any{"amount_yuan": "60000.00", "voucher": "V-1"}); status != 403 {
		t.Errorf("a case officer recording a payment: %d; want 403", status)
	}
	c = cc.must(t, 201, "POST", pay, cc.finance, map[string]any{"amount_yuan": "60000.00", "voucher": "V-1"})
	if c.Owner.Masked || c.Owner.Name != "张三" {
		t.Errorf("finance sees the owner as %+v; want the name in clear", c.Owner)
	}
	var reads int
	countReads := func() int {
		var n int
		if err := cc.pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action = 'pii.read' AND entity = 'buyout_case'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	reads = countReads()
	if resp, body := send(t, "GET", cc.ts.URL+"/api/v1/cases?parcel="+a+"&masked=true", cc.finance, nil); resp.StatusCode != 200 || strings.Contains(string(body), "张三") || countReads() != reads {
		t.Errorf("finance's list with masked=true: %d %s, %d reads audited before and %d after; want the names masked and no read", resp.StatusCode, body, reads, countReads())
	}
	if status, _, body := cc.do(t, "POST", pay, cc.finance, map[string]any{"amount_yuan": "0.01", "voucher": "V-2"}); status != 409 || !strings.Contains(body, "fallen due") {
		t.Errorf("paying ahead of the schedule: %d %s; want 409", status, body)
	}
	transfer := map[string]any{"to": "transferred", "version": c.Version, "registration": "赣(2026)婺源县不动产权第0000001号"}
	if status, _, body := cc.do(t, "POST", p, cc.officer, transfer); status != 403 || !strings.Contains(body, "administrator") {
		t.Errorf("a case officer recording the transfer: %d %s; want 403 (administrators only)", status, body)
	}
	c = cc.must(t, 200, "POST", p, cc.admin, transfer)
	if status, _, body := cc.do(t, "POST", p, cc.admin, map[string]any{"to": "closed", "version": c.Version}); status != 409 || !strings.Contains(body, "paid in full") {
		t.Errorf("closing before the final payment: %d %s; want 409", status, body)
	}
	c = cc.must(t, 201, "POST", pay, cc.finance, map[string]any{"amount_yuan": "40000.00", "voucher": "V-3"})
	if c.Paid != "100000.00" {
		t.Errorf("paid %s; want 100000.00", c.Paid)
	}
	c = cc.must(t, 200, "POST", p, cc.admin, map[string]any{"to": "closed", "version": c.Version})
	if c.Status != "closed" || len(c.Next) != 0 || len(c.Events) != 9 {
		t.Errorf("closed %+v; want closed with 9 steps in the history and none next", c)
	}

	// The forest is the reserve's now; an as_of before the transfer shows the old owner.
	resp, body = send(t, "GET", cc.ts.URL+"/api/v1/reserve", "", nil)
	var reserve struct {
		Holder string      `json:"holder"`
		Count  int         `json:"count"`
		Cost   json.Number `json:"cost_yuan"`
	}
	if err := json.Unmarshal(body, &reserve); err != nil || resp.StatusCode != 200 {
		t.Fatalf("reserve: %d %s", resp.StatusCode, body)
	}
	if reserve.Count != 2 || reserve.Cost != "100000.00" || reserve.Holder != "婺源县森林资源收储中心" || !strings.Contains(string(body), c.Number) ||
		!strings.Contains(string(body), `"cost_yuan":50000.00`) {
		t.Errorf("the reserve holds %s; want both parcels from %s at 50000.00 元 each, 100000.00 in all", body, c.Number)
	}
	resp, body = send(t, "GET", cc.ts.URL+"/api/v1/reserve?format=geojson", "", nil)
	var layer struct {
		Type     string `json:"type"`
		Features []struct {
			ID       string `json:"id"`
			Geometry struct {
				Type string `json:"type"`
			} `json:"geometry"`
		} `json:"features"`
	}
	if err := json.Unmarshal(body, &layer); err != nil || resp.Header.Get("Content-Type") != "application/geo+json" || len(layer.Features) != 2 ||
		layer.Features[0].ID != a || layer.Features[0].Geometry.Type != "MultiPolygon" {
		t.Errorf("the reserve's map layer: %s %s; want the two parcels as GeoJSON", resp.Header.Get("Content-Type"), body)
	}
	resp, body = send(t, "GET", cc.ts.URL+"/api/v1/parcels/"+a+"/eligibility", "", nil)
	el = eligibilityAnswer{}
	_ = json.Unmarshal(body, &el)
	if el.Eligible || !strings.Contains(string(body), "LM_QS 10") {
		t.Errorf("after the transfer %s is %s; want state-owned (LM_QS 10), not eligible", a, body)
	}
	resp, body = send(t, "GET", cc.ts.URL+"/api/v1/parcels/"+a+"/eligibility?as_of="+day(-1), "", nil)
	if resp.StatusCode != 200 || !strings.Contains(string(body), "LM_QS 30") {
		t.Errorf("as_of the day before the transfer %s is %s; want the old owner's version (LM_QS 30)", a, body)
	}
	var owner int64
	if err := cc.pool.QueryRow(context.Background(), `SELECT owner_id FROM parcel WHERE code = $1 AND valid_from <= now() - interval '1 day' AND valid_to IS NOT NULL`, a).Scan(&owner); err != nil || owner != cc.zhang {
		t.Errorf("the version before the transfer belongs to owner %d (%v); want 张三 (%d)", owner, err, cc.zhang)
	}
	var audited int
	if err := cc.pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE entity = 'buyout_case' AND entity_id = $1 AND action LIKE 'case.%'`, c.Number).Scan(&audited); err != nil || audited < 11 {
		t.Errorf("%d audit rows for the case's steps and payments (%v); want every step audited", audited, err)
	}
}

// TestLeaseCaseRentInTheRoll: 李四 leases square 00002 (15 亩) for 3 years at 1,500.00 元 a year.
// In force, the rent is a line of this year's roll (agreement_lease, 1,500.00 元, 100.00 元/亩 for
// 15 亩) beside the subsidies; finance may pay the first year but not the second ahead of time.
func TestLeaseCaseRentInTheRoll(t *testing.T) {
	cc := newCaseCounty(t)
	c := cc.must(t, 201, "POST", "/api/v1/cases", cc.officer, map[string]any{"mode": "lease", "parcels": []string{gridCode(0, 1)}})
	c = cc.toSigned(t, c, map[string]any{"contract_number": "WY-ZL-HT-1", "yearly_yuan": "1500.00", "term_years": 3})
	if c.Contract == nil || c.Contract.Total != "4500.00" || len(c.Contract.Schedule) != 3 || c.Payment != "yearly" {
		t.Fatalf("lease contract %+v; want 3 yearly rows, 4,500.00 in all", c.Contract)
	}
	p := fmt.Sprintf("/api/v1/cases/%d/transitions", c.ID)
	if status, _, body := cc.do(t, "POST", p, cc.admin, map[string]any{"to": "transferred", "version": c.Version, "registration": "x"}); status != 409 || !strings.Contains(body, "in_force") {
		t.Errorf("a lease recording a change of rights: %d %s; want 409 (a lease goes in force)", status, body)
	}
	c = cc.must(t, 200, "POST", p, cc.admin, map[string]any{"to": "in_force", "version": c.Version})
	var program, name string
	var amount, rate int64
	if err := cc.pool.QueryRow(context.Background(), `SELECT s.program, s.program_name, s.amount_fen, s.rate_fen FROM subsidy_line s
		JOIN parcel p ON p.id = s.parcel_id AND p.valid_to IS NULL WHERE p.code = $1 AND s.program LIKE 'agreement_%' AND s.year = $2`,
		gridCode(0, 1), cases.Today().Year()).Scan(&program, &name, &amount, &rate); err != nil {
		t.Fatalf("no rent line in the year's lines: %v", err)
	}
	if program != "agreement_lease" || amount != 150000 || rate != 10000 || !strings.Contains(name, c.Number) {
		t.Errorf("rent line %s %s %d分 at %d分/亩; want agreement_lease 150000分 at 10000分/亩 naming %s", program, name, amount, rate, c.Number)
	}
	resp, body := send(t, "GET", cc.ts.URL+fmt.Sprintf("/api/v1/subsidy-roll?year=%d", cases.Today().Year()), cc.finance, nil)
	var roll struct {
		Rows []struct {
			Owner   string      `json:"owner"`
			Program string      `json:"program"`
			Paid    json.Number `json:"owner_yuan"`
		} `json:"rows"`
	}
	if err := json.Unmarshal(body, &roll); err != nil || resp.StatusCode != 200 {
		t.Fatalf("roll: %d %s", resp.StatusCode, body)
	}
	found := false
	for _, r := range roll.Rows {
		if r.Program == "agreement_lease" && r.Owner == "李四" && r.Paid == "1500.00" {
			found = true
		}
	}
	if !found {
		t.Errorf("the roll has no rent row paying 李四 1500.00: %s", body)
	}
	pay := fmt.Sprintf("/api/v1/cases/%d/payments", c.ID)
	cc.must(t, 201, "POST", pay, cc.finance, map[string]any{"amount_yuan": "1500.00", "voucher": "R-2026"})
	if status, _, body := cc.do(t, "POST", pay, cc.finance, map[string]any{"amount_yuan": "1500.00", "voucher": "R-2027"}); status != 409 {
		t.Errorf("paying next year's rent now: %d %s; want 409", status, body)
	}
}

// TestExchangeCaseSwapsRights: the reserve first buys 张三's square 00001; then 李四 exchanges his
// square 00002 for it. After the change of rights 00002 is the reserve's and 00001 is 李四's, with
// his tree-ownership code (30).
func TestExchangeCaseSwapsRights(t *testing.T) {
	cc := newCaseCounty(t)
	a, b := gridCode(0, 0), gridCode(0, 1)
	buy := cc.must(t, 201, "POST", "/api/v1/cases", cc.officer, map[string]any{"mode": "buyout", "parcels": []string{a}})
	buy = cc.toSigned(t, buy, map[string]any{"contract_number": "HT-1", "price_yuan": "50000.00"})
	cc.must(t, 201, "POST", fmt.Sprintf("/api/v1/cases/%d/payments", buy.ID), cc.finance, map[string]any{"amount_yuan": "30000.00", "voucher": "B-1"})
	buy = cc.must(t, 200, "POST", fmt.Sprintf("/api/v1/cases/%d/transitions", buy.ID), cc.admin,
		map[string]any{"to": "transferred", "version": buy.Version, "registration": "R-1"})
	if status, _, body := cc.do(t, "POST", "/api/v1/cases", cc.officer, map[string]any{"mode": "exchange", "parcels": []string{b}, "counterpart": []string{a}}); status != 409 {
		t.Errorf("exchanging for a parcel whose buyout is still open (not paid in full): %d %s; want 409", status, body)
	}
	cc.must(t, 201, "POST", fmt.Sprintf("/api/v1/cases/%d/payments", buy.ID), cc.finance, map[string]any{"amount_yuan": "20000.00", "voucher": "B-2"})
	cc.must(t, 200, "POST", fmt.Sprintf("/api/v1/cases/%d/transitions", buy.ID), cc.admin, map[string]any{"to": "closed", "version": buy.Version})

	if status, _, body := cc.do(t, "POST", "/api/v1/cases", cc.officer, map[string]any{"mode": "exchange", "parcels": []string{b}, "counterpart": []string{gridCode(0, 3)}}); status != 400 || !strings.Contains(body, "not held by") {
		t.Errorf("an exchange for a parcel the reserve does not hold: %d %s; want 400", status, body)
	}
	ex := cc.must(t, 201, "POST", "/api/v1/cases", cc.officer, map[string]any{"mode": "exchange", "parcels": []string{b}, "counterpart": []string{a}})
	if !strings.HasPrefix(ex.Number, "WY-ZH-") {
		t.Errorf("exchange number %s; want WY-ZH-…", ex.Number)
	}
	ex = cc.toSigned(t, ex, map[string]any{"contract_number": "HT-2", "price_yuan": "0"})
	ex = cc.must(t, 200, "POST", fmt.Sprintf("/api/v1/cases/%d/transitions", ex.ID), cc.admin,
		map[string]any{"to": "transferred", "version": ex.Version, "registration": "R-2"})
	ex = cc.must(t, 200, "POST", fmt.Sprintf("/api/v1/cases/%d/transitions", ex.ID), cc.admin, map[string]any{"to": "closed", "version": ex.Version})
	rows := map[string]struct {
		owner int64
		lmqs  string
	}{}
	for _, code := range []string{a, b} {
		var o int64
		var l string
		if err := cc.pool.QueryRow(context.Background(), `SELECT owner_id, lm_qs FROM parcel WHERE code = $1 AND valid_to IS NULL`, code).Scan(&o, &l); err != nil {
			t.Fatal(err)
		}
		rows[code] = struct {
			owner int64
			lmqs  string
		}{o, l}
	}
	if rows[a].owner != cc.li || rows[a].lmqs != "30" || rows[b].lmqs != "10" || rows[b].owner == cc.li {
		t.Errorf("after the exchange %s is owner %d LM_QS %s, %s owner %d LM_QS %s; want %s to 李四 (%d, 30) and %s to the reserve (10)",
			a, rows[a].owner, rows[a].lmqs, b, rows[b].owner, rows[b].lmqs, a, cc.li, b)
	}
}

// TestCasesUnderConcurrency: 50 simultaneous openings of a case for one parcel give exactly one
// case (the others 409); 20 simultaneous payments of 4,000.00 元 against the 40,000.00 still due
// on a 100,000.00 contract accept exactly 10, and the total paid is the contract, never more.
func TestCasesUnderConcurrency(t *testing.T) {
	cc := newCaseCounty(t)
	code := gridCode(1, 0)
	statuses := fire(50, func(i int) int {
		status, _, _ := cc.do(t, "POST", "/api/v1/cases", cc.officer, map[string]any{"mode": "buyout", "parcels": []string{code}})
		return status
	})
	if statuses[201] != 1 || statuses[409] != 49 {
		t.Fatalf("50 simultaneous openings for %s: %v; want one 201 and 49 × 409", code, statuses)
	}
	var id int64
	if err := cc.pool.QueryRow(context.Background(), `SELECT case_id FROM case_parcel WHERE code = $1 AND open`, code).Scan(&id); err != nil {
		t.Fatal(err)
	}
	c := cc.must(t, 200, "GET", fmt.Sprintf("/api/v1/cases/%d", id), cc.officer, nil)
	c = cc.toSigned(t, c, map[string]any{"contract_number": "HT-9", "price_yuan": "100000.00"})
	pay := fmt.Sprintf("/api/v1/cases/%d/payments", id)
	cc.must(t, 201, "POST", pay, cc.finance, map[string]any{"amount_yuan": "60000.00", "voucher": "first"})
	cc.must(t, 200, "POST", fmt.Sprintf("/api/v1/cases/%d/transitions", id), cc.admin,
		map[string]any{"to": "transferred", "version": c.Version, "registration": "R-9"})
	statuses = fire(20, func(i int) int {
		status, _, _ := cc.do(t, "POST", pay, cc.finance, map[string]any{"amount_yuan": "4000.00", "voucher": fmt.Sprintf("final-%d", i)})
		return status
	})
	var paid int64
	if err := cc.pool.QueryRow(context.Background(), `SELECT sum(amount_fen) FROM case_payment WHERE case_id = $1`, id).Scan(&paid); err != nil {
		t.Fatal(err)
	}
	if statuses[201] != 10 || statuses[409] != 10 || paid != 10000000 {
		t.Errorf("20 simultaneous final payments: %v, %d分 paid; want 10 accepted, 10 × 409, exactly 100000.00 元", statuses, paid)
	}
}

// fire runs fn n times at once and counts the statuses it returns.
func fire(n int, fn func(i int) int) map[int]int {
	var mu sync.Mutex
	var wg sync.WaitGroup
	counts := map[int]int{}
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			s := fn(i)
			mu.Lock()
			counts[s]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	return counts
}

// TestSigningBeyondTheBudget: the shipped policy's yearly budget is 5,000,000.00 元. A case
// officer signing a 6,000,000.00 元 buyout is refused (403) with the figures; an administrator
// may sign it, and the contract says it is over budget.
func TestSigningBeyondTheBudget(t *testing.T) {
	cc := newCaseCounty(t)
	c := cc.must(t, 201, "POST", "/api/v1/cases", cc.officer, map[string]any{"mode": "buyout", "parcels": []string{gridCode(1, 1)}})
	c = cc.toSigned(t, c, map[string]any{"contract_number": "HT-small", "price_yuan": "10.00"})
	if c.Contract.OverBudget {
		t.Errorf("a 10.00 元 contract is marked over budget")
	}
	big := cc.must(t, 201, "POST", "/api/v1/cases", cc.officer, map[string]any{"mode": "buyout", "parcels": []string{gridCode(1, 2)}})
	p := fmt.Sprintf("/api/v1/cases/%d/transitions", big.ID)
	big = cc.must(t, 200, "POST", p, cc.officer, map[string]any{"to": "verified", "version": big.Version,
		"field_check": map[string]any{"by": "王五", "boundaries_confirmed": true, "rights_confirmed": true}})
	big = cc.must(t, 200, "POST", p, cc.officer, map[string]any{"to": "appraised", "version": big.Version,
		"appraised_yuan": "6000000.00", "appraiser": "评估公司", "report": "R"})
	big = cc.must(t, 200, "POST", p, cc.officer, map[string]any{"to": "noticed", "version": big.Version, "notice_start": day(-7)})
	sign := map[string]any{"to": "signed", "version": big.Version, "contract_number": "HT-big", "price_yuan": "6000000.00"}
	if status, _, body := cc.do(t, "POST", p, cc.officer, sign); status != 403 || !strings.Contains(body, "6000010.00") || !strings.Contains(body, "budget of 5000000.00") {
		t.Errorf("a case officer signing beyond the budget: %d %s; want 403 with the committed sum and the budget", status, body)
	}
	big = cc.must(t, 200, "POST", p, cc.admin, sign)
	if big.Contract == nil || !big.Contract.OverBudget {
		t.Errorf("an administrator's signature beyond the budget: %+v; want the contract marked over budget", big.Contract)
	}
}
