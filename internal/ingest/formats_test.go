package ingest_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wuyuan-forestry/ecocomp/internal/eligibility"
	"github.com/wuyuan-forestry/ecocomp/internal/facts"
	"github.com/wuyuan-forestry/ecocomp/internal/ingest"
	"github.com/wuyuan-forestry/ecocomp/internal/policy"
	policyseeds "github.com/wuyuan-forestry/ecocomp/seeds/policy"
)

// villages are Chinese village names (汪口, 篁岭, 江湾 …) a GBK DBF must carry through unchanged.
var villages = []string{"汪口村", "篁岭村", "江湾村", "晓起村", "李坑村"}

// basic is five good parcels on squares (1..5, 0) with village names as an unknown field.
func basic() []feature {
	var fs []feature
	for n := 1; n <= 5; n++ {
		fs = append(fs, parcel(n, n, 0, map[string]any{"CUN_MC": villages[n-1]}))
	}
	return fs
}

// TestFormatsAccepted imports each kind of good file into a fresh county and checks what landed.
func TestFormatsAccepted(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name string
		// make writes the file to import into dir (from GeoJSON in EPSG:4548, with ogr2ogr).
		make     func(t *testing.T, dir string) string
		opt      ingest.Options
		encoding string // part of the report's encoding line
		crs      string // part of the report's CRS line
		warn     string // a warning check the report must have ("" for none)
		row      int    // the row of that warning
		note     string // part of a note the report must have
		check    func(t *testing.T, pool *pgxpool.Pool)
	}{
		{name: "GeoJSON in CRS84", crs: "EPSG:4326",
			make: func(t *testing.T, dir string) string {
				src := writeGeoJSON(t, filepath.Join(dir, "src.geojson"), 4548, basic())
				out := filepath.Join(dir, "parcels.geojson")
				ogr(t, "-f", "GeoJSON", "-lco", "RFC7946=YES", "-t_srs", "EPSG:4326", out, src)
				return out
			}},
		{name: "Shapefile in EPSG:4548 with .prj", crs: "EPSG:4548",
			make: func(t *testing.T, dir string) string {
				src := writeGeoJSON(t, filepath.Join(dir, "src.geojson"), 4548, basic())
				ogr(t, "-f", "ESRI Shapefile", "-lco", "ENCODING=UTF-8", filepath.Join(dir, "parcels.shp"), src)
				return zipFiles(t, filepath.Join(dir, "parcels.zip"), shapefileSet(filepath.Join(dir, "parcels"))...)
			}},
		{name: "GBK Shapefile with a .cpg", encoding: "CP936 (from the .cpg)", crs: "EPSG:4548",
			make: func(t *testing.T, dir string) string {
				src := writeGeoJSON(t, filepath.Join(dir, "src.geojson"), 4548, basic())
				ogr(t, "-f", "ESRI Shapefile", "-lco", "ENCODING=CP936", filepath.Join(dir, "一张图.shp"), src)
				return zipFiles(t, filepath.Join(dir, "wuyuan.zip"), shapefileSet(filepath.Join(dir, "一张图"))...)
			}},
		{name: "GBK Shapefile without a .cpg", encoding: "GBK (detected", crs: "EPSG:4548",
			make: func(t *testing.T, dir string) string {
				src := writeGeoJSON(t, filepath.Join(dir, "src.geojson"), 4548, basic())
				ogr(t, "-f", "ESRI Shapefile", "-lco", "ENCODING=CP936", filepath.Join(dir, "parcels.shp"), src)
				if err := os.Remove(filepath.Join(dir, "parcels.cpg")); err != nil {
					t.Fatal(err)
				}
				return zipFiles(t, filepath.Join(dir, "parcels.zip"), shapefileSet(filepath.Join(dir, "parcels"))...)
			}},
		{name: "GeoPackage", crs: "EPSG:4548",
			make: func(t *testing.T, dir string) string {
				src := writeGeoJSON(t, filepath.Join(dir, "src.geojson"), 4548, basic())
				out := filepath.Join(dir, "parcels.gpkg")
				ogr(t, "-f", "GPKG", "-nln", "xiaoban", out, src)
				return out
			}},
		{name: "Shapefile without CRS, given --srid", crs: "EPSG:4548", opt: ingest.Options{SRID: 4548},
			make: func(t *testing.T, dir string) string {
				src := writeGeoJSON(t, filepath.Join(dir, "src.geojson"), 4548, basic())
				ogr(t, "-f", "ESRI Shapefile", "-lco", "ENCODING=UTF-8", filepath.Join(dir, "parcels.shp"), src)
				os.Remove(filepath.Join(dir, "parcels.prj"))
				return filepath.Join(dir, "parcels.shp")
			}},
		{name: "3D MultiPolygon Z", note: "Z (and M) values are dropped",
			make: func(t *testing.T, dir string) string {
				fs := basic()
				fs[2].geometry = `{"type":"MultiPolygon","coordinates":[[[[583300,3237000,85.5],[583400,3237000,86],[583400,3237100,90],[583300,3237100,88],[583300,3237000,85.5]]]]}`
				for i := range fs {
					if fs[i].geometry == "" {
						fs[i].geometry = zify(fs[i].rings[0])
					}
				}
				return writeGeoJSON(t, filepath.Join(dir, "parcels_z.geojson"), 4548, fs)
			},
			check: func(t *testing.T, pool *pgxpool.Pool) {
				var dims int
				if err := pool.QueryRow(ctx, `SELECT max(ST_NDims(geom)) FROM parcel`).Scan(&dims); err != nil || dims != 2 {
					t.Errorf("stored dimensions = %d (%v); want 2", dims, err)
				}
			}},
		{name: "a ring not closed", warn: "ring_not_closed", row: 2,
			make: func(t *testing.T, dir string) string {
				fs := basic()
				r := fs[1].rings[0]
				fs[1].rings[0] = r[:len(r)-1] // drop the closing point
				return writeGeoJSON(t, filepath.Join(dir, "parcels.geojson"), 4548, fs)
			}},
		{name: "a sliver parcel", warn: "sliver", row: 4,
			make: func(t *testing.T, dir string) string {
				fs := basic()
				x, y := x0+400, y0 // inside its own square
				fs[3].rings = []ring{{{x, y}, {x + 5, y}, {x + 5, y + 5}, {x, y + 5}, {x, y}}}
				fs[3].props["MIAN_JI"] = 0.0025
				return writeGeoJSON(t, filepath.Join(dir, "sliver.geojson"), 4548, fs)
			}},
		{name: "a multipolygon with a sliver part", warn: "sliver", row: 4,
			make: func(t *testing.T, dir string) string {
				fs := basic()
				x, y := x0+400, y0 // its own square and a 4 m square away from the others
				fs[3].geometry = fmt.Sprintf(`{"type":"MultiPolygon","coordinates":[[[[%[1]g,%[2]g],[%[3]g,%[2]g],[%[3]g,%[4]g],[%[1]g,%[4]g],[%[1]g,%[2]g]]],`+
					`[[[%[1]g,%[5]g],[%[6]g,%[5]g],[%[6]g,%[7]g],[%[1]g,%[7]g],[%[1]g,%[5]g]]]]}`, x, y, x+100, y+100, y+300, x+4, y+304)
				return writeGeoJSON(t, filepath.Join(dir, "parts.geojson"), 4548, fs)
			}},
		{name: "MIAN_JI off the drawn area", warn: "mian_ji", row: 1,
			make: func(t *testing.T, dir string) string {
				fs := basic()
				fs[0].props["MIAN_JI"] = 1.02
				return writeGeoJSON(t, filepath.Join(dir, "mianji.geojson"), 4548, fs)
			}},
		{name: "a twisted corner, repaired", warn: "repaired", row: 4,
			make: func(t *testing.T, dir string) string {
				fs := basic()
				x, y := x0+400, y0
				// The last edge overshoots the first corner: a tiny bow-tie lobe at (x, y).
				fs[3].rings = []ring{{{x, y}, {x + 100, y}, {x + 100, y + 100}, {x, y + 100}, {x + 0.3, y - 0.3}, {x, y}}}
				return writeGeoJSON(t, filepath.Join(dir, "parcels.geojson"), 4548, fs)
			},
			check: func(t *testing.T, pool *pgxpool.Pool) {
				var valid bool
				if err := pool.QueryRow(ctx, `SELECT ST_IsValid(geom) FROM parcel WHERE code = $1`, code(4)).Scan(&valid); err != nil || !valid {
					t.Errorf("the repaired parcel is valid = %v (%v)", valid, err)
				}
			}},
		{name: "legacy and unknown codes", warn: "unknown_code", row: 3,
			make: func(t *testing.T, dir string) string {
				fs := basic()
				for i := range fs {
					fs[i].props["LM_QS"] = "6" // legacy 个人 → 30
				}
				fs[2].props["YOU_SHI_SZ"] = "999999"
				return writeGeoJSON(t, filepath.Join(dir, "parcels.geojson"), 4548, fs)
			},
			check: func(t *testing.T, pool *pgxpool.Pool) {
				var lm, species, kept string
				if err := pool.QueryRow(ctx, `SELECT lm_qs, coalesce(you_shi_sz, '-'), extra ->> 'YOU_SHI_SZ' FROM parcel WHERE code = $1`, code(3)).Scan(&lm, &species, &kept); err != nil {
					t.Fatal(err)
				}
				if lm != "30" || species != "-" || kept != "999999" {
					t.Errorf("LM_QS %s, YOU_SHI_SZ %s, extra %s; want 30 (translated from legacy 6), empty, 999999", lm, species, kept)
				}
			}},
		// The legacy code 5 非公有 says only "neither state nor collective" (issue 12, point 1): a
		// household's parcel in such a file must not become an enterprise's. It used to map to
		// 40 企业; it maps to 80 非公有（未细分）, which the 2026 policy classes as "other": not
		// enterprise, so neither the subsidy rates by class nor the buyout verdict read it as a
		// firm's (the buyout waits for the rights holder to be recorded).
		{name: "legacy 非公有 is not an enterprise",
			make: func(t *testing.T, dir string) string {
				fs := basic()
				for i := range fs {
					fs[i].props["LM_QS"] = "6" // legacy 个人 → 30
				}
				fs[1].props["LM_QS"] = "5" // legacy 非公有: a household's, the file does not say
				return writeGeoJSON(t, filepath.Join(dir, "parcels.geojson"), 4548, fs)
			},
			check: func(t *testing.T, pool *pgxpool.Pool) {
				var lm string
				if err := pool.QueryRow(ctx, `SELECT lm_qs FROM parcel_current WHERE code = $1`, code(2)).Scan(&lm); err != nil {
					t.Fatal(err)
				}
				pol, err := policy.Parse(policyseeds.Embedded2026())
				if err != nil {
					t.Fatal(err)
				}
				if lm != "80" || pol.OwnershipClass(lm) != "other" {
					t.Errorf("legacy 5 非公有 imported as LM_QS %s, class %q; want 80 非公有（未细分）, class other (never 40 enterprise)", lm, pol.OwnershipClass(lm))
				}
				res := eligibility.Evaluate(pol, &facts.Parcel{Code: code(2), LMQS: lm, SenLinLB: "022"})
				for _, r := range res.Rules {
					if r.ID == eligibility.RuleOwnership && (r.Passed || strings.Contains(r.Detail, "enterprise")) {
						t.Errorf("ownership rule for legacy 非公有: passed %v, %q; want not read as an enterprise's", r.Passed, r.Detail)
					}
				}
			}},
		{name: "other field names through a mapping",
			opt: ingest.Options{Mapping: mustMapping(`{"fields": {"XBH": "XIAO_BAN", "MJ": "MIAN_JI", "OBJECTID": null}, "extra": ["cun_mc"]}`)},
			make: func(t *testing.T, dir string) string {
				fs := basic()
				for i := range fs {
					p := fs[i].props
					p["XBH"], p["MJ"], p["OBJECTID"] = p["XIAO_BAN"], p["MIAN_JI"], i
					delete(p, "XIAO_BAN")
					delete(p, "MIAN_JI")
				}
				return writeGeoJSON(t, filepath.Join(dir, "parcels.geojson"), 4548, fs)
			},
			check: func(t *testing.T, pool *pgxpool.Pool) {
				var n int
				if err := pool.QueryRow(ctx, `SELECT count(*) FROM parcel WHERE extra ? 'OBJECTID' OR extra ? 'XBH'`).Scan(&n); err != nil || n != 0 {
					t.Errorf("%d parcels keep mapped or ignored fields in extra (%v)", n, err)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pool := newCounty(t)
			file := tc.make(t, t.TempDir())
			opt := tc.opt
			if opt.Mapping == nil {
				opt.Mapping = keepVillages
			}
			rep, err := ingest.ImportParcels(ctx, pool, file, opt)
			if err != nil {
				t.Fatalf("import: %v\n%s", err, rep.Text())
			}
			if rep.Status != ingest.StatusImported || rep.Counts.New != 5 || rep.Errors != 0 {
				t.Fatalf("status %s, %d new, %d errors; want imported, 5, 0\n%s", rep.Status, rep.Counts.New, rep.Errors, rep.Text())
			}
			if tc.encoding != "" && !strings.Contains(rep.Encoding, tc.encoding) {
				t.Errorf("encoding %q; want it to say %q", rep.Encoding, tc.encoding)
			}
			if tc.crs != "" && !strings.Contains(rep.CRS, tc.crs) {
				t.Errorf("CRS %q; want %q", rep.CRS, tc.crs)
			}
			if tc.warn == "" && rep.Warnings != 0 {
				t.Errorf("%d warnings; want none\n%s", rep.Warnings, rep.Text())
			}
			if tc.warn != "" && !hasLine(rep, ingest.Warning, tc.warn, tc.row) {
				t.Errorf("no %s warning on row %d\n%s", tc.warn, tc.row, rep.Text())
			}
			if tc.note != "" && !strings.Contains(strings.Join(rep.Notes, "\n"), tc.note) {
				t.Errorf("notes %q; want one saying %q", rep.Notes, tc.note)
			}
			// Every parcel is a 1 ha square wherever it came from (CRS84 at 7 decimals, EPSG:4548, 3D …).
			var n int
			var minHa, maxHa float64
			if err := pool.QueryRow(ctx, `SELECT count(*), min(area_plane_m2) / 1e4, max(area_plane_m2) / 1e4 FROM parcel_current WHERE code <> $1`,
				code(4)).Scan(&n, &minHa, &maxHa); err != nil {
				t.Fatal(err)
			}
			if n != 4 || minHa < 0.9995 || maxHa > 1.0005 {
				t.Errorf("%d parcels of %.6f–%.6f ha; want 4 of 1 ha", n, minHa, maxHa)
			}
			// Chinese village names come through the encoding unchanged, in extra.
			var names []string
			if err := pool.QueryRow(ctx, `SELECT array_agg(extra ->> 'CUN_MC' ORDER BY code) FROM parcel_current`).Scan(&names); err != nil {
				t.Fatal(err)
			}
			if strings.Join(names, ",") != strings.Join(villages, ",") {
				t.Errorf("village names %q; want %q", names, villages)
			}
			if tc.check != nil {
				tc.check(t, pool)
			}
		})
	}
}

// zify writes a ring as a GeoJSON MultiPolygon with a height on every vertex.
func zify(r ring) string {
	var b strings.Builder
	b.WriteString(`{"type":"MultiPolygon","coordinates":[[[`)
	for i, p := range r {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("[" + strconv.FormatFloat(p[0], 'f', -1, 64) + "," + strconv.FormatFloat(p[1], 'f', -1, 64) + ",100]")
	}
	b.WriteString(`]]]}`)
	return b.String()
}

func mustMapping(s string) *ingest.Mapping {
	m, err := ingest.ParseMapping([]byte(s))
	if err != nil {
		panic(err)
	}
	return m
}

func hasLine(rep *ingest.Report, severity, check string, row int) bool {
	for _, l := range rep.Lines {
		if l.Severity == severity && l.Check == check && l.Row == row {
			return true
		}
	}
	return false
}

// TestRejectedFilesChangeNothing: every file with errors is refused whole, the report says why
// (row and key on every row-level line), the error wraps ErrRejected, and the database is
// byte-for-byte what it was.
func TestRejectedFilesChangeNothing(t *testing.T) {
	ctx := context.Background()
	pool := newCounty(t)
	base := t.TempDir()
	if rep, err := ingest.ImportParcels(ctx, pool, writeGeoJSON(t, filepath.Join(base, "first.geojson"), 4548, basic()), ingest.Options{}); err != nil {
		t.Fatalf("baseline import: %v\n%s", err, rep.Text())
	}
	before := checksum(t, pool)

	cases := []struct {
		name  string
		make  func(t *testing.T, dir string) string
		opt   ingest.Options
		check string // the error line's check
		row   int    // its row (0: the file)
		says  string // part of its message
	}{
		{name: "bow-tie polygon", check: "invalid_geometry", row: 2, says: "Self-intersection",
			make: func(t *testing.T, dir string) string {
				fs := basic()
				x, y := x0+200, y0
				fs[1].rings = []ring{{{x, y}, {x + 100, y + 100}, {x + 100, y}, {x, y + 100}, {x, y}}}
				return writeGeoJSON(t, filepath.Join(dir, "bowtie.geojson"), 4548, fs)
			}},
		{name: "duplicate key", check: "duplicate_key", row: 4, says: "is also on row 2",
			make: func(t *testing.T, dir string) string {
				fs := basic()
				fs[3].props["XIAO_BAN"] = "00002"
				return writeGeoJSON(t, filepath.Join(dir, "dup.geojson"), 4548, fs)
			}},
		{name: "zip without .shx", check: "shapefile", says: "lacks parcels.shx",
			make: func(t *testing.T, dir string) string {
				src := writeGeoJSON(t, filepath.Join(dir, "src.geojson"), 4548, basic())
				ogr(t, "-f", "ESRI Shapefile", filepath.Join(dir, "parcels.shp"), src)
				var files []string
				for _, f := range shapefileSet(filepath.Join(dir, "parcels")) {
					if !strings.HasSuffix(f, ".shx") {
						files = append(files, f)
					}
				}
				return zipFiles(t, filepath.Join(dir, "parcels.zip"), files...)
			}},
		{name: "no CRS", check: "crs", says: "has no coordinate reference system",
			make: func(t *testing.T, dir string) string {
				src := writeGeoJSON(t, filepath.Join(dir, "src.geojson"), 4548, basic())
				ogr(t, "-f", "ESRI Shapefile", filepath.Join(dir, "parcels.shp"), src)
				os.Remove(filepath.Join(dir, "parcels.prj"))
				return zipFiles(t, filepath.Join(dir, "parcels.zip"), shapefileSet(filepath.Join(dir, "parcels"))...)
			}},
		{name: "empty file", check: "empty", says: "holds no features",
			make: func(t *testing.T, dir string) string {
				return writeGeoJSON(t, filepath.Join(dir, "empty.geojson"), 4548, nil)
			}},
		{name: "Xi'an 1980", check: "crs", says: "Xi'an 1980",
			make: func(t *testing.T, dir string) string {
				src := writeGeoJSON(t, filepath.Join(dir, "src.geojson"), 4548, basic())
				ogr(t, "-f", "ESRI Shapefile", "-t_srs", "EPSG:2385", filepath.Join(dir, "xian80.shp"), src)
				return zipFiles(t, filepath.Join(dir, "xian80.zip"), shapefileSet(filepath.Join(dir, "xian80"))...)
			}},
		{name: "Beijing 1954 given as --srid", check: "crs", says: "Beijing 1954", opt: ingest.Options{SRID: 2436},
			make: func(t *testing.T, dir string) string {
				return writeGeoJSON(t, filepath.Join(dir, "bj54.geojson"), 0, basic())
			}},
		{name: "overlapping parcels", check: "overlap", row: 2, says: "overlaps row 3",
			make: func(t *testing.T, dir string) string {
				fs := basic()
				x, y := x0+250, y0 // half over square 3
				fs[1].rings = []ring{{{x, y}, {x + 100, y}, {x + 100, y + 100}, {x, y + 100}, {x, y}}}
				return writeGeoJSON(t, filepath.Join(dir, "overlap.geojson"), 4548, fs)
			}},
		// Every edge of the copy and of the parcel it copies has a reversed twin in the ring
		// around them: only the edge cover's uniqueness rule sends them to the relates.
		{name: "a copy of a parcel inside a grid", check: "overlap", row: 6, says: "overlaps row 17 (361130100001000100017) by 99",
			make: func(t *testing.T, dir string) string {
				var fs []feature
				for n := 1; n <= 16; n++ {
					fs = append(fs, parcel(n, (n-1)%4, (n-1)/4, nil))
				}
				fs = append(fs, parcel(17, 1, 1, nil))
				return writeGeoJSON(t, filepath.Join(dir, "copy.geojson"), 4548, fs)
			}},
		{name: "parcel outside the county", check: "outside_county", row: 5, says: "lies outside county 361130",
			make: func(t *testing.T, dir string) string {
				fs := basic()
				fs[4].rings = []ring{{{600000, 3237000}, {600100, 3237000}, {600100, 3237100}, {600000, 3237100}, {600000, 3237000}}}
				return writeGeoJSON(t, filepath.Join(dir, "outside.geojson"), 4548, fs)
			}},
		{name: "no MIAN_JI", check: "mian_ji", row: 1, says: "MIAN_JI (legal area, ha) is empty",
			make: func(t *testing.T, dir string) string {
				fs := basic()
				delete(fs[0].props, "MIAN_JI")
				return writeGeoJSON(t, filepath.Join(dir, "nomj.geojson"), 4548, fs)
			}},
		{name: "a point, not a polygon", check: "geometry", row: 3, says: "not a polygon",
			make: func(t *testing.T, dir string) string {
				fs := basic()
				fs[2].geometry = `{"type":"Point","coordinates":[583350,3237050]}`
				return writeGeoJSON(t, filepath.Join(dir, "point.geojson"), 4548, fs)
			}},
		{name: "malformed key", check: "key", row: 1, says: "XIAN '3611' is not 6 digits",
			make: func(t *testing.T, dir string) string {
				fs := basic()
				fs[0].props["XIAN"] = "3611"
				return writeGeoJSON(t, filepath.Join(dir, "key.geojson"), 4548, fs)
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			file := tc.make(t, t.TempDir())
			opt := tc.opt
			if opt.Mapping == nil {
				opt.Mapping = keepVillages
			}
			rep, err := ingest.ImportParcels(ctx, pool, file, opt)
			if !errors.Is(err, ingest.ErrRejected) {
				t.Fatalf("err = %v; want a rejection\n%s", err, rep.Text())
			}
			if rep.Status != ingest.StatusRejected || rep.Errors == 0 {
				t.Errorf("status %s with %d errors; want rejected", rep.Status, rep.Errors)
			}
			found := false
			for _, l := range rep.Lines {
				if l.Severity == ingest.Error && l.Row > 0 && l.Key == "" {
					t.Errorf("row %d's line has no key: %+v", l.Row, l)
				}
				if l.Severity == ingest.Error && l.Check == tc.check && l.Row == tc.row && strings.Contains(l.Message, tc.says) {
					found = true
				}
			}
			if !found {
				t.Errorf("no %s error on row %d saying %q\n%s", tc.check, tc.row, tc.says, rep.Text())
			}
			if !strings.Contains(rep.Text(), "REJECTED") {
				t.Errorf("the summary does not say REJECTED:\n%s", rep.Text())
			}
			if after := checksum(t, pool); after != before {
				t.Errorf("the database changed after a rejected import")
			}
		})
	}
}

// TestOverlapCheckSparesSharedEdges: in a 4×4 grid whose neighbours share their corners, only the
// twelve rim parcels (an edge with nobody on the other side) go to the relates; the four inner
// ones are matched edge for edge, as PostGIS sends them.
func TestOverlapCheckSparesSharedEdges(t *testing.T) {
	ctx := context.Background()
	pool := newCounty(t)
	var fs []feature
	for n := 1; n <= 16; n++ {
		fs = append(fs, parcel(n, (n-1)%4, (n-1)/4, nil))
	}
	var steps []string
	file := writeGeoJSON(t, filepath.Join(t.TempDir(), "grid.geojson"), 4548, fs)
	rep, err := ingest.ImportParcels(ctx, pool, file, ingest.Options{Progress: func(s string) { steps = append(steps, s) }})
	if err != nil || rep.Counts.New != 16 {
		t.Fatalf("import: %v, %d new\n%s", err, rep.Counts.New, rep.Text())
	}
	want := "overlap check: 12 of 16 rows not matched edge for edge; their pairs related, no overlap"
	if !slices.Contains(steps, want) {
		t.Errorf("steps %q; want %q", steps, want)
	}
}
