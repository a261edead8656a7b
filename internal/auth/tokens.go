package auth

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/audit"
)

// tokenPrefix starts every API token, so a leaked one is recognisable in a scan.
const tokenPrefix = "eco_"

// Token is an API token as listed; the secret itself is shown only when created.
type Token struct {
	ID        int64      `json:"id"`
	User      string     `json:"user"`
	Label     string     `json:"label"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
	LastUsed  *time.Time `json:"last_used_at,omitempty"`
}

// ParseExpiry reads "90d", "12h" or "never"; empty means never.
func ParseExpiry(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "never" {
		return 0, nil
	}
	if n, ok := strings.CutSuffix(s, "d"); ok {
		d, err := strconv.Atoi(n)
		if err != nil || d <= 0 {
			return 0, fmt.Errorf("--expires %q: write a number of days such as 90d, a duration such as 12h, or never", s)
		}
		return time.Duration(d) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("--expires %q: write a number of days such as 90d, a duration such as 12h, or never", s)
	}
	return d, nil
}

// AddToken creates an API token for the user named name; it lasts for expires (0: until revoked).
// The secret is returned once; only its SHA-256 is stored.
func (s *Service) AddToken(ctx context.Context, name, label string, expires time.Duration) (Token, string, error) {
	if strings.TrimSpace(label) == "" {
		return Token{}, "", apperr.New(apperr.Invalid, "give the token a --label saying what uses it (e.g. \"QGIS on the GIS desk\")")
	}
	secret, err := newSecret(tokenPrefix)
	if err != nil {
		return Token{}, "", err
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return Token{}, "", err
	}
	defer tx.Rollback(ctx)
	uid, err := lockUser(ctx, tx, name)
	if err != nil {
		return Token{}, "", err
	}
	t := Token{User: name, Label: label}
	var exp *time.Time
	if expires > 0 {
		e := time.Now().Add(expires)
		exp = &e
	}
	if err := tx.QueryRow(ctx, `INSERT INTO api_token (user_id, label, token_hash, expires_at) VALUES ($1, $2, $3, $4)
		RETURNING id, created_at, expires_at`, uid, label, hashSecret(secret), exp).Scan(&t.ID, &t.CreatedAt, &t.ExpiresAt); err != nil {
		return Token{}, "", err
	}
	if err := audit.Record(ctx, tx, audit.Entry{Action: "token.create", Entity: "api_token", EntityID: strconv.FormatInt(t.ID, 10),
		Detail: map[string]any{"user": name, "label": label, "expires_at": t.ExpiresAt}}); err != nil {
		return Token{}, "", err
	}
	return t, secret, tx.Commit(ctx)
}

// ListTokens lists the tokens of the user named name, or of everyone when name is empty.
func (s *Service) ListTokens(ctx context.Context, name string) ([]Token, error) {
	rows, err := s.pool.Query(ctx, `SELECT t.id, u.name, t.label, t.created_at, t.expires_at, t.revoked_at, t.last_used_at
		FROM api_token t JOIN app_user u ON u.id = t.user_id WHERE $1 = '' OR u.name = $1 ORDER BY t.id`, name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		var t Token
		if err := rows.Scan(&t.ID, &t.User, &t.Label, &t.CreatedAt, &t.ExpiresAt, &t.RevokedAt, &t.LastUsed); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken stops a token at once.
func (s *Service) RevokeToken(ctx context.Context, id int64) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	var user string
	err = tx.QueryRow(ctx, `UPDATE api_token t SET revoked_at = coalesce(revoked_at, now()) FROM app_user u
		WHERE t.id = $1 AND u.id = t.user_id RETURNING u.name`, id).Scan(&user)
	if errors.Is(err, pgx.ErrNoRows) {
		return apperr.New(apperr.NotFound, "there is no token %d (`ecocomp tokens list` shows them)", id)
	}
	if err != nil {
		return err
	}
	if err := audit.Record(ctx, tx, audit.Entry{Action: "token.revoke", Entity: "api_token", EntityID: strconv.FormatInt(id, 10),
		Detail: map[string]any{"user": user}}); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// Token returns the principal of an API token: the roles of its user, audited as the token.
// Unknown, revoked and expired tokens and tokens of disabled users are refused with ErrBadToken.
func (s *Service) Token(ctx context.Context, secret string) (Principal, error) {
	if !strings.HasPrefix(secret, tokenPrefix) {
		return Principal{}, ErrBadToken
	}
	var a account
	var roles []string
	var tokenID int64
	var lastUsed *time.Time
	var now time.Time
	h := hashSecret(secret)
	err := s.pool.QueryRow(ctx, `SELECT t.id, u.id, u.name, u.display_name, u.roles, t.last_used_at, now()
		FROM api_token t JOIN app_user u ON u.id = t.user_id
		WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now()) AND u.disabled_at IS NULL`, h).
		Scan(&tokenID, &a.id, &a.name, &a.display, &roles, &lastUsed, &now)
	if errors.Is(err, pgx.ErrNoRows) {
		return Principal{}, ErrBadToken
	}
	if err != nil {
		return Principal{}, err
	}
	if lastUsed == nil || now.Sub(*lastUsed) > time.Minute {
		if _, err := s.pool.Exec(ctx, `UPDATE api_token SET last_used_at = now() WHERE id = $1`, tokenID); err != nil {
			return Principal{}, err
		}
	}
	a.roles = toRoles(roles)
	return Principal{Actor: audit.Actor{Kind: audit.KindToken, Name: a.name, UserID: a.id, TokenID: tokenID},
		Roles: a.roles, Display: a.display, Via: "token"}, nil
}
