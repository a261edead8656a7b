package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/wuyuan-forestry/ecocomp/internal/audit"
	"github.com/wuyuan-forestry/ecocomp/internal/auth"
	"github.com/wuyuan-forestry/ecocomp/internal/cases"
	"github.com/wuyuan-forestry/ecocomp/internal/cli"
	"github.com/wuyuan-forestry/ecocomp/internal/pii/piitest"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
)

// TestCasesCommands: on a small demo county a case officer opens a buyout case for the first
// eligible parcel; `cases list` shows it with the owner masked and the count by status, `cases
// show` its parcel and history; --unmask shows the name and is audited; an unknown case is one
// line naming what to give instead.
func TestCasesCommands(t *testing.T) {
	ctx := context.Background()
	pool, url := pgtest.NewWithURL(t)
	t.Setenv("DATABASE_URL", url)
	t.Setenv("ECOCOMP_PII_KEY", piitest.Key)
	run := func(args ...string) (string, string, int) {
		var out, errb bytes.Buffer
		code := cli.Main(ctx, args, &out, &errb)
		return out.String(), errb.String(), code
	}
	if _, errs, code := run("seed", "demo", "--parcels", "400", "--seed", "3"); code != 0 {
		t.Fatalf("seed: %s", errs)
	}
	if _, errs, code := run("policy", "load", "--shipped"); code != 0 {
		t.Fatalf("policy load: %s", errs)
	}
	if _, errs, code := run("recompute", "--year", "2026"); code != 0 {
		t.Fatalf("recompute: %s", errs)
	}
	var code, owner string
	if err := pool.QueryRow(ctx, `SELECT p.code, o.name FROM parcel_eligibility e JOIN parcel p ON p.id = e.parcel_id AND p.valid_to IS NULL
		JOIN owner o ON o.id = p.owner_id WHERE e.eligible AND 'buyout' = ANY(e.modes) AND o.kind = 'individual' ORDER BY p.code LIMIT 1`).Scan(&code, &owner); err != nil {
		t.Fatalf("no eligible parcel in the demo county: %v", err)
	}
	who := cases.Who{Actor: audit.Actor{Kind: audit.KindUser, Name: "officer"}, Roles: []auth.Role{auth.CaseOfficer}}
	if _, err := cases.Open(ctx, pool, who, cases.OpenRequest{Mode: "buyout", Parcels: []string{code}}); err != nil {
		t.Fatal(err)
	}

	out, errs, exit := run("cases", "list")
	if exit != 0 || !strings.Contains(out, "WY-SM-") || !strings.Contains(out, code) || strings.Contains(out, owner) || !strings.Contains(out, "applied 1") {
		t.Errorf("cases list: %d %q\n%s", exit, errs, out)
	}
	if out, _, _ = run("cases", "list", "--status", "signed"); strings.Contains(out, code) {
		t.Errorf("cases list --status signed shows the applied case:\n%s", out)
	}
	if _, errs, exit = run("cases", "list", "--status", "done"); exit != 1 || !strings.Contains(errs, `"done" is not a case status`) {
		t.Errorf("cases list --status done: %d %q", exit, errs)
	}
	number := fmt.Sprintf("WY-SM-%d-0001", cases.Today().Year())
	out, _, exit = run("cases", "show", strings.ToLower(number))
	if exit != 0 || !strings.Contains(out, code+" offered") || !strings.Contains(out, "→ applied by officer") || strings.Contains(out, owner) {
		t.Errorf("cases show: %d\n%s", exit, out)
	}
	out, _, exit = run("cases", "show", number, "--unmask")
	var audited int
	_ = pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'pii.read' AND entity = 'buyout_case'`).Scan(&audited)
	if exit != 0 || !strings.Contains(out, owner) || audited != 1 {
		t.Errorf("cases show --unmask: %d, %d audit rows\n%s", exit, audited, out)
	}
	if _, errs, exit = run("cases", "show", "WY-SM-1999-9999"); exit != 1 || !strings.Contains(errs, "there is no case") || strings.Count(errs, "\n") != 1 {
		t.Errorf("cases show of an unknown case: %d %q", exit, errs)
	}
}
