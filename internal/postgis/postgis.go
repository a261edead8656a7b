// Package postgis is the adapter to PostgreSQL + PostGIS: the connection pool, the migration
// runner and the translation of database errors into sentences a person can act on.
package postgis

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Open connects a pool to url and checks that the server answers, so that callers learn at once
// (and in one line) when the database is unreachable rather than at the first query.
func Open(ctx context.Context, url string) (*pgxpool.Pool, error) {
	return open(ctx, url, nil)
}

// OpenForServing is Open for the HTTP server. Its statements are prepared once per connection
// and run thousands of times with different values; PostgreSQL's automatic choice re-plans the
// point lookup on every call (planning costs more than running it), so the server asks for the
// generic plan of each prepared statement. bench/lookup.sh measures both sides that way.
func OpenForServing(ctx context.Context, url string) (*pgxpool.Pool, error) {
	return open(ctx, url, map[string]string{"plan_cache_mode": "force_generic_plan"})
}

func open(ctx context.Context, url string, params map[string]string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL is not a valid postgres:// URL (%s)", redactURLError(err))
	}
	for k, v := range params {
		cfg.ConnConfig.RuntimeParams[k] = v
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	}
	if cfg.MaxConns < 8 {
		cfg.MaxConns = 8
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("cannot configure the database pool: %w", err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, Unreachable(cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database, err)
	}
	return pool, nil
}

// Unreachable words a failed connection: where we tried and what to do about it.
func Unreachable(host string, port uint16, db string, err error) error {
	var pgErr *pgconn.PgError
	reason := "it did not answer"
	switch {
	case errors.As(err, &pgErr) && pgErr.Code == "3D000":
		// The server answered; only the database is missing.
		return fmt.Errorf("PostgreSQL at %s:%d answers, but it has no database %q: create it (createdb %s) and run `ecocomp migrate`, or set DATABASE_URL to an existing one",
			host, port, db, db)
	case errors.As(err, &pgErr):
		reason = pgErr.Message
	case isConnRefused(err):
		reason = "connection refused"
	}
	return fmt.Errorf("cannot reach PostgreSQL at %s:%d/%s: %s; start it (`ecocomp devdb start`) or set DATABASE_URL to a reachable server",
		host, port, db, reason)
}

func isConnRefused(err error) bool {
	var opErr *net.OpError
	return errors.As(err, &opErr) || strings.Contains(err.Error(), "connection refused")
}

// redactURLError keeps a URL parse error from echoing a password back to the terminal.
func redactURLError(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, "://"); i >= 0 {
		return "cannot parse it"
	}
	return msg
}

// HasPostGIS reports whether the PostGIS extension can be created on the server.
func HasPostGIS(ctx context.Context, pool *pgxpool.Pool) (bool, error) {
	var ok bool
	err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'postgis')`).Scan(&ok)
	return ok, err
}

// ServerMajor returns the major version of the server, e.g. 15.
func ServerMajor(ctx context.Context, pool *pgxpool.Pool) (int, error) {
	var n int
	err := pool.QueryRow(ctx, `SELECT current_setting('server_version_num')::int / 10000`).Scan(&n)
	return n, err
}

// MissingPostGIS is the error every command gives when the server lacks PostGIS.
func MissingPostGIS(major int) error {
	return fmt.Errorf("PostGIS is not installed for PostgreSQL %d: install it with `apt-get install -y postgresql-%d-postgis-3` (Debian/Ubuntu) and try again", major, major)
}
