package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/overview"
)

// overviewRoutes is the compensation overview (issue 17, point 3).
func (s *Server) overviewRoutes(r chi.Router) {
	r.Get("/api/v1/stats/overview", s.handle(s.compensationOverview))
}

// compensationOverview answers the overview of ?unit= (the county when absent) for ?year= (this
// year when absent), as JSON or xlsx.
func (s *Server) compensationOverview(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := onlyParams(q, "year", "unit", "format"); err != nil {
		return err
	}
	f, err := wetlandFormat(r, "json", "xlsx")
	if err != nil {
		return err
	}
	year := time.Now().Year()
	if v, ok, err := single(q, "year"); err != nil {
		return err
	} else if ok {
		if year, err = strconv.Atoi(v); err != nil {
			return apperr.BadParam("year", "%q is not a year such as 2026", v)
		}
	}
	unit, _, err := single(q, "unit")
	if err != nil {
		return err
	}
	o, err := overview.Load(r.Context(), s.pool, year, unit)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	if f == "xlsx" {
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		w.Header().Set("Content-Disposition", `attachment; filename="overview-`+o.Unit.Code+`-`+strconv.Itoa(year)+`.xlsx"`)
		return overview.WriteXLSX(w, o)
	}
	writeJSON(w, http.StatusOK, o)
	return nil
}
