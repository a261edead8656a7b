package policy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/audit"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis"
	policyseeds "github.com/wuyuan-forestry/ecocomp/seeds/policy"
)

// VersionID identifies a stored policy version (policy_version.id); computed results record it.
type VersionID int64

// Querier is what the read functions need of a pool, a connection or a transaction.
type Querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// DB is what Store needs: a Querier that can begin a transaction (a pool, a connection, or a
// transaction, which then uses a savepoint).
type DB interface {
	Querier
	Begin(ctx context.Context) (pgx.Tx, error)
}

// ChangeChannel is the PostgreSQL NOTIFY channel on which a load announces itself, with a JSON
// payload {"entity":"policy_version","action":"load","id":…,"version":…}.
const ChangeChannel = postgis.ChangeChannel

// storeLockKey serialises policy loads (pg_advisory_xact_lock) so that two loads of the same
// label cannot both pass the "already loaded?" check.
const storeLockKey = 0x706f6c6963 // "polic"

// VersionInfo describes a stored version without its document.
type VersionInfo struct {
	ID            VersionID `json:"id"`
	Version       string    `json:"version"`
	Year          int       `json:"year"`
	EffectiveFrom time.Time `json:"effective_from"`
	LoadedAt      time.Time `json:"loaded_at"`
	Source        string    `json:"source"`
	Checksum      string    `json:"checksum"`
	Title         string    `json:"title"`
}

// Loaded is the outcome of Load.
type Loaded struct {
	ID      VersionID
	Version string
	// Created is false when the identical document was already loaded (nothing was written).
	Created     bool
	Policy      *Policy
	Unconfirmed []Caveat
}

// Load is `ecocomp policy load`: Parse, then Store. source says where the file came from
// (a path, "embedded seeds/policy/2026.json" …).
func Load(ctx context.Context, db DB, raw []byte, source string) (Loaded, error) {
	p, err := Parse(raw)
	if err != nil {
		return Loaded{}, err
	}
	id, created, err := store(ctx, db, p, raw, source)
	if err != nil {
		return Loaded{}, err
	}
	return Loaded{ID: id, Version: p.Version, Created: created, Policy: p, Unconfirmed: p.Unconfirmed()}, nil
}

// LoadShipped loads every policy file shipped in seeds/policy (a no-op for versions already
// loaded), for `make demo` and tests that need a policy in force.
func LoadShipped(ctx context.Context, db DB) ([]Loaded, error) {
	var out []Loaded
	for _, name := range policyseeds.Names() {
		raw, err := policyseeds.File(name)
		if err != nil {
			return out, err
		}
		l, err := Load(ctx, db, raw, "embedded seeds/policy/"+name)
		if err != nil {
			return out, fmt.Errorf("seeds/policy/%s: %w", name, err)
		}
		out = append(out, l)
	}
	return out, nil
}

// Store keeps p, parsed from raw, as a new policy version with an audit_log row and a change
// notice, all in one transaction, and returns its ID. Storing the identical document again
// (same label, same checksum) writes nothing and returns the existing ID; the same label with
// different content is refused (apperr.Conflict): a changed policy needs a new label. Codes are
// checked against the code dictionary first (apperr.Invalid, naming each key).
func Store(ctx context.Context, db DB, p *Policy, raw []byte, source string) (VersionID, error) {
	id, _, err := store(ctx, db, p, raw, source)
	return id, err
}

func store(ctx context.Context, db DB, p *Policy, raw []byte, source string) (VersionID, bool, error) {
	if p == nil {
		return 0, false, apperr.New(apperr.Invalid, "no policy to store")
	}
	if source == "" {
		return 0, false, apperr.New(apperr.Invalid, "say where the policy comes from (source is empty)")
	}
	raw = withoutBOM(raw)
	root, probs := readTree(raw)
	if root == nil || len(probs) > 0 || checksum(root) != p.Checksum {
		return 0, false, apperr.New(apperr.Invalid, "the raw document is not the one policy %s was parsed from", p.Version)
	}
	if err := CheckCodes(ctx, db, p); err != nil {
		return 0, false, err
	}

	tx, err := db.Begin(ctx)
	if err != nil {
		return 0, false, err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(storeLockKey)); err != nil {
		return 0, false, err
	}
	var (
		id       VersionID
		sum      string
		loadedAt time.Time
		src      string
	)
	err = tx.QueryRow(ctx, `SELECT id, checksum, loaded_at, source FROM policy_version WHERE version = $1`, p.Version).
		Scan((*int64)(&id), &sum, &loadedAt, &src)
	switch {
	case err == nil && sum == p.Checksum:
		return id, false, nil
	case err == nil:
		return 0, false, apperr.New(apperr.Conflict,
			"policy version %q is already loaded (id %d, from %s on %s) with different content (checksum %.12s…, this file %.12s…); "+
				"a loaded version never changes: give the changed file a new version label (e.g. %q)",
			p.Version, id, src, loadedAt.Format(time.DateOnly), sum, p.Checksum, nextLabel(p.Version))
	case !errors.Is(err, pgx.ErrNoRows):
		return 0, false, err
	}

	err = tx.QueryRow(ctx, `
		INSERT INTO policy_version (version, year, effective_from, source, checksum, title, document)
		VALUES ($1, $2, $3::date, $4, $5, $6, $7::text::jsonb)
		RETURNING id`,
		p.Version, p.Year, p.EffectiveFrom.Format(time.DateOnly), source, p.Checksum, p.Title, string(raw)).
		Scan((*int64)(&id))
	if err != nil {
		return 0, false, err
	}
	if err := audit.Record(ctx, tx, audit.Entry{Action: "policy.load", Entity: "policy_version", EntityID: fmt.Sprint(int64(id)),
		Detail: map[string]any{
			"version": p.Version, "year": p.Year, "effective_from": p.EffectiveFrom.Format(time.DateOnly),
			"source": source, "checksum": p.Checksum, "title": p.Title, "unconfirmed": len(p.Unconfirmed()),
		}}); err != nil {
		return 0, false, err
	}
	notice, _ := json.Marshal(map[string]any{"entity": "policy_version", "action": "load", "id": int64(id), "version": p.Version})
	if _, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, ChangeChannel, string(notice)); err != nil {
		return 0, false, err
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, false, err
	}
	return id, true, nil
}

// nextLabel suggests a label for a changed file: "2026.1" → "2026.2".
func nextLabel(v string) string {
	for i := len(v) - 1; i >= 0; i-- {
		if v[i] < '0' || v[i] > '9' {
			if i == len(v)-1 {
				break
			}
			var n int
			fmt.Sscan(v[i+1:], &n)
			return fmt.Sprintf("%s%d", v[:i+1], n+1)
		}
	}
	return v + ".2"
}

// CheckCodes checks every parcel code the policy mentions against the code dictionary
// (scheme 2020) of the database, naming the key of each unknown code.
func CheckCodes(ctx context.Context, db Querier, p *Policy) error {
	rows, err := db.Query(ctx, `SELECT field, code FROM code_dictionary WHERE scheme = $1`, CodeScheme)
	if err != nil {
		return err
	}
	known := map[[2]string]bool{}
	for rows.Next() {
		var f, c string
		if err := rows.Scan(&f, &c); err != nil {
			rows.Close()
			return err
		}
		known[[2]string{f, c}] = true
	}
	if err := rows.Err(); err != nil {
		return err
	}
	var probs []Problem
	for _, r := range p.codeRefs {
		if !known[[2]string{r.field, r.code}] {
			probs = append(probs, Problem{Path: r.path, Line: r.line,
				Message: fmt.Sprintf("%s code %q is not in the code dictionary (scheme %s)", r.field, r.code, CodeScheme)})
		}
	}
	if len(probs) > 0 {
		return &ValidationError{Problems: probs}
	}
	return nil
}

const selectVersion = `SELECT id, version, year, effective_from, loaded_at, source, checksum, title FROM policy_version`

// InForce returns the policy in force on the calendar date of asOf (in asOf's location): the
// version with the latest effective_from on or before it, of those the latest loaded.
func InForce(ctx context.Context, db Querier, asOf time.Time) (*Policy, VersionID, error) {
	day := asOf.Format(time.DateOnly)
	p, id, err := fetch(ctx, db, `WHERE effective_from <= $1::date ORDER BY effective_from DESC, loaded_at DESC, id DESC LIMIT 1`, day)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, 0, apperr.New(apperr.NotFound, "no policy version is in force on %s: load one with `ecocomp policy load FILE`", day)
	}
	return p, id, err
}

// ByYear returns the policy written for a year: of the versions with that year, the one with
// the latest effective_from, of those the latest loaded.
func ByYear(ctx context.Context, db Querier, year int) (*Policy, VersionID, error) {
	p, id, err := fetch(ctx, db, `WHERE year = $1 ORDER BY effective_from DESC, loaded_at DESC, id DESC LIMIT 1`, year)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, 0, apperr.New(apperr.NotFound, "no policy version is loaded for the year %d: load one with `ecocomp policy load FILE`", year)
	}
	return p, id, err
}

// ByID returns a stored version, for replaying a result that recorded it.
func ByID(ctx context.Context, db Querier, id VersionID) (*Policy, error) {
	p, _, err := fetch(ctx, db, `WHERE id = $1`, int64(id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, apperr.New(apperr.NotFound, "there is no policy version with id %d", id)
	}
	return p, err
}

// List returns every stored version, oldest effective date first.
func List(ctx context.Context, db Querier) ([]VersionInfo, error) {
	rows, err := db.Query(ctx, selectVersion+` ORDER BY effective_from, loaded_at, id`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (VersionInfo, error) {
		var v VersionInfo
		err := row.Scan((*int64)(&v.ID), &v.Version, &v.Year, &v.EffectiveFrom, &v.LoadedAt, &v.Source, &v.Checksum, &v.Title)
		return v, err
	})
}

func fetch(ctx context.Context, db Querier, where string, arg any) (*Policy, VersionID, error) {
	var (
		id       int64
		doc, sum string
	)
	err := db.QueryRow(ctx, `SELECT id, document::text, checksum FROM policy_version `+where, arg).Scan(&id, &doc, &sum)
	if err != nil {
		return nil, 0, err
	}
	p, err := Parse([]byte(doc))
	if err != nil {
		return nil, 0, apperr.Wrap(apperr.Internal, err, "stored policy version %d no longer validates", id)
	}
	if p.Checksum != sum {
		return nil, 0, apperr.New(apperr.Internal, "stored policy version %d does not match its checksum", id)
	}
	return p, VersionID(id), nil
}
