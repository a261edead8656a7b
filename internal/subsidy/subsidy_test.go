package subsidy_test

import (
	"encoding/json"
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

// parcel is a 4 ha (60 亩) parcel of arbor forest land (乔木林地 030100) with the given codes.
func parcel(lmqs, senLinLB, shiQuanD, qiYuan string, overlaps ...facts.Overlap) *facts.Parcel {
	return &facts.Parcel{ID: 1, Code: "x", MianJi: big.NewRat(4, 1), AreaM2: 40000, LMQS: lmqs, DiLei: "030100",
		SenLinLB: senLinLB, ShiQuanD: shiQuanD, QiYuan: qiYuan, Overlaps: overlaps}
}

// onLand is p on another land class.
func onLand(diLei string, p *facts.Parcel) *facts.Parcel {
	p.DiLei = diLei
	return p
}

func wetland(kind string, share float64) facts.Overlap {
	return facts.Overlap{ZoneID: 2, AreaName: "wetland park", AreaKind: "wetland_park", AreaLevel: "national",
		ZoneKind: kind, ZoneLabel: kind, Zone: kind, M2: share * 40000, Share: share}
}

type want struct {
	program string
	area    string
	rate    string
	amount  string
}

func TestLinesByHand(t *testing.T) {
	t.Parallel()
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
					if l.Confirmed || l.Amount != 0 || !l.Pending || !strings.Contains(l.BasisZh, "待定") {
						t.Errorf("placeholder line %+v should be unconfirmed, pending and pay 0", l)
					}
					continue
				}
				got = append(got, want{l.Program, l.AreaMu.String(), l.Rate.String(), l.Amount.String()})
				if l.Basis == "" || l.BasisZh == "" {
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
	t.Parallel()
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

// TestForbiddenLoggingIsCompensated (issue 12, point 3): where a zone forbids logging of
// commercial forest its owner still holds, a programme of the policy pays or lists the part —
// the county 禁伐补贴 by zone and origin (its rates are not known: 0.00, listed as pending) — and
// the 天然商品林停伐管护补助 pays only the land classes it covers (natural arbor forest, 030100).
// Every parcel is 4 ha = 60 亩.
func TestForbiddenLoggingIsCompensated(t *testing.T) {
	t.Parallel()
	pol := policy2026(t)
	type got struct {
		program, area, amount string
		pending               bool
	}
	cases := []struct {
		name string
		p    *facts.Parcel
		want []got
	}{
		// Planted Chinese fir of a household, wholly in the experimental zone: 条例 第二十六条 forbids
		// logging there too; the county 禁伐补贴's planted tier for experimental zones lists
		// 60 亩 × 0.00 = 0.00, pending. Before: no line at all (its scope was core and buffer).
		{"planted, experimental zone: 禁伐补贴 line", parcel("30", "022", "", "21", reserve("national", "experimental", 1)),
			[]got{{"county_logging_ban", "60.00", "0.00", true}}},
		// Half in the core zone: 30 亩 × 0.00 on the planted core tier.
		{"planted, half in the core zone", parcel("30", "021", "", "22", reserve("national", "core", 0.5)),
			[]got{{"county_logging_ban", "30.00", "0.00", true}}},
		// Planted forest of a collective in a wetland park's conservation zone (logging forbidden
		// by the wetland regimes): 40 % = 24 亩 on the wetland planted tier.
		{"planted, wetland park", parcel("20", "022", "", "21", wetland("conservation", 0.4)),
			[]got{{"county_logging_ban", "24.00", "0.00", true}}},
		// Natural bamboo (竹林地) of a household outside every zone: the 停伐 programme does not cover
		// bamboo in 2026, and no zone forbids logging: nothing. Before: 60 × 16 = 960.00.
		{"natural bamboo outside reserves: no 停伐 line", onLand("030200", parcel("30", "022", "", "11")), nil},
		// Natural shrub land of an individual, 40 % in the national reserve's buffer zone: the
		// Jiangxi tier (not restricted by land class) pays 24 亩 × 33 = 792.00; the 36 亩 outside
		// are neither 停伐 (shrub) nor in a zone. Before: also 36 × 16 = 576.00 of 停伐.
		{"natural shrub 40 % in the reserve", onLand("030302", parcel("30", "022", "", "11", reserve("national", "buffer", 0.4))),
			[]got{{"jiangxi_tier_natural_commercial", "24.00", "792.00", false}}},
		// Natural bamboo of an enterprise wholly in the core zone: neither the 停伐 programme (land
		// class) nor the Jiangxi tier (collective and individual only) pays; the 禁伐补贴's natural
		// tier lists 60 亩, pending. Before: 停伐 at the unconfirmed enterprise rate, 960.00.
		{"natural bamboo of an enterprise in the core zone", onLand("030200", parcel("40", "022", "", "11", reserve("national", "core", 1))),
			[]got{{"county_logging_ban", "60.00", "0.00", true}}},
		// Natural arbor forest of an enterprise in the core zone: the 停伐 programme pays the whole
		// parcel (60 × 16 = 960.00, enterprise rate unconfirmed), so the 禁伐补贴 — paid on the
		// remainder only — has nothing left.
		{"natural arbor forest of an enterprise in the core zone", parcel("40", "022", "", "11", reserve("national", "core", 1)),
			[]got{{"natural_commercial_logging_ban", "60.00", "960.00", false}}},
		// State forest is not an owner's loss: no line.
		{"planted state forest in the core zone", parcel("10", "022", "", "21", reserve("national", "core", 1)), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var lines []got
			for _, l := range subsidy.Lines(pol, tc.p) {
				lines = append(lines, got{l.Program, l.AreaMu.String(), l.Amount.String(), l.Pending})
				if l.BasisZh == "" {
					t.Errorf("%s has no basis_zh", l.Program)
				}
			}
			if len(lines) != len(tc.want) {
				t.Fatalf("lines = %+v; want %+v", lines, tc.want)
			}
			for i := range lines {
				if lines[i] != tc.want[i] {
					t.Errorf("line %d = %+v; want %+v", i, lines[i], tc.want[i])
				}
			}
		})
	}
}

// TestUncoveredLoggingBanIsListed: without the county 禁伐补贴, the planted stand in the
// experimental zone falls between programmes — and says so: one pending line
// (uncovered_logging_ban, 60 亩, 0.00) whose basis cites the article that forbids logging.
func TestUncoveredLoggingBanIsListed(t *testing.T) {
	t.Parallel()
	var doc map[string]any
	if err := json.Unmarshal(policyseeds.Embedded2026(), &doc); err != nil {
		t.Fatal(err)
	}
	sub := doc["subsidies"].(map[string]any)
	var kept []any
	for _, pr := range sub["programs"].([]any) {
		if pr.(map[string]any)["id"] != "county_logging_ban" {
			kept = append(kept, pr)
		}
	}
	sub["programs"] = kept
	fl := sub["forbidden_logging"].(map[string]any)
	fl["programs"] = []any{"natural_commercial_logging_ban", "jiangxi_tier_natural_commercial", "closure_agreement"}
	raw, _ := json.Marshal(doc)
	pol, err := policy.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	lines := subsidy.Lines(pol, parcel("30", "022", "", "21", reserve("national", "experimental", 1)))
	if len(lines) != 1 {
		t.Fatalf("lines = %+v; want one uncovered line", lines)
	}
	l := lines[0]
	if l.Program != policy.GapProgram || l.AreaMu.String() != "60.00" || l.Amount != 0 || !l.Pending ||
		!strings.Contains(l.BasisZh, "禁止林木采伐") || !strings.Contains(l.BasisZh, "第二十六条") || !strings.Contains(l.Basis, "forbidden") {
		t.Errorf("uncovered line = %+v", l)
	}
	// Public-welfare forest and forest outside logging-ban zones are not gaps.
	if lines := subsidy.Lines(pol, parcel("30", "022", "", "21", reserve("national", "experimental", 0))); len(lines) != 0 {
		t.Errorf("a planted stand touching no zone: %+v; want no line", lines)
	}
}

// TestOwnerShareAndCountyPart (issue 12, point 6): a national public-welfare parcel of 60 亩 of
// a collective earns 16 元/亩 → 960.00 元, of which 15.75 × 60 = 945.00 go to the owner and
// 0.25 × 60 = 15.00 are kept by the county for 公共管护; the Chinese basis says so. A state
// parcel: 10 × 60 = 600.00, 9.75 × 60 = 585.00 to the owner, 15.00 kept. Lines without a county
// part pay the owner everything (natural commercial forest: 960.00 to the owner).
func TestOwnerShareAndCountyPart(t *testing.T) {
	t.Parallel()
	pol := policy2026(t)
	for _, tc := range []struct {
		name                    string
		p                       *facts.Parcel
		amount, owner, retained string
		basisZh                 string
	}{
		{"collective public welfare", parcel("20", "011", "1", "21"), "960.00", "945.00", "15.00",
			"法定面积 4.0000 公顷 = 60.00 亩（集体、个人），按 16.00 元/亩计 960.00 元；其中 0.25 元/亩（15.00 元）由县级留存用于公共管护，权利人实得 15.75 元/亩（945.00 元）"},
		{"state public welfare", parcel("10", "012", "1", "11"), "600.00", "585.00", "15.00", "权利人实得 9.75 元/亩（585.00 元）"},
		{"natural commercial", parcel("30", "022", "", "11"), "960.00", "960.00", "0.00", "按 16.00 元/亩计 960.00 元。依据：《林业改革发展资金管理办法》"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lines := subsidy.Lines(pol, tc.p)
			if len(lines) != 1 {
				t.Fatalf("lines = %+v", lines)
			}
			l := lines[0]
			if l.Amount.String() != tc.amount || l.Owner.String() != tc.owner || l.Retained.String() != tc.retained || l.Owner+l.Retained != l.Amount {
				t.Errorf("amount %s = owner %s + county %s; want %s = %s + %s", l.Amount, l.Owner, l.Retained, tc.amount, tc.owner, tc.retained)
			}
			if !strings.Contains(l.BasisZh, tc.basisZh) {
				t.Errorf("basis_zh = %q; want it to contain %q", l.BasisZh, tc.basisZh)
			}
			if amount, owner, retained := subsidy.Totals(lines); amount != l.Amount || owner != l.Owner || retained != l.Retained {
				t.Errorf("Totals = %s, %s, %s", amount, owner, retained)
			}
		})
	}
	// The county's part rounds on its own, the owner's is the rest: 0.02 亩 × 16.00 = 0.32,
	// 0.02 × 0.25 = 0.005 → 0.01 kept, 0.31 to the owner.
	if owner, retained := subsidy.Split(2, 1600, 25); owner != 31 || retained != 1 {
		t.Errorf("Split(0.02 亩, 16.00, 0.25) = %s, %s; want 0.31, 0.01", owner, retained)
	}
}
