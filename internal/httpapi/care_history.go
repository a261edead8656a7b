package httpapi

import (
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/care"
)

// careHistoryRoutes: an area's assignments, past and present (issue 16: "history kept").
func (s *Server) careHistoryRoutes(r chi.Router) {
	r.Get("/api/v1/care/areas/{id}/assignments", s.handle(s.careAreaHistory))
}

// careAreaHistory answers every assignment of area {id}, latest first.
func (s *Server) careAreaHistory(w http.ResponseWriter, r *http.Request) error {
	area, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || area <= 0 {
		return apperr.New(apperr.NotFound, "there is no care area %q", chi.URLParam(r, "id"))
	}
	h, err := care.History(r.Context(), s.pool, area)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, h)
	return nil
}
