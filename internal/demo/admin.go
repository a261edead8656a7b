package demo

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/wuyuan-forestry/ecocomp/geodata"
)

// village is one generated village (行政村 or 社区) in EPSG:4548.
type village struct {
	Label      int // index of its seed point, stable for a given seed
	Seed       orb.Point
	Area       float64 // m², planar
	Township   int     // index into gen.townships
	Code       string
	Name       string
	Community  bool
	Shape      *polySet
	Centre     orb.Point // a point on its surface
	State      bool      // a state-forest-farm village: most of its land is state-owned
	Enterprise int       // index of the enterprise that leases land here, -1 for none
}

type township struct {
	townshipSeed
	SeatM    orb.Point // seat in EPSG:4548
	Target   float64
	Area     float64
	Villages []*village
}

// loadCounty stores the real county outline (repaired, polygonal parts only, area kept) and
// prepares it in EPSG:4548 for the tessellation.
func (g *gen) loadCounty() error {
	var fc struct {
		Features []struct {
			Properties struct {
				Name string `json:"name"`
			} `json:"properties"`
			Geometry json.RawMessage `json:"geometry"`
		} `json:"features"`
	}
	if err := json.Unmarshal(geodata.JiangxiNECounties, &fc); err != nil {
		return fmt.Errorf("geodata: %v", err)
	}
	var geom json.RawMessage
	for _, f := range fc.Features {
		if f.Properties.Name == "婺源县" {
			geom = f.Geometry
		}
	}
	if geom == nil {
		return fmt.Errorf("geodata has no feature named 婺源县")
	}
	if err := g.exec(`CREATE TEMP TABLE d_county ON COMMIT DROP AS
		WITH src AS (SELECT ST_SetSRID(ST_GeomFromGeoJSON($1), 4490) AS raw)
		SELECT raw, ST_Multi(ST_CollectionExtract(ST_MakeValid(raw), 3)) AS geom FROM src`, string(geom)); err != nil {
		return err
	}
	var rawArea, validArea float64
	var valid bool
	if err := g.tx.QueryRow(g.ctx, `SELECT ST_Area(raw::geography), ST_Area(geom::geography), ST_IsValid(geom) FROM d_county`).
		Scan(&rawArea, &validArea, &valid); err != nil {
		return err
	}
	if !valid || math.Abs(validArea/rawArea-1) > 1e-4 {
		return fmt.Errorf("repairing the outline of 婺源县 changed its area from %.0f to %.0f m² (valid=%v)", rawArea, validArea, valid)
	}
	g.countyHa = validArea / 1e4
	if err := g.exec(`INSERT INTO admin_unit (code, level, name, demo, geom) SELECT $1, 'county', '婺源县', false, geom FROM d_county`, CountyCode); err != nil {
		return err
	}
	// EPSG:4548 work copy and its boundary with a vertex every 40 m at most, which edges snap to.
	if err := g.exec(`ALTER TABLE d_county ADD gm geometry, ADD gb geometry`); err != nil {
		return err
	}
	if err := g.exec(`UPDATE d_county SET gm = ST_Transform(geom, 4548)`); err != nil {
		return err
	}
	if err := g.exec(`UPDATE d_county SET gb = ST_Segmentize(ST_Boundary(gm), 40)`); err != nil {
		return err
	}
	var b []byte
	if err := g.tx.QueryRow(g.ctx, `SELECT ST_AsBinary(gm) FROM d_county`).Scan(&b); err != nil {
		return err
	}
	parts, err := decodeWKB(b)
	if err != nil {
		return err
	}
	g.county = newPolySet(polygonsOf(parts))
	g.progress("county: 婺源县 %.0f ha (real outline, repaired)", g.countyHa)
	return nil
}

// buildVillages cuts the county into ~200 villages: Voronoi cells of well-spread seeded points,
// each cell edge perturbed once, the linework noded and polygonized. It depends on the seed only.
func (g *gen) buildVillages() error {
	if err := g.loadSeats(); err != nil {
		return err
	}
	seeds := g.placeVillages()
	labels := make([]int32, len(seeds))
	xs, ys := make([]float64, len(seeds)), make([]float64, len(seeds))
	for i, p := range seeds {
		labels[i], xs[i], ys[i] = int32(i), p.X(), p.Y()
	}
	if err := g.exec(`CREATE TEMP TABLE d_vseed (label int PRIMARY KEY, geom geometry) ON COMMIT DROP`); err != nil {
		return err
	}
	if err := g.exec(`INSERT INTO d_vseed SELECT l, ST_SetSRID(ST_MakePoint(x, y), 4548)
		FROM unnest($1::int[], $2::float8[], $3::float8[]) AS u(l, x, y)`, labels, xs, ys); err != nil {
		return err
	}
	lines, err := g.villageEdges()
	if err != nil {
		return err
	}
	if err := g.villageFaces(lines); err != nil {
		return err
	}
	if err := g.readVillages(seeds); err != nil {
		return err
	}
	// The village linework, each shared edge once: the parcels are cut inside it.
	if err := g.exec(`CREATE TEMP TABLE d_vline ON COMMIT DROP AS
		SELECT d.geom FROM (SELECT ST_UnaryUnion(ST_Collect(b.geom)) AS g
			FROM d_village v, LATERAL ST_Dump(ST_Boundary(v.geom)) b) n, LATERAL ST_Dump(n.g) d`); err != nil {
		return err
	}
	g.progress("villages: %d", len(g.villages))
	return nil
}

// placeVillages draws the villages' seed points, spread over the county. The county town
// (蚺城街道) is cut into small urban communities: a ring of fixed points around its seat.
func (g *gen) placeVillages() []orb.Point {
	r := stream(g.seed, "villages")
	nv := 185 + r.IntN(31)
	area := g.countyHa * 1e4
	town := g.townships[0].SeatM
	fixed := []orb.Point{town}
	for i := 0; i < 6; i++ {
		a := (float64(i) + 0.3*r.Float64()) * math.Pi / 3
		d := 1700 + 500*r.Float64()
		fixed = append(fixed, orb.Point{town.X() + d*math.Cos(a), town.Y() + d*math.Sin(a)})
	}
	return samplePoints(r, g.county, nv, 8, area, nil, fixed...)
}

// villageEdges returns the village edges as WKB lines: the Voronoi edges of the seeds in d_vseed
// clipped to the county, their loose ends snapped to the county boundary, each perturbed once.
func (g *gen) villageEdges() ([][]byte, error) {
	rows, err := g.tx.Query(g.ctx, `SELECT 0, ST_AsBinary(d.geom)
		FROM d_county c, LATERAL (SELECT ST_Collect(geom ORDER BY label) AS mp FROM d_vseed) s,
		LATERAL ST_Dump(ST_Intersection(ST_VoronoiLines(s.mp, 0, ST_Expand(c.gm, 5000)), c.gm)) d
		WHERE GeometryType(d.geom) = 'LINESTRING' ORDER BY d.path`)
	if err != nil {
		return nil, err
	}
	byLabel, _, err := chords(rows)
	if err != nil {
		return nil, err
	}
	// The county boundary (segmentized) as snap targets.
	var bb []byte
	if err := g.tx.QueryRow(g.ctx, `SELECT ST_AsBinary(gb) FROM d_county`).Scan(&bb); err != nil {
		return nil, err
	}
	boundary, err := decodeWKB(bb)
	if err != nil {
		return nil, err
	}
	bgrid := newGrid(g.county.box.Min, 500)
	for _, l := range linesOf(boundary) {
		for _, p := range l {
			bgrid.add(p)
		}
	}
	edges := prepareEdges(byLabel[0], bgrid)
	lines := make([][]byte, 0, len(edges))
	for i, e := range edges {
		l := dist(e[0], e[1])
		n := max(4, int(math.Ceil(l/40)))
		line := perturbEdge(e[0], e[1], n, 0.085, stream(g.seed, "village-edge", int64(i)))
		lines = append(lines, wkb.MustMarshal(line))
	}
	return lines, nil
}

// villageFaces polygonizes the village edges with the county boundary into d_village(label,
// geom): each face inside the county goes to the seed it holds or to its longest neighbour.
func (g *gen) villageFaces(lines [][]byte) error {
	if err := g.exec(`CREATE TEMP TABLE d_line (geom geometry) ON COMMIT DROP`); err != nil {
		return err
	}
	if err := g.copyLines("d_line", lines); err != nil {
		return err
	}
	if err := g.exec(`INSERT INTO d_line SELECT ST_SetSRID((ST_Dump(gb)).geom, 4548) FROM d_county`); err != nil {
		return err
	}
	if err := g.polygonize("d_line", "d_vface"); err != nil {
		return err
	}
	if err := g.execAll(`ALTER TABLE d_vface ADD label int, ADD inside boolean`,
		`CREATE INDEX ON d_vseed USING gist (geom)`,
		`UPDATE d_vface f SET
		label = (SELECT min(s.label) FROM d_vseed s WHERE ST_Intersects(f.geom, s.geom)),
		inside = ST_Intersects((SELECT gm FROM d_county), ST_PointOnSurface(f.geom))`,
		`DELETE FROM d_vface WHERE NOT inside`); err != nil {
		return err
	}
	if err := g.mergeOrphans("d_vface", ""); err != nil {
		return err
	}
	return g.execAll(`CREATE TEMP TABLE d_village ON COMMIT DROP AS
		SELECT label, CASE WHEN count(*) = 1 THEN ST_Multi((array_agg(geom))[1]) ELSE ST_Multi(ST_Union(geom)) END AS geom
		FROM d_vface WHERE label IS NOT NULL GROUP BY label ORDER BY label`,
		`CREATE INDEX ON d_village USING gist (geom)`)
}

// readVillages reads the villages of d_village, in label order, with their shapes in Go.
func (g *gen) readVillages(seeds []orb.Point) error {
	rows, err := g.tx.Query(g.ctx, `SELECT label, ST_Area(geom), ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)), ST_AsBinary(geom)
		FROM d_village ORDER BY label`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		v := &village{}
		var b []byte
		if err := rows.Scan(&v.Label, &v.Area, &v.Centre[0], &v.Centre[1], &b); err != nil {
			return err
		}
		shape, err := decodeWKB(b)
		if err != nil {
			return err
		}
		v.Shape = newPolySet(polygonsOf(shape))
		v.Seed = seeds[v.Label]
		g.villages = append(g.villages, v)
	}
	return rows.Err()
}

// loadSeats reads the township seats and checks that each lies inside the county.
func (g *gen) loadSeats() error {
	for _, t := range g.data.Townships {
		g.townships = append(g.townships, &township{townshipSeed: t})
	}
	if g.townships[0].Code != "361130001" {
		return fmt.Errorf("seeds/demo/townships.csv must list 蚺城街道 (the county town) first")
	}
	lons, lats := make([]float64, len(g.townships)), make([]float64, len(g.townships))
	for i, t := range g.townships {
		lons[i], lats[i] = t.Lon, t.Lat
	}
	rows, err := g.tx.Query(g.ctx, `SELECT ST_X(p), ST_Y(p), ST_Within(p, (SELECT gm FROM d_county)) FROM
		unnest($1::float8[], $2::float8[]) WITH ORDINALITY AS u(lon, lat, i),
		LATERAL ST_Transform(ST_SetSRID(ST_MakePoint(lon, lat), 4490), 4548) AS p ORDER BY i`, lons, lats)
	if err != nil {
		return err
	}
	i := 0
	for rows.Next() {
		var inside bool
		if err := rows.Scan(&g.townships[i].SeatM[0], &g.townships[i].SeatM[1], &inside); err != nil {
			rows.Close()
			return err
		}
		if !inside {
			rows.Close()
			return fmt.Errorf("the seat of %s (seeds/demo/townships.csv) lies outside the county", g.townships[i].Name)
		}
		i++
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return nil
}

// assignTownships grows the 17 townships over the village adjacency graph from the village that
// holds each seat, the township furthest below its target area growing first: townships are
// contiguous and roughly of their real sizes.
func (g *gen) assignTownships() error {
	// adjacency with shared boundary length
	byLabel := map[int]int{}
	for i, v := range g.villages {
		byLabel[v.Label] = i
		v.Township = -1
	}
	adj := make([][]int, len(g.villages))
	arows, err := g.tx.Query(g.ctx, `SELECT a.label, b.label FROM d_village a JOIN d_village b
		ON a.label < b.label AND a.geom && b.geom AND ST_Intersects(a.geom, b.geom)
		ORDER BY a.label, b.label`)
	if err != nil {
		return err
	}
	for arows.Next() {
		var a, b int
		if err := arows.Scan(&a, &b); err != nil {
			arows.Close()
			return err
		}
		ia, ib := byLabel[a], byLabel[b]
		adj[ia] = append(adj[ia], ib)
		adj[ib] = append(adj[ib], ia)
	}
	if err := arows.Err(); err != nil {
		return err
	}
	totalTarget := 0.0
	for _, t := range g.townships {
		totalTarget += t.AreaKm2
	}
	for _, t := range g.townships {
		t.Target = t.AreaKm2 / totalTarget * g.countyHa * 1e4
	}
	claim := func(ti, vi int) {
		g.villages[vi].Township = ti
		g.townships[ti].Area += g.villages[vi].Area
		g.townships[ti].Villages = append(g.townships[ti].Villages, g.villages[vi])
	}
	for ti, t := range g.townships {
		best, bd := -1, math.Inf(1)
		for vi, v := range g.villages {
			if v.Township >= 0 {
				continue
			}
			d := dist(v.Seed, t.SeatM)
			if v.Shape.contains(t.SeatM) {
				d = -1
			}
			if d < bd {
				best, bd = vi, d
			}
		}
		claim(ti, best)
	}
	for {
		bt, bv := -1, -1
		bestRatio := math.Inf(1)
		for ti, t := range g.townships {
			ratio := t.Area / t.Target
			if ratio >= bestRatio {
				continue
			}
			cand, cd := -1, math.Inf(1)
			for _, v := range t.Villages {
				for _, n := range adj[byLabel[v.Label]] {
					if g.villages[n].Township >= 0 {
						continue
					}
					if d := dist(g.villages[n].Seed, t.SeatM); d < cd {
						cand, cd = n, d
					}
				}
			}
			if cand >= 0 {
				bt, bv, bestRatio = ti, cand, ratio
			}
		}
		if bt < 0 {
			break
		}
		claim(bt, bv)
	}
	for vi, v := range g.villages { // unreachable leftovers, if any: nearest seat
		if v.Township < 0 {
			best, bd := 0, math.Inf(1)
			for ti, t := range g.townships {
				if d := dist(v.Seed, t.SeatM); d < bd {
					best, bd = ti, d
				}
			}
			claim(best, vi)
		}
	}
	g.nameVillages()
	g.markVillages()
	g.progress("townships: %d", len(g.townships))
	return nil
}

// nameVillages gives codes (township code + 3 digits: 0xx communities, 2xx villages, nearest to
// the seat first) and unique demonstration names.
func (g *gen) nameVillages() {
	r := stream(g.seed, "village-names")
	used := map[string]bool{}
	for _, t := range g.data.Townships {
		used[t.Name[:len(t.Name)-len("镇")]] = true
	}
	for _, t := range g.townships {
		sort.SliceStable(t.Villages, func(i, j int) bool {
			di, dj := dist(t.Villages[i].Seed, t.SeatM), dist(t.Villages[j].Seed, t.SeatM)
			if di != dj {
				return di < dj
			}
			return t.Villages[i].Label < t.Villages[j].Label
		})
		stem := []rune(t.Name)
		stem = stem[:len(stem)-1]
		if t.Code == "361130001" { // 街道: 社区 only
			stem = stem[:len(stem)-1]
		}
		nc, nv := 0, 0
		for i, v := range t.Villages {
			community := false
			switch {
			case t.Code == "361130001":
				community = true
			case t.Code == "361130100" && i < 2:
				community = true
			case t.Code[6] == '1' && i == 0:
				community = true
			}
			v.Community = community
			var name string
			if community {
				nc++
				v.Code = fmt.Sprintf("%s%03d", t.Code, nc)
				if nc == 1 && t.Code != "361130001" {
					name = string(stem) + "社区"
				}
			} else {
				nv++
				v.Code = fmt.Sprintf("%s%03d", t.Code, 199+nv)
			}
			for name == "" || used[name] {
				base := g.data.VillageFirst[r.IntN(len(g.data.VillageFirst))] + g.data.VillageSecond[r.IntN(len(g.data.VillageSecond))]
				if []rune(base)[0] == []rune(base)[1] {
					continue
				}
				if community {
					name = base + "社区"
				} else {
					name = base + "村"
				}
			}
			used[name] = true
			v.Name = name
		}
	}
}

// storeAdminUnits writes townships (union of their villages) and villages in EPSG:4490.
func (g *gen) storeAdminUnits() error {
	n := len(g.villages)
	labels, codes, names := make([]int32, n), make([]string, n), make([]string, n)
	for i, v := range g.villages {
		labels[i], codes[i], names[i] = int32(v.Label), v.Code, v.Name
	}
	if err := g.exec(`CREATE TEMP TABLE d_village4490 ON COMMIT DROP AS
		SELECT u.code, u.name, ST_Multi(ST_Transform(v.geom, 4490)) AS geom
		FROM unnest($1::int[], $2::text[], $3::text[]) AS u(label, code, name) JOIN d_village v ON v.label = u.label`,
		labels, codes, names); err != nil {
		return err
	}
	if err := g.exec(`UPDATE d_village4490 SET geom = ST_Multi(ST_CollectionExtract(ST_MakeValid(geom), 3)) WHERE NOT ST_IsValid(geom)`); err != nil {
		return err
	}
	tcodes, tnames := make([]string, len(g.townships)), make([]string, len(g.townships))
	for i, t := range g.townships {
		tcodes[i], tnames[i] = t.Code, t.Name
	}
	if err := g.exec(`INSERT INTO admin_unit (code, level, name, parent_code, demo, geom)
		SELECT t.code, 'township', t.name, $3, true, ST_Multi(ST_Union(v.geom ORDER BY v.code))
		FROM unnest($1::text[], $2::text[]) AS t(code, name) JOIN d_village4490 v ON left(v.code, 9) = t.code
		GROUP BY t.code, t.name ORDER BY t.code`, tcodes, tnames, CountyCode); err != nil {
		return err
	}
	return g.exec(`INSERT INTO admin_unit (code, level, name, parent_code, demo, geom)
		SELECT code, 'village', name, left(code, 9), true, geom FROM d_village4490 ORDER BY code`)
}

// markVillages picks the state-forest-farm villages (three clusters of neighbours) and the
// villages where an enterprise leases land.
func (g *gen) markVillages() {
	r := stream(g.seed, "village-roles")
	for _, v := range g.villages {
		v.Enterprise = -1
	}
	for c := 0; c < 3; c++ {
		centre := g.villages[r.IntN(len(g.villages))]
		near := append([]*village{}, g.villages...)
		sort.SliceStable(near, func(i, j int) bool { return dist(near[i].Seed, centre.Seed) < dist(near[j].Seed, centre.Seed) })
		for _, v := range near[:min(4, len(near))] {
			v.State = true
		}
	}
	for _, v := range g.villages {
		if !v.State && r.Float64() < 0.15 {
			v.Enterprise = r.IntN(len(g.data.Enterprises))
		}
	}
}
