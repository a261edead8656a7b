package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wuyuan-forestry/ecocomp/internal/config"
	"github.com/wuyuan-forestry/ecocomp/internal/httpapi"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
)

func newServer(t *testing.T, pool *pgxpool.Pool) *httptest.Server {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ts := httptest.NewServer(httpapi.New(pool, log, config.Config{}))
	t.Cleanup(ts.Close)
	return ts
}

type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
}

func get(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func wantProblem(t *testing.T, resp *http.Response, body []byte, status int, detail string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Errorf("status = %d; want %d (body %s)", resp.StatusCode, status, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type = %q; want application/problem+json", ct)
	}
	var p problem
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("problem body is not JSON: %v: %s", err, body)
	}
	if p.Status != status || p.Title == "" || !strings.Contains(p.Detail, detail) {
		t.Errorf("problem = %+v; want status %d and a detail mentioning %q", p, status, detail)
	}
	for _, leak := range []string{"SQLSTATE", "goroutine", "pgx", "dial tcp"} {
		if strings.Contains(string(body), leak) {
			t.Errorf("problem leaks internals (%q): %s", leak, body)
		}
	}
}

func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	ts := newServer(t, pgtest.New(t))
	resp, body := get(t, ts.URL+"/healthz")
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"ok"`) {
		t.Errorf("/healthz = %d %s", resp.StatusCode, body)
	}
	resp, body = get(t, ts.URL+"/readyz")
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"current"`) {
		t.Errorf("/readyz on a migrated database = %d %s; want 200", resp.StatusCode, body)
	}
}

func TestNotReadyWithoutMigrations(t *testing.T) {
	t.Parallel()
	pool, err := postgis.Open(context.Background(), pgtest.Empty(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	ts := newServer(t, pool)
	resp, body := get(t, ts.URL+"/readyz")
	wantProblem(t, resp, body, http.StatusServiceUnavailable, "ecocomp migrate")
	if resp, _ := get(t, ts.URL+"/healthz"); resp.StatusCode != 200 {
		t.Errorf("/healthz = %d while the schema is behind; liveness must not depend on the database", resp.StatusCode)
	}
}

func TestDatabaseDownIs503(t *testing.T) {
	t.Parallel()
	// A server whose database is not there: nothing listens on port 1.
	pool, err := pgxpool.New(context.Background(), "postgres://postgres@127.0.0.1:1/ecocomp?sslmode=disable&connect_timeout=2")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	ts := newServer(t, pool)
	resp, body := get(t, ts.URL+"/readyz")
	wantProblem(t, resp, body, http.StatusServiceUnavailable, "database")
}

func TestUnknownPathIsProblem(t *testing.T) {
	t.Parallel()
	ts := newServer(t, pgtest.New(t))
	resp, body := get(t, ts.URL+"/api/v1/nothing-here")
	wantProblem(t, resp, body, http.StatusNotFound, "/api/v1/nothing-here")
}

func TestWrongMethodIsProblem(t *testing.T) {
	t.Parallel()
	ts := newServer(t, pgtest.New(t))
	resp, err := http.Post(ts.URL+"/healthz", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	wantProblem(t, resp, body, http.StatusMethodNotAllowed, "POST is not allowed on /healthz")
}

// TestWebMapAssets: the map and every asset it loads come from the binary (no CDN).
func TestWebMapAssets(t *testing.T) {
	t.Parallel()
	ts := newServer(t, pgtest.New(t))
	resp, body := get(t, ts.URL+"/")
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET / = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	page := string(body)
	if !strings.Contains(page, "婺源") || !strings.Contains(page, "app.js") {
		t.Errorf("the page does not name the county or load the map bundle: %s", body)
	}
	if strings.Contains(page, "https://") || strings.Contains(page, "http://") {
		t.Errorf("the page loads something from elsewhere: %s", body)
	}
	for _, asset := range []string{"/app.js", "/app.css", "/maplibre-gl-worker.js"} {
		resp, body := get(t, ts.URL+asset)
		if resp.StatusCode != 200 || len(body) < 100 {
			t.Errorf("GET %s = %d, %d bytes", asset, resp.StatusCode, len(body))
		}
	}
}
