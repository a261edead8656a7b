package care

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"math"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/audit"
	"github.com/wuyuan-forestry/ecocomp/internal/auth"
	"github.com/wuyuan-forestry/ecocomp/internal/policy"
)

// Incident photo limits.
const (
	// MaxPhotoBytes is the largest photo stored (a phone photo is 2–8 MB).
	MaxPhotoBytes = 12 << 20
	// MaxPhotoPixels bounds width × height, so a small file cannot ask for gigabytes when decoded.
	MaxPhotoPixels = 50_000_000
	// MaxNoteChars bounds an incident's note.
	MaxNoteChars = 2000
)

// markup are byte strings no photo has but an HTML or SVG document hidden in one does: a file
// that is a JPEG to one reader and a page to another (a polyglot) is refused.
var markup = []string{"<script", "<html", "<svg", "<iframe", "<!doctype", "<body", "<object", "<embed", "<?xml-stylesheet", "javascript:"}

// SniffPhoto tells a photo's media type from its content: JPEG or PNG only, whatever the file's
// name or declared type say. The whole image must decode, a PNG must end at its IEND chunk, and
// no HTML or SVG markup may hide in it.
func SniffPhoto(b []byte) (string, error) {
	var media string
	switch {
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}):
		media = "image/jpeg"
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		media = "image/png"
	default:
		seen := strings.TrimSuffix(http.DetectContentType(b), "; charset=utf-8")
		return "", apperr.BadParam("photo", "its content is %s, not a JPEG or PNG photo; send the camera's JPEG (the file name and declared type do not count)", seen)
	}
	lower := bytes.ToLower(b)
	for _, m := range markup {
		if bytes.Contains(lower, []byte(m)) {
			return "", apperr.BadParam("photo", "the photo carries %q markup as well as an image; send the camera's original JPEG or PNG", m)
		}
	}
	if media == "image/png" && !bytes.HasSuffix(b, []byte("IEND\xAE\x42\x60\x82")) {
		return "", apperr.BadParam("photo", "the PNG does not end at its IEND chunk (something is appended to it); send the original photo")
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return "", apperr.BadParam("photo", "the %s does not decode: %v", strings.TrimPrefix(media, "image/"), err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > MaxPhotoPixels {
		return "", apperr.BadParam("photo", "the photo is %d × %d pixels; at most %d million pixels are accepted", cfg.Width, cfg.Height, MaxPhotoPixels/1_000_000)
	}
	if media == "image/jpeg" {
		_, err = jpeg.Decode(bytes.NewReader(b))
	} else {
		_, err = png.Decode(bytes.NewReader(b))
	}
	if err != nil {
		return "", apperr.BadParam("photo", "the %s does not decode: %v", strings.TrimPrefix(media, "image/"), err)
	}
	return media, nil
}

// IncidentReport is an incident as a ranger reports it.
type IncidentReport struct {
	Lon, Lat   float64
	OccurredAt string // RFC 3339
	Kind       string
	Note       string
	Photo      []byte
}

// Incident is a stored incident as answered (the photo by its URL).
type Incident struct {
	ID         int64     `json:"id"`
	Ranger     int64     `json:"ranger"`
	Area       *string   `json:"area"`
	OccurredAt time.Time `json:"occurred_at"`
	Kind       string    `json:"kind"`
	KindName   string    `json:"kind_name"`
	Note       string    `json:"note"`
	PhotoType  string    `json:"photo_type"`
	PhotoURL   string    `json:"photo_url"`
	Lon        float64   `json:"lon"`
	Lat        float64   `json:"lat"`
}

// careRules is the care section of the policy in force on day, or the defaults when no policy
// is loaded.
func careRules(ctx context.Context, db Querier, day time.Time) (policy.Care, error) {
	p, _, err := policy.InForce(ctx, db, day)
	if apperr.CodeOf(err) == apperr.NotFound {
		return policy.DefaultCare(), nil
	} else if err != nil {
		return policy.Care{}, err
	}
	return p.CareRules(), nil
}

// ReportIncident stores an incident of ranger with its photo, after checking the point (inside
// the county), the time (not in the future), the kind (the policy's incident kinds) and the
// photo (SniffPhoto), and audits it.
func ReportIncident(ctx context.Context, pool *pgxpool.Pool, p auth.Principal, ranger int64, rep IncidentReport) (Incident, error) {
	if err := must(p, "report incidents"); err != nil {
		return Incident{}, err
	}
	if math.IsNaN(rep.Lon) || math.IsNaN(rep.Lat) || rep.Lon < -180 || rep.Lon > 180 || rep.Lat < -90 || rep.Lat > 90 {
		return Incident{}, apperr.BadParam("lon", "%g, %g is not a longitude and latitude (EPSG:4490, e.g. lon 117.86, lat 29.25)", rep.Lon, rep.Lat)
	}
	at, err := time.Parse(time.RFC3339, strings.TrimSpace(rep.OccurredAt))
	if err != nil {
		return Incident{}, apperr.BadParam("occurred_at", "%q is not an RFC 3339 time (e.g. 2026-03-05T09:30:00+08:00)", rep.OccurredAt)
	}
	if at.After(time.Now().Add(10 * time.Minute)) {
		return Incident{}, apperr.BadParam("occurred_at", "%s is in the future; check the phone's clock", rep.OccurredAt)
	}
	if at.Year() < 2000 {
		return Incident{}, apperr.BadParam("occurred_at", "%s is before 2000; check the phone's clock", rep.OccurredAt)
	}
	note := strings.TrimSpace(rep.Note)
	if !utf8.ValidString(note) || utf8.RuneCountInString(note) > MaxNoteChars {
		return Incident{}, apperr.BadParam("note", "the note must be UTF-8 text of at most %d characters", MaxNoteChars)
	}
	if len(rep.Photo) == 0 {
		return Incident{}, apperr.BadParam("photo", "the report has no photo: attach one JPEG or PNG as the part \"photo\"")
	}
	if len(rep.Photo) > MaxPhotoBytes {
		return Incident{}, apperr.New(apperr.TooLarge, "the photo is over %d MiB; send it at a lower resolution", MaxPhotoBytes>>20)
	}
	media, err := SniffPhoto(rep.Photo)
	if err != nil {
		return Incident{}, err
	}
	rules, err := careRules(ctx, pool, at.In(china))
	if err != nil {
		return Incident{}, err
	}
	kindName, ok := rules.IncidentKinds[rep.Kind]
	if !ok {
		return Incident{}, apperr.BadParam("kind", "%q is not a kind of incident: use one of %s", rep.Kind, strings.Join(rules.IncidentKindIDs(), ", "))
	}
	ctx = audit.WithActor(ctx, p.Actor)
	tx, err := pool.Begin(ctx)
	if err != nil {
		return Incident{}, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT FROM ranger WHERE id = $1)`, ranger).Scan(&exists); err != nil {
		return Incident{}, err
	} else if !exists {
		return Incident{}, apperr.New(apperr.NotFound, "there is no ranger %d", ranger)
	}
	var haveCounty, inside bool
	if err := tx.QueryRow(ctx, `WITH c AS (SELECT ST_Union(geom) AS g FROM admin_unit WHERE level = 'county')
		SELECT c.g IS NOT NULL, COALESCE(ST_Intersects(c.g, ST_SetSRID(ST_MakePoint($1, $2), 4490)), false) FROM c`,
		rep.Lon, rep.Lat).Scan(&haveCounty, &inside); err != nil {
		return Incident{}, err
	}
	switch {
	case !haveCounty:
		return Incident{}, apperr.New(apperr.Conflict, "no county outline is loaded; import the administrative units first")
	case !inside:
		return Incident{}, apperr.BadParam("lon", "the point %g, %g is outside the county; give the incident's place as EPSG:4490 longitude and latitude", rep.Lon, rep.Lat)
	}
	sum := sha256.Sum256(rep.Photo)
	inc := Incident{Ranger: ranger, OccurredAt: at, Kind: rep.Kind, KindName: kindName, Note: note, PhotoType: media, Lon: rep.Lon, Lat: rep.Lat}
	err = tx.QueryRow(ctx, `INSERT INTO care_incident (ranger_id, area_id, occurred_at, kind, note, photo, photo_type, photo_sha256, reported_by, geom)
		SELECT $1, (SELECT area_id FROM care_assignment WHERE ranger_id = $1 AND period @> ($2::timestamptz AT TIME ZONE 'Asia/Shanghai')::date
		            ORDER BY lower(period) DESC LIMIT 1),
		       $2, $3, $4, $5, $6, $7, $8, ST_SetSRID(ST_MakePoint($9, $10), 4490)
		RETURNING id, (SELECT code FROM care_area WHERE id = area_id)`,
		ranger, at, rep.Kind, note, rep.Photo, media, hex.EncodeToString(sum[:]), p.Actor.String(), rep.Lon, rep.Lat).Scan(&inc.ID, &inc.Area)
	if err != nil {
		return Incident{}, err
	}
	inc.PhotoURL = fmt.Sprintf("/api/v1/care/incidents/%d/photo", inc.ID)
	if err := audit.Record(ctx, tx, audit.Entry{Action: "care.incident.create", Entity: "care_incident", EntityID: fmt.Sprint(inc.ID),
		Detail: map[string]any{"ranger": ranger, "area": inc.Area, "kind": rep.Kind, "occurred_at": at.UTC().Format(time.RFC3339),
			"photo_type": media, "photo_bytes": len(rep.Photo), "photo_sha256": hex.EncodeToString(sum[:])}}); err != nil {
		return Incident{}, err
	}
	return inc, tx.Commit(ctx)
}

// monthBounds reads yyyy-mm as the month's first instant and the next month's, in UTC+8.
func monthBounds(month string) (time.Time, time.Time, error) {
	start, err := time.ParseInLocation("2006-01", month, china)
	if err != nil {
		return time.Time{}, time.Time{}, apperr.BadParam("month", "%q is not a month: write it as 2026-03", month)
	}
	return start, start.AddDate(0, 1, 0), nil
}

// Incidents is the incidents of a month (yyyy-mm, UTC+8), of one ranger when ranger > 0, as a
// GeoJSON FeatureCollection of points, oldest first.
func Incidents(ctx context.Context, db Querier, month string, ranger int64) (json.RawMessage, error) {
	start, end, err := monthBounds(month)
	if err != nil {
		return nil, err
	}
	rules, err := careRules(ctx, db, start)
	if err != nil {
		return nil, err
	}
	names, _ := json.Marshal(rules.IncidentKinds)
	var out json.RawMessage
	err = db.QueryRow(ctx, `
		SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(json_build_object(
		         'type', 'Feature', 'id', i.id, 'geometry', ST_AsGeoJSON(i.geom, 7, 0)::json,
		         'properties', json_build_object('id', i.id, 'ranger', i.ranger_id, 'area', a.code, 'occurred_at', i.occurred_at,
		           'kind', i.kind, 'kind_name', coalesce($4::jsonb ->> i.kind, i.kind), 'note', i.note, 'photo_type', i.photo_type,
		           'photo_url', '/api/v1/care/incidents/' || i.id || '/photo')
		       ) ORDER BY i.occurred_at, i.id), '[]'))
		FROM care_incident i LEFT JOIN care_area a ON a.id = i.area_id
		WHERE i.occurred_at >= $1 AND i.occurred_at < $2 AND ($3 = 0 OR i.ranger_id = $3)`, start, end, ranger, string(names)).Scan(&out)
	if err != nil {
		return nil, err
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, out); err != nil {
		return nil, err
	}
	return compact.Bytes(), nil
}

// Photo is an incident's stored photo.
type Photo struct {
	MediaType string
	Content   []byte
}

// IncidentPhoto answers incident id's photo.
func IncidentPhoto(ctx context.Context, db Querier, id int64) (Photo, error) {
	var ph Photo
	err := db.QueryRow(ctx, `SELECT photo_type, photo FROM care_incident WHERE id = $1`, id).Scan(&ph.MediaType, &ph.Content)
	if isNoRows(err) {
		return ph, apperr.New(apperr.NotFound, "there is no incident %d", id)
	}
	return ph, err
}
