package httpapi

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"
)

func (s *Server) townshipRoutes(r chi.Router) {
	r.Get("/api/v1/townships", s.handle(s.townships))
}

// township is one township of the administrative units, as the map's township lists show it.
type township struct {
	Code       string `json:"code"`
	Name       string `json:"name"`
	CountyCode string `json:"county_code"`
}

// townships answers every township, by code: what the map's export and roll offer to filter
// by, whatever part of the county the map has loaded.
func (s *Server) townships(w http.ResponseWriter, r *http.Request) error {
	rows, err := s.pool.Query(r.Context(), `SELECT code, name, parent_code FROM admin_unit WHERE level = 'township' ORDER BY code`)
	if err != nil {
		return err
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[township])
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"townships": list})
	return nil
}
