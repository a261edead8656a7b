// Package pgtest gives each test a fresh, migrated PostGIS database on a real server and drops it
// afterwards. There is no mock and no skip: a test without a database fails, saying how to get one.
//
// Test databases are copies of a template migrated once per schema version. A package whose
// TestMain calls Main drops that template when its tests end, unless another test binary still
// uses it; a template of another schema version is dropped by the next binary that builds one.
package pgtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wuyuan-forestry/ecocomp/internal/config"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis"
	"github.com/wuyuan-forestry/ecocomp/migrations"
)

// AdminURL is the server tests create their databases on: ECOCOMP_TEST_DATABASE_URL, else
// DATABASE_URL, else the machine's PostgreSQL on 127.0.0.1:5432.
func AdminURL() string { return config.TestDatabaseURL() }

var (
	templateOnce sync.Once
	templateName string
	templateErr  error
	// holder is the connection that holds this binary's shared lock on the template until Main
	// drops it or the process ends (PostgreSQL releases a session's locks when it goes).
	holder *pgx.Conn
)

// Advisory lock keys: buildLock serialises building, pruning and dropping templates across test
// binaries; (useLock, hashtext(template)) is held shared by every binary using that template.
const (
	buildLock = 4490
	useLock   = 4491
)

// Main runs a package's tests and then drops the template database their databases were
// copied from, unless another test binary still uses it (that one, or the next run, drops it).
// Call it from TestMain: func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }.
func Main(m *testing.M) int {
	code := m.Run()
	if holder != nil {
		if err := dropTemplate(context.Background()); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: template database %s left behind: %v\n", templateName, err)
		}
	}
	return code
}

// New returns a pool on a new database migrated to the current schema, dropped when t ends.
func New(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool, _ := NewWithURL(t)
	return pool
}

// NewWithURL is New that also returns the database URL, for tests that run the binary or GDAL.
func NewWithURL(t testing.TB) (*pgxpool.Pool, string) {
	t.Helper()
	ctx := context.Background()
	templateOnce.Do(func() { templateName, templateErr = ensureTemplate(ctx) })
	if templateErr != nil {
		t.Fatalf("test database: %v", templateErr)
	}
	name := "ecocomp_t_" + randomHex(6)
	admin := connectAdmin(t)
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s",
		pgx.Identifier{name}.Sanitize(), pgx.Identifier{templateName}.Sanitize())); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	dbURL := withDatabase(AdminURL(), name)
	pool, err := postgis.Open(ctx, dbURL)
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() {
		pool.Close()
		c := connectAdmin(t)
		defer c.Close(context.Background())
		if _, err := c.Exec(context.Background(), fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", pgx.Identifier{name}.Sanitize())); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	return pool, dbURL
}

// Empty returns the URL of a new database with nothing in it (not even PostGIS), for tests of
// the migrations themselves. It is dropped when t ends.
func Empty(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	name := "ecocomp_e_" + randomHex(6)
	admin := connectAdmin(t)
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("create empty database: %v", err)
	}
	t.Cleanup(func() {
		c := connectAdmin(t)
		defer c.Close(context.Background())
		if _, err := c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	return withDatabase(AdminURL(), name)
}

func connectAdmin(t testing.TB) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		t.Fatalf("tests need PostgreSQL with PostGIS at %s (set ECOCOMP_TEST_DATABASE_URL, or run `make test`, which starts one): %v", AdminURL(), err)
	}
	return c
}

// ensureTemplate builds, once per schema version, a migrated template database that every test
// database is copied from: copying takes milliseconds where migrating takes a second. It keeps
// its connection, holding a shared lock that says the template is in use, and drops the
// templates of other schema versions that no test binary uses any more.
func ensureTemplate(ctx context.Context) (string, error) {
	sum, err := migrationsHash()
	if err != nil {
		return "", err
	}
	name := "ecocomp_tmpl_" + sum[:12]
	admin, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		return "", fmt.Errorf("tests need PostgreSQL with PostGIS at %s (set ECOCOMP_TEST_DATABASE_URL, or run `make test`, which starts one): %w", AdminURL(), err)
	}
	// Test binaries of several packages run at once; one builds the template, the others wait.
	if _, err := admin.Exec(ctx, "SELECT pg_advisory_lock($1)", buildLock); err != nil {
		admin.Close(ctx)
		return "", err
	}
	defer admin.Exec(ctx, "SELECT pg_advisory_unlock($1)", buildLock)
	if err := build(ctx, admin, name); err != nil {
		admin.Close(ctx)
		return "", err
	}
	if _, err := admin.Exec(ctx, "SELECT pg_advisory_lock_shared($1, hashtext($2))", useLock, name); err != nil {
		admin.Close(ctx)
		return "", err
	}
	holder = admin
	return name, nil
}

// build makes the template name unless it is there, and drops unused templates of other
// schema versions. The caller holds buildLock.
func build(ctx context.Context, admin *pgx.Conn, name string) error {
	if err := pruneTemplates(ctx, admin, name); err != nil {
		return err
	}
	var ready bool
	if err := admin.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate)`, name).Scan(&ready); err != nil {
		return err
	}
	if ready {
		return nil
	}
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return err
	}
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return err
	}
	pool, err := postgis.Open(ctx, withDatabase(AdminURL(), name))
	if err != nil {
		return err
	}
	_, err = postgis.Migrate(ctx, pool)
	pool.Close()
	if err != nil {
		return err
	}
	_, err = admin.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{name}.Sanitize()+" WITH is_template true")
	return err
}

// Prune drops every test template that no test binary uses: what `make test` runs after the
// tests, whichever package finished last.
func Prune(ctx context.Context) error {
	admin, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		return err
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "SELECT pg_advisory_lock($1)", buildLock); err != nil {
		return err
	}
	return pruneTemplates(ctx, admin, "")
}

// pruneTemplates drops the test templates other than except that no test binary uses. The
// caller holds buildLock.
func pruneTemplates(ctx context.Context, admin *pgx.Conn, except string) error {
	rows, err := admin.Query(ctx, `SELECT datname FROM pg_database WHERE datname LIKE 'ecocomp\_tmpl\_%' AND datname <> $1`, except)
	if err != nil {
		return err
	}
	stale, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for _, old := range stale {
		if _, err := dropIfUnused(ctx, admin, old); err != nil {
			return err
		}
	}
	return nil
}

// dropIfUnused drops the template name when no test binary holds its shared lock. The caller
// holds buildLock, so no binary can start using it meanwhile.
func dropIfUnused(ctx context.Context, admin *pgx.Conn, name string) (bool, error) {
	var free bool
	if err := admin.QueryRow(ctx, "SELECT pg_try_advisory_lock($1, hashtext($2))", useLock, name).Scan(&free); err != nil || !free {
		return false, err
	}
	defer admin.Exec(ctx, "SELECT pg_advisory_unlock($1, hashtext($2))", useLock, name)
	id := pgx.Identifier{name}.Sanitize()
	if _, err := admin.Exec(ctx, "ALTER DATABASE "+id+" WITH is_template false"); err != nil {
		return false, err
	}
	_, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+id+" WITH (FORCE)")
	return err == nil, err
}

// dropTemplate releases this binary's use of its template and drops it when no other binary
// uses it.
func dropTemplate(ctx context.Context) error {
	defer holder.Close(ctx)
	if _, err := holder.Exec(ctx, "SELECT pg_advisory_unlock_shared($1, hashtext($2))", useLock, templateName); err != nil {
		return err
	}
	if _, err := holder.Exec(ctx, "SELECT pg_advisory_lock($1)", buildLock); err != nil {
		return err
	}
	defer holder.Exec(ctx, "SELECT pg_advisory_unlock($1)", buildLock)
	_, err := dropIfUnused(ctx, holder, templateName)
	return err
}

func migrationsHash() (string, error) {
	names, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil {
		return "", err
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		b, err := fs.ReadFile(migrations.FS, n)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func withDatabase(raw, db string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	u.Path = "/" + db
	return u.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
