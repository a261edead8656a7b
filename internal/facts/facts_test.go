package facts_test

import (
	"context"
	"math/big"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/facts"
	"github.com/wuyuan-forestry/ecocomp/internal/overlay"
	"github.com/wuyuan-forestry/ecocomp/internal/policy"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
)

// TestMain drops the test databases' template when the package's tests end.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

const code = "361130100001000100001"

var china = time.FixedZone("CST", 8*3600)

func day(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02", s, china)
	if err != nil {
		panic(err)
	}
	return t
}

// loadHistory loads parcel `code` (a 100 m square, 15 亩, in EPSG:4548 near the county seat) in
// two versions — collective public-welfare forest until 1 January 2026, then individual
// commercial forest (MIAN_JI 1.0005 ha, stock 12.5 m³) — and a core zone over its west half.
func loadHistory(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	sq := `ST_Multi(ST_Transform(ST_MakeEnvelope(583000, 3237000, 583100, 3237100, 4548), 4490))`
	_, err := pool.Exec(context.Background(), `
INSERT INTO parcel (code, xian, xiang, cun, lin_ban, xiao_ban, mian_ji, di_lei, lm_qs, sen_lin_lb, you_shi_sz, qi_yuan, geom, valid_from, valid_to)
VALUES ('`+code+`', '361130', '100', '001', '0001', '00001', 1.0, '030100', '20', '011', '310000', '21', `+sq+`, '2025-01-01 00:00+08', '2026-01-01 00:00+08');
INSERT INTO parcel (code, xian, xiang, cun, lin_ban, xiao_ban, mian_ji, di_lei, lm_qs, sen_lin_lb, you_shi_sz, qi_yuan, xu_ji, geom, valid_from)
VALUES ('`+code+`', '361130', '100', '001', '0001', '00001', 1.0005, '030100', '30', '022', '310000', '21', 12.5, `+sq+`, '2026-01-01 00:00+08');
WITH a AS (INSERT INTO protected_area (name, area_kind, level) VALUES ('测试保护区', 'nature_reserve', 'provincial') RETURNING id)
INSERT INTO zone (area_id, area_kind, zone_kind, site, name, geom)
SELECT id, 'nature_reserve', 'core', '清华片区', '核心区', ST_Multi(ST_Transform(ST_MakeEnvelope(582950, 3236950, 583050, 3237150, 4548), 4490)) FROM a;
INSERT INTO parcel_flag (code, flag, since, until) VALUES ('`+code+`', 'mortgaged', '2026-03-01', '2026-09-01');`)
	if err != nil {
		t.Fatalf("load parcel history: %v", err)
	}
}

// TestVersionInForce: the rules read the version in force on the date asked for, with the
// flags of that date; a date before the first version, or a code nobody has, is a 404 that says
// which.
func TestVersionInForce(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	loadHistory(t, pool)
	ctx := context.Background()
	for _, tc := range []struct {
		on           string
		lmqs, sllb   string
		centimu      int64
		flags        string
		xuJi         string
		validFromDay string
	}{
		{"2025-06-30", "20", "011", 1500, "", "<nil>", "2025-01-01"},
		{"2026-01-01", "30", "022", 1501, "", "25/2", "2026-01-01"}, // 1.0005 ha × 1500 = 1500.75 → 1501
		{"2026-06-30", "30", "022", 1501, "mortgaged", "25/2", "2026-01-01"},
		{"2026-09-01", "30", "022", 1501, "", "25/2", "2026-01-01"}, // the mortgage ended that day
	} {
		p, err := facts.AsOf(ctx, pool, code, day(tc.on))
		if err != nil {
			t.Fatalf("%s: %v", tc.on, err)
		}
		xuJi := "<nil>"
		if p.XuJi != nil {
			xuJi = p.XuJi.String()
		}
		if p.LMQS != tc.lmqs || p.SenLinLB != tc.sllb || p.LegalCentiMu() != tc.centimu || strings.Join(p.Flags, ",") != tc.flags ||
			xuJi != tc.xuJi || p.ValidFrom.In(china).Format("2006-01-02") != tc.validFromDay {
			t.Errorf("%s: LM_QS %s, SEN_LIN_LB %s, %d centimu, flags %v, XU_JI %s, from %s; want %s, %s, %d, [%s], %s, %s", tc.on,
				p.LMQS, p.SenLinLB, p.LegalCentiMu(), p.Flags, xuJi, p.ValidFrom.In(china).Format("2006-01-02"),
				tc.lmqs, tc.sllb, tc.centimu, tc.flags, tc.xuJi, tc.validFromDay)
		}
	}
	for _, tc := range []struct{ code, on, want string }{
		{code, "2024-12-31", "parcel " + code + " has no version in force on 2024-12-31"},
		{"361130100001000199999", "2026-06-30", `no parcel has the code "361130100001000199999"`},
	} {
		_, err := facts.AsOf(ctx, pool, tc.code, day(tc.on))
		if apperr.CodeOf(err) != apperr.NotFound || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s on %s: %v; want not found: %s", tc.code, tc.on, err, tc.want)
		}
	}
}

// TestOverlapsLiveAndStored: a single parcel's facts overlay it with the zones now (an answer
// needs no recompute first); the bulk query reads what the last overlay stored — nothing before
// one, the same overlap after. Half of the 15 亩 square lies in the core zone.
func TestOverlapsLiveAndStored(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	loadHistory(t, pool)
	ctx := context.Background()
	p, err := facts.AsOf(ctx, pool, code, day("2026-06-30"))
	if err != nil {
		t.Fatal(err)
	}
	check := func(what string, ov []facts.Overlap) {
		t.Helper()
		if len(ov) != 1 {
			t.Fatalf("%s: %d overlaps; want the core zone", what, len(ov))
		}
		o := ov[0]
		if o.ZoneKind != "core" || o.AreaLevel != "provincial" || o.Share < 0.499 || o.Share > 0.501 || o.Mu() < 7.49 || o.Mu() > 7.51 {
			t.Errorf("%s: %+v (%.3f 亩); want half (7.5 亩) in the provincial reserve's core zone", what, o, o.Mu())
		}
		if got := o.Where(); got != "the core zone (核心区) of site 清华片区 of 测试保护区" {
			t.Errorf("%s: Where() = %q", what, got)
		}
		if got := o.WhereZh(); got != "测试保护区 清华片区 核心区" {
			t.Errorf("%s: WhereZh() = %q", what, got)
		}
	}
	check("live", p.Overlaps)
	// The rules' zone sets see the reserve's level: a provincial core zone is not a national one.
	f := p.Facts()
	for _, tc := range []struct {
		set  policy.ZoneSet
		want bool
	}{
		{policy.ZoneSet{AreaKind: "nature_reserve", ZoneKinds: []string{"core", "buffer"}}, true},
		{policy.ZoneSet{AreaKind: "nature_reserve", AreaLevel: "provincial", ZoneKinds: []string{"core"}}, true},
		{policy.ZoneSet{AreaKind: "nature_reserve", AreaLevel: "national", ZoneKinds: []string{"core"}}, false},
		{policy.ZoneSet{AreaKind: "nature_reserve", ZoneKinds: []string{"experimental"}}, false},
		{policy.ZoneSet{AreaKind: "wetland_park", ZoneKinds: []string{"core"}}, false},
	} {
		if got := f.Touches(tc.set); got != tc.want {
			t.Errorf("touches %+v = %v; want %v", tc.set, got, tc.want)
		}
	}

	current := func() []facts.Parcel {
		t.Helper()
		sql, args := facts.CurrentSQL(day("2026-12-31"), nil)
		rows, err := pool.Query(ctx, sql, args...)
		if err != nil {
			t.Fatal(err)
		}
		var out []facts.Parcel
		if err := facts.Scan(rows, func(p *facts.Parcel) error { out = append(out, *p); return nil }); err != nil {
			t.Fatal(err)
		}
		return out
	}
	before := current()
	if len(before) != 1 || before[0].LMQS != "30" || len(before[0].Overlaps) != 0 {
		t.Fatalf("current parcels before an overlay: %+v; want the current version only, without overlaps", before)
	}
	if _, err := overlay.All(ctx, pool); err != nil {
		t.Fatal(err)
	}
	after := current()
	if len(after) != 1 {
		t.Fatalf("current parcels after the overlay: %d", len(after))
	}
	check("stored", after[0].Overlaps)
}

// TestLegalAreaRounding: the legal area in 0.01 亩 is MIAN_JI (ha) × 1500 rounded half up,
// exactly — no float error at the half.
func TestLegalAreaRounding(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		ha   string
		want int64
	}{
		{"1", 1500}, {"0.0001", 0}, {"0.0003", 0}, {"0.0004", 1}, {"1.2345", 1852}, {"0.0033", 5}, {"12.3457", 18519},
	} {
		r, _ := new(big.Rat).SetString(tc.ha)
		p := facts.Parcel{MianJi: r}
		if got := p.LegalCentiMu(); got != tc.want {
			t.Errorf("MIAN_JI %s ha = %d centimu; want %d", tc.ha, got, tc.want)
		}
	}
}
