// Package pbtest reads protobuf messages in tests — vector tiles, glyph ranges — enough to see
// what a map would draw, without a protobuf module the project does not otherwise need.
package pbtest

import (
	"encoding/binary"
	"fmt"
	"testing"
)

// Field is one protobuf field: its number and either a number (varint, fixed64, fixed32) or the
// bytes it holds (length-delimited).
type Field struct {
	Num   int
	Value uint64
	Bytes []byte
}

// Fields splits a message into its fields, in order.
func Fields(b []byte) ([]Field, error) {
	var out []Field
	for len(b) > 0 {
		key, n := binary.Uvarint(b)
		if n <= 0 {
			return nil, fmt.Errorf("bad field key")
		}
		b = b[n:]
		f := Field{Num: int(key >> 3)}
		switch key & 7 {
		case 0:
			v, n := binary.Uvarint(b)
			if n <= 0 {
				return nil, fmt.Errorf("bad varint")
			}
			f.Value, b = v, b[n:]
		case 1:
			if len(b) < 8 {
				return nil, fmt.Errorf("short fixed64")
			}
			f.Value, b = binary.LittleEndian.Uint64(b), b[8:]
		case 2:
			l, n := binary.Uvarint(b)
			if n <= 0 || uint64(len(b)-n) < l {
				return nil, fmt.Errorf("bad length")
			}
			f.Bytes, b = b[n:n+int(l)], b[n+int(l):]
		case 5:
			if len(b) < 4 {
				return nil, fmt.Errorf("short fixed32")
			}
			f.Value, b = uint64(binary.LittleEndian.Uint32(b)), b[4:]
		default:
			return nil, fmt.Errorf("wire type %d", key&7)
		}
		out = append(out, f)
	}
	return out, nil
}

// Each calls each for every field of a message (numbers as n, bytes as b), failing t on a
// malformed message.
func Each(t testing.TB, b []byte, each func(field int, n uint64, b []byte)) {
	t.Helper()
	fs, err := Fields(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		each(f.Num, f.Value, f.Bytes)
	}
}

// Varint reads one varint from b (a packed field's element) and returns the rest.
func Varint(t testing.TB, b []byte) (uint64, []byte) {
	t.Helper()
	v, n := binary.Uvarint(b)
	if n <= 0 {
		t.Fatal("bad varint")
	}
	return v, b[n:]
}

// Unzigzag decodes a zigzag-encoded signed number (sint32, MVT geometry deltas).
func Unzigzag(v uint64) int64 { return int64(v>>1) ^ -int64(v&1) }
