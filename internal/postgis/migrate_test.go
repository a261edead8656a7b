package postgis_test

import (
	"context"
	"testing"

	"github.com/wuyuan-forestry/ecocomp/internal/postgis"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
)

func TestMigrateFromEmptyThenAgain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, err := postgis.Open(ctx, pgtest.Empty(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()

	applied, err := postgis.Migrate(ctx, pool)
	if err != nil {
		t.Fatalf("first migrate: %v", err)
	}
	if len(applied) == 0 {
		t.Fatal("first migrate applied nothing on an empty database")
	}
	again, err := postgis.Migrate(ctx, pool)
	if err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	if len(again) != 0 {
		t.Errorf("second migrate applied %v, want nothing", again)
	}
	m, err := postgis.NewMigrator(pool)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if cur, err := m.Current(ctx); err != nil || !cur {
		t.Errorf("Current() = %v, %v; want true", cur, err)
	}
	for _, table := range []string{"admin_unit", "protected_area", "zone", "parcel", "owner", "code_dictionary", "audit_log", "import_batch"} {
		var n int
		if err := pool.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename = $1", table).Scan(&n); err != nil || n != 1 {
			t.Errorf("table %s missing after migrate (%v)", table, err)
		}
	}
}
