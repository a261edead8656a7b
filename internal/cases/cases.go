// Package cases carries a parcel from its owner's application to forest held by the county:
// buyout (赎买) and the pilot plan's other modes (lease, exchange, custody, equity, concession,
// closure agreement). A case moves through a fixed set of states; each step states the version
// of the case it expects, records who took it (an append-only history and the audit log), and
// commits with everything it changes: the parcels' eligibility, the change of forest rights,
// the agreements that put yearly lines in the roll. Payments are an append-only ledger whose sum
// never exceeds what the contract has made due.
package cases

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/audit"
	"github.com/wuyuan-forestry/ecocomp/internal/auth"
	"github.com/wuyuan-forestry/ecocomp/internal/eligibility"
	"github.com/wuyuan-forestry/ecocomp/internal/facts"
	"github.com/wuyuan-forestry/ecocomp/internal/pii"
	"github.com/wuyuan-forestry/ecocomp/internal/policy"
	"github.com/wuyuan-forestry/ecocomp/internal/recompute"
	"github.com/wuyuan-forestry/ecocomp/internal/subsidy"
)

// The states of a case.
const (
	Applied     = "applied"
	Verified    = "verified"
	Appraised   = "appraised"
	Noticed     = "noticed"
	Signed      = "signed"
	Transferred = "transferred"
	InForce     = "in_force"
	Closed      = "closed"
	Rejected    = "rejected"
	Withdrawn   = "withdrawn"
)

// Statuses lists every state in workflow order.
func Statuses() []string {
	return []string{Applied, Verified, Appraised, Noticed, Signed, Transferred, InForce, Closed, Rejected, Withdrawn}
}

// open reports whether a case in status s still holds its parcels.
func open(s string) bool { return s != Closed && s != Rejected && s != Withdrawn }

// beforeSigning reports whether a case in status s may still be rejected by a case officer or
// withdrawn by its owner.
func beforeSigning(s string) bool {
	return s == Applied || s == Verified || s == Appraised || s == Noticed
}

// transfers reports whether a mode changes forest rights (title to the county's reserve).
func transfers(mode string) bool { return mode == "buyout" || mode == "exchange" }

// China is the county's clock: a date means that calendar day in Beijing time.
var China = time.FixedZone("CST", 8*3600)

// Today is the county's calendar day now.
func Today() time.Time {
	y, m, d := time.Now().In(China).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Who is the person taking a step: the audit actor and the roles that decide what they may do.
type Who struct {
	Actor audit.Actor
	Roles []auth.Role
}

func (w Who) has(roles ...auth.Role) bool {
	for _, r := range roles {
		if slices.Contains(w.Roles, r) {
			return true
		}
	}
	return false
}

func (w Who) userID() *int64 {
	if w.Actor.UserID == 0 {
		return nil
	}
	id := w.Actor.UserID
	return &id
}

// Case is a case as its page shows it.
type Case struct {
	ID        int64  `json:"id"`
	Number    string `json:"number"`
	Mode      string `json:"mode"`
	ModeLabel string `json:"mode_label"`
	// Payment says how the mode is paid under the policy in force: "lump" (a price in
	// instalments) or "yearly" (a payment each year of the term).
	Payment       string           `json:"payment"`
	Status        string           `json:"status"`
	Version       int              `json:"version"`
	County        string           `json:"county"`
	PolicyVersion string           `json:"policy_version"`
	Owner         Owner            `json:"owner"`
	OpenedAt      time.Time        `json:"opened_at"`
	OpenedBy      string           `json:"opened_by"`
	UpdatedAt     time.Time        `json:"updated_at"`
	Note          string           `json:"note"`
	Parcels       []Parcel         `json:"parcels"`
	Verification  *json.RawMessage `json:"verification"`
	Appraisal     *Appraisal       `json:"appraisal"`
	Notice        *Notice          `json:"notice"`
	Contract      *Contract        `json:"contract"`
	Transfer      *Transfer        `json:"transfer"`
	Reason        string           `json:"reason,omitempty"`
	AreaMu        subsidy.CentiMu  `json:"area_mu"`
	Paid          policy.Fen       `json:"paid_yuan"`
	Due           policy.Fen       `json:"due_yuan"`
	Events        []Event          `json:"events"`
	Objections    []Objection      `json:"objections"`
	Payments      []Payment        `json:"payments"`
	Documents     []Document       `json:"documents"`
	// Next lists the states the case may move to now, each with whether the asker may take the
	// step and, when not, why.
	Next []Step `json:"next"`
}

// Owner is the case's owner; the name is masked for whoever may not see personal data.
type Owner struct {
	ID     int64  `json:"id"`
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	Masked bool   `json:"masked"`
}

// Parcel is one parcel of a case with its frozen eligibility.
type Parcel struct {
	Code          string          `json:"code"`
	Role          string          `json:"role"`
	ParcelVersion int64           `json:"parcel_version"`
	MianJi        string          `json:"mian_ji"`
	AreaMu        subsidy.CentiMu `json:"area_mu"`
	Township      string          `json:"township"`
	Village       string          `json:"village"`
	Open          bool            `json:"open"`
	Frozen        json.RawMessage `json:"frozen_eligibility"`
	Share         *policy.Fen     `json:"share_yuan,omitempty"`
	YearlyShare   *policy.Fen     `json:"yearly_share_yuan,omitempty"`
}

// Appraisal is the third-party appraisal and its deviation from the indicative price.
type Appraisal struct {
	Appraised  policy.Fen `json:"appraised_yuan"`
	Indicative policy.Fen `json:"indicative_yuan"`
	// DeviationPct is (appraised − indicative) / indicative in percent, one decimal; nil when
	// there is no indicative price.
	DeviationPct *float64 `json:"deviation_pct"`
	Appraiser    string   `json:"appraiser"`
	Report       string   `json:"report"`
}

// Notice is the public notice (公示).
type Notice struct {
	Start string `json:"start"`
	Days  int    `json:"days"`
	Ends  string `json:"ends"`
}

// Contract is the signed contract and its payment schedule.
type Contract struct {
	Number     string        `json:"number"`
	SignedOn   string        `json:"signed_on"`
	Price      *policy.Fen   `json:"price_yuan,omitempty"`
	Yearly     *policy.Fen   `json:"yearly_yuan,omitempty"`
	TermYears  *int          `json:"term_years,omitempty"`
	StartsOn   string        `json:"starts_on,omitempty"`
	EndsOn     string        `json:"ends_on,omitempty"`
	Total      policy.Fen    `json:"total_yuan"`
	Schedule   []ScheduleRow `json:"schedule"`
	OverBudget bool          `json:"over_budget"`
}

// ScheduleRow is one instalment (or one year) of a contract.
type ScheduleRow struct {
	Label  string     `json:"label"`
	Amount policy.Fen `json:"amount_yuan"`
	// Due is the status (signed, transferred) or the date from which it may be paid.
	Due string `json:"due"`
	// Open: the instalment may be paid now.
	Open bool `json:"open"`
}

// Transfer is the change of forest rights.
type Transfer struct {
	On           string `json:"on"`
	Registration string `json:"registration"`
	Holder       string `json:"holder"`
}

// Event is one step of a case's history.
type Event struct {
	Version int             `json:"version"`
	Action  string          `json:"action"`
	From    string          `json:"from,omitempty"`
	To      string          `json:"to"`
	At      time.Time       `json:"at"`
	Actor   string          `json:"actor"`
	Detail  json.RawMessage `json:"detail"`
}

// Objection is one objection raised during the public notice.
type Objection struct {
	ID         int64      `json:"id"`
	RaisedOn   string     `json:"raised_on"`
	RaisedBy   string     `json:"raised_by"`
	Text       string     `json:"text"`
	RecordedBy string     `json:"recorded_by"`
	ResolvedAt *time.Time `json:"resolved_at"`
	ResolvedBy *string    `json:"resolved_by"`
	Resolution *string    `json:"resolution"`
}

// Payment is one row of the payment ledger.
type Payment struct {
	ID         int64      `json:"id"`
	Amount     policy.Fen `json:"amount_yuan"`
	PaidOn     string     `json:"paid_on"`
	Voucher    string     `json:"voucher"`
	Reverses   *int64     `json:"reverses,omitempty"`
	RecordedBy string     `json:"recorded_by"`
	RecordedAt time.Time  `json:"recorded_at"`
}

// Document is a file of the case file (its content is fetched separately).
type Document struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	Kind       string    `json:"kind"`
	MediaType  string    `json:"media_type"`
	Size       int64     `json:"size"`
	SHA256     string    `json:"sha256"`
	UploadedBy string    `json:"uploaded_by"`
	UploadedAt time.Time `json:"uploaded_at"`
}

// Step is a state the case may move to next.
type Step struct {
	To      string `json:"to"`
	Allowed bool   `json:"allowed"`
	Why     string `json:"why,omitempty"`
}

// OpenRequest opens a case: the mode, the owner's parcels and, for an exchange, the reserve's
// parcels the owner would receive.
type OpenRequest struct {
	Mode        string   `json:"mode"`
	Parcels     []string `json:"parcels"`
	Counterpart []string `json:"counterpart"`
	Note        string   `json:"note"`
}

// conflict turns a unique violation on the one-open-case index into a sentence.
func conflict(ctx context.Context, db pgx.Tx, err error, codes []string) error {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "23505" || pgErr.ConstraintName != "case_parcel_one_open_case" {
		return err
	}
	return apperr.New(apperr.Conflict, "parcel %s is already in an open case; a parcel is in at most one open case at a time", strings.Join(codes, ", "))
}

// Open opens a case in status applied for the current parcels named, which must all belong to
// one owner and be candidates for the mode under the policy in force. The parcels' stored
// eligibility is recomputed in the same transaction (they are now in a case).
func Open(ctx context.Context, pool *pgxpool.Pool, who Who, req OpenRequest) (int64, error) {
	if !slices.Contains(policy.CaseModes(), req.Mode) {
		return 0, apperr.New(apperr.Invalid, "mode %q is not a case mode: use one of %s", req.Mode, strings.Join(policy.CaseModes(), ", "))
	}
	codes, err := cleanCodes("parcels", req.Parcels, true)
	if err != nil {
		return 0, err
	}
	counter, err := cleanCodes("counterpart", req.Counterpart, req.Mode == "exchange")
	if err != nil {
		return 0, err
	}
	if req.Mode != "exchange" && len(counter) > 0 {
		return 0, apperr.New(apperr.Invalid, "counterpart parcels belong to an exchange only; a %s case has none", req.Mode)
	}
	for _, c := range counter {
		if slices.Contains(codes, c) {
			return 0, apperr.New(apperr.Invalid, "parcel %s cannot be both offered and received in the same exchange", c)
		}
	}
	if len([]rune(req.Note)) > 2000 {
		return 0, apperr.New(apperr.Invalid, "the note is %d characters; keep it under 2,000", len([]rune(req.Note)))
	}
	ctx = audit.WithActor(ctx, who.Actor)
	tx, err := pool.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(ctx)
	if err := recompute.Lock(ctx, tx); err != nil {
		return 0, err
	}
	today := Today()
	pol, err := casePolicy(ctx, tx, today)
	if err != nil {
		return 0, err
	}
	ps, err := currentParcels(ctx, tx, codes)
	if err != nil {
		return 0, err
	}
	owner := ps[0].ownerID
	for _, p := range ps {
		if p.ownerID == 0 {
			return 0, apperr.New(apperr.Invalid, "parcel %s has no owner on record: record its rights holder before opening a case", p.code)
		}
		if p.ownerID != owner {
			return 0, apperr.New(apperr.Invalid, "parcels %s and %s belong to different owners; a case has one owner: open one case per owner", ps[0].code, p.code)
		}
		if p.xian != ps[0].xian {
			return 0, apperr.New(apperr.Invalid, "parcels %s and %s lie in different counties; a case belongs to one county", ps[0].code, p.code)
		}
		res, err := evaluate(ctx, tx, pol, p.code, today)
		if err != nil {
			return 0, err
		}
		if why := candidate(res, req.Mode); why != "" {
			return 0, apperr.New(apperr.Conflict, "parcel %s is not a candidate for %s (%s): %s", p.code, req.Mode, modeLabel(req.Mode), why)
		}
	}
	var cps []current
	if len(counter) > 0 {
		if cps, err = currentParcels(ctx, tx, counter); err != nil {
			return 0, err
		}
		reserveID, err := reserveOwner(ctx, tx, pol)
		if err != nil {
			return 0, err
		}
		for _, p := range cps {
			if p.ownerID != reserveID {
				return 0, apperr.New(apperr.Invalid, "parcel %s is not held by %s: an exchange gives the owner forest the county's reserve holds", p.code, pol.Cases.Reserve.Name)
			}
		}
	}

	number, err := nextNumber(ctx, tx, pol.Cases, req.Mode, today.Year())
	if err != nil {
		return 0, err
	}
	var id int64
	if err := tx.QueryRow(ctx, `INSERT INTO buyout_case (number, county, mode, owner_id, policy_version, opened_by, note)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		number, ps[0].xian, req.Mode, owner, pol.Version, who.Actor.String(), req.Note).Scan(&id); err != nil {
		return 0, err
	}
	var ids []int64
	for _, group := range []struct {
		role string
		ps   []current
	}{{"offered", ps}, {"counterpart", cps}} {
		for _, p := range group.ps {
			if _, err := tx.Exec(ctx, `INSERT INTO case_parcel (case_id, code, role, parcel_id, opened_on) VALUES ($1, $2, $3, $4, $5)`,
				id, p.code, group.role, p.id, today); err != nil {
				return 0, conflict(ctx, tx, err, []string{p.code})
			}
			ids = append(ids, p.id)
		}
	}
	if err := event(ctx, tx, who, id, 1, "open", "", Applied, map[string]any{"parcels": codes, "counterpart": counter, "mode": req.Mode}); err != nil {
		return 0, err
	}
	if err := refresh(ctx, tx, today.Year(), ids); err != nil {
		return 0, err
	}
	if err := audit.Record(ctx, tx, audit.Entry{Action: "case.open", Entity: "buyout_case", EntityID: number,
		Detail: map[string]any{"mode": req.Mode, "parcels": codes, "counterpart": counter}}); err != nil {
		return 0, err
	}
	return id, tx.Commit(ctx)
}

// cleanCodes checks a list of parcel codes from a request: present when required, no blanks, no
// duplicates, at most 200.
func cleanCodes(field string, codes []string, required bool) ([]string, error) {
	if required && len(codes) == 0 {
		return nil, apperr.New(apperr.Invalid, "%q lists no parcel: name the parcel codes (小班号) of the case", field)
	}
	if len(codes) > 200 {
		return nil, apperr.New(apperr.Invalid, "%q lists %d parcels; a case holds at most 200", field, len(codes))
	}
	out := make([]string, 0, len(codes))
	for _, c := range codes {
		c = strings.TrimSpace(c)
		if c == "" || len(c) > 64 {
			return nil, apperr.New(apperr.Invalid, "%q holds an empty or overlong parcel code", field)
		}
		if slices.Contains(out, c) {
			return nil, apperr.New(apperr.Invalid, "%q names parcel %s twice", field, c)
		}
		out = append(out, c)
	}
	return out, nil
}

type current struct {
	id      int64
	code    string
	ownerID int64
	xian    string
}

// currentParcels reads the current versions of codes, locking them against a concurrent change
// of rights; every code must exist.
func currentParcels(ctx context.Context, tx pgx.Tx, codes []string) ([]current, error) {
	rows, err := tx.Query(ctx, `SELECT id, code, coalesce(owner_id, 0), xian FROM parcel
		WHERE code = ANY($1) AND valid_to IS NULL ORDER BY array_position($1, code) FOR SHARE`, codes)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (current, error) {
		var c current
		return c, r.Scan(&c.id, &c.code, &c.ownerID, &c.xian)
	})
	if err != nil {
		return nil, err
	}
	if len(out) < len(codes) {
		var missing []string
		for _, c := range codes {
			if !slices.ContainsFunc(out, func(p current) bool { return p.code == c }) {
				missing = append(missing, c)
			}
		}
		return nil, apperr.New(apperr.NotFound, "no current parcel has the code %s", strings.Join(missing, ", "))
	}
	return out, nil
}

// casePolicy is the policy in force on day, which must have a cases section.
func casePolicy(ctx context.Context, db policy.Querier, day time.Time) (*policy.Policy, error) {
	pol, _, err := policy.InForce(ctx, db, day)
	if err != nil {
		return nil, err
	}
	if pol.Cases == nil {
		return nil, apperr.New(apperr.Conflict, "the policy in force (%s) has no \"cases\" section (notice period, payment schedules, budget, reserve): load a policy that has one", pol.Version)
	}
	return pol, nil
}

// evaluate is the parcel's eligibility now, as if it were in no case: a case's own parcels are
// judged without the case they are in.
func evaluate(ctx context.Context, db facts.Querier, pol *policy.Policy, code string, day time.Time) (eligibility.Result, error) {
	p, err := facts.AsOf(ctx, db, code, day.Add(12*time.Hour))
	if err != nil {
		return eligibility.Result{}, err
	}
	p.Flags = slices.DeleteFunc(p.Flags, func(f string) bool { return f == "active_case" })
	return eligibility.Evaluate(pol, p), nil
}

// candidate says why a parcel is not a candidate for mode ("" when it is).
func candidate(res eligibility.Result, mode string) string {
	want := policy.PolicyMode(mode)
	for _, m := range append(slices.Clone(res.Modes), res.OtherModes...) {
		if m.ID == want {
			return ""
		}
	}
	var why []string
	for _, r := range res.Rules {
		if !r.Passed {
			why = append(why, r.Detail)
		}
	}
	if len(why) > 0 {
		return strings.Join(why, "; ")
	}
	var offered []string
	for _, m := range append(slices.Clone(res.Modes), res.OtherModes...) {
		offered = append(offered, string(m.ID))
	}
	return fmt.Sprintf("the policy offers it %s only", orNone(strings.Join(offered, ", ")))
}

func orNone(s string) string {
	if s == "" {
		return "no mode"
	}
	return s
}

// reserveOwner is the owner row of the county's reserve named by the policy, created on first use.
func reserveOwner(ctx context.Context, tx pgx.Tx, pol *policy.Policy) (int64, error) {
	var id int64
	err := tx.QueryRow(ctx, `SELECT id FROM owner WHERE kind = 'state' AND name = $1 ORDER BY id LIMIT 1`, pol.Cases.Reserve.Name).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		err = tx.QueryRow(ctx, `INSERT INTO owner (kind, name) VALUES ('state', $1) RETURNING id`, pol.Cases.Reserve.Name).Scan(&id)
	}
	return id, err
}

// nextNumber draws the next case number of mode and year (WY-SM-2026-0001). The counter row is
// locked until the transaction ends, and rolls back with it: numbers have no gaps.
func nextNumber(ctx context.Context, tx pgx.Tx, c *policy.Cases, mode string, year int) (string, error) {
	prefix := c.NumberPrefix + "-" + c.ModeCodes[mode]
	var n int
	if err := tx.QueryRow(ctx, `INSERT INTO case_number (prefix, year, last) VALUES ($1, $2, 1)
		ON CONFLICT (prefix, year) DO UPDATE SET last = case_number.last + 1 RETURNING last`, prefix, year).Scan(&n); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s-%d-%04d", prefix, year, n), nil
}

// event appends a step to the case's history.
func event(ctx context.Context, tx pgx.Tx, who Who, id int64, version int, action, from, to string, detail any) error {
	b, err := json.Marshal(detail)
	if err != nil {
		return err
	}
	var fromp *string
	if from != "" {
		fromp = &from
	}
	_, err = tx.Exec(ctx, `INSERT INTO case_event (case_id, version, action, from_status, to_status, actor, user_id, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, id, version, action, fromp, to, who.Actor.String(), who.userID(), b)
	return err
}

// refresh recomputes the stored eligibility and subsidy lines of parcel versions ids for year
// inside tx, when a policy for the year is loaded (the map and the roll then agree with the case
// at once).
func refresh(ctx context.Context, tx pgx.Tx, year int, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	if _, _, err := policy.ByYear(ctx, tx, year); apperr.CodeOf(err) == apperr.NotFound {
		return nil
	} else if err != nil {
		return err
	}
	_, err := recompute.ParcelsIn(ctx, tx, year, ids)
	return err
}

func modeLabel(mode string) string {
	if mode == "exchange" {
		return "置换"
	}
	return policy.Mode(mode).Label()
}

// maskOwner hides a person's name unless unmask.
func maskOwner(o *Owner, unmask bool) {
	if !unmask && pii.IsPerson(o.Kind) {
		o.Name = pii.MaskName(o.Name)
		o.Masked = true
	}
}
