package features_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wuyuan-forestry/ecocomp/internal/features"
	"github.com/wuyuan-forestry/ecocomp/internal/policy"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
	"github.com/wuyuan-forestry/ecocomp/internal/recompute"
)

// TestStoredBuildIsCurrent: the rebuild the database runs at commit is the one this code builds
// features with. When it fails, the feature's properties changed (a field added to the
// registry): add a migration that redefines parcel_feature_build with the new
// features.BuildSQL() and features.StaleSQL() and calls parcel_feature_build(NULL, true).
func TestStoredBuildIsCurrent(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	var src string
	if err := pool.QueryRow(context.Background(), `SELECT prosrc FROM pg_proc WHERE proname = 'parcel_feature_build'`).Scan(&src); err != nil {
		t.Fatal(err)
	}
	for name, q := range map[string]string{"BuildSQL": features.BuildSQL(), "StaleSQL": features.StaleSQL()} {
		if !strings.Contains(src, q) {
			t.Errorf("parcel_feature_build does not run features.%s(): a migration must redefine it (see the comment of this test)", name)
		}
	}
	for fn, q := range map[string]string{"parcel_feature_rows": features.RowsSQL(), "parcel_feature_refresh": features.StaleSQL()} {
		if err := pool.QueryRow(context.Background(), `SELECT prosrc FROM pg_proc WHERE proname = $1`, fn).Scan(&src); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(src, q) {
			t.Errorf("%s does not run the query of this code: a migration must redefine it (see the comment of this test)", fn)
		}
	}
	// Writers and the builder must take the same lock, or a batch may store a stale feature.
	if err := pool.QueryRow(context.Background(), `SELECT prosrc FROM pg_proc WHERE proname = 'parcel_feature_refresh'`).Scan(&src); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(src, fmt.Sprintf("pg_advisory_xact_lock(%d)", features.FeatureLock)) {
		t.Errorf("parcel_feature_refresh does not take features.FeatureLock (%d), the lock the builder takes", features.FeatureLock)
	}
}

// lookup is the text of the feature /api/v1/parcels/{code} answers, read on the pool (another
// connection than a writer's open transaction).
func lookup(t *testing.T, pool *pgxpool.Pool, code string) string {
	t.Helper()
	var b strings.Builder
	if _, err := features.Parcels.Stream(context.Background(), pool, features.Filter{Code: code},
		features.Shape{CRS: features.CRS84, WithZones: true}, 1, nil, &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// noDrift fails unless every stored feature is the one the data builds now.
func noDrift(t *testing.T, pool *pgxpool.Pool, after string) {
	t.Helper()
	n, err := features.Drift(context.Background(), pool)
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("after %s, %d stored features differ from the ones the data builds", after, n)
	}
}

// TestStoredFeatureChangesWithItsWriter: each kind of write that changes what a parcel feature
// says — a new parcel version (as an import merge or a case transfer writes it), a deleted
// parcel, a code label, a township's name, a zone's name or removal, a recompute — changes the
// stored feature in its own transaction: a reader sees the old feature until the write commits
// and the new one at once after. A policy load alone changes no feature (verdicts show once a
// recompute under it commits), as when features were built per request.
func TestStoredFeatureChangesWithItsWriter(t *testing.T) {
	t.Parallel()
	changesWithItsWriter(t, false)
}

// TestQueuedFeatureChangesWithItsWriter: the same writes as large ones (every write's features
// queued for the builder instead of built at commit): a reader still sees the new feature the
// moment the write commits, built by the reading query, and the builder then stores exactly
// those bytes.
func TestQueuedFeatureChangesWithItsWriter(t *testing.T) {
	t.Parallel()
	changesWithItsWriter(t, true)
}

func changesWithItsWriter(t *testing.T, queued bool) {
	pool := pgtest.New(t)
	ctx := context.Background()
	if queued {
		queueEveryWrite(t, pool)
	}
	loadGrid(t, pool)
	if queued {
		drain(t, pool, "loading the grid")
	}
	noDrift(t, pool, "loading the grid")
	sw, nw, mid := code(0, 0), code(0, 2), code(1, 1)

	// write runs fn in a transaction; the feature of code read meanwhile must be the old one,
	// and the one read right after commit must contain want.
	write := func(name, code string, fn func(tx pgx.Tx) error, want ...string) {
		t.Helper()
		before := lookup(t, pool, code)
		tx, err := pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx)
		if err := fn(tx); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if during := lookup(t, pool, code); during != before {
			t.Errorf("%s: a reader saw the feature change before the write committed", name)
		}
		if err := tx.Commit(ctx); err != nil {
			t.Fatalf("%s: commit: %v", name, err)
		}
		committed := time.Now()
		after := lookup(t, pool, code)
		if took := time.Since(committed); took > time.Second {
			t.Errorf("%s: the new feature took %v to read", name, took)
		}
		for _, w := range want {
			if !strings.Contains(after, w) {
				t.Errorf("%s: feature right after commit lacks %s:\n%s", name, w, after)
			}
		}
		noDrift(t, pool, name)
		if queued && len(want) > 0 {
			if queuedFeatures(t, pool) == 0 {
				t.Errorf("%s: nothing queued; the write should have left its features to the builder", name)
			}
			drain(t, pool, name)
			if built := lookup(t, pool, code); built != after {
				t.Errorf("%s: the builder stored another feature than the one read while it was queued:\n%s\n%s", name, built, after)
			}
		}
	}

	write("a new parcel version", mid, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `WITH old AS (UPDATE parcel SET valid_to = now() WHERE code = $1 AND valid_to IS NULL RETURNING *)
			INSERT INTO parcel (code, xian, xiang, cun, lin_ban, xiao_ban, mian_ji, di_lei, lm_qs, sen_lin_lb, you_shi_sz, geom, valid_from)
			SELECT code, xian, xiang, cun, lin_ban, xiao_ban, 2.0, di_lei, lm_qs, sen_lin_lb, you_shi_sz, geom, now() FROM old`, mid)
		return err
	}, `"mian_ji": 2.0000`, `"legal_area_mu": 30.00`)
	var stored, current int
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM parcel_feature), (SELECT count(*) FROM parcel WHERE valid_to IS NULL)`).Scan(&stored, &current); err != nil {
		t.Fatal(err)
	}
	if stored != 9 || current != 9 {
		t.Errorf("%d stored features for %d current parcels; want 9 and 9 (the retired version's feature dropped)", stored, current)
	}

	write("a code label", sw, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE code_dictionary SET label_zh = '测试林地' WHERE field = 'DI_LEI' AND code = '030100'`)
		return err
	}, `"di_lei_label": "测试林地"`)
	write("a township's name", nw, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE admin_unit SET name = '新紫阳镇' WHERE code = '361130100'`)
		return err
	}, `"township": "新紫阳镇"`)
	write("a zone's name", sw, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE zone SET name = '测试核心区甲'`)
		return err
	}, `"zone": "测试核心区甲"`)

	// A policy load changes no feature; the county-wide recompute under it gives every parcel
	// its verdict, in the recompute's transaction.
	before := lookup(t, pool, nw)
	if _, err := policy.LoadShipped(ctx, pool); err != nil {
		t.Fatal(err)
	}
	if after := lookup(t, pool, nw); after != before || !strings.Contains(after, `"eligible": null`) {
		t.Errorf("a policy load changed a feature, or it had a verdict before any recompute:\n%s", after)
	}
	noDrift(t, pool, "a policy load")
	if _, err := recompute.All(ctx, pool, 2026); err != nil {
		t.Fatal(err)
	}
	after := lookup(t, pool, nw)
	if strings.Contains(after, `"eligible": null`) || strings.Contains(after, `"status": null`) {
		t.Errorf("no verdict in the feature right after the recompute committed:\n%s", after)
	}
	var want int
	if err := pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE eligible) FROM parcel_eligibility
		WHERE policy_version_id = (SELECT policy_version_id FROM recompute_run WHERE scope = 'all' ORDER BY id DESC LIMIT 1)`).Scan(&want); err != nil {
		t.Fatal(err)
	}
	if got := len(eligibleCodes(t, pool)); got != want {
		t.Errorf("right after the recompute committed, the eligible filter found %d parcels; the verdicts say %d", got, want)
	}
	noDrift(t, pool, "a recompute")
	sameBuiltAndStored(t, pool, "a recompute")
	if queued {
		drain(t, pool, "a recompute")
		if built := lookup(t, pool, nw); built != after {
			t.Errorf("after a recompute, the builder stored another feature than the one read while it was queued")
		}
	}

	write("the zone removed", sw, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM zone`)
		return err
	}, `"zones": []`)
	write("a recompute of one parcel", nw, func(tx pgx.Tx) error {
		_, err := recompute.ParcelsIn(ctx, tx, 2026, []int64{})
		return err
	})

	// A deleted parcel (a demo --replace) has no feature.
	if _, err := pool.Exec(ctx, `DELETE FROM parcel WHERE code = $1`, nw); err != nil {
		t.Fatal(err)
	}
	if got := lookup(t, pool, nw); got != "" {
		t.Errorf("a deleted parcel still has a feature: %.200s", got)
	}
	noDrift(t, pool, "a deleted parcel")
}

// queueEveryWrite makes every write on pool's database leave its features to the builder, as
// a write of more than 2,000 features does.
func queueEveryWrite(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), `DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET ecocomp.feature_sync_max = 0', current_database()); END $$`); err != nil {
		t.Fatal(err)
	}
	pool.Reset() // connections read the setting when they open
}

// sameBuiltAndStored fails unless every parcel's feature, read as stored (queued ones built by
// the reader) and built in the query (Shape.Built), is the same text, with and without zones.
func sameBuiltAndStored(t *testing.T, pool *pgxpool.Pool, after string) {
	t.Helper()
	for _, zones := range []bool{false, true} {
		var stored, built strings.Builder
		for _, x := range []struct {
			built bool
			w     *strings.Builder
		}{{false, &stored}, {true, &built}} {
			if _, err := features.Parcels.Stream(context.Background(), pool, features.Filter{},
				features.Shape{CRS: features.CRS84, WithZones: zones, Built: x.built}, 0, nil, x.w); err != nil {
				t.Fatal(err)
			}
		}
		if stored.Len() == 0 || stored.String() != built.String() {
			t.Errorf("after %s (zones %v), the stored features and the ones built by the query differ:\n%.400s\n%.400s", after, zones, stored.String(), built.String())
		}
	}
}

// drain runs the builder and fails unless the queue is then empty and nothing drifted.
func drain(t *testing.T, pool *pgxpool.Pool, after string) {
	t.Helper()
	if _, err := features.Drain(context.Background(), pool); err != nil {
		t.Fatalf("drain after %s: %v", after, err)
	}
	if n := queuedFeatures(t, pool); n != 0 {
		t.Errorf("after draining, %d features are still queued", n)
	}
	noDrift(t, pool, after+" and the builder")
}

func queuedFeatures(t *testing.T, pool *pgxpool.Pool) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM parcel_feature_queue`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// eligibleCodes are the codes of the parcels the eligible=true filter finds.
func eligibleCodes(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	yes := true
	var b strings.Builder
	if _, err := features.Parcels.Stream(context.Background(), pool, features.Filter{Eligible: &yes},
		features.Shape{CRS: features.CRS84}, 0, nil, &b); err != nil {
		t.Fatal(err)
	}
	return strings.Split(b.String(), `"type":"Feature"`)[1:]
}

// TestStoredFeatureRepairs: Rebuild writes what is missing or wrong, and only that.
func TestStoredFeatureRepairs(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	ctx := context.Background()
	loadGrid(t, pool)
	if _, err := pool.Exec(ctx, `DELETE FROM parcel_feature WHERE parcel_id = (SELECT min(parcel_id) FROM parcel_feature);
		UPDATE parcel_feature SET properties = '{}' WHERE parcel_id = (SELECT max(parcel_id) FROM parcel_feature)`); err != nil {
		t.Fatal(err)
	}
	if n, err := features.Drift(ctx, pool); err != nil || n != 2 {
		t.Fatalf("drift = %d, %v; want 2 (one missing, one wrong)", n, err)
	}
	n, err := features.Rebuild(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("rebuild wrote %d features; want 2", n)
	}
	noDrift(t, pool, "a rebuild")
}

// TestBuilderRacesWriters: builders drain the queue while writers keep changing parcels whose
// features are queued. Every feature read right after its write commits shows that write, and
// when all is done no stored feature is older than its data: a batch never stores a feature
// built before a writer's change committed.
func TestBuilderRacesWriters(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	ctx := context.Background()
	queueEveryWrite(t, pool)
	loadGrid(t, pool)

	done := make(chan struct{})
	builders := make(chan error, 2)
	for range 2 {
		go func() {
			for {
				select {
				case <-done:
					builders <- nil
					return
				default:
				}
				if _, err := features.Drain(ctx, pool); err != nil {
					builders <- err
					return
				}
			}
		}()
	}
	for i := range 60 {
		c := code(i%3, (i/3)%3)
		area := fmt.Sprintf("%d.%04d", 1+i/10, i)
		if _, err := pool.Exec(ctx, `UPDATE parcel SET mian_ji = $2 WHERE code = $1 AND valid_to IS NULL`, c, area); err != nil {
			t.Fatal(err)
		}
		if got := lookup(t, pool, c); !strings.Contains(got, `"mian_ji": `+area) {
			t.Fatalf("write %d: the feature read right after the commit lacks mian_ji %s:\n%.300s", i, area, got)
		}
	}
	close(done)
	for range 2 {
		if err := <-builders; err != nil {
			t.Fatal(err)
		}
	}
	drain(t, pool, "60 writes racing two builders")
}

// TestKeepBuildsOnNotice: the server's builder drains what is queued when it starts, and what a
// later write queues as soon as that write's notice arrives (not at its five-minute tick).
func TestKeepBuildsOnNotice(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	queueEveryWrite(t, pool)
	loadGrid(t, pool)
	if queuedFeatures(t, pool) == 0 {
		t.Fatal("loading the grid queued nothing")
	}
	var b features.Builder
	if !b.Busy() {
		t.Error("a builder that has not drained yet says nothing is queued")
	}
	go b.Keep(ctx, pool, slog.New(slog.NewTextHandler(io.Discard, nil)))
	emptied := func(what string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for queuedFeatures(t, pool) > 0 {
			if time.Now().After(deadline) {
				t.Fatalf("%s: the builder left %d features queued for 20 s", what, queuedFeatures(t, pool))
			}
			time.Sleep(50 * time.Millisecond)
		}
		noDrift(t, pool, what)
	}
	emptied("starting the builder")
	for deadline := time.Now().Add(5 * time.Second); b.Busy(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the builder emptied the queue but still says features may be queued")
		}
	}
	if _, err := pool.Exec(ctx, `UPDATE admin_unit SET name = '新紫阳镇' WHERE code = '361130100'`); err != nil {
		t.Fatal(err)
	}
	emptied("a township renamed while the builder runs")
	var stored int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM parcel_feature WHERE properties LIKE '%新紫阳镇%'`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored != 9 {
		t.Errorf("%d of 9 stored features show the new township name", stored)
	}
}
