// Package ingest brings surveyor files into the database: forest parcels (小班) from the annual
// 一张图 update and protected-area zones, as zipped Shapefile sets (DBF often GBK), GeoPackages or
// GeoJSON. GDAL reads the file (ogr2ogr writes it as COPY data, in the file's own CRS, that
// streams into a staging table); validation, reprojection to EPSG:4490 and the merge are SQL, in
// one transaction on one connection, so an import lands whole or not at all. The staging tables
// live in a schema of their own created inside that transaction: a rejected, failed or killed
// import rolls them back with everything else, and the heavy checks (areas, the comparison with
// current versions) run on parallel workers, which temporary tables would not allow. The overlap
// check runs beside them on a second connection, in a transaction of its own that is always
// rolled back, on a copy of the staged geometries; the merge goes ahead meanwhile and an overlap
// rolls it back (overlaps.go says how the pieces run together). An edge cover (coverage.go)
// spares it the relates of parcels that share every boundary vertex for vertex with their
// neighbours. Every statement is a file in sql/, named for what it does and documented there
// (statements.go); with ECOCOMP_LOG_LEVEL=debug each is logged by name as it runs.
//
// Documented outcomes, which the tests hold the package to:
//
//   - errors reject the whole file (nothing is written, the report says why): content that is
//     not what the extension says (checked before GDAL sees it; gdal.go has the rest of GDAL's
//     leash); a zip bomb (from the archive's directory, before anything is inflated); more
//     features than Options.MaxFeatures; an extra field named like a computed property; no CRS
//     and no --srid; a Xi'an 1980 / Beijing 1954 CRS (no transformation is given); a Shapefile without
//     its .shx or .dbf; an empty file; a missing or malformed key; duplicate keys; empty or
//     non-polygon geometry; invalid geometry that ST_MakeValid cannot repair while keeping
//     ≥ 99.9 % of the area (a symmetric bow-tie: its signed area is 0); overlaps with other rows
//     of the file above the tolerance (each pair and its area); a parcel mostly outside its
//     county; a missing or non-positive MIAN_JI; zones of an unknown zone kind.
//   - warnings do not: a repaired geometry (area kept ≥ 99.9 %); a ring the reader had to close;
//     Z coordinates dropped (noted); parts outside the county beyond the tolerance; slivers under
//     the minimum area; MIAN_JI deviating > 0.5 % from the EPSG:4548 planar area; codes the
//     dictionary does not know (the column stays empty and the code is kept in extra, unless it
//     looks like personal data); fields whose names or values look like personal data (not kept,
//     whatever the mapping says; personal.go).
//
// extra, which the lookup API, OGC items and exports publish, keeps only the fields the mapping
// lists under "extra" (and unknown codes); every other field is named in the report, not kept.
//
// Re-importing a key that is current creates a new version only when its attributes or geometry
// changed: the old version gets valid_to = the import instant, the new one valid_from = the same
// instant and batch_id = the import's batch. A full import retires (valid_to) the county's
// parcels absent from the file. After the merge the new versions are recomputed (overlays,
// eligibility, subsidies) under the policy of the latest recompute's year, in the import's own
// transaction: the results land with the parcels or not at all, and are never stale. The import
// and the recompute each send a change notice, on which tiles are invalidated.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/audit"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis"
	"github.com/wuyuan-forestry/ecocomp/internal/recompute"
)

// ErrRejected is wrapped by the error of an import the file's errors rejected.
var ErrRejected = errors.New("import rejected")

// Tolerances of the validation. The zero value of a field means its default.
type Tolerances struct {
	RepairAreaShare float64 // a repair may change the area by this share at most (0.001)
	OutsideM        float64 // parts further than this outside the county are reported (10 m)
	OverlapM2       float64 // overlaps between rows of the file above this are errors (1 m²)
	SliverM2        float64 // polygons (or parts) under this planar area are slivers (100 m²)
	MianJiShare     float64 // MIAN_JI may deviate from the planar area by this share (0.005)
	// SameGeometryDeg: a re-imported geometry with the same vertex count whose Hausdorff distance
	// to the current version is within this many degrees is unchanged (2e-7 ≈ 2 cm, above the
	// rounding of a GeoJSON export at 7 decimals or of a Shapefile in EPSG:4548 at 1 mm).
	SameGeometryDeg float64
}

func (t Tolerances) withDefaults() Tolerances {
	def := func(v *float64, d float64) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&t.RepairAreaShare, 0.001)
	def(&t.OutsideM, 10)
	def(&t.OverlapM2, 1)
	def(&t.SliverM2, 100)
	def(&t.MianJiShare, 0.005)
	def(&t.SameGeometryDeg, 2e-7)
	return t
}

// Options say how to read a file and what to do with it.
type Options struct {
	SRID     int      // EPSG code of the coordinates, overriding the file's CRS; 0: the file's
	Encoding string   // DBF text encoding (GBK, UTF-8 …), overriding the .cpg; "": .cpg or detection
	Layer    string   // the layer (or Shapefile in a zip) to read when there are several
	Mapping  *Mapping // source field names for parcel fields; nil: the standard pinyin names
	DryRun   bool     // validate and classify, write nothing
	Full     bool     // parcels: the file is the whole county; current parcels absent from it are retired

	// Zones: the protected area, its kind, the field holding the zone and how its values map to
	// zone kinds (values that already are zone kinds or their Chinese labels map by themselves).
	Area     string
	AreaKind string
	// AreaLevel is who designated the area (national, provincial, municipal, county), stored on
	// protected_area.level: subsidy tiers depend on it. "": keep an existing area's level; a new
	// area is then recorded as national and the report says so.
	AreaLevel string
	ZoneField string
	SiteField string // optional: a field naming separate sites of the area
	ValueMap  map[string]string

	Source     string // the file's name in the report; default: the path's base name
	Tolerances Tolerances
	// MaxFeatures refuses a file with more features than this (ECOCOMP_IMPORT_MAX_FEATURES);
	// 0: DefaultMaxFeatures.
	MaxFeatures int

	// Progress, when set, receives short lines about the steps ("reading …").
	Progress func(step string)
	// Log, when set, receives every SQL statement of the import at debug level, by its name in
	// sql/, with the rows it touched and how long it took.
	Log *slog.Logger
	// Backend, when set, receives the PostgreSQL backend pid of the import's connection (a job
	// whose backend is gone was interrupted).
	Backend func(pid uint32)
	// Commit, when set, runs last in the import's transaction, just before it commits, once the
	// results are recomputed: a job records its outcome there, so that the data and the job's
	// word on it commit together or not at all. An error rolls the import back.
	Commit func(ctx context.Context, tx pgx.Tx, rep *Report) error
}

// DefaultMaxFeatures is the feature-count cap of an import: a county's 一张图 has some hundred
// thousand parcels, a province's a few million.
const DefaultMaxFeatures = 2_000_000

func (o *Options) maxFeatures() int {
	if o.MaxFeatures > 0 {
		return o.MaxFeatures
	}
	return DefaultMaxFeatures
}

// tooManyFeatures refuses a file over the feature-count cap.
func tooManyFeatures(file string, n, limit int) error {
	return reject("features", "%s holds %d features, more than the %d an import takes (ECOCOMP_IMPORT_MAX_FEATURES); split it, e.g. by township, and import the parts", file, n, limit)
}

func (o *Options) logger() *slog.Logger {
	if o.Log != nil {
		return o.Log
	}
	return discard
}

func (o *Options) progress(format string, args ...any) {
	if o.Progress != nil {
		o.Progress(fmt.Sprintf(format, args...))
	}
}

// lockKey serialises imports (pg_advisory_xact_lock): two imports of the same keys must not race.
const lockKey = 0x696d706f7274 // "import"

// run is one import in progress: its connection and transaction, its source and its report.
type run struct {
	pool *pgxpool.Pool
	conn *pgx.Conn
	tx   pgx.Tx
	opt  Options
	tol  Tolerances
	rep  *Report
	src  *source
	log  *slog.Logger
	// current is the code scheme parcels are stored in (the one no dictionary code maps away from).
	current string
	// schema holds the staging tables (quoted).
	schema string
	// done is the audit row of a landing import, written by commit: as the last statement, so
	// that the audit chain's lock (every writer's, sign-ins included) is held for milliseconds,
	// not for the recompute that follows the merge.
	done *audit.Entry
}

// begin opens the import's own connection (its session settings stay its own), begins the
// transaction, takes the import lock and creates the staging schema.
func begin(ctx context.Context, pool *pgxpool.Pool, opt Options, rep *Report) (*run, error) {
	conn, err := connect(ctx, pool)
	if err != nil {
		return nil, err
	}
	r := &run{pool: pool, conn: conn, opt: opt, tol: opt.Tolerances.withDefaults(), rep: rep, log: opt.logger()}
	pid := conn.PgConn().PID()
	if opt.Backend != nil {
		opt.Backend(pid)
	}
	if r.tx, err = conn.Begin(ctx); err != nil {
		r.close()
		return nil, err
	}
	if err := r.exec(ctx, sqlStmt("import_lock", nil), int64(lockKey)); err != nil {
		r.close()
		return nil, err
	}
	// An import that lands recomputes in this transaction after its merge wrote an audit row:
	// it takes the recompute lock first, in the order a recompute takes the two.
	if !opt.DryRun {
		if err := recompute.Lock(ctx, r.tx); err != nil {
			r.close()
			return nil, err
		}
	}
	r.schema = pgx.Identifier{fmt.Sprintf("ecocomp_import_%d", pid)}.Sanitize()
	if err := r.exec(ctx, sqlStmt("staging_schema", r.schema)); err != nil {
		r.close()
		return nil, err
	}
	if err := r.exec(ctx, sqlStmt("search_path", nil), r.schema); err != nil {
		r.close()
		return nil, err
	}
	return r, nil
}

// connect opens a connection of the import's own (its session settings stay its own). Fresh
// staging tables have no statistics; the planner's guesses would JIT-compile every check (a
// quarter of a second each) for work that takes milliseconds. Per-row geometry work
// (reprojection, validity, relates) dwarfs passing rows between processes: parallel workers
// should take it even when the rows are wide.
func connect(ctx context.Context, pool *pgxpool.Pool) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, pool.Config().ConnConfig.Copy())
	if err != nil {
		return nil, err
	}
	for _, set := range []string{`SET jit = off`, `SET work_mem = '128MB'`, `SET parallel_tuple_cost = 0.001`, `SET parallel_setup_cost = 10`} {
		if _, err := conn.Exec(ctx, set); err != nil {
			closeConn(conn)
			return nil, err
		}
	}
	return conn, nil
}

// closeConn closes a connection; an open transaction on it is rolled back by the server.
func closeConn(conn *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = conn.Close(ctx)
}

// commit drops the staging schema, runs the Commit hook and commits the import.
func (r *run) commit(ctx context.Context) error {
	if err := r.exec(ctx, sqlStmt("drop_staging_schema", r.schema)); err != nil {
		return err
	}
	if r.done != nil {
		if err := audit.Record(ctx, r.tx, *r.done); err != nil {
			return err
		}
	}
	if r.opt.Commit != nil {
		if err := r.opt.Commit(ctx, r.tx, r.rep); err != nil {
			return err
		}
	}
	if err := r.tx.Commit(ctx); err != nil {
		return err
	}
	r.tx = nil
	return nil
}

func (r *run) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if r.tx != nil {
		_ = r.tx.Rollback(ctx)
	}
	closeConn(r.conn)
}

// db is the import's transaction, for statements.
func (r *run) db() db { return db{q: r.tx, log: r.log} }

// exec runs a statement in the import's transaction.
func (r *run) exec(ctx context.Context, st stmt, args ...any) error {
	_, err := r.db().exec(ctx, st, args...)
	return err
}

// finish stamps the report and turns its status into the error the caller returns.
func finish(rep *Report, err error) (*Report, error) {
	rep.Seconds = time.Since(rep.StartedAt).Seconds()
	rep.sortLines()
	if err != nil {
		rep.Status = StatusFailed
		if rep.Reason == "" {
			rep.Reason = explain(err)
		}
		var ae *apperr.Error
		if errors.As(err, &ae) {
			return rep, err
		}
		return rep, apperr.Wrap(apperr.Internal, err, "import failed, nothing was written: %s", rep.Reason)
	}
	if rep.Status == StatusRejected {
		return rep, &apperr.Error{Code: apperr.Invalid, Detail: fmt.Sprintf("import rejected: %s; nothing was written", rep.Reason), Err: ErrRejected}
	}
	return rep, nil
}

// rejected finishes a run whose file has errors: the first error becomes the reason.
func (r *run) rejected() {
	r.rep.Status = StatusRejected
	if r.rep.Reason != "" {
		return
	}
	n := 0
	var first Line
	for _, l := range r.rep.Lines {
		if l.Severity == Error {
			if n == 0 {
				first = l
			}
			n++
		}
	}
	where := "the file"
	if first.Row > 0 {
		where = fmt.Sprintf("row %d (%s)", first.Row, first.Key)
	}
	r.rep.Reason = fmt.Sprintf("%d error(s), the first on %s: %s", n, where, first.Message)
}

// explain words an error for the report: database errors through postgis.Explain.
func explain(err error) string {
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return ae.Detail
	}
	if errors.Is(err, context.Canceled) {
		return "interrupted"
	}
	return postgis.Explain(err)
}

func sourceName(path string, opt Options) string {
	if opt.Source != "" {
		return opt.Source
	}
	return filepath.Base(path)
}

// staged is the opening every import shares: it opens the file (checked before GDAL reads it),
// begins the run and stages the rows. A nil run means there is nothing more to do: the file was
// rejected (err says why, as the report does) or holds no features. release closes what was
// opened; call it whatever staged returns.
func staged(ctx context.Context, pool *pgxpool.Pool, path string, opt Options, rep *Report) (r *run, cols []stageCol, release func(), err error) {
	opt.progress("reading %s", rep.File)
	src, err := openSource(ctx, pool, path, opt, rep)
	if err != nil {
		return nil, nil, func() {}, asRejection(rep, err)
	}
	if r, err = begin(ctx, pool, opt, rep); err != nil {
		src.cleanup()
		return nil, nil, func() {}, err
	}
	release = func() { r.close(); src.cleanup() }
	r.src = src
	cols, n, err := r.stage(ctx)
	if err != nil {
		return nil, nil, release, asRejection(rep, err)
	}
	rep.Rows = n
	if n == 0 {
		rep.reject("empty", fmt.Sprintf("%s holds no features: nothing to import", rep.File))
		return nil, nil, release, nil
	}
	return r, cols, release, nil
}
