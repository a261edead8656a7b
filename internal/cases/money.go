package cases

import (
	"context"
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
	"github.com/wuyuan-forestry/ecocomp/internal/policy"
)

// plan is a contract's payment schedule as of a day.
type plan struct {
	total int64
	rows  []ScheduleRow
}

// dueNow is what may have been paid by now: the sum of the open instalments.
func (p plan) dueNow() int64 {
	var due int64
	for _, r := range p.rows {
		if r.Open {
			due += int64(r.Amount)
		}
	}
	return due
}

// reached reports whether a case in status has reached the instalment's due status.
func reached(status, due string) bool {
	order := map[string]int{Signed: 1, InForce: 2, Transferred: 2, Closed: 3}
	return order[status] >= order[due] && order[status] > 0
}

// schedule is the payment plan of case c: a lump sum in the policy's instalments, or one row per
// year of the term, each open from its first day.
func schedule(c *row, cs *policy.Cases, today time.Time) plan {
	var p plan
	switch {
	case c.yearlyFen != nil && c.termYears != nil:
		p.total = *c.yearlyFen * int64(*c.termYears)
		start := c.signedOn
		if c.startsOn != nil {
			start = c.startsOn
		}
		for y := 0; y < *c.termYears; y++ {
			from := start.AddDate(y, 0, 0)
			p.rows = append(p.rows, ScheduleRow{Label: fmt.Sprintf("第%d年", y+1), Amount: policy.Fen(*c.yearlyFen),
				Due: from.Format(time.DateOnly), Open: reached(c.status, Signed) && !today.Before(from)})
		}
	case c.priceFen != nil:
		p.total = *c.priceFen
		list := cs.Schedules[c.mode]
		var given int64
		for i, in := range list {
			amount := p.total - given
			if i < len(list)-1 {
				amount = int64(policy.Fen(p.total).MulDecimal(in.Share))
			}
			given += amount
			p.rows = append(p.rows, ScheduleRow{Label: fmt.Sprintf("第%d期（%s%%）", i+1, policy.Decimal(int64(in.Share)*100)), Amount: policy.Fen(amount),
				Due: in.Due, Open: reached(c.status, in.Due)})
		}
	}
	return p
}

func paidSoFar(ctx context.Context, db pgx.Tx, id int64) (int64, error) {
	var paid int64
	err := db.QueryRow(ctx, `SELECT coalesce(sum(amount_fen), 0) FROM case_payment WHERE case_id = $1`, id).Scan(&paid)
	return paid, err
}

// PaymentRequest records a payment (or, with Reverses, reverses one).
type PaymentRequest struct {
	AmountYuan policy.Fen `json:"amount_yuan"`
	PaidOn     string     `json:"paid_on"`
	Voucher    string     `json:"voucher"`
	Reverses   *int64     `json:"reverses"`
}

// Pay records a payment against case id's contract. The case row is locked while the sum is
// checked, so however many payments arrive at once the total paid never exceeds what the
// schedule has made due, nor the contract. A reversal cancels one earlier payment in full.
func Pay(ctx context.Context, pool *pgxpool.Pool, who Who, id int64, req PaymentRequest) (int64, error) {
	if !who.has(auth.Finance) {
		return 0, apperr.New(apperr.Forbidden, "only finance records payments")
	}
	voucher := strings.TrimSpace(req.Voucher)
	if voucher == "" || len(voucher) > 100 {
		return 0, apperr.New(apperr.Invalid, "\"voucher\" is empty or too long: give the payment voucher number (凭证号)")
	}
	if req.Reverses == nil && req.AmountYuan <= 0 {
		return 0, apperr.New(apperr.Invalid, "\"amount_yuan\" must be more than 0 (to undo a payment, send \"reverses\": its id)")
	}
	ctx = audit.WithActor(ctx, who.Actor)
	tx, err := pool.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(ctx)
	c, err := lockCase(ctx, tx, id)
	if err != nil {
		return 0, err
	}
	today := Today()
	paidOn := today
	if req.PaidOn != "" {
		if paidOn, err = time.Parse(time.DateOnly, req.PaidOn); err != nil {
			return 0, apperr.New(apperr.Invalid, "\"paid_on\" is %q, not a date: write it as 2026-03-31", req.PaidOn)
		}
		if paidOn.After(today) {
			return 0, apperr.New(apperr.Invalid, "\"paid_on\" %s is after today: record a payment once it is made", req.PaidOn)
		}
	}
	paid, err := paidSoFar(ctx, tx, id)
	if err != nil {
		return 0, err
	}
	amount := int64(req.AmountYuan)
	if req.Reverses != nil {
		var orig int64
		var reversed bool
		err := tx.QueryRow(ctx, `SELECT amount_fen, EXISTS (SELECT 1 FROM case_payment r WHERE r.reverses = p.id)
			FROM case_payment p WHERE p.id = $1 AND p.case_id = $2 AND p.reverses IS NULL`, *req.Reverses, id).Scan(&orig, &reversed)
		if err == pgx.ErrNoRows {
			return 0, apperr.New(apperr.NotFound, "case %s has no payment %d to reverse", c.number, *req.Reverses)
		} else if err != nil {
			return 0, err
		}
		if reversed {
			return 0, apperr.New(apperr.Conflict, "payment %d of case %s is already reversed", *req.Reverses, c.number)
		}
		amount = -orig
	} else {
		if !slices.Contains([]string{Signed, Transferred, InForce}, c.status) {
			return 0, apperr.New(apperr.Conflict, "case %s is %s: payments are made on a signed contract (signed, transferred or in force)", c.number, c.status)
		}
		pol, err := casePolicy(ctx, tx, today)
		if err != nil {
			return 0, err
		}
		p := schedule(c, pol.Cases, today)
		due := p.dueNow()
		if paid+amount > due {
			what := "what has fallen due"
			if due == p.total {
				what = "the contract"
			}
			return 0, apperr.New(apperr.Conflict, "a payment of %s 元 would bring case %s to %s 元 paid, more than %s (%s 元 of a %s 元 contract; %s 元 paid so far)",
				policy.Fen(amount), c.number, policy.Fen(paid+amount), what, policy.Fen(due), policy.Fen(p.total), policy.Fen(paid))
		}
	}
	var pid int64
	err = tx.QueryRow(ctx, `INSERT INTO case_payment (case_id, amount_fen, paid_on, voucher, reverses, recorded_by, user_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, id, amount, paidOn, voucher, req.Reverses, who.Actor.String(), who.userID()).Scan(&pid)
	if pgErr, ok := err.(*pgconn.PgError); ok && pgErr.Code == "23505" {
		return 0, apperr.New(apperr.Conflict, "voucher %s is already recorded on case %s", voucher, c.number)
	} else if err != nil {
		return 0, err
	}
	if err := audit.Record(ctx, tx, audit.Entry{Action: "case.payment", Entity: "buyout_case", EntityID: c.number,
		Detail: map[string]any{"payment": pid, "amount_yuan": policy.Fen(amount), "voucher": voucher, "paid_yuan": policy.Fen(paid + amount), "reverses": req.Reverses}}); err != nil {
		return 0, err
	}
	return pid, tx.Commit(ctx)
}

// ObjectionRequest records an objection raised during the public notice, or (with Resolution)
// its resolution.
type ObjectionRequest struct {
	Version    int    `json:"version"`
	RaisedBy   string `json:"raised_by"`
	RaisedOn   string `json:"raised_on"`
	Text       string `json:"text"`
	Resolution string `json:"resolution"`
}

// Object records an objection to case id while it is in notice. It counts as a step of the case
// (the version moves on).
func Object(ctx context.Context, pool *pgxpool.Pool, who Who, id int64, req ObjectionRequest) (int64, error) {
	if strings.TrimSpace(req.Text) == "" || strings.TrimSpace(req.RaisedBy) == "" {
		return 0, apperr.New(apperr.Invalid, "an objection needs \"text\" and \"raised_by\" (who objected)")
	}
	var oid int64
	err := objectionStep(ctx, pool, who, id, req.Version, "objection", func(ctx context.Context, tx pgx.Tx, c *row, today time.Time) (map[string]any, error) {
		if c.status != Noticed {
			return nil, apperr.New(apperr.Conflict, "case %s is %s: objections are recorded during the public notice", c.number, c.status)
		}
		on := today
		if req.RaisedOn != "" {
			var err error
			if on, err = time.Parse(time.DateOnly, req.RaisedOn); err != nil || on.After(today) {
				return nil, apperr.New(apperr.Invalid, "\"raised_on\" is %q: give the date the objection was raised (not after today)", req.RaisedOn)
			}
		}
		if err := tx.QueryRow(ctx, `INSERT INTO case_objection (case_id, raised_on, raised_by, text, recorded_by) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			c.id, on, req.RaisedBy, req.Text, who.Actor.String()).Scan(&oid); err != nil {
			return nil, err
		}
		return map[string]any{"objection": oid, "raised_by": req.RaisedBy, "text": req.Text}, nil
	})
	return oid, err
}

// Resolve records the resolution of objection oid of case id.
func Resolve(ctx context.Context, pool *pgxpool.Pool, who Who, id, oid int64, req ObjectionRequest) error {
	if strings.TrimSpace(req.Resolution) == "" {
		return apperr.New(apperr.Invalid, "\"resolution\" is empty: say how the objection was resolved")
	}
	return objectionStep(ctx, pool, who, id, req.Version, "objection_resolved", func(ctx context.Context, tx pgx.Tx, c *row, _ time.Time) (map[string]any, error) {
		tag, err := tx.Exec(ctx, `UPDATE case_objection SET resolved_at = now(), resolved_by = $3, resolution = $4
			WHERE id = $2 AND case_id = $1 AND resolved_at IS NULL`, c.id, oid, who.Actor.String(), req.Resolution)
		if err != nil {
			return nil, err
		}
		if tag.RowsAffected() == 0 {
			return nil, apperr.New(apperr.Conflict, "case %s has no open objection %d", c.number, oid)
		}
		return map[string]any{"objection": oid, "resolution": req.Resolution}, nil
	})
}

// objectionStep runs an objection change as a versioned step of the case.
func objectionStep(ctx context.Context, pool *pgxpool.Pool, who Who, id int64, version int, action string,
	do func(context.Context, pgx.Tx, *row, time.Time) (map[string]any, error)) error {
	if !who.has(auth.CaseOfficer, auth.Admin) {
		return apperr.New(apperr.Forbidden, "only a case officer or an administrator records objections")
	}
	if version < 1 {
		return apperr.New(apperr.Invalid, "\"version\" is missing: send the case version you last saw")
	}
	ctx = audit.WithActor(ctx, who.Actor)
	tx, err := pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	c, err := lockCase(ctx, tx, id)
	if err != nil {
		return err
	}
	if c.version != version {
		return apperr.New(apperr.Conflict, "case %s has moved on: it is at version %d, not %d; reload it", c.number, c.version, version)
	}
	detail, err := do(ctx, tx, c, Today())
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE buyout_case SET version = version + 1, updated_at = now() WHERE id = $1`, id); err != nil {
		return err
	}
	if err := event(ctx, tx, who, id, c.version+1, action, c.status, c.status, detail); err != nil {
		return err
	}
	if err := audit.Record(ctx, tx, audit.Entry{Action: "case." + action, Entity: "buyout_case", EntityID: c.number, Detail: detail}); err != nil {
		return err
	}
	return tx.Commit(ctx)
}
