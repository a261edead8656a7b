package glyphs

import "testing"

// BenchmarkDrawCJKRange draws one range of 256 ideographs (the font already unpacked).
func BenchmarkDrawCJKRange(b *testing.B) {
	f, err := loadFont()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := draw(f, 0x6E00); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadFont unpacks and parses the embedded font (once per process).
func BenchmarkLoadFont(b *testing.B) {
	for b.Loop() {
		if _, err := loadFont(); err != nil {
			b.Fatal(err)
		}
	}
}
