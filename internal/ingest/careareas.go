package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
)

// KindCareAreas is the reading of a file of care responsibility areas (issue 16).
const KindCareAreas = "care-areas"

// CareAreaFields names the fields of a care-area file: the area's code and name (required) and
// the forest chiefs at village, township and county level (optional).
type CareAreaFields struct {
	Code, Name, VillageChief, TownshipChief, CountyChief string
}

// ReadCareAreas reads a file of care areas through the checks every import makes before and
// while GDAL reads it (the content sniffed against the extension, zip bombs, GDAL on its leash,
// the CRS decided, rows staged) and answers them as a GeoJSON FeatureCollection in EPSG:4490
// with properties {code, name, chiefs} — the body care.CreateAreas stores. Nothing is written:
// the staging transaction is rolled back. A rejected file comes back as an apperr.Invalid with
// the report saying why.
func ReadCareAreas(ctx context.Context, pool *pgxpool.Pool, path string, opt Options, f CareAreaFields) (json.RawMessage, *Report, error) {
	opt.DryRun = true // stage only: no recompute lock, nothing merged
	rep := newReport(KindCareAreas, sourceName(path, opt), opt)
	if strings.TrimSpace(f.Code) == "" || strings.TrimSpace(f.Name) == "" {
		var err error = &apperr.Error{Code: apperr.Invalid, Param: "code_field", Detail: "name the fields holding each area's code and name (--code-field F --name-field F)"}
		rep.Reason = explain(err)
		rep, err = finish(rep, err)
		return nil, rep, err
	}
	raw, err := readCareAreas(ctx, pool, path, opt, f, rep)
	rep, err = finish(rep, err)
	if err != nil {
		return nil, rep, err
	}
	rep.Status = StatusDryRun
	return raw, rep, nil
}

func readCareAreas(ctx context.Context, pool *pgxpool.Pool, path string, opt Options, f CareAreaFields, rep *Report) (json.RawMessage, error) {
	r, cols, release, err := staged(ctx, pool, path, opt, rep)
	defer release()
	if r == nil || err != nil {
		return nil, err
	}
	names := make([]string, len(cols))
	for j, c := range cols {
		names[j] = c.name
	}
	rep.Fields = map[string]string{}
	field := func(name, flag, role string) (string, bool) {
		if name == "" {
			return "NULL::text", true
		}
		for _, c := range cols {
			if strings.EqualFold(c.name, name) {
				rep.Fields[c.name] = role
				return fmt.Sprintf("NULLIF(btrim(s.%s::text), '')", pgx.Identifier{c.name}.Sanitize()), true
			}
		}
		rep.reject("fields", fmt.Sprintf("the file has no field %s (its fields: %s); name it with %s", name, strings.Join(names, ", "), flag))
		return "", false
	}
	var exprs [5]string
	for i, w := range []struct{ name, flag, role string }{
		{f.Code, "--code-field", "code"}, {f.Name, "--name-field", "name"}, {f.VillageChief, "--village-chief-field", "chiefs.village"},
		{f.TownshipChief, "--township-chief-field", "chiefs.township"}, {f.CountyChief, "--county-chief-field", "chiefs.county"},
	} {
		var ok bool
		if exprs[i], ok = field(w.name, w.flag, w.role); !ok {
			return nil, nil
		}
	}
	// The geometry is parsed and reprojected to EPSG:4490 here; care.CreateAreas checks the rest
	// (polygon type, validity with PostGIS's reason, codes) for every feature, all or nothing.
	q := fmt.Sprintf(`SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(json_build_object(
			'type', 'Feature', 'geometry', ST_AsGeoJSON(ST_Transform(s._geom::geometry, 4490), 9)::json,
			'properties', json_build_object('row', s._row, 'code', coalesce(%s, ''), 'name', coalesce(%s, ''),
			  'chiefs', json_strip_nulls(json_build_object('village', %s, 'township', %s, 'county', %s)))) ORDER BY s._row), '[]'))
		FROM ingest_stage s`, exprs[0], exprs[1], exprs[2], exprs[3], exprs[4])
	var raw json.RawMessage
	if err := r.tx.QueryRow(ctx, q).Scan(&raw); err != nil {
		rep.reject("geometry", fmt.Sprintf("a geometry of %s could not be read or reprojected to EPSG:4490 (%s); check the file's CRS (--srid N)", rep.File, firstLine(err.Error())))
		return nil, nil
	}
	return raw, nil
}

// firstLine is the first line of s.
func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
