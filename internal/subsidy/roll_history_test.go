package subsidy_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/wuyuan-forestry/ecocomp/internal/ingest"
	"github.com/wuyuan-forestry/ecocomp/internal/pii"
	"github.com/wuyuan-forestry/ecocomp/internal/policy"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
	"github.com/wuyuan-forestry/ecocomp/internal/recompute"
	"github.com/wuyuan-forestry/ecocomp/internal/subsidy"
)

// TestPastRollUnchangedByLaterImport: the 2026 roll is drawn from the 2026 recompute and the
// parcel versions it computed. A later import — a full one that changes half the parcels' legal
// area and retires the other half, and recomputes its new versions for 2026 in its own
// transaction — leaves that roll exactly as it was; the next full recompute of 2026 takes the
// import in.
func TestPastRollUnchangedByLaterImport(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t)
	const n = 10
	if _, err := pool.Exec(ctx, fmt.Sprintf(`
WITH area AS (SELECT ST_Multi(ST_Transform(ST_MakeEnvelope(582000, 3236000, 586000, 3240000, 4548), 4490)) AS g)
INSERT INTO admin_unit (code, level, name, parent_code, geom)
SELECT '361130', 'county', '婺源县', NULL, g FROM area
UNION ALL SELECT '361130100', 'township', '紫阳镇', '361130', g FROM area
UNION ALL SELECT '361130100001', 'village', '测试村', '361130100', g FROM area;
INSERT INTO parcel (code, xian, xiang, cun, lin_ban, xiao_ban, mian_ji, di_lei, lm_qs, sen_lin_lb, qi_yuan, you_shi_sz, geom, valid_from)
SELECT '3611301000010001' || lpad((i * %[1]d + j + 1)::text, 5, '0'), '361130', '100', '001', '0001',
       lpad((i * %[1]d + j + 1)::text, 5, '0'), 1.0, '030100', '30', '022', '11', '310000',
       ST_Multi(ST_Transform(ST_MakeEnvelope(583000 + i * 100, 3237000 + j * 100, 583100 + i * 100, 3237100 + j * 100, 4548), 4490)),
       '2026-01-01'
FROM generate_series(0, %[1]d - 1) i, generate_series(0, %[1]d - 1) j;`, n)); err != nil {
		t.Fatal(err)
	}
	if _, err := policy.LoadShipped(ctx, pool); err != nil {
		t.Fatal(err)
	}
	if _, err := recompute.All(ctx, pool, 2026); err != nil {
		t.Fatal(err)
	}
	kr, err := pii.Parse(pii.Generate(), "test")
	if err != nil {
		t.Fatal(err)
	}
	drawn, err := subsidy.LoadRoll(ctx, pool, kr, 2026, "")
	if err != nil {
		t.Fatal(err)
	}
	if drawn.Total <= 0 || len(drawn.Rows) == 0 {
		t.Fatalf("the fixture's roll pays nothing: %+v", drawn)
	}

	// The later import: the first half of the grid with twice the legal area, the rest retired.
	var b bytes.Buffer
	b.WriteString(`{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4548"}},"features":[`)
	for k := 0; k < n*n/2; k++ {
		i, j := k/n, k%n
		if k > 0 {
			b.WriteByte(',')
		}
		x, y := 583000+100*i, 3237000+100*j
		fmt.Fprintf(&b, `{"type":"Feature","properties":{"XIAN":"361130","XIANG":"100","CUN":"001","LIN_BAN":"0001","XIAO_BAN":"%05d","MIAN_JI":2.0},`+
			`"geometry":{"type":"Polygon","coordinates":[[[%d,%d],[%d,%d],[%d,%d],[%d,%d],[%d,%d]]]}}`, k+1, x, y, x+100, y, x+100, y+100, x, y+100, x, y)
	}
	b.WriteString(`]}`)
	file := filepath.Join(t.TempDir(), "later.geojson")
	if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := ingest.ImportParcels(ctx, pool, file, ingest.Options{Full: true})
	if err != nil || rep.Counts.Changed != n*n/2 || rep.Counts.Retired != n*n/2 || rep.Recompute == nil || rep.Recompute.Year != 2026 {
		t.Fatalf("the later import: %v, %+v, recompute %+v", err, rep.Counts, rep.Recompute)
	}

	parcels := func(r *subsidy.Roll) int {
		seen := 0
		for _, row := range r.Rows {
			seen += row.Parcels
		}
		return seen
	}
	again, err := subsidy.LoadRoll(ctx, pool, kr, 2026, "")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again, drawn) {
		t.Errorf("a later import changed the 2026 roll: %s for %d parcels → %s for %d parcels", drawn.Total, parcels(drawn), again.Total, parcels(again))
	}

	// The next full recompute of 2026 draws the roll from the new versions.
	if _, err := recompute.All(ctx, pool, 2026); err != nil {
		t.Fatal(err)
	}
	redrawn, err := subsidy.LoadRoll(ctx, pool, kr, 2026, "")
	if err != nil {
		t.Fatal(err)
	}
	if parcels(redrawn) != n*n/2 {
		t.Errorf("the recomputed roll pays %d parcels; want the %d the import kept", parcels(redrawn), n*n/2)
	}
}
