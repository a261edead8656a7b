package httpapi_test

import (
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wuyuan-forestry/ecocomp/internal/config"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
)

// TestAbortedClientsLeaveServerHealthy: clients that give up mid-request (a load run cut off)
// must not leak pool connections, nor be logged as server errors; afterwards every request is
// answered again.
func TestAbortedClientsLeaveServerHealthy(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	loadGridN(t, pool, 40) // 1,600 parcels: an export takes long enough to be cut mid-stream
	var logs syncBuffer
	ts := newServerWithConfig(t, pool, slog.New(slog.NewTextHandler(&logs, nil)), config.Config{HeavyConcurrency: 4})
	urls := []string{
		ts.URL + "/api/v1/export/parcels.geojson",
		ts.URL + "/ogc/collections/parcels/items?limit=2000",
		ts.URL + "/api/v1/parcels?lon=117.8543&lat=29.2479",
		ts.URL + "/api/v1/parcels?bbox=117,29,119,30&limit=1000",
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}}
	var wg sync.WaitGroup
	var mu sync.Mutex
	aborted := 0
	for c := 0; c < 32; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(c), 7))
			for i := 0; i < 8; i++ {
				ctx, cancel := context.WithTimeout(context.Background(), time.Duration(5+rng.IntN(150))*time.Millisecond)
				req, _ := http.NewRequestWithContext(ctx, "GET", urls[rng.IntN(len(urls))], nil)
				resp, err := client.Do(req)
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				if err != nil {
					mu.Lock()
					aborted++
					mu.Unlock()
				}
				cancel()
			}
		}(c)
	}
	wg.Wait()
	if aborted == 0 {
		t.Fatal("no request was aborted; the test did not exercise aborts")
	}
	// Every connection the aborted requests held goes back to the pool (or is closed).
	deadline := time.Now().Add(10 * time.Second)
	for pool.Stat().AcquiredConns() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d pool connections still acquired after the clients went away: leaked", pool.Stat().AcquiredConns())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// And the server answers every request again.
	for i := 0; i < 100; i++ {
		resp, err := client.Get(urls[2+i%2])
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("request %d after the aborts: status %d", i, resp.StatusCode)
		}
	}
	t.Logf("%d of %d requests aborted; pool: %d total, %d idle", aborted, 32*8, pool.Stat().TotalConns(), pool.Stat().IdleConns())
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("clients going away were logged as server errors:\n%.2000s", logs.String())
	}
	_, body := get(t, ts.URL+"/metrics")
	if !regexp.MustCompile(`ecocomp_http_client_gone_total [1-9]`).Match(body) {
		t.Errorf("the metrics did not count the clients that went away")
	}
}
