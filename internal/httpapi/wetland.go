package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/auth"
	"github.com/wuyuan-forestry/ecocomp/internal/wetland"
	"github.com/wuyuan-forestry/ecocomp/internal/zonecheck"
)

func (s *Server) wetlandRoutes(r chi.Router) {
	project, debit := s.writeWetlandProject, s.writeWetlandDebit
	r.Get("/api/v1/wetland/patches", s.handle(s.wetlandPatches))
	r.Post("/api/v1/wetland/projects", s.handle(wetlandCreate(s, "/api/v1/wetland/projects/", project, wetland.CreateProject,
		`JSON {"name", "kind", "sponsor", "baseline", "geometry": <GeoJSON Polygon>}`)))
	r.Get("/api/v1/wetland/projects", s.handle(s.wetlandList("projects", "status", func(ctx context.Context, status string) (any, int, error) {
		list, err := wetland.Projects(ctx, s.pool, status)
		return list, len(list), err
	})))
	r.Get("/api/v1/wetland/projects/{id}", s.handle(s.wetlandGet("project", project)))
	r.Post("/api/v1/wetland/projects/{id}/transitions", s.handle(wetlandStep(s, "project", http.StatusOK, project, wetland.TransitionProject,
		`JSON {"to": "approved", "version": 1}`)))
	r.Post("/api/v1/wetland/projects/{id}/releases", s.handle(wetlandStep(s, "project", http.StatusCreated, project, dropID(wetland.ReleaseCredits),
		`JSON {"milestone": "as_built", "verified_on": "2026-05-01", "verifier": "…", "evidence": "…"}`)))
	r.Post("/api/v1/wetland/projects/{id}/corrections", s.handle(wetlandStep(s, "project", http.StatusCreated, project, wetland.Correct,
		`JSON {"bucket": "issued", "credits": "-1.00", "reason": "…"}`)))
	r.Post("/api/v1/wetland/debits", s.handle(wetlandCreate(s, "/api/v1/wetland/debits/", debit, wetland.OpenDebit,
		`JSON {"applicant", "purpose", "activity": "wetland_occupation", "geometry": <GeoJSON Polygon>}`)))
	r.Get("/api/v1/wetland/debits", s.handle(s.wetlandList("debits", "applicant", func(ctx context.Context, applicant string) (any, int, error) {
		list, err := wetland.Debits(ctx, s.pool, applicant)
		return list, len(list), err
	})))
	r.Get("/api/v1/wetland/debits/{id}", s.handle(s.wetlandGet("debit", debit)))
	r.Post("/api/v1/wetland/debits/{id}/sales", s.handle(wetlandStep(s, "debit", http.StatusCreated, debit, dropID(wetland.Sell),
		`JSON {"lines": [{"project": 1, "credits": "1.00"}], "price_yuan_per_credit": "90000.00", "appraiser": "…", "appraised_on": "2026-05-01", "appraisal_report": "…", "voucher": "…"}`)))
	r.Get("/api/v1/wetland/ledger", s.handle(s.wetlandLedger))
	r.Get("/api/v1/wetland/balance", s.handle(s.wetlandBalance))
}

// wetlandWriter answers a project or debit as it now stands, with a status.
type wetlandWriter func(w http.ResponseWriter, r *http.Request, id int64, status int) error

// wetlandCreate answers a post that creates a project or debit: the body (at most the zone
// check's 5 MB: it holds a footprint) decoded into a Req, then 201 with its Location.
func wetlandCreate[Req any](s *Server, base string, write wetlandWriter, do func(context.Context, *pgxpool.Pool, auth.Principal, Req) (int64, error), shape string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var req Req
		if err := readWetlandBody(w, r, &req, zonecheck.MaxBytes, shape); err != nil {
			return err
		}
		id, err := do(r.Context(), s.pool, principalOf(r), req)
		if err != nil {
			return err
		}
		w.Header().Set("Location", base+strconv.FormatInt(id, 10))
		return write(w, r, id, http.StatusCreated)
	}
}

// wetlandStep answers a post on the project or debit {id} (what): the body (at most 64 KiB)
// decoded into a Req, then the project or debit as the step left it.
func wetlandStep[Req any](s *Server, what string, status int, write wetlandWriter, do func(context.Context, *pgxpool.Pool, auth.Principal, int64, Req) error, shape string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := wetlandID(r, what)
		if err != nil {
			return err
		}
		var req Req
		if err := readWetlandBody(w, r, &req, 64<<10, shape); err != nil {
			return err
		}
		if err := do(r.Context(), s.pool, principalOf(r), id, req); err != nil {
			return err
		}
		return write(w, r, id, status)
	}
}

// dropID adapts a step that also returns the row it wrote (a release, a sale).
func dropID[Req any](f func(context.Context, *pgxpool.Pool, auth.Principal, int64, Req) (int64, error)) func(context.Context, *pgxpool.Pool, auth.Principal, int64, Req) error {
	return func(ctx context.Context, pool *pgxpool.Pool, p auth.Principal, id int64, req Req) error {
		_, err := f(ctx, pool, p, id, req)
		return err
	}
}

// wetlandID is the {id} of a wetland route.
func wetlandID(r *http.Request, what string) (int64, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, apperr.New(apperr.NotFound, "there is no wetland %s %q", what, chi.URLParam(r, "id"))
	}
	return id, nil
}

// readWetlandBody decodes a JSON body of at most max bytes into v, refusing unknown fields.
func readWetlandBody(w http.ResponseWriter, r *http.Request, v any, max int64, shape string) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return apperr.New(apperr.TooLarge, "the body is over %d KiB; send %s", max>>10, shape)
	} else if err != nil {
		return apperr.Wrap(apperr.Invalid, err, "the request body could not be read")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if ae := (*apperr.Error)(nil); errors.As(err, &ae) {
			return ae
		}
		return apperr.New(apperr.Invalid, "the body is not %s: %v", shape, err)
	}
	if dec.More() {
		return apperr.New(apperr.Invalid, "the body holds more than %s", shape)
	}
	return nil
}

// wetlandFormat reads ?format= among the offered ones ("" is the first).
func wetlandFormat(r *http.Request, offered ...string) (string, error) {
	f, _, err := single(r.URL.Query(), "format")
	if err != nil {
		return "", err
	}
	if f == "" {
		return offered[0], nil
	}
	for _, o := range offered {
		if f == o {
			return f, nil
		}
	}
	return "", apperr.BadParam("format", "%q is not offered here; use %v", f, offered)
}

func writeWetlandGeoJSON(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", "application/geo+json")
	_, _ = w.Write(b)
}

// wetlandList answers a list route: its map layer with ?format=geojson, otherwise
// {"<layer>": [...], "count": n} as list reads it, filtered by the one parameter it accepts.
func (s *Server) wetlandList(layer, param string, list func(context.Context, string) (any, int, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		if err := onlyParams(q, param, "format"); err != nil {
			return err
		}
		f, err := wetlandFormat(r, "json", "geojson")
		if err != nil {
			return err
		}
		if f == "geojson" {
			b, err := wetland.Layer(r.Context(), s.pool, layer)
			if err != nil {
				return err
			}
			writeWetlandGeoJSON(w, b)
			return nil
		}
		filter, _, err := single(q, param)
		if err != nil {
			return err
		}
		items, n, err := list(r.Context(), filter)
		if err != nil {
			return err
		}
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, http.StatusOK, map[string]any{layer: items, "count": n})
		return nil
	}
}

// wetlandGet answers one project or debit.
func (s *Server) wetlandGet(what string, write wetlandWriter) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := onlyParams(r.URL.Query()); err != nil {
			return err
		}
		id, err := wetlandID(r, what)
		if err != nil {
			return err
		}
		return write(w, r, id, http.StatusOK)
	}
}

// wetlandPatches is the wetland inventory as a map layer.
func (s *Server) wetlandPatches(w http.ResponseWriter, r *http.Request) error {
	if err := onlyParams(r.URL.Query(), "format"); err != nil {
		return err
	}
	if _, err := wetlandFormat(r, "geojson"); err != nil {
		return err
	}
	b, err := wetland.Layer(r.Context(), s.pool, "patches")
	if err != nil {
		return err
	}
	writeWetlandGeoJSON(w, b)
	return nil
}

func (s *Server) writeWetlandProject(w http.ResponseWriter, r *http.Request, id int64, status int) error {
	p, err := wetland.GetProject(r.Context(), s.pool, id)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, status, p)
	return nil
}

func (s *Server) writeWetlandDebit(w http.ResponseWriter, r *http.Request, id int64, status int) error {
	d, err := wetland.GetDebit(r.Context(), s.pool, id)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, status, d)
	return nil
}

// wetlandLedger is the statement of a project (?project=), of a buyer (?buyer=) or of the whole
// ledger, as JSON or as an xlsx workbook.
func (s *Server) wetlandLedger(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := onlyParams(q, "project", "buyer", "format"); err != nil {
		return err
	}
	f, err := wetlandFormat(r, "json", "xlsx")
	if err != nil {
		return err
	}
	project, err := wetlandOptionalID(q.Get("project"), "project")
	if err != nil {
		return err
	}
	buyer, _, err := single(q, "buyer")
	if err != nil {
		return err
	}
	if project > 0 && buyer != "" {
		return apperr.BadParam("buyer", "give project or buyer, not both")
	}
	st, err := wetland.StatementOf(r.Context(), s.pool, project, buyer)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	if f == "xlsx" {
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		w.Header().Set("Content-Disposition", `attachment; filename="wetland-ledger.xlsx"`)
		return wetland.WriteXLSX(w, st)
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

// wetlandBalance is the balance sheet of every project (or ?project=).
func (s *Server) wetlandBalance(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := onlyParams(q, "project"); err != nil {
		return err
	}
	project, err := wetlandOptionalID(q.Get("project"), "project")
	if err != nil {
		return err
	}
	sheet, err := wetland.Balances(r.Context(), s.pool, project)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, sheet)
	return nil
}

func wetlandOptionalID(v, param string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, apperr.BadParam(param, "%q is not a %s id", v, param)
	}
	return id, nil
}
