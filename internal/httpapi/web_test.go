package httpapi_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"

	"github.com/wuyuan-forestry/ecocomp/internal/config"
	"github.com/wuyuan-forestry/ecocomp/internal/demo"
	"github.com/wuyuan-forestry/ecocomp/internal/httpapi"
	"github.com/wuyuan-forestry/ecocomp/internal/pii/piitest"
	"github.com/wuyuan-forestry/ecocomp/internal/policy"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
	"github.com/wuyuan-forestry/ecocomp/internal/recompute"
)

// TestWebMapInBrowser drives the embedded web map in Debian's chromium (web/test/map.test.mjs,
// playwright-core) against a seeded county: the map renders, a click on an eligible parcel shows
// its eligibility reasons, a search flies to a parcel, a footprint in a core zone is forbidden for
// construction and the eligible-only export holds every eligible parcel. What the browser cannot
// know (which parcel is eligible, where a core zone is, how many parcels are eligible) is read
// here with SQL and passed in the environment. Screenshots go to web/test/artifacts/.
func TestWebMapInBrowser(t *testing.T) {
	chromium := browserTools(t)

	ctx := context.Background()
	pool := pgtest.New(t)
	if _, err := demo.Seed(ctx, pool, demo.Options{Parcels: 1500, Seed: 3, PII: piitest.TestKeyring(t)}); err != nil {
		t.Fatalf("seed: %v", err)
	}
	if _, err := policy.LoadShipped(ctx, pool); err != nil {
		t.Fatalf("load the shipped policy: %v", err)
	}
	if _, err := recompute.All(ctx, pool, 2026); err != nil {
		t.Fatalf("recompute: %v", err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ts := httptest.NewServer(httpapi.New(pool, logger, config.Config{}))
	t.Cleanup(ts.Close)

	// The verdicts the API reports are those of the latest full recompute.
	const latest = `(SELECT policy_version_id FROM recompute_run WHERE scope = 'all' ORDER BY id DESC LIMIT 1)`
	env := map[string]string{"ECOCOMP_URL": ts.URL}

	var eligibleCode string
	var eligibleLon, eligibleLat float64
	if err := pool.QueryRow(ctx, `SELECT p.code, ST_X(pt), ST_Y(pt)
FROM parcel_current p
JOIN parcel_eligibility e ON e.parcel_id = p.id AND e.policy_version_id = `+latest+`
CROSS JOIN LATERAL ST_PointOnSurface(p.geom) pt
WHERE e.eligible ORDER BY p.code LIMIT 1`).Scan(&eligibleCode, &eligibleLon, &eligibleLat); err != nil {
		t.Fatalf("find an eligible parcel (the seeded county should have some): %v", err)
	}
	env["ECOCOMP_ELIGIBLE_CODE"] = eligibleCode
	env["ECOCOMP_ELIGIBLE_LON"] = strconv.FormatFloat(eligibleLon, 'f', 7, 64)
	env["ECOCOMP_ELIGIBLE_LAT"] = strconv.FormatFloat(eligibleLat, 'f', 7, 64)

	var eligibleCount int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM parcel_current p
JOIN parcel_eligibility e ON e.parcel_id = p.id AND e.policy_version_id = `+latest+` WHERE e.eligible`).Scan(&eligibleCount); err != nil {
		t.Fatal(err)
	}
	env["ECOCOMP_ELIGIBLE_COUNT"] = strconv.Itoa(eligibleCount)

	// The parcel farthest from the eligible one: searching it must move the map a long way.
	var searchCode string
	if err := pool.QueryRow(ctx, `SELECT code FROM parcel_current
ORDER BY ST_Distance(geom, (SELECT geom FROM parcel_current WHERE code = $1)) DESC, code LIMIT 1`, eligibleCode).Scan(&searchCode); err != nil {
		t.Fatal(err)
	}
	env["ECOCOMP_SEARCH_CODE"] = searchCode

	// A square (a diamond on the map) around the centre of the largest circle inside the widest
	// core zone, its corners at 0.6 of that circle's radius: wholly inside the core zone.
	var coreZone string
	var coreRing []byte
	if err := pool.QueryRow(ctx, `SELECT z.name, json_build_array(
	json_build_array(ST_X(m.center) - s, ST_Y(m.center)), json_build_array(ST_X(m.center), ST_Y(m.center) - s),
	json_build_array(ST_X(m.center) + s, ST_Y(m.center)), json_build_array(ST_X(m.center), ST_Y(m.center) + s),
	json_build_array(ST_X(m.center) - s, ST_Y(m.center)))
FROM zone z
CROSS JOIN LATERAL ST_MaximumInscribedCircle(z.geom) m
CROSS JOIN LATERAL (SELECT m.radius * 0.6 AS s) r
WHERE z.zone_kind = 'core' ORDER BY m.radius DESC, z.id LIMIT 1`).Scan(&coreZone, &coreRing); err != nil {
		t.Fatalf("find a core zone: %v", err)
	}
	var inside bool
	if err := pool.QueryRow(ctx, `SELECT ST_Within(ST_SetSRID(ST_MakePolygon(ST_GeomFromGeoJSON(json_build_object('type', 'LineString', 'coordinates', $1::json)::text)), 4490),
	(SELECT geom FROM zone WHERE name = $2))`, string(coreRing), coreZone).Scan(&inside); err != nil || !inside {
		t.Fatalf("the test footprint is not inside core zone %s (%v)", coreZone, err)
	}
	env["ECOCOMP_CORE_ZONE"] = coreZone
	env["ECOCOMP_CORE_POLYGON"] = string(coreRing)

	runBrowserTest(t, ctx, "map.test.mjs", chromium, env, nil)
}
