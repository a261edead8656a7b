package casefile

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/wuyuan-forestry/ecocomp/internal/cases"
	"github.com/wuyuan-forestry/ecocomp/internal/subsidy"
)

// Point is a position in EPSG:4548 (CGCS2000, 3-degree Gauss-Krüger zone with central meridian
// 117°E), in metres. In Chinese surveying X is the northing and Y the easting; E and N say which
// is which.
type Point struct{ E, N float64 }

// Sides names the four sides of a parcel in the order a 四至 is read: east, south, west, north.
var Sides = [4]string{"东至", "南至", "西至", "北至"}

// NoNeighbour is what a side says when no parcel adjoins the parcel there.
const NoNeighbour = "无相邻小班"

// SizhiParcel is one parcel a case offers, as its 四至图 draws it.
type SizhiParcel struct {
	Code, LinBan, XiaoBan string
	MianJi                string // hectares, as recorded (MIAN_JI)
	AreaMu                subsidy.CentiMu
	// Rings are the boundary's rings in EPSG:4548, the outer ring(s) clockwise and holes
	// counter-clockwise, each starting at its north-westernmost point, without the closing
	// repeat. The boundary points J1, J2, … run through them in this order.
	Rings [][]Point
	// Outer says which rings are outer rings (the others are holes).
	Outer []bool
	// Neighbours lists, per side (Sides), the codes of the parcels adjoining it there.
	Neighbours [4][]string
}

// Outline is a neighbouring parcel drawn around the case's parcels.
type Outline struct {
	Code, XiaoBan string
	Rings         [][]Point
	// Label is where its number goes, when some of it lies inside the frame (Labelled).
	Label    Point
	Labelled bool
}

// Sizhi is the 四至图 of a case: its parcels, their neighbourhood and what the sheet prints.
type Sizhi struct {
	Case     *cases.Case
	County   string
	Made     time.Time
	Parcels  []SizhiParcel
	Around   []Outline
	Min, Max Point // the map's extent
	Scale    float64
	// Truncated: the neighbourhood had more parcels than the sheet draws.
	Truncated bool
}

// Map frame on the sheet, in mm.
const (
	frameX, frameY, frameW, frameH = margin, 36.0, 180.0, 165.0
	// tolerance is how far apart (m) two boundaries may lie and still count as shared.
	tolerance = 0.5
	// minShared is the shared length (m) from which a neighbour counts on a side: less is a
	// corner touch.
	minShared = 1.0
	maxAround = 3000
)

// scales are the map scales a 四至图 is drawn at; the largest one that holds the parcels wins.
var scales = []float64{500, 1000, 2000, 2500, 5000, 10000, 25000, 50000, 100000, 250000}

// LoadSizhi reads what the 四至图 of case c shows: its offered parcels' boundaries and
// neighbours in EPSG:4548, and the current parcels around them.
func LoadSizhi(ctx context.Context, db cases.Querier, c *cases.Case, made time.Time) (*Sizhi, error) {
	s := &Sizhi{Case: c, Made: made}
	if err := db.QueryRow(ctx, `SELECT coalesce((SELECT name FROM admin_unit WHERE code = $1), $1)`, c.County).Scan(&s.County); err != nil {
		return nil, err
	}
	rows, err := db.Query(ctx, `SELECT p.code, p.lin_ban, p.xiao_ban, p.mian_ji::text, (p.mian_ji * 1500)::bigint,
		ST_AsBinary(ST_ForcePolygonCW(ST_Transform(p.geom, 4548)))
		FROM case_parcel cp JOIN parcel p ON p.id = cp.parcel_id
		WHERE cp.case_id = $1 AND cp.role = 'offered' ORDER BY cp.code`, c.ID)
	if err != nil {
		return nil, err
	}
	s.Parcels, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (SizhiParcel, error) {
		var p SizhiParcel
		var centimu int64
		var b []byte
		if err := r.Scan(&p.Code, &p.LinBan, &p.XiaoBan, &p.MianJi, &centimu, &b); err != nil {
			return p, err
		}
		p.AreaMu = subsidy.CentiMu(centimu)
		mp, err := polygons(b)
		if err != nil {
			return p, fmt.Errorf("parcel %s: %w", p.Code, err)
		}
		for _, poly := range mp {
			for i, ring := range poly {
				p.Rings = append(p.Rings, fromNorthWest(ring))
				p.Outer = append(p.Outer, i == 0)
			}
		}
		return p, nil
	})
	if err != nil {
		return nil, err
	}
	if len(s.Parcels) == 0 {
		return nil, fmt.Errorf("case %s has no offered parcel", c.Number)
	}
	if err := s.neighbours(ctx, db); err != nil {
		return nil, err
	}
	s.frame()
	return s, s.around(ctx, db)
}

// neighbours finds, for each side of each parcel, the current parcels it shares boundary with
// there. A stretch of boundary belongs to the side it faces (its outward normal, in 90° sectors
// around east, south, west and north), so a long thin parcel's whole north edge is its north
// side; a neighbour counts on a side from 1 m of shared boundary (corner touches do not).
func (s *Sizhi) neighbours(ctx context.Context, db cases.Querier) error {
	rows, err := db.Query(ctx, `WITH a AS (
		SELECT cp.code, p.geom, ST_ForcePolygonCCW(ST_Transform(p.geom, 4548)) AS g
		FROM case_parcel cp JOIN parcel p ON p.id = cp.parcel_id WHERE cp.case_id = $1 AND cp.role = 'offered'),
	nb AS (
		SELECT a.code AS of, n.code, ST_Buffer(ST_Transform(n.geom, 4548), $2) AS bg
		FROM a JOIN parcel n ON n.valid_to IS NULL AND n.code <> a.code AND n.geom && ST_Expand(a.geom, 0.0001)
		WHERE ST_DWithin(ST_Transform(n.geom, 4548), a.g, $2)),
	seg AS (
		SELECT a.code AS of, d.geom AS s,
			ST_X(ST_EndPoint(d.geom)) - ST_X(ST_StartPoint(d.geom)) AS dx,
			ST_Y(ST_EndPoint(d.geom)) - ST_Y(ST_StartPoint(d.geom)) AS dy
		FROM a, ST_DumpSegments(a.g) d),
	shared AS (
		-- outer rings run counter-clockwise and holes clockwise: the outward normal is (dy, −dx)
		SELECT seg.of, nb.code, degrees(atan2(-seg.dx, seg.dy)) AS facing, ST_Length(ST_Intersection(seg.s, nb.bg)) AS len
		FROM seg JOIN nb ON nb.of = seg.of AND ST_Intersects(seg.s, nb.bg))
	SELECT of, code, CASE WHEN facing >= -45 AND facing < 45 THEN 0 WHEN facing >= -135 AND facing < -45 THEN 1
		WHEN facing >= 45 AND facing < 135 THEN 3 ELSE 2 END AS side
	FROM shared GROUP BY 1, 2, 3 HAVING sum(len) >= $3 ORDER BY 1, 3, 2`, s.Case.ID, tolerance, minShared)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var of, code string
		var side int
		if err := rows.Scan(&of, &code, &side); err != nil {
			return err
		}
		for i := range s.Parcels {
			if s.Parcels[i].Code == of {
				s.Parcels[i].Neighbours[side] = append(s.Parcels[i].Neighbours[side], code)
			}
		}
	}
	return rows.Err()
}

// frame picks the scale and extent: the parcels with at least a quarter of their size (50 m at
// least) around them, at the largest scale that fits the map frame.
func (s *Sizhi) frame() {
	lo, hi := Point{math.Inf(1), math.Inf(1)}, Point{math.Inf(-1), math.Inf(-1)}
	for _, p := range s.Parcels {
		a, b := p.bounds()
		lo.E, lo.N, hi.E, hi.N = min(lo.E, a.E), min(lo.N, a.N), max(hi.E, b.E), max(hi.N, b.N)
	}
	pad := max(50, 0.25*max(hi.E-lo.E, hi.N-lo.N))
	w, h := hi.E-lo.E+2*pad, hi.N-lo.N+2*pad
	s.Scale = scales[len(scales)-1]
	for _, sc := range scales {
		if w/sc*1000 <= frameW && h/sc*1000 <= frameH {
			s.Scale = sc
			break
		}
	}
	cE, cN := (lo.E+hi.E)/2, (lo.N+hi.N)/2
	halfW, halfH := frameW/2*s.Scale/1000, frameH/2*s.Scale/1000
	s.Min, s.Max = Point{cE - halfW, cN - halfH}, Point{cE + halfW, cN + halfH}
}

// around reads the current parcels in the map's extent other than the case's, simplified to
// what the scale shows (0.1 mm on paper).
func (s *Sizhi) around(ctx context.Context, db cases.Querier) error {
	codes := make([]string, len(s.Parcels))
	for i, p := range s.Parcels {
		codes[i] = p.Code
	}
	// Labels go on the part of a parcel inside the frame, 4 mm in from its edge.
	inset := s.Scale * 0.004
	rows, err := db.Query(ctx, `WITH box AS (SELECT ST_MakeEnvelope($1, $2, $3, $4, 4548) AS g,
			ST_MakeEnvelope($1 + $8, $2 + $8, $3 - $8, $4 - $8, 4548) AS inner)
		SELECT p.code, p.xiao_ban, ST_AsBinary(ST_SimplifyPreserveTopology(t.g, $5)),
			ST_AsBinary(ST_PointOnSurface(ST_Intersection(t.g, box.inner)))
		FROM parcel p CROSS JOIN box CROSS JOIN LATERAL (SELECT ST_Transform(p.geom, 4548) AS g) t
		WHERE p.valid_to IS NULL AND p.geom && ST_Transform(box.g, 4490) AND NOT p.code = ANY($6)
		ORDER BY p.code LIMIT $7`, s.Min.E, s.Min.N, s.Max.E, s.Max.N, s.Scale/10000, codes, maxAround+1, inset)
	if err != nil {
		return err
	}
	s.Around, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Outline, error) {
		var o Outline
		var g, label []byte
		if err := r.Scan(&o.Code, &o.XiaoBan, &g, &label); err != nil {
			return o, err
		}
		mp, err := polygons(g)
		if err != nil {
			return o, fmt.Errorf("parcel %s: %w", o.Code, err)
		}
		for _, poly := range mp {
			for _, ring := range poly {
				o.Rings = append(o.Rings, points(ring))
			}
		}
		if pt, err := wkb.Unmarshal(label); err == nil {
			if q, ok := pt.(orb.Point); ok && !math.IsNaN(q[0]) {
				o.Label, o.Labelled = Point{q[0], q[1]}, true
			}
		}
		return o, nil
	})
	if len(s.Around) > maxAround {
		s.Around, s.Truncated = s.Around[:maxAround], true
	}
	return err
}

// polygons decodes a WKB polygon or multipolygon.
func polygons(b []byte) (orb.MultiPolygon, error) {
	g, err := wkb.Unmarshal(b)
	if err != nil {
		return nil, err
	}
	switch g := g.(type) {
	case orb.Polygon:
		return orb.MultiPolygon{g}, nil
	case orb.MultiPolygon:
		return g, nil
	}
	return nil, fmt.Errorf("the boundary is a %s, not a polygon", g.GeoJSONType())
}

// points is a ring without its closing repeat.
func points(r orb.Ring) []Point {
	out := make([]Point, 0, len(r))
	for i, q := range r {
		if i == len(r)-1 && len(r) > 1 && q == r[0] {
			break
		}
		out = append(out, Point{q[0], q[1]})
	}
	return out
}

// fromNorthWest is ring r starting at the point nearest the north-west corner of its bounds, as
// boundary points are numbered in the field.
func fromNorthWest(r orb.Ring) []Point {
	ps := points(r)
	if len(ps) == 0 {
		return ps
	}
	b := r.Bound()
	best, bestD := 0, math.Inf(1)
	for i, q := range ps {
		if d := math.Hypot(q.E-b.Min[0], b.Max[1]-q.N); d < bestD {
			best, bestD = i, d
		}
	}
	return append(ps[best:], ps[:best]...)
}

// BoundaryPoint is one row of the boundary-point coordinate table (界址点坐标表).
type BoundaryPoint struct {
	Name string // J1, J2, …
	At   Point
	// Next is the length (m) of the side to the next point of the ring (back to the ring's first
	// point after its last).
	Next float64
	// Ring is the ring's number within the parcel (1 …) and RingStart marks its first point.
	Ring      int
	RingStart bool
	Outer     bool
}

// BoundaryPoints numbers the parcel's boundary points J1, J2, … through its rings in order.
func (p *SizhiParcel) BoundaryPoints() []BoundaryPoint {
	var out []BoundaryPoint
	for ri, ring := range p.Rings {
		for i, q := range ring {
			n := ring[(i+1)%len(ring)]
			out = append(out, BoundaryPoint{Name: fmt.Sprintf("J%d", len(out)+1), At: q, Next: math.Hypot(n.E-q.E, n.N-q.N),
				Ring: ri + 1, RingStart: i == 0, Outer: p.Outer[ri]})
		}
	}
	return out
}

// Side is what side i of the parcel borders: the neighbours' codes one a line, or NoNeighbour.
func (p *SizhiParcel) Side(i int) string {
	if len(p.Neighbours[i]) == 0 {
		return NoNeighbour
	}
	return strings.Join(p.Neighbours[i], "\n")
}
