package httpapi

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/audit"
	"github.com/wuyuan-forestry/ecocomp/internal/care"
)

// carePayRoutes are the incidents rangers report, the monthly assessment and the rangers' pay
// roll (issue 16, points 3 and 2).
func (s *Server) carePayRoutes(r chi.Router) {
	r.Post("/api/v1/care/rangers/{id}/incidents", s.handle(s.reportIncident))
	r.Get("/api/v1/care/incidents", s.handle(s.careIncidents))
	r.Get("/api/v1/care/incidents/{id}/photo", s.handle(s.incidentPhoto))
	r.Get("/api/v1/care/rangers/{id}/assessment", s.handle(s.rangerAssessment))
	r.Get("/api/v1/care/roll", s.handle(s.rangerRoll))
}

// maxIncidentBody is the largest incident upload: the photo and a few short fields.
const maxIncidentBody = care.MaxPhotoBytes + 64<<10

// reportIncident takes a multipart report: the photo in the part "photo", the fields lon, lat,
// occurred_at, kind and note.
func (s *Server) reportIncident(w http.ResponseWriter, r *http.Request) error {
	ranger, err := rangerID(r)
	if err != nil {
		return err
	}
	if err := onlyParams(r.URL.Query()); err != nil {
		return err
	}
	tooLarge := apperr.New(apperr.TooLarge, "the report is over %d MiB: send the photo at a lower resolution", care.MaxPhotoBytes>>20)
	if r.ContentLength > maxIncidentBody {
		return tooLarge
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxIncidentBody)
	mr, err := r.MultipartReader()
	if err != nil {
		return apperr.New(apperr.Invalid, "send the incident as multipart/form-data: the photo in a part named \"photo\", and the fields lon, lat, occurred_at, kind and note")
	}
	var rep care.IncidentReport
	fields := map[string]string{}
	var seenPhoto bool
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return tooLarge
		} else if err != nil {
			return apperr.Wrap(apperr.Invalid, err, "the multipart upload could not be read")
		}
		name := part.FormName()
		switch name {
		case "photo":
			if seenPhoto {
				return apperr.BadParam("photo", "send one photo per incident")
			}
			seenPhoto = true
			var buf bytes.Buffer
			if _, err := io.Copy(&buf, io.LimitReader(part, care.MaxPhotoBytes+1)); err != nil {
				if errors.As(err, &tooBig) {
					return tooLarge
				}
				return apperr.Wrap(apperr.Invalid, err, "the photo could not be read")
			}
			if buf.Len() > care.MaxPhotoBytes {
				return tooLarge
			}
			rep.Photo = buf.Bytes()
		case "lon", "lat", "occurred_at", "kind", "note":
			if _, dup := fields[name]; dup {
				return apperr.BadParam(name, "given twice; give it once")
			}
			b, err := io.ReadAll(io.LimitReader(part, 8<<10+1))
			if err != nil {
				return apperr.Wrap(apperr.Invalid, err, "the multipart upload could not be read")
			}
			if len(b) > 8<<10 {
				return apperr.BadParam(name, "longer than 8 KiB")
			}
			fields[name] = strings.TrimSpace(string(b))
		default:
			return apperr.BadParam(name, "not a field of an incident: send photo, lon, lat, occurred_at, kind and note")
		}
		part.Close()
	}
	for _, c := range []struct {
		name string
		dst  *float64
	}{{"lon", &rep.Lon}, {"lat", &rep.Lat}} {
		v, err := strconv.ParseFloat(fields[c.name], 64)
		if err != nil {
			return apperr.BadParam(c.name, "%q is not a number: give the place as EPSG:4490 lon and lat in degrees", fields[c.name])
		}
		*c.dst = v
	}
	rep.OccurredAt, rep.Kind, rep.Note = fields["occurred_at"], fields["kind"], fields["note"]
	inc, err := care.ReportIncident(r.Context(), s.pool, principalOf(r), ranger, rep)
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/care/incidents?month=%s&ranger=%d", inc.OccurredAt.In(china).Format("2006-01"), ranger))
	writeJSON(w, http.StatusCreated, inc)
	return nil
}

// careIncidents answers a month's incidents (of one ranger if asked) as GeoJSON points.
func (s *Server) careIncidents(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := onlyParams(q, "month", "ranger"); err != nil {
		return err
	}
	month, ok, err := single(q, "month")
	if err != nil {
		return err
	} else if !ok {
		return apperr.BadParam("month", "give the month as month=2026-03")
	}
	var ranger int64
	if v, ok, err := single(q, "ranger"); err != nil {
		return err
	} else if ok {
		if ranger, err = strconv.ParseInt(v, 10, 64); err != nil || ranger <= 0 {
			return apperr.BadParam("ranger", "%q is not a ranger id", v)
		}
	}
	doc, err := care.Incidents(r.Context(), s.pool, month, ranger)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/geo+json")
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(doc)
	return err
}

// incidentPhoto answers an incident's photo under the media type its content was found to have,
// never to be sniffed into anything else.
func (s *Server) incidentPhoto(w http.ResponseWriter, r *http.Request) error {
	if err := onlyParams(r.URL.Query()); err != nil {
		return err
	}
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		return apperr.New(apperr.NotFound, "there is no incident %q", chi.URLParam(r, "id"))
	}
	ph, err := care.IncidentPhoto(r.Context(), s.pool, id)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", ph.MediaType)
	h.Set("Content-Length", strconv.Itoa(len(ph.Content)))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("Cache-Control", "private, no-store")
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(ph.Content)
	return err
}

// careAsOf reads as_of (a date, default today in UTC+8): the roll and the assessment pay the
// months ended by then. A date after today is today.
func careAsOf(q map[string][]string) (time.Time, error) {
	now := time.Now()
	v, ok, err := single(q, "as_of")
	if err != nil || !ok {
		return now, err
	}
	d, err := time.ParseInLocation(time.DateOnly, v, china)
	if err != nil {
		return now, apperr.BadParam("as_of", "%q is not a date: write it as 2026-12-01", v)
	}
	if d.After(now) {
		return now, nil
	}
	return d, nil
}

// careFormat reads format: json (default) or xlsx.
func careFormat(q map[string][]string) (string, error) {
	format, _, err := single(q, "format")
	if err != nil {
		return "", err
	}
	switch format {
	case "":
		return "json", nil
	case "json", "xlsx":
		return format, nil
	}
	return "", apperr.BadParam("format", "%q is not offered; use json or xlsx", format)
}

// rangerAssessment answers ranger {id}'s monthly assessment table of a year.
func (s *Server) rangerAssessment(w http.ResponseWriter, r *http.Request) error {
	ranger, err := rangerID(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	if err := onlyParams(q, "year", "format", "as_of"); err != nil {
		return err
	}
	year, err := parseYear(q, time.Now().In(china).Year())
	if err != nil {
		return err
	}
	format, err := careFormat(q)
	if err != nil {
		return err
	}
	asOf, err := careAsOf(q)
	if err != nil {
		return err
	}
	rules, err := care.RulesForYear(r.Context(), s.pool, year)
	if err != nil {
		return err
	}
	a, err := care.Assess(r.Context(), s.pool, rules, ranger, year, asOf)
	if err != nil {
		return err
	}
	if format == "xlsx" {
		var buf bytes.Buffer
		if err := a.WriteXLSX(&buf); err != nil {
			return err
		}
		return writeFile(w, xlsxType, fmt.Sprintf("ranger-%d-assessment-%d.xlsx", ranger, year), buf.Bytes())
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

// rangerRoll answers the year's ranger pay roll: names, ID numbers and accounts masked unless
// the caller holds the finance role (and did not ask for masked=true); an unmasked roll is
// audited before a byte of it is sent, as the owners' roll is.
func (s *Server) rangerRoll(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := onlyParams(q, "year", "format", "masked", "as_of"); err != nil {
		return err
	}
	wantMasked, err := boolParam(q, "masked")
	if err != nil {
		return err
	}
	year, err := parseYear(q, time.Now().In(china).Year())
	if err != nil {
		return err
	}
	format, err := careFormat(q)
	if err != nil {
		return err
	}
	asOf, err := careAsOf(q)
	if err != nil {
		return err
	}
	kr, err := s.keyring()
	if err != nil {
		return err
	}
	roll, err := care.LoadRoll(r.Context(), s.pool, kr, year, asOf)
	if err != nil {
		return err
	}
	if wantMasked || !mayUnmask(principalOf(r)) {
		roll.Mask()
	} else if err := audit.Record(r.Context(), s.pool, audit.Entry{Action: "pii.read", Entity: "ranger_roll", EntityID: strconv.Itoa(year),
		Detail: map[string]any{"format": format, "rows": len(roll.Rows), "fields": []string{"name", "id_number", "bank_account"}}}); err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	if format == "xlsx" {
		var buf bytes.Buffer
		if err := roll.WriteXLSX(&buf); err != nil {
			return err
		}
		return writeFile(w, xlsxType, fmt.Sprintf("ranger-roll-%d.xlsx", year), buf.Bytes())
	}
	writeJSON(w, http.StatusOK, roll)
	return nil
}
