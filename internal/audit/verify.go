package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// Row is one audit row as stored.
type Row struct {
	Seq        int64           `json:"seq"`
	At         time.Time       `json:"at"`
	ActorKind  string          `json:"actor_kind"`
	Actor      string          `json:"actor"`
	TokenID    *int64          `json:"token_id,omitempty"`
	Action     string          `json:"action"`
	Entity     string          `json:"entity"`
	EntityID   string          `json:"entity_id,omitempty"`
	Outcome    string          `json:"outcome"`
	RequestID  string          `json:"request_id,omitempty"`
	ClientAddr string          `json:"client_addr,omitempty"`
	Detail     json.RawMessage `json:"detail"`
	PrevHash   string          `json:"prev_hash"`
	Hash       string          `json:"hash"`
}

// Canonical is the byte string a row's hash covers: each field as its decimal byte length, a
// colon and its bytes, in a fixed order. It is the same function as audit_canonical in SQL; the
// detail is the database's own text of the jsonb value.
func Canonical(r Row) []byte {
	var b bytes.Buffer
	token := ""
	if r.TokenID != nil {
		token = strconv.FormatInt(*r.TokenID, 10)
	}
	for _, f := range []string{
		strconv.FormatInt(r.Seq, 10), r.At.UTC().Format("2006-01-02T15:04:05.000000Z"),
		r.ActorKind, r.Actor, token, r.Action, r.Entity, r.EntityID, r.Outcome, r.RequestID, r.ClientAddr, string(r.Detail),
	} {
		b.WriteString(strconv.Itoa(len(f)))
		b.WriteByte(':')
		b.WriteString(f)
	}
	return b.Bytes()
}

// genesis is the previous hash of the first row.
var genesis = make([]byte, sha256.Size)

// Result is what Verify found.
type Result struct {
	Rows int64  // rows checked
	Head string // hash of the last row (hex); keep it outside the database to detect truncation
	// Bad is the sequence number of the first row that does not match, 0 when all match;
	// Problem says how it does not.
	Bad     int64
	Problem string
}

// Querier reads rows.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

const rowColumns = `seq, at, actor_kind, actor, token_id, action, entity, coalesce(entity_id, ''), outcome, request_id, client_addr,
	detail::text, prev_hash, hash`

func scanRow(rows pgx.Rows) (Row, []byte, []byte, error) {
	var r Row
	var detail string
	var prev, hash []byte
	err := rows.Scan(&r.Seq, &r.At, &r.ActorKind, &r.Actor, &r.TokenID, &r.Action, &r.Entity, &r.EntityID, &r.Outcome,
		&r.RequestID, &r.ClientAddr, &detail, &prev, &hash)
	r.Detail = json.RawMessage(detail)
	r.PrevHash, r.Hash = hex.EncodeToString(prev), hex.EncodeToString(hash)
	return r, prev, hash, err
}

// Verify walks the whole chain in sequence order and recomputes every hash. It stops at the
// first row that does not match: a changed row, a missing one (a gap in seq) or one whose link
// to its predecessor is broken.
func Verify(ctx context.Context, db Querier) (Result, error) {
	rows, err := db.Query(ctx, `SELECT `+rowColumns+` FROM audit_log ORDER BY seq`)
	if err != nil {
		return Result{}, err
	}
	defer rows.Close()
	var res Result
	prev := genesis
	for rows.Next() {
		r, storedPrev, stored, err := scanRow(rows)
		if err != nil {
			return res, err
		}
		want := res.Rows + 1
		switch {
		case r.Seq != want:
			res.Bad, res.Problem = r.Seq, fmt.Sprintf("row %d follows row %d: %d row(s) are missing", r.Seq, want-1, r.Seq-want)
		case !bytes.Equal(storedPrev, prev):
			res.Bad, res.Problem = r.Seq, fmt.Sprintf("row %d does not link to the hash of row %d", r.Seq, want-1)
		default:
			sum := sha256.Sum256(append(append([]byte{}, prev...), Canonical(r)...))
			if !bytes.Equal(sum[:], stored) {
				res.Bad, res.Problem = r.Seq, fmt.Sprintf("row %d (%s %s at %s) does not match its hash: it was changed after it was written",
					r.Seq, r.Action, r.Entity, r.At.UTC().Format(time.RFC3339))
			}
		}
		if res.Bad != 0 {
			return res, nil
		}
		res.Rows++
		prev = stored
	}
	if err := rows.Err(); err != nil {
		return res, err
	}
	res.Head = hex.EncodeToString(prev)
	return res, nil
}

// Export writes the rows with from <= at < to as CSV (with a header) or JSON lines.
func Export(ctx context.Context, db Querier, from, to time.Time, format string, w io.Writer) (int, error) {
	if format != "csv" && format != "jsonl" {
		return 0, fmt.Errorf("format %q is not offered; use csv or jsonl", format)
	}
	rows, err := db.Query(ctx, `SELECT `+rowColumns+` FROM audit_log WHERE at >= $1 AND at < $2 ORDER BY seq`, from, to)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var cw *csv.Writer
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if format == "csv" {
		cw = csv.NewWriter(w)
		_ = cw.Write([]string{"seq", "at", "actor_kind", "actor", "token_id", "action", "entity", "entity_id", "outcome",
			"request_id", "client_addr", "detail", "prev_hash", "hash"})
	}
	n := 0
	for rows.Next() {
		r, _, _, err := scanRow(rows)
		if err != nil {
			return n, err
		}
		if cw != nil {
			token := ""
			if r.TokenID != nil {
				token = strconv.FormatInt(*r.TokenID, 10)
			}
			err = cw.Write([]string{strconv.FormatInt(r.Seq, 10), r.At.UTC().Format("2006-01-02T15:04:05.000000Z"), r.ActorKind, r.Actor,
				token, r.Action, r.Entity, r.EntityID, r.Outcome, r.RequestID, r.ClientAddr, string(r.Detail), r.PrevHash, r.Hash})
		} else {
			err = enc.Encode(r)
		}
		if err != nil {
			return n, err
		}
		n++
	}
	if cw != nil {
		cw.Flush()
		if err := cw.Error(); err != nil {
			return n, err
		}
	}
	return n, rows.Err()
}
