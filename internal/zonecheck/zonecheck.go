// Package zonecheck answers, for a planned footprint and an activity, which protected zones it
// touches, by how much, what each zone's regime says (forbidden / conditional / allowed, with the
// rule and its legal basis), and for wetland occupation in a reasonable-use zone the wetland-bank
// credits to buy and their price.
package zonecheck

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/policy"
)

// Limits on a footprint.
const (
	MaxVertices = 10000
	MaxBytes    = 5 << 20
)

// Zone is one zone the footprint touches and what its regime says.
type Zone struct {
	AreaName       string     `json:"area_name"`
	AreaKind       string     `json:"area_kind"`
	ZoneKind       string     `json:"zone_kind"`
	ZoneLabel      string     `json:"zone_label"`
	Site           string     `json:"site"`
	Zone           string     `json:"zone"`
	Demo           bool       `json:"demo"`
	OverlapMu      jsonMu     `json:"overlap_mu"`
	Verdict        string     `json:"verdict"`
	Rule           string     `json:"rule"`
	LegalBasis     string     `json:"legal_basis"`
	Confirmed      bool       `json:"confirmed"`
	CreditsNeeded  *string    `json:"wetland_credits_required"`
	Fee            policy.Fen `json:"fee_yuan"`
	overlapMuExact *big.Rat
}

type jsonMu float64

func (m jsonMu) MarshalJSON() ([]byte, error) { return []byte(fmt.Sprintf("%.2f", float64(m))), nil }

// Result is the answer for one footprint and activity.
type Result struct {
	Activity      string     `json:"activity"`
	ActivityLabel string     `json:"activity_label"`
	PolicyVersion string     `json:"policy_version"`
	FootprintMu   jsonMu     `json:"footprint_mu"`
	Verdict       string     `json:"verdict"`
	Message       string     `json:"message"`
	Zones         []Zone     `json:"zones"`
	TotalFee      policy.Fen `json:"total_fee_yuan"`
	// Wetland is what the footprint owes the wetland bank from the wetland patches it covers
	// (wetland.Assessment, filled by the HTTP layer: this package cannot import it).
	Wetland any `json:"wetland,omitempty"`
}

// Request is the body of POST /api/v1/zone-check.
type Request struct {
	Geometry json.RawMessage `json:"geometry"`
	Activity string          `json:"activity"`
}

// Parse reads and checks a footprint: a GeoJSON Polygon or MultiPolygon (a Feature is accepted
// too) with closed rings of at least four positions, within lon/lat range, at most MaxVertices.
func Parse(raw json.RawMessage) (orb.MultiPolygon, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, apperr.New(apperr.Invalid, `the body has no "geometry": send {"geometry": <GeoJSON Polygon or MultiPolygon>, "activity": "…"}`)
	}
	var probe struct {
		Type     string          `json:"type"`
		Geometry json.RawMessage `json:"geometry"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return nil, apperr.New(apperr.Invalid, "geometry is not GeoJSON: %v", err)
	}
	if probe.Type == "Feature" {
		raw = probe.Geometry
	}
	var g struct {
		Type        string          `json:"type"`
		Coordinates json.RawMessage `json:"coordinates"`
	}
	if err := json.Unmarshal(raw, &g); err != nil {
		return nil, apperr.New(apperr.Invalid, "geometry is not GeoJSON: %v", err)
	}
	var mp orb.MultiPolygon
	switch g.Type {
	case "Polygon":
		var c [][][]float64
		if err := json.Unmarshal(g.Coordinates, &c); err != nil {
			return nil, apperr.New(apperr.Invalid, "Polygon coordinates must be an array of rings of [lon, lat] positions: %v", err)
		}
		p, err := polygon(c)
		if err != nil {
			return nil, err
		}
		mp = orb.MultiPolygon{p}
	case "MultiPolygon":
		var c [][][][]float64
		if err := json.Unmarshal(g.Coordinates, &c); err != nil {
			return nil, apperr.New(apperr.Invalid, "MultiPolygon coordinates must be an array of polygons of rings of [lon, lat] positions: %v", err)
		}
		for _, pc := range c {
			p, err := polygon(pc)
			if err != nil {
				return nil, err
			}
			mp = append(mp, p)
		}
	case "":
		return nil, apperr.New(apperr.Invalid, `geometry has no "type"; send a GeoJSON Polygon or MultiPolygon`)
	default:
		return nil, apperr.New(apperr.Invalid, "geometry is a %s; a footprint must be a Polygon or MultiPolygon", g.Type)
	}
	if len(mp) == 0 {
		return nil, apperr.New(apperr.Invalid, "the MultiPolygon has no polygons")
	}
	n := 0
	for pi, poly := range mp {
		if len(poly) == 0 {
			return nil, apperr.New(apperr.Invalid, "polygon %d has no rings", pi+1)
		}
		for ri, ring := range poly {
			where := fmt.Sprintf("polygon %d, ring %d", pi+1, ri+1)
			if len(ring) < 4 {
				return nil, apperr.New(apperr.Invalid, "%s has %d positions; a ring needs at least 4, the last equal to the first", where, len(ring))
			}
			if ring[0] != ring[len(ring)-1] {
				return nil, apperr.New(apperr.Invalid, "%s is not closed: it starts at [%v, %v] and ends at [%v, %v]; repeat the first position at the end",
					where, ring[0][0], ring[0][1], ring[len(ring)-1][0], ring[len(ring)-1][1])
			}
			for _, pt := range ring {
				if pt[0] < -180 || pt[0] > 180 || pt[1] < -90 || pt[1] > 90 {
					return nil, apperr.New(apperr.Invalid, "%s has position [%v, %v] outside longitude/latitude range; coordinates are [lon, lat] in degrees (RFC 7946)", where, pt[0], pt[1])
				}
			}
			n += len(ring)
		}
	}
	if n > MaxVertices {
		return nil, apperr.New(apperr.Invalid, "the footprint has %d vertices; at most %d are accepted — simplify it first", n, MaxVertices)
	}
	return mp, nil
}

func polygon(c [][][]float64) (orb.Polygon, error) {
	p := make(orb.Polygon, len(c))
	for i, ring := range c {
		r := make(orb.Ring, len(ring))
		for j, pos := range ring {
			if len(pos) < 2 {
				return nil, apperr.New(apperr.Invalid, "ring %d, position %d has %d numbers; a position is [lon, lat]", i+1, j+1, len(pos))
			}
			r[j] = orb.Point{pos[0], pos[1]}
		}
		p[i] = r
	}
	return p, nil
}

// Querier is a pool or transaction.
type Querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// Check evaluates footprint mp for activity under pol.
func Check(ctx context.Context, db Querier, pol *policy.Policy, mp orb.MultiPolygon, activity string) (*Result, error) {
	act, ok := pol.Activity(activity)
	if !ok {
		return nil, apperr.New(apperr.Invalid, "unknown activity %q; the known activities are %s", activity, strings.Join(pol.Activities(), ", "))
	}
	geomWKB, err := wkb.Marshal(mp)
	if err != nil {
		return nil, err
	}
	// PostGIS judges validity and says where the problem is.
	var valid bool
	var reason *string
	var x, y *float64
	var footprintM2 float64
	err = db.QueryRow(ctx, `WITH g AS (SELECT ST_SetSRID(ST_GeomFromWKB($1), 4490) AS g)
		SELECT (d).valid, (d).reason, ST_X((d).location), ST_Y((d).location), CASE WHEN (d).valid THEN ST_Area(g::geography) ELSE 0 END
		FROM (SELECT g, ST_IsValidDetail(g) AS d FROM g) x`, geomWKB).Scan(&valid, &reason, &x, &y, &footprintM2)
	if err != nil {
		return nil, err
	}
	if !valid {
		msg := "invalid geometry"
		if reason != nil {
			msg = *reason
		}
		if x != nil && y != nil {
			return nil, apperr.New(apperr.Invalid, "the footprint is not a valid polygon: %s at or near [%.7f, %.7f]; fix the outline (no self-intersections, holes inside their shell) and try again", strings.ToLower(msg[:1])+msg[1:], *x, *y)
		}
		return nil, apperr.New(apperr.Invalid, "the footprint is not a valid polygon: %s", msg)
	}
	if footprintM2 <= 0 {
		return nil, apperr.New(apperr.Invalid, "the footprint has no area")
	}

	rows, err := db.Query(ctx, `WITH g AS (SELECT ST_SetSRID(ST_GeomFromWKB($1), 4490) AS g)
		SELECT a.name, z.area_kind, z.zone_kind, k.label_zh, z.site, z.name, z.demo,
		       ST_Area(ST_Intersection(z.geom, g.g)::geography)::numeric::text
		FROM g JOIN zone z ON z.geom && g.g AND ST_Relate(z.geom, g.g, '2********')
		JOIN protected_area a ON a.id = z.area_id
		JOIN zone_kind k ON k.area_kind = z.area_kind AND k.zone_kind = z.zone_kind
		ORDER BY a.name, z.site, z.zone_kind`, geomWKB)
	if err != nil {
		return nil, err
	}
	res := &Result{Activity: act.ID, ActivityLabel: act.LabelZh, PolicyVersion: pol.Version, FootprintMu: jsonMu(footprintM2 * 3 / 2000), Zones: []Zone{}}
	for rows.Next() {
		var z Zone
		var m2 string
		if err := rows.Scan(&z.AreaName, &z.AreaKind, &z.ZoneKind, &z.ZoneLabel, &z.Site, &z.Zone, &z.Demo, &m2); err != nil {
			return nil, err
		}
		r, _ := new(big.Rat).SetString(m2)
		z.overlapMuExact = new(big.Rat).Mul(r, big.NewRat(3, 2000))
		f, _ := z.overlapMuExact.Float64()
		z.OverlapMu = jsonMu(f)
		res.Zones = append(res.Zones, z)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rank := map[string]int{"allowed": 0, "conditional": 1, "forbidden": 2}
	res.Verdict = "allowed"
	for i := range res.Zones {
		z := &res.Zones[i]
		rule, ok := pol.Regime(z.ZoneKind, activity)
		if !ok {
			return nil, fmt.Errorf("policy %s has no regime for %s / %s", pol.Version, z.ZoneKind, activity)
		}
		z.Verdict, z.Rule, z.LegalBasis, z.Confirmed = string(rule.Verdict), rule.Text, rule.LegalBasis, rule.Confirmed
		if credits, fee, ok := pol.WetlandBank.Debit(z.ZoneKind, activity, z.overlapMuExact); ok {
			s := credits.FloatString(2)
			z.CreditsNeeded, z.Fee = &s, fee
			res.TotalFee += fee
		}
		if rank[z.Verdict] > rank[res.Verdict] {
			res.Verdict = z.Verdict
		}
	}
	kinds := []string{}
	for _, z := range res.Zones {
		if !slices.Contains(kinds, z.Verdict) {
			kinds = append(kinds, z.Verdict)
		}
	}
	switch {
	case len(res.Zones) == 0:
		res.Verdict = "allowed"
		res.Message = "the footprint touches no protected zone; no zone rule applies (other permits may still be needed)"
	default:
		res.Message = fmt.Sprintf("the footprint touches %d zone(s); the strictest verdict is %s", len(res.Zones), res.Verdict)
	}
	return res, nil
}
