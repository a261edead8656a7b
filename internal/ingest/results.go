package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/recompute"
)

// china is the county's clock: "the current year" is the year in Beijing time.
var china = time.FixedZone("CST", 8*3600)

// resultYear is the year results are recomputed for: that of the latest recompute, or this year.
func (r *run) resultYear(ctx context.Context) (int, error) {
	year := time.Now().In(china).Year()
	err := r.db().scan(ctx, sqlStmt("result_year", nil), nil, &year)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return 0, err
	}
	return year, nil
}

// recomputeParcels recomputes overlays, eligibility and subsidies of the new parcel versions in
// the import's transaction, so that they land with the import or not at all: no result is ever
// stale. Without a policy for the year it skips, saying so; any other failure fails the import.
func (r *run) recomputeParcels(ctx context.Context, ids []int64) (Recomputed, error) {
	year, err := r.resultYear(ctx)
	if err != nil {
		return Recomputed{}, err
	}
	rc := Recomputed{Year: year}
	if len(ids) == 0 {
		rc.Note = "nothing changed, nothing to recompute"
		return rc, nil
	}
	sum, err := recompute.ParcelsIn(ctx, r.tx, rc.Year, ids)
	return recomputed(rc, sum, err)
}

// recomputeZones recomputes, in the import's transaction, the overlays of the given zones and the
// results of every parcel they touch, and of the parcels that lay in zones since deleted.
func (r *run) recomputeZones(ctx context.Context, zoneIDs, parcelIDs []int64) (Recomputed, error) {
	year, err := r.resultYear(ctx)
	if err != nil {
		return Recomputed{}, err
	}
	rc := Recomputed{Year: year}
	if len(zoneIDs) == 0 && len(parcelIDs) == 0 {
		rc.Note = "nothing changed, nothing to recompute"
		return rc, nil
	}
	var sum recompute.Summary
	if len(zoneIDs) > 0 {
		sum, err = recompute.ZonesIn(ctx, r.tx, rc.Year, zoneIDs)
		rc.Zones = len(zoneIDs)
	}
	if err == nil && len(parcelIDs) > 0 {
		var more recompute.Summary
		more, err = recompute.ParcelsIn(ctx, r.tx, rc.Year, parcelIDs)
		more.Parcels += sum.Parcels
		sum = more
	}
	return recomputed(rc, sum, err)
}

func recomputed(rc Recomputed, sum recompute.Summary, err error) (Recomputed, error) {
	switch {
	case err != nil && apperr.CodeOf(err) == apperr.NotFound:
		rc.Note = fmt.Sprintf("skipped: no policy is loaded for %d, so there are no results to update; load one (`ecocomp policy load`) and run `ecocomp recompute`", rc.Year)
	case err != nil:
		return rc, fmt.Errorf("recomputing the results of the import for %d: %w", rc.Year, err)
	default:
		rc.PolicyVersion, rc.Parcels = sum.PolicyVersion, sum.Parcels
	}
	return rc, nil
}

// storeRecompute adds the recompute's outcome to the batch's stored report, in the import's
// transaction.
func (r *run) storeRecompute(ctx context.Context, rep *Report) error {
	if rep.Batch == 0 || rep.Recompute == nil {
		return nil
	}
	b, err := json.Marshal(rep.Recompute)
	if err != nil {
		return err
	}
	return r.exec(ctx, sqlStmt("store_recompute", nil), rep.Batch, b)
}
