package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/audit"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis"
)

// KindWetlands is the import of a wetland inventory (the wetland bank's patches).
const KindWetlands = "wetlands"

// WetlandFields names the fields of a wetland inventory file: the wetland type (a GB/T 24708
// code or name of table wetland_type), the importance (national, provincial, general, or
// 国家重要湿地, 省级重要湿地, 一般湿地), and optionally the patch code and name.
type WetlandFields struct {
	Type, Importance, Code, Name string
}

// importanceValues are the values an importance field may hold, lower case, and what each means.
var importanceValues = [][2]string{
	{"national", "national"}, {"国家重要湿地", "national"}, {"国家级", "national"}, {"国家", "national"},
	{"provincial", "provincial"}, {"省级重要湿地", "provincial"}, {"省级", "provincial"}, {"省", "provincial"},
	{"general", "general"}, {"一般湿地", "general"}, {"一般", "general"},
}

// ImportWetlands reads a wetland inventory and replaces the patches of opt.Area (a protected
// area, which must exist; "" for patches outside any) with it, all or nothing: every row needs a
// known type and importance and a valid polygon (repaired when the repair keeps its area), no two
// patches may overlap, nor overlap another inventory's patches.
func ImportWetlands(ctx context.Context, pool *pgxpool.Pool, path string, opt Options, f WetlandFields) (*Report, error) {
	rep := newReport(KindWetlands, sourceName(path, opt), opt)
	rep.Area = opt.Area
	if strings.TrimSpace(f.Type) == "" || strings.TrimSpace(f.Importance) == "" {
		err := &apperr.Error{Code: apperr.Invalid, Param: "type_field", Detail: "name the fields holding each patch's wetland type and importance (--type-field F --importance-field F)"}
		rep.Reason = explain(err)
		return finish(rep, err)
	}
	return finish(rep, importWetlands(ctx, pool, path, opt, f, rep))
}

func importWetlands(ctx context.Context, pool *pgxpool.Pool, path string, opt Options, f WetlandFields, rep *Report) error {
	r, cols, release, err := staged(ctx, pool, path, opt, rep)
	defer release()
	if r == nil || err != nil {
		return err
	}
	data := struct {
		TypeField, ImportanceField, CodeField, NameField string
		Cols                                             []string
		Safe                                             bool
	}{Cols: []string{"row", "type_value", "importance_value", "code", "name", "key", "county", "type_code", "importance"}}
	rep.Fields = map[string]string{}
	for _, w := range []struct {
		name, flag, field string
		dst               *string
	}{{f.Type, "--type-field", "type_code", &data.TypeField}, {f.Importance, "--importance-field", "importance", &data.ImportanceField},
		{f.Code, "--code-field", "code", &data.CodeField}, {f.Name, "--name-field", "name", &data.NameField}} {
		if w.name == "" {
			continue
		}
		i := -1
		names := make([]string, len(cols))
		for j, c := range cols {
			names[j] = c.name
			if strings.EqualFold(c.name, w.name) {
				i = j
			}
		}
		if i < 0 {
			rep.reject("fields", fmt.Sprintf("the file has no field %s (its fields: %s); name it with %s", w.name, strings.Join(names, ", "), w.flag))
			return nil
		}
		*w.dst = cols[i].name
		rep.Fields[cols[i].name] = w.field
	}
	var areaID *int64
	if opt.Area != "" {
		var id int64
		var kind, level string
		var demo bool
		err := r.db().scan(ctx, sqlStmt("protected_area", nil), []any{opt.Area}, &id, &kind, &demo, &level)
		if errors.Is(err, pgx.ErrNoRows) {
			rep.reject("area", fmt.Sprintf("there is no protected area %s: import its zones first (ecocomp import zones)", opt.Area))
			return nil
		} else if err != nil {
			return err
		}
		areaID = &id
	}

	opt.progress("validating %d rows", rep.Rows)
	if err := r.exec(ctx, sqlStmt("issue_table", nil)); err != nil {
		return err
	}
	if err := r.createSrc(ctx, func(safe bool) stmt {
		data.Safe = safe
		return sqlStmt("wetland_src", data)
	}); err != nil {
		return err
	}
	from, to := make([]string, len(importanceValues)), make([]string, len(importanceValues))
	for i, v := range importanceValues {
		from[i], to[i] = v[0], v[1]
	}
	if err := r.exec(ctx, sqlStmt("wetland_resolve", nil), from, to); err != nil {
		return err
	}
	if err := r.exec(ctx, sqlStmt("wetland_issues", nil), data.TypeField, data.ImportanceField, "national, provincial, general (国家重要湿地, 省级重要湿地, 一般湿地)"); err != nil {
		return err
	}
	if err := r.checkGeometry(ctx); err != nil {
		return err
	}
	if err := r.checkPlacement(ctx, nil); err != nil {
		return err
	}
	overlaps, err := r.startOverlaps(ctx, "")
	if err != nil {
		return err
	}
	if err := r.waitOverlaps(overlaps); err != nil {
		return err
	}
	if err := r.collectIssues(ctx); err != nil {
		return err
	}
	rows, err := r.db().query(ctx, sqlStmt("wetland_others", nil), areaID)
	if err != nil {
		return err
	}
	for rows.Next() {
		var l Line
		var other int64
		var code string
		if err := rows.Scan(&l.Row, &l.Key, &other, &code); err != nil {
			rows.Close()
			return err
		}
		l.Severity, l.Check = Error, "overlap"
		l.Message = fmt.Sprintf("the patch overlaps patch %d %s of another inventory (another protected area's, or one outside any); patches do not overlap", other, code)
		rep.add(l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if rep.Errors > 0 {
		r.rejected()
		return nil
	}
	opt.progress("merging")
	del, err := r.db().exec(ctx, sqlStmt("wetland_replace", nil), areaID)
	if err != nil {
		return err
	}
	ins, err := r.db().exec(ctx, sqlStmt("wetland_insert", nil), areaID, rep.File)
	if err != nil {
		return explainErr(err)
	}
	deleted, inserted := del.RowsAffected(), ins.RowsAffected()
	rep.Counts.New, rep.Counts.Deleted = int(inserted), int(deleted)
	if opt.DryRun {
		rep.Status = StatusDryRun
		return nil
	}
	r.done = &audit.Entry{Action: "import", Entity: "wetland_patch", EntityID: opt.Area,
		Detail: map[string]any{"file": rep.File, "area": opt.Area, "rows": rep.Rows, "new": inserted, "deleted": deleted}}
	notice, _ := json.Marshal(map[string]any{"entity": "wetland_patches", "action": "import", "area": opt.Area, "new": inserted, "deleted": deleted})
	if err := r.exec(ctx, sqlStmt("notify_change", nil), postgis.ChangeChannel, string(notice)); err != nil {
		return err
	}
	rep.Status = StatusImported
	opt.progress("committing")
	return r.commit(ctx)
}
