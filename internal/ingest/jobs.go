package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/audit"
)

// Job is an import submitted over HTTP, as GET /api/v1/imports/{id} shows it.
type Job struct {
	ID         int64           `json:"id"`
	Kind       string          `json:"kind"`
	File       string          `json:"file"`
	Status     string          `json:"status"` // queued, running, imported, dry_run, rejected, failed
	CreatedAt  time.Time       `json:"created_at"`
	StartedAt  *time.Time      `json:"started_at,omitempty"`
	FinishedAt *time.Time      `json:"finished_at,omitempty"`
	Batch      *int64          `json:"batch,omitempty"`
	Actor      string          `json:"submitted_by"`
	UserID     *int64          `json:"-"`
	Report     json.RawMessage `json:"report,omitempty"`
}

// Kinds of import.
const (
	KindParcels = "parcels"
	KindZones   = "zones"
)

// jobOptions is what a job records of its options.
type jobOptions struct {
	SRID      int               `json:"srid,omitempty"`
	Encoding  string            `json:"encoding,omitempty"`
	Layer     string            `json:"layer,omitempty"`
	DryRun    bool              `json:"dry_run,omitempty"`
	Full      bool              `json:"full,omitempty"`
	Mapping   map[string]string `json:"mapping,omitempty"`
	Area      string            `json:"area,omitempty"`
	AreaKind  string            `json:"area_kind,omitempty"`
	ZoneField string            `json:"zone_field,omitempty"`
	SiteField string            `json:"site_field,omitempty"`
	ValueMap  map[string]string `json:"value_map,omitempty"`
}

// Submit records an import job for the file at path and runs it in the background, returning
// the job's id at once. The job owns dir (the folder holding the upload) and removes it when
// done. Progress and the report are stored in import_job.
func Submit(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger, kind, path, dir string, opt Options) (int64, error) {
	if kind != KindParcels && kind != KindZones {
		return 0, apperr.BadParam("kind", "%q is not importable; use parcels or zones", kind)
	}
	jo := jobOptions{SRID: opt.SRID, Encoding: opt.Encoding, Layer: opt.Layer, DryRun: opt.DryRun, Full: opt.Full,
		Area: opt.Area, AreaKind: opt.AreaKind, ZoneField: opt.ZoneField, SiteField: opt.SiteField, ValueMap: opt.ValueMap}
	if opt.Mapping != nil {
		jo.Mapping = opt.Mapping.Fields
	}
	options, _ := json.Marshal(jo)
	var id int64
	actor := audit.ActorFrom(ctx)
	var userID *int64
	if actor.UserID != 0 {
		userID = &actor.UserID
	}
	if err := pool.QueryRow(ctx, `INSERT INTO import_job (kind, file_name, options, actor, user_id) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		kind, sourceName(path, opt), options, actor.String(), userID).Scan(&id); err != nil {
		return 0, err
	}
	// The job outlives the request that submitted it.
	bg := context.WithoutCancel(ctx)
	go runJob(bg, pool, log, id, kind, path, dir, opt)
	return id, nil
}

func runJob(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger, id int64, kind, path, dir string, opt Options) {
	defer os.RemoveAll(dir)
	if _, err := pool.Exec(ctx, `UPDATE import_job SET status = 'running' WHERE id = $1`, id); err != nil {
		log.Error("import job: cannot mark it running", "job", id, "err", err)
	}
	opt.Backend = func(pid uint32) {
		if _, err := pool.Exec(ctx, `UPDATE import_job SET worker_pid = $2, started_at = clock_timestamp() WHERE id = $1`, id, int64(pid)); err != nil {
			log.Error("import job: cannot record its backend", "job", id, "err", err)
		}
	}
	var rep *Report
	var err error
	if kind == KindZones {
		rep, err = ImportZones(ctx, pool, path, opt)
	} else {
		rep, err = ImportParcels(ctx, pool, path, opt)
	}
	if err != nil && !errors.Is(err, ErrRejected) {
		log.Warn("import job failed", "job", id, "file", rep.File, "err", err)
	}
	b, merr := json.Marshal(rep)
	if merr != nil {
		b = []byte(`{}`)
	}
	var batch *int64
	if rep.Batch != 0 {
		batch = &rep.Batch
	}
	if _, err := pool.Exec(ctx, `UPDATE import_job SET status = $2, report = $3, batch_id = $4, finished_at = clock_timestamp(),
		started_at = coalesce(started_at, created_at) WHERE id = $1`, id, rep.Status, b, batch); err != nil {
		log.Error("import job: cannot store its report", "job", id, "err", err)
	}
	// An import that landed audited itself in its own transaction; one that did not leaves its
	// outcome here, so a rejected or failed attempt is on the record too.
	if rep.Status != StatusImported {
		outcome := audit.Failed
		if rep.Status == StatusDryRun {
			outcome = audit.OK
		}
		if err := audit.Record(ctx, pool, audit.Entry{Action: "import", Entity: kind, EntityID: fmt.Sprintf("job %d", id), Outcome: outcome,
			Detail: map[string]any{"file": rep.File, "status": rep.Status, "rows": rep.Rows}}); err != nil {
			log.Error("import job: cannot audit its outcome", "job", id, "err", err)
		}
	}
}

// interruptedAfter is how long a job may wait for its database connection before it counts as lost.
const interruptedAfter = 10 * time.Minute

// GetJob returns a job. A job still marked running whose database backend is gone was
// interrupted (the server stopped): it is marked failed, its transaction having rolled back.
func GetJob(ctx context.Context, pool *pgxpool.Pool, id int64) (*Job, error) {
	reason := "interrupted (the server stopped during the import); nothing was written: submit the file again"
	if _, err := pool.Exec(ctx, `UPDATE import_job j SET status = 'failed', finished_at = clock_timestamp(),
		report = coalesce(report, '{}') || jsonb_build_object('status', 'failed', 'reason', $2::text)
	WHERE j.id = $1 AND j.status IN ('queued', 'running') AND (
		(j.worker_pid IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = j.worker_pid AND a.backend_start <= j.started_at))
		OR (j.worker_pid IS NULL AND j.created_at < now() - $3::interval))`, id, reason, fmt.Sprintf("%d seconds", int(interruptedAfter.Seconds()))); err != nil {
		return nil, err
	}
	j := &Job{}
	var report []byte
	err := pool.QueryRow(ctx, `SELECT id, kind, file_name, status, created_at, started_at, finished_at, batch_id, report, actor, user_id
		FROM import_job WHERE id = $1`, id).Scan(&j.ID, &j.Kind, &j.File, &j.Status, &j.CreatedAt, &j.StartedAt, &j.FinishedAt, &j.Batch, &report,
		&j.Actor, &j.UserID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, apperr.New(apperr.NotFound, "there is no import %d", id)
	}
	if err != nil {
		return nil, err
	}
	if len(report) > 0 {
		j.Report = report
	}
	return j, nil
}

// ParseValueMap reads a value map "k=v,k2=v2" (zone values to zone kinds).
func ParseValueMap(s string) (map[string]string, error) {
	m := map[string]string{}
	if strings.TrimSpace(s) == "" {
		return m, nil
	}
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(part, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			return nil, fmt.Errorf("value map %q: write VALUE=ZONE_KIND pairs separated by commas, e.g. 核心区=core,缓冲区=buffer", s)
		}
		m[k] = v
	}
	return m, nil
}
