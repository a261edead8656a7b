package wetland

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/audit"
	"github.com/wuyuan-forestry/ecocomp/internal/auth"
	"github.com/wuyuan-forestry/ecocomp/internal/policy"
)

// The states of a project.
const (
	Proposed = "proposed"
	Approved = "approved"
	Rejected = "rejected"
)

// ProjectRequest proposes a credit project.
type ProjectRequest struct {
	Name     string          `json:"name"`
	Kind     string          `json:"kind"`
	Sponsor  string          `json:"sponsor"`
	Baseline string          `json:"baseline"`
	Geometry json.RawMessage `json:"geometry"`
}

// Project is a credit project as its page shows it.
type Project struct {
	ID            int64            `json:"id"`
	Name          string           `json:"name"`
	Kind          string           `json:"kind"`
	KindLabel     string           `json:"kind_label"`
	CreditType    string           `json:"credit_type"`
	Sponsor       string           `json:"sponsor"`
	Baseline      string           `json:"baseline"`
	Status        string           `json:"status"`
	Version       int              `json:"version"`
	PolicyVersion string           `json:"policy_version"`
	AreaMu        CentiMu          `json:"area_mu"`
	MuPerCredit   policy.Decimal   `json:"mu_per_credit"`
	Credits       Centi            `json:"credits"`
	Area          string           `json:"area,omitempty"`
	ServiceArea   string           `json:"service_area"`
	County        string           `json:"county,omitempty"`
	CreatedBy     string           `json:"created_by"`
	CreatedAt     time.Time        `json:"created_at"`
	DecidedBy     *string          `json:"decided_by"`
	DecidedAt     *time.Time       `json:"decided_at"`
	Reason        *string          `json:"reason,omitempty"`
	Balance       Balance          `json:"balance"`
	Milestones    []MilestoneState `json:"milestones"`
}

// MilestoneState is a milestone of a project and its release, if made.
type MilestoneState struct {
	policy.Milestone
	// Scheduled is the share of the issued credits this milestone releases by default.
	Scheduled Centi    `json:"scheduled_credits"`
	Release   *Release `json:"release"`
	// EarliestOn is the first day it may be verified (from the as-built verification).
	EarliestOn string `json:"earliest_on,omitempty"`
}

// Release is one release of credits.
type Release struct {
	ID         int64     `json:"id"`
	Milestone  string    `json:"milestone"`
	Credits    Centi     `json:"credits"`
	VerifiedOn string    `json:"verified_on"`
	Verifier   string    `json:"verifier"`
	Evidence   string    `json:"evidence"`
	Note       string    `json:"note,omitempty"`
	RecordedBy string    `json:"recorded_by"`
	RecordedAt time.Time `json:"recorded_at"`
}

// CreateProject proposes a project: its credits are the footprint's area in 亩 (EPSG:4548,
// rounded to the hundredth) ÷ the 亩 per credit of its kind's credit type, rounded down to the
// hundredth of a credit; the milestones are the policy's. A footprint that overlaps another
// proposed or approved project is refused (the same wetland cannot earn twice).
func CreateProject(ctx context.Context, pool *pgxpool.Pool, p auth.Principal, req ProjectRequest) (int64, error) {
	if err := must(p, "propose wetland-bank projects", auth.CaseOfficer, auth.Admin); err != nil {
		return 0, err
	}
	name, err := text("name", req.Name, 200)
	if err != nil {
		return 0, err
	}
	sponsor, err := text("sponsor", req.Sponsor, 200)
	if err != nil {
		return 0, err
	}
	baseline, err := text("baseline", req.Baseline, 4000)
	if err != nil {
		return 0, apperr.New(apperr.Invalid, "%s: describe the wetland's condition before the project (the baseline the milestones are measured against)", err.(*apperr.Error).Detail)
	}
	ctx = audit.WithActor(ctx, p.Actor)
	tx, err := pool.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(ctx)
	pol, err := bankPolicy(ctx, tx)
	if err != nil {
		return 0, err
	}
	w := &pol.WetlandBank
	if _, ok := w.Rules.ProjectKinds[req.Kind]; !ok {
		return 0, apperr.New(apperr.Invalid, "\"kind\" %q is not a project kind: use one of %s", req.Kind, strings.Join(w.Kinds(), ", "))
	}
	f, err := locate(ctx, tx, req.Geometry)
	if err != nil {
		return 0, err
	}
	service := w.ServiceAreaOf(f.area, f.county)
	if service == "" {
		return 0, apperr.New(apperr.Conflict, "the footprint lies in no protected area and no service area of the policy: its credits could be sold to nobody")
	}
	// One proposal at a time checks for overlaps, so two overlapping proposals cannot both pass.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('wetland_project'))`); err != nil {
		return 0, err
	}
	var other string
	err = tx.QueryRow(ctx, `SELECT name FROM wetland_project WHERE status <> 'rejected' AND geom && ST_SetSRID(ST_GeomFromWKB($1), 4490)
		AND ST_Relate(geom, ST_SetSRID(ST_GeomFromWKB($1), 4490), '2********') ORDER BY id LIMIT 1`, f.wkb).Scan(&other)
	if err == nil {
		return 0, apperr.New(apperr.Conflict, "the footprint overlaps project %q: the same wetland cannot earn credits twice", other)
	} else if !errors.Is(err, pgx.ErrNoRows) {
		return 0, err
	}
	ct, _, err := w.CreditsFor(req.Kind, big.NewRat(f.centimu, 100))
	if err != nil {
		return 0, apperr.New(apperr.Invalid, "%v", err)
	}
	credits := floorRat(new(big.Rat).Quo(big.NewRat(f.centimu, 1), ct.MuPerCredit.Rat()))
	steps, err := json.Marshal(w.Rules.Milestones.Steps)
	if err != nil {
		return 0, err
	}
	var id int64
	err = tx.QueryRow(ctx, `INSERT INTO wetland_project (name, kind, credit_type, sponsor, baseline, policy_version, area_centimu, mu_per_credit,
		credits_centi, milestones, area_id, service_area, county, created_by, geom)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, ST_Multi(ST_SetSRID(ST_GeomFromWKB($15), 4490))) RETURNING id`,
		name, req.Kind, w.Rules.ProjectKinds[req.Kind].CreditType, sponsor, baseline, pol.Version, f.centimu, int64(ct.MuPerCredit),
		credits, steps, f.areaID, service, nilIfEmpty(f.county), p.Actor.String(), f.wkb).Scan(&id)
	if err != nil {
		return 0, err
	}
	if err := audit.Record(ctx, tx, audit.Entry{Action: "wetland.project.propose", Entity: "wetland_project", EntityID: fmt.Sprint(id),
		Detail: map[string]any{"name": name, "kind": req.Kind, "area_mu": CentiMu(f.centimu), "credits": Centi(credits), "service_area": service}}); err != nil {
		return 0, err
	}
	return id, tx.Commit(ctx)
}

func nilIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// TransitionRequest approves or rejects a proposed project. Version is the project version the
// asker last saw.
type TransitionRequest struct {
	To      string `json:"to"`
	Version int    `json:"version"`
	Reason  string `json:"reason"`
}

// projectRow is the part of a project row a step reads (locked).
type projectRow struct {
	id                    int64
	name, status, service string
	version               int
	credits               int64
	milestones            []policy.Milestone
}

// lockProject reads project id for update: whoever holds it is the only one changing its balance.
func lockProject(ctx context.Context, tx pgx.Tx, id int64) (*projectRow, error) {
	r := &projectRow{id: id}
	var steps []byte
	err := tx.QueryRow(ctx, `SELECT name, status, service_area, version, credits_centi, milestones FROM wetland_project WHERE id = $1 FOR UPDATE`, id).
		Scan(&r.name, &r.status, &r.service, &r.version, &r.credits, &steps)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, apperr.New(apperr.NotFound, "there is no wetland-bank project %d", id)
	} else if err != nil {
		return nil, err
	}
	return r, json.Unmarshal(steps, &r.milestones)
}

// TransitionProject approves (issuing its credits and holding back the reserve share) or
// rejects a proposed project.
func TransitionProject(ctx context.Context, pool *pgxpool.Pool, p auth.Principal, id int64, req TransitionRequest) error {
	if err := must(p, "approve or reject wetland-bank projects", auth.CaseOfficer, auth.Admin); err != nil {
		return err
	}
	if req.To != Approved && req.To != Rejected {
		return apperr.New(apperr.Invalid, "\"to\" is %q: a proposed project is approved or rejected", req.To)
	}
	if req.Version < 1 {
		return apperr.New(apperr.Invalid, "\"version\" is missing: send the project version you last saw")
	}
	if req.To == Rejected && strings.TrimSpace(req.Reason) == "" {
		return apperr.New(apperr.Invalid, "\"reason\" is empty: say why the project is rejected")
	}
	ctx = audit.WithActor(ctx, p.Actor)
	tx, err := pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	r, err := lockProject(ctx, tx, id)
	if err != nil {
		return err
	}
	if r.version != req.Version {
		return apperr.New(apperr.Conflict, "project %d has moved on: it is at version %d (%s), not %d; reload it", id, r.version, r.status, req.Version)
	}
	if r.status != Proposed {
		return apperr.New(apperr.Conflict, "project %d is %s: only a proposed project is approved or rejected", id, r.status)
	}
	detail := map[string]any{"from": r.status, "to": req.To, "version": r.version + 1}
	if req.To == Approved {
		if r.credits == 0 {
			return apperr.New(apperr.Conflict, "project %d earns 0 credits (its footprint is too small for its kind's ratio): nothing to issue", id)
		}
		if err := entry(ctx, tx, p, ledgerEntry{kind: "issue", project: &id, centi: r.credits, note: "issued on approval"}); err != nil {
			return err
		}
		var held int64
		for _, m := range r.milestones {
			if m.Reserve {
				held += shareOf(r.credits, m.Share)
			}
		}
		if held > 0 {
			if err := entry(ctx, tx, p, ledgerEntry{kind: "reserve", project: &id, centi: held, note: "reserve share held back until its milestone"}); err != nil {
				return err
			}
		}
		detail["issued"], detail["reserve_held"] = Centi(r.credits), Centi(held)
	} else {
		detail["reason"] = req.Reason
	}
	if _, err := tx.Exec(ctx, `UPDATE wetland_project SET status = $2, version = version + 1, updated_at = now(), decided_by = $3, decided_at = now(),
		reason = nullif($4, '') WHERE id = $1`, id, req.To, p.Actor.String(), strings.TrimSpace(req.Reason)); err != nil {
		return err
	}
	if err := audit.Record(ctx, tx, audit.Entry{Action: "wetland.project." + req.To, Entity: "wetland_project", EntityID: fmt.Sprint(id), Detail: detail}); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// ReleaseRequest releases credits against a milestone. Credits, when given, is the verifier's
// figure; otherwise the milestone's share of the issued credits (the last milestone: all that
// is left).
type ReleaseRequest struct {
	Milestone  string `json:"milestone"`
	Credits    *Centi `json:"credits"`
	VerifiedOn string `json:"verified_on"`
	Verifier   string `json:"verifier"`
	Evidence   string `json:"evidence"`
	Note       string `json:"note"`
}

// ReleaseCredits records a release: the project row is locked while the released total is
// checked, so however many releases arrive at once the credits released never exceed those
// issued. Milestones are released in order, each once, the monitoring years no earlier than
// their year after the as-built verification.
func ReleaseCredits(ctx context.Context, pool *pgxpool.Pool, p auth.Principal, id int64, req ReleaseRequest) (int64, error) {
	if err := must(p, "release credits", auth.CaseOfficer, auth.Admin); err != nil {
		return 0, err
	}
	verifier, err := text("verifier", req.Verifier, 200)
	if err != nil {
		return 0, err
	}
	evidence, err := text("evidence", req.Evidence, 2000)
	if err != nil {
		return 0, apperr.New(apperr.Invalid, "\"evidence\" is empty: name the acceptance report or monitoring report that shows the milestone is met")
	}
	on, err := date("verified_on", req.VerifiedOn)
	if err != nil {
		return 0, err
	}
	if req.Credits != nil && *req.Credits <= 0 {
		return 0, apperr.New(apperr.Invalid, "\"credits\" must be more than 0")
	}
	ctx = audit.WithActor(ctx, p.Actor)
	tx, err := pool.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(ctx)
	r, err := lockProject(ctx, tx, id)
	if err != nil {
		return 0, err
	}
	if r.status != Approved {
		return 0, apperr.New(apperr.Conflict, "project %d is %s: credits are issued on approval and released after it", id, r.status)
	}
	i := slices.IndexFunc(r.milestones, func(m policy.Milestone) bool { return m.ID == req.Milestone })
	if i < 0 {
		ids := make([]string, len(r.milestones))
		for j, m := range r.milestones {
			ids[j] = m.ID
		}
		return 0, apperr.New(apperr.Invalid, "\"milestone\" %q is not one of the project's: %s", req.Milestone, strings.Join(ids, ", "))
	}
	m := r.milestones[i]
	done, err := releases(ctx, tx, id)
	if err != nil {
		return 0, err
	}
	if prev, ok := done[m.ID]; ok {
		return 0, apperr.New(apperr.Conflict, "milestone %s of project %d was released on %s (%s credits): a milestone is released once", m.ID, id, prev.VerifiedOn, prev.Credits)
	}
	if i > 0 {
		if _, ok := done[r.milestones[i-1].ID]; !ok {
			return 0, apperr.New(apperr.Conflict, "milestone %s comes after %s, which is not released yet: release the milestones in order", m.ID, r.milestones[i-1].ID)
		}
		asBuilt, _ := time.Parse(time.DateOnly, done[r.milestones[0].ID].VerifiedOn)
		if earliest := asBuilt.AddDate(m.Years, 0, 0); on.Before(earliest) {
			return 0, apperr.New(apperr.Conflict, "milestone %s (%s) is verified %d year(s) after the as-built verification of %s, on %s at the earliest, not %s",
				m.ID, m.Name, m.Years, asBuilt.Format(time.DateOnly), earliest.Format(time.DateOnly), on.Format(time.DateOnly))
		}
	}
	b, err := projectBalance(ctx, tx, id)
	if err != nil {
		return 0, err
	}
	amount := shareOf(r.credits, m.Share)
	if i == len(r.milestones)-1 {
		amount = int64(b.Issued - b.Released)
	}
	amount = min(amount, int64(b.Issued-b.Released))
	if req.Credits != nil {
		amount = int64(*req.Credits)
	}
	if int64(b.Released)+amount > int64(b.Issued) {
		return 0, apperr.New(apperr.Conflict, "releasing %s credits would bring project %d to %s released, more than the %s issued (%s left to release)",
			Centi(amount), id, b.Released+Centi(amount), b.Issued, b.Issued-b.Released)
	}
	if amount <= 0 {
		return 0, apperr.New(apperr.Conflict, "project %d has no credits left to release (%s issued, %s released)", id, b.Issued, b.Released)
	}
	var rid int64
	if err := tx.QueryRow(ctx, `INSERT INTO wetland_release (project_id, milestone, credits_centi, verified_on, verifier, evidence, note, recorded_by, user_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`, id, m.ID, amount, on, verifier, evidence, strings.TrimSpace(req.Note), p.Actor.String(), userID(p)).Scan(&rid); err != nil {
		return 0, err
	}
	if err := entry(ctx, tx, p, ledgerEntry{kind: "release", project: &id, release: &rid, centi: amount, note: m.ID}); err != nil {
		return 0, err
	}
	if m.Reserve && b.ReserveHeld > 0 {
		if err := entry(ctx, tx, p, ledgerEntry{kind: "reserve", project: &id, release: &rid, centi: -int64(b.ReserveHeld), note: "reserve let go with " + m.ID}); err != nil {
			return 0, err
		}
	}
	if err := audit.Record(ctx, tx, audit.Entry{Action: "wetland.release", Entity: "wetland_project", EntityID: fmt.Sprint(id),
		Detail: map[string]any{"release": rid, "milestone": m.ID, "credits": Centi(amount), "verified_on": on.Format(time.DateOnly), "verifier": verifier,
			"released": b.Released + Centi(amount), "issued": b.Issued}}); err != nil {
		return 0, err
	}
	return rid, tx.Commit(ctx)
}

// releases are the project's releases by milestone.
func releases(ctx context.Context, db Querier, id int64) (map[string]Release, error) {
	rows, err := db.Query(ctx, `SELECT id, milestone, credits_centi, verified_on, verifier, evidence, note, recorded_by, recorded_at
		FROM wetland_release WHERE project_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	out := map[string]Release{}
	_, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
		var rel Release
		var on time.Time
		err := r.Scan(&rel.ID, &rel.Milestone, &rel.Credits, &on, &rel.Verifier, &rel.Evidence, &rel.Note, &rel.RecordedBy, &rel.RecordedAt)
		rel.VerifiedOn = on.Format(time.DateOnly)
		out[rel.Milestone] = rel
		return struct{}{}, err
	})
	return out, err
}

// CorrectionRequest corrects one bucket of a project's balance by a signed number of credits.
type CorrectionRequest struct {
	Bucket  string `json:"bucket"`
	Credits Centi  `json:"credits"`
	Reason  string `json:"reason"`
}

// Correct records a correction (administrators only): a new entry, never an edit. The result
// must keep the project balanced (0 ≤ sold ≤ released ≤ issued).
func Correct(ctx context.Context, pool *pgxpool.Pool, p auth.Principal, id int64, req CorrectionRequest) error {
	if err := must(p, "correct the wetland-bank ledger", auth.Admin); err != nil {
		return err
	}
	if !slices.Contains([]string{"issued", "released", "sold"}, req.Bucket) {
		return apperr.New(apperr.Invalid, "\"bucket\" is %q: correct issued, released or sold", req.Bucket)
	}
	if req.Credits == 0 {
		return apperr.New(apperr.Invalid, "\"credits\" is 0: a correction changes a balance (negative to reduce it)")
	}
	reason, err := text("reason", req.Reason, 2000)
	if err != nil {
		return err
	}
	ctx = audit.WithActor(ctx, p.Actor)
	tx, err := pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if _, err := lockProject(ctx, tx, id); err != nil {
		return err
	}
	b, err := projectBalance(ctx, tx, id)
	if err != nil {
		return err
	}
	after := b
	switch req.Bucket {
	case "issued":
		after.Issued += req.Credits
	case "released":
		after.Released += req.Credits
	case "sold":
		after.Sold += req.Credits
	}
	if after.Sold < 0 || after.Sold > after.Released || after.Released > after.Issued {
		return apperr.New(apperr.Conflict, "correcting %s by %s credits would leave project %d at %s issued, %s released, %s sold: it must stay 0 ≤ sold ≤ released ≤ issued",
			req.Bucket, req.Credits, id, after.Issued, after.Released, after.Sold)
	}
	if err := entry(ctx, tx, p, ledgerEntry{kind: "correction", bucket: req.Bucket, project: &id, centi: int64(req.Credits), note: reason}); err != nil {
		return err
	}
	if err := audit.Record(ctx, tx, audit.Entry{Action: "wetland.correction", Entity: "wetland_project", EntityID: fmt.Sprint(id),
		Detail: map[string]any{"bucket": req.Bucket, "credits": req.Credits, "reason": reason}}); err != nil {
		return err
	}
	return tx.Commit(ctx)
}
