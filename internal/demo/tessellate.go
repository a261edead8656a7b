package demo

import (
	"fmt"

	"github.com/jackc/pgx/v5"
)

// The PostGIS side of cutting an area into faces, shared by the villages and the parcels: the
// lines drawn in Go are loaded, noded and polygonized once, and faces without a seed go to a
// neighbour.

// execAll runs statements without parameters in order, up to the first that fails.
func (g *gen) execAll(stmts ...string) error {
	for _, sql := range stmts {
		if err := g.exec(sql); err != nil {
			return err
		}
	}
	return nil
}

// copyLines bulk-loads WKB linestrings (EPSG:4548) into table(geom).
func (g *gen) copyLines(table string, lines [][]byte) error {
	if err := g.exec(`CREATE TEMP TABLE d_wkb (i int, b bytea) ON COMMIT DROP`); err != nil {
		return err
	}
	if _, err := g.tx.CopyFrom(g.ctx, pgx.Identifier{"d_wkb"}, []string{"i", "b"}, pgx.CopyFromSlice(len(lines), func(i int) ([]any, error) {
		return []any{int32(i + 1), lines[i]}, nil
	})); err != nil {
		return err
	}
	if err := g.exec(`INSERT INTO ` + pgx.Identifier{table}.Sanitize() + ` (geom) SELECT ST_GeomFromWKB(b, 4548) FROM d_wkb ORDER BY i`); err != nil {
		return err
	}
	return g.exec(`DROP TABLE d_wkb`)
}

// polygonize nodes all lines of src once and polygonizes them into dst(fid, geom): faces whose
// neighbours share identical edges. Faces are numbered in the order PostGIS returns them.
func (g *gen) polygonize(src, dst string) error {
	return g.exec(`CREATE TEMP TABLE ` + pgx.Identifier{dst}.Sanitize() + ` ON COMMIT DROP AS
		SELECT d.fid::int AS fid, CASE WHEN ST_IsValid(d.geom) THEN d.geom ELSE ST_CollectionExtract(ST_MakeValid(d.geom), 3) END AS geom
		FROM (SELECT ST_Polygonize(n.geom) AS pg FROM (SELECT (ST_Dump(ST_UnaryUnion(ST_Collect(geom)))).geom FROM ` + pgx.Identifier{src}.Sanitize() + `) n) p,
		LATERAL ST_Dump(p.pg) WITH ORDINALITY AS d(path, geom, fid)`)
}

// mergeOrphans gives every face without a label the label of the neighbour it shares the
// longest boundary with (within the same village when sameCol is set), repeating until no
// orphan has a labelled neighbour left.
func (g *gen) mergeOrphans(table, sameCol string) error {
	t := pgx.Identifier{table}.Sanitize()
	same := ""
	if sameCol != "" {
		c := pgx.Identifier{sameCol}.Sanitize()
		same = " AND o." + c + " = f." + c
	}
	if err := g.exec(`CREATE INDEX ON ` + t + ` USING gist (geom)`); err != nil {
		return err
	}
	for iter := 0; iter < 50; iter++ {
		tag, err := g.tx.Exec(g.ctx, `WITH cand AS (
				SELECT o.fid, f.label, ST_Length(ST_CollectionExtract(ST_Intersection(o.geom, f.geom), 2)) AS len,
					ST_Distance(ST_PointOnSurface(o.geom), ST_PointOnSurface(f.geom)) AS d
				FROM `+t+` o JOIN `+t+` f ON o.geom && f.geom AND f.label IS NOT NULL AND ST_Intersects(o.geom, f.geom)`+same+`
				WHERE o.label IS NULL),
			best AS (SELECT DISTINCT ON (fid) fid, label FROM cand ORDER BY fid, len DESC, d, label)
			UPDATE `+t+` x SET label = best.label FROM best WHERE x.fid = best.fid`)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			break
		}
	}
	var left int
	if err := g.tx.QueryRow(g.ctx, `SELECT count(*) FROM `+t+` WHERE label IS NULL`).Scan(&left); err != nil {
		return err
	}
	if left > 0 {
		return fmt.Errorf("%d faces of %s could not be given to a neighbour", left, table)
	}
	return nil
}
