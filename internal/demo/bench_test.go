package demo

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/wuyuan-forestry/ecocomp/internal/pii/piitest"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
)

// BenchmarkSeed times one demo seed of DEMO_BENCH_PARCELS parcels (default 100,000; seed
// DEMO_BENCH_SEED, default 1) on a fresh database and then verifies it. It runs only with -bench, e.g.
//
//	go test ./internal/demo -run '^$' -bench Seed -benchtime 1x -timeout 30m
func BenchmarkSeed(b *testing.B) {
	n := 100000
	if s := os.Getenv("DEMO_BENCH_PARCELS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil {
			b.Fatalf("DEMO_BENCH_PARCELS=%q: %v", s, err)
		}
		n = v
	}
	var seedValue int64 = 1
	if s := os.Getenv("DEMO_BENCH_SEED"); s != "" {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			b.Fatalf("DEMO_BENCH_SEED=%q: %v", s, err)
		}
		seedValue = v
	}
	ctx := context.Background()
	kr := piitest.TestKeyring(b)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		pool := pgtest.New(b)
		b.StartTimer()
		start := time.Now()
		sum, err := Seed(ctx, pool, Options{Parcels: n, Seed: seedValue, PII: kr, Progress: func(s string) {
			b.Logf("%7.1fs %s", time.Since(start).Seconds(), s)
		}})
		if err != nil {
			b.Fatal(err)
		}
		seedTime := time.Since(start)
		b.StopTimer()
		vstart := time.Now()
		inv, err := Verify(ctx, pool, kr)
		b.Logf("seed %d parcels: %s; verify: %s", sum.Parcels, seedTime.Round(time.Millisecond), time.Since(vstart).Round(time.Millisecond))
		b.Logf("invariants: %+v", inv)
		if err != nil {
			b.Error(err)
		}
		b.ReportMetric(seedTime.Seconds(), "seed-s")
		b.StartTimer()
	}
}
