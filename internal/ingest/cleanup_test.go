package ingest_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
	"github.com/wuyuan-forestry/ecocomp/migrations"
)

// TestMigrationCleansStoredExtra: migration 00016 empties the extra attributes imports kept
// before any mapping could list them, but for unknown codes under their standard field names
// whose values do not look like personal data, on current and old versions alike, and leaves
// one audit row naming the dropped fields (not their values).
func TestMigrationCleansStoredExtra(t *testing.T) {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, pgtest.Empty(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 15); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO admin_unit (code, level, name, parent_code, geom) VALUES
		('361130', 'county', '婺源县', NULL, ST_Multi(ST_Transform(ST_MakeEnvelope(580000, 3230000, 590000, 3240000, 4548), 4490)))`); err != nil {
		t.Fatal(err)
	}
	extras := []string{
		// 1: a surveyor's fields, a name, an ID number, a phone number, a computed name, and an
		// unknown species code: only the code stays.
		`{"CUN_MC": "汪口村", "户主姓名": "张三", "BEI_ZHU": "户主 11010519491231002X", "DH": "13812345678",
		  "status": "x", "YOU_SHI_SZ": "999999"}`,
		// 2: an unknown code that is a mobile number, a lower-case code key and an object under a code key.
		`{"LM_QS": "13812345678", "di_lei": "0999", "LING_ZU": {"a": 1}}`,
		// 3: nothing to clean.
		`{"DI_LEI": "0999"}`,
		// 4: nothing at all.
		`{}`,
	}
	for i, e := range extras {
		x := 583000 + 100*float64(i)
		// Two versions of each parcel: an old one and the current one.
		if _, err := pool.Exec(ctx, `INSERT INTO parcel (code, xian, xiang, cun, lin_ban, xiao_ban, mian_ji, extra, geom, area_m2, area_plane_m2, valid_from, valid_to)
			SELECT $1, '361130', '100', '001', '0001', $2, 1, $3::jsonb, g, ST_Area(g::geography), ST_Area(ST_Transform(g, 4548)), f, t
			FROM (SELECT ST_Multi(ST_Transform(ST_MakeEnvelope($4::float8, 3237000, $4::float8 + 100, 3237100, 4548), 4490)) AS g) s,
			     (VALUES ('2024-01-01'::timestamptz, '2025-01-01'::timestamptz), ('2025-01-01', NULL)) v(f, t)`,
			code(i+1), code(i + 1)[16:], e, x); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := p.UpTo(ctx, 16); err != nil {
		t.Fatal(err)
	}
	want := []string{`{"YOU_SHI_SZ": "999999"}`, `{"di_lei": "0999"}`, `{"DI_LEI": "0999"}`, `{}`}
	for i, w := range want {
		var got []string
		if err := pool.QueryRow(ctx, `SELECT array_agg(extra::text ORDER BY valid_from) FROM parcel WHERE code = $1`, code(i+1)).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0] != w || got[1] != w {
			t.Errorf("parcel %d: extra %v; want %s on both versions", i+1, got, w)
		}
	}
	var detail []byte
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) OVER (), detail FROM audit_log WHERE action = 'extra.clean' AND actor = 'migration 00016'`).Scan(&n, &detail); err != nil {
		t.Fatal(err)
	}
	var d struct {
		Versions int            `json:"versions"`
		Dropped  map[string]int `json:"dropped_fields"`
	}
	if err := json.Unmarshal(detail, &d); err != nil {
		t.Fatal(err)
	}
	wantDropped := map[string]int{"CUN_MC": 2, "户主姓名": 2, "BEI_ZHU": 2, "DH": 2, "status": 2, "LM_QS": 2, "LING_ZU": 2}
	if n != 1 || d.Versions != 4 || len(d.Dropped) != len(wantDropped) {
		t.Errorf("audit rows %d, detail %s; want one saying 4 versions changed and %v dropped", n, detail, wantDropped)
	}
	for k, v := range wantDropped {
		if d.Dropped[k] != v {
			t.Errorf("dropped %s: %d; want %d (%s)", k, d.Dropped[k], v, detail)
		}
	}
	for _, secret := range []string{"张三", "11010519491231002X", "13812345678", "汪口村"} {
		if strings.Contains(string(detail), secret) {
			t.Errorf("the audit row holds the value %s", secret)
		}
	}
	// The rest of the migrations still apply on top.
	if _, err := p.Up(ctx); err != nil {
		t.Fatal(err)
	}
}
