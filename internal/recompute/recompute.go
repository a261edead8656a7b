// Package recompute rebuilds the derived results — parcel × zone overlays, eligibility and
// subsidy lines — under the policy of a year, in one transaction: readers see the old results
// until the new ones commit. A change to some parcels or zones recomputes only what it touches.
package recompute

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/audit"
	"github.com/wuyuan-forestry/ecocomp/internal/eligibility"
	"github.com/wuyuan-forestry/ecocomp/internal/facts"
	"github.com/wuyuan-forestry/ecocomp/internal/overlay"
	"github.com/wuyuan-forestry/ecocomp/internal/policy"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis"
	"github.com/wuyuan-forestry/ecocomp/internal/subsidy"
)

// fetchSize is how many parcels are evaluated between two COPYs.
const fetchSize = 20000

// lockKey serialises recomputes (pg_advisory_xact_lock).
const lockKey = 0x7265636f6d70 // "recomp"

// Summary is what a recompute did.
type Summary struct {
	PolicyVersion string
	Year          int
	Parcels       int
	Overlaps      int64
	Eligible      int
	Lines         int
	Total         policy.Fen
	// Retained is the part of Total the county keeps (公共管护); owners receive the rest.
	Retained policy.Fen
	// Pending counts the lines that pay nothing because their rate is zero or not known.
	Pending      int
	OverlayTime  time.Duration
	EvaluateTime time.Duration
}

// All recomputes overlays, eligibility and subsidy lines of every current parcel for year.
func All(ctx context.Context, pool *pgxpool.Pool, year int) (Summary, error) {
	return run(ctx, pool, year, "all", nil, nil)
}

// Parcels recomputes only the given parcel versions (after an import or edit).
func Parcels(ctx context.Context, pool *pgxpool.Pool, year int, parcelIDs []int64) (Summary, error) {
	if parcelIDs == nil {
		parcelIDs = []int64{}
	}
	return run(ctx, pool, year, "parcels", parcelIDs, nil)
}

// Zones recomputes the overlays of the given zones and the results of every parcel they touch,
// before or after the change.
func Zones(ctx context.Context, pool *pgxpool.Pool, year int, zoneIDs []int64) (Summary, error) {
	return run(ctx, pool, year, "zones", nil, zoneIDs)
}

// ParcelsIn is Parcels inside tx, the transaction of the change that caused it (an import): the
// results commit or roll back with the change, so they are never stale. tx should hold Lock
// before it writes anything audited.
func ParcelsIn(ctx context.Context, tx pgx.Tx, year int, parcelIDs []int64) (Summary, error) {
	if parcelIDs == nil {
		parcelIDs = []int64{}
	}
	return runIn(ctx, tx, year, "parcels", parcelIDs, nil)
}

// ZonesIn is Zones inside tx, the transaction of the change that caused it (see ParcelsIn).
func ZonesIn(ctx context.Context, tx pgx.Tx, year int, zoneIDs []int64) (Summary, error) {
	return runIn(ctx, tx, year, "zones", nil, zoneIDs)
}

// Lock takes the recompute lock in tx until it ends. A recompute writes an audit row last, so it
// takes this lock before the audit chain's; a transaction that writes audited changes and then
// recomputes (an import) must take it first too, or the two would wait for each other.
func Lock(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(lockKey))
	return err
}

func run(ctx context.Context, pool *pgxpool.Pool, year int, scope string, parcelIDs, zoneIDs []int64) (Summary, error) {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return Summary{Year: year}, err
	}
	defer tx.Rollback(ctx)
	sum, err := runIn(ctx, tx, year, scope, parcelIDs, zoneIDs)
	if err != nil {
		return sum, err
	}
	return sum, tx.Commit(ctx)
}

func runIn(ctx context.Context, tx pgx.Tx, year int, scope string, parcelIDs, zoneIDs []int64) (Summary, error) {
	sum := Summary{Year: year}
	if err := Lock(ctx, tx); err != nil {
		return sum, err
	}
	pol, vid, err := policy.ByYear(ctx, tx, year)
	if err != nil {
		if apperr.CodeOf(err) == apperr.NotFound {
			return sum, apperr.New(apperr.NotFound, "no policy is loaded for %d: load one with `ecocomp policy load FILE` (the shipped one: `ecocomp policy load --shipped`)", year)
		}
		return sum, err
	}
	sum.PolicyVersion = pol.Version

	start := time.Now()
	switch scope {
	case "all":
		sum.Overlaps, err = overlay.All(ctx, tx)
	case "parcels":
		sum.Overlaps, err = overlay.Parcels(ctx, tx, parcelIDs)
	case "zones":
		// The current parcels the zones touched before the change are in the old overlaps.
		var before []int64
		if err = tx.QueryRow(ctx, `SELECT coalesce(array_agg(DISTINCT o.parcel_id), '{}') FROM parcel_zone_overlap o
			JOIN parcel p ON p.id = o.parcel_id AND p.valid_to IS NULL WHERE o.zone_id = ANY($1)`, zoneIDs).Scan(&before); err != nil {
			return sum, err
		}
		if sum.Overlaps, err = overlay.Zones(ctx, tx, zoneIDs); err != nil {
			return sum, err
		}
		var after []int64
		if err = tx.QueryRow(ctx, `SELECT coalesce(array_agg(DISTINCT o.parcel_id), '{}') FROM parcel_zone_overlap o
			JOIN parcel p ON p.id = o.parcel_id AND p.valid_to IS NULL WHERE o.zone_id = ANY($1)`, zoneIDs).Scan(&after); err != nil {
			return sum, err
		}
		parcelIDs = append(before, after...)
	}
	if err != nil {
		return sum, err
	}
	sum.OverlayTime = time.Since(start)

	start = time.Now()
	if err := evaluate(ctx, tx, pol, int64(vid), year, parcelIDs, &sum); err != nil {
		return sum, err
	}
	if err := agreementLines(ctx, tx, int64(vid), year, parcelIDs, &sum); err != nil {
		return sum, err
	}
	sum.EvaluateTime = time.Since(start)

	var runID int64
	if err := tx.QueryRow(ctx, `INSERT INTO recompute_run (policy_version_id, year, scope, finished_at, parcels, overlap_rows, lines)
		VALUES ($1, $2, $3, clock_timestamp(), $4, $5, $6) RETURNING id`, int64(vid), year, scope, sum.Parcels, sum.Overlaps, sum.Lines).Scan(&runID); err != nil {
		return sum, err
	}
	if err := audit.Record(ctx, tx, audit.Entry{Action: "recompute", Entity: "recompute_run", EntityID: fmt.Sprint(runID),
		Detail: map[string]any{"year": year, "scope": scope, "policy_version": pol.Version, "parcels": sum.Parcels, "lines": sum.Lines}}); err != nil {
		return sum, err
	}
	notice, _ := json.Marshal(map[string]any{"entity": "results", "action": "recompute", "scope": scope, "year": year, "policy_version": pol.Version, "parcels": sum.Parcels})
	if _, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, postgis.ChangeChannel, string(notice)); err != nil {
		return sum, err
	}
	return sum, nil
}

// evaluate replaces the eligibility and subsidy rows of the current parcels (or of ids) under
// policy version vid, reading the parcels through a cursor in chunks and COPYing each chunk.
func evaluate(ctx context.Context, tx pgx.Tx, pol *policy.Policy, vid int64, year int, ids []int64, sum *Summary) error {
	if ids == nil {
		if _, err := tx.Exec(ctx, `DELETE FROM parcel_eligibility e USING parcel p
			WHERE e.policy_version_id = $1 AND p.id = e.parcel_id AND p.valid_to IS NULL`, vid); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM subsidy_line s USING parcel p
			WHERE s.policy_version_id = $1 AND s.year = $2 AND p.id = s.parcel_id AND p.valid_to IS NULL`, vid, year); err != nil {
			return err
		}
	} else {
		if _, err := tx.Exec(ctx, `DELETE FROM parcel_eligibility WHERE policy_version_id = $1 AND parcel_id = ANY($2)`, vid, ids); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM subsidy_line WHERE policy_version_id = $1 AND year = $2 AND parcel_id = ANY($3)`, vid, year, ids); err != nil {
			return err
		}
	}

	asOf := time.Date(year, 12, 31, 0, 0, 0, 0, time.UTC)
	sql, qargs := facts.CurrentSQL(asOf, ids)
	if _, err := tx.Exec(ctx, `DECLARE parcel_facts NO SCROLL CURSOR FOR `+sql, qargs...); err != nil {
		return err
	}
	for {
		rows, err := tx.Query(ctx, fmt.Sprintf(`FETCH %d FROM parcel_facts`, fetchSize))
		if err != nil {
			return err
		}
		var elig, lines [][]any
		n := 0
		err = facts.Scan(rows, func(p *facts.Parcel) error {
			n++
			r := eligibility.Evaluate(pol, p)
			var estimate *int64
			if r.Estimate != nil {
				v := int64(r.Estimate.Total)
				estimate = &v
			}
			modes := make([]string, len(r.Modes))
			for i, m := range r.Modes {
				modes[i] = string(m.ID)
			}
			failed := r.Failed()
			if failed == nil {
				failed = []string{}
			}
			elig = append(elig, []any{vid, p.ID, r.Eligible, r.Status, modes, r.Priority, estimate, failed})
			if r.Eligible {
				sum.Eligible++
			}
			for i, l := range subsidy.Lines(pol, p) {
				lines = append(lines, []any{vid, year, p.ID, i + 1, l.Program, l.Name, int64(l.AreaMu), int64(l.Rate), int64(l.Amount), int64(l.Retained), l.Confirmed})
				sum.Total += l.Amount
				sum.Retained += l.Retained
				if l.Pending {
					sum.Pending++
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if n == 0 {
			break
		}
		sum.Parcels += n
		sum.Lines += len(lines)
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"parcel_eligibility"},
			[]string{"policy_version_id", "parcel_id", "eligible", "status", "modes", "priority", "estimate_fen", "failed"},
			pgx.CopyFromRows(elig)); err != nil {
			return err
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"subsidy_line"},
			[]string{"policy_version_id", "year", "parcel_id", "line", "program", "program_name", "area_centimu", "rate_fen", "amount_fen", "retained_fen", "confirmed"},
			pgx.CopyFromRows(lines)); err != nil {
			return err
		}
	}
	_, err := tx.Exec(ctx, `CLOSE parcel_facts`)
	return err
}

// agreementLines adds the year's payment of every agreement a case put in force (rent, custody
// fee, concession fee, closure allowance: internal/cases) as a line of its parcel, so finance has
// one roll. A contract year that begins in the year is paid in it. The agreement's own amount
// replaces the policy's placeholder programme for closure agreements (rate not known, 0.00).
func agreementLines(ctx context.Context, tx pgx.Tx, vid int64, year int, ids []int64, sum *Summary) error {
	rows, err := tx.Query(ctx, `WITH a AS (
		SELECT p.id AS parcel_id, g.mode, g.yearly_fen, b.number, round(p.mian_ji * 1500)::bigint AS centimu,
			row_number() OVER (PARTITION BY p.id ORDER BY g.signed_on, b.number) AS n
		FROM parcel_agreement g JOIN buyout_case b ON b.id = g.case_id
		JOIN parcel p ON p.code = g.code AND p.valid_to IS NULL
		CROSS JOIN LATERAL (SELECT (g.signed_on + make_interval(years => $2 - extract(year FROM g.signed_on)::int))::date AS day) y
		WHERE g.yearly_fen IS NOT NULL AND g.signed_on <= y.day AND (g.ends_on IS NULL OR y.day < g.ends_on)
		  AND ($3::bigint[] IS NULL OR p.id = ANY($3))),
	placeholder AS (
		DELETE FROM subsidy_line s USING a WHERE s.policy_version_id = $1 AND s.year = $2 AND s.parcel_id = a.parcel_id
			AND a.mode = 'closure_agreement' AND s.program = 'closure_agreement' AND s.rate_fen = 0)
	INSERT INTO subsidy_line (policy_version_id, year, parcel_id, line, program, program_name, area_centimu, rate_fen, amount_fen, retained_fen, confirmed)
	SELECT $1, $2, parcel_id, 1000 + n, 'agreement_' || mode,
		CASE mode WHEN 'lease' THEN '租赁租金' WHEN 'custody' THEN '托管费' WHEN 'concession' THEN '特许经营费'
			WHEN 'closure_agreement' THEN '协议封育补助' ELSE mode END || '（' || number || '）',
		centimu, CASE WHEN centimu > 0 THEN round(yearly_fen * 100.0 / centimu)::bigint ELSE 0 END, yearly_fen, 0, true
	FROM a RETURNING amount_fen`, vid, year, ids)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var amount int64
		if err := rows.Scan(&amount); err != nil {
			return err
		}
		sum.Lines++
		sum.Total += policy.Fen(amount)
	}
	return rows.Err()
}
