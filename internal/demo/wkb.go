package demo

import (
	"encoding/binary"
	"fmt"
	"math"
)

// pt is a planar point in EPSG:4548 metres (or lon/lat where said).
type pt struct{ X, Y float64 }

func dist(a, b pt) float64 { return math.Hypot(a.X-b.X, a.Y-b.Y) }

// The generator moves geometry between Go and PostGIS as WKB: float64 coordinates cross the wire
// bit for bit, which the shared-edge construction relies on. Only the few types needed are handled.

const (
	wkbPoint           = 1
	wkbLineString      = 2
	wkbPolygon         = 3
	wkbMultiPoint      = 4
	wkbMultiLineString = 5
	wkbMultiPolygon    = 6
	wkbCollection      = 7
)

func appendLineString(b []byte, line []pt) []byte {
	b = append(b, 1)
	b = binary.LittleEndian.AppendUint32(b, wkbLineString)
	return appendPoints(b, line)
}

func appendPoints(b []byte, line []pt) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(line)))
	for _, p := range line {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(p.X))
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(p.Y))
	}
	return b
}

func appendPolygon(b []byte, rings [][]pt) []byte {
	b = append(b, 1)
	b = binary.LittleEndian.AppendUint32(b, wkbPolygon)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(rings)))
	for _, r := range rings {
		b = appendPoints(b, r)
	}
	return b
}

func encodeMultiPolygon(polys [][][]pt) []byte {
	b := []byte{1}
	b = binary.LittleEndian.AppendUint32(b, wkbMultiPolygon)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(polys)))
	for _, p := range polys {
		b = appendPolygon(b, p)
	}
	return b
}

// geomParts is a decoded 2-D WKB geometry flattened to its coordinate sequences: the points of a
// (multi)point, the lines of a (multi)linestring, the rings of each polygon of a (multi)polygon.
type geomParts struct {
	Points []pt
	Lines  [][]pt
	Polys  [][][]pt
}

type wkbReader struct {
	b   []byte
	off int
	err error
}

func decodeWKB(b []byte) (geomParts, error) {
	r := &wkbReader{b: b}
	var g geomParts
	r.geom(&g)
	if r.err != nil {
		return g, fmt.Errorf("decode WKB: %v", r.err)
	}
	return g, nil
}

func (r *wkbReader) u32(order binary.ByteOrder) uint32 {
	if r.err != nil || r.off+4 > len(r.b) {
		r.fail()
		return 0
	}
	v := order.Uint32(r.b[r.off:])
	r.off += 4
	return v
}

func (r *wkbReader) f64(order binary.ByteOrder) float64 {
	if r.err != nil || r.off+8 > len(r.b) {
		r.fail()
		return 0
	}
	v := math.Float64frombits(order.Uint64(r.b[r.off:]))
	r.off += 8
	return v
}

func (r *wkbReader) fail() {
	if r.err == nil {
		r.err = fmt.Errorf("truncated at byte %d", r.off)
	}
}

func (r *wkbReader) points(order binary.ByteOrder) []pt {
	n := int(r.u32(order))
	if r.err != nil || n > (len(r.b)-r.off)/16 {
		r.fail()
		return nil
	}
	out := make([]pt, n)
	for i := range out {
		out[i] = pt{r.f64(order), r.f64(order)}
	}
	return out
}

func (r *wkbReader) geom(g *geomParts) {
	if r.err != nil || r.off >= len(r.b) {
		r.fail()
		return
	}
	var order binary.ByteOrder = binary.LittleEndian
	if r.b[r.off] == 0 {
		order = binary.BigEndian
	}
	r.off++
	typ := r.u32(order)
	if typ > 7 {
		r.err = fmt.Errorf("unsupported geometry type %d (only 2-D types)", typ)
		return
	}
	switch typ {
	case wkbPoint:
		p := pt{r.f64(order), r.f64(order)}
		if !math.IsNaN(p.X) {
			g.Points = append(g.Points, p)
		}
	case wkbLineString:
		if l := r.points(order); len(l) > 0 {
			g.Lines = append(g.Lines, l)
		}
	case wkbPolygon:
		n := int(r.u32(order))
		var rings [][]pt
		for i := 0; i < n && r.err == nil; i++ {
			rings = append(rings, r.points(order))
		}
		if len(rings) > 0 {
			g.Polys = append(g.Polys, rings)
		}
	default:
		n := int(r.u32(order))
		for i := 0; i < n && r.err == nil; i++ {
			r.geom(g)
		}
	}
}
