package demo

import (
	"fmt"
	"math/rand/v2"
	"sort"
)

// Owners of the demo parcels: who they are (the owner book) and which parcels each holds. Their
// ID numbers, credit codes, accounts and phones come from ids.go; store.go writes them.

// householdSizes are the weights of a household's number of parcels, 1 to 8.
var householdSizes = []float64{.22, .22, .18, .13, .09, .07, .05, .04}

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
