package policy

import (
	"sort"
	"strconv"
	"strings"
	"time"
)

// Parse reads and validates a policy file. It rejects unknown and duplicate keys, missing
// required keys, malformed money and decimals, unknown area kinds, zone kinds, ownership classes,
// activities and modes, a zone kind or activity missing from zone_regimes, shares outside 0–1,
// negative rates, duplicate IDs and dangling references. The error is a *ValidationError listing
// every problem with its key path and line. Codes are checked for shape only: Store (or
// CheckCodes) checks them against the database's code dictionary.
func Parse(data []byte) (*Policy, error) {
	data = withoutBOM(data) // line numbers count from the first character after it
	root, probs := readTree(data)
	if root == nil {
		return nil, &ValidationError{Problems: probs}
	}
	c := &checker{data: data, probs: probs}
	p := &Policy{}
	top := c.object(root, "")
	if top.n == nil {
		return nil, c.err()
	}

	n, path := top.req("version")
	if v := c.text(n, path, true); v != "" {
		if versionPattern.MatchString(v) {
			p.Version = v
		} else {
			c.addf(n, path, "%q is not a version label: use letters, digits, '.', '_' or '-', at most 40 (e.g. \"2026.1\")", v)
		}
	}
	n, path = top.req("year")
	p.Year = c.integer(n, path, 2000, 2100)
	n, path = top.req("effective_from")
	if s := c.text(n, path, true); s != "" {
		d, err := time.Parse(time.DateOnly, s)
		switch {
		case err != nil:
			c.addf(n, path, "%q is not a date (e.g. \"2026-01-01\")", s)
		case p.Year != 0 && (d.Year() < p.Year-1 || d.Year() > p.Year):
			c.addf(n, path, "%s is not within a year before or in the policy year %d", s, p.Year)
		default:
			p.EffectiveFrom = d
		}
	}
	n, path = top.req("title")
	p.Title = c.text(n, path, true)

	n, path = top.req("sources")
	p.Sources = c.sources(n, path)
	n, path = top.req("ownership_classes")
	p.OwnershipClasses, p.ownership = c.classes(n, path, OwnershipClassNames(), FieldLMQS, "ownership class")
	n, path = top.req("origin_classes")
	p.OriginClasses, p.origin = c.classes(n, path, OriginClassNames(), FieldQiYuan, "origin class")
	n, path = top.req("activities")
	p.ActivityList = c.activities(n, path)

	r := &sectionReader{checker: c, p: p}
	n, path = top.req("subsidies")
	r.subsidies(n, path)
	n, path = top.req("eligibility")
	r.eligibility(n, path)
	n, path = top.req("valuation")
	r.valuation(n, path)
	n, path = top.req("zone_regimes")
	r.zoneRegimes(n, path)
	n, path = top.req("wetland_bank")
	r.wetlandBank(n, path)
	if n, path = top.opt("cases"); n != nil {
		r.p.Cases = &Cases{}
		r.cases(n, path)
	}
	if n, path = top.opt("care"); n != nil {
		r.p.Care = &Care{}
		r.care(n, path)
	}
	top.end()

	if err := c.err(); err != nil {
		return nil, err
	}
	p.codeRefs = c.refs
	p.Checksum = checksum(root)
	return p, nil
}

type sectionReader struct {
	*checker
	p *Policy
}

func (c *checker) sources(n *jnode, path string) []Source {
	var out []Source
	for i, it := range c.list(n, path, true) {
		ip := joinIndex(path, i)
		o := c.object(it, ip)
		var s Source
		v, p := o.req("id")
		if s.ID = c.text(v, p, true); s.ID != "" && c.ident("source id")(s.ID, v, p) {
			for _, prev := range out {
				if prev.ID == s.ID {
					c.addf(v, p, "source id %q is used twice", s.ID)
				}
			}
		}
		v, p = o.req("title")
		s.Title = c.text(v, p, true)
		v, p = o.opt("issuer")
		s.Issuer = c.text(v, p, false)
		v, p = o.opt("year")
		s.Year = c.integer(v, p, 1949, 2100)
		v, p = o.opt("url")
		s.URL = c.text(v, p, false)
		v, p = o.opt("note")
		s.Note = c.text(v, p, false)
		o.end()
		out = append(out, s)
	}
	return out
}

// classes reads a class → codes map that must name every class exactly once and give each
// code to one class only.
func (c *checker) classes(n *jnode, path string, names []string, field, what string) (map[string][]string, map[string]string) {
	out := map[string][]string{}
	byCode := map[string]string{}
	c.mapOf(n, path, func(class string, v *jnode, p string) {
		if !contains(names, class) {
			c.addf(v, p, "unknown %s %q (known: %s)", what, class, strings.Join(names, ", "))
			return
		}
		out[class] = c.strs(v, p, true, func(code string, n *jnode, p string) bool {
			if !c.code(field)(code, n, p) {
				return false
			}
			if prev, dup := byCode[code]; dup {
				c.addf(n, p, "%s code %q already belongs to %s", field, code, prev)
				return false
			}
			byCode[code] = class
			return true
		})
	})
	if n != nil && n.kind == jObject {
		for _, name := range names {
			if _, ok := n.vals[name]; !ok {
				c.addf(n, joinKey(path, name), "missing: every %s needs its %s codes", what, field)
			}
		}
	}
	return out, byCode
}

func (c *checker) activities(n *jnode, path string) []Activity {
	var out []Activity
	c.mapOf(n, path, func(id string, v *jnode, p string) {
		if !c.ident("activity")(id, v, p) {
			return
		}
		o := c.object(v, p)
		a := Activity{ID: id}
		x, xp := o.req("label_zh")
		a.LabelZh = c.text(x, xp, true)
		x, xp = o.req("label_en")
		a.LabelEn = c.text(x, xp, true)
		o.end()
		out = append(out, a)
	})
	if n != nil && n.kind == jObject {
		for _, req := range RequiredActivities() {
			if _, ok := n.vals[req]; !ok {
				c.addf(n, joinKey(path, req), "missing: the API promises the activity %q", req)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func (r *sectionReader) knownActivity(v string, n *jnode, path string) bool {
	if _, ok := r.p.Activity(v); !ok {
		r.addf(n, path, "unknown activity %q (declared in activities: %s)", v, strings.Join(r.p.Activities(), ", "))
		return false
	}
	return true
}

// zoneSet reads {area_kind, area_level, zone_kinds} as an object of its own.
func (r *sectionReader) zoneSet(n *jnode, path string, levelRequired bool) ZoneSet {
	o := r.object(n, path)
	s := r.zoneSetKeys(o, levelRequired)
	o.end()
	return s
}

// zoneSetKeys reads the zone-set keys of an object that may hold others (a subsidy tier);
// levelRequired for subsidy tiers.
func (r *sectionReader) zoneSetKeys(o *obj, levelRequired bool) ZoneSet {
	var s ZoneSet
	v, p := o.req("area_kind")
	s.AreaKind = r.enum(v, p, "area kind", AreaKinds()...)
	if levelRequired {
		v, p = o.req("area_level")
	} else {
		v, p = o.opt("area_level")
	}
	s.AreaLevel = r.enum(v, p, "area level", AreaLevels()...)
	v, p = o.req("zone_kinds")
	s.ZoneKinds = r.strs(v, p, true, func(zk string, n *jnode, p string) bool {
		ak := AreaKindOf(zk)
		switch {
		case ak == "":
			r.addf(n, p, "unknown zone kind %q (known: %s)", zk, strings.Join(zoneKindNames(), ", "))
			return false
		case s.AreaKind != "" && ak != s.AreaKind:
			r.addf(n, p, "zone kind %q belongs to %s, not %s", zk, ak, s.AreaKind)
			return false
		}
		return true
	})
	return s
}

func zoneKindNames() []string {
	var all []string
	for _, z := range zoneKinds {
		all = append(all, z.Kind)
	}
	return all
}

func (r *sectionReader) condition(n *jnode, path string) Condition {
	o := r.object(n, path)
	var c Condition
	v, p := o.opt("di_lei")
	c.DiLei = r.strs(v, p, true, r.code(FieldDiLei))
	v, p = o.opt("sen_lin_lb")
	c.SenLinLB = r.strs(v, p, true, r.code(FieldSenLinLB))
	v, p = o.opt("shi_quan_d")
	c.ShiQuanD = r.strs(v, p, true, r.code(FieldShiQuanD))
	v, p = o.opt("qi_yuan")
	c.QiYuan = r.strs(v, p, true, func(code string, n *jnode, p string) bool {
		if !r.code(FieldQiYuan)(code, n, p) {
			return false
		}
		if r.p.OriginClass(code) == "" && r.p.origin != nil {
			r.addf(n, p, "QI_YUAN code %q is in no origin class (origin_classes)", code)
			return false
		}
		return true
	})
	v, p = o.opt("ling_zu")
	c.LingZu = r.strs(v, p, true, r.code(FieldLingZu))
	v, p = o.opt("ownership_classes")
	c.OwnershipClasses = r.strs(v, p, true, r.oneOf("ownership class", OwnershipClassNames()))
	v, p = o.opt("within")
	for i, it := range r.list(v, p, true) {
		c.Within = append(c.Within, r.zoneSet(it, joinIndex(p, i), false))
	}
	v, p = o.opt("requires_agreement")
	c.RequiresAgreement = Mode(r.enum(v, p, "mode", modeNames()...))
	o.end()
	return c
}

func modeNames() []string {
	var out []string
	for _, m := range Modes() {
		out = append(out, string(m))
	}
	return out
}

func (r *sectionReader) subsidies(n *jnode, path string) {
	o := r.object(n, path)
	v, p := o.req("programs")
	items := r.list(v, p, true)
	stackNodes := make([]*jnode, len(items))
	for i, it := range items {
		pr, sn := r.program(it, joinIndex(p, i))
		r.p.Subsidies.Programs = append(r.p.Subsidies.Programs, pr)
		stackNodes[i] = sn
	}
	flNode, flPath := o.opt("forbidden_logging")
	o.end()
	// References between programs, now that every ID is known.
	seen := map[string]int{}
	for i, pr := range r.p.Subsidies.Programs {
		if pr.ID == "" {
			continue
		}
		if j, dup := seen[pr.ID]; dup {
			r.addf(items[i].vals["id"], joinIndex(p, i)+".id", "program id %q is already used by %s", pr.ID, joinIndex(p, j))
			continue
		}
		seen[pr.ID] = i
	}
	for i, pr := range r.p.Subsidies.Programs {
		if pr.Stacking == nil {
			continue
		}
		sp := joinIndex(p, i) + ".stacking.programs"
		for j, id := range pr.Stacking.Programs {
			switch _, ok := seen[id]; {
			case id == pr.ID:
				r.addf(stackNodes[i], joinIndex(sp, j), "a program cannot stack with itself")
			case !ok:
				r.addf(stackNodes[i], joinIndex(sp, j), "unknown program id %q", id)
			}
		}
	}
	r.replaceCycles(p, items)
	if flNode != nil {
		r.p.Subsidies.ForbiddenLogging = r.forbiddenLogging(flNode, flPath, seen)
	}
}

// forbiddenLogging reads subsidies.forbidden_logging: the scope of the compensation for a
// logging ban and the programs that pay it.
func (r *sectionReader) forbiddenLogging(n *jnode, path string, programs map[string]int) *ForbiddenLogging {
	o := r.object(n, path)
	f := &ForbiddenLogging{}
	v, p := o.req("activity")
	if f.Activity = r.text(v, p, true); f.Activity != "" && !r.knownActivity(f.Activity, v, p) {
		f.Activity = ""
	}
	v, p = o.req("forest_categories")
	f.ForestCategories = r.strs(v, p, true, r.code(FieldSenLinLB))
	v, p = o.req("ownership_classes")
	f.OwnershipClasses = r.strs(v, p, true, r.oneOf("ownership class", OwnershipClassNames()))
	v, p = o.req("programs")
	f.Programs = r.strs(v, p, true, func(id string, n *jnode, p string) bool {
		if _, ok := programs[id]; !ok {
			r.addf(n, p, "unknown program id %q", id)
			return false
		}
		return true
	})
	v, p = o.opt("note")
	f.Note = r.text(v, p, false)
	o.end()
	return f
}

// replaceCycles rejects programs that replace each other, directly or through others.
func (r *sectionReader) replaceCycles(path string, items []*jnode) {
	progs := r.p.Subsidies.Programs
	index := map[string]int{}
	for i, pr := range progs {
		index[pr.ID] = i
	}
	// replaces[i]: the programs i takes the place of (replace, or named by a remainder program).
	replaces := make([][]string, len(progs))
	for id, by := range r.p.ReplacedBy() {
		for _, b := range by {
			if j, ok := index[b]; ok {
				replaces[j] = append(replaces[j], id)
			}
		}
	}
	state := make([]int, len(progs)) // 0 new, 1 on the stack, 2 done
	var visit func(i int) bool
	visit = func(i int) bool {
		state[i] = 1
		for _, id := range replaces[i] {
			j, ok := index[id]
			if !ok || state[j] == 2 {
				continue
			}
			if state[j] == 1 || visit(j) {
				return true
			}
		}
		state[i] = 2
		return false
	}
	for i := range progs {
		if state[i] == 0 && visit(i) {
			r.addf(items[i], joinIndex(path, i)+".stacking", "programs replace each other in a cycle through %q", progs[i].ID)
			return
		}
	}
}

func (r *sectionReader) program(n *jnode, path string) (Program, *jnode) {
	o := r.object(n, path)
	var pr Program
	v, p := o.req("id")
	if pr.ID = r.text(v, p, true); pr.ID != "" && !r.ident("program id")(pr.ID, v, p) {
		pr.ID = ""
	}
	v, p = o.req("name")
	pr.Name = r.text(v, p, true)
	v, p = o.req("applies_to")
	pr.AppliesTo = r.condition(v, p)
	withinNode, withinPath := v, p+".within"
	v, p = o.req("rate_by")
	pr.RateBy = RateBy(r.enum(v, p, "rate_by", string(RateByOwnership), string(RateByZoneTier)))
	v, p = o.req("basis")
	basisNode, basisPath := v, p
	pr.Basis = Basis(r.enum(v, p, "basis", string(BasisWholeParcel), string(BasisZoneOverlap)))
	v, p = o.req("confirmed")
	pr.Confirmed = r.boolean(v, p)
	v, p = o.opt("note")
	pr.Note = r.text(v, p, false)
	v, p = o.opt("sources")
	pr.Sources = r.strs(v, p, true, func(id string, n *jnode, p string) bool {
		for _, s := range r.p.Sources {
			if s.ID == id {
				return true
			}
		}
		r.addf(n, p, "unknown source id %q (see sources)", id)
		return false
	})

	ratesNode, ratesPath := o.opt("rates")
	tiersNode, tiersPath := o.opt("tiers")
	switch pr.RateBy {
	case RateByOwnership:
		if ratesNode == nil {
			r.addf(n, ratesPath, "missing (required when rate_by is \"ownership\")")
		}
		if tiersNode != nil {
			r.addf(tiersNode, tiersPath, "tiers are for rate_by \"zone_tier\"; this program has rate_by \"ownership\"")
		}
		pr.Rates = r.rates(ratesNode, ratesPath, pr.Confirmed)
		if pr.Basis == BasisZoneOverlap && len(pr.AppliesTo.Within) == 0 {
			r.addf(basisNode, basisPath, "basis \"zone_overlap\" with rate_by \"ownership\" needs applies_to.within to name the zones")
		}
	case RateByZoneTier:
		if tiersNode == nil {
			r.addf(n, tiersPath, "missing (required when rate_by is \"zone_tier\")")
		}
		if ratesNode != nil {
			r.addf(ratesNode, ratesPath, "rates are for rate_by \"ownership\"; this program has rate_by \"zone_tier\"")
		}
		pr.Tiers = r.tiers(tiersNode, tiersPath, pr.Confirmed)
		if pr.Basis == BasisWholeParcel {
			r.addf(basisNode, basisPath, "a zone_tier program pays per part: basis must be \"zone_overlap\"")
		}
		if len(pr.AppliesTo.Within) > 0 {
			r.addf(withinNode, withinPath, "a zone_tier program names its zones in tiers, not in applies_to.within")
		}
	}
	if pr.Basis == BasisWholeParcel && pr.RateBy == RateByOwnership && len(pr.AppliesTo.Within) > 0 {
		r.addf(withinNode, withinPath, "within pays the parcel part inside the zones: basis must be \"zone_overlap\"")
	}

	v, p = o.opt("stacking")
	stackNode := v
	if v != nil {
		so := r.object(v, p)
		s := &Stacking{}
		x, xp := so.req("mode")
		s.Mode = StackMode(r.enum(x, xp, "stacking mode", string(StackReplace), string(StackAdd), string(StackRemainder)))
		x, xp = so.req("programs")
		s.Programs = r.strs(x, xp, true, nil)
		x, xp = so.req("confirmed")
		s.Confirmed = r.boolean(x, xp)
		x, xp = so.opt("note")
		s.Note = r.text(x, xp, false)
		so.end()
		pr.Stacking = s
	}
	o.end()
	return pr, stackNode
}

func (r *sectionReader) rates(n *jnode, path string, confirmed bool) []OwnershipRate {
	var out []OwnershipRate
	owner := map[string]string{}
	for i, it := range r.list(n, path, true) {
		ip := joinIndex(path, i)
		o := r.object(it, ip)
		rate := OwnershipRate{Confirmed: confirmed}
		v, p := o.req("ownership_classes")
		rate.OwnershipClasses = r.strs(v, p, true, func(cl string, n *jnode, p string) bool {
			if !r.oneOf("ownership class", OwnershipClassNames())(cl, n, p) {
				return false
			}
			if prev, dup := owner[cl]; dup {
				r.addf(n, p, "ownership class %q already has a rate in %s", cl, prev)
				return false
			}
			owner[cl] = ip
			return true
		})
		r.rateFields(o, ip, &rate.YuanPerMu, &rate.CountyRetainedYuanPerMu, &rate.Confirmed, &rate.Note)
		out = append(out, rate)
	}
	return out
}

func (r *sectionReader) tiers(n *jnode, path string, confirmed bool) []ZoneTier {
	var out []ZoneTier
	taken := map[string]string{}
	for i, it := range r.list(n, path, true) {
		ip := joinIndex(path, i)
		o := r.object(it, ip)
		t := ZoneTier{Confirmed: confirmed}
		t.ZoneSet = r.zoneSetKeys(o, false)
		x, xp := o.opt("origin_classes")
		t.OriginClasses = r.strs(x, xp, true, r.oneOf("origin class", OriginClassNames()))
		v, p := o.opt("zone_kinds") // already read: for the position of duplicates
		// Two tiers may not claim the same zone kind of the same area kind for the same level
		// (an absent level is every level) and the same origin (absent: every origin).
		levels := []string{t.AreaLevel}
		if t.AreaLevel == "" {
			levels = AreaLevels()
		}
		origins := t.OriginClasses
		if len(origins) == 0 {
			origins = OriginClassNames()
		}
		for j, zk := range t.ZoneKinds {
		keys:
			for _, lv := range levels {
				for _, og := range origins {
					key := t.AreaKind + "/" + lv + "/" + zk + "/" + og
					if prev, dup := taken[key]; dup {
						stands := ""
						if len(t.OriginClasses) > 0 {
							stands = " (" + og + " stands)"
						}
						r.addf(v, joinIndex(p, j), "%s zones of %s %s areas%s already have a tier in %s", zk, lv, t.AreaKind, stands, prev)
						break keys
					}
					taken[key] = ip
				}
			}
		}
		r.rateFields(o, ip, &t.YuanPerMu, &t.CountyRetainedYuanPerMu, &t.Confirmed, &t.Note)
		out = append(out, t)
	}
	return out
}

// rateFields reads the members a rate and a tier share and ends the object: the rate per 亩, the
// county's part of it (never more than the rate), confirmed (when given; else as it was) and
// the note.
func (r *sectionReader) rateFields(o *obj, ip string, yuan, retained *Fen, confirmed *bool, note *string) {
	v, p := o.req("yuan_per_mu")
	*yuan = r.yuan(v, p)
	v, p = o.opt("county_retained_yuan_per_mu")
	*retained = r.yuan(v, p)
	if *retained > *yuan && !r.hasProblemUnder(ip+".yuan_per_mu") {
		r.addf(v, p, "the county's part %s is more than the whole rate %s", *retained, *yuan)
	}
	if v, p = o.opt("confirmed"); v != nil {
		*confirmed = r.boolean(v, p)
	}
	v, p = o.opt("note")
	*note = r.text(v, p, false)
	o.end()
}

func (r *sectionReader) eligibility(n *jnode, path string) {
	o := r.object(n, path)
	e := &r.p.Eligibility
	v, p := o.req("ownership_classes")
	e.OwnershipClasses = map[string]int{}
	r.mapOf(v, p, func(cl string, x *jnode, xp string) {
		if !r.oneOf("ownership class", OwnershipClassNames())(cl, x, xp) {
			return
		}
		e.OwnershipClasses[cl] = r.integer(x, xp, 1, 9)
	})
	if v != nil && v.kind == jObject && len(v.keys) == 0 {
		r.addf(v, p, "must name at least one eligible ownership class")
	}
	v, p = o.req("forest_categories")
	e.ForestCategories = r.strs(v, p, true, r.code(FieldSenLinLB))
	// pilot_areas; files before 2026.2 call it priority_zones (same meaning), so stored versions
	// still replay. Exactly one of the two.
	v, p = o.opt("pilot_areas")
	if old, oldPath := o.opt("priority_zones"); old != nil {
		if v != nil {
			r.addf(old, oldPath, "priority_zones is the former name of pilot_areas: give one of them")
		}
		v, p = old, oldPath
	} else if v == nil && o.n != nil {
		r.addf(o.n, p, "missing (required)")
	}
	for i, it := range r.list(v, p, true) {
		e.PilotAreas = append(e.PilotAreas, r.zoneSet(it, joinIndex(p, i), false))
	}
	v, p = o.req("min_overlap_share")
	e.MinOverlapShare = r.decimal(v, p, 0, DecimalScale, "a share")
	v, p = o.req("min_overlap_mu")
	e.MinOverlapMu = r.decimal(v, p, 0, -1, "an area in mu")
	v, p = o.req("overlap_test")
	e.OverlapTest = r.enum(v, p, "overlap test", OverlapEither, OverlapBoth)
	v, p = o.req("excluded_statuses")
	e.ExcludedStatuses = r.strs(v, p, false, r.ident("status"))
	v, p = o.opt("warning_statuses")
	e.WarningStatuses = r.strs(v, p, false, func(st string, x *jnode, xp string) bool {
		if !r.ident("status")(st, x, xp) {
			return false
		}
		if contains(e.ExcludedStatuses, st) {
			r.addf(x, xp, "status %q is already in excluded_statuses: a status either rules a parcel out or warns", st)
			return false
		}
		return true
	})
	ruleIDs := map[string]bool{}
	v, p = o.req("modes")
	e.Modes = r.modeRules(v, p, true, ruleIDs, nil)
	v, p = o.opt("other_modes")
	e.OtherModes = r.modeRules(v, p, false, ruleIDs, []Mode{ModeBuyout, ModeSwap})
	v, p = o.req("weights")
	r.weights(v, p)
	v, p = o.req("confirmed")
	e.Confirmed = r.boolean(v, p)
	v, p = o.opt("note")
	e.Note = r.text(v, p, false)
	o.end()
}

// modeRules reads a list of mode rules; IDs are unique across every list read with the same
// ids; forbidden modes may not appear (other_modes never transfer title).
func (r *sectionReader) modeRules(n *jnode, path string, required bool, ids map[string]bool, forbidden []Mode) []ModeRule {
	var out []ModeRule
	for i, it := range r.list(n, path, required) {
		ip := joinIndex(path, i)
		mo := r.object(it, ip)
		var mr ModeRule
		x, xp := mo.req("id")
		if mr.ID = r.text(x, xp, true); mr.ID != "" && r.ident("mode rule id")(mr.ID, x, xp) {
			if ids[mr.ID] {
				r.addf(x, xp, "mode rule id %q is used twice", mr.ID)
			}
			ids[mr.ID] = true
		}
		x, xp = mo.req("when")
		mr.When = r.condition(x, xp)
		x, xp = mo.req("modes")
		for _, m := range r.strs(x, xp, true, r.oneOf("mode", modeNames())) {
			mr.Modes = append(mr.Modes, Mode(m))
		}
		for j, m := range mr.Modes {
			if contains(forbidden, m) {
				r.addf(x, joinIndex(xp, j), "mode %q transfers title: it is for buyout candidates only (eligibility.modes)", m)
			}
		}
		x, xp = mo.opt("note")
		mr.Note = r.text(x, xp, false)
		mo.end()
		out = append(out, mr)
	}
	return out
}

func (r *sectionReader) weights(n *jnode, path string) {
	o := r.object(n, path)
	e := &r.p.Eligibility
	w := &e.Weights
	points := func(x *jnode, xp string) int { return r.integer(x, xp, 0, 100) }

	v, p := o.req("origin")
	w.Origin = map[string]int{}
	r.mapOf(v, p, func(k string, x *jnode, xp string) {
		if r.oneOf("origin class", OriginClassNames())(k, x, xp) {
			w.Origin[k] = points(x, xp)
		}
	})
	if v != nil && v.kind == jObject {
		for _, k := range OriginClassNames() {
			if _, ok := v.vals[k]; !ok {
				r.addf(v, joinKey(p, k), "missing: give every origin class its points (0 is fine)")
			}
		}
	}
	v, p = o.req("age_group")
	w.AgeGroup = map[string]int{}
	r.mapOf(v, p, func(k string, x *jnode, xp string) {
		if r.code(FieldLingZu)(k, x, xp) {
			w.AgeGroup[k] = points(x, xp)
		}
	})
	v, p = o.req("zone")
	w.Zone = map[string]int{}
	var priority []string
	for _, s := range e.PilotAreas {
		for _, zk := range s.ZoneKinds {
			if !contains(priority, zk) {
				priority = append(priority, zk)
			}
		}
	}
	r.mapOf(v, p, func(k string, x *jnode, xp string) {
		if len(priority) > 0 && !contains(priority, k) {
			r.addf(x, xp, "zone kind %q is in no pilot area (eligibility.pilot_areas: %s)", k, strings.Join(priority, ", "))
			return
		}
		w.Zone[k] = points(x, xp)
	})
	if v != nil && v.kind == jObject {
		for _, zk := range priority {
			if _, ok := v.vals[zk]; !ok {
				r.addf(v, joinKey(p, zk), "missing: every zone kind of the pilot areas needs its points")
			}
		}
	}
	v, p = o.req("overlap")
	w.Overlap = points(v, p)
	v, p = o.req("ownership_rank")
	w.OwnershipRank = map[int]int{}
	r.mapOf(v, p, func(k string, x *jnode, xp string) {
		rank, err := strconv.Atoi(k)
		if err != nil || rank < 1 {
			r.addf(x, xp, "%q is not a rank (1, 2 …)", k)
			return
		}
		w.OwnershipRank[rank] = points(x, xp)
	})
	if v != nil && v.kind == jObject {
		for cl, rank := range e.OwnershipClasses {
			if _, ok := w.OwnershipRank[rank]; !ok && rank > 0 {
				r.addf(v, joinKey(p, strconv.Itoa(rank)), "missing: rank %d (of %s in eligibility.ownership_classes) needs its points", rank, cl)
			}
		}
	}
	v, p = o.req("confirmed")
	w.Confirmed = r.boolean(v, p)
	v, p = o.opt("note")
	w.Note = r.text(v, p, false)
	o.end()

	if o.n != nil && !r.hasProblemUnder(path) {
		if m := w.Max(); m != 100 {
			r.addf(n, path, "the highest possible score is %d (origin %d + age_group %d + zone %d + overlap %d + ownership_rank %d); the weights must add up to 100",
				m, maxOf(w.Origin), maxOf(w.AgeGroup), maxOf(w.Zone), w.Overlap, maxOf(w.OwnershipRank))
		}
	}
}

func (c *checker) hasProblemUnder(path string) bool {
	for _, p := range c.probs {
		if p.Path == path || strings.HasPrefix(p.Path, path+".") || strings.HasPrefix(p.Path, path+"[") {
			return true
		}
	}
	return false
}

func (r *sectionReader) valuation(n *jnode, path string) {
	o := r.object(n, path)
	val := &r.p.Valuation
	v, p := o.req("groups")
	val.Groups = map[string]SpeciesGroup{}
	groupNodes := map[string]*jnode{}
	r.mapOf(v, p, func(id string, x *jnode, xp string) {
		if !r.ident("species group")(id, x, xp) {
			return
		}
		val.Groups[id] = r.speciesGroup(x, xp)
		groupNodes[id] = x
	})
	groupsPath := p
	used := map[string]bool{}
	v, p = o.req("species_groups")
	val.SpeciesGroups = map[string]string{}
	r.mapOf(v, p, func(code string, x *jnode, xp string) {
		if !r.code(FieldYouShiSZ)(code, x, xp) {
			return
		}
		g := r.text(x, xp, true)
		if _, ok := val.Groups[g]; g != "" && !ok {
			r.addf(x, xp, "unknown species group %q (groups: %s)", g, strings.Join(sortedKeys(val.Groups), ", "))
			return
		}
		val.SpeciesGroups[code] = g
		used[g] = true
	})
	v, p = o.req("default_group")
	if val.DefaultGroup = r.text(v, p, true); val.DefaultGroup != "" {
		if _, ok := val.Groups[val.DefaultGroup]; !ok {
			r.addf(v, p, "unknown species group %q (groups: %s)", val.DefaultGroup, strings.Join(sortedKeys(val.Groups), ", "))
		}
		used[val.DefaultGroup] = true
	}
	for _, id := range sortedKeys(groupNodes) {
		if !used[id] {
			r.addf(groupNodes[id], joinKey(groupsPath, id), "species group %q is used by no species code and is not the default group", id)
		}
	}
	v, p = o.req("land_rent_yuan_per_mu_year")
	val.LandRentYuanPerMuYear = r.yuan(v, p)
	v, p = o.req("remaining_years")
	val.RemainingYears = r.integer(v, p, 0, 100)
	v, p = o.opt("age_group_approach")
	approachNode, approachPath := v, p
	r.mapOf(v, p, func(code string, x *jnode, xp string) {
		if !r.code(FieldLingZu)(code, x, xp) {
			return
		}
		if a := r.enum(x, xp, "valuation approach", Approaches()...); a != "" {
			if val.AgeGroupApproach == nil {
				val.AgeGroupApproach = map[string]string{}
			}
			val.AgeGroupApproach[code] = a
		}
	})
	v, p = o.opt("interest_rate")
	val.InterestRate = r.decimal(v, p, 0, DecimalScale, "a rate")
	rateNode, ratePath := v, p
	v, p = o.req("confirmed")
	val.Confirmed = r.boolean(v, p)
	v, p = o.opt("note")
	val.Note = r.text(v, p, false)
	o.end()

	// What each age group's approach needs of every stumpage group.
	needsRate := false
	for _, code := range sortedKeys(val.AgeGroupApproach) {
		a := val.AgeGroupApproach[code]
		if a == ApproachMarketPriceBack {
			continue
		}
		needsRate = true
		for _, id := range sortedKeys(val.Groups) {
			g := val.Groups[id]
			gp := joinKey(groupsPath, id)
			if g.Method != MethodStumpage || r.hasProblemUnder(gp) {
				continue
			}
			age, ok := g.StandAgeYears[code]
			switch {
			case !ok:
				r.addf(groupNodes[id], gp+".stand_age_years", "missing: LING_ZU %s is valued by %s (age_group_approach), which needs the stand's age", code, a)
			case a == ApproachHarvestPresentValue && g.RotationAge <= age:
				r.addf(groupNodes[id], gp+".rotation_age", "rotation age %d is not after the age %d of LING_ZU %s, which is valued by harvest present value", g.RotationAge, age, code)
			case a == ApproachHarvestPresentValue && g.HarvestStockM3PerMu == 0:
				r.addf(groupNodes[id], gp+".harvest_stock_m3_per_mu", "missing: LING_ZU %s is valued by harvest present value, which needs the stock expected at rotation age", code)
			}
		}
	}
	if needsRate && rateNode == nil && approachNode != nil {
		r.addf(n, ratePath, "missing: replacement cost and harvest present value need the investment return rate P")
	}
	_ = approachPath
}

func (r *sectionReader) speciesGroup(n *jnode, path string) SpeciesGroup {
	o := r.object(n, path)
	var g SpeciesGroup
	v, p := o.req("name")
	g.Name = r.text(v, p, true)
	v, p = o.req("method")
	g.Method = r.enum(v, p, "valuation method", MethodStumpage, MethodPerMu)
	stumpage := []string{"stumpage_price_yuan_per_m3", "outturn_rate", "harvest_cost_yuan_per_m3", "profit_rate"}
	need := func(key string, want bool) (*jnode, string) {
		if want {
			return o.req(key)
		}
		x, xp := o.opt(key)
		if x != nil && g.Method != "" {
			r.addf(x, xp, "not used by method %q", g.Method)
			return nil, xp
		}
		return x, xp
	}
	isStump, isPerMu := g.Method == MethodStumpage, g.Method == MethodPerMu
	v, p = need(stumpage[0], isStump)
	g.StumpagePriceYuanPerM3 = r.yuan(v, p)
	v, p = need(stumpage[1], isStump)
	g.OutturnRate = r.decimal(v, p, 0, DecimalScale, "a rate")
	v, p = need(stumpage[2], isStump)
	g.HarvestCostYuanPerM3 = r.yuan(v, p)
	v, p = need(stumpage[3], isStump)
	g.ProfitRate = r.decimal(v, p, 0, DecimalScale, "a rate")
	v, p = need("yuan_per_mu", isPerMu)
	g.YuanPerMu = r.yuan(v, p)
	// Age-group approaches (optional, stumpage groups only; valuation checks what its
	// age_group_approach needs).
	stumpOnly := func(key string) (*jnode, string) {
		x, xp := o.opt(key)
		if x != nil && isPerMu {
			r.addf(x, xp, "not used by method %q", g.Method)
			return nil, xp
		}
		return x, xp
	}
	v, p = stumpOnly("stand_age_years")
	r.mapOf(v, p, func(code string, x *jnode, xp string) {
		if r.code(FieldLingZu)(code, x, xp) {
			if g.StandAgeYears == nil {
				g.StandAgeYears = map[string]int{}
			}
			g.StandAgeYears[code] = r.integer(x, xp, 1, 300)
		}
	})
	v, p = stumpOnly("establishment_yuan_per_mu")
	g.EstablishmentYuanPerMu = r.yuan(v, p)
	v, p = stumpOnly("tending_yuan_per_mu_year")
	g.TendingYuanPerMuYear = r.yuan(v, p)
	v, p = stumpOnly("tending_years")
	g.TendingYears = r.integer(v, p, 0, 100)
	v, p = stumpOnly("management_yuan_per_mu_year")
	g.ManagementYuanPerMuYear = r.yuan(v, p)
	v, p = stumpOnly("rotation_age")
	g.RotationAge = r.integer(v, p, 1, 300)
	v, p = stumpOnly("harvest_stock_m3_per_mu")
	g.HarvestStockM3PerMu = r.decimal(v, p, 0, -1, "a volume in m³ per mu")
	v, p = o.req("confirmed")
	g.Confirmed = r.boolean(v, p)
	v, p = o.opt("note")
	g.Note = r.text(v, p, false)
	o.end()
	return g
}

func (r *sectionReader) zoneRegimes(n *jnode, path string) {
	r.p.ZoneRegimes = ZoneRegimes{}
	activities := r.p.Activities()
	all := zoneKindNames()
	r.mapOf(n, path, func(zk string, x *jnode, xp string) {
		if AreaKindOf(zk) == "" {
			r.addf(x, xp, "unknown zone kind %q (known: %s)", zk, strings.Join(all, ", "))
			return
		}
		rules := map[string]Rule{}
		r.mapOf(x, xp, func(act string, y *jnode, yp string) {
			if !r.knownActivity(act, y, yp) {
				return
			}
			rules[act] = r.rule(y, yp)
		})
		if x.kind == jObject {
			for _, a := range activities {
				if _, ok := x.vals[a]; !ok {
					r.addf(x, joinKey(xp, a), "missing: every zone kind needs a rule for every activity")
				}
			}
		}
		r.p.ZoneRegimes[zk] = rules
	})
	if n != nil && n.kind == jObject {
		for _, zk := range all {
			if _, ok := n.vals[zk]; !ok {
				r.addf(n, joinKey(path, zk), "missing: every zone kind of the schema needs a regime (zone kind of %s)", AreaKindOf(zk))
			}
		}
	}
}

func (r *sectionReader) rule(n *jnode, path string) Rule {
	o := r.object(n, path)
	var ru Rule
	v, p := o.req("verdict")
	ru.Verdict = Verdict(r.enum(v, p, "verdict", string(Forbidden), string(Conditional), string(Allowed)))
	v, p = o.req("rule")
	ru.Text = r.text(v, p, true)
	v, p = o.req("legal_basis")
	ru.LegalBasis = r.text(v, p, true)
	v, p = o.req("confirmed")
	ru.Confirmed = r.boolean(v, p)
	v, p = o.opt("note")
	ru.Note = r.text(v, p, false)
	o.end()
	return ru
}

func (r *sectionReader) wetlandBank(n *jnode, path string) {
	o := r.object(n, path)
	w := &r.p.WetlandBank
	v, p := o.req("debit_ratio")
	w.DebitRatio = r.decimal(v, p, 0, -1, "a ratio")
	if v != nil && w.DebitRatio == 0 {
		r.addf(v, p, "a debit ratio of 0 would let wetland be occupied for free; it must be more than 0")
	}
	v, p = o.req("debit_zone_kinds")
	zkNode, zkPath := v, p
	w.DebitZoneKinds = r.strs(v, p, true, r.oneOf("zone kind", zoneKindNames()))
	v, p = o.req("debit_activities")
	w.DebitActivities = r.strs(v, p, true, r.knownActivity)
	v, p = o.req("credit_price_yuan_per_mu")
	w.CreditPriceYuanPerMu = r.yuan(v, p)
	v, p = o.req("credit_types")
	w.CreditTypes = map[string]CreditType{}
	r.mapOf(v, p, func(id string, x *jnode, xp string) {
		if !r.ident("credit type")(id, x, xp) {
			return
		}
		co := r.object(x, xp)
		var ct CreditType
		y, yp := co.req("name")
		ct.Name = r.text(y, yp, true)
		y, yp = co.req("mu_per_credit")
		ct.MuPerCredit = r.decimal(y, yp, 0, -1, "a ratio")
		defNode, defPath := y, yp
		y, yp = co.req("min_mu_per_credit")
		ct.MinMuPerCredit = r.decimal(y, yp, 0, -1, "a ratio")
		y, yp = co.req("max_mu_per_credit")
		ct.MaxMuPerCredit = r.decimal(y, yp, 0, -1, "a ratio")
		if defNode != nil && ct.MuPerCredit <= 0 {
			r.addf(defNode, defPath, "must be more than 0")
		}
		if ct.MinMuPerCredit > ct.MaxMuPerCredit || ct.MuPerCredit < ct.MinMuPerCredit || ct.MuPerCredit > ct.MaxMuPerCredit {
			r.addf(defNode, defPath, "%s is not within min_mu_per_credit %s – max_mu_per_credit %s", ct.MuPerCredit, ct.MinMuPerCredit, ct.MaxMuPerCredit)
		}
		y, yp = co.req("confirmed")
		ct.Confirmed = r.boolean(y, yp)
		y, yp = co.opt("note")
		ct.Note = r.text(y, yp, false)
		co.end()
		w.CreditTypes[id] = ct
	})
	v, p = o.req("release")
	ro := r.object(v, p)
	x, xp := ro.req("as_built_share")
	w.Release.AsBuiltShare = r.decimal(x, xp, 0, DecimalScale, "a share")
	x, xp = ro.req("yearly_share")
	w.Release.YearlyShare = r.decimal(x, xp, 0, DecimalScale, "a share")
	x, xp = ro.req("reserve_share")
	w.Release.ReserveShare = r.decimal(x, xp, 0, DecimalScale, "a share")
	if s := w.Release.AsBuiltShare + w.Release.ReserveShare; s > DecimalScale {
		r.addf(x, xp, "as_built_share + reserve_share is %s, more than the whole (1)", s)
	}
	x, xp = ro.req("confirmed")
	w.Release.Confirmed = r.boolean(x, xp)
	x, xp = ro.opt("note")
	w.Release.Note = r.text(x, xp, false)
	ro.end()
	v, p = o.req("confirmed")
	w.Confirmed = r.boolean(v, p)
	v, p = o.opt("note")
	w.Note = r.text(v, p, false)
	r.bankRules(o, w)
	o.end()

	// A debit can only arise where the activity is possible at all.
	for _, zk := range w.DebitZoneKinds {
		for _, a := range w.DebitActivities {
			if rule, ok := r.p.Regime(zk, a); ok && rule.Verdict == Forbidden {
				r.addf(zkNode, zkPath, "zone_regimes.%s.%s forbids %s, so no wetland-bank debit can arise there", zk, a, a)
			}
		}
	}
}
