package demo

import (
	"fmt"
	"math"
	"sort"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
)

// parcelSeed is one parcel-to-be: its seed point and its place in the code.
type parcelSeed struct {
	ID      int // 1..N, stable
	Village *village
	P       orb.Point
	LinBan  int
	XiaoBan int
}

// allocate gives each village its number of parcels: one each, the rest in proportion to area
// (largest remainder), so the total is exactly n when n ≥ the number of villages.
func allocate(vs []*village, n int) []int {
	out := make([]int, len(vs))
	if n <= 0 {
		return out
	}
	rest := n - len(vs)
	total := 0.0
	for i := range vs {
		out[i] = 1
		total += vs[i].Area
	}
	if rest <= 0 {
		return out
	}
	type rem struct {
		i int
		f float64
	}
	rems := make([]rem, len(vs))
	given := 0
	for i, v := range vs {
		q := float64(rest) * v.Area / total
		out[i] += int(q)
		given += int(q)
		rems[i] = rem{i, q - math.Floor(q)}
	}
	sort.SliceStable(rems, func(a, b int) bool { return rems[a].f > rems[b].f })
	for k := 0; k < rest-given; k++ {
		out[rems[k].i]++
	}
	return out
}

// buildParcels tessellates every village into its parcels: well-spread seed points, Voronoi
// edges clipped to the village, each edge perturbed once, then all lines of the county (village
// boundaries and parcel edges) noded and polygonized together, so that every pair of neighbours
// shares one identical edge.
func (g *gen) buildParcels() error {
	if g.opt.Parcels == 0 {
		g.progress("parcels: 0 (as asked)")
		return nil
	}
	counts := allocate(g.villages, g.opt.Parcels)
	seeds, err := g.placeParcels(counts)
	if err != nil {
		return err
	}
	g.parcels = seeds
	if err := g.storeParcelSeeds(); err != nil {
		return err
	}
	lines, err := g.parcelEdges(counts)
	if err != nil {
		return err
	}
	g.progress("parcel edges: %d", len(lines))
	if err := g.parcelFaces(lines); err != nil {
		return err
	}
	var got int
	if err := g.tx.QueryRow(g.ctx, `SELECT count(*) FROM d_parcel`).Scan(&got); err != nil {
		return err
	}
	if got != len(seeds) {
		return fmt.Errorf("tessellation gave %d parcels for %d seeds", got, len(seeds))
	}
	g.progress("parcels: %d", got)
	return nil
}

// placeParcels draws the seed points of each village's parcels (counts[i] in village i), denser
// where the parcel-density field is higher, and numbers them.
func (g *gen) placeParcels(counts []int) ([]*parcelSeed, error) {
	density := newField(g.seed, "parcel-density", 3000)
	var seeds []*parcelSeed
	for vi, v := range g.villages {
		r := stream(g.seed, "parcel-points", int64(v.Label), int64(g.opt.Parcels))
		ps := samplePoints(r, v.Shape, counts[vi], 3, v.Area, func(p orb.Point) float64 {
			return math.Exp(1.1 * density.At(p.X(), p.Y()))
		})
		if len(ps) != counts[vi] {
			return nil, fmt.Errorf("village %s: placed %d of %d parcel seeds", v.Code, len(ps), counts[vi])
		}
		for _, s := range numberParcels(v, ps) {
			s.ID = len(seeds) + 1
			seeds = append(seeds, s)
		}
	}
	return seeds, nil
}

// numberParcels gives a village's seed points their numbers, in the order of ps: compartments
// (林班) of ~25 neighbouring parcels, numbered north-west first; sub-compartments (小班) numbered
// in rows from the north, alternating direction.
func numberParcels(v *village, ps []orb.Point) []*parcelSeed {
	k := max(1, int(math.Round(float64(len(ps))/25)))
	comp := kmeans(ps, k)
	byComp := map[int][]int{}
	for i, c := range comp {
		byComp[c] = append(byComp[c], i)
	}
	cell := math.Sqrt(v.Area / float64(max(len(ps), 1)))
	out := make([]*parcelSeed, len(ps))
	for c := 0; c < len(byComp); c++ {
		idx := byComp[c]
		sort.SliceStable(idx, func(a, b int) bool {
			pa, pb := ps[idx[a]], ps[idx[b]]
			ra, rb := math.Floor(-pa.Y()/(1.5*cell)), math.Floor(-pb.Y()/(1.5*cell))
			if ra != rb {
				return ra < rb
			}
			if int(ra)%2 == 0 {
				return pa.X() < pb.X()
			}
			return pa.X() > pb.X()
		})
		for j, i := range idx {
			out[i] = &parcelSeed{Village: v, P: ps[i], LinBan: c + 1, XiaoBan: j + 1}
		}
	}
	return out
}

// storeParcelSeeds writes the seed points to d_pseed(id, vlabel, geom).
func (g *gen) storeParcelSeeds() error {
	if err := g.exec(`CREATE TEMP TABLE d_pseed (id int PRIMARY KEY, vlabel int, x float8, y float8, geom geometry) ON COMMIT DROP`); err != nil {
		return err
	}
	seeds := g.parcels
	if _, err := g.tx.CopyFrom(g.ctx, pgx.Identifier{"d_pseed"}, []string{"id", "vlabel", "x", "y"},
		pgx.CopyFromSlice(len(seeds), func(i int) ([]any, error) {
			s := seeds[i]
			return []any{int32(s.ID), int32(s.Village.Label), s.P.X(), s.P.Y()}, nil
		})); err != nil {
		return err
	}
	return g.execAll(`UPDATE d_pseed SET geom = ST_SetSRID(ST_MakePoint(x, y), 4548)`,
		`CREATE INDEX ON d_pseed USING gist (geom)`)
}

// parcelEdges returns the parcel edges as WKB lines: the Voronoi edges of each village's seeds,
// clipped to the village, their loose ends snapped to the village's boundary and each edge
// perturbed once, densely enough for the village's parcel size.
func (g *gen) parcelEdges(counts []int) ([][]byte, error) {
	rows, err := g.tx.Query(g.ctx, `SELECT s.vlabel, ST_AsBinary(d.geom)
		FROM (SELECT vlabel, ST_Collect(geom ORDER BY id) AS mp FROM d_pseed GROUP BY vlabel HAVING count(*) > 1) s
		JOIN d_village v ON v.label = s.vlabel,
		LATERAL ST_Dump(ST_Intersection(ST_VoronoiLines(s.mp, 0, v.geom), v.geom)) d
		WHERE GeometryType(d.geom) = 'LINESTRING'
		ORDER BY s.vlabel, d.path`)
	if err != nil {
		return nil, err
	}
	edgesBy, order, err := chords(rows)
	if err != nil {
		return nil, err
	}
	byLabel := map[int]*village{}
	nBy := map[int]int{}
	for vi, v := range g.villages {
		byLabel[v.Label] = v
		nBy[v.Label] = counts[vi]
	}
	var lines [][]byte
	for _, label := range order {
		v := byLabel[label]
		bg := newGrid(v.Shape.box.Min, 200)
		for _, p := range v.Shape.vertices() {
			bg.add(p)
		}
		edges := prepareEdges(edgesBy[label], bg)
		cell := math.Sqrt(v.Area / float64(nBy[label]))
		spacing := cell / 9
		for ei, e := range edges {
			l := dist(e[0], e[1])
			n := min(60, max(5, int(math.Round(l/spacing))))
			line := perturbEdge(e[0], e[1], n, 0.11, stream(g.seed, "parcel-edge", int64(label), int64(ei), int64(g.opt.Parcels)))
			lines = append(lines, wkb.MustMarshal(line))
		}
	}
	return lines, nil
}

// parcelFaces polygonizes the village linework and the parcel edges into d_parcel(id, vlabel,
// geom): one parcel a seed, each face given to the seed it holds.
func (g *gen) parcelFaces(lines [][]byte) error {
	if err := g.exec(`CREATE TEMP TABLE d_pline ON COMMIT DROP AS SELECT geom FROM d_vline`); err != nil {
		return err
	}
	if err := g.copyLines("d_pline", lines); err != nil {
		return err
	}
	if err := g.polygonize("d_pline", "d_pface"); err != nil {
		return err
	}
	if err := g.execAll(`ALTER TABLE d_pface ADD vlabel int, ADD label int`,
		`UPDATE d_pface f SET vlabel = (SELECT min(v.label) FROM d_village v WHERE ST_Intersects(v.geom, ST_PointOnSurface(f.geom)))`,
		`DELETE FROM d_pface WHERE vlabel IS NULL`,
		`UPDATE d_pface f SET label = (SELECT min(s.id) FROM d_pseed s WHERE ST_Intersects(f.geom, s.geom) AND s.vlabel = f.vlabel)`,
		// A face holding two seeds keeps the first; a seed left without a face takes the largest
		// unlabelled face of its village, so that the count stays exactly N.
		`WITH lost AS (
			SELECT s.id, s.vlabel, row_number() OVER (PARTITION BY s.vlabel ORDER BY s.id) AS k
			FROM d_pseed s WHERE NOT EXISTS (SELECT 1 FROM d_pface f WHERE f.label = s.id)),
		spare AS (
			SELECT f.fid, f.vlabel, row_number() OVER (PARTITION BY f.vlabel ORDER BY ST_Area(f.geom) DESC, f.fid) AS k
			FROM d_pface f WHERE f.label IS NULL)
		UPDATE d_pface f SET label = lost.id FROM lost JOIN spare ON spare.vlabel = lost.vlabel AND spare.k = lost.k
		WHERE f.fid = spare.fid`); err != nil {
		return err
	}
	if err := g.mergeOrphans("d_pface", "vlabel"); err != nil {
		return err
	}
	return g.execAll(`CREATE TEMP TABLE d_parcel (id int PRIMARY KEY, vlabel int, geom geometry) ON COMMIT DROP`,
		`INSERT INTO d_parcel SELECT label, min(vlabel), (array_agg(geom))[1] FROM d_pface GROUP BY label HAVING count(*) = 1`,
		`INSERT INTO d_parcel SELECT label, min(vlabel), ST_Union(geom ORDER BY fid) FROM d_pface GROUP BY label HAVING count(*) > 1`)
}
