package eligibility_test

import (
	"math/big"
	"strings"
	"testing"

	"github.com/wuyuan-forestry/ecocomp/internal/eligibility"
	"github.com/wuyuan-forestry/ecocomp/internal/facts"
	"github.com/wuyuan-forestry/ecocomp/internal/policy"
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

// core is the core zone of site 3 of a national nature reserve.
func zone(kind string, share float64, parcelMu float64) facts.Overlap {
	return facts.Overlap{ZoneID: 1, AreaName: "测试保护区", AreaKind: "nature_reserve", AreaLevel: "national",
		ZoneKind: kind, ZoneLabel: map[string]string{"core": "核心区", "buffer": "缓冲区", "experimental": "实验区"}[kind],
		Site: "3", Zone: kind, M2: share * parcelMu * 2000 / 3, Share: share}
}

// base is a 4 ha (60 亩) planted, mature, individually owned commercial fir stand of 100 m³,
// half of it in the core zone.
func base() *facts.Parcel {
	return &facts.Parcel{
		ID: 1, Code: "361130100001000100001", MianJi: big.NewRat(4, 1), AreaM2: 40000,
		LMQS: "30", SenLinLB: "022", QiYuan: "21", LingZu: "4", Species: "310000", XuJi: big.NewRat(100, 1),
		Overlaps: []facts.Overlap{zone("core", 0.5, 60)},
	}
}

func rule(t *testing.T, r eligibility.Result, id string) eligibility.RuleResult {
	t.Helper()
	for _, rr := range r.Rules {
		if rr.ID == id {
			return rr
		}
	}
	t.Fatalf("rule %s missing from %+v", id, r.Rules)
	return eligibility.RuleResult{}
}

func TestEveryRulePassesAndFails(t *testing.T) {
	pol := policy2026(t)
	cases := []struct {
		name     string
		change   func(p *facts.Parcel)
		rule     string
		passed   bool
		detail   string
		eligible bool
		status   string
	}{
		{"individual owner", func(p *facts.Parcel) {}, eligibility.RuleOwnership, true, "trees are individually owned (LM_QS 30", true, "eligible"},
		{"enterprise owner", func(p *facts.Parcel) { p.LMQS = "40" }, eligibility.RuleOwnership, true, "owned by an enterprise (LM_QS 40 enterprise): non-public forest", true, "eligible"},
		{"the collective's own forest", func(p *facts.Parcel) { p.LMQS = "20" }, eligibility.RuleOwnership, false, "collective forest is public, outside the pilot's buyout of non-public forest", false, "other"},
		{"state-owned trees", func(p *facts.Parcel) { p.LMQS = "10" }, eligibility.RuleOwnership, false, "trees are state-owned", false, "other"},
		{"ownership not recorded", func(p *facts.Parcel) { p.LMQS = "" }, eligibility.RuleOwnership, false, "not recorded", false, "other"},
		{"commercial forest", func(p *facts.Parcel) {}, eligibility.RuleCategory, true, "一般商品林 ordinary commercial forest (022) is commercial forest", true, "eligible"},
		{"public-welfare forest", func(p *facts.Parcel) { p.SenLinLB = "011" }, eligibility.RuleCategory, false, "already compensated", false, "public_welfare"},
		{"half in the core zone", func(p *facts.Parcel) {}, eligibility.RulePriority, true,
			"50 % of the parcel (30.00 亩) lies in the core zone (核心区) of site 3 of 测试保护区, which meets the threshold 50 % or 1 亩", true, "eligible"},
		{"half in the core zone, in Chinese", func(p *facts.Parcel) {}, "zh:" + eligibility.RulePriority, true,
			"小班 50%（30.00 亩）位于测试保护区 3 核心区，达到 50% 或 1 亩 的门槛", true, "eligible"},
		{"small share but over 1 亩", func(p *facts.Parcel) { p.Overlaps = []facts.Overlap{zone("buffer", 0.1, 60)} }, eligibility.RulePriority, true,
			"10 % of the parcel (6.00 亩) lies in the buffer zone", true, "eligible"},
		{"too little in a priority zone", func(p *facts.Parcel) { p.Overlaps = []facts.Overlap{zone("core", 0.01, 60)} }, eligibility.RulePriority, false,
			"1 % of the parcel (0.60 亩) lies in the core zone (核心区) of site 3 of 测试保护区, which is below the threshold 50 % or 1 亩", false, "other"},
		{"wholly in the experimental zone", func(p *facts.Parcel) { p.Overlaps = []facts.Overlap{zone("experimental", 1, 60)} }, eligibility.RulePriority, true,
			"100 % of the parcel (60.00 亩) lies in the experimental zone (实验区) of site 3 of 测试保护区, which meets the threshold", true, "eligible"},
		{"outside every zone", func(p *facts.Parcel) { p.Overlaps = nil }, eligibility.RulePriority, false,
			"lies in no pilot area (nature reserve: core zone, buffer zone, core protection zone, experimental zone, general control zone; wetland park: conservation zone, restoration zone, reasonable-use zone)", false, "other"},
		{"no case, dispute or mortgage", func(p *facts.Parcel) {}, eligibility.RuleStatus, true, "no active buyout case", true, "eligible"},
		{"already in a case", func(p *facts.Parcel) { p.Flags = []string{"active_case"} }, eligibility.RuleStatus, false, "already in an active buyout case", false, "in_case"},
		{"disputed and mortgaged", func(p *facts.Parcel) { p.Flags = []string{"disputed", "mortgaged"} }, eligibility.RuleStatus, false, "the parcel is under an ownership dispute", false, "other"},
		{"mortgaged only", func(p *facts.Parcel) { p.Flags = []string{"mortgaged"} }, eligibility.RuleStatus, true, "but the forest right is mortgaged: a transfer needs the lender's", true, "eligible"},
		{"already bought out", func(p *facts.Parcel) { p.Agreements = []policy.Mode{policy.ModeBuyout} }, eligibility.RuleStatus, false, "signed buyout agreement: the trees are already in state hands", false, "other"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := base()
			tc.change(p)
			got := eligibility.Evaluate(pol, p)
			id, zh := strings.CutPrefix(tc.rule, "zh:")
			r := rule(t, got, id)
			if zh {
				r.Detail = r.DetailZh
			}
			if r.Passed != tc.passed || !strings.Contains(r.Detail, tc.detail) {
				t.Errorf("rule %s = passed %v, %q; want passed %v and a detail with %q", tc.rule, r.Passed, r.Detail, tc.passed, tc.detail)
			}
			if got.Eligible != tc.eligible || got.Status != tc.status {
				t.Errorf("eligible %v status %s; want %v %s", got.Eligible, got.Status, tc.eligible, tc.status)
			}
			if r.DetailZh == "" {
				t.Errorf("rule %s has no Chinese sentence", tc.rule)
			}
			if len(got.Rules) != 4 {
				t.Errorf("%d rules explained; want all 4 every time", len(got.Rules))
			}
			if !got.Eligible && (len(got.Modes) != 0 || got.Estimate != nil || got.Priority != 0) {
				t.Errorf("an ineligible parcel got modes %v, estimate %v, priority %d", got.Modes, got.Estimate, got.Priority)
			}
		})
	}
}

func TestModesPriorityAndPrice(t *testing.T) {
	pol := policy2026(t)
	got := eligibility.Evaluate(pol, base())
	var modes []string
	for _, m := range got.Modes {
		modes = append(modes, string(m.ID)+" "+m.Label)
	}
	if strings.Join(modes, ", ") != "buyout 赎买, swap 置换, lease 租赁, custody 托管, equity 入股" {
		t.Errorf("modes of a planted individual stand = %v", modes)
	}
	// planted 20 + mature 25 + core 20 + overlap 20 × ½ + first-rank owner 15.
	if got.Priority != 90 {
		t.Errorf("priority = %d; want 90", got.Priority)
	}
	// Fir, 100 m³: outturn 65 m³; W = 65 × 1000 = 65,000; C = 65 × 400 = 26,000; F = 12 % of W =
	// 7,800; E = 31,200; land rent 15 元 × 60 亩 × 20 years = 18,000; total 49,200.
	e := got.Estimate
	want := [6]string{"65000.00", "26000.00", "7800.00", "31200.00", "18000.00", "49200.00"}
	if [6]string{e.W.String(), e.C.String(), e.F.String(), e.E.String(), e.LandRent.String(), e.Total.String()} != want {
		t.Errorf("estimate W C F E rent total = %v %v %v %v %v %v; want %v", e.W, e.C, e.F, e.E, e.LandRent, e.Total, want)
	}

	natural := base()
	natural.QiYuan = "11"
	got = eligibility.Evaluate(pol, natural)
	if len(got.Modes) == 0 || got.Modes[0].ID != policy.ModeBuyout {
		t.Errorf("natural forest in the core zone: modes = %v; want buyout (赎买) first", got.Modes)
	}
	if got.Priority != 70 {
		t.Errorf("natural forest priority = %d; want 70 (no planted points)", got.Priority)
	}
}

func modeIDs(ms []eligibility.Mode) string {
	var ids []string
	for _, m := range ms {
		ids = append(ids, string(m.ID))
	}
	return strings.Join(ids, " ")
}

// TestBuyoutScope: who may sell (non-public owners, by the rights to the trees) and which
// forest where (natural as well as planted, anywhere in the reserve or the wetland park, zones
// for priority), each verdict worked out by hand from the shipped 2026 policy. Every parcel is
// 4 ha = 60 亩 of commercial forest (022) unless the case says otherwise.
func TestBuyoutScope(t *testing.T) {
	pol := policy2026(t)
	wetland := func(kind string, share float64) facts.Overlap {
		return facts.Overlap{ZoneID: 2, AreaName: "测试湿地公园", AreaKind: "wetland_park", AreaLevel: "national", ZoneKind: kind,
			ZoneLabel: "合理利用区", M2: share * 60 * 2000 / 3, Share: share}
	}
	cases := []struct {
		name       string
		change     func(p *facts.Parcel)
		eligible   bool
		status     string
		modes      string // candidate modes, best first
		otherModes string
		priority   int
		detail     string // in some rule's or warning's sentence
		warnings   int
	}{
		// A household's natural broadleaf stand (620000, QI_YUAN 11, mature), 80 % in the core
		// zone: individual (rank 1) commercial forest in the reserve → eligible. Modes: rule
		// natural_strict_zone (natural, touches a core zone) → buyout, closure agreement, lease,
		// custody, swap — no concession where the zone allows no use. Priority: natural 0 +
		// mature 25 + core 20 + overlap 20 × 0.8 = 16 + rank 1 15 = 76.
		{"household natural broadleaf in the core zone", func(p *facts.Parcel) {
			p.QiYuan, p.Species, p.Overlaps = "11", "620000", []facts.Overlap{zone("core", 0.8, 60)}
		}, true, "eligible", "buyout closure_agreement lease custody swap", "", 76, "non-public forest (非公有)", 0},
		// The collective's own planted fir (LM_QS 20): public forest, out of 非公有森林赎买 → not a
		// candidate, status other, only the ownership rule fails; other_modes rule
		// collective_managed offers lease, custody, equity — never buyout or swap.
		{"collective-managed forest", func(p *facts.Parcel) { p.LMQS = "20" },
			false, "other", "", "lease custody equity", 0, "collective forest is public, outside the pilot's buyout of non-public forest (非公有森林赎买); the policy allows lease 租赁, custody 托管, equity 入股 instead", 0},
		// Mortgaged household fir: a mortgage is no exclusion (the lender consents, mortgaged
		// rights can be transferred) → eligible with one warning; priority as base(): planted 20
		// + mature 25 + core 20 + 20 × 0.5 + 15 = 90.
		{"mortgaged parcel", func(p *facts.Parcel) { p.Flags = []string{"mortgaged"} },
			true, "eligible", "buyout swap lease custody equity", "", 90, "lender's (抵押权人) written consent", 1},
		// State-owned trees (LM_QS 10): already in state hands → not a candidate, no other modes.
		{"state forest", func(p *facts.Parcel) { p.LMQS = "10" }, false, "other", "", "", 0, "already in state hands", 0},
		// An open buyout case: not a candidate again; status in_case colours the map.
		{"parcel in an open case", func(p *facts.Parcel) { p.Flags = []string{"active_case"} }, false, "in_case", "", "", 0, "already in an active buyout case", 0},
		// Natural near-mature stand wholly in the experimental zone: the whole reserve is a pilot
		// area → eligible. Rule natural (no strict zone touched): closure agreement first,
		// concession (特许经营) offered. Priority 0 + near-mature 15 + experimental 6 + 20 × 1 + 15 = 56.
		{"natural forest in the experimental zone", func(p *facts.Parcel) {
			p.QiYuan, p.LingZu, p.Overlaps = "11", "3", []facts.Overlap{zone("experimental", 1, 60)}
		}, true, "eligible", "closure_agreement buyout lease custody concession swap", "", 56, "experimental zone", 0},
		// A plantation wholly in the wetland park's reasonable-use zone: in the pilot area →
		// eligible; rule planted: buyout, lease, swap, custody, equity, concession. Priority
		// planted 20 + mature 25 + reasonable use 4 + 20 × 1 + 15 = 84.
		{"plantation in the wetland park's reasonable-use zone", func(p *facts.Parcel) {
			p.Overlaps = []facts.Overlap{wetland("reasonable_use", 1)}
		}, true, "eligible", "buyout lease swap custody equity concession", "", 84, "reasonable_use zone", 0},
		// A drinking-water source zone is not a pilot area of the plan → not a candidate.
		{"only in a water-source zone", func(p *facts.Parcel) {
			p.Overlaps = []facts.Overlap{{ZoneID: 3, AreaName: "水源地", AreaKind: "water_source", ZoneKind: "primary", ZoneLabel: "一级保护区", M2: 40000, Share: 1}}
		}, false, "other", "", "", 0, "lies in no pilot area", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := base()
			tc.change(p)
			got := eligibility.Evaluate(pol, p)
			if got.Eligible != tc.eligible || got.Status != tc.status || modeIDs(got.Modes) != tc.modes ||
				modeIDs(got.OtherModes) != tc.otherModes || got.Priority != tc.priority || len(got.Warnings) != tc.warnings {
				t.Errorf("eligible %v, status %s, modes %q, other modes %q, priority %d, %d warnings;\nwant %v, %s, %q, %q, %d, %d",
					got.Eligible, got.Status, modeIDs(got.Modes), modeIDs(got.OtherModes), got.Priority, len(got.Warnings),
					tc.eligible, tc.status, tc.modes, tc.otherModes, tc.priority, tc.warnings)
			}
			var all []string
			for _, r := range append(got.Rules, got.Warnings...) {
				all = append(all, r.Detail)
			}
			if !strings.Contains(strings.Join(all, "\n"), tc.detail) {
				t.Errorf("no sentence says %q:\n%s", tc.detail, strings.Join(all, "\n"))
			}
		})
	}

	// Who owns the trees, not which non-public class a code names, decides: a parcel read as an
	// enterprise's (as parcels imported before migration 00019 read the legacy 非公有 code) gets
	// the same verdict, modes and priority as the household's it may really be.
	household, firm := base(), base()
	firm.LMQS = "40"
	h, f := eligibility.Evaluate(pol, household), eligibility.Evaluate(pol, firm)
	if h.Eligible != f.Eligible || h.Priority != f.Priority || modeIDs(h.Modes) != modeIDs(f.Modes) {
		t.Errorf("household %v %d %q vs enterprise %v %d %q: the legacy 非公有 code changes the buyout verdict",
			h.Eligible, h.Priority, modeIDs(h.Modes), f.Eligible, f.Priority, modeIDs(f.Modes))
	}
}
