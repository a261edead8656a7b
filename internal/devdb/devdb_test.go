package devdb_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/wuyuan-forestry/ecocomp/internal/devdb"
)

func TestMissingPostGISNamesThePackage(t *testing.T) {
	share := t.TempDir() // a PostgreSQL share directory without postgis.control
	lib := t.TempDir()
	bin := filepath.Join(lib, "15", "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "pg_ctl"), nil, 0o755); err != nil {
		t.Fatal(err)
	}
	c := &devdb.Cluster{Dir: t.TempDir(), LibDir: lib, ShareDir: share}
	err := c.Start(context.Background())
	if err == nil {
		t.Fatal("Start succeeded without PostGIS")
	}
	if want := "apt-get install -y postgresql-15-postgis-3"; !strings.Contains(err.Error(), want) {
		t.Errorf("error = %q; want it to name %q", err, want)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error spans several lines: %q", err)
	}
}

func TestNoPostgreSQLAtAll(t *testing.T) {
	c := &devdb.Cluster{Dir: t.TempDir(), LibDir: t.TempDir(), ShareDir: t.TempDir()}
	if err := c.Start(context.Background()); err == nil || !strings.Contains(err.Error(), "DATABASE_URL") {
		t.Errorf("error = %v; want advice to install PostgreSQL or set DATABASE_URL", err)
	}
}

// TestStartStop runs a real cluster with the machine's binaries: start, connect, create PostGIS,
// start again (a no-op), stop, and start once more on the same port.
func TestStartStop(t *testing.T) {
	ctx := context.Background()
	tmp := t.TempDir()
	// The server runs as the postgres user, which must be able to reach the folder.
	for _, d := range []string{tmp, filepath.Dir(tmp)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	dir := filepath.Join(tmp, ".devdb")
	c := devdb.New(dir)
	if _, _, err := c.Binaries(); err != nil {
		t.Fatalf("this test needs the machine's PostgreSQL with PostGIS (run .ci/ensure-postgis): %v", err)
	}
	t.Cleanup(func() { _ = c.Stop() })
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if !c.Running() {
		t.Fatal("Running() = false after Start")
	}
	url, err := c.URL()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(url, "postgres://postgres@127.0.0.1:") || !strings.Contains(url, "/ecocomp") {
		t.Errorf("URL = %q; want a loopback URL of the ecocomp database", url)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect to %s: %v", url, err)
	}
	var version string
	if _, err := conn.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS postgis"); err != nil {
		t.Fatalf("create PostGIS in the devdb cluster: %v", err)
	}
	if err := conn.QueryRow(ctx, "SELECT postgis_lib_version()").Scan(&version); err != nil || version == "" {
		t.Errorf("postgis_lib_version() = %q, %v", version, err)
	}
	conn.Close(ctx)

	if err := c.Start(ctx); err != nil {
		t.Errorf("second Start: %v", err)
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if c.Running() {
		t.Error("Running() = true after Stop")
	}
	if err := c.Start(ctx); err != nil {
		t.Fatalf("restart: %v", err)
	}
	if again, _ := c.URL(); again != url {
		t.Errorf("restart moved the cluster from %s to %s", url, again)
	}
}
