package care_test

import (
	"fmt"
	"testing"

	"github.com/wuyuan-forestry/ecocomp/internal/care"
	"github.com/wuyuan-forestry/ecocomp/internal/policy"
)

// TestRollFundsInOrder, by hand: rows paying 60.00, 70.00 and 40.00 (170.00) against the
// retained money and a fixed fund of 50.00. With 100.00 retained, the first row takes 60.00 of
// it, the second the remaining 40.00 and 30.00 of the fund, the third the fund's last 20.00 and
// lacks 20.00: nothing retained is left, the shortfall is 20.00. With 500.00 retained every row
// is paid from it and 330.00 is left; the fund is untouched.
func TestRollFundsInOrder(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		retained        policy.Fen
		rows            string
		paid, left, gap policy.Fen
		fundLeft        policy.Fen
	}{
		{10000, "[60.00 0.00] 0.00 | [40.00 30.00] 0.00 | [0.00 20.00] 20.00", 10000, 0, 2000, 0},
		{50000, "[60.00 0.00] 0.00 | [70.00 0.00] 0.00 | [40.00 0.00] 0.00", 17000, 33000, 0, 5000},
	} {
		r := &care.Roll{RetainedTotal: c.retained, Sources: []care.RollSource{
			{ID: "public_management", Kind: policy.SourceRetained, Available: c.retained},
			{ID: "central_ranger_fund", Kind: policy.SourceFixed, Available: 5000}}}
		for _, pay := range []policy.Fen{6000, 7000, 4000} {
			r.Rows = append(r.Rows, care.RollRow{FullPay: pay * 2, Pay: pay})
		}
		r.Fund()
		got := ""
		for i, row := range r.Rows {
			if i > 0 {
				got += " | "
			}
			got += fmt.Sprintf("%v %s", row.FromSources, row.Unfunded)
		}
		if got != c.rows {
			t.Errorf("retained %s: rows %s; want %s", c.retained, got, c.rows)
		}
		if r.PayTotal != 17000 || r.FullPayTotal != 34000 || r.PaidFromRetained != c.paid || r.RetainedLeft != c.left || r.Shortfall != c.gap ||
			r.PaidFromRetained+r.RetainedLeft != r.RetainedTotal || r.Sources[1].Left != c.fundLeft {
			t.Errorf("retained %s: pay %s of %s, paid from retained %s, left %s, shortfall %s, fund left %s; want 170.00 of 340.00, %s, %s, %s, %s",
				c.retained, r.PayTotal, r.FullPayTotal, r.PaidFromRetained, r.RetainedLeft, r.Shortfall, r.Sources[1].Left, c.paid, c.left, c.gap, c.fundLeft)
		}
	}
}
