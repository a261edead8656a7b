package wetland

import (
	"cmp"
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

// DebitRequest opens a debit: who applies, for what activity, on which footprint.
type DebitRequest struct {
	Applicant string          `json:"applicant"`
	Purpose   string          `json:"purpose"`
	Activity  string          `json:"activity"`
	Geometry  json.RawMessage `json:"geometry"`
}

// Debit is a debit as its page shows it.
type Debit struct {
	ID            int64      `json:"id"`
	Applicant     string     `json:"applicant"`
	Purpose       string     `json:"purpose"`
	Activity      string     `json:"activity"`
	Status        string     `json:"status"`
	Version       int        `json:"version"`
	PolicyVersion string     `json:"policy_version"`
	OccupiedMu    CentiMu    `json:"occupied_mu"`
	Required      Centi      `json:"credits_required"`
	Retired       Centi      `json:"credits_retired"`
	Outstanding   Centi      `json:"credits_outstanding"`
	Paid          policy.Fen `json:"paid_yuan"`
	Lines         []Line     `json:"lines"`
	Art21         *Art21Note `json:"art21"`
	Area          string     `json:"area,omitempty"`
	ServiceArea   string     `json:"service_area"`
	County        string     `json:"county,omitempty"`
	CreatedBy     string     `json:"created_by"`
	CreatedAt     time.Time  `json:"created_at"`
	Sales         []Sale     `json:"sales"`
}

// OpenDebit records a development application's debit: its footprint overlaid on the wetland
// patches gives, per type and importance, the 亩 occupied and the credits required. A footprint
// in a zone whose regime forbids the activity is refused, naming the zone's rule and article;
// one that owes nothing opens no debit.
func OpenDebit(ctx context.Context, pool *pgxpool.Pool, p auth.Principal, req DebitRequest) (int64, error) {
	if err := must(p, "open wetland debits", auth.CaseOfficer, auth.Admin); err != nil {
		return 0, err
	}
	applicant, err := text("applicant", req.Applicant, 200)
	if err != nil {
		return 0, err
	}
	if len([]rune(req.Purpose)) > 2000 {
		return 0, apperr.New(apperr.Invalid, "\"purpose\" is over 2,000 characters")
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
	if _, ok := pol.Activity(req.Activity); !ok {
		return 0, apperr.New(apperr.Invalid, "\"activity\" %q is not an activity of the policy: use one of %s", req.Activity, strings.Join(pol.Activities(), ", "))
	}
	f, err := locate(ctx, tx, req.Geometry)
	if err != nil {
		return 0, err
	}
	a, err := assess(ctx, tx, pol, f, req.Activity)
	if err != nil {
		return 0, err
	}
	if len(a.Forbidden) > 0 {
		z := a.Forbidden[0]
		return 0, apperr.New(apperr.Conflict, "%s is forbidden in %s (%s, zone kind %s): %s — %s; no debit can buy it free",
			req.Activity, z.Zone, z.Area, z.ZoneKind, z.Rule, z.LegalBasis)
	}
	if a.Required == 0 {
		return 0, apperr.New(apperr.Conflict, "the footprint owes no wetland credits: %s", a.Message)
	}
	lines, err := json.Marshal(a.Lines)
	if err != nil {
		return 0, err
	}
	var art21 []byte
	if a.Art21 != nil {
		if art21, err = json.Marshal(a.Art21); err != nil {
			return 0, err
		}
	}
	var id int64
	err = tx.QueryRow(ctx, `INSERT INTO wetland_debit (applicant, purpose, activity, policy_version, occupied_centimu, required_centi, lines, art21,
		area_id, service_area, county, created_by, geom)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, ST_Multi(ST_SetSRID(ST_GeomFromWKB($13), 4490))) RETURNING id`,
		applicant, strings.TrimSpace(req.Purpose), req.Activity, pol.Version, int64(a.OccupiedMu), int64(a.Required), lines, art21,
		a.areaID, a.ServiceArea, nilIfEmpty(a.County), p.Actor.String(), f.wkb).Scan(&id)
	if err != nil {
		return 0, err
	}
	if err := audit.Record(ctx, tx, audit.Entry{Action: "wetland.debit.open", Entity: "wetland_debit", EntityID: fmt.Sprint(id),
		Detail: map[string]any{"applicant": applicant, "activity": req.Activity, "occupied_mu": a.OccupiedMu, "credits_required": a.Required, "basis": a.Basis}}); err != nil {
		return 0, err
	}
	return id, tx.Commit(ctx)
}

// SaleLine buys credits of one project.
type SaleLine struct {
	Project int64 `json:"project"`
	Credits Centi `json:"credits"`
}

// SaleRequest settles (part of) a debit: the credits bought from each project, the price per
// credit a third-party appraisal set, and the payment into the fund.
type SaleRequest struct {
	Lines           []SaleLine  `json:"lines"`
	PriceYuan       *policy.Fen `json:"price_yuan_per_credit"`
	Appraiser       string      `json:"appraiser"`
	AppraisedOn     string      `json:"appraised_on"`
	AppraisalReport string      `json:"appraisal_report"`
	PaidOn          string      `json:"paid_on"`
	Voucher         string      `json:"voucher"`
}

// Sale is a recorded sale.
type Sale struct {
	ID              int64          `json:"id"`
	Buyer           string         `json:"buyer"`
	Price           policy.Fen     `json:"price_yuan_per_credit"`
	ReferencePrice  policy.Fen     `json:"reference_price_yuan_per_credit"`
	DeviationPct    *float64       `json:"deviation_pct"`
	Appraiser       string         `json:"appraiser"`
	AppraisedOn     string         `json:"appraised_on"`
	AppraisalReport string         `json:"appraisal_report"`
	Credits         Centi          `json:"credits"`
	Amount          policy.Fen     `json:"amount_yuan"`
	Fund            string         `json:"fund"`
	PaidOn          string         `json:"paid_on"`
	Voucher         string         `json:"voucher"`
	RecordedBy      string         `json:"recorded_by"`
	RecordedAt      time.Time      `json:"recorded_at"`
	Lines           []SaleLineView `json:"lines"`
}

// SaleLineView is one project's part of a sale.
type SaleLineView struct {
	Project int64      `json:"project"`
	Name    string     `json:"name"`
	Credits Centi      `json:"credits"`
	Amount  policy.Fen `json:"amount_yuan"`
}

// Sell records a sale against debit id (finance: it records the payment). The debit row and
// then each project row (in id order, so two sales never wait on each other crosswise) are
// locked while the balances are checked: however many sales arrive at once, no project sells
// more than it has released and unsold, and no debit buys more than it owes. Each project line
// is a sale entry (with its money) and a retirement; the payment is one entry to the fund.
func Sell(ctx context.Context, pool *pgxpool.Pool, p auth.Principal, id int64, req SaleRequest) (int64, error) {
	if err := must(p, "record wetland credit sales (the payment into the fund)", auth.Finance); err != nil {
		return 0, err
	}
	if len(req.Lines) == 0 || len(req.Lines) > 20 {
		return 0, apperr.New(apperr.Invalid, "\"lines\" lists %d projects: buy from 1 to 20 projects, each {\"project\": id, \"credits\": \"1.00\"}", len(req.Lines))
	}
	seen := map[int64]bool{}
	var total int64
	for _, l := range req.Lines {
		if l.Credits <= 0 {
			return 0, apperr.New(apperr.Invalid, "the line of project %d buys %s credits; buy more than 0", l.Project, l.Credits)
		}
		if seen[l.Project] {
			return 0, apperr.New(apperr.Invalid, "project %d is listed twice; one line per project", l.Project)
		}
		seen[l.Project] = true
		total += int64(l.Credits)
	}
	if req.PriceYuan == nil || *req.PriceYuan <= 0 {
		return 0, apperr.New(apperr.Invalid, "\"price_yuan_per_credit\" is missing: give the price per credit the appraisal set")
	}
	appraiser, err := text("appraiser", req.Appraiser, 200)
	if err != nil {
		return 0, apperr.New(apperr.Invalid, "\"appraiser\" is empty: a sale's price comes from a third-party appraisal; name the appraiser")
	}
	report, err := text("appraisal_report", req.AppraisalReport, 200)
	if err != nil {
		return 0, apperr.New(apperr.Invalid, "\"appraisal_report\" is empty: give the appraisal report's number")
	}
	if req.AppraisedOn == "" {
		return 0, apperr.New(apperr.Invalid, "\"appraised_on\" is missing: give the appraisal's date")
	}
	appraisedOn, err := date("appraised_on", req.AppraisedOn)
	if err != nil {
		return 0, err
	}
	paidOn, err := date("paid_on", req.PaidOn)
	if err != nil {
		return 0, err
	}
	voucher, err := text("voucher", req.Voucher, 100)
	if err != nil {
		return 0, apperr.New(apperr.Invalid, "\"voucher\" is empty: give the payment voucher number (凭证号)")
	}
	ctx = audit.WithActor(ctx, p.Actor)
	tx, err := pool.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(ctx)
	var d struct {
		applicant, status, service string
		required                   int64
	}
	err = tx.QueryRow(ctx, `SELECT applicant, status, service_area, required_centi FROM wetland_debit WHERE id = $1 FOR UPDATE`, id).
		Scan(&d.applicant, &d.status, &d.service, &d.required)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, apperr.New(apperr.NotFound, "there is no wetland debit %d", id)
	} else if err != nil {
		return 0, err
	}
	if d.status != "open" {
		return 0, apperr.New(apperr.Conflict, "debit %d is %s: nothing is left to buy", id, d.status)
	}
	var retired int64
	if err := tx.QueryRow(ctx, `SELECT coalesce(sum(centi), 0) FROM wetland_ledger WHERE debit_id = $1 AND kind = 'retire'`, id).Scan(&retired); err != nil {
		return 0, err
	}
	if retired+total > d.required {
		return 0, apperr.New(apperr.Conflict, "debit %d owes %s credits and has retired %s: buying %s would retire more than it owes (%s outstanding)",
			id, Centi(d.required), Centi(retired), Centi(total), Centi(d.required-retired))
	}
	pol, err := bankPolicy(ctx, tx)
	if err != nil {
		return 0, err
	}
	lines := append([]SaleLine(nil), req.Lines...)
	slices.SortFunc(lines, func(a, b SaleLine) int { return cmp.Compare(a.Project, b.Project) })
	amounts := make([]int64, len(lines))
	var amount int64
	for i, l := range lines {
		r, err := lockProject(ctx, tx, l.Project)
		if err != nil {
			return 0, err
		}
		if r.status != Approved {
			return 0, apperr.New(apperr.Conflict, "project %d (%s) is %s: it has no credits to sell", l.Project, r.name, r.status)
		}
		if d.service == "" || r.service != d.service {
			where := d.service
			if where == "" {
				where = "no service area"
			}
			return 0, apperr.New(apperr.Conflict, "project %d (%s) serves %s; debit %d lies in %s: credits are sold only within their service area",
				l.Project, r.name, r.service, id, where)
		}
		b, err := projectBalance(ctx, tx, l.Project)
		if err != nil {
			return 0, err
		}
		if l.Credits > b.Available {
			return 0, apperr.New(apperr.Conflict, "project %d (%s) has %s credits released and unsold (%s issued, %s released, %s sold): %s cannot be sold; unreleased credits are sold once a milestone releases them",
				l.Project, r.name, b.Available, b.Issued, b.Released, b.Sold, l.Credits)
		}
		amounts[i] = int64(req.PriceYuan.MulRat(big.NewRat(int64(l.Credits), 100)))
		amount += amounts[i]
	}
	fund := pol.WetlandBank.Rules.Fund
	var sid int64
	err = tx.QueryRow(ctx, `INSERT INTO wetland_sale (debit_id, buyer, price_fen, reference_price_fen, appraiser, appraised_on, appraisal_report,
		credits_centi, amount_fen, fund, paid_on, voucher, recorded_by, user_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
		id, d.applicant, int64(*req.PriceYuan), int64(pol.WetlandBank.CreditPriceYuanPerMu), appraiser, appraisedOn, report,
		total, amount, fund, paidOn, voucher, p.Actor.String(), userID(p)).Scan(&sid)
	if isUnique(err) {
		return 0, apperr.New(apperr.Conflict, "voucher %s is already recorded for a wetland sale", voucher)
	} else if err != nil {
		return 0, err
	}
	for i, l := range lines {
		pid := l.Project
		if err := entry(ctx, tx, p, ledgerEntry{kind: "sale", project: &pid, debit: &id, sale: &sid, centi: int64(l.Credits), fen: amounts[i]}); err != nil {
			return 0, err
		}
		if err := entry(ctx, tx, p, ledgerEntry{kind: "retire", project: &pid, debit: &id, sale: &sid, centi: int64(l.Credits), note: "retired against debit " + fmt.Sprint(id)}); err != nil {
			return 0, err
		}
	}
	if err := entry(ctx, tx, p, ledgerEntry{kind: "payment", debit: &id, sale: &sid, fen: amount, note: fund + " " + voucher}); err != nil {
		return 0, err
	}
	settled := retired+total == d.required
	if _, err := tx.Exec(ctx, `UPDATE wetland_debit SET version = version + 1, updated_at = now(), status = CASE WHEN $2 THEN 'settled' ELSE status END
		WHERE id = $1`, id, settled); err != nil {
		return 0, err
	}
	if err := audit.Record(ctx, tx, audit.Entry{Action: "wetland.sale", Entity: "wetland_debit", EntityID: fmt.Sprint(id),
		Detail: map[string]any{"sale": sid, "lines": lines, "price_yuan_per_credit": *req.PriceYuan, "amount_yuan": policy.Fen(amount),
			"appraiser": appraiser, "appraisal_report": report, "voucher": voucher, "fund": fund, "settled": settled}}); err != nil {
		return 0, err
	}
	return sid, tx.Commit(ctx)
}
