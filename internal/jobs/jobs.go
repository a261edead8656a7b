// Package jobs runs the imports uploaded over HTTP as durable jobs in PostgreSQL.
//
// The queue is the table import_job; the upload itself is kept in import_upload until the job
// ends, so any server instance may run a job and an interrupted one can run again. Workers claim
// the oldest queued job of a county that has none running (FOR UPDATE SKIP LOCKED under a claim
// lock; a unique partial index keeps one running job per county whatever happens), hold it with a
// session advisory lock on a connection of their own, and run the import, which recomputes its
// results and marks the job imported in its own transaction (ingest.Options.Commit): the parcels,
// their results and the job's word on them commit together or not at all.
//
// A crash cannot leave a job half done: its import's transaction never committed, so nothing of
// it was written; the worker's lock went with its connection, and the next sweep (every server
// sweeps at start and every few seconds, and reading a job sweeps it) queues the job again, at
// most MaxInterruptions times, or fails it saying why. A cancelled job (DELETE) stops at once
// when queued and within a second when running, its transaction rolled back. Shutdown stops
// claiming, waits up to a grace period for the running jobs, then cancels them; they roll back
// and are queued again to run when a server next starts.
package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/audit"
	"github.com/wuyuan-forestry/ecocomp/internal/ingest"
)

// Statuses of a job. Queued and running are the only ones a job leaves.
const (
	Queued    = "queued"
	Running   = "running"
	Imported  = ingest.StatusImported
	DryRun    = ingest.StatusDryRun
	Rejected  = ingest.StatusRejected
	Failed    = ingest.StatusFailed
	Cancelled = "cancelled"
)

// MaxInterruptions is how many times a job may be interrupted by a crash before it is failed
// rather than run again (a file that brings the server down must not do so for ever).
const MaxInterruptions = 3

// Job is an import submitted over HTTP, as GET /api/v1/imports/{id} shows it.
type Job struct {
	ID     int64  `json:"id"`
	Kind   string `json:"kind"`
	File   string `json:"file"`
	County string `json:"county,omitempty"`
	// Status: queued, running, imported, dry_run, rejected, failed or cancelled.
	Status string `json:"status"`
	// Phase of a running job: reading, validating, merging, recomputing, committing.
	Phase string `json:"phase,omitempty"`
	// QueuePosition of a queued job: how many jobs of its county are ahead of it, the running
	// one included (0: it starts as soon as a worker is free).
	QueuePosition *int `json:"queue_position,omitempty"`
	// Attempts is how many times the job started; Interruptions how many of those a crash or a
	// stopped server cut short (each rolled back whole).
	Attempts          int             `json:"attempts"`
	Interruptions     int             `json:"interruptions,omitempty"`
	Note              string          `json:"note,omitempty"`
	CreatedAt         time.Time       `json:"created_at"`
	StartedAt         *time.Time      `json:"started_at,omitempty"`
	FinishedAt        *time.Time      `json:"finished_at,omitempty"`
	CancelRequestedAt *time.Time      `json:"cancel_requested_at,omitempty"`
	CancelledBy       string          `json:"cancelled_by,omitempty"`
	Batch             *int64          `json:"batch,omitempty"`
	Actor             string          `json:"submitted_by"`
	UserID            *int64          `json:"-"`
	Report            json.RawMessage `json:"report,omitempty"`
}

// Done reports whether the job has its outcome.
func (j *Job) Done() bool { return j.Status != Queued && j.Status != Running }

// Submission is an upload to queue.
type Submission struct {
	Kind string
	// File is the upload's (safe) file name: its extension tells the import the format.
	File string
	// Path is where the upload lies now; Submit copies it into the database.
	Path string
	// Fields are the upload's option fields (ParseFields), kept and read again at each run.
	Fields map[string]string
	// County is the county whose imports run one at a time (ResolveCounty).
	County string
	// Request names the request that submitted the job, for the audit rows of its run.
	Request audit.Request
}

// chunkSize is the size of the pieces an upload is kept in.
const chunkSize = 1 << 20

// Submit queues an import: the job row and the upload land in one transaction, by the actor in
// ctx. It returns the job's id; a worker (Runner) runs it.
func Submit(ctx context.Context, pool *pgxpool.Pool, s Submission) (int64, error) {
	if s.Kind != ingest.KindParcels && s.Kind != ingest.KindZones {
		return 0, apperr.BadParam("kind", "%q is not importable; use parcels or zones", s.Kind)
	}
	f, err := os.Open(s.Path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	actor := audit.ActorFrom(ctx)
	var userID *int64
	if actor.UserID != 0 {
		userID = &actor.UserID
	}
	fields, err := json.Marshal(s.Fields)
	if err != nil {
		return 0, err
	}
	submitter, err := json.Marshal(actor)
	if err != nil {
		return 0, err
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(ctx)
	var id int64
	if err := tx.QueryRow(ctx, `INSERT INTO import_job (kind, file_name, fields, county, actor, user_id, submitter, request_id, client_addr, upload_bytes)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
		s.Kind, s.File, fields, s.County, actor.String(), userID, submitter, s.Request.ID, s.Request.ClientAddr, st.Size()).Scan(&id); err != nil {
		return 0, err
	}
	seq := 0
	var readErr error
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"import_upload"}, []string{"job_id", "seq", "data"}, pgx.CopyFromFunc(func() ([]any, error) {
		buf := make([]byte, chunkSize)
		n, err := io.ReadFull(f, buf)
		if n == 0 {
			if err != nil && !errors.Is(err, io.EOF) {
				readErr = err
				return nil, err
			}
			return nil, nil
		}
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
			readErr = err
			return nil, err
		}
		row := []any{id, seq, buf[:n]}
		seq++
		return row, nil
	}))
	if readErr != nil {
		return 0, readErr
	}
	if err != nil {
		return 0, err
	}
	return id, tx.Commit(ctx)
}

// ResolveCounty is the county an upload's job queues under: the county named (which must be
// loaded), or, when none is named, the only county loaded. With several counties loaded the
// upload must name one; with none, imports queue under "" (and will find no county to land in).
func ResolveCounty(ctx context.Context, pool *pgxpool.Pool, named string) (string, error) {
	named = strings.TrimSpace(named)
	var codes []string
	if err := pool.QueryRow(ctx, `SELECT coalesce(array_agg(code ORDER BY code), '{}') FROM admin_unit WHERE level = 'county'`).Scan(&codes); err != nil {
		return "", err
	}
	if named != "" {
		for _, c := range codes {
			if c == named {
				return c, nil
			}
		}
		return "", apperr.BadParam("county", "no county with the code %q is loaded", named)
	}
	switch len(codes) {
	case 0:
		return "", nil
	case 1:
		return codes[0], nil
	}
	return "", apperr.BadParam("county", "%d counties are loaded (%s): name the county of the file (county=%s)", len(codes), strings.Join(codes, ", "), codes[0])
}

// Get returns a job, with its queue position when it waits. A job marked running whose worker
// is gone is dealt with first (Recover), so its status is never a stale "running".
func Get(ctx context.Context, pool *pgxpool.Pool, id int64) (*Job, error) {
	if _, err := Recover(ctx, pool, id); err != nil {
		return nil, err
	}
	j := &Job{}
	var report []byte
	var phase, note, cancelledBy *string
	var pos *int
	err := pool.QueryRow(ctx, `SELECT j.id, j.kind, j.file_name, j.county, j.status, j.phase, j.attempts, j.interruptions, j.note,
		j.created_at, j.started_at, j.finished_at, j.cancel_requested_at, j.cancelled_by, j.batch_id, j.report, j.actor, j.user_id,
		CASE WHEN j.status = 'queued' THEN (SELECT count(*) FROM import_job o WHERE o.county = j.county
			AND (o.status = 'running' OR (o.status = 'queued' AND o.id < j.id)))::int END
		FROM import_job j WHERE j.id = $1`, id).Scan(&j.ID, &j.Kind, &j.File, &j.County, &j.Status, &phase, &j.Attempts, &j.Interruptions, &note,
		&j.CreatedAt, &j.StartedAt, &j.FinishedAt, &j.CancelRequestedAt, &cancelledBy, &j.Batch, &report, &j.Actor, &j.UserID, &pos)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, apperr.New(apperr.NotFound, "there is no import %d", id)
	}
	if err != nil {
		return nil, err
	}
	j.Phase, j.Note, j.CancelledBy, j.QueuePosition = deref(phase), deref(note), deref(cancelledBy), pos
	if len(report) > 0 {
		j.Report = report
	}
	return j, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// Cancel stops job id for the actor in ctx and returns the status it had. A queued job is
// cancelled at once (with its audit row); a running one is flagged, and its worker — on whichever
// server runs it — cancels the import within a second: its transaction rolls back and the job
// ends cancelled (the caller writes the audit row, after the flag is set, so that it does not
// wait on the audit chain behind the import it cancels). A job that already ended is a conflict.
func Cancel(ctx context.Context, pool *pgxpool.Pool, id int64) (string, error) {
	by := audit.ActorFrom(ctx).String()
	tx, err := pool.Begin(ctx)
	if err != nil {
		return "", err
	}
	defer tx.Rollback(ctx)
	var kind string
	err = tx.QueryRow(ctx, `UPDATE import_job SET status = 'cancelled', phase = NULL, cancel_requested_at = clock_timestamp(),
		cancelled_by = $2, finished_at = clock_timestamp(),
		report = jsonb_build_object('kind', kind, 'file', file_name, 'status', 'cancelled',
			'reason', format('cancelled by %s before it started; nothing was written', $2::text))
		WHERE id = $1 AND status = 'queued' RETURNING kind`, id, by).Scan(&kind)
	switch {
	case err == nil:
		if _, err := tx.Exec(ctx, `DELETE FROM import_upload WHERE job_id = $1`, id); err != nil {
			return "", err
		}
		// The job never ran: no import holds the audit chain on its behalf.
		if err := audit.Record(ctx, tx, audit.Entry{Action: "import.cancel", Entity: kind, EntityID: fmt.Sprintf("job %d", id),
			Detail: map[string]any{"was": Queued}}); err != nil {
			return "", err
		}
		return Queued, tx.Commit(ctx)
	case !errors.Is(err, pgx.ErrNoRows):
		return "", err
	}
	tag, err := tx.Exec(ctx, `UPDATE import_job SET cancel_requested_at = coalesce(cancel_requested_at, clock_timestamp()),
		cancelled_by = coalesce(cancelled_by, $2) WHERE id = $1 AND status = 'running'`, id, by)
	if err != nil {
		return "", err
	}
	if tag.RowsAffected() == 1 {
		return Running, tx.Commit(ctx)
	}
	var status string
	if err := tx.QueryRow(ctx, `SELECT status FROM import_job WHERE id = $1`, id).Scan(&status); errors.Is(err, pgx.ErrNoRows) {
		return "", apperr.New(apperr.NotFound, "there is no import %d", id)
	} else if err != nil {
		return "", err
	}
	return status, apperr.New(apperr.Conflict, "import %d has already ended (%s); there is nothing to cancel", id, status)
}

// leaseClass is the high half of the advisory lock key by which a worker holds a running job
// ("jobs"); the low half is the job id.
const leaseClass = 0x6a6f6273

func leaseKey(id int64) int64 { return leaseClass<<32 | id&0xffffffff }

// Recover deals with the jobs marked running that no worker holds (id 0: all of them; else that
// one): their process stopped, and their import's transaction with it, so nothing of them was
// written. Each is queued again — or, after MaxInterruptions, or when its upload is gone, failed;
// when its cancellation had been asked for, cancelled — with a note and an audit row saying so.
// It returns how many it found.
func Recover(ctx context.Context, pool *pgxpool.Pool, id int64) (int, error) {
	rows, err := pool.Query(ctx, `WITH lost AS (
	SELECT j.id, coalesce(j.phase, 'reading') AS phase,
		CASE WHEN j.cancel_requested_at IS NOT NULL THEN 'cancelled'
		     WHEN j.interruptions + 1 >= $3 THEN 'failed'
		     WHEN NOT EXISTS (SELECT 1 FROM import_upload u WHERE u.job_id = j.id) THEN 'failed'
		     ELSE 'queued' END AS next
	FROM import_job j
	WHERE j.status = 'running' AND ($1::bigint = 0 OR j.id = $1::bigint)
	  AND NOT EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted
		AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
		AND l.classid = $2::bigint::oid AND l.objid = (j.id & 4294967295)::oid AND l.objsubid = 1)
	FOR UPDATE OF j SKIP LOCKED),
m AS (SELECT lost.*, format('interrupted while %s at %s (the server running it stopped); its transaction was rolled back, nothing was written',
		lost.phase, to_char(clock_timestamp() AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS') || ' Beijing time') AS what FROM lost)
UPDATE import_job j SET status = m.next, phase = NULL, worker_pid = NULL, interruptions = j.interruptions + 1,
	finished_at = CASE WHEN m.next = 'queued' THEN NULL ELSE clock_timestamp() END,
	note = m.what || CASE m.next
		WHEN 'queued' THEN format('; it runs again (interruption %s; at %s it is failed instead)', j.interruptions + 1, $3::int)
		WHEN 'cancelled' THEN format('; its cancellation by %s stands', j.cancelled_by)
		ELSE '' END,
	report = CASE WHEN m.next = 'queued' THEN j.report ELSE
		jsonb_build_object('kind', j.kind, 'file', j.file_name, 'status', m.next, 'reason', m.what || CASE
			WHEN m.next = 'cancelled' THEN format('; cancelled by %s', j.cancelled_by)
			WHEN j.interruptions + 1 >= $3 THEN format('; %s interruptions, so it is not run again: submit the file again', j.interruptions + 1)
			ELSE '; its upload is not kept: submit the file again' END) END
FROM m WHERE j.id = m.id AND j.status = 'running'
RETURNING j.id, j.kind, j.file_name, m.phase, m.next, j.interruptions`, id, int64(leaseClass), MaxInterruptions)
	if err != nil {
		return 0, err
	}
	type lost struct {
		id                      int64
		kind, file, phase, next string
		n                       int
	}
	var found []lost
	for rows.Next() {
		var l lost
		if err := rows.Scan(&l.id, &l.kind, &l.file, &l.phase, &l.next, &l.n); err != nil {
			rows.Close()
			return 0, err
		}
		found = append(found, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, l := range found {
		if l.next != Queued {
			if _, err := pool.Exec(ctx, `DELETE FROM import_upload WHERE job_id = $1`, l.id); err != nil {
				return len(found), err
			}
		}
		if err := audit.RecordAs(ctx, pool, audit.Actor{Kind: audit.KindSystem, Name: "system"}, audit.Entry{
			Action: "import.interrupted", Entity: l.kind, EntityID: fmt.Sprintf("job %d", l.id), Outcome: audit.Failed,
			Detail: map[string]any{"file": l.file, "phase": l.phase, "now": l.next, "interruptions": l.n, "cause": "crash"}}); err != nil {
			return len(found), err
		}
	}
	return len(found), nil
}
