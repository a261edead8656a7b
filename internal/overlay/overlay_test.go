package overlay_test

import (
	"context"
	"math"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wuyuan-forestry/ecocomp/internal/overlay"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
)

// square is a Gauss-Krüger (EPSG:4548) box near the county seat, stored as EPSG:4490.
func square(x0, y0, x1, y1 float64) string {
	return "ST_Multi(ST_Transform(ST_MakeEnvelope(" + f(583000+x0) + "," + f(3237000+y0) + "," + f(583000+x1) + "," + f(3237000+y1) + ", 4548), 4490))"
}

func f(v float64) string { return fmtFloat(v) }

func exec(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%v\n%s", err, sql)
	}
}

func addParcel(t *testing.T, pool *pgxpool.Pool, n int, geom string) {
	t.Helper()
	exec(t, pool, `INSERT INTO parcel (code, xian, xiang, cun, lin_ban, xiao_ban, mian_ji, geom)
		VALUES ('3611301000010001' || lpad($1::int::text, 5, '0'), '361130', '100', '001', '0001', lpad($1::int::text, 5, '0'), 1, `+geom+`)`, n)
}

func addZone(t *testing.T, pool *pgxpool.Pool, kind, geom string) int64 {
	t.Helper()
	var areaID, id int64
	ctx := context.Background()
	if err := pool.QueryRow(ctx, `INSERT INTO protected_area (name, area_kind) VALUES ('保护区-' || $1, 'nature_reserve')
		ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id`, kind).Scan(&areaID); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `INSERT INTO zone (area_id, area_kind, zone_kind, name, geom) VALUES ($1, 'nature_reserve', $2, $2, `+geom+`) RETURNING id`,
		areaID, kind).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

type overlap struct {
	code, zone string
	mu, share  float64
}

func overlaps(t *testing.T, pool *pgxpool.Pool) map[string]overlap {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT right(p.code, 5), z.zone_kind, o.overlap_m2 * 3 / 2000, o.share
		FROM parcel_zone_overlap o JOIN parcel p ON p.id = o.parcel_id JOIN zone z ON z.id = o.zone_id`)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]overlap{}
	for rows.Next() {
		var o overlap
		if err := rows.Scan(&o.code, &o.zone, &o.mu, &o.share); err != nil {
			t.Fatal(err)
		}
		got[o.code+"/"+o.zone] = o
	}
	return got
}

func TestOverlaysByHand(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t)
	// Parcel 1: 200 m × 200 m (60 亩), its west half in the core zone → 30 亩, share ½.
	addParcel(t, pool, 1, square(0, 0, 200, 200))
	// Parcel 2: 100 m × 100 m wholly inside the core zone → 15 亩, share 1 (the fast path).
	addParcel(t, pool, 2, square(-300, 0, -200, 100))
	// Parcel 3: far away → no overlap.
	addParcel(t, pool, 3, square(5000, 5000, 5100, 5100))
	// Parcel 4: 100 × 100, split by the core/buffer boundary at x = 1000: 40 % core, 60 % buffer.
	addParcel(t, pool, 4, square(960, 0, 1060, 100))
	core := addZone(t, pool, "core", square(-1000, -1000, 100, 1000)+" ")
	exec(t, pool, `UPDATE zone SET geom = ST_Multi(ST_Union(geom, `+square(100, -1000, 1000, -500)+`)) WHERE id = $1`, core)
	exec(t, pool, `UPDATE zone SET geom = ST_Multi(ST_Union(geom, `+square(900, -500, 1000, 1000)+`)) WHERE id = $1`, core)
	addZone(t, pool, "buffer", square(1000, -1000, 2000, 1000))

	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n, err := overlay.All(ctx, tx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	want := map[string]overlap{
		"00001/core":   {mu: 30, share: 0.5},
		"00002/core":   {mu: 15, share: 1},
		"00004/core":   {mu: 6, share: 0.4},
		"00004/buffer": {mu: 9, share: 0.6},
	}
	got := overlaps(t, pool)
	if int(n) != len(want) || len(got) != len(want) {
		t.Errorf("overlay wrote %d rows: %v; want %d", n, got, len(want))
	}
	for k, w := range want {
		g, ok := got[k]
		// Ellipsoidal and Gauss-Krüger areas differ by < 0.04 % in this county.
		if !ok || math.Abs(g.mu-w.mu) > w.mu*0.0005 || math.Abs(g.share-w.share) > 0.0005 {
			t.Errorf("%s: got %.4f 亩 share %.4f; want %.2f 亩 share %.2f", k, g.mu, g.share, w.mu, w.share)
		}
	}

	// Moving the buffer zone away recomputes only what it touches.
	buffer := int64(0)
	pool.QueryRow(ctx, `SELECT id FROM zone WHERE zone_kind = 'buffer'`).Scan(&buffer)
	exec(t, pool, `UPDATE zone SET geom = `+square(5000, 5000, 5050, 5100)+` WHERE id = $1`, buffer)
	if _, err := overlay.Zones(ctx, pool, []int64{buffer}); err != nil {
		t.Fatal(err)
	}
	got = overlaps(t, pool)
	if _, ok := got["00004/buffer"]; ok {
		t.Error("parcel 4 still overlaps the buffer zone after it moved")
	}
	if g := got["00003/buffer"]; math.Abs(g.share-0.5) > 0.0005 {
		t.Errorf("parcel 3 in the moved buffer: share %.4f; want 0.5", g.share)
	}
	if g := got["00001/core"]; math.Abs(g.mu-30) > 0.015 {
		t.Errorf("parcel 1 core overlap changed to %.4f by a buffer-zone update", g.mu)
	}

	// Deleting a parcel (only a demo --replace does) or a zone takes their overlaps with them.
	exec(t, pool, `DELETE FROM parcel WHERE code LIKE '%00001'`)
	if _, ok := overlaps(t, pool)["00001/core"]; ok {
		t.Error("the overlaps of a deleted parcel remain")
	}
	exec(t, pool, `DELETE FROM zone WHERE id = $1`, buffer)
	var left int
	pool.QueryRow(ctx, `SELECT count(*) FROM parcel_zone_overlap WHERE zone_id = $1`, buffer).Scan(&left)
	if left != 0 {
		t.Errorf("%d overlaps of a deleted zone remain", left)
	}
}

func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
