package cli_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/wuyuan-forestry/ecocomp/internal/cli"
	"github.com/wuyuan-forestry/ecocomp/internal/policy"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
	policyseeds "github.com/wuyuan-forestry/ecocomp/seeds/policy"
)

// TestPolicyLoadListsUnconfirmed: `ecocomp policy load --shipped` names every figure or rule
// whose source text was not checked, by key path with its note, one line each — not only their
// count. Worked from the shipped file: the thinning rule of the general-control zone rests on the
// 2022 red-line notice, whose text was not checked, so its line is there with the note saying so;
// the core zone's production-facility rule (条例 第三十二条, checked) is not.
func TestPolicyLoadListsUnconfirmed(t *testing.T) {
	_, url := pgtest.NewWithURL(t)
	t.Setenv("DATABASE_URL", url)
	var out, errb bytes.Buffer
	if code := cli.Main(context.Background(), []string{"policy", "load", "--shipped"}, &out, &errb); code != 0 {
		t.Fatalf("policy load --shipped: exit %d %s", code, errb.String())
	}
	p, err := policy.Parse(policyseeds.Embedded2026())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Count(out.String(), "\n  unconfirmed: "), len(p.Unconfirmed()); got != want || want == 0 {
		t.Errorf("%d unconfirmed lines, want %d:\n%s", got, want, out.String())
	}
	if !strings.Contains(out.String(), "  unconfirmed: zone_regimes.general_control.thinning — the list of limited human activities in the 2022 redline notice is recalled, not checked") {
		t.Errorf("the general-control thinning rule is not listed with its note:\n%s", out.String())
	}
	if strings.Contains(out.String(), "unconfirmed: zone_regimes.core.production_facility") {
		t.Errorf("a checked rule is listed as unconfirmed:\n%s", out.String())
	}
}
