package recompute_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/policy"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
	"github.com/wuyuan-forestry/ecocomp/internal/recompute"
	policyseeds "github.com/wuyuan-forestry/ecocomp/seeds/policy"
)

// TestMain drops the test databases' template when the package's tests end.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// gk is a Gauss-Krüger box (metres from 583000 E, 3237000 N, EPSG:4548) stored as EPSG:4490.
func gk(x0, y0, x1, y1 int) string {
	return fmt.Sprintf("ST_Multi(ST_Transform(ST_MakeEnvelope(%d, %d, %d, %d, 4548), 4490))", 583000+x0, 3237000+y0, 583000+x1, 3237000+y1)
}

const p1, p2, p3, p4 = "361130100001000100001", "361130100001000100002", "361130100001000100003", "361130100001000100004"

// load is the compensation fixture of the HTTP tests, checked by hand there: four 200 m squares
// (60 亩, MIAN_JI 4 ha) of arbor forest land under the shipped 2026 policy —
//
//	P1 planted commercial fir, individual, half in the national reserve's core zone
//	P2 natural commercial forest, individual, wholly in its experimental zone
//	P3 national public-welfare forest, collective, wholly in the core zone
//	P4 national public-welfare forest, collective, outside every zone
//
// P1 and P2 are buyout candidates; the year's subsidies are 4,920.00 元 (P2 1,980 + P3 1,980 +
// P4 960).
func load(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	ctx := context.Background()
	sql := `
INSERT INTO protected_area (name, area_kind, level) VALUES ('测试自然保护区', 'nature_reserve', 'national');
INSERT INTO zone (area_id, area_kind, zone_kind, site, name, geom)
 SELECT id, 'nature_reserve', 'core', '1', '核心区', ` + gk(-1000, -1000, 100, 1000) + ` FROM protected_area
 UNION ALL SELECT id, 'nature_reserve', 'experimental', '1', '实验区', ` + gk(1000, -1000, 2000, 1000) + ` FROM protected_area;
INSERT INTO parcel (code, xian, xiang, cun, lin_ban, xiao_ban, mian_ji, di_lei, lm_qs, sen_lin_lb, shi_quan_d, qi_yuan, ling_zu, you_shi_sz, xu_ji, geom, valid_from) VALUES
 ('` + p1 + `', '361130', '100', '001', '0001', '00001', 4, '030100', '30', '022', NULL, '21', '4', '310000', 100, ` + gk(0, 0, 200, 200) + `, '2026-01-01'),
 ('` + p2 + `', '361130', '100', '001', '0001', '00002', 4, '030100', '30', '022', NULL, '11', '3', '620000', 80, ` + gk(1500, 0, 1700, 200) + `, '2026-01-01'),
 ('` + p3 + `', '361130', '100', '001', '0001', '00003', 4, '030100', '20', '011', '1', '11', '5', '620000', 120, ` + gk(-100, 300, 100, 500) + `, '2026-01-01'),
 ('` + p4 + `', '361130', '100', '001', '0001', '00004', 4, '030100', '20', '011', '1', '11', '4', '620000', 90, ` + gk(6000, 0, 6200, 200) + `, '2026-01-01');`
	if _, err := pool.Exec(ctx, sql); err != nil {
		t.Fatalf("load fixture: %v", err)
	}
	if _, err := policy.Load(ctx, pool, policyseeds.Embedded2026(), "test"); err != nil {
		t.Fatal(err)
	}
}

// result is what the stored results say of the current parcels: each one's verdict and the
// sum of its subsidy lines in 分.
type result struct {
	eligible bool
	fen      int64
	lines    int
}

func results(t *testing.T, pool *pgxpool.Pool) map[string]result {
	t.Helper()
	rows, err := pool.Query(context.Background(), `
		SELECT p.code, e.eligible, coalesce((SELECT sum(amount_fen) FROM subsidy_line s WHERE s.parcel_id = p.id AND s.year = 2026), 0)::bigint,
		       (SELECT count(*) FROM subsidy_line s WHERE s.parcel_id = p.id AND s.year = 2026)
		FROM parcel p JOIN parcel_eligibility e ON e.parcel_id = p.id WHERE p.valid_to IS NULL ORDER BY p.code`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]result{}
	for rows.Next() {
		var code string
		var r result
		if err := rows.Scan(&code, &r.eligible, &r.fen, &r.lines); err != nil {
			t.Fatal(err)
		}
		out[code] = r
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestAllStoresEveryParcelsResults: a full recompute stores a verdict and the subsidy lines of
// every current parcel, records the run and audits it; running it again replaces the results
// instead of adding to them.
func TestAllStoresEveryParcelsResults(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	load(t, pool)
	ctx := context.Background()
	var first map[string]result
	for run := 1; run <= 2; run++ {
		sum, err := recompute.All(ctx, pool, 2026)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Parcels != 4 || sum.Eligible != 2 || sum.Total.String() != "4920.00" || sum.PolicyVersion == "" || sum.Overlaps != 3 {
			t.Errorf("run %d: %+v; want 4 parcels, 3 overlaps, 2 eligible, 4920.00 元 under a named policy version", run, sum)
		}
		got := results(t, pool)
		var fen int64
		for _, r := range got {
			fen += r.fen
		}
		if len(got) != 4 || !got[p1].eligible || !got[p2].eligible || got[p3].eligible || got[p4].eligible || fen != 492000 {
			t.Errorf("run %d: stored %+v (%d 分); want P1 and P2 eligible, 492000 分 in all", run, got, fen)
		}
		if run == 1 {
			first = got
		} else if fmt.Sprint(got) != fmt.Sprint(first) {
			t.Errorf("the second run stored %+v; the first %+v", got, first)
		}
		var scope string
		var parcels, lines int
		if err := pool.QueryRow(ctx, `SELECT scope, parcels, lines FROM recompute_run ORDER BY id DESC LIMIT 1`).Scan(&scope, &parcels, &lines); err != nil {
			t.Fatal(err)
		}
		if scope != "all" || parcels != 4 || lines != sum.Lines {
			t.Errorf("run %d recorded scope %s, %d parcels, %d lines; want all, 4, %d", run, scope, parcels, lines, sum.Lines)
		}
	}
	var audited int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'recompute'`).Scan(&audited); err != nil {
		t.Fatal(err)
	}
	if audited != 2 {
		t.Errorf("%d recompute audit rows; want one per run, 2", audited)
	}
}

// TestZoneChangeRecomputesWhatItTouched: when a zone moves, the parcels it covered before are
// recomputed with it — P1 (half in the core zone) stops being a buyout candidate, P3's subsidies
// change — and the parcels it never touched keep their results.
func TestZoneChangeRecomputesWhatItTouched(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	load(t, pool)
	ctx := context.Background()
	if _, err := recompute.All(ctx, pool, 2026); err != nil {
		t.Fatal(err)
	}
	before := results(t, pool)
	var core int64
	if err := pool.QueryRow(ctx, `UPDATE zone SET geom = `+gk(20000, 20000, 21000, 21000)+` WHERE zone_kind = 'core' RETURNING id`).Scan(&core); err != nil {
		t.Fatal(err)
	}
	sum, err := recompute.Zones(ctx, pool, 2026, []int64{core})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Parcels != 2 {
		t.Errorf("the zone change recomputed %d parcels; want the 2 it covered (P1, P3)", sum.Parcels)
	}
	after := results(t, pool)
	if after[p1].eligible {
		t.Errorf("P1 is still a buyout candidate after the core zone left it")
	}
	if after[p3].fen == before[p3].fen {
		t.Errorf("P3's subsidies stayed %d 分 after the core zone left it", after[p3].fen)
	}
	for _, c := range []string{p2, p4} {
		if after[c] != before[c] {
			t.Errorf("%s, which the zone never touched, changed: %+v → %+v", c, before[c], after[c])
		}
	}
	var overlaps int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM parcel_zone_overlap WHERE zone_id = $1`, core).Scan(&overlaps); err != nil {
		t.Fatal(err)
	}
	if overlaps != 0 {
		t.Errorf("%d overlaps of the moved zone remain; want none", overlaps)
	}
}

// TestNewVersionRecomputedAlone: after a parcel changes (a new version: P4 sold to an
// individual as commercial forest and redrawn inside the experimental zone), recomputing that
// version alone makes it a buyout candidate and leaves every other parcel's results as they were.
func TestNewVersionRecomputedAlone(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	load(t, pool)
	ctx := context.Background()
	if _, err := recompute.All(ctx, pool, 2026); err != nil {
		t.Fatal(err)
	}
	before := results(t, pool)
	var id int64
	err := pool.QueryRow(ctx, `WITH old AS (UPDATE parcel SET valid_to = now() WHERE code = $1 AND valid_to IS NULL RETURNING xian, xiang, cun, lin_ban, xiao_ban)
		INSERT INTO parcel (code, xian, xiang, cun, lin_ban, xiao_ban, mian_ji, di_lei, lm_qs, sen_lin_lb, qi_yuan, ling_zu, you_shi_sz, xu_ji, geom, valid_from)
		SELECT $1, xian, xiang, cun, lin_ban, xiao_ban, 4, '030100', '30', '022', '11', '3', '620000', 80, `+gk(1200, 300, 1400, 500)+`, now() FROM old
		RETURNING id`, p4).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := recompute.Parcels(ctx, pool, 2026, []int64{id})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Parcels != 1 || sum.Eligible != 1 || sum.Overlaps != 1 {
		t.Errorf("recompute of P4's new version: %+v; want 1 parcel, 1 overlap, eligible", sum)
	}
	after := results(t, pool)
	if !after[p4].eligible || after[p4].lines == 0 {
		t.Errorf("P4's new version: %+v; want a buyout candidate with subsidy lines", after[p4])
	}
	for _, c := range []string{p1, p2, p3} {
		if after[c] != before[c] {
			t.Errorf("%s changed though it was not recomputed: %+v → %+v", c, before[c], after[c])
		}
	}
}

// TestNoPolicyForTheYear: recomputing a year no policy covers says which command loads one.
func TestNoPolicyForTheYear(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	_, err := recompute.All(context.Background(), pool, 2026)
	if apperr.CodeOf(err) != apperr.NotFound || !strings.Contains(err.Error(), "ecocomp policy load") {
		t.Errorf("recompute without a policy: %v; want not found, naming `ecocomp policy load`", err)
	}
}

// TestRecomputeAnnouncesItself: a recompute that commits sends one change notice saying what it
// recomputed, which the tile cache and other servers listen for.
func TestRecomputeAnnouncesItself(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	load(t, pool)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "LISTEN "+postgis.ChangeChannel); err != nil {
		t.Fatal(err)
	}
	if _, err := recompute.All(ctx, pool, 2026); err != nil {
		t.Fatal(err)
	}
	n, err := conn.Conn().WaitForNotification(ctx)
	if err != nil {
		t.Fatalf("no change notice: %v", err)
	}
	var notice struct {
		Entity, Scope string
		Year, Parcels int
	}
	if err := json.Unmarshal([]byte(n.Payload), &notice); err != nil || notice.Entity != "results" || notice.Scope != "all" || notice.Year != 2026 || notice.Parcels != 4 {
		t.Errorf("change notice %s (%v); want results of all 4 parcels for 2026", n.Payload, err)
	}
}
