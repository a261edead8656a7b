// Package eligibility decides, for one parcel version under one policy version, whether the
// parcel is a buyout (赎买) candidate, by which modes, with what priority and indicative price —
// and explains every rule in a sentence a person can read.
package eligibility

import (
	"fmt"
	"math"
	"math/big"
	"slices"
	"sort"
	"strings"

	"github.com/wuyuan-forestry/ecocomp/internal/facts"
	"github.com/wuyuan-forestry/ecocomp/internal/policy"
)

// Rule IDs, stable for API clients.
const (
	RuleOwnership = "ownership"
	RuleCategory  = "forest_category"
	// RulePriority is the pilot-area rule (the ID predates the pilot areas: the whole reserve and
	// the whole wetland park, whose zones set the priority).
	RulePriority = "priority_zone"
	RuleStatus   = "status"
)

// Status values colour the map.
const (
	StatusEligible      = "eligible"
	StatusInCase        = "in_case"
	StatusPublicWelfare = "public_welfare"
	StatusOther         = "other"
)

// RuleResult is one rule's verdict and its reason, in English and in Chinese.
type RuleResult struct {
	ID       string `json:"id"`
	Passed   bool   `json:"passed"`
	Detail   string `json:"detail"`
	DetailZh string `json:"detail_zh"`
}

// Mode is a candidate mode with its Chinese label.
type Mode struct {
	ID    policy.Mode `json:"id"`
	Label string      `json:"label"`
}

// Result is the eligibility of one parcel version.
type Result struct {
	Code     string       `json:"code"`
	Eligible bool         `json:"eligible"`
	Status   string       `json:"status"`
	Modes    []Mode       `json:"modes"`
	Priority int          `json:"priority"`
	Rules    []RuleResult `json:"rules"`
	// Warnings are what an eligible parcel needs before a contract (a mortgage: the lender's
	// consent); they do not rule it out.
	Warnings []RuleResult `json:"warnings"`
	// OtherModes are the modes the policy allows for a parcel that is no buyout candidate only
	// because of who holds it (the collective's own forest: lease, custody, equity).
	OtherModes []Mode `json:"other_modes"`
	// Estimate is the indicative price (E = W − C − F plus land rent); nil when not eligible.
	Estimate *policy.Estimate `json:"estimate,omitempty"`
	// PriorityShare and PriorityMu are the parcel's part inside the pilot areas.
	PriorityShare float64 `json:"priority_zone_share"`
	PriorityMu    float64 `json:"priority_zone_mu"`
}

// Failed lists the IDs of the rules that failed.
func (r *Result) Failed() []string {
	var ids []string
	for _, rr := range r.Rules {
		if !rr.Passed {
			ids = append(ids, rr.ID)
		}
	}
	return ids
}

// Evaluate applies the policy's eligibility rules to a parcel.
func Evaluate(pol *policy.Policy, p *facts.Parcel) Result {
	el := &pol.Eligibility
	res := Result{Code: p.Code}
	f := p.Facts()

	// 1. Tree ownership: the state does not buy its own forest.
	class := pol.OwnershipClass(p.LMQS)
	rank, okOwner := el.OwnershipClasses[class]
	label := codeLabel(p.LMQS, class)
	switch {
	case p.LMQS == "":
		res.add(RuleOwnership, false, "tree ownership (LM_QS) is not recorded, so eligibility cannot be established",
			"未记录林木权属（LM_QS），无法判定是否可赎买")
	case !okOwner && class == "state":
		res.add(RuleOwnership, false, fmt.Sprintf("trees are state-owned (%s): the forest is already in state hands and is not bought out", label),
			fmt.Sprintf("林木为国有（LM_QS %s），已属国家所有，不纳入赎买", p.LMQS))
	case !okOwner && class == "collective":
		res.add(RuleOwnership, false, fmt.Sprintf("trees are held and managed by the collective itself (%s): collective forest is public, outside the pilot's buyout of non-public forest (非公有森林赎买)", label),
			fmt.Sprintf("林木为集体所有、集体经营（LM_QS %s），属公有林，不在非公有森林赎买范围内", p.LMQS))
	case !okOwner:
		res.add(RuleOwnership, false, fmt.Sprintf("trees are owned by class %s (%s), which the policy does not make eligible", orUnknown(class), label),
			fmt.Sprintf("林木权属类别 %s（LM_QS %s）不在政策可赎买范围内", orUnknown(class), p.LMQS))
	default:
		res.add(RuleOwnership, true, fmt.Sprintf("trees are %s (%s): non-public forest (非公有), eligible owners of rank %d (1 comes first)", ownedBy(class), label, rank),
			fmt.Sprintf("林木权属为%s（LM_QS %s），属非公有林，可赎买，优先序 %d", ownerZh(class), p.LMQS, rank))
	}

	// 2. Commercial forest: public-welfare forest is already compensated.
	switch {
	case p.SenLinLB == "":
		res.add(RuleCategory, false, "the forest category (SEN_LIN_LB) is not recorded", "未记录森林类别（SEN_LIN_LB）")
	case slices.Contains(el.ForestCategories, p.SenLinLB):
		res.add(RuleCategory, true, fmt.Sprintf("%s (%s) is commercial forest", categoryName(p.SenLinLB), p.SenLinLB),
			fmt.Sprintf("森林类别为%s（%s），属商品林", categoryZh(p.SenLinLB), p.SenLinLB))
	default:
		res.add(RuleCategory, false, fmt.Sprintf("%s (%s) is not commercial forest; public-welfare forest is already compensated by the public-welfare subsidy", categoryName(p.SenLinLB), p.SenLinLB),
			fmt.Sprintf("森林类别为%s（%s），不是商品林；公益林已享受生态效益补偿", categoryZh(p.SenLinLB), p.SenLinLB))
	}

	// 3. Inside a priority area, by share or by area.
	var inPriority []facts.Overlap
	for _, o := range p.Overlaps {
		for _, s := range el.PilotAreas {
			if s.Contains(o.AreaKind, o.AreaLevel, o.ZoneKind) {
				inPriority = append(inPriority, o)
				break
			}
		}
	}
	sort.SliceStable(inPriority, func(i, j int) bool { return inPriority[i].Share > inPriority[j].Share })
	for _, o := range inPriority {
		res.PriorityShare += o.Share
		res.PriorityMu += o.Mu()
	}
	res.PriorityShare = math.Min(res.PriorityShare, 1)
	minShare, minMu := el.MinOverlapShare.Float64(), el.MinOverlapMu.Float64()
	shareOK, muOK := res.PriorityShare >= minShare, res.PriorityMu >= minMu
	passed := shareOK || muOK
	if el.OverlapTest == policy.OverlapBoth {
		passed = shareOK && muOK
	}
	join := "or"
	if el.OverlapTest == policy.OverlapBoth {
		join = "and"
	}
	threshold := fmt.Sprintf("threshold %s %% %s %s 亩", pct(minShare), join, el.MinOverlapMu.String())
	joinZh := "或"
	if el.OverlapTest == policy.OverlapBoth {
		joinZh = "且"
	}
	thresholdZh := fmt.Sprintf("%s%% %s %s 亩", pct(minShare), joinZh, el.MinOverlapMu.String())
	if len(inPriority) == 0 {
		res.add(RulePriority, false, "the parcel lies in no pilot area ("+areaList(el.PilotAreas, false)+")",
			"小班不在任何试点区域内（"+areaList(el.PilotAreas, true)+"）")
	} else {
		where, whereZh := inPriority[0].Where(), inPriority[0].WhereZh()
		if len(inPriority) > 1 {
			where += fmt.Sprintf(" and %d other pilot-area zone(s)", len(inPriority)-1)
			whereZh += fmt.Sprintf("等 %d 个试点区域分区", len(inPriority))
		}
		verb, verbZh := "meets", "达到"
		if !passed {
			verb, verbZh = "is below", "低于"
		}
		res.add(RulePriority, passed, fmt.Sprintf("%s %% of the parcel (%.2f 亩) lies in %s, which %s the %s",
			pct(res.PriorityShare), res.PriorityMu, where, verb, threshold),
			fmt.Sprintf("小班 %s%%（%.2f 亩）位于%s，%s %s 的门槛", pct(res.PriorityShare), res.PriorityMu, whereZh, verbZh, thresholdZh))
	}

	// 4. Not already bought out, no open case or dispute; a mortgage only warns.
	var blocking, blockingZh []string
	if slices.Contains(p.Agreements, policy.ModeBuyout) {
		blocking = append(blocking, "has a signed buyout agreement: the trees are already in state hands")
		blockingZh = append(blockingZh, "已签订赎买协议，林木已归国家")
	}
	for _, fl := range p.Flags {
		switch {
		case slices.Contains(el.ExcludedStatuses, fl):
			blocking = append(blocking, flagText(fl))
			blockingZh = append(blockingZh, flagZh(fl))
		case slices.Contains(el.WarningStatuses, fl):
			res.Warnings = append(res.Warnings, RuleResult{ID: fl, Passed: true, Detail: warningText(fl), DetailZh: warningZh(fl)})
		}
	}
	switch {
	case len(blocking) > 0:
		res.add(RuleStatus, false, "the parcel "+strings.Join(blocking, " and "), "小班"+strings.Join(blockingZh, "，"))
	case len(res.Warnings) > 0:
		var w, wz []string
		for _, x := range res.Warnings {
			w, wz = append(w, x.Detail), append(wz, x.DetailZh)
		}
		res.add(RuleStatus, true, "no active buyout case or dispute is recorded; but "+strings.Join(w, "; "),
			"未登记在办赎买案件或权属争议；但"+strings.Join(wz, "；"))
	default:
		res.add(RuleStatus, true, "no active buyout case, dispute or mortgage is recorded", "未登记在办赎买案件、权属争议或抵押")
	}
	if res.Warnings == nil {
		res.Warnings = []RuleResult{}
	}

	res.Eligible = len(res.Failed()) == 0
	switch {
	case slices.Contains(p.Flags, "active_case"):
		res.Status = StatusInCase
	case res.Eligible:
		res.Status = StatusEligible
	case p.SenLinLB == "011" || p.SenLinLB == "012":
		res.Status = StatusPublicWelfare
	default:
		res.Status = StatusOther
	}
	res.Modes, res.OtherModes = []Mode{}, []Mode{}
	if !res.Eligible {
		// Out of the buyout scope only by who holds the forest: the modes the policy still allows.
		if failed := res.Failed(); len(failed) == 1 && failed[0] == RuleOwnership && p.LMQS != "" {
			if rule, ok := pol.OtherModesFor(f); ok {
				var names, namesZh []string
				for _, m := range rule.Modes {
					res.OtherModes = append(res.OtherModes, Mode{ID: m, Label: m.Label()})
					names, namesZh = append(names, string(m)+" "+m.Label()), append(namesZh, m.Label())
				}
				r := &res.Rules[0]
				r.Detail += "; the policy allows " + strings.Join(names, ", ") + " instead (rule " + rule.ID + ")"
				r.DetailZh += "；政策允许以" + strings.Join(namesZh, "、") + "方式流转"
			}
		}
		return res
	}
	if rule, ok := pol.ModesFor(f); ok {
		for _, m := range rule.Modes {
			res.Modes = append(res.Modes, Mode{ID: m, Label: m.Label()})
		}
	}
	res.Priority = priority(pol, p, rank, inPriority, res.PriorityShare)
	stock := p.XuJi
	if stock == nil {
		stock = new(big.Rat)
	}
	est := pol.Valuation.Estimate(p.Species, p.LingZu, stock, p.LegalMu(), 0)
	res.Estimate = &est
	return res
}

// priority is the score (0–100) of an eligible parcel: planted over natural, mature first, core
// over buffer, larger overlap first, individual before collective.
func priority(pol *policy.Policy, p *facts.Parcel, rank int, in []facts.Overlap, share float64) int {
	w := pol.Eligibility.Weights
	score := w.Origin[pol.OriginClass(p.QiYuan)] + w.AgeGroup[p.LingZu] + w.OwnershipRank[rank]
	best := 0
	for _, o := range in {
		best = max(best, w.Zone[o.ZoneKind])
	}
	score += best + int(math.Round(float64(w.Overlap)*share))
	return min(score, 100)
}

// areaList names the pilot areas for a sentence: "nature_reserve (core, buffer, …); wetland_park (…)".
func areaList(sets []policy.ZoneSet, zh bool) string {
	var parts []string
	for _, s := range sets {
		var kinds []string
		for _, zk := range s.ZoneKinds {
			kinds = append(kinds, zoneKindName(zk, zh))
		}
		if zh {
			parts = append(parts, areaKindZh(s.AreaKind)+"："+strings.Join(kinds, "、"))
		} else {
			parts = append(parts, strings.ReplaceAll(s.AreaKind, "_", " ")+": "+strings.Join(kinds, ", "))
		}
	}
	if zh {
		return strings.Join(parts, "；")
	}
	return strings.Join(parts, "; ")
}

func zoneKindName(zk string, zh bool) string {
	k, ok := policy.ZoneKindOf(zk)
	switch {
	case !ok:
		return zk
	case zh:
		return k.LabelZh
	}
	return k.LabelEn
}

func areaKindZh(kind string) string {
	switch kind {
	case "nature_reserve":
		return "自然保护区"
	case "wetland_park":
		return "湿地公园"
	case "water_source":
		return "饮用水水源保护区"
	case "scenic_area":
		return "风景名胜区"
	}
	return kind
}

func warningText(flag string) string {
	if flag == "mortgaged" {
		return "the forest right is mortgaged: a transfer needs the lender's (抵押权人) written consent, and the mortgage must be settled or carried over in the contract"
	}
	return "the parcel has status " + flag + ", which needs attention before a contract"
}

func warningZh(flag string) string {
	if flag == "mortgaged" {
		return "林权已抵押：流转须经抵押权人书面同意，并在合同中约定清偿或承接抵押"
	}
	return "小班状态为 " + flag + "，签约前须处理"
}

func (r *Result) add(id string, passed bool, detail, detailZh string) {
	r.Rules = append(r.Rules, RuleResult{ID: id, Passed: passed, Detail: detail, DetailZh: detailZh})
}

func pct(share float64) string {
	return strings.TrimSuffix(strings.TrimSuffix(fmt.Sprintf("%.1f", share*100), "0"), ".")
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func ownedBy(class string) string {
	switch class {
	case "individual":
		return "individually owned"
	case "collective":
		return "held by the collective"
	case "enterprise":
		return "owned by an enterprise"
	case "partnership":
		return "owned by a partnership of households"
	}
	return "owned by class " + class
}

func codeLabel(code, class string) string { return "LM_QS " + code + " " + class }

func categoryName(code string) string {
	switch code {
	case "011":
		return "重点公益林 key public-welfare forest"
	case "012":
		return "一般公益林 ordinary public-welfare forest"
	case "021":
		return "重点商品林 key commercial forest"
	case "022":
		return "一般商品林 ordinary commercial forest"
	}
	return "category"
}

func ownerZh(class string) string {
	switch class {
	case "individual":
		return "个人"
	case "collective":
		return "集体"
	case "enterprise":
		return "企业"
	case "partnership":
		return "联户合作"
	}
	return class
}

func categoryZh(code string) string {
	switch code {
	case "011":
		return "重点公益林"
	case "012":
		return "一般公益林"
	case "021":
		return "重点商品林"
	case "022":
		return "一般商品林"
	}
	return "未知类别"
}

func flagZh(flag string) string {
	switch flag {
	case "active_case":
		return "已在赎买办理中"
	case "disputed":
		return "存在权属争议"
	case "mortgaged":
		return "已抵押"
	}
	return "状态为 " + flag
}

func flagText(flag string) string {
	switch flag {
	case "active_case":
		return "is already in an active buyout case"
	case "disputed":
		return "is under an ownership dispute"
	case "mortgaged":
		return "is mortgaged"
	}
	return "has status " + flag
}
