package tiles_test

import (
	"context"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
	"github.com/wuyuan-forestry/ecocomp/internal/tiles"
)

// loadNamedGrid loads township 紫阳镇 and village 测试村 over a 3 × 3 grid of 100 m parcels
// (林班 0001, 小班 00001 … 00009) near the county seat.
func loadNamedGrid(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	_, err := pool.Exec(context.Background(), `
WITH area AS (SELECT ST_Multi(ST_Transform(ST_MakeEnvelope(583000, 3237000, 583300, 3237300, 4548), 4490)) AS g)
INSERT INTO admin_unit (code, level, name, parent_code, geom)
SELECT '361130', 'county', '婺源县', NULL, g FROM area
UNION ALL SELECT '361130100', 'township', '紫阳镇', '361130', g FROM area
UNION ALL SELECT '361130100001', 'village', '测试村', '361130100', g FROM area;
INSERT INTO parcel (code, xian, xiang, cun, lin_ban, xiao_ban, mian_ji, geom, valid_from)
SELECT '3611301000010001' || lpad((i * 3 + j + 1)::text, 5, '0'), '361130', '100', '001', '0001', lpad((i * 3 + j + 1)::text, 5, '0'), 1.0,
       ST_Multi(ST_Transform(ST_MakeEnvelope(583000 + i * 100, 3237000 + j * 100, 583100 + i * 100, 3237100 + j * 100, 4548), 4490)), '2026-01-01'
FROM generate_series(0, 2) i, generate_series(0, 2) j`)
	if err != nil {
		t.Fatal(err)
	}
}

// The grid's middle, 583150 E 3237150 N, in degrees.
const midLon, midLat = 117.8613, 29.2530

// around decodes layer l in the 3 × 3 tiles around the grid at zoom z and returns what a map
// would show: the values of each feature's property prop, sorted, each once (a feature near a
// tile's edge is in both tiles, within the buffer).
func around(t *testing.T, svc *tiles.Service, l string, z int, prop string) []string {
	t.Helper()
	cx, cy := tileAt(z, midLon, midLat)
	var out []string
	for x := cx - 1; x <= cx+1; x++ {
		for y := cy - 1; y <= cy+1; y++ {
			tile, err := svc.Tile(context.Background(), tiles.Layers[l], z, x, y)
			if err != nil {
				t.Fatal(err)
			}
			layers, err := decodeMVT(tile.Data)
			if err != nil {
				t.Fatalf("%s %d/%d/%d is not a vector tile: %v", l, z, x, y, err)
			}
			for _, layer := range layers {
				if layer.Name != l {
					t.Errorf("tile of %s holds layer %s", l, layer.Name)
				}
				for _, f := range layer.Features {
					out = append(out, f.Props[prop])
				}
			}
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// TestParcelTilesCarryCodesAndIDs: a parcel tile holds every parcel of its area once per tile,
// with its code and its database id as the feature id (the map highlights by it).
func TestParcelTilesCarryCodesAndIDs(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	loadNamedGrid(t, pool)
	svc := tiles.New(pool, 0)
	x, y := tileAt(12, midLon, midLat) // a z12 tile (≈ 10 km) holds the whole grid
	tile, err := svc.Tile(context.Background(), tiles.Layers["parcels"], 12, x, y)
	if err != nil {
		t.Fatal(err)
	}
	layers, err := decodeMVT(tile.Data)
	if err != nil || len(layers) != 1 {
		t.Fatalf("parcel tile: %d layers, %v", len(layers), err)
	}
	ids := map[string]uint64{}
	rows, err := pool.Query(context.Background(), `SELECT code, id FROM parcel`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var code string
		var id int64
		if err := rows.Scan(&code, &id); err != nil {
			t.Fatal(err)
		}
		ids[code] = uint64(id)
	}
	if len(layers[0].Features) != 9 {
		t.Fatalf("%d parcels in the tile; want 9", len(layers[0].Features))
	}
	for _, f := range layers[0].Features {
		code := f.Props["code"]
		if want, ok := ids[code]; !ok || f.ID != want {
			t.Errorf("feature %v with code %s; want the id %v of that parcel", f.ID, code, want)
		}
	}
}

// TestLabelsByZoom: the map writes township and village names, and parcel numbers (林班-小班,
// leading zeros dropped) only from zoom 15, where they fit.
func TestLabelsByZoom(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	loadNamedGrid(t, pool)
	svc := tiles.New(pool, 0)
	z14 := strings.Join(around(t, svc, "labels", 14, "name"), " ")
	if z14 != "测试村 紫阳镇" {
		t.Errorf("labels at z14: %q; want the village and the township, no parcel numbers", z14)
	}
	var parcels []string
	for _, n := range around(t, svc, "labels", 15, "name") {
		if strings.HasPrefix(n, "1-") {
			parcels = append(parcels, n)
		}
	}
	if got := strings.Join(parcels, " "); got != "1-1 1-2 1-3 1-4 1-5 1-6 1-7 1-8 1-9" {
		t.Errorf("parcel labels at z15: %q; want 1-1 … 1-9, one each", got)
	}
}

// TestInvalidateShowsChanges: a cached tile is served until the cache is invalidated (what a
// change notice does); then the tile shows the change, with a new entity tag.
func TestInvalidateShowsChanges(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	loadNamedGrid(t, pool)
	svc := tiles.New(pool, 1<<20)
	before := around(t, svc, "parcels", 14, "code")
	x, y := tileAt(14, midLon, midLat)
	tag := func() string {
		t.Helper()
		tile, err := svc.Tile(context.Background(), tiles.Layers["parcels"], 14, x, y)
		if err != nil {
			t.Fatal(err)
		}
		return tile.ETag
	}
	oldTag := tag()
	if _, err := pool.Exec(context.Background(), `DELETE FROM parcel WHERE xiao_ban = '00005'`); err != nil {
		t.Fatal(err)
	}
	if cached := around(t, svc, "parcels", 14, "code"); len(cached) != len(before) {
		t.Errorf("before invalidation: %d parcel features; want the cached %d", len(cached), len(before))
	}
	svc.Invalidate()
	after := around(t, svc, "parcels", 14, "code")
	if len(before) != 9 || len(after) != 8 || strings.Contains(strings.Join(after, " "), "361130100001000100005") {
		t.Errorf("after invalidation: %v; want the deleted parcel gone from %v", after, before)
	}
	if tag() == oldTag {
		t.Errorf("the entity tag stayed %s though the tile changed", oldTag)
	}
}
