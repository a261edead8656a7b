package ingest

// What GDAL's ogrinfo says about a dataset, read from its text output (-so -al): layers,
// geometry types, feature counts, CRS (WKT) and fields. ogrinfo's JSON output (-json) needs GDAL
// 3.7; Debian 12 ships 3.6.

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// chooseLayer picks the layer to import among those with geometries: the one --layer names
// (a Shapefile's layer is its file, already picked), else the only one. file is the file's
// name in messages.
func chooseLayer(layers []ogrLayer, want, rel, file string) (ogrLayer, error) {
	var geo []ogrLayer
	for _, l := range layers {
		if l.geomType != "None" && l.geomType != "" {
			geo = append(geo, l)
		}
	}
	switch {
	case want != "" && !strings.EqualFold(filepath.Ext(rel), ".shp"):
		for _, l := range geo {
			if l.name == want {
				return l, nil
			}
		}
		return ogrLayer{}, reject("layer", "%s has no layer %q with geometries; its layers are: %s", file, want, layerNames(geo))
	case len(geo) == 1:
		return geo[0], nil
	case len(geo) == 0:
		return ogrLayer{}, reject("empty", "%s holds no layer with geometries: nothing to import", file)
	}
	return ogrLayer{}, reject("layer", "%s holds %d layers with geometries (%s); choose one with --layer", file, len(geo), layerNames(geo))
}

func layerNames(ls []ogrLayer) string {
	names := make([]string, len(ls))
	for i, l := range ls {
		names[i] = l.name
	}
	return strings.Join(names, ", ")
}

// ogrLayer is what ogrinfo says about one layer.
type ogrLayer struct {
	name     string
	geomType string
	count    int
	wkt      string // "" when the layer has no CRS
	fields   []ogrField
}

var (
	reDriver = regexp.MustCompile("using driver `([^']+)' successful")
	reField  = regexp.MustCompile(`^(.+): ([A-Za-z0-9]+(?:\([A-Za-z0-9]+\))?) \(([0-9]+)\.([0-9]+)\)`)
)

// ogrinfo describes the layers of the dataset: names, geometry types, feature counts, CRS,
// fields. Layers are not named on the command line (-al).
func (s *source) ogrinfo(ctx context.Context) ([]ogrLayer, string, error) {
	path := s.path
	args := append([]string{"-ro", "-so", "-al"}, s.gdal.ifArgs("ogrinfo", s.driver)...)
	for _, o := range s.openOpts {
		args = append(args, "-oo", o)
	}
	args = append(args, path)
	cmd := gdalCommand(ctx, s.home, s.skip, "ogrinfo", args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return nil, "", errors.New("GDAL's ogrinfo is not installed: install Debian's gdal-bin")
		}
		if ctx.Err() != nil {
			return nil, "", ctx.Err()
		}
		return nil, "", reject("file", "GDAL cannot read %s: %s", filepath.Base(path), gdalMessage(errb.String()))
	}
	var layers []ogrLayer
	var cur *ogrLayer
	inWKT := false
	var wkt strings.Builder
	driver := ""
	if m := reDriver.FindStringSubmatch(out.String()); m != nil {
		driver = m[1]
	}
	for _, line := range strings.Split(out.String(), "\n") {
		line = strings.TrimRight(line, "\r")
		if v, ok := strings.CutPrefix(line, "Layer name: "); ok {
			layers = append(layers, ogrLayer{name: v})
			cur = &layers[len(layers)-1]
			inWKT = false
			continue
		}
		if cur == nil {
			continue
		}
		if inWKT {
			if strings.HasPrefix(line, "Data axis to CRS axis mapping") || line == "" {
				inWKT = false
				cur.wkt = strings.TrimSpace(wkt.String())
				continue
			}
			if strings.TrimSpace(line) == "(unknown)" {
				inWKT = false
				continue
			}
			if wkt.Len() == 0 && !strings.Contains(line, "[") {
				inWKT = false // not WKT after all; parse the line below
			} else {
				wkt.WriteString(line)
				wkt.WriteByte('\n')
				continue
			}
		}
		switch {
		case strings.HasPrefix(line, "Geometry: "):
			cur.geomType = strings.TrimPrefix(line, "Geometry: ")
		case strings.HasPrefix(line, "Feature Count: "):
			cur.count, _ = strconv.Atoi(strings.TrimPrefix(line, "Feature Count: "))
		case line == "Layer SRS WKT:":
			inWKT = true
			wkt.Reset()
		case strings.HasPrefix(line, "FID Column = "), strings.HasPrefix(line, "Geometry Column"), strings.HasPrefix(line, "Extent: "):
		default:
			if m := reField.FindStringSubmatch(line); m != nil {
				cur.fields = append(cur.fields, ogrField{name: m[1], typ: m[2]})
			}
		}
	}
	if cur != nil && inWKT && cur.wkt == "" {
		cur.wkt = strings.TrimSpace(wkt.String())
	}
	return layers, driver, nil
}

// gdalMessage keeps the first ERROR line GDAL printed, else its first line.
func gdalMessage(stderr string) string {
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	for _, l := range lines {
		if strings.HasPrefix(l, "ERROR") || strings.HasPrefix(l, "FAILURE") {
			if i := strings.Index(l, ": "); i >= 0 {
				return strings.TrimSpace(l[i+2:])
			}
			return l
		}
	}
	if len(lines) > 0 && lines[0] != "" {
		return lines[0]
	}
	return "no reason given"
}
