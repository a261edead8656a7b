package ingest

// Where a dataset and its side files are: a folder, or a zip that GDAL reads in place (plain
// ASCII names) or that is unpacked first (other names); the dataset inside a zip is picked here.
// The zip-bomb guards are in zipguard.go.

import (
	"archive/zip"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// locate finds the dataset: the file itself, or the one dataset in a zip (or the one layer names)
// after the zip-bomb checks, read in place or unpacked into s.tmp. It sets s.rel and returns
// the file set, open until done is called.
func (s *source) locate(abs, ext, layer string) (files fileSet, done func(), err error) {
	done = func() {}
	if ext != ".zip" {
		s.rel = filepath.Base(abs)
		return dirSet{dir: filepath.Dir(abs)}, done, nil
	}
	base := filepath.Base(abs)
	// Zip bombs stop at the archive's directory, before anything is inflated.
	if err := checkZipEnd(abs, base); err != nil {
		return nil, done, err
	}
	zr, err := zip.OpenReader(abs)
	if err != nil {
		return nil, done, reject("file", "%s is not a readable zip archive (%v)", base, err)
	}
	done = func() { zr.Close() }
	defer func() {
		if err != nil {
			done()
		}
	}()
	if err := checkZipDirectory(zr.File, base); err != nil {
		return nil, done, err
	}
	if asciiNames(zr.File) {
		// GDAL reads the zip in place; only names GDAL would decode differently need
		// unpacking. /vsizip/ believes the data, not the directory: hold it to the directory.
		if err := verifyZip(zr.File, base); err != nil {
			return nil, done, err
		}
		files = zipSet{zr: zr, vsi: "/vsizip/" + filepath.ToSlash(abs)}
	} else {
		dir := filepath.Join(s.tmp, "files")
		if err := os.Mkdir(dir, 0o700); err != nil {
			return nil, done, err
		}
		if err := unzip(&zr.Reader, base, dir); err != nil {
			return nil, done, err
		}
		files = dirSet{dir: dir, recursive: true}
	}
	if s.rel, err = pickDataset(files, base, layer); err != nil {
		return nil, done, err
	}
	return files, done, nil
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

func (d dirSet) gdalPath(name string) string { return d.localPath(name) }

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

func (z zipSet) gdalPath(name string) string { return z.vsi + "/" + name }

func (z zipSet) localPath(string) string { return "" }

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
