package ingest

import (
	"bytes"
	"encoding/binary"
	"math"
	"slices"
	"testing"
)

// ewkb encodes a MultiPolygon with SRID 4490, little-endian, as PostGIS sends it; rings are
// closed here.
func ewkb(polys ...[][][2]float64) []byte {
	return ewkbOrder(binary.LittleEndian, polys...)
}

func ewkbOrder(order binary.ByteOrder, polys ...[][][2]float64) []byte {
	var b bytes.Buffer
	put := func(v any) { _ = binary.Write(&b, order, v) }
	flag := byte(1)
	if order == binary.BigEndian {
		flag = 0
	}
	b.WriteByte(flag)
	put(uint32(6 | 0x20000000))
	put(uint32(4490))
	put(uint32(len(polys)))
	for _, rings := range polys {
		b.WriteByte(flag)
		put(uint32(3))
		put(uint32(len(rings)))
		for _, r := range rings {
			r = append(r, r[0])
			put(uint32(len(r)))
			for _, p := range r {
				put(math.Float64bits(p[0]))
				put(math.Float64bits(p[1]))
			}
		}
	}
	return b.Bytes()
}

// cell is the unit square at (i, j), counter-clockwise.
func cell(i, j float64) [][2]float64 {
	return [][2]float64{{i, j}, {i + 1, j}, {i + 1, j + 1}, {i, j + 1}}
}

func unmatchedOf(t *testing.T, geoms map[int32][]byte) []int32 {
	t.Helper()
	var gs []coverGeom
	for row := int32(1); int(row) <= len(geoms); row++ {
		gs = append(gs, coverGeom{row: row, wkb: geoms[row]})
	}
	rows := unmatchedRows(gs)
	slices.Sort(rows)
	return rows
}

// grid is an n×n grid of unit cells as rows 1…n².
func grid(n int) map[int32][]byte {
	g := map[int32][]byte{}
	for j := range n {
		for i := range n {
			g[int32(j*n+i+1)] = ewkb([][][2]float64{cell(float64(i), float64(j))})
		}
	}
	return g
}

func TestEdgeCoverMatchesSharedBoundaries(t *testing.T) {
	// In a 3×3 grid only the centre has every edge shared.
	if got := unmatchedOf(t, grid(3)); !slices.Equal(got, []int32{1, 2, 3, 4, 6, 7, 8, 9}) {
		t.Errorf("3×3 grid: unmatched %v; want every row but the centre (5)", got)
	}
	// 4×4: the four inner cells are matched.
	if got := unmatchedOf(t, grid(4)); len(got) != 12 || slices.Contains(got, 6) || slices.Contains(got, 11) {
		t.Errorf("4×4 grid: unmatched %v; want the 12 cells of the rim", got)
	}
}

// The cases an overlap check must not lose: rows that overlap while every one of their edges has a
// reversed twin somewhere.
func TestEdgeCoverLeavesOverlapsUnmatched(t *testing.T) {
	// A copy of the centre of a 3×3 grid: both centres' edges are twinned by the ring around
	// them, but each edge is held twice in its own direction.
	g := grid(3)
	g[10] = ewkb([][][2]float64{cell(1, 1)})
	if got := unmatchedOf(t, g); !slices.Contains(got, 5) || !slices.Contains(got, 10) {
		t.Errorf("duplicate centre: unmatched %v; want 5 and 10 among them", got)
	}
	// Two whole layers: every inner cell of each is twinned within its own layer; the rims hold
	// the same directed edges twice.
	g = grid(4)
	for row, geom := range grid(4) {
		g[row+16] = geom
	}
	if got := unmatchedOf(t, g); len(got) != 32 {
		t.Errorf("two stacked 4×4 layers: %d unmatched rows; want all 32", len(got))
	}
	// A neighbour whose vertex splits an edge (a T-junction) leaves both unmatched.
	g = map[int32][]byte{
		1: ewkb([][][2]float64{{{0, 0}, {2, 0}, {2, 1}, {0, 1}}}),
		2: ewkb([][][2]float64{cell(0, 1)}),
		3: ewkb([][][2]float64{cell(1, 1)}),
	}
	if got := unmatchedOf(t, g); len(got) != 3 {
		t.Errorf("T-junction: unmatched %v; want all three", got)
	}
}

func TestEdgeCoverByteOrders(t *testing.T) {
	// The centre of a 3×3 grid in big-endian WKB is matched by its little-endian ring.
	g := grid(3)
	g[5] = ewkbOrder(binary.BigEndian, [][][2]float64{cell(1, 1)})
	if got := unmatchedOf(t, g); slices.Contains(got, 5) || len(got) != 8 {
		t.Errorf("big-endian centre: unmatched %v; want the 8 rim cells", got)
	}
}

func TestEdgeCoverHolesAndIslands(t *testing.T) {
	// A 3×3 square with a hole (clockwise, as ST_ForcePolygonCCW orients holes) and the island
	// filling it: the island's edges are the hole's, reversed.
	hole := [][2]float64{{1, 1}, {1, 2}, {2, 2}, {2, 1}}
	g := map[int32][]byte{
		1: ewkb([][][2]float64{{{0, 0}, {3, 0}, {3, 3}, {0, 3}}, hole}),
		2: ewkb([][][2]float64{cell(1, 1)}),
	}
	if got := unmatchedOf(t, g); !slices.Equal(got, []int32{1}) {
		t.Errorf("island in a hole: unmatched %v; want only the outer polygon (its shell is the rim)", got)
	}
}

func TestEdgeCoverReadsBinaryCopy(t *testing.T) {
	// Two rows of a binary COPY of (row int4, key text, g geometry) with a NULL key.
	var b bytes.Buffer
	be := binary.BigEndian
	b.WriteString("PGCOPY\n\xff\r\n\x00")
	_ = binary.Write(&b, be, uint32(0))
	_ = binary.Write(&b, be, uint32(0))
	for row, cells := range map[int32][2]float64{1: {0, 0}, 2: {1, 0}} {
		g := ewkb([][][2]float64{cell(cells[0], cells[1])})
		_ = binary.Write(&b, be, int16(3))
		_ = binary.Write(&b, be, int32(4))
		_ = binary.Write(&b, be, row)
		_ = binary.Write(&b, be, int32(-1))
		_ = binary.Write(&b, be, int32(len(g)))
		b.Write(g)
	}
	_ = binary.Write(&b, be, int16(-1))
	geoms, err := copyGeometries(b.Bytes(), 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(geoms) != 2 {
		t.Fatalf("read %d rows; want 2", len(geoms))
	}
	// The shared edge is matched, the rims are not: both rows stay unmatched.
	if rows := unmatchedRows(geoms); len(rows) != 2 {
		t.Errorf("unmatched %v; want both", rows)
	}
	// A geometry it cannot read counts as unmatched.
	geoms = append(geoms, coverGeom{row: 3, wkb: []byte{1, 1, 0, 0, 0}})
	if rows := unmatchedRows(geoms); !slices.Contains(rows, 3) {
		t.Errorf("an unreadable geometry was matched: %v", rows)
	}
	// A cut stream is an error.
	if _, err := copyGeometries(b.Bytes()[:b.Len()-30], 2); err == nil {
		t.Error("a cut COPY stream was read without an error")
	}
}
