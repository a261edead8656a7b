// Package care keeps forest care under the forest-chief system (林长制, issue 16): care
// responsibility areas (管护责任区) with their forest chiefs, the ecological rangers (personal
// data, encrypted like owners'), which ranger looks after which area when, and the coverage
// check of public-welfare and natural forest. Writes are for case officers and administrators;
// every write is audited in its transaction, last.
package care

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/audit"
	"github.com/wuyuan-forestry/ecocomp/internal/auth"
	"github.com/wuyuan-forestry/ecocomp/internal/zonecheck"
)

// Querier is a pool, a connection or a transaction.
type Querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// Writers are the roles that create areas, rangers and assignments.
var Writers = []auth.Role{auth.CaseOfficer, auth.Admin}

// must refuses a principal that is not one of Writers.
func must(p auth.Principal, what string) error {
	if p.Has(Writers...) {
		return nil
	}
	return apperr.New(apperr.Forbidden, "only case_officer or admin %s", what)
}

// Levels are the forest-chief levels, lowest first.
var Levels = []string{"village", "township", "county"}

var codePattern = regexp.MustCompile(`^[0-9A-Za-z_-]{1,40}$`)

// areaFeature is one feature of a POST body.
type areaFeature struct {
	Type       string          `json:"type"`
	Geometry   json.RawMessage `json:"geometry"`
	Properties struct {
		Code   string            `json:"code"`
		Name   string            `json:"name"`
		Chiefs map[string]string `json:"chiefs"`
	} `json:"properties"`
}

// ParseAreas reads a GeoJSON FeatureCollection of areas, or a single Feature. Each feature has
// properties code, name and chiefs ({"village": …, "township": …, "county": …}, each optional)
// and a Polygon or MultiPolygon geometry in EPSG:4490 longitude/latitude. Other members and
// properties (a GIS export's id, bbox and attributes) are ignored.
func ParseAreas(raw []byte) ([]areaFeature, error) {
	var probe struct {
		Type     string            `json:"type"`
		Features []json.RawMessage `json:"features"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return nil, apperr.New(apperr.Invalid, "the body is not GeoJSON: %v", err)
	}
	var items []json.RawMessage
	switch probe.Type {
	case "FeatureCollection":
		items = probe.Features
	case "Feature":
		items = []json.RawMessage{raw}
	default:
		return nil, apperr.New(apperr.Invalid, `the body is a GeoJSON %q; send a FeatureCollection of areas or a single Feature with properties {"code", "name", "chiefs"}`, probe.Type)
	}
	if len(items) == 0 {
		return nil, apperr.New(apperr.Invalid, "the FeatureCollection has no features")
	}
	out := make([]areaFeature, len(items))
	seen := map[string]int{}
	for i, it := range items {
		f := &out[i]
		if err := json.Unmarshal(it, f); err != nil { // other members (id, bbox, more properties) are ignored
			return nil, apperr.New(apperr.Invalid, "feature %d: %v", i+1, err)
		}
		p := &f.Properties
		p.Code, p.Name = strings.TrimSpace(p.Code), strings.TrimSpace(p.Name)
		if !codePattern.MatchString(p.Code) {
			return nil, apperr.New(apperr.Invalid, "feature %d: \"code\" %q must be 1–40 letters, digits, _ or -", i+1, p.Code)
		}
		if j, dup := seen[p.Code]; dup {
			return nil, apperr.New(apperr.Invalid, "features %d and %d both have code %q", j, i+1, p.Code)
		}
		seen[p.Code] = i + 1
		if p.Name == "" || len([]rune(p.Name)) > 200 {
			return nil, apperr.New(apperr.Invalid, "feature %d (%s): \"name\" must have 1–200 characters", i+1, p.Code)
		}
		for level, name := range p.Chiefs {
			if !contains(Levels, level) {
				return nil, apperr.New(apperr.Invalid, "feature %d (%s): chief level %q is not one of %s", i+1, p.Code, level, strings.Join(Levels, ", "))
			}
			if strings.TrimSpace(name) == "" {
				return nil, apperr.New(apperr.Invalid, "feature %d (%s): the %s chief has no name", i+1, p.Code, level)
			}
		}
		if _, err := zonecheck.Parse(f.Geometry); err != nil {
			detail := err.Error()
			if ae := (*apperr.Error)(nil); errors.As(err, &ae) {
				detail = ae.Detail
			}
			return nil, apperr.New(apperr.Invalid, "feature %d (%s): %s", i+1, p.Code, detail)
		}
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// CreateAreas stores the areas of a GeoJSON body (ParseAreas) all or nothing: an invalid
// outline (PostGIS's reason named) or a code already taken refuses them all. It returns the ids
// in the body's order.
func CreateAreas(ctx context.Context, pool *pgxpool.Pool, p auth.Principal, raw []byte) ([]int64, error) {
	if err := must(p, "create care areas"); err != nil {
		return nil, err
	}
	features, err := ParseAreas(raw)
	if err != nil {
		return nil, err
	}
	ctx = audit.WithActor(ctx, p.Actor)
	tx, err := pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	ids := make([]int64, len(features))
	codes := make([]string, len(features))
	for i, f := range features {
		mp, _ := zonecheck.Parse(f.Geometry) // checked by ParseAreas
		b, err := wkb.Marshal(mp)
		if err != nil {
			return nil, err
		}
		var reason string
		if err := tx.QueryRow(ctx, `SELECT ST_IsValidReason(ST_SetSRID(ST_GeomFromWKB($1), 4490))`, b).Scan(&reason); err != nil {
			return nil, err
		}
		if reason != "Valid Geometry" {
			return nil, apperr.New(apperr.Invalid, "feature %d (%s) is not a valid polygon: %s; fix the outline (no self-intersections, holes inside their shell)", i+1, f.Properties.Code, reason)
		}
		codes[i] = f.Properties.Code
		err = tx.QueryRow(ctx, `INSERT INTO care_area (code, name, created_by, geom)
			VALUES ($1, $2, $3, ST_Multi(ST_SetSRID(ST_GeomFromWKB($4), 4490))) RETURNING id`,
			f.Properties.Code, f.Properties.Name, p.Actor.String(), b).Scan(&ids[i])
		if isViolation(err, "23505") {
			return nil, apperr.New(apperr.Conflict, "feature %d: a care area with code %q already exists", i+1, f.Properties.Code)
		} else if err != nil {
			return nil, err
		}
		for level, name := range f.Properties.Chiefs {
			if _, err := tx.Exec(ctx, `INSERT INTO care_chief (area_id, level, name) VALUES ($1, $2, $3)`, ids[i], level, strings.TrimSpace(name)); err != nil {
				return nil, err
			}
		}
	}
	if err := audit.Record(ctx, tx, audit.Entry{Action: "care.area.create", Entity: "care_area", EntityID: joinIDs(ids),
		Detail: map[string]any{"codes": codes}}); err != nil {
		return nil, err
	}
	return ids, tx.Commit(ctx)
}

func joinIDs(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = fmt.Sprint(id)
	}
	return strings.Join(s, ",")
}

// isViolation reports a PostgreSQL error of SQLSTATE code.
func isViolation(err error, code string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == code
}

// Areas is every care area as a GeoJSON FeatureCollection: code, name, chiefs, area in 亩
// (EPSG:4548), the ranger assigned today, if any (id and period only: no personal data), and
// the last patrol: the day (UTC+8) of the latest track whose ranger was assigned to the area on
// that day (last_patrol, null when none) and its age in days (last_patrol_days).
func Areas(ctx context.Context, db Querier) (json.RawMessage, error) {
	var out json.RawMessage
	err := db.QueryRow(ctx, `
		SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(json_build_object(
		         'type', 'Feature', 'id', a.id, 'geometry', ST_AsGeoJSON(a.geom, 7, 0)::json,
		         'properties', json_build_object('id', a.id, 'code', a.code, 'name', a.name,
		           'area_mu', round((ST_Area(ST_Transform(a.geom, 4548)) * 0.0015)::numeric, 2),
		           'chiefs', (SELECT coalesce(json_object_agg(c.level, c.name), '{}') FROM care_chief c WHERE c.area_id = a.id),
		           'ranger', (SELECT json_build_object('assignment', s.id, 'ranger_id', s.ranger_id, 'from', lower(s.period),
		                        'to', upper(s.period) - 1)
		                      FROM care_assignment s WHERE s.area_id = a.id AND s.period @> (now() AT TIME ZONE 'Asia/Shanghai')::date),
		           'last_patrol', lp.day,
		           'last_patrol_days', (now() AT TIME ZONE 'Asia/Shanghai')::date - lp.day)
		       ) ORDER BY a.code), '[]'))
		FROM care_area a
		LEFT JOIN LATERAL (SELECT max((t.started_at AT TIME ZONE 'Asia/Shanghai')::date) AS day
		    FROM care_assignment s
		    JOIN patrol_track t ON t.ranger_id = s.ranger_id AND t.started_at >= (lower(s.period)::timestamp AT TIME ZONE 'Asia/Shanghai')
		    WHERE s.area_id = a.id AND s.period @> (t.started_at AT TIME ZONE 'Asia/Shanghai')::date) lp ON true`).Scan(&out)
	if err != nil {
		return nil, err
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, out); err != nil {
		return nil, err
	}
	return compact.Bytes(), nil
}
