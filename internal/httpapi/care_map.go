package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/care"
)

// careMapRoutes are what the web map draws of forest care (issue 16, point 4): a month's
// patrol tracks and the coverage check's parcels, as GeoJSON. The areas with their last patrol
// are GET /api/v1/care/areas (care.go).
func (s *Server) careMapRoutes(r chi.Router) {
	r.Get("/api/v1/care/tracks", s.handle(s.careTracks))
	r.Get("/api/v1/care/coverage/parcels", s.handle(s.careCoverageParcels))
}

// careTracks answers ?month=yyyy-mm's tracks (of &ranger=ID when given), simplified for display.
func (s *Server) careTracks(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	month := q.Get("month")
	if month == "" {
		return apperr.New(apperr.Invalid, "say which month: ?month=2026-03")
	}
	var ranger int64
	if v := q.Get("ranger"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return apperr.New(apperr.Invalid, "ranger %q is not a ranger id", v)
		}
		ranger = id
	}
	doc, err := care.MonthTracks(r.Context(), s.pool, month, ranger)
	if err != nil {
		return err
	}
	return writeGeoJSON(w, doc)
}

// careCoverageParcels answers the coverage check's parcels as GeoJSON, its totals as summary.
func (s *Server) careCoverageParcels(w http.ResponseWriter, r *http.Request) error {
	doc, err := care.CoverageMap(r.Context(), s.pool)
	if err != nil {
		return err
	}
	return writeGeoJSON(w, doc)
}

// writeGeoJSON writes a GeoJSON document built elsewhere.
func writeGeoJSON(w http.ResponseWriter, doc json.RawMessage) error {
	w.Header().Set("Content-Type", "application/geo+json")
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(doc)
	return err
}
