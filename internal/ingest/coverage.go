package ingest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// The overlap check relates every pair of neighbouring rows (300,000 pairs for a county, the
// costliest step of an import). Most of them need no relate: a survey's parcels share their
// boundaries vertex for vertex. unmatchedRows finds the rows that provably overlap nothing, from
// the coordinates alone, so that PostGIS relates only the pairs involving the others.
//
// With every ring oriented so that the polygon's interior lies on its left (PostGIS's
// ST_ForcePolygonCCW: shells counter-clockwise, holes clockwise), call a row *matched* when each
// of its directed segments (p→q) occurs in no other row, and its reverse (q→p) occurs in another
// row. Then: if any two rows' interiors intersect, some row that is not matched has an interior
// intersecting another row's.
//
// Why: let m(x) count the rows whose interior holds x. Far away m is 0; where two rows overlap it
// is at least 2; so on a path between the two (through no vertex or crossing) some boundary point
// x has m ≥ 2 on one side (set H of rows) and less on the other (set L). A matched row A in H but
// not in L has its segment through x, and the row Z holding its reverse has its interior on the
// other side: Z is in L but not in H. Distinct such A have distinct Z (two of them sharing Z
// would hold the same directed segment, which a matched row does not share). So if every row in
// H were matched, L would be at least as large as H. It is not: some row in H is not matched,
// and it overlaps another row of H near x.
//
// So relating only the pairs with an unmatched row finds an overlap whenever there is one; when
// it finds any, the full check runs and reports every pair. Coordinates are compared exactly (as
// stored), which is what makes a shared boundary shared.
//
// The rows are matched strip by strip (by the smaller x of a segment, which a segment and its
// reverse share), so the table of segments holds one strip at a time.

// coverGeom is one row's geometry as PostGIS sends it: EWKB of a 2D Polygon or MultiPolygon,
// rings oriented as described above.
type coverGeom struct {
	row int32
	wkb []byte
}

// segmentsPerStrip sizes the strips so that a strip's table stays in the processor's cache.
const segmentsPerStrip = 1 << 16

// segRef is a segment of geoms[g]: its end points at byte offsets p and q of the geometry's WKB
// (12 bytes a segment; the top bit of q says the part is big-endian).
type segRef struct {
	g    int32
	p, q uint32
}

const bigEndianBit = 1 << 31

// unmatchedRows lists the rows of geoms that are not matched (see above). A geometry it cannot
// read counts as unmatched.
func unmatchedRows(geoms []coverGeom) []int32 {
	unmatched := make([]bool, len(geoms))
	// A first walk reads every geometry: the x range and the number of segments.
	xmin, xmax := math.Inf(1), math.Inf(-1)
	segments := 0
	for i, g := range geoms {
		err := walkSegments(g.wkb, func(_ bool, p, q [2]float64, _, _ int) {
			xmin, xmax = min(xmin, p[0], q[0]), max(xmax, p[0], q[0])
			segments++
		})
		if err != nil {
			unmatched[i] = true
		}
	}
	strips := max(1, segments/segmentsPerStrip)
	width := (xmax - xmin) / float64(strips)
	strip := func(p, q [2]float64) int {
		if !(width > 0) {
			return 0
		}
		return min(strips-1, max(0, int((min(p[0], q[0])-xmin)/width)))
	}
	// The segments, bucketed by strip (a counting sort: count, then place).
	start := make([]int, strips+1)
	for i, g := range geoms {
		if !unmatched[i] {
			_ = walkSegments(g.wkb, func(_ bool, p, q [2]float64, _, _ int) { start[strip(p, q)+1]++ })
		}
	}
	for s := range strips {
		start[s+1] += start[s]
	}
	refs := make([]segRef, start[strips])
	next := append([]int(nil), start[:strips]...)
	for i, g := range geoms {
		if !unmatched[i] {
			_ = walkSegments(g.wkb, func(big bool, p, q [2]float64, po, qo int) {
				s := strip(p, q)
				ref := segRef{g: int32(i), p: uint32(po), q: uint32(qo)}
				if big {
					ref.q |= bigEndianBit
				}
				refs[next[s]] = ref
				next[s]++
			})
		}
	}
	point := func(r segRef, off uint32) (uint64, uint64) {
		b := geoms[r.g].wkb[off&^bigEndianBit:]
		if r.q&bigEndianBit != 0 {
			return binary.BigEndian.Uint64(b), binary.BigEndian.Uint64(b[8:])
		}
		return binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:])
	}
	// Per strip: its directed segments and the row holding each (-1: several rows do).
	held := make(map[[4]uint64]int32, 2*segmentsPerStrip)
	for s := range strips {
		clear(held)
		bucket := refs[start[s]:start[s+1]]
		for _, r := range bucket {
			px, py := point(r, r.p)
			qx, qy := point(r, r.q)
			k := [4]uint64{px, py, qx, qy}
			row := geoms[r.g].row
			if h, ok := held[k]; ok && h != row {
				held[k] = -1
			} else {
				held[k] = row
			}
		}
		for _, r := range bucket {
			if unmatched[r.g] {
				continue
			}
			px, py := point(r, r.p)
			qx, qy := point(r, r.q)
			row := geoms[r.g].row
			if held[[4]uint64{px, py, qx, qy}] != row {
				unmatched[r.g] = true // another row holds it too
			} else if h, ok := held[[4]uint64{qx, qy, px, py}]; !ok || h == row {
				unmatched[r.g] = true // no row on the other side
			}
		}
	}
	var rows []int32
	for i, u := range unmatched {
		if u {
			rows = append(rows, geoms[i].row)
		}
	}
	return rows
}

var errGeometry = errors.New("not a 2D polygon or multipolygon")

// walkSegments calls f for every segment (p, q) of an EWKB Polygon or MultiPolygon, in ring
// order, skipping repeated points, with the byte order of its part and the byte offsets of p and
// q in b.
func walkSegments(b []byte, f func(big bool, p, q [2]float64, po, qo int)) error {
	end, err := walkWKB(b, 0, true, f)
	if err == nil && end != len(b) {
		err = errGeometry
	}
	return err
}

// walkWKB walks the geometry at offset at of b and returns the offset after it.
func walkWKB(b []byte, at int, top bool, f func(big bool, p, q [2]float64, po, qo int)) (int, error) {
	if len(b)-at < 5 {
		return 0, errGeometry
	}
	big := b[at] == 0
	var order binary.ByteOrder = binary.LittleEndian
	if big {
		order = binary.BigEndian
	}
	typ := order.Uint32(b[at+1:])
	at += 5
	if typ&0x20000000 != 0 { // SRID
		if !top || len(b)-at < 4 {
			return 0, errGeometry
		}
		at += 4
	}
	if typ&0xC0000000 != 0 { // Z or M
		return 0, errGeometry
	}
	u32 := func() (int, bool) {
		if len(b)-at < 4 {
			return 0, false
		}
		v := order.Uint32(b[at:])
		at += 4
		return int(v), true
	}
	switch typ & 0x0FFFFFFF {
	case 6: // MultiPolygon
		if !top {
			return 0, errGeometry
		}
		n, ok := u32()
		if !ok {
			return 0, errGeometry
		}
		for range n {
			var err error
			if at, err = walkWKB(b, at, false, f); err != nil {
				return 0, err
			}
		}
		return at, nil
	case 3: // Polygon
		rings, ok := u32()
		if !ok {
			return 0, errGeometry
		}
		for range rings {
			n, ok := u32()
			if !ok || (len(b)-at)/16 < n {
				return 0, errGeometry
			}
			var prev [2]float64
			prevAt := 0
			for i := range n {
				o := at + 16*i
				p := [2]float64{math.Float64frombits(order.Uint64(b[o:])), math.Float64frombits(order.Uint64(b[o+8:]))}
				if i > 0 && p != prev {
					f(big, prev, p, prevAt, o)
				}
				if i == 0 || p != prev {
					prev, prevAt = p, o
				}
			}
			at += 16 * n
		}
		return at, nil
	}
	return 0, errGeometry
}

// copyGeometries splits a binary COPY stream whose first column is the row (int4) and whose
// geometryCol'th column (0-based) is the geometry into the rows' geometries (slices of stream).
func copyGeometries(stream []byte, geometryCol int) ([]coverGeom, error) {
	b := stream
	take := func(n int) ([]byte, error) {
		if n < 0 || len(b) < n {
			return nil, errors.New("binary COPY stream cut short")
		}
		v := b[:n]
		b = b[n:]
		return v, nil
	}
	head, err := take(19)
	if err != nil {
		return nil, err
	}
	if string(head[:11]) != "PGCOPY\n\xff\r\n\x00" {
		return nil, errors.New("not a binary COPY stream")
	}
	if _, err := take(int(binary.BigEndian.Uint32(head[15:19]))); err != nil {
		return nil, err
	}
	var geoms []coverGeom
	for {
		n, err := take(2)
		if err != nil {
			return nil, err
		}
		fields := int16(binary.BigEndian.Uint16(n))
		if fields == -1 {
			return geoms, nil
		}
		if int(fields) <= geometryCol {
			return nil, fmt.Errorf("a COPY row has %d fields", fields)
		}
		g := coverGeom{row: -1}
		for f := range int(fields) {
			n, err := take(4)
			if err != nil {
				return nil, err
			}
			size := int(int32(binary.BigEndian.Uint32(n)))
			if size < 0 {
				continue
			}
			v, err := take(size)
			if err != nil {
				return nil, err
			}
			switch {
			case f == 0 && size == 4:
				g.row = int32(binary.BigEndian.Uint32(v))
			case f == 0:
				return nil, errors.New("the first COPY column is not an int4 row number")
			case f == geometryCol:
				g.wkb = v
			}
		}
		if g.wkb != nil {
			geoms = append(geoms, g)
		}
	}
}
