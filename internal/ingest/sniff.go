package ingest

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"path"
	"strings"
)

// sniffLen is how much of a file its type is told from.
const sniffLen = 512

// sniff checks that a file's content is what its extension says, before GDAL sees it: GDAL goes
// by content, so an "x.geojson" that is really an OGR VRT document (which opens other files,
// /proc/self/environ or the database) or a ".gpkg" that is some other SQLite database must stop
// here. name is the file's name in the report; head its first sniffLen bytes (fewer when the
// file is shorter).
func sniff(name string, head []byte) error {
	ext := strings.ToLower(path.Ext(name))
	switch ext {
	case ".geojson", ".json":
		b := bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
		b = bytes.TrimLeft(b, " \t\r\n")
		if len(b) == 0 {
			return reject("file", "%s is empty, not GeoJSON", name)
		}
		if b[0] != '{' {
			return reject("file", "%s is not GeoJSON: a GeoJSON file is a JSON object and starts with {, this one starts with %s; refusing it", name, describeStart(b))
		}
	case ".gpkg":
		if !bytes.HasPrefix(head, []byte("SQLite format 3\x00")) {
			return reject("file", "%s is not a GeoPackage: it is not an SQLite database (it starts with %s); refusing it", name, describeStart(head))
		}
		if len(head) < 72 {
			return reject("file", "%s is not a GeoPackage: its SQLite header is cut short; refusing it", name)
		}
		switch string(head[68:72]) {
		case "GPKG", "GP10", "GP11":
		default:
			return reject("file", "%s is not a GeoPackage: it is an SQLite database without the GeoPackage application id; refusing it (export it from QGIS or ArcGIS as a GeoPackage)", name)
		}
	case ".shp", ".shx":
		// The Shapefile main file and its index: file code 9994 (big-endian), version 1000.
		if len(head) < 100 || binary.BigEndian.Uint32(head[0:4]) != 9994 || binary.LittleEndian.Uint32(head[28:32]) != 1000 {
			return reject("shapefile", "%s is not a Shapefile %s (its header is not one); refusing it", name, map[string]string{".shp": "main file", ".shx": "index"}[ext])
		}
	case ".dbf":
		if len(head) < 32 {
			return reject("shapefile", "%s is not a dBASE table (too short); refusing it", name)
		}
		hlen := binary.LittleEndian.Uint16(head[8:10])
		rlen := binary.LittleEndian.Uint16(head[10:12])
		if hlen < 33 || rlen == 0 || !dbfVersions[head[0]] {
			return reject("shapefile", "%s is not a dBASE table (its header is not one); refusing it", name)
		}
	}
	return nil
}

// dbfVersions are the first bytes of dBASE tables (dBASE III–7, FoxPro, Visual FoxPro, with or
// without memo files).
var dbfVersions = map[byte]bool{0x02: true, 0x03: true, 0x04: true, 0x05: true, 0x07: true, 0x30: true, 0x31: true,
	0x32: true, 0x43: true, 0x63: true, 0x83: true, 0x8b: true, 0x8e: true, 0xcb: true, 0xe5: true, 0xf5: true, 0xfb: true}

// describeStart names what a refused file starts with, without quoting its content.
func describeStart(b []byte) string {
	switch {
	case len(b) == 0:
		return "nothing"
	case bytes.HasPrefix(b, []byte("<")):
		return "< (an XML document, such as an OGR VRT)"
	case bytes.HasPrefix(b, []byte("SQLite format 3")):
		return "an SQLite header"
	case bytes.HasPrefix(b, []byte("PK")):
		return "PK (a zip archive)"
	case bytes.HasPrefix(b, []byte("[")):
		return "[ (a JSON array)"
	case b[0] < 0x20 || b[0] >= 0x7f:
		return "binary data"
	}
	return "text that is neither"
}

// sniffReader reads the head of r and sniffs it.
func sniffReader(name string, r io.Reader) error {
	head := make([]byte, sniffLen)
	n, err := io.ReadFull(r, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return reject("file", "cannot read %s (%v)", name, err)
	}
	return sniff(name, head[:n])
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
