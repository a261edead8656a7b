package care

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/audit"
	"github.com/wuyuan-forestry/ecocomp/internal/auth"
	"github.com/wuyuan-forestry/ecocomp/internal/pii"
	"github.com/wuyuan-forestry/ecocomp/internal/policy"
)

// The ranger columns that hold ciphertexts (sealed into each as additional data, as the owner
// columns are: a value encrypted for one column does not decrypt as another).
const (
	fieldName        = "ranger.name_enc"
	fieldIDNumber    = "ranger.id_number_enc"
	fieldBankAccount = "ranger.bank_account_enc"
)

// Ranger is one ecological ranger (生态护林员) with personal data decrypted (or masked by Mask).
type Ranger struct {
	ID            int64      `json:"id"`
	Name          string     `json:"name"`
	IDNumber      string     `json:"id_number"`
	BankAccount   string     `json:"bank_account"`
	VillageCode   string     `json:"village_code"`
	Village       string     `json:"village"`
	PoorHousehold bool       `json:"poor_household"`
	ContractFrom  string     `json:"contract_from"`
	ContractTo    string     `json:"contract_to"`
	YearlyPay     policy.Fen `json:"yearly_pay_yuan"`
	Areas         []string   `json:"areas"` // codes of the areas assigned to the ranger today
}

// RangerRequest is the body of POST /api/v1/care/rangers.
type RangerRequest struct {
	Name          string     `json:"name"`
	IDNumber      string     `json:"id_number"`
	BankAccount   string     `json:"bank_account"`
	VillageCode   string     `json:"village_code"`
	PoorHousehold bool       `json:"poor_household"`
	ContractFrom  string     `json:"contract_from"`
	ContractTo    string     `json:"contract_to"`
	YearlyPay     policy.Fen `json:"yearly_pay_yuan"`
}

var (
	idNumberPattern = regexp.MustCompile(`^[0-9]{17}[0-9X]$`)
	accountPattern  = regexp.MustCompile(`^[0-9]{8,30}$`)
)

// day reads a required date field.
func day(field, v string) (time.Time, error) {
	d, err := time.Parse(time.DateOnly, strings.TrimSpace(v))
	if err != nil {
		return time.Time{}, apperr.New(apperr.Invalid, "%q is %q, not a date: write it as 2026-03-31", field, v)
	}
	return d, nil
}

// CreateRanger adds a ranger to the roster with the personal data encrypted under the current
// key. An ID number already on the roster is refused.
func CreateRanger(ctx context.Context, pool *pgxpool.Pool, kr *pii.Keyring, p auth.Principal, req RangerRequest) (int64, error) {
	if err := must(p, "add rangers"); err != nil {
		return 0, err
	}
	name := strings.TrimSpace(req.Name)
	if name == "" || len([]rune(name)) > 100 {
		return 0, apperr.New(apperr.Invalid, "\"name\" must have 1–100 characters")
	}
	idn := pii.NormalizeIDNumber(req.IDNumber)
	if !idNumberPattern.MatchString(idn) {
		return 0, apperr.New(apperr.Invalid, "\"id_number\" must be a citizen ID number: 17 digits and a digit or X")
	}
	bank := strings.ReplaceAll(strings.TrimSpace(req.BankAccount), " ", "")
	if bank != "" && !accountPattern.MatchString(bank) {
		return 0, apperr.New(apperr.Invalid, "\"bank_account\" must be 8–30 digits (spaces are ignored)")
	}
	from, err := day("contract_from", req.ContractFrom)
	if err != nil {
		return 0, err
	}
	to, err := day("contract_to", req.ContractTo)
	if err != nil {
		return 0, err
	}
	if to.Before(from) {
		return 0, apperr.New(apperr.Invalid, "the contract ends (%s) before it starts (%s)", req.ContractTo, req.ContractFrom)
	}
	if req.YearlyPay < 0 {
		return 0, apperr.New(apperr.Invalid, "\"yearly_pay_yuan\" must not be negative")
	}
	var village *string
	if v := strings.TrimSpace(req.VillageCode); v != "" {
		village = &v
	}
	nameEnc, err := kr.Encrypt(fieldName, name)
	if err != nil {
		return 0, err
	}
	idnEnc, err := kr.Encrypt(fieldIDNumber, idn)
	if err != nil {
		return 0, err
	}
	bankEnc, err := kr.Encrypt(fieldBankAccount, bank)
	if err != nil {
		return 0, err
	}
	ctx = audit.WithActor(ctx, p.Actor)
	tx, err := pool.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	// One addition at a time checks for the same person, so two posts cannot both pass.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('ranger'))`); err != nil {
		return 0, err
	}
	var other int64
	err = tx.QueryRow(ctx, `SELECT id FROM ranger WHERE id_number_hash = ANY($1) ORDER BY id LIMIT 1`, kr.SearchHashes(idn)).Scan(&other)
	if err == nil {
		return 0, apperr.New(apperr.Conflict, "that ID number is already on the roster as ranger %d", other)
	} else if !errors.Is(err, pgx.ErrNoRows) {
		return 0, err
	}
	var id int64
	err = tx.QueryRow(ctx, `INSERT INTO ranger (name_enc, id_number_enc, id_number_hash, bank_account_enc, village_code, poor_household,
		contract_from, contract_to, yearly_pay_fen, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
		nameEnc, idnEnc, kr.SearchHash(idn), bankEnc, village, req.PoorHousehold, from, to, int64(req.YearlyPay), p.Actor.String()).Scan(&id)
	if isViolation(err, "23503") {
		return 0, apperr.New(apperr.Invalid, "\"village_code\" %q is not a village of the county", req.VillageCode)
	} else if err != nil {
		return 0, err
	}
	if err := audit.Record(ctx, tx, audit.Entry{Action: "care.ranger.create", Entity: "ranger", EntityID: fmt.Sprint(id),
		Detail: map[string]any{"village_code": village, "poor_household": req.PoorHousehold,
			"contract": req.ContractFrom + "/" + req.ContractTo, "yearly_pay_yuan": req.YearlyPay}}); err != nil {
		return 0, err
	}
	return id, tx.Commit(ctx)
}

// Rangers is the roster with personal data decrypted, by id.
func Rangers(ctx context.Context, db Querier, kr *pii.Keyring) ([]Ranger, error) {
	rows, err := db.Query(ctx, `
		SELECT r.id, r.name_enc, r.id_number_enc, r.bank_account_enc, coalesce(r.village_code, ''), coalesce(v.name, ''),
		       r.poor_household, r.contract_from::text, r.contract_to::text, r.yearly_pay_fen,
		       coalesce((SELECT array_agg(a.code ORDER BY a.code) FROM care_assignment s JOIN care_area a ON a.id = s.area_id
		                 WHERE s.ranger_id = r.id AND s.period @> (now() AT TIME ZONE 'Asia/Shanghai')::date), '{}')
		FROM ranger r LEFT JOIN admin_unit v ON v.code = r.village_code
		ORDER BY r.id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Ranger{}
	for rows.Next() {
		var r Ranger
		var name, idn, bank []byte
		var pay int64
		if err := rows.Scan(&r.ID, &name, &idn, &bank, &r.VillageCode, &r.Village, &r.PoorHousehold, &r.ContractFrom, &r.ContractTo, &pay, &r.Areas); err != nil {
			return nil, err
		}
		r.YearlyPay = policy.Fen(pay)
		for _, f := range []struct {
			field string
			ct    []byte
			dst   *string
		}{{fieldName, name, &r.Name}, {fieldIDNumber, idn, &r.IDNumber}, {fieldBankAccount, bank, &r.BankAccount}} {
			if *f.dst, err = kr.Decrypt(f.field, f.ct); err != nil {
				return nil, decryptFailed(r.ID, err)
			}
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Mask hides a ranger's personal data the way owners' is hidden from those who may not read it.
func (r *Ranger) Mask() {
	r.Name, r.IDNumber, r.BankAccount = pii.MaskName(r.Name), pii.MaskIDNumber(r.IDNumber), pii.MaskAccount(r.BankAccount)
}

// decryptFailed words a decryption failure for the user, without the data.
func decryptFailed(id int64, err error) error {
	if errors.Is(err, pii.ErrUnknownKey) {
		return apperr.Wrap(apperr.Unavailable, fmt.Errorf("ranger %d: %w", id, err),
			"rangers' personal data was encrypted with a key that is not configured here: the administrator must add that key to ECOCOMP_PII_KEY (docs/pii-keys.md)")
	}
	return apperr.Wrap(apperr.Internal, fmt.Errorf("ranger %d: %w", id, err),
		"a ranger's encrypted personal data does not decrypt (altered in the database?); it has been logged")
}

// AssignmentRequest is the body of POST /api/v1/care/areas/{id}/assignments: the ranger and
// the days [from, to] (to empty: to the end of the ranger's contract).
type AssignmentRequest struct {
	Ranger int64  `json:"ranger"`
	From   string `json:"from"`
	To     string `json:"to"`
}

// Assign puts a ranger on area from req.From to req.To (inclusive). The period must lie in the
// ranger's contract; an area has one ranger at a time, so a period that overlaps another
// assignment of the area is refused, naming it.
func Assign(ctx context.Context, pool *pgxpool.Pool, p auth.Principal, area int64, req AssignmentRequest) (int64, error) {
	if err := must(p, "assign rangers"); err != nil {
		return 0, err
	}
	from, err := day("from", req.From)
	if err != nil {
		return 0, err
	}
	var to time.Time
	if strings.TrimSpace(req.To) != "" {
		if to, err = day("to", req.To); err != nil {
			return 0, err
		}
		if to.Before(from) {
			return 0, apperr.New(apperr.Invalid, "the assignment ends (%s) before it starts (%s)", req.To, req.From)
		}
	}
	ctx = audit.WithActor(ctx, p.Actor)
	tx, err := pool.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	var code string
	if err := tx.QueryRow(ctx, `SELECT code FROM care_area WHERE id = $1`, area).Scan(&code); errors.Is(err, pgx.ErrNoRows) {
		return 0, apperr.New(apperr.NotFound, "there is no care area %d", area)
	} else if err != nil {
		return 0, err
	}
	var cFrom, cTo time.Time
	if err := tx.QueryRow(ctx, `SELECT contract_from, contract_to FROM ranger WHERE id = $1`, req.Ranger).Scan(&cFrom, &cTo); errors.Is(err, pgx.ErrNoRows) {
		return 0, apperr.New(apperr.Invalid, "\"ranger\" %d is not on the roster", req.Ranger)
	} else if err != nil {
		return 0, err
	}
	if to.IsZero() {
		to = cTo
	}
	if from.Before(cFrom) || to.After(cTo) {
		return 0, apperr.New(apperr.Invalid, "ranger %d is under contract from %s to %s: give \"from\" and \"to\" within it",
			req.Ranger, cFrom.Format(time.DateOnly), cTo.Format(time.DateOnly))
	}
	var id int64
	err = tx.QueryRow(ctx, `INSERT INTO care_assignment (area_id, ranger_id, period, created_by)
		VALUES ($1, $2, daterange($3, $4, '[]'), $5) RETURNING id`, area, req.Ranger, from, to, p.Actor.String()).Scan(&id)
	if isViolation(err, "23P01") {
		return 0, overlapping(ctx, pool, area, code, from, to)
	} else if err != nil {
		return 0, err
	}
	if err := audit.Record(ctx, tx, audit.Entry{Action: "care.assignment.create", Entity: "care_assignment", EntityID: fmt.Sprint(id),
		Detail: map[string]any{"area": code, "ranger": req.Ranger, "from": from.Format(time.DateOnly), "to": to.Format(time.DateOnly)}}); err != nil {
		return 0, err
	}
	return id, tx.Commit(ctx)
}

// overlapping words the refusal of an assignment whose period meets another of the same area.
func overlapping(ctx context.Context, db Querier, area int64, code string, from, to time.Time) error {
	var other, ranger int64
	var oFrom, oTo string
	err := db.QueryRow(ctx, `SELECT id, ranger_id, lower(period)::text, (upper(period) - 1)::text FROM care_assignment
		WHERE area_id = $1 AND period && daterange($2, $3, '[]') ORDER BY lower(period) LIMIT 1`, area, from, to).Scan(&other, &ranger, &oFrom, &oTo)
	if err != nil {
		return apperr.New(apperr.Conflict, "area %s already has a ranger for part of that period: one ranger at a time", code)
	}
	return apperr.New(apperr.Conflict, "area %s already has ranger %d from %s to %s (assignment %d): one ranger at a time; choose days outside it",
		code, ranger, oFrom, oTo, other)
}

// RotateRangers re-encrypts every ranger's personal data under the current key of kr and
// recomputes the search hashes, in one transaction that keeps writers out; it returns how many
// rangers it rewrote. A row no key of kr opens stops it, changing nothing. `ecocomp pii rotate`
// runs it beside owners.Rotate, before an older key is removed.
func RotateRangers(ctx context.Context, pool *pgxpool.Pool, kr *pii.Keyring) (int, error) {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, `LOCK TABLE ranger IN EXCLUSIVE MODE`); err != nil {
		return 0, err
	}
	rows, err := tx.Query(ctx, `SELECT id, name_enc, id_number_enc, bank_account_enc FROM ranger ORDER BY id`)
	if err != nil {
		return 0, err
	}
	var sealed [][]any
	for rows.Next() {
		var id int64
		cts := make([][]byte, 3)
		if err := rows.Scan(&id, &cts[0], &cts[1], &cts[2]); err != nil {
			rows.Close()
			return 0, err
		}
		row := []any{id}
		var idn string
		for i, field := range []string{fieldName, fieldIDNumber, fieldBankAccount} {
			plain, err := kr.Decrypt(field, cts[i])
			if err != nil {
				rows.Close()
				return 0, decryptFailed(id, err)
			}
			if field == fieldIDNumber {
				idn = plain
			}
			ct, err := kr.Encrypt(field, plain)
			if err != nil {
				rows.Close()
				return 0, err
			}
			row = append(row, ct)
		}
		sealed = append(sealed, append(row, kr.SearchHash(idn)))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, r := range sealed {
		if _, err := tx.Exec(ctx, `UPDATE ranger SET name_enc = $2, id_number_enc = $3, bank_account_enc = $4, id_number_hash = $5 WHERE id = $1`, r...); err != nil {
			return 0, err
		}
	}
	if err := audit.Record(ctx, tx, audit.Entry{Action: "pii.rotate", Entity: "ranger",
		Detail: map[string]any{"rangers": len(sealed), "key": kr.CurrentID()}}); err != nil {
		return 0, err
	}
	return len(sealed), tx.Commit(ctx)
}
