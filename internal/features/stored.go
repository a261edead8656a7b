package features

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wuyuan-forestry/ecocomp/internal/postgis"
)

// A parcel feature is stored, not built per request. What a parcel's feature carries that no
// request changes — its GeoJSON geometry in CRS84, its properties with the code labels, township
// and village names, computed areas and latest verdict, and the same with its zone overlaps — is
// kept in parcel_feature, one row per current parcel version (migrations 00037 and 00038).
//
// Every write that changes an input marks the parcels it touches as stale, in the database, by
// statement triggers: parcel versions (imports, case transfers, the demo), overlaps and verdicts
// (recompute), the latest county-wide recompute's policy version, code labels, township and
// village names, zones and protected areas. At commit, a deferred trigger compares what it
// marked with the fingerprint each stored feature was built from and, in the same transaction,
// either rebuilds the changed features (up to 2,000 of them, ecocomp.feature_sync_max) or, for a
// large write (an import, a county-wide recompute, a relabelling), deletes them and queues them
// in parcel_feature_queue (migration 00041). The server's builder (Keep, Drain) builds the queue
// after the commit, in batches. A reader never sees a stale feature: a parcel without a stored
// one is built by the reading query itself (parcel_feature_rows, the same build), so a change is
// visible exactly when the write that caused it commits, and only its speed waits for the
// builder. While the server's builder may have features queued (Builder.Busy), its pages and
// exports build every feature in their query instead (Shape.Built), as before stored features:
// one set-based build beats building each queued feature apart. An import thus pays at commit
// for a fingerprint check and a queue insert instead of building 100,000 features.
//
// The rebuild is the SQL of BuildSQL and StaleSQL, written into parcel_feature_build (migration
// 00037, redefined by 00040), parcel_feature_rows and parcel_feature_refresh (00041): when
// the properties change (a field added to the registry), a new migration redefines them
// with the new BuildSQL (and StaleSQL) and rebuilds every feature; TestStoredBuildIsCurrent says when it is due.

// storedFrom joins each current parcel to its stored feature, if it has one (a large write's
// features are queued for the builder, see Drain); admin_unit is only read by the township
// filter (PostgreSQL drops the join otherwise).
const storedFrom = `parcel p
LEFT JOIN parcel_feature f ON f.parcel_id = p.id
LEFT JOIN admin_unit tw ON tw.code = p.township_code`

// stored is a column of the parcel's stored feature, or of the one built now, by
// parcel_feature_rows (BuildSQL), when its feature is queued.
func stored(col string) string {
	return "CASE WHEN f.parcel_id IS NULL THEN (SELECT b." + col + " FROM parcel_feature_rows(ARRAY[p.id]) b) ELSE f." + col + " END"
}

// storedEligible filters by the stored latest verdict.
var storedEligible = "(" + stored("eligible") + ") = %s"

// storedSQL is the query of a stored collection: the same rows, order and text as the built one.
func storedSQL(c *Collection, where []string, zones bool, crs CRS, limit int, a args) (string, []any) {
	geom := "coalesce(f.geometry, " + geomExpr("p.geom", CRS84) + ")"
	if crs != CRS84 {
		geom = geomExpr("p.geom", crs)
	}
	props := stored("properties")
	if zones {
		props = stored("properties_zones")
	}
	q := `SELECT ` + c.key + `::text, '{"type":"Feature","id":' || to_json(` + c.key + `::text)::text
	|| ',"geometry":' || ` + geom + ` || ',"properties":' || ` + props + ` || '}'
FROM ` + storedFrom + `
WHERE ` + strings.Join(where, "\n  AND ") + `
ORDER BY ` + c.key
	if limit > 0 {
		q += "\nLIMIT " + a.add(limit)
	}
	return q, a
}

// BuildSQL is the query that builds the stored form of the current parcels whose ids are in
// the bigint[] $1 (every current parcel when $1 is NULL): rows of (parcel_id, inputs, eligible,
// geometry, properties, properties_zones) as parcel_feature holds them.
func BuildSQL() string {
	c := Parcels
	// The properties are built once (OFFSET 0 keeps PostgreSQL from copying the expression into
	// both uses) and written twice: as they are, and with the zone list, as the query building
	// them per request wrote them.
	return `WITH d AS (SELECT jsonb_object_agg(scheme || '|' || field || '|' || code, label_zh) AS m FROM code_dictionary)
SELECT p.id, ` + inputsSQL + `, el.eligible, ` + geomExpr("p.geom", CRS84) + `,
	` + withExtra("x.j", c.extra) + `,
	` + withExtra("(x.j::jsonb || jsonb_build_object('zones', "+c.zones+"))", c.extra) + `
FROM ` + c.from + `
CROSS JOIN LATERAL (SELECT ` + c.props + ` AS j OFFSET 0) x
WHERE ` + c.current + ` AND ($1::bigint[] IS NULL OR p.id = ANY($1::bigint[]))`
}

// RowsSQL is BuildSQL for the parcels whose ids are in the bigint[] $1, never all of them: the
// body of parcel_feature_rows, which a reader calls once per queued parcel. Its plan is generic
// (kept for the session), and BuildSQL's "$1 IS NULL OR" would make that plan scan every parcel
// per call.
func RowsSQL() string {
	return strings.Replace(BuildSQL(), "($1::bigint[] IS NULL OR p.id = ANY($1::bigint[]))", "p.id = ANY($1::bigint[])", 1)
}

// StaleSQL is the query of the parcels among the same ones as BuildSQL whose feature is due:
// rows of (parcel_id) for those with no stored fingerprint (in parcel_feature_input), whose
// fingerprint is not computed (a new parcel version is always built, so an import of new
// parcels fingerprints each once, in the build), and those whose fingerprint differs from the
// stored one. A stale parcel whose fingerprint matches keeps its feature: a recompute that
// changed nothing rebuilds nothing.
func StaleSQL() string {
	return `SELECT p.id
FROM parcel p
LEFT JOIN parcel_feature_input f ON f.parcel_id = p.id
LEFT JOIN parcel_eligibility el ON el.parcel_id = p.id AND el.policy_version_id = (SELECT policy_version_id FROM recompute_run WHERE scope = 'all' ORDER BY id DESC LIMIT 1)
WHERE p.valid_to IS NULL AND ($1::bigint[] IS NULL OR p.id = ANY($1::bigint[]))
  AND (f.inputs IS NULL OR f.inputs <> ` + inputsSQL + `)`
}

// inputsSQL fingerprints what a feature is built from, besides labels and names (whose changes
// rebuild every feature): the parcel row version, the latest verdict and the overlaps.
const inputsSQL = `concat_ws('|', p.xmin::text, el.eligible, el.status, el.priority,
	(SELECT string_agg(o.zone_id || ':' || o.overlap_m2 || ':' || o.share, ',' ORDER BY o.zone_id) FROM parcel_zone_overlap o WHERE o.parcel_id = p.id))`

// Rebuild builds the stored feature of every current parcel again and drops those of parcels no
// longer current, in db's transaction (if any): for a repair, or after a migration redefined the
// build. It reports how many features it wrote.
func Rebuild(ctx context.Context, db Querier) (int64, error) {
	var n int64
	rows, err := db.Query(ctx, `SELECT parcel_feature_build(NULL, true)`)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(&n); err != nil {
			return 0, err
		}
	}
	return n, rows.Err()
}

// Drift counts the current parcels whose stored feature differs from the one the data builds
// now or is missing without being queued, plus stored features of parcels no longer current: 0
// when the stored form is up to date (queued features are the builder's work, not drift).
func Drift(ctx context.Context, db Querier) (int64, error) {
	var n int64
	rows, err := db.Query(ctx, `WITH b(parcel_id, inputs, eligible, geometry, properties, properties_zones) AS (`+BuildSQL()+`)
SELECT (SELECT count(*) FROM b FULL JOIN parcel_feature f USING (parcel_id)
	WHERE (b.eligible, b.geometry, b.properties, b.properties_zones) IS DISTINCT FROM (f.eligible, f.geometry, f.properties, f.properties_zones)
	  AND NOT (f.parcel_id IS NULL AND EXISTS (SELECT 1 FROM parcel_feature_queue q WHERE q.parcel_id = b.parcel_id)))`, nil)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(&n); err != nil {
			return 0, err
		}
	}
	return n, rows.Err()
}

// FeatureChannel is the NOTIFY channel on which a write that queued features says how many.
const FeatureChannel = "ecocomp_feature"

// FeatureLock is the advisory lock a writer's commit-time rebuild and each builder batch hold
// (migration 00041), so that a batch never stores a feature built from data a writer changed
// and committed during the batch.
const FeatureLock = 7318180001

// DrainBatch is how many queued features one builder transaction builds: about half a second
// of work, the longest a writer's commit waits for the builder.
const DrainBatch = 2000

// Drain builds the queued features, DrainBatch at a time, each batch in its own transaction
// under the writers' lock, until the queue is empty; then it drops the stored features of parcel
// versions no longer current. It returns how many features it wrote. Builders on several
// connections (two servers) share the work safely.
func Drain(ctx context.Context, pool *pgxpool.Pool) (int64, error) {
	var total int64
	for {
		var n, built int64
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, FeatureLock); err != nil {
				return err
			}
			return tx.QueryRow(ctx, `WITH q AS (DELETE FROM parcel_feature_queue WHERE parcel_id IN
	(SELECT parcel_id FROM parcel_feature_queue ORDER BY parcel_id LIMIT $1) RETURNING parcel_id)
SELECT count(*), coalesce(parcel_feature_build(coalesce(array_agg(parcel_id), '{}'), true), 0) FROM q`, DrainBatch).Scan(&n, &built)
		})
		if err != nil {
			return total, err
		}
		total += built
		if n == 0 {
			break
		}
	}
	if total == 0 {
		return 0, nil
	}
	// The features of parcel versions a bulk write retired (its commit left them to the builder).
	return total, pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, FeatureLock); err != nil {
			return err
		}
		for _, table := range []string{"parcel_feature", "parcel_feature_input"} {
			if _, err := tx.Exec(ctx, `DELETE FROM `+table+` f
WHERE NOT EXISTS (SELECT 1 FROM parcel p WHERE p.id = f.parcel_id AND p.valid_to IS NULL)`); err != nil {
				return err
			}
		}
		return nil
	})
}

// Builder is the server's builder of queued features.
type Builder struct {
	notices atomic.Uint64 // notices of queued features received (and listener reconnections)
	drained atomic.Uint64 // 1 + the notices counted when the last drain that emptied the queue began
}

// Busy says features may be queued: from the builder's start until its first drain, and from
// a write's notice until a drain begun after it ends. Readers of many parcels then build them
// in their query (Shape.Built); either way they see current features.
func (b *Builder) Busy() bool { return b.drained.Load() != b.notices.Load()+1 }

// Keep drains the queue when it starts, whenever a write says it queued features, and every
// few minutes in case a notice was missed, until ctx ends.
func (b *Builder) Keep(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) {
	kick := make(chan struct{}, 1)
	go postgis.ListenOn(ctx, pool, log, FeatureChannel, func(string) {
		b.notices.Add(1)
		select {
		case kick <- struct{}{}:
		default:
		}
	})
	tick := time.NewTicker(5 * time.Minute)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-kick:
		case <-tick.C:
		}
		start, seen := time.Now(), b.notices.Load()
		n, err := Drain(ctx, pool)
		if err == nil {
			b.drained.Store(seen + 1)
		}
		switch {
		case err != nil && !errors.Is(err, context.Canceled):
			log.Error("building queued parcel features failed; retrying at the next notice", "err", err)
		case n > 0:
			log.Info("queued parcel features built", "features", n, "seconds", time.Since(start).Seconds())
		}
	}
}
