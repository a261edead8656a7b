package wetland

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/auth"
	"github.com/wuyuan-forestry/ecocomp/internal/policy"
)

// ledgerEntry is one entry to append.
type ledgerEntry struct {
	kind, bucket, note            string
	project, debit, sale, release *int64
	centi, fen                    int64
}

// entry appends e to the ledger, by p.
func entry(ctx context.Context, tx pgx.Tx, p auth.Principal, e ledgerEntry) error {
	var bucket *string
	if e.bucket != "" {
		bucket = &e.bucket
	}
	_, err := tx.Exec(ctx, `INSERT INTO wetland_ledger (kind, bucket, project_id, debit_id, sale_id, release_id, centi, fen, note, actor, user_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		e.kind, bucket, e.project, e.debit, e.sale, e.release, e.centi, e.fen, e.note, p.Actor.String(), userID(p))
	return err
}

// Balance is a project's credits as the ledger sums them.
type Balance struct {
	Issued   Centi `json:"issued"`
	Released Centi `json:"released"`
	// ReserveHeld is the part of the issued credits held back until the reserve milestone.
	ReserveHeld Centi `json:"reserve_held"`
	Sold        Centi `json:"sold"`
	// Available is released − sold: what may be sold now.
	Available Centi `json:"available"`
	Retired   Centi `json:"retired"`
	// Proceeds is the money the project's sales brought into the fund.
	Proceeds policy.Fen `json:"proceeds_yuan"`
}

// balanceSums is the one place that says how entries make a balance.
const balanceSums = `coalesce(sum(centi) FILTER (WHERE kind = 'issue' OR bucket = 'issued'), 0),
	coalesce(sum(centi) FILTER (WHERE kind = 'release' OR bucket = 'released'), 0),
	coalesce(sum(centi) FILTER (WHERE kind = 'reserve'), 0),
	coalesce(sum(centi) FILTER (WHERE kind = 'sale' OR bucket = 'sold'), 0),
	coalesce(sum(centi) FILTER (WHERE kind = 'retire'), 0),
	coalesce(sum(fen) FILTER (WHERE kind = 'sale'), 0)`

func (b *Balance) scan(row pgx.Row, extra ...any) error {
	err := row.Scan(append(extra, &b.Issued, &b.Released, &b.ReserveHeld, &b.Sold, &b.Retired, &b.Proceeds)...)
	b.Available = b.Released - b.Sold
	return err
}

func projectBalance(ctx context.Context, db Querier, id int64) (Balance, error) {
	var b Balance
	err := b.scan(db.QueryRow(ctx, `SELECT `+balanceSums+` FROM wetland_ledger WHERE project_id = $1`, id))
	return b, err
}

// ProjectBalance is one line of the balance sheet.
type ProjectBalance struct {
	Project     int64  `json:"project"`
	Name        string `json:"name"`
	Kind        string `json:"kind"`
	Sponsor     string `json:"sponsor"`
	Status      string `json:"status"`
	ServiceArea string `json:"service_area"`
	Balance
}

// Sheet is every project's balance and their totals, and the fund's receipts.
type Sheet struct {
	Projects []ProjectBalance `json:"projects"`
	Total    Balance          `json:"total"`
	Fund     string           `json:"fund"`
	// FundReceived is the sum of the payments booked to the fund.
	FundReceived policy.Fen `json:"fund_received_yuan"`
}

// Balances is the balance sheet, of one project when project > 0.
func Balances(ctx context.Context, db Querier, project int64) (*Sheet, error) {
	rows, err := db.Query(ctx, `SELECT p.id, p.name, p.kind, p.sponsor, p.status, p.service_area, b.*
		FROM wetland_project p CROSS JOIN LATERAL (SELECT `+balanceSums+` FROM wetland_ledger WHERE project_id = p.id) b
		WHERE $1 = 0 OR p.id = $1 ORDER BY p.id`, project)
	if err != nil {
		return nil, err
	}
	s := &Sheet{Projects: []ProjectBalance{}, Fund: policy.DefaultFund}
	for rows.Next() {
		var pb ProjectBalance
		if err := pb.scan(rows, &pb.Project, &pb.Name, &pb.Kind, &pb.Sponsor, &pb.Status, &pb.ServiceArea); err != nil {
			return nil, err
		}
		s.Projects = append(s.Projects, pb)
		t := &s.Total
		t.Issued, t.Released, t.ReserveHeld, t.Sold, t.Retired, t.Proceeds = t.Issued+pb.Issued, t.Released+pb.Released,
			t.ReserveHeld+pb.ReserveHeld, t.Sold+pb.Sold, t.Retired+pb.Retired, t.Proceeds+pb.Proceeds
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if project > 0 && len(s.Projects) == 0 {
		return nil, apperr.New(apperr.NotFound, "there is no wetland-bank project %d", project)
	}
	s.Total.Available = s.Total.Released - s.Total.Sold
	if pol, err := bankPolicy(ctx, db); err == nil {
		s.Fund = pol.WetlandBank.Rules.Fund
	}
	if project > 0 { // the project's part of the payments: its sale lines
		s.FundReceived = s.Total.Proceeds
		return s, nil
	}
	err = db.QueryRow(ctx, `SELECT coalesce(sum(fen), 0) FROM wetland_ledger WHERE kind = 'payment'`).Scan(&s.FundReceived)
	return s, err
}

// Entry is one ledger entry as a statement shows it, with the running balance of the
// statement's subject after it.
type Entry struct {
	ID        int64      `json:"id"`
	At        time.Time  `json:"at"`
	Kind      string     `json:"kind"`
	Bucket    string     `json:"bucket,omitempty"`
	Project   *int64     `json:"project"`
	Debit     *int64     `json:"debit"`
	Sale      *int64     `json:"sale"`
	Buyer     string     `json:"buyer,omitempty"`
	Credits   Centi      `json:"credits"`
	Amount    policy.Fen `json:"amount_yuan"`
	Note      string     `json:"note"`
	Actor     string     `json:"actor"`
	Available Centi      `json:"available_after"`
	Retired   Centi      `json:"retired_after"`
	Paid      policy.Fen `json:"paid_after_yuan"`
}

// Statement is the entries of one project or one buyer and where they leave it.
type Statement struct {
	Subject string  `json:"subject"`
	Project *int64  `json:"project,omitempty"`
	Buyer   string  `json:"buyer,omitempty"`
	Entries []Entry `json:"entries"`
	// Balance: for a project, its balance; for a buyer, what they bought and retired.
	Balance Balance `json:"balance"`
	// Required is a buyer's credits required over their debits; Paid what they paid the fund.
	Required Centi      `json:"credits_required,omitempty"`
	Paid     policy.Fen `json:"paid_yuan"`
	Fund     string     `json:"fund"`
}

// StatementOf is the statement of project (when > 0) or of buyer (a debit's applicant), or of
// the whole ledger when neither is given.
func StatementOf(ctx context.Context, db Querier, project int64, buyer string) (*Statement, error) {
	st := &Statement{Entries: []Entry{}, Fund: policy.DefaultFund}
	if pol, err := bankPolicy(ctx, db); err == nil {
		st.Fund = pol.WetlandBank.Rules.Fund
	}
	where, arg := "true", any(nil)
	switch {
	case project > 0:
		var name string
		if err := db.QueryRow(ctx, `SELECT name FROM wetland_project WHERE id = $1`, project).Scan(&name); err != nil {
			if err == pgx.ErrNoRows {
				return nil, apperr.New(apperr.NotFound, "there is no wetland-bank project %d", project)
			}
			return nil, err
		}
		st.Subject, st.Project = fmt.Sprintf("项目 %d %s", project, name), &project
		where, arg = "l.project_id = $1", project
	case buyer != "":
		var n int
		if err := db.QueryRow(ctx, `SELECT count(*), coalesce(sum(required_centi), 0) FROM wetland_debit WHERE applicant = $1`, buyer).Scan(&n, &st.Required); err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, apperr.New(apperr.NotFound, "no wetland debit has the applicant %q", buyer)
		}
		st.Subject, st.Buyer = "购买方 "+buyer, buyer
		where, arg = "d.applicant = $1", buyer
	default:
		st.Subject = "湿地银行总账"
		where = "$1::text IS NULL"
	}
	rows, err := db.Query(ctx, `SELECT l.id, l.at, l.kind, coalesce(l.bucket, ''), l.project_id, l.debit_id, l.sale_id, coalesce(d.applicant, ''),
		l.centi, l.fen, l.note, l.actor
		FROM wetland_ledger l LEFT JOIN wetland_debit d ON d.id = l.debit_id WHERE `+where+` ORDER BY l.id`, arg)
	if err != nil {
		return nil, err
	}
	b := &st.Balance
	for rows.Next() {
		var e Entry
		if err := rows.Scan(&e.ID, &e.At, &e.Kind, &e.Bucket, &e.Project, &e.Debit, &e.Sale, &e.Buyer, &e.Credits, &e.Amount, &e.Note, &e.Actor); err != nil {
			return nil, err
		}
		switch {
		case e.Kind == "issue" || e.Bucket == "issued":
			b.Issued += e.Credits
		case e.Kind == "release" || e.Bucket == "released":
			b.Released += e.Credits
		case e.Kind == "reserve":
			b.ReserveHeld += e.Credits
		case e.Kind == "sale" || e.Bucket == "sold":
			b.Sold += e.Credits
			b.Proceeds += e.Amount
		case e.Kind == "retire":
			b.Retired += e.Credits
		case e.Kind == "payment":
			st.Paid += e.Amount
		}
		b.Available = b.Released - b.Sold
		e.Available, e.Retired, e.Paid = b.Available, b.Retired, st.Paid
		st.Entries = append(st.Entries, e)
	}
	return st, rows.Err()
}
