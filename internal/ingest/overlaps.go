package ingest

// The overlap check, and how it runs beside the rest of the import.
//
// Relating every pair of neighbouring rows (a relate each, some 300,000 pairs in a county) is the
// costliest check, and the merge that follows the other checks is a single-process insert that
// leaves the second core idle. So the check runs concurrently with the import, on a connection
// of its own, in these pieces:
//
//  1. startOverlaps opens the second connection (connect, as the import's own) and begins its
//     transaction, with a schema of its own: overlap_schema.sql. That transaction is never
//     committed: closing the connection rolls it back, so a finished, failed or killed check
//     leaves nothing behind.
//  2. The usable rows of ingest_src are copied there in binary: the import's connection streams
//     them out (COPY TO, overlap_copy_out.sql) into an io.Pipe, and a goroutine streams the pipe
//     into the second connection (COPY FROM, overlap_copy_in.sql). When the edge cover is used,
//     an io.MultiWriter keeps the same bytes in memory for it. startOverlaps waits for the
//     transfer (a fraction of a second); after that the import's connection is its own again.
//  3. A goroutine reads the kept stream into the edge cover (coverage.go), on a core of its own,
//     and sends what it found on the channel covered.
//  4. A goroutine runs the check on the second connection (overlaps): the spatial index; the
//     rows the cover did not match, once covered says which; their pairs, and every pair only
//     when one of them overlaps at all. It closes done when it ends.
//
// Meanwhile the import goes on with its other checks and the merge. waitOverlaps blocks on done
// and adds the findings to the report (an overlap then rejects the file, and the merge is rolled
// back with everything else). stop cancels the check's context and waits for done, for an import
// that ends before it.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"
)

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
// m²), one line per pair on the first row. It runs beside the import (see above).
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

// overlapSide is the overlap check's connection and its transaction.
type overlapSide struct {
	conn *pgx.Conn
	tx   pgx.Tx
}

// startOverlaps starts the overlap check on the rows of ingest_src as they are now (after the
// repairs). sameGroup, when set, is an SQL condition on a and b under which an overlap is allowed
// (zones of the same kind and site are merged); groupCols are the columns it reads. Without it,
// the edge cover spares the relates of rows that share their boundaries vertex for vertex.
func (r *run) startOverlaps(ctx context.Context, sameGroup string, groupCols ...string) (*overlapCheck, error) {
	cctx, cancel := context.WithCancel(ctx)
	o := &overlapCheck{cancel: cancel, done: make(chan struct{}), unmatched: -1}
	side, err := r.openOverlapSide(cctx)
	if err != nil {
		cancel()
		return nil, err
	}
	abort := func(err error) (*overlapCheck, error) {
		cancel()
		closeConn(side.conn)
		return nil, err
	}
	// The edge cover serves plain overlap checks; it holds about 30 bytes a point (the stream
	// and a reference per segment), so a file of several counties gets every pair related instead.
	useCover := sameGroup == ""
	var n, points int64
	if useCover {
		if err := r.db().scan(ctx, sqlStmt("overlap_size", nil), nil, &n, &points); err != nil {
			return abort(err)
		}
		useCover = points <= maxCoverPoints
	}
	cols := append([]string{"row", "key", "g"}, groupCols...)
	if err := r.createOverlapTable(ctx, cctx, side, cols, useCover); err != nil {
		return abort(err)
	}
	var stream *bytes.Buffer
	if useCover {
		stream = &bytes.Buffer{}
		stream.Grow(int(16*points + 128*n + 64)) // 16 bytes a point, a little for each row
	}
	if err := r.copyToOverlapSide(ctx, cctx, side, cols, stream); err != nil {
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
		defer closeConn(side.conn)
		o.lines, o.err = r.overlaps(cctx, db{q: side.tx, log: r.log}, sameGroup, covered, o)
	}()
	return o, nil
}

// openOverlapSide opens the check's connection and transaction, with its schema first on the
// search path.
func (r *run) openOverlapSide(ctx context.Context) (overlapSide, error) {
	conn, err := connect(ctx, r.pool)
	if err != nil {
		return overlapSide{}, err
	}
	side := overlapSide{conn: conn}
	err = func() error {
		if _, err := (db{q: conn, log: r.log}).exec(ctx, sqlStmt("one_worker", nil)); err != nil {
			return err
		}
		if side.tx, err = conn.Begin(ctx); err != nil {
			return err
		}
		d := db{q: side.tx, log: r.log}
		schema := pgx.Identifier{fmt.Sprintf("ecocomp_import_%d", conn.PgConn().PID())}.Sanitize()
		if _, err := d.exec(ctx, sqlStmt("overlap_schema", schema)); err != nil {
			return err
		}
		_, err := d.exec(ctx, sqlStmt("search_path", nil), schema)
		return err
	}()
	if err != nil {
		closeConn(conn)
		return overlapSide{}, err
	}
	return side, nil
}

// column is a column of a staging table: its name and type.
type column struct{ Name, Type string }

// createOverlapTable creates the check's ingest_src: the same columns, of the same types, under
// the same names, so that the check reads as it would on the import's connection.
func (r *run) createOverlapTable(ctx, sideCtx context.Context, side overlapSide, cols []string, useCover bool) error {
	rows, err := r.db().query(ctx, sqlStmt("overlap_column_types", nil), cols)
	if err != nil {
		return err
	}
	types := map[string]string{}
	for rows.Next() {
		var n, t string
		if err := rows.Scan(&n, &t); err != nil {
			rows.Close()
			return err
		}
		types[n] = t
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	data := struct {
		Cols    []column
		Matched bool
	}{Matched: useCover}
	for _, c := range cols {
		data.Cols = append(data.Cols, column{Name: c, Type: types[c]})
	}
	_, err = db{q: side.tx, log: r.log}.exec(sideCtx, sqlStmt("overlap_table", data))
	return err
}

// copyToOverlapSide streams the usable rows from the import's connection to the check's (step 2
// above), keeping a copy in stream when it is not nil; it returns once the transfer is done.
func (r *run) copyToOverlapSide(ctx, sideCtx context.Context, side overlapSide, cols []string, stream *bytes.Buffer) error {
	data := struct{ Cols []string }{cols}
	in, out := sqlStmt("overlap_copy_in", data), sqlStmt("overlap_copy_out", data)
	start := time.Now()
	pr, pw := io.Pipe()
	copied := make(chan error, 1)
	go func() {
		_, err := side.conn.PgConn().CopyFrom(sideCtx, pr, in.text)
		pr.CloseWithError(errors.New("the overlap check stopped reading"))
		copied <- err
	}()
	var to io.Writer = pw
	if stream != nil {
		to = io.MultiWriter(pw, stream)
	}
	tag, err := r.conn.PgConn().CopyTo(ctx, to, out.text)
	pw.CloseWithError(err)
	if cerr := <-copied; err == nil {
		err = cerr
	}
	r.db().logged(ctx, out, start, tag.RowsAffected(), err)
	return err
}

// overlaps runs the check on the copied rows (step 4 above): first the pairs with a row the edge
// cover did not match, and only when one of those overlaps at all, every pair.
func (r *run) overlaps(ctx context.Context, d db, sameGroup string, covered <-chan coverResult, o *overlapCheck) ([]Line, error) {
	if _, err := d.exec(ctx, sqlStmt("overlap_index", nil)); err != nil {
		return nil, err
	}
	o.full = true
	if covered != nil {
		// A stream the cover cannot read (it should read any) leaves every pair to the relates.
		c := <-covered
		o.rows = c.rows
		if c.ok {
			o.unmatched = len(c.unmatched)
			if _, err := d.exec(ctx, sqlStmt("overlap_unmatched", nil), c.unmatched); err != nil {
				return nil, err
			}
		}
	}
	if o.unmatched >= 0 {
		var overlap bool
		if err := d.scan(ctx, sqlStmt("overlap_any", nil), nil, &overlap); err != nil {
			return nil, err
		}
		if !overlap {
			o.full = false
			return nil, nil
		}
	}
	if _, err := d.exec(ctx, sqlStmt("overlap_pairs", struct{ SameGroup string }{sameGroup})); err != nil {
		return nil, err
	}
	rows, err := d.query(ctx, sqlStmt("overlap_lines", nil), r.tol.OverlapM2)
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
