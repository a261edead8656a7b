// Package subsidy computes the yearly subsidy lines of a parcel under a policy version — one
// line per program (per zone tier where a tier boundary splits the parcel), in 分 — and writes
// the disbursement roll (发放清册) per township, village and owner.
package subsidy

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/wuyuan-forestry/ecocomp/internal/facts"
	"github.com/wuyuan-forestry/ecocomp/internal/policy"
)

// CentiMu is an area in 0.01 亩; JSON shows it as 亩 with two decimals.
type CentiMu int64

func (m CentiMu) String() string { return fmt.Sprintf("%d.%02d", int64(m)/100, int64(m)%100) }

// MarshalJSON writes the area as a number of 亩 with two decimals.
func (m CentiMu) MarshalJSON() ([]byte, error) { return []byte(m.String()), nil }

// Line is one subsidy line: what the program pays for one part of the parcel, how much of it
// the owner receives and how much the county keeps (the 公共管护 part), and why, in English and
// Chinese. A line whose rate is zero or not yet known is Pending: it is listed (in the parcel's
// lines and in the roll) with a note and pays nothing.
type Line struct {
	Program string     `json:"program"`
	Name    string     `json:"program_name"`
	AreaMu  CentiMu    `json:"area_mu"`
	Rate    policy.Fen `json:"rate_yuan_per_mu"`
	// RetainedRate is the part of Rate the county keeps (included in Rate).
	RetainedRate policy.Fen `json:"county_retained_yuan_per_mu"`
	// Amount = Rate × area; Retained = RetainedRate × area; Owner = Amount − Retained, each to
	// the 分, so Owner + Retained = Amount exactly.
	Amount    policy.Fen `json:"amount_yuan"`
	Owner     policy.Fen `json:"owner_yuan"`
	Retained  policy.Fen `json:"county_retained_yuan"`
	Pending   bool       `json:"pending"`
	Basis     string     `json:"basis"`
	BasisZh   string     `json:"basis_zh"`
	Confirmed bool       `json:"confirmed"`
}

// Amount is rate × area, rounded half up to the 分, in integers only.
func Amount(area CentiMu, rate policy.Fen) policy.Fen {
	return policy.Fen((int64(area)*int64(rate) + 50) / 100)
}

// Split returns the owner's and the county's parts of rate × area: the county's is its own rate
// × area to the 分, the owner's the rest, so that the two add up to the line's amount.
func Split(area CentiMu, rate, retainedRate policy.Fen) (owner, retained policy.Fen) {
	amount := Amount(area, rate)
	retained = min(Amount(area, retainedRate), amount)
	return amount - retained, retained
}

// part is one piece of a zone-based program: a tier (or the program's zones), the overlaps it
// covers and their share of the parcel.
type part struct {
	rate, retained policy.Fen
	confirmed      bool
	share          float64
	overlaps       []int // indices into Parcel.Overlaps
	tier, tierZh   string
	note           string
}

// claim is what one program pays on a parcel, after the programs that take its place took
// theirs: the whole parcel less the overlaps others took (whole), or parts.
type claim struct {
	whole    bool
	rate     policy.OwnershipRate
	excluded map[int]bool // overlaps other programs pay for (whole claims)
	parts    []part
}

// covers reports whether the claim pays for overlap i.
func (c *claim) covers(i int) bool {
	if c == nil {
		return false
	}
	if c.whole {
		return !c.excluded[i]
	}
	for _, pt := range c.parts {
		for _, j := range pt.overlaps {
			if j == i {
				return true
			}
		}
	}
	return false
}

// Lines computes the subsidy lines of parcel p under pol, in the policy's program order, and
// last, when a zone forbids logging on a part that no compensating program pays or lists, a
// pending line for that part (policy.GapProgram).
func Lines(pol *policy.Policy, p *facts.Parcel) []Line {
	legal := CentiMu(p.LegalCentiMu())
	class := pol.OwnershipClass(p.LMQS)
	origin := pol.OriginClass(p.QiYuan)
	f := p.Facts()
	programs := pol.Subsidies.Programs
	replacedBy := pol.ReplacedBy()
	index := map[string]int{}
	for i := range programs {
		index[programs[i].ID] = i
	}

	// Claims in an order where every program comes after those that take its place (Parse
	// refuses cycles).
	claims := make([]*claim, len(programs))
	state := make([]int, len(programs))
	var visit func(i int)
	visit = func(i int) {
		if state[i] != 0 {
			return
		}
		state[i] = 1
		prog := &programs[i]
		var by []int
		for _, id := range replacedBy[prog.ID] {
			if j, ok := index[id]; ok {
				visit(j)
				by = append(by, j)
			}
		}
		state[i] = 2
		if !pol.Matches(prog.AppliesTo, f) {
			return
		}
		excluded := map[int]bool{}
		for _, j := range by {
			c := claims[j]
			if c == nil {
				continue
			}
			if c.whole {
				return // a program paying the whole parcel leaves nothing to this one
			}
			for _, pt := range c.parts {
				for _, k := range pt.overlaps {
					excluded[k] = true
				}
			}
		}
		claims[i] = claimOf(prog, p, class, origin, excluded)
	}
	for i := range programs {
		visit(i)
	}

	var lines []Line
	for i := range programs {
		prog, c := &programs[i], claims[i]
		if c == nil {
			continue
		}
		if !c.whole {
			for _, pt := range c.parts {
				area := CentiMu(math.Round(float64(legal) * pt.share))
				where, whereZh := places(p, pt.overlaps)
				basis := fmt.Sprintf("%.2f %% of the legal area (%s 亩) lies in %s", pt.share*100, area, where)
				basisZh := fmt.Sprintf("小班法定面积的 %.2f%%（%s 亩）位于%s", pt.share*100, area, whereZh)
				if pt.tier != "" {
					basis += ": " + pt.tier
					basisZh += "（" + pt.tierZh + "）"
				}
				lines = append(lines, line(pol, prog, area, pt.rate, pt.retained, pt.confirmed, basis, basisZh, pt.note))
			}
			continue
		}
		r := c.rate
		area := legal
		basis := fmt.Sprintf("legal area %s ha = %s 亩", p.MianJi.FloatString(4), legal)
		basisZh := fmt.Sprintf("法定面积 %s 公顷 = %s 亩", p.MianJi.FloatString(4), legal)
		if len(c.excluded) > 0 {
			share := 0.0
			var payers, payersZh []string
			for k := range c.excluded {
				share += p.Overlaps[k].Share
			}
			for _, id := range replacedBy[prog.ID] {
				if j, ok := index[id]; ok && claims[j] != nil {
					payers = append(payers, programs[j].Name)
					payersZh = append(payersZh, programs[j].Name)
				}
			}
			area = CentiMu(math.Round(float64(legal) * math.Max(0, 1-share)))
			basis = fmt.Sprintf("legal area %s 亩 less the %.2f %% paid by %s = %s 亩", legal, math.Min(share, 1)*100, strings.Join(payers, ", "), area)
			basisZh = fmt.Sprintf("法定面积 %s 亩，扣除由%s支付的 %.2f%%，计 %s 亩", legal, strings.Join(payersZh, "、"), math.Min(share, 1)*100, area)
		}
		basis += fmt.Sprintf(" (%s)", strings.Join(r.OwnershipClasses, ", "))
		basisZh += fmt.Sprintf("（%s）", classesZh(r.OwnershipClasses))
		if area > 0 {
			lines = append(lines, line(pol, prog, area, r.YuanPerMu, r.CountyRetainedYuanPerMu, prog.Confirmed && r.Confirmed, basis, basisZh, r.Note))
		}
	}
	if gap, ok := uncovered(pol, p, class, legal, claims, index); ok {
		lines = append(lines, gap)
	}
	return lines
}

// claimOf is what prog pays on p when the overlaps in excluded are paid by others.
func claimOf(prog *policy.Program, p *facts.Parcel, class, origin string, excluded map[int]bool) *claim {
	switch {
	case prog.Basis == policy.BasisWholeParcel:
		r, ok := prog.RateFor(class)
		if !ok {
			return nil
		}
		return &claim{whole: true, rate: r, excluded: excluded}
	case prog.RateBy == policy.RateByZoneTier:
		byTier := map[int]*part{}
		var order []int
		for k, o := range p.Overlaps {
			if excluded[k] {
				continue
			}
			for ti, t := range prog.Tiers {
				if !t.Contains(o.AreaKind, o.AreaLevel, o.ZoneKind) || (len(t.OriginClasses) > 0 && !slices.Contains(t.OriginClasses, origin)) {
					continue
				}
				pt, ok := byTier[ti]
				if !ok {
					pt = &part{rate: t.YuanPerMu, retained: t.CountyRetainedYuanPerMu, confirmed: prog.Confirmed && t.Confirmed,
						tier: tierName(t), tierZh: tierNameZh(t), note: t.Note}
					byTier[ti] = pt
					order = append(order, ti)
				}
				pt.share += o.Share
				pt.overlaps = append(pt.overlaps, k)
				break
			}
		}
		c := &claim{}
		for _, ti := range order {
			pt := byTier[ti]
			pt.share = math.Min(pt.share, 1)
			c.parts = append(c.parts, *pt)
		}
		if len(c.parts) == 0 {
			return nil
		}
		return c
	case prog.RateBy == policy.RateByOwnership:
		r, ok := prog.RateFor(class)
		if !ok {
			return nil
		}
		pt := part{rate: r.YuanPerMu, retained: r.CountyRetainedYuanPerMu, confirmed: prog.Confirmed && r.Confirmed, note: r.Note}
		for k, o := range p.Overlaps {
			if excluded[k] {
				continue
			}
			for _, s := range prog.AppliesTo.Within {
				if s.Contains(o.AreaKind, o.AreaLevel, o.ZoneKind) {
					pt.share += o.Share
					pt.overlaps = append(pt.overlaps, k)
					break
				}
			}
		}
		if pt.share == 0 {
			return nil
		}
		pt.share = math.Min(pt.share, 1)
		return &claim{parts: []part{pt}}
	}
	return nil
}

// uncovered is the pending line of the part of p whose logging a zone forbids and that none of
// the compensating programs (subsidies.forbidden_logging.programs) pays or lists.
func uncovered(pol *policy.Policy, p *facts.Parcel, class string, legal CentiMu, claims []*claim, index map[string]int) (Line, bool) {
	fl := pol.Subsidies.ForbiddenLogging
	if fl == nil || !slices.Contains(fl.ForestCategories, p.SenLinLB) || !slices.Contains(fl.OwnershipClasses, class) {
		return Line{}, false
	}
	var gap []int
	var rules, rulesZh []string
	share := 0.0
	for k, o := range p.Overlaps {
		rule, ok := pol.Regime(o.ZoneKind, fl.Activity)
		if !ok || rule.Verdict != policy.Forbidden {
			continue
		}
		covered := false
		for _, id := range fl.Programs {
			if j, ok := index[id]; ok && claims[j].covers(k) {
				covered = true
				break
			}
		}
		if covered {
			continue
		}
		gap = append(gap, k)
		share += o.Share
		if !slices.Contains(rulesZh, rule.LegalBasis) {
			rules = append(rules, rule.LegalBasis)
			rulesZh = append(rulesZh, rule.LegalBasis)
		}
	}
	share = math.Min(share, 1)
	area := CentiMu(math.Round(float64(legal) * share))
	if len(gap) == 0 || area == 0 { // a sliver under 0.005 亩 has nothing to pay
		return Line{}, false
	}
	where, whereZh := places(p, gap)
	act, _ := pol.Activity(fl.Activity)
	basis := fmt.Sprintf("%.2f %% of the legal area (%s 亩) lies in %s, where %s is forbidden (%s), but no programme of policy %s pays for it: "+
		"listed as pending; the bureau must set the 禁伐补贴 for it", share*100, area, where, fl.Activity, strings.Join(rules, "; "), pol.Version)
	basisZh := fmt.Sprintf("小班法定面积的 %.2f%%（%s 亩）位于%s，该区禁止%s（%s），但政策版本 %s 没有补偿该部分的项目：列入清册待定，请核定禁伐补贴。",
		share*100, area, whereZh, act.LabelZh, strings.Join(rulesZh, "；"), pol.Version)
	return Line{Program: policy.GapProgram, Name: "禁伐区未纳入补偿项目（待定）", AreaMu: area, Pending: true,
		Basis: basis, BasisZh: basisZh}, true
}

func line(pol *policy.Policy, prog *policy.Program, area CentiMu, rate, retainedRate policy.Fen, confirmed bool, basis, basisZh, note string) Line {
	amount := Amount(area, rate)
	owner, retained := Split(area, rate, retainedRate)
	l := Line{Program: prog.ID, Name: prog.Name, AreaMu: area, Rate: rate, RetainedRate: retainedRate,
		Amount: amount, Owner: owner, Retained: retained, Pending: rate == 0, Confirmed: confirmed}
	basis += fmt.Sprintf(" × %s 元/亩 = %s 元", rate, amount)
	basisZh += fmt.Sprintf("，按 %s 元/亩计 %s 元", rate, amount)
	if retainedRate > 0 {
		basis += fmt.Sprintf("; %s 元/亩 (%s 元) of it is kept by the county for 公共管护, the owner receives %s 元/亩 (%s 元)",
			retainedRate, retained, rate-retainedRate, owner)
		basisZh += fmt.Sprintf("；其中 %s 元/亩（%s 元）由县级留存用于公共管护，权利人实得 %s 元/亩（%s 元）", retainedRate, retained, rate-retainedRate, owner)
	}
	switch {
	case rate == 0:
		basis += " — the rate is not known yet: listed as pending, nothing is paid this year"
		basisZh += "。补助标准尚未确定，列入清册待定，本年度暂不发放"
		if note != "" {
			basis += " (" + note + ")"
		}
	case !confirmed:
		basis += " (rate not confirmed)"
		basisZh += "（标准未经核实）"
	}
	if titles := sourceTitles(pol, prog.Sources); titles != "" {
		basisZh += "。依据：" + titles
	}
	l.Basis, l.BasisZh = basis, basisZh+"。"
	return l
}

// places names the overlaps, in English and Chinese.
func places(p *facts.Parcel, overlaps []int) (string, string) {
	var en, zh []string
	for _, k := range overlaps {
		en = append(en, p.Overlaps[k].Where())
		zh = append(zh, p.Overlaps[k].WhereZh())
	}
	return strings.Join(en, ", "), strings.Join(zh, "、")
}

func sourceTitles(pol *policy.Policy, ids []string) string {
	var out []string
	for _, id := range ids {
		for _, s := range pol.Sources {
			if s.ID == id {
				out = append(out, s.Title)
			}
		}
	}
	return strings.Join(out, "、")
}

var (
	classZh  = map[string]string{"state": "国有", "collective": "集体", "individual": "个人", "enterprise": "企业", "partnership": "合伙", "other": "其他"}
	originZh = map[string]string{"natural": "天然林", "planted": "人工林"}
	levelZh  = map[string]string{"national": "国家级", "provincial": "省级", "municipal": "市级", "county": "县级"}
	kindZh   = map[string]string{"nature_reserve": "自然保护区", "wetland_park": "湿地公园", "water_source": "饮用水水源保护区", "scenic_area": "风景名胜区"}
)

func classesZh(classes []string) string {
	out := make([]string, len(classes))
	for i, c := range classes {
		out[i] = classZh[c]
	}
	return strings.Join(out, "、")
}

func tierName(t policy.ZoneTier) string {
	s := fmt.Sprintf("%s %s tier", levelName(t.AreaLevel), t.AreaKind)
	if len(t.OriginClasses) > 0 {
		s += " for " + strings.Join(t.OriginClasses, ", ") + " stands"
	}
	return s
}

func tierNameZh(t policy.ZoneTier) string {
	s := levelZh[t.AreaLevel] + kindZh[t.AreaKind] + "档"
	if t.AreaLevel == "" {
		s = kindZh[t.AreaKind] + "档"
	}
	if len(t.OriginClasses) > 0 {
		var o []string
		for _, c := range t.OriginClasses {
			o = append(o, originZh[c])
		}
		s += "，" + strings.Join(o, "、")
	}
	return s
}

func levelName(level string) string {
	if level == "" {
		return "any-level"
	}
	return level
}

// Total sums lines in 分.
func Total(lines []Line) policy.Fen {
	var t policy.Fen
	for _, l := range lines {
		t += l.Amount
	}
	return t
}

// Totals sums the lines' amounts, owners' parts and county's parts in 分.
func Totals(lines []Line) (amount, owner, retained policy.Fen) {
	for _, l := range lines {
		amount += l.Amount
		owner += l.Owner
		retained += l.Retained
	}
	return amount, owner, retained
}
