// Package overlay computes parcel × zone intersections with ellipsoidal areas, in PostGIS.
//
// Zones are split into pieces of at most pieceVertices vertices (ST_Subdivide) and the join is
// driven from the pieces: each piece finds its parcels through the parcels' GiST index. A parcel
// wholly inside a piece takes its own area (no intersection is computed); only parcels on a piece
// boundary are intersected. The planner's own choice on large tables is the other direction
// (parcels outer), several times slower; LATERAL pins the order.
package overlay

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// pieceVertices bounds the size of a zone piece.
const pieceVertices = 128

// DB is what the overlay needs: a transaction in practice, so that readers see the old overlays
// until the new ones commit.
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// overlaySQL inserts the overlaps of the current parcels that pass the first filter (on p) with
// the zone pieces that pass the second (on zp).
const overlaySQL = `
INSERT INTO parcel_zone_overlap (parcel_id, zone_id, overlap_m2, share)
SELECT x.parcel_id, x.zone_id, sum(x.m2), least(sum(x.m2) / max(x.area_m2), 1)
FROM zone_piece zp
CROSS JOIN LATERAL (
    SELECT p.id AS parcel_id, zp.zone_id, p.area_m2,
           CASE WHEN ST_CoveredBy(p.geom, zp.geom) THEN p.area_m2
                ELSE ST_Area(ST_Intersection(p.geom, zp.geom)::geography) END AS m2
    FROM parcel p
    WHERE p.geom && zp.geom AND p.valid_to IS NULL AND ST_Intersects(p.geom, zp.geom) %s
) x
WHERE true %s
GROUP BY x.parcel_id, x.zone_id
HAVING sum(x.m2) > 0.01`

// Split brings the pieces of the given zones (all zones when ids is nil) up to date: zones
// whose geometry changed since they were cut are cut again, the others are left alone. It
// reports whether any piece changed.
func Split(ctx context.Context, db DB, zoneIDs []int64) (bool, error) {
	delFilter, insFilter := "", ""
	delArgs, insArgs := []any{}, []any{pieceVertices}
	if zoneIDs != nil {
		delFilter, insFilter = " AND z.id = ANY($1)", " AND z.id = ANY($2)"
		delArgs, insArgs = append(delArgs, zoneIDs), append(insArgs, zoneIDs)
	}
	del, err := db.Exec(ctx, `DELETE FROM zone_piece zp USING zone z
		WHERE z.id = zp.zone_id AND zp.zone_md5 <> md5(ST_AsEWKB(z.geom))`+delFilter, delArgs...)
	if err != nil {
		return false, err
	}
	ins, err := db.Exec(ctx, `INSERT INTO zone_piece (zone_id, zone_md5, geom)
		SELECT z.id, md5(ST_AsEWKB(z.geom)), (ST_Dump(ST_Subdivide(z.geom, $1))).geom FROM zone z
		WHERE NOT EXISTS (SELECT 1 FROM zone_piece zp WHERE zp.zone_id = z.id)`+insFilter, insArgs...)
	if err != nil {
		return false, err
	}
	changed := del.RowsAffected() > 0 || ins.RowsAffected() > 0
	if changed {
		_, err = db.Exec(ctx, `ANALYZE zone_piece`)
	}
	return changed, err
}

// All recomputes the overlaps of every current parcel with every zone, pieces included, and
// returns the number of overlap rows.
func All(ctx context.Context, db DB) (int64, error) {
	if _, err := Split(ctx, db, nil); err != nil {
		return 0, fmt.Errorf("split zones: %w", err)
	}
	if _, err := db.Exec(ctx, `DELETE FROM parcel_zone_overlap o USING parcel p WHERE p.id = o.parcel_id AND p.valid_to IS NULL`); err != nil {
		return 0, err
	}
	tag, err := db.Exec(ctx, fmt.Sprintf(overlaySQL, "", ""))
	if err != nil {
		return 0, fmt.Errorf("overlay: %w", err)
	}
	_, err = db.Exec(ctx, `ANALYZE parcel_zone_overlap`)
	return tag.RowsAffected(), err
}

// Parcels recomputes the overlaps of the given parcel versions only.
func Parcels(ctx context.Context, db DB, parcelIDs []int64) (int64, error) {
	if _, err := db.Exec(ctx, `DELETE FROM parcel_zone_overlap WHERE parcel_id = ANY($1)`, parcelIDs); err != nil {
		return 0, err
	}
	tag, err := db.Exec(ctx, fmt.Sprintf(overlaySQL, "AND p.id = ANY($1)", ""), parcelIDs)
	if err != nil {
		return 0, fmt.Errorf("overlay: %w", err)
	}
	return tag.RowsAffected(), nil
}

// Zones re-splits the given zones and recomputes their overlaps with the current parcels.
func Zones(ctx context.Context, db DB, zoneIDs []int64) (int64, error) {
	if _, err := Split(ctx, db, zoneIDs); err != nil {
		return 0, fmt.Errorf("split zones: %w", err)
	}
	if _, err := db.Exec(ctx, `DELETE FROM parcel_zone_overlap o USING parcel p
		WHERE p.id = o.parcel_id AND p.valid_to IS NULL AND o.zone_id = ANY($1)`, zoneIDs); err != nil {
		return 0, err
	}
	tag, err := db.Exec(ctx, fmt.Sprintf(overlaySQL, "", "AND zp.zone_id = ANY($1)"), zoneIDs)
	if err != nil {
		return 0, fmt.Errorf("overlay: %w", err)
	}
	return tag.RowsAffected(), nil
}
