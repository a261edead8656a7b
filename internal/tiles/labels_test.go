package tiles_test

import (
	"context"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/wuyuan-forestry/ecocomp/internal/pbtest"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"

	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
	"github.com/wuyuan-forestry/ecocomp/internal/tiles"
)

// A county of 4 km × 3 km in the plane of EPSG:4548 (metres): a U-shaped township 丙乡 whose
// centroid falls in the gap between its arms, one village in its left arm, a reserve of two
// sites (one of two zones in the right arm, one in the base), and 4 parcels of 100 m in the left
// arm.
const labelFixture = `
INSERT INTO admin_unit (code, level, name, geom) VALUES
  ('361130', 'county', '测试县', ST_Multi(ST_Transform(ST_MakeEnvelope(583000, 3237000, 587000, 3240000, 4548), 4490)));
INSERT INTO admin_unit (code, level, name, parent_code, geom) VALUES
  ('361130100', 'township', '丙乡', '361130', ST_Multi(ST_Transform(ST_Union(ARRAY[
      ST_MakeEnvelope(583000, 3237000, 587000, 3237600, 4548),  -- the base of the U
      ST_MakeEnvelope(583000, 3237600, 583800, 3240000, 4548),  -- its left arm
      ST_MakeEnvelope(586200, 3237600, 587000, 3240000, 4548)]), 4490)));
INSERT INTO admin_unit (code, level, name, parent_code, geom) VALUES
  ('361130100001', 'village', '甲村', '361130100', ST_Multi(ST_Transform(ST_MakeEnvelope(583000, 3238000, 583800, 3240000, 4548), 4490)));
INSERT INTO protected_area (name, area_kind) VALUES ('测试保护区', 'nature_reserve');
INSERT INTO zone (area_id, area_kind, zone_kind, site, name, geom)
  SELECT id, 'nature_reserve', 'core', '东片区', '测试核心区', ST_Multi(ST_Transform(ST_MakeEnvelope(586300, 3238000, 586900, 3239900, 4548), 4490))
  FROM protected_area
  UNION ALL
  SELECT id, 'nature_reserve', 'buffer', '东片区', '测试缓冲区', ST_Multi(ST_Transform(ST_MakeEnvelope(586300, 3237700, 586900, 3238000, 4548), 4490))
  FROM protected_area
  UNION ALL
  SELECT id, 'nature_reserve', 'core', '西片区', '测试核心区', ST_Multi(ST_Transform(ST_MakeEnvelope(583100, 3237100, 583700, 3237500, 4548), 4490))
  FROM protected_area;
INSERT INTO parcel (code, xian, xiang, cun, lin_ban, xiao_ban, mian_ji, geom, valid_from)
SELECT '361130100001' || '0012' || lpad(k::text, 5, '0'), '361130', '100', '001', '0012', lpad(k::text, 5, '0'), 15.0,
       ST_Multi(ST_Transform(ST_MakeEnvelope(583100 + k * 100, 3238100, 583200 + k * 100, 3238200, 4548), 4490)), '2026-01-01'
FROM generate_series(1, 4) k;`

type label struct {
	kind, name, code, site string
	at                     orb.Point // lon, lat
	inside                 bool      // in the tile proper, not its buffer: where MapLibre draws it
}

// labelsIn renders the labels tile z/x/y and reads it back.
func labelsIn(t *testing.T, svc *tiles.Service, z, x, y int) []label {
	t.Helper()
	tile, err := svc.Tile(context.Background(), tiles.Layers["labels"], z, x, y)
	if err != nil {
		t.Fatalf("labels %d/%d/%d: %v", z, x, y, err)
	}
	var out []label
	minLon, minLat, maxLon, maxLat := tiles.Bounds(z, x, y)
	mercY := func(lat float64) float64 { return math.Log(math.Tan(math.Pi/4 + lat*math.Pi/360)) }
	for _, f := range readMVT(t, tile.Data, "labels") {
		px, py := float64(f.x), float64(f.y)
		lon := minLon + (maxLon-minLon)*px/tiles.Extent
		my := mercY(maxLat) - (mercY(maxLat)-mercY(minLat))*py/tiles.Extent
		lat := (2*math.Atan(math.Exp(my)) - math.Pi/2) * 180 / math.Pi
		out = append(out, label{kind: f.props["kind"], name: f.props["name"], code: f.props["code"], site: f.props["site"],
			at: orb.Point{lon, lat}, inside: px >= 0 && px < tiles.Extent && py >= 0 && py < tiles.Extent})
	}
	return out
}

// mvtPoint is a point feature of a vector tile: tile coordinates and string properties.
type mvtPoint struct {
	x, y  int64
	props map[string]string
}

// readMVT reads the point features of one layer of a Mapbox Vector Tile (spec 2.1), failing on
// any other layer or geometry.
func readMVT(t *testing.T, b []byte, layer string) []mvtPoint {
	t.Helper()
	var out []mvtPoint
	pbtest.Each(t, b, func(f int, _ uint64, lb []byte) {
		if f != 3 {
			return
		}
		var name string
		var keys, values []string
		var feats [][]byte
		pbtest.Each(t, lb, func(f int, _ uint64, b []byte) {
			switch f {
			case 1:
				name = string(b)
			case 2:
				feats = append(feats, b)
			case 3:
				keys = append(keys, string(b))
			case 4:
				var v string
				pbtest.Each(t, b, func(f int, n uint64, b []byte) {
					if f == 1 {
						v = string(b)
					} else {
						v = strconv.FormatUint(n, 10)
					}
				})
				values = append(values, v)
			}
		})
		if name != layer {
			t.Fatalf("layer %q in the %s tile", name, layer)
		}
		for _, fb := range feats {
			p := mvtPoint{props: map[string]string{}}
			pbtest.Each(t, fb, func(f int, n uint64, b []byte) {
				switch f {
				case 2:
					for len(b) > 0 {
						var k, v uint64
						k, b = pbtest.Varint(t, b)
						v, b = pbtest.Varint(t, b)
						p.props[keys[k]] = values[v]
					}
				case 3:
					if n != 1 {
						t.Fatalf("a %s feature of geometry type %d, not a point", layer, n)
					}
				case 4:
					cmd, b := pbtest.Varint(t, b)
					if cmd != 1<<3|1 {
						t.Fatalf("point geometry command %d, want one MoveTo", cmd)
					}
					dx, b := pbtest.Varint(t, b)
					dy, _ := pbtest.Varint(t, b)
					p.x, p.y = pbtest.Unzigzag(dx), pbtest.Unzigzag(dy)
				}
			})
			out = append(out, p)
		}
	})
	return out
}

// labelsAround renders every labels tile at zoom z over the fixture and returns the labels drawn
// (those inside their tile).
func labelsAround(t *testing.T, svc *tiles.Service, z int) []label {
	t.Helper()
	x0, y0 := tileAt(z, 117.855, 29.285)
	x1, y1 := tileAt(z, 117.905, 29.245)
	var out []label
	for x := x0; x <= x1; x++ {
		for y := y0; y <= y1; y++ {
			for _, l := range labelsIn(t, svc, z, x, y) {
				if l.inside {
					out = append(out, l)
				}
			}
		}
	}
	return out
}

func within(t *testing.T, pool *pgxpool.Pool, p orb.Point, sql string) bool {
	t.Helper()
	var ok bool
	if err := pool.QueryRow(context.Background(), `SELECT ST_Within(ST_SetSRID(ST_Point($1, $2), 4490), (`+sql+`))`, p[0], p[1]).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

// TestLabels: each township, village and protected-area site is labelled once, at a point inside
// it (the U-shaped township's centroid is not), however many tiles it crosses; villages appear
// from zoom 11 and parcel numbers (林班-小班 without leading zeros) from zoom 15.
func TestLabels(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	if _, err := pool.Exec(context.Background(), labelFixture); err != nil {
		t.Fatal(err)
	}
	var centroidInside bool
	if err := pool.QueryRow(context.Background(), `SELECT ST_Within(ST_Centroid(geom), geom) FROM admin_unit WHERE code = '361130100'`).Scan(&centroidInside); err != nil || centroidInside {
		t.Fatalf("the fixture's township should have its centroid outside (%v, %v)", centroidInside, err)
	}
	svc := tiles.New(pool, 0)

	count := func(ls []label) map[string]int {
		m := map[string]int{}
		for _, l := range ls {
			m[strings.TrimSpace(l.kind+" "+l.name+" "+l.site)]++
		}
		return m
	}
	for _, c := range []struct {
		z    int
		want map[string]int
	}{
		{10, map[string]int{"township 丙乡": 1, "protected_area 测试保护区 东片区": 1, "protected_area 测试保护区 西片区": 1}},
		{13, map[string]int{"township 丙乡": 1, "village 甲村": 1, "protected_area 测试保护区 东片区": 1, "protected_area 测试保护区 西片区": 1}},
		{15, map[string]int{"township 丙乡": 1, "village 甲村": 1, "protected_area 测试保护区 东片区": 1, "protected_area 测试保护区 西片区": 1,
			"parcel 12-1": 1, "parcel 12-2": 1, "parcel 12-3": 1, "parcel 12-4": 1}},
	} {
		ls := labelsAround(t, svc, c.z)
		got := count(ls)
		if len(got) != len(c.want) {
			t.Errorf("zoom %d: labels %v, want %v", c.z, got, c.want)
		}
		for k, n := range c.want {
			if got[k] != n {
				t.Errorf("zoom %d: %q drawn %d times, want %d (all: %v)", c.z, k, got[k], n, got)
			}
		}
		for _, l := range ls {
			var in string
			switch l.kind {
			case "township", "village":
				in = `SELECT geom FROM admin_unit WHERE code = '` + l.code + `'`
			case "protected_area":
				in = `SELECT ST_Union(geom) FROM zone WHERE site = '` + l.site + `'`
			case "parcel":
				in = `SELECT geom FROM parcel WHERE code = '` + l.code + `'`
			}
			if !within(t, pool, l.at, in) {
				t.Errorf("zoom %d: the label of %s %s (%s) at %v lies outside it", c.z, l.kind, l.name, l.code, l.at)
			}
		}
	}
	// Below a layer's zoom nothing of a kind is queried at all: a county-wide tile has no villages.
	for _, l := range labelsIn(t, svc, 5, 26, 13) {
		if l.kind == "village" || l.kind == "parcel" {
			t.Errorf("zoom 5 tile holds a %s label %s", l.kind, l.name)
		}
	}
}
