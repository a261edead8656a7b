package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/xuri/excelize/v2"

	"github.com/wuyuan-forestry/ecocomp/internal/auth"
	"github.com/wuyuan-forestry/ecocomp/internal/config"
	"github.com/wuyuan-forestry/ecocomp/internal/policy"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
)

// parkA is the fixture's park; the shipped policy puts it (and the rest of county 361130) in
// the service area 饶河上游（乐安河婺源段）.
const parkA = "江西婺源饶河源国家湿地公园"

// wetlandBank is a fixture county for the wetland bank, every figure in EPSG:4548 metres (a
// 100 m square is 10,000 m² = 15 亩):
//   - county 361130: 580000–600000 × 3230000–3250000;
//   - park A (饶河源): reasonable-use zone 581000–582000 × 3231000–3232000, conservation zone
//     582000–583000 × 3231000–3232000;
//   - park B (测试湿地公园乙, its own service area): reasonable-use zone 590000–591000 × 3231000–3232000;
//   - patches: national 1201 永久性河流 581000–581050 × 3231000–3231100 (7.5 亩), national 1402
//     草本沼泽 581200–581600 × 3231200–3231600 (240 亩), national 1201 582100–582300 ×
//     3231100–3231300 (conservation zone), general 1402 in park B 590000–590100 × 3231000–3231100
//     (15 亩), provincial 1301 outside both parks 595000–595100 × 3235000–3235100 (15 亩).
type wetlandBank struct {
	ts                                      *httptest.Server
	pool                                    *pgxpool.Pool
	officer, finance, admin, viewer, survey string
}

func newWetlandBank(t *testing.T) *wetlandBank {
	t.Helper()
	ctx := context.Background()
	pool := pgtest.New(t)
	_, err := pool.Exec(ctx, `
INSERT INTO admin_unit (code, level, name, geom)
VALUES ('361130', 'county', '婺源县', ST_Multi(ST_Transform(ST_MakeEnvelope(580000, 3230000, 600000, 3250000, 4548), 4490)));
WITH a AS (INSERT INTO protected_area (name, area_kind, demo) VALUES ('江西婺源饶河源国家湿地公园', 'wetland_park', true) RETURNING id)
INSERT INTO zone (area_id, area_kind, zone_kind, name, demo, geom)
SELECT id, 'wetland_park', k, n, true, ST_Multi(ST_Transform(ST_MakeEnvelope(x0, 3231000, x0 + 1000, 3232000, 4548), 4490))
FROM a, (VALUES ('reasonable_use', '饶河源合理利用区', 581000), ('conservation', '饶河源保育区', 582000)) z (k, n, x0);
WITH a AS (INSERT INTO protected_area (name, area_kind, demo) VALUES ('测试湿地公园乙', 'wetland_park', true) RETURNING id)
INSERT INTO zone (area_id, area_kind, zone_kind, name, demo, geom)
SELECT id, 'wetland_park', 'reasonable_use', '乙合理利用区', true, ST_Multi(ST_Transform(ST_MakeEnvelope(590000, 3231000, 591000, 3232000, 4548), 4490)) FROM a;
INSERT INTO wetland_patch (code, type_code, importance, demo, geom)
SELECT c, t, i, true, ST_Multi(ST_Transform(ST_MakeEnvelope(x0, y0, x1, y1, 4548), 4490))
FROM (VALUES ('P1', '1201', 'national', 581000, 3231000, 581050, 3231100),
             ('P2', '1402', 'national', 581200, 3231200, 581600, 3231600),
             ('P3', '1201', 'national', 582100, 3231100, 582300, 3231300),
             ('P4', '1402', 'general', 590000, 3231000, 590100, 3231100),
             ('P5', '1301', 'provincial', 595000, 3235000, 595100, 3235100)) p (c, t, i, x0, y0, x1, y1);`)
	if err != nil {
		t.Fatalf("wetland fixture: %v", err)
	}
	if _, err := policy.LoadShipped(ctx, pool); err != nil {
		t.Fatal(err)
	}
	wb := &wetlandBank{pool: pool}
	wb.officer = userToken(t, pool, "officer1", auth.CaseOfficer)
	wb.finance = userToken(t, pool, "finance1", auth.Finance)
	wb.admin = userToken(t, pool, "admin1", auth.Admin)
	wb.viewer = userToken(t, pool, "viewer1", auth.Viewer)
	wb.survey = userToken(t, pool, "surveyor1", auth.Surveyor)
	// 200 purchases at once queue on one project's row: give them time for a pool slot.
	wb.ts = newServerWithConfig(t, pool, discardLogger(), config.Config{PoolWait: 2 * time.Minute})
	return wb
}

// square is the GeoJSON polygon of an EPSG:4548 rectangle, in CGCS2000 lon/lat (PostGIS
// transforms, so the test's areas are those the server computes).
func (wb *wetlandBank) square(t *testing.T, x0, y0, x1, y1 float64) json.RawMessage {
	t.Helper()
	var g string
	if err := wb.pool.QueryRow(context.Background(), `SELECT ST_AsGeoJSON(ST_Transform(ST_MakeEnvelope($1, $2, $3, $4, 4548), 4490), 9)`,
		x0, y0, x1, y1).Scan(&g); err != nil {
		t.Fatal(err)
	}
	return json.RawMessage(g)
}

// call sends a request and decodes a 2xx answer into out.
func (wb *wetlandBank) call(t *testing.T, want int, method, path, token string, body, out any) string {
	t.Helper()
	resp, b := send(t, method, wb.ts.URL+path, token, body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d, want %d\n%s", method, path, resp.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v\n%s", method, path, err, b)
		}
	}
	return string(b)
}

// refused sends a request that must fail with status want and a detail containing each of words.
func (wb *wetlandBank) refused(t *testing.T, want int, method, path, token string, body any, words ...string) {
	t.Helper()
	resp, b := send(t, method, wb.ts.URL+path, token, body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d, want %d\n%s", method, path, resp.StatusCode, want, b)
	}
	for _, w := range words {
		if !strings.Contains(string(b), w) {
			t.Errorf("%s %s refused with %s; want it to say %q", method, path, b, w)
		}
	}
}

type projectView struct {
	ID          int64       `json:"id"`
	Kind        string      `json:"kind"`
	Status      string      `json:"status"`
	Version     int         `json:"version"`
	AreaMu      json.Number `json:"area_mu"`
	Credits     json.Number `json:"credits"`
	ServiceArea string      `json:"service_area"`
	Balance     struct {
		Issued, Released, Sold, Available json.Number
		ReserveHeld                       json.Number `json:"reserve_held"`
	} `json:"balance"`
	Milestones []struct {
		ID        string      `json:"id"`
		Scheduled json.Number `json:"scheduled_credits"`
		Release   *struct {
			Credits json.Number `json:"credits"`
		} `json:"release"`
	} `json:"milestones"`
}

// approved proposes a project of kind on the rectangle and approves it.
func (wb *wetlandBank) approved(t *testing.T, name, kind string, x0, y0, x1, y1 float64) projectView {
	t.Helper()
	var p projectView
	wb.call(t, 201, "POST", "/api/v1/wetland/projects", wb.officer, map[string]any{"name": name, "kind": kind, "sponsor": "婺源县湿地保护中心",
		"baseline": "撂荒稻田，季节性积水", "geometry": wb.square(t, x0, y0, x1, y1)}, &p)
	wb.call(t, 200, "POST", fmt.Sprintf("/api/v1/wetland/projects/%d/transitions", p.ID), wb.officer, map[string]any{"to": "approved", "version": p.Version}, &p)
	return p
}

// release releases credits of project id against milestone m verified on day.
func (wb *wetlandBank) release(t *testing.T, id int64, m, day string, credits any) projectView {
	t.Helper()
	body := map[string]any{"milestone": m, "verified_on": day, "verifier": "江西省林业科学院 监测组", "evidence": "验收报告 " + m}
	if credits != nil {
		body["credits"] = credits
	}
	var p projectView
	wb.call(t, 201, "POST", fmt.Sprintf("/api/v1/wetland/projects/%d/releases", id), wb.officer, body, &p)
	return p
}

type debitView struct {
	ID          int64       `json:"id"`
	Status      string      `json:"status"`
	OccupiedMu  json.Number `json:"occupied_mu"`
	Required    json.Number `json:"credits_required"`
	Retired     json.Number `json:"credits_retired"`
	Outstanding json.Number `json:"credits_outstanding"`
	Paid        json.Number `json:"paid_yuan"`
	ServiceArea string      `json:"service_area"`
	Lines       []struct {
		TypeCode   string      `json:"type_code"`
		Importance string      `json:"importance"`
		Basis      string      `json:"basis"`
		OccupiedMu json.Number `json:"occupied_mu"`
		Ratio      json.Number `json:"ratio"`
		Required   json.Number `json:"credits_required"`
	} `json:"lines"`
	Art21 *struct {
		Applies    bool   `json:"applies"`
		LegalBasis string `json:"legal_basis"`
	} `json:"art21"`
	Sales []struct {
		Amount    json.Number `json:"amount_yuan"`
		Deviation *float64    `json:"deviation_pct"`
		Reference json.Number `json:"reference_price_yuan_per_credit"`
		Lines     []struct {
			Project int64       `json:"project"`
			Credits json.Number `json:"credits"`
			Amount  json.Number `json:"amount_yuan"`
		} `json:"lines"`
	} `json:"sales"`
}

func (wb *wetlandBank) debit(t *testing.T, applicant string, x0, y0, x1, y1 float64) debitView {
	t.Helper()
	var d debitView
	wb.call(t, 201, "POST", "/api/v1/wetland/debits", wb.officer, map[string]any{"applicant": applicant, "purpose": "观景栈道",
		"activity": "wetland_occupation", "geometry": wb.square(t, x0, y0, x1, y1)}, &d)
	return d
}

func sale(voucher string, lines ...map[string]any) map[string]any {
	return map[string]any{"lines": lines, "price_yuan_per_credit": "90000.00", "appraiser": "江西某资产评估有限公司", "appraised_on": "2026-06-01",
		"appraisal_report": "赣评报字〔2026〕第88号", "voucher": voucher}
}

func line(project int64, credits string) map[string]any {
	return map[string]any{"project": project, "credits": credits}
}

// TestWetlandDebitFromPatches: a 100 m square (15 亩) in park A's reasonable-use zone whose west
// half lies on national-important patch P1 and whose east half is dry land occupies 7.50 亩 of
// wetland and owes 7.50 × 2 (national debit ratio) = 15.00 credits — the dry half owes nothing
// (the zone-based tariff would have asked 15 × 1.5 = 22.50). At the reference price
// 94,117.65 元 that is 15 × 94,117.65 = 1,411,764.75 元. The zone check answers the same figures
// beside its zone verdicts. A square on the provincial patch P5 outside both parks owes
// 15 亩 × 1 = 15.00 credits under 湿地保护法 art. 21 and is served by the county's service area.
func TestWetlandDebitFromPatches(t *testing.T) {
	wb := newWetlandBank(t)
	d := wb.debit(t, "婺源县文旅公司", 581000, 3231000, 581100, 3231100)
	if d.OccupiedMu != "7.50" || d.Required != "15.00" || d.Outstanding != "15.00" || len(d.Lines) != 1 ||
		d.Lines[0].Importance != "national" || d.Lines[0].TypeCode != "1201" || d.Lines[0].Ratio != "2" || d.Lines[0].Basis != "bank" {
		t.Errorf("debit %+v; want 7.50 亩 of national 1201 at ratio 2 = 15.00 credits on the bank basis", d)
	}
	if d.ServiceArea != "饶河上游（乐安河婺源段）" || d.Art21 != nil {
		t.Errorf("debit service area %q, art21 %+v; want the basin group and no art. 21", d.ServiceArea, d.Art21)
	}

	var zc struct {
		Zones []struct {
			ZoneKind string  `json:"zone_kind"`
			Credits  *string `json:"wetland_credits_required"`
		} `json:"zones"`
		Wetland struct {
			OccupiedMu json.Number `json:"occupied_mu"`
			Required   json.Number `json:"credits_required"`
			Fee        json.Number `json:"reference_fee_yuan"`
			Basis      string      `json:"basis"`
		} `json:"wetland"`
	}
	wb.call(t, 200, "POST", "/api/v1/zone-check", "", map[string]any{"activity": "wetland_occupation",
		"geometry": wb.square(t, 581000, 3231000, 581100, 3231100)}, &zc)
	if len(zc.Zones) != 1 || zc.Zones[0].ZoneKind != "reasonable_use" || zc.Zones[0].Credits == nil {
		t.Errorf("zone check zones %+v; want the reasonable-use zone with its (zone-based) figure kept", zc.Zones)
	}
	if zc.Wetland.OccupiedMu != "7.50" || zc.Wetland.Required != "15.00" || zc.Wetland.Fee != "1411764.75" || zc.Wetland.Basis != "bank" {
		t.Errorf("zone check wetland %+v; want 7.50 亩, 15.00 credits, 1411764.75 元 on the bank basis", zc.Wetland)
	}

	out := wb.debit(t, "某公路公司", 595000, 3235000, 595100, 3235100)
	if out.Required != "15.00" || out.Art21 == nil || !out.Art21.Applies || !strings.Contains(out.Art21.LegalBasis, "第二十一条") ||
		len(out.Lines) != 1 || out.Lines[0].Basis != "art21" || out.ServiceArea != "饶河上游（乐安河婺源段）" {
		t.Errorf("provincial wetland outside the parks: %+v; want 15.00 credits under art. 21 in the county's service area", out)
	}
	wb.refused(t, 409, "POST", "/api/v1/wetland/debits", wb.officer, map[string]any{"applicant": "x", "activity": "wetland_occupation",
		"geometry": wb.square(t, 581700, 3231700, 581800, 3231800)}, "owes no wetland credits")
	wb.refused(t, 403, "POST", "/api/v1/wetland/debits", wb.viewer, map[string]any{"applicant": "x", "activity": "wetland_occupation",
		"geometry": wb.square(t, 581000, 3231000, 581100, 3231100)})
}

// TestWetlandDebitInConservationZoneRefused: occupying patch P3 in park A's conservation zone is
// refused with the zone regime's article (《国家湿地公园管理办法》第十九条第（一）项), and no debit
// is written.
func TestWetlandDebitInConservationZoneRefused(t *testing.T) {
	wb := newWetlandBank(t)
	wb.refused(t, 409, "POST", "/api/v1/wetland/debits", wb.officer, map[string]any{"applicant": "某开发商", "activity": "wetland_occupation",
		"geometry": wb.square(t, 582100, 3231100, 582200, 3231200)}, "forbidden", "饶河源保育区", "第十九条第（一）项")
	var n int
	if err := wb.pool.QueryRow(context.Background(), `SELECT count(*) FROM wetland_debit`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d debits after the refusal (%v); want none", n, err)
	}
}

// TestWetlandProjectCreditsByKind: four 100 m squares (15 亩 each) earn 15 ÷ 1 = 15.00
// (restoration, re-establishment), 15 ÷ 1.5 = 10.00 (creation), 15 ÷ 3 = 5.00 (enhancement) and
// 15 ÷ 7.5 = 2.00 (preservation) credits; approval issues them and holds back the reserve share
// (10 %: 1.50, 1.00, 0.50, 0.20); an overlapping proposal and a viewer's are refused.
func TestWetlandProjectCreditsByKind(t *testing.T) {
	wb := newWetlandBank(t)
	want := map[string][2]string{"restoration": {"15.00", "1.50"}, "creation": {"10.00", "1.00"}, "enhancement": {"5.00", "0.50"}, "preservation": {"2.00", "0.20"}}
	for i, kind := range []string{"restoration", "creation", "enhancement", "preservation"} {
		x := 581000 + float64(i)*100
		p := wb.approved(t, "项目"+kind, kind, x, 3231900, x+100, 3232000)
		if p.AreaMu != "15.00" || p.Credits != json.Number(want[kind][0]) || p.Status != "approved" || p.Balance.Issued != json.Number(want[kind][0]) ||
			p.Balance.ReserveHeld != json.Number(want[kind][1]) || p.Balance.Released != "0.00" || p.ServiceArea != "饶河上游（乐安河婺源段）" {
			t.Errorf("%s: %+v; want 15.00 亩, %s credits issued, %s held in reserve", kind, p, want[kind][0], want[kind][1])
		}
	}
	wb.refused(t, 409, "POST", "/api/v1/wetland/projects", wb.officer, map[string]any{"name": "重叠", "kind": "restoration", "sponsor": "s", "baseline": "b",
		"geometry": wb.square(t, 581050, 3231900, 581150, 3232000)}, "overlaps", "cannot earn credits twice")
	wb.refused(t, 403, "POST", "/api/v1/wetland/projects", wb.viewer, map[string]any{"name": "v", "kind": "restoration", "sponsor": "s", "baseline": "b",
		"geometry": wb.square(t, 583000, 3231000, 583100, 3231100)})
	wb.refused(t, 400, "POST", "/api/v1/wetland/projects", wb.officer, map[string]any{"name": "v", "kind": "dredging", "sponsor": "s", "baseline": "b",
		"geometry": wb.square(t, 583000, 3231000, 583100, 3231100)}, "not a project kind")
}

// TestWetlandReleasesByMilestone: a restoration project of 15 亩 is issued 15.00 credits. As
// built (30 %, verified seven years ago) releases 4.50; monitoring year 1 (10 %) 1.50 a year
// later; monitoring year 2 verified only one year after as built is refused (two years are
// due); verified two years after it releases 1.50: 7.50 released. Releasing 8.00 more
// (15.50 > 15.00 issued) is refused; so are releasing before approval, a milestone twice, and
// selling 8.00 when 7.50 are released and unsold.
func TestWetlandReleasesByMilestone(t *testing.T) {
	wb := newWetlandBank(t)
	var proposed projectView
	wb.call(t, 201, "POST", "/api/v1/wetland/projects", wb.officer, map[string]any{"name": "饶河滩地恢复", "kind": "restoration", "sponsor": "婺源县湿地保护中心",
		"baseline": "采砂废弃地", "geometry": wb.square(t, 581000, 3231800, 581100, 3231900)}, &proposed)
	path := fmt.Sprintf("/api/v1/wetland/projects/%d/releases", proposed.ID)
	wb.refused(t, 409, "POST", path, wb.officer, map[string]any{"milestone": "as_built", "verifier": "v", "evidence": "e"}, "proposed")
	wb.call(t, 200, "POST", fmt.Sprintf("/api/v1/wetland/projects/%d/transitions", proposed.ID), wb.admin, map[string]any{"to": "approved", "version": 1}, nil)

	asBuilt := time.Now().AddDate(-7, 0, 0)
	on := func(years int) string { return asBuilt.AddDate(years, 0, 0).Format(time.DateOnly) }
	p := wb.release(t, proposed.ID, "as_built", on(0), nil)
	if p.Balance.Released != "4.50" || p.Milestones[0].Release == nil || p.Milestones[0].Release.Credits != "4.50" {
		t.Errorf("as built: %+v; want 4.50 released", p.Balance)
	}
	wb.refused(t, 409, "POST", path, wb.officer, map[string]any{"milestone": "monitoring_2", "verified_on": on(2), "verifier": "v", "evidence": "e"},
		"after monitoring_1", "in order")
	p = wb.release(t, proposed.ID, "monitoring_1", on(1), nil)
	wb.refused(t, 409, "POST", path, wb.officer, map[string]any{"milestone": "monitoring_2", "verified_on": on(1), "verifier": "v", "evidence": "e"},
		"2 year(s) after the as-built verification", on(2))
	wb.refused(t, 409, "POST", path, wb.officer, map[string]any{"milestone": "monitoring_1", "verified_on": on(1), "verifier": "v", "evidence": "e"},
		"released once")
	p = wb.release(t, proposed.ID, "monitoring_2", on(2), nil)
	if p.Balance.Released != "7.50" || p.Balance.Available != "7.50" || p.Balance.Issued != "15.00" {
		t.Errorf("after three milestones: %+v; want 7.50 of 15.00 released", p.Balance)
	}
	wb.refused(t, 409, "POST", path, wb.officer, map[string]any{"milestone": "monitoring_3", "verified_on": on(3), "verifier": "v", "evidence": "e", "credits": "8.00"},
		"15.50 released, more than the 15.00 issued")
	wb.refused(t, 403, "POST", path, wb.finance, map[string]any{"milestone": "monitoring_3", "verified_on": on(3), "verifier": "v", "evidence": "e"})

	d := wb.debit(t, "婺源县文旅公司", 581000, 3231000, 581100, 3231100)
	wb.refused(t, 409, "POST", fmt.Sprintf("/api/v1/wetland/debits/%d/sales", d.ID), wb.finance, sale("V-early", line(proposed.ID, "8.00")),
		"7.50 credits released and unsold", "unreleased")

	// The remaining milestones release the rest; the reserve lets go of what was held.
	for y := 3; y <= 6; y++ {
		p = wb.release(t, proposed.ID, fmt.Sprintf("monitoring_%d", y), on(y), nil)
	}
	p = wb.release(t, proposed.ID, "reserve", on(6), nil)
	if p.Balance.Released != "15.00" || p.Balance.ReserveHeld != "0.00" || p.Milestones[7].Release.Credits != "1.50" {
		t.Errorf("all milestones: %+v; want 15.00 released, nothing held", p.Balance)
	}
}

// TestWetlandSaleAcrossTwoProjects: the 15.00 credits of the half-wetland debit are bought as
// 10.00 from project X and 5.00 from project Y at an appraised 90,000.00 元 per credit:
// 900,000.00 + 450,000.00 = 1,350,000.00 元 into the fund, 4.4 % under the reference price
// 94,117.65 ((90,000 − 94,117.65) ÷ 94,117.65 = −4.375 %). The debit is settled; X has 5.00 and Y
// 10.00 left; the buyer's statement shows both retirements and the payment. A project in park B
// cannot sell to it (another service area); a case officer cannot record a sale.
func TestWetlandSaleAcrossTwoProjects(t *testing.T) {
	wb := newWetlandBank(t)
	x := wb.approved(t, "项目X", "restoration", 581000, 3231800, 581100, 3231900)
	y := wb.approved(t, "项目Y", "restoration", 581100, 3231800, 581200, 3231900)
	for _, p := range []projectView{x, y} {
		wb.release(t, p.ID, "as_built", "2026-05-01", "15.00")
	}
	other := wb.approved(t, "乙园项目", "restoration", 590500, 3231500, 590600, 3231600)
	wb.release(t, other.ID, "as_built", "2026-05-01", nil)
	d := wb.debit(t, "婺源县文旅公司", 581000, 3231000, 581100, 3231100)
	salePath := fmt.Sprintf("/api/v1/wetland/debits/%d/sales", d.ID)

	wb.refused(t, 409, "POST", salePath, wb.finance, sale("V-far", line(other.ID, "1.00")), "serves 测试湿地公园乙", "only within their service area")
	wb.refused(t, 403, "POST", salePath, wb.officer, sale("V-officer", line(x.ID, "1.00")))
	wb.refused(t, 409, "POST", salePath, wb.finance, sale("V-much", line(x.ID, "15.00"), line(y.ID, "1.00")), "more than it owes")

	var got debitView
	wb.call(t, 201, "POST", salePath, wb.finance, sale("V-1", line(y.ID, "5.00"), line(x.ID, "10.00")), &got)
	if got.Status != "settled" || got.Retired != "15.00" || got.Outstanding != "0.00" || got.Paid != "1350000.00" || len(got.Sales) != 1 {
		t.Fatalf("after the sale: %+v; want settled, 15.00 retired, 1350000.00 paid", got)
	}
	s := got.Sales[0]
	if s.Amount != "1350000.00" || s.Reference != "94117.65" || s.Deviation == nil || *s.Deviation != -4.4 || len(s.Lines) != 2 ||
		s.Lines[0].Project != x.ID || s.Lines[0].Credits != "10.00" || s.Lines[0].Amount != "900000.00" || s.Lines[1].Amount != "450000.00" {
		t.Errorf("sale %+v; want X 10.00 for 900000.00 and Y 5.00 for 450000.00, −4.4 %% against 94117.65", s)
	}
	wb.refused(t, 409, "POST", salePath, wb.finance, sale("V-2", line(x.ID, "1.00")), "settled")

	var sheet struct {
		Projects []struct {
			Project   int64       `json:"project"`
			Sold      json.Number `json:"sold"`
			Available json.Number `json:"available"`
			Proceeds  json.Number `json:"proceeds_yuan"`
		} `json:"projects"`
		Fund     string      `json:"fund"`
		Received json.Number `json:"fund_received_yuan"`
	}
	wb.call(t, 200, "GET", "/api/v1/wetland/balance", wb.viewer, nil, &sheet)
	if len(sheet.Projects) != 3 || sheet.Projects[0].Sold != "10.00" || sheet.Projects[0].Available != "5.00" || sheet.Projects[1].Available != "10.00" ||
		sheet.Projects[1].Proceeds != "450000.00" || sheet.Received != "1350000.00" || sheet.Fund != "饶河源国家湿地公园湿地保护基金" {
		t.Errorf("balance sheet %+v; want X 10 sold / 5 left, Y 5 sold / 10 left, 1350000.00 in the fund", sheet)
	}
	var st struct {
		Entries []struct {
			Kind string `json:"kind"`
		} `json:"entries"`
		Paid json.Number `json:"paid_yuan"`
	}
	wb.call(t, 200, "GET", "/api/v1/wetland/ledger?buyer="+url.QueryEscape("婺源县文旅公司"), wb.viewer, nil, &st)
	var kinds []string
	for _, e := range st.Entries {
		kinds = append(kinds, e.Kind)
	}
	if strings.Join(kinds, ",") != "sale,retire,sale,retire,payment" || st.Paid != "1350000.00" {
		t.Errorf("buyer statement %v paid %s; want two sales and retirements and one payment of 1350000.00", kinds, st.Paid)
	}
	var audited int
	if err := wb.pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action LIKE 'wetland.%'`).Scan(&audited); err != nil || audited != 11 {
		t.Errorf("%d wetland audit rows (%v); want 11: 3 proposals, 3 approvals, 3 releases, 1 debit, 1 sale", audited, err)
	}
}

// TestWetlandConcurrentPurchases: project Z (a 200 m × 500 m restoration, 150 亩 → 150.00 credits)
// has 100.00 released; a debit on 120 亩 of national patch P2 owes 240.00. 200 simultaneous
// purchases of 1.00 credit: exactly 100 succeed (the others 409), Z's available balance is 0,
// the ledger's entries sum to the balance and to the project's statement (xlsx too), and the
// ledger refuses to be edited.
func TestWetlandConcurrentPurchases(t *testing.T) {
	wb := newWetlandBank(t)
	z := wb.approved(t, "项目Z", "restoration", 581000, 3231000, 581200, 3231500)
	if z.Credits != "150.00" {
		t.Fatalf("project Z earns %s credits; want 150.00", z.Credits)
	}
	wb.release(t, z.ID, "as_built", "2026-05-01", "100.00")
	d := wb.debit(t, "某水电公司", 581200, 3231200, 581400, 3231700)
	if d.Required != "240.00" {
		t.Fatalf("the debit owes %s; want 240.00 (120 亩 × 2)", d.Required)
	}
	statuses := fire(200, func(i int) int {
		resp, _ := send(t, "POST", wb.ts.URL+fmt.Sprintf("/api/v1/wetland/debits/%d/sales", d.ID), wb.finance, sale(fmt.Sprintf("C-%03d", i), line(z.ID, "1.00")))
		return resp.StatusCode
	})
	if statuses[201] != 100 || statuses[409] != 100 {
		t.Fatalf("200 simultaneous purchases of 1 credit: %v; want exactly 100 × 201 and 100 × 409", statuses)
	}
	var sold, released, sales, payments int64
	if err := wb.pool.QueryRow(context.Background(), `SELECT
		sum(centi) FILTER (WHERE kind = 'sale'), sum(centi) FILTER (WHERE kind = 'release'),
		count(*) FILTER (WHERE kind = 'sale'), (SELECT sum(fen) FROM wetland_ledger WHERE kind = 'payment')
		FROM wetland_ledger WHERE project_id = $1`, z.ID).Scan(&sold, &released, &sales, &payments); err != nil {
		t.Fatal(err)
	}
	if sold != 10000 || released != 10000 || sales != 100 || payments != 100*9000000 {
		t.Errorf("ledger: %d centi sold of %d released in %d sales, %d分 paid; want 10000 of 10000 in 100 sales, 900000000分", sold, released, sales, payments)
	}
	var bal struct {
		Projects []struct {
			Sold, Available json.Number
		} `json:"projects"`
	}
	wb.call(t, 200, "GET", fmt.Sprintf("/api/v1/wetland/balance?project=%d", z.ID), wb.viewer, nil, &bal)
	var st struct {
		Entries []struct {
			Credits   json.Number `json:"credits"`
			Kind      string      `json:"kind"`
			Available json.Number `json:"available_after"`
		} `json:"entries"`
		Balance struct {
			Sold, Available, Retired json.Number
		} `json:"balance"`
	}
	wb.call(t, 200, "GET", fmt.Sprintf("/api/v1/wetland/ledger?project=%d", z.ID), wb.viewer, nil, &st)
	var sum float64
	for _, e := range st.Entries {
		if e.Kind == "sale" {
			f, _ := e.Credits.Float64()
			sum += f
		}
	}
	last := st.Entries[len(st.Entries)-1]
	if len(bal.Projects) != 1 || bal.Projects[0].Available != "0.00" || bal.Projects[0].Sold != "100.00" || st.Balance.Sold != "100.00" ||
		st.Balance.Available != "0.00" || st.Balance.Retired != "100.00" || sum != 100 || last.Available != "0.00" {
		t.Errorf("balance %+v, statement %+v (sales add to %v, last running balance %s); want 100.00 sold, 0.00 available everywhere", bal, st.Balance, sum, last.Available)
	}
	resp, body := send(t, "GET", wb.ts.URL+fmt.Sprintf("/api/v1/wetland/ledger?project=%d&format=xlsx", z.ID), wb.viewer, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("xlsx statement: %d %s", resp.StatusCode, body)
	}
	f, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.GetRows("台账")
	if err != nil {
		t.Fatal(err)
	}
	// title, header, issue, reserve, release, 100 × (sale, retire), blank, totals
	if len(rows) != 2+3+200+2 || !strings.Contains(strings.Join(rows[len(rows)-1], "|"), "已售出|100") {
		t.Errorf("xlsx statement has %d rows, last %v; want 207 with 100 sold in the totals", len(rows), rows[len(rows)-1])
	}
	if _, err := wb.pool.Exec(context.Background(), `UPDATE wetland_ledger SET centi = 0 WHERE project_id = $1`, z.ID); err == nil ||
		!strings.Contains(err.Error(), "append-only") {
		t.Errorf("editing the ledger: %v; want it refused as append-only", err)
	}
}
