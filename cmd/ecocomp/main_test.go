package main_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ecocomp-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "ecocomp")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build ecocomp: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// run executes the real binary with a clean environment plus env, in an empty working folder.
func run(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.CommandContext(context.Background(), binary, args...)
	cmd.Dir = t.TempDir()
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "ECOCOMP_DEVDB_DIR=" + filepath.Join(cmd.Dir, ".devdb")}, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code = 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// TestBadInputIsOneLine: every mistake gives one line on stderr that says what to do, a non-zero
// exit status, and no stack trace.
func TestBadInputIsOneLine(t *testing.T) {
	unreachable := "DATABASE_URL=postgres://postgres@127.0.0.1:1/ecocomp?sslmode=disable&connect_timeout=2"
	unmigrated := "DATABASE_URL=" + pgtest.Empty(t)
	cases := []struct {
		name     string
		env      []string
		args     []string
		wantCode int
		want     string
	}{
		{"no command", nil, nil, 2, "no command given"},
		{"unknown command", nil, []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"unknown flag", nil, []string{"seed", "demo", "--bogus"}, 2, "flag provided but not defined: -bogus"},
		{"bad flag value", nil, []string{"seed", "demo", "--parcels", "many"}, 2, `invalid value "many" for flag -parcels`},
		{"negative parcels", nil, []string{"seed", "demo", "--parcels", "-5"}, 2, "--parcels must be between 0"},
		{"unknown seed dataset", nil, []string{"seed", "county"}, 2, `unknown dataset "county"`},
		{"devdb without action", nil, []string{"devdb"}, 2, "start, stop, status, url"},
		{"devdb url before start", nil, []string{"devdb", "url"}, 1, "run `ecocomp devdb start`"},
		{"no database configured", nil, []string{"migrate"}, 1, "set DATABASE_URL, or run `ecocomp devdb start`"},
		{"unreachable database", []string{unreachable}, []string{"migrate"}, 1, "cannot reach PostgreSQL at 127.0.0.1:1/ecocomp"},
		{"unreachable database on seed", []string{unreachable}, []string{"seed", "demo"}, 1, "cannot reach PostgreSQL"},
		{"bad DATABASE_URL", []string{"DATABASE_URL=postgres://u:secret@[::1"}, []string{"migrate"}, 1, "not a valid postgres:// URL"},
		{"schema not migrated", []string{unmigrated}, []string{"seed", "demo"}, 1, "run `ecocomp migrate` first"},
		{"serve on a bad address", []string{unmigrated, "ECOCOMP_ADDR=nonsense"}, []string{"serve"}, 1, "ECOCOMP_ADDR"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := run(t, tc.env, tc.args...)
			if code != tc.wantCode {
				t.Errorf("exit status = %d; want %d (stderr %q)", code, tc.wantCode, stderr)
			}
			lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
			last := lines[len(lines)-1]
			if !strings.HasPrefix(last, "ecocomp: ") || !strings.Contains(last, tc.want) {
				t.Errorf("last stderr line = %q; want an `ecocomp: ` line saying %q", last, tc.want)
			}
			if tc.args != nil && len(lines) != 1 {
				t.Errorf("stderr has %d lines; want one: %q", len(lines), stderr)
			}
			if strings.Contains(stderr, "goroutine") || strings.Contains(stderr, "panic") || strings.Contains(stderr, "secret") {
				t.Errorf("stderr leaks a stack trace or a password: %q", stderr)
			}
		})
	}
}

func TestMigrateTwice(t *testing.T) {
	env := []string{"DATABASE_URL=" + pgtest.Empty(t)}
	out, stderr, code := run(t, env, "migrate")
	if code != 0 || !strings.Contains(out, "applied migrations") {
		t.Fatalf("first migrate: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	out, stderr, code = run(t, env, "migrate")
	if code != 0 || !strings.Contains(out, "nothing to apply") {
		t.Errorf("second migrate: exit %d, stdout %q, stderr %q; want nothing applied", code, out, stderr)
	}
}
