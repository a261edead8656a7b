package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	policyseeds "github.com/wuyuan-forestry/ecocomp/seeds/policy"
)

func shipped(t *testing.T) *Policy {
	t.Helper()
	p, err := Parse(policyseeds.Embedded2026())
	if err != nil {
		t.Fatalf("the shipped 2026 policy does not parse: %v", err)
	}
	return p
}

func TestShippedPolicyParses(t *testing.T) {
	p := shipped(t)
	if p.Version != "2026.3" || p.Year != 2026 || p.EffectiveFrom.Format("2006-01-02") != "2026-01-01" {
		t.Errorf("header = %q %d %s; want 2026.3 2026 2026-01-01", p.Version, p.Year, p.EffectiveFrom)
	}

	npw, ok := p.Program("national_public_welfare")
	if !ok {
		t.Fatal("program national_public_welfare missing")
	}
	for _, tc := range []struct {
		class          string
		rate, retained Fen
	}{{"state", 1000, 25}, {"collective", 1600, 25}, {"individual", 1600, 25}} {
		r, ok := npw.RateFor(tc.class)
		if !ok || r.YuanPerMu != tc.rate || r.CountyRetainedYuanPerMu != tc.retained || !r.Confirmed {
			t.Errorf("national_public_welfare rate for %s = %+v, %v; want %s (county %s), confirmed", tc.class, r, ok, tc.rate, tc.retained)
		}
	}
	if r, _ := npw.RateFor("enterprise"); r.Confirmed {
		t.Error("the enterprise rate of national_public_welfare should be unconfirmed (DOMAIN.md names collective and individual only)")
	}
	ban, _ := p.Program("natural_commercial_logging_ban")
	if r, _ := ban.RateFor("state"); r.YuanPerMu != 1000 {
		t.Errorf("logging-ban rate for state = %s, want 10.00", r.YuanPerMu)
	}
	tier, _ := p.Program("jiangxi_tier_natural_commercial")
	for _, tc := range []struct {
		level string
		want  Fen
	}{{"national", 3300}, {"provincial", 2900}} {
		got, ok := tier.TierFor("nature_reserve", tc.level, "buffer")
		if !ok || got.YuanPerMu != tc.want {
			t.Errorf("Jiangxi tier for a %s reserve = %s, %v; want %s", tc.level, got.YuanPerMu, ok, tc.want)
		}
	}
	if _, ok := tier.TierFor("wetland_park", "national", "conservation"); ok {
		t.Error("the Jiangxi tier should not pay inside a wetland park")
	}
	if tier.Stacking == nil || tier.Stacking.Mode != StackReplace || tier.Stacking.Confirmed {
		t.Errorf("Jiangxi tier stacking = %+v; want an unconfirmed replace", tier.Stacking)
	}
	if got := p.ReplacedOn()["natural_commercial_logging_ban"]; len(got) != 1 || got[0] != "jiangxi_tier_natural_commercial" {
		t.Errorf("ReplacedOn()[natural_commercial_logging_ban] = %v", got)
	}
	for _, id := range []string{"provincial_public_welfare", "county_logging_ban", "closure_agreement"} {
		pr, ok := p.Program(id)
		if !ok || pr.Confirmed {
			t.Errorf("placeholder program %s: present %v, confirmed %v; want present and unconfirmed", id, ok, pr != nil && pr.Confirmed)
		}
	}

	for code, want := range map[string]string{"10": "state", "20": "collective", "30": "individual", "40": "enterprise", "50": "partnership", "90": "other", "6": ""} {
		if got := p.OwnershipClass(code); got != want {
			t.Errorf("OwnershipClass(%q) = %q, want %q", code, got, want)
		}
	}

	acts := p.Activities()
	for _, a := range RequiredActivities() {
		if !contains(acts, a) {
			t.Errorf("activity %s missing from %v", a, acts)
		}
	}
	for _, zk := range ZoneKinds() {
		for _, a := range acts {
			r, ok := p.Regime(zk.Kind, a)
			if !ok || r.Verdict == "" || r.Text == "" || r.LegalBasis == "" {
				t.Errorf("Regime(%s, %s) = %+v, %v; want a complete rule", zk.Kind, a, r, ok)
			}
		}
	}
	for _, tc := range []struct {
		zone, activity string
		want           Verdict
	}{
		{"core", "logging", Forbidden},
		{"core", "research", Conditional},
		{"buffer", "tourism_facility", Forbidden},
		{"experimental", "research", Allowed},
		{"general_control", "tending", Conditional},
		{"experimental", "logging", Forbidden},
		{"conservation", "construction", Forbidden},
		{"reasonable_use", "wetland_occupation", Conditional},
		{"primary", "construction", Forbidden},
		{"core_scenic", "mining", Forbidden},
	} {
		if r, _ := p.Regime(tc.zone, tc.activity); r.Verdict != tc.want {
			t.Errorf("Regime(%s, %s) = %s, want %s", tc.zone, tc.activity, r.Verdict, tc.want)
		}
	}
	if _, ok := p.Regime("core", "fishing"); ok {
		t.Error("Regime(core, fishing) found a rule for an undeclared activity")
	}

	e := p.Eligibility
	if e.MinOverlapShare != DecimalOf(1, 2) || e.MinOverlapMu != DecimalOf(1, 1) || e.OverlapTest != OverlapEither {
		t.Errorf("thresholds = %s, %s, %s; want 0.5, 1, either", e.MinOverlapShare, e.MinOverlapMu, e.OverlapTest)
	}
	// 非公有森林赎买: individuals, partnerships and enterprises alike; neither the state nor the
	// collective's own forest.
	if e.OwnershipClasses["individual"] != 1 || e.OwnershipClasses["partnership"] != 1 || e.OwnershipClasses["enterprise"] != 1 {
		t.Errorf("ownership ranks = %v; want individual, partnership and enterprise 1", e.OwnershipClasses)
	}
	for _, cl := range []string{"state", "collective"} {
		if _, ok := e.OwnershipClasses[cl]; ok {
			t.Errorf("%s trees must not be eligible for buyout", cl)
		}
	}
	if got := e.Weights.Max(); got != 100 {
		t.Errorf("Weights.Max() = %d, want 100", got)
	}
	if got, want := p.WetlandBank.CreditPriceYuanPerMu, Fen(9411765); got != want {
		t.Errorf("credit price = %s, want %s (1.6 million / 17 亩)", got, want)
	}

	caveats := p.Unconfirmed()
	var paths []string
	for _, c := range caveats {
		paths = append(paths, c.Path)
	}
	for _, want := range []string{"subsidies.programs[2]", "subsidies.programs[3].stacking", "eligibility.weights", "valuation.groups.fir", "wetland_bank"} {
		if !contains(paths, want) {
			t.Errorf("Unconfirmed() lacks %s; got %v", want, paths)
		}
	}
}

// The shipped file parses to the same policy and checksum whatever its layout.
func TestChecksumIgnoresLayout(t *testing.T) {
	raw := policyseeds.Embedded2026()
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		t.Fatal(err)
	}
	a, b := shipped(t), mustParse(t, compact.Bytes())
	if a.Checksum != b.Checksum {
		t.Errorf("checksum changed with layout: %s vs %s", a.Checksum, b.Checksum)
	}
	changed := mutate(t, func(doc map[string]any) { at(doc, "subsidies", "programs", 0, "rates", 0)["yuan_per_mu"] = "10.01" })
	if c := mustParse(t, changed); c.Checksum == a.Checksum {
		t.Error("checksum did not change with a rate")
	}
}

func mustParse(t *testing.T, b []byte) *Policy {
	t.Helper()
	p, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// mutate decodes the shipped file, applies f and encodes it again.
func mutate(t *testing.T, f func(doc map[string]any)) []byte {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(policyseeds.Embedded2026()))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	f(doc)
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// at walks keys and indexes to an object.
func at(doc map[string]any, path ...any) map[string]any {
	var cur any = doc
	for _, k := range path {
		switch k := k.(type) {
		case string:
			cur = cur.(map[string]any)[k]
		case int:
			cur = cur.([]any)[k]
		}
	}
	return cur.(map[string]any)
}

func TestParseRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(doc map[string]any)
		want string // the problem, with its path
	}{
		{"bad money", func(d map[string]any) { at(d, "subsidies", "programs", 1, "rates", 0)["yuan_per_mu"] = "16.0.0" },
			`subsidies.programs[1].rates[0].yuan_per_mu: "16.0.0" is not an amount in yuan (e.g. "16.00")`},
		{"money as a number", func(d map[string]any) {
			at(d, "subsidies", "programs", 0, "rates", 1)["yuan_per_mu"] = json.Number("16")
		},
			`subsidies.programs[0].rates[1].yuan_per_mu: write money as a string in yuan with two decimals (e.g. "16.00"), not 16`},
		{"money below the fen", func(d map[string]any) { at(d, "wetland_bank")["credit_price_yuan_per_mu"] = "94117.647" },
			`wetland_bank.credit_price_yuan_per_mu: "94117.647" is not an amount in yuan`},
		{"negative rate", func(d map[string]any) { at(d, "subsidies", "programs", 0, "rates", 0)["yuan_per_mu"] = "-10.00" },
			`subsidies.programs[0].rates[0].yuan_per_mu: -10.00 must not be negative`},
		{"county part above the rate", func(d map[string]any) {
			at(d, "subsidies", "programs", 0, "rates", 0)["county_retained_yuan_per_mu"] = "10.25"
		}, `subsidies.programs[0].rates[0].county_retained_yuan_per_mu: the county's part 10.25 is more than the whole rate 10.00`},
		{"unknown top-level key", func(d map[string]any) { d["subsidy"] = map[string]any{} },
			`subsidy: unknown key (did you mean "subsidies"?)`},
		{"unknown nested key", func(d map[string]any) { at(d, "subsidies", "programs", 2)["rate"] = "1.00" },
			`subsidies.programs[2].rate: unknown key (did you mean`},
		{"missing version", func(d map[string]any) { delete(d, "version") }, `version: missing (required)`},
		{"missing program confirmed", func(d map[string]any) { delete(at(d, "subsidies", "programs", 4), "confirmed") },
			`subsidies.programs[4].confirmed: missing (required)`},
		{"wrong type", func(d map[string]any) { d["year"] = "2026" }, `year: want a whole number, got a string`},
		{"bad date", func(d map[string]any) { d["effective_from"] = "2026-13-01" }, `effective_from: "2026-13-01" is not a date`},
		{"bad version label", func(d map[string]any) { d["version"] = "2026 first" }, `version: "2026 first" is not a version label`},
		{"unknown zone kind in regimes", func(d map[string]any) { at(d, "zone_regimes")["core_zone"] = at(d, "zone_regimes", "core") },
			`zone_regimes.core_zone: unknown zone kind "core_zone"`},
		{"zone kind missing from regimes", func(d map[string]any) { delete(at(d, "zone_regimes"), "buffer") },
			`zone_regimes.buffer: missing: every zone kind of the schema needs a regime`},
		{"activity missing from a regime", func(d map[string]any) { delete(at(d, "zone_regimes", "core"), "mining") },
			`zone_regimes.core.mining: missing: every zone kind needs a rule for every activity`},
		{"unknown activity in a regime", func(d map[string]any) {
			at(d, "zone_regimes", "core")["fishing"] = at(d, "zone_regimes", "core", "hunting")
		}, `zone_regimes.core.fishing: unknown activity "fishing"`},
		{"required activity not declared", func(d map[string]any) { delete(at(d, "activities"), "research") },
			`activities.research: missing: the API promises the activity "research"`},
		{"unknown verdict", func(d map[string]any) { at(d, "zone_regimes", "buffer", "grazing")["verdict"] = "maybe" },
			`zone_regimes.buffer.grazing.verdict: unknown verdict "maybe" (known: forbidden, conditional, allowed)`},
		{"share above 1", func(d map[string]any) { at(d, "eligibility")["min_overlap_share"] = "1.5" },
			`eligibility.min_overlap_share: a share 1.5 is outside 0–1`},
		{"share below 0", func(d map[string]any) { at(d, "eligibility")["min_overlap_share"] = "-0.1" },
			`eligibility.min_overlap_share: a share -0.1 is outside 0–1`},
		{"outturn above 1", func(d map[string]any) { at(d, "valuation", "groups", "fir")["outturn_rate"] = "1.2" },
			`valuation.groups.fir.outturn_rate: a rate 1.2 is outside 0–1`},
		{"duplicate program id", func(d map[string]any) { at(d, "subsidies", "programs", 1)["id"] = "national_public_welfare" },
			`subsidies.programs[1].id: program id "national_public_welfare" is already used by subsidies.programs[0]`},
		{"zone kind of another area kind", func(d map[string]any) {
			at(d, "eligibility", "pilot_areas", 0)["zone_kinds"] = []any{"core", "conservation"}
		}, `eligibility.pilot_areas[0].zone_kinds[1]: zone kind "conservation" belongs to wetland_park, not nature_reserve`},
		{"pilot areas under both names", func(d map[string]any) {
			at(d, "eligibility")["priority_zones"] = at(d, "eligibility")["pilot_areas"]
		}, `eligibility.priority_zones: priority_zones is the former name of pilot_areas: give one of them`},
		{"no pilot areas", func(d map[string]any) { delete(at(d, "eligibility"), "pilot_areas") },
			`eligibility.pilot_areas: missing (required)`},
		{"a status that both excludes and warns", func(d map[string]any) {
			at(d, "eligibility")["warning_statuses"] = []any{"mortgaged", "disputed"}
		}, `eligibility.warning_statuses[1]: status "disputed" is already in excluded_statuses`},
		{"buyout offered outside the buyout scope", func(d map[string]any) {
			at(d, "eligibility", "other_modes", 0)["modes"] = []any{"lease", "buyout"}
		}, `eligibility.other_modes[0].modes[1]: mode "buyout" transfers title`},
		{"mode rule id reused in other_modes", func(d map[string]any) { at(d, "eligibility", "other_modes", 0)["id"] = "planted" },
			`eligibility.other_modes[0].id: mode rule id "planted" is used twice`},
		{"unknown area kind", func(d map[string]any) { at(d, "subsidies", "programs", 3, "tiers", 0)["area_kind"] = "national_park" },
			`subsidies.programs[3].tiers[0].area_kind: unknown area kind "national_park"`},
		{"unknown ownership class", func(d map[string]any) {
			at(d, "subsidies", "programs", 0, "rates", 0)["ownership_classes"] = []any{"private"}
		}, `subsidies.programs[0].rates[0].ownership_classes[0]: unknown ownership class "private"`},
		{"ownership class with two rates", func(d map[string]any) {
			at(d, "subsidies", "programs", 0, "rates", 1)["ownership_classes"] = []any{"collective", "state"}
		}, `subsidies.programs[0].rates[1].ownership_classes[1]: ownership class "state" already has a rate in subsidies.programs[0].rates[0]`},
		{"LM_QS code in two classes", func(d map[string]any) { at(d, "ownership_classes")["other"] = []any{"90", "30"} },
			`ownership_classes.other[1]: LM_QS code "30" already belongs to individual`},
		{"badly shaped code", func(d map[string]any) { at(d, "eligibility")["forest_categories"] = []any{"021", "22"} },
			`eligibility.forest_categories[1]: "22" is not a SEN_LIN_LB code of the 2020 scheme (e.g. "021")`},
		{"QI_YUAN code in no origin class", func(d map[string]any) { at(d, "subsidies", "programs", 1, "applies_to")["qi_yuan"] = []any{"11", "31"} },
			`subsidies.programs[1].applies_to.qi_yuan[1]: QI_YUAN code "31" is in no origin class`},
		{"empty constraint list", func(d map[string]any) { at(d, "subsidies", "programs", 0, "applies_to")["shi_quan_d"] = []any{} },
			`subsidies.programs[0].applies_to.shi_quan_d: must not be empty`},
		{"stacking with an unknown program", func(d map[string]any) {
			at(d, "subsidies", "programs", 3, "stacking")["programs"] = []any{"natural_commercial_logging_bann"}
		}, `subsidies.programs[3].stacking.programs[0]: unknown program id "natural_commercial_logging_bann"`},
		{"programs replacing each other", func(d map[string]any) {
			at(d, "subsidies", "programs", 1)["stacking"] = map[string]any{"mode": "replace", "programs": []any{"jiangxi_tier_natural_commercial"}, "confirmed": false}
		}, `programs replace each other in a cycle`},
		{"zone tier paid on the whole parcel", func(d map[string]any) { at(d, "subsidies", "programs", 3)["basis"] = "whole_parcel" },
			`subsidies.programs[3].basis: a zone_tier program pays per part: basis must be "zone_overlap"`},
		{"tiers on an ownership program", func(d map[string]any) {
			at(d, "subsidies", "programs", 0)["tiers"] = at(d, "subsidies", "programs", 3)["tiers"]
		}, `subsidies.programs[0].tiers: tiers are for rate_by "zone_tier"`},
		{"two tiers for one zone", func(d map[string]any) {
			at(d, "subsidies", "programs", 3, "tiers", 1)["area_level"] = "national"
		}, `subsidies.programs[3].tiers[1].zone_kinds[0]: core zones of national nature_reserve areas already have a tier in subsidies.programs[3].tiers[0]`},
		{"unknown source", func(d map[string]any) { at(d, "subsidies", "programs", 0)["sources"] = []any{"forestry_law"} },
			`subsidies.programs[0].sources[0]: unknown source id "forestry_law"`},
		{"weights not adding up to 100", func(d map[string]any) { at(d, "eligibility", "weights")["overlap"] = json.Number("15") },
			`eligibility.weights: the highest possible score is 95`},
		{"weight for a zone in no pilot area", func(d map[string]any) { at(d, "eligibility", "weights", "zone")["primary"] = json.Number("5") },
			`eligibility.weights.zone.primary: zone kind "primary" is in no pilot area`},
		{"pilot-area zone without points", func(d map[string]any) { delete(at(d, "eligibility", "weights", "zone"), "experimental") },
			`eligibility.weights.zone.experimental: missing: every zone kind of the pilot areas needs its points`},
		{"unknown mode", func(d map[string]any) { at(d, "eligibility", "modes", 2)["modes"] = []any{"buyout", "expropriation"} },
			`eligibility.modes[2].modes[1]: unknown mode "expropriation"`},
		{"age group valued by replacement cost without a stand age", func(d map[string]any) {
			delete(at(d, "valuation", "groups", "pine", "stand_age_years"), "1")
		}, `valuation.groups.pine.stand_age_years: missing: LING_ZU 1 is valued by replacement_cost`},
		{"rotation before the stand's age", func(d map[string]any) { at(d, "valuation", "groups", "fir")["rotation_age"] = json.Number("20") },
			`valuation.groups.fir.rotation_age: rotation age 20 is not after the age 23 of LING_ZU 3`},
		{"unknown valuation approach", func(d map[string]any) { at(d, "valuation", "age_group_approach")["1"] = "guess" },
			`valuation.age_group_approach.1: unknown valuation approach "guess"`},
		{"age-group table on a per-mu group", func(d map[string]any) { at(d, "valuation", "groups", "bamboo")["rotation_age"] = json.Number("8") },
			`valuation.groups.bamboo.rotation_age: not used by method "per_mu"`},
		{"no return rate", func(d map[string]any) { delete(at(d, "valuation"), "interest_rate") },
			`valuation.interest_rate: missing: replacement cost and harvest present value need the investment return rate P`},
		{"unused species group", func(d map[string]any) {
			at(d, "valuation", "groups")["cedar"] = at(d, "valuation", "groups", "fir")
		}, `valuation.groups.cedar: species group "cedar" is used by no species code`},
		{"species code to an unknown group", func(d map[string]any) { at(d, "valuation", "species_groups")["310000"] = "firr" },
			`valuation.species_groups.310000: unknown species group "firr"`},
		{"stumpage field on a per-mu group", func(d map[string]any) { at(d, "valuation", "groups", "bamboo")["outturn_rate"] = "0.5" },
			`valuation.groups.bamboo.outturn_rate: not used by method "per_mu"`},
		{"debit where the activity is forbidden", func(d map[string]any) {
			at(d, "wetland_bank")["debit_zone_kinds"] = []any{"reasonable_use", "core"}
		}, `wetland_bank.debit_zone_kinds: zone_regimes.core.wetland_occupation forbids wetland_occupation`},
		{"credit ratio outside its range", func(d map[string]any) { at(d, "wetland_bank", "credit_types", "enhancement")["mu_per_credit"] = "5" },
			`wetland_bank.credit_types.enhancement.mu_per_credit: 5 is not within min_mu_per_credit 2 – max_mu_per_credit 4`},
		{"release above the whole", func(d map[string]any) { at(d, "wetland_bank", "release")["reserve_share"] = "0.8" },
			`wetland_bank.release.reserve_share: as_built_share + reserve_share is 1.1, more than the whole (1)`},
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

func TestParseRejectsMalformedJSON(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"empty", "", "not valid JSON: the file is empty"},
		{"syntax", "{\n  \"version\": ,\n}", "not valid JSON: invalid character ',' looking for beginning of value (line 2)"},
		{"truncated", "{\"version\": \"2026.1\"", "not valid JSON: unexpected end of file"},
		{"not an object", "[1, 2]", "want an object, got a list"},
		{"trailing text", "{} {}", "unexpected text after the policy object (line 1)"},
		{"duplicate key", "{\n\"version\": \"2026.1\",\n\"version\": \"2026.2\"\n}", "version: duplicate key (first given on line 2) (line 3)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse(%q) = %v; want an error containing %q", tc.in, err, tc.want)
			}
		})
	}
}

// Every problem is reported, in file order, with the line it is on.
func TestParseListsEveryProblemWithItsLine(t *testing.T) {
	raw := string(policyseeds.Embedded2026())
	bad := strings.Replace(raw, `"yuan_per_mu": "16.00"`, `"yuan_per_mu": "16.0.0"`, 1)
	bad = strings.Replace(bad, `"debit_ratio": "1.5"`, `"debit_ratio": "1.5", "debit_ration": "2"`, 1)
	bad = strings.Replace(bad, `"title": "婺源县`, `"titel": "婺源县`, 1)
	_, err := Parse([]byte(bad))
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Parse error = %v; want a *ValidationError", err)
	}
	lineOfText := func(s string) int { return strings.Count(bad[:strings.Index(bad, s)], "\n") + 1 }
	want := []Problem{
		{Path: "title", Line: 1, Message: "missing (required)"},
		{Path: "titel", Line: lineOfText(`"titel"`), Message: `unknown key (did you mean "title"?)`},
		{Path: "subsidies.programs[0].rates[1].yuan_per_mu", Line: lineOfText(`"16.0.0"`), Message: `"16.0.0" is not an amount in yuan (e.g. "16.00")`},
		{Path: "wetland_bank.debit_ration", Line: lineOfText(`"debit_ration"`), Message: `unknown key (did you mean "debit_ratio"?)`},
	}
	if len(ve.Problems) != len(want) {
		t.Fatalf("got %d problems:\n%v\nwant %d", len(ve.Problems), err, len(want))
	}
	for i := range want {
		if ve.Problems[i] != want[i] {
			t.Errorf("problem %d = %+v, want %+v", i, ve.Problems[i], want[i])
		}
	}
	if code := apperr.CodeOf(err); code != apperr.Invalid {
		t.Errorf("apperr.CodeOf = %s, want %s", code, apperr.Invalid)
	}
}

func TestMatchesAndModes(t *testing.T) {
	p := shipped(t)
	npw, _ := p.Program("national_public_welfare")
	// A condition with zones (the 2026 禁伐补贴 names its zones in tiers instead).
	inReserve := Condition{SenLinLB: []string{"021", "022"}, QiYuan: []string{"21"},
		Within: []ZoneSet{{AreaKind: "nature_reserve", ZoneKinds: []string{"core", "buffer"}}}}
	inCore := func(s ZoneSet) bool { return s.Contains("nature_reserve", "national", "core") }
	for _, tc := range []struct {
		name string
		c    Condition
		f    Facts
		want bool
	}{
		{"national public-welfare forest", npw.AppliesTo, Facts{SenLinLB: "011", ShiQuanD: "1"}, true},
		{"provincial public-welfare forest", npw.AppliesTo, Facts{SenLinLB: "011", ShiQuanD: "2"}, false},
		{"missing code fails a constraint", npw.AppliesTo, Facts{SenLinLB: "011"}, false},
		{"planted commercial in the core", inReserve, Facts{SenLinLB: "022", QiYuan: "21", Touches: inCore}, true},
		{"planted commercial outside zones", inReserve, Facts{SenLinLB: "022", QiYuan: "21"}, false},
		{"agreement required", Condition{RequiresAgreement: ModeClosureAgreement}, Facts{}, false},
		{"agreement signed", Condition{RequiresAgreement: ModeClosureAgreement}, Facts{Agreements: []Mode{ModeClosureAgreement}}, true},
		{"ownership class from LM_QS", Condition{OwnershipClasses: []string{"individual"}}, Facts{LMQS: "30"}, true},
	} {
		if got := p.Matches(tc.c, tc.f); got != tc.want {
			t.Errorf("%s: Matches = %v, want %v", tc.name, got, tc.want)
		}
	}
	for _, tc := range []struct {
		f    Facts
		rule string
		mode Mode
	}{
		{Facts{QiYuan: "11", LMQS: "30", Touches: inCore}, "natural_strict_zone", ModeBuyout},
		{Facts{QiYuan: "11", LMQS: "30"}, "natural", ModeClosureAgreement},
		{Facts{QiYuan: "21", LMQS: "30", Touches: inCore}, "planted_strict_zone", ModeBuyout},
		{Facts{QiYuan: "21", LMQS: "30"}, "planted", ModeBuyout},
		{Facts{LMQS: "30"}, "origin_unknown", ModeLease},
	} {
		r, ok := p.ModesFor(tc.f)
		if !ok || r.ID != tc.rule || r.Modes[0] != tc.mode {
			t.Errorf("ModesFor(%+v) = %s %v, %v; want %s first %s", tc.f, r.ID, r.Modes, ok, tc.rule, tc.mode)
		}
	}
	if r, ok := p.OtherModesFor(Facts{QiYuan: "21", LMQS: "20"}); !ok || r.ID != "collective_managed" || r.Modes[0] != ModeLease {
		t.Errorf("OtherModesFor(collective) = %s %v, %v; want collective_managed, lease first", r.ID, r.Modes, ok)
	}
	if r, ok := p.OtherModesFor(Facts{QiYuan: "21", LMQS: "10"}); ok {
		t.Errorf("OtherModesFor(state) = %s; want none", r.ID)
	}
	if ModeBuyout.Label() != "赎买" || ModeClosureAgreement.Label() != "协议封育" {
		t.Error("mode labels")
	}
}

// Worked on paper: a mature fir stand of 10 m³ on 1 亩, shipped tables (price 1,000, outturn
// 0.65, cost 400, profit 0.12, rent 15 × 20 years): W = 6.5 × 1000 = 6,500.00;
// C = 6.5 × 400 = 2,600.00; F = 0.12 × 6,500 = 780.00; E = 3,120.00; rent 300.00; total 3,420.00.
func TestEstimate(t *testing.T) {
	p := shipped(t)
	got := p.Valuation.Estimate("310000", "4", big.NewRat(10, 1), big.NewRat(1, 1), 0)
	want := Estimate{Group: "fir", Method: MethodStumpage, Approach: ApproachMarketPriceBack, W: 650000, C: 260000, F: 78000, E: 312000, LandRent: 30000, Total: 342000}
	if got != want {
		t.Errorf("Estimate(fir, 10 m³, 1 亩) = %+v\nwant %+v", got, want)
	}
	bamboo := p.Valuation.Estimate("660000", "", big.NewRat(0, 1), big.NewRat(3, 2), 10)
	if bamboo.Group != "bamboo" || bamboo.E != 375000 || bamboo.LandRent != 22500 || bamboo.Total != 397500 {
		t.Errorf("Estimate(bamboo, 1.5 亩, 10 years) = %+v; want E 3,750.00, rent 225.00, total 3,975.00", bamboo)
	}
	if g, _ := p.Valuation.Group("999999"); g != "broadleaf" {
		t.Errorf("unknown species falls into %q, want the default group broadleaf", g)
	}
}

// TestEstimateByAgeGroup: the LY/T 2407 approach follows the age group (shipped 2026 tables:
// fir, P = 5 %, land rent 15 元 × 20 years; all illustrative, unconfirmed). Worked on paper for
// 10 亩 of plantation fir (rent 15 × 10 × 20 = 3,000.00 in each case):
//
// Young (LING_ZU 1, replacement cost, age 5): cost per 亩 of year i, compounded to now ×1.05^(5−i+1):
//
//	year 1 establishment 600 + management 5 = 605 × 1.05⁵ = 605 × 1.2762815625 = 772.1503453125
//	year 2 tending 150 + 5 = 155 × 1.05⁴ = 155 × 1.21550625 = 188.40346875
//	year 3             155 × 1.05³ = 155 × 1.157625   = 179.431875
//	year 4             155 × 1.05² = 155 × 1.1025     = 170.8875
//	year 5 management    5 × 1.05                     =   5.25
//	sum 1,316.1231890625 元/亩 × 10 亩 = 13,161.23 (W = C = F = 0); total 16,161.23.
//
// Middle-aged (LING_ZU 2, harvest present value, age 15, rotation 26, 10 m³/亩 expected):
// harvest 100 m³ × outturn 0.65 = 65 m³: W = 65,000.00, C = 26,000.00, F = 7,800.00, A = 31,200.00;
// management 5 × 10 亩 = 50 a year for years 16…26 compounded to year 26:
// 50 × (1.05¹¹ − 1) / 0.05 = 50 × 14.2067871623 = 710.34; E = (31,200 − 710.339358) / 1.05¹¹
// = 30,489.660642 / 1.7103393581 = 17,826.67; total 20,826.67.
//
// Mature (LING_ZU 4, market-price-back) on 100 m³: E = 65,000 − 26,000 − 7,800 = 31,200.00;
// total 34,200.00 — the stand's own stock, not the expected one.
func TestEstimateByAgeGroup(t *testing.T) {
	p := shipped(t)
	ten := big.NewRat(10, 1)
	for _, tc := range []struct {
		lingZu string
		stock  int64
		want   Estimate
	}{
		{"1", 20, Estimate{Group: "fir", Method: MethodStumpage, Approach: ApproachReplacementCost, AgeYears: 5,
			Costs: 1316123, E: 1316123, LandRent: 300000, Total: 1616123}},
		{"2", 60, Estimate{Group: "fir", Method: MethodStumpage, Approach: ApproachHarvestPresentValue, AgeYears: 15,
			W: 6500000, C: 2600000, F: 780000, Costs: 71034, E: 1782667, LandRent: 300000, Total: 2082667}},
		{"4", 100, Estimate{Group: "fir", Method: MethodStumpage, Approach: ApproachMarketPriceBack,
			W: 6500000, C: 2600000, F: 780000, E: 3120000, LandRent: 300000, Total: 3420000}},
	} {
		if got := p.Valuation.Estimate("310000", tc.lingZu, big.NewRat(tc.stock, 1), ten, 0); got != tc.want {
			t.Errorf("fir, LING_ZU %s, %d m³ on 10 亩:\n got %+v\nwant %+v", tc.lingZu, tc.stock, got, tc.want)
		}
	}
	// Within every stumpage group a young stand is worth less than a middle-aged one, which is
	// worth less than a near-mature one, which is worth less than a mature one of the expected stock.
	for _, id := range sortedKeys(p.Valuation.Groups) {
		g := p.Valuation.Groups[id]
		if g.Method != MethodStumpage {
			continue
		}
		code := ""
		for c, gid := range p.Valuation.SpeciesGroups {
			if gid == id {
				code = c
			}
		}
		var last Fen = -1
		for _, lz := range []string{"1", "2", "3", "4"} {
			e := p.Valuation.Estimate(code, lz, g.HarvestStockM3PerMu.Rat(), big.NewRat(1, 1), 0).E
			if e <= last {
				t.Errorf("group %s: LING_ZU %s is worth %s per 亩, not more than the age group before (%s)", id, lz, e, last)
			}
			last = e
		}
	}
	// No age group recorded: market-price-back on the recorded stock, as before.
	if got := p.Valuation.Estimate("310000", "", big.NewRat(100, 1), ten, 0); got.Approach != ApproachMarketPriceBack || got.E != 3120000 {
		t.Errorf("fir without LING_ZU: %+v; want market-price-back, E 31,200.00", got)
	}
}

// Worked on paper: 2 亩 of wetland occupied in a reasonable-use zone × 1.5 = 3 credits;
// 3 × 94,117.65 = 282,352.95 元.
func TestWetlandDebit(t *testing.T) {
	p := shipped(t)
	credits, fee, ok := p.WetlandBank.Debit("reasonable_use", "wetland_occupation", big.NewRat(2, 1))
	if !ok || credits.Cmp(big.NewRat(3, 1)) != 0 || fee != 28235295 {
		t.Errorf("Debit = %v credits, %s, %v; want 3 credits, 282352.95", credits, fee, ok)
	}
	if _, _, ok := p.WetlandBank.Debit("conservation", "wetland_occupation", big.NewRat(2, 1)); ok {
		t.Error("a debit arose in a conservation zone")
	}
}
