package auth

import (
	"context"
	"crypto/sha256"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/audit"
)

// account is what a sign-in needs of a user.
type account struct {
	id         int64
	name       string
	display    string
	roles      []Role
	hash       string
	mustChange bool
	disabled   bool
}

func (a account) principal(via string) Principal {
	return Principal{Actor: audit.Actor{Kind: audit.KindUser, Name: a.name, UserID: a.id}, Roles: a.roles, Display: a.display,
		MustChangePassword: a.mustChange, Via: via}
}

// checkCredentials checks name and password inside tx with the account row locked, so parallel
// guesses are counted one after the other, and records the attempt and its audit row. It returns
// the account, or an error for the client: bad credentials, locked, disabled.
func (s *Service) checkCredentials(ctx context.Context, tx pgx.Tx, name, password, action string) (account, error) {
	var a account
	var roles []string
	var disabledAt *time.Time
	err := tx.QueryRow(ctx, `SELECT id, name, display_name, roles, password_hash, must_change_password, disabled_at
		FROM app_user WHERE name = $1 FOR UPDATE`, name).Scan(&a.id, &a.name, &a.display, &roles, &a.hash, &a.mustChange, &disabledAt)
	if errors.Is(err, pgx.ErrNoRows) {
		checkPassword(dummyHash, password)
		tried := name
		if len(tried) > 64 {
			tried = tried[:64]
		}
		err := audit.RecordAs(ctx, tx, audit.Actor{Kind: audit.KindAnonymous, Name: "anonymous"},
			audit.Entry{Action: action, Entity: "app_user", EntityID: tried, Outcome: audit.Denied, Detail: map[string]any{"reason": "no such user"}})
		if err != nil {
			return a, err
		}
		return a, ErrBadCredentials
	}
	if err != nil {
		return a, err
	}
	a.roles, a.disabled = toRoles(roles), disabledAt != nil
	actor := audit.Actor{Kind: audit.KindUser, Name: a.name, UserID: a.id}
	deny := func(reason string, e error) (account, error) {
		if err := audit.RecordAs(ctx, tx, actor, audit.Entry{Action: action, Entity: "app_user", EntityID: a.name,
			Outcome: audit.Denied, Detail: map[string]any{"reason": reason}}); err != nil {
			return a, err
		}
		return a, e
	}

	var failures int
	if err := tx.QueryRow(ctx, `SELECT `+failuresSQL+` FROM app_user u WHERE u.id = $2`, s.window.Seconds(), a.id).Scan(&failures); err != nil {
		return a, err
	}
	if failures >= s.attempts {
		var oldest time.Time
		if err := tx.QueryRow(ctx, `SELECT at FROM login_attempt WHERE user_id = $1 AND NOT ok ORDER BY at DESC OFFSET $2 LIMIT 1`,
			a.id, s.attempts-1).Scan(&oldest); err != nil {
			return a, err
		}
		return deny("locked", &LockedError{RetryAfter: max(time.Until(oldest.Add(s.window)), time.Second)})
	}
	if !checkPassword(a.hash, password) {
		if _, err := tx.Exec(ctx, `INSERT INTO login_attempt (user_id, ok) VALUES ($1, false)`, a.id); err != nil {
			return a, err
		}
		if failures+1 >= s.attempts {
			if err := audit.RecordAs(ctx, tx, actor, audit.Entry{Action: "user.locked", Entity: "app_user", EntityID: a.name,
				Detail: map[string]any{"failures": failures + 1, "window_minutes": s.window.Minutes()}}); err != nil {
				return a, err
			}
		}
		return deny("wrong password", ErrBadCredentials)
	}
	if a.disabled {
		return deny("disabled", ErrDisabled)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO login_attempt (user_id, ok) VALUES ($1, true)`, a.id); err != nil {
		return a, err
	}
	return a, nil
}

// SignIn checks a person's name and password and opens a session. It returns the session
// secret (for the cookie) and the principal. Failures are audited and counted toward the
// lockout; the returned error is safe to show.
func (s *Service) SignIn(ctx context.Context, name, password, clientAddr string) (string, Principal, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return "", Principal{}, err
	}
	defer tx.Rollback(ctx)
	a, cerr := s.checkCredentials(ctx, tx, name, password, "session.create")
	if cerr != nil {
		var ae *apperr.Error
		var le *LockedError
		if errors.As(cerr, &ae) || errors.As(cerr, &le) {
			// A refusal is recorded (attempt, audit row) before it is returned.
			if err := tx.Commit(ctx); err != nil {
				return "", Principal{}, err
			}
		}
		return "", Principal{}, cerr
	}
	secret, err := newSecret("")
	if err != nil {
		return "", Principal{}, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO user_session (id_hash, user_id, client_addr) VALUES ($1, $2, $3)`,
		hashSecret(secret), a.id, clientAddr); err != nil {
		return "", Principal{}, err
	}
	p := a.principal("session")
	if err := audit.RecordAs(ctx, tx, p.Actor, audit.Entry{Action: "session.create", Entity: "app_user", EntityID: a.name}); err != nil {
		return "", Principal{}, err
	}
	return secret, p, tx.Commit(ctx)
}

// sessionTouchEvery bounds how often a session's last-seen time is written.
const sessionTouchEvery = 30 * time.Second

// Session returns the principal of a session secret. A session idle longer than the timeout,
// ended, or of a disabled user, is refused with ErrExpired.
func (s *Service) Session(ctx context.Context, secret string) (Principal, error) {
	if secret == "" {
		return Principal{}, ErrExpired
	}
	var a account
	var roles []string
	var disabledAt *time.Time
	var lastSeen, now time.Time
	id := hashSecret(secret)
	err := s.pool.QueryRow(ctx, `SELECT u.id, u.name, u.display_name, u.roles, u.must_change_password, u.disabled_at, s.last_seen_at, now()
		FROM user_session s JOIN app_user u ON u.id = s.user_id WHERE s.id_hash = $1 AND s.ended_at IS NULL`, id).
		Scan(&a.id, &a.name, &a.display, &roles, &a.mustChange, &disabledAt, &lastSeen, &now)
	if errors.Is(err, pgx.ErrNoRows) {
		return Principal{}, ErrExpired
	}
	if err != nil {
		return Principal{}, err
	}
	a.roles = toRoles(roles)
	if disabledAt != nil {
		return Principal{}, ErrExpired
	}
	if now.Sub(lastSeen) > s.idle {
		if _, err := s.pool.Exec(ctx, `UPDATE user_session SET ended_at = last_seen_at + make_interval(secs => $2) WHERE id_hash = $1 AND ended_at IS NULL`,
			id, s.idle.Seconds()); err != nil {
			return Principal{}, err
		}
		return Principal{}, ErrExpired
	}
	if now.Sub(lastSeen) > sessionTouchEvery {
		if _, err := s.pool.Exec(ctx, `UPDATE user_session SET last_seen_at = now() WHERE id_hash = $1`, id); err != nil {
			return Principal{}, err
		}
	}
	return a.principal("session"), nil
}

// SignOut ends a session; ending one that has already ended is not an error.
func (s *Service) SignOut(ctx context.Context, secret string) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	tag, err := tx.Exec(ctx, `UPDATE user_session SET ended_at = now() WHERE id_hash = $1 AND ended_at IS NULL`, hashSecret(secret))
	if err != nil {
		return err
	}
	if tag.RowsAffected() > 0 {
		if err := audit.Record(ctx, tx, audit.Entry{Action: "session.end", Entity: "app_user", EntityID: audit.ActorFrom(ctx).Name}); err != nil {
			return err
		}
	}
	return tx.Commit(ctx)
}

// Basic checks HTTP Basic credentials (for QGIS and GDAL on /ogc): the password may be the
// user's password or one of the user's API tokens. Successful password checks are remembered
// for a minute so that a client paging through a collection does not pay argon2id per request;
// failures count toward the lockout like any sign-in.
func (s *Service) Basic(ctx context.Context, name, password string) (Principal, error) {
	if len(password) > 4 && password[:4] == tokenPrefix {
		p, err := s.Token(ctx, password)
		if err != nil || p.Actor.Name != name {
			return Principal{}, ErrBadCredentials
		}
		return p, nil
	}
	key := sha256.Sum256([]byte(name + "\x00" + password))
	var a account
	var roles []string
	var disabledAt *time.Time
	err := s.pool.QueryRow(ctx, `SELECT id, name, display_name, roles, password_hash, must_change_password, disabled_at FROM app_user WHERE name = $1`, name).
		Scan(&a.id, &a.name, &a.display, &roles, &a.hash, &a.mustChange, &disabledAt)
	if err == nil && disabledAt == nil {
		s.basicMu.Lock()
		e, ok := s.basic[key]
		s.basicMu.Unlock()
		if ok && e.stored == a.hash && time.Now().Before(e.until) {
			a.roles = toRoles(roles)
			return a.principal("basic"), nil
		}
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return Principal{}, err
	}
	defer tx.Rollback(ctx)
	a, cerr := s.checkCredentials(ctx, tx, name, password, "basic.auth")
	if cerr != nil {
		if err := tx.Commit(ctx); err != nil {
			return Principal{}, err
		}
		return Principal{}, cerr
	}
	p := a.principal("basic")
	if err := audit.RecordAs(ctx, tx, p.Actor, audit.Entry{Action: "basic.auth", Entity: "app_user", EntityID: a.name}); err != nil {
		return Principal{}, err
	}
	if err := tx.Commit(ctx); err != nil {
		return Principal{}, err
	}
	s.basicMu.Lock()
	if len(s.basic) > 1024 {
		clear(s.basic)
	}
	s.basic[key] = basicEntry{stored: a.hash, until: time.Now().Add(time.Minute)}
	s.basicMu.Unlock()
	return p, nil
}
