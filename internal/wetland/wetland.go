// Package wetland is the wetland bank (湿地银行) of a wetland park: the wetland inventory as
// patches, credit projects that restore, create, enhance or preserve wetland, debits that
// occupy it, and the sales that settle a debit with released credits. Credits and money move
// only as entries of one append-only ledger (wetland_ledger), in the transaction of the step that
// causes them, with the project row locked while its balance is checked; balances are sums of
// entries. Credits are integer hundredths (Centi), money integer 分 (policy.Fen).
package wetland

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/auth"
	"github.com/wuyuan-forestry/ecocomp/internal/policy"
	"github.com/wuyuan-forestry/ecocomp/internal/zonecheck"
)

// Centi is a number of credits in hundredths: 1234 is 12.34 credits. JSON writes it as a number
// with two decimals and reads a number or a string with at most two.
type Centi int64

func (c Centi) String() string { return policy.Fen(c).String() }

// MarshalJSON writes 12.34.
func (c Centi) MarshalJSON() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalJSON reads 12.34 or "12.34".
func (c *Centi) UnmarshalJSON(b []byte) error {
	s := string(bytes.TrimSpace(b))
	if uq, err := strconv.Unquote(s); err == nil {
		s = uq
	}
	v, err := policy.ParseYuan(s)
	if err != nil {
		return apperr.New(apperr.Invalid, "%q is not a number of credits with at most two decimals (e.g. \"12.50\")", s)
	}
	*c = Centi(v)
	return nil
}

// CentiMu is an area in hundredths of a 亩, written like Centi (7.50).
type CentiMu int64

func (m CentiMu) String() string { return Centi(m).String() }

// MarshalJSON writes 7.50.
func (m CentiMu) MarshalJSON() ([]byte, error) { return Centi(m).MarshalJSON() }

// UnmarshalJSON reads 7.50 or "7.50".
func (m *CentiMu) UnmarshalJSON(b []byte) error { return (*Centi)(m).UnmarshalJSON(b) }

// china is the county's clock: a date means that calendar day in Beijing time.
var china = time.FixedZone("CST", 8*3600)

func today() time.Time {
	y, m, d := time.Now().In(china).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Querier is a pool, a connection or a transaction.
type Querier = policy.Querier

// userID is the principal's user row, nil for tokens of nobody, the break-glass and CLI runs.
func userID(p auth.Principal) *int64 {
	if p.Actor.UserID == 0 {
		return nil
	}
	id := p.Actor.UserID
	return &id
}

// must refuses a principal without one of roles.
func must(p auth.Principal, what string, roles ...auth.Role) error {
	if p.Has(roles...) {
		return nil
	}
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	return apperr.New(apperr.Forbidden, "only %s %s", strings.Join(names, " or "), what)
}

// bankPolicy is the policy in force today.
func bankPolicy(ctx context.Context, db policy.Querier) (*policy.Policy, error) {
	pol, _, err := policy.InForce(ctx, db, time.Now())
	return pol, err
}

// text checks a required free-text field of a request.
func text(field, v string, max int) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", apperr.New(apperr.Invalid, "%q is empty", field)
	}
	if len([]rune(v)) > max {
		return "", apperr.New(apperr.Invalid, "%q is %d characters; keep it to %d", field, len([]rune(v)), max)
	}
	return v, nil
}

// date reads a request's date (today when empty), refusing days after today.
func date(field, v string) (time.Time, error) {
	if v == "" {
		return today(), nil
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return time.Time{}, apperr.New(apperr.Invalid, "%q is %q, not a date: write it as 2026-03-31", field, v)
	}
	if d.After(today()) {
		return time.Time{}, apperr.New(apperr.Invalid, "%q %s is after today: record it once it has happened", field, v)
	}
	return d, nil
}

// footprint is a checked footprint, where it lies and how big it is.
type footprint struct {
	wkb       []byte
	centimu   int64  // area in EPSG:4548, hundredths of a 亩, rounded half up
	areaID    *int64 // the protected area it overlaps most, if any
	area      string
	county    string
	exactArea *big.Rat // m² (EPSG:4548)
}

// locate reads a GeoJSON footprint, has PostGIS judge it, and finds its area (EPSG:4548, the
// county's Gauss-Krüger zone), the protected area it overlaps most and its county.
func locate(ctx context.Context, db Querier, raw json.RawMessage) (*footprint, error) {
	mp, err := zonecheck.Parse(raw)
	if err != nil {
		return nil, err
	}
	b, err := wkb.Marshal(mp)
	if err != nil {
		return nil, err
	}
	f := &footprint{wkb: b}
	var reason string
	var m2 *string
	var area, county *string
	err = db.QueryRow(ctx, `WITH g AS (SELECT ST_SetSRID(ST_GeomFromWKB($1), 4490) AS g)
		SELECT ST_IsValidReason(g),
		       CASE WHEN ST_IsValid(g) THEN ST_Area(ST_Transform(g, 4548))::numeric::text END,
		       (SELECT a.id FROM zone z JOIN protected_area a ON a.id = z.area_id
		         WHERE ST_IsValid(g) AND z.geom && g AND ST_Intersects(z.geom, g)
		         GROUP BY a.id ORDER BY sum(ST_Area(ST_Intersection(z.geom, g))) DESC, a.id LIMIT 1),
		       (SELECT a.name FROM zone z JOIN protected_area a ON a.id = z.area_id
		         WHERE ST_IsValid(g) AND z.geom && g AND ST_Intersects(z.geom, g)
		         GROUP BY a.id ORDER BY sum(ST_Area(ST_Intersection(z.geom, g))) DESC, a.id LIMIT 1),
		       (SELECT u.code FROM admin_unit u WHERE ST_IsValid(g) AND u.level = 'county' AND u.geom && g AND ST_Intersects(u.geom, g)
		         ORDER BY ST_Area(ST_Intersection(u.geom, g)) DESC LIMIT 1)
		FROM g`, b).Scan(&reason, &m2, &f.areaID, &area, &county)
	if err != nil {
		return nil, err
	}
	if m2 == nil {
		return nil, apperr.New(apperr.Invalid, "the footprint is not a valid polygon: %s; fix the outline (no self-intersections, holes inside their shell)", reason)
	}
	f.exactArea, _ = new(big.Rat).SetString(*m2)
	f.centimu = roundHalfUp(new(big.Rat).Mul(f.exactArea, big.NewRat(3, 20)))
	if f.centimu <= 0 {
		return nil, apperr.New(apperr.Invalid, "the footprint has no area")
	}
	if area != nil {
		f.area = *area
	}
	if county != nil {
		f.county = *county
	}
	return f, nil
}

// isUnique reports a unique violation.
func isUnique(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}

// roundHalfUp rounds a non-negative rational to the nearest integer, halves up.
func roundHalfUp(r *big.Rat) int64 {
	n := new(big.Int).Mul(r.Num(), big.NewInt(2))
	n.Add(n, r.Denom())
	d := new(big.Int).Mul(r.Denom(), big.NewInt(2))
	return new(big.Int).Quo(n, d).Int64()
}

// floorRat rounds a non-negative rational down.
func floorRat(r *big.Rat) int64 { return new(big.Int).Quo(r.Num(), r.Denom()).Int64() }

// ceilRat rounds a non-negative rational up.
func ceilRat(r *big.Rat) int64 {
	q, m := new(big.Int).QuoRem(r.Num(), r.Denom(), new(big.Int))
	if m.Sign() > 0 {
		q.Add(q, big.NewInt(1))
	}
	return q.Int64()
}

// shareOf is share × centi, rounded down (a release never runs ahead of its share).
func shareOf(centi int64, share policy.Decimal) int64 {
	return floorRat(new(big.Rat).Mul(big.NewRat(centi, 1), share.Rat()))
}
