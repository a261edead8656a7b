package demo

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
)

// The official zone boundaries of the reserve and the wetland park are not public: these are
// plausible demonstration outlines, drawn independently of parcels (parcels are cut by zones and
// overlays compute the shares).

const demoNote = "演示数据：分区边界为演示用途绘制，并非官方边界 (demonstration data, not the official boundaries)"

type zoneDraft struct {
	areaKind, zoneKind, site, name string
	polys                          orb.MultiPolygon // EPSG:4548
}

// toMetres transforms lon/lat (EPSG:4490) points to EPSG:4548.
func (g *gen) toMetres(ll [][2]float64) ([]orb.Point, error) {
	lons, lats := make([]float64, len(ll)), make([]float64, len(ll))
	for i, p := range ll {
		lons[i], lats[i] = p[0], p[1]
	}
	rows, err := g.tx.Query(g.ctx, `SELECT ST_X(p), ST_Y(p) FROM unnest($1::float8[], $2::float8[]) WITH ORDINALITY AS u(lon, lat, i),
		LATERAL ST_Transform(ST_SetSRID(ST_MakePoint(lon, lat), 4490), 4548) AS p ORDER BY i`, lons, lats)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []orb.Point
	for rows.Next() {
		var p orb.Point
		if err := rows.Scan(&p[0], &p[1]); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func (g *gen) buildZones() error {
	if err := g.exec(`CREATE TEMP TABLE d_zone (area_kind text, zone_kind text, site text, name text, geom geometry) ON COMMIT DROP`); err != nil {
		return err
	}
	wet, err := g.wetlandZones()
	if err != nil {
		return err
	}
	if err := g.insertDrafts(wet); err != nil {
		return err
	}
	res, err := g.reserveZones()
	if err != nil {
		return err
	}
	if err := g.insertDrafts(res); err != nil {
		return err
	}
	if err := g.exec(`CREATE INDEX ON d_zone USING gist (geom)`); err != nil {
		return err
	}
	var reserveID, wetlandID int64
	if err := g.tx.QueryRow(g.ctx, `INSERT INTO protected_area (name, area_kind, level, established, demo, note)
		VALUES ($1, 'nature_reserve', 'national', '1993-01-01', true, $2) RETURNING id`, ReserveName,
		"国家级森林鸟类自然保护区，约12,993公顷，多个片区。"+demoNote).Scan(&reserveID); err != nil {
		return err
	}
	if err := g.tx.QueryRow(g.ctx, `INSERT INTO protected_area (name, area_kind, level, demo, note)
		VALUES ($1, 'wetland_park', 'national', true, $2) RETURNING id`, WetlandName,
		"国家湿地公园，约347公顷，沿星江（秋口镇一带）。"+demoNote).Scan(&wetlandID); err != nil {
		return err
	}
	if err := g.exec(`INSERT INTO zone (area_id, area_kind, zone_kind, site, name, demo, geom)
		SELECT CASE WHEN area_kind = 'nature_reserve' THEN $1::bigint ELSE $2::bigint END, area_kind, zone_kind, site, name, true,
			ST_Multi(ST_Transform(geom, 4490))
		FROM d_zone ORDER BY area_kind DESC, site, zone_kind`, reserveID, wetlandID); err != nil {
		return err
	}
	var bad int
	if err := g.tx.QueryRow(g.ctx, `SELECT count(*) FROM zone z, d_county c WHERE z.area_id IN ($1, $2) AND NOT ST_CoveredBy(z.geom, c.geom)`,
		reserveID, wetlandID).Scan(&bad); err != nil {
		return err
	}
	if bad > 0 {
		return fmt.Errorf("%d demo zones reach outside the county", bad)
	}
	g.progress("zones: %d (reserve %d sites, wetland park 3 zones)", len(wet)+len(res), len(res)/3)
	return nil
}

func (g *gen) insertDrafts(ds []zoneDraft) error {
	for _, d := range ds {
		if err := g.exec(`INSERT INTO d_zone VALUES ($1, $2, $3, $4, ST_GeomFromWKB($5, 4548))`,
			d.areaKind, d.zoneKind, d.site, d.name, wkb.MustMarshal(d.polys)); err != nil {
			return err
		}
	}
	var invalid int
	if err := g.tx.QueryRow(g.ctx, `SELECT count(*) FROM d_zone WHERE NOT ST_IsValid(geom)`).Scan(&invalid); err != nil {
		return err
	}
	if invalid > 0 {
		return fmt.Errorf("%d generated zone outlines are invalid", invalid)
	}
	return nil
}

// wetlandZones draws the wetland park as a corridor of varying width along the 星江 line, cut
// across into sections: conservation, reasonable use (by the town), restoration, conservation.
func (g *gen) wetlandZones() ([]zoneDraft, error) {
	r := stream(g.seed, "wetland")
	ctrl, err := g.toMetres(g.data.River)
	if err != nil {
		return nil, err
	}
	// Catmull-Rom through the control points, a point every ~20 m.
	var line []orb.Point
	for i := 0; i+1 < len(ctrl); i++ {
		p0, p1, p2, p3 := ctrl[max(i-1, 0)], ctrl[i], ctrl[i+1], ctrl[min(i+2, len(ctrl)-1)]
		n := max(2, int(dist(p1, p2)/20))
		for j := 0; j < n; j++ {
			t := float64(j) / float64(n)
			t2, t3 := t*t, t*t*t
			f := func(a, b, c, d float64) float64 {
				return 0.5 * (2*b + (-a+c)*t + (2*a-5*b+4*c-d)*t2 + (-a+3*b-3*c+d)*t3)
			}
			line = append(line, orb.Point{f(p0.X(), p1.X(), p2.X(), p3.X()), f(p0.Y(), p1.Y(), p2.Y(), p3.Y())})
		}
	}
	line = append(line, ctrl[len(ctrl)-1])
	s := make([]float64, len(line))
	for i := 1; i < len(line); i++ {
		s[i] = s[i-1] + dist(line[i-1], line[i])
	}
	total := s[len(s)-1]
	normals := make([]orb.Point, len(line))
	for i := range line {
		a, b := line[max(i-3, 0)], line[min(i+3, len(line)-1)]
		l := dist(a, b)
		normals[i] = orb.Point{-(b.Y() - a.Y()) / l, (b.X() - a.X()) / l}
	}
	meander := newField(g.seed, "wetland-meander", 1500)
	wl, wr := newField(g.seed, "wetland-left", 900), newField(g.seed, "wetland-right", 700)
	centre := make([]orb.Point, len(line))
	for i, p := range line {
		m := 40 * meander.At(s[i], 0) * math.Sin(math.Pi*s[i]/total)
		centre[i] = orb.Point{p.X() + normals[i].X()*m, p.Y() + normals[i].Y()*m}
	}
	build := func(w float64) (left, right []orb.Point) {
		left, right = make([]orb.Point, len(line)), make([]orb.Point, len(line))
		for i, c := range centre {
			a := w * (1 + 0.35*wl.At(s[i], 3))
			b := w * (1 + 0.35*wr.At(s[i], 7))
			left[i] = orb.Point{c.X() + normals[i].X()*a, c.Y() + normals[i].Y()*a}
			right[i] = orb.Point{c.X() - normals[i].X()*b, c.Y() - normals[i].Y()*b}
		}
		return
	}
	area := func(left, right []orb.Point, i0, i1 int) float64 {
		ring := append(orb.Ring{}, left[i0:i1+1]...)
		for i := i1; i >= i0; i-- {
			ring = append(ring, right[i])
		}
		ring = append(ring, left[i0])
		return math.Abs(ringArea(ring))
	}
	lo, hi := 1.0, 2000.0
	for it := 0; it < 60; it++ {
		mid := (lo + hi) / 2
		l, rr := build(mid)
		if area(l, rr, 0, len(line)-1) < WetlandTargetHa*1e4 {
			lo = mid
		} else {
			hi = mid
		}
	}
	left, right := build((lo + hi) / 2)
	fr := []float64{0, 0.26 + r.Float64()*0.06, 0.48 + r.Float64()*0.06, 0.70 + r.Float64()*0.06, 1}
	kinds := []string{"conservation", "reasonable_use", "restoration", "conservation"}
	labels := map[string]string{"conservation": "保育区", "restoration": "恢复重建区", "reasonable_use": "合理利用区"}
	idx := func(f float64) int {
		for i := range s {
			if s[i] >= f*total {
				return i
			}
		}
		return len(s) - 1
	}
	byKind := map[string]orb.MultiPolygon{}
	for k := 0; k < 4; k++ {
		i0, i1 := idx(fr[k]), idx(fr[k+1])
		ring := append(orb.Ring{}, left[i0:i1+1]...)
		for i := i1; i >= i0; i-- {
			ring = append(ring, right[i])
		}
		ring = append(ring, left[i0])
		if ring.Orientation() == orb.CW {
			ring.Reverse()
		}
		byKind[kinds[k]] = append(byKind[kinds[k]], orb.Polygon{ring})
	}
	var out []zoneDraft
	for _, k := range []string{"conservation", "restoration", "reasonable_use"} {
		out = append(out, zoneDraft{areaKind: "wetland_park", zoneKind: k, site: "", name: "饶河源湿地公园" + labels[k], polys: byKind[k]})
	}
	return out, nil
}

// blob is a star-shaped irregular outline around c: radius r(θ) = scale·exp(Σ harmonics).
type blob struct {
	amps, phases []float64
}

func newBlob(r *rand.Rand, rough float64) blob {
	var b blob
	for k := 1; k <= 24; k++ {
		a := r.NormFloat64() * rough / math.Pow(float64(k), 1.3)
		if k == 1 {
			a *= 0.3
		}
		b.amps = append(b.amps, a)
		b.phases = append(b.phases, r.Float64()*2*math.Pi)
	}
	return b
}

const blobN = 288

func (b blob) radii() []float64 {
	out := make([]float64, blobN)
	for j := range out {
		th := 2 * math.Pi * float64(j) / blobN
		e := 0.0
		for k := range b.amps {
			e += b.amps[k] * math.Cos(float64(k+1)*th+b.phases[k])
		}
		out[j] = math.Exp(e)
	}
	return out
}

func radialArea(rs []float64) float64 {
	a := 0.0
	for j := range rs {
		a += rs[j] * rs[(j+1)%len(rs)]
	}
	return 0.5 * a * math.Sin(2*math.Pi/float64(len(rs)))
}

func radialRing(c orb.Point, rs []float64) orb.Ring {
	ring := make(orb.Ring, 0, len(rs)+1)
	for j, rr := range rs {
		th := 2 * math.Pi * float64(j) / float64(len(rs))
		ring = append(ring, orb.Point{c.X() + rr*math.Cos(th), c.Y() + rr*math.Sin(th)})
	}
	return append(ring, ring[0])
}

// reversed is a copy of r the other way round: a hole's winding.
func reversed(r orb.Ring) orb.Ring {
	out := r.Clone()
	out.Reverse()
	return out
}

// reserveZones draws 4–6 separate reserve sites, each nested core ⊂ buffer ⊂ experimental,
// stored as disjoint parts (buffer = buffer outline minus core, …), ≈12,993 ha together.
func (g *gen) reserveZones() ([]zoneDraft, error) {
	r := stream(g.seed, "reserve")
	sites := append([]reserveSiteSeed{}, g.data.ReserveSites...)
	r.Shuffle(len(sites), func(i, j int) { sites[i], sites[j] = sites[j], sites[i] })
	n := min(len(sites), 4+r.IntN(3))
	sites = sites[:n]
	anchorsLL := make([][2]float64, n)
	wsum := 0.0
	shares := make([]float64, n)
	for i, s := range sites {
		anchorsLL[i] = [2]float64{s.Lon, s.Lat}
		shares[i] = s.Weight * (0.8 + 0.4*r.Float64())
		wsum += shares[i]
	}
	anchors, err := g.toMetres(anchorsLL)
	if err != nil {
		return nil, err
	}
	var out []zoneDraft
	var placed [][]byte // experimental outlines so far, WKB
	for i, s := range sites {
		target := ReserveTargetHa * 1e4 * shares[i] / wsum
		ok := false
		for attempt := 0; attempt < 40 && !ok; attempt++ {
			c := anchors[i]
			jit := 600 + 150*float64(attempt)
			c[0] += (r.Float64()*2 - 1) * jit
			c[1] += (r.Float64()*2 - 1) * jit
			fc := 0.28 + 0.1*r.Float64()
			fb := 0.22 + 0.08*r.Float64()
			core := newBlob(r, 0.45).radii()
			scale := math.Sqrt(target * fc / radialArea(core))
			for j := range core {
				core[j] *= scale
			}
			grow := func(inner []float64, shape []float64, add float64) []float64 {
				lo, hi := 0.0, 20000.0
				var out []float64
				for it := 0; it < 60; it++ {
					t := (lo + hi) / 2
					out = make([]float64, len(inner))
					for j := range inner {
						out[j] = inner[j] + t*shape[j]
					}
					if radialArea(out)-radialArea(inner) < add {
						lo = t
					} else {
						hi = t
					}
				}
				return out
			}
			buf := grow(core, newBlob(r, 0.6).radii(), target*fb)
			exp := grow(buf, newBlob(r, 0.6).radii(), target*(1-fc-fb))
			coreRing, bufRing, expRing := radialRing(c, core), radialRing(c, buf), radialRing(c, exp)
			expWKB := wkb.MustMarshal(orb.MultiPolygon{{expRing}})
			var fits bool
			if err := g.tx.QueryRow(g.ctx, `WITH e AS (SELECT ST_GeomFromWKB($1, 4548) AS g)
				SELECT ST_Within(e.g, ST_Buffer(c.gm, -300))
					AND ST_Within(ST_Transform(e.g, 4490), ST_MakeEnvelope(117.5, 29.1167, 117.85, 29.5833, 4490))
					AND NOT EXISTS (SELECT 1 FROM d_zone z WHERE ST_DWithin(z.geom, e.g, 800))
					AND NOT EXISTS (SELECT 1 FROM unnest($2::bytea[]) AS p(b) WHERE ST_DWithin(ST_GeomFromWKB(p.b, 4548), e.g, 800))
				FROM e, d_county c`, expWKB, placed).Scan(&fits); err != nil {
				return nil, err
			}
			if !fits {
				continue
			}
			ok = true
			placed = append(placed, expWKB)
			out = append(out,
				zoneDraft{"nature_reserve", "core", s.Site, s.Site + "核心区", orb.MultiPolygon{{coreRing}}},
				zoneDraft{"nature_reserve", "buffer", s.Site, s.Site + "缓冲区", orb.MultiPolygon{{bufRing, reversed(coreRing)}}},
				zoneDraft{"nature_reserve", "experimental", s.Site, s.Site + "实验区", orb.MultiPolygon{{expRing, reversed(bufRing)}}},
			)
		}
		if !ok {
			return nil, fmt.Errorf("could not place the reserve site %s inside the county", s.Site)
		}
	}
	return out, nil
}
