package owners_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/owners"
	"github.com/wuyuan-forestry/ecocomp/internal/pii"
	"github.com/wuyuan-forestry/ecocomp/internal/pii/piitest"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
)

const (
	zhangID      = "36113019900101123X"
	zhangAccount = "6217001234567890123"
	village      = "361130100001"
)

// box is a 100 m square (15 亩) in EPSG:4548, i squares east of 583000 E, stored as EPSG:4490.
func box(i int) string {
	x := 583000 + 100*i
	return fmt.Sprintf("ST_Multi(ST_Transform(ST_MakeEnvelope(%d, 3237000, %d, 3237100, 4548), 4490))", x, x+100)
}

// loadOwners stores three owners under kr — 张三丰 (two current parcels and a retired version
// of a third), a partnership he leads (one parcel) and a collective (one parcel) — and returns
// their ids in that order.
func loadOwners(t *testing.T, pool *pgxpool.Pool, kr *pii.Keyring) []int64 {
	t.Helper()
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `INSERT INTO admin_unit (code, level, name, parent_code, geom) VALUES
		('361130', 'county', '婺源县', NULL, `+box(0)+`), ('361130100', 'township', '紫阳镇', '361130', `+box(0)+`),
		('361130100001', 'village', '测试村', '361130100', `+box(0)+`)`); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, o := range []owners.Owner{
		{Kind: "individual", Name: "张三丰", IDNumber: zhangID, BankAccount: zhangAccount, Phone: "13912345678", VillageCode: village},
		{Kind: "partnership", Name: "张三丰等3户", IDNumber: zhangID, BankAccount: "6217000000000000001", VillageCode: village},
		{Kind: "collective", Name: "测试村村民委员会", IDNumber: "54361130MA0000000X", BankAccount: "6217009999999990000", VillageCode: village},
	} {
		id, err := owners.Insert(ctx, pool, kr, o)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	parcel := func(xb string, owner int64, i int, from, to string) string {
		return fmt.Sprintf("('361130100001%s', '361130', '100', '001', '0001', '%s', 1.5, %d, %s, '%s', %s)",
			"0001"+xb, xb, owner, box(i), from, to)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO parcel (code, xian, xiang, cun, lin_ban, xiao_ban, mian_ji, owner_id, geom, valid_from, valid_to) VALUES `+
		strings.Join([]string{
			parcel("00002", ids[0], 1, "2026-01-01", "NULL"),
			parcel("00001", ids[0], 2, "2026-01-01", "NULL"),
			parcel("00003", ids[0], 3, "2026-01-01", "'2026-06-01'"),
			parcel("00003", ids[2], 3, "2026-06-01", "NULL"),
			parcel("00004", ids[1], 4, "2026-01-01", "NULL"),
		}, ", ")); err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestFindByIDNumber(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t)
	kr := piitest.TestKeyring(t)
	ids := loadOwners(t, pool, kr)

	got, err := owners.FindByIDNumber(ctx, pool, kr, " 36113019900101123x ")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("found %d owners, want 张三丰 and his partnership: %+v", len(got), got)
	}
	zhang := got[0]
	if zhang.ID != ids[0] || zhang.Name != "张三丰" || zhang.Kind != "individual" || zhang.IDNumber != zhangID ||
		zhang.BankAccount != zhangAccount || zhang.Phone != "13912345678" || zhang.VillageCode != village || zhang.Village != "测试村" {
		t.Errorf("owner = %+v", zhang)
	}
	if want := []string{"3611301000010001" + "00001", "3611301000010001" + "00002"}; !slices.Equal(zhang.Parcels, want) {
		t.Errorf("张三丰's current parcels = %v, want %v (not the retired version of …00003)", zhang.Parcels, want)
	}
	if got[1].Kind != "partnership" || len(got[1].Parcels) != 1 || got[1].BankAccount != "6217000000000000001" {
		t.Errorf("partnership = %+v", got[1])
	}

	for _, tc := range []struct {
		name, id string
		code     apperr.Code
	}{
		{"unknown number", "361130199001019999", apperr.NotFound},
		{"empty", "  ", apperr.Invalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := owners.FindByIDNumber(ctx, pool, kr, tc.id)
			if apperr.CodeOf(err) != tc.code {
				t.Fatalf("error %v; want code %s", err, tc.code)
			}
			if tc.id != "  " && strings.Contains(err.Error(), tc.id) {
				t.Errorf("the error repeats the ID number searched for: %v", err)
			}
		})
	}
	t.Run("the hash is keyed", func(t *testing.T) {
		_, err := owners.FindByIDNumber(ctx, pool, piitest.Keyring(t, piitest.OtherKey), zhangID)
		if apperr.CodeOf(err) != apperr.NotFound {
			t.Errorf("another key found the owner: %v", err)
		}
	})
	t.Run("stored without plaintext", func(t *testing.T) {
		var leaks int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM owner o WHERE position($1::bytea IN o::text::bytea) > 0
			OR position($2::bytea IN o::text::bytea) > 0`, []byte(zhangID), []byte(zhangAccount)).Scan(&leaks); err != nil {
			t.Fatal(err)
		}
		if leaks != 0 {
			t.Errorf("%d owner rows hold the ID number or account in clear", leaks)
		}
	})
}

func TestTamperedOwnerDataFails(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t)
	kr := piitest.TestKeyring(t)
	ids := loadOwners(t, pool, kr)
	tests := []struct {
		name, sql string
	}{
		{"a flipped bit", `UPDATE owner SET bank_account_enc = set_byte(bank_account_enc, 20, get_byte(bank_account_enc, 20) # 1) WHERE id = $1`},
		{"the account's ciphertext in the phone column", `UPDATE owner SET phone_enc = bank_account_enc WHERE id = $1`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tx, err := pool.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback(ctx)
			if _, err := tx.Exec(ctx, tc.sql, ids[0]); err != nil {
				t.Fatal(err)
			}
			_, err = owners.FindByIDNumber(ctx, tx, kr, zhangID)
			if !errors.Is(err, pii.ErrTampered) || apperr.CodeOf(err) != apperr.Internal {
				t.Fatalf("error %v; want an internal error wrapping ErrTampered", err)
			}
			if strings.Contains(err.Error(), zhangAccount) || strings.Contains(err.Error(), zhangID) {
				t.Errorf("the error reveals personal data: %v", err)
			}
		})
	}
}

func TestRotate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t)
	a := piitest.Keyring(t, piitest.Key)
	loadOwners(t, pool, a)
	ba := piitest.Keyring(t, piitest.OtherKey+","+piitest.Key)
	b := piitest.Keyring(t, piitest.OtherKey)

	// Before the rotation, a keyring B,A still finds and reads everything.
	if got, err := owners.FindByIDNumber(ctx, pool, ba, zhangID); err != nil || len(got) != 2 || got[0].BankAccount != zhangAccount {
		t.Fatalf("keyring B,A before rotate: %+v, %v", got, err)
	}
	if _, err := owners.FindByIDNumber(ctx, pool, b, zhangID); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("keyring B alone before rotate: %v; want not found", err)
	}
	sum, err := owners.Rotate(ctx, pool, ba)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Owners != 3 || sum.Older != 3 || sum.Key != b.CurrentID() {
		t.Errorf("rotate = %+v; want 3 owners, all 3 under the older key, now under %s", sum, b.CurrentID())
	}
	got, err := owners.FindByIDNumber(ctx, pool, b, zhangID)
	if err != nil || len(got) != 2 || got[0].IDNumber != zhangID || got[0].BankAccount != zhangAccount || got[0].Phone != "13912345678" {
		t.Fatalf("keyring B alone after rotate: %+v, %v", got, err)
	}
	col, err := owners.FindByIDNumber(ctx, pool, b, "54361130MA0000000X")
	if err != nil || col[0].BankAccount != "6217009999999990000" {
		t.Errorf("the collective after rotate: %+v, %v", col, err)
	}
	if _, err := owners.FindByIDNumber(ctx, pool, piitest.Keyring(t, piitest.Key+","+piitest.OtherKey), zhangID); err != nil {
		t.Errorf("keyring A,B after rotate (B is an old key there): %v", err)
	}
	if sum, err := owners.Rotate(ctx, pool, b); err != nil || sum.Owners != 3 || sum.Older != 0 {
		t.Errorf("second rotate = %+v, %v; want 3 owners, none older", sum, err)
	}
	// Key A alone cannot read the rows any more: the error names the key, not the data.
	_, err = owners.Rotate(ctx, pool, a)
	if !errors.Is(err, pii.ErrUnknownKey) || apperr.CodeOf(err) != apperr.Unavailable {
		t.Errorf("rotate with a keyring lacking the key: %v; want an unavailable unknown-key error", err)
	}
	// Each completed rotation is on the audit trail; the refused one left nothing.
	var rotations int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'pii.rotate' AND entity = 'owner'`).Scan(&rotations); err != nil || rotations != 2 {
		t.Errorf("%d rotations audited (%v); want 2", rotations, err)
	}
}
