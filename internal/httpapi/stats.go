package httpapi

import (
	"bytes"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/stats"
)

// statsRoutes serves the inventory statistics (internal/stats). They are reads like the parcels
// (aggregates, no personal data): signed-in users, and anonymous callers while reading is
// public. Tables are cached in this server's memory (stats.Cache: valid while the import
// batches are unchanged).
func (s *Server) statsRoutes(r chi.Router) {
	cache := stats.NewCache(512)
	r.Get("/api/v1/stats", s.handle(s.statsList))
	r.Get("/api/v1/stats/change", s.handle(s.statsChange))
	r.Get("/api/v1/stats/{table}", s.handle(func(w http.ResponseWriter, r *http.Request) error { return s.statsTable(w, r, cache) }))
}

type statsListEntry struct {
	stats.Info
	Href string `json:"href"`
}

func (s *Server) statsList(w http.ResponseWriter, r *http.Request) error {
	if err := onlyParams(r.URL.Query()); err != nil {
		return err
	}
	var list []statsListEntry
	for _, t := range stats.Tables() {
		list = append(list, statsListEntry{Info: t, Href: "/api/v1/stats/" + t.Table})
	}
	writeJSON(w, http.StatusOK, map[string]any{"tables": list, "change": map[string]string{"href": "/api/v1/stats/change"},
		"layout_note": stats.LayoutNote})
	return nil
}

// statsUnit reads the unit parameter (default: the county).
func (s *Server) statsUnit(r *http.Request) (stats.Unit, error) {
	code, given, err := single(r.URL.Query(), "unit")
	if err != nil {
		return stats.Unit{}, err
	}
	if !given || strings.TrimSpace(code) == "" {
		return stats.County(r.Context(), s.pool)
	}
	u, err := stats.FindUnit(r.Context(), s.pool, code)
	if apperr.CodeOf(err) == apperr.NotFound {
		// A unit that does not exist is the parameter's fault, not the table's.
		return u, apperr.BadParam("unit", "there is no administrative unit %q: give the county (6 digits), a township (9) or a village (12) code, e.g. from GET /api/v1/townships", code)
	}
	return u, err
}

func statsFormat(r *http.Request, offered ...string) (string, error) {
	f, _, err := single(r.URL.Query(), "format")
	if err != nil {
		return "", err
	}
	if f == "" {
		return "json", nil
	}
	for _, o := range offered {
		if f == o {
			return f, nil
		}
	}
	return "", apperr.BadParam("format", "%q is not offered; use %s", f, strings.Join(offered, ", "))
}

func statsInstant(r *http.Request, name string, required bool) (time.Time, string, error) {
	v, given, err := single(r.URL.Query(), name)
	if err != nil {
		return time.Time{}, "", err
	}
	if required && (!given || strings.TrimSpace(v) == "") {
		return time.Time{}, "", apperr.BadParam(name, "missing; give a county calendar day YYYY-MM-DD, e.g. %s=2025-12-31", name)
	}
	t, err := stats.ParseAsOf(name, v, time.Now())
	return t, strings.TrimSpace(v), err
}

func (s *Server) statsTable(w http.ResponseWriter, r *http.Request, cache *stats.Cache) error {
	if err := onlyParams(r.URL.Query(), "unit", "as_of", "format"); err != nil {
		return err
	}
	format, err := statsFormat(r, "json", "xlsx")
	if err != nil {
		return err
	}
	at, atText, err := statsInstant(r, "as_of", false)
	if err != nil {
		return err
	}
	unit, err := s.statsUnit(r)
	if err != nil {
		return err
	}
	t, _, err := cache.Table(r.Context(), s.pool, chi.URLParam(r, "table"), unit, at, atText)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	if format == "xlsx" {
		var buf bytes.Buffer
		if err := t.WriteXLSX(&buf); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		w.Header().Set("Content-Disposition", attachment(t.Table+"-"+unit.Code+"-"+t.AsOf+".xlsx"))
		_, err := w.Write(buf.Bytes())
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

func (s *Server) statsChange(w http.ResponseWriter, r *http.Request) error {
	if err := onlyParams(r.URL.Query(), "from", "to", "unit", "format"); err != nil {
		return err
	}
	format, err := statsFormat(r, "json", "xlsx", "geojson")
	if err != nil {
		return err
	}
	from, fromText, err := statsInstant(r, "from", true)
	if err != nil {
		return err
	}
	to, toText, err := statsInstant(r, "to", false)
	if err != nil {
		return err
	}
	unit, err := s.statsUnit(r)
	if err != nil {
		return err
	}
	c, err := stats.ComputeChange(r.Context(), s.pool, unit, from, to, fromText, toText, format == "geojson")
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	name := "change-" + unit.Code + "-" + c.From + "-" + c.To
	switch format {
	case "xlsx":
		var buf bytes.Buffer
		if err := c.WriteXLSX(&buf); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		w.Header().Set("Content-Disposition", attachment(name+".xlsx"))
		_, err := w.Write(buf.Bytes())
		return err
	case "geojson":
		b, err := c.GeoJSON()
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/geo+json")
		_, err = w.Write(b)
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}
