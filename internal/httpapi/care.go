package httpapi

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/audit"
	"github.com/wuyuan-forestry/ecocomp/internal/care"
	"github.com/wuyuan-forestry/ecocomp/internal/zonecheck"
)

// careRoutes are forest care under the forest-chief system (issue 16): responsibility areas,
// the coverage check, the rangers' roster and assignments. Writes: case officers and
// administrators (checked again in internal/care).
func (s *Server) careRoutes(r chi.Router) {
	r.Post("/api/v1/care/areas", s.handle(s.createCareAreas))
	r.Get("/api/v1/care/areas", s.handle(s.careAreas))
	r.Get("/api/v1/care/coverage", s.handle(s.careCoverage))
	r.Post("/api/v1/care/rangers", s.handle(s.createRanger))
	r.Get("/api/v1/care/rangers", s.handle(s.rangers))
	r.Post("/api/v1/care/areas/{id}/assignments", s.handle(s.assignRanger))
	r.Post("/api/v1/care/rangers/{id}/tracks", s.handle(s.uploadTrack))
	r.Get("/api/v1/care/rangers/{id}/months/{month}", s.handle(s.rangerMonth))
	s.carePayRoutes(r)
}

// createCareAreas stores a GeoJSON FeatureCollection of areas (or one Feature), all or nothing.
func (s *Server) createCareAreas(w http.ResponseWriter, r *http.Request) error {
	var raw json.RawMessage
	if err := readWetlandBody(w, r, &raw, zonecheck.MaxBytes,
		`a GeoJSON FeatureCollection (or Feature) of areas with properties {"code", "name", "chiefs": {"village", "township", "county"}}`); err != nil {
		return err
	}
	ids, err := care.CreateAreas(r.Context(), s.pool, principalOf(r), raw)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"ids": ids})
	return nil
}

// careAreas answers every area as GeoJSON.
func (s *Server) careAreas(w http.ResponseWriter, r *http.Request) error {
	doc, err := care.Areas(r.Context(), s.pool)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/geo+json")
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(doc)
	return err
}

// careCoverage answers the coverage check.
func (s *Server) careCoverage(w http.ResponseWriter, r *http.Request) error {
	doc, err := care.Coverage(r.Context(), s.pool)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, doc)
	return nil
}

// createRanger adds a ranger to the roster.
func (s *Server) createRanger(w http.ResponseWriter, r *http.Request) error {
	var req care.RangerRequest
	if err := readWetlandBody(w, r, &req, 64<<10,
		`JSON {"name", "id_number", "bank_account", "village_code", "poor_household", "contract_from", "contract_to", "yearly_pay_yuan"}`); err != nil {
		return err
	}
	kr, err := s.keyring()
	if err != nil {
		return err
	}
	id, err := care.CreateRanger(r.Context(), s.pool, kr, principalOf(r), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": id})
	return nil
}

// rangers answers the roster: personal data masked, but for finance, who see it in clear and
// leave a pii.read audit row naming the rangers shown.
func (s *Server) rangers(w http.ResponseWriter, r *http.Request) error {
	kr, err := s.keyring()
	if err != nil {
		return err
	}
	list, err := care.Rangers(r.Context(), s.pool, kr)
	if err != nil {
		return err
	}
	masked := !mayUnmask(principalOf(r))
	ids := make([]int64, len(list))
	for i := range list {
		ids[i] = list[i].ID
		if masked {
			list[i].Mask()
		}
	}
	if !masked && len(list) > 0 {
		if err := audit.Record(r.Context(), s.pool, audit.Entry{Action: "pii.read", Entity: "ranger",
			Detail: map[string]any{"rangers": ids}}); err != nil {
			return err
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{"rangers": list, "masked": masked})
	return nil
}

// assignRanger puts a ranger on area {id} for a period.
func (s *Server) assignRanger(w http.ResponseWriter, r *http.Request) error {
	area, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || area <= 0 {
		return apperr.New(apperr.NotFound, "there is no care area %q", chi.URLParam(r, "id"))
	}
	var req care.AssignmentRequest
	if err := readWetlandBody(w, r, &req, 64<<10, `JSON {"ranger": 1, "from": "2026-01-01", "to": "2026-12-31"}`); err != nil {
		return err
	}
	id, err := care.Assign(r.Context(), s.pool, principalOf(r), area, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": id})
	return nil
}

// rangerID reads {id} as a ranger id.
func rangerID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, apperr.New(apperr.NotFound, "there is no ranger %q", chi.URLParam(r, "id"))
	}
	return id, nil
}

// uploadTrack stores a patrol track of ranger {id}: a GPX 1.1 file or a GeoJSON Feature with a
// LineString and "times", validated (time order, speed, inside the county).
func (s *Server) uploadTrack(w http.ResponseWriter, r *http.Request) error {
	ranger, err := rangerID(r)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, care.MaxTrackBytes))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return apperr.New(apperr.TooLarge, "the track is over %d MiB", care.MaxTrackBytes>>20)
	} else if err != nil {
		return apperr.Wrap(apperr.Invalid, err, "the request body could not be read")
	}
	t, err := care.CreateTrack(r.Context(), s.pool, principalOf(r), ranger, body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, t)
	return nil
}

// rangerMonth answers ranger {id}'s patrols in {month} (yyyy-mm) measured against the area.
func (s *Server) rangerMonth(w http.ResponseWriter, r *http.Request) error {
	ranger, err := rangerID(r)
	if err != nil {
		return err
	}
	rep, err := care.Month(r.Context(), s.pool, ranger, chi.URLParam(r, "month"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}
