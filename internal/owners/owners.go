// Package owners reads and writes the owner table, whose personal data — ID numbers, bank
// accounts, phones — is stored encrypted (internal/pii, docs/pii-keys.md). Plaintext exists only
// in this process's memory: it is never written to the database, never logged and never put in
// an error.
package owners

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/audit"
	"github.com/wuyuan-forestry/ecocomp/internal/pii"
)

// Owner is one owner with its personal data decrypted and its current parcels.
type Owner struct {
	ID          int64    `json:"id"`
	Kind        string   `json:"kind"`
	Name        string   `json:"name"`
	IDNumber    string   `json:"id_number"`
	BankAccount string   `json:"bank_account"`
	Phone       string   `json:"phone"`
	VillageCode string   `json:"village_code"`
	Village     string   `json:"village"`
	Demo        bool     `json:"demo"`
	Parcels     []string `json:"parcels"` // codes of the current parcel versions the owner holds
}

// Querier is a pool, connection or transaction.
type Querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// Insert stores o (ID, Village and Parcels ignored) with its personal data encrypted under the
// current key and its ID number's search hash, and returns the new id.
func Insert(ctx context.Context, db Querier, kr *pii.Keyring, o Owner) (int64, error) {
	o.IDNumber = pii.NormalizeIDNumber(o.IDNumber)
	idn, bank, phone, err := seal(kr, o)
	if err != nil {
		return 0, err
	}
	var village *string
	if o.VillageCode != "" {
		village = &o.VillageCode
	}
	var id int64
	err = db.QueryRow(ctx, `INSERT INTO owner (kind, name, id_number_enc, id_number_hash, bank_account_enc, phone_enc, village_code, demo)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		o.Kind, o.Name, idn, kr.SearchHash(o.IDNumber), bank, phone, village, o.Demo).Scan(&id)
	return id, err
}

// FindByIDNumber returns the owners whose ID number (citizen ID or unified social credit code)
// is idNumber, compared after trimming and upper-casing, with their current parcels. One person
// can be several owners (alone and as the lead of a partnership). None is apperr.NotFound.
// The search goes through the keyed hashes of every configured key, so rows not yet re-hashed
// by `ecocomp pii rotate` are found too.
func FindByIDNumber(ctx context.Context, db Querier, kr *pii.Keyring, idNumber string) ([]Owner, error) {
	want := pii.NormalizeIDNumber(idNumber)
	if want == "" {
		return nil, apperr.New(apperr.Invalid, "an ID number is needed to find an owner")
	}
	rows, err := db.Query(ctx, `
		SELECT o.id, o.kind, o.name, o.id_number_enc, o.bank_account_enc, o.phone_enc,
		       coalesce(o.village_code, ''), coalesce(v.name, ''), o.demo,
		       coalesce(array_agg(p.code ORDER BY p.code) FILTER (WHERE p.code IS NOT NULL), '{}')
		FROM owner o
		LEFT JOIN admin_unit v ON v.code = o.village_code
		LEFT JOIN parcel p ON p.owner_id = o.id AND p.valid_to IS NULL
		WHERE o.id_number_hash = ANY($1)
		GROUP BY o.id, v.name
		ORDER BY o.id`, kr.SearchHashes(want))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Owner
	for rows.Next() {
		var o Owner
		var idn, bank, phone []byte
		if err := rows.Scan(&o.ID, &o.Kind, &o.Name, &idn, &bank, &phone, &o.VillageCode, &o.Village, &o.Demo, &o.Parcels); err != nil {
			return nil, err
		}
		if err := decrypt(kr, &o, idn, bank, phone); err != nil {
			return nil, err
		}
		if o.IDNumber == want { // a hash match is a match; this only guards against the impossible
			out = append(out, o)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, apperr.New(apperr.NotFound, "no owner has that ID number")
	}
	return out, nil
}

// seal encrypts o's personal data under the current key.
func seal(kr *pii.Keyring, o Owner) (idn, bank, phone []byte, err error) {
	if idn, err = kr.Encrypt(pii.FieldIDNumber, o.IDNumber); err != nil {
		return
	}
	if bank, err = kr.Encrypt(pii.FieldBankAccount, o.BankAccount); err != nil {
		return
	}
	phone, err = kr.Encrypt(pii.FieldPhone, o.Phone)
	return
}

// decrypt fills o's personal data from its ciphertexts.
func decrypt(kr *pii.Keyring, o *Owner, idn, bank, phone []byte) error {
	var err error
	if o.IDNumber, err = kr.Decrypt(pii.FieldIDNumber, idn); err != nil {
		return decryptFailed(o.ID, err)
	}
	if o.BankAccount, err = kr.Decrypt(pii.FieldBankAccount, bank); err != nil {
		return decryptFailed(o.ID, err)
	}
	if o.Phone, err = kr.Decrypt(pii.FieldPhone, phone); err != nil {
		return decryptFailed(o.ID, err)
	}
	return nil
}

// decryptFailed words a decryption failure for the user, without the data: a key this process
// lacks is the administrator's to configure; a ciphertext that does not authenticate was altered.
func decryptFailed(id int64, err error) error {
	if errors.Is(err, pii.ErrUnknownKey) {
		return apperr.Wrap(apperr.Unavailable, fmt.Errorf("owner %d: %w", id, err),
			"owners' personal data was encrypted with a key that is not configured here: the administrator must add that key to ECOCOMP_PII_KEY (docs/pii-keys.md)")
	}
	return apperr.Wrap(apperr.Internal, fmt.Errorf("owner %d: %w", id, err),
		"an owner's encrypted personal data does not decrypt (altered in the database?); it has been logged")
}

// RotateSummary says what Rotate did.
type RotateSummary struct {
	Owners int    // owners re-encrypted (every owner)
	Older  int    // of them, those with data under an older key or an out-of-date search hash
	Key    string // id of the current key, now the only one the owner table needs
}

// Rotate re-encrypts every owner's personal data under the current key of kr and recomputes the
// search hashes, in one transaction that keeps writers out (readers go on). Afterwards the older
// keys can be removed from the configuration. A row no key of kr opens stops it, changing nothing.
func Rotate(ctx context.Context, pool *pgxpool.Pool, kr *pii.Keyring) (RotateSummary, error) {
	sum := RotateSummary{Key: kr.CurrentID()}
	tx, err := pool.Begin(ctx)
	if err != nil {
		return sum, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, `LOCK TABLE owner IN EXCLUSIVE MODE`); err != nil {
		return sum, err
	}
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE r_owner (id bigint PRIMARY KEY, id_number_enc bytea, id_number_hash bytea,
		bank_account_enc bytea, phone_enc bytea) ON COMMIT DROP`); err != nil {
		return sum, err
	}
	rows, err := tx.Query(ctx, `SELECT id, id_number_enc, id_number_hash, bank_account_enc, phone_enc FROM owner ORDER BY id`)
	if err != nil {
		return sum, err
	}
	var sealed [][]any
	for rows.Next() {
		var o Owner
		var idn, hash, bank, phone []byte
		if err := rows.Scan(&o.ID, &idn, &hash, &bank, &phone); err != nil {
			rows.Close()
			return sum, err
		}
		if err := decrypt(kr, &o, idn, bank, phone); err != nil {
			rows.Close()
			return sum, err
		}
		newHash := kr.SearchHash(o.IDNumber)
		if !kr.IsCurrent(idn) || !kr.IsCurrent(bank) || !kr.IsCurrent(phone) || !bytes.Equal(hash, newHash) {
			sum.Older++
		}
		idn, bank, phone, err = seal(kr, o)
		if err != nil {
			rows.Close()
			return sum, err
		}
		sealed = append(sealed, []any{o.ID, idn, newHash, bank, phone})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return sum, err
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"r_owner"}, []string{"id", "id_number_enc", "id_number_hash", "bank_account_enc", "phone_enc"},
		pgx.CopyFromRows(sealed)); err != nil {
		return sum, err
	}
	tag, err := tx.Exec(ctx, `UPDATE owner o SET id_number_enc = r.id_number_enc, id_number_hash = r.id_number_hash,
		bank_account_enc = r.bank_account_enc, phone_enc = r.phone_enc FROM r_owner r WHERE o.id = r.id`)
	if err != nil {
		return sum, err
	}
	if int(tag.RowsAffected()) != len(sealed) {
		return sum, fmt.Errorf("rotate: updated %d of %d owners", tag.RowsAffected(), len(sealed))
	}
	if err := audit.Record(ctx, tx, audit.Entry{Action: "pii.rotate", Entity: "owner",
		Detail: map[string]any{"owners": len(sealed), "older": sum.Older, "key": sum.Key}}); err != nil {
		return sum, err
	}
	if err := tx.Commit(ctx); err != nil {
		return sum, err
	}
	sum.Owners = len(sealed)
	return sum, nil
}
