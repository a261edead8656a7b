package care_test

import (
	"context"
	"io/fs"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
	"github.com/wuyuan-forestry/ecocomp/migrations"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// TestMigrationDownAndUp runs migration 00028 down and up again: its tables go and come back,
// and the exclusion constraint still refuses two rangers on one area on the same day.
func TestMigrationDownAndUp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t)
	// The migrations after 00028 go down first, last first, as goose would take them.
	later, err := fs.Glob(migrations.FS, "000*.sql")
	if err != nil {
		t.Fatal(err)
	}
	sort.Sort(sort.Reverse(sort.StringSlice(later)))
	for _, name := range later {
		if name <= "00028_forest_care.sql" {
			break
		}
		b, err := migrations.FS.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, down, _ := strings.Cut(string(b), "-- +goose Down"); down != "" {
			if _, err := pool.Exec(ctx, down); err != nil {
				t.Fatalf("%s down: %v", name, err)
			}
		}
	}
	b, err := migrations.FS.ReadFile("00028_forest_care.sql")
	if err != nil {
		t.Fatal(err)
	}
	up, down, ok := strings.Cut(string(b), "-- +goose Down")
	if !ok {
		t.Fatal("00028 has no Down section")
	}
	if _, err := pool.Exec(ctx, down); err != nil {
		t.Fatalf("down: %v", err)
	}
	var left int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE tablename IN ('care_area', 'care_chief', 'ranger', 'care_assignment')`).Scan(&left); err != nil || left != 0 {
		t.Fatalf("%d care tables after down (%v); want none", left, err)
	}
	if _, err := pool.Exec(ctx, up); err != nil {
		t.Fatalf("up again: %v", err)
	}
	_, err = pool.Exec(ctx, `
		INSERT INTO care_area (code, name, created_by, geom) VALUES ('A', 'A', 'test',
			ST_Multi(ST_MakeEnvelope(117.8, 29.2, 117.81, 29.21, 4490)));
		INSERT INTO ranger (name_enc, id_number_enc, id_number_hash, contract_from, contract_to, yearly_pay_fen, created_by)
			VALUES ('\x01', '\x02', '\x03', '2026-01-01', '2026-12-31', 0, 'test');
		INSERT INTO care_assignment (area_id, ranger_id, period, created_by) VALUES
			(1, 1, daterange('2026-01-01', '2026-03-31', '[]'), 'test'),
			(1, 1, daterange('2026-03-31', '2026-04-30', '[]'), 'test')`)
	if err == nil || !strings.Contains(err.Error(), "care_assignment_one_ranger_at_a_time") {
		t.Errorf("two assignments sharing 2026-03-31: %v; want the exclusion constraint's refusal", err)
	}
}
