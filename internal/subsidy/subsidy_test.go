package subsidy_test

import (
	"math/big"
	"strings"
	"testing"

	"github.com/wuyuan-forestry/ecocomp/internal/facts"
	"github.com/wuyuan-forestry/ecocomp/internal/policy"
	"github.com/wuyuan-forestry/ecocomp/internal/subsidy"
	policyseeds "github.com/wuyuan-forestry/ecocomp/seeds/policy"
)

func policy2026(t *testing.T) *policy.Policy {
	t.Helper()
	p, err := policy.Parse(policyseeds.Embedded2026())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func reserve(level, kind string, share float64) facts.Overlap {
	return facts.Overlap{ZoneID: 1, AreaName: level + " reserve", AreaKind: "nature_reserve", AreaLevel: level,
		ZoneKind: kind, ZoneLabel: kind, Site: "1", Zone: kind, M2: share * 40000, Share: share}
}

// parcel is a 4 ha (60 亩) parcel with the given codes.
func parcel(lmqs, senLinLB, shiQuanD, qiYuan string, overlaps ...facts.Overlap) *facts.Parcel {
	return &facts.Parcel{ID: 1, Code: "x", MianJi: big.NewRat(4, 1), AreaM2: 40000, LMQS: lmqs,
		SenLinLB: senLinLB, ShiQuanD: shiQuanD, QiYuan: qiYuan, Overlaps: overlaps}
}

type want struct {
	program string
	area    string
	rate    string
	amount  string
}

func TestLinesByHand(t *testing.T) {
	pol := policy2026(t)
	cases := []struct {
		name  string
		p     *facts.Parcel
		lines []want
		total string
	}{
		{"national public-welfare forest, collective: 60 亩 × 16", parcel("20", "011", "1", "21"),
			[]want{{"national_public_welfare", "60.00", "16.00", "960.00"}}, "960.00"},
		{"national public-welfare forest, state: 60 亩 × 10", parcel("10", "012", "1", "11"),
			[]want{{"national_public_welfare", "60.00", "10.00", "600.00"}}, "600.00"},
		{"natural commercial forest outside reserves: logging ban 60 亩 × 16", parcel("30", "022", "", "11"),
			[]want{{"natural_commercial_logging_ban", "60.00", "16.00", "960.00"}}, "960.00"},
		{"planted commercial forest outside reserves earns nothing", parcel("30", "022", "", "21"), nil, "0.00"},
		{"a tier boundary splits the parcel: 40 % national reserve (33), 60 % provincial (29)",
			parcel("30", "021", "", "12", reserve("national", "core", 0.4), reserve("provincial", "experimental", 0.6)),
			[]want{{"jiangxi_tier_natural_commercial", "24.00", "33.00", "792.00"}, {"jiangxi_tier_natural_commercial", "36.00", "29.00", "1044.00"}}, "1836.00"},
		{"40 % in a national reserve: the tier replaces the logging ban there only",
			parcel("30", "022", "", "11", reserve("national", "buffer", 0.4)),
			[]want{{"natural_commercial_logging_ban", "36.00", "16.00", "576.00"}, {"jiangxi_tier_natural_commercial", "24.00", "33.00", "792.00"}}, "1368.00"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			lines := subsidy.Lines(pol, tc.p)
			var got []want
			for _, l := range lines {
				if l.Rate == 0 { // unconfirmed placeholders (0.00) are listed but pay nothing
					if l.Confirmed || l.Amount != 0 || !strings.Contains(l.Basis, "not confirmed") {
						t.Errorf("placeholder line %+v should be unconfirmed and pay 0", l)
					}
					continue
				}
				got = append(got, want{l.Program, l.AreaMu.String(), l.Rate.String(), l.Amount.String()})
				if l.Basis == "" {
					t.Errorf("line %s has no basis sentence", l.Program)
				}
			}
			if len(got) != len(tc.lines) {
				t.Fatalf("lines = %+v; want %+v", got, tc.lines)
			}
			for i := range got {
				if got[i] != tc.lines[i] {
					t.Errorf("line %d = %+v; want %+v", i, got[i], tc.lines[i])
				}
			}
			if total := subsidy.Total(lines).String(); total != tc.total {
				t.Errorf("total = %s; want %s", total, tc.total)
			}
		})
	}
}

func TestAmountsRoundToTheFen(t *testing.T) {
	// 0.0333 ha = 0.4995 亩 → 0.50 亩 (half up) × 16.00 = 8.00; 0.01 亩 × 0.25 = 0.0025 → 0.00;
	// 0.02 亩 × 0.25 = 0.005 → 0.01 (half up).
	p := parcel("20", "011", "1", "21")
	p.MianJi = big.NewRat(333, 10000)
	if got := p.LegalCentiMu(); got != 50 {
		t.Errorf("legal area of 0.0333 ha = %d centi-亩; want 50", got)
	}
	for _, tc := range []struct {
		area subsidy.CentiMu
		rate policy.Fen
		want string
	}{{50, 1600, "8.00"}, {1, 25, "0.00"}, {2, 25, "0.01"}, {171124, 1600, "27379.84"}} {
		if got := subsidy.Amount(tc.area, tc.rate).String(); got != tc.want {
			t.Errorf("%s 亩 × %s = %s; want %s", tc.area, tc.rate, got, tc.want)
		}
	}
}
