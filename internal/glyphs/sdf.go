package glyphs

import (
	"image"
	"math"

	"golang.org/x/image/vector"
)

// sdfScratch turns a rasterised glyph into a signed distance field the way MapLibre's own
// client-side glyphs are made (TinySDF, BSD-2-Clause, Mapbox): the squared distance to the
// outline from outside and from inside by Felzenszwalb and Huttenlocher's exact Euclidean
// distance transform, with anti-aliased edge pixels seeding sub-pixel distances. Its buffers are
// reused from glyph to glyph.
type sdfScratch struct {
	raster       vector.Rasterizer
	alpha        *image.Alpha
	outer, inner []float64
	f, d         []float64
	v            []int
	z            []float64
}

// distances draws the rasteriser's path into a w×h coverage and returns the distance bytes:
// 255 − 255·(d/radius + cutoff), d the signed distance in pixels (positive outside), so the
// outline lies at 191.
func (s *sdfScratch) distances(w, h int) []byte {
	n := w * h
	if s.alpha == nil || len(s.alpha.Pix) < n {
		s.alpha = image.NewAlpha(image.Rect(0, 0, w, h))
	}
	s.alpha.Rect, s.alpha.Stride, s.alpha.Pix = image.Rect(0, 0, w, h), w, s.alpha.Pix[:cap(s.alpha.Pix)][:n]
	clear(s.alpha.Pix)
	s.raster.Draw(s.alpha, s.alpha.Bounds(), image.Opaque, image.Point{})

	s.outer, s.inner = grow(s.outer, n), grow(s.inner, n)
	for i, a := range s.alpha.Pix {
		switch {
		case a == 0:
			s.outer[i], s.inner[i] = inf, 0
		case a == 255:
			s.outer[i], s.inner[i] = 0, inf
		default:
			e := 0.5 - float64(a)/255
			s.outer[i], s.inner[i] = max(e, 0)*max(e, 0), min(e, 0)*min(e, 0)
		}
	}
	m := max(w, h)
	s.f, s.d, s.z = grow(s.f, m), grow(s.d, m), grow(s.z, m+1)
	if cap(s.v) < m {
		s.v = make([]int, m)
	}
	s.v = s.v[:m]
	s.transform(s.outer, w, h)
	s.transform(s.inner, w, h)

	out := make([]byte, n)
	for i := range out {
		d := math.Sqrt(s.outer[i]) - math.Sqrt(s.inner[i])
		out[i] = byte(math.Round(min(max(255-255*(d/radius+cutoff), 0), 255)))
	}
	return out
}

func grow(b []float64, n int) []float64 {
	if cap(b) < n {
		return make([]float64, n)
	}
	return b[:n]
}

// transform replaces each cell of the w×h grid of squared seed distances by its squared distance
// to the nearest seed: a one-dimensional pass down every column, then along every row.
func (s *sdfScratch) transform(grid []float64, w, h int) {
	for x := range w {
		s.transform1(grid, x, w, h)
	}
	for y := range h {
		s.transform1(grid, y*w, 1, w)
	}
}

// transform1 is the one-dimensional transform of the n cells from offset, stride apart: the
// lower envelope of the parabolas rooted at each cell.
func (s *sdfScratch) transform1(grid []float64, offset, stride, n int) {
	f, d, v, z := s.f[:n], s.d[:n], s.v, s.z
	for q := range n {
		f[q] = grid[offset+q*stride]
	}
	k := 0
	v[0], z[0], z[1] = 0, -inf, inf
	for q := 1; q < n; q++ {
		var sq float64
		for k >= 0 {
			r := v[k]
			sq = (f[q] - f[r] + float64(q*q-r*r)) / float64(q-r) / 2
			if sq > z[k] {
				break
			}
			k--
		}
		k++
		v[k], z[k], z[k+1] = q, sq, inf
	}
	k = 0
	for q := range n {
		for z[k+1] < float64(q) {
			k++
		}
		r := v[k]
		d[q] = f[r] + float64((q-r)*(q-r))
	}
	for q := range n {
		grid[offset+q*stride] = d[q]
	}
}
