package policy

import (
	"strings"
	"testing"

	policyseeds "github.com/wuyuan-forestry/ecocomp/seeds/policy"
)

// TestShippedLoggingBanScope (issue 12, point 3): the 2026 file says who is compensated for not
// cutting — the county 禁伐补贴 by zone and origin, paid where neither the 停伐管护补助 nor the
// Jiangxi tier pays — and the 停伐管护补助 covers natural arbor forest land (030100) only.
func TestShippedLoggingBanScope(t *testing.T) {
	p, err := Parse(policyseeds.Embedded2026())
	if err != nil {
		t.Fatal(err)
	}
	ban, ok := p.Program("county_logging_ban")
	if !ok || ban.RateBy != RateByZoneTier || ban.Stacking == nil || ban.Stacking.Mode != StackRemainder {
		t.Fatalf("county_logging_ban = %+v; want a zone_tier program paid on the remainder", ban)
	}
	// Experimental zones of a reserve of any level: a tier for planted and one for natural stands.
	for _, origin := range []string{"planted", "natural"} {
		if tier, ok := ban.TierForOrigin("nature_reserve", "county", "experimental", origin); !ok || tier.Confirmed || tier.YuanPerMu != 0 {
			t.Errorf("禁伐补贴 tier for %s stands in an experimental zone: %+v, %v; want an unconfirmed 0.00", origin, tier, ok)
		}
	}
	if got := p.ReplacedBy()["county_logging_ban"]; strings.Join(got, ",") != "natural_commercial_logging_ban,jiangxi_tier_natural_commercial" {
		t.Errorf("ReplacedBy()[county_logging_ban] = %v", got)
	}
	fl := p.Subsidies.ForbiddenLogging
	if fl == nil || fl.Activity != "logging" || strings.Join(fl.ForestCategories, ",") != "021,022" || contains(fl.OwnershipClasses, "state") {
		t.Errorf("forbidden_logging = %+v", fl)
	}
	stop, _ := p.Program("natural_commercial_logging_ban")
	if strings.Join(stop.AppliesTo.DiLei, ",") != "030100" {
		t.Errorf("停伐管护补助 land classes = %v; want [030100]", stop.AppliesTo.DiLei)
	}
	f := Facts{LMQS: "30", DiLei: "030200", SenLinLB: "022", QiYuan: "11"}
	if p.Matches(stop.AppliesTo, f) {
		t.Error("the 停伐管护补助 matches natural bamboo land (030200)")
	}
	f.DiLei = "030100"
	if !p.Matches(stop.AppliesTo, f) {
		t.Error("the 停伐管护补助 does not match natural arbor forest land (030100)")
	}
}

func TestParseRejectsSubsidyRules(t *testing.T) {
	const ban = 5 // subsidies.programs[5] is county_logging_ban
	for _, tc := range []struct {
		name string
		edit func(doc map[string]any)
		want string
	}{
		{"land class of the wrong shape", func(d map[string]any) { at(d, "subsidies", "programs", 1, "applies_to")["di_lei"] = []any{"0301"} },
			`subsidies.programs[1].applies_to.di_lei[0]: "0301" is not a DI_LEI code`},
		{"two tiers for one zone and origin", func(d map[string]any) {
			at(d, "subsidies", "programs", ban, "tiers", 1)["zone_kinds"] = []any{"experimental", "core"}
		}, `subsidies.programs[5].tiers[1].zone_kinds[1]: core zones of national nature_reserve areas (planted stands) already have a tier in subsidies.programs[5].tiers[0]`},
		{"a tier for any origin meets one for planted stands", func(d map[string]any) {
			delete(at(d, "subsidies", "programs", ban, "tiers", 2), "origin_classes")
		}, `subsidies.programs[5].tiers[2].zone_kinds[0]: core zones of national nature_reserve areas already have a tier in subsidies.programs[5].tiers[0]`},
		{"unknown origin class", func(d map[string]any) {
			at(d, "subsidies", "programs", ban, "tiers", 0)["origin_classes"] = []any{"coppice"}
		}, `subsidies.programs[5].tiers[0].origin_classes[0]: unknown origin class "coppice"`},
		{"county part above a tier's rate", func(d map[string]any) {
			at(d, "subsidies", "programs", 3, "tiers", 0)["county_retained_yuan_per_mu"] = "40.00"
		}, `subsidies.programs[3].tiers[0].county_retained_yuan_per_mu: the county's part 40.00 is more than the whole rate 33.00`},
		{"remainder in a cycle", func(d map[string]any) {
			at(d, "subsidies", "programs", 1)["stacking"] = map[string]any{"mode": "remainder", "programs": []any{"county_logging_ban"}, "confirmed": false}
		}, `programs replace each other in a cycle`},
		{"forbidden_logging names an unknown program", func(d map[string]any) {
			at(d, "subsidies", "forbidden_logging")["programs"] = []any{"county_logging_ban", "logging_ban"}
		}, `subsidies.forbidden_logging.programs[1]: unknown program id "logging_ban"`},
		{"forbidden_logging names an unknown activity", func(d map[string]any) {
			at(d, "subsidies", "forbidden_logging")["activity"] = "felling"
		}, `subsidies.forbidden_logging.activity: unknown activity "felling"`},
		{"forbidden_logging without its categories", func(d map[string]any) {
			delete(at(d, "subsidies", "forbidden_logging"), "forest_categories")
		}, `subsidies.forbidden_logging.forest_categories: missing (required)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(mutate(t, tc.edit))
			if err == nil {
				t.Fatalf("Parse accepted the file; want %s", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse error:\n%v\nwant it to contain:\n%s", err, tc.want)
			}
		})
	}
}
