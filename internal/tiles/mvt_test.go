package tiles_test

import (
	"encoding/binary"
	"fmt"
	"math"
)

// A reader of the Mapbox Vector Tile protobuf, enough to see what a map would draw: layers,
// feature ids and attributes (geometry is not decoded). orb's decoder would need a protobuf
// module the project does not otherwise use.

type mvtFeature struct {
	ID    uint64
	Props map[string]string
}

type mvtLayer struct {
	Name     string
	Features []mvtFeature
}

// field is one protobuf field: its number and either a varint or the bytes it holds.
type field struct {
	num   int
	value uint64
	bytes []byte
}

func fields(b []byte) ([]field, error) {
	var out []field
	for len(b) > 0 {
		key, n := binary.Uvarint(b)
		if n <= 0 {
			return nil, fmt.Errorf("bad field key")
		}
		b = b[n:]
		f := field{num: int(key >> 3)}
		switch key & 7 {
		case 0:
			v, n := binary.Uvarint(b)
			if n <= 0 {
				return nil, fmt.Errorf("bad varint")
			}
			f.value, b = v, b[n:]
		case 1:
			if len(b) < 8 {
				return nil, fmt.Errorf("short fixed64")
			}
			f.value, b = binary.LittleEndian.Uint64(b), b[8:]
		case 2:
			l, n := binary.Uvarint(b)
			if n <= 0 || uint64(len(b)-n) < l {
				return nil, fmt.Errorf("bad length")
			}
			f.bytes, b = b[n:n+int(l)], b[n+int(l):]
		case 5:
			if len(b) < 4 {
				return nil, fmt.Errorf("short fixed32")
			}
			f.value, b = uint64(binary.LittleEndian.Uint32(b)), b[4:]
		default:
			return nil, fmt.Errorf("wire type %d", key&7)
		}
		out = append(out, f)
	}
	return out, nil
}

// decodeMVT reads the layers of a tile, each feature's attributes as text.
func decodeMVT(data []byte) ([]mvtLayer, error) {
	top, err := fields(data)
	if err != nil {
		return nil, err
	}
	var layers []mvtLayer
	for _, lf := range top {
		if lf.num != 3 {
			continue
		}
		lfs, err := fields(lf.bytes)
		if err != nil {
			return nil, err
		}
		var l mvtLayer
		var keys, values []string
		var feats [][]field
		for _, f := range lfs {
			switch f.num {
			case 1:
				l.Name = string(f.bytes)
			case 2:
				ff, err := fields(f.bytes)
				if err != nil {
					return nil, err
				}
				feats = append(feats, ff)
			case 3:
				keys = append(keys, string(f.bytes))
			case 4:
				vf, err := fields(f.bytes)
				if err != nil || len(vf) != 1 {
					return nil, fmt.Errorf("bad value")
				}
				v := vf[0]
				switch v.num {
				case 1:
					values = append(values, string(v.bytes))
				case 2:
					values = append(values, fmt.Sprint(math.Float32frombits(uint32(v.value))))
				case 3:
					values = append(values, fmt.Sprint(math.Float64frombits(v.value)))
				case 6:
					values = append(values, fmt.Sprint(int64(v.value>>1)^-int64(v.value&1)))
				case 4, 5:
					values = append(values, fmt.Sprint(v.value))
				case 7:
					values = append(values, fmt.Sprint(v.value != 0))
				}
			}
		}
		for _, ff := range feats {
			mf := mvtFeature{Props: map[string]string{}}
			for _, f := range ff {
				switch f.num {
				case 1:
					mf.ID = f.value
				case 2:
					var tags []uint64
					for b := f.bytes; len(b) > 0; {
						v, n := binary.Uvarint(b)
						if n <= 0 {
							return nil, fmt.Errorf("bad tags")
						}
						tags, b = append(tags, v), b[n:]
					}
					for i := 0; i+1 < len(tags); i += 2 {
						if int(tags[i]) >= len(keys) || int(tags[i+1]) >= len(values) {
							return nil, fmt.Errorf("tag out of range")
						}
						mf.Props[keys[tags[i]]] = values[tags[i+1]]
					}
				}
			}
			l.Features = append(l.Features, mf)
		}
		layers = append(layers, l)
	}
	return layers, nil
}
