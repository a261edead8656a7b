// Package auth knows the bureau's staff: accounts with roles, passwords (argon2id) with rules
// and a lockout, sign-in sessions for people and API tokens for programs. Only hashes of
// passwords, session ids and tokens are stored. Every change and every sign-in, failed or not,
// leaves an audit row (package audit).
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/audit"
	"github.com/wuyuan-forestry/ecocomp/internal/config"
)

// Role is what a user may do.
type Role string

// The roles (README, "Accounts, roles and the audit trail"). Every role reads; personal data is unmasked only for finance.
const (
	Viewer      Role = "viewer"       // reads; personal data masked
	Surveyor    Role = "surveyor"     // imports, dry runs, zone imports, their reports
	CaseOfficer Role = "case_officer" // buyout cases and wetland-bank applications
	Finance     Role = "finance"      // unmasked rolls, payments
	Admin       Role = "admin"        // policy load, recompute, full imports, users
)

// AllRoles lists the roles in the order they are shown.
var AllRoles = []Role{Viewer, Surveyor, CaseOfficer, Finance, Admin}

// ParseRoles reads "surveyor,finance".
func ParseRoles(s string) ([]Role, error) {
	var out []Role
	for _, p := range strings.Split(s, ",") {
		r := Role(strings.TrimSpace(p))
		if r == "" {
			continue
		}
		if !slices.Contains(AllRoles, r) {
			return nil, fmt.Errorf("unknown role %q; the roles are viewer, surveyor, case_officer, finance, admin", r)
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("give at least one role: viewer, surveyor, case_officer, finance or admin")
	}
	return out, nil
}

// Principal is whoever makes a request: an actor for the audit trail and the roles it holds.
type Principal struct {
	Actor audit.Actor
	Roles []Role
	// Display is the user's display name.
	Display string
	// MustChangePassword: signed in with a one-time password, which must be changed first.
	MustChangePassword bool
	// Via says how the principal proved itself: session, token, basic, break_glass, anonymous.
	Via string
}

// Has reports whether p holds any of roles.
func (p Principal) Has(roles ...Role) bool {
	for _, r := range roles {
		if slices.Contains(p.Roles, r) {
			return true
		}
	}
	return false
}

// SignedIn reports whether p is someone rather than anonymous.
func (p Principal) SignedIn() bool { return p.Via != "" && p.Via != "anonymous" }

// Anonymous is a request nobody signed: it may read what a viewer reads when reading is public.
func Anonymous(publicRead bool) Principal {
	p := Principal{Actor: audit.Actor{Kind: audit.KindAnonymous, Name: "anonymous"}, Via: "anonymous"}
	if publicRead {
		p.Roles = []Role{Viewer}
	}
	return p
}

// BreakGlass is the principal of ECOCOMP_ADMIN_TOKEN: every role, audited as such.
func BreakGlass() Principal {
	return Principal{Actor: audit.Actor{Kind: audit.KindBreakGlass, Name: "break-glass"}, Roles: AllRoles, Via: "break_glass"}
}

// Errors a sign-in can end with. Their texts are safe to show.
var (
	ErrBadCredentials = apperr.New(apperr.Unauthorized, "the user name or password is wrong")
	ErrDisabled       = apperr.New(apperr.Forbidden, "this account is disabled; ask an administrator")
	ErrExpired        = apperr.New(apperr.Unauthorized, "the session has ended (signed out or idle too long); sign in again")
	ErrBadToken       = apperr.New(apperr.Unauthorized, "the API token is unknown, revoked or expired; ask for a new one (`ecocomp tokens add`)")
)

// LockedError is a sign-in refused because of too many failures; RetryAfter says when the
// oldest counted failure ages out.
type LockedError struct{ RetryAfter time.Duration }

func (e *LockedError) Error() string {
	return fmt.Sprintf("the account is locked after repeated failed sign-ins; try again in %d minute(s) or ask an administrator to unlock it",
		int(e.RetryAfter.Minutes())+1)
}

// Service is the accounts store with its settings.
type Service struct {
	pool     *pgxpool.Pool
	rules    Rules
	attempts int
	window   time.Duration
	idle     time.Duration

	basicMu sync.Mutex
	basic   map[[32]byte]basicEntry // recent successful HTTP Basic checks, so argon2id runs once a minute
}

type basicEntry struct {
	stored string // the password hash that was matched; a changed password misses
	until  time.Time
}

// New returns the service on pool with cfg's rules; zero settings take their defaults.
func New(pool *pgxpool.Pool, cfg config.Config) *Service {
	s := &Service{pool: pool, rules: Rules{MinLength: cfg.PasswordMinLength, MinClasses: cfg.PasswordMinClasses},
		attempts: cfg.LockoutAttempts, window: cfg.LockoutWindow, idle: cfg.SessionIdle, basic: map[[32]byte]basicEntry{}}
	if s.rules.MinLength <= 0 {
		s.rules.MinLength = 10
	}
	if s.rules.MinClasses <= 0 {
		s.rules.MinClasses = 3
	}
	if s.attempts <= 0 {
		s.attempts = 5
	}
	if s.window <= 0 {
		s.window = 15 * time.Minute
	}
	if s.idle <= 0 {
		s.idle = 30 * time.Minute
	}
	return s
}

// Rules returns the password rules in force.
func (s *Service) Rules() Rules { return s.rules }

// IdleTimeout is how long a session lasts without a request.
func (s *Service) IdleTimeout() time.Duration { return s.idle }

// User is an account as listed.
type User struct {
	ID                 int64      `json:"id"`
	Name               string     `json:"name"`
	Display            string     `json:"display_name"`
	Roles              []Role     `json:"roles"`
	MustChangePassword bool       `json:"must_change_password"`
	CreatedAt          time.Time  `json:"created_at"`
	DisabledAt         *time.Time `json:"disabled_at,omitempty"`
	LastSignIn         *time.Time `json:"last_sign_in,omitempty"`
	Locked             bool       `json:"locked"`
}

// NewUser says what account to create. An empty Password generates a one-time password.
type NewUser struct {
	Name       string
	Display    string
	Roles      []Role
	Password   string
	MustChange bool
}

var namePattern = regexp.MustCompile(`^[a-z][a-z0-9._-]{1,31}$`)

// CreateUser adds an account. With no password given it generates a one-time password that
// must be changed at the first sign-in, and returns it in the second result.
func (s *Service) CreateUser(ctx context.Context, nu NewUser) (User, error) {
	u, _, err := s.createUser(ctx, nu)
	return u, err
}

// CreateUserOneTime adds an account with a generated one-time password, returned once.
func (s *Service) CreateUserOneTime(ctx context.Context, name, display string, roles []Role) (User, string, error) {
	return s.createUser(ctx, NewUser{Name: name, Display: display, Roles: roles, MustChange: true})
}

func (s *Service) createUser(ctx context.Context, nu NewUser) (User, string, error) {
	if !namePattern.MatchString(nu.Name) {
		return User{}, "", apperr.New(apperr.Invalid, "user name %q: use 2–32 lower-case letters, digits, '.', '_' or '-', starting with a letter", nu.Name)
	}
	if len(nu.Roles) == 0 {
		return User{}, "", apperr.New(apperr.Invalid, "give the user at least one role: viewer, surveyor, case_officer, finance or admin")
	}
	pw := nu.Password
	if pw == "" {
		var err error
		if pw, err = generatePassword(s.rules, nu.Name); err != nil {
			return User{}, "", err
		}
		nu.MustChange = true
	} else if err := s.rules.Check(pw, nu.Name); err != nil {
		return User{}, "", apperr.New(apperr.Invalid, "%s", err)
	}
	hash, err := hashPassword(pw)
	if err != nil {
		return User{}, "", err
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return User{}, "", err
	}
	defer tx.Rollback(ctx)
	u := User{Name: nu.Name, Display: nu.Display, Roles: nu.Roles, MustChangePassword: nu.MustChange}
	err = tx.QueryRow(ctx, `INSERT INTO app_user (name, display_name, roles, password_hash, must_change_password)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO NOTHING RETURNING id, created_at`,
		nu.Name, nu.Display, roleStrings(nu.Roles), hash, nu.MustChange).Scan(&u.ID, &u.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, "", apperr.New(apperr.Conflict, "there is already a user named %q", nu.Name)
	}
	if err != nil {
		return User{}, "", err
	}
	if err := audit.Record(ctx, tx, audit.Entry{Action: "user.create", Entity: "app_user", EntityID: nu.Name,
		Detail: map[string]any{"roles": nu.Roles, "display_name": nu.Display, "one_time_password": nu.MustChange}}); err != nil {
		return User{}, "", err
	}
	return u, pw, tx.Commit(ctx)
}

func roleStrings(rs []Role) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	return out
}

func toRoles(ss []string) []Role {
	out := make([]Role, len(ss))
	for i, s := range ss {
		out[i] = Role(s)
	}
	return out
}

// ListUsers returns every account with whether it is locked now.
func (s *Service) ListUsers(ctx context.Context) ([]User, error) {
	rows, err := s.pool.Query(ctx, `SELECT u.id, u.name, u.display_name, u.roles, u.must_change_password, u.created_at, u.disabled_at,
			(SELECT max(at) FROM login_attempt a WHERE a.user_id = u.id AND a.ok), `+failuresSQL+` >= $2
		FROM app_user u ORDER BY u.name`, s.window.Seconds(), s.attempts)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		var u User
		var roles []string
		if err := rows.Scan(&u.ID, &u.Name, &u.Display, &roles, &u.MustChangePassword, &u.CreatedAt, &u.DisabledAt, &u.LastSignIn, &u.Locked); err != nil {
			return nil, err
		}
		u.Roles = toRoles(roles)
		out = append(out, u)
	}
	return out, rows.Err()
}

// failuresSQL counts u's failed sign-ins in the window ($1 seconds) since its last success or unlock.
const failuresSQL = `(SELECT count(*) FROM login_attempt f WHERE f.user_id = u.id AND NOT f.ok
	AND f.at > clock_timestamp() - make_interval(secs => $1)
	AND f.at > coalesce((SELECT max(at) FROM login_attempt o WHERE o.user_id = u.id AND o.ok), '-infinity'))`

// lockUser loads a user by name for an account change, locking the row.
func lockUser(ctx context.Context, tx pgx.Tx, name string) (int64, error) {
	var id int64
	err := tx.QueryRow(ctx, `SELECT id FROM app_user WHERE name = $1 FOR UPDATE`, name).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, apperr.New(apperr.NotFound, "there is no user named %q (`ecocomp users list` shows them)", name)
	}
	return id, err
}

// DisableUser disables an account: its sessions end and its tokens stop working at once.
func (s *Service) DisableUser(ctx context.Context, name string) error {
	return s.change(ctx, name, "user.disable", nil, func(tx pgx.Tx, id int64) error {
		if _, err := tx.Exec(ctx, `UPDATE app_user SET disabled_at = coalesce(disabled_at, now()) WHERE id = $1`, id); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE user_session SET ended_at = now() WHERE user_id = $1 AND ended_at IS NULL`, id)
		return err
	})
}

// UnlockUser lifts a lockout by counting as a success.
func (s *Service) UnlockUser(ctx context.Context, name string) error {
	return s.change(ctx, name, "user.unlock", nil, func(tx pgx.Tx, id int64) error {
		_, err := tx.Exec(ctx, `INSERT INTO login_attempt (user_id, ok) VALUES ($1, true)`, id)
		return err
	})
}

// ResetPassword gives an account a new one-time password, returned once; its sessions end.
func (s *Service) ResetPassword(ctx context.Context, name string) (string, error) {
	pw, err := generatePassword(s.rules, name)
	if err != nil {
		return "", err
	}
	return pw, s.setPassword(ctx, name, pw, true, "user.passwd")
}

// SetPassword sets an account's password as given (checked against the rules); its sessions end.
func (s *Service) SetPassword(ctx context.Context, name, pw string) error {
	return s.setPassword(ctx, name, pw, false, "user.passwd")
}

func (s *Service) setPassword(ctx context.Context, name, pw string, mustChange bool, action string) error {
	if err := s.rules.Check(pw, name); err != nil {
		_ = audit.Record(ctx, s.pool, audit.Entry{Action: action, Entity: "app_user", EntityID: name, Outcome: audit.Denied,
			Detail: map[string]any{"reason": err.Error()}})
		return apperr.New(apperr.Invalid, "%s", err)
	}
	hash, err := hashPassword(pw)
	if err != nil {
		return err
	}
	return s.change(ctx, name, action, map[string]any{"one_time_password": mustChange}, func(tx pgx.Tx, id int64) error {
		if _, err := tx.Exec(ctx, `UPDATE app_user SET password_hash = $2, must_change_password = $3, password_changed_at = now() WHERE id = $1`,
			id, hash, mustChange); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE user_session SET ended_at = now() WHERE user_id = $1 AND ended_at IS NULL`, id)
		return err
	})
}

// ChangeOwnPassword is a signed-in user changing their password: the current one must be right,
// the new one must pass the rules. The session that asked stays signed in; others end.
func (s *Service) ChangeOwnPassword(ctx context.Context, p Principal, current, next, keepSession string) error {
	if p.Actor.Kind != audit.KindUser || p.Actor.UserID == 0 {
		return apperr.New(apperr.Forbidden, "only a signed-in person can change their password; tokens and the break-glass token cannot")
	}
	var stored string
	if err := s.pool.QueryRow(ctx, `SELECT password_hash FROM app_user WHERE id = $1`, p.Actor.UserID).Scan(&stored); err != nil {
		return err
	}
	if !checkPassword(stored, current) {
		_ = audit.Record(ctx, s.pool, audit.Entry{Action: "password.change", Entity: "app_user", EntityID: p.Actor.Name, Outcome: audit.Denied,
			Detail: map[string]any{"reason": "the current password is wrong"}})
		return apperr.New(apperr.Invalid, "the current password is wrong")
	}
	if current == next {
		return apperr.New(apperr.Invalid, "the new password must differ from the current one")
	}
	if err := s.rules.Check(next, p.Actor.Name); err != nil {
		_ = audit.Record(ctx, s.pool, audit.Entry{Action: "password.change", Entity: "app_user", EntityID: p.Actor.Name, Outcome: audit.Denied,
			Detail: map[string]any{"reason": err.Error()}})
		return apperr.New(apperr.Invalid, "%s", err)
	}
	hash, err := hashPassword(next)
	if err != nil {
		return err
	}
	return s.change(ctx, p.Actor.Name, "password.change", nil, func(tx pgx.Tx, id int64) error {
		if _, err := tx.Exec(ctx, `UPDATE app_user SET password_hash = $2, must_change_password = false, password_changed_at = now() WHERE id = $1`,
			id, hash); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE user_session SET ended_at = now() WHERE user_id = $1 AND ended_at IS NULL AND id_hash <> $2`,
			id, hashSecret(keepSession))
		return err
	})
}

// change runs fn on the locked account named name and audits action, in one transaction.
func (s *Service) change(ctx context.Context, name, action string, detail any, fn func(pgx.Tx, int64) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	id, err := lockUser(ctx, tx, name)
	if err != nil {
		return err
	}
	if err := fn(tx, id); err != nil {
		return err
	}
	if err := audit.Record(ctx, tx, audit.Entry{Action: action, Entity: "app_user", EntityID: name, Detail: detail}); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// newSecret returns a random secret with a prefix that says what it is.
func newSecret(prefix string) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b), nil
}

func hashSecret(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// SameSecret compares two secrets in constant time.
func SameSecret(a, b string) bool {
	return a != "" && b != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
