package cli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wuyuan-forestry/ecocomp/internal/auth"
	"github.com/wuyuan-forestry/ecocomp/internal/cli"
	"github.com/wuyuan-forestry/ecocomp/internal/config"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
	pilotseeds "github.com/wuyuan-forestry/ecocomp/seeds/pilot"
)

// TestPilotLoadAndMember: `ecocomp pilot load --shipped` stores the shipped plan and says it
// lists 5 of the plan's 25 tasks; again, it writes nothing; a file with the same label and
// another target is refused; `ecocomp pilot member` puts an account in a unit of the plan and
// refuses a unit the plan does not name.
func TestPilotLoadAndMember(t *testing.T) {
	pool, url := pgtest.NewWithURL(t)
	t.Setenv("DATABASE_URL", url)
	run := func(args ...string) (int, string) {
		var out, errb bytes.Buffer
		code := cli.Main(context.Background(), args, &out, &errb)
		return code, out.String() + errb.String()
	}
	if code, out := run("pilot", "load", "--shipped"); code != 0 || !strings.Contains(out, "pilot plan pilot-2026.1: loaded as a new version; 5 of the plan's 25 tasks listed") {
		t.Fatalf("pilot load --shipped: exit %d %s", code, out)
	}
	if code, out := run("pilot", "load", "--shipped"); code != 0 || !strings.Contains(out, "already loaded; nothing written") {
		t.Errorf("loading it again: exit %d %s", code, out)
	}
	raw, _ := pilotseeds.File("2026.json")
	edited := filepath.Join(t.TempDir(), "pilot.json")
	if err := os.WriteFile(edited, bytes.Replace(raw, []byte(`"target": "8"`), []byte(`"target": "9"`), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out := run("pilot", "load", edited); code != 1 || !strings.Contains(out, "loaded already with other content") {
		t.Errorf("the same label with another target: exit %d %s; want 1 and the reason", code, out)
	}
	if code, out := run("pilot", "load"); code != 2 {
		t.Errorf("pilot load without a file: exit %d %s; want 2", code, out)
	}
	if _, err := auth.New(pool, config.Config{}).CreateUser(context.Background(), auth.NewUser{Name: "forester1", Roles: []auth.Role{auth.CaseOfficer}, Password: "Pass-word-2026"}); err != nil {
		t.Fatal(err)
	}
	if code, out := run("pilot", "member", "forester1", "forestry"); code != 0 || !strings.Contains(out, "forester1 now writes the progress of forestry") {
		t.Errorf("pilot member: exit %d %s", code, out)
	}
	if code, out := run("pilot", "member", "forester1", "bank"); code != 1 || !strings.Contains(out, `no pilot unit "bank"`) {
		t.Errorf("a unit the plan does not name: exit %d %s", code, out)
	}
	var members, audited int
	if err := pool.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM pilot_member), (SELECT count(*) FROM audit_log WHERE action IN ('pilot.load', 'pilot.member'))`).
		Scan(&members, &audited); err != nil || members != 1 || audited != 2 {
		t.Errorf("%d members, %d audit rows (%v); want 1 and 2 (one load, one member)", members, audited, err)
	}
}
