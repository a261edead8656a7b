package cases

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis"
)

// transfer records the change of forest rights (林权变更登记) in one transaction: each offered
// parcel gets a new version held by the county's reserve (收储) with the reserve's tree-ownership
// code, from the registration date; the old version is closed then and kept, so an as_of before
// the date still shows the old owner. In an exchange the reserve's counterpart parcels go to the
// owner the same way, with the tree-ownership code the owner's parcels had.
func (s *step) transfer(ctx context.Context) error {
	c := s.c
	if strings.TrimSpace(s.req.Registration) == "" {
		return apperr.New(apperr.Invalid, "recording the change of rights needs \"registration\", the forest-right registration (不动产权证/林权证) number")
	}
	on, err := s.date("transferred_on", s.req.TransferredOn)
	if err != nil {
		return err
	}
	if c.signedOn != nil && on.Before(*c.signedOn) {
		return apperr.New(apperr.Invalid, "\"transferred_on\" %s is before the contract was signed (%s)", on.Format(time.DateOnly), c.signedOn.Format(time.DateOnly))
	}
	from := time.Date(on.Year(), on.Month(), on.Day(), 0, 0, 0, 0, China)
	reserveID, err := reserveOwner(ctx, s.tx, s.pol)
	if err != nil {
		return err
	}
	var ownerLMQS string
	if err := s.tx.QueryRow(ctx, `SELECT coalesce(min(p.lm_qs), '') FROM case_parcel cp JOIN parcel p ON p.code = cp.code AND p.valid_to IS NULL
		WHERE cp.case_id = $1 AND cp.role = 'offered'`, c.id).Scan(&ownerLMQS); err != nil {
		return err
	}
	var batch int64
	if err := s.tx.QueryRow(ctx, `INSERT INTO import_batch (kind, source, finished_at, status, report)
		VALUES ('edit', $1, now(), 'done', $2) RETURNING id`, "case "+c.number+" change of rights",
		mustJSON(map[string]any{"case": c.number, "registration": s.req.Registration, "transferred_on": on.Format(time.DateOnly)})).Scan(&batch); err != nil {
		return err
	}
	cols, err := copiedColumns(ctx, s.tx)
	if err != nil {
		return err
	}
	moves := []struct {
		role  string
		owner int64
		lmqs  string
	}{{"offered", reserveID, s.pol.Cases.Reserve.LMQS}, {"counterpart", c.ownerID, ownerLMQS}}
	changed := 0
	for _, m := range moves {
		var ids []int64
		// A version that starts on the registration date already (a second change of rights the
		// same day) is followed from now on.
		err := s.tx.QueryRow(ctx, `WITH cur AS (
			SELECT p.id, CASE WHEN p.valid_from < $3 THEN $3 ELSE greatest(clock_timestamp(), p.valid_from + interval '1 millisecond') END AS vf
			FROM parcel p JOIN case_parcel cp ON p.code = cp.code
			WHERE cp.case_id = $1 AND cp.role = $2 AND p.valid_to IS NULL FOR UPDATE OF p),
		old AS (
			UPDATE parcel p SET valid_to = cur.vf FROM cur WHERE p.id = cur.id RETURNING p.*, cur.vf),
		new AS (
			INSERT INTO parcel (`+cols+`, owner_id, lm_qs, valid_from, batch_id)
			SELECT `+cols+`, $4, nullif($5, ''), vf, $6 FROM old RETURNING id)
		SELECT coalesce(array_agg(id), '{}') FROM new`, c.id, m.role, from, m.owner, m.lmqs, batch).Scan(&ids)
		if err != nil {
			return err
		}
		var want int
		if err := s.tx.QueryRow(ctx, `SELECT count(*) FROM case_parcel WHERE case_id = $1 AND role = $2`, c.id, m.role).Scan(&want); err != nil {
			return err
		}
		if len(ids) != want {
			return apperr.New(apperr.Conflict, "the change of rights cannot be recorded: %d of the case's %d %s parcels have a current version", len(ids), want, m.role)
		}
		s.refresh = append(s.refresh, ids...)
		changed += len(ids)
	}
	s.detail["transferred_on"], s.detail["registration"], s.detail["holder"] = on.Format(time.DateOnly), s.req.Registration, s.pol.Cases.Reserve.Name
	if _, err := s.tx.Exec(ctx, `UPDATE buyout_case SET transferred_on = $2, registration = $3 WHERE id = $1`, c.id, on, s.req.Registration); err != nil {
		return err
	}
	notice := mustJSON(map[string]any{"entity": "parcels", "action": "case_transfer", "batch": batch, "changed": changed, "case": c.number})
	_, err = s.tx.Exec(ctx, `SELECT pg_notify($1, $2)`, postgis.ChangeChannel, string(notice))
	return err
}

// copiedColumns lists the parcel columns a new version copies from the old one: every stored
// column except the identity, the generated ones and those the change of rights sets.
func copiedColumns(ctx context.Context, tx pgx.Tx) (string, error) {
	var cols []string
	err := tx.QueryRow(ctx, `SELECT array_agg(quote_ident(column_name::text) ORDER BY ordinal_position) FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = 'parcel' AND is_generated = 'NEVER' AND is_identity = 'NO'
		  AND column_name NOT IN ('id', 'owner_id', 'lm_qs', 'valid_from', 'valid_to', 'batch_id')`).Scan(&cols)
	return strings.Join(cols, ", "), err
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
