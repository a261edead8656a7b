package ingest_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wuyuan-forestry/ecocomp/internal/ingest"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
)

// TestReimportMakesVersions: a re-imported key that changed gets a new version at the import
// instant and the old one is closed at the same instant; unchanged parcels are not versioned;
// absent parcels stay unless the import is full, which retires (never deletes) them; a dry run
// says all this and writes nothing.
func TestReimportMakesVersions(t *testing.T) {
	ctx := context.Background()
	pool := newCounty(t)
	dir := t.TempDir()
	first, err := ingest.ImportParcels(ctx, pool, writeGeoJSON(t, filepath.Join(dir, "2025.geojson"), 4548, basic()), ingest.Options{})
	if err != nil {
		t.Fatalf("first import: %v\n%s", err, first.Text())
	}
	if _, err := pool.Exec(ctx, `WITH o AS (INSERT INTO owner (kind, name) VALUES ('individual', '江某某') RETURNING id)
		UPDATE parcel SET owner_id = (SELECT id FROM o) WHERE code = $1`, code(2)); err != nil {
		t.Fatal(err)
	}

	// 2026: parcel 1 as it was, 2 older (LING_ZU), 3 with its north-east corner moved 5 m
	// (no neighbour there), 4 missing, 5 as it was, 6 new.
	fs := basic()
	fs[1].props["LING_ZU"] = "4"
	x, y := x0+300, y0
	fs[2].rings = []ring{{{x, y}, {x + 100, y}, {x + 100, y + 105}, {x, y + 100}, {x, y}}}
	fs[2].props["MIAN_JI"] = 1.025
	next := append(append([]feature{}, fs[:3]...), fs[4], parcel(6, 6, 0, map[string]any{"CUN_MC": "新村"}))
	file := writeGeoJSON(t, filepath.Join(dir, "2026.geojson"), 4548, next)

	before := checksum(t, pool)
	dry, err := ingest.ImportParcels(ctx, pool, file, ingest.Options{DryRun: true, Full: true})
	if err != nil {
		t.Fatalf("dry run: %v\n%s", err, dry.Text())
	}
	want := ingest.Counts{New: 1, Changed: 2, Unchanged: 2, Retired: 1}
	if dry.Status != ingest.StatusDryRun || dry.Counts != want {
		t.Errorf("dry run: %s %+v; want dry_run %+v", dry.Status, dry.Counts, want)
	}
	if checksum(t, pool) != before {
		t.Error("the dry run wrote to the database")
	}

	rep, err := ingest.ImportParcels(ctx, pool, file, ingest.Options{})
	if err != nil {
		t.Fatalf("second import: %v\n%s", err, rep.Text())
	}
	want.Retired = 0
	if rep.Counts != want {
		t.Errorf("counts %+v; want %+v\n%s", rep.Counts, want, rep.Text())
	}
	at := *rep.ImportedAt
	type version struct {
		from     time.Time
		to       *time.Time
		batch    int64
		lingZu   string
		ownerSet bool
	}
	versions := func(c string) []version {
		rows, err := pool.Query(ctx, `SELECT valid_from, valid_to, batch_id, ling_zu, owner_id IS NOT NULL FROM parcel WHERE code = $1 ORDER BY valid_from`, c)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []version
		for rows.Next() {
			var v version
			if err := rows.Scan(&v.from, &v.to, &v.batch, &v.lingZu, &v.ownerSet); err != nil {
				t.Fatal(err)
			}
			out = append(out, v)
		}
		return out
	}
	for _, n := range []int{2, 3} {
		v := versions(code(n))
		if len(v) != 2 {
			t.Fatalf("parcel %d has %d versions; want 2", n, len(v))
		}
		if v[0].to == nil || !v[0].to.Equal(at) || !v[1].from.Equal(at) || v[1].to != nil {
			t.Errorf("parcel %d: old version ends %v, new starts %v; want both at the import instant %v", n, v[0].to, v[1].from, at)
		}
		if v[0].batch != first.Batch || v[1].batch != rep.Batch {
			t.Errorf("parcel %d: batches %d → %d; want %d → %d", n, v[0].batch, v[1].batch, first.Batch, rep.Batch)
		}
	}
	if v := versions(code(2)); v[1].lingZu != "4" || !v[1].ownerSet {
		t.Errorf("parcel 2's new version: LING_ZU %s, owner kept %v; want 4 and the owner carried over", v[1].lingZu, v[1].ownerSet)
	}
	for _, n := range []int{1, 4, 5} {
		if v := versions(code(n)); len(v) != 1 || v[0].to != nil || v[0].batch != first.Batch {
			t.Errorf("parcel %d: %d versions (current %v); want its one first version, untouched", n, len(v), len(v) == 1 && v[0].to == nil)
		}
	}
	if v := versions(code(6)); len(v) != 1 || v[0].batch != rep.Batch {
		t.Errorf("parcel 6: %d versions; want one new", len(v))
	}

	// The same file as a full-county import: nothing changed, parcel 4 retired, not deleted.
	full, err := ingest.ImportParcels(ctx, pool, file, ingest.Options{Full: true})
	if err != nil {
		t.Fatalf("full import: %v\n%s", err, full.Text())
	}
	if want := (ingest.Counts{Unchanged: 5, Retired: 1}); full.Counts != want {
		t.Errorf("full import counts %+v; want %+v", full.Counts, want)
	}
	if v := versions(code(4)); len(v) != 1 || v[0].to == nil || !v[0].to.Equal(*full.ImportedAt) {
		t.Errorf("parcel 4 after the full import: %+v; want its version kept and closed at the import instant", v)
	}
	var current, total int
	if err := pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE valid_to IS NULL), count(*) FROM parcel`).Scan(&current, &total); err != nil {
		t.Fatal(err)
	}
	if current != 5 || total != 8 {
		t.Errorf("%d current of %d versions; want 5 of 8", current, total)
	}
}

// TestInterruptedImportLeavesNothing: an import stopped at any step (here: its context cancelled
// while validating, and while merging) rolls back whole, its staging schema with it.
func TestInterruptedImportLeavesNothing(t *testing.T) {
	pool := newCounty(t)
	file := writeGeoJSON(t, filepath.Join(t.TempDir(), "parcels.geojson"), 4548, basic())
	before := checksum(t, pool)
	for _, step := range []string{"validating", "merging"} {
		ctx, cancel := context.WithCancel(context.Background())
		rep, err := ingest.ImportParcels(ctx, pool, file, ingest.Options{Progress: func(s string) {
			if len(s) >= len(step) && s[:len(step)] == step {
				cancel()
			}
		}})
		cancel()
		if err == nil || rep.Status != ingest.StatusFailed {
			t.Errorf("cancelled while %s: status %s, err %v; want failed", step, rep.Status, err)
		}
		if checksum(t, pool) != before {
			t.Errorf("cancelled while %s: the database changed", step)
		}
	}
	var stale int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'ecocomp_import_%'`).Scan(&stale); err != nil {
		t.Fatal(err)
	}
	if stale != 0 {
		t.Errorf("%d staging schemas outlived their imports", stale)
	}
}

// TestKilledImportLeavesNothing: the importing process is killed (SIGKILL) in the middle of its
// transaction; the database rolls it back, nothing of it remains, and the next import runs.
func TestKilledImportLeavesNothing(t *testing.T) {
	ctx := context.Background()
	pool, url := pgtest.NewWithURL(t)
	if _, err := pool.Exec(ctx, `INSERT INTO admin_unit (code, level, name, geom) VALUES
		('361130', 'county', '婺源县', ST_Multi(ST_Transform(ST_MakeEnvelope(580000, 3230000, 590000, 3240000, 4548), 4490)))`); err != nil {
		t.Fatal(err)
	}
	file := writeGeoJSON(t, filepath.Join(t.TempDir(), "parcels.geojson"), 4548, basic())
	before := checksum(t, pool)

	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperImportThenHang$")
	cmd.Env = append(os.Environ(), "ECOCOMP_HELPER_URL="+url, "ECOCOMP_HELPER_FILE="+file)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	var pid string
	for sc.Scan() {
		if p, ok := strings.CutPrefix(sc.Text(), "HANGING "); ok {
			pid = p
			break
		}
	}
	if pid == "" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal("the helper never reached the middle of its import")
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	// The server notices the lost client and rolls its transaction back.
	deadline := time.Now().Add(20 * time.Second)
	for {
		var alive bool
		if err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1::int)`, pid).Scan(&alive); err != nil {
			t.Fatal(err)
		}
		if !alive {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("backend %s of the killed import is still there", pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if checksum(t, pool) != before {
		t.Error("the killed import left something behind")
	}
	rep, err := ingest.ImportParcels(ctx, pool, file, ingest.Options{})
	if err != nil || rep.Counts.New != 5 {
		t.Errorf("the next import: %v, %+v; want it to land all 5 parcels", err, rep.Counts)
	}
}

// TestHelperImportThenHang is the process TestKilledImportLeavesNothing kills: it imports the
// file and, with the new versions written but not committed, prints its backend pid and waits to
// be killed.
func TestHelperImportThenHang(t *testing.T) {
	url := os.Getenv("ECOCOMP_HELPER_URL")
	if url == "" {
		return // only run as the helper
	}
	ctx := context.Background()
	pool, err := postgis.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	var pid uint32
	_, _ = ingest.ImportParcels(ctx, pool, os.Getenv("ECOCOMP_HELPER_FILE"), ingest.Options{
		Backend: func(p uint32) { pid = p },
		Progress: func(step string) {
			if strings.HasPrefix(step, "committing") {
				fmt.Printf("HANGING %d\n", pid)
				time.Sleep(time.Hour)
			}
		},
	})
}
