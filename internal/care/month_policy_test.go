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
	"github.com/wuyuan-forestry/ecocomp/internal/policy"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
	policyseeds "github.com/wuyuan-forestry/ecocomp/seeds/policy"
)

// TestMonthTakesCoverageFromPolicy, by hand: area A is the EPSG:4548 square x 583000–584000,
// y 3237000–3238000 (1 km²); one track walks up x 583500 across it. With no policy loaded the
// default 100 m covers a 200 m strip, 20 %; a policy whose care.coverage_metres is 50 covers a
// 100 m strip, 10 %, and says so.
func TestMonthTakesCoverageFromPolicy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t)
	var ranger, area int64
	if err := pool.QueryRow(ctx, `WITH c AS (INSERT INTO admin_unit (code, level, name, geom)
		VALUES ('361130', 'county', '婺源县', ST_Multi(ST_Transform(ST_MakeEnvelope(580000, 3230000, 590000, 3240000, 4548), 4490))) RETURNING 1),
		r AS (INSERT INTO ranger (name_enc, id_number_enc, id_number_hash, contract_from, contract_to, yearly_pay_fen, created_by)
		      VALUES ('\x00', '\x00', '\x00', '2026-01-01', '2026-12-31', 0, 'test') RETURNING id),
		a AS (INSERT INTO care_area (code, name, created_by, geom)
		      VALUES ('A', '责任区 A', 'test', ST_Multi(ST_Transform(ST_MakeEnvelope(583000, 3237000, 584000, 3238000, 4548), 4490))) RETURNING id)
		SELECT r.id, a.id FROM r, a, c`).Scan(&ranger, &area); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO care_assignment (area_id, ranger_id, period, created_by) VALUES ($1, $2, '[2026-01-01,2026-12-31]', 'test')`,
		area, ranger); err != nil {
		t.Fatal(err)
	}
	var lons, lats []float64
	if err := pool.QueryRow(ctx, `SELECT array_agg(ST_X(p) ORDER BY n), array_agg(ST_Y(p) ORDER BY n)
		FROM (SELECT n, ST_Transform(ST_SetSRID(ST_MakePoint(583500, 3237000 + 100 * n), 4548), 4490) AS p
		      FROM generate_series(0, 10) n) q`).Scan(&lons, &lats); err != nil {
		t.Fatal(err)
	}
	var gpx strings.Builder
	gpx.WriteString(`<?xml version="1.0" encoding="UTF-8"?><gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>`)
	t0 := time.Date(2026, 3, 10, 1, 0, 0, 0, time.UTC)
	for i := range lons {
		fmt.Fprintf(&gpx, `<trkpt lat="%.9f" lon="%.9f"><time>%s</time></trkpt>`, lats[i], lons[i], t0.Add(time.Duration(i)*time.Minute).Format(time.RFC3339))
	}
	gpx.WriteString(`</trkseg></trk></gpx>`)
	officer := auth.Principal{Actor: audit.Actor{Kind: "user", Name: "test"}, Roles: []auth.Role{auth.CaseOfficer}}
	if _, err := care.CreateTrack(ctx, pool, officer, ranger, []byte(gpx.String())); err != nil {
		t.Fatal(err)
	}
	check := func(metres int, share float64) {
		t.Helper()
		rep, err := care.Month(ctx, pool, ranger, "2026-03")
		if err != nil || rep.CoverageMetres != metres || rep.CoverageShare == nil || math.Abs(*rep.CoverageShare-share) > 0.0005 {
			t.Errorf("month: %+v (%v); want %d m, share %.2f", rep, err, metres, share)
		}
	}
	check(100, 0.2)
	raw, err := policyseeds.File("2026.json")
	if err != nil {
		t.Fatal(err)
	}
	doc := strings.Replace(strings.Replace(string(raw), `"coverage_metres": 100`, `"coverage_metres": 50`, 1), `"version": "2026.3"`, `"version": "2026.care50"`, 1)
	if _, err := policy.Load(ctx, pool, []byte(doc), "test"); err != nil {
		t.Fatal(err)
	}
	check(50, 0.1)
}
