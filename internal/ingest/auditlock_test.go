package ingest_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wuyuan-forestry/ecocomp/internal/audit"
	"github.com/wuyuan-forestry/ecocomp/internal/ingest"
	"github.com/wuyuan-forestry/ecocomp/internal/policy"
)

// TestImportHoldsTheAuditChainOnlyAtCommit: an import writes its audit row as its last
// statement. While it validates, merges and recomputes, everyone else's audit rows (sign-ins,
// unmasked reads) go through at once instead of waiting for the import's lock on the chain.
func TestImportHoldsTheAuditChainOnlyAtCommit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := newCounty(t)
	if _, err := policy.LoadShipped(ctx, pool); err != nil {
		t.Fatal(err)
	}
	file := writeGeoJSON(t, filepath.Join(t.TempDir(), "p.geojson"), 4548, basic())
	var during []error
	rep, err := ingest.ImportParcels(ctx, pool, file, ingest.Options{Progress: func(step string) {
		if strings.HasPrefix(step, "recomputing") || strings.HasPrefix(step, "merg") {
			wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			during = append(during, audit.Record(audit.WithActor(wctx, audit.Actor{Kind: audit.KindUser, Name: "finance1"}), pool,
				audit.Entry{Action: "pii.read", Entity: "subsidy_roll"}))
		}
	}})
	if err != nil || rep.Status != ingest.StatusImported {
		t.Fatalf("import: %v %+v", err, rep)
	}
	if len(during) == 0 {
		t.Fatal("the import reported no merge or recompute step to write during")
	}
	for _, err := range during {
		if err != nil {
			t.Errorf("an audit row written while the import ran: %v; want it written at once", err)
		}
	}
	if res, err := audit.Verify(ctx, pool); err != nil || res.Bad != 0 {
		t.Errorf("audit chain after the import: %+v %v", res, err)
	}
}
