package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wuyuan-forestry/ecocomp/internal/audit"
	"github.com/wuyuan-forestry/ecocomp/internal/parcelfield"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis"
)

// ImportParcels reads a parcel file (a zipped Shapefile set, .shp, .gpkg, .geojson or .json),
// validates it row by row and, unless the file has errors or opt.DryRun is set, merges it into
// the parcels in one transaction, recomputing the new versions in it. The report is returned in
// every case; the error wraps ErrRejected when the file's errors refused it.
func ImportParcels(ctx context.Context, pool *pgxpool.Pool, path string, opt Options) (*Report, error) {
	rep := newReport("parcels", sourceName(path, opt), opt)
	err := importParcels(ctx, pool, path, opt, rep)
	return finish(rep, err)
}

// asRejection turns a rejection into the report's reason (and no error); other errors pass.
func asRejection(rep *Report, err error) error {
	var rj *rejection
	if errors.As(err, &rj) {
		rep.reject(rj.check, rj.msg)
		return nil
	}
	return err
}

func importParcels(ctx context.Context, pool *pgxpool.Pool, path string, opt Options, rep *Report) error {
	opt.progress("reading %s", rep.File)
	src, err := openSource(ctx, pool, path, opt, rep)
	if err != nil {
		return asRejection(rep, err)
	}
	defer src.cleanup()
	r, err := begin(ctx, pool, opt, rep)
	if err != nil {
		return err
	}
	defer r.close()
	r.src = src

	cols, n, err := r.stage(ctx)
	if err != nil {
		return asRejection(rep, err)
	}
	rep.Rows = n
	if n == 0 {
		rep.reject("empty", fmt.Sprintf("%s holds no features: nothing to import", rep.File))
		return nil
	}
	plan, err := planFields(cols, opt.Mapping, rep)
	if err != nil {
		return asRejection(rep, err)
	}
	if err := r.screenExtra(ctx, &plan); err != nil {
		return err
	}
	opt.progress("validating %d rows", n)
	overlaps, err := r.validateParcels(ctx, plan)
	if err != nil {
		return asRejection(rep, err)
	}
	defer overlaps.stop()
	if err := r.collectIssues(ctx); err != nil {
		return err
	}
	if rep.Errors > 0 {
		if err := r.waitOverlaps(overlaps); err != nil {
			return err
		}
		r.rejected()
		return nil
	}
	// The merge goes ahead while the overlap check runs; an overlap rolls it back.
	opt.progress("merging")
	ids, err := r.mergeParcels(ctx, plan)
	if err != nil {
		return err
	}
	opt.progress("waiting for the overlap check")
	if err := r.waitOverlaps(overlaps); err != nil {
		return err
	}
	if rep.Errors > 0 {
		r.rejected()
		return nil
	}
	if opt.DryRun {
		rep.Status = StatusDryRun
		return nil
	}
	opt.progress("recomputing %d parcels", len(ids))
	rc, err := recomputeParcels(ctx, r.tx, ids)
	if err != nil {
		return err
	}
	rep.Recompute = &rc
	if err := storeRecompute(ctx, r.tx, rep); err != nil {
		return err
	}
	rep.Status = StatusImported
	opt.progress("committing")
	return r.commit(ctx)
}

// numRe matches a plain decimal number as surveyors' files write it.
const numRe = `'^[+]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][-+]?[0-9]+)?$'`

// validateParcels builds ingest_src from the staged rows and runs every check into ingest_issue,
// but the overlap check, which it starts and returns running.
func (r *run) validateParcels(ctx context.Context, plan fieldPlan) (*overlapCheck, error) {
	if err := r.exec(ctx, issueDDL); err != nil {
		return nil, err
	}
	txt := func(f string) string {
		c, ok := plan.target[f]
		if !ok {
			return "NULL::text"
		}
		return "NULLIF(btrim(s." + pgx.Identifier{c.name}.Sanitize() + "::text), '')"
	}
	// The fields no parcel column takes are kept, by name, in extra (keys are bound parameters;
	// a function takes at most 100 arguments, hence the chunks).
	var extraArgs []any
	extra := "'{}'::jsonb"
	for i := 0; i < len(plan.extra); i += 40 {
		var kv []string
		for _, name := range plan.extra[i:min(i+40, len(plan.extra))] {
			extraArgs = append(extraArgs, name)
			kv = append(kv, fmt.Sprintf("$%d::text, s.%s", len(extraArgs), pgx.Identifier{name}.Sanitize()))
		}
		extra += " || jsonb_build_object(" + strings.Join(kv, ", ") + ")"
	}
	// The file's text of every field: raw (r_…) for those normalised below, as they will be
	// stored for codes (translated later).
	var raw strings.Builder
	raw.WriteString("SELECT s._row AS row")
	for _, f := range parcelfield.All() {
		if f.Kind == parcelfield.Coded {
			fmt.Fprintf(&raw, ", %s AS %s", txt(f.Code), f.Property)
		} else {
			fmt.Fprintf(&raw, ", %s AS r_%s", txt(f.Code), f.Property)
		}
	}
	fmt.Fprintf(&raw, ", %s AS r_%s", txt(PerHectareStock), strings.ToLower(PerHectareStock))
	raw.WriteString(", " + extra + " AS extra, s._geom FROM ingest_stage s")

	num := func(col, max string, scale int) string {
		return fmt.Sprintf(`CASE WHEN r.%[1]s ~ %[2]s THEN CASE WHEN r.%[1]s::numeric < %[3]s THEN round(r.%[1]s::numeric, %[4]d) END END`, col, numRe, max, scale)
	}
	// Numbers: a value that is not one stays empty (a warning below); a file with a per-hectare
	// stock and no XU_JI gets MIAN_JI × it.
	var numbers, rawNumbers []string
	numberChecks, numberWhere := "", ""
	var numberArgs []any
	for _, f := range parcelfield.Of(parcelfield.Number) {
		expr := num("r_"+f.Property, f.Max, f.Scale)
		if _, ok := plan.target[f.Code]; !ok && f.Code == parcelfield.XuJi {
			if _, ok := plan.target[PerHectareStock]; ok {
				expr = fmt.Sprintf(`round((%s) * (%s), 1)`, num("r_huo_lmgqxj", "1e6", 4), num("r_mian_ji", "1e9", 4))
			}
		}
		numbers = append(numbers, expr+" AS "+f.Property)
		rawNumbers = append(rawNumbers, "r_"+f.Property)
		numberArgs = append(numberArgs, strings.ToLower(f.Code), f.Code+" %s is not "+f.What+"; left empty")
		numberChecks += fmt.Sprintf(`,
	('warning', $%d, CASE WHEN s.r_%[3]s IS NOT NULL AND s.%[3]s IS NULL THEN format($%[2]d, quote_literal(s.r_%[3]s)) END)`,
			len(numberArgs)-1, len(numberArgs), f.Property)
		numberWhere += fmt.Sprintf(" OR (s.r_%[1]s IS NOT NULL AND s.%[1]s IS NULL)", f.Property)
	}
	// Normalising the key: full township or village codes are cut to their own digits and short
	// numbers padded (a number column loses leading zeros). Regular expressions only where a
	// value is short: a county has 100,000 rows, and every expression here runs once per use.
	pad := func(col string, n int) string {
		return fmt.Sprintf(`CASE WHEN length(r.%[1]s) < %[2]d AND r.%[1]s ~ '^[0-9]+$' THEN lpad(r.%[1]s, %[2]d, '0') ELSE r.%[1]s END`, col, n)
	}
	norm := `SELECT r.*, r.r_xian AS xian,
	CASE WHEN length(r.r_xiang) = 9 AND left(r.r_xiang, 6) = r.r_xian THEN right(r.r_xiang, 3) ELSE ` + pad("r_xiang", 3) + ` END AS xiang,
	CASE WHEN length(r.r_cun) = 12 AND left(r.r_cun, 6) = r.r_xian THEN right(r.r_cun, 3) ELSE ` + pad("r_cun", 3) + ` END AS cun,
	` + pad("r_lin_ban", 4) + ` AS lin_ban,
	` + pad("r_xiao_ban", 5) + ` AS xiao_ban,
	` + num("r_mian_ji", "1e9", 4) + ` AS mian_ji` + prefixEach(", ", numbers) + `
FROM (` + raw.String() + `) r`
	inner := `SELECT n.*, CASE WHEN length(n.xian) = 6 AND length(n.xiang) = 3 AND length(n.cun) = 3
	AND n.lin_ban IS NOT NULL AND n.xiao_ban IS NOT NULL AND n.xian || n.xiang || n.cun ~ '^[0-9]{12}$'
	THEN n.xian || n.xiang || n.cun || n.lin_ban || n.xiao_ban END AS code
FROM (` + norm + `) n`
	names := append([]string{"row", "r_xian", "r_xiang", "r_cun", "r_lin_ban", "r_xiao_ban", "r_mian_ji"}, rawNumbers...)
	var stored []string
	for _, f := range parcelfield.Of(parcelfield.Number, parcelfield.Coded) {
		stored = append(stored, f.Property)
	}
	names = append(names, "xian", "xiang", "cun", "lin_ban", "xiao_ban", "code", "key", "county", "mian_ji")
	names = append(append(names, stored...), "extra")
	attrs := `s.row, s.r_xian, s.r_xiang, s.r_cun, s.r_lin_ban, s.r_xiao_ban, s.r_mian_ji` + prefixEach(", s.", rawNumbers) + `,
	s.xian, s.xiang, s.cun, s.lin_ban, s.xiao_ban, s.code,
	coalesce(s.code, concat_ws('/', coalesce(s.r_xian, '?'), coalesce(s.r_xiang, '?'), coalesce(s.r_cun, '?'),
		coalesce(s.r_lin_ban, '?'), coalesce(s.r_xiao_ban, '?'))) AS key,
	s.xian AS county, s.mian_ji` + prefixEach(", s.", stored) + `, s.extra`
	if err := r.createSrc(ctx, `(`+inner+`)`, attrs, names, extraArgs...); err != nil {
		return nil, err
	}
	// Geometry first: usable, repaired where it can be; then the overlap check (the longest) can
	// start on its own connection while the other checks run here. Then placement in the county
	// and sensible areas.
	r.opt.progress("validating: geometry")
	if err := r.checkGeometry(ctx); err != nil {
		return nil, err
	}
	r.opt.progress("validating: overlaps (in the background)")
	overlaps, err := r.startOverlaps(ctx, "")
	if err != nil {
		return nil, err
	}
	done := false
	defer func() {
		if !done {
			overlaps.stop()
		}
	}()

	// Keys, legal area and stock in one pass; duplicates by grouping.
	r.opt.progress("validating: attributes")
	if err := r.exec(ctx, `INSERT INTO ingest_issue (row, key, severity, check_id, message)
SELECT s.row, s.key, x.severity, x.check_id, x.message
FROM ingest_src s CROSS JOIN LATERAL (VALUES
	('error', 'key', CASE WHEN s.code IS NULL THEN 'incomplete or malformed key: ' || concat_ws('; ',
		CASE WHEN s.xian IS NULL THEN 'XIAN is empty' WHEN s.xian !~ '^[0-9]{6}$' THEN format('XIAN %s is not 6 digits', quote_literal(s.xian)) END,
		CASE WHEN s.xiang IS NULL THEN 'XIANG is empty' WHEN s.xiang !~ '^[0-9]{3}$' THEN format('XIANG %s is not 3 digits (or the 9-digit township code)', quote_literal(s.r_xiang)) END,
		CASE WHEN s.cun IS NULL THEN 'CUN is empty' WHEN s.cun !~ '^[0-9]{3}$' THEN format('CUN %s is not 3 digits (or the 12-digit village code)', quote_literal(s.r_cun)) END,
		CASE WHEN s.lin_ban IS NULL THEN 'LIN_BAN is empty' END,
		CASE WHEN s.xiao_ban IS NULL THEN 'XIAO_BAN is empty' END) END),
	('error', 'mian_ji', CASE WHEN s.r_mian_ji IS NULL THEN 'MIAN_JI (legal area, ha) is empty'
		WHEN s.mian_ji IS NULL OR s.mian_ji <= 0 THEN format('MIAN_JI %s is not a positive number of hectares', quote_literal(s.r_mian_ji)) END)`+numberChecks+`
	) AS x(severity, check_id, message)
WHERE (s.code IS NULL OR s.mian_ji IS NULL OR s.mian_ji <= 0`+numberWhere+`)
	AND x.message IS NOT NULL`, numberArgs...); err != nil {
		return nil, err
	}
	if err := r.exec(ctx, `INSERT INTO ingest_issue (row, key, severity, check_id, message, other_row)
SELECT s.row, s.key, 'error', 'duplicate_key',
	format('duplicate key: %s is also on row %s', s.code, array_to_string(array_remove(d.rows, s.row), ', ')),
	(array_remove(d.rows, s.row))[1]
FROM ingest_src s JOIN (SELECT code, array_agg(row ORDER BY row) AS rows FROM ingest_src
	WHERE code IS NOT NULL GROUP BY code HAVING count(*) > 1) d ON d.code = s.code`); err != nil {
		return nil, err
	}
	if err := r.translateCodes(ctx, plan); err != nil {
		return nil, err
	}

	var counties []string
	if err := r.tx.QueryRow(ctx, `SELECT coalesce(array_agg(DISTINCT xian), '{}') FROM ingest_src WHERE xian ~ '^[0-9]{6}$'`).Scan(&counties); err != nil {
		return nil, err
	}
	r.opt.progress("validating: inside the county")
	if err := r.checkPlacement(ctx, counties); err != nil {
		return nil, err
	}
	r.opt.progress("validating: areas")
	// Both areas of every geometry, by parallel workers: the planar one is what MIAN_JI is checked
	// against, and the merge stores both with the new versions (parcel_areas, migration 00012).
	if err := r.exec(ctx, `CREATE UNLOGGED TABLE ingest_area AS
SELECT row, key, mian_ji, parcel_area_plane_m2(g) AS plane, parcel_area_m2(g) AS area
FROM ingest_src WHERE g IS NOT NULL`); err != nil {
		return nil, err
	}
	if err := r.exec(ctx, `INSERT INTO ingest_issue (row, key, severity, check_id, message, area_m2)
SELECT row, key, 'warning', 'sliver', format('the polygon has %s m² (planar), under the minimum area of %s m²',
	round(plane::numeric, 1), $1::numeric), plane
FROM ingest_area WHERE plane < $1
UNION ALL
SELECT s.row, s.key, 'warning', 'sliver', format('part %s of the multipolygon has %s m² (planar), under the minimum area of %s m²',
	d.path[1], round(p.plane::numeric, 1), $1::numeric), p.plane
FROM ingest_src s, ST_Dump(s.g) d, parcel_area_plane_m2(d.geom) p(plane)
WHERE ST_NumGeometries(s.g) > 1 AND parcel_area_plane_m2(s.g) >= $1 AND p.plane < $1
UNION ALL
SELECT row, key, 'warning', 'mian_ji', format('MIAN_JI %s ha deviates %s %% from the planar area %s ha (EPSG:4548)',
	mian_ji, round((100 * (mian_ji * 10000 - plane::numeric) / plane::numeric), 2), round((plane / 10000)::numeric, 4)), plane
FROM ingest_area WHERE mian_ji > 0 AND plane > 0 AND abs(mian_ji * 10000 - plane::numeric) > $2 * plane::numeric`,
		r.tol.SliverM2, r.tol.MianJiShare); err != nil {
		return nil, err
	}
	done = true
	return overlaps, nil
}

// dictionary is the code dictionary: field → scheme → code → maps_to ("" when current).
type dictionary map[string]map[string]map[string]string

func loadDictionary(ctx context.Context, tx pgx.Tx) (dictionary, string, error) {
	rows, err := tx.Query(ctx, `SELECT field, scheme, code, coalesce(maps_to, '') FROM code_dictionary`)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	d := dictionary{}
	legacy := map[string]bool{}
	schemes := map[string]bool{}
	for rows.Next() {
		var f, s, c, m string
		if err := rows.Scan(&f, &s, &c, &m); err != nil {
			return nil, "", err
		}
		if d[f] == nil {
			d[f] = map[string]map[string]string{}
		}
		if d[f][s] == nil {
			d[f][s] = map[string]string{}
		}
		d[f][s][c] = m
		schemes[s] = true
		if m != "" {
			legacy[s] = true
		}
	}
	// The current scheme is the one no code maps away from (the newest such, should there be several).
	current := ""
	for s := range schemes {
		if !legacy[s] && s > current {
			current = s
		}
	}
	return d, current, rows.Err()
}

// translateCodes decides, field by field, which code scheme the file's codes are in (the one
// that knows most of its values), translates legacy codes to the current scheme through maps_to,
// and moves codes no scheme knows into extra (a warning per row; the column stays empty).
func (r *run) translateCodes(ctx context.Context, plan fieldPlan) error {
	dict, current, err := loadDictionary(ctx, r.tx)
	if err != nil {
		return err
	}
	r.current = current
	r.rep.Schemes = map[string]string{}
	// The distinct values of every code field, in one scan (one hash table per grouping set):
	// in each result row only the grouped column can hold a value.
	var present, sets []string
	for _, f := range codeFields {
		if _, ok := plan.target[f]; ok {
			present = append(present, f)
			sets = append(sets, "("+pgx.Identifier{strings.ToLower(f)}.Sanitize()+")")
		}
	}
	distinct := map[string][]string{}
	if len(present) > 0 {
		cols := strings.Join(sets, ", ")
		rows, err := r.tx.Query(ctx, `SELECT `+strings.NewReplacer("(", "", ")", "").Replace(cols)+` FROM ingest_src GROUP BY GROUPING SETS (`+cols+`)`)
		if err != nil {
			return err
		}
		for rows.Next() {
			vals := make([]*string, len(present))
			dest := make([]any, len(present))
			for i := range vals {
				dest[i] = &vals[i]
			}
			if err := rows.Scan(dest...); err != nil {
				rows.Close()
				return err
			}
			for i, v := range vals {
				if v != nil {
					distinct[present[i]] = append(distinct[present[i]], *v)
				}
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	for _, f := range codeFields {
		c, ok := plan.target[f]
		if !ok {
			continue
		}
		col := pgx.Identifier{strings.ToLower(f)}.Sanitize()
		values := distinct[f]
		if len(values) == 0 {
			continue
		}
		schemes := dict[f]
		lookup := func(scheme, v string) (string, bool) {
			codes := schemes[scheme]
			if m, ok := codes[v]; ok {
				return resolve(v, m), true
			}
			if c.numeric() { // a number column lost the code's leading zeros
				for code, m := range codes {
					if len(code) > len(v) && strings.TrimLeft(code, "0") == strings.TrimLeft(v, "0") && strings.Trim(code, "0123456789") == "" {
						return resolve(code, m), true
					}
				}
			}
			return "", false
		}
		best, bestN := current, -1
		names := make([]string, 0, len(schemes))
		for s := range schemes {
			names = append(names, s)
		}
		sort.Strings(names)
		for _, s := range names {
			n := 0
			for _, v := range values {
				if _, ok := lookup(s, v); ok {
					n++
				}
			}
			if n > bestN || (n == bestN && s == current) {
				best, bestN = s, n
			}
		}
		var from, to, unknown []string
		for _, v := range values {
			code, ok := lookup(best, v)
			switch {
			case !ok:
				unknown = append(unknown, v)
			case code != v:
				from, to = append(from, v), append(to, code)
			}
		}
		r.rep.Schemes[f] = best
		if best != current {
			r.rep.Schemes[f] = fmt.Sprintf("%s, translated to %s through code_dictionary", best, current)
		}
		if len(unknown) > 0 {
			// An unknown code is kept in extra (and published) unless it looks like personal
			// data; the report never shows such a value.
			if err := r.exec(ctx, `INSERT INTO ingest_issue (row, key, severity, check_id, message)
SELECT row, key, 'warning', 'unknown_code', CASE WHEN looks_like_personal_data(`+col+`)
	THEN format('unknown %s code (a value that looks like personal data, not shown) in code scheme %s: %s is left empty and the value is not kept',
		$1::text, $2::text, $1::text)
	ELSE format('unknown %s code %s (code scheme %s): %s is left empty and the code kept in extra as %s',
		$1::text, quote_literal(`+col+`), $2::text, $1::text, $3::text) END
FROM ingest_src WHERE `+col+` = ANY($4)`, f, best, c.name, unknown); err != nil {
				return err
			}
			if err := r.exec(ctx, `UPDATE ingest_src SET extra = CASE WHEN looks_like_personal_data(`+col+`) THEN extra
	ELSE extra || jsonb_build_object($1::text, `+col+`) END, `+col+` = NULL
WHERE `+col+` = ANY($2)`, c.name, unknown); err != nil {
				return err
			}
		}
		if len(from) > 0 {
			if err := r.exec(ctx, `UPDATE ingest_src s SET `+col+` = x.code FROM unnest($1::text[], $2::text[]) AS x(raw, code)
WHERE s.`+col+` = x.raw`, from, to); err != nil {
				return err
			}
		}
	}
	return nil
}

// resolve is the current-scheme code of a dictionary entry: itself, or what it maps to.
func resolve(code, mapsTo string) string {
	if mapsTo != "" {
		return mapsTo
	}
	return code
}

// mergeParcels classifies every row against the current parcels (new, changed, unchanged),
// closes the changed versions and inserts the new ones at one instant under a new import batch,
// retires absent parcels of a full import, and returns the ids of the new versions. In a dry
// run it only classifies.
func (r *run) mergeParcels(ctx context.Context, plan fieldPlan) ([]int64, error) {
	present := func(f string) bool { _, ok := plan.target[f]; return ok }
	// A field the file does not have says nothing: the current version's value carries over.
	val := func(f string) string {
		col := strings.ToLower(f)
		if present(f) || (f == "XU_JI" && present(PerHectareStock)) {
			return "f." + col
		}
		return "c." + col
	}
	var fileVals, curVals []string
	for _, f := range parcelfield.Codes(parcelfield.Area, parcelfield.Coded, parcelfield.Number) {
		if val(f) == "f."+strings.ToLower(f) {
			fileVals = append(fileVals, "f."+strings.ToLower(f))
			curVals = append(curVals, "c."+strings.ToLower(f))
		}
	}
	if err := r.exec(ctx, `CREATE UNLOGGED TABLE ingest_match AS
SELECT f.row, c.id AS cur_id,
	CASE WHEN c.id IS NULL THEN 'new'
	     WHEN (`+strings.Join(fileVals, ", ")+`, $1::text) IS DISTINCT FROM (`+strings.Join(curVals, ", ")+`, c.code_scheme) THEN 'changed'
	     WHEN c.extra || f.extra <> c.extra THEN 'changed'
	     WHEN ST_NPoints(f.g) <> ST_NPoints(c.geom) THEN 'changed'
	     WHEN ST_OrderingEquals(ST_SnapToGrid(ST_Normalize(f.g), $3), ST_SnapToGrid(ST_Normalize(c.geom), $3)) THEN 'unchanged'
	     WHEN ST_HausdorffDistance(f.g, c.geom) > $2 THEN 'changed'
	     ELSE 'unchanged' END AS status
FROM ingest_src f LEFT JOIN parcel c ON c.code = f.code AND c.valid_to IS NULL`, r.current, r.tol.SameGeometryDeg, sameGrid(r.tol.SameGeometryDeg)); err != nil {
		return nil, err
	}
	c := &r.rep.Counts
	if err := r.tx.QueryRow(ctx, `SELECT count(*) FILTER (WHERE status = 'new'), count(*) FILTER (WHERE status = 'changed'),
		count(*) FILTER (WHERE status = 'unchanged') FROM ingest_match`).Scan(&c.New, &c.Changed, &c.Unchanged); err != nil {
		return nil, err
	}
	var counties []string
	if err := r.tx.QueryRow(ctx, `SELECT coalesce(array_agg(DISTINCT xian), '{}') FROM ingest_src`).Scan(&counties); err != nil {
		return nil, err
	}
	if r.opt.Full {
		if err := r.tx.QueryRow(ctx, `SELECT count(*) FROM parcel p WHERE p.valid_to IS NULL AND p.xian = ANY($1)
			AND NOT EXISTS (SELECT 1 FROM ingest_src f WHERE f.code = p.code)`, counties).Scan(&c.Retired); err != nil {
			return nil, err
		}
	}
	if r.opt.DryRun {
		return nil, nil
	}

	var at time.Time
	if err := r.tx.QueryRow(ctx, `SELECT clock_timestamp()`).Scan(&at); err != nil {
		return nil, err
	}
	at = at.Truncate(time.Microsecond)
	r.rep.ImportedAt = &at
	var batch int64
	if err := r.tx.QueryRow(ctx, `INSERT INTO import_batch (kind, source, started_at) VALUES ('import', $1, $2) RETURNING id`,
		"parcels "+r.rep.File, r.rep.StartedAt).Scan(&batch); err != nil {
		return nil, err
	}
	r.rep.Batch = batch
	if err := r.exec(ctx, `UPDATE parcel p SET valid_to = $1 FROM ingest_match m WHERE p.id = m.cur_id AND m.status = 'changed'`, at); err != nil {
		return nil, explainErr(err)
	}
	cols := []string{"code", "xian", "xiang", "cun", "lin_ban", "xiao_ban", "mian_ji", "code_scheme"}
	sel := []string{"f.code", "f.xian", "f.xiang", "f.cun", "f.lin_ban", "f.xiao_ban", "f.mian_ji", "$3"}
	for _, f := range parcelfield.Codes(parcelfield.Coded, parcelfield.Number) {
		cols = append(cols, strings.ToLower(f))
		sel = append(sel, val(f))
	}
	cols = append(cols, "owner_id", "extra", "demo", "geom", "area_m2", "area_plane_m2", "valid_from", "batch_id")
	sel = append(sel, "c.owner_id", "coalesce(c.extra, '{}') || f.extra", "coalesce(c.demo, false)", "f.g", "a.area", "a.plane", "$1", "$2")
	var ids []int64
	rows, err := r.tx.Query(ctx, `INSERT INTO parcel (`+strings.Join(cols, ", ")+`)
SELECT `+strings.Join(sel, ", ")+`
FROM ingest_src f JOIN ingest_match m ON m.row = f.row JOIN ingest_area a ON a.row = f.row LEFT JOIN parcel c ON c.id = m.cur_id
WHERE m.status IN ('new', 'changed')
ORDER BY f.code
RETURNING id`, at, batch, r.current)
	if err != nil {
		return nil, explainErr(err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, explainErr(err)
	}
	if r.opt.Full {
		tag, err := r.tx.Exec(ctx, `UPDATE parcel p SET valid_to = $1 WHERE p.valid_to IS NULL AND p.xian = ANY($2)
			AND NOT EXISTS (SELECT 1 FROM ingest_src f WHERE f.code = p.code)`, at, counties)
		if err != nil {
			return nil, explainErr(err)
		}
		c.Retired = int(tag.RowsAffected())
	}
	r.rep.Status = StatusImported
	report, err := json.Marshal(r.rep)
	if err != nil {
		return nil, err
	}
	if err := r.exec(ctx, `UPDATE import_batch SET status = 'done', finished_at = clock_timestamp(), report = $2 WHERE id = $1`, batch, report); err != nil {
		return nil, err
	}
	r.done = &audit.Entry{Action: "import", Entity: "parcel", EntityID: fmt.Sprint(batch),
		Detail: map[string]any{"file": r.rep.File, "rows": r.rep.Rows, "new": c.New, "changed": c.Changed,
			"unchanged": c.Unchanged, "retired": c.Retired, "warnings": r.rep.Warnings, "full": r.opt.Full}}
	if c.New+c.Changed+c.Retired > 0 {
		notice, _ := json.Marshal(map[string]any{"entity": "parcels", "action": "import", "batch": batch,
			"new": c.New, "changed": c.Changed, "retired": c.Retired})
		if err := r.exec(ctx, `SELECT pg_notify($1, $2)`, postgis.ChangeChannel, string(notice)); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// sameGrid is the grid on which two geometries that snap to the same vertices are unchanged
// without computing their Hausdorff distance: vertices in one cell are at most a cell's
// diagonal apart, within tol. 1e-7° is also the rounding of a GeoJSON export, so an exported
// parcel snaps back onto its stored version.
func sameGrid(tol float64) float64 {
	return min(1e-7, tol/math.Sqrt2)
}

// explainErr words a database error of the merge (a constraint the checks should have caught).
func explainErr(err error) error {
	return fmt.Errorf("merge: %s", postgis.Explain(err))
}

// prefixEach writes each item with the prefix before it.
func prefixEach(prefix string, items []string) string {
	var b strings.Builder
	for _, it := range items {
		b.WriteString(prefix + it)
	}
	return b.String()
}
