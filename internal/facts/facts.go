// Package facts loads what the compensation rules know of a parcel version: its inventory codes,
// legal area, stock, zone overlaps, flags and agreements. Eligibility and subsidies are computed
// from these facts in Go; the geometry work behind them (the overlaps) stays in PostGIS.
package facts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/policy"
)

// Overlap is the part of a parcel inside one zone.
type Overlap struct {
	ZoneID    int64   `json:"zone_id"`
	AreaName  string  `json:"area_name"`
	AreaKind  string  `json:"area_kind"`
	AreaLevel string  `json:"area_level"`
	ZoneKind  string  `json:"zone_kind"`
	ZoneLabel string  `json:"zone_label"`
	Site      string  `json:"site"`
	Zone      string  `json:"zone"`
	M2        float64 `json:"m2"`    // ellipsoidal overlap area
	Share     float64 `json:"share"` // of the parcel's computed area
}

// Mu is the overlap in 亩.
func (o Overlap) Mu() float64 { return o.M2 * 3 / 2000 }

// Where says where the overlap lies, for a sentence: "the core zone (核心区) of site 3 of 江西…".
func (o Overlap) Where() string {
	s := fmt.Sprintf("the %s zone (%s)", o.ZoneKind, o.ZoneLabel)
	if o.Site != "" {
		s += " of site " + o.Site
	}
	return s + " of " + o.AreaName
}

// WhereZh is Where in Chinese: "江西…保护区 清华片区 核心区".
func (o Overlap) WhereZh() string {
	s := o.AreaName
	if o.Site != "" {
		s += " " + o.Site
	}
	return s + " " + o.ZoneLabel
}

// Parcel is one parcel version with everything the rules read.
type Parcel struct {
	ID        int64
	Code      string
	ValidFrom time.Time
	// MianJi is the legal area in ha (4 decimals), exact.
	MianJi *big.Rat
	// AreaM2 is the computed ellipsoidal area.
	AreaM2                                            float64
	LMQS, SenLinLB, ShiQuanD, QiYuan, LingZu, Species string
	// DiLei is the land class (地类, e.g. 030100 乔木林地); some programmes cover only some.
	DiLei string
	// XuJi is the stand's stock volume in m³; nil when not recorded.
	XuJi       *big.Rat
	OwnerID    *int64
	Overlaps   []Overlap
	Flags      []string
	Agreements []policy.Mode
}

// LegalCentiMu is the legal area in 0.01 亩 (MIAN_JI ha × 1500), rounded half up.
func (p *Parcel) LegalCentiMu() int64 {
	r := new(big.Rat).Mul(p.MianJi, big.NewRat(1500, 1))
	return roundRat(r)
}

// LegalMu is the legal area in 亩, exact.
func (p *Parcel) LegalMu() *big.Rat { return new(big.Rat).Mul(p.MianJi, big.NewRat(15, 1)) }

// Facts is the policy's view of the parcel.
func (p *Parcel) Facts() policy.Facts {
	return policy.Facts{
		LMQS: p.LMQS, DiLei: p.DiLei, SenLinLB: p.SenLinLB, ShiQuanD: p.ShiQuanD, QiYuan: p.QiYuan, LingZu: p.LingZu,
		Agreements: p.Agreements,
		Touches: func(s policy.ZoneSet) bool {
			for _, o := range p.Overlaps {
				if s.Contains(o.AreaKind, o.AreaLevel, o.ZoneKind) {
					return true
				}
			}
			return false
		},
	}
}

func roundRat(r *big.Rat) int64 {
	n := new(big.Int).Mul(r.Num(), big.NewInt(2))
	n.Add(n, r.Denom())
	d := new(big.Int).Mul(r.Denom(), big.NewInt(2))
	q := new(big.Int).Div(n, d) // floor((2n + d) / 2d) = round half up for positive values
	return q.Int64()
}

// Querier is a pool, connection or transaction.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// columns are the parcel columns every loader selects, in scan order; $1 is the as-of date
// for flags and agreements. A parcel in an open buyout case (internal/cases) has the flag
// active_case from the day the case opened until the day it closed.
const columns = `p.id, p.code, p.valid_from, p.mian_ji::text, p.area_m2, coalesce(p.lm_qs, ''), coalesce(p.sen_lin_lb, ''),
	coalesce(p.shi_quan_d, ''), coalesce(p.qi_yuan, ''), coalesce(p.ling_zu, ''), coalesce(p.you_shi_sz, ''), p.xu_ji::text, p.owner_id, coalesce(p.di_lei, ''),
	(SELECT array_agg(fl.flag ORDER BY fl.flag) FROM (
		SELECT f.flag FROM parcel_flag f WHERE f.code = p.code AND f.since <= $1 AND (f.until IS NULL OR f.until > $1)
		UNION SELECT 'active_case' FROM case_parcel c WHERE c.code = p.code AND c.opened_on <= $1 AND (c.closed_on IS NULL OR c.closed_on > $1)) fl),
	(SELECT array_agg(g.mode ORDER BY g.mode) FROM parcel_agreement g WHERE g.code = p.code AND g.signed_on <= $1 AND (g.ends_on IS NULL OR g.ends_on > $1))`

const overlapJSON = `json_build_object('zone_id', z.id, 'area_name', a.name, 'area_kind', z.area_kind, 'area_level', a.level,
	'zone_kind', z.zone_kind, 'zone_label', k.label_zh, 'site', z.site, 'zone', z.name, 'm2', %s, 'share', %s)`

// storedOverlaps lists the overlaps recompute stored for parcel version p (an index probe each).
var storedOverlaps = `(SELECT json_agg(` + fmt.Sprintf(overlapJSON, "o.overlap_m2", "o.share") + ` ORDER BY z.id)
	FROM parcel_zone_overlap o JOIN zone z ON z.id = o.zone_id JOIN protected_area a ON a.id = z.area_id
	JOIN zone_kind k ON k.area_kind = z.area_kind AND k.zone_kind = z.zone_kind WHERE o.parcel_id = p.id)`

// liveOverlaps computes one parcel's overlaps now, with whole zones (no recompute needed).
var liveOverlaps = `(SELECT json_agg(` + fmt.Sprintf(overlapJSON, "x.m2", "least(x.m2 / p.area_m2, 1)") + ` ORDER BY z.id)
	FROM zone z JOIN protected_area a ON a.id = z.area_id JOIN zone_kind k ON k.area_kind = z.area_kind AND k.zone_kind = z.zone_kind
	CROSS JOIN LATERAL (SELECT ST_Area(ST_Intersection(p.geom, z.geom)::geography) AS m2) x
	WHERE z.geom && p.geom AND ST_Relate(z.geom, p.geom, '2********') AND x.m2 > 0.01)`

func scan(row pgx.Row, p *Parcel) error {
	var mianJi string
	var xuJi *string
	var overlaps []byte
	var agreements []string
	err := row.Scan(&p.ID, &p.Code, &p.ValidFrom, &mianJi, &p.AreaM2, &p.LMQS, &p.SenLinLB, &p.ShiQuanD, &p.QiYuan,
		&p.LingZu, &p.Species, &xuJi, &p.OwnerID, &p.DiLei, &p.Flags, &agreements, &overlaps)
	if err != nil {
		return err
	}
	var ok bool
	if p.MianJi, ok = new(big.Rat).SetString(mianJi); !ok {
		return fmt.Errorf("parcel %s: MIAN_JI %q is not a number", p.Code, mianJi)
	}
	if xuJi != nil {
		if p.XuJi, ok = new(big.Rat).SetString(*xuJi); !ok {
			return fmt.Errorf("parcel %s: XU_JI %q is not a number", p.Code, *xuJi)
		}
	}
	for _, a := range agreements {
		p.Agreements = append(p.Agreements, policy.Mode(a))
	}
	p.Overlaps = nil
	if len(overlaps) > 0 {
		if err := json.Unmarshal(overlaps, &p.Overlaps); err != nil {
			return fmt.Errorf("parcel %s: overlaps: %w", p.Code, err)
		}
	}
	return nil
}

// AsOf loads the version of parcel code in force at t, with its overlaps computed now.
func AsOf(ctx context.Context, db Querier, code string, t time.Time) (*Parcel, error) {
	p := &Parcel{}
	err := scan(db.QueryRow(ctx, `SELECT `+columns+`, `+liveOverlaps+`
		FROM parcel p WHERE p.code = $2 AND p.valid_from <= $1 AND (p.valid_to IS NULL OR p.valid_to > $1)`, t, code), p)
	if errors.Is(err, pgx.ErrNoRows) {
		var exists bool
		_ = db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM parcel WHERE code = $1)`, code).Scan(&exists)
		if exists {
			return nil, apperr.New(apperr.NotFound, "parcel %s has no version in force on %s", code, t.Format("2006-01-02"))
		}
		return nil, apperr.New(apperr.NotFound, "no parcel has the code %q", code)
	}
	return p, err
}

// CurrentSQL selects every current parcel (or only those in ids, when not nil) with the overlaps
// recompute stored, in code order; scan its rows with Scan. $1 is the as-of date of flags.
func CurrentSQL(asOf time.Time, ids []int64) (string, []any) {
	filter := ""
	args := []any{asOf}
	if ids != nil {
		filter = " AND p.id = ANY($2)"
		args = append(args, ids)
	}
	return `SELECT ` + columns + `, ` + storedOverlaps + `
		FROM parcel p WHERE p.valid_to IS NULL` + filter + ` ORDER BY p.code`, args
}

// Scan reads the rows of CurrentSQL (or a cursor over it) and calls fn for each parcel. The
// Parcel passed to fn is reused: copy what you keep.
func Scan(rows pgx.Rows, fn func(*Parcel) error) error {
	defer rows.Close()
	var p Parcel
	for rows.Next() {
		p = Parcel{}
		if err := scan(rows, &p); err != nil {
			return err
		}
		if err := fn(&p); err != nil {
			return err
		}
	}
	return rows.Err()
}
