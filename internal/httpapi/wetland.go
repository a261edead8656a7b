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

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/wetland"
	"github.com/wuyuan-forestry/ecocomp/internal/zonecheck"
)

func (s *Server) wetlandRoutes(r chi.Router) {
	r.Get("/api/v1/wetland/patches", s.handle(s.wetlandPatches))
	r.Post("/api/v1/wetland/projects", s.handle(s.proposeWetlandProject))
	r.Get("/api/v1/wetland/projects", s.handle(s.wetlandList("projects", "status", func(ctx context.Context, status string) (any, int, error) {
		list, err := wetland.Projects(ctx, s.pool, status)
		return list, len(list), err
	})))
	r.Get("/api/v1/wetland/projects/{id}", s.handle(s.wetlandGet("project", s.writeWetlandProject)))
	r.Post("/api/v1/wetland/projects/{id}/transitions", s.handle(s.moveWetlandProject))
	r.Post("/api/v1/wetland/projects/{id}/releases", s.handle(s.releaseWetlandCredits))
	r.Post("/api/v1/wetland/projects/{id}/corrections", s.handle(s.correctWetlandProject))
	r.Post("/api/v1/wetland/debits", s.handle(s.openWetlandDebit))
	r.Get("/api/v1/wetland/debits", s.handle(s.wetlandList("debits", "applicant", func(ctx context.Context, applicant string) (any, int, error) {
		list, err := wetland.Debits(ctx, s.pool, applicant)
		return list, len(list), err
	})))
	r.Get("/api/v1/wetland/debits/{id}", s.handle(s.wetlandGet("debit", s.writeWetlandDebit)))
	r.Post("/api/v1/wetland/debits/{id}/sales", s.handle(s.sellWetlandCredits))
	r.Get("/api/v1/wetland/ledger", s.handle(s.wetlandLedger))
	r.Get("/api/v1/wetland/balance", s.handle(s.wetlandBalance))
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
func (s *Server) wetlandGet(what string, write func(http.ResponseWriter, *http.Request, int64, int) error) handlerFunc {
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

// proposeWetlandProject proposes a credit project.
func (s *Server) proposeWetlandProject(w http.ResponseWriter, r *http.Request) error {
	var req wetland.ProjectRequest
	if err := readWetlandBody(w, r, &req, zonecheck.MaxBytes, `JSON {"name", "kind", "sponsor", "baseline", "geometry": <GeoJSON Polygon>}`); err != nil {
		return err
	}
	id, err := wetland.CreateProject(r.Context(), s.pool, principalOf(r), req)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/wetland/projects/"+strconv.FormatInt(id, 10))
	return s.writeWetlandProject(w, r, id, http.StatusCreated)
}

// moveWetlandProject approves or rejects a proposed project: {"to": "approved", "version": 1}.
func (s *Server) moveWetlandProject(w http.ResponseWriter, r *http.Request) error {
	id, err := wetlandID(r, "project")
	if err != nil {
		return err
	}
	var req wetland.TransitionRequest
	if err := readSmallJSON(w, r, &req, `JSON {"to": "approved", "version": 1}`); err != nil {
		return err
	}
	if err := wetland.TransitionProject(r.Context(), s.pool, principalOf(r), id, req); err != nil {
		return err
	}
	return s.writeWetlandProject(w, r, id, http.StatusOK)
}

// releaseWetlandCredits releases credits against a milestone.
func (s *Server) releaseWetlandCredits(w http.ResponseWriter, r *http.Request) error {
	id, err := wetlandID(r, "project")
	if err != nil {
		return err
	}
	var req wetland.ReleaseRequest
	if err := readWetlandBody(w, r, &req, 64<<10, `JSON {"milestone": "as_built", "verified_on": "2026-05-01", "verifier": "…", "evidence": "…"}`); err != nil {
		return err
	}
	if _, err := wetland.ReleaseCredits(r.Context(), s.pool, principalOf(r), id, req); err != nil {
		return err
	}
	return s.writeWetlandProject(w, r, id, http.StatusCreated)
}

// correctWetlandProject records a correcting entry (administrators).
func (s *Server) correctWetlandProject(w http.ResponseWriter, r *http.Request) error {
	id, err := wetlandID(r, "project")
	if err != nil {
		return err
	}
	var req wetland.CorrectionRequest
	if err := readWetlandBody(w, r, &req, 64<<10, `JSON {"bucket": "issued", "credits": "-1.00", "reason": "…"}`); err != nil {
		return err
	}
	if err := wetland.Correct(r.Context(), s.pool, principalOf(r), id, req); err != nil {
		return err
	}
	return s.writeWetlandProject(w, r, id, http.StatusCreated)
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

// openWetlandDebit opens a debit from an application's footprint.
func (s *Server) openWetlandDebit(w http.ResponseWriter, r *http.Request) error {
	var req wetland.DebitRequest
	if err := readWetlandBody(w, r, &req, zonecheck.MaxBytes, `JSON {"applicant", "purpose", "activity": "wetland_occupation", "geometry": <GeoJSON Polygon>}`); err != nil {
		return err
	}
	id, err := wetland.OpenDebit(r.Context(), s.pool, principalOf(r), req)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/wetland/debits/"+strconv.FormatInt(id, 10))
	return s.writeWetlandDebit(w, r, id, http.StatusCreated)
}

// sellWetlandCredits records a sale settling a debit (finance).
func (s *Server) sellWetlandCredits(w http.ResponseWriter, r *http.Request) error {
	id, err := wetlandID(r, "debit")
	if err != nil {
		return err
	}
	var req wetland.SaleRequest
	if err := readWetlandBody(w, r, &req, 64<<10, `JSON {"lines": [{"project": 1, "credits": "1.00"}], "price_yuan_per_credit": "90000.00", "appraiser": "…", "appraised_on": "2026-05-01", "appraisal_report": "…", "voucher": "…"}`); err != nil {
		return err
	}
	if _, err := wetland.Sell(r.Context(), s.pool, principalOf(r), id, req); err != nil {
		return err
	}
	return s.writeWetlandDebit(w, r, id, http.StatusCreated)
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
