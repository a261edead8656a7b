package glyphs

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"golang.org/x/image/font/sfnt"
)

// The font: WenQuanYi Micro Hei 0.2.0-beta, Debian's fonts-wqy-microhei file wqy-microhei.ttc
// unchanged, gzipped (gzip -9n) to halve what the binary carries (5.2 MB → 2.3 MB). Licence and
// provenance: NOTICE.md and LICENSE-Apache-2.0.txt beside it.
//
//go:embed wqy-microhei.ttc.gz
var fontGz []byte

// FontStack is the name of the one font stack the server draws; the map's style names it in
// text-font.
const FontStack = "WenQuanYi Micro Hei"

// face is the collection's face drawn: 0 is Micro Hei (proportional), 1 Micro Hei Mono.
const face = 0

// loadFont unpacks the embedded collection and parses its first face.
func loadFont() (*sfnt.Font, error) {
	ttf, err := TTF()
	if err != nil {
		return nil, err
	}
	return sfnt.Parse(ttf)
}

// TTF is the embedded collection's first face as a TrueType file of its own: the font that
// writers taking one font file (the case file's PDFs) embed, so the binary carries one CJK font.
func TTF() ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(fontGz))
	if err != nil {
		return nil, fmt.Errorf("the embedded font: %w", err)
	}
	ttc, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("the embedded font: %w", err)
	}
	ttf, err := extractFace(ttc, face)
	if err != nil {
		return nil, fmt.Errorf("the embedded font: %w", err)
	}
	return ttf, nil
}

// extractFace copies face i of a TrueType collection into a font file of its own. The tables are
// copied unchanged, each to a four-byte boundary: the collection's tables are shared between
// its two faces and some start on odd offsets, which the OpenType specification forbids and
// golang.org/x/image/font/sfnt refuses ("invalid table offset").
func extractFace(ttc []byte, i int) ([]byte, error) {
	be := binary.BigEndian
	if len(ttc) < 12 || string(ttc[:4]) != "ttcf" {
		return nil, errors.New("not a TrueType collection")
	}
	n := int(be.Uint32(ttc[8:12]))
	if i >= n || len(ttc) < 12+4*n {
		return nil, fmt.Errorf("the collection has %d faces, not %d", n, i+1)
	}
	off := int(be.Uint32(ttc[12+4*i:]))
	if len(ttc) < off+12 {
		return nil, errors.New("truncated face header")
	}
	numTables := int(be.Uint16(ttc[off+4:]))
	dir := off + 12
	if len(ttc) < dir+16*numTables {
		return nil, errors.New("truncated table directory")
	}
	out := make([]byte, 12+16*numTables, len(ttc))
	copy(out, ttc[off:off+12])
	for t := range numTables {
		rec := ttc[dir+16*t : dir+16*t+16]
		start, length := int(be.Uint32(rec[8:])), int(be.Uint32(rec[12:]))
		if start+length > len(ttc) || start < 0 || length < 0 {
			return nil, fmt.Errorf("table %q lies outside the file", rec[:4])
		}
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
		copy(out[12+16*t:], rec[:8]) // tag and checksum
		be.PutUint32(out[12+16*t+8:], uint32(len(out)))
		be.PutUint32(out[12+16*t+12:], uint32(length))
		out = append(out, ttc[start:start+length]...)
	}
	return out, nil
}
