package tiles_test

import (
	"context"
	"math"
	"sync"
	"testing"

	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
	"github.com/wuyuan-forestry/ecocomp/internal/tiles"
)

// loadSquares puts n × n parcels of 100 m near the county seat into a fresh database.
func loadSquares(t *testing.T, n int) *tiles.Service {
	t.Helper()
	pool := pgtest.New(t)
	if _, err := pool.Exec(context.Background(), `
INSERT INTO parcel (code, xian, xiang, cun, lin_ban, xiao_ban, mian_ji, geom, valid_from)
SELECT '3611301000010001' || lpad((i * $1 + j + 1)::text, 5, '0'), '361130', '100', '001', '0001', lpad((i * $1 + j + 1)::text, 5, '0'), 1.0,
       ST_Multi(ST_Transform(ST_MakeEnvelope(583000 + i * 100, 3237000 + j * 100, 583100 + i * 100, 3237100 + j * 100, 4548), 4490)), '2026-01-01'
FROM generate_series(0, $1 - 1) i, generate_series(0, $1 - 1) j`, n); err != nil {
		t.Fatal(err)
	}
	return tiles.New(pool, 0)
}

// TestColdTileRenderedOnce: many clients asking for the same cold tile at the same moment cause
// one render in PostGIS; the others share it.
func TestColdTileRenderedOnce(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	if _, err := pool.Exec(context.Background(), `
INSERT INTO parcel (code, xian, xiang, cun, lin_ban, xiao_ban, mian_ji, geom, valid_from)
SELECT '3611301000010001' || lpad((i * 40 + j + 1)::text, 5, '0'), '361130', '100', '001', '0001', lpad((i * 40 + j + 1)::text, 5, '0'), 1.0,
       ST_Multi(ST_Transform(ST_MakeEnvelope(583000 + i * 100, 3237000 + j * 100, 583100 + i * 100, 3237100 + j * 100, 4548), 4490)), '2026-01-01'
FROM generate_series(0, 39) i, generate_series(0, 39) j`); err != nil {
		t.Fatal(err)
	}
	svc := tiles.New(pool, 1<<20)
	l := tiles.Layers["parcels"]
	const z = 13
	x, y := tileAt(z, 117.862, 29.256) // the tile holding the squares
	var wg sync.WaitGroup
	var mu sync.Mutex
	var sizes []int
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tile, err := svc.Tile(context.Background(), l, z, x, y)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			sizes = append(sizes, len(tile.Data))
			mu.Unlock()
		}()
	}
	wg.Wait()
	st := svc.Stats()
	if st.Misses > 2 || st.Shared < 1 || sizes[0] == 0 {
		t.Errorf("16 simultaneous requests: %+v, sizes %v; want one render (two if one came just too late), shared, of a non-empty tile", st, sizes)
	}
	if _, err := svc.Tile(context.Background(), l, z, x, y); err != nil || svc.Stats().Hits != st.Hits+1 {
		t.Errorf("a later request: %v, %+v; want a cache hit", err, svc.Stats())
	}
}

// tileAt is the z/x/y of the tile holding lon, lat.
func tileAt(z int, lon, lat float64) (int, int) {
	n := float64(int(1) << z)
	x := int((lon + 180) / 360 * n)
	r := lat * math.Pi / 180
	y := int((1 - math.Log(math.Tan(r)+1/math.Cos(r))/math.Pi) / 2 * n)
	return x, y
}

// TestCacheEvictsLeastRecentlyUsed: the cache never holds more than its byte limit and drops the
// tile used least recently first.
func TestCacheEvictsLeastRecentlyUsed(t *testing.T) {
	t.Parallel()
	probe := loadSquares(t, 20) // 2 km × 2 km from 117.855°E, 29.247°N
	l := tiles.Layers["parcels"]
	ctx := context.Background()
	ax, ay := tileAt(15, 117.858, 29.250)
	bx, by := tileAt(15, 117.870, 29.262)
	if ax == bx && ay == by {
		t.Fatal("pick two different tiles")
	}
	a, err := probe.Tile(ctx, l, 15, ax, ay)
	if err != nil {
		t.Fatal(err)
	}
	b, err := probe.Tile(ctx, l, 15, bx, by)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Data) == 0 || len(b.Data) == 0 {
		t.Fatalf("tiles of %d and %d bytes; want both to hold parcels", len(a.Data), len(b.Data))
	}
	limit := max(len(a.Data), len(b.Data)) + 1 // room for one tile, not two
	cache := probe.WithCache(limit)
	get := func(x, y int) {
		t.Helper()
		if _, err := cache.Tile(ctx, l, 15, x, y); err != nil {
			t.Fatal(err)
		}
		if st := cache.Stats(); st.Bytes > limit {
			t.Fatalf("the cache holds %d bytes over its limit of %d", st.Bytes, limit)
		}
	}
	get(ax, ay) // miss
	get(ax, ay) // hit
	get(bx, by) // miss: evicts A
	get(ax, ay) // miss again
	if st := cache.Stats(); st.Hits != 1 || st.Misses != 3 {
		t.Errorf("A, A, B, A with room for one tile: %+v; want 1 hit and 3 renders", st)
	}
}
