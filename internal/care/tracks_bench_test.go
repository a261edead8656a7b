package care_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/wuyuan-forestry/ecocomp/internal/audit"
	"github.com/wuyuan-forestry/ecocomp/internal/auth"
	"github.com/wuyuan-forestry/ecocomp/internal/care"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
)

// baselineCoverageSQL is the month's coverage as one plain statement: every track point kept,
// each segment buffered, the buffers unioned and cut by the area (EPSG:4548). Buffering the
// whole 50,000-point line at once instead is no baseline: GEOS runs for minutes and takes over
// 12 GB before the kernel kills the server.
const baselineCoverageSQL = `SELECT ST_Area(ST_Intersection(a.g, ST_Union(ST_Buffer(d.geom, 100, 'quad_segs=4')))) / ST_Area(a.g)
FROM (SELECT ST_Transform(geom, 4548) AS g FROM care_area WHERE id = $1) a, patrol_track p,
     ST_DumpSegments(ST_Transform(ST_Force2D(p.geom), 4548)) d
WHERE p.ranger_id = $2 GROUP BY a.g`

// BenchmarkTrackCoverage measures a 50,000-point GPX (a day's walk at 1 m/s, one point a second,
// sweeping a 1 km × 1 km area in rows 50 m apart with a few metres of GPS wobble) against its
// area: care.Month (simplified, clipped, buffered) against the baseline statement.
func BenchmarkTrackCoverage(b *testing.B) {
	ctx := context.Background()
	pool := pgtest.New(b)
	var ranger, area int64
	if err := pool.QueryRow(ctx, `WITH c AS (INSERT INTO admin_unit (code, level, name, geom)
		VALUES ('361130', 'county', '婺源县', ST_Multi(ST_Transform(ST_MakeEnvelope(580000, 3230000, 590000, 3240000, 4548), 4490))) RETURNING 1),
		r AS (INSERT INTO ranger (name_enc, id_number_enc, id_number_hash, contract_from, contract_to, yearly_pay_fen, created_by)
		      VALUES ('\x00', '\x00', '\x00', '2026-01-01', '2026-12-31', 0, 'bench') RETURNING id),
		a AS (INSERT INTO care_area (code, name, created_by, geom)
		      VALUES ('A', '责任区 A', 'bench', ST_Multi(ST_Transform(ST_MakeEnvelope(583000, 3237000, 584000, 3238000, 4548), 4490))) RETURNING id)
		SELECT r.id, a.id FROM r, a, c`).Scan(&ranger, &area); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO care_assignment (area_id, ranger_id, period, created_by) VALUES ($1, $2, '[2026-01-01,2026-12-31]', 'bench')`,
		area, ranger); err != nil {
		b.Fatal(err)
	}
	const n = 50_000
	xs, ys := make([]float64, n), make([]float64, n)
	x, y, dir, up, climbed := 583010.0, 3237010.0, 1.0, 1.0, 0
	for i := range xs {
		wobble := 3 * math.Sin(float64(i)*0.7)
		xs[i], ys[i] = x, y+wobble
		switch {
		case dir > 0 && x >= 583990, dir < 0 && x <= 583010:
			y += up // turn: 50 steps up (or down), then the next row
			if climbed++; climbed == 50 {
				dir, climbed = -dir, 0
				if y+up*50 > 3237990 || y+up*50 < 3237010 {
					up = -up // back over the area the other way
				}
			}
		default:
			x += dir
		}
	}
	var lons, lats []float64
	if err := pool.QueryRow(ctx, `SELECT array_agg(ST_X(p) ORDER BY n), array_agg(ST_Y(p) ORDER BY n)
		FROM (SELECT n, ST_Transform(ST_SetSRID(ST_MakePoint(x, y), 4548), 4490) AS p
		      FROM unnest($1::float8[], $2::float8[]) WITH ORDINALITY AS u(x, y, n)) q`, xs, ys).Scan(&lons, &lats); err != nil {
		b.Fatal(err)
	}
	var gpx strings.Builder
	gpx.WriteString(`<?xml version="1.0" encoding="UTF-8"?><gpx version="1.1" creator="bench" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>`)
	t0 := time.Date(2026, 3, 10, 6, 0, 0, 0, time.UTC)
	for i := range lons {
		fmt.Fprintf(&gpx, `<trkpt lat="%.8f" lon="%.8f"><time>%s</time></trkpt>`, lats[i], lons[i], t0.Add(time.Duration(i)*time.Second).Format(time.RFC3339))
	}
	gpx.WriteString(`</trkseg></trk></gpx>`)
	officer := auth.Principal{Actor: audit.Actor{Kind: "user", Name: "bench"}, Roles: []auth.Role{auth.CaseOfficer}}
	tr, err := care.CreateTrack(ctx, pool, officer, ranger, []byte(gpx.String()))
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("track %d: %d points, %.3f km, %d KiB of GPX", tr.ID, tr.Points, tr.LengthKm, gpx.Len()>>10)

	b.Run("Month", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			rep, err := care.Month(ctx, pool, ranger, "2026-03")
			if err != nil || rep.CoverageShare == nil {
				b.Fatal(rep, err)
			}
			if i == 0 {
				b.Logf("coverage %.4f", *rep.CoverageShare)
			}
		}
	})
	b.Run("BaselineOneStatement", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			var share float64
			if err := pool.QueryRow(ctx, baselineCoverageSQL, area, ranger).Scan(&share); err != nil {
				b.Fatal(err)
			}
			if i == 0 {
				b.Logf("coverage %.4f", share)
			}
		}
	})
}
