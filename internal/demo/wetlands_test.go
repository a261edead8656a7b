package demo

import (
	"context"
	"testing"

	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
)

// TestDemoWetlands: the demo park gets a wetland inventory inside it, marked demonstration data:
// a national-important permanent river down the corridor, provincial floodplain beside it,
// general paddies and ponds at the edge with dry land between; the patches do not overlap, and
// a second seed with --replace draws the same layer.
func TestDemoWetlands(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	seed(t, pool, Options{Parcels: 0, Seed: 1})
	type layer struct {
		n, outside, overlaps, notDemo    int
		national, provincial, general    float64
		parkHa, river, floodplain, paddy float64
		digest                           string
	}
	read := func() layer {
		t.Helper()
		var l layer
		if err := pool.QueryRow(ctx, `WITH park AS (SELECT ST_Union(z.geom) AS g FROM zone z JOIN protected_area a ON a.id = z.area_id WHERE a.name = $1),
			w AS (SELECT w.*, ST_Area(ST_Transform(w.geom, 4548)) / 1e4 AS ha FROM wetland_patch w)
			SELECT count(*),
				count(*) FILTER (WHERE NOT ST_CoveredBy(w.geom, ST_Buffer(park.g, 1e-6))),
				(SELECT count(*) FROM wetland_patch a JOIN wetland_patch b ON a.id < b.id AND a.geom && b.geom AND ST_Relate(a.geom, b.geom, '2********')
					WHERE ST_Area(ST_Transform(ST_Intersection(a.geom, b.geom), 4548)) > 0.01),
				count(*) FILTER (WHERE NOT w.demo),
				coalesce(sum(ha) FILTER (WHERE importance = 'national'), 0), coalesce(sum(ha) FILTER (WHERE importance = 'provincial'), 0),
				coalesce(sum(ha) FILTER (WHERE importance = 'general'), 0), max(ST_Area(ST_Transform(park.g, 4548)) / 1e4),
				coalesce(sum(ha) FILTER (WHERE type_code = '1201'), 0), coalesce(sum(ha) FILTER (WHERE type_code IN ('1203', '1402')), 0),
				coalesce(sum(ha) FILTER (WHERE type_code IN ('2006', '2004')), 0),
				md5(string_agg(code || type_code || md5(ST_AsBinary(geom)), ',' ORDER BY code))
			FROM w, park`, WetlandName).Scan(&l.n, &l.outside, &l.overlaps, &l.notDemo, &l.national, &l.provincial, &l.general,
			&l.parkHa, &l.river, &l.floodplain, &l.paddy, &l.digest); err != nil {
			t.Fatal(err)
		}
		return l
	}
	l := read()
	// Neighbours meet along cut lines whose corners lie on each other's edges; reprojected to
	// EPSG:4490 such a T-junction may overlap by far less than a square centimetre: not counted.
	if l.n < 10 || l.outside != 0 || l.overlaps != 0 || l.notDemo != 0 {
		t.Fatalf("%d patches, %d outside the park, %d overlapping pairs, %d not marked demo; want ≥ 10 inside, none overlapping, all demo", l.n, l.outside, l.overlaps, l.notDemo)
	}
	total := l.national + l.provincial + l.general
	if l.river <= 0 || l.floodplain <= 0 || l.paddy <= 0 || total >= l.parkHa || total < 0.5*l.parkHa || l.national != l.river {
		t.Errorf("river %.1f ha (national %.1f), floodplain %.1f, paddies and ponds %.1f of a %.1f ha park; want each band present, dry land left, the river national",
			l.river, l.national, l.floodplain, l.paddy, l.parkHa)
	}
	seed(t, pool, Options{Parcels: 0, Seed: 1, Replace: true})
	if again := read(); again.digest != l.digest {
		t.Errorf("a second seed drew another layer (%d patches, was %d)", again.n, l.n)
	}
}
