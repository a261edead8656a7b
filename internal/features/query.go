// Package features is the one query layer behind every way parcels (小班), zones and protected
// areas are read: the lookup API, OGC API Features items and the GeoJSON export. PostGIS builds
// each feature's GeoJSON text; Go streams the rows as bytes, so memory stays flat whatever the size.
package features

import (
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"github.com/wuyuan-forestry/ecocomp/internal/parcelfield"
)

// CRS is an output or bbox coordinate reference system the API supports.
type CRS struct {
	// SRID is the EPSG code (4490, 4548); CRS84 uses 4490 with lon/lat order.
	SRID int
	// NorthingFirst is true when coordinates are written in the CRS's own axis order with latitude
	// (or northing) first, as OGC API Features Part 2 demands for EPSG:4490 and EPSG:4548.
	NorthingFirst bool
	// Decimals is the number of decimals written: 7 for degrees (≈1 cm), 3 for metres.
	Decimals int
	// URI is the OGC name of the CRS.
	URI string
}

// The supported CRSs.
var (
	CRS84    = CRS{SRID: 4490, Decimals: 7, URI: "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}
	EPSG4490 = CRS{SRID: 4490, NorthingFirst: true, Decimals: 7, URI: "http://www.opengis.net/def/crs/EPSG/0/4490"}
	EPSG4548 = CRS{SRID: 4548, NorthingFirst: true, Decimals: 3, URI: "http://www.opengis.net/def/crs/EPSG/0/4548"}
	AllCRS   = []CRS{CRS84, EPSG4490, EPSG4548}
	// Export4548 is EPSG:4548 written easting-first, as GIS tools expect in GeoJSON files.
	Export4548 = CRS{SRID: 4548, Decimals: 3, URI: "http://www.opengis.net/def/crs/EPSG/0/4548"}
)

// CRSByURI finds a supported CRS by its OGC URI, or by its short name (EPSG:4490, CRS84).
func CRSByURI(s string) (CRS, bool) {
	switch strings.TrimSpace(s) {
	case CRS84.URI, "CRS84", "OGC:CRS84", "urn:ogc:def:crs:OGC:1.3:CRS84":
		return CRS84, true
	case EPSG4490.URI, "EPSG:4490", "urn:ogc:def:crs:EPSG::4490":
		return EPSG4490, true
	case EPSG4548.URI, "EPSG:4548", "urn:ogc:def:crs:EPSG::4548":
		return EPSG4548, true
	}
	return CRS{}, false
}

// Filter selects current parcels. Zero values select everything.
type Filter struct {
	Code     string
	Point    *orb.Point // lon/lat, EPSG:4490
	BBox     *orb.Bound // in BBoxCRS
	BBoxCRS  CRS        // CRS84 when zero
	Township string     // 9-digit code or the township's name
	// Eligible keeps only parcels whose latest recomputed verdict is this (parcels only).
	Eligible *bool
	After    string // keyset cursor: codes greater than this
	Limit    int    // 0: no limit
}

// Shape says how features are written.
type Shape struct {
	CRS       CRS
	WithZones bool // add each parcel's zone overlaps (area name, zone kind, overlap 亩)
	// Built builds every parcel feature in the query instead of reading the stored ones: for
	// reads of many parcels while the builder has features queued, when one set-based build
	// is faster than building each queued feature apart (Builder.Busy).
	Built bool
}

// args collects bound parameters; values never enter the SQL text.
type args []any

func (a *args) add(v any) string {
	*a = append(*a, v)
	return fmt.Sprintf("$%d", len(*a))
}

// geomExpr writes the geometry column in the output CRS, exterior rings counter-clockwise
// (RFC 7946), and flipped for CRSs whose first axis is north.
func geomExpr(col string, c CRS) string {
	g := "ST_ForcePolygonCCW(" + col + ")"
	if c.SRID != 4490 {
		g = fmt.Sprintf("ST_Transform(%s, %d)", g, c.SRID)
	}
	if c.NorthingFirst {
		g = "ST_FlipCoordinates(" + g + ")"
	}
	return fmt.Sprintf("ST_AsGeoJSON(%s, %d, 0)", g, c.Decimals)
}

// prop is one property of a feature: its name and the SQL expression of its value.
type prop struct{ name, expr string }

// parcelProps are a parcel feature's properties in the order they are written: the code, the
// inventory fields of the registry (internal/parcelfield) with each code's label beside it, the
// names of its township and village after the key, the computed areas after the legal one, the
// code scheme and the latest verdict. No personal data: tree ownership is a class, never a name.
func parcelProps() []prop {
	ps := []prop{{"code", "p.code"}}
	for _, f := range parcelfield.All() {
		col := "p." + pgx.Identifier{f.Property}.Sanitize()
		ps = append(ps, prop{f.Property, col})
		if f.Kind == parcelfield.Coded {
			ps = append(ps, prop{f.LabelProperty(), "d.m ->> (p.code_scheme || " + literal("|"+f.Dictionary()+"|") + " || " + col + ")"})
		}
		switch f.Code {
		case parcelfield.XiaoBan:
			ps = append(ps, prop{"township_code", "p.township_code"}, prop{"township", "tw.name"},
				prop{"village_code", "p.village_code"}, prop{"village", "vi.name"})
		case parcelfield.MianJi:
			ps = append(ps, prop{"legal_area_mu", "round(p.mian_ji * 15, 2)"},
				prop{"area_ha", "round((p.area_m2 / 10000)::numeric, 4)"}, prop{"area_mu", "round((p.area_m2 * 3 / 2000)::numeric, 2)"},
				prop{"area_plane_ha", "round((p.area_plane_m2 / 10000)::numeric, 4)"})
		}
	}
	return append(ps, prop{"code_scheme", "p.code_scheme"}, prop{"valid_from", countyTime("p.valid_from")}, prop{"demo", "p.demo"},
		prop{"eligible", "el.eligible"}, prop{"status", "el.status"}, prop{"priority", "el.priority"})
}

// ParcelProperties names the properties of a parcel feature, besides the zone list and the
// extra attributes an import kept: no extra attribute may take one of these names.
func ParcelProperties() []string {
	ps := parcelProps()
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.name
	}
	return out
}

// jsonObject is the SQL of a json object of the properties. json_build_object takes at most 100
// arguments (50 pairs): longer lists are built in parts of at most pairs properties whose text is
// joined, which writes the same text as one object would.
func jsonObject(ps []prop, pairs int) string {
	var parts []string
	for i := 0; i < len(ps); i += pairs {
		var kv []string
		for _, p := range ps[i:min(i+pairs, len(ps))] {
			kv = append(kv, literal(p.name)+", "+p.expr)
		}
		parts = append(parts, "json_build_object(\n\t"+strings.Join(kv, ",\n\t")+")")
	}
	if len(parts) == 1 {
		return parts[0]
	}
	for i := range parts[:len(parts)-1] {
		parts[i] = "left(" + parts[i] + "::text, -1)"
	}
	for i := 1; i < len(parts); i++ {
		parts[i] = "substr(" + parts[i] + "::text, 2)"
	}
	return "(" + strings.Join(parts, " || ', ' || ") + ")::json"
}

// literal quotes a string as an SQL literal (the registry's names, never input).
func literal(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// propertiesSQL is a parcel feature's properties object.
var propertiesSQL = jsonObject(parcelProps(), 50)

// zonesSQL lists the zones a parcel overlaps, with the overlap in 亩 (ellipsoidal) and its share,
// as the last recompute stored them (`ecocomp recompute`; imports recompute what they touch).
const zonesSQL = `(SELECT coalesce(json_agg(json_build_object(
		'area_name', a.name, 'area_kind', z.area_kind, 'zone_kind', z.zone_kind, 'zone', z.name,
		'overlap_mu', round((o.overlap_m2 * 3 / 2000)::numeric, 2), 'share', round(o.share::numeric, 4))
		ORDER BY a.name, z.site, z.zone_kind), '[]'::json)
	FROM parcel_zone_overlap o JOIN zone z ON z.id = o.zone_id JOIN protected_area a ON a.id = z.area_id
	WHERE o.parcel_id = p.id)`

// Collection is one feature collection: where its rows come from and how a feature is written.
type Collection struct {
	ID          string
	Title       string
	Description string
	// from is the FROM clause; the row alias is p and its geometry p.geom (EPSG:4490).
	from string
	// key is the sortable unique feature id (keyset paging); keyType casts a cursor to it.
	key, keyType string
	// props is the properties object; zones the optional overlap list.
	props string
	zones string
	// current restricts to the rows in force (parcel history).
	current string
	// township filters by township code or name; eligible by the latest verdict (parcels only).
	township, eligible string
	// extra is a jsonb column of fields an import kept that the schema does not know (e.g.
	// CUN_MC): they go back out as properties under their own names.
	extra string
	// stored says the features are read from parcel_feature (stored.go), where they were built
	// when their inputs last changed, instead of being built by the query.
	stored bool
}

// Parcels, Zones and ProtectedAreas are the collections ecocomp serves.
var (
	Parcels = &Collection{
		ID: "parcels", Title: "Forest parcels (小班)",
		Description: "Current forest-resource parcels with inventory attributes, legal area (MIAN_JI, ha) and computed areas. Owner personal data is never included.",
		from: `parcel p
CROSS JOIN d
LEFT JOIN admin_unit tw ON tw.code = p.township_code
LEFT JOIN admin_unit vi ON vi.code = p.village_code
LEFT JOIN parcel_eligibility el ON el.parcel_id = p.id AND el.policy_version_id = (SELECT policy_version_id FROM recompute_run WHERE scope = 'all' ORDER BY id DESC LIMIT 1)`,
		key: "p.code", keyType: "text", props: propertiesSQL, zones: zonesSQL,
		current: "p.valid_to IS NULL", township: "(p.township_code = %[1]s OR tw.name = %[1]s)",
		eligible: "el.eligible = %s", extra: "p.extra", stored: true,
	}
	Zones = &Collection{
		ID: "zones", Title: "Protected-area zones",
		Description: "Zones of nature reserves and wetland parks (core, buffer, experimental; conservation, restoration, reasonable use). Demo zones are demonstration data.",
		from: `(SELECT z.*, a.name AS area_name FROM zone z JOIN protected_area a ON a.id = z.area_id) p
LEFT JOIN zone_kind k ON k.area_kind = p.area_kind AND k.zone_kind = p.zone_kind`,
		key: "p.id", keyType: "bigint",
		props: `json_build_object('name', p.name, 'area_id', p.area_id, 'area_name', p.area_name, 'area_kind', p.area_kind,
	'zone_kind', p.zone_kind, 'zone_label', k.label_zh, 'site', p.site,
	'area_ha', round((ST_Area(p.geom::geography) / 10000)::numeric, 4), 'demo', p.demo)`,
	}
	ProtectedAreas = &Collection{
		ID: "protected_areas", Title: "Protected areas",
		Description: "Nature reserves and wetland parks; the outline is the union of their zones. Demo areas are demonstration data.",
		from:        `(SELECT a.*, ST_Multi(ST_Union(z.geom)) AS geom FROM protected_area a JOIN zone z ON z.area_id = a.id GROUP BY a.id) p`,
		key:         "p.id", keyType: "bigint",
		props: `json_build_object('name', p.name, 'area_kind', p.area_kind, 'level', p.level, 'established', p.established,
	'area_ha', round((ST_Area(p.geom::geography) / 10000)::numeric, 4), 'note', p.note, 'demo', p.demo)`,
	}
	Collections = []*Collection{Parcels, Zones, ProtectedAreas}
)

// withExtra is the properties text with the extra fields appended (unchanged when none).
func withExtra(props, extra string) string {
	if extra == "" {
		return props + "::text"
	}
	return "CASE WHEN " + extra + " = '{}' THEN " + props + "::text ELSE left(" + props + "::text, -1) || ',' || substr(" + extra + "::text, 2) END"
}

// ByID finds a collection by its id.
func ByID(id string) (*Collection, bool) {
	for _, c := range Collections {
		if c.ID == id {
			return c, true
		}
	}
	return nil, false
}

// HasTownship reports whether the collection can be filtered by township and eligibility.
func (c *Collection) HasTownship() bool { return c.township != "" }

// SQL builds the query for f and s: rows of (key text, feature text), ordered by key.
func (c *Collection) SQL(f Filter, s Shape) (string, []any) {
	var a args
	var where []string
	if c.current != "" {
		where = append(where, c.current)
	}
	if f.Code != "" {
		where = append(where, fmt.Sprintf("%s = %s::%s", c.key, a.add(f.Code), c.keyType))
	}
	if f.Point != nil {
		where = append(where, fmt.Sprintf("ST_Intersects(p.geom, ST_SetSRID(ST_MakePoint(%s, %s), 4490))",
			a.add(f.Point.Lon()), a.add(f.Point.Lat())))
	}
	if f.BBox != nil {
		bc := f.BBoxCRS
		if bc.SRID == 0 {
			bc = CRS84
		}
		minX, minY, maxX, maxY := f.BBox.Min.X(), f.BBox.Min.Y(), f.BBox.Max.X(), f.BBox.Max.Y()
		if bc.NorthingFirst { // the client wrote northing/latitude first
			minX, minY, maxX, maxY = minY, minX, maxY, maxX
		}
		env := fmt.Sprintf("ST_MakeEnvelope(%s, %s, %s, %s, %d)", a.add(minX), a.add(minY), a.add(maxX), a.add(maxY), bc.SRID)
		if bc.SRID != 4490 {
			env = fmt.Sprintf("ST_Transform(ST_Segmentize(%s, 100), 4490)", env)
		}
		where = append(where, fmt.Sprintf("ST_Intersects(p.geom, %s)", env))
	}
	if f.Township != "" && c.township != "" {
		where = append(where, fmt.Sprintf(c.township, a.add(f.Township)))
	}
	if f.Eligible != nil && c.eligible != "" {
		e := c.eligible
		if c.stored && !s.Built {
			e = storedEligible
		}
		where = append(where, fmt.Sprintf(e, a.add(*f.Eligible)))
	}
	if f.After != "" {
		where = append(where, fmt.Sprintf("%s > %s::%s", c.key, a.add(f.After), c.keyType))
	}
	if len(where) == 0 {
		where = append(where, "true")
	}
	crs := s.CRS
	if crs.SRID == 0 {
		crs = CRS84
	}
	if c.stored && !s.Built {
		return storedSQL(c, where, s.WithZones && c.zones != "", crs, f.Limit, a)
	}
	q := `WITH d AS (SELECT jsonb_object_agg(scheme || '|' || field || '|' || code, label_zh) AS m FROM code_dictionary)
SELECT ` + c.key + `::text, '{"type":"Feature","id":' || to_json(` + c.key + `::text)::text
	|| ',"geometry":' || ` + geomExpr("p.geom", crs) + `
	|| ',"properties":' || ` + withExtra(c.propsWith(s.WithZones), c.extra) + ` || '}'
FROM ` + c.from + `
WHERE ` + strings.Join(where, "\n  AND ") + `
ORDER BY ` + c.key
	if f.Limit > 0 {
		q += "\nLIMIT " + a.add(f.Limit)
	}
	return q, a
}

// propsWith is the properties object, with the zone list when zones is true and the collection
// has one.
func (c *Collection) propsWith(zones bool) string {
	if zones && c.zones != "" {
		return "(" + c.props + "::jsonb || jsonb_build_object('zones', " + c.zones + "))"
	}
	return c.props
}

// countyTime is the timestamp expr as RFC 3339 in the county's clock (Beijing time, +08:00), so a
// version valid from 1 January reads 2026-01-01T00:00:00+08:00, not the UTC instant before.
func countyTime(expr string) string {
	return "(to_jsonb(" + expr + " AT TIME ZONE 'Asia/Shanghai') #>> '{}') || '+08:00'"
}
