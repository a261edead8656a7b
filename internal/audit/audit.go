// Package audit writes the audit trail and proves it unedited. Every write, sign-in and read of
// unmasked personal data leaves one row naming who (a user, an API token, the break-glass token,
// the OS user of a CLI run), what, on which object, how it ended, and from which request and
// client. The database chains the rows (migration 00014): each row's hash covers the previous
// row's hash and the row's own canonical content, so Verify finds the first row changed, removed
// or inserted behind the application's back.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/user"
	"strconv"

	"github.com/jackc/pgx/v5/pgconn"
)

// Kinds of actor.
const (
	KindUser       = "user"        // a person signed in with a password (session or HTTP Basic)
	KindToken      = "token"       // a program with an API token of a user
	KindBreakGlass = "break_glass" // ECOCOMP_ADMIN_TOKEN
	KindOS         = "os"          // a CLI run on the server, as its OS user
	KindAnonymous  = "anonymous"   // nobody signed in (refused writes, failed sign-ins)
	KindSystem     = "system"      // the server itself
)

// Outcomes of an audited action.
const (
	OK     = "ok"
	Denied = "denied" // refused: not signed in, wrong role, wrong password, locked
	Failed = "failed" // allowed but it did not complete
)

// Actor is who acts. Name is the user name (or OS user); UserID and TokenID are 0 when none.
type Actor struct {
	Kind    string `json:"kind"`
	Name    string `json:"name"`
	UserID  int64  `json:"user_id,omitempty"`
	TokenID int64  `json:"token_id,omitempty"`
}

// String is the actor as one short word for logs and reports: "alice", "token 3 (alice)",
// "break-glass", "os:root", "anonymous".
func (a Actor) String() string {
	switch a.Kind {
	case KindToken:
		return fmt.Sprintf("token %d (%s)", a.TokenID, a.Name)
	case KindBreakGlass:
		return "break-glass"
	case KindOS:
		return "os:" + a.Name
	case "", KindAnonymous:
		return "anonymous"
	}
	return a.Name
}

// OSUser is the actor of a command-line run: the OS account that ran it; envUser (the USER
// variable, from config) when the account database does not know the uid.
func OSUser(envUser string) Actor {
	name := envUser
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	if name == "" {
		name = strconv.Itoa(os.Getuid())
	}
	return Actor{Kind: KindOS, Name: name}
}

type ctxKey int

const (
	actorKey ctxKey = iota
	requestKey
)

// Request is what the audit row records of the request that caused it.
type Request struct {
	ID         string
	ClientAddr string
}

// WithActor returns ctx carrying the actor whose actions follow.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey, a)
}

// ActorFrom returns the actor ctx carries; without one it is the system.
func ActorFrom(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey).(Actor); ok {
		return a
	}
	return Actor{Kind: KindSystem, Name: "system"}
}

// WithRequest returns ctx carrying the request id and client address for audit rows.
func WithRequest(ctx context.Context, r Request) context.Context {
	return context.WithValue(ctx, requestKey, r)
}

func requestFrom(ctx context.Context) Request {
	r, _ := ctx.Value(requestKey).(Request)
	return r
}

// Entry is one audited action.
type Entry struct {
	Action   string // e.g. "import", "policy.load", "session.create", "pii.read"
	Entity   string // the kind of object, e.g. "parcel", "app_user", "subsidy_roll"
	EntityID string // which one, when there is one
	Outcome  string // OK when empty
	Detail   any    // JSON-encodable; never passwords, tokens or personal data
}

// Execer runs a statement: a pool, a connection or a transaction.
type Execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// Record writes e as one audit row by the actor and request in ctx, through db. Written inside
// a transaction it lands (or not) with the change it records; the chain lock is then held until
// that transaction ends, so write it last.
func Record(ctx context.Context, db Execer, e Entry) error {
	return RecordAs(ctx, db, ActorFrom(ctx), e)
}

// RecordAs is Record with an explicit actor (a failed sign-in names the account tried).
func RecordAs(ctx context.Context, db Execer, a Actor, e Entry) error {
	if e.Outcome == "" {
		e.Outcome = OK
	}
	detail := []byte("{}")
	if e.Detail != nil {
		b, err := json.Marshal(e.Detail)
		if err != nil {
			return fmt.Errorf("audit detail of %s: %w", e.Action, err)
		}
		detail = b
	}
	kind := a.Kind
	if kind == "" {
		kind = KindAnonymous
	}
	name := a.Name
	if name == "" {
		name = kind
	}
	var token *int64
	if a.TokenID != 0 {
		token = &a.TokenID
	}
	var entityID *string
	if e.EntityID != "" {
		entityID = &e.EntityID
	}
	req := requestFrom(ctx)
	_, err := db.Exec(ctx, `INSERT INTO audit_log (actor_kind, actor, token_id, action, entity, entity_id, outcome, request_id, client_addr, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::text::jsonb)`,
		kind, name, token, e.Action, e.Entity, entityID, e.Outcome, req.ID, req.ClientAddr, string(detail))
	if err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return nil
}
