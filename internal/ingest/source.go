package ingest

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
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

// encodings are the DBF text encodings --encoding accepts (GDAL recodes them through iconv).
var encodings = map[string]string{
	"UTF-8": "UTF-8", "UTF8": "UTF-8", "GBK": "GBK", "CP936": "CP936", "936": "CP936", "GB2312": "GBK",
	"GB18030": "GB18030", "BIG5": "BIG5", "CP950": "CP950", "ISO-8859-1": "ISO-8859-1", "LATIN1": "ISO-8859-1", "CP1252": "CP1252",
}

// NormalizeEncoding checks an --encoding value and returns the name GDAL is given.
func NormalizeEncoding(s string) (string, bool) {
	e, ok := encodings[strings.ToUpper(strings.TrimSpace(s))]
	return e, ok
}

// openSource unpacks path when it is a zip, picks the dataset and layer, and decides the encoding
// and the CRS. Problems with the file come back as *rejection.
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
	var files fileSet
	if ext == ".zip" {
		// Zip bombs stop at the archive's directory, before anything is inflated.
		if err := checkZipEnd(abs, base); err != nil {
			return nil, err
		}
		zr, err := zip.OpenReader(abs)
		if err != nil {
			return nil, reject("file", "%s is not a readable zip archive (%v)", base, err)
		}
		defer zr.Close()
		if err := checkZipDirectory(zr.File, base); err != nil {
			return nil, err
		}
		if asciiNames(zr.File) {
			// GDAL reads the zip in place; only names GDAL would decode differently need
			// unpacking. /vsizip/ believes the data, not the directory: hold it to the directory.
			if err := verifyZip(zr.File, base); err != nil {
				return nil, err
			}
			files = zipSet{zr: zr, vsi: "/vsizip/" + filepath.ToSlash(abs)}
		} else {
			dir := filepath.Join(s.tmp, "files")
			if err := os.Mkdir(dir, 0o700); err != nil {
				return nil, err
			}
			if err := unzip(&zr.Reader, base, dir); err != nil {
				return nil, err
			}
			files = dirSet{dir: dir, recursive: true}
		}
		if s.rel, err = pickDataset(files, base, opt.Layer); err != nil {
			return nil, err
		}
	} else {
		files = dirSet{dir: filepath.Dir(abs)}
		s.rel = filepath.Base(abs)
	}
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
	var geo []ogrLayer
	for _, l := range layers {
		if l.geomType != "None" && l.geomType != "" {
			geo = append(geo, l)
		}
	}
	var layer ogrLayer
	switch {
	case opt.Layer != "" && !strings.EqualFold(filepath.Ext(s.rel), ".shp"):
		found := false
		for _, l := range geo {
			if l.name == opt.Layer {
				layer, found = l, true
			}
		}
		if !found {
			return nil, reject("layer", "%s has no layer %q with geometries; its layers are: %s", filepath.Base(path), opt.Layer, layerNames(geo))
		}
	case len(geo) == 1:
		layer = geo[0]
	case len(geo) == 0:
		return nil, reject("empty", "%s holds no layer with geometries: nothing to import", filepath.Base(path))
	default:
		return nil, reject("layer", "%s holds %d layers with geometries (%s); choose one with --layer", filepath.Base(path), len(geo), layerNames(geo))
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

func layerNames(ls []ogrLayer) string {
	names := make([]string, len(ls))
	for i, l := range ls {
		names[i] = l.name
	}
	return strings.Join(names, ", ")
}

// fileSet is where a dataset and its side files are: a folder, or a zip GDAL reads in place.
type fileSet interface {
	// names lists the files, as slash-separated paths relative to the set.
	names() []string
	open(name string) (io.ReadCloser, error)
	gdalPath(name string) string
	localPath(name string) string // "" when the file is not on disk
}

type dirSet struct {
	dir       string
	recursive bool
}

func (d dirSet) names() []string {
	var out []string
	if !d.recursive {
		entries, _ := os.ReadDir(d.dir)
		for _, e := range entries {
			if !e.IsDir() {
				out = append(out, e.Name())
			}
		}
		return out
	}
	_ = filepath.WalkDir(d.dir, func(p string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			rel, _ := filepath.Rel(d.dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	return out
}

func (d dirSet) open(name string) (io.ReadCloser, error) { return os.Open(d.localPath(name)) }
func (d dirSet) gdalPath(name string) string             { return d.localPath(name) }
func (d dirSet) localPath(name string) string {
	return filepath.Join(d.dir, filepath.FromSlash(name))
}

type zipSet struct {
	zr  *zip.ReadCloser
	vsi string
}

func (z zipSet) names() []string {
	var out []string
	for _, f := range z.zr.File {
		if !f.FileInfo().IsDir() {
			out = append(out, f.Name)
		}
	}
	return out
}

func (z zipSet) open(name string) (io.ReadCloser, error) { return z.zr.Open(name) }
func (z zipSet) gdalPath(name string) string             { return z.vsi + "/" + name }
func (z zipSet) localPath(string) string                 { return "" }

// asciiNames reports whether every entry of a zip has a plain ASCII name (GDAL decodes other
// names as CP437 unless flagged UTF-8, so those archives are unpacked instead).
func asciiNames(files []*zip.File) bool {
	for _, f := range files {
		for i := 0; i < len(f.Name); i++ {
			if f.Name[i] >= 0x80 {
				return false
			}
		}
		if strings.HasPrefix(f.Name, "/") || strings.Contains(f.Name, "..") || strings.Contains(f.Name, `\`) {
			return false
		}
	}
	return true
}

// sniffFile checks the content of the dataset at rel (and, for a Shapefile, of its index and
// table) against its extension.
func sniffFile(files fileSet, rel string) error {
	check := []string{rel}
	if strings.EqualFold(path.Ext(rel), ".shp") {
		stem := strings.TrimSuffix(rel, path.Ext(rel))
		for _, n := range files.names() {
			ext := strings.ToLower(path.Ext(n))
			if (ext == ".shx" || ext == ".dbf") && strings.EqualFold(strings.TrimSuffix(n, path.Ext(n)), stem) {
				check = append(check, n)
			}
		}
	}
	for _, n := range check {
		rc, err := files.open(n)
		if err != nil {
			return reject("file", "cannot read %s (%v)", path.Base(n), errors.Unwrap(err))
		}
		err = sniffReader(path.Base(n), rc)
		rc.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// unzip extracts a zip into dir, refusing entries that would land outside it.
func unzip(zr *zip.Reader, zipName, dir string) error {
	var total int64
	for _, f := range zr.File {
		name := filepath.FromSlash(f.Name)
		if f.FileInfo().IsDir() {
			continue
		}
		if filepath.IsAbs(name) || strings.HasPrefix(filepath.Clean(name), "..") {
			return reject("file", "%s holds an entry outside the archive (%s); refusing it", zipName, f.Name)
		}
		dst := filepath.Join(dir, filepath.Clean(name))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		rc, err := f.Open()
		if err != nil {
			return reject("file", "%s: cannot read %s from the archive (%v)", zipName, f.Name, err)
		}
		out, err := os.Create(dst)
		if err != nil {
			rc.Close()
			return err
		}
		n, err := io.Copy(out, io.LimitReader(rc, maxUnzipped-total+1))
		rc.Close()
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return reject("file", "%s: cannot unpack %s (%v)", zipName, f.Name, err)
		}
		if total += n; total > maxUnzipped {
			return reject("file", "%s unpacks to more than %d GiB; refusing it", zipName, maxUnzipped>>30)
		}
	}
	return nil
}

// pickDataset finds the one dataset in a zip (or the one named by layer).
func pickDataset(files fileSet, zipName, layer string) (string, error) {
	var found []string
	for _, n := range files.names() {
		base := path.Base(n)
		if strings.HasPrefix(n, "__MACOSX/") || strings.HasPrefix(base, "._") {
			continue
		}
		switch strings.ToLower(path.Ext(n)) {
		case ".shp", ".gpkg", ".geojson", ".json":
			found = append(found, n)
		}
	}
	sort.Strings(found)
	if layer != "" && len(found) > 1 {
		for _, n := range found {
			if strings.EqualFold(strings.TrimSuffix(path.Base(n), path.Ext(n)), layer) {
				return n, nil
			}
		}
	}
	switch len(found) {
	case 0:
		return "", reject("file", "%s holds no .shp, .gpkg or .geojson file", zipName)
	case 1:
		return found[0], nil
	}
	return "", reject("layer", "%s holds %d datasets (%s); choose one with --layer NAME", zipName, len(found), strings.Join(found, ", "))
}

// shapefile checks the side files of a .shp and decides the DBF encoding.
func (s *source) shapefile(files fileSet, given string, opt Options, rep *Report) error {
	dir, base := path.Dir(s.rel), strings.TrimSuffix(path.Base(s.rel), path.Ext(s.rel))
	side := map[string]string{}
	for _, n := range files.names() {
		ext := path.Ext(n)
		if path.Dir(n) == dir && strings.EqualFold(strings.TrimSuffix(path.Base(n), ext), base) {
			side[strings.ToLower(ext)] = n
		}
	}
	var missing []string
	for _, ext := range []string{".shx", ".dbf"} {
		if side[ext] == "" {
			missing = append(missing, base+ext)
		}
	}
	if len(missing) > 0 {
		return reject("shapefile", "%s lacks %s: a Shapefile needs its .shp, .shx and .dbf side by side (and a .prj for its CRS)",
			filepath.Base(given), strings.Join(missing, " and "))
	}
	cpg := ""
	if n := side[".cpg"]; n != "" {
		if rc, err := files.open(n); err == nil {
			b, _ := io.ReadAll(io.LimitReader(rc, 1024))
			rc.Close()
			cpg = strings.TrimSpace(string(b))
		}
	}
	switch {
	case opt.Encoding != "":
		enc, _ := NormalizeEncoding(opt.Encoding)
		s.openOpts = append(s.openOpts, "ENCODING="+enc)
		rep.Encoding = enc + " (--encoding)"
		if cpg != "" && !strings.EqualFold(cpg, enc) {
			rep.note("--encoding %s overrides the .cpg, which says %s", enc, cpg)
		}
	case cpg != "":
		rep.Encoding = cpg + " (from the .cpg)"
	default:
		rc, err := files.open(side[".dbf"])
		if err != nil {
			return reject("shapefile", "%s: cannot read %s (%v)", filepath.Base(given), path.Base(side[".dbf"]), err)
		}
		valid, nonASCII, err := dbfTextIsUTF8(rc)
		rc.Close()
		if err != nil {
			return reject("shapefile", "%s: cannot read %s (%v)", filepath.Base(given), path.Base(side[".dbf"]), err)
		}
		switch {
		case !valid:
			s.openOpts = append(s.openOpts, "ENCODING=GBK")
			rep.Encoding = "GBK (detected: no .cpg, and the DBF text is not UTF-8)"
		case nonASCII:
			s.openOpts = append(s.openOpts, "ENCODING=UTF-8")
			rep.Encoding = "UTF-8 (detected: no .cpg, and the DBF text is valid UTF-8)"
		default:
			s.openOpts = append(s.openOpts, "ENCODING=UTF-8")
			rep.Encoding = "ASCII (no .cpg; the DBF text is plain ASCII)"
		}
	}
	return nil
}

// dbfTextIsUTF8 reads a DBF's field names and character fields and says whether their bytes are
// valid UTF-8 and whether any is not ASCII. GBK text is practically never valid UTF-8.
func dbfTextIsUTF8(r io.Reader) (valid, nonASCII bool, err error) {
	br := bufio.NewReaderSize(r, 1<<20)
	head := make([]byte, 32)
	if _, err := io.ReadFull(br, head); err != nil {
		return false, false, errors.New("too short for a DBF header")
	}
	nrec := int(binary.LittleEndian.Uint32(head[4:8]))
	hlen := int(binary.LittleEndian.Uint16(head[8:10]))
	rlen := int(binary.LittleEndian.Uint16(head[10:12]))
	if hlen < 33 || rlen == 0 {
		return false, false, errors.New("damaged DBF header")
	}
	desc := make([]byte, hlen-32)
	if _, err := io.ReadFull(br, desc); err != nil {
		return false, false, errors.New("damaged DBF header")
	}
	type fld struct{ off, n int }
	var text []fld
	var names [][]byte
	off := 1 // the deletion flag
	for p := 0; p+32 <= len(desc) && desc[p] != 0x0d; p += 32 {
		names = append(names, bytes.TrimRight(desc[p:p+11], "\x00 "))
		n := int(desc[p+16])
		if desc[p+11] == 'C' {
			n += int(desc[p+17]) << 8 // long character fields keep the high byte in the decimal count
			text = append(text, fld{off, n})
		}
		off += n
	}
	valid = true
	check := func(v []byte) {
		for _, c := range v {
			if c >= 0x80 {
				nonASCII = true
				break
			}
		}
		if valid && !utf8.Valid(v) {
			valid = false
		}
	}
	for _, n := range names {
		check(n)
	}
	rec := make([]byte, rlen)
	for i := 0; i < nrec && valid; i++ {
		if _, err := io.ReadFull(br, rec); err != nil {
			break
		}
		for _, f := range text {
			if f.off+f.n <= rlen {
				check(bytes.TrimRight(rec[f.off:f.off+f.n], " \x00"))
			}
		}
	}
	return valid, nonASCII, nil
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

var (
	reTopID   = regexp.MustCompile(`ID\["EPSG",([0-9]+)\]\]\s*$`)
	reCRSName = regexp.MustCompile(`^[A-Z0-9]+\["([^"]*)"`)
	reDatum   = regexp.MustCompile(`DATUM\["([^"]*)"`)
)

// queryRower is the part of a transaction or pool the CRS lookup needs.
type queryRower interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// decideCRS takes the CRS from --srid or the file, refuses a missing one and the legacy Chinese
// datums (no transformation to CGCS2000 is given), and records it in the report.
func (s *source) decideCRS(ctx context.Context, db queryRower, layer ogrLayer, opt Options, rep *Report) error {
	fileEPSG, fileName, fileDatum := 0, "", ""
	if layer.wkt != "" {
		if m := reTopID.FindStringSubmatch(layer.wkt); m != nil {
			fileEPSG, _ = strconv.Atoi(m[1])
		}
		if m := reCRSName.FindStringSubmatch(layer.wkt); m != nil {
			fileName = m[1]
		}
		if m := reDatum.FindStringSubmatch(layer.wkt); m != nil {
			fileDatum = m[1]
		}
	}
	if opt.SRID > 0 {
		var srtext string
		err := db.QueryRow(ctx, `SELECT srtext FROM spatial_ref_sys WHERE auth_name = 'EPSG' AND auth_srid = $1`, opt.SRID).Scan(&srtext)
		if errors.Is(err, pgx.ErrNoRows) {
			return reject("crs", "--srid %d is not an EPSG code this database knows; give the EPSG code of the file's coordinates (e.g. 4548 for CGCS2000 3-degree Gauss-Krüger CM 117°E, 4490 for CGCS2000 degrees)", opt.SRID)
		}
		if err != nil {
			return err
		}
		name := ""
		if m := reCRSName.FindStringSubmatch(srtext); m != nil {
			name = m[1]
		}
		datum := ""
		if m := reDatum.FindStringSubmatch(srtext); m != nil {
			datum = m[1]
		}
		if legacy := legacyDatum(opt.SRID, name+" "+datum); legacy != "" {
			return reject("crs", "--srid %d is %s (%s): %s", opt.SRID, name, legacy, legacyAdvice(legacy))
		}
		if layer.wkt != "" && fileEPSG != opt.SRID {
			file := fileName
			if fileEPSG > 0 {
				file = fmt.Sprintf("EPSG:%d %s", fileEPSG, fileName)
			}
			rep.note("--srid %d overrides the file's own CRS (%s)", opt.SRID, file)
		}
		s.srsArgs = []string{"-a_srs", fmt.Sprintf("EPSG:%d", opt.SRID), "-lco", fmt.Sprintf("SRID=%d", opt.SRID)}
		rep.CRS = fmt.Sprintf("EPSG:%d %s", opt.SRID, name)
		rep.CRSFrom = "--srid"
		return nil
	}
	if layer.wkt == "" {
		return reject("crs", "%s has no coordinate reference system (a Shapefile needs its .prj); give --srid with the EPSG code of its coordinates, e.g. --srid 4548 for CGCS2000 3-degree Gauss-Krüger CM 117°E", rep.File)
	}
	label := fileName
	if fileEPSG > 0 {
		label = fmt.Sprintf("EPSG:%d %s", fileEPSG, fileName)
	}
	if legacy := legacyDatum(fileEPSG, fileName+" "+fileDatum); legacy != "" {
		return reject("crs", "the file's CRS is %s (%s): %s", label, legacy, legacyAdvice(legacy))
	}
	rep.CRS = label
	rep.CRSFrom = "file"
	known := false
	if fileEPSG > 0 {
		if err := db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM spatial_ref_sys WHERE srid = $1 AND auth_name = 'EPSG' AND auth_srid = $1)`, fileEPSG).Scan(&known); err != nil {
			return err
		}
	}
	if known {
		s.srsArgs = []string{"-lco", fmt.Sprintf("SRID=%d", fileEPSG)}
		return nil
	}
	s.srsArgs = []string{"-t_srs", "EPSG:4490"}
	rep.note("the file's CRS %q has no EPSG code this database knows; GDAL reprojects it from its definition", fileName)
	return nil
}

// legacyDatum names the legacy Chinese datum of an EPSG code or CRS text, "" for any other.
func legacyDatum(epsg int, text string) string {
	t := strings.ToLower(strings.NewReplacer("_", " ", "'", "", "’", "").Replace(text))
	switch {
	case epsg == 4610 || (epsg >= 2327 && epsg <= 2390) || strings.Contains(t, "xian 1980") || strings.Contains(t, "xian1980"):
		return "Xi'an 1980"
	case epsg == 4555 || (epsg >= 4568 && epsg <= 4589) || strings.Contains(t, "new beijing"):
		return "New Beijing"
	case epsg == 4214 || (epsg >= 2401 && epsg <= 2442) || (epsg >= 21413 && epsg <= 21423) ||
		(epsg >= 21453 && epsg <= 21463) || (epsg >= 21473 && epsg <= 21483) || strings.Contains(t, "beijing 1954") || strings.Contains(t, "beijing1954"):
		return "Beijing 1954"
	}
	return ""
}

func legacyAdvice(datum string) string {
	return datum + " coordinates need the transformation to CGCS2000 published for the county (a plain datum shift is off by tens of metres), and none is given; transform the file to CGCS2000 (e.g. EPSG:4548, 3-degree Gauss-Krüger CM 117°E) with that transformation and import the result"
}
