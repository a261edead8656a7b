package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"strings"
)

// createSrc builds ingest_src with the statement build makes (a kind's *_src.sql, which ends in
// src_geometry.sql): first with the fast geometry parse, and when a geometry cannot be read or
// reprojected, again with the row-by-row parse, inside a savepoint so that the failed attempt
// leaves nothing behind.
func (r *run) createSrc(ctx context.Context, build func(safe bool) stmt, args ...any) error {
	sp, err := r.tx.Begin(ctx)
	if err != nil {
		return err
	}
	_, err = db{q: sp, log: r.log}.exec(ctx, build(false), args...)
	if err == nil {
		return sp.Commit(ctx)
	}
	if rerr := sp.Rollback(ctx); rerr != nil {
		return rerr
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err := r.exec(ctx, sqlStmt("safe_parse", nil)); err != nil {
		return err
	}
	return r.exec(ctx, build(true), args...)
}

// checkGeometry reports the rows without a usable polygon and repairs invalid ones with
// ST_MakeValid when the repair keeps the area (within RepairAreaShare), else rejects them.
func (r *run) checkGeometry(ctx context.Context) error {
	for _, st := range []struct {
		name string
		args []any
	}{
		{"unusable_geometry", nil},
		{"repair", nil},
		{"repair_issues", []any{r.tol.RepairAreaShare}},
		{"repair_apply", []any{r.tol.RepairAreaShare}},
	} {
		if err := r.exec(ctx, sqlStmt(st.name, nil), st.args...); err != nil {
			return err
		}
	}
	if r.src.ringFix {
		rows, err := unclosedRows(r.src)
		if err != nil || len(rows) == 0 {
			r.rep.add(Line{Severity: Warning, Check: "ring_not_closed",
				Message: "the reader found rings that were not closed and closed them by repeating their first point"})
		} else if err := r.exec(ctx, sqlStmt("ring_not_closed", nil), rows); err != nil {
			return err
		}
	}
	return nil
}

// checkPlacement reports rows reaching outside their county (countyCodes nil: any loaded
// county) further than OutsideM: errors when most of the row is outside, warnings otherwise.
func (r *run) checkPlacement(ctx context.Context, countyCodes []string) error {
	if err := r.exec(ctx, sqlStmt("county_outlines", nil), countyCodes, r.tol.OutsideM); err != nil {
		return err
	}
	if countyCodes != nil {
		var missing []string
		if err := r.db().scan(ctx, sqlStmt("counties_missing", nil), []any{countyCodes}, &missing); err != nil {
			return err
		}
		if len(missing) > 0 {
			r.rep.note("county %s is not loaded (ecocomp seed demo --parcels 0 loads 婺源县); rows there were not checked against a county outline", strings.Join(missing, ", "))
		}
	} else {
		var n int
		if err := r.db().scan(ctx, sqlStmt("county_count", nil), nil, &n); err != nil {
			return err
		}
		if n == 0 {
			r.rep.note("no county is loaded; the zones were not checked against a county outline")
		}
	}
	if err := r.exec(ctx, sqlStmt("outside", nil)); err != nil {
		return err
	}
	return r.exec(ctx, sqlStmt("outside_issues", nil), r.tol.OutsideM)
}

// collectIssues moves the findings into the report.
func (r *run) collectIssues(ctx context.Context) error {
	rows, err := r.db().query(ctx, sqlStmt("collect_issues", nil))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var l Line
		if err := rows.Scan(&l.Row, &l.Key, &l.Severity, &l.Check, &l.Message, &l.AreaM2, &l.OtherRow, &l.OtherKey); err != nil {
			return err
		}
		r.rep.add(l)
	}
	return rows.Err()
}

// unclosedRows finds, in a GeoJSON file, the 1-based positions of the features with a ring whose
// last point is not its first (GDAL closes such rings and only says that it did).
func unclosedRows(s *source) ([]int, error) {
	if s.driver != "GeoJSON" || s.local == "" {
		return nil, nil
	}
	f, err := os.Open(s.local)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	// Walk to the "features" array of the top-level object.
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case json.Delim:
			if t == '{' || t == '[' {
				depth++
			} else {
				depth--
			}
		case string:
			if depth == 1 && t == "features" {
				if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
					return nil, errors.New("features is not an array")
				}
				var out []int
				for n := 1; dec.More(); n++ {
					var feat struct {
						Geometry struct {
							Type        string          `json:"type"`
							Coordinates json.RawMessage `json:"coordinates"`
						} `json:"geometry"`
					}
					if err := dec.Decode(&feat); err != nil {
						return nil, err
					}
					if unclosed(feat.Geometry.Type, feat.Geometry.Coordinates) {
						out = append(out, n)
					}
				}
				return out, nil
			} else if depth == 1 {
				var skip json.RawMessage
				if err := dec.Decode(&skip); err != nil {
					return nil, err
				}
			}
		}
		if depth == 0 {
			return nil, io.EOF
		}
	}
}

func unclosed(typ string, coords json.RawMessage) bool {
	var rings [][][]float64
	switch typ {
	case "Polygon":
		if json.Unmarshal(coords, &rings) != nil {
			return false
		}
	case "MultiPolygon":
		var polys [][][][]float64
		if json.Unmarshal(coords, &polys) != nil {
			return false
		}
		for _, p := range polys {
			rings = append(rings, p...)
		}
	default:
		return false
	}
	for _, ring := range rings {
		if len(ring) == 0 {
			continue
		}
		a, b := ring[0], ring[len(ring)-1]
		if len(a) < 2 || len(b) < 2 || a[0] != b[0] || a[1] != b[1] {
			return true
		}
	}
	return false
}
