package tiles_test

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/wuyuan-forestry/ecocomp/internal/pbtest"
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

// decodeMVT reads the layers of a tile, each feature's attributes as text.
func decodeMVT(data []byte) ([]mvtLayer, error) {
	top, err := pbtest.Fields(data)
	if err != nil {
		return nil, err
	}
	var layers []mvtLayer
	for _, lf := range top {
		if lf.Num != 3 {
			continue
		}
		lfs, err := pbtest.Fields(lf.Bytes)
		if err != nil {
			return nil, err
		}
		var l mvtLayer
		var keys, values []string
		var feats [][]pbtest.Field
		for _, f := range lfs {
			switch f.Num {
			case 1:
				l.Name = string(f.Bytes)
			case 2:
				ff, err := pbtest.Fields(f.Bytes)
				if err != nil {
					return nil, err
				}
				feats = append(feats, ff)
			case 3:
				keys = append(keys, string(f.Bytes))
			case 4:
				vf, err := pbtest.Fields(f.Bytes)
				if err != nil || len(vf) != 1 {
					return nil, fmt.Errorf("bad value")
				}
				v := vf[0]
				switch v.Num {
				case 1:
					values = append(values, string(v.Bytes))
				case 2:
					values = append(values, fmt.Sprint(math.Float32frombits(uint32(v.Value))))
				case 3:
					values = append(values, fmt.Sprint(math.Float64frombits(v.Value)))
				case 6:
					values = append(values, fmt.Sprint(int64(v.Value>>1)^-int64(v.Value&1)))
				case 4, 5:
					values = append(values, fmt.Sprint(v.Value))
				case 7:
					values = append(values, fmt.Sprint(v.Value != 0))
				}
			}
		}
		for _, ff := range feats {
			mf := mvtFeature{Props: map[string]string{}}
			for _, f := range ff {
				switch f.Num {
				case 1:
					mf.ID = f.Value
				case 2:
					var tags []uint64
					for b := f.Bytes; len(b) > 0; {
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
