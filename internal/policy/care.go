package policy

import "slices"

// Care holds the forest-care parameters (issue 16, 林长制): how far from a patrol track the
// ranger's area counts as patrolled, the kinds of incident a ranger reports, where the rangers'
// pay comes from, and the monthly assessment that ties a month's patrols to its pay. The section
// is optional: a file without it means DefaultCare.
type Care struct {
	// CoverageMetres is the distance from a track within which the area counts as patrolled.
	CoverageMetres int `json:"coverage_metres"`
	// IncidentKinds are the kinds of incident a ranger may report, id → Chinese name.
	IncidentKinds map[string]string `json:"incident_kinds"`
	// PaySources pay the rangers, spent in this order; the retained public-management part of the
	// public-welfare compensation comes first whatever its place in the file.
	PaySources []PaySource `json:"pay_sources"`
	Assessment Assessment  `json:"assessment"`
	Confirmed  bool        `json:"confirmed"`
	Note       string      `json:"note,omitempty"`
}

// The kinds of pay source.
const (
	// SourceRetained is the year's sum of subsidy_line.retained_fen of the current full run.
	SourceRetained = "retained_public_management"
	// SourceFixed is a fixed amount per year (e.g. the central 生态护林员 fund).
	SourceFixed = "fixed"
)

// PaySource is one source of the rangers' pay.
type PaySource struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Kind      string `json:"kind"`
	Yuan      Fen    `json:"yuan,omitempty"` // a fixed source's amount per year
	Confirmed bool   `json:"confirmed"`
	Note      string `json:"note,omitempty"`
}

// Assessment ties a month's patrols to its pay: a month with at least MinDays patrol days and
// at least MinCoverageShare of the area within CoverageMetres of a track is paid in full; any
// other month is paid ReducedFactor of its full pay. A month in which the ranger had no area is
// assessed on the days alone.
type Assessment struct {
	MinDays          int     `json:"min_days"`
	MinCoverageShare Decimal `json:"min_coverage_share"`
	ReducedFactor    Decimal `json:"reduced_factor"`
	Confirmed        bool    `json:"confirmed"`
	Note             string  `json:"note,omitempty"`
}

// DefaultIncidentKinds are the kinds of incident when the policy names none.
func DefaultIncidentKinds() map[string]string {
	return map[string]string{"fire": "火情", "illegal_logging": "盗伐", "pest": "病虫害", "illegal_occupation": "非法占地", "other": "其他"}
}

// DefaultCare is what a policy without a care section means: 100 m coverage, the default
// incident kinds, the retained public-management money as the only pay source, and no
// assessment rule (every month paid in full).
func DefaultCare() Care {
	return Care{CoverageMetres: 100, IncidentKinds: DefaultIncidentKinds(),
		PaySources: []PaySource{{ID: "public_management", Name: "公益林补偿公共管护支出", Kind: SourceRetained,
			Note: "default: the policy file has no care section"}},
		Assessment: Assessment{ReducedFactor: DecimalScale, Note: "default: the policy file has no care section; every month is paid in full"},
		Note:       "default: the policy file has no care section"}
}

// CareRules is the policy's care section, or DefaultCare when it has none (p may be nil).
func (p *Policy) CareRules() Care {
	if p == nil || p.Care == nil {
		return DefaultCare()
	}
	return *p.Care
}

// IncidentKindIDs are the incident kinds' ids, sorted.
func (c Care) IncidentKindIDs() []string { return sortedKeys(c.IncidentKinds) }

// Passed reports whether a month with days patrol days and coverage share (nil: no area) meets
// the assessment, and the factor its full pay is multiplied by.
func (a Assessment) Passed(days int, share *float64) (bool, Decimal) {
	ok := days >= a.MinDays && (share == nil || *share >= a.MinCoverageShare.Float64())
	if ok {
		return true, DecimalScale
	}
	return false, a.ReducedFactor
}

func (r *sectionReader) care(n *jnode, path string) {
	c := r.p.Care
	o := r.object(n, path)
	v, p := o.req("coverage_metres")
	c.CoverageMetres = r.integer(v, p, 1, 1000)
	c.IncidentKinds = DefaultIncidentKinds()
	if v, p = o.opt("incident_kinds"); v != nil {
		c.IncidentKinds = map[string]string{}
		r.mapOf(v, p, func(id string, x *jnode, xp string) {
			if r.ident("incident kind")(id, x, xp) {
				c.IncidentKinds[id] = r.text(x, xp, true)
			}
		})
		if len(c.IncidentKinds) == 0 {
			r.addf(v, p, "name at least one kind of incident")
		}
	}
	v, p = o.req("pay_sources")
	retained := 0
	for i, it := range r.list(v, p, true) {
		ip := joinIndex(p, i)
		so := r.object(it, ip)
		var s PaySource
		x, xp := so.req("id")
		if s.ID = r.text(x, xp, true); s.ID != "" && r.ident("pay source id")(s.ID, x, xp) {
			if slices.ContainsFunc(c.PaySources, func(q PaySource) bool { return q.ID == s.ID }) {
				r.addf(x, xp, "pay source id %q is used twice", s.ID)
			}
		}
		x, xp = so.req("name")
		s.Name = r.text(x, xp, true)
		x, xp = so.req("kind")
		s.Kind = r.enum(x, xp, "pay source kind", SourceRetained, SourceFixed)
		x, xp = so.opt("yuan")
		switch {
		case s.Kind == SourceFixed && x == nil:
			r.addf(it, ip, "a fixed pay source needs \"yuan\", its amount per year")
		case s.Kind == SourceRetained && x != nil:
			r.addf(x, xp, "the retained public-management amount is the subsidy roll's; it takes no \"yuan\"")
		default:
			s.Yuan = r.yuan(x, xp)
		}
		if s.Kind == SourceRetained {
			if retained++; retained == 2 {
				r.addf(it, ip, "only one pay source may be %s", SourceRetained)
			}
		}
		x, xp = so.req("confirmed")
		s.Confirmed = r.boolean(x, xp)
		x, xp = so.opt("note")
		s.Note = r.text(x, xp, false)
		so.end()
		c.PaySources = append(c.PaySources, s)
	}
	v, p = o.req("assessment")
	ao := r.object(v, p)
	x, xp := ao.req("min_days")
	c.Assessment.MinDays = r.integer(x, xp, 0, 31)
	x, xp = ao.req("min_coverage_share")
	c.Assessment.MinCoverageShare = r.decimal(x, xp, 0, DecimalScale, "a share")
	x, xp = ao.req("reduced_factor")
	c.Assessment.ReducedFactor = r.decimal(x, xp, 0, DecimalScale, "a share")
	x, xp = ao.req("confirmed")
	c.Assessment.Confirmed = r.boolean(x, xp)
	x, xp = ao.opt("note")
	c.Assessment.Note = r.text(x, xp, false)
	ao.end()
	v, p = o.req("confirmed")
	c.Confirmed = r.boolean(v, p)
	v, p = o.opt("note")
	c.Note = r.text(v, p, false)
	o.end()
}
