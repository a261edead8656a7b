package httpapi

import (
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/audit"
	"github.com/wuyuan-forestry/ecocomp/internal/cases"
	"github.com/wuyuan-forestry/ecocomp/internal/subsidy"
)

func (s *Server) caseRoutes(r chi.Router) {
	r.Post("/api/v1/cases", s.handle(s.openCase))
	r.Get("/api/v1/cases", s.handle(s.listCases))
	r.Get("/api/v1/cases/{id}", s.handle(s.getCase))
	r.Post("/api/v1/cases/{id}/transitions", s.handle(s.moveCase))
	r.Post("/api/v1/cases/{id}/payments", s.handle(s.payCase))
	r.Post("/api/v1/cases/{id}/objections", s.handle(s.objectCase))
	r.Post("/api/v1/cases/{id}/objections/{oid}/resolution", s.handle(s.resolveObjection))
	r.Get("/api/v1/reserve", s.handle(s.reserve))
}

// whoOf is the signed-in person as the case workflow sees them.
func whoOf(r *http.Request) cases.Who {
	p := principalOf(r)
	return cases.Who{Actor: p.Actor, Roles: p.Roles}
}

// caseID is the {id} of a case route; anything else is no case at all.
func caseID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, name), 10, 64)
	if err != nil || id <= 0 {
		return 0, apperr.New(apperr.NotFound, "there is no case %q", chi.URLParam(r, name))
	}
	return id, nil
}

// writeCase answers the case as it now stands. A finance reader sees the owner's name in clear,
// and that read is audited.
func (s *Server) writeCase(w http.ResponseWriter, r *http.Request, id int64, status int) error {
	who := whoOf(r)
	unmask := cases.MayUnmask(who)
	c, err := cases.Get(r.Context(), s.pool, who, id, unmask)
	if err != nil {
		return err
	}
	if unmask {
		if err := audit.Record(r.Context(), s.pool, audit.Entry{Action: "pii.read", Entity: "buyout_case", EntityID: c.Number,
			Detail: map[string]any{"fields": []string{"owner"}, "owner": c.Owner.ID}}); err != nil {
			return err
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, status, c)
	return nil
}

// openCase opens a case for an owner's parcels.
func (s *Server) openCase(w http.ResponseWriter, r *http.Request) error {
	var req cases.OpenRequest
	if err := readSmallJSON(w, r, &req, `JSON {"mode": "buyout", "parcels": ["…"], "counterpart": ["…"], "note": "…"}`); err != nil {
		return err
	}
	id, err := cases.Open(r.Context(), s.pool, whoOf(r), req)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/cases/"+strconv.FormatInt(id, 10))
	return s.writeCase(w, r, id, http.StatusCreated)
}

// listCases lists cases with filters and the count per status.
func (s *Server) listCases(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := onlyParams(q, "status", "mode", "township", "parcel", "format", "masked"); err != nil {
		return err
	}
	// masked=true: finance asks for the list without names (a panel that shows no owner), so no
	// read of personal data takes place or is audited.
	wantMasked, err := boolParam(q, "masked")
	if err != nil {
		return err
	}
	var f cases.Filter
	for _, p := range []struct {
		name string
		dst  *string
	}{{"status", &f.Status}, {"mode", &f.Mode}, {"township", &f.Township}, {"parcel", &f.Parcel}} {
		v, _, err := single(q, p.name)
		if err != nil {
			return err
		}
		*p.dst = v
	}
	format, _, err := single(q, "format")
	if err != nil {
		return err
	}
	if format != "" && format != "json" && format != "xlsx" {
		return apperr.BadParam("format", "%q is not offered; use json or xlsx", format)
	}
	unmask := cases.MayUnmask(whoOf(r)) && !wantMasked
	list, counts, err := cases.List(r.Context(), s.pool, f, unmask)
	if err != nil {
		return err
	}
	if unmask && len(list) > 0 {
		if err := audit.Record(r.Context(), s.pool, audit.Entry{Action: "pii.read", Entity: "buyout_case",
			Detail: map[string]any{"fields": []string{"owner"}, "cases": len(list)}}); err != nil {
			return err
		}
	}
	if format == "xlsx" {
		return writeCaseList(w, list, counts, !unmask)
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{"cases": list, "counts": counts, "masked": !unmask})
	return nil
}

func (s *Server) getCase(w http.ResponseWriter, r *http.Request) error {
	if err := onlyParams(r.URL.Query()); err != nil {
		return err
	}
	id, err := caseID(r, "id")
	if err != nil {
		return err
	}
	return s.writeCase(w, r, id, http.StatusOK)
}

// moveCase takes one step of a case: {"to": STATE, "version": N, …what the step records}.
func (s *Server) moveCase(w http.ResponseWriter, r *http.Request) error {
	id, err := caseID(r, "id")
	if err != nil {
		return err
	}
	var req cases.TransitionRequest
	if err := readSmallJSON(w, r, &req, `JSON {"to": "verified", "version": 1, …}`); err != nil {
		return err
	}
	if err := cases.Transition(r.Context(), s.pool, whoOf(r), id, req); err != nil {
		return err
	}
	return s.writeCase(w, r, id, http.StatusOK)
}

// payCase records a payment (finance).
func (s *Server) payCase(w http.ResponseWriter, r *http.Request) error {
	id, err := caseID(r, "id")
	if err != nil {
		return err
	}
	var req cases.PaymentRequest
	if err := readSmallJSON(w, r, &req, `JSON {"amount_yuan": "1000.00", "paid_on": "2026-12-01", "voucher": "…"}`); err != nil {
		return err
	}
	if _, err := cases.Pay(r.Context(), s.pool, whoOf(r), id, req); err != nil {
		return err
	}
	return s.writeCase(w, r, id, http.StatusCreated)
}

// objectCase records an objection raised during the public notice.
func (s *Server) objectCase(w http.ResponseWriter, r *http.Request) error {
	id, err := caseID(r, "id")
	if err != nil {
		return err
	}
	var req cases.ObjectionRequest
	if err := readSmallJSON(w, r, &req, `JSON {"version": 4, "raised_by": "…", "text": "…"}`); err != nil {
		return err
	}
	if _, err := cases.Object(r.Context(), s.pool, whoOf(r), id, req); err != nil {
		return err
	}
	return s.writeCase(w, r, id, http.StatusCreated)
}

// resolveObjection records how an objection was resolved.
func (s *Server) resolveObjection(w http.ResponseWriter, r *http.Request) error {
	id, err := caseID(r, "id")
	if err != nil {
		return err
	}
	oid, err := caseID(r, "oid")
	if err != nil {
		return err
	}
	var req cases.ObjectionRequest
	if err := readSmallJSON(w, r, &req, `JSON {"version": 5, "resolution": "…"}`); err != nil {
		return err
	}
	if err := cases.Resolve(r.Context(), s.pool, whoOf(r), id, oid, req); err != nil {
		return err
	}
	return s.writeCase(w, r, id, http.StatusOK)
}

// reserve lists the forest the county's reserve holds.
func (s *Server) reserve(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := onlyParams(q, "format"); err != nil {
		return err
	}
	switch format, _, err := single(q, "format"); {
	case err != nil:
		return err
	case format == "geojson":
		b, err := cases.ReserveGeoJSON(r.Context(), s.pool)
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/geo+json")
		_, _ = w.Write(b)
		return nil
	case format != "" && format != "json":
		return apperr.BadParam("format", "%q is not offered; use json or geojson (the map layer)", format)
	}
	list, cost, holder, err := cases.Reserve(r.Context(), s.pool)
	if err != nil {
		return err
	}
	var centimu int64
	for _, h := range list {
		centimu += int64(h.AreaMu)
	}
	writeJSON(w, http.StatusOK, map[string]any{"holder": holder, "parcels": list, "count": len(list),
		"area_mu": subsidy.CentiMu(centimu), "cost_yuan": cost})
	return nil
}
