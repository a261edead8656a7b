// Package policy holds ecocomp's policy as data: subsidy programs and rates, buyout eligibility
// rules, thresholds and priority weights, valuation tables, the regime of every zone kind and the
// wetland-bank ratios. A policy is a JSON file (format: seeds/policy/README.md) that Parse checks
// strictly and Store keeps as an immutable, numbered version; every computed result records the
// version that produced it, so a decision can be replayed with the policy in force on its date
// (InForce, ByYear, ByID).
//
// The figures come from policy texts of varying certainty. Every program, rate, rule and table
// carries a Confirmed flag; Unconfirmed lists what a person still has to check.
package policy

import (
	"math/big"
	"sort"
	"time"
)

// Policy is one parsed, validated policy version. Its fields are read-only after Parse.
type Policy struct {
	// Version is the label, unique among loaded versions ("2026.1").
	Version string `json:"version"`
	// Year is the payment and evaluation year the policy is written for.
	Year int `json:"year"`
	// EffectiveFrom is the first day (a calendar date, at 00:00 UTC) the policy is in force.
	EffectiveFrom time.Time `json:"effective_from"`
	Title         string    `json:"title"`
	Sources       []Source  `json:"sources"`
	// OwnershipClasses maps a class (state, collective, individual, enterprise, partnership,
	// other) to its LM_QS codes of the 2020 scheme.
	OwnershipClasses map[string][]string `json:"ownership_classes"`
	// OriginClasses maps natural and planted to their QI_YUAN codes.
	OriginClasses map[string][]string `json:"origin_classes"`
	// ActivityList holds the zone-check activities the policy declares, sorted by ID.
	ActivityList []Activity  `json:"activities"`
	Subsidies    Subsidies   `json:"subsidies"`
	Eligibility  Eligibility `json:"eligibility"`
	Valuation    Valuation   `json:"valuation"`
	ZoneRegimes  ZoneRegimes `json:"zone_regimes"`
	WetlandBank  WetlandBank `json:"wetland_bank"`
	// Cases are the buyout-case workflow's parameters; a file without them cannot open cases.
	Cases *Cases `json:"cases,omitempty"`
	// Care is forest care's section (care.go); nil when the file has none (CareRules: defaults).
	Care *Care `json:"care,omitempty"`
	// Checksum is the sha256 (hex) of the canonical document (keys sorted, no insignificant
	// whitespace): two files that differ only in layout have the same checksum.
	Checksum string `json:"checksum"`

	ownership map[string]string // LM_QS code → class
	origin    map[string]string // QI_YUAN code → class
	codeRefs  []codeRef
}

// Source is a policy or legal text the file cites.
type Source struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Issuer string `json:"issuer,omitempty"`
	Year   int    `json:"year,omitempty"`
	URL    string `json:"url,omitempty"`
	Note   string `json:"note,omitempty"`
}

// Activity is something a footprint may be used for, checked against the zone regimes.
type Activity struct {
	ID      string `json:"id"`
	LabelZh string `json:"label_zh"`
	LabelEn string `json:"label_en"`
}

// Subsidies are the yearly per-亩 payment programs.
type Subsidies struct {
	Programs []Program `json:"programs"`
	// ForbiddenLogging says who must be compensated for not cutting: commercial forest of these
	// classes lying in a zone whose regime forbids the activity. A part of such a parcel that
	// none of the listed programs pays (or lists at a rate still unknown) gets a line of its own
	// that pays nothing and says so, so that nobody falls silently between programmes.
	ForbiddenLogging *ForbiddenLogging `json:"forbidden_logging,omitempty"`
}

// ForbiddenLogging is the scope of the compensation for a logging ban (subsidies.forbidden_logging).
type ForbiddenLogging struct {
	// Activity is the declared activity whose forbidden verdict makes a zone a logging-ban zone.
	Activity string `json:"activity"`
	// ForestCategories are the SEN_LIN_LB codes of commercial forest.
	ForestCategories []string `json:"forest_categories"`
	// OwnershipClasses are the classes of owners who still hold the trees and lose the harvest.
	OwnershipClasses []string `json:"ownership_classes"`
	// Programs are the programs that compensate the ban; a part any of them covers is not a gap.
	Programs []string `json:"programs"`
	Note     string   `json:"note,omitempty"`
}

// GapProgram is the program ID of the line a parcel gets for a part whose logging a zone forbids
// and that no program of ForbiddenLogging.Programs covers.
const GapProgram = "uncovered_logging_ban"

// RateBy says how a program's rate is chosen.
type RateBy string

const (
	// RateByOwnership: the rate depends on the tree-ownership class (Program.Rates).
	RateByOwnership RateBy = "ownership"
	// RateByZoneTier: the rate depends on the protected-area zone the parcel part lies in
	// (Program.Tiers), per part.
	RateByZoneTier RateBy = "zone_tier"
)

// Basis says which area a program pays for.
type Basis string

const (
	// BasisWholeParcel pays the parcel's legal area: MIAN_JI (ha) × 15 亩/ha.
	BasisWholeParcel Basis = "whole_parcel"
	// BasisZoneOverlap pays the legal area × the share of the parcel's computed area lying in
	// the program's zones (its tiers, or AppliesTo.Within), one line per part.
	BasisZoneOverlap Basis = "zone_overlap"
)

// Program is one subsidy program. A parcel earns it when AppliesTo matches; the amount is
// rate × area basis, computed in 分.
type Program struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	AppliesTo Condition `json:"applies_to"`
	RateBy    RateBy    `json:"rate_by"`
	// Rates, when RateBy is ownership: at most one rate per ownership class; a class without a
	// rate earns nothing from this program.
	Rates []OwnershipRate `json:"rates,omitempty"`
	// Tiers, when RateBy is zone_tier: no zone kind of one area kind and level appears in two
	// tiers. Where tiers of different areas overlap on a parcel, pay the highest rate once.
	Tiers []ZoneTier `json:"tiers,omitempty"`
	Basis Basis      `json:"basis"`
	// Stacking says how the program combines with others; nil means it is simply paid in
	// addition to whatever else the parcel earns.
	Stacking *Stacking `json:"stacking,omitempty"`
	// Confirmed: the program's existence and conditions come from a cited text. Each rate or
	// tier carries its own flag (defaulting to this one).
	Confirmed bool     `json:"confirmed"`
	Note      string   `json:"note,omitempty"`
	Sources   []string `json:"sources,omitempty"`
}

// OwnershipRate is a program's rate for some ownership classes.
type OwnershipRate struct {
	OwnershipClasses []string `json:"ownership_classes"`
	YuanPerMu        Fen      `json:"yuan_per_mu"`
	// CountyRetainedYuanPerMu is the part of YuanPerMu the county keeps (公共管护); the rest goes
	// to owners and rangers (管护补助). It is included in YuanPerMu, not added to it.
	CountyRetainedYuanPerMu Fen    `json:"county_retained_yuan_per_mu"`
	Confirmed               bool   `json:"confirmed"`
	Note                    string `json:"note,omitempty"`
}

// ZoneTier is the rate a zone_tier program pays for the part of a parcel inside certain zones,
// optionally only for stands of some origin classes (a 禁伐补贴 by zone and origin).
type ZoneTier struct {
	ZoneSet
	// OriginClasses, when not empty, restrict the tier to stands of these origin classes.
	OriginClasses []string `json:"origin_classes,omitempty"`
	YuanPerMu     Fen      `json:"yuan_per_mu"`
	// CountyRetainedYuanPerMu is the part of YuanPerMu the county keeps, as in OwnershipRate.
	CountyRetainedYuanPerMu Fen    `json:"county_retained_yuan_per_mu,omitempty"`
	Confirmed               bool   `json:"confirmed"`
	Note                    string `json:"note,omitempty"`
}

// ZoneSet names zones by area kind, optionally area level, and zone kinds.
type ZoneSet struct {
	AreaKind string `json:"area_kind"`
	// AreaLevel is protected_area.level (national, provincial, municipal, county); "" = any.
	AreaLevel string   `json:"area_level,omitempty"`
	ZoneKinds []string `json:"zone_kinds"`
}

// Contains reports whether a zone of that area kind, area level and zone kind is in the set.
func (s ZoneSet) Contains(areaKind, areaLevel, zoneKind string) bool {
	return s.AreaKind == areaKind && (s.AreaLevel == "" || s.AreaLevel == areaLevel) && contains(s.ZoneKinds, zoneKind)
}

// StackMode is how a program combines with the programs it names.
type StackMode string

const (
	// StackReplace: on the area this program pays for, the named programs are not paid
	// (they still pay the rest of the parcel).
	StackReplace StackMode = "replace"
	// StackAdd: this program is paid in addition to the named programs (stated explicitly).
	StackAdd StackMode = "add"
	// StackRemainder: this program is paid only on the area none of the named programs pays
	// for — as if each of them replaced it (a fallback such as a county 禁伐补贴).
	StackRemainder StackMode = "remainder"
)

// Stacking is an explicit, possibly unconfirmed, statement of how programs combine.
type Stacking struct {
	Mode      StackMode `json:"mode"`
	Programs  []string  `json:"programs"`
	Confirmed bool      `json:"confirmed"`
	Note      string    `json:"note,omitempty"`
}

// Condition selects parcels by their codes (2020 scheme), ownership class, zones and
// agreements. Every non-empty list must contain the parcel's value (an empty list does not
// constrain); a parcel whose code is missing fails a list that constrains it.
type Condition struct {
	// DiLei are land classes (地类), e.g. 030100 乔木林地.
	DiLei            []string `json:"di_lei,omitempty"`
	SenLinLB         []string `json:"sen_lin_lb,omitempty"`
	ShiQuanD         []string `json:"shi_quan_d,omitempty"`
	QiYuan           []string `json:"qi_yuan,omitempty"`
	LingZu           []string `json:"ling_zu,omitempty"`
	OwnershipClasses []string `json:"ownership_classes,omitempty"`
	// Within restricts to zones: for a program it is the parcel part inside any of the sets
	// (basis zone_overlap); for a mode rule, that the parcel touches one of them.
	Within []ZoneSet `json:"within,omitempty"`
	// RequiresAgreement names a mode (e.g. closure_agreement): only parcels under a signed
	// agreement of that mode match.
	RequiresAgreement Mode `json:"requires_agreement,omitempty"`
}

// Facts are what Matches needs to know of a parcel.
type Facts struct {
	LMQS, DiLei, SenLinLB, ShiQuanD, QiYuan, LingZu string
	// Agreements are the modes of the parcel's signed agreements.
	Agreements []Mode
	// Touches reports whether the parcel touches a zone of the set; nil means it touches none.
	Touches func(ZoneSet) bool
}

// Matches reports whether a parcel with facts f meets condition c.
func (p *Policy) Matches(c Condition, f Facts) bool {
	in := func(list []string, v string) bool { return len(list) == 0 || (v != "" && contains(list, v)) }
	if !in(c.DiLei, f.DiLei) || !in(c.SenLinLB, f.SenLinLB) || !in(c.ShiQuanD, f.ShiQuanD) || !in(c.QiYuan, f.QiYuan) ||
		!in(c.LingZu, f.LingZu) || !in(c.OwnershipClasses, p.OwnershipClass(f.LMQS)) {
		return false
	}
	if c.RequiresAgreement != "" && !contains(f.Agreements, c.RequiresAgreement) {
		return false
	}
	if len(c.Within) > 0 {
		if f.Touches == nil {
			return false
		}
		for _, s := range c.Within {
			if f.Touches(s) {
				return true
			}
		}
		return false
	}
	return true
}

// Eligibility holds the buyout eligibility rules, thresholds and priority weights.
type Eligibility struct {
	// OwnershipClasses maps each eligible tree-ownership class to its rank (1 = first); a class
	// not listed is not eligible.
	OwnershipClasses map[string]int `json:"ownership_classes"`
	// ForestCategories are the eligible SEN_LIN_LB codes (commercial forest).
	ForestCategories []string `json:"forest_categories"`
	// PilotAreas are the zones a parcel must lie in to be a candidate (the pilot plan: the whole
	// nature reserve and the whole wetland park); the overlap counted is the parcel's area inside
	// any of them (their union). The zone kind sets the priority (Weights.Zone), not eligibility.
	// Files before 2026.2 call the key priority_zones; Parse reads either.
	PilotAreas []ZoneSet `json:"pilot_areas"`
	// MinOverlapShare is the share (0–1) of the parcel's area that must lie in priority zones.
	MinOverlapShare Decimal `json:"min_overlap_share"`
	// MinOverlapMu is the overlap in 亩 that qualifies on its own (see OverlapTest).
	MinOverlapMu Decimal `json:"min_overlap_mu"`
	// OverlapTest combines the two thresholds: "either" (share or 亩 suffices) or "both".
	OverlapTest string `json:"overlap_test"`
	// ExcludedStatuses are parcel statuses that rule a parcel out (active_case, disputed).
	ExcludedStatuses []string `json:"excluded_statuses"`
	// WarningStatuses are parcel statuses that leave a parcel eligible but need attention before
	// a contract: a mortgage (抵押) needs the lender's consent, mortgaged forest rights can be
	// transferred. Optional; a status is in one list at most.
	WarningStatuses []string `json:"warning_statuses,omitempty"`
	// Modes are the mode rules, tried in order: the first whose condition matches gives the
	// parcel's candidate modes.
	Modes []ModeRule `json:"modes"`
	// OtherModes are mode rules for parcels that pass every rule but ownership: forest outside
	// the buyout scope by who holds it (the collective's own forest) that the policy still lets
	// the state lease, hold in custody or pool as equity. Never buyout or swap (both transfer
	// title). Optional, tried in order like Modes.
	OtherModes []ModeRule `json:"other_modes,omitempty"`
	Weights    Weights    `json:"weights"`
	Confirmed  bool       `json:"confirmed"`
	Note       string     `json:"note,omitempty"`
}

// Overlap tests.
const (
	OverlapEither = "either"
	OverlapBoth   = "both"
)

// ModeRule maps a parcel situation to candidate modes, best first.
type ModeRule struct {
	ID    string    `json:"id"`
	When  Condition `json:"when"`
	Modes []Mode    `json:"modes"`
	Note  string    `json:"note,omitempty"`
}

// ModesFor returns the first mode rule whose condition matches, false when none does.
func (p *Policy) ModesFor(f Facts) (ModeRule, bool) {
	for _, r := range p.Eligibility.Modes {
		if p.Matches(r.When, f) {
			return r, true
		}
	}
	return ModeRule{}, false
}

// OtherModesFor returns the first of the other-mode rules whose condition matches, false when
// none does.
func (p *Policy) OtherModesFor(f Facts) (ModeRule, bool) {
	for _, r := range p.Eligibility.OtherModes {
		if p.Matches(r.When, f) {
			return r, true
		}
	}
	return ModeRule{}, false
}

// Weights make the priority score (0–100): the sum of the points of each component. The
// maxima of the components add up to exactly 100 (Parse checks).
type Weights struct {
	// Origin: points by origin class (planted over natural).
	Origin map[string]int `json:"origin"`
	// AgeGroup: points by LING_ZU code (mature 4 and over-mature 5 first); a code not listed scores 0.
	AgeGroup map[string]int `json:"age_group"`
	// Zone: points by the best pilot-area zone kind the parcel touches (core over buffer over
	// experimental).
	Zone map[string]int `json:"zone"`
	// Overlap: points × the share (0–1) of the parcel inside pilot areas (larger first).
	Overlap int `json:"overlap"`
	// OwnershipRank: points by the eligibility rank of the ownership class (individual first).
	OwnershipRank map[int]int `json:"ownership_rank"`
	Confirmed     bool        `json:"confirmed"`
	Note          string      `json:"note,omitempty"`
}

// Max is the highest score the weights can give.
func (w Weights) Max() int {
	return maxOf(w.Origin) + maxOf(w.AgeGroup) + maxOf(w.Zone) + w.Overlap + maxOf(w.OwnershipRank)
}

func maxOf[K comparable](m map[K]int) int {
	best := 0
	for _, v := range m {
		if v > best {
			best = v
		}
	}
	return best
}

// Valuation holds the tables of the indicative price: E = W − C − F plus land rent × years.
type Valuation struct {
	// SpeciesGroups maps YOU_SHI_SZ codes to a group ID in Groups.
	SpeciesGroups map[string]string `json:"species_groups"`
	// DefaultGroup values species not in SpeciesGroups.
	DefaultGroup string                  `json:"default_group"`
	Groups       map[string]SpeciesGroup `json:"groups"`
	// LandRentYuanPerMuYear × RemainingYears × area is added to the stand value.
	LandRentYuanPerMuYear Fen `json:"land_rent_yuan_per_mu_year"`
	// RemainingYears is used when the parcel's remaining contract term is unknown.
	RemainingYears int `json:"remaining_years"`
	// AgeGroupApproach chooses the LY/T 2407 approach by LING_ZU code for stumpage groups:
	// young stands by replacement cost, middle-aged and near-mature by the present value of the
	// expected harvest, mature and over-mature by market-price-back. A code not listed (or a
	// parcel without LING_ZU) is valued by market-price-back. Optional (older files: all
	// market-price-back).
	AgeGroupApproach map[string]string `json:"age_group_approach,omitempty"`
	// InterestRate is the investment return rate P (投资收益率) that compounds costs and
	// discounts the harvest; required when an approach other than market-price-back is used.
	InterestRate Decimal `json:"interest_rate"`
	Confirmed    bool    `json:"confirmed"`
	Note         string  `json:"note,omitempty"`
}

// Valuation approaches by age group (LY/T 2407 森林资源资产评估技术规范).
const (
	// ApproachReplacementCost 重置成本法 (young stands): E = Σ_{i=1..n} C_i (1+P)^(n−i+1) × area,
	// C_i the cost per 亩 of year i of a stand now n years old.
	ApproachReplacementCost = "replacement_cost"
	// ApproachHarvestPresentValue 收获现值法 (middle-aged, near-mature):
	// E = (A_u − Σ_{i=n+1..u} M (1+P)^(u−i) × area) / (1+P)^(u−n), A_u = W − C − F of the expected
	// harvest at rotation age u, M the yearly management cost per 亩.
	ApproachHarvestPresentValue = "harvest_present_value"
	// ApproachMarketPriceBack 市场价倒算法 (mature, over-mature): E = W − C − F of the standing stock.
	ApproachMarketPriceBack = "market_price_back"
	// ApproachPerMu: a per_mu group's flat value, whatever the age.
	ApproachPerMu = "per_mu"
)

// Approaches lists the age-group approaches a policy may name.
func Approaches() []string {
	return []string{ApproachReplacementCost, ApproachHarvestPresentValue, ApproachMarketPriceBack}
}

// Valuation methods of a species group.
const (
	// MethodStumpage: market-price back-calculation from the stand's stock volume.
	MethodStumpage = "stumpage"
	// MethodPerMu: a flat value per 亩 (bamboo, economic forest), where stock volume says little.
	MethodPerMu = "per_mu"
)

// SpeciesGroup is the valuation table of one species group.
type SpeciesGroup struct {
	Name   string `json:"name"`
	Method string `json:"method"`
	// For MethodStumpage: W = stock × OutturnRate × StumpagePrice; C = stock × OutturnRate ×
	// HarvestCost; F = ProfitRate × W.
	StumpagePriceYuanPerM3 Fen     `json:"stumpage_price_yuan_per_m3"`
	OutturnRate            Decimal `json:"outturn_rate"`
	HarvestCostYuanPerM3   Fen     `json:"harvest_cost_yuan_per_m3"`
	ProfitRate             Decimal `json:"profit_rate"`
	// For MethodPerMu: the stand value per 亩.
	YuanPerMu Fen `json:"yuan_per_mu"`
	// StandAgeYears is the representative stand age (years) of a LING_ZU code, for the
	// replacement-cost and harvest-present-value approaches (the inventory records the age
	// group, not always the age).
	StandAgeYears map[string]int `json:"stand_age_years,omitempty"`
	// For replacement cost: the establishment cost of year 1 (site preparation, seedlings,
	// planting), the tending cost of each of the TendingYears years after it.
	EstablishmentYuanPerMu Fen `json:"establishment_yuan_per_mu"`
	TendingYuanPerMuYear   Fen `json:"tending_yuan_per_mu_year"`
	TendingYears           int `json:"tending_years"`
	// ManagementYuanPerMuYear is the yearly management (管护) cost, every year of the stand.
	ManagementYuanPerMuYear Fen `json:"management_yuan_per_mu_year"`
	// For harvest present value: the rotation (main-harvest) age and the standing stock
	// expected then, per 亩.
	RotationAge         int     `json:"rotation_age"`
	HarvestStockM3PerMu Decimal `json:"harvest_stock_m3_per_mu"`
	Confirmed           bool    `json:"confirmed"`
	Note                string  `json:"note,omitempty"`
}

// Group returns the species group of a YOU_SHI_SZ code (the default group for others).
func (v *Valuation) Group(youShiSZ string) (string, SpeciesGroup) {
	id, ok := v.SpeciesGroups[youShiSZ]
	if !ok {
		id = v.DefaultGroup
	}
	return id, v.Groups[id]
}

// Estimate is an indicative price, every part rounded to the 分. Total = max(E, 0) + LandRent
// holds exactly. By approach: market_price_back and per_mu: E = W − C − F exactly (per_mu: C
// = F = 0); harvest_present_value: W, C, F are of the expected harvest at rotation age, Costs
// the management costs until then compounded to it, E = (W − C − F − Costs) / (1+P)^(u−n);
// replacement_cost: W = C = F = 0 and E = Costs, the compounded costs of the stand so far.
type Estimate struct {
	Group     string `json:"group"`
	Method    string `json:"method"`
	Approach  string `json:"approach"`
	AgeYears  int    `json:"age_years,omitempty"`
	Confirmed bool   `json:"confirmed"`
	W         Fen    `json:"w_yuan"`
	C         Fen    `json:"c_yuan"`
	F         Fen    `json:"f_yuan"`
	Costs     Fen    `json:"costs_yuan"`
	E         Fen    `json:"e_yuan"`
	LandRent  Fen    `json:"land_rent_yuan"`
	Total     Fen    `json:"total_yuan"`
}

// ApproachFor returns the approach of a LING_ZU code under this valuation.
func (v *Valuation) ApproachFor(lingZu string) string {
	if a, ok := v.AgeGroupApproach[lingZu]; ok {
		return a
	}
	return ApproachMarketPriceBack
}

// Estimate prices a stand of species youShiSZ and age group lingZu with stockM3 cubic metres
// of standing volume on areaMu 亩 (the legal area); years ≤ 0 uses RemainingYears.
func (v *Valuation) Estimate(youShiSZ, lingZu string, stockM3, areaMu *big.Rat, years int) Estimate {
	id, g := v.Group(youShiSZ)
	if years <= 0 {
		years = v.RemainingYears
	}
	e := Estimate{Group: id, Method: g.Method, Confirmed: g.Confirmed && v.Confirmed}
	switch g.Method {
	case MethodStumpage:
		e.Approach = v.ApproachFor(lingZu)
		age, ok := g.StandAgeYears[lingZu]
		if !ok && e.Approach != ApproachMarketPriceBack {
			e.Approach = ApproachMarketPriceBack // Parse makes sure this cannot happen for a listed code
		}
		p1 := new(big.Rat).Add(big.NewRat(1, 1), v.InterestRate.Rat()) // 1 + P
		switch e.Approach {
		case ApproachReplacementCost:
			e.AgeYears = age
			perMu := new(big.Rat)
			for i := 1; i <= age; i++ {
				c := g.ManagementYuanPerMuYear.Rat()
				if i == 1 {
					c.Add(c, g.EstablishmentYuanPerMu.Rat())
				} else if i <= 1+g.TendingYears {
					c.Add(c, g.TendingYuanPerMuYear.Rat())
				}
				perMu.Add(perMu, c.Mul(c, ratPow(p1, age-i+1)))
			}
			e.Costs = fenOf(new(big.Rat).Mul(perMu, areaMu))
			e.E = e.Costs
		case ApproachHarvestPresentValue:
			e.AgeYears = age
			harvest := new(big.Rat).Mul(g.HarvestStockM3PerMu.Rat(), areaMu)
			e.W, e.C, e.F = g.stumpage(harvest)
			costs := new(big.Rat)
			for i := age + 1; i <= g.RotationAge; i++ {
				costs.Add(costs, ratPow(p1, g.RotationAge-i))
			}
			costs.Mul(costs, g.ManagementYuanPerMuYear.Rat())
			costs.Mul(costs, areaMu)
			e.Costs = fenOf(costs)
			net := new(big.Rat).Sub((e.W - e.C - e.F).Rat(), costs)
			e.E = fenOf(net.Quo(net, ratPow(p1, g.RotationAge-age)))
		default:
			e.W, e.C, e.F = g.stumpage(stockM3)
			e.E = e.W - e.C - e.F
		}
	case MethodPerMu:
		e.Approach = ApproachPerMu
		e.W = g.YuanPerMu.MulRat(areaMu)
		e.E = e.W
	}
	e.LandRent = v.LandRentYuanPerMuYear.MulRat(new(big.Rat).Mul(areaMu, big.NewRat(int64(years), 1)))
	e.Total = max(e.E, 0) + e.LandRent
	return e
}

// stumpage is the market-price-back of a standing volume: W = V × outturn × price,
// C = V × outturn × harvest cost, F = profit rate × W, each to the 分.
func (g SpeciesGroup) stumpage(stockM3 *big.Rat) (w, c, f Fen) {
	out := new(big.Rat).Mul(stockM3, g.OutturnRate.Rat())
	w = g.StumpagePriceYuanPerM3.MulRat(out)
	c = g.HarvestCostYuanPerM3.MulRat(out)
	return w, c, w.MulDecimal(g.ProfitRate)
}

func ratPow(x *big.Rat, n int) *big.Rat {
	r := big.NewRat(1, 1)
	for range n {
		r.Mul(r, x)
	}
	return r
}

// fenOf rounds an amount in 元 to the 分, halves away from zero.
func fenOf(yuan *big.Rat) Fen { return Fen(roundRat(new(big.Rat).Mul(yuan, big.NewRat(100, 1)))) }

// ZoneRegimes maps zone kind → activity → rule, for every zone kind and every declared activity.
type ZoneRegimes map[string]map[string]Rule

// Rule is what a zone regime says of one activity, and why.
type Rule struct {
	Verdict Verdict `json:"verdict"`
	// Text is the rule in one sentence (file key "rule").
	Text string `json:"rule"`
	// LegalBasis names the article(s) of the legal text the rule rests on.
	LegalBasis string `json:"legal_basis"`
	// Confirmed: false when the article numbers or the reading are recalled, not checked.
	Confirmed bool   `json:"confirmed"`
	Note      string `json:"note,omitempty"`
}

// WetlandBank holds the wetland-bank debit ratio, credit price, credit types and release schedule.
type WetlandBank struct {
	// DebitRatio: credits (亩-equivalents) required per 亩 of wetland occupied.
	DebitRatio Decimal `json:"debit_ratio"`
	// DebitZoneKinds and DebitActivities say where a debit arises (occupation of wetland in a
	// reasonable-use zone).
	DebitZoneKinds  []string `json:"debit_zone_kinds"`
	DebitActivities []string `json:"debit_activities"`
	// CreditPriceYuanPerMu is the price of one credit (one 亩-equivalent).
	CreditPriceYuanPerMu Fen                   `json:"credit_price_yuan_per_mu"`
	CreditTypes          map[string]CreditType `json:"credit_types"`
	Release              Release               `json:"release"`
	Confirmed            bool                  `json:"confirmed"`
	Note                 string                `json:"note,omitempty"`
	// Rules are the bank ledger's optional keys (wetland.go), defaulted when absent.
	Rules BankRules `json:"rules"`
}

// CreditType says how many 亩 of a kind of restoration earn one credit.
type CreditType struct {
	Name string `json:"name"`
	// MuPerCredit is the default ratio (亩 of project per credit), within [Min, Max].
	MuPerCredit    Decimal `json:"mu_per_credit"`
	MinMuPerCredit Decimal `json:"min_mu_per_credit"`
	MaxMuPerCredit Decimal `json:"max_mu_per_credit"`
	Confirmed      bool    `json:"confirmed"`
	Note           string  `json:"note,omitempty"`
}

// Release is the tranche schedule of a bank's credits.
type Release struct {
	AsBuiltShare Decimal `json:"as_built_share"`
	YearlyShare  Decimal `json:"yearly_share"`
	ReserveShare Decimal `json:"reserve_share"`
	Confirmed    bool    `json:"confirmed"`
	Note         string  `json:"note,omitempty"`
}

// Debit returns the credits a footprint must buy for overlapMu 亩 of activity in a zone of
// zoneKind, and their price; ok is false when no debit arises there.
func (w *WetlandBank) Debit(zoneKind, activity string, overlapMu *big.Rat) (credits *big.Rat, fee Fen, ok bool) {
	if !contains(w.DebitZoneKinds, zoneKind) || !contains(w.DebitActivities, activity) {
		return nil, 0, false
	}
	credits = new(big.Rat).Mul(overlapMu, w.DebitRatio.Rat())
	return credits, w.CreditPriceYuanPerMu.MulRat(credits), true
}

// OwnershipClass returns the ownership class of an LM_QS code of the 2020 scheme, "" when the
// policy does not know the code (translate legacy codes through code_dictionary.maps_to first).
func (p *Policy) OwnershipClass(lmQS string) string { return p.ownership[lmQS] }

// OriginClass returns natural or planted for a QI_YUAN code, "" when unknown.
func (p *Policy) OriginClass(qiYuan string) string { return p.origin[qiYuan] }

// Regime returns the rule for an activity in a zone kind.
func (p *Policy) Regime(zoneKind, activity string) (Rule, bool) {
	r, ok := p.ZoneRegimes[zoneKind][activity]
	return r, ok
}

// Activities returns the IDs of the declared activities, sorted.
func (p *Policy) Activities() []string {
	ids := make([]string, len(p.ActivityList))
	for i, a := range p.ActivityList {
		ids[i] = a.ID
	}
	return ids
}

// Activity returns a declared activity by ID.
func (p *Policy) Activity(id string) (Activity, bool) {
	i := sort.Search(len(p.ActivityList), func(i int) bool { return p.ActivityList[i].ID >= id })
	if i < len(p.ActivityList) && p.ActivityList[i].ID == id {
		return p.ActivityList[i], true
	}
	return Activity{}, false
}

// Program returns a subsidy program by ID.
func (p *Policy) Program(id string) (*Program, bool) {
	for i := range p.Subsidies.Programs {
		if p.Subsidies.Programs[i].ID == id {
			return &p.Subsidies.Programs[i], true
		}
	}
	return nil, false
}

// RateFor returns the program's rate for an ownership class (RateBy ownership).
func (pr *Program) RateFor(ownershipClass string) (OwnershipRate, bool) {
	for _, r := range pr.Rates {
		if contains(r.OwnershipClasses, ownershipClass) {
			return r, true
		}
	}
	return OwnershipRate{}, false
}

// TierFor returns the program's tier for a zone (RateBy zone_tier), among the tiers without
// origin classes.
func (pr *Program) TierFor(areaKind, areaLevel, zoneKind string) (ZoneTier, bool) {
	return pr.TierForOrigin(areaKind, areaLevel, zoneKind, "")
}

// TierForOrigin returns the program's tier for a zone and a stand of an origin class ("" when
// unknown: only tiers without origin classes match).
func (pr *Program) TierForOrigin(areaKind, areaLevel, zoneKind, originClass string) (ZoneTier, bool) {
	for _, t := range pr.Tiers {
		if t.Contains(areaKind, areaLevel, zoneKind) && (len(t.OriginClasses) == 0 || contains(t.OriginClasses, originClass)) {
			return t, true
		}
	}
	return ZoneTier{}, false
}

// ReplacedBy returns, for each program ID, the programs that take its place on the area they
// pay for: those that replace it (StackReplace) and, for a program paid on the remainder
// (StackRemainder), the programs it defers to.
func (p *Policy) ReplacedBy() map[string][]string {
	out := map[string][]string{}
	for _, pr := range p.Subsidies.Programs {
		if pr.Stacking == nil {
			continue
		}
		switch pr.Stacking.Mode {
		case StackReplace:
			for _, id := range pr.Stacking.Programs {
				out[id] = append(out[id], pr.ID)
			}
		case StackRemainder:
			out[pr.ID] = append(out[pr.ID], pr.Stacking.Programs...)
		}
	}
	return out
}

// ReplacedOn returns the IDs of the programs that another program replaces (StackReplace) on
// the area that program pays for, with the replacing program: what the evaluation must not pay
// twice. Keys are replaced program IDs; values the programs that replace them.
func (p *Policy) ReplacedOn() map[string][]string {
	out := map[string][]string{}
	for _, pr := range p.Subsidies.Programs {
		if pr.Stacking != nil && pr.Stacking.Mode == StackReplace {
			for _, id := range pr.Stacking.Programs {
				out[id] = append(out[id], pr.ID)
			}
		}
	}
	return out
}

// Caveat is an unconfirmed figure or rule: where it is in the file, and what is doubtful.
type Caveat struct {
	Path string `json:"path"`
	Note string `json:"note"`
}

// Unconfirmed lists every unconfirmed item of the policy, in file order, so that a load can
// tell a person what still needs checking.
func (p *Policy) Unconfirmed() []Caveat {
	var out []Caveat
	add := func(confirmed bool, path, note string) {
		if !confirmed {
			out = append(out, Caveat{path, note})
		}
	}
	for i, pr := range p.Subsidies.Programs {
		base := joinIndex("subsidies.programs", i)
		add(pr.Confirmed, base, pr.Note)
		for j, r := range pr.Rates {
			if pr.Confirmed {
				add(r.Confirmed, joinIndex(base+".rates", j), r.Note)
			}
		}
		for j, t := range pr.Tiers {
			if pr.Confirmed {
				add(t.Confirmed, joinIndex(base+".tiers", j), t.Note)
			}
		}
		if pr.Stacking != nil {
			add(pr.Stacking.Confirmed, base+".stacking", pr.Stacking.Note)
		}
	}
	add(p.Eligibility.Confirmed, "eligibility", p.Eligibility.Note)
	add(p.Eligibility.Weights.Confirmed, "eligibility.weights", p.Eligibility.Weights.Note)
	add(p.Valuation.Confirmed, "valuation", p.Valuation.Note)
	for _, id := range sortedKeys(p.Valuation.Groups) {
		g := p.Valuation.Groups[id]
		add(g.Confirmed, "valuation.groups."+id, g.Note)
	}
	for _, zk := range zoneKinds {
		for _, a := range p.Activities() {
			if r, ok := p.ZoneRegimes[zk.Kind][a]; ok {
				add(r.Confirmed, "zone_regimes."+zk.Kind+"."+a, r.Note)
			}
		}
	}
	w := p.WetlandBank
	add(w.Confirmed, "wetland_bank", w.Note)
	for _, id := range sortedKeys(w.CreditTypes) {
		add(w.CreditTypes[id].Confirmed, "wetland_bank.credit_types."+id, w.CreditTypes[id].Note)
	}
	add(w.Release.Confirmed, "wetland_bank.release", w.Release.Note)
	w.bankCaveats(add)
	if p.Cases != nil {
		add(p.Cases.Confirmed, "cases", p.Cases.Note)
	}
	if c := p.Care; c != nil {
		add(c.Confirmed, "care", c.Note)
		for i, s := range c.PaySources {
			add(s.Confirmed, joinIndex("care.pay_sources", i), s.Note)
		}
		add(c.Assessment.Confirmed, "care.assessment", c.Assessment.Note)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
