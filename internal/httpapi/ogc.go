package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/go-chi/chi/v5"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/features"
)

// OGC API – Features, Part 1 (core, GeoJSON, OpenAPI 3.0) and Part 2 (CRS by reference), for
// QGIS and GDAL's OAPIF driver. Items come from the same query layer as the lookup API and the
// export.

const (
	ogcPageSize  = 100
	ogcPageLimit = 10000
	openAPIType  = "application/vnd.oai.openapi+json;version=3.0"
)

var conformance = []string{
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
	"http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
}

func (s *Server) ogcRoutes(r chi.Router) {
	r.Get("/ogc", s.handle(s.ogcLanding))
	r.Get("/ogc/", s.handle(s.ogcLanding))
	r.Get("/ogc/api", s.handle(s.ogcAPI))
	r.Get("/ogc/conformance", s.handle(s.ogcConformance))
	r.Get("/ogc/collections", s.handle(s.ogcCollections))
	r.Get("/ogc/collections/{collection}", s.handle(s.ogcCollection))
	r.Get("/ogc/collections/{collection}/items", s.handle(s.ogcItems))
	r.Get("/ogc/collections/{collection}/items/{id}", s.handle(s.ogcItem))
}

// ogcJSONParams are the parameters every OGC metadata resource accepts: only the format.
func ogcFormat(r *http.Request, extra ...string) error {
	q := r.URL.Query()
	if err := onlyParams(q, append([]string{"f"}, extra...)...); err != nil {
		return err
	}
	if f, ok, _ := single(q, "f"); ok && f != "json" && f != "geojson" && f != "application/json" && f != "application/geo+json" {
		return apperr.BadParam("f", "format %q is not offered; use f=json", f)
	}
	return nil
}

func baseURL(r *http.Request) string { return scheme(r) + "://" + r.Host }

type link struct {
	Rel   string `json:"rel"`
	Type  string `json:"type,omitempty"`
	Title string `json:"title,omitempty"`
	Href  string `json:"href"`
}

func (s *Server) ogcLanding(w http.ResponseWriter, r *http.Request) error {
	if err := ogcFormat(r); err != nil {
		return err
	}
	b := baseURL(r) + "/ogc"
	writeJSON(w, http.StatusOK, map[string]any{
		"title":       "ecocomp — 婺源县 forest parcels, protected areas and zones",
		"description": "OGC API – Features of the ecocomp ecological-compensation platform. Boundaries marked demo=true are demonstration data (演示数据).",
		"links": []link{
			{Rel: "self", Type: "application/json", Title: "this document", Href: b},
			{Rel: "service-desc", Type: openAPIType, Title: "the API definition", Href: b + "/api"},
			{Rel: "conformance", Type: "application/json", Title: "conformance classes", Href: b + "/conformance"},
			{Rel: "data", Type: "application/json", Title: "collections", Href: b + "/collections"},
		},
	})
	return nil
}

func (s *Server) ogcConformance(w http.ResponseWriter, r *http.Request) error {
	if err := ogcFormat(r); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"conformsTo": conformance})
	return nil
}

// countyExtent is the CRS84 bounding box of the loaded county, read once it exists.
type extentCache struct {
	mu   sync.Mutex
	bbox []float64
}

func (s *Server) countyExtent(ctx context.Context) ([]float64, error) {
	s.extent.mu.Lock()
	defer s.extent.mu.Unlock()
	if s.extent.bbox != nil {
		return s.extent.bbox, nil
	}
	var minx, miny, maxx, maxy *float64
	err := s.pool.QueryRow(ctx, `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
		FROM (SELECT ST_Extent(geom)::geometry AS e FROM admin_unit WHERE level = 'county') x`).Scan(&minx, &miny, &maxx, &maxy)
	if err != nil {
		return nil, err
	}
	if minx == nil { // nothing loaded yet: the whole CGCS2000 range, not cached
		return []float64{-180, -90, 180, 90}, nil
	}
	s.extent.bbox = []float64{*minx, *miny, *maxx, *maxy}
	return s.extent.bbox, nil
}

func (s *Server) collectionDoc(r *http.Request, c *features.Collection, bbox []float64) map[string]any {
	b := baseURL(r) + "/ogc/collections/" + c.ID
	var crs []string
	for _, c := range features.AllCRS {
		crs = append(crs, c.URI)
	}
	return map[string]any{
		"id":          c.ID,
		"title":       c.Title,
		"description": c.Description,
		"itemType":    "feature",
		"crs":         crs,
		"storageCrs":  features.EPSG4490.URI,
		"extent": map[string]any{
			"spatial": map[string]any{"bbox": [][]float64{bbox}, "crs": features.CRS84.URI},
		},
		"links": []link{
			{Rel: "self", Type: "application/json", Href: b},
			{Rel: "items", Type: geoJSON, Title: c.Title, Href: b + "/items"},
		},
	}
}

func (s *Server) ogcCollections(w http.ResponseWriter, r *http.Request) error {
	if err := ogcFormat(r); err != nil {
		return err
	}
	bbox, err := s.countyExtent(r.Context())
	if err != nil {
		return err
	}
	var docs []map[string]any
	for _, c := range features.Collections {
		docs = append(docs, s.collectionDoc(r, c, bbox))
	}
	b := baseURL(r) + "/ogc"
	writeJSON(w, http.StatusOK, map[string]any{
		"links":       []link{{Rel: "self", Type: "application/json", Href: b + "/collections"}},
		"collections": docs,
	})
	return nil
}

func collectionOf(r *http.Request) (*features.Collection, error) {
	id := chi.URLParam(r, "collection")
	c, ok := features.ByID(id)
	if !ok {
		var ids []string
		for _, c := range features.Collections {
			ids = append(ids, c.ID)
		}
		return nil, apperr.New(apperr.NotFound, "there is no collection %q; the collections are %s", id, strings.Join(ids, ", "))
	}
	return c, nil
}

func (s *Server) ogcCollection(w http.ResponseWriter, r *http.Request) error {
	c, err := collectionOf(r)
	if err != nil {
		return err
	}
	if err := ogcFormat(r); err != nil {
		return err
	}
	bbox, err := s.countyExtent(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.collectionDoc(r, c, bbox))
	return nil
}

func (s *Server) ogcItems(w http.ResponseWriter, r *http.Request) error {
	c, err := collectionOf(r)
	if err != nil {
		return err
	}
	known := []string{"limit", "bbox", "bbox-crs", "crs", "cursor"}
	if c.HasTownship() {
		known = append(known, "township", "eligible")
	}
	if err := ogcFormat(r, known...); err != nil {
		return err
	}
	q := r.URL.Query()
	limit, err := parseLimit(q, ogcPageSize, ogcPageLimit)
	if err != nil {
		return err
	}
	crs, err := parseCRS(q, "crs", features.CRS84)
	if err != nil {
		return err
	}
	bboxCRS, err := parseCRS(q, "bbox-crs", features.CRS84)
	if err != nil {
		return err
	}
	if q.Has("bbox-crs") && !q.Has("bbox") {
		return apperr.BadParam("bbox-crs", "given without bbox; add bbox or drop bbox-crs")
	}
	bbox, err := parseBBox(q, bboxCRS)
	if err != nil {
		return err
	}
	after, err := parseCursor(q)
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
	f := features.Filter{BBox: bbox, BBoxCRS: bboxCRS, After: after, Township: township, Eligible: eligible}
	w.Header().Set("Content-Crs", "<"+crs.URI+">")
	self := baseURL(r) + r.URL.RequestURI()
	return s.streamCollection(w, r, c, f, features.Shape{CRS: crs}, limit, func(p features.Page) string {
		links := []link{{Rel: "self", Type: geoJSON, Href: self},
			{Rel: "collection", Type: "application/json", Href: baseURL(r) + "/ogc/collections/" + c.ID}}
		if p.More {
			links = append(links, link{Rel: "next", Type: geoJSON, Href: pageURL(r, encodeCursor(p.Last))})
		}
		return jsonMembers(member{"numberReturned", p.N}, member{"links", links})
	})
}

func (s *Server) ogcItem(w http.ResponseWriter, r *http.Request) error {
	c, err := collectionOf(r)
	if err != nil {
		return err
	}
	if err := ogcFormat(r, "crs"); err != nil {
		return err
	}
	crs, err := parseCRS(r.URL.Query(), "crs", features.CRS84)
	if err != nil {
		return err
	}
	id := chi.URLParam(r, "id")
	if len(id) > 64 || (c != features.Parcels && !isBigint(id)) {
		return apperr.New(apperr.NotFound, "collection %s has no feature %q", c.ID, id)
	}
	w.Header().Set("Content-Crs", "<"+crs.URI+">")
	return s.streamOne(w, r, c, features.Filter{Code: id}, features.Shape{CRS: crs}, fmt.Sprintf("collection %s has no feature %q", c.ID, id))
}

// isBigint reports whether id is a positive whole number that fits a bigint column.
func isBigint(id string) bool {
	n, err := strconv.ParseInt(id, 10, 64)
	return err == nil && n > 0
}
