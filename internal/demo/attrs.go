package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
)

// The drawing of parcel attributes, in Go and from the seed alone: store.go reads what it needs
// from the tessellation (areas, zones) and writes the result; owners.go gives each parcel its owner.

// Attribute mixes of the demo parcels. Codes are those of code_dictionary scheme '2020'; shares
// are rough figures for a hilly subtropical county where public-welfare forest covers about 45 %.

// cover is what grows on a parcel: a species code for arbor land, or a land type without one.
type cover struct {
	diLei   string
	species string // YOU_SHI_SZ, "" for none
	group   string // stock group in seeds/demo/stock.csv, "" for no stock
}

var (
	coverFir      = cover{"030100", "310000", "fir"}
	coverCedar    = cover{"030100", "350000", "fir"}
	coverPine     = cover{"030100", "220000", "pine"}
	coverSlash    = cover{"030100", "230000", "pine"}
	coverBroad    = cover{"030100", "620000", "broadleaf"}
	coverMixed    = cover{"030100", "610000", "mixed"}
	coverOak      = cover{"030100", "410000", "broadleaf"}
	coverSchima   = cover{"030100", "530000", "broadleaf"}
	coverOilTea   = cover{"030100", "751000", "economic"}
	coverBamboo   = cover{"030200", "660000", ""}
	coverTea      = cover{"030301", "755000", ""}
	coverShrub    = cover{"030302", "", ""}
	coverSparse   = cover{"030401", "220000", "pine"}
	coverUnclosed = cover{"030402", "310000", ""}
	coverCutover  = cover{"030403", "", ""}
	coverNursery  = cover{"030404", "", ""}
	commercialMix = []cover{coverFir, coverPine, coverSlash, coverCedar, coverBroad, coverMixed, coverOak, coverSchima, coverOilTea, coverBamboo, coverTea, coverSparse, coverUnclosed, coverCutover, coverNursery}
	commercialWts = []float64{0.34, 0.14, 0.03, 0.02, 0.07, 0.05, 0.02, 0.02, 0.09, 0.11, 0.05, 0.01, 0.03, 0.015, 0.005}
	welfareMix    = []cover{coverBroad, coverMixed, coverPine, coverFir, coverOak, coverSchima, coverCedar, coverBamboo, coverShrub, coverSparse}
	welfareWts    = []float64{0.34, 0.18, 0.14, 0.11, 0.07, 0.06, 0.02, 0.04, 0.03, 0.01}
	ageWeights    = map[string][]float64{"fir": {.18, .32, .25, .18, .07}, "pine": {.10, .30, .28, .22, .10}, "broadleaf": {.08, .25, .27, .25, .15}, "mixed": {.10, .27, .27, .24, .12}}
)

// parcelAttrs is one generated parcel row before it meets its geometry.
type parcelAttrs struct {
	id                                                     int
	code                                                   string
	diLei, ldQS, lmQS, senLinLB, shiQuanD, gjgylBHDJ, bhDJ string
	linZhong, qiYuan, species, lingZu, xuJi                string
	owner                                                  *ownerRow
}

// parcelFacts is what the drawing knows of a tessellated parcel, and what it works out first.
type parcelFacts struct {
	seed     *parcelSeed
	areaHa   float64
	areaKind string // zone the parcel's interior point lies in, "" when none
	zoneKind string
	score    float64 // public-welfare propensity
	score2   float64 // key-commercial propensity
}

func (f parcelFacts) inReserve() bool { return f.areaKind == "nature_reserve" }
func (f parcelFacts) inWetland() bool { return f.areaKind == "wetland_park" }

// isWelfare says whether a forest category (SEN_LIN_LB) is public-welfare forest.
func isWelfare(category string) bool { return category == "011" || category == "012" }

// attributes draws every parcel's attributes: spatially coherent (smooth fields over the county,
// shared draws within a compartment) and consistent with each other; the owner comes after, from
// the owner book.
func (g *gen) attributes(facts []parcelFacts) []parcelAttrs {
	comps := compartments{g: g, m: map[[2]int]compDraw{}}
	g.propensities(facts, comps)
	category := forestCategories(facts)
	out := make([]parcelAttrs, len(facts))
	for i, f := range facts {
		out[i] = g.drawParcel(f, category[i], comps.of(f.seed))
	}
	return out
}

// compDraw is what the parcels of one compartment (林班) share: normal draws that lean its
// propensities, uniform ones that pick its cover, age group and land ownership.
type compDraw struct{ welfare, key, cover, age, ld float64 }

// compartments draws each compartment's compDraw once, from the compartment's own stream.
type compartments struct {
	g *gen
	m map[[2]int]compDraw
}

func (cs compartments) of(s *parcelSeed) compDraw {
	k := [2]int{s.Village.Label, s.LinBan}
	if c, ok := cs.m[k]; ok {
		return c
	}
	r := stream(cs.g.seed, "compartment", int64(k[0]), int64(k[1]), int64(cs.g.opt.Parcels))
	c := compDraw{r.NormFloat64(), r.NormFloat64(), r.Float64(), r.Float64(), r.Float64()}
	cs.m[k] = c
	return c
}

// propensities sets every parcel's scores: the mountains of the north and east and the protected
// areas lean public-welfare.
func (g *gen) propensities(facts []parcelFacts, comps compartments) {
	pw := newField(g.seed, "welfare", 7000)
	pw2 := newField(g.seed, "key-commercial", 5000)
	mid := g.county.box.Center()
	height := g.county.box.Top() - g.county.box.Bottom()
	for i := range facts {
		f := &facts[i]
		p := f.seed.P
		c := comps.of(f.seed)
		north := (p.Y() - mid.Y()) / height
		f.score = pw.At(p.X(), p.Y())*1.2 + 0.9*north + 0.45*c.welfare + 0.3*stream(g.seed, "pw-noise", int64(f.seed.ID)).NormFloat64()
		f.score2 = pw2.At(p.X(), p.Y()) + 0.5*c.key
	}
}

// forestCategories gives each parcel its forest category (SEN_LIN_LB) by area-weighted quantile
// thresholds on the propensities, separately inside and outside the protected areas, so that the
// county totals come near 011 30 %, 012 15 %, 021 10 %, 022 45 % and 25–35 % of the
// protected-area parcels stay commercial (the buyout candidates).
func forestCategories(facts []parcelFacts) []string {
	var inA, allA float64
	for _, f := range facts {
		allA += f.areaHa
		if f.areaKind != "" {
			inA += f.areaHa
		}
	}
	outA := allA - inA
	inShare := map[string]float64{"011": 0.50, "012": 0.20, "021": 0.07, "022": 0.23}
	outShare := map[string]float64{}
	for k, overall := range map[string]float64{"011": 0.30, "012": 0.15, "021": 0.10, "022": 0.45} {
		if outA > 0 {
			outShare[k] = math.Max(0.01, (overall*allA-inShare[k]*inA)/outA)
		}
	}
	category := make([]string, len(facts))
	for _, inside := range []bool{true, false} {
		share := outShare
		if inside {
			share = inShare
		}
		var idx []int
		for i, f := range facts {
			if (f.areaKind != "") == inside {
				idx = append(idx, i)
			}
		}
		categorise(facts, idx, share, category)
	}
	return category
}

// categorise sets the category of the parcels idx: public-welfare (011, 012) by falling
// public-welfare propensity up to their shares of the area, the rest key (021) or general (022)
// commercial by falling key-commercial propensity.
func categorise(facts []parcelFacts, idx []int, share map[string]float64, category []string) {
	tot := 0.0
	for _, i := range idx {
		tot += facts[i].areaHa
	}
	sort.SliceStable(idx, func(a, b int) bool { return facts[idx[a]].score > facts[idx[b]].score })
	norm := share["011"] + share["012"] + share["021"] + share["022"]
	cum := 0.0
	var commercial []int
	for _, i := range idx {
		x := cum / tot * norm
		cum += facts[i].areaHa
		switch {
		case x < share["011"]:
			category[i] = "011"
		case x < share["011"]+share["012"]:
			category[i] = "012"
		default:
			commercial = append(commercial, i)
		}
	}
	ctot := 0.0
	for _, i := range commercial {
		ctot += facts[i].areaHa
	}
	sort.SliceStable(commercial, func(a, b int) bool { return facts[commercial[a]].score2 > facts[commercial[b]].score2 })
	cum = 0
	keyShare := share["021"] / (share["021"] + share["022"])
	for _, i := range commercial {
		if cum/math.Max(ctot, 1e-9) < keyShare {
			category[i] = "021"
		} else {
			category[i] = "022"
		}
		cum += facts[i].areaHa
	}
}

// drawParcel draws one parcel's attributes from the parcel's own stream, always in the same
// order (cover, origin, stand, use, ownership), so that a seed gives the same parcels.
func (g *gen) drawParcel(f parcelFacts, category string, c compDraw) parcelAttrs {
	s := f.seed
	r := stream(g.seed, "parcel-attrs", int64(s.ID), int64(g.opt.Parcels))
	a := parcelAttrs{id: s.ID, code: fmt.Sprintf("%s%04d%05d", s.Village.Code, s.LinBan, s.XiaoBan), senLinLB: category}
	welfare := isWelfare(category)
	cv := drawCover(r, welfare, c)
	a.diLei, a.species = cv.diLei, cv.species
	a.qiYuan = drawOrigin(r, cv)
	a.lingZu, a.xuJi = g.drawStand(r, cv, c, f.areaHa)
	if welfare {
		a.linZhong, a.shiQuanD, a.gjgylBHDJ = drawWelfareUse(r, f, category)
	} else {
		a.linZhong = drawCommercialUse(r, cv, a.qiYuan)
	}
	a.bhDJ = protectionGrade(f, &a)
	a.ldQS, a.lmQS = drawOwnership(r, s.Village, c, welfare)
	return a
}

// drawCover picks what grows: the compartment's own cover wins half the time, so neighbours
// look alike.
func drawCover(r *rand.Rand, welfare bool, c compDraw) cover {
	mix, wts := commercialMix, commercialWts
	if welfare {
		mix, wts = welfareMix, welfareWts
	}
	if r.Float64() < 0.55 {
		return mix[quantile(wts, c.cover)]
	}
	return mix[pick(r, wts)]
}

// drawOrigin picks the stand's origin (QI_YUAN), "" for land without one.
func drawOrigin(r *rand.Rand, cv cover) string {
	var o string
	switch cv.species {
	case "620000", "610000", "410000", "530000":
		o = pickStr(r, []string{"11", "12", "13", "21"}, []float64{.58, .15, .17, .10})
	case "310000":
		o = pickStr(r, []string{"21", "24", "13"}, []float64{.85, .10, .05})
	case "220000":
		o = pickStr(r, []string{"21", "23", "11", "22"}, []float64{.45, .25, .25, .05})
	case "660000":
		o = pickStr(r, []string{"21", "11"}, []float64{.55, .45})
	case "230000", "350000", "751000", "755000":
		o = "21"
	case "":
		if cv == coverShrub {
			o = pickStr(r, []string{"11", "13"}, []float64{.6, .4})
		}
	}
	if cv == coverSparse {
		o = pickStr(r, []string{"11", "13", "23"}, []float64{.5, .3, .2})
	}
	return o
}

// drawStand draws the age group (LING_ZU) and stock (XU_JI, m³) of arbor stands. Economic forest
// (oil-tea, tea) has neither an age group nor a timber volume: its yield is fruit or leaves, and
// the inventory records no XU_JI for it (it used to get one from the stock table's "economic" row).
func (g *gen) drawStand(r *rand.Rand, cv cover, c compDraw, areaHa float64) (lingZu, xuJi string) {
	if ws, ok := ageWeights[cv.group]; ok {
		age := quantile(ws, c.age)
		if r.Float64() >= 0.5 {
			age = pick(r, ws)
		}
		perHa := g.data.Stock[cv.group][age]
		if cv == coverSparse {
			perHa *= 0.25
		}
		return fmt.Sprint(age + 1), fmt.Sprintf("%.1f", perHa*areaHa*(0.75+0.5*r.Float64()))
	}
	if cv == coverUnclosed || cv == coverCutover || cv == coverNursery {
		return "", "0.0"
	}
	return "", ""
}

// drawWelfareUse draws the use type (LIN_ZHONG), the public-welfare rank (SHI_QUAN_D) and the
// national grade (GJGYL_BHDJ) of public-welfare forest.
func drawWelfareUse(r *rand.Rand, f parcelFacts, category string) (linZhong, shiQuanD, grade string) {
	switch {
	case f.inReserve():
		linZhong = "127"
	case f.inWetland():
		linZhong = "115"
	default:
		linZhong = pickStr(r, []string{"111", "112", "117", "125", "123"}, []float64{.60, .26, .05, .07, .02})
	}
	if category == "011" {
		shiQuanD = pickStr(r, []string{"1", "2"}, []float64{.75, .25})
	} else {
		shiQuanD = pickStr(r, []string{"3", "2"}, []float64{.7, .3})
	}
	// Only national public-welfare forest has a national grade (GJGYL_BHDJ). The grading
	// criteria put the forest land of a national nature reserve — all of it, the experimental
	// zone too — in grade 1 (migration 00019 cites the text read); outside, the steep, headwater
	// ground (a high welfare propensity) is grade 1, the rest 2.
	if shiQuanD == "1" {
		grade = "2"
		if f.inReserve() || f.score > 1.2 {
			grade = "1"
		}
	}
	return linZhong, shiQuanD, grade
}

// drawCommercialUse draws the use type (LIN_ZHONG) of commercial forest. Economic forest is 25x
// and energy forest 240 in the county tables read (migration 00021); the dictionary used to put
// economic forest at 24x and call 255 energy forest.
func drawCommercialUse(r *rand.Rand, cv cover, qiYuan string) string {
	switch cv.species {
	case "751000":
		return "252" // 食用原料林: oil-tea yields edible oil
	case "755000":
		return "255" // 其他经济林
	case "660000":
		return "233"
	case "310000", "220000", "230000", "350000":
		return pickStr(r, []string{"233", "232", "231"}, []float64{.65, .25, .10})
	case "410000":
		// Coppiced oak is the county's fuelwood stand: energy forest (240) is what it is. Every
		// other broadleaf commercial stand grows timber (233); one in five of them used to be
		// drawn as energy forest whatever its origin.
		if qiYuan == "13" {
			return "240"
		}
		return "233"
	case "620000", "610000", "530000":
		return "233"
	}
	if cv == coverNursery {
		return ""
	}
	return "233"
}

// protectionGrade is the forest-land protection grade (BH_DJ) as the planning standard grades it
// (migration 00019): Ⅰ the reserve's core and buffer (core_protection after the reform); Ⅱ its
// experimental or general-control zone and national public-welfare forest elsewhere (the wetland
// park's conservation zone too, the demo's judgment); Ⅲ local public-welfare forest and key
// commercial (timber-base) forest, and the rest of the wetland park; Ⅳ the other forest land. It
// used to put the general-control zone in Ⅰ and provincial 重点公益林 in Ⅱ.
func protectionGrade(f parcelFacts, a *parcelAttrs) string {
	reserveCore := f.inReserve() && (f.zoneKind == "core" || f.zoneKind == "buffer" || f.zoneKind == "core_protection")
	switch {
	case reserveCore:
		return "1"
	case f.inReserve() || (f.inWetland() && f.zoneKind == "conservation") || a.shiQuanD == "1":
		return "2"
	case isWelfare(a.senLinLB) || a.senLinLB == "021" || f.inWetland():
		return "3"
	}
	return "4"
}

// drawOwnership draws the ownership of the land (LD_QS) and of the trees (LM_QS): most land of a
// state-forest-farm village is state land; elsewhere the compartment's land ownership wins most
// of the time, and enterprises hold trees only in their villages and outside public-welfare forest.
func drawOwnership(r *rand.Rand, v *village, c compDraw, welfare bool) (ldQS, lmQS string) {
	if v.State && r.Float64() < 0.85 {
		return "10", "10"
	}
	ldQS = []string{"21", "22", "23"}[quantile([]float64{.76, .06, .18}, c.ld)]
	if r.Float64() >= 0.7 {
		ldQS = pickStr(r, []string{"21", "22", "23"}, []float64{.76, .06, .18})
	}
	ent := v.Enterprise >= 0 && !welfare
	switch ldQS {
	case "21":
		lmQS = pickStr(r, []string{"30", "40", "20", "50"}, []float64{.87, b2f(ent) * .35, .05, .02})
	case "22":
		lmQS = pickStr(r, []string{"50", "30"}, []float64{.65, .35})
	case "23":
		lmQS = pickStr(r, []string{"20", "40", "30"}, []float64{.75, b2f(ent) * .3, .05})
	}
	return ldQS, lmQS
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// quantile maps u in [0,1) to the index whose cumulative weight first exceeds it.
func quantile(weights []float64, u float64) int {
	total := 0.0
	for _, w := range weights {
		total += w
	}
	x := u * total
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}

func pickStr(r *rand.Rand, vals []string, weights []float64) string {
	return vals[pick(r, weights)]
}
