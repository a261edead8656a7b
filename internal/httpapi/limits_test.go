package httpapi_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wuyuan-forestry/ecocomp/internal/config"
	"github.com/wuyuan-forestry/ecocomp/internal/pii/piitest"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
	"github.com/wuyuan-forestry/ecocomp/internal/recompute"
)

// TestRequestTimeoutAnswers503: a request that cannot finish within its class's time is cut off
// (its statement cancelled) and answered 503 with Retry-After and what to do, not left to hang.
func TestRequestTimeoutAnswers503(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	loadGrid(t, pool)
	ts := newServerWithConfig(t, pool, discardLogger(), config.Config{RequestTimeout: time.Nanosecond})
	resp, body := get(t, ts.URL+"/api/v1/parcels/"+gridCode(0, 0))
	wantProblem(t, resp, body, http.StatusServiceUnavailable, "took longer than this server allows")
	if resp.Header.Get("Retry-After") == "" {
		t.Error("a 503 without Retry-After")
	}
	if resp, _ := get(t, ts.URL+"/healthz"); resp.StatusCode != 200 {
		t.Errorf("liveness under a tiny timeout: %d", resp.StatusCode)
	}
}

// TestMetrics: /metrics speaks Prometheus' text format with requests by route pattern (never a
// raw path with a parcel code), the pool, import jobs and the tile cache.
func TestMetrics(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t)
	loadCompensation(t, pool)
	if _, err := recompute.All(ctx, pool, 2026); err != nil {
		t.Fatal(err)
	}
	ts := newServerWithConfig(t, pool, discardLogger(), config.Config{PIIKey: piitest.Key, TileCacheMB: 8})
	for range 3 {
		get(t, ts.URL+"/api/v1/parcels/"+p1)
		get(t, ts.URL+"/tiles/parcels/12/3389/1710.mvt")
	}
	get(t, ts.URL+"/api/v1/parcels/nope")
	resp, body := get(t, ts.URL+"/metrics")
	text := string(body)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{
		`ecocomp_http_requests_total{code="200",method="GET",route="/api/v1/parcels/{code}"} 3`,
		`ecocomp_http_requests_total{code="404",method="GET",route="/api/v1/parcels/{code}"} 1`,
		`ecocomp_http_request_duration_seconds_bucket{method="GET",route="/tiles/{layer}/{z}/{x}/{file}"`,
		`ecocomp_tile_cache_hits_total 2`,
		`ecocomp_tile_cache_misses_total 1`,
		`ecocomp_db_pool_max_connections`,
		`ecocomp_db_pool_connections{state="idle"}`,
		`ecocomp_http_shed_total`,
		`process_resident_memory_bytes`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if regexp.MustCompile(`route="[^"]*361130`).MatchString(text) {
		t.Error("/metrics labels a route with a raw parcel code")
	}
}
