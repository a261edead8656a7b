// Package glyphs draws the web map's text offline: the glyph ranges MapLibre asks for (256 code
// points each, as signed distance fields in the protobuf of Mapbox's glyph specification) are
// drawn on request from one font embedded in the binary, WenQuanYi Micro Hei (Apache-2.0: Latin,
// digits and every CJK ideograph of GBK), and kept. No CDN, no font server, no fonts on the
// client: county intranets are often cut off.
//
// A range is drawn once per process (256 ideographs in about 60 ms) and kept gzipped (about 85 KB).
// The font has glyphs in 153 ranges; all of them held come to 8.4 MB, so what the server keeps is
// bounded by the font, not by the requests (see Held).
package glyphs

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"golang.org/x/sync/singleflight"
)

// What MapLibre expects of a glyph range (its glyph_manager and node-fontnik, which made the
// ranges it was written against): glyphs drawn at 24 px, each bitmap with a 3-pixel border,
// distances spanning 8 pixels, the outline at 0.75 of the byte range.
const (
	size   = 24
	border = 3
	radius = 8.0
	cutoff = 0.25
)

// MaxCodePoint is the last code point a range may hold.
const MaxCodePoint = 0x10FFFF

// ErrRange is a range that is not 256 code points starting at a multiple of 256.
var ErrRange = errors.New("a glyph range is {start}-{end}.pbf: 256 code points from a multiple of 256, such as 0-255 or 19968-20223")

// Range is one drawn range: its protobuf, gzipped, and its entity tag.
type Range struct {
	Start  int
	Gzip   []byte
	ETag   string
	Glyphs int // how many of its code points the font has
}

// Service draws and keeps glyph ranges. The font is unpacked on first use.
type Service struct {
	once sync.Once
	font *sfnt.Font
	err  error

	group  singleflight.Group
	mu     sync.Mutex
	ranges map[int]*Range
	held   int
}

// New returns a service over the embedded font.
func New() *Service { return &Service{ranges: map[int]*Range{}} }

// ParseRange reads "{start}-{end}" (the file name without .pbf) and returns start.
func ParseRange(s string) (int, error) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return 0, ErrRange
	}
	start, err1 := strconv.Atoi(a)
	end, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil || start < 0 || start%256 != 0 || end != start+255 || end > MaxCodePoint {
		return 0, ErrRange
	}
	return start, nil
}

// Held is the bytes of drawn ranges the service keeps.
func (s *Service) Held() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.held
}

// Range returns the range that starts at start (see ParseRange), drawing it the first time;
// concurrent first requests draw it once.
func (s *Service) Range(start int) (*Range, error) {
	if start < 0 || start%256 != 0 || start+255 > MaxCodePoint {
		return nil, ErrRange
	}
	s.mu.Lock()
	r := s.ranges[start]
	s.mu.Unlock()
	if r != nil {
		return r, nil
	}
	v, err, _ := s.group.Do(strconv.Itoa(start), func() (any, error) {
		s.once.Do(func() { s.font, s.err = loadFont() })
		if s.err != nil {
			return nil, s.err
		}
		r, err := draw(s.font, start)
		if err != nil {
			return nil, err
		}
		s.mu.Lock()
		if _, ok := s.ranges[start]; !ok {
			s.ranges[start] = r
			s.held += len(r.Gzip)
		}
		s.mu.Unlock()
		return r, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*Range), nil
}

// Protobuf returns the range's protobuf, unzipped, for a client that does not take gzip.
func (r *Range) Protobuf() ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(r.Gzip))
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	_, err = b.ReadFrom(zr)
	return b.Bytes(), err
}

// glyph is one drawn glyph in MapLibre's terms: bitmap is (width+6)×(height+6) distances, left
// and top place it against the pen (top from fontnik's origin, the ascender, not the baseline).
type glyph struct {
	id            rune
	bitmap        []byte
	width, height int
	left, top     int
	advance       int
}

// draw draws every code point of the range the font has.
func draw(f *sfnt.Font, start int) (*Range, error) {
	var buf sfnt.Buffer
	ppem := fixed.I(size)
	m, err := f.Metrics(&buf, ppem, font.HintingNone)
	if err != nil {
		return nil, err
	}
	ascender := m.Ascent.Round()
	var sdf sdfScratch
	var glyphs []glyph
	for cp := rune(start); cp < rune(start+256); cp++ {
		gi, err := f.GlyphIndex(&buf, cp)
		if err != nil {
			return nil, fmt.Errorf("U+%04X: %w", cp, err)
		}
		if gi == 0 {
			continue // not in the font
		}
		g, err := drawGlyph(f, &buf, &sdf, gi, ppem)
		if err != nil {
			return nil, fmt.Errorf("U+%04X: %w", cp, err)
		}
		g.id = cp
		g.top -= ascender
		glyphs = append(glyphs, g)
	}
	pbf := encode(FontStack, formatRange(start), glyphs)
	var z bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&z, gzip.DefaultCompression)
	if _, err := zw.Write(pbf); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(pbf)
	return &Range{Start: start, Gzip: z.Bytes(), ETag: `"` + hex.EncodeToString(sum[:12]) + `"`, Glyphs: len(glyphs)}, nil
}

// drawGlyph rasterises glyph gi at ppem (anti-aliased, unhinted) and turns the coverage into
// distances. A glyph without outline (a space) has only its advance.
func drawGlyph(f *sfnt.Font, buf *sfnt.Buffer, sdf *sdfScratch, gi sfnt.GlyphIndex, ppem fixed.Int26_6) (glyph, error) {
	bounds, advance, err := f.GlyphBounds(buf, gi, ppem, font.HintingNone)
	if err != nil {
		return glyph{}, err
	}
	g := glyph{advance: advance.Round()}
	x0, y0 := bounds.Min.X.Floor(), bounds.Min.Y.Floor() // y grows downwards: y0 is minus the top
	x1, y1 := bounds.Max.X.Ceil(), bounds.Max.Y.Ceil()
	if x1 <= x0 || y1 <= y0 {
		return g, nil
	}
	segs, err := f.LoadGlyph(buf, gi, ppem, nil)
	if err != nil {
		return glyph{}, err
	}
	g.width, g.height, g.left, g.top = x1-x0, y1-y0, x0, -y0
	w, h := g.width+2*border, g.height+2*border
	dx, dy := float32(border-x0), float32(border-y0)
	pt := func(p fixed.Point26_6) (float32, float32) {
		return float32(p.X)/64 + dx, float32(p.Y)/64 + dy
	}
	sdf.raster.Reset(w, h)
	open := false
	for _, s := range segs {
		switch s.Op {
		case sfnt.SegmentOpMoveTo:
			if open {
				sdf.raster.ClosePath()
			}
			sdf.raster.MoveTo(pt(s.Args[0]))
			open = true
		case sfnt.SegmentOpLineTo:
			sdf.raster.LineTo(pt(s.Args[0]))
		case sfnt.SegmentOpQuadTo:
			bx, by := pt(s.Args[0])
			cx, cy := pt(s.Args[1])
			sdf.raster.QuadTo(bx, by, cx, cy)
		case sfnt.SegmentOpCubeTo:
			bx, by := pt(s.Args[0])
			cx, cy := pt(s.Args[1])
			ex, ey := pt(s.Args[2])
			sdf.raster.CubeTo(bx, by, cx, cy, ex, ey)
		}
	}
	if open {
		sdf.raster.ClosePath()
	}
	g.bitmap = sdf.distances(w, h)
	return g, nil
}

// encode writes the glyphs protobuf: glyphs { fontstack stacks = 1 } with fontstack { name = 1,
// range = 2, glyph glyphs = 3 } and glyph { id = 1, bitmap = 2, width = 3, height = 4,
// left = 5 (sint32), top = 6 (sint32), advance = 7 }.
func encode(name, rng string, glyphs []glyph) []byte {
	var stack []byte
	stack = appendBytes(stack, 1, []byte(name))
	stack = appendBytes(stack, 2, []byte(rng))
	var g []byte
	for _, gl := range glyphs {
		g = g[:0]
		g = appendUint(g, 1, uint64(gl.id))
		if len(gl.bitmap) > 0 {
			g = appendBytes(g, 2, gl.bitmap)
		}
		g = appendUint(g, 3, uint64(gl.width))
		g = appendUint(g, 4, uint64(gl.height))
		g = appendUint(g, 5, zigzag(gl.left))
		g = appendUint(g, 6, zigzag(gl.top))
		g = appendUint(g, 7, uint64(gl.advance))
		stack = appendBytes(stack, 3, g)
	}
	return appendBytes(nil, 1, stack)
}

// formatRange names a range as MapLibre asks for it: "{start}-{end}".
func formatRange(start int) string { return strconv.Itoa(start) + "-" + strconv.Itoa(start+255) }

func zigzag(v int) uint64 { return uint64(uint32((int32(v) << 1) ^ (int32(v) >> 31))) }

func appendVarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func appendUint(b []byte, field int, v uint64) []byte {
	return appendVarint(appendVarint(b, uint64(field)<<3), v)
}

func appendBytes(b []byte, field int, v []byte) []byte {
	b = appendVarint(appendVarint(b, uint64(field)<<3|2), uint64(len(v)))
	return append(b, v...)
}

// inf stands for "no edge found" in the distance transform.
const inf = math.MaxFloat64 / 4
