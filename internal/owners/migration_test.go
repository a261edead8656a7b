package owners_test

import (
	"context"
	"strings"
	"testing"

	"github.com/wuyuan-forestry/ecocomp/internal/demo"
	"github.com/wuyuan-forestry/ecocomp/internal/owners"
	"github.com/wuyuan-forestry/ecocomp/internal/pii/piitest"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
	"github.com/wuyuan-forestry/ecocomp/migrations"
)

// TestMigrationRefusesPlaintextItCannotEncrypt runs migration 00015 down and up again around
// owners stored in clear the way they were before it.
func TestMigrationRefusesPlaintextItCannotEncrypt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t)
	b, err := migrations.FS.ReadFile("00015_owner_pii_encrypted.sql")
	if err != nil {
		t.Fatal(err)
	}
	up, down, ok := strings.Cut(string(b), "-- +goose Down")
	if !ok {
		t.Fatal("00015 has no Down section")
	}
	if _, err := pool.Exec(ctx, down); err != nil {
		t.Fatalf("down: %v", err)
	}
	demoSource := demo.Options{Seed: 1, Parcels: 10}.Source()
	if _, err := pool.Exec(ctx, `
		INSERT INTO admin_unit (code, level, name, geom) VALUES ('361130', 'county', '婺源县', `+box(0)+`);
		INSERT INTO import_batch (kind, source, status) VALUES ('seed', '`+demoSource+`', 'done');
		INSERT INTO owner (kind, name, id_number, bank_account, phone, demo) VALUES
			('individual', '演示户', '361130199001011234', '6217001234567890123', '13900000000', true),
			('individual', '真实户', '361130198001011234', NULL, NULL, false)`); err != nil {
		t.Fatal(err)
	}
	_, err = pool.Exec(ctx, up)
	if err == nil || !strings.Contains(err.Error(), "1 owners not loaded by the demo hold a plaintext ID number") {
		t.Fatalf("up over a real owner's plaintext: %v; want a refusal counting it", err)
	}
	var plain int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM owner WHERE id_number IS NOT NULL`).Scan(&plain); err != nil || plain != 2 {
		t.Fatalf("after the refusal %d owners keep their ID number (%v); want both, untouched", plain, err)
	}

	if _, err := pool.Exec(ctx, `DELETE FROM owner WHERE NOT demo`); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, up); err != nil {
		t.Fatalf("up over demo owners only: %v", err)
	}
	var source string
	var enc bool
	if err := pool.QueryRow(ctx, `SELECT (SELECT source FROM import_batch), (SELECT id_number_enc IS NOT NULL FROM owner)`).Scan(&source, &enc); err != nil {
		t.Fatal(err)
	}
	if enc || !strings.Contains(source, "ecocomp seed demo --replace") {
		t.Errorf("after up: encrypted %v, seed source %q; want the plaintext gone and the batch asking for --replace", enc, source)
	}
	_, err = demo.Seed(ctx, pool, demo.Options{Seed: 1, Parcels: 10, PII: piitest.TestKeyring(t)})
	if err == nil || !strings.Contains(err.Error(), "--replace") {
		t.Errorf("seed demo after the migration: %v; want it to ask for --replace", err)
	}

	// Down refuses to destroy encrypted data it cannot decrypt, unless it is the demo's.
	if _, err := owners.Insert(ctx, pool, piitest.TestKeyring(t), owners.Owner{Kind: "individual", Name: "真实户", IDNumber: "361130198001011234"}); err != nil {
		t.Fatal(err)
	}
	_, err = pool.Exec(ctx, down)
	if err == nil || !strings.Contains(err.Error(), "1 owners not loaded by the demo hold encrypted personal data") {
		t.Errorf("down over a real owner's ciphertext: %v; want a refusal", err)
	}
}
