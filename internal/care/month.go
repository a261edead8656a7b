package care

import (
	"context"
	"time"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
)

// CoverageMetres is the distance from a track within which the area counts as patrolled.
const CoverageMetres = 100

// SimplifyMetres is the tolerance a track is simplified with before it is buffered: far below
// CoverageMetres, it drops GPS jitter and the points of straight stretches (a 50,000-point
// track measures in a fraction of the time; see BenchmarkTrackCoverage).
const SimplifyMetres = 3

// china is the bureau's time zone (UTC+8, no daylight saving): a patrol day is a day there.
var china = time.FixedZone("CST", 8*3600)

// trackCoverageSQL is the share of area $1 (EPSG:4548) within $6 metres of the tracks of ranger
// $2 started in [$3, $4). Each track is simplified ($5 metres) and cut into runs of 8 points
// (each run ending on the next's first point); the runs near the area are buffered (round ends
// and bends of 4 segments a quarter circle: straight stretches exact, a bend's arc short by
// under 3 % of its small area) and the buffers unioned. GEOS's cost of buffering a line grows
// with the square of its points when, as with GPS jitter, its offset curve folds over itself at
// every point: a whole patrol takes minutes, runs of 50 points about 2 s, runs of 8 a third of
// that (see BenchmarkTrackCoverage); shorter runs than 8 gain no more, the union grows instead.
const trackCoverageSQL = `WITH a AS (SELECT ST_Transform(geom, 4548) AS g FROM care_area WHERE id = $1),
p AS (SELECT t.id, d.path[1] AS n, d.geom
      FROM patrol_track t, ST_DumpPoints(ST_Simplify(ST_Transform(ST_Force2D(t.geom), 4548), $5)) d
      WHERE t.ranger_id = $2 AND t.started_at >= $3 AND t.started_at < $4),
r AS (SELECT ST_MakeLine(p.geom ORDER BY p.n) AS g
      FROM p, LATERAL (SELECT p.n / 8 AS c UNION ALL SELECT p.n / 8 - 1 WHERE p.n % 8 = 0 AND p.n >= 8) k
      GROUP BY p.id, k.c HAVING count(*) > 1),
b AS (SELECT ST_Union(ST_Buffer(r.g, $6, 'quad_segs=4')) AS g FROM r, a WHERE ST_DWithin(r.g, a.g, $6))
SELECT COALESCE(ST_Area(ST_Intersection(a.g, b.g)) / NULLIF(ST_Area(a.g), 0), 0) FROM a, b`

// MonthReport is a ranger's patrols of one month measured against the area the ranger looked
// after then.
type MonthReport struct {
	Ranger         int64    `json:"ranger"`
	Month          string   `json:"month"`
	Area           *string  `json:"area"`
	Days           int      `json:"days"`
	Tracks         int      `json:"tracks"`
	LengthKm       float64  `json:"length_km"`
	CoverageMetres int      `json:"coverage_metres"`
	CoverageShare  *float64 `json:"coverage_share"`
	Incidents      int      `json:"incidents"`
}

// Month measures ranger's patrols in month (yyyy-mm): patrol days (in UTC+8), tracks, their
// length, the incidents reported, and the share of the ranger's area (the latest assignment
// meeting the month) within the policy's care.coverage_metres (CoverageMetres when no policy
// says; RulesForYear) of the month's tracks (null when the ranger had no area that month).
func Month(ctx context.Context, db Querier, ranger int64, month string) (MonthReport, error) {
	start, err := time.ParseInLocation("2006-01", month, china)
	if err != nil {
		return MonthReport{}, apperr.New(apperr.NotFound, "%q is not a month: write it as 2026-03", month)
	}
	end := start.AddDate(0, 1, 0)
	rules, err := RulesForYear(ctx, db, start.Year())
	if err != nil {
		return MonthReport{}, err
	}
	rep := MonthReport{Ranger: ranger, Month: month, CoverageMetres: rules.CoverageMetres}
	var exists bool
	if err := db.QueryRow(ctx, `SELECT EXISTS (SELECT FROM ranger WHERE id = $1)`, ranger).Scan(&exists); err != nil {
		return rep, err
	} else if !exists {
		return rep, apperr.New(apperr.NotFound, "there is no ranger %d", ranger)
	}
	var m AssessedMonth
	if err := measure(ctx, db, rules.CoverageMetres, ranger, start, end, &m); err != nil {
		return rep, err
	}
	rep.Area, rep.Days, rep.Tracks, rep.LengthKm, rep.CoverageShare, rep.Incidents = m.Area, m.Days, m.Tracks, m.LengthKm, m.CoverageShare, m.Incidents
	return rep, nil
}
