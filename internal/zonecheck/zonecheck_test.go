package zonecheck_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"

	"github.com/wuyuan-forestry/ecocomp/internal/policy"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
	"github.com/wuyuan-forestry/ecocomp/internal/zonecheck"
	policyseeds "github.com/wuyuan-forestry/ecocomp/seeds/policy"
)

// gk is a Gauss-Krüger box (metres from 583000 E, 3237000 N, EPSG:4548) stored as EPSG:4490.
func gk(x0, y0, x1, y1 int) string {
	return fmt.Sprintf("ST_Multi(ST_Transform(ST_MakeEnvelope(%d, %d, %d, %d, 4548), 4490))", 583000+x0, 3237000+y0, 583000+x1, 3237000+y1)
}

// One nature reserve with a core, a buffer and a general-control zone (three sites), and a
// wetland park with a conservation zone, each 1 km wide, side by side along x:
//
//	core 0–1000, buffer 1000–2000, general_control 2000–3000, conservation 3000–4000.
func loadZones(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	sql := `
INSERT INTO protected_area (name, area_kind, level) VALUES ('测试自然保护区', 'nature_reserve', 'national'), ('测试湿地公园', 'wetland_park', 'national');
INSERT INTO zone (area_id, area_kind, zone_kind, site, name, geom)
 SELECT id, 'nature_reserve', 'core', '1', '核心区', ` + gk(0, 0, 1000, 1000) + ` FROM protected_area WHERE name = '测试自然保护区'
 UNION ALL SELECT id, 'nature_reserve', 'buffer', '1', '缓冲区', ` + gk(1000, 0, 2000, 1000) + ` FROM protected_area WHERE name = '测试自然保护区'
 UNION ALL SELECT id, 'nature_reserve', 'general_control', '2', '一般控制区', ` + gk(2000, 0, 3000, 1000) + ` FROM protected_area WHERE name = '测试自然保护区'
 UNION ALL SELECT id, 'wetland_park', 'conservation', '', '保育区', ` + gk(3000, 0, 4000, 1000) + ` FROM protected_area WHERE name = '测试湿地公园';`
	if _, err := pool.Exec(context.Background(), sql); err != nil {
		t.Fatalf("load zones: %v", err)
	}
}

// footprint is the 100 m × 100 m (15 亩) square at Gauss-Krüger offset (x, y), in lon/lat.
func footprint(t *testing.T, pool *pgxpool.Pool, x, y int) orb.MultiPolygon {
	t.Helper()
	var ring orb.Ring
	for _, c := range [][2]int{{x, y}, {x + 100, y}, {x + 100, y + 100}, {x, y + 100}, {x, y}} {
		var p orb.Point
		if err := pool.QueryRow(context.Background(), `SELECT ST_X(g), ST_Y(g) FROM (SELECT ST_Transform(ST_SetSRID(ST_MakePoint($1, $2), 4548), 4490) g) x`,
			583000+c[0], 3237000+c[1]).Scan(&p[0], &p[1]); err != nil {
			t.Fatal(err)
		}
		ring = append(ring, p)
	}
	return orb.MultiPolygon{{ring}}
}

// The zone regimes of the shipped 2026 policy, read against 自然保护区条例 (2017 text) arts. 18,
// 26–32, the 2022 ecological red-line notice, the 国家湿地公园管理办法 (2017) and the 湿地保护法.
// Each expectation is worked out from the text:
//
//   - protection_monitoring in the core zone: art. 27 allows entry for research observation
//     and survey with prior application and approval, and art. 32 bans only *production*
//     facilities in core and buffer → conditional, citing 第二十七条 and 第三十二条.
//   - production_facility in the buffer zone: art. 32 "在自然保护区的核心区和缓冲区内，不得建设
//     任何生产设施" → forbidden, citing 第三十二条.
//   - thinning (tending harvest of planted commercial forest) in general_control: the 2022
//     red-line notice lists 按规定对人工商品林进行抚育采伐 among the limited activities allowed
//     outside core protection zones → conditional, citing the notice; unconfirmed, since the
//     notice's text was not checked. The same thinning in the core zone is 砍伐 (art. 26) →
//     forbidden.
//   - dumping in the wetland conservation zone: the measures ban 倾倒有毒有害物质、废弃物、垃圾
//     everywhere in a national wetland park (第十九条第（四）项) → forbidden, citing it.
//   - ecological_restoration in the conservation zone: the zone allows the protection and
//     management activities it needs (zone functions) → conditional, not forbidden.
//   - monitoring station footprint 100 m × 100 m = 15 亩 inside one zone each time.
func TestRegimesCiteTheirArticles(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	loadZones(t, pool)
	pol, err := policy.Parse(policyseeds.Embedded2026())
	if err != nil {
		t.Fatalf("the shipped policy does not parse: %v", err)
	}
	cases := []struct {
		name, activity string
		x              int
		zoneKind       string
		verdict        string
		basis          []string
		confirmed      bool
	}{
		{"monitoring station in the core zone", "protection_monitoring", 400, "core", "conditional", []string{"自然保护区条例", "第二十七条", "第三十二条"}, true},
		{"production facility in the buffer zone", "production_facility", 1400, "buffer", "forbidden", []string{"自然保护区条例", "第三十二条"}, true},
		{"thinning planted commercial forest in general control", "thinning", 2400, "general_control", "conditional", []string{"关于加强生态保护红线管理的通知"}, false},
		{"thinning in the core zone", "thinning", 400, "core", "forbidden", []string{"第二十六条"}, true},
		{"dumping in the wetland conservation zone", "dumping", 3400, "conservation", "forbidden", []string{"国家湿地公园管理办法", "第十九条第（四）项"}, false},
		{"alien species in the wetland conservation zone", "alien_species", 3400, "conservation", "forbidden", []string{"国家湿地公园管理办法", "第十九条第（七）项"}, false},
		{"cutting off water in the wetland conservation zone", "water_cutoff", 3400, "conservation", "forbidden", []string{"第十九条第（二）项"}, false},
		{"restoration in the wetland conservation zone", "ecological_restoration", 3400, "conservation", "conditional", []string{"国家湿地公园管理办法"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := zonecheck.Check(context.Background(), pool, pol, footprint(t, pool, tc.x, 400), tc.activity)
			if err != nil {
				t.Fatalf("Check(%s): %v", tc.activity, err)
			}
			if len(res.Zones) != 1 {
				t.Fatalf("zones = %+v, want one %s zone", res.Zones, tc.zoneKind)
			}
			z := res.Zones[0]
			if z.ZoneKind != tc.zoneKind || z.Verdict != tc.verdict || res.Verdict != tc.verdict {
				t.Errorf("%s in %s: verdict %s (overall %s), want %s", tc.activity, z.ZoneKind, z.Verdict, res.Verdict, tc.verdict)
			}
			if math.Abs(float64(z.OverlapMu)-15) > 0.01 {
				t.Errorf("overlap = %.4f 亩, want 15", float64(z.OverlapMu))
			}
			for _, b := range tc.basis {
				if !strings.Contains(z.LegalBasis, b) {
					t.Errorf("legal basis %q does not cite %q", z.LegalBasis, b)
				}
			}
			if z.Confirmed != tc.confirmed {
				t.Errorf("confirmed = %v, want %v (legal basis %s)", z.Confirmed, tc.confirmed, z.LegalBasis)
			}
		})
	}
}

// The wetland activities the measures list are in the activity vocabulary, and every rule of
// every zone kind names an article (第…条) or, where none is checked, says so in a note.
func TestWetlandActivitiesDeclaredAndEveryRuleCites(t *testing.T) {
	t.Parallel()
	pol, err := policy.Parse(policyseeds.Embedded2026())
	if err != nil {
		t.Fatalf("the shipped policy does not parse: %v", err)
	}
	for _, a := range []string{"water_cutoff", "dumping", "alien_species", "earth_taking", "water_taking", "discharging", "animal_release",
		"protection_monitoring", "ecological_restoration", "production_facility", "thinning"} {
		if _, ok := pol.Activity(a); !ok {
			t.Errorf("activity %q is not declared", a)
		}
	}
	for _, zk := range policy.ZoneKinds() {
		for _, a := range pol.Activities() {
			r, ok := pol.Regime(zk.Kind, a)
			if !ok {
				t.Errorf("%s/%s: no rule", zk.Kind, a)
				continue
			}
			if !strings.Contains(r.LegalBasis, "条") && r.Note == "" {
				t.Errorf("%s/%s: legal basis %q names no article and no note says why", zk.Kind, a, r.LegalBasis)
			}
			if !r.Confirmed && r.Note == "" {
				t.Errorf("%s/%s: unconfirmed without a note saying what is doubtful", zk.Kind, a)
			}
		}
	}
}
