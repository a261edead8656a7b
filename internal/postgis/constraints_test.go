package postgis_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wuyuan-forestry/ecocomp/internal/postgis"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
)

// A 100 m square near the county seat, as EWKT in EPSG:4548 transformed to 4490 by the server.
const square = `ST_Multi(ST_Transform(ST_GeomFromText('POLYGON((486000 3236000,486100 3236000,486100 3236100,486000 3236100,486000 3236000))', 4548), 4490))`

func insertParcel(ctx context.Context, pool *pgxpool.Pool, code, geomSQL, diLei string) error {
	_, err := pool.Exec(ctx, `INSERT INTO parcel (code, xian, xiang, cun, lin_ban, xiao_ban, mian_ji, di_lei, geom)
		VALUES ($1, '361130', '100', '001', '0001', right($1, 5), 1.0, $2, `+geomSQL+`)`, code, diLei)
	return err
}

func TestParcelConstraints(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t)
	if err := insertParcel(ctx, pool, "361130100001000100001", square, "030100"); err != nil {
		t.Fatalf("a valid parcel was rejected: %s", postgis.Explain(err))
	}
	var areaMu, planeMu float64
	if err := pool.QueryRow(ctx, `SELECT area_m2 * 3 / 2000, area_plane_m2 * 3 / 2000 FROM parcel_current`).Scan(&areaMu, &planeMu); err != nil {
		t.Fatal(err)
	}
	// A 100 m square is 15 亩 on the GK plane; the ellipsoidal area differs by well under 0.05 %.
	if planeMu < 14.999 || planeMu > 15.001 || areaMu < 14.99 || areaMu > 15.01 {
		t.Errorf("computed areas = %.4f 亩 ellipsoidal, %.4f 亩 planar; want ≈ 15", areaMu, planeMu)
	}

	cases := []struct {
		name    string
		code    string
		geom    string
		diLei   string
		wantErr string
	}{
		{"bow-tie polygon", "361130100001000100002",
			`ST_GeomFromText('MULTIPOLYGON(((117.8 29.2,117.81 29.21,117.81 29.2,117.8 29.21,117.8 29.2)))', 4490)`, "030100",
			"geometry is empty or invalid"},
		{"empty geometry", "361130100001000100003", `ST_GeomFromText('MULTIPOLYGON EMPTY', 4490)`, "030100",
			"geometry is empty or invalid"},
		{"SRID 4326", "361130100001000100004",
			`ST_GeomFromText('MULTIPOLYGON(((117.8 29.2,117.81 29.2,117.81 29.21,117.8 29.2)))', 4326)`, "030100",
			"transform the geometry to EPSG:4490"},
		{"point instead of polygon", "361130100001000100005", `ST_GeomFromText('POINT(117.8 29.2)', 4490)`, "030100",
			"Geometry type (Point) does not match column type (MultiPolygon)"},
		{"duplicate current code", "361130100001000100001", square, "030100",
			"a current parcel with this code already exists"},
		{"unknown land-type code", "361130100001000100006", square, "039999",
			`unknown code '039999' for DI_LEI in code scheme 2020`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := insertParcel(ctx, pool, tc.code, tc.geom, tc.diLei)
			if err == nil {
				t.Fatalf("insert succeeded; want it rejected with %q", tc.wantErr)
			}
			if got := postgis.Explain(err); !strings.Contains(got, tc.wantErr) {
				t.Errorf("error = %q; want it to say %q", got, tc.wantErr)
			}
		})
	}

	// An update is checked as strictly as an insert.
	if _, err := pool.Exec(ctx, `UPDATE parcel SET di_lei = '039999'`); err == nil || !strings.Contains(postgis.Explain(err), "unknown code '039999' for DI_LEI") {
		t.Errorf("updating to an unknown code: err = %v; want a refusal naming it", err)
	}

	// History: closing the current version frees the code for the next version.
	if _, err := pool.Exec(ctx, `UPDATE parcel SET valid_to = valid_from + interval '1 day' WHERE code = '361130100001000100001'`); err != nil {
		t.Fatal(err)
	}
	if err := insertParcel(ctx, pool, "361130100001000100001", square, "030200"); err != nil {
		t.Fatalf("a new version after closing the old one was rejected: %s", postgis.Explain(err))
	}
	var versions, current int
	if err := pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE valid_to IS NULL) FROM parcel WHERE code = '361130100001000100001'`).Scan(&versions, &current); err != nil {
		t.Fatal(err)
	}
	if versions != 2 || current != 1 {
		t.Errorf("versions = %d, current = %d; want 2 and 1", versions, current)
	}
}

func TestAuditLogIsAppendOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t)
	if _, err := pool.Exec(ctx, `INSERT INTO audit_log (actor, action, entity) VALUES ('test', 'seed', 'parcel')`); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{`UPDATE audit_log SET actor = 'someone else'`, `DELETE FROM audit_log`, `TRUNCATE audit_log`} {
		_, err := pool.Exec(ctx, stmt)
		if err == nil || !strings.Contains(postgis.Explain(err), "append-only") {
			t.Errorf("%s: err = %v; want an append-only refusal", stmt, err)
		}
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_log`).Scan(&n); err != nil || n != 1 {
		t.Errorf("audit_log has %d rows (%v); want the 1 written", n, err)
	}
}

func TestZoneKindMustFitAreaKind(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t)
	var id int64
	if err := pool.QueryRow(ctx, `INSERT INTO protected_area (name, area_kind) VALUES ('饶河源', 'wetland_park') RETURNING id`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	_, err := pool.Exec(ctx, `INSERT INTO zone (area_id, area_kind, zone_kind, name, geom) VALUES ($1, 'wetland_park', 'core', 'x', `+square+`)`, id)
	if err == nil || !strings.Contains(postgis.Explain(err), "zone kind does not exist for this kind of protected area") {
		t.Errorf("a nature-reserve core zone in a wetland park: err = %v; want a refusal", err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO zone (area_id, area_kind, zone_kind, name, geom) VALUES ($1, 'wetland_park', 'conservation', '保育区', `+square+`)`, id); err != nil {
		t.Errorf("a conservation zone in a wetland park was rejected: %s", postgis.Explain(err))
	}
}

// The batch and owner of a parcel must exist, and are kept while parcels refer to them (statement
// triggers since migration 00013, under the foreign keys' names).
func TestParcelReferences(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t)
	var owner, batch int64
	if err := pool.QueryRow(ctx, `INSERT INTO owner (kind, name) VALUES ('individual', '张三') RETURNING id`).Scan(&owner); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `INSERT INTO import_batch (kind, source) VALUES ('import', 'test') RETURNING id`).Scan(&batch); err != nil {
		t.Fatal(err)
	}
	insert := func(code string, owner, batch int64) error {
		_, err := pool.Exec(ctx, `INSERT INTO parcel (code, xian, xiang, cun, lin_ban, xiao_ban, mian_ji, geom, owner_id, batch_id)
			VALUES ($1, '361130', '100', '001', '0001', right($1, 5), 1.0, `+square+`, $2, $3)`, code, owner, batch)
		return err
	}
	if err := insert("361130100001000100001", owner, batch); err != nil {
		t.Fatalf("a parcel with an existing owner and batch was rejected: %s", postgis.Explain(err))
	}
	for _, tc := range []struct {
		name          string
		owner, batch  int64
		want, wantKey string
	}{
		{"unknown batch", owner, batch + 100, "parcel_batch_id_fkey", "is not present in table \"import_batch\""},
		{"unknown owner", owner + 100, batch, "parcel_owner_id_fkey", "is not present in table \"owner\""},
	} {
		err := insert("361130100001000100002", tc.owner, tc.batch)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "23503" || pgErr.ConstraintName != tc.want || !strings.Contains(pgErr.Detail, tc.wantKey) {
			t.Errorf("%s: err = %v; want a foreign-key violation of %s", tc.name, err, tc.want)
		}
	}
	if _, err := pool.Exec(ctx, `UPDATE parcel SET owner_id = $1`, owner+100); err == nil {
		t.Error("updating a parcel to an unknown owner succeeded")
	}
	for _, stmt := range []string{`DELETE FROM owner`, `DELETE FROM import_batch`} {
		var pgErr *pgconn.PgError
		if _, err := pool.Exec(ctx, stmt); !errors.As(err, &pgErr) || pgErr.Code != "23503" || !strings.Contains(pgErr.Detail, "still referenced") {
			t.Errorf("%s while a parcel refers to it: err = %v; want a foreign-key violation", stmt, err)
		}
	}
	// Without the parcel, both go.
	if _, err := pool.Exec(ctx, `DELETE FROM parcel`); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{`DELETE FROM owner`, `DELETE FROM import_batch`} {
		if _, err := pool.Exec(ctx, stmt); err != nil {
			t.Errorf("%s with no parcel referring to it: %s", stmt, postgis.Explain(err))
		}
	}
}

// area_m2 and area_plane_m2 follow the geometry: computed when an insert leaves them out, kept
// when it supplies them (the import computes them with the same functions), recomputed when an
// update moves the geometry.
func TestParcelAreas(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t)
	if err := insertParcel(ctx, pool, "361130100001000100001", square, "030100"); err != nil {
		t.Fatal(postgis.Explain(err))
	}
	consistent := func(when string) {
		t.Helper()
		var area, plane, wantArea, wantPlane, geodesic float64
		if err := pool.QueryRow(ctx, `SELECT area_m2, area_plane_m2, parcel_area_m2(geom), parcel_area_plane_m2(geom), ST_Area(geom::geography)
			FROM parcel_current`).Scan(&area, &plane, &wantArea, &wantPlane, &geodesic); err != nil {
			t.Fatal(err)
		}
		if area != wantArea || plane != wantPlane {
			t.Errorf("%s: areas %.3f / %.3f m²; the geometry has %.3f / %.3f", when, area, plane, wantArea, wantPlane)
		}
		// The equal-area projection gives the ellipsoidal (geodesic) area to well under a cm².
		if d := area - geodesic; d > 1e-4 || d < -1e-4 {
			t.Errorf("%s: area_m2 %.6f m² differs from the geodesic area %.6f m²", when, area, geodesic)
		}
	}
	consistent("after the insert")
	if _, err := pool.Exec(ctx, `UPDATE parcel SET geom = ST_Multi(ST_Scale(geom, 'POINT(1.1 1.1)'::geometry, ST_Centroid(geom)))`); err != nil {
		t.Fatal(postgis.Explain(err))
	}
	consistent("after moving the geometry")
	if _, err := pool.Exec(ctx, `UPDATE parcel SET geom = geom, area_m2 = 1, area_plane_m2 = 1`); err != nil {
		t.Fatal(postgis.Explain(err))
	}
	consistent("after an update that gave other areas")
}
