// Package export writes the GeoJSON files surveyors take into the field. The HTTP download and
// `ecocomp export parcels` share this one code path.
package export

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/features"
)

// Options selects and shapes an export.
type Options struct {
	Filter features.Filter
	// CRS is features.CRS84 (RFC 7946: lon/lat, 7 decimals) or features.Export4548 (metres,
	// easting first, 3 decimals, with a crs member naming EPSG:4548 for GIS tools).
	CRS features.CRS
	// Now stamps the file; zero means time.Now.
	Now time.Time
	// Built builds the features in the export's query (features.Shape.Built).
	Built bool
}

// FileName is the download's name: what, where (the township asked for, else the code of the
// county the database holds — codes joined by "+" when it holds several), which CRS, and the date.
func FileName(ctx context.Context, db features.Querier, o Options) (string, error) {
	day := o.Now
	if day.IsZero() {
		day = time.Now()
	}
	crs := "EPSG4490"
	if o.CRS.SRID == 4548 {
		crs = "EPSG4548"
	}
	scope := o.Filter.Township
	if scope == "" {
		rows, err := db.Query(ctx, `SELECT coalesce(string_agg(code, '+' ORDER BY code), 'all') FROM admin_unit WHERE level = 'county'`)
		if err != nil {
			return "", err
		}
		if scope, err = pgx.CollectExactlyOneRow(rows, pgx.RowTo[string]); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("parcels-%s-%s-%s.geojson", scope, crs, day.Format("20060102")), nil
}

// note travels in every file: the demo county's boundaries are not official.
const note = "Township, village, protected-area, zone and parcel boundaries marked demo=true are demonstration data (演示数据), not official boundaries."

// Parcels streams the current parcels selected by o to w as one GeoJSON FeatureCollection and
// returns how many features it wrote. Rows go from PostgreSQL to w one by one.
// A township that does not exist is refused: a typo must not give an empty file.
func Parcels(ctx context.Context, db features.Querier, o Options, w io.Writer) (int, error) {
	if t := o.Filter.Township; t != "" {
		rows, err := db.Query(ctx, `SELECT EXISTS (SELECT 1 FROM admin_unit WHERE level = 'township' AND (code = $1 OR name = $1))`, t)
		if err != nil {
			return 0, err
		}
		if found, err := pgx.CollectExactlyOneRow(rows, pgx.RowTo[bool]); err != nil || !found {
			if err == nil {
				err = &apperr.Error{Code: apperr.Invalid, Param: "township", Detail: fmt.Sprintf("no township has the code or name %q", t)}
			}
			return 0, err
		}
	}
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	head := map[string]any{
		"type":      "FeatureCollection",
		"name":      "parcels",
		"generated": now.UTC().Format(time.RFC3339),
		"note":      note,
	}
	crs := o.CRS
	if crs.SRID == 4548 {
		crs = features.Export4548
		head["crs"] = map[string]any{"type": "name", "properties": map[string]string{"name": "urn:ogc:def:crs:EPSG::4548"}}
	} else {
		crs = features.CRS84
	}
	b, err := json.Marshal(head)
	if err != nil {
		return 0, err
	}
	// Replace the closing brace with the opening of the features array.
	b = append(b[:len(b)-1], []byte(`,"features":[`)...)
	page, err := features.Parcels.Stream(ctx, db, o.Filter, features.Shape{CRS: crs, Built: o.Built}, 0, b, w)
	if err != nil {
		return page.N, err
	}
	if _, err := io.WriteString(w, "]}\n"); err != nil {
		return page.N, &features.ErrStarted{Err: err}
	}
	return page.N, nil
}
