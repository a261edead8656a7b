package ingest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wuyuan-forestry/ecocomp/internal/demo"
	"github.com/wuyuan-forestry/ecocomp/internal/export"
	"github.com/wuyuan-forestry/ecocomp/internal/features"
	"github.com/wuyuan-forestry/ecocomp/internal/ingest"
	"github.com/wuyuan-forestry/ecocomp/internal/pii/piitest"
	"github.com/wuyuan-forestry/ecocomp/internal/policy"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
	"github.com/wuyuan-forestry/ecocomp/internal/recompute"
)

type geoFeature struct {
	Type       string         `json:"type"`
	ID         any            `json:"id,omitempty"`
	Geometry   geoGeometry    `json:"geometry"`
	Properties map[string]any `json:"properties"`
}

type geoGeometry struct {
	Type        string           `json:"type"`
	Coordinates [][][][2]float64 `json:"coordinates"` // MultiPolygon
}

type geoCollection struct {
	Type     string       `json:"type"`
	Name     string       `json:"name"`
	Features []geoFeature `json:"features"`
}

// TestRoundTripThroughExport is the surveyors' loop: export the county, edit a few parcels in a
// GIS (attributes of three, a boundary shared by two neighbours), import the file back. Exactly
// those parcels get new versions, the rest are untouched, and their results are recomputed.
// Importing the same data again as a zipped Shapefile in EPSG:4548 changes nothing.
func TestRoundTripThroughExport(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	if _, err := demo.Seed(ctx, pool, demo.Options{Parcels: 300, Seed: 7, PII: piitest.TestKeyring(t)}); err != nil {
		t.Fatal(err)
	}
	if _, err := policy.LoadShipped(ctx, pool); err != nil {
		t.Fatal(err)
	}
	if _, err := recompute.All(ctx, pool, 2026); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := export.Parcels(ctx, pool, export.Options{CRS: features.CRS84, Now: time.Now()}, &buf); err != nil {
		t.Fatal(err)
	}
	var fc geoCollection
	if err := json.Unmarshal(buf.Bytes(), &fc); err != nil {
		t.Fatal(err)
	}
	if len(fc.Features) != 300 {
		t.Fatalf("exported %d parcels; want 300", len(fc.Features))
	}

	// Three attribute edits: the parcels grow a class older.
	edited := map[string]bool{}
	for i := 0; i < 3; i++ {
		f := fc.Features[10+i*50]
		if f.Properties["ling_zu"] == "5" {
			f.Properties["ling_zu"] = "4"
		} else {
			f.Properties["ling_zu"] = "5"
		}
		edited[f.Properties["code"].(string)] = true
	}
	// One boundary edit: a vertex on the edge between two neighbours moves 0.5 m east in both.
	a, b, vertex := sharedVertex(t, fc.Features, edited)
	for _, i := range []int{a, b} {
		moveVertex(fc.Features[i].Geometry.Coordinates, vertex, [2]float64{vertex[0] + 5e-6, vertex[1]})
		edited[fc.Features[i].Properties["code"].(string)] = true
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "parcels-edited.geojson")
	out, err := json.Marshal(fc)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, out, 0o644); err != nil {
		t.Fatal(err)
	}

	runsBefore := recomputeRuns(t, pool)
	rep, err := ingest.ImportParcels(ctx, pool, file, ingest.Options{})
	if err != nil {
		t.Fatalf("re-import: %v\n%s", err, rep.Text())
	}
	if want := (ingest.Counts{Changed: 5, Unchanged: 295}); rep.Counts != want {
		t.Fatalf("counts %+v; want %+v\n%s", rep.Counts, want, rep.Text())
	}
	if rep.Errors != 0 || len(rep.Extra) != 0 {
		t.Errorf("%d errors, extra fields %v; want none (the export's computed fields are ignored)\n%s", rep.Errors, rep.Extra, rep.Text())
	}
	rows, err := pool.Query(ctx, `SELECT code, count(*), count(*) FILTER (WHERE batch_id = $1) FROM parcel GROUP BY code`, rep.Batch)
	if err != nil {
		t.Fatal(err)
	}
	var versioned []string
	for rows.Next() {
		var c string
		var n, inBatch int
		if err := rows.Scan(&c, &n, &inBatch); err != nil {
			t.Fatal(err)
		}
		if n > 1 {
			versioned = append(versioned, c)
		}
		if edited[c] != (n == 2 && inBatch == 1) || n > 2 {
			t.Errorf("parcel %s (edited %v) has %d versions, %d from the import", c, edited[c], n, inBatch)
		}
	}
	rows.Close()
	if len(versioned) != 5 {
		t.Errorf("versioned parcels %v; want the 5 edited", versioned)
	}
	var shared float64
	if err := pool.QueryRow(ctx, `SELECT ST_Area(ST_Intersection(a.geom, b.geom)) FROM parcel_current a, parcel_current b
		WHERE a.code = $1 AND b.code = $2`, fc.Features[a].Properties["code"], fc.Features[b].Properties["code"]).Scan(&shared); err != nil {
		t.Fatal(err)
	}
	if shared > 1e-14 {
		t.Errorf("the moved boundary made the neighbours overlap (%g deg²)", shared)
	}
	// Results: one recompute of exactly the new versions, with eligibility for each.
	if rep.Recompute == nil || rep.Recompute.Parcels != 5 || rep.Recompute.PolicyVersion == "" {
		t.Errorf("recompute %+v; want the 5 new versions under the loaded policy", rep.Recompute)
	}
	if runs := recomputeRuns(t, pool); runs != runsBefore+1 {
		t.Errorf("%d recompute runs after the import; want %d", runs, runsBefore+1)
	}
	var withResults int
	if err := pool.QueryRow(ctx, `SELECT count(DISTINCT e.parcel_id) FROM parcel_eligibility e JOIN parcel p ON p.id = e.parcel_id
		WHERE p.batch_id = $1`, rep.Batch).Scan(&withResults); err != nil {
		t.Fatal(err)
	}
	if withResults != 5 {
		t.Errorf("%d new versions have eligibility results; want 5", withResults)
	}

	// The same data as a surveyor's zipped Shapefile in EPSG:4548 with the standard fields: unchanged.
	shp := filepath.Join(dir, "wuyuan.shp")
	ogr(t, "-f", "ESRI Shapefile", "-lco", "ENCODING=CP936", "-t_srs", "EPSG:4548", shp, file, "-sql",
		`SELECT xian AS XIAN, xiang AS XIANG, cun AS CUN, lin_ban AS LIN_BAN, xiao_ban AS XIAO_BAN, mian_ji AS MIAN_JI,
		di_lei AS DI_LEI, ld_qs AS LD_QS, lm_qs AS LM_QS, sen_lin_lb AS SEN_LIN_LB, shi_quan_d AS SHI_QUAN_D,
		gjgyl_bhdj AS GJGYL_BHDJ, bh_dj AS BH_DJ, lin_zhong AS LIN_ZHONG, qi_yuan AS QI_YUAN, you_shi_sz AS YOU_SHI_SZ,
		ling_zu AS LING_ZU, xu_ji AS XU_JI FROM parcels`)
	zipped := zipFiles(t, filepath.Join(dir, "wuyuan.zip"), shapefileSet(filepath.Join(dir, "wuyuan"))...)
	again, err := ingest.ImportParcels(ctx, pool, zipped, ingest.Options{Full: true})
	if err != nil {
		t.Fatalf("Shapefile re-import: %v\n%s", err, again.Text())
	}
	if want := (ingest.Counts{Unchanged: 300}); again.Counts != want {
		t.Errorf("Shapefile re-import counts %+v; want %+v\n%s", again.Counts, want, again.Text())
	}
}

func recomputeRuns(t *testing.T, pool *pgxpool.Pool) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM recompute_run`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// sharedVertex finds a vertex (not a ring's closing point) that exactly two features share, away
// from features already edited, whose adjacent edges are long enough to move it 0.5 m safely.
func sharedVertex(t *testing.T, fs []geoFeature, skip map[string]bool) (int, int, [2]float64) {
	t.Helper()
	owners := map[[2]float64][]int{}
	for i, f := range fs {
		seen := map[[2]float64]bool{}
		for _, poly := range f.Geometry.Coordinates {
			for _, ring := range poly {
				for _, p := range ring {
					if !seen[p] {
						seen[p] = true
						owners[p] = append(owners[p], i)
					}
				}
			}
		}
	}
	var keys [][2]float64
	for p, o := range owners {
		if len(o) == 2 {
			keys = append(keys, p)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		return keys[i][0] < keys[j][0] || keys[i][0] == keys[j][0] && keys[i][1] < keys[j][1]
	})
	for _, p := range keys {
		o := owners[p]
		if skip[fs[o[0]].Properties["code"].(string)] || skip[fs[o[1]].Properties["code"].(string)] {
			continue
		}
		if roomy(fs[o[0]].Geometry.Coordinates, p) && roomy(fs[o[1]].Geometry.Coordinates, p) {
			return o[0], o[1], p
		}
	}
	t.Fatal("no vertex shared by exactly two parcels")
	return 0, 0, [2]float64{}
}

// roomy: p is an inner vertex of a ring whose neighbours are at least 2e-5° (≈2 m) away.
func roomy(mp [][][][2]float64, p [2]float64) bool {
	for _, poly := range mp {
		for _, ring := range poly {
			for i := 1; i < len(ring)-1; i++ {
				if ring[i] == p {
					d := func(q [2]float64) float64 { return max(abs(q[0]-p[0]), abs(q[1]-p[1])) }
					return d(ring[i-1]) > 2e-5 && d(ring[i+1]) > 2e-5
				}
			}
		}
	}
	return false
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

func moveVertex(mp [][][][2]float64, from, to [2]float64) {
	for _, poly := range mp {
		for _, ring := range poly {
			for i := range ring {
				if ring[i] == from {
					ring[i] = to
				}
			}
		}
	}
}
