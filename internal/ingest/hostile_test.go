package ingest_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"encoding/json"
	"errors"
	"hash/crc32"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wuyuan-forestry/ecocomp/internal/features"
	"github.com/wuyuan-forestry/ecocomp/internal/ingest"
)

// canary is a named pipe standing in for a local file a hostile upload points GDAL at: opened
// reports whether anything opened it for reading before the test looked.
type canary struct {
	path   string
	done   atomic.Bool
	opened atomic.Bool
	exit   chan struct{}
}

func newCanary(t *testing.T, dir string) *canary {
	t.Helper()
	c := &canary{path: filepath.Join(dir, "environ.csv"), exit: make(chan struct{})}
	if err := syscall.Mkfifo(c.path, 0o600); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(c.exit)
		f, err := os.OpenFile(c.path, os.O_WRONLY, 0) // blocks until a reader opens the pipe
		if err != nil {
			return
		}
		if !c.done.Load() {
			c.opened.Store(true)
		}
		_, _ = f.WriteString("WKT,DATABASE_URL\n\"POINT (1 2)\",postgres://secret\n")
		f.Close()
	}()
	return c
}

// read says whether anything read the canary; it releases the writer.
func (c *canary) read() bool {
	c.done.Store(true)
	if f, err := os.OpenFile(c.path, os.O_RDONLY|syscall.O_NONBLOCK, 0); err == nil {
		<-c.exit
		f.Close()
	}
	return c.opened.Load()
}

// vrt is an OGR VRT document that reads the canary and the process environment as CSV layers.
func vrt(c *canary) string {
	return `<OGRVRTDataSource>
  <OGRVRTLayer name="x"><SrcDataSource>CSV:` + c.path + `</SrcDataSource><SrcLayer>environ</SrcLayer></OGRVRTLayer>
  <OGRVRTLayer name="env"><SrcDataSource>CSV:/proc/self/environ</SrcDataSource></OGRVRTLayer>
</OGRVRTDataSource>
`
}

// writeZip writes entries (name → content) into a zip.
func writeZip(t *testing.T, path string, entries map[string][]byte) string {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, content := range entries {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(content); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// rawZip writes one deflated entry whose directory entry declares the given sizes, whatever the
// data inflates to.
func rawZip(t *testing.T, path, name string, data []byte, declared uint64) string {
	t.Helper()
	var c bytes.Buffer
	fw, _ := flate.NewWriter(&c, flate.BestCompression)
	if _, err := fw.Write(data); err != nil {
		t.Fatal(err)
	}
	fw.Close()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(data),
		CompressedSize64: uint64(c.Len()), UncompressedSize64: declared})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(c.Bytes()); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// refusal is a report's file-level error line of a check.
func refusal(rep *ingest.Report, check string) (ingest.Line, bool) {
	for _, l := range rep.Lines {
		if l.Severity == ingest.Error && l.Check == check && l.Row == 0 {
			return l, true
		}
	}
	return ingest.Line{}, false
}

// TestHostileFilesAreRefused: files that would turn GDAL against the server, or the import
// against the disk and memory, are refused with a report line before GDAL reads anything, and
// nothing is written.
func TestHostileFilesAreRefused(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name  string
		make  func(t *testing.T, dir string, c *canary) string
		opt   ingest.Options
		check string // the check of the report's error line
		says  string // part of its message
	}{
		{name: "a VRT document named .geojson", check: "file", says: "parcels.geojson is not GeoJSON: a GeoJSON file is a JSON object and starts with {, this one starts with < (an XML document, such as an OGR VRT)",
			make: func(t *testing.T, dir string, c *canary) string {
				p := filepath.Join(dir, "parcels.geojson")
				if err := os.WriteFile(p, []byte(vrt(c)), 0o644); err != nil {
					t.Fatal(err)
				}
				return p
			}},
		{name: "a VRT document named .json in a zip GDAL would read in place", check: "file", says: "parcels.json is not GeoJSON",
			make: func(t *testing.T, dir string, c *canary) string {
				return writeZip(t, filepath.Join(dir, "parcels.zip"), map[string][]byte{"parcels.json": []byte("\ufeff  " + vrt(c))})
			}},
		{name: "a VRT document as the .shp of a Shapefile set", check: "shapefile", says: "parcels.shp is not a Shapefile main file",
			make: func(t *testing.T, dir string, c *canary) string {
				src := writeGeoJSON(t, filepath.Join(dir, "src.geojson"), 4548, basic())
				ogr(t, "-f", "ESRI Shapefile", "-lco", "ENCODING=UTF-8", filepath.Join(dir, "parcels.shp"), src)
				if err := os.WriteFile(filepath.Join(dir, "parcels.shp"), []byte(vrt(c)), 0o644); err != nil {
					t.Fatal(err)
				}
				return zipFiles(t, filepath.Join(dir, "parcels.zip"), shapefileSet(filepath.Join(dir, "parcels"))...)
			}},
		{name: "a .gpkg that is GeoJSON", check: "file", says: "parcels.gpkg is not a GeoPackage: it is not an SQLite database",
			make: func(t *testing.T, dir string, c *canary) string {
				p := filepath.Join(dir, "parcels.gpkg")
				if err := os.Rename(writeGeoJSON(t, filepath.Join(dir, "src.geojson"), 4548, basic()), p); err != nil {
					t.Fatal(err)
				}
				return p
			}},
		{name: "a .gpkg that is a spatial SQLite database, not a GeoPackage", check: "file",
			says: "parcels.gpkg is not a GeoPackage: it is an SQLite database without the GeoPackage application id",
			make: func(t *testing.T, dir string, c *canary) string {
				src := writeGeoJSON(t, filepath.Join(dir, "src.geojson"), 4548, basic())
				ogr(t, "-f", "SQLite", filepath.Join(dir, "parcels.sqlite"), src)
				p := filepath.Join(dir, "parcels.gpkg")
				if err := os.Rename(filepath.Join(dir, "parcels.sqlite"), p); err != nil {
					t.Fatal(err)
				}
				return p
			}},
		{name: "a 1 KB zip whose directory says it unpacks to 9 GiB", check: "file", says: "bomb.zip unpacks to more than 8 GiB; refusing it",
			make: func(t *testing.T, dir string, c *canary) string {
				p := rawZip(t, filepath.Join(dir, "bomb.zip"), "parcels.geojson", bytes.Repeat([]byte(" "), 100_000), 9<<30)
				if st, _ := os.Stat(p); st.Size() > 1024 {
					t.Fatalf("the bomb is %d bytes; want at most 1 KB", st.Size())
				}
				return p
			}},
		{name: "a zip entry that inflates 1000 times", check: "file", says: "refusing it as a zip bomb",
			make: func(t *testing.T, dir string, c *canary) string {
				dbf := append([]byte{0x03}, make([]byte, 32<<20)...)
				return writeZip(t, filepath.Join(dir, "parcels.zip"), map[string][]byte{"parcels.dbf": dbf, "parcels.shp": {0}, "parcels.shx": {0}})
			}},
		{name: "a zip whose entry holds more than its directory says", check: "file",
			says: "parcels.zip: parcels.geojson does not match its entry in the archive's directory",
			make: func(t *testing.T, dir string, c *canary) string {
				body := append([]byte(`{"type":"FeatureCollection","features":[],"x":"`), bytes.Repeat([]byte("a"), 8<<20)...)
				return rawZip(t, filepath.Join(dir, "parcels.zip"), "parcels.geojson", append(body, `"}`...), 100)
			}},
		{name: "more features than the cap", check: "features", opt: ingest.Options{MaxFeatures: 4},
			says: "parcels.geojson holds 5 features, more than the 4 an import takes (ECOCOMP_IMPORT_MAX_FEATURES)",
			make: func(t *testing.T, dir string, c *canary) string {
				return writeGeoJSON(t, filepath.Join(dir, "parcels.geojson"), 4548, basic())
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pool := newCounty(t)
			dir := t.TempDir()
			c := newCanary(t, dir)
			file := tc.make(t, dir, c)
			before := checksum(t, pool)
			rep, err := ingest.ImportParcels(ctx, pool, file, tc.opt)
			if c.read() {
				t.Errorf("the import opened %s", c.path)
			}
			if !errors.Is(err, ingest.ErrRejected) || rep.Status != ingest.StatusRejected {
				t.Fatalf("import: %v, status %s; want rejected\n%s", err, rep.Status, rep.Text())
			}
			l, ok := refusal(rep, tc.check)
			if !ok || !strings.Contains(l.Message, tc.says) {
				t.Errorf("report lines %+v; want a %s error saying %q", rep.Lines, tc.check, tc.says)
			}
			if !strings.Contains(rep.Text(), "REJECTED, nothing written: "+l.Message) {
				t.Errorf("the readable report does not say why:\n%s", rep.Text())
			}
			if rep.Format != "" && tc.check != "features" {
				t.Errorf("GDAL opened the file (format %q); it must be refused before", rep.Format)
			}
			if after := checksum(t, pool); after != before {
				t.Errorf("the database changed")
			}
		})
	}
}

// TestLayerNamesAreNotOptions: a Shapefile or a GeoPackage layer named like an ogr2ogr option is
// read as the layer it is, not obeyed.
func TestLayerNamesAreNotOptions(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name  string
		make  func(t *testing.T, dir string) string
		opt   ingest.Options
		layer string
		n     int
	}{
		{name: "a zipped Shapefile named -sql.shp", layer: "-sql", n: 5,
			make: func(t *testing.T, dir string) string {
				src := writeGeoJSON(t, filepath.Join(dir, "src.geojson"), 4548, basic())
				ogr(t, "-f", "ESRI Shapefile", "-lco", "ENCODING=UTF-8", filepath.Join(dir, "x.shp"), src)
				var renamed []string
				for _, f := range shapefileSet(filepath.Join(dir, "x")) {
					to := filepath.Join(dir, "-sql"+filepath.Ext(f))
					if err := os.Rename(f, to); err != nil {
						t.Fatal(err)
					}
					renamed = append(renamed, to)
				}
				return zipFiles(t, filepath.Join(dir, "parcels.zip"), renamed...)
			}},
		{name: "a zipped Shapefile named -overwrite.shp, beside another", layer: "-overwrite", n: 5, opt: ingest.Options{Layer: "-overwrite"},
			make: func(t *testing.T, dir string) string {
				src := writeGeoJSON(t, filepath.Join(dir, "src.geojson"), 4548, basic())
				ogr(t, "-f", "ESRI Shapefile", "-lco", "ENCODING=UTF-8", filepath.Join(dir, "-overwrite.shp"), src)
				ogr(t, "-f", "ESRI Shapefile", "-lco", "ENCODING=UTF-8", "-where", "XIAO_BAN = '00001'", filepath.Join(dir, "other.shp"), src)
				files := append(shapefileSet(filepath.Join(dir, "-overwrite")), shapefileSet(filepath.Join(dir, "other"))...)
				return zipFiles(t, filepath.Join(dir, "parcels.zip"), files...)
			}},
		{name: "a GeoPackage layer named -sql, chosen among two", layer: "-sql", n: 3, opt: ingest.Options{Layer: "-sql"},
			make: func(t *testing.T, dir string) string {
				src := writeGeoJSON(t, filepath.Join(dir, "src.geojson"), 4548, basic())
				out := filepath.Join(dir, "parcels.gpkg")
				ogr(t, "-f", "GPKG", "-nln", "xiaoban", out, src)
				ogr(t, "-f", "GPKG", "-update", "-nln", "renamed", "-where", "XIAO_BAN IN ('00001', '00002', '00003')", out, src)
				if b, err := exec.Command("ogrinfo", out, "-sql", `ALTER TABLE renamed RENAME TO "-sql"`).CombinedOutput(); err != nil {
					t.Fatalf("rename the layer: %v %s", err, b)
				}
				return out
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pool := newCounty(t)
			file := tc.make(t, t.TempDir())
			rep, err := ingest.ImportParcels(ctx, pool, file, tc.opt)
			if err != nil || rep.Status != ingest.StatusImported {
				t.Fatalf("import: %v\n%s", err, rep.Text())
			}
			if rep.Layer != tc.layer || rep.Counts.New != tc.n || rep.Rows != tc.n {
				t.Errorf("layer %q, %d rows, %d new; want layer %q, %d of each", rep.Layer, rep.Rows, rep.Counts.New, tc.layer, tc.n)
			}
		})
	}
}

// TestNoNetworkFromAFile: a GeoJSON crs member that links to a URL makes plain GDAL fetch it; the
// import fetches nothing.
func TestNoNetworkFromAFile(t *testing.T) {
	ctx := context.Background()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.NotFound(w, r)
	}))
	defer srv.Close()
	dir := t.TempDir()
	src := writeGeoJSON(t, filepath.Join(dir, "src.geojson"), 4548, basic())
	plain := filepath.Join(dir, "crs84.geojson")
	ogr(t, "-f", "GeoJSON", "-lco", "RFC7946=YES", "-t_srs", "EPSG:4326", plain, src)
	var fc map[string]any
	b, err := os.ReadFile(plain)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &fc); err != nil {
		t.Fatal(err)
	}
	fc["crs"] = map[string]any{"type": "link", "properties": map[string]string{"href": srv.URL + "/crs.prj", "type": "proj4"}}
	b, _ = json.Marshal(fc)
	file := filepath.Join(dir, "parcels.geojson")
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("ogrinfo", "-ro", "-so", "-al", file).CombinedOutput(); err != nil || hits.Load() == 0 {
		t.Fatalf("the fixture is not dangerous: plain ogrinfo made %d requests (%v)\n%s", hits.Load(), err, out)
	}
	hits.Store(0)
	pool := newCounty(t)
	rep, err := ingest.ImportParcels(ctx, pool, file, ingest.Options{})
	if err != nil || rep.Counts.New != 5 {
		t.Errorf("import: %v, %d new; want 5\n%s", err, rep.Counts.New, rep.Text())
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the import made %d HTTP requests; want none", n)
	}
}

// personalFile is basic() with fields that must not be published: a rights holder's name (by
// its field name), an ID number in a note field, a mobile number, an ID number a spreadsheet
// turned into a number, a mobile number as an unknown species code, and a clean village name.
func personalFile(t *testing.T, dir string) string {
	fs := basic()
	for i := range fs {
		p := fs[i].props
		p["户主姓名"] = "张三"
		p["SFZH"] = "36113019800101002X"
		p["BEI_ZHU"] = "已核实"
		p["LXFS"] = "见档案"
		p["BH2"] = 1.5
	}
	fs[1].props["BEI_ZHU"] = "户主 11010519491231002X 已签字"
	fs[3].props["BEI_ZHU"] = "户主 11010519491231002X 已签字"
	fs[2].props["LXFS"] = "138-1234-5678"
	fs[4].props["BH2"] = 1.1010519491231002e17
	fs[0].props["YOU_SHI_SZ"] = "13912345678"
	return writeGeoJSON(t, filepath.Join(dir, "parcels.geojson"), 4548, fs)
}

// TestPersonalDataIsNotPublished: fields that look like personal data are not kept, even when
// the mapping lists them, and the report names them (never their values); what is kept is
// published, nothing else.
func TestPersonalDataIsNotPublished(t *testing.T) {
	ctx := context.Background()
	pool := newCounty(t)
	file := personalFile(t, t.TempDir())
	m, err := ingest.ParseMapping([]byte(`{"extra": ["CUN_MC", "SFZH", "BEI_ZHU", "LXFS", "BH2"]}`))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := ingest.ImportParcels(ctx, pool, file, ingest.Options{Mapping: m})
	if err != nil || rep.Counts.New != 5 {
		t.Fatalf("import: %v\n%s", err, rep.Text())
	}
	text := rep.Text()
	js, _ := json.Marshal(rep)
	for _, secret := range []string{"张三", "36113019800101002X", "11010519491231002X", "138-1234-5678", "13912345678", "1.1010519491231002e+17", "110105194912310020"} {
		if strings.Contains(text, secret) || strings.Contains(string(js), secret) {
			t.Errorf("the report shows the value %s", secret)
		}
	}
	for field, says := range map[string]string{
		"户主姓名":    "field 户主姓名 looks like personal data (its name says 姓名): it is not kept or published",
		"SFZH":    "field SFZH looks like personal data (its name says SFZH)",
		"BEI_ZHU": "field BEI_ZHU holds values on 2 rows (the first: row 2) that look like ID-card, bank-card or mobile numbers: it is not kept or published",
		"LXFS":    "field LXFS holds values on row 3 that look like ID-card, bank-card or mobile numbers",
		"BH2":     "field BH2 holds values on row 5 that look like",
	} {
		found := false
		for _, l := range rep.Lines {
			found = found || l.Check == "personal_data" && l.Severity == ingest.Warning && strings.Contains(l.Message, says)
		}
		if !found {
			t.Errorf("no personal_data warning about %s saying %q\n%s", field, says, text)
		}
	}
	if !strings.Contains(text, "not kept, personal data: ") || !strings.Contains(text, "kept as extra attributes (published with the parcels): CUN_MC\n") {
		t.Errorf("the readable report does not say what was kept and withheld:\n%s", text)
	}
	if !hasLine(rep, ingest.Warning, "unknown_code", 1) {
		t.Errorf("no unknown_code warning on row 1\n%s", text)
	}
	// Stored: only the village name.
	var keys []string
	if err := pool.QueryRow(ctx, `SELECT array_agg(DISTINCT k ORDER BY k) FROM parcel, jsonb_object_keys(extra) k`).Scan(&keys); err != nil {
		t.Fatal(err)
	}
	if strings.Join(keys, ",") != "CUN_MC" {
		t.Errorf("extra keys %v; want only CUN_MC", keys)
	}
	// Published: the lookup API's features carry none of it.
	pub := published(t, pool)
	for _, secret := range []string{"张三", "2X", "138", "139123", "SFZH", "BEI_ZHU", "LXFS", "BH2", "户主"} {
		if strings.Contains(pub, secret) {
			t.Errorf("the published features hold %q", secret)
		}
	}
	if !strings.Contains(pub, `"CUN_MC": "汪口村"`) {
		t.Errorf("the published features lack the village name the mapping keeps")
	}
}

// TestComputedPropertyNamesAreRefused: a field the mapping would keep under the name of a
// property ecocomp computes is refused (the file, with a report line); one nobody listed is
// simply not kept; and every property the feature JSON computes counts as such a name.
func TestComputedPropertyNamesAreRefused(t *testing.T) {
	ctx := context.Background()
	pool := newCounty(t)
	dir := t.TempDir()
	fs := basic()
	for i := range fs {
		fs[i].props["STATUS"] = "已审核"
	}
	file := writeGeoJSON(t, filepath.Join(dir, "parcels.geojson"), 4548, fs)
	before := checksum(t, pool)
	rep, err := ingest.ImportParcels(ctx, pool, file, ingest.Options{Mapping: &ingest.Mapping{Extra: []string{"CUN_MC", "STATUS"}}})
	if !errors.Is(err, ingest.ErrRejected) {
		t.Fatalf("import: %v; want rejected\n%s", err, rep.Text())
	}
	l, ok := refusal(rep, "fields")
	if !ok || !strings.Contains(l.Message, "the mapping lists STATUS as extra, but ecocomp computes a property of that name for every parcel (status)") {
		t.Errorf("report lines %+v; want a fields error about STATUS", rep.Lines)
	}
	if checksum(t, pool) != before {
		t.Errorf("the database changed")
	}
	if _, err := ingest.ParseMapping([]byte(`{"extra": ["area_ha"]}`)); err == nil || !strings.Contains(err.Error(), "computes for every parcel") {
		t.Errorf("ParseMapping of extra area_ha: %v; want it refused", err)
	}

	// Not listed: imported, not kept, said so.
	rep, err = ingest.ImportParcels(ctx, pool, file, ingest.Options{Mapping: keepVillages})
	if err != nil || rep.Counts.New != 5 || strings.Join(rep.Unlisted, ",") != "STATUS" {
		t.Fatalf("import: %v, unlisted %v\n%s", err, rep.Unlisted, rep.Text())
	}
	pub := published(t, pool)
	if strings.Contains(pub, "已审核") || strings.Contains(pub, "STATUS") {
		t.Errorf("the unlisted field is published")
	}
	// Every property a parcel feature carries (but the extra ones) is a computed name.
	var fc struct {
		Features []struct {
			Properties map[string]json.RawMessage `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal([]byte(pub), &fc); err != nil || len(fc.Features) == 0 {
		t.Fatalf("features: %v", err)
	}
	for k := range fc.Features[0].Properties {
		if k != "CUN_MC" && !ingest.ComputedProperty(k) {
			t.Errorf("the feature property %q is not a computed name: an extra attribute could take it", k)
		}
	}
}

// published is the current parcels as the lookup API, OGC items and exports publish them (the
// one query layer, with zones), as a FeatureCollection.
func published(t *testing.T, pool *pgxpool.Pool) string {
	t.Helper()
	q, args := features.Parcels.SQL(features.Filter{}, features.Shape{CRS: features.CRS84, WithZones: true})
	rows, err := pool.Query(context.Background(), q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var list []string
	for rows.Next() {
		var key, feature string
		if err := rows.Scan(&key, &feature); err != nil {
			t.Fatal(err)
		}
		list = append(list, feature)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return `{"type":"FeatureCollection","features":[` + strings.Join(list, ",") + `]}`
}

// TestMappingFileFormats: the flat form, the structured form with an extra list, and the
// structured form written back by MarshalJSON.
func TestMappingFileFormats(t *testing.T) {
	cases := []struct {
		in     string
		fields string
		extra  string
		err    string
	}{
		{in: `{"XBH": "XIAO_BAN", "OBJECTID": null}`, fields: "OBJECTID=,XBH=XIAO_BAN"},
		{in: `{"fields": {"XBH": "xiao_ban"}}`, fields: "XBH=XIAO_BAN"},
		{in: `{"fields": {"XBH": "XIAO_BAN"}, "extra": ["CUN_MC", "BEI_ZHU"]}`, fields: "XBH=XIAO_BAN", extra: "CUN_MC,BEI_ZHU"},
		{in: `{"extra": ["CUN_MC"]}`, extra: "CUN_MC"},
		{in: `{"extra": "XIAO_BAN"}`, fields: "extra=XIAO_BAN"}, // a field called extra, flat form
		{in: `{"extra": ["CUN_MC", "cun_mc"]}`, err: "listed twice"},
		{in: `{"fields": {"MC": "XIAO_BAN"}, "extra": ["mc"]}`, err: "also in \"fields\""},
		{in: `{"extra": ["XIAO_BAN"]}`, err: "is a parcel field"},
		{in: `{"extra": ["Township"]}`, err: "computes for every parcel"},
		{in: `{"extra": [1]}`, err: "not a list of field names"},
	}
	for _, tc := range cases {
		m, err := ingest.ParseMapping([]byte(tc.in))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseMapping(%s): %v; want an error saying %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseMapping(%s): %v", tc.in, err)
			continue
		}
		check := func(m *ingest.Mapping, what string) {
			var fields []string
			for k, v := range m.Fields {
				fields = append(fields, k+"="+v)
			}
			sort.Strings(fields)
			if got := strings.Join(fields, ","); got != tc.fields {
				t.Errorf("%s %s: fields %s; want %s", what, tc.in, got, tc.fields)
			}
			if got := strings.Join(m.Extra, ","); got != tc.extra {
				t.Errorf("%s %s: extra %s; want %s", what, tc.in, got, tc.extra)
			}
		}
		check(m, "ParseMapping")
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ingest.ParseMapping(b)
		if err != nil {
			t.Errorf("ParseMapping(MarshalJSON(%s) = %s): %v", tc.in, b, err)
			continue
		}
		check(again, "round trip of")
	}
}
