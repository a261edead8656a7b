package ingest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// rejection is a problem with the file as a whole: the import is refused with it as the reason.
type rejection struct{ check, msg string }

func (e *rejection) Error() string { return e.msg }

func reject(check, format string, args ...any) error {
	return &rejection{check: check, msg: fmt.Sprintf(format, args...)}
}

// source is one input made ready for GDAL: unpacked, its dataset and layer chosen, its encoding
// and CRS decided.
type source struct {
	tmp      string // the import's own folder, removed afterwards: GDAL's home, unpacked zips
	home     string // GDAL's home and temporary folder (inside tmp)
	gdal     *gdalInfo
	skip     string   // GDAL_SKIP: every vector driver but the one reading this file (and PGDUMP)
	rel      string   // the dataset within its folder or zip
	path     string   // the dataset as GDAL opens it (a path, or /vsizip/…)
	local    string   // the dataset on disk ("" when GDAL reads it inside a zip)
	driver   string   // GDAL's driver name
	layer    string   // the layer read
	openOpts []string // -oo KEY=VALUE for GDAL
	fields   []ogrField
	geomType string // as ogrinfo says ("3D Multi Polygon")
	count    int
	// srsArgs tell ogr2ogr the SRID to write: the coordinates stay in their own CRS (EPSG:srid)
	// and PostGIS reprojects them, in parallel; only a CRS without an EPSG code is reprojected
	// by GDAL (to EPSG:4490).
	srsArgs []string
	ringFix bool // GDAL closed unclosed rings while reading
}

type ogrField struct{ name, typ string }

func (s *source) cleanup() {
	if s != nil && s.tmp != "" {
		os.RemoveAll(s.tmp)
	}
}

// openSource unpacks path when it is a zip, picks the dataset and layer, and decides the encoding
// and the CRS. Problems with the file come back as *rejection. Each step has its own file: the
// dataset and zip handling in files.go (zip bombs in zipguard.go), the content check in sniff.go,
// the DBF encoding in dbf.go, GDAL's leash in gdal.go, the ogrinfo parser in ogrinfo.go and the
// CRS decision in crs.go.
func openSource(ctx context.Context, db queryRower, path string, opt Options, rep *Report) (*source, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, reject("file", "cannot read %s: %v", filepath.Base(path), errors.Unwrap(err))
	}
	if st.IsDir() {
		return nil, reject("file", "%s is a folder; give the .zip, .shp, .gpkg or .geojson file", filepath.Base(path))
	}
	// Absolute paths only: a relative name starting with "-" must not reach GDAL as an option.
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	base := filepath.Base(path)
	ext := strings.ToLower(filepath.Ext(path))
	switch ext {
	case ".zip", ".shp", ".gpkg", ".geojson", ".json":
	default:
		return nil, reject("file", "%s: files of type %q are not read; give a zipped Shapefile set (.zip), a GeoPackage (.gpkg) or GeoJSON (.geojson, .json)", base, ext)
	}
	s := &source{}
	ok := false
	defer func() {
		if !ok {
			s.cleanup()
		}
	}()
	if s.tmp, err = os.MkdirTemp("", "ecocomp-import-*"); err != nil {
		return nil, err
	}
	s.home = filepath.Join(s.tmp, "gdal")
	if err := os.Mkdir(s.home, 0o700); err != nil {
		return nil, err
	}
	files, closeFiles, err := s.locate(abs, ext, opt.Layer)
	if err != nil {
		return nil, err
	}
	defer closeFiles()
	s.path = files.gdalPath(s.rel)
	s.local = files.localPath(s.rel)

	// The content must be what the extension says before GDAL sees it.
	if err := sniffFile(files, s.rel); err != nil {
		return nil, err
	}
	s.driver = readDrivers[strings.ToLower(filepath.Ext(s.rel))]
	if strings.EqualFold(filepath.Ext(s.rel), ".shp") {
		if err := s.shapefile(files, path, opt, rep); err != nil {
			return nil, err
		}
	} else if opt.Encoding != "" {
		if e, _ := NormalizeEncoding(opt.Encoding); e != "UTF-8" {
			rep.note("--encoding %s ignored: GeoPackage and GeoJSON text is always UTF-8", opt.Encoding)
		}
	}

	if s.gdal, err = installedGDAL(ctx, s.home); err != nil {
		return nil, err
	}
	s.skip = s.gdal.skipList(s.driver)
	layers, driver, err := s.ogrinfo(ctx)
	if err != nil {
		return nil, err
	}
	if driver != s.driver {
		return nil, reject("file", "%s was opened by GDAL's %s driver, not %s; refusing it", filepath.Base(s.rel), driver, s.driver)
	}
	rep.Format = driver
	layer, err := chooseLayer(layers, opt.Layer, s.rel, filepath.Base(path))
	if err != nil {
		return nil, err
	}
	s.layer, s.fields, s.geomType, s.count = layer.name, layer.fields, layer.geomType, layer.count
	rep.Layer = layer.name
	if s.count == 0 {
		return nil, reject("empty", "%s holds no features: nothing to import", filepath.Base(path))
	}
	if limit := opt.maxFeatures(); s.count > limit {
		return nil, tooManyFeatures(rep.File, s.count, limit)
	}
	if strings.HasPrefix(s.geomType, "3D ") || strings.HasSuffix(s.geomType, " Z") || strings.Contains(s.geomType, "25D") || strings.HasPrefix(s.geomType, "Measured") {
		rep.note("the geometries are %s: Z (and M) values are dropped, parcels are stored in 2D", s.geomType)
	}
	if err := s.decideCRS(ctx, db, layer, opt, rep); err != nil {
		return nil, err
	}
	ok = true
	return s, nil
}
