package demo

import (
	"math"
	"math/rand/v2"
	"sort"

	"github.com/paulmach/orb"
)

// Planar work on the Go side of the generator: point sampling inside polygons, vertex snapping,
// compartments. Types, bounds and ring orientation are orb's; the heavy geometry (Voronoi,
// noding, polygonizing, unions, reprojection) stays in PostGIS.

// polySet is a multipolygon with its bounding box, for point-in-polygon tests.
type polySet struct {
	mp  orb.MultiPolygon
	box orb.Bound
}

func newPolySet(mp orb.MultiPolygon) *polySet {
	return &polySet{mp: mp, box: mp.Bound()}
}

// contains is the even-odd rule over all rings, behind the bounding box. It is not
// planar.MultiPolygonContains, which gave the same answers on all 104,430 calls of a
// 20,000-parcel county but works out each ring's bound again on every call and tests each edge
// through a function call: about 15 µs a call on a 400-vertex village ring against 1 µs for this
// loop, and point sampling asks about five times a parcel.
func (ps *polySet) contains(q orb.Point) bool {
	if !ps.box.Contains(q) {
		return false
	}
	in := false
	for _, p := range ps.mp {
		for _, r := range p {
			for i, j := 0, len(r)-1; i < len(r); j, i = i, i+1 {
				a, b := r[i], r[j]
				if (a[1] > q[1]) != (b[1] > q[1]) && q[0] < (b[0]-a[0])*(q[1]-a[1])/(b[1]-a[1])+a[0] {
					in = !in
				}
			}
		}
	}
	return in
}

// vertices returns every ring vertex once (the closing vertex dropped).
func (ps *polySet) vertices() []orb.Point {
	var out []orb.Point
	for _, p := range ps.mp {
		for _, r := range p {
			if len(r) > 1 {
				out = append(out, r[:len(r)-1]...)
			}
		}
	}
	return out
}

// ringArea is the signed area of a closed ring (positive counter-clockwise). It is not
// planar.Area: the wetland park's width is found by bisection on this sum, and planar.Area, which
// moves the ring to its first vertex first, rounds differently and would give another width in
// the last bits, so other outlines for the same seed.
func ringArea(r orb.Ring) float64 {
	s := 0.0
	for i := 0; i+1 < len(r); i++ {
		s += r[i][0]*r[i+1][1] - r[i+1][0]*r[i][1]
	}
	return s / 2
}

// grid is a bucket index of points for nearest-neighbour queries.
type grid struct {
	cell float64
	x0   float64
	y0   float64
	b    map[[2]int][]int
	pts  []orb.Point
}

func newGrid(origin orb.Point, cell float64) *grid {
	return &grid{cell: cell, x0: origin[0], y0: origin[1], b: map[[2]int][]int{}}
}

func (g *grid) key(p orb.Point) [2]int {
	return [2]int{int(math.Floor((p.X() - g.x0) / g.cell)), int(math.Floor((p.Y() - g.y0) / g.cell))}
}

func (g *grid) add(p orb.Point) {
	k := g.key(p)
	g.b[k] = append(g.b[k], len(g.pts))
	g.pts = append(g.pts, p)
}

// nearest returns the index of the nearest stored point and its distance (-1 when empty).
func (g *grid) nearest(p orb.Point) (int, float64) {
	if len(g.pts) == 0 {
		return -1, math.Inf(1)
	}
	k := g.key(p)
	best, bd := -1, math.Inf(1)
	for ring := 0; ; ring++ {
		// every point in a ring of cells at Chebyshev distance `ring` is at least (ring-1)*cell away.
		if best >= 0 && float64(ring-1)*g.cell > bd {
			return best, bd
		}
		if ring > 4096 {
			return best, bd
		}
		for dx := -ring; dx <= ring; dx++ {
			for dy := -ring; dy <= ring; dy++ {
				if max(abs(dx), abs(dy)) != ring {
					continue
				}
				for _, i := range g.b[[2]int{k[0] + dx, k[1] + dy}] {
					if d := dist(p, g.pts[i]); d < bd || (d == bd && i < best) {
						best, bd = i, d
					}
				}
			}
		}
	}
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}

// samplePoints draws n points inside ps with Mitchell's best-candidate rule (k candidates per
// point, the one farthest from the points so far wins): spread like real parcel centres, no two
// crowded together. density (may be nil) scales the local spacing: where it is larger points sit
// closer. The fixed points (inside ps) come first and count towards n.
func samplePoints(r *rand.Rand, ps *polySet, n, k int, area float64, density func(orb.Point) float64, fixed ...orb.Point) []orb.Point {
	cell := math.Sqrt(area / float64(max(n, 1)))
	g := newGrid(ps.box.Min, cell)
	out := make([]orb.Point, 0, n)
	for _, p := range fixed {
		if len(out) < n && ps.contains(p) {
			g.add(p)
			out = append(out, p)
		}
	}
	draw := func() (orb.Point, bool) {
		for try := 0; try < 2000; try++ {
			lo, hi := ps.box.Min, ps.box.Max
			q := orb.Point{lo[0] + r.Float64()*(hi[0]-lo[0]), lo[1] + r.Float64()*(hi[1]-lo[1])}
			if ps.contains(q) {
				return q, true
			}
		}
		return orb.Point{}, false
	}
	for len(out) < n {
		var best orb.Point
		bestScore, found := -1.0, false
		for c := 0; c < k; c++ {
			q, ok := draw()
			if !ok {
				continue
			}
			_, d := g.nearest(q)
			if math.IsInf(d, 1) {
				d = 1e12
			}
			if density != nil {
				d *= math.Sqrt(density(q))
			}
			if d > bestScore {
				best, bestScore, found = q, d, true
			}
		}
		if !found {
			break
		}
		g.add(best)
		out = append(out, best)
	}
	return out
}

// endpointKey groups edge end points that coincide to the millimetre.
func endpointKey(p orb.Point) [2]int64 {
	return [2]int64{int64(math.Round(p.X() * 1000)), int64(math.Round(p.Y() * 1000))}
}

// prepareEdges unifies end points of Voronoi edges that coincide to the millimetre and snaps the
// loose ends (degree 1 or 2: where an edge was clipped by the enclosing boundary) onto the nearest
// vertex of that boundary, so that every edge meets the boundary at an existing vertex, bit for
// bit. Degenerate edges are dropped.
func prepareEdges(edges [][2]orb.Point, boundary *grid) [][2]orb.Point {
	canon := map[[2]int64]orb.Point{}
	deg := map[[2]int64]int{}
	for _, e := range edges {
		for _, p := range e {
			k := endpointKey(p)
			if _, ok := canon[k]; !ok {
				canon[k] = p
			}
			deg[k]++
		}
	}
	out := make([][2]orb.Point, 0, len(edges))
	for _, e := range edges {
		var f [2]orb.Point
		for i, p := range e {
			k := endpointKey(p)
			f[i] = canon[k]
			if deg[k] <= 2 && boundary != nil {
				if j, _ := boundary.nearest(f[i]); j >= 0 {
					f[i] = boundary.pts[j]
				}
			}
		}
		if f[0] != f[1] {
			out = append(out, f)
		}
	}
	return out
}

// kmeans groups points into k spatially compact clusters (Lloyd's algorithm from a farthest-point
// start); it returns the cluster of each point.
func kmeans(ps []orb.Point, k int) []int {
	n := len(ps)
	assign := make([]int, n)
	if k <= 1 || n <= k {
		if n <= k {
			for i := range assign {
				assign[i] = i
			}
		}
		return assign
	}
	centres := []orb.Point{ps[0]}
	dmin := make([]float64, n)
	for i := range dmin {
		dmin[i] = dist(ps[i], ps[0])
	}
	for len(centres) < k {
		bi := 0
		for i := range dmin {
			if dmin[i] > dmin[bi] {
				bi = i
			}
		}
		centres = append(centres, ps[bi])
		for i := range dmin {
			dmin[i] = math.Min(dmin[i], dist(ps[i], ps[bi]))
		}
	}
	for iter := 0; iter < 12; iter++ {
		for i, p := range ps {
			best, bd := 0, math.Inf(1)
			for c, q := range centres {
				if d := dist(p, q); d < bd {
					best, bd = c, d
				}
			}
			assign[i] = best
		}
		sum := make([]orb.Point, k)
		cnt := make([]int, k)
		for i, p := range ps {
			sum[assign[i]][0] += p.X()
			sum[assign[i]][1] += p.Y()
			cnt[assign[i]]++
		}
		for c := range centres {
			if cnt[c] > 0 {
				centres[c] = orb.Point{sum[c].X() / float64(cnt[c]), sum[c].Y() / float64(cnt[c])}
			}
		}
	}
	// renumber clusters north-west first, and drop empty ones
	type cc struct {
		c int
		p orb.Point
	}
	var used []cc
	seen := map[int]bool{}
	for _, a := range assign {
		if !seen[a] {
			seen[a] = true
			used = append(used, cc{a, centres[a]})
		}
	}
	sort.Slice(used, func(i, j int) bool {
		bi, bj := math.Floor(used[i].p.Y()/2000), math.Floor(used[j].p.Y()/2000)
		if bi != bj {
			return bi > bj
		}
		if used[i].p.X() != used[j].p.X() {
			return used[i].p.X() < used[j].p.X()
		}
		return used[i].c < used[j].c
	})
	re := map[int]int{}
	for i, u := range used {
		re[u.c] = i
	}
	for i := range assign {
		assign[i] = re[assign[i]]
	}
	return assign
}
