package features

import (
	"context"
	"strings"
)

// A parcel feature is stored, not built per request. What a parcel's feature carries that no
// request changes — its GeoJSON geometry in CRS84, its properties with the code labels, township
// and village names, computed areas and latest verdict, and the same with its zone overlaps — is
// kept in parcel_feature, one row per current parcel version (migrations 00037 and 00038).
//
// Every write that changes an input marks the parcels it touches as stale, in the database, by
// statement triggers: parcel versions (imports, case transfers, the demo), overlaps and verdicts
// (recompute), the latest county-wide recompute's policy version, code labels, township and
// village names, zones and protected areas. At commit, a deferred trigger rebuilds the stale
// features in the same transaction, so a reader sees the new feature exactly when it sees the
// change, and never a stale one. Requests only find rows and stream the stored text.
//
// The rebuild is the SQL of BuildSQL and StaleSQL, written into parcel_feature_build (migration
// 00037, redefined by 00040): when
// the properties change (a field added to the registry), a new migration redefines that function
// with the new BuildSQL (and StaleSQL) and rebuilds every feature; TestStoredBuildIsCurrent says when it is due.

// storedFrom joins each current parcel to its stored feature; admin_unit is only read by the
// township filter (PostgreSQL drops the join otherwise).
const storedFrom = `parcel p
JOIN parcel_feature f ON f.parcel_id = p.id
LEFT JOIN admin_unit tw ON tw.code = p.township_code`

// storedEligible filters by the stored latest verdict.
const storedEligible = "f.eligible = %s"

// storedSQL is the query of a stored collection: the same rows, order and text as the built one.
func storedSQL(c *Collection, where []string, zones bool, crs CRS, limit int, a args) (string, []any) {
	geom := "f.geometry"
	if crs != CRS84 {
		geom = geomExpr("p.geom", crs)
	}
	props := "f.properties"
	if zones {
		props = "f.properties_zones"
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

// Drift counts the current parcels whose stored feature is missing or differs from the one the
// data builds now, plus stored features of parcels no longer current: 0 when the stored form is
// up to date.
func Drift(ctx context.Context, db Querier) (int64, error) {
	var n int64
	rows, err := db.Query(ctx, `WITH b(parcel_id, inputs, eligible, geometry, properties, properties_zones) AS (`+BuildSQL()+`)
SELECT (SELECT count(*) FROM b FULL JOIN parcel_feature f USING (parcel_id)
	WHERE (b.eligible, b.geometry, b.properties, b.properties_zones) IS DISTINCT FROM (f.eligible, f.geometry, f.properties, f.properties_zones))`, nil)
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
