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
		{"collective owner comes second", func(p *facts.Parcel) { p.LMQS = "20" }, eligibility.RuleOwnership, true, "rank 2", true, "eligible"},
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
		{"only in the experimental zone", func(p *facts.Parcel) { p.Overlaps = []facts.Overlap{zone("experimental", 1, 60)} }, eligibility.RulePriority, false,
			"lies in no priority zone", false, "other"},
		{"outside every zone", func(p *facts.Parcel) { p.Overlaps = nil }, eligibility.RulePriority, false, "lies in no priority zone", false, "other"},
		{"no case, dispute or mortgage", func(p *facts.Parcel) {}, eligibility.RuleStatus, true, "no active buyout case", true, "eligible"},
		{"already in a case", func(p *facts.Parcel) { p.Flags = []string{"active_case"} }, eligibility.RuleStatus, false, "already in an active buyout case", false, "in_case"},
		{"disputed and mortgaged", func(p *facts.Parcel) { p.Flags = []string{"disputed", "mortgaged"} }, eligibility.RuleStatus, false, "under an ownership dispute and is mortgaged", false, "other"},
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
	if strings.Join(modes, ", ") != "buyout 赎买, lease 租赁, swap 置换" {
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
	if len(got.Modes) == 0 || got.Modes[0].ID != policy.ModeClosureAgreement {
		t.Errorf("natural forest modes = %v; want a closure agreement (协议封育) first", got.Modes)
	}
	if got.Priority != 70 {
		t.Errorf("natural forest priority = %d; want 70 (no planted points)", got.Priority)
	}
	collective := base()
	collective.LMQS = "20"
	got = eligibility.Evaluate(pol, collective)
	if len(got.Modes) < 3 || got.Modes[2].ID != policy.ModeEquity {
		t.Errorf("collective planted forest modes = %v; want equity (入股) among them", got.Modes)
	}
}
