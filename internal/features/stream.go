package features

import (
	"bufio"
	"context"
	"errors"
	"io"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Querier is what the query layer needs of a pool, a connection or a transaction.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// Page is what a stream wrote.
type Page struct {
	N    int    // features written
	Last string // code of the last feature written (the next cursor)
	More bool   // another feature follows (only known when a Max was given)
}

// ErrStarted wraps an error that happened after output began: the caller can no longer answer
// with an error status and must abort the response instead.
type ErrStarted struct{ Err error }

func (e *ErrStarted) Error() string { return "stream broken after output began: " + e.Err.Error() }
func (e *ErrStarted) Unwrap() error { return e.Err }

// Stream runs the collection's query for f and s and writes head, then the features separated by commas, to w,
// row by row as PostgreSQL sends them. With max > 0 it writes at most max features and reports
// whether more exist. Nothing is written when the query fails before its first row.
func (c *Collection) Stream(ctx context.Context, db Querier, f Filter, s Shape, max int, head []byte, w io.Writer) (Page, error) {
	if max > 0 {
		f.Limit = max + 1
	}
	sql, args := c.SQL(f, s)
	rows, err := db.Query(ctx, sql, args...)
	if err != nil {
		return Page{}, err
	}
	defer rows.Close()
	var p Page
	more := rows.Next()
	if !more {
		if err := rows.Err(); err != nil {
			return p, err
		}
	}
	bw := writers.Get().(*bufio.Writer)
	bw.Reset(w)
	defer func() {
		bw.Reset(nil)
		writers.Put(bw)
	}()
	if _, err := bw.Write(head); err != nil {
		return p, &ErrStarted{err}
	}
	for ; more; more = rows.Next() {
		if max > 0 && p.N == max {
			p.More = true
			break
		}
		vals := rows.RawValues()
		if p.N > 0 {
			bw.WriteByte(',')
		}
		if _, err := bw.Write(vals[1]); err != nil {
			return p, &ErrStarted{err}
		}
		p.Last = string(vals[0])
		p.N++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return p, &ErrStarted{err}
	}
	if err := bw.Flush(); err != nil {
		return p, &ErrStarted{err}
	}
	return p, nil
}

// writers are reused between requests: a fresh 32 KB buffer per point lookup is most of the
// garbage a lookup makes.
var writers = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 32<<10) }}

// IsStarted reports whether err happened after output began.
func IsStarted(err error) bool {
	var s *ErrStarted
	return errors.As(err, &s)
}
