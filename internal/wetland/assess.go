package wetland

import (
	"context"
	"fmt"
	"math/big"
	"slices"
	"strings"

	"github.com/wuyuan-forestry/ecocomp/internal/policy"
)

// The bases on which occupied wetland owes credits.
const (
	// BasisBank: wetland in a debit zone of a park (the reasonable-use zone), at the policy's
	// debit ratio for its importance.
	BasisBank = "bank"
	// BasisArt21: important wetland outside the park's zones, where 湿地保护法 art. 21 asks for
	// wetland of equal area and quality restored (credits) or a restoration fee.
	BasisArt21 = "art21"
	// BasisNone: occupied wetland that owes nothing under the policy (the line says why).
	BasisNone = "none"
)

// Line is the wetland of one type and importance a footprint occupies in one place (a zone kind
// of a protected area, or outside any), and what it owes.
type Line struct {
	TypeCode        string         `json:"type_code"`
	TypeName        string         `json:"type_name"`
	Importance      string         `json:"importance"`
	ImportanceLabel string         `json:"importance_label"`
	Area            string         `json:"area,omitempty"`
	ZoneKind        string         `json:"zone_kind,omitempty"`
	OccupiedMu      CentiMu        `json:"occupied_mu"`
	Basis           string         `json:"basis"`
	Ratio           policy.Decimal `json:"ratio"`
	Required        Centi          `json:"credits_required"`
	Why             string         `json:"why"`
}

// Refusal is a zone whose regime forbids the activity.
type Refusal struct {
	Area       string `json:"area"`
	Zone       string `json:"zone"`
	ZoneKind   string `json:"zone_kind"`
	Rule       string `json:"rule"`
	LegalBasis string `json:"legal_basis"`
	Confirmed  bool   `json:"confirmed"`
}

// Art21Note says whether 湿地保护法 art. 21 applies to a footprint and what it asks.
type Art21Note struct {
	Applies    bool     `json:"applies"`
	OccupiedMu CentiMu  `json:"occupied_mu"`
	Required   Centi    `json:"credits_required"`
	Rule       string   `json:"rule"`
	LegalBasis string   `json:"legal_basis"`
	Options    []string `json:"options"`
	Confirmed  bool     `json:"confirmed"`
}

// Assessment is what a footprint owes the wetland bank, computed from the wetland patches it
// covers (not from the zone it lies in): per wetland type and importance the 亩 occupied and
// the credits required. Zone check and debits answer the same figures.
type Assessment struct {
	PolicyVersion string  `json:"policy_version"`
	Activity      string  `json:"activity"`
	FootprintMu   CentiMu `json:"footprint_mu"`
	OccupiedMu    CentiMu `json:"occupied_mu"`
	Required      Centi   `json:"credits_required"`
	// Basis is bank, art21, both (bank+art21) or none.
	Basis       string     `json:"basis"`
	Lines       []Line     `json:"lines"`
	Art21       *Art21Note `json:"art21,omitempty"`
	Area        string     `json:"area,omitempty"`
	County      string     `json:"county,omitempty"`
	ServiceArea string     `json:"service_area"`
	// ReferencePrice is the policy's reference price of one credit; ReferenceFee the credits
	// required at that price (a sale's price comes from an appraisal).
	ReferencePrice policy.Fen `json:"reference_price_yuan_per_credit"`
	ReferenceFee   policy.Fen `json:"reference_fee_yuan"`
	Forbidden      []Refusal  `json:"forbidden"`
	Message        string     `json:"message"`
	areaID         *int64
}

// piece is wetland of one patch type and importance inside one zone kind (or outside all).
type piece struct {
	typeCode, typeName, importance, zoneKind, area string
	m2                                             *big.Rat
}

// Assess overlays footprint raw on the wetland patches and the zones and says what activity
// there owes under pol. A forbidden zone is listed in Forbidden, not an error.
func Assess(ctx context.Context, db Querier, pol *policy.Policy, raw []byte, activity string) (*Assessment, error) {
	f, err := locate(ctx, db, raw)
	if err != nil {
		return nil, err
	}
	return assess(ctx, db, pol, f, activity)
}

func assess(ctx context.Context, db Querier, pol *policy.Policy, f *footprint, activity string) (*Assessment, error) {
	if _, ok := pol.Activity(activity); !ok {
		return nil, fmt.Errorf("unknown activity %q", activity)
	}
	w := &pol.WetlandBank
	a := &Assessment{PolicyVersion: pol.Version, Activity: activity, FootprintMu: CentiMu(f.centimu), Lines: []Line{}, Forbidden: []Refusal{},
		Area: f.area, County: f.county, ServiceArea: w.ServiceAreaOf(f.area, f.county), ReferencePrice: w.CreditPriceYuanPerMu, areaID: f.areaID}

	rows, err := db.Query(ctx, `WITH g AS (SELECT ST_SetSRID(ST_GeomFromWKB($1), 4490) AS g),
		z AS (SELECT z.zone_kind, z.name AS zone, a.name AS area, z.geom FROM g
		      JOIN zone z ON z.geom && g.g AND ST_Relate(z.geom, g.g, '2********') JOIN protected_area a ON a.id = z.area_id),
		p AS (SELECT w.type_code, t.name, w.importance, ST_Intersection(w.geom, g.g) AS piece FROM g
		      JOIN wetland_patch w ON w.geom && g.g AND ST_Relate(w.geom, g.g, '2********') JOIN wetland_type t ON t.code = w.type_code)
		SELECT p.type_code, p.name, p.importance, z.zone_kind, z.area, ST_Area(ST_Transform(ST_Intersection(p.piece, z.geom), 4548))::numeric::text
		FROM p JOIN z ON ST_Intersects(p.piece, z.geom)
		UNION ALL
		SELECT p.type_code, p.name, p.importance, '', '',
		       ST_Area(ST_Transform(ST_Difference(p.piece, coalesce((SELECT ST_Union(geom) FROM z), ST_SetSRID('POLYGON EMPTY'::geometry, 4490))), 4548))::numeric::text
		FROM p`, f.wkb)
	if err != nil {
		return nil, err
	}
	var pieces []piece
	for rows.Next() {
		var pc piece
		var m2 string
		if err := rows.Scan(&pc.typeCode, &pc.typeName, &pc.importance, &pc.zoneKind, &pc.area, &m2); err != nil {
			return nil, err
		}
		pc.m2, _ = new(big.Rat).SetString(m2)
		if i := slices.IndexFunc(pieces, func(o piece) bool {
			return o.typeCode == pc.typeCode && o.importance == pc.importance && o.zoneKind == pc.zoneKind && o.area == pc.area
		}); i >= 0 {
			pieces[i].m2.Add(pieces[i].m2, pc.m2)
			continue
		}
		pieces = append(pieces, pc)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := a.refusals(ctx, db, pol, f, activity); err != nil {
		return nil, err
	}

	bases := map[string]bool{}
	for _, pc := range pieces {
		centimu := roundHalfUp(new(big.Rat).Mul(pc.m2, big.NewRat(3, 20)))
		if centimu == 0 {
			continue
		}
		l := Line{TypeCode: pc.typeCode, TypeName: pc.typeName, Importance: pc.importance, ImportanceLabel: policy.ImportanceLabel(pc.importance),
			Area: pc.area, ZoneKind: pc.zoneKind, OccupiedMu: CentiMu(centimu), Basis: BasisNone}
		art21 := w.Rules.Art21
		switch {
		case pc.zoneKind != "" && slices.Contains(w.DebitZoneKinds, pc.zoneKind) && slices.Contains(w.DebitActivities, activity):
			l.Basis, l.Ratio = BasisBank, w.DebitRatioFor(pc.importance)
			l.Why = fmt.Sprintf("%s of %s in the %s zone of %s × %s credits per 亩 (wetland_bank debit ratio for %s)",
				l.OccupiedMu, pc.typeName, pc.zoneKind, pc.area, l.Ratio, pc.importance)
		case pc.zoneKind != "" && slices.Contains(w.DebitZoneKinds, pc.zoneKind):
			l.Why = fmt.Sprintf("%s is not a debit activity of the policy (%s): it owes no credits here", activity, strings.Join(w.DebitActivities, ", "))
		case pc.zoneKind != "":
			l.Why = fmt.Sprintf("the %s zone is not a debit zone (%s): the zone's regime decides, no credits arise", pc.zoneKind, strings.Join(w.DebitZoneKinds, ", "))
		case art21 != nil && slices.Contains(art21.Importances, pc.importance):
			l.Basis, l.Ratio = BasisArt21, art21.Ratio
			l.Why = fmt.Sprintf("%s of %s (%s) outside the park's zones: %s asks for equal area and quality restored (%s credits per 亩) or a restoration fee",
				l.OccupiedMu, pc.typeName, l.ImportanceLabel, art21.LegalBasis, l.Ratio)
		default:
			l.Why = fmt.Sprintf("%s outside the park's zones: the policy asks no credits for it", l.ImportanceLabel)
		}
		if l.Basis != BasisNone {
			l.Required = Centi(ceilRat(new(big.Rat).Mul(big.NewRat(centimu, 1), l.Ratio.Rat())))
			bases[l.Basis] = true
		}
		a.OccupiedMu += l.OccupiedMu
		a.Required += l.Required
		if l.Basis == BasisArt21 {
			if a.Art21 == nil {
				a.Art21 = &Art21Note{Applies: true, Rule: art21.Rule, LegalBasis: art21.LegalBasis, Confirmed: art21.Confirmed,
					Options: []string{"restore: buy credits of equal area and quality from a bank project in the service area",
						"pay the wetland restoration fee (湿地恢复费) where restoration is not possible"}}
			}
			a.Art21.OccupiedMu += l.OccupiedMu
			a.Art21.Required += l.Required
		}
		a.Lines = append(a.Lines, l)
	}
	slices.SortStableFunc(a.Lines, func(x, y Line) int {
		return strings.Compare(x.Importance+x.TypeCode+x.Area+x.ZoneKind, y.Importance+y.TypeCode+y.Area+y.ZoneKind)
	})
	switch {
	case bases[BasisBank] && bases[BasisArt21]:
		a.Basis = BasisBank + "+" + BasisArt21
	case bases[BasisBank]:
		a.Basis = BasisBank
	case bases[BasisArt21]:
		a.Basis = BasisArt21
	default:
		a.Basis = BasisNone
	}
	a.ReferenceFee = w.CreditPriceYuanPerMu.MulRat(big.NewRat(int64(a.Required), 100))
	switch {
	case len(a.Forbidden) > 0:
		a.Message = fmt.Sprintf("%s is forbidden in %s %s (%s): no debit can be opened", activity, a.Forbidden[0].Area, a.Forbidden[0].Zone, a.Forbidden[0].LegalBasis)
	case a.Required > 0:
		a.Message = fmt.Sprintf("the footprint occupies %s 亩 of wetland and owes %s credits (%s)", a.OccupiedMu, a.Required, a.Basis)
	case a.OccupiedMu > 0:
		a.Message = fmt.Sprintf("the footprint occupies %s 亩 of wetland that owes no credits under the policy", a.OccupiedMu)
	default:
		a.Message = "the footprint covers no wetland patch"
	}
	return a, nil
}

// refusals lists the zones the footprint touches whose regime forbids the activity.
func (a *Assessment) refusals(ctx context.Context, db Querier, pol *policy.Policy, f *footprint, activity string) error {
	rows, err := db.Query(ctx, `WITH g AS (SELECT ST_SetSRID(ST_GeomFromWKB($1), 4490) AS g)
		SELECT a.name, z.name, z.zone_kind FROM g JOIN zone z ON z.geom && g.g AND ST_Relate(z.geom, g.g, '2********')
		JOIN protected_area a ON a.id = z.area_id ORDER BY a.name, z.site, z.zone_kind`, f.wkb)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var r Refusal
		if err := rows.Scan(&r.Area, &r.Zone, &r.ZoneKind); err != nil {
			return err
		}
		if rule, ok := pol.Regime(r.ZoneKind, activity); ok && rule.Verdict == policy.Forbidden {
			r.Rule, r.LegalBasis, r.Confirmed = rule.Text, rule.LegalBasis, rule.Confirmed
			a.Forbidden = append(a.Forbidden, r)
		}
	}
	return rows.Err()
}
