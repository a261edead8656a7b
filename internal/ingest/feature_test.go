package ingest_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wuyuan-forestry/ecocomp/internal/features"
	"github.com/wuyuan-forestry/ecocomp/internal/ingest"
)

// TestImportChangesStoredFeature: the parcel feature the lookup API serves (stored, not built
// per request) is the new version's as soon as the import that merged it returns, with its new
// attribute and label; a new parcel has its feature, and none is stale.
func TestImportChangesStoredFeature(t *testing.T) {
	ctx := context.Background()
	pool := newCounty(t)
	dir := t.TempDir()
	if rep, err := ingest.ImportParcels(ctx, pool, writeGeoJSON(t, filepath.Join(dir, "2025.geojson"), 4548, basic()), ingest.Options{}); err != nil {
		t.Fatalf("first import: %v\n%s", err, rep.Text())
	}
	read := func(code string) string {
		t.Helper()
		var b strings.Builder
		if _, err := features.Parcels.Stream(ctx, pool, features.Filter{Code: code}, features.Shape{CRS: features.CRS84, WithZones: true}, 1, nil, &b); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	if got := read(code(2)); !strings.Contains(got, `"ling_zu": "3"`) || !strings.Contains(got, `"ling_zu_label": "`) {
		t.Fatalf("feature of parcel 2 after the first import:\n%s", got)
	}

	fs := basic()
	fs[1].props["LING_ZU"] = "4"
	next := append(fs, parcel(6, 6, 0, nil))
	if rep, err := ingest.ImportParcels(ctx, pool, writeGeoJSON(t, filepath.Join(dir, "2026.geojson"), 4548, next), ingest.Options{}); err != nil {
		t.Fatalf("second import: %v\n%s", err, rep.Text())
	}
	if got := read(code(2)); !strings.Contains(got, `"ling_zu": "4"`) {
		t.Errorf("right after the import, parcel 2's feature still says its old age class:\n%s", got)
	}
	if got := read(code(6)); !strings.Contains(got, `"xiao_ban": "00006"`) {
		t.Errorf("right after the import, the new parcel 6 has no feature:\n%s", got)
	}
	if n, err := features.Drift(ctx, pool); err != nil || n != 0 {
		t.Errorf("after the import %d stored features differ from the ones the data builds (%v)", n, err)
	}
}
