package care_test

import (
	"context"
	"testing"

	"github.com/wuyuan-forestry/ecocomp/internal/auth"
	"github.com/wuyuan-forestry/ecocomp/internal/care"
	"github.com/wuyuan-forestry/ecocomp/internal/pii/piitest"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
)

// TestRotateRangers: a ranger added under key A reads under key B alone once rotated to B, and
// is still found by ID number.
func TestRotateRangers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t)
	a := piitest.TestKeyring(t)
	admin := auth.Principal{Roles: []auth.Role{auth.Admin}}
	if _, err := care.CreateRanger(ctx, pool, a, admin, care.RangerRequest{Name: "王护林", IDNumber: "36113019800101123X",
		BankAccount: "6217001234567890123", ContractFrom: "2026-01-01", ContractTo: "2026-12-31"}); err != nil {
		t.Fatal(err)
	}
	n, err := care.RotateRangers(ctx, pool, piitest.Keyring(t, piitest.OtherKey+","+piitest.Key))
	if err != nil || n != 1 {
		t.Fatalf("rotate: %d rangers, %v; want 1", n, err)
	}
	b := piitest.Keyring(t, piitest.OtherKey)
	list, err := care.Rangers(ctx, pool, b)
	if err != nil || len(list) != 1 || list[0].Name != "王护林" || list[0].IDNumber != "36113019800101123X" || list[0].BankAccount != "6217001234567890123" {
		t.Fatalf("under the new key alone: %+v, %v", list, err)
	}
	_, err = care.CreateRanger(ctx, pool, b, admin, care.RangerRequest{Name: "王护林", IDNumber: "36113019800101123x",
		ContractFrom: "2026-01-01", ContractTo: "2026-12-31"})
	if err == nil {
		t.Error("the same ID number after rotation was accepted; want it found by its new hash")
	}
	if _, err := care.Rangers(ctx, pool, a); err == nil {
		t.Error("the old key alone still reads the rotated rangers")
	}
}
