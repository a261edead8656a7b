package ingest

import (
	"context"
	"embed"
	"fmt"
	"log/slog"
	"strings"
	"text/template"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// The import's SQL lives in sql/, one file per statement, named for what it does and saying
// why it is written so. A file is a text/template when part of it depends on the file's fields
// or the parcel-field registry: only identifiers (quoted with pgx.Identifier.Sanitize) and the
// registry's fixed names go into the text; values are always bound parameters. A file may
// define a template other statements use (src_geometry.sql). Every statement is logged at debug
// level when it has run: its name, the rows it touched and how long it took.
//
//go:embed sql/*.sql
var sqlFiles embed.FS

var sqlTemplates = template.Must(template.New("sql").Funcs(template.FuncMap{
	"ident":   func(name string) string { return pgx.Identifier{name}.Sanitize() },
	"join":    strings.Join,
	"literal": literal,
	"num":     numExpr,
	"pad":     padExpr,
}).ParseFS(sqlFiles, "sql/*.sql"))

// literal quotes a string as an SQL literal (the registry's fixed words, never input).
func literal(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// numExpr parses the text in col as a plain non-negative number (as surveyors' files write it)
// under max, rounded to scale decimals; anything else is NULL.
func numExpr(col, max string, scale int) string {
	return fmt.Sprintf(`CASE WHEN %[1]s ~ '^[+]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][-+]?[0-9]+)?$' THEN CASE WHEN %[1]s::numeric < %[2]s THEN round(%[1]s::numeric, %[3]d) END END`,
		col, max, scale)
}

// padExpr pads the digits in col with zeros to n (a number column lost them); other text stays.
func padExpr(col string, n int) string {
	return fmt.Sprintf(`CASE WHEN length(%[1]s) < %[2]d AND %[1]s ~ '^[0-9]+$' THEN lpad(%[1]s, %[2]d, '0') ELSE %[1]s END`, col, n)
}

// stmt is one named statement, ready to run.
type stmt struct {
	name string // the file in sql/ without .sql
	text string
}

// sqlStmt renders sql/name.sql with data (nil for a file that is no template). A template that
// does not render is a programming error that every import test meets: it panics.
func sqlStmt(name string, data any) stmt {
	var b strings.Builder
	if err := sqlTemplates.ExecuteTemplate(&b, name+".sql", data); err != nil {
		panic(fmt.Sprintf("ingest: statement %s: %v", name, err))
	}
	return stmt{name: name, text: b.String()}
}

// db is a connection or transaction a statement runs on, with the logger that reports it.
type db struct {
	q interface {
		Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
		Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
		QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	}
	log *slog.Logger
}

func (d db) logged(ctx context.Context, st stmt, start time.Time, rows int64, err error) {
	if !d.log.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs := []slog.Attr{slog.String("statement", st.name), slog.Duration("took", time.Since(start))}
	if rows >= 0 {
		attrs = append(attrs, slog.Int64("rows", rows))
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	d.log.LogAttrs(ctx, slog.LevelDebug, "import sql", attrs...)
}

// exec runs a statement that returns no rows.
func (d db) exec(ctx context.Context, st stmt, args ...any) (pgconn.CommandTag, error) {
	start := time.Now()
	tag, err := d.q.Exec(ctx, st.text, args...)
	d.logged(ctx, st, start, tag.RowsAffected(), err)
	return tag, err
}

// scan runs a statement that returns one row and scans it into dest.
func (d db) scan(ctx context.Context, st stmt, args []any, dest ...any) error {
	start := time.Now()
	err := d.q.QueryRow(ctx, st.text, args...).Scan(dest...)
	d.logged(ctx, st, start, -1, err)
	return err
}

// query runs a statement that returns rows (logged once they start coming).
func (d db) query(ctx context.Context, st stmt, args ...any) (pgx.Rows, error) {
	start := time.Now()
	rows, err := d.q.Query(ctx, st.text, args...)
	d.logged(ctx, st, start, -1, err)
	return rows, err
}

// discard is the logger of an import that was given none.
var discard = slog.New(slog.DiscardHandler)
