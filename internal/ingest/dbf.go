package ingest

// A Shapefile's side files and the text encoding of its DBF: --encoding, else the .cpg, else
// a sniff of the DBF's bytes (GBK text is practically never valid UTF-8).

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"path"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

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
