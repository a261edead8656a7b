package care

import (
	"bytes"
	"context"
	"encoding/json"
	"time"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
)

// What the web map draws of forest care: a month's patrol tracks and the coverage check's
// parcels, as GeoJSON built in SQL. The areas with their last patrol are Areas (areas.go).

// Map limits: a month's tracks are simplified for display and bounded in number, so a county's
// month stays a few megabytes.
const (
	// MaxMapTracks is the most tracks one answer holds (the earliest of the month first); the
	// answer says truncated when there were more.
	MaxMapTracks = 1000
	// MapSimplifyMetres is the display tolerance (EPSG:4548) of a track; a track still over
	// MapTrackPoints points after it is simplified at MapCoarseMetres instead.
	MapSimplifyMetres = 5
	MapCoarseMetres   = 25
	MapTrackPoints    = 2000
)

// tracksSQL is the FeatureCollection of the tracks started in [$1, $2) (of ranger $3 when not
// null), at most $4, simplified; truncated says the month held more.
const tracksSQL = `
WITH t AS (
    SELECT t.id, t.ranger_id, t.started_at, t.length_m, a.code AS area, ST_Transform(ST_Force2D(t.geom), 4548) AS g
    FROM patrol_track t LEFT JOIN care_area a ON a.id = t.area_id
    WHERE t.started_at >= $1 AND t.started_at < $2 AND ($3::bigint IS NULL OR t.ranger_id = $3)
    ORDER BY t.started_at, t.id
    LIMIT $4 + 1),
n AS (SELECT count(*) AS n FROM t),
s AS (
    SELECT t.*, ST_Simplify(t.g, $5, true) AS fine FROM t ORDER BY t.started_at, t.id LIMIT $4),
d AS (
    SELECT s.*, CASE WHEN ST_NPoints(s.fine) > $7 THEN ST_Simplify(s.g, $6, true) ELSE s.fine END AS shown FROM s)
SELECT json_build_object('type', 'FeatureCollection',
    'truncated', (SELECT n FROM n) > $4,
    'features', coalesce(json_agg(json_build_object('type', 'Feature', 'id', d.id,
        'geometry', ST_AsGeoJSON(ST_Transform(d.shown, 4490), 6)::json,
        'properties', json_build_object('id', d.id, 'ranger', d.ranger_id, 'area', d.area,
            'started_at', d.started_at, 'length_km', round((d.length_m / 1000)::numeric, 3)))
        ORDER BY d.started_at, d.id), '[]'))
FROM d`

// MonthTracks answers the tracks started in month (yyyy-mm, UTC+8), of ranger when not 0, as
// a GeoJSON FeatureCollection of LineStrings (EPSG:4490, simplified for display: properties id,
// ranger, area, started_at, length_km) with a truncated member.
func MonthTracks(ctx context.Context, db Querier, month string, ranger int64) (json.RawMessage, error) {
	start, err := time.ParseInLocation("2006-01", month, china)
	if err != nil {
		return nil, apperr.New(apperr.Invalid, "month %q is not a month: write it as 2026-03", month)
	}
	var who *int64
	if ranger != 0 {
		who = &ranger
	}
	var out json.RawMessage
	if err := db.QueryRow(ctx, tracksSQL, start, start.AddDate(0, 1, 0), who, MaxMapTracks,
		MapSimplifyMetres, MapCoarseMetres, MapTrackPoints).Scan(&out); err != nil {
		return nil, err
	}
	return compact(out)
}

// coverageParcelsSQL is the geometry and village name of the current parcels $1.
const coverageParcelsSQL = `
SELECT p.code, ST_AsGeoJSON(p.geom, 7)::json, v.name
FROM parcel p LEFT JOIN admin_unit v ON v.code = p.village_code AND v.level = 'village'
WHERE p.valid_to IS NULL AND p.code = ANY($1)`

// coverageDoc is the part of Coverage's document the map needs.
type coverageDoc struct {
	Outside []coverageItem `json:"outside"`
	Twice   []coverageItem `json:"in_two_or_more"`
}

type coverageItem struct {
	Parcel      string      `json:"parcel"`
	VillageCode *string     `json:"village_code"`
	Mu          json.Number `json:"mu"`
	Areas       []string    `json:"areas,omitempty"`
	OverlapMu   json.Number `json:"overlap_mu,omitempty"`
	SenLinLB    *string     `json:"sen_lin_lb"`
	QiYuan      *string     `json:"qi_yuan"`
	MianJiHa    json.Number `json:"mian_ji_ha"`
}

// CoverageMap runs the coverage check (Coverage) and answers its parcels as a GeoJSON
// FeatureCollection for the map: properties problem ("outside": in no area; "overlap": in two or
// more), parcel, village_code, village, mu, sen_lin_lb, qi_yuan and, for an overlap, areas and
// overlap_mu; the check's counts and totals (Coverage's document without its lists) are the
// member summary.
func CoverageMap(ctx context.Context, db Querier) (json.RawMessage, error) {
	summary, err := Coverage(ctx, db)
	if err != nil {
		return nil, err
	}
	var doc coverageDoc
	dec := json.NewDecoder(bytes.NewReader(summary))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	codes := make([]string, 0, len(doc.Outside)+len(doc.Twice))
	for _, list := range [][]coverageItem{doc.Outside, doc.Twice} {
		for _, it := range list {
			codes = append(codes, it.Parcel)
		}
	}
	type place struct {
		geom    json.RawMessage
		village *string
	}
	where := make(map[string]place, len(codes))
	rows, err := db.Query(ctx, coverageParcelsSQL, codes)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var code string
		var p place
		if err := rows.Scan(&code, &p.geom, &p.village); err != nil {
			return nil, err
		}
		where[code] = p
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	type feature struct {
		Type       string          `json:"type"`
		Geometry   json.RawMessage `json:"geometry"`
		Properties map[string]any  `json:"properties"`
	}
	features := make([]feature, 0, len(codes))
	add := func(problem string, it coverageItem) {
		p := where[it.Parcel]
		props := map[string]any{"problem": problem, "parcel": it.Parcel, "village_code": it.VillageCode, "village": p.village,
			"mu": it.Mu, "mian_ji_ha": it.MianJiHa, "sen_lin_lb": it.SenLinLB, "qi_yuan": it.QiYuan}
		if problem == "overlap" {
			props["areas"], props["overlap_mu"] = it.Areas, it.OverlapMu
		}
		geom := p.geom
		if geom == nil {
			geom = json.RawMessage("null")
		}
		features = append(features, feature{Type: "Feature", Geometry: geom, Properties: props})
	}
	for _, it := range doc.Outside {
		add("outside", it)
	}
	for _, it := range doc.Twice {
		add("overlap", it)
	}
	var totals map[string]json.RawMessage
	if err := json.Unmarshal(summary, &totals); err != nil {
		return nil, err
	}
	delete(totals, "outside")
	delete(totals, "in_two_or_more")
	return json.Marshal(map[string]any{"type": "FeatureCollection", "summary": totals, "features": features})
}

// compact drops the white space PostgreSQL's json leaves.
func compact(doc json.RawMessage) (json.RawMessage, error) {
	var b bytes.Buffer
	if err := json.Compact(&b, doc); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
