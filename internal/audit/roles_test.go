package audit_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/wuyuan-forestry/ecocomp/internal/audit"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
)

// TestServerRoleCannotAlterAudit runs docs/db-roles.sql as the owner, connects as the role it
// makes, and checks what the documentation promises: the server's role appends audit rows and
// cannot update, delete, truncate, disable the triggers of or drop the audit log.
func TestServerRoleCannotAlterAudit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, dbURL := pgtest.NewWithURL(t)
	script, err := os.ReadFile(filepath.Join("..", "..", "docs", "db-roles.sql"))
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	role := "ecocomp_app_" + hex.EncodeToString(b)
	if _, err := pool.Exec(ctx, strings.ReplaceAll(string(script), "ecocomp_app", role)); err != nil {
		t.Fatalf("docs/db-roles.sql: %v", err)
	}
	t.Cleanup(func() {
		// The role is cluster-wide; the database goes with the test.
		_, _ = pool.Exec(context.Background(), "DROP OWNED BY "+role)
		pool.Close()
		c, err := pgx.Connect(context.Background(), pgtest.AdminURL())
		if err == nil {
			_, _ = c.Exec(context.Background(), "DROP ROLE IF EXISTS "+role)
			c.Close(context.Background())
		}
	})
	u, _ := url.Parse(dbURL)
	u.User = url.User(role)
	app, err := pgx.Connect(ctx, u.String())
	if err != nil {
		t.Fatalf("connect as %s: %v", role, err)
	}
	defer app.Close(ctx)

	if err := audit.Record(audit.WithActor(ctx, audit.Actor{Kind: audit.KindUser, Name: "alice"}), app,
		audit.Entry{Action: "test.write", Entity: "thing"}); err != nil {
		t.Fatalf("the server role cannot append: %v", err)
	}
	for _, sql := range []string{
		`UPDATE audit_log SET actor = 'mallory'`,
		`DELETE FROM audit_log`,
		`TRUNCATE audit_log`,
		`ALTER TABLE audit_log DISABLE TRIGGER USER`,
		`DROP TRIGGER audit_log_no_update ON audit_log`,
		`DROP TABLE audit_log`,
	} {
		if _, err := app.Exec(ctx, sql); err == nil || !(strings.Contains(err.Error(), "permission denied") || strings.Contains(err.Error(), "must be owner")) {
			t.Errorf("%s as the server role: %v; want permission denied or must be owner", sql, err)
		}
	}
	if res, err := audit.Verify(ctx, app); err != nil || res.Rows != 1 || res.Bad != 0 {
		t.Errorf("verify as the server role: %+v %v", res, err)
	}
}
