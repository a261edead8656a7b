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
	r, cols, release, err := staged(ctx, pool, path, opt, rep)
	defer release()
	if r == nil || err != nil {
		return err
	}
	plan, err := planFields(cols, opt.Mapping, rep)
	if err != nil {
		return asRejection(rep, err)
	}
	if err := r.screenExtra(ctx, &plan); err != nil {
		return err
	}
	opt.progress("validating %d rows", rep.Rows)
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
	rc, err := r.recomputeParcels(ctx, ids)
	if err != nil {
		return err
	}
	rep.Recompute = &rc
	if err := r.storeRecompute(ctx, rep); err != nil {
		return err
	}
	rep.Status = StatusImported
	opt.progress("committing")
	return r.commit(ctx)
}

// parcelSrc is what parcel_src.sql (and parcel_attribute_issues.sql) need of the field plan.
type parcelSrc struct {
	Raw     []string      // "expression AS name": each registry field's text as the file has it
	Extra   string        // the extra attributes: a jsonb expression, the field names bound
	Numbers []numberField // the registry's numbers
	Stored  []string      // the coded and number fields, as ingest_src keeps them
	Cols    []string      // the columns of ingest_src before the geometry's (src_geometry.sql)
	Safe    bool          // the row-by-row geometry parse (src_geometry.sql)
}

// numberField is a number of the registry as the import parses and checks it.
type numberField struct {
	Property, Max string
	Scale         int
	// PerHectare: the file has no XU_JI but the per-hectare stock: XU_JI is MIAN_JI × it.
	PerHectare     bool
	Check, Message string // the warning for a value that is no number
}

// newParcelSrc plans ingest_src for the field plan; args are the extra attributes' names.
func newParcelSrc(plan fieldPlan) (parcelSrc, []any) {
	text := func(code string) string {
		c, ok := plan.target[code]
		if !ok {
			return "NULL::text"
		}
		return "NULLIF(btrim(s." + pgx.Identifier{c.name}.Sanitize() + "::text), '')"
	}
	var d parcelSrc
	d.Cols = []string{"row", "r_xian", "r_xiang", "r_cun", "r_lin_ban", "r_xiao_ban", "r_mian_ji"}
	for _, f := range parcelfield.All() {
		switch f.Kind {
		case parcelfield.Coded:
			d.Raw = append(d.Raw, text(f.Code)+" AS "+f.Property)
		case parcelfield.Number:
			_, given := plan.target[f.Code]
			_, perHa := plan.target[PerHectareStock]
			d.Numbers = append(d.Numbers, numberField{Property: f.Property, Max: f.Max, Scale: f.Scale,
				PerHectare: f.Code == parcelfield.XuJi && !given && perHa,
				Check:      strings.ToLower(f.Code), Message: f.Code + " %s is not " + f.What + "; left empty"})
			d.Cols = append(d.Cols, "r_"+f.Property)
			fallthrough
		default:
			d.Raw = append(d.Raw, text(f.Code)+" AS r_"+f.Property)
		}
		if f.Kind == parcelfield.Coded || f.Kind == parcelfield.Number {
			d.Stored = append(d.Stored, f.Property)
		}
	}
	d.Raw = append(d.Raw, text(PerHectareStock)+" AS r_"+strings.ToLower(PerHectareStock))
	d.Cols = append(d.Cols, "xian", "xiang", "cun", "lin_ban", "xiao_ban", "code", "key", "county", "mian_ji")
	d.Cols = append(append(d.Cols, d.Stored...), "extra")
	// The fields no parcel column takes are kept, by name, in extra (a function takes at most
	// 100 arguments, hence the parts).
	var args []any
	d.Extra = "'{}'::jsonb"
	for i := 0; i < len(plan.extra); i += 40 {
		var kv []string
		for _, name := range plan.extra[i:min(i+40, len(plan.extra))] {
			args = append(args, name)
			kv = append(kv, fmt.Sprintf("$%d::text, s.%s", len(args), pgx.Identifier{name}.Sanitize()))
		}
		d.Extra += " || jsonb_build_object(" + strings.Join(kv, ", ") + ")"
	}
	return d, args
}

// validateParcels builds ingest_src from the staged rows and runs every check into ingest_issue,
// but the overlap check, which it starts and returns running.
func (r *run) validateParcels(ctx context.Context, plan fieldPlan) (*overlapCheck, error) {
	if err := r.exec(ctx, sqlStmt("issue_table", nil)); err != nil {
		return nil, err
	}
	src, args := newParcelSrc(plan)
	if err := r.createSrc(ctx, func(safe bool) stmt {
		src.Safe = safe
		return sqlStmt("parcel_src", src)
	}, args...); err != nil {
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

	r.opt.progress("validating: attributes")
	if err := r.exec(ctx, sqlStmt("parcel_attribute_issues", src)); err != nil {
		return nil, err
	}
	if err := r.exec(ctx, sqlStmt("duplicate_keys", nil)); err != nil {
		return nil, err
	}
	if err := r.translateCodes(ctx, plan); err != nil {
		return nil, err
	}

	var counties []string
	if err := r.db().scan(ctx, sqlStmt("file_counties", true), nil, &counties); err != nil {
		return nil, err
	}
	r.opt.progress("validating: inside the county")
	if err := r.checkPlacement(ctx, counties); err != nil {
		return nil, err
	}
	r.opt.progress("validating: areas")
	if err := r.exec(ctx, sqlStmt("parcel_areas", nil)); err != nil {
		return nil, err
	}
	if err := r.exec(ctx, sqlStmt("parcel_area_issues", nil), r.tol.SliverM2, r.tol.MianJiShare); err != nil {
		return nil, err
	}
	done = true
	return overlaps, nil
}

// dictionary is the code dictionary: field → scheme → code → maps_to ("" when current).
type dictionary map[string]map[string]map[string]string

func loadDictionary(ctx context.Context, d db) (dictionary, string, error) {
	rows, err := d.query(ctx, sqlStmt("code_dictionary", nil))
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	dict := dictionary{}
	legacy := map[string]bool{}
	schemes := map[string]bool{}
	for rows.Next() {
		var f, s, c, m string
		if err := rows.Scan(&f, &s, &c, &m); err != nil {
			return nil, "", err
		}
		if dict[f] == nil {
			dict[f] = map[string]map[string]string{}
		}
		if dict[f][s] == nil {
			dict[f][s] = map[string]string{}
		}
		dict[f][s][c] = m
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
	return dict, current, rows.Err()
}

// translateCodes decides, field by field, which code scheme the file's codes are in (the one
// that knows most of its values), translates legacy codes to the current scheme through maps_to,
// and moves codes no scheme knows into extra (a warning per row; the column stays empty).
func (r *run) translateCodes(ctx context.Context, plan fieldPlan) error {
	dict, current, err := loadDictionary(ctx, r.db())
	if err != nil {
		return err
	}
	r.current = current
	r.rep.Schemes = map[string]string{}
	// The distinct values of every code field, in one scan (one hash table per grouping set):
	// in each result row only the grouped column can hold a value.
	var present, cols []string
	for _, f := range codeFields {
		if _, ok := plan.target[f]; ok {
			present = append(present, f)
			cols = append(cols, pgx.Identifier{strings.ToLower(f)}.Sanitize())
		}
	}
	distinct := map[string][]string{}
	if len(present) > 0 {
		rows, err := r.db().query(ctx, sqlStmt("code_values", cols))
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
			if err := r.exec(ctx, sqlStmt("unknown_codes", col), f, best, c.name, unknown); err != nil {
				return err
			}
			if err := r.exec(ctx, sqlStmt("unknown_codes_to_extra", col), c.name, unknown); err != nil {
				return err
			}
		}
		if len(from) > 0 {
			if err := r.exec(ctx, sqlStmt("translate_codes", col), from, to); err != nil {
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
	// A field the file does not have says nothing: it is not compared, and the current version's
	// value carries over.
	var match struct{ File, Current []string }
	insert := struct{ Cols, Values []string }{
		Cols:   []string{"code", "xian", "xiang", "cun", "lin_ban", "xiao_ban", "mian_ji", "code_scheme"},
		Values: []string{"f.code", "f.xian", "f.xiang", "f.cun", "f.lin_ban", "f.xiao_ban", "f.mian_ji", "$3"},
	}
	_, perHectare := plan.target[PerHectareStock]
	for _, f := range parcelfield.Of(parcelfield.Area, parcelfield.Coded, parcelfield.Number) {
		_, given := plan.target[f.Code]
		given = given || (f.Code == parcelfield.XuJi && perHectare)
		col := pgx.Identifier{f.Property}.Sanitize()
		if given {
			match.File = append(match.File, "f."+col)
			match.Current = append(match.Current, "c."+col)
		}
		if f.Kind == parcelfield.Area {
			continue // always given
		}
		insert.Cols = append(insert.Cols, col)
		if given {
			insert.Values = append(insert.Values, "f."+col)
		} else {
			insert.Values = append(insert.Values, "c."+col)
		}
	}
	insert.Cols = append(insert.Cols, "owner_id", "extra", "demo", "geom", "area_m2", "area_plane_m2", "valid_from", "batch_id")
	insert.Values = append(insert.Values, "c.owner_id", "coalesce(c.extra, '{}') || f.extra", "coalesce(c.demo, false)", "f.g", "a.area", "a.plane", "$1", "$2")

	d := r.db()
	if err := r.exec(ctx, sqlStmt("parcel_match", match), r.current, r.tol.SameGeometryDeg, sameGrid(r.tol.SameGeometryDeg)); err != nil {
		return nil, err
	}
	c := &r.rep.Counts
	if err := d.scan(ctx, sqlStmt("parcel_match_counts", nil), nil, &c.New, &c.Changed, &c.Unchanged); err != nil {
		return nil, err
	}
	var counties []string
	if err := d.scan(ctx, sqlStmt("file_counties", false), nil, &counties); err != nil {
		return nil, err
	}
	if r.opt.Full {
		if err := d.scan(ctx, sqlStmt("parcels_to_retire", nil), []any{counties}, &c.Retired); err != nil {
			return nil, err
		}
	}
	if r.opt.DryRun {
		return nil, nil
	}

	var at time.Time
	if err := d.scan(ctx, sqlStmt("import_instant", nil), nil, &at); err != nil {
		return nil, err
	}
	at = at.Truncate(time.Microsecond)
	r.rep.ImportedAt = &at
	var batch int64
	if err := d.scan(ctx, sqlStmt("batch_start", nil), []any{"parcels " + r.rep.File, r.rep.StartedAt}, &batch); err != nil {
		return nil, err
	}
	r.rep.Batch = batch
	if err := r.exec(ctx, sqlStmt("close_changed", nil), at); err != nil {
		return nil, explainErr(err)
	}
	var ids []int64
	rows, err := d.query(ctx, sqlStmt("insert_versions", insert), at, batch, r.current)
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
		tag, err := d.exec(ctx, sqlStmt("retire_parcels", nil), at, counties)
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
	if err := r.exec(ctx, sqlStmt("batch_done", nil), batch, report); err != nil {
		return nil, err
	}
	r.done = &audit.Entry{Action: "import", Entity: "parcel", EntityID: fmt.Sprint(batch),
		Detail: map[string]any{"file": r.rep.File, "rows": r.rep.Rows, "new": c.New, "changed": c.Changed,
			"unchanged": c.Unchanged, "retired": c.Retired, "warnings": r.rep.Warnings, "full": r.opt.Full}}
	if c.New+c.Changed+c.Retired > 0 {
		notice, err := json.Marshal(map[string]any{"entity": "parcels", "action": "import", "batch": batch,
			"new": c.New, "changed": c.Changed, "retired": c.Retired})
		if err != nil {
			return nil, err
		}
		if err := r.exec(ctx, sqlStmt("notify_change", nil), postgis.ChangeChannel, string(notice)); err != nil {
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
