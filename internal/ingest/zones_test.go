package ingest_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wuyuan-forestry/ecocomp/internal/ingest"
	"github.com/wuyuan-forestry/ecocomp/internal/policy"
)

// box is a rectangle of the fixture in EPSG:4548 metres.
func box(xa, ya, xb, yb float64) []ring {
	return []ring{{{xa, ya}, {xb, ya}, {xb, yb}, {xa, yb}, {xa, ya}}}
}

func zone(value string, rings []ring) feature {
	return feature{props: map[string]any{"GNFQ": value, "MC": "测试保护区" + value}, rings: rings}
}

// TestImportZones: zones arrive like parcels, their values map to zone kinds by label or by a
// value map, a re-import replaces the area's zoning (changed, unchanged, deleted), overlays of
// the parcels they touch are recomputed, and overlapping zones or unknown values are refused.
func TestImportZones(t *testing.T) {
	ctx := context.Background()
	pool := newCounty(t)
	dir := t.TempDir()
	if rep, err := ingest.ImportParcels(ctx, pool, writeGeoJSON(t, filepath.Join(dir, "parcels.geojson"), 4548, basic()), ingest.Options{}); err != nil {
		t.Fatalf("parcels: %v\n%s", err, rep.Text())
	}
	if _, err := policy.LoadShipped(ctx, pool); err != nil {
		t.Fatal(err)
	}
	const area = "测试自然保护区"
	opt := ingest.Options{Area: area, AreaKind: "nature_reserve", ZoneField: "gnfq"}

	// Core over parcels 1 and half of 2, buffer over the rest of 2 and 3, experimental beyond.
	first := []feature{
		zone("核心区", box(x0, y0-100, x0+250, y0+200)),
		zone("缓冲区", box(x0+250, y0-100, x0+400, y0+200)),
		zone("实验区", box(x0+400, y0-100, x0+700, y0+200)),
	}
	rep, err := ingest.ImportZones(ctx, pool, writeGeoJSON(t, filepath.Join(dir, "zones.geojson"), 4548, first), opt)
	if err != nil {
		t.Fatalf("zones: %v\n%s", err, rep.Text())
	}
	if want := (ingest.Counts{New: 3}); rep.Counts != want || rep.Status != ingest.StatusImported {
		t.Fatalf("%s %+v; want imported %+v\n%s", rep.Status, rep.Counts, want, rep.Text())
	}
	if rep.Recompute == nil || rep.Recompute.Parcels == 0 {
		t.Errorf("recompute %+v; want the parcels under the zones recomputed", rep.Recompute)
	}
	var core float64
	if err := pool.QueryRow(ctx, `SELECT sum(o.overlap_m2) FROM parcel_zone_overlap o JOIN zone z ON z.id = o.zone_id
		JOIN parcel p ON p.id = o.parcel_id AND p.valid_to IS NULL WHERE z.zone_kind = 'core'`).Scan(&core); err != nil {
		t.Fatal(err)
	}
	if core < 14900 || core > 15100 { // parcel 1 whole and half of parcel 2 (ellipsoidal m²)
		t.Errorf("core overlaps %.0f m² of parcels; want ≈ 15000", core)
	}

	// A new zoning with coded values: core grows, buffer as it was, experimental gone.
	second := []feature{
		zone("A", box(x0, y0-100, x0+250, y0+250)), // core, grown north
		zone("B", first[1].rings),                  // buffer, as it was
	}
	vm, _ := ingest.ParseValueMap("A=core,B=buffer")
	opt2 := opt
	opt2.ValueMap = vm
	rep, err = ingest.ImportZones(ctx, pool, writeGeoJSON(t, filepath.Join(dir, "zones2.geojson"), 4548, second), opt2)
	if err != nil {
		t.Fatalf("zones again: %v\n%s", err, rep.Text())
	}
	if want := (ingest.Counts{Changed: 1, Unchanged: 1, Deleted: 1}); rep.Counts != want {
		t.Errorf("counts %+v; want %+v\n%s", rep.Counts, want, rep.Text())
	}
	var kinds string
	if err := pool.QueryRow(ctx, `SELECT string_agg(zone_kind || ':' || name, ',' ORDER BY zone_kind) FROM zone`).Scan(&kinds); err != nil {
		t.Fatal(err)
	}
	if kinds != "buffer:缓冲区,core:核心区" {
		t.Errorf("zones %s; want buffer:缓冲区,core:核心区", kinds)
	}
	var inExperimental int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM parcel_zone_overlap o JOIN parcel p ON p.id = o.parcel_id AND p.valid_to IS NULL
		WHERE NOT EXISTS (SELECT 1 FROM zone z WHERE z.id = o.zone_id)`).Scan(&inExperimental); err != nil {
		t.Fatal(err)
	}
	if inExperimental != 0 {
		t.Errorf("%d overlaps with the deleted zone remain", inExperimental)
	}

	before := checksum(t, pool)
	refused := []struct {
		name  string
		feats []feature
		opt   ingest.Options
		check string
		says  string
	}{
		{"zones of one area overlap", []feature{zone("核心区", box(x0, y0, x0+300, y0+100)), zone("缓冲区", box(x0+200, y0, x0+400, y0+100))},
			opt, "overlap", "overlaps row 2 (缓冲区) by"},
		{"unknown zone value", []feature{zone("核心区", box(x0, y0, x0+300, y0+100)), zone("保育区", box(x0+300, y0, x0+400, y0+100))},
			opt, "zone_kind", "is not a zone kind of a nature_reserve"},
		{"the area is of another kind", []feature{zone("保育区", box(x0, y0, x0+300, y0+100))},
			ingest.Options{Area: area, AreaKind: "wetland_park", ZoneField: "GNFQ"}, "area", "is a nature_reserve, not a wetland_park"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := ingest.ImportZones(ctx, pool, writeGeoJSON(t, filepath.Join(t.TempDir(), "zones.geojson"), 4548, tc.feats), tc.opt)
			if !errors.Is(err, ingest.ErrRejected) {
				t.Fatalf("err = %v; want a rejection\n%s", err, rep.Text())
			}
			found := false
			for _, l := range rep.Lines {
				if l.Check == tc.check && strings.Contains(l.Message, tc.says) {
					found = true
				}
			}
			if !found {
				t.Errorf("no %s error saying %q\n%s", tc.check, tc.says, rep.Text())
			}
			if checksum(t, pool) != before {
				t.Error("the database changed after a rejected zone import")
			}
		})
	}
	if err := ingest.CheckZoneOptions(ctx, pool, ingest.Options{Area: area, AreaKind: "nature_reserve", ZoneField: "GNFQ",
		ValueMap: map[string]string{"A": "conservation"}}); err == nil || !strings.Contains(err.Error(), "not a zone kind of a nature_reserve") {
		t.Errorf("a value map onto a wetland zone kind for a reserve: %v; want it refused", err)
	}
}

// TestImportZonesLevel: the reserve level given to a zone import is stored on protected_area,
// and the Jiangxi tier rate that depends on it follows. Worked by hand: parcel 1 is a natural
// (QI_YUAN 11) ordinary commercial (022) stand of an individual (LM_QS 30), MIAN_JI 1 ha = 15 亩,
// wholly inside the experimental zone. The 2026 policy's jiangxi_tier_natural_commercial pays
// 29.00 元/亩 in a provincial nature reserve and 33.00 in a national one: imported with
// --level provincial the line's rate is 2900 分 (15 亩 → 435.00 元); re-imported unchanged with
// --level national only the level changes, yet the parcel is recomputed at 3300 分 (495.00 元).
// Before the level option every imported area was silently national (33.00).
func TestImportZonesLevel(t *testing.T) {
	ctx := context.Background()
	pool := newCounty(t)
	dir := t.TempDir()
	natural := []feature{parcel(1, 1, 0, map[string]any{"QI_YUAN": "11"})}
	if rep, err := ingest.ImportParcels(ctx, pool, writeGeoJSON(t, filepath.Join(dir, "parcels.geojson"), 4548, natural), ingest.Options{}); err != nil {
		t.Fatalf("parcels: %v\n%s", err, rep.Text())
	}
	if _, err := policy.LoadShipped(ctx, pool); err != nil {
		t.Fatal(err)
	}
	const area = "测试省级自然保护区"
	file := writeGeoJSON(t, filepath.Join(dir, "zones.geojson"), 4548, []feature{zone("实验区", box(x0, y0-100, x0+400, y0+200))})
	rate := func() (level string, fen int64) {
		t.Helper()
		if err := pool.QueryRow(ctx, `SELECT a.level, coalesce((SELECT max(l.rate_fen) FROM subsidy_line l JOIN parcel p ON p.id = l.parcel_id AND p.valid_to IS NULL
			WHERE p.code = $2 AND l.program = 'jiangxi_tier_natural_commercial'), 0)
			FROM protected_area a WHERE a.name = $1`, area, code(1)).Scan(&level, &fen); err != nil {
			t.Fatal(err)
		}
		return level, fen
	}

	rep, err := ingest.ImportZones(ctx, pool, file, ingest.Options{Area: area, AreaKind: "nature_reserve", AreaLevel: "provincial", ZoneField: "GNFQ"})
	if err != nil {
		t.Fatalf("zones: %v\n%s", err, rep.Text())
	}
	if level, fen := rate(); level != "provincial" || fen != 2900 {
		t.Errorf("imported --level provincial: level %s, tier rate %d 分; want provincial, 2900\n%s", level, fen, rep.Text())
	}

	rep, err = ingest.ImportZones(ctx, pool, file, ingest.Options{Area: area, AreaKind: "nature_reserve", AreaLevel: "national", ZoneField: "GNFQ"})
	if err != nil {
		t.Fatalf("zones again: %v\n%s", err, rep.Text())
	}
	if level, fen := rate(); level != "national" || fen != 3300 {
		t.Errorf("re-imported --level national: level %s, tier rate %d 分; want national, 3300\n%s", level, fen, rep.Text())
	}
	if !strings.Contains(rep.Text(), "changes from provincial to national") {
		t.Errorf("the report does not say the level changed:\n%s", rep.Text())
	}

	err = ingest.CheckZoneOptions(ctx, pool, ingest.Options{Area: area, AreaKind: "nature_reserve", AreaLevel: "township", ZoneField: "GNFQ"})
	if err == nil || !strings.Contains(err.Error(), `area level "township" is not known`) {
		t.Errorf("level township: %v; want refused", err)
	}
}
