package ingest

// The CRS decision: --srid or the file's own CRS, refusing none and the legacy Chinese datums,
// and whether PostGIS (an EPSG code it knows) or GDAL (any other definition) reprojects.

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

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
