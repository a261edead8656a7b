package glyphs

import (
	"errors"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/wuyuan-forestry/ecocomp/internal/pbtest"
)

func TestParseRange(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in    string
		start int
		ok    bool
	}{
		{"0-255", 0, true},
		{"19968-20223", 19968, true},
		{"1113856-1114111", 1113856, true}, // the last range of Unicode
		{"256-510", 0, false},
		{"100-355", 0, false},
		{"1114112-1114367", 0, false},
		{"-256-0", 0, false},
		{"0_255", 0, false},
		{"a-b", 0, false},
	} {
		got, err := ParseRange(c.in)
		if c.ok && (err != nil || got != c.start) {
			t.Errorf("ParseRange(%q) = %d, %v; want %d", c.in, got, err, c.start)
		}
		if !c.ok && !errors.Is(err, ErrRange) {
			t.Errorf("ParseRange(%q) = %d, %v; want ErrRange", c.in, got, err)
		}
	}
}

// decoded is a glyph read back from the protobuf by the decoder below, written from the
// specification independently of encode.
type decoded struct {
	id, width, height, advance uint64
	left, top                  int64
	bitmap                     []byte
}

func decode(t *testing.T, r *Range) (name, rng string, glyphs map[rune]decoded) {
	t.Helper()
	pbf, err := r.Protobuf()
	if err != nil {
		t.Fatal(err)
	}
	glyphs = map[rune]decoded{}
	stacks := 0
	pbtest.Each(t, pbf, func(f int, _ uint64, stack []byte) {
		if f != 1 {
			t.Fatalf("glyphs has field %d", f)
		}
		stacks++
		pbtest.Each(t, stack, func(f int, _ uint64, b []byte) {
			switch f {
			case 1:
				name = string(b)
			case 2:
				rng = string(b)
			case 3:
				var g decoded
				pbtest.Each(t, b, func(f int, n uint64, b []byte) {
					switch f {
					case 1:
						g.id = n
					case 2:
						g.bitmap = b
					case 3:
						g.width = n
					case 4:
						g.height = n
					case 5:
						g.left = pbtest.Unzigzag(n)
					case 6:
						g.top = pbtest.Unzigzag(n)
					case 7:
						g.advance = n
					}
				})
				glyphs[rune(g.id)] = g
			}
		})
	})
	if stacks != 1 {
		t.Fatalf("%d font stacks, want 1", stacks)
	}
	return name, rng, glyphs
}

// at is the distance byte at (x, y) of the glyph's bitmap, border included.
func (g decoded) at(x, y int) byte { return g.bitmap[y*int(g.width+2*border)+x] }

func TestRangesHoldTheFontsGlyphs(t *testing.T) {
	t.Parallel()
	s := New()
	for _, c := range []struct {
		start int
		want  string // code points the range must hold
		min   int    // at least this many glyphs
	}{
		{0, "AZaz09-, ", 90},
		{0x4E00, "中一乡", 250},        // 中 U+4E2D
		{0x5A00, "婺", 250},          // the county's name: 婺 U+5A7A
		{0x9500, "镇", 250},          // 镇 U+9547
		{0x6E00, "源湿", 250},         // 源 U+6E90, 湿 U+6E7F
		{0x9F00, "", 150},           // the end of the unified ideographs
		{0xE000, "", 0},             // private use: nothing
		{MaxCodePoint - 255, "", 0}, // the last range of Unicode
	} {
		r, err := s.Range(c.start)
		if err != nil {
			t.Fatalf("range %d: %v", c.start, err)
		}
		name, rng, glyphs := decode(t, r)
		if name != FontStack || rng != formatRange(c.start) {
			t.Errorf("range %d is named %q %q", c.start, name, rng)
		}
		if len(glyphs) < c.min || len(glyphs) != r.Glyphs {
			t.Errorf("range %d holds %d glyphs (Glyphs %d), want at least %d", c.start, len(glyphs), r.Glyphs, c.min)
		}
		for _, cp := range c.want {
			g, ok := glyphs[cp]
			if !ok {
				t.Errorf("range %d lacks %q", c.start, cp)
				continue
			}
			if cp == ' ' {
				if g.width != 0 || len(g.bitmap) != 0 || g.advance == 0 {
					t.Errorf("space: %+v", g)
				}
				continue
			}
			if got, want := len(g.bitmap), int((g.width+2*border)*(g.height+2*border)); got != want {
				t.Errorf("%q: bitmap of %d bytes, want (%d+6)×(%d+6) = %d", cp, got, g.width, g.height, want)
			}
			if g.width < 3 || g.width > 2*size || g.height < 1 || g.height > 2*size || g.advance < 5 || g.advance > size+2 {
				t.Errorf("%q: implausible metrics %dx%d advance %d", cp, g.width, g.height, g.advance)
			}
		}
		for cp, g := range glyphs {
			if int(cp) < c.start || int(cp) > c.start+255 {
				t.Errorf("range %d holds U+%04X", c.start, cp)
			}
			_ = g
		}
	}
}

// The distances: inside a stroke above the outline value (191), outside below it, and the
// border, three pixels from any ink, well below.
func TestDistanceField(t *testing.T) {
	t.Parallel()
	r, err := New().Range(0x4E00)
	if err != nil {
		t.Fatal(err)
	}
	_, _, glyphs := decode(t, r)
	one := glyphs['一'] // one horizontal stroke through the middle of the em
	w, h := int(one.width+2*border), int(one.height+2*border)
	if mid := one.at(w/2, h/2); mid <= 191 {
		t.Errorf("the middle of 一 is %d, want inside (> 191)", mid)
	}
	for x := range w {
		for _, y := range []int{0, h - 1} {
			if v := one.at(x, y); v > 191-255*(border-1)/8 {
				t.Fatalf("border pixel (%d,%d) of 一 is %d: too close to the outline", x, y, v)
			}
		}
	}
	// The top of 一 lies below the top of 中 (its top is higher, the pen's origin the same).
	zhong := glyphs['中']
	if one.top >= zhong.top {
		t.Errorf("一 top %d, 中 top %d: the stroke should start lower", one.top, zhong.top)
	}
	// A CJK glyph sits on the em box: about 24 px wide, its top near fontnik's origin (the
	// ascender), so MapLibre centres the line as it does with other servers' glyphs.
	if zhong.advance != size || zhong.top > 0 || zhong.top < -8 {
		t.Errorf("中: advance %d top %d; want advance 24 and a top a few pixels below the ascender", zhong.advance, zhong.top)
	}
}

// The distance transform is exact: every cell gets the squared distance to its nearest seed.
func TestTransformIsExact(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for range 50 {
		w, h := 1+rng.IntN(30), 1+rng.IntN(30)
		grid := make([]float64, w*h)
		var seeds [][2]int
		for i := range grid {
			grid[i] = inf
			if rng.IntN(12) == 0 {
				grid[i] = 0
				seeds = append(seeds, [2]int{i % w, i / w})
			}
		}
		var s sdfScratch
		m := max(w, h)
		s.f, s.d, s.z, s.v = grow(nil, m), grow(nil, m), grow(nil, m+1), make([]int, m)
		s.transform(grid, w, h)
		for i, got := range grid {
			want := inf
			for _, p := range seeds {
				dx, dy := float64(p[0]-i%w), float64(p[1]-i/w)
				want = math.Min(want, dx*dx+dy*dy)
			}
			if len(seeds) == 0 {
				if got < inf/2 {
					t.Fatalf("no seeds but cell %d is %g", i, got)
				}
				continue
			}
			if got != want {
				t.Fatalf("%dx%d grid, cell (%d,%d): %g, want %g", w, h, i%w, i/w, got, want)
			}
		}
	}
}

// Concurrent first requests for a range draw it once and share it; a drawn range is kept.
func TestRangeDrawnOnceAndKept(t *testing.T) {
	t.Parallel()
	s := New()
	var wg sync.WaitGroup
	got := make([]*Range, 8)
	for i := range got {
		wg.Go(func() {
			r, err := s.Range(0x5A00)
			if err != nil {
				t.Error(err)
			}
			got[i] = r
		})
	}
	wg.Wait()
	for _, r := range got[1:] {
		if r != got[0] {
			t.Fatal("concurrent requests got different ranges")
		}
	}
	if s.Held() != len(got[0].Gzip) {
		t.Errorf("held %d bytes, want the one range's %d", s.Held(), len(got[0].Gzip))
	}
	if _, err := s.Range(100); !errors.Is(err, ErrRange) {
		t.Errorf("range 100: %v, want ErrRange", err)
	}
}
