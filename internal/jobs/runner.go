package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wuyuan-forestry/ecocomp/internal/audit"
	"github.com/wuyuan-forestry/ecocomp/internal/ingest"
)

// DefaultWorkers is how many imports a server runs at once (of different counties).
const DefaultWorkers = 2

// pollEvery is how often a started runner sweeps for interrupted jobs and looks for work queued
// elsewhere (another server instance); a submission on this server starts at once.
const pollEvery = 2 * time.Second

// cancelPollEvery is how often a running job looks for its cancellation.
const cancelPollEvery = time.Second

// claimLockKey serialises claims (pg_advisory_xact_lock), so that two workers never pick two
// jobs of one county at the same moment.
const claimLockKey = 0x636c61696d // "claim"

// Settings say how a runner runs its jobs.
type Settings struct {
	// Workers is how many jobs run at once (DefaultWorkers when 0).
	Workers int
	// MaxFeatures is the imports' feature-count cap (ingest.Options.MaxFeatures; 0: its default).
	MaxFeatures int
}

// Runner is a server's pool of import workers.
type Runner struct {
	main        *pgxpool.Pool
	log         *slog.Logger
	workers     int
	maxFeatures int

	// pool is the runner's own, made from main's configuration on first use (see jobPool).
	poolMu     sync.Mutex
	pool       *pgxpool.Pool
	poolClosed bool

	mu      sync.Mutex
	busy    int
	stopped bool
	active  map[int64]*activeJob
	wg      sync.WaitGroup
}

type activeJob struct {
	cancel   context.CancelFunc
	shutdown bool // cancelled by Drain, not by a user
}

// NewRunner returns a runner of jobs on pool. It claims jobs when kicked (a submission) and,
// once started, every few seconds.
func NewRunner(pool *pgxpool.Pool, log *slog.Logger, set Settings) *Runner {
	if set.Workers <= 0 {
		set.Workers = DefaultWorkers
	}
	return &Runner{main: pool, log: log, workers: set.Workers, maxFeatures: set.MaxFeatures, active: map[int64]*activeJob{}}
}

// jobPool makes the connections of the jobs (their leases, and the imports' own connections,
// which copy its configuration): a cancelled import's statement is cancelled on the server at
// once (not merely abandoned, holding its locks until it ends), a backend whose server process
// died notices within a second (client_connection_check_interval) and rolls back, and no
// statement timeout meant for requests cuts a county-wide import short — cancellation and the
// shutdown grace bound a job instead.
func (r *Runner) jobPool() (*pgxpool.Pool, error) {
	r.poolMu.Lock()
	defer r.poolMu.Unlock()
	if r.poolClosed {
		return nil, errors.New("the import runner has stopped")
	}
	if r.pool != nil {
		return r.pool, nil
	}
	cfg := r.main.Config()
	cfg.MinConns = 0
	cfg.MaxConns = int32(2*r.workers + 2)
	cfg.ConnConfig.RuntimeParams["application_name"] = "ecocomp import job"
	cfg.ConnConfig.RuntimeParams["statement_timeout"] = "0"
	var version int
	if err := r.main.QueryRow(context.Background(), `SELECT current_setting('server_version_num')::int`).Scan(&version); err != nil {
		return nil, err
	}
	if version >= 140000 {
		cfg.ConnConfig.RuntimeParams["client_connection_check_interval"] = "1000"
	}
	cfg.ConnConfig.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: c, DeadlineDelay: 5 * time.Second}
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		return nil, err
	}
	r.pool = pool
	return pool, nil
}

// Start sweeps for interrupted jobs and claims queued ones now and every few seconds until ctx
// ends; then the runner takes no more jobs (Drain waits for the running ones).
func (r *Runner) Start(ctx context.Context) {
	go func() {
		t := time.NewTicker(pollEvery)
		defer t.Stop()
		for {
			if n, err := Recover(ctx, r.main, 0); err != nil && ctx.Err() == nil {
				r.log.Warn("import jobs: cannot sweep for interrupted jobs", "err", err)
			} else if n > 0 {
				r.log.Warn("import jobs: interrupted jobs found (their transactions rolled back)", "jobs", n)
			}
			r.fill()
			select {
			case <-ctx.Done():
				r.mu.Lock()
				r.stopped = true
				r.mu.Unlock()
				return
			case <-t.C:
			}
		}
	}()
}

// Kick makes the runner look for work now (a job was submitted or one ended).
func (r *Runner) Kick() { go r.fill() }

// Cancel cancels job id at once when it runs here; its worker then marks it. It reports whether
// it ran here (elsewhere its worker finds the request within a second).
func (r *Runner) Cancel(id int64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	a, ok := r.active[id]
	if ok {
		a.cancel()
	}
	return ok
}

// Drain stops taking jobs, waits up to grace for the running ones to end, then cancels them:
// their transactions roll back and they are queued again, to run when a server next starts.
// It returns once every job it ran has been marked.
func (r *Runner) Drain(grace time.Duration) {
	r.mu.Lock()
	r.stopped = true
	n := len(r.active)
	r.mu.Unlock()
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	if n > 0 {
		r.log.Info("import jobs: waiting for the running imports", "jobs", n, "grace", grace.String())
	}
	if grace > 0 {
		timer := time.NewTimer(grace)
		defer timer.Stop()
		select {
		case <-done:
			r.closePool()
			return
		case <-timer.C:
		}
	}
	r.mu.Lock()
	for id, a := range r.active {
		r.log.Warn("import jobs: the grace period is over; cancelling the import (it will run again)", "job", id)
		a.shutdown = true
		a.cancel()
	}
	r.mu.Unlock()
	select {
	case <-done:
		r.closePool()
	case <-time.After(time.Minute):
		r.log.Error("import jobs: cancelled imports did not end within a minute")
	}
}

func (r *Runner) closePool() {
	r.poolMu.Lock()
	defer r.poolMu.Unlock()
	r.poolClosed = true
	if r.pool != nil {
		r.pool.Close()
	}
}

// fill claims jobs while a worker is free.
func (r *Runner) fill() {
	for {
		r.mu.Lock()
		if r.stopped || r.busy >= r.workers {
			r.mu.Unlock()
			return
		}
		r.busy++
		r.wg.Add(1)
		r.mu.Unlock()
		j, err := r.claim()
		if err != nil || j == nil {
			r.release()
			if err != nil {
				r.log.Warn("import jobs: cannot claim a job", "err", err)
			}
			return
		}
		go r.run(j)
	}
}

func (r *Runner) release() {
	r.mu.Lock()
	r.busy--
	r.mu.Unlock()
	r.wg.Done()
}

// claimed is a job a worker holds.
type claimed struct {
	ID        int64
	Kind      string
	File      string
	Fields    map[string]string
	Submitter audit.Actor
	Request   audit.Request
	Attempt   int
	lease     *pgxpool.Conn
}

// claim takes the oldest queued job of a county with none running, or nil. The job is held by a
// session advisory lock on a connection kept until the job ends: if this process dies, the lock
// goes with the connection and the job shows as interrupted (Recover).
func (r *Runner) claim() (*claimed, error) {
	pool, err := r.jobPool()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	j, err := claimOn(ctx, conn)
	if err != nil || j == nil {
		if err != nil {
			// The connection may still hold a lease of a job it failed to claim.
			conn.Conn().Close(context.Background())
		}
		conn.Release()
		return nil, err
	}
	j.lease = conn
	return j, nil
}

func claimOn(ctx context.Context, conn *pgxpool.Conn) (*claimed, error) {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(claimLockKey)); err != nil {
		return nil, err
	}
	var id int64
	err = tx.QueryRow(ctx, `SELECT j.id FROM import_job j
		WHERE j.status = 'queued' AND NOT EXISTS (SELECT 1 FROM import_job o WHERE o.status = 'running' AND o.county = j.county)
		ORDER BY j.id LIMIT 1 FOR UPDATE SKIP LOCKED`).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var held bool
	if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, leaseKey(id)).Scan(&held); err != nil {
		return nil, err
	}
	if !held { // its last worker is still letting go of it
		return nil, nil
	}
	j := &claimed{ID: id}
	var fields, submitter []byte
	if err := tx.QueryRow(ctx, `UPDATE import_job SET status = 'running', phase = 'reading', attempts = attempts + 1,
		started_at = coalesce(started_at, clock_timestamp()), worker_pid = pg_backend_pid()
		WHERE id = $1 RETURNING kind, file_name, fields, submitter, request_id, client_addr, attempts`, id).Scan(
		&j.Kind, &j.File, &fields, &submitter, &j.Request.ID, &j.Request.ClientAddr, &j.Attempt); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(fields, &j.Fields); err != nil {
		return nil, fmt.Errorf("job %d: its fields: %w", id, err)
	}
	if err := json.Unmarshal(submitter, &j.Submitter); err != nil {
		return nil, fmt.Errorf("job %d: its submitter: %w", id, err)
	}
	if j.Submitter.Kind == "" {
		j.Submitter = audit.Actor{Kind: audit.KindSystem, Name: "system"}
	}
	return j, tx.Commit(ctx)
}

// run runs a claimed job to its outcome and lets it go.
func (r *Runner) run(j *claimed) {
	defer r.Kick()
	defer r.release()
	base := audit.WithRequest(audit.WithActor(context.Background(), j.Submitter), j.Request)
	ctx, cancel := context.WithCancel(base)
	defer cancel()
	a := &activeJob{cancel: cancel}
	r.mu.Lock()
	r.active[j.ID] = a
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		delete(r.active, j.ID)
		r.mu.Unlock()
	}()
	defer r.letGo(j)

	// Cancellation asked for on any server reaches the job through its row.
	watch, stopWatch := context.WithCancel(ctx)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		t := time.NewTicker(cancelPollEvery)
		defer t.Stop()
		for {
			select {
			case <-watch.Done():
				return
			case <-t.C:
			}
			var asked bool
			if err := r.pool.QueryRow(watch, `SELECT cancel_requested_at IS NOT NULL FROM import_job WHERE id = $1`, j.ID).Scan(&asked); err == nil && asked {
				cancel()
				return
			}
		}
	}()

	r.log.Info("import job started", "job", j.ID, "kind", j.Kind, "file", j.File, "attempt", j.Attempt)
	ph := &phaseTracker{phase: "reading"}
	rep, err := r.execute(ctx, j, ph)
	stopWatch()
	<-watched
	r.mu.Lock()
	shutdown := a.shutdown
	r.mu.Unlock()
	rctx, rcancel := context.WithTimeout(base, 30*time.Second)
	defer rcancel()
	if err := r.record(rctx, j, rep, err, shutdown, ph.get()); err != nil {
		r.log.Error("import job: cannot record its outcome (the next sweep will)", "job", j.ID, "err", err)
	}
}

// letGo releases the job's lease (or, when that fails, the lease's connection with it).
func (r *Runner) letGo(j *claimed) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := j.lease.Exec(ctx, `SELECT pg_advisory_unlock($1)`, leaseKey(j.ID)); err != nil {
		j.lease.Conn().Close(ctx)
	}
	j.lease.Release()
}

// phaseTracker is the running job's phase as its progress last said.
type phaseTracker struct {
	mu    sync.Mutex
	phase string
}

func (p *phaseTracker) set(ph string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if ph == "" || ph == p.phase {
		return false
	}
	p.phase = ph
	return true
}

func (p *phaseTracker) get() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.phase
}

// phaseOf maps an import's progress line to the job's phase ("" for no change).
func phaseOf(step string) string {
	for _, p := range []struct{ prefix, phase string }{
		{"reading", "reading"}, {"validating", "validating"}, {"merging", "merging"},
		{"waiting for the overlap check", "merging"}, {"recomputing", "recomputing"}, {"committing", "committing"},
	} {
		if strings.HasPrefix(step, p.prefix) {
			return p.phase
		}
	}
	return ""
}

// errCancelled rolls back an import whose cancellation arrived before it could commit.
var errCancelled = errors.New("cancelled before it committed")

// errSuperseded rolls back an import whose job is no longer this run's (it was found
// interrupted and claimed again; should this worker's lease have been lost).
var errSuperseded = errors.New("this run of the job was superseded by another")

// execute fetches the upload and runs the import. The import marks the job imported in its own
// transaction; every other outcome is recorded by record.
func (r *Runner) execute(ctx context.Context, j *claimed, ph *phaseTracker) (*ingest.Report, error) {
	failed := func(err error) (*ingest.Report, error) {
		return &ingest.Report{Kind: j.Kind, File: j.File, Status: ingest.StatusFailed, Reason: err.Error(), Lines: []ingest.Line{}}, err
	}
	kind, opt, err := ParseFields(j.Fields)
	if err != nil {
		return failed(fmt.Errorf("its options do not hold (%v)", err))
	}
	dir, err := os.MkdirTemp("", "ecocomp-job-*")
	if err != nil {
		return failed(fmt.Errorf("no room for the upload (%v)", err))
	}
	defer os.RemoveAll(dir)
	path, err := fetchUpload(ctx, r.pool, j.ID, dir, j.File)
	if err != nil {
		return failed(err)
	}
	opt.Source = j.File
	opt.MaxFeatures = r.maxFeatures
	opt.Log = r.log.With("job", j.ID)
	opt.Progress = func(step string) {
		if ph.set(phaseOf(step)) {
			if _, err := r.pool.Exec(ctx, `UPDATE import_job SET phase = $3 WHERE id = $1 AND attempts = $2 AND status = 'running'`,
				j.ID, j.Attempt, ph.get()); err != nil && ctx.Err() == nil {
				r.log.Warn("import job: cannot record its phase", "job", j.ID, "err", err)
			}
		}
	}
	opt.Commit = func(ctx context.Context, tx pgx.Tx, rep *ingest.Report) error {
		rep.Seconds = time.Since(rep.StartedAt).Seconds()
		b, err := json.Marshal(rep)
		if err != nil {
			return err
		}
		var batch *int64
		if rep.Batch != 0 {
			batch = &rep.Batch
		}
		var cancelled bool
		err = tx.QueryRow(ctx, `UPDATE import_job SET status = CASE WHEN cancel_requested_at IS NULL THEN 'imported' ELSE status END,
			phase = CASE WHEN cancel_requested_at IS NULL THEN NULL ELSE phase END,
			report = CASE WHEN cancel_requested_at IS NULL THEN $3 ELSE report END,
			batch_id = CASE WHEN cancel_requested_at IS NULL THEN $4 ELSE batch_id END,
			finished_at = CASE WHEN cancel_requested_at IS NULL THEN clock_timestamp() END
			WHERE id = $1 AND attempts = $2 AND status = 'running' RETURNING cancel_requested_at IS NOT NULL`, j.ID, j.Attempt, b, batch).Scan(&cancelled)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return errSuperseded
		case err != nil:
			return err
		case cancelled:
			return errCancelled
		}
		_, err = tx.Exec(ctx, `DELETE FROM import_upload WHERE job_id = $1`, j.ID)
		return err
	}
	if kind == ingest.KindZones {
		return ingest.ImportZones(ctx, r.pool, path, opt)
	}
	return ingest.ImportParcels(ctx, r.pool, path, opt)
}

// fetchUpload writes the job's kept upload into dir under its file name.
func fetchUpload(ctx context.Context, pool *pgxpool.Pool, id int64, dir, name string) (string, error) {
	path := filepath.Join(dir, filepath.Base(name))
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	rows, err := pool.Query(ctx, `SELECT data FROM import_upload WHERE job_id = $1 ORDER BY seq`, id)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return "", err
		}
		if _, err := f.Write(b); err != nil {
			return "", fmt.Errorf("no room for the upload (%v)", err)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	if n == 0 {
		return "", errors.New("its upload is not kept: submit the file again")
	}
	return path, f.Close()
}

// record stores the outcome of a run that did not land (a landed import recorded itself): the
// outcome, or cancelled when its cancellation stopped it, or queued again when a shutdown did.
func (r *Runner) record(ctx context.Context, j *claimed, rep *ingest.Report, runErr error, shutdown bool, phase string) error {
	var status string
	var cancelAsked bool
	var by *string
	err := r.pool.QueryRow(ctx, `SELECT status, cancel_requested_at IS NOT NULL, cancelled_by FROM import_job WHERE id = $1 AND attempts = $2`,
		j.ID, j.Attempt).Scan(&status, &cancelAsked, &by)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil // claimed again since
	}
	if err != nil {
		return err
	}
	if status != Running {
		r.log.Info("import job ended", "job", j.ID, "status", status)
		return nil
	}
	if rep == nil {
		rep = &ingest.Report{Kind: j.Kind, File: j.File, Status: ingest.StatusFailed, Lines: []ingest.Line{}}
	}
	stopped := runErr != nil && rep.Status == ingest.StatusFailed
	switch {
	case stopped && cancelAsked:
		rep.Status = Cancelled
		rep.Reason = fmt.Sprintf("cancelled by %s while %s; its transaction was rolled back, nothing was written", deref(by), phase)
	case stopped && shutdown:
		note := fmt.Sprintf("stopped while %s by a server shutdown after its grace period; its transaction was rolled back, nothing was written; it runs again when a server starts", phase)
		if _, err := r.pool.Exec(ctx, `UPDATE import_job SET status = 'queued', phase = NULL, worker_pid = NULL, note = $3
			WHERE id = $1 AND attempts = $2 AND status = 'running'`, j.ID, j.Attempt, note); err != nil {
			return err
		}
		r.log.Warn("import job stopped by the shutdown; queued again", "job", j.ID, "phase", phase)
		return audit.RecordAs(ctx, r.pool, audit.Actor{Kind: audit.KindSystem, Name: "system"}, audit.Entry{
			Action: "import.interrupted", Entity: j.Kind, EntityID: fmt.Sprintf("job %d", j.ID), Outcome: audit.Failed,
			Detail: map[string]any{"file": j.File, "phase": phase, "now": Queued, "cause": "shutdown"}})
	}
	if runErr != nil && !errors.Is(runErr, ingest.ErrRejected) && rep.Status != Cancelled {
		r.log.Warn("import job failed", "job", j.ID, "file", j.File, "err", runErr)
	}
	b, err := json.Marshal(rep)
	if err != nil {
		b = []byte(`{}`)
	}
	tag, err := r.pool.Exec(ctx, `UPDATE import_job SET status = $3, report = $4, phase = NULL, finished_at = clock_timestamp()
		WHERE id = $1 AND attempts = $2 AND status = 'running'`, j.ID, j.Attempt, rep.Status, b)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return nil
	}
	if _, err := r.pool.Exec(ctx, `DELETE FROM import_upload WHERE job_id = $1`, j.ID); err != nil {
		return err
	}
	r.log.Info("import job ended", "job", j.ID, "status", rep.Status)
	// A landed import audited itself in its own transaction; any other outcome is recorded here.
	outcome := audit.Failed
	if rep.Status == ingest.StatusDryRun {
		outcome = audit.OK
	}
	return audit.Record(ctx, r.pool, audit.Entry{Action: "import", Entity: j.Kind, EntityID: fmt.Sprintf("job %d", j.ID), Outcome: outcome,
		Detail: map[string]any{"file": rep.File, "status": rep.Status, "rows": rep.Rows}})
}
