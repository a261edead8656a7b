package zonecheck_test

import (
	"context"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/policy"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
	"github.com/wuyuan-forestry/ecocomp/internal/zonecheck"
	policyseeds "github.com/wuyuan-forestry/ecocomp/seeds/policy"
)

// TestFootprintAcrossZones: a 15 亩 footprint half in the buffer and half in the general-control zone lists
// both zones with 7.5 亩 each, and the answer is the strictest of their verdicts; one outside
// every zone is allowed and says no zone rule applies.
func TestFootprintAcrossZones(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	loadZones(t, pool)
	pol, err := policy.Parse(policyseeds.Embedded2026())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// An activity the two zones judge differently (the policy decides which).
	activity := ""
	for _, a := range pol.Activities() {
		c, _ := pol.Regime("buffer", a)
		b, _ := pol.Regime("general_control", a)
		if c.Verdict != b.Verdict {
			activity = a
			break
		}
	}
	if activity == "" {
		t.Fatal("no activity has different verdicts in the buffer and the general-control zone")
	}
	res, err := zonecheck.Check(ctx, pool, pol, footprint(t, pool, 1950, 400), activity)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Zones) != 2 || res.Zones[0].ZoneKind != "buffer" || res.Zones[1].ZoneKind != "general_control" {
		t.Fatalf("zones %+v; want the buffer and the general-control zone", res.Zones)
	}
	strictest := "allowed"
	rank := map[string]int{"allowed": 0, "conditional": 1, "forbidden": 2}
	for _, z := range res.Zones {
		if math.Abs(float64(z.OverlapMu)-7.5) > 0.01 {
			t.Errorf("%s: overlap %.4f 亩; want 7.5", z.ZoneKind, float64(z.OverlapMu))
		}
		if rank[z.Verdict] > rank[strictest] {
			strictest = z.Verdict
		}
	}
	if res.Verdict != strictest || math.Abs(float64(res.FootprintMu)-15) > 0.01 || !strings.Contains(res.Message, "touches 2 zone(s); the strictest verdict is "+strictest) {
		t.Errorf("answer %s, footprint %.2f 亩, %q; want %s over 15 亩 and a message saying so", res.Verdict, float64(res.FootprintMu), res.Message, strictest)
	}

	res, err = zonecheck.Check(ctx, pool, pol, footprint(t, pool, 6000, 400), "construction")
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict != "allowed" || len(res.Zones) != 0 || res.TotalFee != 0 || !strings.Contains(res.Message, "touches no protected zone") {
		t.Errorf("outside every zone: %+v; want allowed, no zones, no fee", res)
	}
}

// TestWetlandOccupationOwesCredits: occupying 15 亩 of a wetland park's reasonable-use zone owes
// the wetland bank 1.5 credits a 亩 (22.5) at 94,117.65 元 each — about 2,117,647 元; the same
// footprint in the conservation zone owes nothing to the bank, it is not for sale.
func TestWetlandOccupationOwesCredits(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	loadZones(t, pool)
	if _, err := pool.Exec(context.Background(), `INSERT INTO zone (area_id, area_kind, zone_kind, site, name, geom)
		SELECT id, 'wetland_park', 'reasonable_use', '', '合理利用区', `+gk(4000, 0, 5000, 1000)+` FROM protected_area WHERE name = '测试湿地公园'`); err != nil {
		t.Fatal(err)
	}
	pol, err := policy.Parse(policyseeds.Embedded2026())
	if err != nil {
		t.Fatal(err)
	}
	res, err := zonecheck.Check(context.Background(), pool, pol, footprint(t, pool, 4400, 400), "wetland_occupation")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Zones) != 1 || res.Zones[0].CreditsNeeded == nil {
		t.Fatalf("zones %+v; want the reasonable-use zone with credits", res.Zones)
	}
	credits, _ := strconv.ParseFloat(*res.Zones[0].CreditsNeeded, 64)
	fee, _ := strconv.ParseFloat(res.TotalFee.String(), 64)
	if math.Abs(credits-22.5) > 0.02 || math.Abs(fee-2_117_647) > 2_000 || res.Zones[0].Fee != res.TotalFee {
		t.Errorf("credits %s, fee %s (zone %s); want 22.50 credits and ≈ 2,117,647 元", *res.Zones[0].CreditsNeeded, res.TotalFee, res.Zones[0].Fee)
	}
	res, err = zonecheck.Check(context.Background(), pool, pol, footprint(t, pool, 3400, 400), "wetland_occupation")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Zones) != 1 || res.Zones[0].CreditsNeeded != nil || res.TotalFee != 0 {
		t.Errorf("occupation in the conservation zone: %+v; want no credits and no fee", res.Zones)
	}
}

// TestFootprintMistakesSaid: what is wrong with a drawn footprint is said in words a user can
// act on, as a 400.
func TestFootprintMistakesSaid(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ geometry, want string }{
		{``, `the body has no "geometry"`},
		{`{"type":"Point","coordinates":[117.9,29.2]}`, "geometry is a Point; a footprint must be a Polygon or MultiPolygon"},
		{`{"type":"Polygon","coordinates":[[[117.9,29.2],[117.91,29.2],[117.91,29.21]]]}`, "polygon 1, ring 1 has 3 positions"},
		{`{"type":"Polygon","coordinates":[[[117.9,29.2],[117.91,29.2],[117.91,29.21],[117.9,29.21]]]}`, "polygon 1, ring 1 is not closed"},
		{`{"type":"Polygon","coordinates":[[[29.2,117.9],[29.2,117.91],[29.21,117.91],[29.2,117.9]]]}`, "outside longitude/latitude range"},
		{`{"type":"Feature","geometry":{"type":"MultiPolygon","coordinates":[]}}`, "the MultiPolygon has no polygons"},
	} {
		_, err := zonecheck.Parse(json.RawMessage(tc.geometry))
		if apperr.CodeOf(err) != apperr.Invalid || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want invalid: %s", tc.geometry, err, tc.want)
		}
	}
	// A bow tie is parsed, then PostGIS says where it crosses itself.
	pool := pgtest.New(t)
	pol, err := policy.Parse(policyseeds.Embedded2026())
	if err != nil {
		t.Fatal(err)
	}
	mp, err := zonecheck.Parse(json.RawMessage(`{"type":"Polygon","coordinates":[[[117.9,29.2],[117.91,29.21],[117.91,29.2],[117.9,29.21],[117.9,29.2]]]}`))
	if err != nil {
		t.Fatal(err)
	}
	_, err = zonecheck.Check(context.Background(), pool, pol, mp, "construction")
	if apperr.CodeOf(err) != apperr.Invalid || !strings.Contains(err.Error(), "self-intersection at or near [117.9050000, 29.2050000]") {
		t.Errorf("bow tie: %v; want invalid, naming the self-intersection and where", err)
	}
	if _, err := zonecheck.Check(context.Background(), pool, pol, mp, "picnic"); apperr.CodeOf(err) != apperr.Invalid || !strings.Contains(err.Error(), `unknown activity "picnic"; the known activities are `) || !strings.Contains(err.Error(), "construction") {
		t.Errorf("unknown activity: %v; want invalid, listing the known ones", err)
	}
}
