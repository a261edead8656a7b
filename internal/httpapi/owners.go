package httpapi

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/audit"
	"github.com/wuyuan-forestry/ecocomp/internal/owners"
	"github.com/wuyuan-forestry/ecocomp/internal/pii"
)

func (s *Server) ownerRoutes(r chi.Router) {
	r.Post("/api/v1/owners/search", s.handle(s.searchOwners))
}

// searchOwners finds owners by exact ID number. The number travels in the body, never in a URL
// that proxies and access logs keep. Finance sees the owners in clear; case officers and
// administrators masked. Every search is audited (the searcher typed a full ID number), without
// the number itself.
func (s *Server) searchOwners(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		IDNumber string `json:"id_number"`
	}
	if err := readSmallJSON(w, r, &body, `JSON {"id_number": "…"}`); err != nil {
		return err
	}
	kr, err := s.keyring()
	if err != nil {
		return err
	}
	found, err := owners.FindByIDNumber(r.Context(), s.pool, kr, body.IDNumber)
	if err != nil && apperr.CodeOf(err) != apperr.NotFound {
		return err
	}
	masked := !mayUnmask(principalOf(r))
	ids := make([]int64, len(found))
	for i := range found {
		ids[i] = found[i].ID
		if masked {
			o := &found[i]
			if pii.IsPerson(o.Kind) {
				o.Name = pii.MaskName(o.Name)
			}
			o.IDNumber, o.BankAccount, o.Phone = pii.MaskIDNumber(o.IDNumber), pii.MaskAccount(o.BankAccount), pii.MaskAccount(o.Phone)
		}
	}
	action := "pii.search"
	if !masked && len(found) > 0 {
		action = "pii.read"
	}
	if err := audit.Record(r.Context(), s.pool, audit.Entry{Action: action, Entity: "owner",
		Detail: map[string]any{"found": ids, "masked": masked}}); err != nil {
		return err
	}
	if found == nil {
		found = []owners.Owner{}
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{"owners": found, "masked": masked})
	return nil
}
