package ingest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// stageCol is one column of the staging table: a field of the file.
type stageCol struct {
	name string // as GDAL names it (not laundered)
	typ  string // the staging type: bigint, double precision, boolean or text
}

// numeric reports whether the file stored the field as a number (codes may have lost leading zeros).
func (c stageCol) numeric() bool { return c.typ == "bigint" || c.typ == "double precision" }

// pgType is the staging column type of a GDAL field type. Numbers stay numbers so that extra
// attributes keep their JSON type; everything else is text, as GDAL wrote it.
func pgType(ogrType string) string {
	switch {
	case ogrType == "Integer(Boolean)":
		return "boolean"
	case strings.HasPrefix(ogrType, "Integer"):
		return "bigint"
	case strings.HasPrefix(ogrType, "Real"):
		return "double precision"
	}
	return "text"
}

// stage runs ogr2ogr on the source and streams its output into the temporary table ingest_stage:
// _row (the 1-based position of the feature in the file), the file's fields, and _geom (hex EWKB
// in the file's own CRS, parsed and reprojected later so that one unreadable geometry becomes a
// report line, not a failed COPY). It returns the staged fields and the number of rows.
func (r *run) stage(ctx context.Context) ([]stageCol, int, error) {
	s := r.src
	args := []string{"--config", "PG_USE_COPY", "YES", "-f", "PGDUMP"}
	args = append(args, s.gdal.ifArgs("ogr2ogr", s.driver)...)
	args = append(args, "/vsistdout/", s.path)
	args = append(args, layerArgs(s.driver, s.layer)...)
	args = append(args, "-lco", "LAUNDER=NO", "-lco", "GEOMETRY_NAME=_geom", "-lco", "CREATE_TABLE=OFF", "-lco", "SPATIAL_INDEX=NONE",
		"-lco", "SCHEMA=ingest", "-nln", "stage", "-nlt", "PROMOTE_TO_MULTI", "-dim", "XY", "-unsetFid")
	args = append(args, s.srsArgs...)
	for _, o := range s.openOpts {
		args = append(args, "-oo", o)
	}
	limit := r.opt.maxFeatures()
	gctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cmd := gdalCommand(gctx, s.home, s.skip, "ogr2ogr", args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, 0, err
	}
	var stderr capped
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return nil, 0, errors.New("GDAL's ogr2ogr is not installed: install Debian's gdal-bin")
		}
		return nil, 0, err
	}
	br := bufio.NewReaderSize(stdout, 1<<20)
	failed := func(err error) ([]stageCol, int, error) {
		cancel()
		_, _ = io.Copy(io.Discard, br)
		_ = cmd.Wait()
		return nil, 0, err
	}
	gdalFailed := func() error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return reject("file", "GDAL could not read %s: %s", r.rep.File, gdalMessage(stderr.String()))
	}

	// The header: SET, BEGIN, then the COPY line that names the columns.
	var copyLine string
	for {
		line, err := br.ReadString('\n')
		if strings.HasPrefix(line, "COPY ") {
			copyLine = line
			break
		}
		if err != nil {
			break
		}
	}
	if copyLine == "" {
		if err := cmd.Wait(); err != nil {
			return nil, 0, gdalFailed()
		}
		return nil, 0, nil // no features
	}
	names, err := copyColumns(copyLine)
	if err != nil {
		return failed(err)
	}
	types := map[string]string{}
	for _, f := range s.fields {
		types[f.name] = pgType(f.typ)
	}
	var cols []stageCol
	var staged []column // the staging table's columns after _row: the fields and _geom
	for _, n := range names {
		if n == "_geom" {
			staged = append(staged, column{Name: "_geom", Type: "text"})
			continue
		}
		if n == "_row" {
			return failed(reject("file", "%s has a field named _row, which the import reserves; rename it", r.rep.File))
		}
		t := types[n]
		if t == "" {
			t = "text"
		}
		staged = append(staged, column{Name: n, Type: t})
		cols = append(cols, stageCol{name: n, typ: t})
	}
	if err := r.exec(ctx, sqlStmt("stage_table", staged)); err != nil {
		return failed(err)
	}

	pr, pw := io.Pipe()
	rows := make(chan int, 1)
	var overCap error // set before rows is sent: the file has more features than the cap
	go func() {
		bw := bufio.NewWriterSize(pw, 1<<20)
		n := 0
		var num []byte
		var long []byte
		for {
			line, err := br.ReadSlice('\n')
			if errors.Is(err, bufio.ErrBufferFull) {
				long = append(long[:0], line...)
				for errors.Is(err, bufio.ErrBufferFull) {
					line, err = br.ReadSlice('\n')
					long = append(long, line...)
				}
				line = long
			}
			if err != nil {
				rows <- n
				pw.CloseWithError(fmt.Errorf("GDAL's output ended early: %w", err))
				return
			}
			if bytes.Equal(line, []byte("\\.\n")) {
				break
			}
			n++
			if n > limit {
				overCap = tooManyFeatures(r.rep.File, n, limit)
				rows <- n
				pw.CloseWithError(overCap)
				return
			}
			num = strconv.AppendInt(num[:0], int64(n), 10)
			num = append(num, '\t')
			if _, err := bw.Write(num); err != nil {
				rows <- n
				return
			}
			if _, err := bw.Write(line); err != nil {
				rows <- n
				return
			}
		}
		rows <- n
		if err := bw.Flush(); err != nil {
			return
		}
		pw.Close()
	}()
	copyIn, start := sqlStmt("stage_copy", staged), time.Now()
	tag, err := r.conn.PgConn().CopyFrom(ctx, pr, copyIn.text)
	r.db().logged(ctx, copyIn, start, tag.RowsAffected(), err)
	pr.CloseWithError(errors.New("staging stopped"))
	n := <-rows
	if overCap != nil {
		return failed(overCap)
	}
	if err != nil {
		cancel()
		_, _ = io.Copy(io.Discard, br)
		werr := cmd.Wait()
		if ctx.Err() != nil {
			return nil, 0, ctx.Err()
		}
		var pgErr *pgconn.PgError
		switch {
		case errors.As(err, &pgErr) && pgErr.Code == "22021":
			return nil, 0, reject("encoding", "the text of %s is not valid %s (%s); give the right --encoding (GBK for most 一张图 Shapefiles)",
				r.rep.File, encodingName(r.rep.Encoding), copyWhere(pgErr))
		case errors.As(err, &pgErr):
			return nil, 0, reject("file", "cannot stage %s: %s (%s)", r.rep.File, pgErr.Message, copyWhere(pgErr))
		case werr != nil:
			return nil, 0, gdalFailed()
		}
		return nil, 0, err
	}
	_, _ = io.Copy(io.Discard, br)
	if err := cmd.Wait(); err != nil {
		return nil, 0, gdalFailed()
	}
	s.ringFix = strings.Contains(stderr.String(), "Non closed ring")
	return cols, n, nil
}

var reCopyLine = regexp.MustCompile(`COPY ingest_stage, line ([0-9]+)`)

// layerArgs name the layer to read on ogr2ogr's command line without letting GDAL read it as an
// option. A Shapefile or a GeoJSON file holds one layer: it is not named at all. A GeoPackage
// layer is named positionally unless its name starts with "-" (ogr2ogr knows no "--"); then it is
// read by a query that quotes it as an SQLite identifier.
func layerArgs(driver, layer string) []string {
	switch {
	case driver != "GPKG" || layer == "":
		return nil
	case strings.HasPrefix(layer, "-"):
		return []string{"-sql", `SELECT * FROM "` + strings.ReplaceAll(layer, `"`, `""`) + `"`}
	}
	return []string{layer}
}

// copyWhere turns "COPY ingest_stage, line 12, column …" into "row 12".
func copyWhere(e *pgconn.PgError) string {
	if m := reCopyLine.FindStringSubmatch(e.Where); m != nil {
		return "row " + m[1]
	}
	return e.Where
}

func encodingName(reported string) string {
	if reported == "" {
		return "UTF-8"
	}
	return strings.Fields(reported)[0]
}

// copyColumns parses the quoted column list of PGDUMP's COPY line.
func copyColumns(line string) ([]string, error) {
	i := strings.Index(line, " (")
	j := strings.LastIndex(line, ") FROM STDIN")
	if i < 0 || j < i {
		return nil, fmt.Errorf("unexpected COPY line from ogr2ogr: %q", line)
	}
	list := line[i+2 : j]
	var names []string
	for len(list) > 0 {
		list = strings.TrimLeft(list, ", ")
		if !strings.HasPrefix(list, `"`) {
			return nil, fmt.Errorf("unexpected column list from ogr2ogr: %q", line)
		}
		var b strings.Builder
		k := 1
		for ; k < len(list); k++ {
			if list[k] == '"' {
				if k+1 < len(list) && list[k+1] == '"' {
					b.WriteByte('"')
					k++
					continue
				}
				break
			}
			b.WriteByte(list[k])
		}
		names = append(names, b.String())
		list = list[min(k+1, len(list)):]
	}
	return names, nil
}

// capped keeps the first MiB written to it (GDAL's messages), dropping the rest.
type capped struct{ b bytes.Buffer }

func (c *capped) Write(p []byte) (int, error) {
	if room := 1<<20 - c.b.Len(); room > 0 {
		c.b.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (c *capped) String() string { return c.b.String() }
