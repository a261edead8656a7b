package httpapi_test

import (
	"context"
	"fmt"
	"net/url"
	"testing"

	"github.com/wuyuan-forestry/ecocomp/internal/demo"
	"github.com/wuyuan-forestry/ecocomp/internal/pii/piitest"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
)

// TestSeededCounty reads a small seeded demo county — realistic outlines, real zone overlaps —
// through every reader: GDAL over OGC API Features, point lookups inside random parcels, and
// keyset paging over the whole county.
func TestSeededCounty(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t)
	if _, err := demo.Seed(ctx, pool, demo.Options{Parcels: 1200, Seed: 7, PII: piitest.TestKeyring(t)}); err != nil {
		t.Fatalf("seed: %v", err)
	}
	ts := newServer(t, pool)

	t.Run("GDAL fetches every feature through next links", func(t *testing.T) {
		checkGDALReadsServer(t, pool, ts.URL, 500)
	})

	t.Run("a point inside each of 300 random parcels finds exactly that parcel", func(t *testing.T) {
		rows, err := pool.Query(ctx, `SELECT code, ST_X(pt), ST_Y(pt) FROM (
			SELECT code, ST_PointOnSurface(geom) AS pt FROM parcel_current ORDER BY md5(code) LIMIT 300) x`)
		if err != nil {
			t.Fatal(err)
		}
		type probe struct {
			code     string
			lon, lat float64
		}
		var probes []probe
		for rows.Next() {
			var p probe
			if err := rows.Scan(&p.code, &p.lon, &p.lat); err != nil {
				t.Fatal(err)
			}
			probes = append(probes, p)
		}
		if len(probes) != 300 {
			t.Fatalf("%d probes", len(probes))
		}
		for _, p := range probes {
			var c collection
			getJSON(t, fmt.Sprintf("%s/api/v1/parcels?lon=%s&lat=%s", ts.URL, ftoa(p.lon), ftoa(p.lat)), &c)
			if len(c.Features) != 1 || c.Features[0].ID != p.code {
				t.Fatalf("point inside %s found %d features", p.code, len(c.Features))
			}
		}
	})

	t.Run("paging visits every parcel exactly once", func(t *testing.T) {
		want := dbCount(t, pool, `SELECT count(*) FROM parcel_current`)
		seen := map[string]int{}
		for next := ts.URL + "/api/v1/parcels?bbox=" + url.QueryEscape("117,28,119,30") + "&limit=97"; next != ""; {
			var c collection
			getJSON(t, next, &c)
			for _, f := range c.Features {
				seen[f.ID]++
			}
			next = c.Next
		}
		if len(seen) != want {
			t.Errorf("paging visited %d parcels; the county has %d", len(seen), want)
		}
		for code, n := range seen {
			if n != 1 {
				t.Errorf("parcel %s visited %d times", code, n)
			}
		}
	})
}
