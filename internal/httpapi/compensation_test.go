package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/xuri/excelize/v2"

	"github.com/wuyuan-forestry/ecocomp/internal/owners"
	"github.com/wuyuan-forestry/ecocomp/internal/policy"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
	"github.com/wuyuan-forestry/ecocomp/internal/recompute"
	policyseeds "github.com/wuyuan-forestry/ecocomp/seeds/policy"
)

// gk is a Gauss-Krüger box (metres from 583000 E, 3237000 N, EPSG:4548) stored as EPSG:4490.
func gk(x0, y0, x1, y1 int) string {
	return fmt.Sprintf("ST_Multi(ST_Transform(ST_MakeEnvelope(%d, %d, %d, %d, 4548), 4490))", 583000+x0, 3237000+y0, 583000+x1, 3237000+y1)
}

// Hand-checkable compensation fixture. Every parcel is 200 m × 200 m = 60 亩 (MIAN_JI 4 ha) of
// arbor forest land (乔木林地 030100, the land class the 停伐管护补助 covers):
//
//	P1 …00001 planted commercial fir, individual, half in the national reserve's core zone (30 亩)
//	P2 …00002 natural commercial forest, individual, wholly in the experimental zone
//	P3 …00003 national public-welfare forest, collective, wholly in the core zone
//	P4 …00004 national public-welfare forest, collective, outside every zone
//
// plus a wetland park with a reasonable-use and a conservation zone.
func loadCompensation(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	ctx := context.Background()
	units := `
INSERT INTO admin_unit (code, level, name, parent_code, geom) VALUES
 ('361130', 'county', '婺源县', NULL, ` + gk(-3000, -3000, 9000, 3000) + `),
 ('361130100', 'township', '紫阳镇', '361130', ` + gk(-3000, -3000, 9000, 3000) + `),
 ('361130100001', 'village', '测试村', '361130100', ` + gk(-3000, -3000, 9000, 3000) + `);`
	if _, err := pool.Exec(ctx, units); err != nil {
		t.Fatalf("load compensation fixture: %v", err)
	}
	// Owners 1 and 2, their personal data encrypted under the test key (piitest.Key).
	insertOwner(t, pool, owners.Owner{Kind: "individual", Name: "张三丰", IDNumber: "361130199001011234", BankAccount: "6217001234567890123", VillageCode: "361130100001"})
	insertOwner(t, pool, owners.Owner{Kind: "collective", Name: "测试村村民委员会", BankAccount: "6217009999999990000", VillageCode: "361130100001"})
	sql := `
INSERT INTO protected_area (name, area_kind, level) VALUES ('测试自然保护区', 'nature_reserve', 'national'), ('测试湿地公园', 'wetland_park', 'national');
INSERT INTO zone (area_id, area_kind, zone_kind, site, name, geom)
 SELECT id, 'nature_reserve', 'core', '1', '核心区', ` + gk(-1000, -1000, 100, 1000) + ` FROM protected_area WHERE name = '测试自然保护区'
 UNION ALL SELECT id, 'nature_reserve', 'experimental', '1', '实验区', ` + gk(1000, -1000, 2000, 1000) + ` FROM protected_area WHERE name = '测试自然保护区'
 UNION ALL SELECT id, 'wetland_park', 'reasonable_use', '', '合理利用区', ` + gk(3000, -1000, 4000, 1000) + ` FROM protected_area WHERE name = '测试湿地公园'
 UNION ALL SELECT id, 'wetland_park', 'conservation', '', '保育区', ` + gk(4000, -1000, 5000, 1000) + ` FROM protected_area WHERE name = '测试湿地公园';
INSERT INTO parcel (code, xian, xiang, cun, lin_ban, xiao_ban, mian_ji, di_lei, lm_qs, sen_lin_lb, shi_quan_d, qi_yuan, ling_zu, you_shi_sz, xu_ji, owner_id, geom, valid_from) VALUES
 ('361130100001000100001', '361130', '100', '001', '0001', '00001', 4, '030100', '30', '022', NULL, '21', '4', '310000', 100, 1, ` + gk(0, 0, 200, 200) + `, '2026-01-01'),
 ('361130100001000100002', '361130', '100', '001', '0001', '00002', 4, '030100', '30', '022', NULL, '11', '3', '620000', 80, 1, ` + gk(1500, 0, 1700, 200) + `, '2026-01-01'),
 ('361130100001000100003', '361130', '100', '001', '0001', '00003', 4, '030100', '20', '011', '1', '11', '5', '620000', 120, 2, ` + gk(-100, 300, 100, 500) + `, '2026-01-01'),
 ('361130100001000100004', '361130', '100', '001', '0001', '00004', 4, '030100', '20', '011', '1', '11', '4', '620000', 90, 2, ` + gk(6000, 0, 6200, 200) + `, '2026-01-01');`
	if _, err := pool.Exec(ctx, sql); err != nil {
		t.Fatalf("load compensation fixture: %v", err)
	}
	if _, err := policy.Load(ctx, pool, policyseeds.Embedded2026(), "test"); err != nil {
		t.Fatal(err)
	}
}

const p1, p2, p3, p4 = "361130100001000100001", "361130100001000100002", "361130100001000100003", "361130100001000100004"

type eligibilityAnswer struct {
	Eligible      bool   `json:"eligible"`
	Status        string `json:"status"`
	PolicyVersion string `json:"policy_version"`
	EstimateYuan  *float64
	Rules         []struct {
		ID     string `json:"id"`
		Passed bool   `json:"passed"`
		Detail string `json:"detail"`
	} `json:"rules"`
}

func (e eligibilityAnswer) rule(id string) (bool, string) {
	for _, r := range e.Rules {
		if r.ID == id {
			return r.Passed, r.Detail
		}
	}
	return false, "missing"
}

func TestRecomputeEligibilitySubsidiesAndRoll(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t)
	loadCompensation(t, pool)
	ts := newPIIServer(t, pool, discardLogger(), "")

	sum, err := recompute.All(ctx, pool, 2026)
	if err != nil {
		t.Fatal(err)
	}
	// Eligible: P1 (individual planted fir, half in the core zone) and P2 (individual natural
	// commercial forest wholly in the experimental zone: the whole reserve is a pilot area, the
	// zone sets only the priority); P3 and P4 are public-welfare forest.
	if sum.Parcels != 4 || sum.Eligible != 2 || sum.Total.String() != "4920.00" {
		t.Errorf("recompute: %d parcels, %d eligible, %s 元; want 4, 2, 4920.00 (P2 1980 + P3 1980 + P4 960)", sum.Parcels, sum.Eligible, sum.Total)
	}

	// Stored results: the map colours and the export filter read them.
	var fc collection
	getJSON(t, ts.URL+"/api/v1/export/parcels.geojson?eligible=true", &fc)
	if len(fc.Features) != 2 || fc.Features[0].ID != p1 || fc.Features[1].ID != p2 || fc.Features[0].Props["status"] != "eligible" {
		t.Errorf("export eligible=true: %d features; want P1 and P2, status eligible", len(fc.Features))
	}
	getJSON(t, ts.URL+"/ogc/collections/parcels/items?eligible=false", &fc)
	if len(fc.Features) != 2 {
		t.Errorf("OGC items eligible=false: %d features; want 2 (P3, P4)", len(fc.Features))
	}

	// The eligibility answer explains itself rule by rule.
	var e eligibilityAnswer
	getJSON(t, ts.URL+"/api/v1/parcels/"+p1+"/eligibility", &e)
	if ok, d := e.rule("priority_zone"); !e.Eligible || !ok || !strings.Contains(d, "50 % of the parcel (30.00 亩) lies in the core zone (核心区) of site 1 of 测试自然保护区") {
		t.Errorf("P1 eligibility: %+v", e)
	}
	getJSON(t, ts.URL+"/api/v1/parcels/"+p2+"/eligibility", &e)
	if ok, d := e.rule("priority_zone"); !e.Eligible || !ok || !strings.Contains(d, "lies in the experimental zone (实验区) of site 1 of 测试自然保护区, which meets") {
		t.Errorf("P2 (experimental zone only) eligibility: %+v", e)
	}

	// Subsidy lines of P2: the Jiangxi national-reserve tier replaces the logging-ban subsidy.
	var sub struct {
		Total float64 `json:"total_yuan"`
		Lines []struct {
			Program string  `json:"program"`
			AreaMu  float64 `json:"area_mu"`
			Amount  float64 `json:"amount_yuan"`
			Basis   string  `json:"basis"`
		} `json:"lines"`
	}
	getJSON(t, ts.URL+"/api/v1/parcels/"+p2+"/subsidies?year=2026", &sub)
	if sub.Total != 1980 || len(sub.Lines) != 1 || sub.Lines[0].Program != "jiangxi_tier_natural_commercial" || sub.Lines[0].AreaMu != 60 {
		t.Errorf("P2 subsidies: %+v; want one Jiangxi tier line, 60 亩 × 33 = 1980.00", sub)
	}

	// The roll reconciles to the 分 with the parcel lines, and hides personal data by default.
	var lineSum int64
	if err := pool.QueryRow(ctx, `SELECT sum(amount_fen) FROM subsidy_line`).Scan(&lineSum); err != nil {
		t.Fatal(err)
	}
	var roll struct {
		Masked   bool    `json:"masked"`
		Total    float64 `json:"total_yuan"`
		Owners   float64 `json:"owner_total_yuan"`
		Retained float64 `json:"county_retained_total_yuan"`
		Pending  []struct {
			Program string  `json:"program"`
			Parcels int     `json:"parcels"`
			AreaMu  float64 `json:"area_mu"`
		} `json:"pending_programs"`
		Rows []struct {
			Owner       string   `json:"owner"`
			IDNumber    string   `json:"id_number"`
			Account     string   `json:"account"`
			Program     string   `json:"program"`
			Amount      float64  `json:"amount_yuan"`
			OwnerAmount float64  `json:"owner_yuan"`
			Retained    float64  `json:"county_retained_yuan"`
			Pending     bool     `json:"pending"`
			ParcelCodes []string `json:"parcel_codes"`
			Note        string   `json:"note"`
		} `json:"rows"`
		Villages []struct {
			Amount float64 `json:"amount_yuan"`
		} `json:"villages"`
	}
	resp, body := get(t, ts.URL+"/api/v1/subsidy-roll?year=2026")
	if resp.StatusCode != 200 {
		t.Fatalf("roll: %d %s", resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, &roll); err != nil {
		t.Fatal(err)
	}
	if lineSum != 492000 || roll.Total != 4920 || len(roll.Villages) != 1 || roll.Villages[0].Amount != 4920 {
		t.Errorf("roll total %.2f, village %+v, lines %d 分; want 4920.00 everywhere", roll.Total, roll.Villages, lineSum)
	}
	// The roll pays what owners receive (issue 12, point 6): of P4's 960.00 (national
	// public-welfare, collective, 60 亩 × 16) the county keeps 0.25 × 60 = 15.00, so owners are
	// paid 4920.00 − 15.00 = 4905.00 (P2 1980 + P3 1980 — the Jiangxi tiers have no county part —
	// + P4 945). P1's 30 亩 in the core zone are listed under the county 禁伐补贴, whose rate is not
	// known (0.00): a pending row naming P1, and a pending programme of 1 parcel, 30 亩.
	if roll.Owners != 4905 || roll.Retained != 15 {
		t.Errorf("roll owners %.2f, county %.2f; want 4905.00 and 15.00", roll.Owners, roll.Retained)
	}
	var sawPending, sawRetained bool
	for _, r := range roll.Rows {
		switch {
		case r.Pending:
			sawPending = r.Program == "county_logging_ban" && r.Amount == 0 && len(r.ParcelCodes) == 1 && r.ParcelCodes[0] == p1 && strings.Contains(r.Note, "待定")
		case r.Retained > 0:
			sawRetained = r.Amount == 960 && r.OwnerAmount == 945 && r.Retained == 15 && strings.Contains(r.Note, "县级留存")
		}
	}
	if !sawPending || !sawRetained || len(roll.Pending) != 1 || roll.Pending[0].Program != "county_logging_ban" || roll.Pending[0].Parcels != 1 || roll.Pending[0].AreaMu != 30 {
		t.Errorf("roll rows %+v, pending %+v; want P4's row split 945 + 15 and P1's pending 禁伐补贴 row of 30 亩", roll.Rows, roll.Pending)
	}
	if !roll.Masked || strings.Contains(string(body), "张三丰") || strings.Contains(string(body), "199001011234") || strings.Contains(string(body), "4567890123") {
		t.Errorf("the unauthorised roll leaks personal data: %s", body)
	}
	// The CSV and XLSX rolls carry the Chinese headers and the grand total.
	resp, body = get(t, ts.URL+"/api/v1/subsidy-roll?year=2026&format=csv")
	if !strings.Contains(string(body), "补偿金额（元）") || !strings.Contains(string(body), "总计,,,,,60.00") && !strings.Contains(string(body), "总计") || !strings.Contains(string(body), "4920.00") {
		t.Errorf("CSV roll: %s", body)
	}
	resp, body = get(t, ts.URL+"/api/v1/subsidy-roll?year=2026&format=xlsx&township="+"361130100")
	x, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("the XLSX roll does not open: %v", err)
	}
	rows, _ := x.GetRows("发放清册")
	var total, pending []string
	for _, r := range rows {
		if len(r) > 10 && r[2] == "总计" {
			total = r
		}
		if len(r) > 5 && r[2] == "待定项目" {
			pending = r
		}
	}
	// 总计: 4920.00 given, 15.00 kept by the county, 4905.00 paid; then the pending programme.
	if len(rows) < 5 || rows[2][8] != "补偿金额（元）" || rows[2][10] != "实发金额（元）" || total == nil ||
		total[8] != "4920.00" || total[9] != "15.00" || total[10] != "4905.00" || pending == nil || pending[5] != "婺源县禁伐补贴" {
		t.Errorf("XLSX roll rows: %v", rows)
	}
	resp, body = get(t, ts.URL+"/api/v1/subsidy-roll?year=2031")
	wantProblem(t, resp, body, 404, "ecocomp recompute --year 2031")
}

func TestAuthorisedRollShowsOwners(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t)
	loadCompensation(t, pool)
	if _, err := recompute.All(ctx, pool, 2026); err != nil {
		t.Fatal(err)
	}
	log := discardLogger()
	ts := newPIIServer(t, pool, log, "s3cret")
	for _, tc := range []struct {
		auth   string
		unmask bool
	}{{"", false}, {"Bearer wrong", false}, {"Bearer s3cret", true}} {
		req, _ := http.NewRequest("GET", ts.URL+"/api/v1/subsidy-roll?year=2026", nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if got := strings.Contains(string(body), "张三丰"); got != tc.unmask {
			t.Errorf("Authorization %q: owner name shown = %v; want %v", tc.auth, got, tc.unmask)
		}
	}
}

// TestPolicyAndParcelVersionsReplay: a new policy version changes the verdict from its effective
// date, a new parcel version from its own; as_of replays either side.
func TestPolicyAndParcelVersionsReplay(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t)
	loadCompensation(t, pool)
	ts := newServer(t, pool)
	stricter := strings.NewReplacer(`"version": "2026.3"`, `"version": "2026.4"`, `"effective_from": "2026-01-01"`, `"effective_from": "2026-07-01"`,
		`"min_overlap_share": "0.5"`, `"min_overlap_share": "0.9"`, `"min_overlap_mu": "1.00"`, `"min_overlap_mu": "100.00"`).Replace(string(policyseeds.Embedded2026()))
	if _, err := policy.Load(ctx, pool, []byte(stricter), "test 2026.4"); err != nil {
		t.Fatal(err)
	}
	// From 1 September the trees of P1 are recorded as state-owned (a new parcel version).
	if _, err := pool.Exec(ctx, `UPDATE parcel SET valid_to = '2026-09-01' WHERE code = $1 AND valid_to IS NULL`, p1); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `
		INSERT INTO parcel (code, xian, xiang, cun, lin_ban, xiao_ban, mian_ji, lm_qs, sen_lin_lb, qi_yuan, ling_zu, you_shi_sz, xu_ji, geom, valid_from)
		SELECT code, xian, xiang, cun, lin_ban, xiao_ban, mian_ji, '10', sen_lin_lb, qi_yuan, ling_zu, you_shi_sz, xu_ji, geom, '2026-09-01'
		FROM parcel WHERE code = $1`, p1); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		asOf, policy string
		eligible     bool
		failed       string
	}{
		{"2026-03-01", "2026.3", true, ""},
		{"2026-08-01", "2026.4", false, "priority_zone"},
		{"2026-10-01", "2026.4", false, "ownership"},
	} {
		var e eligibilityAnswer
		getJSON(t, ts.URL+"/api/v1/parcels/"+p1+"/eligibility?as_of="+tc.asOf, &e)
		if e.PolicyVersion != tc.policy || e.Eligible != tc.eligible {
			t.Errorf("as_of %s: policy %s eligible %v; want %s %v", tc.asOf, e.PolicyVersion, e.Eligible, tc.policy, tc.eligible)
		}
		if tc.failed != "" {
			if ok, d := e.rule(tc.failed); ok {
				t.Errorf("as_of %s: rule %s passed (%s); want it failed", tc.asOf, tc.failed, d)
			}
		}
	}
	resp, body := get(t, ts.URL+"/api/v1/parcels/"+p1+"/eligibility?as_of=2025-06-01")
	wantProblem(t, resp, body, 404, "no version in force on 2025-06-01")
	resp, body = get(t, ts.URL+"/api/v1/parcels/"+p1+"/eligibility?as_of=yesterday")
	wantProblem(t, resp, body, 400, "YYYY-MM-DD")
}

func TestIncrementalRecomputeTouchesOnlyWhatChanged(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t)
	loadCompensation(t, pool)
	if _, err := recompute.All(ctx, pool, 2026); err != nil {
		t.Fatal(err)
	}
	// Move the experimental zone onto P4: P2 leaves it, P4 enters it.
	var zoneID int64
	if err := pool.QueryRow(ctx, `UPDATE zone SET geom = `+gk(5900, -100, 6300, 300)+` WHERE zone_kind = 'experimental' RETURNING id`).Scan(&zoneID); err != nil {
		t.Fatal(err)
	}
	sum, err := recompute.Zones(ctx, pool, 2026, []int64{zoneID})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Parcels != 2 {
		t.Errorf("a zone change re-evaluated %d parcels; want the 2 it touched before or after", sum.Parcels)
	}
	var p2Total, p4Total int64
	pool.QueryRow(ctx, `SELECT coalesce(sum(amount_fen), 0) FROM subsidy_line s JOIN parcel p ON p.id = s.parcel_id WHERE p.code = $1`, p2).Scan(&p2Total)
	pool.QueryRow(ctx, `SELECT coalesce(sum(amount_fen), 0) FROM subsidy_line s JOIN parcel p ON p.id = s.parcel_id WHERE p.code = $1`, p4).Scan(&p4Total)
	// P2 is back to the logging-ban subsidy (60 × 16); P4 now earns the Jiangxi tier (60 × 33).
	if p2Total != 96000 || p4Total != 198000 {
		t.Errorf("after the move: P2 %d 分, P4 %d 分; want 96000 and 198000", p2Total, p4Total)
	}
}
