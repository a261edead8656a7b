package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/wuyuan-forestry/ecocomp/internal/pii"
)

// Attribute mixes of the demo parcels. Codes are those of code_dictionary scheme '2020'; shares
// are rough figures for a hilly subtropical county where public-welfare forest covers about 45 %.

// cover is what grows on a parcel: a species code for arbor land, or a land type without one.
type cover struct {
	diLei   string
	species string // YOU_SHI_SZ, "" for none
	group   string // stock group in seeds/demo/stock.csv, "" for no stock
}

var (
	coverFir       = cover{"030100", "310000", "fir"}
	coverCedar     = cover{"030100", "350000", "fir"}
	coverPine      = cover{"030100", "220000", "pine"}
	coverSlash     = cover{"030100", "230000", "pine"}
	coverBroad     = cover{"030100", "620000", "broadleaf"}
	coverMixed     = cover{"030100", "610000", "mixed"}
	coverOak       = cover{"030100", "410000", "broadleaf"}
	coverSchima    = cover{"030100", "530000", "broadleaf"}
	coverOilTea    = cover{"030100", "751000", "economic"}
	coverBamboo    = cover{"030200", "660000", ""}
	coverTea       = cover{"030301", "755000", ""}
	coverShrub     = cover{"030302", "", ""}
	coverSparse    = cover{"030401", "220000", "pine"}
	coverUnclosed  = cover{"030402", "310000", ""}
	coverCutover   = cover{"030403", "", ""}
	coverNursery   = cover{"030404", "", ""}
	commercialMix  = []cover{coverFir, coverPine, coverSlash, coverCedar, coverBroad, coverMixed, coverOak, coverSchima, coverOilTea, coverBamboo, coverTea, coverSparse, coverUnclosed, coverCutover, coverNursery}
	commercialWts  = []float64{0.34, 0.14, 0.03, 0.02, 0.07, 0.05, 0.02, 0.02, 0.09, 0.11, 0.05, 0.01, 0.03, 0.015, 0.005}
	welfareMix     = []cover{coverBroad, coverMixed, coverPine, coverFir, coverOak, coverSchima, coverCedar, coverBamboo, coverShrub, coverSparse}
	welfareWts     = []float64{0.34, 0.18, 0.14, 0.11, 0.07, 0.06, 0.02, 0.04, 0.03, 0.01}
	ageWeights     = map[string][]float64{"fir": {.18, .32, .25, .18, .07}, "pine": {.10, .30, .28, .22, .10}, "broadleaf": {.08, .25, .27, .25, .15}, "mixed": {.10, .27, .27, .24, .12}}
	householdSizes = []float64{.22, .22, .18, .13, .09, .07, .05, .04} // parcels per household, 1..8
)

// parcelAttrs is one generated parcel row before it meets its geometry.
type parcelAttrs struct {
	id                                                     int
	code                                                   string
	diLei, ldQS, lmQS, senLinLB, shiQuanD, gjgylBHDJ, bhDJ string
	linZhong, qiYuan, species, lingZu, xuJi                string
	owner                                                  *ownerRow
}

type parcelFacts struct {
	seed     *parcelSeed
	areaHa   float64
	areaKind string // zone the parcel's interior point lies in, "" when none
	zoneKind string
	score    float64 // public-welfare propensity
	score2   float64 // key-commercial propensity
}

// storeParcels generates owners and parcel attributes in Go and writes both, with the parcel
// geometry reprojected to EPSG:4490.
func (g *gen) storeParcels() error {
	owners := newOwnerBook(g)
	if len(g.parcels) == 0 {
		if err := g.writeOwners(owners); err != nil {
			return err
		}
		g.progress("owners: %d", len(owners.rows))
		return nil
	}
	facts := make([]parcelFacts, len(g.parcels))
	rows, err := g.tx.Query(g.ctx, `SELECT p.id, ST_Area(p.geom), coalesce(z.area_kind, ''), coalesce(z.zone_kind, '')
		FROM d_parcel p LEFT JOIN LATERAL (SELECT area_kind, zone_kind FROM d_zone z
			WHERE ST_Intersects(z.geom, ST_PointOnSurface(p.geom)) ORDER BY area_kind, zone_kind LIMIT 1) z ON true
		ORDER BY p.id`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id int
		var a float64
		var ak, zk string
		if err := rows.Scan(&id, &a, &ak, &zk); err != nil {
			rows.Close()
			return err
		}
		facts[id-1] = parcelFacts{seed: g.parcels[id-1], areaHa: a / 1e4, areaKind: ak, zoneKind: zk}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	attrs := g.attributes(facts, owners)
	if err := g.writeOwners(owners); err != nil {
		return err
	}
	// The inventory fields of the registry (fields.go), drawn as text.
	if err := g.exec(`CREATE TEMP TABLE d_pattr (id int, code text, ` + fieldList("%s text", "%s text") + `,
		owner_kind text, owner_hash bytea) ON COMMIT DROP`); err != nil {
		return err
	}
	i := 0
	nz := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	fields := storedFields()
	cols := []string{"id", "code"}
	for _, f := range fields {
		cols = append(cols, f.Property)
	}
	if _, err := g.tx.CopyFrom(g.ctx, pgx.Identifier{"d_pattr"}, append(cols, "owner_kind", "owner_hash"),
		pgx.CopyFromFunc(func() ([]any, error) {
			if i >= len(attrs) {
				return nil, nil
			}
			a := attrs[i]
			i++
			row := []any{int32(a.id), a.code}
			for _, f := range fields {
				row = append(row, nz(a.fieldValue(f.Code)))
			}
			return append(row, a.owner.kind, a.owner.hash), nil
		})); err != nil {
		return err
	}
	if err := g.exec(`CREATE TEMP TABLE d_parcel4490 ON COMMIT DROP AS SELECT id, ST_Multi(ST_Transform(geom, 4490)) AS geom FROM d_parcel`); err != nil {
		return err
	}
	tag, err := g.tx.Exec(g.ctx, `UPDATE d_parcel4490 SET geom = ST_Multi(ST_CollectionExtract(ST_MakeValid(geom), 3)) WHERE NOT ST_IsValid(geom)`)
	if err != nil {
		return err
	}
	if tag.RowsAffected() > 0 {
		g.progress("parcels repaired after reprojection: %d", tag.RowsAffected())
	}
	tag, err = g.tx.Exec(g.ctx, `INSERT INTO parcel (code, xian, xiang, cun, lin_ban, xiao_ban, mian_ji, code_scheme,
			`+fieldList("%s", "%s")+`, owner_id, demo, geom, valid_from, batch_id)
		SELECT a.code, substr(a.code, 1, 6), substr(a.code, 7, 3), substr(a.code, 10, 3), substr(a.code, 13, 4), substr(a.code, 17, 5),
			round((ST_Area(ST_Transform(p.geom, 4548)) / 10000)::numeric, 4), '2020', `+fieldList("a.%s", "a.%s::numeric")+`,
			o.id, true, p.geom, $1::timestamptz, $2
		FROM d_pattr a JOIN d_parcel4490 p ON p.id = a.id
		JOIN owner o ON o.demo AND o.kind = a.owner_kind AND o.id_number_hash = a.owner_hash
		ORDER BY a.code`, validFrom, g.batchID)
	if err != nil {
		return err
	}
	if int(tag.RowsAffected()) != len(attrs) {
		return fmt.Errorf("stored %d of %d parcels", tag.RowsAffected(), len(attrs))
	}
	g.progress("owners: %d; parcels stored: %d", len(owners.rows), len(attrs))
	return nil
}

// attributes draws every parcel's attributes: spatially coherent (smooth fields over the county,
// shared draws within a compartment) and consistent with each other and with the owner.
func (g *gen) attributes(facts []parcelFacts, ob *ownerBook) []parcelAttrs {
	pw := newField(g.seed, "welfare", 7000)
	pw2 := newField(g.seed, "key-commercial", 5000)
	mid := g.county.box.Center()
	height := g.county.box.Top() - g.county.box.Bottom()
	compR := map[[2]int]*rand.Rand{}
	compRand := func(s *parcelSeed) *rand.Rand {
		k := [2]int{s.Village.Label, s.LinBan}
		if r, ok := compR[k]; ok {
			return r
		}
		r := stream(g.seed, "compartment", int64(k[0]), int64(k[1]), int64(g.opt.Parcels))
		compR[k] = r
		return r
	}
	type compDraw struct{ welfare, key, cover, age, ld float64 }
	comps := map[[2]int]compDraw{}
	compOf := func(s *parcelSeed) compDraw {
		k := [2]int{s.Village.Label, s.LinBan}
		if c, ok := comps[k]; ok {
			return c
		}
		r := compRand(s)
		c := compDraw{r.NormFloat64(), r.NormFloat64(), r.Float64(), r.Float64(), r.Float64()}
		comps[k] = c
		return c
	}
	// propensities: mountains of the north and east and the protected areas lean public-welfare.
	for i := range facts {
		f := &facts[i]
		p := f.seed.P
		c := compOf(f.seed)
		north := (p.Y() - mid.Y()) / height
		f.score = pw.At(p.X(), p.Y())*1.2 + 0.9*north + 0.45*c.welfare + 0.3*stream(g.seed, "pw-noise", int64(f.seed.ID)).NormFloat64()
		f.score2 = pw2.At(p.X(), p.Y()) + 0.5*c.key
	}
	// area-weighted quantile thresholds, separately inside and outside the protected areas, so
	// that the county totals come near 011 30 %, 012 15 %, 021 10 %, 022 45 % and 25–35 % of the
	// protected-area parcels stay commercial (the buyout candidates).
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
		tot := 0.0
		for i, f := range facts {
			if (f.areaKind != "") == inside {
				idx = append(idx, i)
				tot += f.areaHa
			}
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
	out := make([]parcelAttrs, len(facts))
	for i, f := range facts {
		s := f.seed
		r := stream(g.seed, "parcel-attrs", int64(s.ID), int64(g.opt.Parcels))
		c := compOf(s)
		a := &out[i]
		a.id = s.ID
		a.code = fmt.Sprintf("%s%04d%05d", s.Village.Code, s.LinBan, s.XiaoBan)
		a.senLinLB = category[i]
		welfare := a.senLinLB == "011" || a.senLinLB == "012"
		mix, wts := commercialMix, commercialWts
		if welfare {
			mix, wts = welfareMix, welfareWts
		}
		// the compartment's own cover wins half the time: neighbours look alike.
		var cv cover
		if r.Float64() < 0.55 {
			cv = mix[quantile(wts, c.cover)]
		} else {
			cv = mix[pick(r, wts)]
		}
		a.diLei, a.species = cv.diLei, cv.species
		// origin
		switch cv.species {
		case "620000", "610000", "410000", "530000":
			a.qiYuan = pickStr(r, []string{"11", "12", "13", "21"}, []float64{.58, .15, .17, .10})
		case "310000":
			a.qiYuan = pickStr(r, []string{"21", "24", "13"}, []float64{.85, .10, .05})
		case "220000":
			a.qiYuan = pickStr(r, []string{"21", "23", "11", "22"}, []float64{.45, .25, .25, .05})
		case "660000":
			a.qiYuan = pickStr(r, []string{"21", "11"}, []float64{.55, .45})
		case "230000", "350000", "751000", "755000":
			a.qiYuan = "21"
		case "":
			if cv == coverShrub {
				a.qiYuan = pickStr(r, []string{"11", "13"}, []float64{.6, .4})
			}
		}
		if cv == coverSparse {
			a.qiYuan = pickStr(r, []string{"11", "13", "23"}, []float64{.5, .3, .2})
		}
		// age group and stock for arbor stands. Economic forest (oil-tea, tea) has neither an age
		// group nor a timber volume: its yield is fruit or leaves, and the inventory records no
		// XU_JI for it (it used to get one from the stock table's "economic" row).
		if ws, ok := ageWeights[cv.group]; ok {
			age := quantile(ws, c.age)
			if r.Float64() >= 0.5 {
				age = pick(r, ws)
			}
			a.lingZu = fmt.Sprint(age + 1)
			perHa := g.data.Stock[cv.group][age]
			if cv == coverSparse {
				perHa *= 0.25
			}
			a.xuJi = fmt.Sprintf("%.1f", perHa*f.areaHa*(0.75+0.5*r.Float64()))
		} else if cv == coverUnclosed || cv == coverCutover || cv == coverNursery {
			a.xuJi = "0.0"
		}
		// use type
		inReserve, inWetland := f.areaKind == "nature_reserve", f.areaKind == "wetland_park"
		if welfare {
			switch {
			case inReserve:
				a.linZhong = "127"
			case inWetland:
				a.linZhong = "115"
			default:
				a.linZhong = pickStr(r, []string{"111", "112", "117", "125", "123"}, []float64{.60, .26, .05, .07, .02})
			}
			if a.senLinLB == "011" {
				a.shiQuanD = pickStr(r, []string{"1", "2"}, []float64{.75, .25})
			} else {
				a.shiQuanD = pickStr(r, []string{"3", "2"}, []float64{.7, .3})
			}
			// Only national public-welfare forest has a national grade (GJGYL_BHDJ). The grading
			// criteria put the forest land of a national nature reserve — all of it, the
			// experimental zone too — in grade 1 (migration 00019 cites the text read); outside,
			// the steep, headwater ground (a high welfare propensity) is grade 1, the rest 2.
			if a.shiQuanD == "1" {
				a.gjgylBHDJ = "2"
				if inReserve || f.score > 1.2 {
					a.gjgylBHDJ = "1"
				}
			}
		} else {
			// Economic forest is 25x and energy forest 240 in the county tables read (migration
			// 00021); the dictionary used to put economic forest at 24x and call 255 energy forest.
			switch cv.species {
			case "751000":
				a.linZhong = "252" // 食用原料林: oil-tea yields edible oil
			case "755000":
				a.linZhong = "255" // 其他经济林
			case "660000":
				a.linZhong = "233"
			case "310000", "220000", "230000", "350000":
				a.linZhong = pickStr(r, []string{"233", "232", "231"}, []float64{.65, .25, .10})
			case "410000":
				// Coppiced oak is the county's fuelwood stand: energy forest (240) is what it is.
				// Every other broadleaf commercial stand grows timber (233); one in five of them
				// used to be drawn as energy forest whatever its origin.
				a.linZhong = "233"
				if a.qiYuan == "13" {
					a.linZhong = "240"
				}
			case "620000", "610000", "530000":
				a.linZhong = "233"
			default:
				if cv != coverNursery {
					a.linZhong = "233"
				}
			}
		}
		// Forest-land protection grade (BH_DJ) as the planning standard grades it (migration
		// 00019): Ⅰ the reserve's core and buffer (core_protection after the reform); Ⅱ its
		// experimental or general-control zone and national public-welfare forest elsewhere (the
		// wetland park's conservation zone too, the demo's judgment); Ⅲ local public-welfare
		// forest and key commercial (timber-base) forest, and the rest of the wetland park; Ⅳ the
		// other forest land. It used to put the general-control zone in Ⅰ and provincial 重点公益林
		// in Ⅱ.
		reserveCore := inReserve && (f.zoneKind == "core" || f.zoneKind == "buffer" || f.zoneKind == "core_protection")
		switch {
		case reserveCore:
			a.bhDJ = "1"
		case inReserve || (inWetland && f.zoneKind == "conservation") || a.shiQuanD == "1":
			a.bhDJ = "2"
		case welfare || a.senLinLB == "021" || inWetland:
			a.bhDJ = "3"
		default:
			a.bhDJ = "4"
		}
		// ownership and owner
		state := s.Village.State && r.Float64() < 0.85
		if state {
			a.ldQS, a.lmQS = "10", "10"
		} else {
			a.ldQS = []string{"21", "22", "23"}[quantile([]float64{.76, .06, .18}, c.ld)]
			if r.Float64() >= 0.7 {
				a.ldQS = pickStr(r, []string{"21", "22", "23"}, []float64{.76, .06, .18})
			}
			ent := s.Village.Enterprise >= 0 && !welfare
			switch a.ldQS {
			case "21":
				a.lmQS = pickStr(r, []string{"30", "40", "20", "50"}, []float64{.87, b2f(ent) * .35, .05, .02})
			case "22":
				a.lmQS = pickStr(r, []string{"50", "30"}, []float64{.65, .35})
			case "23":
				a.lmQS = pickStr(r, []string{"20", "40", "30"}, []float64{.75, b2f(ent) * .3, .05})
			}
		}
	}
	ob.assign(out, facts)
	return out
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

// ownerRow is one owner to write; kind + idNumber identify it, and in the database kind + hash
// (the keyed search hash of idNumber, set by writeOwners), since the ID number is encrypted.
type ownerRow struct {
	kind, name, idNumber, bank, phone, village string
	hash                                       []byte
}

// ownerBook creates owners: the state forest farm, a few enterprises, one collective per
// village, partnerships and households as the parcels need them.
type ownerBook struct {
	g          *gen
	r          *rand.Rand
	rows       []*ownerRow
	used       map[string]bool
	state      *ownerRow
	enterprise []*ownerRow
	collective map[string]*ownerRow
	clan       map[string]string // village code → dominant surname
}

func newOwnerBook(g *gen) *ownerBook {
	ob := &ownerBook{g: g, r: stream(g.seed, "owners", int64(g.opt.Parcels)), used: map[string]bool{}, collective: map[string]*ownerRow{}, clan: map[string]string{}}
	ob.state = ob.add(&ownerRow{kind: "state", name: g.data.StateFarm, idNumber: ob.uscc("12")})
	for _, e := range g.data.Enterprises {
		ob.enterprise = append(ob.enterprise, ob.add(&ownerRow{kind: "enterprise", name: e, idNumber: ob.uscc("91"), bank: ob.bank(), phone: ob.phone()}))
	}
	vs := append([]*village{}, g.villages...)
	sort.Slice(vs, func(i, j int) bool { return vs[i].Code < vs[j].Code })
	for _, v := range vs {
		name := v.Name + "村民委员会"
		if v.Community {
			name = v.Name + "居民委员会"
		}
		ob.collective[v.Code] = ob.add(&ownerRow{kind: "collective", name: name, idNumber: ob.uscc("54"), bank: ob.bank(), village: v.Code})
		ob.clan[v.Code] = ob.surname()
	}
	return ob
}

func (ob *ownerBook) add(o *ownerRow) *ownerRow {
	ob.rows = append(ob.rows, o)
	return o
}

// assign gives every parcel its owner: state land to the forest farm, enterprise trees to the
// village's enterprise, collective trees to the village, partnerships and households (1–8
// parcels each, in their own village) as needed.
func (ob *ownerBook) assign(attrs []parcelAttrs, facts []parcelFacts) {
	byVillage := map[string][]int{}
	var codes []string
	for i := range attrs {
		vc := facts[i].seed.Village.Code
		if _, ok := byVillage[vc]; !ok {
			codes = append(codes, vc)
		}
		byVillage[vc] = append(byVillage[vc], i)
	}
	sort.Strings(codes)
	for _, vc := range codes {
		idx := byVillage[vc]
		sort.Slice(idx, func(a, b int) bool { return attrs[idx[a]].code < attrs[idx[b]].code })
		v := facts[idx[0]].seed.Village
		var households, partners []int
		for _, i := range idx {
			a := &attrs[i]
			switch a.lmQS {
			case "10":
				a.owner = ob.state
			case "20":
				a.owner = ob.collective[vc]
			case "40":
				a.owner = ob.enterprise[max(v.Enterprise, 0)%len(ob.enterprise)]
			case "50":
				partners = append(partners, i)
			default:
				households = append(households, i)
			}
		}
		for k := 0; k < len(partners); {
			n := min(len(partners)-k, 2+ob.r.IntN(5))
			lead := ob.person(vc)
			members := 2 + ob.r.IntN(4)
			o := ob.add(&ownerRow{kind: "partnership", name: fmt.Sprintf("%s等%d户", lead.name, members), idNumber: lead.idNumber,
				bank: lead.bank, phone: lead.phone, village: vc})
			for _, i := range partners[k : k+n] {
				attrs[i].owner = o
			}
			k += n
		}
		for k := 0; k < len(households); {
			n := min(len(households)-k, 1+pick(ob.r, householdSizes))
			o := ob.add(ob.person(vc))
			for _, i := range households[k : k+n] {
				attrs[i].owner = o
			}
			k += n
		}
	}
}

func (ob *ownerBook) surname() string {
	ws := make([]float64, len(ob.g.data.Surnames))
	for i, s := range ob.g.data.Surnames {
		ws[i] = s.Weight
	}
	return ob.g.data.Surnames[pick(ob.r, ws)].Word
}

// person makes a household head of village vc (not yet added to the book).
func (ob *ownerBook) person(vc string) *ownerRow {
	r := ob.r
	sur := ob.clan[vc]
	if r.Float64() < 0.45 {
		sur = ob.surname()
	}
	given := ob.g.data.Given[r.IntN(len(ob.g.data.Given))]
	if r.Float64() < 0.75 {
		given += ob.g.data.Given[r.IntN(len(ob.g.data.Given))]
	}
	var id string
	for id == "" || ob.used[id] {
		area := []string{"361130", "361130", "361130", "361130", "361130", "361130", "361181", "361102", "361104", "361127"}[r.IntN(10)]
		y, m := 1940+r.IntN(58), 1+r.IntN(12)
		d := 1 + r.IntN(28)
		body := fmt.Sprintf("%s%04d%02d%02d%03d", area, y, m, d, r.IntN(1000))
		id = body + idCheck(body)
	}
	ob.used[id] = true
	return &ownerRow{kind: "individual", name: sur + given, idNumber: id, bank: ob.bank(), phone: ob.phone(), village: vc}
}

// idCheck is the GB 11643-1999 check character of a 17-digit citizen ID body.
func idCheck(body string) string {
	w := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	s := 0
	for i := 0; i < 17; i++ {
		s += int(body[i]-'0') * w[i]
	}
	return string("10X98765432"[s%11])
}

const usccChars = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// uscc makes a unique 18-character unified social credit code (GB 32100-2015) with valid
// check characters: prefix (registration authority and kind), 361130, organisation code.
func (ob *ownerBook) uscc(prefix string) string {
	for {
		org := fmt.Sprintf("%08d", ob.r.IntN(100000000))
		w := []int{3, 7, 9, 10, 5, 8, 4, 2}
		s := 0
		for i := 0; i < 8; i++ {
			s += int(org[i]-'0') * w[i]
		}
		c := 11 - s%11
		switch c {
		case 10:
			org += "X"
		case 11:
			org += "0"
		default:
			org += fmt.Sprint(c)
		}
		body := prefix + CountyCode + org
		ws := []int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}
		s = 0
		for i := 0; i < 17; i++ {
			s += strings.IndexByte(usccChars, body[i]) * ws[i]
		}
		code := body + string(usccChars[(31-s%31)%31])
		if !ob.used[code] {
			ob.used[code] = true
			return code
		}
	}
}

// bank makes a 19-digit demo card number (一卡通) with a valid Luhn digit.
func (ob *ownerBook) bank() string {
	b := []byte("623099")
	for len(b) < 18 {
		b = append(b, byte('0'+ob.r.IntN(10)))
	}
	s := 0
	for i := 0; i < 18; i++ {
		d := int(b[17-i] - '0')
		if i%2 == 0 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		s += d
	}
	return string(append(b, byte('0'+(10-s%10)%10)))
}

func (ob *ownerBook) phone() string {
	p := []string{"139", "138", "137", "150", "151", "152", "158", "187", "188", "180", "133", "153"}[ob.r.IntN(12)]
	return fmt.Sprintf("%s%08d", p, ob.r.IntN(100000000))
}

// writeOwners stores the owners with their ID numbers, accounts and phones encrypted (random
// nonces: the ciphertexts differ from run to run, the plaintexts and Checksum do not).
func (g *gen) writeOwners(ob *ownerBook) error {
	if err := g.exec(`CREATE TEMP TABLE d_owner (k int, kind text, name text, id_number_enc bytea, id_number_hash bytea,
		bank_account_enc bytea, phone_enc bytea, village_code text) ON COMMIT DROP`); err != nil {
		return err
	}
	kr := g.opt.PII
	for _, o := range ob.rows {
		o.hash = kr.SearchHash(o.idNumber)
	}
	i := 0
	nz := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	if _, err := g.tx.CopyFrom(g.ctx, pgx.Identifier{"d_owner"}, []string{"k", "kind", "name", "id_number_enc", "id_number_hash",
		"bank_account_enc", "phone_enc", "village_code"},
		pgx.CopyFromFunc(func() ([]any, error) {
			if i >= len(ob.rows) {
				return nil, nil
			}
			o := ob.rows[i]
			i++
			idn, err := kr.Encrypt(pii.FieldIDNumber, o.idNumber)
			if err != nil {
				return nil, err
			}
			bank, err := kr.Encrypt(pii.FieldBankAccount, o.bank)
			if err != nil {
				return nil, err
			}
			phone, err := kr.Encrypt(pii.FieldPhone, o.phone)
			if err != nil {
				return nil, err
			}
			return []any{int32(i), o.kind, o.name, idn, o.hash, bank, phone, nz(o.village)}, nil
		})); err != nil {
		return err
	}
	g.sum.Owners = len(ob.rows)
	return g.exec(`INSERT INTO owner (kind, name, id_number_enc, id_number_hash, bank_account_enc, phone_enc, village_code, demo)
		SELECT kind, name, id_number_enc, id_number_hash, bank_account_enc, phone_enc, village_code, true FROM d_owner ORDER BY k`)
}
