// Package overview is the compensation overview of issue 17 (point 3): for the county, a
// township or a village and one year, what the compensation has done — subsidy totals by
// programme, the parcels eligible for a buyout or agreement by zone and mode with their
// indicative cost, buyout cases by state with the money committed and paid against the year's
// budget, wetland credits issued, released and sold, and the coverage of forest care. Every
// figure is a sum in SQL over the tables the modules keep (subsidy_line, parcel_eligibility,
// buyout_case, wetland_ledger, care_*): areas in hundredths of a 亩 from the legal MIAN_JI, money
// in 分, credits in hundredths; nothing is cached.
package overview

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/policy"
)

// Querier is the part of a pool or transaction the overview needs.
type Querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// DB is a pool or connection: the overview reads in a transaction of its own.
type DB interface {
	Querier
	Begin(ctx context.Context) (pgx.Tx, error)
}

// Hundredths is a quantity kept in hundredths (0.01 亩, 0.01 credit), written as a JSON number
// with two decimals.
type Hundredths int64

func (h Hundredths) String() string { return policy.Fen(h).String() }

// MarshalJSON writes 1500 as 15.00.
func (h Hundredths) MarshalJSON() ([]byte, error) { return []byte(h.String()), nil }

// Unit is the administrative unit an overview covers.
type Unit struct {
	Code  string `json:"code"`
	Name  string `json:"name"`
	Level string `json:"level"`
}

// Overview is the whole answer of GET /api/v1/stats/overview.
type Overview struct {
	Year          int         `json:"year"`
	Unit          Unit        `json:"unit"`
	Townships     []Unit      `json:"townships"` // the townships of the county, for a selector
	PolicyVersion string      `json:"policy_version"`
	Subsidies     Subsidies   `json:"subsidies"`
	Eligibility   Eligibility `json:"eligibility"`
	Cases         Cases       `json:"cases"`
	Wetland       Wetland     `json:"wetland"`
	Care          Care        `json:"care"`
	Notes         []string    `json:"notes"`
}

// Program is one subsidy programme's total in the unit.
type Program struct {
	Program    string     `json:"program"`
	Name       string     `json:"program_name"`
	Parcels    int        `json:"parcels"`
	AreaMu     Hundredths `json:"area_mu"`
	AmountYuan policy.Fen `json:"amount_yuan"`
	Confirmed  bool       `json:"confirmed"`
}

// Subsidies are the subsidy lines of the year's last full recompute.
type Subsidies struct {
	Programs  []Program  `json:"programs"`
	TotalYuan policy.Fen `json:"total_yuan"`
}

// EligibleRow counts the eligible parcels of one zone kind offered one mode.
type EligibleRow struct {
	ZoneKind string     `json:"zone_kind"` // the parcel's first zone in priority order; "" outside every zone
	Zone     string     `json:"zone"`
	Mode     string     `json:"mode"`
	Parcels  int        `json:"parcels"`
	AreaMu   Hundredths `json:"area_mu"`
	CostYuan policy.Fen `json:"cost_yuan"`
}

// Eligibility is the eligible parcels of the year's last full recompute. A parcel offered
// several modes is counted once in the totals and once in each mode's row.
type Eligibility struct {
	Rows     []EligibleRow `json:"rows"`
	Parcels  int           `json:"parcels"`
	AreaMu   Hundredths    `json:"area_mu"`
	CostYuan policy.Fen    `json:"cost_yuan"`
}

// StatusCount is the cases in one state.
type StatusCount struct {
	Status string     `json:"status"`
	Cases  int        `json:"cases"`
	AreaMu Hundredths `json:"area_mu"`
}

// Cases are the buyout and agreement cases with an offered parcel in the unit.
type Cases struct {
	ByStatus      []StatusCount `json:"by_status"`
	Total         int           `json:"total"`
	CommittedYuan policy.Fen    `json:"committed_yuan"` // contracts signed in the year: the lump sum, or one year of a yearly contract
	PaidYuan      policy.Fen    `json:"paid_yuan"`      // payments dated in the year, reversals netted
	BudgetYuan    *policy.Fen   `json:"budget_yuan"`    // the county's budget of the year (policy cases.budget_yuan)
	BudgetUsedPct *string       `json:"budget_used_pct"`
}

// Wetland is the credits of the approved projects whose footprint lies (by its inner point) in
// the unit: to the end of the year, and in the year alone.
type Wetland struct {
	Projects         int        `json:"projects"`
	Issued           Hundredths `json:"issued"`
	Released         Hundredths `json:"released"`
	Sold             Hundredths `json:"sold"`
	YearIssued       Hundredths `json:"year_issued"`
	YearReleased     Hundredths `json:"year_released"`
	YearSold         Hundredths `json:"year_sold"`
	YearProceedsYuan policy.Fen `json:"year_proceeds_yuan"`
}

// Care is the forest care in the unit on a day (the end of the year, or today when earlier).
type Care struct {
	On              string     `json:"on"`
	Areas           int        `json:"areas"`
	AreasWithRanger int        `json:"areas_with_ranger"`
	Rangers         int        `json:"rangers"`
	TargetParcels   int        `json:"target_parcels"`
	TargetMu        Hundredths `json:"target_mu"`
	OutsideParcels  int        `json:"outside_parcels"`
	OutsideMu       Hundredths `json:"outside_mu"`
	CoveredPct      *string    `json:"covered_pct"`
}

var china = time.FixedZone("CST", 8*3600)

// Load computes the overview of unit (a county, township or village code or name; "" the
// county) for year.
func Load(ctx context.Context, db DB, year int, unit string) (*Overview, error) {
	if year < 2000 || year > 2100 {
		return nil, apperr.BadParam("year", "%d is not a year between 2000 and 2100", year)
	}
	o := &Overview{Year: year, Townships: []Unit{}, Notes: []string{
		"areas are the legal MIAN_JI × 15 in 亩; money in 元 summed in 分",
		"subsidies and eligibility are those of the year's last full recompute",
		"a case belongs to the township of its first offered parcel; a wetland project to the township holding its footprint's inner point",
	}}
	var err error
	if unit == "" {
		err = db.QueryRow(ctx, `SELECT code, name, level FROM admin_unit WHERE level = 'county' ORDER BY code LIMIT 1`).Scan(&o.Unit.Code, &o.Unit.Name, &o.Unit.Level)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, apperr.New(apperr.NotFound, "no county is loaded: run `ecocomp seed` or import the administrative units first")
		}
	} else {
		err = db.QueryRow(ctx, `SELECT code, name, level FROM admin_unit WHERE code = $1 OR name = $1 ORDER BY length(code) LIMIT 1`, unit).Scan(&o.Unit.Code, &o.Unit.Name, &o.Unit.Level)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, apperr.BadParam("unit", "no county, township or village has the code or name %q", unit)
		}
	}
	if err != nil {
		return nil, err
	}
	rows, err := db.Query(ctx, `SELECT code, name, level FROM admin_unit WHERE level = 'township' AND parent_code = left($1, 6) ORDER BY code`, o.Unit.Code)
	if err != nil {
		return nil, err
	}
	o.Townships, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Unit, error) {
		var u Unit
		return u, r.Scan(&u.Code, &u.Name, &u.Level)
	})
	if err != nil {
		return nil, err
	}
	// One read-only snapshot for every panel. JIT is off: the spatial predicates make the
	// planner's cost estimates large enough to compile, which took seconds (about 4 s of 5 on a
	// 20,000-parcel county) for queries that run in a fraction of that.
	tx, err := db.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx) //nolint:errcheck // read-only; nothing to keep
	if _, err := tx.Exec(ctx, `SET TRANSACTION READ ONLY ISOLATION LEVEL REPEATABLE READ`); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `SET LOCAL jit = off`); err != nil {
		return nil, err
	}
	for _, step := range []func(context.Context, Querier, *Overview) error{subsidies, eligibility, cases, wetland, care} {
		if err := step(ctx, tx, o); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// inUnit is the SQL test of a parcel p lying in the unit $1 (by its code, never its outline).
const inUnit = `$1 IN (p.xian, p.township_code, p.village_code)`

// lastRun finds the year's last full recompute: its policy version and when it ran.
func lastRun(ctx context.Context, db Querier, o *Overview) (int64, time.Time, bool, error) {
	var vid int64
	var at time.Time
	err := db.QueryRow(ctx, `SELECT r.policy_version_id, v.version, coalesce(r.finished_at, r.started_at) FROM recompute_run r
		JOIN policy_version v ON v.id = r.policy_version_id
		WHERE r.year = $1 AND r.scope = 'all' ORDER BY r.id DESC LIMIT 1`, o.Year).Scan(&vid, &o.PolicyVersion, &at)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, at, false, nil
	}
	return vid, at, err == nil, err
}

func subsidies(ctx context.Context, db Querier, o *Overview) error {
	o.Subsidies.Programs = []Program{}
	vid, at, ok, err := lastRun(ctx, db, o)
	if err != nil || !ok {
		if ok || err == nil {
			o.Notes = append(o.Notes, fmt.Sprintf("no subsidy lines have been computed for %d: run `ecocomp recompute --year %d`", o.Year, o.Year))
		}
		return err
	}
	rows, err := db.Query(ctx, `SELECT s.program, min(s.program_name), count(DISTINCT s.parcel_id), sum(s.area_centimu), sum(s.amount_fen), bool_and(s.confirmed)
		FROM subsidy_line s
		JOIN parcel p ON p.id = s.parcel_id AND p.valid_from <= $4 AND (p.valid_to IS NULL OR p.valid_to > $4)
		WHERE s.policy_version_id = $2 AND s.year = $3 AND `+inUnit+`
		GROUP BY s.program ORDER BY sum(s.amount_fen) DESC, s.program`, o.Unit.Code, vid, o.Year, at)
	if err != nil {
		return err
	}
	o.Subsidies.Programs, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Program, error) {
		var p Program
		return p, r.Scan(&p.Program, &p.Name, &p.Parcels, &p.AreaMu, &p.AmountYuan, &p.Confirmed)
	})
	for _, p := range o.Subsidies.Programs {
		o.Subsidies.TotalYuan += p.AmountYuan
	}
	return err
}

// zoneOrder ranks zone kinds: a parcel in several zones is counted in the first.
const zoneOrder = `ARRAY['core', 'core_protection', 'buffer', 'conservation', 'restoration', 'experimental', 'general_control', 'reasonable_use']`

func eligibility(ctx context.Context, db Querier, o *Overview) error {
	o.Eligibility.Rows = []EligibleRow{}
	vid, at, ok, err := lastRun(ctx, db, o)
	if err != nil || !ok {
		return err
	}
	rows, err := db.Query(ctx, `
		WITH el AS (
		    SELECT p.id, p.mian_ji, coalesce(e.estimate_fen, 0) AS fen, e.modes,
		        coalesce((SELECT z.zone_kind FROM parcel_zone_overlap ov JOIN zone z ON z.id = ov.zone_id WHERE ov.parcel_id = p.id
		                  ORDER BY coalesce(array_position(`+zoneOrder+`, z.zone_kind), 99), ov.share DESC LIMIT 1), '') AS zk
		    FROM parcel_eligibility e
		    JOIN parcel p ON p.id = e.parcel_id AND p.valid_from <= $3 AND (p.valid_to IS NULL OR p.valid_to > $3)
		    WHERE e.policy_version_id = $2 AND e.eligible AND `+inUnit+`)
		SELECT zk, coalesce(k.label_zh, ''), m, count(*), round(sum(mian_ji) * 1500)::bigint, sum(fen)::bigint
		FROM el CROSS JOIN LATERAL unnest(CASE WHEN cardinality(modes) = 0 THEN ARRAY['']::text[] ELSE modes END) m
		LEFT JOIN (SELECT DISTINCT ON (zone_kind) zone_kind, label_zh FROM zone_kind ORDER BY zone_kind, area_kind) k ON k.zone_kind = zk
		GROUP BY zk, k.label_zh, m
		ORDER BY coalesce(array_position(`+zoneOrder+`, zk), 99), m`, o.Unit.Code, vid, at)
	if err != nil {
		return err
	}
	o.Eligibility.Rows, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (EligibleRow, error) {
		var e EligibleRow
		return e, r.Scan(&e.ZoneKind, &e.Zone, &e.Mode, &e.Parcels, &e.AreaMu, &e.CostYuan)
	})
	if err != nil {
		return err
	}
	return db.QueryRow(ctx, `SELECT count(*), coalesce(round(sum(p.mian_ji) * 1500), 0)::bigint, coalesce(sum(e.estimate_fen), 0)::bigint
		FROM parcel_eligibility e
		JOIN parcel p ON p.id = e.parcel_id AND p.valid_from <= $3 AND (p.valid_to IS NULL OR p.valid_to > $3)
		WHERE e.policy_version_id = $2 AND e.eligible AND `+inUnit, o.Unit.Code, vid, at).Scan(&o.Eligibility.Parcels, &o.Eligibility.AreaMu, &o.Eligibility.CostYuan)
}

// caseStates is the order the states are shown in.
var caseStates = []string{"applied", "verified", "appraised", "noticed", "signed", "transferred", "in_force", "closed", "rejected", "withdrawn"}

func cases(ctx context.Context, db Querier, o *Overview) error {
	const inCase = `WITH c AS (
		SELECT b.id, b.status, b.signed_on, b.price_fen, b.yearly_fen,
		    (SELECT round(sum(p2.mian_ji) * 1500)::bigint FROM case_parcel cp2 JOIN parcel p2 ON p2.id = cp2.parcel_id WHERE cp2.case_id = b.id AND cp2.role = 'offered') AS centimu
		FROM buyout_case b
		JOIN LATERAL (SELECT p.xian, p.township_code, p.village_code FROM case_parcel cp JOIN parcel p ON p.id = cp.parcel_id
		              WHERE cp.case_id = b.id AND cp.role = 'offered' ORDER BY cp.code LIMIT 1) p ON true
		WHERE ` + inUnit + `)`
	rows, err := db.Query(ctx, inCase+` SELECT status, count(*), coalesce(sum(centimu), 0)::bigint FROM c GROUP BY status`, o.Unit.Code)
	if err != nil {
		return err
	}
	got := map[string]StatusCount{}
	for rows.Next() {
		var s StatusCount
		if err := rows.Scan(&s.Status, &s.Cases, &s.AreaMu); err != nil {
			rows.Close()
			return err
		}
		got[s.Status] = s
	}
	if err := rows.Err(); err != nil {
		return err
	}
	o.Cases.ByStatus = make([]StatusCount, 0, len(caseStates))
	for _, st := range caseStates {
		s := got[st]
		s.Status = st
		o.Cases.ByStatus = append(o.Cases.ByStatus, s)
		o.Cases.Total += s.Cases
	}
	if err := db.QueryRow(ctx, inCase+` SELECT
		    (SELECT coalesce(sum(coalesce(price_fen, 0) + coalesce(yearly_fen, 0)), 0)::bigint FROM c
		     WHERE extract(year FROM signed_on) = $2 AND status IN ('signed', 'transferred', 'in_force', 'closed')),
		    (SELECT coalesce(sum(pay.amount_fen), 0)::bigint FROM case_payment pay JOIN c ON c.id = pay.case_id WHERE extract(year FROM pay.paid_on) = $2)`,
		o.Unit.Code, o.Year).Scan(&o.Cases.CommittedYuan, &o.Cases.PaidYuan); err != nil {
		return err
	}
	pol, _, err := policy.ByYear(ctx, db, o.Year)
	if apperr.CodeOf(err) == apperr.NotFound {
		o.Notes = append(o.Notes, fmt.Sprintf("no policy is loaded for %d: the cases' budget is not known", o.Year))
		return nil
	}
	if err != nil {
		return err
	}
	if pol.Cases != nil {
		b := pol.Cases.BudgetYuan
		o.Cases.BudgetYuan = &b
		if b > 0 {
			pct := percent(int64(o.Cases.CommittedYuan), int64(b))
			o.Cases.BudgetUsedPct = &pct
		}
	}
	return nil
}

// percent is part/whole in per cent with one decimal, rounded half up, from integers.
func percent(part, whole int64) string {
	tenths := (part*1000*2 + whole) / (2 * whole)
	return fmt.Sprintf("%d.%d", tenths/10, tenths%10)
}

func wetland(ctx context.Context, db Querier, o *Overview) error {
	end := time.Date(o.Year+1, 1, 1, 0, 0, 0, 0, china)
	start := time.Date(o.Year, 1, 1, 0, 0, 0, 0, china)
	return db.QueryRow(ctx, `
		WITH pr AS (
		    SELECT w.id FROM wetland_project w
		    WHERE w.status = 'approved' AND ($1 = left($1, 6) OR EXISTS (
		        SELECT 1 FROM admin_unit u WHERE u.code = $1 AND ST_Intersects(u.geom, ST_PointOnSurface(w.geom))))),
		l AS (SELECT l.* FROM wetland_ledger l JOIN pr ON pr.id = l.project_id WHERE l.at < $2)
		SELECT (SELECT count(*) FROM pr),
		    coalesce(sum(centi) FILTER (WHERE kind = 'issue' OR bucket = 'issued'), 0)::bigint,
		    coalesce(sum(centi) FILTER (WHERE kind = 'release' OR bucket = 'released'), 0)::bigint,
		    coalesce(sum(centi) FILTER (WHERE kind = 'sale' OR bucket = 'sold'), 0)::bigint,
		    coalesce(sum(centi) FILTER (WHERE at >= $3 AND (kind = 'issue' OR bucket = 'issued')), 0)::bigint,
		    coalesce(sum(centi) FILTER (WHERE at >= $3 AND (kind = 'release' OR bucket = 'released')), 0)::bigint,
		    coalesce(sum(centi) FILTER (WHERE at >= $3 AND (kind = 'sale' OR bucket = 'sold')), 0)::bigint,
		    coalesce(sum(fen) FILTER (WHERE at >= $3 AND kind = 'sale'), 0)::bigint
		FROM l`, o.Unit.Code, end, start).Scan(&o.Wetland.Projects, &o.Wetland.Issued, &o.Wetland.Released, &o.Wetland.Sold,
		&o.Wetland.YearIssued, &o.Wetland.YearReleased, &o.Wetland.YearSold, &o.Wetland.YearProceedsYuan)
}

// careTarget is the coverage check's targets among parcels p (internal/care): current
// public-welfare or natural forest of unit $1, legacy codes read through the dictionary's
// maps_to (one hashed set, not a lookup per parcel).
const careTarget = `p.valid_to IS NULL AND ` + inUnit + ` AND (
		(p.code_scheme, p.sen_lin_lb) IN (SELECT d.scheme, d.code FROM code_dictionary d
		    WHERE d.field = 'SEN_LIN_LB' AND coalesce(d.maps_to, d.code) IN ('011', '012'))
		OR (p.code_scheme, p.qi_yuan) IN (SELECT d.scheme, d.code FROM code_dictionary d
		    WHERE d.field = 'QI_YUAN' AND coalesce(d.maps_to, d.code) IN ('11', '12', '13')))`

func care(ctx context.Context, db Querier, o *Overview) error {
	on := time.Now().In(china)
	if last := time.Date(o.Year, 12, 31, 0, 0, 0, 0, china); last.Before(on) {
		on = last
	}
	o.Care.On = on.Format(time.DateOnly)
	err := db.QueryRow(ctx, `
		WITH u AS (SELECT geom FROM admin_unit WHERE code = $1),
		a AS (SELECT a.id FROM care_area a, u WHERE ST_Intersects(a.geom, u.geom) AND NOT ST_Touches(a.geom, u.geom)),
		asg AS (SELECT s.area_id, s.ranger_id FROM care_assignment s JOIN a ON a.id = s.area_id WHERE s.period @> $2::date),
		-- the coverage check's targets (care.Coverage): current public-welfare or natural forest
		-- of the unit; covered are those some area holds (more than a shared edge). The covered
		-- are found from the areas through the parcels' index, so a county without areas costs
		-- one scan (at 1,000,000 parcels a probe of the areas per target took 1.4 s more, and a
		-- materialised list of targets with outlines 4 s)
		target AS (SELECT count(*) AS n, coalesce(round(sum(p.mian_ji) * 1500), 0)::bigint AS centimu
		    FROM parcel p WHERE `+careTarget+`),
		covered AS (SELECT count(*) AS n, coalesce(round(sum(q.mian_ji) * 1500), 0)::bigint AS centimu
		    FROM (SELECT DISTINCT p.id, p.mian_ji FROM care_area ca JOIN parcel p ON ca.geom && p.geom
		          WHERE `+careTarget+` AND ST_Intersects(ca.geom, p.geom)
		            AND (ST_ContainsProperly(ca.geom, p.geom) OR ST_Relate(ca.geom, p.geom, '2********'))) q)
		SELECT (SELECT count(*) FROM a), (SELECT count(DISTINCT area_id) FROM asg), (SELECT count(DISTINCT ranger_id) FROM asg),
		    target.n, target.centimu, target.n - covered.n, target.centimu - covered.centimu FROM target, covered`,
		o.Unit.Code, o.Care.On).Scan(&o.Care.Areas, &o.Care.AreasWithRanger, &o.Care.Rangers, &o.Care.TargetParcels, &o.Care.TargetMu,
		&o.Care.OutsideParcels, &o.Care.OutsideMu)
	if err != nil {
		return err
	}
	if o.Care.TargetMu > 0 {
		pct := percent(int64(o.Care.TargetMu-o.Care.OutsideMu), int64(o.Care.TargetMu))
		o.Care.CoveredPct = &pct
	}
	return nil
}
