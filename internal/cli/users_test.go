package cli_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/wuyuan-forestry/ecocomp/internal/auth"
	"github.com/wuyuan-forestry/ecocomp/internal/cli"
	"github.com/wuyuan-forestry/ecocomp/internal/config"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
)

// TestUsersTokensAndAuditCommands runs the account and audit commands as an operator would:
// the one-time password and the token are printed once, the actions are audited as the OS user,
// `audit verify` passes, then names the row an owner of the database changed behind the
// application's back, and `audit export` writes the period as CSV.
func TestUsersTokensAndAuditCommands(t *testing.T) {
	ctx := context.Background()
	pool, url := pgtest.NewWithURL(t)
	t.Setenv("DATABASE_URL", url)
	run := func(args ...string) (string, string, int) {
		var out, errb bytes.Buffer
		code := cli.Main(ctx, args, &out, &errb)
		return out.String(), errb.String(), code
	}

	out, errs, code := run("users", "add", "chen.liu", "--role", "surveyor,finance", "--display", "陈六")
	if code != 0 || !regexp.MustCompile(`one-time password .*: \S{16,}`).MatchString(out) {
		t.Fatalf("users add: %d %q %q", code, out, errs)
	}
	if _, errs, code = run("users", "add", "chen.liu", "--role", "viewer"); code != 1 || !strings.Contains(errs, "already a user named") {
		t.Errorf("second users add: %d %q", code, errs)
	}
	if _, errs, code = run("users", "add", "x", "--role", "boss"); code != 2 || !strings.Contains(errs, `unknown role "boss"`) || strings.Count(errs, "\n") != 1 {
		t.Errorf("users add with a bad role: %d %q; want one line, exit 2", code, errs)
	}
	out, _, code = run("users", "list")
	if code != 0 || !strings.Contains(out, "chen.liu") || !strings.Contains(out, "surveyor,finance") || !strings.Contains(out, "one-time password") {
		t.Errorf("users list: %d\n%s", code, out)
	}
	out, _, code = run("tokens", "add", "chen.liu", "--label", "nightly roll", "--expires", "90d")
	token := regexp.MustCompile(`eco_[A-Za-z0-9_-]{43}`).FindString(out)
	if code != 0 || token == "" {
		t.Fatalf("tokens add: %d %q", code, out)
	}
	if out, _, code = run("tokens", "list", "chen.liu"); code != 0 || !strings.Contains(out, "nightly roll") || strings.Contains(out, token) {
		t.Errorf("tokens list shows the token or not its label: %d\n%s", code, out)
	}
	if _, _, code = run("tokens", "revoke", "1"); code != 0 {
		t.Errorf("tokens revoke 1: %d", code)
	}
	if out, _, _ = run("tokens", "list"); !strings.Contains(out, "revoked") {
		t.Errorf("tokens list after revoke:\n%s", out)
	}
	if _, _, code = run("users", "disable", "chen.liu"); code != 0 {
		t.Errorf("users disable: %d", code)
	}

	var osRows int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE actor_kind = 'os'`).Scan(&osRows); err != nil || osRows != 4 {
		t.Errorf("%d audit rows by the OS user (%v); want 4 (user.create, token.create, token.revoke, user.disable)", osRows, err)
	}

	out, errs, code = run("audit", "verify")
	if code != 0 || !regexp.MustCompile(`intact: 4 rows, head [0-9a-f]{64}`).MatchString(out) {
		t.Fatalf("audit verify: %d %q %q", code, out, errs)
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update`,
		`UPDATE audit_log SET actor = 'someone-else' WHERE seq = 3`,
		`ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update`} {
		if _, err := tx.Exec(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	_, errs, code = run("audit", "verify")
	if code != 1 || !strings.Contains(errs, "broken at row 3") {
		t.Errorf("audit verify after an edit: %d %q; want exit 1 naming row 3", code, errs)
	}

	file := filepath.Join(t.TempDir(), "audit.csv")
	if _, errs, code = run("audit", "export", "--from", "2020-01-01", "--to", "2099-12-31", "-o", file); code != 0 {
		t.Fatalf("audit export: %d %q", code, errs)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil || len(recs) != 5 || recs[1][5] != "user.create" {
		t.Errorf("exported CSV (%v):\n%s", err, b)
	}
	if _, errs, code = run("audit", "export", "--from", "yesterday", "--to", "2099-12-31"); code != 2 || !strings.Contains(errs, "--from") {
		t.Errorf("audit export with a bad date: %d %q", code, errs)
	}
}

// TestDemoUsers: `users demo` (what make demo runs) creates one user per role whose printed
// password signs in, and a second run leaves them alone.
func TestDemoUsers(t *testing.T) {
	ctx := context.Background()
	pool, url := pgtest.NewWithURL(t)
	t.Setenv("DATABASE_URL", url)
	var out, errb bytes.Buffer
	if code := cli.Main(ctx, []string{"users", "demo"}, &out, &errb); code != 0 {
		t.Fatalf("users demo: %d %s", code, errb.String())
	}
	m := regexp.MustCompile(`(?m)^\s+finance\s+(demo-finance)\s+password (\S+)\s+\(created\)$`).FindStringSubmatch(out.String())
	if m == nil || strings.Count(out.String(), "(created)") != 5 {
		t.Fatalf("users demo printed:\n%s", out.String())
	}
	svc := auth.New(pool, config.Config{})
	if _, p, err := svc.SignIn(ctx, m[1], m[2], "127.0.0.1"); err != nil || !p.Has(auth.Finance) || p.MustChangePassword {
		t.Errorf("sign in as %s with the printed password: %v (%+v)", m[1], err, p)
	}
	out.Reset()
	if code := cli.Main(ctx, []string{"users", "demo"}, &out, &errb); code != 0 || strings.Count(out.String(), "(exists)") != 5 {
		t.Errorf("second users demo: %d\n%s", code, out.String())
	}
}

// TestMistypedVariableStopsEveryCommand: a variable that does not parse is one line and exit 1
// whatever the command, instead of a silent fallback to the default.
func TestMistypedVariableStopsEveryCommand(t *testing.T) {
	t.Setenv("ECOCOMP_LOCKOUT_ATTEMPTS", "five")
	var out, errb bytes.Buffer
	if code := cli.Main(context.Background(), []string{"users", "list"}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "ECOCOMP_LOCKOUT_ATTEMPTS must be a whole number") {
		t.Errorf("users list with ECOCOMP_LOCKOUT_ATTEMPTS=five: %d %q", code, errb.String())
	}
}
