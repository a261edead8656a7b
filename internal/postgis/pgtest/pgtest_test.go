package pgtest

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestTemplateDroppedWhenUnused: a template that a test binary still uses (its shared lock) is
// kept; once nobody uses it, it is dropped, so tests leave no database behind.
func TestTemplateDroppedWhenUnused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	name := "ecocomp_tmpl_pgtest_" + randomHex(4)
	admin := connectAdmin(t)
	defer admin.Close(ctx)
	id := pgx.Identifier{name}.Sanitize()
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+id+" IS_TEMPLATE true"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c := connectAdmin(t)
		defer c.Close(ctx)
		_, _ = c.Exec(ctx, "ALTER DATABASE "+id+" WITH is_template false")
		_, _ = c.Exec(ctx, "DROP DATABASE IF EXISTS "+id)
	})
	exists := func() bool {
		var ok bool
		if err := admin.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&ok); err != nil {
			t.Fatal(err)
		}
		return ok
	}

	user := connectAdmin(t) // another test binary using the template
	if _, err := user.Exec(ctx, "SELECT pg_advisory_lock_shared($1, hashtext($2))", useLock, name); err != nil {
		t.Fatal(err)
	}
	if dropped, err := dropIfUnused(ctx, admin, name); err != nil || dropped || !exists() {
		t.Fatalf("template in use: dropped=%v err=%v exists=%v; want it kept", dropped, err, exists())
	}
	user.Close(ctx) // that binary ends
	// PostgreSQL releases the ended session's lock as its backend exits, shortly after the close.
	var dropped bool
	for i := 0; i < 50 && !dropped; i++ {
		var err error
		if dropped, err = dropIfUnused(ctx, admin, name); err != nil {
			t.Fatal(err)
		}
		if !dropped {
			_, _ = admin.Exec(ctx, "SELECT pg_sleep(0.1)")
		}
	}
	if !dropped || exists() {
		t.Errorf("template unused: dropped=%v exists=%v; want it gone", dropped, exists())
	}
}
