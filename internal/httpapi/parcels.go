package httpapi

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/export"
	"github.com/wuyuan-forestry/ecocomp/internal/features"
)

const (
	geoJSON         = "application/geo+json"
	lookupPageSize  = 100
	lookupPageLimit = 1000
)

func (s *Server) parcelRoutes(r chi.Router) {
	r.Get("/api/v1/parcels", s.handle(s.listParcels))
	r.Get("/api/v1/parcels/{code}", s.handle(s.getParcel))
	r.Get("/api/v1/export/parcels.geojson", s.handle(s.exportParcels))
}

// getParcel answers one current parcel as a GeoJSON Feature with its zone overlaps.
func (s *Server) getParcel(w http.ResponseWriter, r *http.Request) error {
	if err := onlyParams(r.URL.Query()); err != nil {
		return err
	}
	code := chi.URLParam(r, "code")
	if len(code) > 64 {
		return apperr.BadParam("code", "a parcel code has at most 64 characters")
	}
	return s.streamOne(w, r, features.Parcels, features.Filter{Code: code}, features.Shape{CRS: features.CRS84, WithZones: true},
		fmt.Sprintf("no current parcel has the code %q; codes are XIAN+XIANG+CUN+LIN_BAN+XIAO_BAN, e.g. 361130100001000100001", code))
}

// listParcels answers a point lookup (lon, lat) or a keyset-paged bbox / township listing.
func (s *Server) listParcels(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := onlyParams(q, "lon", "lat", "bbox", "township", "limit", "cursor"); err != nil {
		return err
	}
	point, err := parsePoint(q)
	if err != nil {
		return err
	}
	bbox, err := parseBBox(q, features.CRS84)
	if err != nil {
		return err
	}
	township, err := s.township(r.Context(), q)
	if err != nil {
		return err
	}
	shape := features.Shape{CRS: features.CRS84, WithZones: true}
	if point != nil {
		if bbox != nil || q.Has("cursor") {
			return apperr.BadParam("bbox", "give either a point (lon, lat) or a bbox, not both")
		}
		f := features.Filter{Point: point, Township: township}
		return s.streamCollection(w, r, features.Parcels, f, shape, 0, nil)
	}
	if bbox == nil && township == "" {
		return apperr.New(apperr.Invalid, "say which parcels: lon and lat for the parcel at a point, or bbox=minlon,minlat,maxlon,maxlat and/or township=<code or name> for a paged list")
	}
	limit, err := parseLimit(q, lookupPageSize, lookupPageLimit)
	if err != nil {
		return err
	}
	after, err := parseCursor(q)
	if err != nil {
		return err
	}
	f := features.Filter{BBox: bbox, Township: township, After: after}
	return s.streamCollection(w, r, features.Parcels, f, shape, limit, func(p features.Page) string {
		if !p.More {
			return jsonMembers(member{"numberReturned", p.N}, member{"links", []link{}})
		}
		cursor := encodeCursor(p.Last)
		next := pageURL(r, cursor)
		return jsonMembers(member{"numberReturned", p.N}, member{"cursor", cursor}, member{"next", next},
			member{"links", []link{{Rel: "next", Type: geoJSON, Href: next}}})
	})
}

// streamOne writes the single feature f selects, or a 404 problem saying notFound.
func (s *Server) streamOne(w http.ResponseWriter, r *http.Request, c *features.Collection, f features.Filter, shape features.Shape, notFound string) error {
	var buf strings.Builder
	p, err := c.Stream(r.Context(), s.pool, f, shape, 1, nil, &buf)
	if err != nil {
		return err
	}
	if p.N == 0 {
		return apperr.New(apperr.NotFound, "%s", notFound)
	}
	w.Header().Set("Content-Type", geoJSON)
	_, err = io.WriteString(w, buf.String())
	return err
}

// streamCollection writes a FeatureCollection of the features f selects, streaming them; tail,
// when given, writes the members that follow the features (paging links).
func (s *Server) streamCollection(w http.ResponseWriter, r *http.Request, c *features.Collection, f features.Filter, shape features.Shape, max int, tail func(features.Page) string) error {
	w.Header().Set("Content-Type", geoJSON)
	shape.Built = s.builder.Busy()
	if shape.CRS.SRID != 0 && shape.CRS != features.CRS84 {
		w.Header().Set("Content-Crs", "<"+shape.CRS.URI+">")
	}
	p, err := c.Stream(r.Context(), s.pool, f, shape, max, []byte(`{"type":"FeatureCollection","features":[`), w)
	if err != nil {
		return abortIfStarted(err)
	}
	end := "]"
	if tail != nil {
		end += tail(p)
	} else {
		end += jsonMembers(member{"numberReturned", p.N})
	}
	end += jsonMembers(member{"timeStamp", time.Now().UTC().Format(time.RFC3339)}) + "}"
	_, err = io.WriteString(w, end)
	return abortIfStarted(err)
}

// member is one name and value of a JSON object.
type member struct {
	name  string
	value any
}

// jsonMembers writes the members that close a streamed JSON object, `,"name":value` each in the
// order given, with encoding/json: links carry the request's host and query, which fmt's %q would
// quote as Go, not as JSON (invalid UTF-8 or a control character gave an unreadable document).
func jsonMembers(ms ...member) string {
	var b strings.Builder
	for _, m := range ms {
		b.WriteString("," + jsonText(m.name) + ":" + jsonText(m.value))
	}
	return b.String()
}

// jsonText is v in JSON, without escaping &, < and > (URLs stay readable).
func jsonText(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // strings, numbers and links always encode
	return strings.TrimSuffix(b.String(), "\n")
}

// abortIfStarted: once a 200 and part of a body are out, an error can no longer become a problem
// response; abort the connection so the client sees a broken transfer, never a short "complete" file.
func abortIfStarted(err error) error {
	if err != nil && features.IsStarted(err) {
		panic(http.ErrAbortHandler)
	}
	return err
}

// pageURL is the request's own absolute URL with the cursor replaced.
func pageURL(r *http.Request, cursor string) string {
	q := r.URL.Query()
	q.Set("cursor", cursor)
	u := url.URL{Scheme: scheme(r), Host: r.Host, Path: r.URL.Path, RawQuery: q.Encode()}
	return u.String()
}

func scheme(r *http.Request) string {
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		return "https"
	}
	return "http"
}

// exportParcels streams the parcels of a township, a bbox or the whole county as a GeoJSON file,
// gzip-compressed when the client accepts it.
func (s *Server) exportParcels(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := onlyParams(q, "township", "bbox", "crs", "eligible"); err != nil {
		return err
	}
	crs, err := parseCRS(q, "crs", features.CRS84)
	if err != nil {
		return err
	}
	bbox, err := parseBBox(q, features.CRS84)
	if err != nil {
		return err
	}
	township, err := s.township(r.Context(), q)
	if err != nil {
		return err
	}
	eligible, err := parseEligible(q)
	if err != nil {
		return err
	}
	o := export.Options{Filter: features.Filter{BBox: bbox, Township: township, Eligible: eligible}, CRS: crs, Now: time.Now(),
		Built: s.builder.Busy()}
	name, err := export.FileName(r.Context(), s.pool, o)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", geoJSON)
	h.Set("Content-Disposition", attachment(name))
	h.Set("Cache-Control", "no-store")
	out := io.Writer(w)
	var gz *gzip.Writer
	if acceptsGzip(r) {
		h.Set("Content-Encoding", "gzip")
		h.Add("Vary", "Accept-Encoding")
		gz, _ = gzip.NewWriterLevel(w, gzip.BestSpeed)
		out = gz
	}
	_, err = export.Parcels(r.Context(), s.pool, o, out)
	if err != nil && !features.IsStarted(err) {
		// Nothing was written yet: answer with a plain problem instead.
		h.Del("Content-Encoding")
		h.Del("Content-Disposition")
		return err
	}
	if err == nil && gz != nil {
		if cerr := gz.Close(); cerr != nil {
			err = &features.ErrStarted{Err: cerr}
		}
	}
	return abortIfStarted(err)
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(enc), "gzip") {
			continue
		}
		_, qv, hasQ := strings.Cut(strings.ReplaceAll(params, " ", ""), "q=")
		if q, err := strconv.ParseFloat(qv, 64); hasQ && err == nil && q == 0 {
			return false
		}
		return true
	}
	return false
}
