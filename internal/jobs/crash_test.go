package jobs_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
)

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
	buildDir  string
)

// ecocompBinary builds cmd/ecocomp once for the tests of this package.
func ecocompBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "ecocomp-jobs-test-*")
		if buildErr != nil {
			return
		}
		binary = filepath.Join(buildDir, "ecocomp")
		out, err := exec.Command("go", "build", "-o", binary, "github.com/wuyuan-forestry/ecocomp/cmd/ecocomp").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binary
}

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// server is `ecocomp serve` running as a child process.
type server struct {
	t      *testing.T
	cmd    *exec.Cmd
	base   string
	logs   *syncBuffer
	exited chan error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startServer runs `ecocomp serve` on a free loopback port against dbURL, with env added.
func startServer(t *testing.T, dbURL string, env ...string) *server {
	t.Helper()
	cmd := exec.Command(ecocompBinary(t), "serve")
	dir := t.TempDir()
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "DATABASE_URL=" + dbURL,
		"ECOCOMP_ADDR=127.0.0.1:0", "ECOCOMP_DEVDB_DIR=" + filepath.Join(dir, ".devdb")}, env...)
	s := &server{t: t, cmd: cmd, logs: &syncBuffer{}, exited: make(chan error, 1)}
	cmd.Stderr = s.logs
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "ecocomp serving "); ok {
				addr <- strings.TrimSuffix(a, "/")
			}
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	go func() { s.exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-s.exited
		}
	})
	select {
	case s.base = <-addr:
	case err := <-s.exited:
		s.exited <- err
		t.Fatalf("ecocomp serve ended before it served: %v\n%s", err, s.logs.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("ecocomp serve did not serve within a minute\n%s", s.logs.String())
	}
	return s
}

// kill ends the server with SIGKILL: no shutdown, no deferred work, connections cut.
func (s *server) kill() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		s.t.Fatal(err)
	}
	<-s.exited
}

// terminate sends SIGTERM and waits up to limit for the server to end; it returns its error.
func (s *server) terminate(limit time.Duration) error {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		s.t.Fatal(err)
	}
	select {
	case err := <-s.exited:
		return err
	case <-time.After(limit):
		s.t.Fatalf("ecocomp serve still running %s after SIGTERM\n%s", limit, s.logs.String())
	}
	return nil
}

// jobRow reads a job's status and note from the database (for when no server is up).
func jobRow(t *testing.T, pool *pgxpool.Pool, id int64) (status, note string) {
	t.Helper()
	var n *string
	if err := pool.QueryRow(context.Background(), `SELECT status, note FROM import_job WHERE id = $1`, id).Scan(&status, &n); err != nil {
		t.Fatal(err)
	}
	if n != nil {
		note = *n
	}
	return status, note
}

// TestServerKilledDuringImportAndRecompute is issue 11's "done when": the server is killed
// (SIGKILL) while an import merges and, with the next file, while it recomputes. With the
// server gone the database is wholly as before (no parcel version, no result of the import, no
// stale result). After a restart the job says it was interrupted in that phase and that nothing
// was written, runs again from its kept upload, and ends imported with the database wholly
// after: every parcel in its new version, every version with its results.
func TestServerKilledDuringImportAndRecompute(t *testing.T) {
	pool, url := pgtest.NewWithURL(t)
	const cols, rows = 200, 100
	loadCounty(t, pool, cols, rows)
	token := surveyor(t, pool, "surveyor1")
	if s := readState(t, pool); s.Current != cols*rows || s.Stale != 0 {
		t.Fatalf("fixture: %+v", s)
	}
	for i, c := range []struct{ phase, mianJi string }{
		{"merging", "1.004"},
		{"recomputing", "0.996"},
	} {
		before := readState(t, pool)
		srv := startServer(t, url)
		id := upload(t, srv.base, token, fmt.Sprintf("update%d.geojson", i), gridFile(cols, rows, c.mianJi), nil)
		waitFor(t, srv.base, token, id, 2*time.Minute, "running while "+c.phase, func(j job) bool {
			if ended(j) {
				t.Fatalf("import %d ended (%s) before it was seen %s: the fixture is too small to catch it", id, j.Status, c.phase)
			}
			return j.Status == "running" && j.Phase == c.phase
		})
		srv.kill()

		// The server is gone: the database holds what committed, which is nothing of the import.
		if got := readState(t, pool); got != before {
			t.Errorf("killed while %s: the database is %+v; want it wholly as before, %+v", c.phase, got, before)
		}
		if status, _ := jobRow(t, pool, id); status != "running" {
			t.Errorf("killed while %s: the job row says %s before any server looked at it", c.phase, status)
		}

		srv = startServer(t, url)
		// PostgreSQL ends the killed server's session when it next looks at its socket: at once
		// when idle, within client_connection_check_interval (1 s) inside a long statement such as
		// the recompute. Until then the job is honestly still running (its lease is held).
		j := waitFor(t, srv.base, token, id, 30*time.Second, "seen as interrupted", func(j job) bool { return j.Interruptions > 0 || ended(j) })
		if j.Interruptions != 1 || !contains(j.Note, "interrupted while "+c.phase) || !contains(j.Note, "nothing was written") || !contains(j.Note, "runs again") {
			t.Errorf("after the restart the job says %+v; want one interruption while %s, nothing written, running again", j, c.phase)
		}
		j = waitFor(t, srv.base, token, id, 3*time.Minute, "ended", ended)
		if j.Status != "imported" || j.Attempts != 2 || j.Interruptions != 1 || j.Report.Counts.Changed != cols*rows {
			t.Errorf("the resumed job ended %+v; want imported on its second attempt, %d parcels changed", j, cols*rows)
		}
		want := state{Current: before.Current, Versions: before.Versions + cols*rows, MianJi: c.mianJi + "0", Stale: 0}
		if got := readState(t, pool); got != want {
			t.Errorf("after the resumed import the database is %+v; want wholly after, %+v", got, want)
		}
		if err := srv.terminate(time.Minute); err != nil {
			t.Errorf("ecocomp serve ended with %v after SIGTERM", err)
		}
		if t.Failed() {
			t.Logf("server log:\n%s", srv.logs.String())
			return
		}
	}
	var interrupted int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action = 'import.interrupted' AND outcome = 'failed'`).Scan(&interrupted); err != nil || interrupted != 2 {
		t.Errorf("%d import.interrupted audit rows (%v); want 2", interrupted, err)
	}
}

// TestServeShutdownWaitsForImports: on SIGTERM `ecocomp serve` stops taking jobs and waits for
// the running import, which lands; with a grace period too short for it, the import is
// cancelled, rolls back, is queued again saying why, and lands after the next start.
func TestServeShutdownWaitsForImports(t *testing.T) {
	pool, url := pgtest.NewWithURL(t)
	const cols, rows = 100, 100
	loadCounty(t, pool, cols, rows)
	token := surveyor(t, pool, "surveyor1")

	// A grace period long enough: the import lands before the server exits.
	before := readState(t, pool)
	srv := startServer(t, url, "ECOCOMP_SHUTDOWN_GRACE=3m")
	id := upload(t, srv.base, token, "long-grace.geojson", gridFile(cols, rows, "1.004"), nil)
	waitFor(t, srv.base, token, id, 2*time.Minute, "running", func(j job) bool { return j.Status == "running" })
	if err := srv.terminate(3 * time.Minute); err != nil {
		t.Errorf("ecocomp serve ended with %v after SIGTERM", err)
	}
	if status, _ := jobRow(t, pool, id); status != "imported" {
		t.Errorf("the server exited leaving the job %s; want it to wait for the import to land", status)
	}
	want := state{Current: before.Current, Versions: before.Versions + cols*rows, MianJi: "1.0040"}
	if got := readState(t, pool); got != want {
		t.Errorf("after the graceful shutdown the database is %+v; want %+v", got, want)
	}

	// A grace period too short: the import is cancelled, rolls back and waits for the next start.
	before = readState(t, pool)
	srv = startServer(t, url, "ECOCOMP_SHUTDOWN_GRACE=200ms")
	id = upload(t, srv.base, token, "short-grace.geojson", gridFile(cols, rows, "0.996"), nil)
	waitFor(t, srv.base, token, id, 2*time.Minute, "merging", func(j job) bool {
		if ended(j) {
			t.Fatalf("import %d ended (%s) before it was seen merging", id, j.Status)
		}
		return j.Phase == "merging"
	})
	if err := srv.terminate(time.Minute); err != nil {
		t.Errorf("ecocomp serve ended with %v after SIGTERM", err)
	}
	if got := readState(t, pool); got != before {
		t.Errorf("after the import was cancelled by the shutdown the database is %+v; want wholly as before, %+v", got, before)
	}
	if status, note := jobRow(t, pool, id); status != "queued" || !contains(note, "server shutdown") || !contains(note, "nothing was written") {
		t.Errorf("after the shutdown the job is %s (%q); want queued again, saying the shutdown stopped it and nothing was written", status, note)
	}
	srv = startServer(t, url)
	j := waitFor(t, srv.base, token, id, 3*time.Minute, "ended", ended)
	if j.Status != "imported" || j.Attempts != 2 || j.Interruptions != 0 {
		t.Errorf("after the restart the job ended %+v; want imported on its second attempt", j)
	}
	want = state{Current: before.Current, Versions: before.Versions + cols*rows, MianJi: "0.9960"}
	if got := readState(t, pool); got != want {
		t.Errorf("after the restart the database is %+v; want %+v", got, want)
	}
	if t.Failed() {
		t.Logf("server log:\n%s", srv.logs.String())
	}
}
