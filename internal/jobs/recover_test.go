package jobs_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wuyuan-forestry/ecocomp/internal/jobs"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
)

// TestRecoverTellsTheTruth: a job marked running that no worker holds was interrupted, and its
// transaction rolled back. Recover queues it again when it may run again; fails it when its
// upload is not kept or it was interrupted too often; cancels it when its cancellation had been
// asked for; and leaves alone a job whose worker still holds it. Each interruption is audited.
func TestRecoverTellsTheTruth(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	add := func(county string, interruptions int, upload, cancelAsked bool) int64 {
		t.Helper()
		var id int64
		if err := pool.QueryRow(ctx, `INSERT INTO import_job (kind, file_name, actor, status, county, phase, attempts, interruptions,
			started_at, cancel_requested_at, cancelled_by)
			VALUES ('parcels', 'f.geojson', 'surveyor1', 'running', $1, 'recomputing', $2 + 1, $2, now(),
			CASE WHEN $3 THEN now() END, CASE WHEN $3 THEN 'surveyor1' END) RETURNING id`,
			county, interruptions, cancelAsked).Scan(&id); err != nil {
			t.Fatal(err)
		}
		if upload {
			if _, err := pool.Exec(ctx, `INSERT INTO import_upload (job_id, seq, data) VALUES ($1, 0, '\x7b7d')`, id); err != nil {
				t.Fatal(err)
			}
		}
		return id
	}
	again := add("a", 0, true, false)
	tooOften := add("b", jobs.MaxInterruptions-1, true, false)
	noUpload := add("c", 0, false, false)
	cancelled := add("d", 0, true, true)
	held := add("e", 0, true, false)

	// A worker's lease: the session advisory lock Runner takes on its own connection.
	lease, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer lease.Release()
	if _, err := lease.Exec(ctx, `SELECT pg_advisory_lock($1)`, int64(0x6a6f6273)<<32|held); err != nil {
		t.Fatal(err)
	}

	n, err := jobs.Recover(ctx, pool, 0)
	if err != nil || n != 4 {
		t.Fatalf("Recover found %d (%v); want the 4 that no worker holds", n, err)
	}
	for _, c := range []struct {
		id            int64
		status        string
		note, reason  string
		uploadKept    bool
		interruptions int
	}{
		{again, "queued", "it runs again (interruption 1", "", true, 1},
		{tooOften, "failed", "interrupted while recomputing", "3 interruptions, so it is not run again", false, jobs.MaxInterruptions},
		{noUpload, "failed", "nothing was written", "its upload is not kept: submit the file again", false, 1},
		{cancelled, "cancelled", "its cancellation by surveyor1 stands", "cancelled by surveyor1", false, 1},
		{held, "running", "", "", true, 0},
	} {
		j, err := jobs.Get(ctx, pool, c.id)
		if err != nil {
			t.Fatal(err)
		}
		if j.Status != c.status || !strings.Contains(j.Note, c.note) || !strings.Contains(string(j.Report), c.reason) ||
			j.Interruptions != c.interruptions || uploadKept(t, pool, c.id) != c.uploadKept {
			t.Errorf("job %d: %s, note %q, report %s, %d interruptions, upload kept %v; want %s, %q, %q, %d, %v",
				c.id, j.Status, j.Note, j.Report, j.Interruptions, uploadKept(t, pool, c.id), c.status, c.note, c.reason, c.interruptions, c.uploadKept)
		}
	}
	if j, _ := jobs.Get(ctx, pool, again); j.QueuePosition == nil || *j.QueuePosition != 0 {
		t.Errorf("the job queued again: position %v; want 0 (next in its county)", j.QueuePosition)
	}
	var audited int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'import.interrupted' AND actor_kind = 'system'`).Scan(&audited); err != nil || audited != 4 {
		t.Errorf("%d import.interrupted audit rows (%v); want 4", audited, err)
	}
	// The worker lets go without recording (its process died): now the sweep finds it.
	if _, err := lease.Exec(ctx, `SELECT pg_advisory_unlock_all()`); err != nil {
		t.Fatal(err)
	}
	if j, err := jobs.Get(ctx, pool, held); err != nil || j.Status != "queued" {
		t.Errorf("the job whose worker let go: %+v (%v); want queued again", j, err)
	}
	// Outcomes are final.
	if _, err := pool.Exec(ctx, `UPDATE import_job SET status = 'queued' WHERE id = $1`, tooOften); err == nil || !strings.Contains(err.Error(), "cannot go from failed to queued") {
		t.Errorf("a failed job set back to queued: %v; want it refused", err)
	}
}

func uploadKept(t *testing.T, pool *pgxpool.Pool, id int64) bool {
	t.Helper()
	var kept bool
	if err := pool.QueryRow(context.Background(), `SELECT EXISTS (SELECT 1 FROM import_upload WHERE job_id = $1)`, id).Scan(&kept); err != nil {
		t.Fatal(err)
	}
	return kept
}
