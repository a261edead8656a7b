package policy

import (
	"regexp"
	"slices"
)

var casePrefix = regexp.MustCompile(`^[A-Z]{1,6}$`)

// Cases holds the parameters of the buyout-case workflow (DOMAIN.md, Buyout): how case numbers
// read, how long the public notice runs, how a contract is paid, the yearly budget, and who holds
// the forest the county takes over (收储).
type Cases struct {
	// NumberPrefix starts every case number: "WY" gives WY-SM-2026-0001.
	NumberPrefix string `json:"number_prefix"`
	// ModeCodes are the two-letter codes of the modes in case numbers (赎买 SM, 租赁 ZL, …).
	ModeCodes map[string]string `json:"mode_codes"`
	// NoticeDays is the length of the public notice (公示), in calendar days.
	NoticeDays int `json:"notice_days"`
	// Schedules are the instalments of the modes paid as a lump sum, by mode.
	Schedules map[string][]Instalment `json:"schedules"`
	// YearlyModes are paid every year of the term (rent, custody fee, closure allowance); their
	// payments are lines of the year's roll.
	YearlyModes []string `json:"yearly_modes"`
	// BudgetYuan is the year's budget for buyouts and agreements; signing beyond it needs an
	// administrator.
	BudgetYuan Fen     `json:"budget_yuan"`
	Reserve    Reserve `json:"reserve"`
	Confirmed  bool    `json:"confirmed"`
	Note       string  `json:"note,omitempty"`
}

// Instalment is a share of a contract's price that falls due when the case reaches a status.
type Instalment struct {
	Share Decimal `json:"share"`
	Due   string  `json:"due"`
}

// Reserve names the holder of the forest the county takes over and the tree-ownership code
// (LM_QS) its parcels get.
type Reserve struct {
	Name string `json:"name"`
	LMQS string `json:"lm_qs"`
}

// CaseModes lists the modes a case may have, in the order of the pilot plan.
func CaseModes() []string {
	return []string{"buyout", "lease", "exchange", "custody", "equity", "concession", "closure_agreement"}
}

// PolicyMode is the eligibility mode a case mode corresponds to (a case's exchange is the
// eligibility's swap).
func PolicyMode(caseMode string) Mode {
	if caseMode == "exchange" {
		return ModeSwap
	}
	return Mode(caseMode)
}

// Yearly reports whether a case mode is paid every year of its term.
func (c *Cases) Yearly(mode string) bool { return slices.Contains(c.YearlyModes, mode) }

// instalmentDues are the statuses an instalment may fall due at.
var instalmentDues = []string{"signed", "transferred", "in_force", "closed"}

func (r *sectionReader) cases(n *jnode, path string) {
	cs := r.p.Cases
	o := r.object(n, path)
	v, p := o.req("number_prefix")
	cs.NumberPrefix = r.text(v, p, true)
	if cs.NumberPrefix != "" && !casePrefix.MatchString(cs.NumberPrefix) {
		r.addf(v, p, "%q: use 1 to 6 capital letters (e.g. \"WY\")", cs.NumberPrefix)
	}
	v, p = o.req("mode_codes")
	cs.ModeCodes = map[string]string{}
	r.mapOf(v, p, func(mode string, x *jnode, xp string) {
		if !slices.Contains(CaseModes(), mode) {
			r.addf(x, xp, "%q is not a case mode (%v)", mode, CaseModes())
			return
		}
		code := r.text(x, xp, true)
		if code != "" && !casePrefix.MatchString(code) {
			r.addf(x, xp, "%q: use 1 to 6 capital letters (e.g. \"SM\")", code)
		}
		cs.ModeCodes[mode] = code
	})
	if v != nil {
		for _, m := range CaseModes() {
			if _, ok := cs.ModeCodes[m]; !ok {
				r.addf(v, p, "mode %q has no code", m)
			}
		}
	}
	v, p = o.req("notice_days")
	cs.NoticeDays = r.integer(v, p, 1, 90)
	v, p = o.req("yearly_modes")
	cs.YearlyModes = r.strs(v, p, false, r.oneOf("case mode", CaseModes()))
	v, p = o.req("schedules")
	cs.Schedules = map[string][]Instalment{}
	r.mapOf(v, p, func(mode string, x *jnode, xp string) {
		if !slices.Contains(CaseModes(), mode) {
			r.addf(x, xp, "%q is not a case mode (%v)", mode, CaseModes())
			return
		}
		if cs.Yearly(mode) {
			r.addf(x, xp, "%q is paid yearly (yearly_modes): it has no instalment schedule", mode)
			return
		}
		var total Decimal
		var list []Instalment
		for i, e := range r.list(x, xp, true) {
			ep := joinIndex(xp, i)
			eo := r.object(e, ep)
			var in Instalment
			y, yp := eo.req("share")
			in.Share = r.decimal(y, yp, 0, DecimalScale, "a share")
			if y != nil && in.Share == 0 {
				r.addf(y, yp, "an instalment of 0 is no instalment")
			}
			total += in.Share
			y, yp = eo.req("due")
			in.Due = r.enum(y, yp, "status", instalmentDues...)
			eo.end()
			list = append(list, in)
		}
		if x != nil && len(list) > 0 && total != DecimalScale {
			r.addf(x, xp, "the shares add up to %s; they must add up to 1", total)
		}
		cs.Schedules[mode] = list
	})
	if v != nil {
		for _, m := range CaseModes() {
			if _, ok := cs.Schedules[m]; !ok && !cs.Yearly(m) {
				r.addf(v, p, "mode %q is neither in yearly_modes nor has a schedule", m)
			}
		}
	}
	v, p = o.req("budget_yuan")
	cs.BudgetYuan = r.yuan(v, p)
	v, p = o.req("reserve")
	ro := r.object(v, p)
	y, yp := ro.req("name")
	cs.Reserve.Name = r.text(y, yp, true)
	y, yp = ro.req("lm_qs")
	if s := r.text(y, yp, true); s != "" && r.code(FieldLMQS)(s, y, yp) {
		cs.Reserve.LMQS = s
	}
	ro.end()
	v, p = o.req("confirmed")
	cs.Confirmed = r.boolean(v, p)
	v, p = o.opt("note")
	cs.Note = r.text(v, p, false)
	o.end()
}
