package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/audit"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis"
)

// zoneKind is a row of the zone_kind table.
type zoneKind struct{ kind, labelZH, labelEN string }

// zoneKinds lists the zone kinds an area kind may hold.
func zoneKinds(ctx context.Context, db queryer, areaKind string) ([]zoneKind, error) {
	rows, err := db.Query(ctx, `SELECT zone_kind, label_zh, label_en FROM zone_kind WHERE area_kind = $1 ORDER BY zone_kind`, areaKind)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []zoneKind
	for rows.Next() {
		var k zoneKind
		if err := rows.Scan(&k.kind, &k.labelZH, &k.labelEN); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

type queryer interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// AreaLevels are the values of protected_area.level: who designated the area.
var AreaLevels = []string{"national", "provincial", "municipal", "county"}

// CheckZoneOptions validates what a zone import needs before any file is read: the area, its
// kind, the zone field and a value map onto zone kinds of that area kind.
func CheckZoneOptions(ctx context.Context, pool *pgxpool.Pool, opt Options) error {
	if strings.TrimSpace(opt.Area) == "" {
		return &apperr.Error{Code: apperr.Invalid, Param: "area", Detail: "name the protected area the zones belong to (--area NAME)"}
	}
	if strings.TrimSpace(opt.ZoneField) == "" {
		return &apperr.Error{Code: apperr.Invalid, Param: "zone_field", Detail: "name the field that holds each zone's kind (--zone-field FIELD)"}
	}
	if opt.AreaLevel != "" && !slices.Contains(AreaLevels, opt.AreaLevel) {
		return &apperr.Error{Code: apperr.Invalid, Param: "area_level", Detail: fmt.Sprintf("area level %q is not known; use one of %s (who designated the area)",
			opt.AreaLevel, strings.Join(AreaLevels, ", "))}
	}
	kinds, err := zoneKinds(ctx, pool, opt.AreaKind)
	if err != nil {
		return err
	}
	if len(kinds) == 0 {
		return &apperr.Error{Code: apperr.Invalid, Param: "area_kind", Detail: fmt.Sprintf("area kind %q is not known; use nature_reserve or wetland_park", opt.AreaKind)}
	}
	known := map[string]bool{}
	var names []string
	for _, k := range kinds {
		known[k.kind] = true
		names = append(names, k.kind)
	}
	for v, k := range opt.ValueMap {
		if !known[k] {
			return &apperr.Error{Code: apperr.Invalid, Param: "value_map", Detail: fmt.Sprintf("value map %s=%s: %q is not a zone kind of a %s; use one of %s",
				v, k, k, opt.AreaKind, strings.Join(names, ", "))}
		}
	}
	return nil
}

// ImportZones reads a file of protected-area zones and replaces the zones of the area with it
// in one transaction: zones are matched by (site, zone kind), features of the same site and
// kind are merged, zones of the area absent from the file are deleted. Zones of one area may
// not overlap each other. The changed zones' overlays and the results of every parcel they touch
// are recomputed in the same transaction.
func ImportZones(ctx context.Context, pool *pgxpool.Pool, path string, opt Options) (*Report, error) {
	rep := newReport("zones", sourceName(path, opt), opt)
	rep.Area = opt.Area
	if err := CheckZoneOptions(ctx, pool, opt); err != nil {
		rep.Reason = explain(err)
		return finish(rep, err)
	}
	err := importZones(ctx, pool, path, opt, rep)
	return finish(rep, err)
}

func importZones(ctx context.Context, pool *pgxpool.Pool, path string, opt Options, rep *Report) error {
	r, cols, release, err := staged(ctx, pool, path, opt, rep)
	defer release()
	if r == nil || err != nil {
		return err
	}
	find := func(name string) (stageCol, bool) {
		for _, c := range cols {
			if strings.EqualFold(c.name, name) {
				return c, true
			}
		}
		return stageCol{}, false
	}
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.name
	}
	zf, ok := find(opt.ZoneField)
	if !ok {
		rep.reject("fields", fmt.Sprintf("the file has no field %s (its fields: %s); name the zone field with --zone-field", opt.ZoneField, strings.Join(names, ", ")))
		return nil
	}
	zsrc := zoneSrc{ZoneField: zf.name, Cols: []string{"row", "value", "site", "key", "county", "kind"}}
	rep.Fields = map[string]string{zf.name: "zone_kind"}
	if opt.SiteField != "" {
		sf, ok := find(opt.SiteField)
		if !ok {
			rep.reject("fields", fmt.Sprintf("the file has no field %s (its fields: %s)", opt.SiteField, strings.Join(names, ", ")))
			return nil
		}
		zsrc.SiteField = sf.name
		rep.Fields[sf.name] = "site"
	}
	opt.progress("validating %d rows", rep.Rows)
	if err := r.exec(ctx, sqlStmt("issue_table", nil)); err != nil {
		return err
	}
	if err := r.createSrc(ctx, func(safe bool) stmt {
		zsrc.Safe = safe
		return sqlStmt("zone_src", zsrc)
	}); err != nil {
		return err
	}
	labels, err := r.resolveZoneKinds(ctx)
	if err != nil {
		return err
	}
	if err := r.checkGeometry(ctx); err != nil {
		return err
	}
	if err := r.checkPlacement(ctx, nil); err != nil {
		return err
	}
	if err := r.exec(ctx, sqlStmt("zone_slivers", nil), r.tol.SliverM2); err != nil {
		return err
	}
	overlaps, err := r.startOverlaps(ctx, "a.kind IS NOT DISTINCT FROM b.kind AND a.site = b.site", "kind", "site")
	if err != nil {
		return err
	}
	if err := r.waitOverlaps(overlaps); err != nil {
		return err
	}
	if err := r.collectIssues(ctx); err != nil {
		return err
	}
	if rep.Errors > 0 {
		r.rejected()
		return nil
	}
	opt.progress("merging")
	zoneIDs, parcelIDs, err := r.mergeZones(ctx, labels)
	if err != nil {
		return asRejection(rep, err)
	}
	if opt.DryRun {
		rep.Status = StatusDryRun
		return nil
	}
	opt.progress("recomputing %d zones", len(zoneIDs))
	rc, err := r.recomputeZones(ctx, zoneIDs, parcelIDs)
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

// resolveZoneKinds maps every zone value of the file to a zone kind: through the value map, or
// as the kind's own name or its Chinese or English label. Unknown values are errors.
func (r *run) resolveZoneKinds(ctx context.Context) (map[string]string, error) {
	kinds, err := zoneKinds(ctx, r.tx, r.opt.AreaKind)
	if err != nil {
		return nil, err
	}
	byValue := map[string]string{}
	labels := map[string]string{}
	var names []string
	for _, k := range kinds {
		byValue[strings.ToLower(k.kind)] = k.kind
		byValue[strings.ToLower(k.labelZH)] = k.kind
		byValue[strings.ToLower(k.labelEN)] = k.kind
		labels[k.kind] = k.labelZH
		names = append(names, k.kind+" "+k.labelZH)
	}
	for v, k := range r.opt.ValueMap {
		byValue[strings.ToLower(v)] = k
	}
	var values []string
	if err := r.db().scan(ctx, sqlStmt("zone_values", nil), nil, &values); err != nil {
		return nil, err
	}
	var from, to, unknown []string
	for _, v := range values {
		if k, ok := byValue[strings.ToLower(v)]; ok {
			from, to = append(from, v), append(to, k)
		} else {
			unknown = append(unknown, v)
		}
	}
	if err := r.exec(ctx, sqlStmt("zone_kinds_set", nil), from, to); err != nil {
		return nil, err
	}
	if err := r.exec(ctx, sqlStmt("zone_kind_issues", nil), r.opt.ZoneField, r.opt.AreaKind, strings.Join(names, ", "), unknown); err != nil {
		return nil, err
	}
	return labels, nil
}

// mergeZones writes the file's zones over the area's: it returns the new and changed zones and
// the current parcels that lay in deleted zones (both are recomputed before the commit).
func (r *run) mergeZones(ctx context.Context, labels map[string]string) ([]int64, []int64, error) {
	var areaID int64
	var areaKind string
	var areaDemo bool
	var areaLevel string
	d := r.db()
	err := d.scan(ctx, sqlStmt("protected_area", nil), []any{r.opt.Area}, &areaID, &areaKind, &areaDemo, &areaLevel)
	levelChanged := false
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		if r.opt.AreaLevel == "" {
			r.rep.note("the protected area %s is new; no level given, so it is recorded as national (pass --level national|provincial|municipal|county: subsidy tiers depend on it)", r.opt.Area)
		} else {
			r.rep.note("the protected area %s is new, level %s", r.opt.Area, r.opt.AreaLevel)
		}
	case err != nil:
		return nil, nil, err
	case areaKind != r.opt.AreaKind:
		return nil, nil, reject("area", "the protected area %s is a %s, not a %s", r.opt.Area, areaKind, r.opt.AreaKind)
	case areaDemo:
		r.rep.note("the protected area %s is marked demonstration data; the imported zones are not", r.opt.Area)
	}
	if areaID != 0 && r.opt.AreaLevel != "" && r.opt.AreaLevel != areaLevel {
		levelChanged = true
		r.rep.note("the level of %s changes from %s to %s; the results of every parcel in its zones are recomputed", r.opt.Area, areaLevel, r.opt.AreaLevel)
	}
	if err := r.exec(ctx, sqlStmt("zone_match", nil), areaID, r.tol.SameGeometryDeg); err != nil {
		return nil, nil, err
	}
	c := &r.rep.Counts
	var deleted []int64
	if err := d.scan(ctx, sqlStmt("zone_match_counts", nil), []any{areaID}, &c.New, &c.Changed, &c.Unchanged, &deleted); err != nil {
		return nil, nil, err
	}
	c.Deleted = len(deleted)
	if r.opt.DryRun {
		return nil, nil, nil
	}
	var batch int64
	if err := d.scan(ctx, sqlStmt("batch_start", nil), []any{"zones " + r.rep.File, r.rep.StartedAt}, &batch); err != nil {
		return nil, nil, err
	}
	r.rep.Batch = batch
	if areaID == 0 {
		if err := d.scan(ctx, sqlStmt("protected_area_new", nil), []any{r.opt.Area, r.opt.AreaKind, r.opt.AreaLevel}, &areaID); err != nil {
			return nil, nil, explainErr(err)
		}
	}
	var parcelIDs []int64
	if levelChanged {
		// Rates that depend on the level follow: every current parcel in the area is recomputed.
		if err := r.exec(ctx, sqlStmt("protected_area_level", nil), areaID, r.opt.AreaLevel); err != nil {
			return nil, nil, explainErr(err)
		}
		if err := d.scan(ctx, sqlStmt("area_parcels", nil), []any{areaID}, &parcelIDs); err != nil {
			return nil, nil, err
		}
	}
	if len(deleted) > 0 && !levelChanged { // a level change already takes every parcel of the area
		if err := d.scan(ctx, sqlStmt("zone_parcels", nil), []any{deleted}, &parcelIDs); err != nil {
			return nil, nil, err
		}
	}
	if len(deleted) > 0 {
		if err := r.exec(ctx, sqlStmt("zones_delete", nil), deleted); err != nil {
			return nil, nil, explainErr(err)
		}
	}
	kinds, names := make([]string, 0, len(labels)), make([]string, 0, len(labels))
	for k, l := range labels {
		kinds, names = append(kinds, k), append(names, l)
	}
	if err := r.exec(ctx, sqlStmt("zone_labels", nil), kinds, names); err != nil {
		return nil, nil, err
	}
	if err := r.exec(ctx, sqlStmt("zones_update", nil)); err != nil {
		return nil, nil, explainErr(err)
	}
	var zoneIDs []int64
	if err := d.scan(ctx, sqlStmt("zones_insert", nil), []any{areaID, r.opt.AreaKind}, &zoneIDs); err != nil {
		return nil, nil, explainErr(err)
	}
	sort.Slice(zoneIDs, func(i, j int) bool { return zoneIDs[i] < zoneIDs[j] })
	r.rep.Status = StatusImported
	report, err := json.Marshal(r.rep)
	if err != nil {
		return nil, nil, err
	}
	if err := r.exec(ctx, sqlStmt("batch_done", nil), batch, report); err != nil {
		return nil, nil, err
	}
	r.done = &audit.Entry{Action: "import", Entity: "zone", EntityID: fmt.Sprint(areaID),
		Detail: map[string]any{"file": r.rep.File, "area": r.opt.Area, "rows": r.rep.Rows, "new": c.New,
			"changed": c.Changed, "unchanged": c.Unchanged, "deleted": c.Deleted}}
	if c.New+c.Changed+c.Deleted > 0 || levelChanged {
		notice, _ := json.Marshal(map[string]any{"entity": "zones", "action": "import", "area": r.opt.Area, "batch": batch,
			"new": c.New, "changed": c.Changed, "deleted": c.Deleted})
		if err := r.exec(ctx, sqlStmt("notify_change", nil), postgis.ChangeChannel, string(notice)); err != nil {
			return nil, nil, err
		}
	}
	return zoneIDs, parcelIDs, nil
}

// zoneSrc is what zone_src.sql needs.
type zoneSrc struct {
	ZoneField, SiteField string   // the file's fields (SiteField "" when none)
	Cols                 []string // the columns of ingest_src before the geometry's
	Safe                 bool     // the row-by-row geometry parse (src_geometry.sql)
}
