package httpapi_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wuyuan-forestry/ecocomp/internal/config"
	"github.com/wuyuan-forestry/ecocomp/internal/httpapi"
	"github.com/wuyuan-forestry/ecocomp/internal/overlay"
)

// loadGrid loads a hand-checkable fixture: a township and village around a 10 × 10 grid of
// 100 m squares (15 亩 each) in EPSG:4548 near the county seat, and one core zone covering the
// west half of the south-west square (7.5 亩 of overlap).
func loadGrid(t *testing.T, pool *pgxpool.Pool) { loadGridN(t, pool, 10) }

// loadGridN is loadGrid with n × n squares.
func loadGridN(t *testing.T, pool *pgxpool.Pool, n int) {
	t.Helper()
	ctx := context.Background()
	_, err := pool.Exec(ctx, fmt.Sprintf(`
WITH cell AS (
  SELECT i, j, ST_MakeEnvelope(583000 + i * 100, 3237000 + j * 100, 583100 + i * 100, 3237100 + j * 100, 4548) AS g
  FROM generate_series(0, %[1]d - 1) i, generate_series(0, %[1]d - 1) j),
area AS (SELECT ST_Multi(ST_Transform(ST_MakeEnvelope(582000, 3236000, 584000 + %[1]d * 100, 3238000 + %[1]d * 100, 4548), 4490)) AS g)
INSERT INTO admin_unit (code, level, name, parent_code, geom)
SELECT '361130', 'county', '婺源县', NULL, g FROM area
UNION ALL SELECT '361130100', 'township', '紫阳镇', '361130', g FROM area
UNION ALL SELECT '361130100001', 'village', '测试村', '361130100', g FROM area;

INSERT INTO parcel (code, xian, xiang, cun, lin_ban, xiao_ban, mian_ji, di_lei, lm_qs, sen_lin_lb, you_shi_sz, geom, valid_from)
SELECT '3611301000010001' || lpad((i * %[1]d + j + 1)::text, 5, '0'), '361130', '100', '001', '0001',
       lpad((i * %[1]d + j + 1)::text, 5, '0'), 1.0, '030100', '30', '022', '310000',
       ST_Multi(ST_Transform(ST_MakeEnvelope(583000 + i * 100, 3237000 + j * 100, 583100 + i * 100, 3237100 + j * 100, 4548), 4490)),
       '2026-01-01'
FROM generate_series(0, %[1]d - 1) i, generate_series(0, %[1]d - 1) j;

WITH a AS (INSERT INTO protected_area (name, area_kind, demo) VALUES ('测试保护区', 'nature_reserve', true) RETURNING id)
INSERT INTO zone (area_id, area_kind, zone_kind, site, name, demo, geom)
SELECT id, 'nature_reserve', 'core', '1', '测试核心区', true,
       ST_Multi(ST_Transform(ST_MakeEnvelope(582900, 3236900, 583050, 3237100, 4548), 4490)) FROM a;`, n))
	if err != nil {
		t.Fatalf("load grid fixture: %v", err)
	}
	if _, err := overlay.All(ctx, pool); err != nil {
		t.Fatalf("overlay the grid fixture: %v", err)
	}
}

// gridCode is the code of the square in column i, row j of the grid.
func gridCode(i, j int) string { return fmt.Sprintf("3611301000010001%05d", i*10+j+1) }

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newServerWithToken(t *testing.T, pool *pgxpool.Pool, log *slog.Logger, token string) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(httpapi.New(pool, log, config.Config{AdminToken: token}))
	t.Cleanup(ts.Close)
	return ts
}

// pgxQuerier is the part of a pool the helpers need.
type pgxQuerier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// newStartedServer is a test server with a tile cache whose background work (the change
// listener that invalidates it) runs until ctx ends.
func newStartedServer(t *testing.T, ctx context.Context, pool *pgxpool.Pool) (*httpapi.Server, *httptest.Server) {
	t.Helper()
	srv := httpapi.New(pool, discardLogger(), config.Config{TileCacheMB: 16})
	srv.Start(ctx)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return srv, ts
}
