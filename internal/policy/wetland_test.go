package policy

import (
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"testing"
)

// TestWetlandBankRules: the shipped file's optional wetland-bank keys, and what a file without
// them means: one project kind per credit type, milestones derived from release (30 % as built,
// 10 % for each of six monitoring years, 10 % reserve), debit_ratio for every importance, each
// park its own service area, no art. 21 rule, the default fund.
func TestWetlandBankRules(t *testing.T) {
	w := shipped(t).WetlandBank
	if got := strings.Join(w.Kinds(), ","); got != "creation,enhancement,preservation,restoration" {
		t.Errorf("project kinds %s", got)
	}
	ct, credits, err := w.CreditsFor("creation", big.NewRat(15, 1))
	if err != nil || ct.Name != "新建" || credits.Cmp(big.NewRat(10, 1)) != 0 {
		t.Errorf("15 亩 of creation: %s %v (%v); want 10 credits at 1.5 亩 each", ct.Name, credits, err)
	}
	if got, want := w.DebitRatioFor("national"), DecimalOf(2, 1); got != want {
		t.Errorf("national debit ratio %s; want %s", got, want)
	}
	if w.ServiceAreaOf("江西婺源饶河源国家湿地公园", "") != "饶河上游（乐安河婺源段）" || w.ServiceAreaOf("", "361130") != "饶河上游（乐安河婺源段）" ||
		w.ServiceAreaOf("别的公园", "361130") != "别的公园" || w.ServiceAreaOf("", "360000") != "" {
		t.Errorf("service areas wrong: %+v", w.Rules.ServiceAreas)
	}
	if w.Rules.Art21 == nil || !strings.Contains(w.Rules.Art21.LegalBasis, "第二十一条") || w.Rules.Fund == DefaultFund {
		t.Errorf("art21 %+v, fund %q", w.Rules.Art21, w.Rules.Fund)
	}

	older := mutate(t, func(d map[string]any) {
		for _, k := range []string{"project_kinds", "milestones", "debit_ratios", "service_areas", "art21", "fund"} {
			delete(at(d, "wetland_bank"), k)
		}
	})
	o := mustParse(t, older).WetlandBank
	var ms []string
	for _, m := range o.Rules.Milestones.Steps {
		ms = append(ms, m.ID+"="+m.Share.String())
	}
	if got := strings.Join(ms, ","); got != "as_built=0.3,monitoring_1=0.1,monitoring_2=0.1,monitoring_3=0.1,monitoring_4=0.1,monitoring_5=0.1,monitoring_6=0.1,reserve=0.1" {
		t.Errorf("derived milestones %s", got)
	}
	if got := strings.Join(o.Kinds(), ","); got != "enhancement,establishment,preservation,re_establishment" ||
		o.DebitRatioFor("national") != o.DebitRatio || o.ServiceAreaOf("某公园", "361130") != "某公园" || o.Rules.Art21 != nil || o.Rules.Fund != DefaultFund {
		t.Errorf("a file without the keys: kinds %s, %+v", got, o.Rules)
	}
}

func TestWetlandBankRulesRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(doc map[string]any)
		want string
	}{
		{"kind of no credit type", func(d map[string]any) { at(d, "wetland_bank", "project_kinds", "creation")["credit_type"] = "dredging" },
			`wetland_bank.project_kinds.creation.credit_type: "dredging" is not one of credit_types`},
		{"milestones short of the whole", func(d map[string]any) { at(d, "wetland_bank", "milestones", "steps", 1)["share"] = "0.05" },
			`wetland_bank.milestones.steps: the shares add up to 0.95; they must add up to 1`},
		{"milestone years backwards", func(d map[string]any) {
			at(d, "wetland_bank", "milestones", "steps", 2)["years_after_as_built"] = json.Number("0")
		},
			`wetland_bank.milestones.steps[2].years_after_as_built: 0 is earlier than the milestone before it (1)`},
		{"unknown importance", func(d map[string]any) { at(d, "wetland_bank", "debit_ratios", "by_importance")["local"] = "1" },
			`wetland_bank.debit_ratios.by_importance.local: unknown importance "local"`},
		{"bad county", func(d map[string]any) {
			at(d, "wetland_bank", "service_areas", "groups", 0)["counties"] = []any{"3611"}
		},
			`wetland_bank.service_areas.groups[0].counties[0]: "3611" is not a six-digit county code`},
		{"art21 without its article", func(d map[string]any) { delete(at(d, "wetland_bank", "art21"), "legal_basis") },
			`wetland_bank.art21.legal_basis: missing (required)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(mutate(t, tc.edit))
			var ve *ValidationError
			if !errors.As(err, &ve) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v; want a problem %q", err, tc.want)
			}
		})
	}
}
