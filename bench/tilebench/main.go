// Command tilebench measures parcel vector tiles at z12, z14 and z16 over the demo county: the
// tile SQL straight on PostgreSQL (the baseline), then through `ecocomp serve` cold (tile cache
// off) and warm (cache on, second pass), all in the same run. It prints tiles per second,
// p50/p99 latency and tile sizes.
//
//	go run ./bench/tilebench -db "$URL" -bin bench/out/ecocomp
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wuyuan-forestry/ecocomp/internal/config"
	"github.com/wuyuan-forestry/ecocomp/internal/tiles"
)

type tile struct{ z, x, y int }

func main() {
	db := flag.String("db", config.FromEnv().DatabaseURL, "database URL of a seeded county")
	bin := flag.String("bin", "bin/ecocomp", "the ecocomp binary")
	n := flag.Int("n", 200, "tiles per zoom level")
	c := flag.Int("c", 8, "concurrent clients")
	zooms := flag.String("z", "12,14,16", "zoom levels, comma-separated")
	fresh := flag.Bool("fresh", false, "measure cold tiles on a server just started (no warm-up: its pool's connections are new)")
	flag.Parse()
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(*db)
	if err != nil {
		fail(err)
	}
	cfg.MaxConns = 8 // as many as the server's pool
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		fail(err)
	}
	defer pool.Close()
	layer := tiles.Layers["parcels"]
	for _, zs := range strings.Split(*zooms, ",") {
		z, err := strconv.Atoi(strings.TrimSpace(zs))
		if err != nil {
			fail(fmt.Errorf("-z %q: %w", *zooms, err))
		}
		ts, err := pick(ctx, pool, z, *n)
		if err != nil {
			fail(err)
		}
		warmup, err := pick(ctx, pool, z+1, 4**c)
		if err != nil {
			fail(err)
		}
		// Baseline: the same SQL, straight on PostgreSQL (its pool warmed on other tiles first).
		run(warmup, *c, func(t tile) error {
			sql, args := layer.Query(t.z, t.x, t.y)
			var b []byte
			return pool.QueryRow(ctx, sql, args...).Scan(&b)
		})
		var sizes []int
		var mu sync.Mutex
		sqlStats := run(ts, *c, func(t tile) error {
			sql, args := layer.Query(t.z, t.x, t.y)
			var b []byte
			if err := pool.QueryRow(ctx, sql, args...).Scan(&b); err != nil {
				return err
			}
			mu.Lock()
			sizes = append(sizes, len(b))
			mu.Unlock()
			return nil
		})
		// Cold: no tile cache; the server's pool is warmed on other tiles first, as the baseline's.
		cold := serve(*bin, *db, "0", func(base string) stats {
			if !*fresh {
				run(warmup, *c, get(base))
			}
			return run(ts, *c, get(base))
		})
		warm := serve(*bin, *db, "512", func(base string) stats {
			run(ts, *c, get(base)) // fill the cache
			return run(ts, *c, get(base))
		})
		total, biggest := 0, 0
		for _, s := range sizes {
			total += s
			biggest = max(biggest, s)
		}
		fmt.Printf("z%d  %d tiles  avg %.1f KB  max %.1f KB\n", z, len(ts), float64(total)/float64(len(sizes))/1024, float64(biggest)/1024)
		fmt.Printf("    SQL (ST_AsMVT)  %s\n    HTTP cold       %s   %.0f %% of SQL\n    HTTP warm       %s   %.1fx cold\n",
			sqlStats, cold, 100*cold.rate/sqlStats.rate, warm, warm.rate/cold.rate)
	}
}

// pick chooses n tiles at zoom z that hold parcels: the tiles of points inside random parcels.
func pick(ctx context.Context, pool *pgxpool.Pool, z, n int) ([]tile, error) {
	rows, err := pool.Query(ctx, `SELECT ST_X(pt), ST_Y(pt) FROM (
		SELECT ST_PointOnSurface(geom) AS pt FROM parcel WHERE valid_to IS NULL ORDER BY md5(code || $1) LIMIT $2) x`, fmt.Sprint(z), n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ts []tile
	for rows.Next() {
		var lon, lat float64
		if err := rows.Scan(&lon, &lat); err != nil {
			return nil, err
		}
		x, y := tileOf(lon, lat, z)
		ts = append(ts, tile{z, x, y})
	}
	return ts, rows.Err()
}

func tileOf(lon, lat float64, z int) (int, int) {
	n := math.Exp2(float64(z))
	r := lat * math.Pi / 180
	return int((lon + 180) / 360 * n), int((1 - math.Log(math.Tan(r)+1/math.Cos(r))/math.Pi) / 2 * n)
}

type stats struct {
	rate     float64
	p50, p99 time.Duration
	errors   int
}

func (s stats) String() string {
	return fmt.Sprintf("%7.1f tiles/s  p50 %6.1f ms  p99 %6.1f ms  errors %d", s.rate,
		float64(s.p50.Microseconds())/1000, float64(s.p99.Microseconds())/1000, s.errors)
}

// run fetches every tile once with c workers.
func run(ts []tile, c int, fetch func(tile) error) stats {
	work := make(chan tile)
	var mu sync.Mutex
	var lat []time.Duration
	errs := 0
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < c; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range work {
				t0 := time.Now()
				err := fetch(t)
				d := time.Since(t0)
				mu.Lock()
				lat = append(lat, d)
				if err != nil {
					errs++
				}
				mu.Unlock()
			}
		}()
	}
	for _, t := range ts {
		work <- t
	}
	close(work)
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(lat)
	return stats{rate: float64(len(ts)) / elapsed.Seconds(), p50: lat[len(lat)/2], p99: lat[len(lat)*99/100], errors: errs}
}

var client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

func get(base string) func(tile) error {
	return func(t tile) error {
		resp, err := client.Get(fmt.Sprintf("%s/tiles/parcels/%d/%d/%d.mvt", base, t.z, t.x, t.y))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			return err
		}
		if resp.StatusCode != 200 {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	}
}

// serve runs `ecocomp serve` with the given tile cache size for the duration of f.
func serve(bin, db, cacheMB string, f func(base string) stats) stats {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+db, "ECOCOMP_ADDR="+addr, "ECOCOMP_TILE_CACHE_MB="+cacheMB)
	if err := cmd.Start(); err != nil {
		fail(err)
	}
	defer func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}()
	base := "http://" + addr
	for i := 0; i < 100; i++ {
		if resp, err := http.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return f(base)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "tilebench:", err)
	os.Exit(1)
}
