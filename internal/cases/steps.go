package cases

import (
	"context"
	"encoding/json"
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
	"github.com/wuyuan-forestry/ecocomp/internal/recompute"
)

// TransitionRequest moves a case to To. Version is the case version the asker last saw. The
// other fields are what the step records; each step names the ones it needs.
type TransitionRequest struct {
	To      string `json:"to"`
	Version int    `json:"version"`
	// rejected, withdrawn, and closing an agreement early
	Reason string `json:"reason"`
	// verified
	FieldCheck *FieldCheck `json:"field_check"`
	// appraised
	AppraisedYuan *policy.Fen `json:"appraised_yuan"`
	Appraiser     string      `json:"appraiser"`
	Report        string      `json:"report"`
	// noticed
	NoticeStart string `json:"notice_start"`
	// signed
	ContractNumber string      `json:"contract_number"`
	SignedOn       string      `json:"signed_on"`
	PriceYuan      *policy.Fen `json:"price_yuan"`
	YearlyYuan     *policy.Fen `json:"yearly_yuan"`
	TermYears      int         `json:"term_years"`
	StartsOn       string      `json:"starts_on"`
	// transferred
	TransferredOn string `json:"transferred_on"`
	Registration  string `json:"registration"`
}

// FieldCheck is the field verification (现场核实): boundaries, rights, disputes, encumbrances.
type FieldCheck struct {
	Date                string   `json:"date"`
	By                  string   `json:"by"`
	BoundariesConfirmed bool     `json:"boundaries_confirmed"`
	RightsConfirmed     bool     `json:"rights_confirmed"`
	Dispute             bool     `json:"dispute"`
	Encumbrances        []string `json:"encumbrances"`
	Note                string   `json:"note"`
}

// row is the case row a step reads (locked).
type row struct {
	id                              int64
	number, mode, status, county    string
	version                         int
	ownerID                         int64
	noticeStart                     *time.Time
	noticeDays                      *int
	signedOn, startsOn, endsOn      *time.Time
	priceFen, yearlyFen, indicative *int64
	termYears                       *int
	transferredOn                   *time.Time
}

const rowColumns = `id, number, mode, status, county, version, owner_id, notice_start, notice_days, signed_on, starts_on, ends_on,
	price_fen, yearly_fen, indicative_fen, term_years, transferred_on`

func scanRow(r pgx.Row, c *row) error {
	return r.Scan(&c.id, &c.number, &c.mode, &c.status, &c.county, &c.version, &c.ownerID, &c.noticeStart, &c.noticeDays,
		&c.signedOn, &c.startsOn, &c.endsOn, &c.priceFen, &c.yearlyFen, &c.indicative, &c.termYears, &c.transferredOn)
}

// lockCase reads case id for update.
func lockCase(ctx context.Context, tx pgx.Tx, id int64) (*row, error) {
	c := &row{}
	err := scanRow(tx.QueryRow(ctx, `SELECT `+rowColumns+` FROM buyout_case WHERE id = $1 FOR UPDATE`, id), c)
	if err == pgx.ErrNoRows {
		return nil, apperr.New(apperr.NotFound, "there is no case %d", id)
	}
	return c, err
}

// refreshes reports whether a step to status changes what the parcels' eligibility or
// agreements are (and so takes the recompute lock first).
func refreshes(to string) bool {
	return to == Rejected || to == Withdrawn || to == Transferred || to == InForce || to == Closed
}

// Transition moves case id to req.To. It is refused (conflict) when the case is no longer at
// req.Version, when the step is not one the case may take from its status, and when what the
// step needs is missing; it is refused (forbidden) when who may not take it.
func Transition(ctx context.Context, pool *pgxpool.Pool, who Who, id int64, req TransitionRequest) error {
	if !slices.Contains(Statuses(), req.To) {
		return apperr.New(apperr.Invalid, "%q is not a case status: use one of %s", req.To, strings.Join(Statuses(), ", "))
	}
	if req.Version < 1 {
		return apperr.New(apperr.Invalid, "\"version\" is missing: send the case version you last saw, so that a step taken meanwhile is not overwritten")
	}
	ctx = audit.WithActor(ctx, who.Actor)
	tx, err := pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if refreshes(req.To) {
		if err := recompute.Lock(ctx, tx); err != nil {
			return err
		}
	}
	c, err := lockCase(ctx, tx, id)
	if err != nil {
		return err
	}
	if c.version != req.Version {
		var by string
		var at time.Time
		_ = tx.QueryRow(ctx, `SELECT actor, at FROM case_event WHERE case_id = $1 ORDER BY version DESC LIMIT 1`, id).Scan(&by, &at)
		return apperr.New(apperr.Conflict, "case %s has moved on: it is at version %d (%s, by %s at %s), not %d; reload it and decide again",
			c.number, c.version, c.status, by, at.In(China).Format("2006-01-02 15:04"), req.Version)
	}
	if why := mayMove(c, who, req.To); why != "" {
		code := apperr.Conflict
		if strings.HasPrefix(why, "only ") {
			code = apperr.Forbidden
		}
		return apperr.New(code, "case %s cannot move from %s to %s: %s", c.number, c.status, req.To, why)
	}
	today := Today()
	pol, err := casePolicy(ctx, tx, today)
	if err != nil {
		return err
	}
	s := &step{tx: tx, who: who, c: c, req: req, pol: pol, today: today, detail: map[string]any{}}
	var do func(context.Context) error
	switch req.To {
	case Verified:
		do = s.verify
	case Appraised:
		do = s.appraise
	case Noticed:
		do = s.notice
	case Signed:
		do = s.sign
	case Transferred:
		do = s.transfer
	case InForce:
		do = s.inForce
	case Closed:
		do = s.close
	case Rejected, Withdrawn:
		do = s.end
	}
	if err := do(ctx); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE buyout_case SET status = $2, version = version + 1, updated_at = now() WHERE id = $1`, id, req.To); err != nil {
		return err
	}
	if err := event(ctx, tx, who, id, c.version+1, "transition", c.status, req.To, s.detail); err != nil {
		return err
	}
	if refreshes(req.To) {
		if err := refresh(ctx, tx, today.Year(), s.refresh); err != nil {
			return err
		}
	}
	if err := audit.Record(ctx, tx, audit.Entry{Action: "case." + req.To, Entity: "buyout_case", EntityID: c.number,
		Detail: map[string]any{"from": c.status, "version": c.version + 1, "step": s.detail}}); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// forward is the workflow's next state of each state, by whether the mode changes rights.
func forward(status, mode string) string {
	switch status {
	case Applied:
		return Verified
	case Verified:
		return Appraised
	case Appraised:
		return Noticed
	case Noticed:
		return Signed
	case Signed:
		if transfers(mode) {
			return Transferred
		}
		return InForce
	case Transferred, InForce:
		return Closed
	}
	return ""
}

// mayMove says why who may not move c to status to ("" when they may). A reason about roles
// starts with "only ".
func mayMove(c *row, who Who, to string) string {
	switch {
	case !open(c.status):
		return fmt.Sprintf("the case is %s; a %s case takes no more steps", c.status, c.status)
	case to == Withdrawn:
		if !beforeSigning(c.status) {
			return "a case can be withdrawn only before it is signed"
		}
		if !who.has(auth.CaseOfficer, auth.Admin) {
			return "only a case officer or an administrator records a withdrawal"
		}
	case to == Rejected:
		if c.status == Transferred {
			return "the forest rights have already changed hands; a transfer is not undone by rejecting the case"
		}
		if !beforeSigning(c.status) && !who.has(auth.Admin) {
			return "only an administrator may reject a case once it is signed"
		}
		if !who.has(auth.CaseOfficer, auth.Admin) {
			return "only a case officer or an administrator rejects a case"
		}
	case to != forward(c.status, c.mode):
		next := forward(c.status, c.mode)
		return fmt.Sprintf("from %s a %s case goes to %s (or is rejected or withdrawn before signing)", c.status, c.mode, next)
	case to == Transferred || to == InForce || to == Closed:
		if !who.has(auth.Admin) {
			return "only an administrator records steps after signing (the change of rights, an agreement in force, closing)"
		}
	default:
		if !who.has(auth.CaseOfficer, auth.Admin) {
			return "only a case officer (or an administrator) moves a case up to signed"
		}
	}
	return ""
}

// step is one transition being taken.
type step struct {
	tx      pgx.Tx
	who     Who
	c       *row
	req     TransitionRequest
	pol     *policy.Policy
	today   time.Time
	detail  map[string]any
	refresh []int64
}

// date parses a calendar date field of the request, defaulting to today; dates after today are
// refused (a step records what happened).
func (s *step) date(field, v string) (time.Time, error) {
	if v == "" {
		return s.today, nil
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return time.Time{}, apperr.New(apperr.Invalid, "%q is %q, not a date: write it as 2026-03-31", field, v)
	}
	if d.After(s.today) {
		return time.Time{}, apperr.New(apperr.Invalid, "%q is %s, after today (%s): record a step once it has happened", field, v, s.today.Format(time.DateOnly))
	}
	return d, nil
}

func need(ok bool, format string, args ...any) error {
	if ok {
		return nil
	}
	return apperr.New(apperr.Invalid, format, args...)
}

// verify records the field check and freezes each offered parcel's eligibility (rules, policy
// version, parcel version) as it stands now.
func (s *step) verify(ctx context.Context) error {
	fc := s.req.FieldCheck
	if fc == nil {
		return apperr.New(apperr.Invalid, "verifying needs \"field_check\": {date, by, boundaries_confirmed, rights_confirmed, dispute, encumbrances}")
	}
	d, err := s.date("field_check.date", fc.Date)
	if err != nil {
		return err
	}
	fc.Date = d.Format(time.DateOnly)
	if err := need(strings.TrimSpace(fc.By) != "", "\"field_check.by\" is empty: name who checked the parcels in the field"); err != nil {
		return err
	}
	if !fc.BoundariesConfirmed || !fc.RightsConfirmed {
		return apperr.New(apperr.Conflict, "the field check has not confirmed the boundaries and the rights (boundaries_confirmed, rights_confirmed): a case is verified only when both are")
	}
	if fc.Dispute {
		return apperr.New(apperr.Conflict, "the field check found a dispute: a disputed parcel cannot be verified; settle the dispute or reject the case")
	}
	rows, err := s.tx.Query(ctx, `SELECT cp.code, p.id FROM case_parcel cp JOIN parcel p ON p.code = cp.code AND p.valid_to IS NULL
		WHERE cp.case_id = $1 AND cp.role = 'offered' ORDER BY cp.code`, s.c.id)
	if err != nil {
		return err
	}
	type cur struct {
		code string
		id   int64
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (cur, error) {
		var c cur
		return c, r.Scan(&c.code, &c.id)
	})
	if err != nil {
		return err
	}
	var indicative int64
	var warnings []string
	for _, p := range list {
		res, err := evaluate(ctx, s.tx, s.pol, p.code, s.today)
		if err != nil {
			return err
		}
		if why := candidate(res, s.c.mode); why != "" {
			return apperr.New(apperr.Conflict, "parcel %s is no longer a candidate for %s: %s; reject the case", p.code, s.c.mode, why)
		}
		for _, w := range res.Warnings {
			warnings = append(warnings, p.code+": "+w.DetailZh)
		}
		frozen := map[string]any{"policy_version": s.pol.Version, "parcel_version": p.id, "verified_on": fc.Date,
			"eligible": res.Eligible, "status": res.Status, "modes": res.Modes, "other_modes": res.OtherModes, "priority": res.Priority,
			"rules": res.Rules, "warnings": res.Warnings, "estimate": res.Estimate}
		if res.Estimate != nil {
			indicative += int64(res.Estimate.Total)
		}
		b, err := json.Marshal(frozen)
		if err != nil {
			return err
		}
		if _, err := s.tx.Exec(ctx, `UPDATE case_parcel SET frozen = $3, parcel_id = $4 WHERE case_id = $1 AND code = $2`, s.c.id, p.code, b, p.id); err != nil {
			return err
		}
	}
	if len(warnings) > 0 && len(fc.Encumbrances) == 0 {
		return apperr.New(apperr.Conflict, "the parcels carry warnings the field check must note under \"encumbrances\" (e.g. the lender's consent to a mortgaged parcel): %s", strings.Join(warnings, "; "))
	}
	b, err := json.Marshal(fc)
	if err != nil {
		return err
	}
	s.detail["field_check"] = fc
	_, err = s.tx.Exec(ctx, `UPDATE buyout_case SET verification = $2, indicative_fen = $3 WHERE id = $1`, s.c.id, b, indicative)
	return err
}

// appraise records the third-party appraisal.
func (s *step) appraise(ctx context.Context) error {
	r := s.req
	if r.AppraisedYuan == nil || *r.AppraisedYuan <= 0 {
		return apperr.New(apperr.Invalid, "appraising needs \"appraised_yuan\", the appraised value in 元 (more than 0)")
	}
	if err := need(strings.TrimSpace(r.Appraiser) != "", "\"appraiser\" is empty: name the appraisal firm"); err != nil {
		return err
	}
	if err := need(strings.TrimSpace(r.Report) != "", "\"report\" is empty: give the appraisal report's number (attach the report under documents)"); err != nil {
		return err
	}
	s.detail["appraised_yuan"], s.detail["appraiser"], s.detail["report"] = *r.AppraisedYuan, r.Appraiser, r.Report
	_, err := s.tx.Exec(ctx, `UPDATE buyout_case SET appraised_fen = $2, appraiser = $3, appraisal_ref = $4 WHERE id = $1`,
		s.c.id, int64(*r.AppraisedYuan), r.Appraiser, r.Report)
	return err
}

// notice starts the public notice; its length comes from the policy.
func (s *step) notice(ctx context.Context) error {
	start, err := s.date("notice_start", s.req.NoticeStart)
	if err != nil {
		return err
	}
	days := s.pol.Cases.NoticeDays
	s.detail["notice_start"], s.detail["notice_days"] = start.Format(time.DateOnly), days
	_, err = s.tx.Exec(ctx, `UPDATE buyout_case SET notice_start = $2, notice_days = $3 WHERE id = $1`, s.c.id, start, days)
	return err
}

// noticeEnds is the first day after the notice period.
func noticeEnds(start time.Time, days int) time.Time { return start.AddDate(0, 0, days) }

// sign records the contract. The notice must have run its course with no open objection. Above
// the year's budget only an administrator signs, and the case says so.
func (s *step) sign(ctx context.Context) error {
	c, r := s.c, s.req
	if c.noticeStart != nil && c.noticeDays != nil {
		if ends := noticeEnds(*c.noticeStart, *c.noticeDays); s.today.Before(ends) {
			return apperr.New(apperr.Conflict, "the public notice runs until %s (%d days from %s): sign on %s or later",
				ends.AddDate(0, 0, -1).Format(time.DateOnly), *c.noticeDays, c.noticeStart.Format(time.DateOnly), ends.Format(time.DateOnly))
		}
	}
	var objections int
	if err := s.tx.QueryRow(ctx, `SELECT count(*) FROM case_objection WHERE case_id = $1 AND resolved_at IS NULL`, c.id).Scan(&objections); err != nil {
		return err
	}
	if objections > 0 {
		return apperr.New(apperr.Conflict, "%d objection(s) raised during the public notice are not resolved: record their resolution before signing", objections)
	}
	if err := need(strings.TrimSpace(r.ContractNumber) != "", "signing needs \"contract_number\""); err != nil {
		return err
	}
	signed, err := s.date("signed_on", r.SignedOn)
	if err != nil {
		return err
	}
	var total int64
	var price, yearly *int64
	var term *int
	var starts, ends *time.Time
	if s.pol.Cases.Yearly(c.mode) {
		if r.YearlyYuan == nil || *r.YearlyYuan <= 0 || r.TermYears < 1 || r.TermYears > 70 {
			return apperr.New(apperr.Invalid, "a %s contract needs \"yearly_yuan\" (more than 0) and \"term_years\" (1 to 70)", c.mode)
		}
		y := int64(*r.YearlyYuan)
		yearly, term = &y, &r.TermYears
		st := signed
		if r.StartsOn != "" {
			if st, err = time.Parse(time.DateOnly, r.StartsOn); err != nil {
				return apperr.New(apperr.Invalid, "\"starts_on\" is %q, not a date", r.StartsOn)
			}
		}
		en := st.AddDate(r.TermYears, 0, 0)
		starts, ends = &st, &en
		total = y * int64(r.TermYears)
	} else {
		if r.PriceYuan == nil || *r.PriceYuan < 0 || (*r.PriceYuan == 0 && c.mode != "exchange") {
			return apperr.New(apperr.Invalid, "a %s contract needs \"price_yuan\", the agreed price in 元 (0 only for an exchange without a difference)", c.mode)
		}
		p := int64(*r.PriceYuan)
		price, total = &p, p
	}
	// Signing within the year's budget is serialised, so two signatures cannot both fit.
	if _, err := s.tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('ecocomp case budget'), $1)`, signed.Year()); err != nil {
		return err
	}
	var committed int64
	if err := s.tx.QueryRow(ctx, `SELECT coalesce(sum(coalesce(price_fen, 0) + coalesce(yearly_fen, 0)), 0) FROM buyout_case
		WHERE extract(year FROM signed_on) = $1 AND status IN ('signed', 'transferred', 'in_force', 'closed') AND id <> $2`, signed.Year(), c.id).Scan(&committed); err != nil {
		return err
	}
	thisYear := total
	if yearly != nil {
		thisYear = *yearly
	}
	budget := int64(s.pol.Cases.BudgetYuan)
	over := committed+thisYear > budget
	if over {
		if !s.who.has(auth.Admin) {
			return apperr.New(apperr.Forbidden, "signing would commit %s 元 in %d against a budget of %s 元 (%s already committed): only an administrator may sign beyond the budget",
				policy.Fen(committed+thisYear), signed.Year(), policy.Fen(budget), policy.Fen(committed))
		}
		s.detail["over_budget"] = fmt.Sprintf("signed beyond the %d budget of %s 元: %s 元 committed with this contract", signed.Year(), policy.Fen(budget), policy.Fen(committed+thisYear))
	}
	s.detail["contract_number"], s.detail["signed_on"], s.detail["total_yuan"] = r.ContractNumber, signed.Format(time.DateOnly), policy.Fen(total)
	if _, err := s.tx.Exec(ctx, `UPDATE buyout_case SET contract_number = $2, signed_on = $3, price_fen = $4, yearly_fen = $5, term_years = $6,
		starts_on = $7, ends_on = $8, over_budget = $9 WHERE id = $1`, c.id, r.ContractNumber, signed, price, yearly, term, starts, ends, over); err != nil {
		if strings.Contains(err.Error(), "buyout_case_contract_number_key") {
			return apperr.New(apperr.Conflict, "contract number %s is already used by another case", r.ContractNumber)
		}
		return err
	}
	return s.allocate(ctx, price, yearly)
}

// allocate splits the contract's price (and yearly payment) over the offered parcels by legal
// area, the last parcel taking the remainder, so the shares add up exactly.
func (s *step) allocate(ctx context.Context, price, yearly *int64) error {
	rows, err := s.tx.Query(ctx, `SELECT cp.code, p.mian_ji::text FROM case_parcel cp JOIN parcel p ON p.id = cp.parcel_id
		WHERE cp.case_id = $1 AND cp.role = 'offered' ORDER BY cp.code`, s.c.id)
	if err != nil {
		return err
	}
	type part struct {
		code string
		area *big.Rat
	}
	parts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (part, error) {
		var p part
		var a string
		if err := r.Scan(&p.code, &a); err != nil {
			return p, err
		}
		p.area, _ = new(big.Rat).SetString(a)
		return p, nil
	})
	if err != nil {
		return err
	}
	areas := make([]*big.Rat, len(parts))
	for i, p := range parts {
		areas[i] = p.area
	}
	shares, yearlies := split(price, areas), split(yearly, areas)
	for i, p := range parts {
		if _, err := s.tx.Exec(ctx, `UPDATE case_parcel SET share_fen = $3, yearly_share_fen = $4 WHERE case_id = $1 AND code = $2`,
			s.c.id, p.code, shares[i], yearlies[i]); err != nil {
			return err
		}
	}
	return nil
}

// split divides total in proportion to areas, rounding down and giving the last part the rest.
func split(total *int64, areas []*big.Rat) []*int64 {
	out := make([]*int64, len(areas))
	if total == nil {
		return out
	}
	sum := new(big.Rat)
	for _, a := range areas {
		sum.Add(sum, a)
	}
	var given int64
	for i, a := range areas {
		v := *total - given
		if i < len(areas)-1 && sum.Sign() > 0 {
			q := new(big.Rat).Mul(new(big.Rat).SetInt64(*total), a)
			q.Quo(q, sum)
			v = new(big.Int).Quo(q.Num(), q.Denom()).Int64()
		}
		given += v
		out[i] = &v
	}
	return out
}

// end rejects or withdraws a case: it needs a reason and frees the parcels. An agreement in force
// that an administrator rejects ends today.
func (s *step) end(ctx context.Context) error {
	if strings.TrimSpace(s.req.Reason) == "" {
		return apperr.New(apperr.Invalid, "\"reason\" is empty: say why the case is %s", s.req.To)
	}
	var paid int64
	if err := s.tx.QueryRow(ctx, `SELECT coalesce(sum(amount_fen), 0) FROM case_payment WHERE case_id = $1`, s.c.id).Scan(&paid); err != nil {
		return err
	}
	if paid != 0 {
		return apperr.New(apperr.Conflict, "%s 元 has been paid on case %s: finance must reverse the payments before it is %s", policy.Fen(paid), s.c.number, s.req.To)
	}
	s.detail["reason"] = s.req.Reason
	if _, err := s.tx.Exec(ctx, `UPDATE buyout_case SET reason = $2 WHERE id = $1`, s.c.id, s.req.Reason); err != nil {
		return err
	}
	return s.release(ctx)
}

// release closes the case's hold on its parcels as of today and ends its agreements.
func (s *step) release(ctx context.Context) error {
	if _, err := s.tx.Exec(ctx, `UPDATE parcel_agreement SET ends_on = greatest($2::date, signed_on + 1)
		WHERE case_id = $1 AND (ends_on IS NULL OR ends_on > $2::date)`, s.c.id, s.today); err != nil {
		return err
	}
	return s.tx.QueryRow(ctx, `WITH c AS (UPDATE case_parcel SET open = false, closed_on = $2 WHERE case_id = $1 AND open RETURNING code)
		SELECT coalesce(array_agg(p.id), '{}') FROM parcel p JOIN c ON c.code = p.code AND p.valid_to IS NULL`, s.c.id, s.today).Scan(&s.refresh)
}

// inForce puts a yearly agreement (lease, custody, concession, closure agreement) or an equity
// contract in force: each parcel gets an agreement with its share of the yearly payment, from
// which the roll draws its lines.
func (s *step) inForce(ctx context.Context) error {
	c := s.c
	mode := string(policy.PolicyMode(c.mode))
	starts := c.signedOn
	if c.startsOn != nil {
		starts = c.startsOn
	}
	return s.tx.QueryRow(ctx, `WITH a AS (
		INSERT INTO parcel_agreement (code, mode, signed_on, ends_on, note, case_id, yearly_fen)
		SELECT cp.code, $2, $3, $4, $5, $1, cp.yearly_share_fen FROM case_parcel cp WHERE cp.case_id = $1 AND cp.role = 'offered'
		ON CONFLICT (code, mode, signed_on) DO UPDATE SET ends_on = EXCLUDED.ends_on, case_id = EXCLUDED.case_id,
			yearly_fen = EXCLUDED.yearly_fen, note = EXCLUDED.note
		RETURNING code)
		SELECT coalesce(array_agg(p.id), '{}') FROM parcel p JOIN a ON a.code = p.code AND p.valid_to IS NULL`,
		c.id, mode, starts, c.endsOn, "case "+c.number).Scan(&s.refresh)
}

// close ends a case: a transfer once it is paid in full, an agreement once what has fallen due is
// paid (early, with a reason, its agreements end today).
func (s *step) close(ctx context.Context) error {
	c := s.c
	paid, err := paidSoFar(ctx, s.tx, c.id)
	if err != nil {
		return err
	}
	sch := schedule(c, s.pol.Cases, s.today)
	due := sch.dueNow()
	if c.status == Transferred && paid != sch.total {
		return apperr.New(apperr.Conflict, "%s 元 of the %s 元 contract is paid: a transfer closes once it is paid in full", policy.Fen(paid), policy.Fen(sch.total))
	}
	if c.status == InForce {
		if paid < due {
			return apperr.New(apperr.Conflict, "%s 元 has fallen due and %s 元 is paid: pay what is due before closing", policy.Fen(due), policy.Fen(paid))
		}
		if c.endsOn != nil && s.today.Before(*c.endsOn) && strings.TrimSpace(s.req.Reason) == "" {
			return apperr.New(apperr.Invalid, "the agreement runs until %s: closing it early needs a \"reason\"", c.endsOn.Format(time.DateOnly))
		}
		if s.req.Reason != "" {
			s.detail["reason"] = s.req.Reason
			if _, err := s.tx.Exec(ctx, `UPDATE buyout_case SET reason = $2 WHERE id = $1`, c.id, s.req.Reason); err != nil {
				return err
			}
		}
	}
	return s.release(ctx)
}
