package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/audit"
	"github.com/wuyuan-forestry/ecocomp/internal/eligibility"
	"github.com/wuyuan-forestry/ecocomp/internal/facts"
	"github.com/wuyuan-forestry/ecocomp/internal/policy"
	"github.com/wuyuan-forestry/ecocomp/internal/subsidy"
	"github.com/wuyuan-forestry/ecocomp/internal/wetland"
	"github.com/wuyuan-forestry/ecocomp/internal/zonecheck"
)

// china is the county's clock: a date means that calendar day in Beijing time.
var china = time.FixedZone("CST", 8*3600)

func (s *Server) compensationRoutes(r chi.Router) {
	r.Get("/api/v1/parcels/{code}/eligibility", s.handle(s.eligibility))
	r.Get("/api/v1/parcels/{code}/subsidies", s.handle(s.subsidies))
	r.Post("/api/v1/zone-check", s.handle(s.zoneCheck))
	r.Get("/api/v1/subsidy-roll", s.handle(s.subsidyRoll))
}

// parseDate reads a YYYY-MM-DD parameter as the end of that day in Beijing time.
func parseDate(q map[string][]string, name string, def time.Time) (time.Time, error) {
	vs, ok := q[name]
	if !ok {
		return def, nil
	}
	d, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(vs[0]), china)
	if err != nil {
		return def, apperr.BadParam(name, "%q is not a date; write YYYY-MM-DD, e.g. 2026-06-30", vs[0])
	}
	return d.Add(24*time.Hour - time.Nanosecond), nil
}

func parseYear(q map[string][]string, def int) (int, error) {
	vs, ok := q["year"]
	if !ok {
		return def, nil
	}
	y, err := strconv.Atoi(strings.TrimSpace(vs[0]))
	if err != nil || y < 2000 || y > 2100 {
		return 0, apperr.BadParam("year", "%q is not a year such as 2026", vs[0])
	}
	return y, nil
}

type eligibilityResponse struct {
	eligibility.Result
	AsOf          string      `json:"as_of"`
	ParcelVersion interface{} `json:"parcel_version"`
	EstimateYuan  *policy.Fen `json:"estimate_yuan"`
	PolicyVersion string      `json:"policy_version"`
	PolicyYear    int         `json:"policy_year"`
}

// eligibility answers whether a parcel is a buyout candidate, rule by rule, for the parcel
// version and the policy in force on as_of (default today).
func (s *Server) eligibility(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := onlyParams(q, "as_of"); err != nil {
		return err
	}
	asOf, err := parseDate(q, "as_of", time.Now().In(china))
	if err != nil {
		return err
	}
	code := chi.URLParam(r, "code")
	p, err := facts.AsOf(r.Context(), s.pool, code, asOf)
	if err != nil {
		return err
	}
	pol, _, err := policy.InForce(r.Context(), s.pool, asOf)
	if err != nil {
		if apperr.CodeOf(err) == apperr.NotFound {
			return apperr.New(apperr.NotFound, "no policy was in force on %s; load one with `ecocomp policy load`", asOf.In(china).Format("2006-01-02"))
		}
		return err
	}
	res := eligibility.Evaluate(pol, p)
	out := eligibilityResponse{Result: res, AsOf: asOf.In(china).Format("2006-01-02"), PolicyVersion: pol.Version, PolicyYear: pol.Year,
		ParcelVersion: map[string]any{"id": p.ID, "valid_from": p.ValidFrom.In(china)}}
	if res.Estimate != nil {
		out.EstimateYuan = &res.Estimate.Total
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// subsidies answers the subsidy lines of a parcel for a year, under that year's policy.
func (s *Server) subsidies(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := onlyParams(q, "year"); err != nil {
		return err
	}
	year, err := parseYear(q, time.Now().In(china).Year())
	if err != nil {
		return err
	}
	pol, _, err := policy.ByYear(r.Context(), s.pool, year)
	if err != nil {
		if apperr.CodeOf(err) == apperr.NotFound {
			return apperr.New(apperr.NotFound, "no policy is loaded for %d; load one with `ecocomp policy load`", year)
		}
		return err
	}
	// The parcel as it stood at the end of the year, or now for the current year.
	asOf := time.Date(year, 12, 31, 23, 59, 59, 0, china)
	if now := time.Now(); now.Before(asOf) {
		asOf = now
	}
	p, err := facts.AsOf(r.Context(), s.pool, chi.URLParam(r, "code"), asOf)
	if err != nil {
		return err
	}
	lines := subsidy.Lines(pol, p)
	if lines == nil {
		lines = []subsidy.Line{}
	}
	total, owner, retained := subsidy.Totals(lines)
	writeJSON(w, http.StatusOK, map[string]any{
		"code": p.Code, "year": year, "policy_version": pol.Version, "legal_area_mu": subsidy.CentiMu(p.LegalCentiMu()),
		"lines": lines, "total_yuan": total, "owner_total_yuan": owner, "county_retained_total_yuan": retained,
	})
	return nil
}

// zoneCheck evaluates a planned footprint and activity against every zone it touches.
func (s *Server) zoneCheck(w http.ResponseWriter, r *http.Request) error {
	if err := onlyParams(r.URL.Query()); err != nil {
		return err
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, zonecheck.MaxBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return apperr.New(apperr.TooLarge, "the request body is over %d MB; simplify the footprint", zonecheck.MaxBytes>>20)
		}
		return apperr.Wrap(apperr.Invalid, err, "the request body could not be read")
	}
	var req zonecheck.Request
	if err := json.Unmarshal(body, &req); err != nil {
		return apperr.New(apperr.Invalid, `the body is not JSON of the form {"geometry": <GeoJSON Polygon>, "activity": "construction"}: %v`, err)
	}
	pol, _, err := policy.InForce(r.Context(), s.pool, time.Now())
	if err != nil {
		return err
	}
	if req.Activity == "" {
		return apperr.New(apperr.Invalid, "the body has no activity; the known activities are %s", strings.Join(pol.Activities(), ", "))
	}
	if _, ok := pol.Activity(req.Activity); !ok {
		return apperr.New(apperr.Invalid, "unknown activity %q; the known activities are %s", req.Activity, strings.Join(pol.Activities(), ", "))
	}
	mp, err := zonecheck.Parse(req.Geometry)
	if err != nil {
		return err
	}
	res, err := zonecheck.Check(r.Context(), s.pool, pol, mp, req.Activity)
	if err != nil {
		return err
	}
	if res.Wetland, err = wetland.Assess(r.Context(), s.pool, pol, req.Geometry, req.Activity); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// subsidyRoll answers the disbursement roll as JSON, CSV or XLSX. Owners' names, ID numbers and
// accounts are masked unless the caller holds the finance role (and did not ask for masked=true);
// an unmasked roll is audited before a byte of it is sent.
func (s *Server) subsidyRoll(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if err := onlyParams(q, "year", "township", "format", "masked"); err != nil {
		return err
	}
	wantMasked, err := boolParam(q, "masked")
	if err != nil {
		return err
	}
	year, err := parseYear(q, time.Now().In(china).Year())
	if err != nil {
		return err
	}
	township, _, err := single(q, "township")
	if err != nil {
		return err
	}
	format, _, err := single(q, "format")
	if err != nil {
		return err
	}
	if format == "" {
		format = "json"
	}
	if format != "json" && format != "csv" && format != "xlsx" {
		return apperr.BadParam("format", "%q is not offered; use json, csv or xlsx", format)
	}
	roll, err := s.loadRoll(r.Context(), year, township)
	if err != nil {
		return err
	}
	if wantMasked || !mayUnmask(principalOf(r)) {
		roll.Mask()
	} else if err := audit.Record(r.Context(), s.pool, audit.Entry{Action: "pii.read", Entity: "subsidy_roll",
		EntityID: strings.TrimSuffix(fmt.Sprintf("%d %s", year, township), " "),
		Detail:   map[string]any{"format": format, "rows": len(roll.Rows), "fields": []string{"owner", "id_number", "account"}}}); err != nil {
		return err
	}
	name := fmt.Sprintf("subsidy-roll-%d", year)
	if township != "" {
		name += "-" + township
	}
	w.Header().Set("Cache-Control", "no-store")
	switch format {
	case "csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", attachment(name+".csv"))
		return roll.WriteCSV(w)
	case "xlsx":
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		w.Header().Set("Content-Disposition", attachment(name+".xlsx"))
		return roll.WriteXLSX(w)
	}
	writeJSON(w, http.StatusOK, roll)
	return nil
}
