package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/jackc/pgx/v5"
)

// The staged rows of both kinds of import live in ingest_src (row, key, county, g0, geom_error,
// state, g …); findings go to ingest_issue and end up as report lines.
const issueDDL = `CREATE UNLOGGED TABLE ingest_issue (
	row integer NOT NULL, key text, severity text NOT NULL, check_id text NOT NULL, message text NOT NULL,
	area_m2 double precision, other_row integer, other_key text)`

// geomParse is how a staged hex EWKB becomes a geometry in EPSG:4490: a cast and ST_Transform,
// or, when some geometry cannot be read or reprojected, a function that answers NULL (and the
// reason) for that row alone.
type geomParse struct{ expr, errExpr string }

var (
	parseFast = geomParse{expr: `ST_Transform(s._geom::geometry, 4490)`, errExpr: `NULL::text`}
	parseSafe = geomParse{expr: `pg_temp.ingest_geom(s._geom)`,
		errExpr: `CASE WHEN g0 IS NULL AND s._geom IS NOT NULL THEN pg_temp.ingest_geom_error(s._geom) END`}
)

const safeParseFuncs = `
CREATE OR REPLACE FUNCTION pg_temp.ingest_geom(h text) RETURNS geometry LANGUAGE plpgsql AS $$
BEGIN
	RETURN ST_Transform(h::geometry, 4490);
EXCEPTION WHEN others THEN
	RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION pg_temp.ingest_geom_error(h text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	PERFORM ST_Transform(h::geometry, 4490);
	RETURN NULL;
EXCEPTION WHEN others THEN
	RETURN SQLERRM;
END $$;`

// srcSQL builds ingest_src from the attribute select list of a kind of import (over from, aliased
// s and carrying the staged _geom; it produces the columns cols) and the geometry: g0 is parsed
// and reprojected once per row (a function in FROM is evaluated once, where an expression would
// be copied into every use), valid likewise; state is missing, unreadable, empty, type, range
// (outside China: a wrong CRS), invalid or ok; g is the MultiPolygon of the ok rows (repaired rows
// get theirs later) and g0 stays for the others. No subquery fences: parallel workers do the work.
func srcSQL(from, attrs string, cols []string, p geomParse) string {
	list := ""
	for _, c := range cols {
		list += c + ", "
	}
	state := `CASE WHEN g0 IS NULL AND geom_error IS NOT NULL THEN 'unreadable'
		     WHEN g0 IS NULL THEN 'missing'
		     WHEN ST_IsEmpty(g0) THEN 'empty'
		     WHEN ST_GeometryType(g0) NOT IN ('ST_Polygon', 'ST_MultiPolygon') THEN 'type'
		     WHEN ST_XMin(g0) < 73 OR ST_XMax(g0) > 136 OR ST_YMin(g0) < 3 OR ST_YMax(g0) > 54 THEN 'range'
		     WHEN valid THEN 'ok'
		     ELSE 'invalid' END`
	return `CREATE UNLOGGED TABLE ingest_src AS
SELECT ` + list + `geom_error, ` + state + ` AS state,
	CASE WHEN (` + state + `) <> 'ok' THEN g0 END AS g0,
	CASE WHEN (` + state + `) = 'ok' THEN ST_Multi(g0) END::geometry(MultiPolygon, 4490) AS g
FROM (SELECT ` + attrs + `, g0, ` + p.errExpr + ` AS geom_error, valid
	FROM ` + from + ` s
	CROSS JOIN LATERAL ` + p.expr + ` AS g0
	CROSS JOIN LATERAL ST_IsValid(g0) AS valid) x`
}

// createSrc builds ingest_src, retrying with the row-by-row parse when a geometry is unreadable.
func (r *run) createSrc(ctx context.Context, from, attrs string, cols []string, args ...any) error {
	sp, err := r.tx.Begin(ctx)
	if err != nil {
		return err
	}
	_, err = sp.Exec(ctx, srcSQL(from, attrs, cols, parseFast), args...)
	if err == nil {
		return sp.Commit(ctx)
	}
	if rerr := sp.Rollback(ctx); rerr != nil {
		return rerr
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err := r.exec(ctx, safeParseFuncs); err != nil {
		return err
	}
	return r.exec(ctx, srcSQL(from, attrs, cols, parseSafe), args...)
}

// checkGeometry reports the rows without a usable polygon and repairs invalid ones with
// ST_MakeValid when the repair keeps the area (within RepairAreaShare), else rejects them.
func (r *run) checkGeometry(ctx context.Context) error {
	if err := r.exec(ctx, `INSERT INTO ingest_issue (row, key, severity, check_id, message)
SELECT row, key, 'error', 'geometry', CASE state
	WHEN 'missing' THEN 'no geometry'
	WHEN 'unreadable' THEN 'the geometry cannot be read: ' || geom_error
	WHEN 'empty' THEN 'empty geometry'
	WHEN 'range' THEN format('the coordinates lie outside China after reprojection (longitude %s to %s, latitude %s to %s): is the CRS right? A file without one is read as degrees; give --srid',
		round(ST_XMin(g0)::numeric, 3), round(ST_XMax(g0)::numeric, 3), round(ST_YMin(g0)::numeric, 3), round(ST_YMax(g0)::numeric, 3))
	ELSE format('the geometry is a %s, not a polygon', replace(ST_GeometryType(g0), 'ST_', '')) END
FROM ingest_src WHERE state IN ('missing', 'unreadable', 'empty', 'type', 'range')`); err != nil {
		return err
	}
	if err := r.exec(ctx, `CREATE UNLOGGED TABLE ingest_repair AS
SELECT x.row, x.key, x.reason, x.fixed, ST_Area(ST_Transform(x.g0, 4548)) AS a0,
	CASE WHEN x.fixed IS NOT NULL AND NOT ST_IsEmpty(x.fixed) AND ST_IsValid(x.fixed) THEN ST_Area(ST_Transform(x.fixed, 4548)) END AS a1
FROM (SELECT row, key, g0, ST_IsValidReason(g0) AS reason,
	ST_Multi(ST_CollectionExtract(ST_MakeValid(g0), 3))::geometry(MultiPolygon, 4490) AS fixed
	FROM ingest_src WHERE state = 'invalid' OFFSET 0) x`); err != nil {
		return err
	}
	if err := r.exec(ctx, `INSERT INTO ingest_issue (row, key, severity, check_id, message, area_m2)
SELECT row, key,
	CASE WHEN kept THEN 'warning' ELSE 'error' END,
	CASE WHEN kept THEN 'repaired' ELSE 'invalid_geometry' END,
	CASE WHEN kept THEN format('invalid geometry (%s) repaired with ST_MakeValid; planar area %s m² before, %s m² after (%s %% kept)',
	                           reason, round(a0::numeric, 1), round(a1::numeric, 1), round((100 * a1 / a0)::numeric, 3))
	     WHEN a1 IS NULL THEN format('invalid geometry (%s) that ST_MakeValid cannot turn into a polygon; fix it in the GIS', reason)
	     ELSE format('invalid geometry (%s): the repair would change the planar area from %s m² to %s m², more than %s %%; fix it in the GIS',
	                 reason, round(a0::numeric, 1), round(a1::numeric, 1), $1::numeric * 100) END,
	a1
FROM (SELECT *, a1 IS NOT NULL AND a0 > 0 AND abs(a1 - a0) <= $1 * a0 AS kept FROM ingest_repair) x`, r.tol.RepairAreaShare); err != nil {
		return err
	}
	if err := r.exec(ctx, `UPDATE ingest_src s SET g = x.fixed, state = 'repaired'
FROM ingest_repair x WHERE x.row = s.row AND x.a1 IS NOT NULL AND x.a0 > 0 AND abs(x.a1 - x.a0) <= $1 * x.a0`, r.tol.RepairAreaShare); err != nil {
		return err
	}
	if r.src.ringFix {
		rows, err := unclosedRows(r.src)
		if err != nil || len(rows) == 0 {
			r.rep.add(Line{Severity: Warning, Check: "ring_not_closed",
				Message: "the reader found rings that were not closed and closed them by repeating their first point"})
		} else if err := r.exec(ctx, `INSERT INTO ingest_issue (row, key, severity, check_id, message)
SELECT row, key, 'warning', 'ring_not_closed', 'a ring was not closed; it was closed by repeating its first point'
FROM ingest_src WHERE row = ANY($1)`, rows); err != nil {
			return err
		}
	}
	return nil
}

// checkPlacement reports rows reaching outside their county (county = '*': any county) further
// than OutsideM: errors when most of the row is outside, warnings otherwise.
func (r *run) checkPlacement(ctx context.Context, countyCodes []string) error {
	if err := r.exec(ctx, `CREATE UNLOGGED TABLE ingest_county AS
SELECT CASE WHEN $1::text[] IS NULL THEN '*' ELSE code END AS code, geom,
	ST_Transform(ST_Buffer(ST_Transform(geom, 4548), $2), 4490) AS buf
FROM (SELECT code, geom FROM admin_unit WHERE level = 'county' AND code = ANY($1)
      UNION ALL
      SELECT '*', ST_Multi(ST_Union(geom)) FROM admin_unit WHERE level = 'county' AND $1::text[] IS NULL HAVING count(*) > 0) c`,
		countyCodes, r.tol.OutsideM); err != nil {
		return err
	}
	var missing []string
	if countyCodes != nil {
		if err := r.tx.QueryRow(ctx, `SELECT coalesce(array_agg(c ORDER BY c), '{}') FROM unnest($1::text[]) c
			WHERE NOT EXISTS (SELECT 1 FROM ingest_county k WHERE k.code = c)`, countyCodes).Scan(&missing); err != nil {
			return err
		}
		if len(missing) > 0 {
			r.rep.note("county %s is not loaded (ecocomp seed demo --parcels 0 loads 婺源县); rows there were not checked against a county outline", strings.Join(missing, ", "))
		}
	} else {
		var n int
		if err := r.tx.QueryRow(ctx, `SELECT count(*) FROM ingest_county`).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			r.rep.note("no county is loaded; the zones were not checked against a county outline")
		}
	}
	// The scan is the work and the findings are few: CREATE TABLE AS lets parallel workers scan.
	if err := r.exec(ctx, `CREATE UNLOGGED TABLE ingest_outside AS
SELECT s.row, s.key, c.code, ST_Area(s.g::geography) AS total, ST_Area(ST_Difference(s.g, c.geom)::geography) AS outside
FROM ingest_src s JOIN ingest_county c ON c.code = s.county
WHERE s.g IS NOT NULL AND NOT ST_Covers(c.buf, s.g)`); err != nil {
		return err
	}
	return r.exec(ctx, `INSERT INTO ingest_issue (row, key, severity, check_id, message, area_m2)
SELECT row, key, CASE WHEN outside > 0.5 * total THEN 'error' ELSE 'warning' END,
	'outside_county',
	format('%s m² (%s %%) lies outside county %s, beyond the %s m tolerance%s', round(outside::numeric, 1),
		round((100 * outside / nullif(total, 0))::numeric, 2), code, $1::numeric,
		CASE WHEN outside > 0.5 * total THEN ' (is the CRS right?)' ELSE '' END),
	outside
FROM ingest_outside`, r.tol.OutsideM)
}

// maxCoverPoints bounds the memory of the edge cover (about 30 bytes a point: 600 MB, some
// 500,000 parcels of a survey).
const maxCoverPoints = 20_000_000

// coverResult is what the edge cover found: the rows it read and those it did not match (ok:
// it could read the stream).
type coverResult struct {
	rows      int
	unmatched []int32
	ok        bool
}

// overlapCheck reports pairs of rows whose interiors overlap by more than OverlapM2 (ellipsoidal
// m²), one line per pair on the first row. It is the costliest check (a relate for every pair of
// neighbours, 300,000 in a county) and runs on a connection of its own while the import goes on:
// the merge inserts in one process and leaves a core idle. The usable geometries are copied there
// (binary COPY, a fraction of a second); its tables live in a schema created in its own
// transaction, which it rolls back, so a killed import leaves nothing there either.
type overlapCheck struct {
	cancel context.CancelFunc
	done   chan struct{}
	lines  []Line
	err    error
	// What the edge cover (coverage.go) spared: rows copied, rows not matched edge for edge
	// (-1: the cover was not used), and whether every pair had to be related after all.
	rows, unmatched int
	full            bool
}

// startOverlaps starts the overlap check on the rows of ingest_src as they are now (after the
// repairs). sameGroup, when set, is an SQL condition on a and b under which an overlap is allowed
// (zones of the same kind and site are merged); groupCols are the columns it reads. Without it,
// the edge cover spares the relates of rows that share their boundaries vertex for vertex.
func (r *run) startOverlaps(ctx context.Context, sameGroup string, groupCols ...string) (*overlapCheck, error) {
	cctx, cancel := context.WithCancel(ctx)
	o := &overlapCheck{cancel: cancel, done: make(chan struct{}), unmatched: -1}
	conn, err := connect(cctx, r.pool)
	if err != nil {
		cancel()
		return nil, err
	}
	abort := func(err error) (*overlapCheck, error) {
		cancel()
		closeConn(conn)
		return nil, err
	}
	// One parallel worker: with this connection's own process that is both cores, which the
	// import's single-process insert then shares with it instead of being crowded out by three.
	if _, err := conn.Exec(cctx, `SET max_parallel_workers_per_gather = 1`); err != nil {
		return abort(err)
	}
	tx, err := conn.Begin(cctx)
	if err != nil {
		return abort(err)
	}
	schema := pgx.Identifier{fmt.Sprintf("ecocomp_import_%d", conn.PgConn().PID())}.Sanitize()
	if _, err := tx.Exec(cctx, `CREATE SCHEMA `+schema); err != nil {
		return abort(err)
	}
	if _, err := tx.Exec(cctx, `SELECT set_config('search_path', $1 || ', ' || current_setting('search_path'), true)`, schema); err != nil {
		return abort(err)
	}
	// The same columns, of the same types, under the same names: the check reads as it would here.
	cols := append([]string{"row", "key", "g"}, groupCols...)
	types := map[string]string{}
	rows, err := r.tx.Query(ctx, `SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
		WHERE attrelid = 'ingest_src'::regclass AND attname = ANY($1) AND attnum > 0`, cols)
	if err != nil {
		return abort(err)
	}
	for rows.Next() {
		var n, t string
		if err := rows.Scan(&n, &t); err != nil {
			rows.Close()
			return abort(err)
		}
		types[n] = t
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return abort(err)
	}
	ddl := make([]string, len(cols))
	for i, c := range cols {
		ddl[i] = pgx.Identifier{c}.Sanitize() + " " + types[c]
	}
	// The edge cover (coverage.go) serves plain overlap checks; it holds about 30 bytes a point
	// (the stream and a reference per segment), so a file of several counties gets every pair
	// related instead. matched: the cover matched the row; rows it did not are set false.
	useCover := sameGroup == ""
	var n, points int64
	if useCover {
		if err := r.tx.QueryRow(ctx, `SELECT count(*), coalesce(sum(ST_NPoints(g)), 0) FROM ingest_src WHERE g IS NOT NULL`).Scan(&n, &points); err != nil {
			return abort(err)
		}
		useCover = points <= maxCoverPoints
	}
	ddl = append(ddl, fmt.Sprintf("matched boolean NOT NULL DEFAULT %t", useCover))
	if _, err := tx.Exec(cctx, `CREATE UNLOGGED TABLE ingest_src (`+strings.Join(ddl, ", ")+`)`); err != nil {
		return abort(err)
	}
	// Rings are sent oriented interior-left, as the edge cover reads them (the same polygons).
	sel := make([]string, len(cols))
	for i, c := range cols {
		sel[i] = c
		if c == "g" {
			sel[i] = "ST_ForcePolygonCCW(g) AS g"
		}
	}
	list := strings.Join(cols, ", ")
	pr, pw := io.Pipe()
	copied := make(chan error, 1)
	go func() {
		_, err := conn.PgConn().CopyFrom(cctx, pr, `COPY ingest_src (`+list+`) FROM STDIN (FORMAT binary)`)
		pr.CloseWithError(errors.New("the overlap check stopped reading"))
		copied <- err
	}()
	// The edge cover reads its own copy of the stream once the transfer is done, on a core of its
	// own, while this connection gets on with the import and that one builds its index.
	var to io.Writer = pw
	var stream bytes.Buffer
	if useCover {
		stream.Grow(int(16*points + 128*n + 64)) // 16 bytes a point, a little for each row
		to = io.MultiWriter(pw, &stream)
	}
	_, err = r.conn.PgConn().CopyTo(ctx, to, `COPY (SELECT `+strings.Join(sel, ", ")+` FROM ingest_src WHERE g IS NOT NULL) TO STDOUT (FORMAT binary)`)
	pw.CloseWithError(err)
	if cerr := <-copied; err == nil {
		err = cerr
	}
	if err != nil {
		return abort(err)
	}
	var covered chan coverResult
	if useCover {
		covered = make(chan coverResult, 1)
		go func() {
			geoms, err := copyGeometries(stream.Bytes(), 2)
			covered <- coverResult{rows: len(geoms), unmatched: unmatchedRows(geoms), ok: err == nil}
		}()
	}
	go func() {
		defer close(o.done)
		defer closeConn(conn)
		o.lines, o.err = r.overlaps(cctx, tx, sameGroup, covered, o)
	}()
	return o, nil
}

// overlaps runs the check on the copied rows: first the pairs with a row the edge cover did not
// match, and only when one of those overlaps at all, every pair.
func (r *run) overlaps(ctx context.Context, tx pgx.Tx, sameGroup string, covered <-chan coverResult, o *overlapCheck) ([]Line, error) {
	if _, err := tx.Exec(ctx, `CREATE INDEX ON ingest_src USING gist (g)`); err != nil {
		return nil, err
	}
	o.full = true
	if covered != nil {
		// A stream the cover cannot read (it should read any) leaves every pair to the relates.
		c := <-covered
		o.rows = c.rows
		if c.ok {
			o.unmatched = len(c.unmatched)
			if _, err := tx.Exec(ctx, `UPDATE ingest_src SET matched = false WHERE row = ANY($1)`, c.unmatched); err != nil {
				return nil, err
			}
		}
	}
	if o.unmatched >= 0 {
		var overlap bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM ingest_src u JOIN ingest_src b ON u.g && b.g AND u.row <> b.row
			WHERE NOT u.matched AND (b.matched OR u.row < b.row) AND ST_Relate(u.g, b.g, 'T********'))`).Scan(&overlap); err != nil {
			return nil, err
		}
		if !overlap {
			o.full = false
			return nil, nil
		}
	}
	skip := ""
	if sameGroup != "" {
		skip = " AND NOT (" + sameGroup + ")"
	}
	// Parallel workers run the relates (a county has three or four neighbour pairs per parcel).
	if _, err := tx.Exec(ctx, `CREATE UNLOGGED TABLE ingest_overlap AS
SELECT a.row AS arow, a.key AS akey, b.row AS brow, b.key AS bkey, ST_Area(ST_Intersection(a.g, b.g)::geography) AS m2
FROM ingest_src a JOIN ingest_src b ON a.g && b.g AND a.row < b.row`+skip+`
WHERE ST_Relate(a.g, b.g, 'T********')`); err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, `SELECT arow, akey, brow, bkey, m2,
	format('overlaps row %s (%s) by %s m²', brow, bkey, round(m2::numeric, 1))
FROM ingest_overlap WHERE m2 > $1 ORDER BY arow, brow`, r.tol.OverlapM2)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var lines []Line
	for rows.Next() {
		l := Line{Severity: Error, Check: "overlap"}
		var m2 float64
		if err := rows.Scan(&l.Row, &l.Key, &l.OtherRow, &l.OtherKey, &m2, &l.Message); err != nil {
			return nil, err
		}
		l.AreaM2 = &m2
		lines = append(lines, l)
	}
	return lines, rows.Err()
}

// waitOverlaps adds the check's findings to the report once it is done.
func (r *run) waitOverlaps(o *overlapCheck) error {
	<-o.done
	o.cancel()
	if o.err != nil {
		return fmt.Errorf("overlap check: %w", o.err)
	}
	switch {
	case o.unmatched < 0:
		r.opt.progress("overlap check: every pair of neighbours related")
	case o.full:
		r.opt.progress("overlap check: %d of %d rows not matched edge for edge, and one of them overlaps: every pair related", o.unmatched, o.rows)
	default:
		r.opt.progress("overlap check: %d of %d rows not matched edge for edge; their pairs related, no overlap", o.unmatched, o.rows)
	}
	for _, l := range o.lines {
		r.rep.add(l)
	}
	o.lines = nil
	return nil
}

// stop ends the check if it still runs (an import that failed or was rejected before it).
func (o *overlapCheck) stop() {
	o.cancel()
	<-o.done
}

// collectIssues moves the findings into the report.
func (r *run) collectIssues(ctx context.Context) error {
	rows, err := r.tx.Query(ctx, `SELECT row, coalesce(key, ''), severity, check_id, message, area_m2, coalesce(other_row, 0), coalesce(other_key, '')
		FROM ingest_issue ORDER BY row, check_id, other_row`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var l Line
		if err := rows.Scan(&l.Row, &l.Key, &l.Severity, &l.Check, &l.Message, &l.AreaM2, &l.OtherRow, &l.OtherKey); err != nil {
			return err
		}
		r.rep.add(l)
	}
	return rows.Err()
}

// unclosedRows finds, in a GeoJSON file, the 1-based positions of the features with a ring whose
// last point is not its first (GDAL closes such rings and only says that it did).
func unclosedRows(s *source) ([]int, error) {
	if s.driver != "GeoJSON" || s.local == "" {
		return nil, nil
	}
	f, err := os.Open(s.local)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	// Walk to the "features" array of the top-level object.
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case json.Delim:
			if t == '{' || t == '[' {
				depth++
			} else {
				depth--
			}
		case string:
			if depth == 1 && t == "features" {
				if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
					return nil, errors.New("features is not an array")
				}
				var out []int
				for n := 1; dec.More(); n++ {
					var feat struct {
						Geometry struct {
							Type        string          `json:"type"`
							Coordinates json.RawMessage `json:"coordinates"`
						} `json:"geometry"`
					}
					if err := dec.Decode(&feat); err != nil {
						return nil, err
					}
					if unclosed(feat.Geometry.Type, feat.Geometry.Coordinates) {
						out = append(out, n)
					}
				}
				return out, nil
			} else if depth == 1 {
				var skip json.RawMessage
				if err := dec.Decode(&skip); err != nil {
					return nil, err
				}
			}
		}
		if depth == 0 {
			return nil, io.EOF
		}
	}
}

func unclosed(typ string, coords json.RawMessage) bool {
	var rings [][][]float64
	switch typ {
	case "Polygon":
		if json.Unmarshal(coords, &rings) != nil {
			return false
		}
	case "MultiPolygon":
		var polys [][][][]float64
		if json.Unmarshal(coords, &polys) != nil {
			return false
		}
		for _, p := range polys {
			rings = append(rings, p...)
		}
	default:
		return false
	}
	for _, ring := range rings {
		if len(ring) == 0 {
			continue
		}
		a, b := ring[0], ring[len(ring)-1]
		if len(a) < 2 || len(b) < 2 || a[0] != b[0] || a[1] != b[1] {
			return true
		}
	}
	return false
}
