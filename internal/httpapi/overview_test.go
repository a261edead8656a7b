package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/xuri/excelize/v2"

	"github.com/wuyuan-forestry/ecocomp/internal/auth"
	"github.com/wuyuan-forestry/ecocomp/internal/owners"
	"github.com/wuyuan-forestry/ecocomp/internal/policy"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
)

// overviewView is the part of the overview the test reads; numbers kept as written.
type overviewView struct {
	Unit struct {
		Code, Name, Level string
	} `json:"unit"`
	Townships []struct{ Code string } `json:"townships"`
	Subsidies struct {
		Programs []struct {
			Program string      `json:"program"`
			Parcels int         `json:"parcels"`
			AreaMu  json.Number `json:"area_mu"`
			Amount  json.Number `json:"amount_yuan"`
		} `json:"programs"`
		Total json.Number `json:"total_yuan"`
	} `json:"subsidies"`
	Eligibility struct {
		Rows []struct {
			ZoneKind string      `json:"zone_kind"`
			Zone     string      `json:"zone"`
			Mode     string      `json:"mode"`
			Parcels  int         `json:"parcels"`
			AreaMu   json.Number `json:"area_mu"`
			Cost     json.Number `json:"cost_yuan"`
		} `json:"rows"`
		Parcels int         `json:"parcels"`
		AreaMu  json.Number `json:"area_mu"`
		Cost    json.Number `json:"cost_yuan"`
	} `json:"eligibility"`
	Cases struct {
		ByStatus []struct {
			Status string      `json:"status"`
			Cases  int         `json:"cases"`
			AreaMu json.Number `json:"area_mu"`
		} `json:"by_status"`
		Total     int         `json:"total"`
		Committed json.Number `json:"committed_yuan"`
		Paid      json.Number `json:"paid_yuan"`
		Budget    json.Number `json:"budget_yuan"`
		UsedPct   string      `json:"budget_used_pct"`
	} `json:"cases"`
	Wetland struct {
		Projects     int         `json:"projects"`
		Issued       json.Number `json:"issued"`
		Released     json.Number `json:"released"`
		Sold         json.Number `json:"sold"`
		YearIssued   json.Number `json:"year_issued"`
		YearReleased json.Number `json:"year_released"`
	} `json:"wetland"`
	Care struct {
		Areas           int         `json:"areas"`
		AreasWithRanger int         `json:"areas_with_ranger"`
		Rangers         int         `json:"rangers"`
		TargetParcels   int         `json:"target_parcels"`
		TargetMu        json.Number `json:"target_mu"`
		OutsideParcels  int         `json:"outside_parcels"`
		OutsideMu       json.Number `json:"outside_mu"`
		CoveredPct      string      `json:"covered_pct"`
	} `json:"care"`
}

// loadOverviewCounty builds the county of TestCompensationOverviewOnTheGrid (its comment gives
// the figures) on a fresh database.
func loadOverviewCounty(t *testing.T) *pgxpool.Pool {
	t.Helper()
	ctx := context.Background()
	pool := pgtest.New(t)
	loadGrid(t, pool)
	if _, err := policy.LoadShipped(ctx, pool); err != nil {
		t.Fatal(err)
	}
	owner := insertOwner(t, pool, owners.Owner{Kind: "individual", Name: "张三", IDNumber: "36113019700101001X", BankAccount: "6217000000000001"})
	square := func(x0, y0 int) string {
		return fmt.Sprintf("ST_Multi(ST_Transform(ST_MakeEnvelope(%d, %d, %d, %d, 4548), 4490))", x0, y0, x0+100, y0+100)
	}
	stmts := []string{
		`UPDATE admin_unit SET geom = ST_Multi(ST_Transform(ST_MakeEnvelope(582000, 3236000, 588000, 3239000, 4548), 4490)) WHERE code = '361130'`,
		`INSERT INTO admin_unit (code, level, name, parent_code, geom) VALUES ('361130101', 'township', '清华镇', '361130',
		     ST_Multi(ST_Transform(ST_MakeEnvelope(586000, 3237000, 587000, 3238000, 4548), 4490)))`,
		`INSERT INTO parcel (code, xian, xiang, cun, lin_ban, xiao_ban, mian_ji, di_lei, lm_qs, sen_lin_lb, you_shi_sz, geom, valid_from) VALUES
		     ('361130101001000100001', '361130', '101', '001', '0001', '00001', 2.0, '030100', '30', '011', '310000', ` + square(586000, 3237000) + `, '2026-01-01'),
		     ('361130101001000100002', '361130', '101', '001', '0001', '00002', 2.0, '030100', '30', '022', '310000', ` + square(586100, 3237000) + `, '2026-01-01')`,
		`UPDATE parcel SET sen_lin_lb = '011' WHERE code IN ('` + gridCode(0, 1) + `', '` + gridCode(0, 2) + `')`,
		`UPDATE parcel SET qi_yuan = '11' WHERE code = '` + gridCode(0, 3) + `'`,
		`INSERT INTO recompute_run (policy_version_id, year, scope, finished_at) SELECT id, 2026, 'all', now() FROM policy_version`,
		`INSERT INTO subsidy_line (policy_version_id, year, parcel_id, line, program, program_name, area_centimu, rate_fen, amount_fen, confirmed)
		 SELECT v.id, 2026, p.id, 1, l.program, l.name, l.centimu, l.rate, l.fen, true FROM policy_version v, parcel p
		 JOIN (VALUES ('` + gridCode(0, 1) + `', 'national', '国家级公益林', 1500, 1600, 24000),
		              ('` + gridCode(0, 2) + `', 'national', '国家级公益林', 1500, 1600, 24000),
		              ('` + gridCode(0, 3) + `', 'natural_commercial', '天然商品林停伐管护补助', 750, 1600, 12000),
		              ('361130101001000100001', 'national', '国家级公益林', 3000, 1000, 30000)) l (code, program, name, centimu, rate, fen) ON l.code = p.code`,
		`INSERT INTO parcel_eligibility (policy_version_id, parcel_id, eligible, status, modes, estimate_fen)
		 SELECT v.id, p.id, e.eligible, CASE WHEN e.eligible THEN 'eligible' ELSE 'other' END, e.modes::text[], e.fen FROM policy_version v, parcel p
		 JOIN (VALUES ('` + gridCode(0, 0) + `', true, '{buyout,lease}', 300000),
		              ('` + gridCode(1, 1) + `', true, '{lease}', 100000),
		              ('` + gridCode(2, 2) + `', false, '{}', 700000),
		              ('361130101001000100001', true, '{buyout}', 500000)) e (code, eligible, modes, fen) ON e.code = p.code`,
		fmt.Sprintf(`INSERT INTO buyout_case (number, county, mode, owner_id, status, policy_version, opened_by, signed_on, price_fen, yearly_fen, term_years) VALUES
		     ('WY-SM-2026-0001', '361130', 'buyout', %[1]d, 'signed', '2026', 'o', '2026-03-01', 150000000, NULL, NULL),
		     ('WY-SM-2026-0002', '361130', 'buyout', %[1]d, 'applied', '2026', 'o', NULL, NULL, NULL, NULL),
		     ('WY-SM-2025-0001', '361130', 'buyout', %[1]d, 'transferred', '2026', 'o', '2025-12-01', 100000000, NULL, NULL),
		     ('WY-ZL-2026-0001', '361130', 'lease', %[1]d, 'in_force', '2026', 'o', '2026-02-01', NULL, 5000000, 10)`, owner),
		`INSERT INTO case_parcel (case_id, code, parcel_id, opened_on) SELECT b.id, p.code, p.id, '2026-01-01' FROM buyout_case b
		 JOIN (VALUES ('WY-SM-2026-0001', '` + gridCode(3, 3) + `'), ('WY-SM-2026-0002', '` + gridCode(3, 4) + `'),
		              ('WY-SM-2025-0001', '` + gridCode(3, 5) + `'), ('WY-ZL-2026-0001', '361130101001000100002')) c (number, code) ON c.number = b.number
		 JOIN parcel p ON p.code = c.code`,
		`INSERT INTO case_payment (case_id, amount_fen, paid_on, voucher, recorded_by) SELECT b.id, x.fen, x.d::date, x.v, 'finance1' FROM buyout_case b
		 JOIN (VALUES ('WY-SM-2026-0001', 90000000, '2026-03-10', 'V1'), ('WY-SM-2025-0001', 60000000, '2025-12-20', 'V2'),
		              ('WY-SM-2025-0001', 40000000, '2026-01-15', 'V3'), ('WY-ZL-2026-0001', 5000000, '2026-02-05', 'V4')) x (number, fen, d, v) ON x.number = b.number`,
		`INSERT INTO wetland_project (name, kind, credit_type, sponsor, baseline, status, policy_version, area_centimu, mu_per_credit, credits_centi, milestones, created_by, geom) VALUES
		     ('紫阳湿地', 'restoration', 're-establishment', '县林业局', '退化', 'approved', '2026', 1000, 1000000, 1000, '[]', 't', ` + square(584000, 3238000) + `),
		     ('清华湿地', 'restoration', 're-establishment', '县林业局', '退化', 'approved', '2026', 500, 1000000, 500, '[]', 't', ` + square(586500, 3237500) + `)`,
		`INSERT INTO wetland_ledger (kind, project_id, centi, actor, at) SELECT x.kind, w.id, x.centi, 't', x.at::timestamptz FROM wetland_project w
		 JOIN (VALUES ('紫阳湿地', 'issue', 1000, '2025-06-01T10:00:00+08:00'), ('紫阳湿地', 'release', 300, '2025-07-01T10:00:00+08:00'),
		              ('紫阳湿地', 'release', 200, '2026-05-01T10:00:00+08:00'), ('清华湿地', 'issue', 500, '2026-02-01T10:00:00+08:00')) x (name, kind, centi, at) ON x.name = w.name`,
		`INSERT INTO care_area (code, name, created_by, geom) VALUES
		     ('A', '责任区A', 't', ST_Multi(ST_Transform(ST_MakeEnvelope(583000, 3237100, 583100, 3237300, 4548), 4490))),
		     ('B', '责任区B', 't', ` + square(586000, 3237000) + `)`,
		`INSERT INTO ranger (name_enc, id_number_enc, id_number_hash, contract_from, contract_to, yearly_pay_fen, created_by)
		 VALUES ('\x00', '\x00', '\x00', '2020-01-01', '2030-12-31', 1000000, 't')`,
		`INSERT INTO care_assignment (area_id, ranger_id, period, created_by) SELECT a.id, r.id, '[2020-01-01,)', 't' FROM care_area a, ranger r WHERE a.code = 'A'`,
	}
	for _, q := range stmts {
		if _, err := pool.Exec(ctx, q); err != nil {
			t.Fatalf("%v\n%s", err, q)
		}
	}
	return pool
}

// TestCompensationOverviewOnTheGrid checks every panel of the overview by hand, for township
// 紫阳镇 (the grid, 100 squares of 15 亩) and for the county, which adds 清华镇 (361130101): two
// parcels of 2 ha = 30 亩 east of the grid (A at x 586000, B at x 586100). 2026 figures:
//
//   - subsidies: (0,1) and (0,2) national public-welfare 15 亩 × 16 元 = 240.00 each, (0,3) natural
//     commercial 7.50 亩 = 120.00; 清华镇 A national 30 亩 × 10 元 = 300.00. 紫阳镇 600.00; county 900.00;
//   - eligibility: (0,0) in the core zone, buyout and lease, 3,000.00; (1,1) in no zone, lease,
//     1,000.00; (2,2) not eligible; 清华镇 A buyout 5,000.00 (county only);
//   - cases: 紫阳镇 (3,3) signed 2026-03-01 at 1,500,000.00, paid 900,000.00 in 2026; (3,4) applied;
//     (3,5) signed in 2025 at 1,000,000.00, transferred, paid 400,000.00 on 2026-01-15; 清华镇 B a lease
//     in force, 50,000.00 a year from 2026-02-01, paid 50,000.00. Budget 5,000,000.00 (the policy);
//   - wetland: a project in 紫阳镇 issued 10.00 credits in 2025, released 3.00 in 2025 and 2.00 in
//     2026; one in 清华镇 issued 5.00 in 2026;
//   - care: area A covers (0,1) and (0,2) (public-welfare) and has a ranger; (0,3) (natural) lies
//     outside; area B in 清华镇 covers parcel A (public-welfare), with no ranger.
func TestCompensationOverviewOnTheGrid(t *testing.T) {
	t.Parallel()
	pool := loadOverviewCounty(t)
	viewer := userToken(t, pool, "viewer1", auth.Viewer)
	ts := newPIIServer(t, pool, discardLogger(), "")
	get := func(query string) overviewView {
		t.Helper()
		resp, b := send(t, "GET", ts.URL+"/api/v1/stats/overview?"+query, viewer, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("overview ?%s: %d %s", query, resp.StatusCode, b)
		}
		var o overviewView
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		if err := dec.Decode(&o); err != nil {
			t.Fatal(err)
		}
		return o
	}
	type want struct {
		programs, eligibility, statuses, money, wetland, care string
	}
	for _, c := range []struct {
		query string
		name  string
		want  want
	}{
		{"year=2026&unit=361130100", "紫阳镇", want{
			programs:    "[{national 2 30.00 480.00} {natural_commercial 1 7.50 120.00}] 600.00",
			eligibility: "[core 核心区 buyout 1 15.00 3000.00] [core 核心区 lease 1 15.00 3000.00] [  lease 1 15.00 1000.00] = 2 30.00 4000.00",
			statuses:    "applied 1 15.00; signed 1 15.00; transferred 1 15.00; total 3",
			money:       "committed 1500000.00 paid 1300000.00 budget 5000000.00 used 30.0",
			wetland:     "1 projects: 10.00 5.00 0.00; this year 0.00 2.00",
			care:        "1 areas, 1 with a ranger, 1 rangers; target 3 45.00; outside 1 15.00; covered 66.7",
		}},
		{"year=2026&unit=婺源县", "婺源县", want{
			programs:    "[{national 3 60.00 780.00} {natural_commercial 1 7.50 120.00}] 900.00",
			eligibility: "[core 核心区 buyout 1 15.00 3000.00] [core 核心区 lease 1 15.00 3000.00] [  buyout 1 30.00 5000.00] [  lease 1 15.00 1000.00] = 3 60.00 9000.00",
			statuses:    "applied 1 15.00; signed 1 15.00; transferred 1 15.00; in_force 1 30.00; total 4",
			money:       "committed 1550000.00 paid 1350000.00 budget 5000000.00 used 31.0",
			wetland:     "2 projects: 15.00 5.00 0.00; this year 5.00 2.00",
			care:        "2 areas, 1 with a ranger, 1 rangers; target 4 75.00; outside 1 15.00; covered 80.0",
		}},
	} {
		o := get(c.query)
		if o.Unit.Name != c.name || len(o.Townships) != 2 {
			t.Errorf("?%s: unit %+v, %d townships; want %s and 2 townships", c.query, o.Unit, len(o.Townships), c.name)
		}
		var got want
		got.programs = fmt.Sprint(o.Subsidies.Programs) + " " + o.Subsidies.Total.String()
		var rows []string
		for _, r := range o.Eligibility.Rows {
			rows = append(rows, fmt.Sprintf("[%s %s %s %d %s %s]", r.ZoneKind, r.Zone, r.Mode, r.Parcels, r.AreaMu, r.Cost))
		}
		got.eligibility = fmt.Sprintf("%s = %d %s %s", strings.Join(rows, " "), o.Eligibility.Parcels, o.Eligibility.AreaMu, o.Eligibility.Cost)
		var sts []string
		for _, s := range o.Cases.ByStatus {
			if s.Cases > 0 {
				sts = append(sts, fmt.Sprintf("%s %d %s", s.Status, s.Cases, s.AreaMu))
			}
		}
		got.statuses = strings.Join(sts, "; ") + fmt.Sprintf("; total %d", o.Cases.Total)
		got.money = fmt.Sprintf("committed %s paid %s budget %s used %s", o.Cases.Committed, o.Cases.Paid, o.Cases.Budget, o.Cases.UsedPct)
		w := o.Wetland
		got.wetland = fmt.Sprintf("%d projects: %s %s %s; this year %s %s", w.Projects, w.Issued, w.Released, w.Sold, w.YearIssued, w.YearReleased)
		cr := o.Care
		got.care = fmt.Sprintf("%d areas, %d with a ranger, %d rangers; target %d %s; outside %d %s; covered %s", cr.Areas, cr.AreasWithRanger, cr.Rangers,
			cr.TargetParcels, cr.TargetMu, cr.OutsideParcels, cr.OutsideMu, cr.CoveredPct)
		if got != c.want {
			t.Errorf("?%s:\n got %+v\nwant %+v", c.query, got, c.want)
		}
	}

	// Another year has no lines and no cases signed; a unit nobody knows is a 400 naming unit.
	if o := get("year=2025&unit=361130100"); len(o.Subsidies.Programs) != 0 || o.Cases.Committed.String() != "1000000.00" || o.Cases.Paid.String() != "600000.00" {
		t.Errorf("2025: %+v programs, committed %s, paid %s; want none, 1000000.00, 600000.00", o.Subsidies.Programs, o.Cases.Committed, o.Cases.Paid)
	}
	if resp, b := send(t, "GET", ts.URL+"/api/v1/stats/overview?unit=361130999", viewer, nil); resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "unit") {
		t.Errorf("an unknown unit: %d %s; want 400 naming unit", resp.StatusCode, b)
	}
	if resp, _ := send(t, "GET", ts.URL+"/api/v1/stats/overview", "", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous: %d; want 401 (the overview is for staff)", resp.StatusCode)
	}

	// The xlsx carries the same figures.
	resp, b := send(t, "GET", ts.URL+"/api/v1/stats/overview?year=2026&unit=361130100&format=xlsx", viewer, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("xlsx: %d %s", resp.StatusCode, b)
	}
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("补偿概览")
	if err != nil {
		t.Fatal(err)
	}
	flat := fmt.Sprint(rows)
	for _, w := range []string{"紫阳镇 2026 年生态补偿概览", "[national 国家级公益林 2 30 480]", "[合计    600]", "[核心区 赎买 1 15 3000]", "[签约 1 15]", "[本年签约(元) 1500000 本年支付(元) 1300000 本年预算(元) 5000000]", "[累计 10 5 0]", "[1 1 1 3 45 1 15]"} {
		if !strings.Contains(flat, w) {
			t.Errorf("the xlsx lacks %q: %s", w, flat)
		}
	}
}
