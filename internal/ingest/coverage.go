package ingest

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// The overlap check relates every pair of neighbouring rows (300,000 pairs for a county, the
// costliest step of an import). Most of them need no relate: a survey's parcels share their
// boundaries vertex for vertex. edgeCover finds the rows that provably overlap nothing, from the
// coordinates alone, so that PostGIS relates only the pairs involving the others.
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
type edgeCover struct {
	verts map[[2]uint64]uint32 // vertex → id
	segs  map[uint64]int32     // directed segment (from id, to id) → its row; -1 when several rows hold it
	rows  []int32              // the rows, in the order they came
	ends  []int                // rows[i]'s segments are keys[ends[i-1]:ends[i]]
	keys  []uint64
	bad   []int32 // rows whose geometry could not be read here (they count as unmatched)
	// over: more segments than maxCoverSegments; the cover gives up and every row is unmatched.
	over bool
}

// maxCoverSegments bounds the cover's memory (about 40 bytes a segment): a file larger than a
// few counties gets the full check instead.
const maxCoverSegments = 40_000_000

// newEdgeCover makes a cover sized for about points points.
func newEdgeCover(points int) *edgeCover {
	points = min(points, maxCoverSegments)
	return &edgeCover{verts: make(map[[2]uint64]uint32, points/2), segs: make(map[uint64]int32, points),
		keys: make([]uint64, 0, points)}
}

// add takes one row's geometry as PostGIS sends it (EWKB of a Polygon or MultiPolygon, rings
// oriented as described above).
func (c *edgeCover) add(row int32, ewkb []byte) {
	if c.over {
		return
	}
	before := len(c.keys)
	if err := c.readGeometry(row, ewkb); err != nil {
		c.keys = c.keys[:before]
		c.bad = append(c.bad, row)
		return
	}
	c.rows = append(c.rows, row)
	c.ends = append(c.ends, len(c.keys))
	if len(c.keys) > maxCoverSegments {
		c.over = true
		c.verts, c.segs, c.keys = nil, nil, nil
	}
}

func (c *edgeCover) vertex(x, y float64) uint32 {
	k := [2]uint64{math.Float64bits(x), math.Float64bits(y)}
	id, ok := c.verts[k]
	if !ok {
		id = uint32(len(c.verts))
		c.verts[k] = id
	}
	return id
}

var errGeometry = errors.New("not a 2D polygon or multipolygon")

// readGeometry reads an EWKB Polygon or MultiPolygon and records its segments.
func (c *edgeCover) readGeometry(row int32, b []byte) error {
	rest, err := c.readWKB(row, b, true)
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return errGeometry
	}
	return nil
}

func (c *edgeCover) readWKB(row int32, b []byte, top bool) ([]byte, error) {
	if len(b) < 5 {
		return nil, errGeometry
	}
	var order binary.ByteOrder = binary.LittleEndian
	if b[0] == 0 {
		order = binary.BigEndian
	}
	typ := order.Uint32(b[1:5])
	b = b[5:]
	if typ&0x20000000 != 0 { // SRID
		if !top || len(b) < 4 {
			return nil, errGeometry
		}
		b = b[4:]
	}
	if typ&0xC0000000 != 0 { // Z or M
		return nil, errGeometry
	}
	u32 := func() (uint32, bool) {
		if len(b) < 4 {
			return 0, false
		}
		v := order.Uint32(b)
		b = b[4:]
		return v, true
	}
	switch typ & 0x0FFFFFFF {
	case 6: // MultiPolygon
		if !top {
			return nil, errGeometry
		}
		n, ok := u32()
		if !ok {
			return nil, errGeometry
		}
		for range n {
			var err error
			if b, err = c.readWKB(row, b, false); err != nil {
				return nil, err
			}
		}
		return b, nil
	case 3: // Polygon
		rings, ok := u32()
		if !ok {
			return nil, errGeometry
		}
		for range rings {
			n, ok := u32()
			if !ok || uint64(len(b)) < uint64(n)*16 {
				return nil, errGeometry
			}
			var prev uint32
			for i := range int(n) {
				x := math.Float64frombits(order.Uint64(b[16*i:]))
				y := math.Float64frombits(order.Uint64(b[16*i+8:]))
				v := c.vertex(x, y)
				if i > 0 && v != prev {
					c.segment(row, prev, v)
				}
				prev = v
			}
			b = b[16*int(n):]
		}
		return b, nil
	}
	return nil, errGeometry
}

func (c *edgeCover) segment(row int32, from, to uint32) {
	k := uint64(from)<<32 | uint64(to)
	if r, ok := c.segs[k]; ok && r != row {
		c.segs[k] = -1
	} else {
		c.segs[k] = row
	}
	c.keys = append(c.keys, k)
}

// unmatched lists the rows that are not matched (see edgeCover); all reports whether that is
// every row (the cover gave up).
func (c *edgeCover) unmatched() (rows []int32, all bool) {
	if c.over {
		return nil, true
	}
	rows = append(rows, c.bad...)
	start := 0
	for i, row := range c.rows {
		for _, k := range c.keys[start:c.ends[i]] {
			if c.segs[k] != row {
				rows = append(rows, row)
				break
			}
			if r, ok := c.segs[k<<32|k>>32]; !ok || r == row {
				rows = append(rows, row)
				break
			}
		}
		start = c.ends[i]
	}
	return rows, false
}

// readCopyRows reads a binary COPY stream whose first column is the row (int4) and whose
// geometryCol'th column (0-based) is the geometry, and adds each row to the cover. It reads the
// stream to its end whatever happens, so that the writer is never blocked.
func (c *edgeCover) readCopyRows(r io.Reader, geometryCol int) error {
	br := bufio.NewReaderSize(r, 1<<20)
	defer func() { _, _ = io.Copy(io.Discard, br) }()
	head := make([]byte, 19)
	if _, err := io.ReadFull(br, head); err != nil {
		return err
	}
	if string(head[:11]) != "PGCOPY\n\xff\r\n\x00" {
		return errors.New("not a binary COPY stream")
	}
	if ext := binary.BigEndian.Uint32(head[15:19]); ext > 0 {
		if _, err := br.Discard(int(ext)); err != nil {
			return err
		}
	}
	var buf []byte
	var n [4]byte
	for {
		if _, err := io.ReadFull(br, n[:2]); err != nil {
			return err
		}
		fields := int16(binary.BigEndian.Uint16(n[:2]))
		if fields == -1 {
			return nil
		}
		if int(fields) <= geometryCol {
			return fmt.Errorf("a COPY row has %d fields", fields)
		}
		var row int32
		var geom []byte
		for f := range int(fields) {
			if _, err := io.ReadFull(br, n[:]); err != nil {
				return err
			}
			size := int32(binary.BigEndian.Uint32(n[:]))
			if size < 0 {
				continue
			}
			switch f {
			case 0, geometryCol:
				if cap(buf) < int(size) {
					buf = make([]byte, size)
				}
				b := buf[:size]
				if _, err := io.ReadFull(br, b); err != nil {
					return err
				}
				if f == 0 {
					if size != 4 {
						return errors.New("the first COPY column is not an int4 row number")
					}
					row = int32(binary.BigEndian.Uint32(b))
				} else {
					geom = b
				}
			default:
				if _, err := br.Discard(int(size)); err != nil {
					return err
				}
			}
		}
		if geom != nil {
			c.add(row, geom)
		}
	}
}
