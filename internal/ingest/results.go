package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis"
	"github.com/wuyuan-forestry/ecocomp/internal/recompute"
)

// china is the county's clock: "the current year" is the year in Beijing time.
var china = time.FixedZone("CST", 8*3600)

// resultYear is the year results are recomputed for: that of the latest recompute, or this year.
func resultYear(ctx context.Context, pool *pgxpool.Pool) int {
	year := time.Now().In(china).Year()
	_ = pool.QueryRow(ctx, `SELECT year FROM recompute_run ORDER BY id DESC LIMIT 1`).Scan(&year)
	return year
}

// recomputeParcels recomputes overlays, eligibility and subsidies of the new parcel versions.
// Without a policy for the year it skips, saying so; the import stands either way.
func recomputeParcels(ctx context.Context, pool *pgxpool.Pool, ids []int64) Recomputed {
	rc := Recomputed{Year: resultYear(ctx, pool)}
	if len(ids) == 0 {
		rc.Note = "nothing changed, nothing to recompute"
		return rc
	}
	sum, err := recompute.Parcels(ctx, pool, rc.Year, ids)
	return recomputed(rc, sum, err)
}

// recomputeZones recomputes the overlays of the given zones and the results of every parcel they
// touch, and of the parcels that lay in zones since deleted.
func recomputeZones(ctx context.Context, pool *pgxpool.Pool, zoneIDs, parcelIDs []int64) Recomputed {
	rc := Recomputed{Year: resultYear(ctx, pool)}
	if len(zoneIDs) == 0 && len(parcelIDs) == 0 {
		rc.Note = "nothing changed, nothing to recompute"
		return rc
	}
	var sum recompute.Summary
	var err error
	if len(zoneIDs) > 0 {
		sum, err = recompute.Zones(ctx, pool, rc.Year, zoneIDs)
		rc.Zones = len(zoneIDs)
	}
	if err == nil && len(parcelIDs) > 0 {
		var more recompute.Summary
		more, err = recompute.Parcels(ctx, pool, rc.Year, parcelIDs)
		more.Parcels += sum.Parcels
		sum = more
	}
	return recomputed(rc, sum, err)
}

func recomputed(rc Recomputed, sum recompute.Summary, err error) Recomputed {
	switch {
	case err != nil && apperr.CodeOf(err) == apperr.NotFound:
		rc.Note = fmt.Sprintf("skipped: no policy is loaded for %d, so there are no results to update; load one (`ecocomp policy load`) and run `ecocomp recompute`", rc.Year)
	case err != nil:
		rc.Failed = true
		rc.Note = fmt.Sprintf("failed (%s): the import stands, its results are stale; run `ecocomp recompute --year %d`", explain(err), rc.Year)
	default:
		rc.PolicyVersion, rc.Parcels = sum.PolicyVersion, sum.Parcels
	}
	return rc
}

// storeRecompute adds the recompute's outcome to the batch's stored report.
func storeRecompute(ctx context.Context, pool *pgxpool.Pool, rep *Report) error {
	if rep.Batch == 0 || rep.Recompute == nil {
		return nil
	}
	b, err := json.Marshal(rep.Recompute)
	if err != nil {
		return err
	}
	if _, err := pool.Exec(ctx, `UPDATE import_batch SET report = jsonb_set(report, '{recompute}', $2) WHERE id = $1`, rep.Batch, b); err != nil {
		return fmt.Errorf("the import stands, but its report could not be updated: %s", postgis.Explain(err))
	}
	return nil
}
