package demo

import (
	"hash/fnv"
	"math"
	"math/rand/v2"

	"github.com/paulmach/orb"
)

// stream returns a PCG generator keyed by the run's seed and a purpose: every random decision
// of the generator comes from such a stream, so the output depends on nothing but the seed
// (and, for parcels, their number) — never on map order, time or goroutine scheduling.
func stream(seed int64, purpose string, keys ...int64) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(purpose))
	var b [8]byte
	for _, k := range keys {
		for i := range b {
			b[i] = byte(uint64(k) >> (8 * i))
		}
		h.Write(b[:])
	}
	return rand.New(rand.NewPCG(uint64(seed), h.Sum64()))
}

// pick returns an index drawn with the given relative weights.
func pick(r *rand.Rand, weights []float64) int {
	total := 0.0
	for _, w := range weights {
		total += w
	}
	x := r.Float64() * total
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}

// field2 is smooth 2-D value noise with a few octaves, deterministic in (seed, salt): a value in
// roughly [-1, 1] that changes over `scale` metres. Neighbouring parcels read nearby values, which
// is what makes attributes spatially coherent.
type field2 struct {
	seed  uint64
	scale float64
}

func newField(seed int64, salt string, scale float64) field2 {
	return field2{seed: stream(seed, "field:"+salt).Uint64(), scale: scale}
}

func (f field2) lattice(ix, iy int64) float64 {
	h := f.seed ^ uint64(ix)*0x9E3779B97F4A7C15 ^ uint64(iy)*0xC2B2AE3D27D4EB4F
	h ^= h >> 33
	h *= 0xFF51AFD7ED558CCD
	h ^= h >> 33
	h *= 0xC4CEB9FE1A85EC53
	h ^= h >> 33
	return float64(h>>11)/float64(1<<53)*2 - 1
}

func smooth(t float64) float64 { return t * t * t * (t*(t*6-15) + 10) }

func (f field2) octave(x, y float64) float64 {
	fx, fy := math.Floor(x), math.Floor(y)
	ix, iy := int64(fx), int64(fy)
	tx, ty := smooth(x-fx), smooth(y-fy)
	a := f.lattice(ix, iy) + (f.lattice(ix+1, iy)-f.lattice(ix, iy))*tx
	b := f.lattice(ix, iy+1) + (f.lattice(ix+1, iy+1)-f.lattice(ix, iy+1))*tx
	return a + (b-a)*ty
}

// At returns the field value at (x, y) metres.
func (f field2) At(x, y float64) float64 {
	sum, amp, norm := 0.0, 1.0, 0.0
	x, y = x/f.scale, y/f.scale
	for o := 0; o < 4; o++ {
		sum += amp * f.octave(x+float64(o)*17.31, y-float64(o)*9.77)
		norm += amp
		amp *= 0.5
		x, y = x*2.03, y*2.03
	}
	return sum / norm
}

// perturbEdge densifies the straight edge a→b into n segments and displaces the interior points
// sideways by multi-octave value noise, tapered to zero at both ends so that the end nodes stay
// where they are. The displacement is perpendicular to the chord, so the result never crosses
// itself; its size is amp times the edge length at most.
func perturbEdge(a, b orb.Point, n int, amp float64, r *rand.Rand) orb.LineString {
	out := make(orb.LineString, 0, n+1)
	out = append(out, a)
	dx, dy := b.X()-a.X(), b.Y()-a.Y()
	l := math.Hypot(dx, dy)
	if n < 1 || l == 0 {
		return append(out, b)
	}
	nx, ny := -dy/l, dx/l
	// lattice values for the octaves: base frequency 1.5 cycles along the edge, doubling.
	octaves := 1
	for f := 1.5; f*2 <= float64(n)/2 && octaves < 6; f *= 2 {
		octaves++
	}
	lat := make([][]float64, octaves)
	freq := 1.5
	for o := range lat {
		k := int(math.Ceil(freq)) + 2
		lat[o] = make([]float64, k)
		for i := range lat[o] {
			lat[o][i] = r.Float64()*2 - 1
		}
		freq *= 2
	}
	phase := r.Float64()
	// Uneven spacing along the chord, still strictly increasing.
	ts := make([]float64, n+1)
	for i := 1; i < n; i++ {
		ts[i] = (float64(i) + (r.Float64()-0.5)*0.6) / float64(n)
	}
	ts[n] = 1
	for i := 1; i < n; i++ {
		t := ts[i]
		sum, g, norm := 0.0, 1.0, 0.0
		freq := 1.5
		for o := range lat {
			x := t*freq + phase
			fx := math.Floor(x)
			j := int(fx)
			s := smooth(x - fx)
			v0, v1 := lat[o][j%len(lat[o])], lat[o][(j+1)%len(lat[o])]
			sum += g * (v0 + (v1-v0)*s)
			norm += g
			g *= 0.62
			freq *= 2
		}
		d := l * amp * math.Sin(math.Pi*t) * sum / norm * 1.8
		out = append(out, orb.Point{a.X() + dx*t + nx*d, a.Y() + dy*t + ny*d})
	}
	return append(out, b)
}
