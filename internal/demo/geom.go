package demo

import (
	"fmt"
	"math"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
)

// Geometry on the Go side is orb's, in EPSG:4548 metres (or lon/lat where said), and it moves
// between Go and PostGIS as WKB through orb/encoding/wkb: float64 coordinates cross the wire bit
// for bit, which the shared-edge construction relies on.

// dist is the planar distance of a and b. It stays math.Hypot rather than planar.Distance
// (√(dx²+dy²)): the two differ in the last bit for about a third of all inputs, and distances
// decide edge densities, compartments and the wetland park's outline, so the county a seed gives
// could change.
func dist(a, b orb.Point) float64 { return math.Hypot(a[0]-b[0], a[1]-b[1]) }

// decodeWKB reads a 2-D geometry sent by PostGIS (ST_AsBinary).
func decodeWKB(b []byte) (orb.Geometry, error) {
	g, err := wkb.Unmarshal(b)
	if err != nil {
		return nil, fmt.Errorf("decode WKB: %v", err)
	}
	return g, nil
}

// polygonsOf returns the polygons of a (multi)polygon or of a collection of them.
func polygonsOf(g orb.Geometry) orb.MultiPolygon {
	switch g := g.(type) {
	case orb.Polygon:
		return orb.MultiPolygon{g}
	case orb.MultiPolygon:
		return g
	case orb.Collection:
		var out orb.MultiPolygon
		for _, c := range g {
			out = append(out, polygonsOf(c)...)
		}
		return out
	}
	return nil
}

// linesOf returns the non-empty lines of a (multi)linestring or of a collection of them.
func linesOf(g orb.Geometry) []orb.LineString {
	var out []orb.LineString
	switch g := g.(type) {
	case orb.LineString:
		if len(g) > 0 {
			out = append(out, g)
		}
	case orb.MultiLineString:
		for _, l := range g {
			out = append(out, linesOf(l)...)
		}
	case orb.Collection:
		for _, c := range g {
			out = append(out, linesOf(c)...)
		}
	}
	return out
}

// chords reads rows of (label, WKB lines) into the chord (first and last point) of every line,
// grouped by label; the labels come back in the order first met.
func chords(rows pgx.Rows) (map[int][][2]orb.Point, []int, error) {
	defer rows.Close()
	by := map[int][][2]orb.Point{}
	var order []int
	for rows.Next() {
		var label int
		var b []byte
		if err := rows.Scan(&label, &b); err != nil {
			return nil, nil, err
		}
		g, err := decodeWKB(b)
		if err != nil {
			return nil, nil, err
		}
		if _, ok := by[label]; !ok {
			order = append(order, label)
		}
		for _, l := range linesOf(g) {
			by[label] = append(by[label], [2]orb.Point{l[0], l[len(l)-1]})
		}
	}
	return by, order, rows.Err()
}
