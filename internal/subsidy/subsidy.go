// Package subsidy computes the yearly subsidy lines of a parcel under a policy version — one
// line per program (per zone tier where a tier boundary splits the parcel), in 分 — and writes
// the disbursement roll (发放清册) per township, village and owner.
package subsidy

import (
	"fmt"
	"math"
	"strings"

	"github.com/wuyuan-forestry/ecocomp/internal/facts"
	"github.com/wuyuan-forestry/ecocomp/internal/policy"
)

// CentiMu is an area in 0.01 亩; JSON shows it as 亩 with two decimals.
type CentiMu int64

func (m CentiMu) String() string { return fmt.Sprintf("%d.%02d", int64(m)/100, int64(m)%100) }

// MarshalJSON writes the area as a number of 亩 with two decimals.
func (m CentiMu) MarshalJSON() ([]byte, error) { return []byte(m.String()), nil }

// Line is one subsidy line.
type Line struct {
	Program   string     `json:"program"`
	Name      string     `json:"program_name"`
	AreaMu    CentiMu    `json:"area_mu"`
	Rate      policy.Fen `json:"rate_yuan_per_mu"`
	Amount    policy.Fen `json:"amount_yuan"`
	Basis     string     `json:"basis"`
	Confirmed bool       `json:"confirmed"`
}

// Amount is rate × area, rounded half up to the 分, in integers only.
func Amount(area CentiMu, rate policy.Fen) policy.Fen {
	return policy.Fen((int64(area)*int64(rate) + 50) / 100)
}

// part is one piece of a zone-based program: a tier (or the program's zones) and its share.
type part struct {
	rate      policy.Fen
	confirmed bool
	share     float64
	where     []string
	tier      string
}

// Lines computes the subsidy lines of parcel p under pol, in the policy's program order.
func Lines(pol *policy.Policy, p *facts.Parcel) []Line {
	legal := CentiMu(p.LegalCentiMu())
	class := pol.OwnershipClass(p.LMQS)
	f := p.Facts()
	programs := pol.Subsidies.Programs

	// Zone-based programs first: what they pay may replace other programs on that part.
	parts := make([][]part, len(programs))
	replaced := map[string]float64{}
	replacedBy := map[string][]string{}
	for i := range programs {
		prog := &programs[i]
		if prog.Basis != policy.BasisZoneOverlap || !pol.Matches(prog.AppliesTo, f) {
			continue
		}
		parts[i] = zoneParts(prog, p, class)
		if prog.Stacking != nil && prog.Stacking.Mode == policy.StackReplace {
			for _, pt := range parts[i] {
				for _, other := range prog.Stacking.Programs {
					replaced[other] += pt.share
				}
			}
			if len(parts[i]) > 0 {
				for _, other := range prog.Stacking.Programs {
					replacedBy[other] = append(replacedBy[other], prog.Name)
				}
			}
		}
	}

	var lines []Line
	for i := range programs {
		prog := &programs[i]
		switch prog.Basis {
		case policy.BasisZoneOverlap:
			for _, pt := range parts[i] {
				area := CentiMu(math.Round(float64(legal) * pt.share))
				basis := fmt.Sprintf("%.2f %% of the legal area (%s 亩) lies in %s", pt.share*100, area, strings.Join(pt.where, ", "))
				if pt.tier != "" {
					basis += ": " + pt.tier
				}
				basis += fmt.Sprintf(" × %s 元/亩", pt.rate)
				lines = append(lines, line(prog, area, pt.rate, pt.confirmed, basis))
			}
		case policy.BasisWholeParcel:
			if !pol.Matches(prog.AppliesTo, f) {
				continue
			}
			r, ok := prog.RateFor(class)
			if !ok {
				continue
			}
			area := legal
			basis := fmt.Sprintf("legal area %s ha = %s 亩", p.MianJi.FloatString(4), legal)
			if share := replaced[prog.ID]; share > 0 {
				area = CentiMu(math.Round(float64(legal) * math.Max(0, 1-share)))
				basis = fmt.Sprintf("legal area %s 亩 less the %.2f %% paid by %s = %s 亩", legal, math.Min(share, 1)*100,
					strings.Join(replacedBy[prog.ID], ", "), area)
			}
			basis += fmt.Sprintf(" × %s 元/亩 (%s)", r.YuanPerMu, strings.Join(r.OwnershipClasses, ", "))
			if r.CountyRetainedYuanPerMu > 0 {
				basis += fmt.Sprintf("; %s 元/亩 of it is kept by the county for 公共管护", r.CountyRetainedYuanPerMu)
			}
			if area > 0 {
				lines = append(lines, line(prog, area, r.YuanPerMu, prog.Confirmed && r.Confirmed, basis))
			}
		}
	}
	return lines
}

func line(prog *policy.Program, area CentiMu, rate policy.Fen, confirmed bool, basis string) Line {
	if !confirmed {
		basis += " (rate not confirmed)"
	}
	return Line{Program: prog.ID, Name: prog.Name, AreaMu: area, Rate: rate, Amount: Amount(area, rate), Basis: basis, Confirmed: confirmed}
}

// zoneParts splits a zone-based program's claim on the parcel into parts: one per tier for
// zone_tier programs, one for the program's zones otherwise.
func zoneParts(prog *policy.Program, p *facts.Parcel, class string) []part {
	switch prog.RateBy {
	case policy.RateByZoneTier:
		byTier := map[int]*part{}
		var order []int
		for _, o := range p.Overlaps {
			for ti, t := range prog.Tiers {
				if !t.Contains(o.AreaKind, o.AreaLevel, o.ZoneKind) {
					continue
				}
				pt, ok := byTier[ti]
				if !ok {
					pt = &part{rate: t.YuanPerMu, confirmed: prog.Confirmed && t.Confirmed,
						tier: fmt.Sprintf("%s %s tier", levelName(t.AreaLevel), t.AreaKind)}
					byTier[ti] = pt
					order = append(order, ti)
				}
				pt.share += o.Share
				pt.where = append(pt.where, o.Where())
				break
			}
		}
		var parts []part
		for _, ti := range order {
			pt := byTier[ti]
			pt.share = math.Min(pt.share, 1)
			parts = append(parts, *pt)
		}
		return parts
	case policy.RateByOwnership:
		r, ok := prog.RateFor(class)
		if !ok {
			return nil
		}
		pt := part{rate: r.YuanPerMu, confirmed: prog.Confirmed && r.Confirmed}
		for _, o := range p.Overlaps {
			for _, s := range prog.AppliesTo.Within {
				if s.Contains(o.AreaKind, o.AreaLevel, o.ZoneKind) {
					pt.share += o.Share
					pt.where = append(pt.where, o.Where())
					break
				}
			}
		}
		if pt.share == 0 {
			return nil
		}
		pt.share = math.Min(pt.share, 1)
		return []part{pt}
	}
	return nil
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
