package policy

import (
	"fmt"
	"math/big"
	"slices"
	"strings"
)

// The optional keys of the wetland_bank section that the bank's ledger reads (issue 15). A file
// without them still parses; the defaults below say what such a file means.

// Importances are the wetland importance levels of the inventory: national important wetland
// (国家重要湿地), provincial important wetland (省级重要湿地), general wetland (一般湿地).
func Importances() []string { return []string{"national", "provincial", "general"} }

// ImportanceLabel is the Chinese name of an importance level.
func ImportanceLabel(imp string) string {
	switch imp {
	case "national":
		return "国家重要湿地"
	case "provincial":
		return "省级重要湿地"
	case "general":
		return "一般湿地"
	}
	return imp
}

// BankRules are the wetland bank's optional keys, each defaulted when the file leaves it out.
type BankRules struct {
	// ProjectKinds are the kinds of credit project (恢复, 新建, 提升, 保存) and the credit type
	// whose 亩 per credit each earns by. Default: one kind per credit type, of the same name.
	ProjectKinds map[string]ProjectKind `json:"project_kinds"`
	// Milestones are the steps against which a project's issued credits are released.
	// Default: derived from release (as built, one monitoring year per yearly share, reserve).
	Milestones Milestones `json:"milestones"`
	// DebitRatios are the credits required per 亩 occupied, by importance. Default: debit_ratio
	// for every importance.
	DebitRatios *DebitRatios `json:"debit_ratios,omitempty"`
	// ServiceAreas group protected areas (and counties, for wetland outside them) whose credits
	// may settle one another's debits. Default: each protected area serves only itself.
	ServiceAreas *ServiceAreas `json:"service_areas,omitempty"`
	// Art21 is the law's rule for occupying important wetland outside the bank's debit zones
	// (湿地保护法 art. 21). Default: none (such wetland owes nothing here).
	Art21 *Art21 `json:"art21,omitempty"`
	// Fund names the wetland protection fund sales are paid into.
	Fund string `json:"fund"`
}

// ProjectKind is one kind of credit project.
type ProjectKind struct {
	Name       string `json:"name"`
	CreditType string `json:"credit_type"`
	Confirmed  bool   `json:"confirmed"`
	Note       string `json:"note,omitempty"`
}

// Milestones is the release schedule by milestone.
type Milestones struct {
	Steps     []Milestone `json:"steps"`
	Confirmed bool        `json:"confirmed"`
	Note      string      `json:"note,omitempty"`
}

// Milestone is one release step: its share of the issued credits, and how many years after the
// as-built verification it may be verified at the earliest.
type Milestone struct {
	ID    string  `json:"id"`
	Name  string  `json:"name"`
	Share Decimal `json:"share"`
	Years int     `json:"years_after_as_built"`
	// Reserve marks the step that lets go of the reserve held back at approval.
	Reserve bool `json:"reserve,omitempty"`
}

// DebitRatios are the debit ratios by importance.
type DebitRatios struct {
	ByImportance map[string]Decimal `json:"by_importance"`
	Confirmed    bool               `json:"confirmed"`
	Note         string             `json:"note,omitempty"`
}

// ServiceAreas are the policy's service areas.
type ServiceAreas struct {
	Groups    []ServiceArea `json:"groups"`
	Confirmed bool          `json:"confirmed"`
	Note      string        `json:"note,omitempty"`
}

// ServiceArea is a group of protected areas (by name) and counties (by code, for wetland outside
// any protected area) that share one market for credits, e.g. a river basin.
type ServiceArea struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Areas    []string `json:"areas"`
	Counties []string `json:"counties,omitempty"`
}

// Art21 is the rule of 湿地保护法 art. 21: who is approved to occupy important wetland restores
// wetland of equal area and quality, or pays a wetland restoration fee.
type Art21 struct {
	Importances []string `json:"importances"`
	// Ratio is the credits per 亩 that "equal area and quality" asks for.
	Ratio      Decimal `json:"ratio"`
	Rule       string  `json:"rule"`
	LegalBasis string  `json:"legal_basis"`
	Confirmed  bool    `json:"confirmed"`
	Note       string  `json:"note,omitempty"`
}

// DefaultFund is the fund's name when the policy names none.
const DefaultFund = "湿地保护基金"

// DebitRatioFor is the credits required per 亩 of wetland of importance imp occupied in a debit zone.
func (w *WetlandBank) DebitRatioFor(imp string) Decimal {
	if w.Rules.DebitRatios != nil {
		if d, ok := w.Rules.DebitRatios.ByImportance[imp]; ok {
			return d
		}
	}
	return w.DebitRatio
}

// Kinds lists the project kinds, sorted.
func (w *WetlandBank) Kinds() []string { return sortedKeys(w.Rules.ProjectKinds) }

// CreditsFor returns a project kind's credit type and the credits (exact) that areaMu 亩 earn.
func (w *WetlandBank) CreditsFor(kind string, areaMu *big.Rat) (CreditType, *big.Rat, error) {
	k, ok := w.Rules.ProjectKinds[kind]
	if !ok {
		return CreditType{}, nil, fmt.Errorf("%q is not a project kind: use one of %s", kind, strings.Join(w.Kinds(), ", "))
	}
	ct := w.CreditTypes[k.CreditType]
	return ct, new(big.Rat).Quo(areaMu, ct.MuPerCredit.Rat()), nil
}

// ServiceAreaOf names the service area of a place: the group that lists its protected area, or,
// outside any protected area, its county; a protected area in no group is its own service area.
// "" means no service area (no credits may be bought for it).
func (w *WetlandBank) ServiceAreaOf(area, county string) string {
	if w.Rules.ServiceAreas != nil {
		for _, g := range w.Rules.ServiceAreas.Groups {
			if (area != "" && slices.Contains(g.Areas, area)) || (area == "" && county != "" && slices.Contains(g.Counties, county)) {
				return g.Name
			}
		}
	}
	return area
}

// defaultMilestones derives the steps from the release schedule: as built, one monitoring year
// per yearly share of what the as-built and reserve shares leave, the reserve last.
func defaultMilestones(r Release) []Milestone {
	steps := []Milestone{{ID: "as_built", Name: "竣工验收", Share: r.AsBuiltShare}}
	rest := DecimalScale - r.AsBuiltShare - r.ReserveShare
	for y := 1; rest > 0 && r.YearlyShare > 0; y++ {
		s := min(r.YearlyShare, rest)
		steps = append(steps, Milestone{ID: fmt.Sprintf("monitoring_%d", y), Name: fmt.Sprintf("第%d年监测达标", y), Share: s, Years: y})
		rest -= s
	}
	last := steps[len(steps)-1].Years
	if rest > 0 { // no yearly share: what remains is released as built
		steps[0].Share += rest
	}
	if r.ReserveShare > 0 {
		steps = append(steps, Milestone{ID: "reserve", Name: "预留部分（长期管护达标）", Share: r.ReserveShare, Years: last, Reserve: true})
	}
	return steps
}

var importanceSet = Importances()

// bankRules reads the optional keys of the wetland_bank section (o is that section, not yet
// ended) and fills the defaults.
func (r *sectionReader) bankRules(o *obj, w *WetlandBank) {
	br := &w.Rules
	br.ProjectKinds = map[string]ProjectKind{}
	if v, p := o.opt("project_kinds"); v != nil {
		r.mapOf(v, p, func(id string, x *jnode, xp string) {
			if !r.ident("project kind")(id, x, xp) {
				return
			}
			ko := r.object(x, xp)
			var k ProjectKind
			y, yp := ko.req("name")
			k.Name = r.text(y, yp, true)
			y, yp = ko.req("credit_type")
			if k.CreditType = r.text(y, yp, true); k.CreditType != "" {
				if _, ok := w.CreditTypes[k.CreditType]; !ok {
					r.addf(y, yp, "%q is not one of credit_types (%s)", k.CreditType, strings.Join(sortedKeys(w.CreditTypes), ", "))
				}
			}
			k.Confirmed, k.Note = r.caveat(ko)
			br.ProjectKinds[id] = k
		})
	} else {
		for id, ct := range w.CreditTypes {
			br.ProjectKinds[id] = ProjectKind{Name: ct.Name, CreditType: id, Confirmed: ct.Confirmed}
		}
	}

	if v, p := o.opt("milestones"); v != nil {
		mo := r.object(v, p)
		y, yp := mo.req("steps")
		var total Decimal
		for i, e := range r.list(y, yp, true) {
			ep := joinIndex(yp, i)
			eo := r.object(e, ep)
			var m Milestone
			z, zp := eo.req("id")
			if m.ID = r.text(z, zp, true); m.ID != "" && r.ident("milestone id")(m.ID, z, zp) {
				if slices.ContainsFunc(br.Milestones.Steps, func(s Milestone) bool { return s.ID == m.ID }) {
					r.addf(z, zp, "milestone %q is listed twice", m.ID)
				}
			}
			z, zp = eo.req("name")
			m.Name = r.text(z, zp, true)
			z, zp = eo.req("share")
			m.Share = r.decimal(z, zp, 0, DecimalScale, "a share")
			if z != nil && m.Share == 0 {
				r.addf(z, zp, "a milestone releasing nothing is no milestone")
			}
			z, zp = eo.req("years_after_as_built")
			m.Years = r.integer(z, zp, 0, 50)
			if i == 0 && m.Years != 0 {
				r.addf(z, zp, "the first milestone is the as-built one: 0 years after it")
			}
			if n := len(br.Milestones.Steps); n > 0 && m.Years < br.Milestones.Steps[n-1].Years {
				r.addf(z, zp, "%d is earlier than the milestone before it (%d): list the milestones in order", m.Years, br.Milestones.Steps[n-1].Years)
			}
			z, zp = eo.opt("reserve")
			m.Reserve = r.boolean(z, zp)
			eo.end()
			total += m.Share
			br.Milestones.Steps = append(br.Milestones.Steps, m)
		}
		if y != nil && len(br.Milestones.Steps) > 0 && total != DecimalScale {
			r.addf(y, yp, "the shares add up to %s; they must add up to 1", total)
		}
		br.Milestones.Confirmed, br.Milestones.Note = r.caveat(mo)
	} else {
		br.Milestones = Milestones{Steps: defaultMilestones(w.Release), Confirmed: w.Release.Confirmed, Note: "derived from release"}
	}

	if v, p := o.opt("debit_ratios"); v != nil {
		do := r.object(v, p)
		d := &DebitRatios{ByImportance: map[string]Decimal{}}
		y, yp := do.req("by_importance")
		r.mapOf(y, yp, func(imp string, x *jnode, xp string) {
			if !r.oneOf("importance", importanceSet)(imp, x, xp) {
				return
			}
			d.ByImportance[imp] = r.decimal(x, xp, 0, -1, "a ratio")
			if x != nil && d.ByImportance[imp] == 0 {
				r.addf(x, xp, "a debit ratio of 0 would let wetland be occupied for free; it must be more than 0")
			}
		})
		d.Confirmed, d.Note = r.caveat(do)
		br.DebitRatios = d
	}

	if v, p := o.opt("service_areas"); v != nil {
		so := r.object(v, p)
		s := &ServiceAreas{}
		y, yp := so.req("groups")
		for i, e := range r.list(y, yp, true) {
			ep := joinIndex(yp, i)
			eo := r.object(e, ep)
			var g ServiceArea
			z, zp := eo.req("id")
			if g.ID = r.text(z, zp, true); g.ID != "" {
				r.ident("service area id")(g.ID, z, zp)
			}
			z, zp = eo.req("name")
			g.Name = r.text(z, zp, true)
			z, zp = eo.req("areas")
			g.Areas = r.strs(z, zp, false, nil)
			z, zp = eo.opt("counties")
			g.Counties = r.strs(z, zp, false, func(c string, n *jnode, p string) bool {
				if len(c) != 6 || strings.Trim(c, "0123456789") != "" {
					r.addf(n, p, "%q is not a six-digit county code", c)
					return false
				}
				return true
			})
			eo.end()
			for _, prev := range s.Groups {
				for _, a := range g.Areas {
					if slices.Contains(prev.Areas, a) {
						r.addf(e, ep, "protected area %q is already in service area %q; an area serves one market", a, prev.ID)
					}
				}
			}
			s.Groups = append(s.Groups, g)
		}
		s.Confirmed, s.Note = r.caveat(so)
		br.ServiceAreas = s
	}

	if v, p := o.opt("art21"); v != nil {
		ao := r.object(v, p)
		a := &Art21{}
		y, yp := ao.req("importances")
		a.Importances = r.strs(y, yp, true, r.oneOf("importance", importanceSet))
		y, yp = ao.req("ratio")
		a.Ratio = r.decimal(y, yp, 0, -1, "a ratio")
		y, yp = ao.req("rule")
		a.Rule = r.text(y, yp, true)
		y, yp = ao.req("legal_basis")
		a.LegalBasis = r.text(y, yp, true)
		a.Confirmed, a.Note = r.caveat(ao)
		br.Art21 = a
	}

	br.Fund = DefaultFund
	if v, p := o.opt("fund"); v != nil {
		br.Fund = r.text(v, p, true)
	}
}

// caveat reads the "confirmed" and optional "note" keys that close an object of the file, and
// ends the object.
func (r *sectionReader) caveat(o *obj) (bool, string) {
	y, yp := o.req("confirmed")
	confirmed := r.boolean(y, yp)
	y, yp = o.opt("note")
	note := r.text(y, yp, false)
	o.end()
	return confirmed, note
}

// bankCaveats lists the unconfirmed optional keys (for Unconfirmed).
func (w *WetlandBank) bankCaveats(add func(bool, string, string)) {
	br := w.Rules
	for _, id := range sortedKeys(br.ProjectKinds) {
		add(br.ProjectKinds[id].Confirmed, "wetland_bank.project_kinds."+id, br.ProjectKinds[id].Note)
	}
	add(br.Milestones.Confirmed, "wetland_bank.milestones", br.Milestones.Note)
	if br.DebitRatios != nil {
		add(br.DebitRatios.Confirmed, "wetland_bank.debit_ratios", br.DebitRatios.Note)
	}
	if br.ServiceAreas != nil {
		add(br.ServiceAreas.Confirmed, "wetland_bank.service_areas", br.ServiceAreas.Note)
	}
	if br.Art21 != nil {
		add(br.Art21.Confirmed, "wetland_bank.art21", br.Art21.Note)
	}
}
