package care

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/audit"
	"github.com/wuyuan-forestry/ecocomp/internal/auth"
)

// Track limits and checks.
const (
	// MaxTrackBytes is the largest upload read (a 200,000-point GPX with times is about 20 MB).
	MaxTrackBytes = 32 << 20
	// MaxTrackPoints is the most points a track may have.
	MaxTrackPoints = 200_000
	// MaxSpeedKmh is the fastest plausible walk or ride between two points of a patrol.
	MaxSpeedKmh = 30
	// JitterMetres is a step short enough to be GPS jitter whatever its speed.
	JitterMetres = 50
)

// Point is one track point: EPSG:4490 longitude and latitude and its time.
type Point struct {
	Lon, Lat float64
	Time     time.Time
}

// ParseTrack reads a GPX 1.1 file (every trkpt with lat, lon and time) or a GeoJSON Feature
// whose geometry is a LineString with a "times" property (RFC 3339, one per point), telling
// them by the first byte. It answers the points and the source ("gpx" or "geojson").
func ParseTrack(raw []byte) ([]Point, string, error) {
	if !utf8.Valid(raw) {
		return nil, "", apperr.New(apperr.Invalid, "the track is not UTF-8 text")
	}
	body := bytes.TrimLeft(raw, " \t\r\n\ufeff")
	var pts []Point
	var src string
	var err error
	switch {
	case len(body) > 0 && body[0] == '<':
		pts, err = parseGPX(body)
		src = "gpx"
	case len(body) > 0 && body[0] == '{':
		pts, err = parseGeoJSONTrack(body)
		src = "geojson"
	default:
		return nil, "", apperr.New(apperr.Invalid, "send a GPX 1.1 file or a GeoJSON Feature with a LineString and a \"times\" property")
	}
	if err != nil {
		return nil, "", err
	}
	if len(pts) < 2 {
		return nil, "", apperr.New(apperr.Invalid, "the track has %d points; it needs at least 2", len(pts))
	}
	return pts, src, nil
}

// parseGPX reads the trkpt elements of a GPX file, refusing DTDs and entity declarations.
func parseGPX(body []byte) ([]Point, error) {
	dec := xml.NewDecoder(bytes.NewReader(body))
	dec.Strict = true // unknown entities are errors; CharsetReader nil refuses non-UTF-8 encodings
	var pts []Point
	var inPoint, inTime bool
	var timeText strings.Builder
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, apperr.New(apperr.Invalid, "the GPX is not well-formed XML: %v", err)
		}
		switch t := tok.(type) {
		case xml.Directive:
			return nil, apperr.New(apperr.Invalid, "the GPX has a DOCTYPE or other declaration (<!…>); send plain GPX 1.1")
		case xml.StartElement:
			switch {
			case t.Name.Local == "trkpt":
				if len(pts) == MaxTrackPoints {
					return nil, apperr.New(apperr.Invalid, "the track has more than %d points", MaxTrackPoints)
				}
				var p Point
				var haveLat, haveLon bool
				for _, a := range t.Attr {
					v, err := strconv.ParseFloat(strings.TrimSpace(a.Value), 64)
					switch a.Name.Local {
					case "lat":
						p.Lat, haveLat = v, err == nil
					case "lon":
						p.Lon, haveLon = v, err == nil
					}
				}
				if !haveLat || !haveLon {
					return nil, apperr.New(apperr.Invalid, "point %d: a trkpt needs numeric lat and lon attributes", len(pts)+1)
				}
				pts = append(pts, p)
				inPoint = true
			case inPoint && t.Name.Local == "time":
				inTime = true
				timeText.Reset()
			}
		case xml.CharData:
			if inTime {
				timeText.Write(t)
			}
		case xml.EndElement:
			switch {
			case t.Name.Local == "trkpt":
				if pts[len(pts)-1].Time.IsZero() {
					return nil, apperr.New(apperr.Invalid, "point %d has no <time>", len(pts))
				}
				inPoint = false
			case inTime && t.Name.Local == "time":
				inTime = false
				tm, err := time.Parse(time.RFC3339, strings.TrimSpace(timeText.String()))
				if err != nil {
					return nil, apperr.New(apperr.Invalid, "point %d: <time> %q is not an RFC 3339 time", len(pts), timeText.String())
				}
				pts[len(pts)-1].Time = tm
			}
		}
	}
	return pts, nil
}

// parseGeoJSONTrack reads a Feature with a LineString geometry and properties.times.
func parseGeoJSONTrack(body []byte) ([]Point, error) {
	var f struct {
		Type     string `json:"type"`
		Geometry struct {
			Type        string      `json:"type"`
			Coordinates [][]float64 `json:"coordinates"`
		} `json:"geometry"`
		Properties struct {
			Times []string `json:"times"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(body, &f); err != nil {
		return nil, apperr.New(apperr.Invalid, "the body is not a GeoJSON Feature with a LineString: %v", err)
	}
	if f.Type != "Feature" || f.Geometry.Type != "LineString" {
		return nil, apperr.New(apperr.Invalid, "the body is a GeoJSON %q of a %q; send a Feature with a LineString and a \"times\" property", f.Type, f.Geometry.Type)
	}
	c, times := f.Geometry.Coordinates, f.Properties.Times
	if len(c) > MaxTrackPoints {
		return nil, apperr.New(apperr.Invalid, "the track has more than %d points", MaxTrackPoints)
	}
	if len(times) != len(c) {
		return nil, apperr.New(apperr.Invalid, "the LineString has %d points but \"times\" has %d; give one time per point", len(c), len(times))
	}
	pts := make([]Point, len(c))
	for i, xy := range c {
		if len(xy) < 2 {
			return nil, apperr.New(apperr.Invalid, "point %d has no longitude and latitude", i+1)
		}
		tm, err := time.Parse(time.RFC3339, times[i])
		if err != nil {
			return nil, apperr.New(apperr.Invalid, "point %d: time %q is not an RFC 3339 time", i+1, times[i])
		}
		pts[i] = Point{Lon: xy[0], Lat: xy[1], Time: tm}
	}
	return pts, nil
}

// CheckTrack refuses a track whose coordinates are not longitude and latitude, whose times do
// not strictly increase, or with a step faster than MaxSpeedKmh (and longer than JitterMetres),
// naming the point (1-based) and its time.
func CheckTrack(pts []Point) error {
	for i, p := range pts {
		if math.IsNaN(p.Lon) || math.IsNaN(p.Lat) || p.Lon < -180 || p.Lon > 180 || p.Lat < -90 || p.Lat > 90 {
			return apperr.New(apperr.Invalid, "point %d (%s): %g, %g is not a longitude and latitude", i+1, stamp(p), p.Lon, p.Lat)
		}
		if i == 0 {
			continue
		}
		q := pts[i-1]
		if !p.Time.After(q.Time) {
			return apperr.New(apperr.Invalid, "point %d (%s) is not after point %d (%s): times must strictly increase", i+1, stamp(p), i, stamp(q))
		}
		d := haversine(q, p)
		if kmh := d / p.Time.Sub(q.Time).Seconds() * 3.6; d > JitterMetres && kmh > MaxSpeedKmh {
			return apperr.New(apperr.Invalid, "point %d (%s) is %.0f m from point %d in %s: %.0f km/h is over %d km/h, a jump rather than a patrol",
				i+1, stamp(p), d, i, p.Time.Sub(q.Time), kmh, MaxSpeedKmh)
		}
	}
	return nil
}

func stamp(p Point) string { return p.Time.UTC().Format(time.RFC3339) }

// haversine is the great-circle distance in metres.
func haversine(a, b Point) float64 {
	const r = 6371008.8
	rad := math.Pi / 180
	dLat, dLon := (b.Lat-a.Lat)*rad, (b.Lon-a.Lon)*rad
	h := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(a.Lat*rad)*math.Cos(b.Lat*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * r * math.Asin(math.Sqrt(h))
}

// trackLine is the SQL of the track's LineStringM (M: seconds since 1970) from arrays $1–$3.
const trackLine = `(SELECT ST_SetSRID(ST_MakeLine(ST_MakePointM(x, y, m) ORDER BY n), 4490)
	FROM unnest($1::float8[], $2::float8[], $3::float8[]) WITH ORDINALITY AS u(x, y, m, n))`

// trackArrays are the arguments of trackLine.
func trackArrays(pts []Point) (xs, ys, ms []float64) {
	xs, ys, ms = make([]float64, len(pts)), make([]float64, len(pts)), make([]float64, len(pts))
	for i, p := range pts {
		xs[i], ys[i], ms[i] = p.Lon, p.Lat, float64(p.Time.UnixMilli())/1000
	}
	return xs, ys, ms
}

// Track is a stored track as answered.
type Track struct {
	ID        int64     `json:"id"`
	Ranger    int64     `json:"ranger"`
	Area      *string   `json:"area"`
	StartedAt time.Time `json:"started_at"`
	EndedAt   time.Time `json:"ended_at"`
	Points    int       `json:"points"`
	LengthKm  float64   `json:"length_km"`
	Source    string    `json:"source"`
}

// CreateTrack validates and stores a track of ranger, with the area of the assignment in force
// on its start day (Asia/Shanghai), and audits it.
func CreateTrack(ctx context.Context, pool *pgxpool.Pool, p auth.Principal, ranger int64, raw []byte) (Track, error) {
	if err := must(p, "upload tracks"); err != nil {
		return Track{}, err
	}
	pts, src, err := ParseTrack(raw)
	if err != nil {
		return Track{}, err
	}
	if err := CheckTrack(pts); err != nil {
		return Track{}, err
	}
	ctx = audit.WithActor(ctx, p.Actor)
	tx, err := pool.Begin(ctx)
	if err != nil {
		return Track{}, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT FROM ranger WHERE id = $1)`, ranger).Scan(&exists); err != nil {
		return Track{}, err
	} else if !exists {
		return Track{}, apperr.New(apperr.NotFound, "there is no ranger %d", ranger)
	}
	xs, ys, ms := trackArrays(pts)
	var inside, haveCounty bool
	var first *int
	if err := tx.QueryRow(ctx, `WITH t AS (SELECT `+trackLine+` AS g),
		c AS (SELECT ST_Union(geom) AS g FROM admin_unit WHERE level = 'county')
		SELECT c.g IS NOT NULL, COALESCE(ST_Within(t.g, c.g), false),
		       CASE WHEN c.g IS NOT NULL AND NOT ST_Within(t.g, c.g) THEN
		         (SELECT min(d.path[1]) FROM ST_DumpPoints(t.g) d WHERE NOT ST_Intersects(d.geom, c.g)) END
		FROM t, c`, xs, ys, ms).Scan(&haveCounty, &inside, &first); err != nil {
		return Track{}, err
	}
	switch {
	case !haveCounty:
		return Track{}, apperr.New(apperr.Conflict, "no county outline is loaded; import the administrative units first")
	case !inside && first != nil:
		return Track{}, apperr.New(apperr.Invalid, "point %d (%s) is outside the county", *first, stamp(pts[*first-1]))
	case !inside:
		return Track{}, apperr.New(apperr.Invalid, "the track leaves the county between its points")
	}
	t := Track{Ranger: ranger, StartedAt: pts[0].Time, EndedAt: pts[len(pts)-1].Time, Points: len(pts), Source: src}
	err = tx.QueryRow(ctx, `WITH g AS (SELECT `+trackLine+` AS g)
		INSERT INTO patrol_track (ranger_id, area_id, started_at, ended_at, points, length_m, source, uploaded_by, geom)
		SELECT $4, (SELECT area_id FROM care_assignment WHERE ranger_id = $4 AND period @> ($5::timestamptz AT TIME ZONE 'Asia/Shanghai')::date
		            ORDER BY lower(period) DESC LIMIT 1),
		       $5, $6, $7, ST_Length(ST_Transform(ST_Force2D(g.g), 4548)), $8, $9, g.g FROM g
		RETURNING id, round(length_m::numeric / 1000, 3)::float8, (SELECT code FROM care_area WHERE id = area_id)`,
		xs, ys, ms, ranger, t.StartedAt, t.EndedAt, t.Points, src, p.Actor.String()).Scan(&t.ID, &t.LengthKm, &t.Area)
	if err != nil {
		return Track{}, err
	}
	if err := audit.Record(ctx, tx, audit.Entry{Action: "care.track.create", Entity: "patrol_track", EntityID: fmt.Sprint(t.ID),
		Detail: map[string]any{"ranger": ranger, "area": t.Area, "points": t.Points, "source": src,
			"started_at": t.StartedAt.UTC().Format(time.RFC3339), "ended_at": t.EndedAt.UTC().Format(time.RFC3339)}}); err != nil {
		return Track{}, err
	}
	return t, tx.Commit(ctx)
}

// isNoRows says err is pgx's no rows.
func isNoRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }
