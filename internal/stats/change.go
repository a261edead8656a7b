package stats

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
	"time"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
)

// Change is what changed in a unit between two instants: the land-class transition matrix,
// every parcel added, retired, changed, split, merged or replaced, and the batches behind them.
type Change struct {
	From        string         `json:"from"`
	To          string         `json:"to"`
	FromInstant string         `json:"from_instant"`
	ToInstant   string         `json:"to_instant"`
	Unit        Unit           `json:"unit"`
	Classes     []ClassLabel   `json:"classes"`
	Matrix      []Transition   `json:"matrix"`
	Totals      ChangeTotals   `json:"totals"`
	Counts      map[string]int `json:"counts"`
	Changes     []ParcelChange `json:"changes"`
	Batches     []BatchSummary `json:"batches"`
	Notes       []string       `json:"notes"`
}

// ClassLabel is a land class of the matrix.
type ClassLabel struct {
	Code  string `json:"code"`
	Label string `json:"label"`
}

// Transition is one cell of the matrix.
type Transition struct {
	From      string `json:"from"`
	FromLabel string `json:"from_label"`
	To        string `json:"to"`
	ToLabel   string `json:"to_label"`
	AreaMu    string `json:"area_mu"`
	AreaHa    string `json:"area_ha"`
	Parcels   int64  `json:"parcels"`
}

// ClassArea is a land class's area on one date.
type ClassArea struct {
	Code   string `json:"code"`
	AreaMu string `json:"area_mu"`
	AreaHa string `json:"area_ha"`
}

// ChangeTotals are the land-class areas on both dates.
type ChangeTotals struct {
	From []ClassArea `json:"from"`
	To   []ClassArea `json:"to"`
}

// ParcelChange is one parcel's change.
type ParcelChange struct {
	Code         string          `json:"code"`
	Change       string          `json:"change"`
	Batch        *int64          `json:"batch"`
	BatchKind    string          `json:"batch_kind"`
	BatchSource  string          `json:"batch_source"`
	At           string          `json:"at"`
	FromDiLei    string          `json:"from_di_lei"`
	ToDiLei      string          `json:"to_di_lei"`
	AreaMuBefore string          `json:"area_mu_before"`
	AreaMuAfter  string          `json:"area_mu_after"`
	Related      []string        `json:"related"`
	Geometry     json.RawMessage `json:"-"`
}

// BatchSummary is one import batch behind changes of the period.
type BatchSummary struct {
	ID         int64  `json:"id"`
	Kind       string `json:"kind"`
	Source     string `json:"source"`
	StartedAt  string `json:"started_at"`
	FinishedAt string `json:"finished_at"`
	Added      int    `json:"added"`
	Changed    int    `json:"changed"`
	Retired    int    `json:"retired"`
}

// Change kinds.
const (
	Added    = "added"
	Retired  = "retired"
	Changed  = "changed"
	Split    = "split"
	Merged   = "merged"
	Replaced = "replaced"
	Revised  = "revised"
)

// ComputeChange compares the unit's parcels at the end of from and of to. withGeometry adds each
// changed parcel's GeoJSON geometry (its version at to, or its last one for a retired parcel).
func ComputeChange(ctx context.Context, db DB, unit Unit, from, to time.Time, fromText, toText string, withGeometry bool) (*Change, error) {
	if !from.Before(to) {
		return nil, apperr.BadParam("from", "from (%s) must be before to (%s)", from.In(China).Format(time.RFC3339), to.In(China).Format(time.RFC3339))
	}
	labels, err := dictionary(ctx, db)
	if err != nil {
		return nil, err
	}
	unitCol, _ := unitColumns(unit.Level)
	out := &Change{From: fromText, To: toText, FromInstant: from.In(China).Format(time.RFC3339Nano), ToInstant: to.In(China).Format(time.RFC3339Nano),
		Unit: unit, Counts: map[string]int{Added: 0, Retired: 0, Changed: 0, Split: 0, Merged: 0, Replaced: 0, "unchanged": 0}}
	if out.From == "" {
		out.From = from.In(China).Format("2006-01-02")
	}
	if out.To == "" {
		out.To = to.In(China).Format("2006-01-02")
	}
	type cellKey struct{ from, to string }
	cells := map[cellKey]*agg{}
	revised := map[string]int64{}
	fromTot, toTot := map[string]int64{}, map[string]int64{}
	cls := func(s string) string {
		if s == "" {
			return None
		}
		return s
	}
	addCell := func(f, t string, n, ha int64) {
		c := cells[cellKey{f, t}]
		if c == nil {
			c = &agg{}
			cells[cellKey{f, t}] = c
		}
		c.n += n
		c.ha += ha
	}

	// Versions in force on both dates: the diagonal, unchanged.
	rows, err := db.Query(ctx, `SELECT coalesce(p.di_lei, ''), sum(p.parcels)::bigint, (sum(p.mian_ji) * 10000)::bigint FROM parcel_stats p
		WHERE p.gset = 1 AND p.valid_from <= $1 AND (p.valid_to IS NULL OR p.valid_to > $2) AND `+unitCol+` = $3 GROUP BY 1`, from, to, unit.Code)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var c string
		var n, ha int64
		if err := rows.Scan(&c, &n, &ha); err != nil {
			rows.Close()
			return nil, err
		}
		c = cls(c)
		addCell(c, c, n, ha)
		fromTot[c] += ha
		toTot[c] += ha
		out.Counts["unchanged"] += int(n)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}

	// Versions that ended or began between the dates, matched by code.
	geom := `NULL::text`
	if withGeometry {
		geom = `ST_AsGeoJSON(coalesce(b.geom, a.geom), 7)`
	}
	rows, err = db.Query(ctx, `
WITH a AS (SELECT p.code, p.di_lei, p.mian_ji, p.valid_to, p.geom FROM parcel p
           WHERE p.valid_from <= $1 AND p.valid_to > $1 AND p.valid_to <= $2 AND `+unitCol+` = $3),
     b AS (SELECT p.code, p.di_lei, p.mian_ji, p.valid_from, p.batch_id, p.geom FROM parcel p
           WHERE p.valid_from > $1 AND p.valid_from <= $2 AND (p.valid_to IS NULL OR p.valid_to > $2) AND `+unitCol+` = $3),
     j AS (SELECT coalesce(a.code, b.code) AS code, a.code IS NOT NULL AS in_a, b.code IS NOT NULL AS in_b,
                  coalesce(a.di_lei, '') AS fd, coalesce(b.di_lei, '') AS td,
                  coalesce(a.mian_ji * 10000, 0)::bigint AS fha, coalesce(b.mian_ji * 10000, 0)::bigint AS tha,
                  coalesce(b.batch_id, (SELECT ib.id FROM import_batch ib WHERE ib.started_at <= a.valid_to AND ib.source NOT LIKE 'zones %'
                                        ORDER BY ib.started_at DESC, ib.id DESC LIMIT 1)) AS batch,
                  coalesce(b.valid_from, a.valid_to) AS at, `+geom+` AS g
           FROM a FULL JOIN b ON a.code = b.code)
SELECT j.code, j.in_a, j.in_b, j.fd, j.td, j.fha, j.tha, j.batch, coalesce(ib.kind, ''), coalesce(ib.source, ''), j.at, j.g
FROM j LEFT JOIN import_batch ib ON ib.id = j.batch ORDER BY j.code`, from, to, unit.Code)
	if err != nil {
		return nil, err
	}
	byCode := map[string]*ParcelChange{}
	for rows.Next() {
		var pc ParcelChange
		var inA, inB bool
		var fd, td string
		var fha, tha int64
		var at time.Time
		var g *string
		if err := rows.Scan(&pc.Code, &inA, &inB, &fd, &td, &fha, &tha, &pc.Batch, &pc.BatchKind, &pc.BatchSource, &at, &g); err != nil {
			rows.Close()
			return nil, err
		}
		pc.At = at.In(China).Format(time.RFC3339Nano)
		if g != nil {
			pc.Geometry = json.RawMessage(*g)
		}
		pc.Related = []string{}
		switch {
		case inA && inB:
			pc.Change = Changed
			pc.FromDiLei, pc.ToDiLei = cls(fd), cls(td)
			pc.AreaMuBefore, pc.AreaMuAfter = formatMu(fha), formatMu(tha)
			addCell(pc.FromDiLei, pc.ToDiLei, 1, fha)
			revised[pc.ToDiLei] += tha - fha
			fromTot[pc.FromDiLei] += fha
			toTot[pc.ToDiLei] += tha
		case inA:
			pc.Change = Retired
			pc.FromDiLei = cls(fd)
			pc.AreaMuBefore = formatMu(fha)
			addCell(pc.FromDiLei, Retired, 1, fha)
			fromTot[pc.FromDiLei] += fha
		default:
			pc.Change = Added
			pc.ToDiLei = cls(td)
			pc.AreaMuAfter = formatMu(tha)
			addCell(Added, pc.ToDiLei, 1, tha)
			toTot[pc.ToDiLei] += tha
		}
		out.Changes = append(out.Changes, pc)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out.Changes {
		byCode[out.Changes[i].Code] = &out.Changes[i]
	}

	// Splits and merges: retired and added parcels on the same ground (≥ 1 % of either).
	if err := lineage(ctx, db, unitCol, unit.Code, from, to, byCode); err != nil {
		return nil, err
	}

	// The matrix, classes in dictionary order.
	var classes []ClassLabel
	labelOf := map[string]string{Added: "新增", Retired: "减少（退出）", Revised: "面积变更", None: "未区分"}
	for _, l := range labels["DI_LEI"] {
		classes = append(classes, ClassLabel{Code: l.code, Label: l.zh})
		labelOf[l.code] = l.zh
	}
	classes = append(classes, ClassLabel{Code: None, Label: "未区分"})
	out.Classes = classes
	order := map[string]int{Added: len(classes) + 1, Retired: len(classes) + 2, Revised: len(classes) + 3}
	for i, c := range classes {
		order[c.Code] = i
	}
	for k, a := range cells {
		out.Matrix = append(out.Matrix, Transition{From: k.from, FromLabel: labelOf[k.from], To: k.to, ToLabel: labelOf[k.to],
			AreaMu: formatMu(a.ha), AreaHa: formatScaled(a.ha, 4), Parcels: a.n})
	}
	for c, ha := range revised {
		if ha != 0 {
			out.Matrix = append(out.Matrix, Transition{From: Revised, FromLabel: labelOf[Revised], To: c, ToLabel: labelOf[c],
				AreaMu: formatMu(ha), AreaHa: formatScaled(ha, 4)})
		}
	}
	sort.Slice(out.Matrix, func(i, j int) bool {
		a, b := out.Matrix[i], out.Matrix[j]
		if order[a.From] != order[b.From] {
			return order[a.From] < order[b.From]
		}
		return order[a.To] < order[b.To]
	})
	for _, c := range classes {
		out.Totals.From = append(out.Totals.From, ClassArea{Code: c.Code, AreaMu: formatMu(fromTot[c.Code]), AreaHa: formatScaled(fromTot[c.Code], 4)})
		out.Totals.To = append(out.Totals.To, ClassArea{Code: c.Code, AreaMu: formatMu(toTot[c.Code]), AreaHa: formatScaled(toTot[c.Code], 4)})
	}

	// Counts and batches.
	batches := map[int64]*BatchSummary{}
	for _, pc := range out.Changes {
		out.Counts[pc.Change]++
		if pc.Batch == nil {
			continue
		}
		b := batches[*pc.Batch]
		if b == nil {
			b = &BatchSummary{ID: *pc.Batch, Kind: pc.BatchKind, Source: pc.BatchSource}
			batches[*pc.Batch] = b
		}
		switch {
		case pc.AreaMuBefore != "" && pc.AreaMuAfter != "":
			b.Changed++
		case pc.AreaMuAfter != "":
			b.Added++
		default:
			b.Retired++
		}
	}
	for _, b := range batches {
		var started time.Time
		var finished *time.Time
		if err := db.QueryRow(ctx, `SELECT started_at, finished_at FROM import_batch WHERE id = $1`, b.ID).Scan(&started, &finished); err != nil {
			return nil, err
		}
		b.StartedAt = started.In(China).Format(time.RFC3339)
		if finished != nil {
			b.FinishedAt = finished.In(China).Format(time.RFC3339)
		}
		out.Batches = append(out.Batches, *b)
	}
	sort.Slice(out.Batches, func(i, j int) bool { return out.Batches[i].ID < out.Batches[j].ID })
	if out.Changes == nil {
		out.Changes = []ParcelChange{}
	}
	if out.Batches == nil {
		out.Batches = []BatchSummary{}
	}
	out.Notes = []string{
		"转移矩阵按小班编号对照两个时点的版本：行为前一时点地类（新增：前一时点不存在的小班），列为后一时点地类（减少：后一时点已退出的小班）；面积取前一时点的小班面积，新增取后一时点；面积变更行为两个时点都存在的小班的面积差。",
		"分割、合并、替换由退出与新增小班的图形重叠（不少于任一小班面积的 1%）推断；系统不保存小班谱系表。",
		"退出小班的批次为其版本结束时刻之前最近开始的导入批次。",
	}
	return out, nil
}

// lineage marks splits, merges and replacements among the retired and added parcels.
func lineage(ctx context.Context, db DB, unitCol, unit string, from, to time.Time, byCode map[string]*ParcelChange) error {
	var retired, added []string
	for c, pc := range byCode {
		switch pc.Change {
		case Retired:
			retired = append(retired, c)
		case Added:
			added = append(added, c)
		}
	}
	if len(retired) == 0 || len(added) == 0 {
		return nil
	}
	rows, err := db.Query(ctx, `
WITH a AS (SELECT p.code, p.geom FROM parcel p WHERE p.code = ANY($4) AND p.valid_from <= $1 AND p.valid_to > $1 AND p.valid_to <= $2 AND `+unitCol+` = $3),
     b AS (SELECT p.code, p.geom FROM parcel p WHERE p.code = ANY($5) AND p.valid_from > $1 AND p.valid_from <= $2 AND (p.valid_to IS NULL OR p.valid_to > $2) AND `+unitCol+` = $3)
SELECT a.code, b.code FROM a JOIN b ON a.geom && b.geom AND ST_Intersects(a.geom, b.geom)
WHERE ST_Area(ST_Intersection(a.geom, b.geom)) >= 0.01 * least(ST_Area(a.geom), ST_Area(b.geom))
ORDER BY 1, 2`, from, to, unit, retired, added)
	if err != nil {
		return err
	}
	defer rows.Close()
	oldTo, newFrom := map[string][]string{}, map[string][]string{}
	for rows.Next() {
		var o, n string
		if err := rows.Scan(&o, &n); err != nil {
			return err
		}
		oldTo[o] = append(oldTo[o], n)
		newFrom[n] = append(newFrom[n], o)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for o, ns := range oldTo {
		pc := byCode[o]
		pc.Related = ns
		switch {
		case len(ns) >= 2:
			pc.Change = Split
		case len(newFrom[ns[0]]) >= 2:
			pc.Change = Merged
		default:
			pc.Change = Replaced
		}
	}
	for n, os := range newFrom {
		pc := byCode[n]
		pc.Related = os
		switch {
		case len(os) >= 2:
			pc.Change = Merged
		case len(oldTo[os[0]]) >= 2:
			pc.Change = Split
		default:
			pc.Change = Replaced
		}
	}
	return nil
}

// GeoJSON writes the changed parcels as a FeatureCollection.
func (c *Change) GeoJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteString(`{"type":"FeatureCollection","name":"changes","features":[`)
	first := true
	for _, pc := range c.Changes {
		if pc.Geometry == nil {
			continue
		}
		props, err := json.Marshal(map[string]any{"code": pc.Code, "change": pc.Change, "from_di_lei": pc.FromDiLei, "to_di_lei": pc.ToDiLei,
			"batch": pc.Batch, "related": pc.Related, "area_mu_before": pc.AreaMuBefore, "area_mu_after": pc.AreaMuAfter})
		if err != nil {
			return nil, err
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		id, _ := json.Marshal(pc.Code)
		b.WriteString(`{"type":"Feature","id":` + string(id) + `,"properties":` + string(props) + `,"geometry":` + string(pc.Geometry) + `}`)
	}
	b.WriteString(`]}`)
	return []byte(b.String()), nil
}
