package ingest

import (
	"archive/zip"
	"encoding/binary"
	"fmt"
	"io"
	"os"
)

// Zip bombs are refused on every path, from the archive's own directory, before anything is
// inflated: too many entries, too much unpacked, or an entry that inflates far more than a real
// Shapefile, GeoPackage or GeoJSON does. What the directory says is then held to: a zip GDAL
// reads in place is inflated once (into nothing) to check that no entry holds more than its
// directory entry declares (GDAL's /vsizip/ would read on), and unpacking stops at the declared
// sizes and the cap.
const (
	// maxUnzipped bounds what a zip may unpack to (a zip bomb must not fill the disk).
	maxUnzipped = 8 << 30
	// maxZipEntries bounds the files of an archive (a Shapefile set is a handful).
	maxZipEntries = 10000
	// maxRatio bounds how many times an entry (and the whole archive) may inflate: padded DBF
	// text compresses some tens of times, deflate at most about a thousand.
	maxRatio = 200
	// ratioFloor: entries that unpack to less than this are not held to maxRatio (small files
	// compress arbitrarily well and cost nothing).
	ratioFloor = 1 << 20
)

// checkZipEnd reads the end-of-central-directory record (and its Zip64 form) and refuses an
// archive with more entries than maxZipEntries before the directory is read into memory.
func checkZipEnd(path, name string) error {
	f, err := os.Open(path)
	if err != nil {
		return reject("file", "cannot read %s (%v)", name, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	size := st.Size()
	n := min(size, 22+65535)
	buf := make([]byte, n)
	if _, err := f.ReadAt(buf, size-n); err != nil && err != io.EOF {
		return reject("file", "%s is not a readable zip archive (%v)", name, err)
	}
	at := -1
	for i := len(buf) - 22; i >= 0; i-- {
		if binary.LittleEndian.Uint32(buf[i:]) == 0x06054b50 {
			at = i
			break
		}
	}
	if at < 0 {
		return reject("file", "%s is not a readable zip archive (no end of central directory)", name)
	}
	entries := uint64(binary.LittleEndian.Uint16(buf[at+10:]))
	if entries == 0xffff && at >= 20 && binary.LittleEndian.Uint32(buf[at-20:]) == 0x07064b50 {
		off := int64(binary.LittleEndian.Uint64(buf[at-20+8:]))
		rec := make([]byte, 56)
		if off < 0 || off+56 > size {
			return reject("file", "%s is not a readable zip archive (a damaged Zip64 directory)", name)
		}
		if _, err := f.ReadAt(rec, off); err != nil || binary.LittleEndian.Uint32(rec) != 0x06064b50 {
			return reject("file", "%s is not a readable zip archive (a damaged Zip64 directory)", name)
		}
		entries = binary.LittleEndian.Uint64(rec[32:])
	}
	if entries > maxZipEntries {
		return reject("file", "%s holds %d files; a Shapefile set needs a handful and an import takes at most %d; refusing it", name, entries, maxZipEntries)
	}
	return nil
}

// checkZipDirectory refuses a zip bomb from the sizes its central directory declares: the total
// unpacked size and the compression ratio of every entry and of the whole archive.
func checkZipDirectory(files []*zip.File, name string) error {
	if len(files) > maxZipEntries {
		return reject("file", "%s holds %d files; a Shapefile set needs a handful and an import takes at most %d; refusing it", name, len(files), maxZipEntries)
	}
	var total, packed uint64
	for _, f := range files {
		if f.FileInfo().IsDir() {
			continue
		}
		u, c := f.UncompressedSize64, f.CompressedSize64
		if u > maxUnzipped || total > maxUnzipped-u {
			return reject("file", "%s unpacks to more than %d GiB; refusing it (a zip bomb, or a file too big to import)", name, maxUnzipped>>30)
		}
		total += u
		packed += c
		if u > ratioFloor && u/max(c, 1) > maxRatio {
			return reject("file", "%s: %s inflates %d times (%s from %s), far beyond what a Shapefile, GeoPackage or GeoJSON does; refusing it as a zip bomb",
				name, f.Name, u/max(c, 1), byteSize(u), byteSize(c))
		}
	}
	if total > ratioFloor && total/max(packed, 1) > maxRatio {
		return reject("file", "%s inflates %d times (%s from %s), far beyond what a Shapefile, GeoPackage or GeoJSON does; refusing it as a zip bomb",
			name, total/max(packed, 1), byteSize(total), byteSize(packed))
	}
	return nil
}

// verifyZip inflates every entry into nothing and refuses the archive when an entry holds more
// (or other) data than its directory entry declares: the reader stops at the declared size and
// checks the CRC, so this costs at most the sizes checkZipDirectory allowed.
func verifyZip(files []*zip.File, name string) error {
	for _, f := range files {
		if f.FileInfo().IsDir() {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return reject("file", "%s: cannot read %s from the archive (%v)", name, f.Name, err)
		}
		_, err = io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil {
			return reject("file", "%s: %s does not match its entry in the archive's directory (%v); refusing it (a damaged archive or a zip bomb)", name, f.Name, err)
		}
	}
	return nil
}

// byteSize writes a size for people.
func byteSize(n uint64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
