package audit_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wuyuan-forestry/ecocomp/internal/audit"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
)

// TestChainVerifiesThenNamesTheEditedRow writes rows from many connections at once, verifies the
// chain, then edits one row, deletes another and inserts one with a forged hash the way an
// operator with the database owner's rights could (triggers disabled), and expects Verify to name
// the first row that no longer matches each time.
func TestChainVerifiesThenNamesTheEditedRow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t)
	alice := audit.Actor{Kind: audit.KindUser, Name: "alice", UserID: 7}
	actx := audit.WithRequest(audit.WithActor(ctx, alice), audit.Request{ID: "req-1", ClientAddr: "10.0.0.8"})

	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- audit.Record(actx, pool, audit.Entry{Action: "test.write", Entity: "thing", EntityID: fmt.Sprint(i),
				Detail: map[string]any{"i": i, "名": "值 \"quoted\" \\ back"}})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	res, err := audit.Verify(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	if res.Bad != 0 || res.Rows != 40 || len(res.Head) != 64 {
		t.Fatalf("verify after 40 concurrent writes = %+v; want 40 good rows and a head hash", res)
	}

	var actor, client, kind string
	if err := pool.QueryRow(ctx, `SELECT actor, actor_kind, client_addr FROM audit_log WHERE seq = 1`).Scan(&actor, &kind, &client); err != nil {
		t.Fatal(err)
	}
	if actor != "alice" || kind != "user" || client != "10.0.0.8" {
		t.Errorf("row 1 records actor %q (%s) from %q; want alice (user) from 10.0.0.8", actor, kind, client)
	}

	// The application cannot edit: the append-only trigger refuses.
	if _, err := pool.Exec(ctx, `UPDATE audit_log SET actor = 'mallory' WHERE seq = 12`); err == nil {
		t.Fatal("an UPDATE of audit_log succeeded; want it refused")
	}

	// The database owner can, with the triggers off; Verify notices.
	tamper := func(sql string) {
		t.Helper()
		tx, err := pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx)
		for _, s := range []string{`ALTER TABLE audit_log DISABLE TRIGGER USER`, sql, `ALTER TABLE audit_log ENABLE TRIGGER USER`} {
			if _, err := tx.Exec(ctx, s); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
		}
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	tamper(`UPDATE audit_log SET detail = detail || '{"i": 999}' WHERE seq = 12`)
	res, err = audit.Verify(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	if res.Bad != 12 || !strings.Contains(res.Problem, "changed") {
		t.Fatalf("verify after editing row 12 = %+v; want row 12 named as changed", res)
	}

	tamper(`UPDATE audit_log SET detail = detail - 'i' || jsonb_build_object('i', (SELECT entity_id::int FROM audit_log WHERE seq = 12)) WHERE seq = 12`)
	if res, _ = audit.Verify(ctx, pool); res.Bad != 0 {
		t.Fatalf("verify after restoring row 12 = %+v; want the chain whole again", res)
	}

	tamper(`DELETE FROM audit_log WHERE seq = 20`)
	res, err = audit.Verify(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	if res.Bad != 21 || !strings.Contains(res.Problem, "missing") {
		t.Fatalf("verify after deleting row 20 = %+v; want row 21 named, with a missing row", res)
	}
}

// TestExportCSV writes the rows of a period as CSV a spreadsheet can read back.
func TestExportCSV(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t)
	octx := audit.WithActor(ctx, audit.Actor{Kind: audit.KindOS, Name: "root"})
	for i := range 3 {
		if err := audit.Record(octx, pool, audit.Entry{Action: "policy.load", Entity: "policy_version", EntityID: fmt.Sprint(i + 1)}); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	n, err := audit.Export(ctx, pool, time.Now().Add(-time.Hour), time.Now().Add(time.Hour), "csv", &buf)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 || len(recs) != 4 || recs[0][0] != "seq" || recs[3][3] != "root" || recs[3][5] != "policy.load" || recs[3][7] != "3" {
		t.Fatalf("export wrote %d rows: %q", n, recs)
	}
	buf.Reset()
	if n, err = audit.Export(ctx, pool, time.Now().Add(time.Hour), time.Now().Add(2*time.Hour), "jsonl", &buf); err != nil || n != 0 {
		t.Fatalf("export of an empty period = %d, %v; want 0 rows", n, err)
	}
}
