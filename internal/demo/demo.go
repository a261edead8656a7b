// Package demo generates the demonstration county: the real outline of 婺源县 and, drawn on it,
// 17 townships, about two hundred villages, the bird reserve and the wetland park with their
// zones, owners and N forest parcels (小班) that tile the county without gaps or overlaps.
//
// Everything but the county outline is demonstration data and is marked so (demo = true,
// "演示数据"). The output is a pure function of (seed, parcels): the same pair gives
// byte-identical rows, which Checksum proves. Geometry is built in PostGIS in EPSG:4548 metres
// (Voronoi cells, each shared edge perturbed once in Go, then noded and polygonized once, so that
// neighbours share identical edges) and stored in EPSG:4490.
package demo

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wuyuan-forestry/ecocomp/internal/pii"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis"
)

// CountyCode is the administrative code of the demo county, 婺源县.
const CountyCode = "361130"

// Names of the two protected areas the generator draws.
const (
	ReserveName = "江西婺源森林鸟类国家级自然保护区"
	WetlandName = "江西婺源饶河源国家湿地公园"
)

// Target areas (ha) of the protected areas, from public descriptions.
const (
	ReserveTargetHa = 12993.0
	WetlandTargetHa = 347.0
)

// validFrom is the fixed start of every generated parcel version, so reruns are byte-identical.
const validFrom = "2026-01-01T00:00:00+08:00"

// Options say what to generate.
type Options struct {
	Parcels  int               // number of parcels; 0 = everything except parcels
	Seed     int64             // 0 is taken as 1
	Replace  bool              // delete the county's existing data first
	Progress func(step string) // may be nil; called with short human lines ("townships: 17")
	// PII encrypts the owners' ID numbers, accounts and phones (required).
	PII *pii.Keyring
}

// Summary counts what Seed wrote (or found, when AlreadyLoaded).
type Summary struct {
	Townships, Villages, Areas, Zones, Owners, Parcels int
	AlreadyLoaded                                      bool
}

// Source is the import_batch.source text that identifies a demo seed run.
func (o Options) Source() string {
	return fmt.Sprintf("demo seed=%d parcels=%d", o.seedValue(), o.Parcels)
}

func (o Options) seedValue() int64 {
	if o.Seed == 0 {
		return 1
	}
	return o.Seed
}

// Seed writes the demo county in one transaction: all of it or nothing. When the county is
// already there from a seed run with the same options it reports AlreadyLoaded and changes
// nothing; from other options or another source it refuses unless opt.Replace is set.
func Seed(ctx context.Context, pool *pgxpool.Pool, opt Options) (Summary, error) {
	if opt.Parcels < 0 {
		return Summary{}, fmt.Errorf("demo seed: --parcels must be 0 or more, not %d", opt.Parcels)
	}
	if opt.PII == nil {
		return Summary{}, fmt.Errorf("demo seed: %w", pii.ErrNoKey)
	}
	data, err := loadSeedData()
	if err != nil {
		return Summary{}, fmt.Errorf("demo seed: %v", err)
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		return Summary{}, oneLine("demo seed: cannot start a transaction", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	// One seeder at a time per database.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(361130)`); err != nil {
		return Summary{}, oneLine("demo seed", err)
	}
	g := &gen{ctx: ctx, tx: tx, opt: opt, seed: opt.seedValue(), data: data}
	if sum, done, err := g.checkExisting(); err != nil || done {
		return sum, err
	}
	sum, err := g.run()
	if err != nil {
		return Summary{}, oneLine("demo seed", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return Summary{}, oneLine("demo seed: commit", err)
	}
	// Fresh statistics, or the planner takes a county of 100,000 parcels for a few hundred.
	if _, err := pool.Exec(ctx, `ANALYZE admin_unit, protected_area, zone, owner, parcel`); err != nil {
		return sum, oneLine("demo seed: analyze", err)
	}
	return sum, nil
}

// oneLine words an error in a single line: database errors through postgis.Explain.
func oneLine(prefix string, err error) error {
	msg := postgis.Explain(err)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		msg = "interrupted: " + msg
	}
	msg = strings.Join(strings.Fields(msg), " ")
	return fmt.Errorf("%s: %s", prefix, msg)
}

type gen struct {
	ctx     context.Context
	tx      pgx.Tx
	opt     Options
	seed    int64
	data    *seedData
	batchID int64

	county    *polySet // county in EPSG:4548
	countyHa  float64
	villages  []*village
	townships []*township
	parcels   []*parcelSeed
	sum       Summary
}

func (g *gen) progress(format string, args ...any) {
	if g.opt.Progress != nil {
		g.opt.Progress(fmt.Sprintf(format, args...))
	}
}

func (g *gen) exec(sql string, args ...any) error {
	_, err := g.tx.Exec(g.ctx, sql, args...)
	return err
}

// checkExisting decides what to do when the county is already in the database.
func (g *gen) checkExisting() (Summary, bool, error) {
	var exists bool
	if err := g.tx.QueryRow(g.ctx, `SELECT EXISTS (SELECT 1 FROM admin_unit WHERE code = $1)`, CountyCode).Scan(&exists); err != nil {
		return Summary{}, true, oneLine("demo seed", err)
	}
	if !exists {
		return Summary{}, false, nil
	}
	var source string
	err := g.tx.QueryRow(g.ctx, `SELECT source FROM import_batch WHERE kind = 'seed' AND status = 'done' AND source LIKE 'demo %'
		ORDER BY id DESC LIMIT 1`).Scan(&source)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return Summary{}, true, oneLine("demo seed", err)
	}
	if g.opt.Replace {
		g.progress("replacing the existing county %s", CountyCode)
		return Summary{}, false, g.deleteExisting()
	}
	if source == g.opt.Source() {
		sum, err := counts(g.ctx, g.tx)
		if err != nil {
			return Summary{}, true, oneLine("demo seed", err)
		}
		sum.AlreadyLoaded = true
		g.progress("already loaded (%s)", source)
		return sum, true, nil
	}
	held := "not from a demo seed"
	if source != "" {
		held = source
	}
	return Summary{}, true, fmt.Errorf("the database already holds county %s (%s); run with --replace to regenerate it", CountyCode, held)
}

func (g *gen) deleteExisting() error {
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`DELETE FROM parcel WHERE xian = $1`, []any{CountyCode}},
		{`DELETE FROM owner WHERE demo OR left(village_code, 6) = $1`, []any{CountyCode}},
		{`DELETE FROM protected_area WHERE name IN ($1, $2)`, []any{ReserveName, WetlandName}},
		{`DELETE FROM admin_unit WHERE level = 'village' AND left(code, 6) = $1`, []any{CountyCode}},
		{`DELETE FROM admin_unit WHERE level = 'township' AND left(code, 6) = $1`, []any{CountyCode}},
		{`DELETE FROM admin_unit WHERE code = $1`, []any{CountyCode}},
	} {
		if err := g.exec(q.sql, q.args...); err != nil {
			return oneLine("demo seed: cannot delete the existing county (use a fresh database?)", err)
		}
	}
	return nil
}

// counts reads the Summary figures of the county as stored.
func counts(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}) (Summary, error) {
	var s Summary
	err := q.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM admin_unit WHERE level = 'township' AND parent_code = '361130'),
		(SELECT count(*) FROM admin_unit WHERE level = 'village' AND code LIKE '361130%'),
		(SELECT count(*) FROM protected_area WHERE name IN ($1, $2)),
		(SELECT count(*) FROM zone z JOIN protected_area a ON a.id = z.area_id WHERE a.name IN ($1, $2)),
		(SELECT count(*) FROM owner WHERE demo),
		(SELECT count(*) FROM parcel WHERE xian = '361130' AND valid_to IS NULL)`,
		ReserveName, WetlandName).Scan(&s.Townships, &s.Villages, &s.Areas, &s.Zones, &s.Owners, &s.Parcels)
	return s, err
}

func (g *gen) run() (Summary, error) {
	if err := g.exec(`SET LOCAL work_mem = '256MB'`); err != nil {
		return Summary{}, err
	}
	if err := g.tx.QueryRow(g.ctx, `INSERT INTO import_batch (kind, source) VALUES ('seed', $1) RETURNING id`,
		g.opt.Source()).Scan(&g.batchID); err != nil {
		return Summary{}, err
	}
	steps := []struct {
		name string
		f    func() error
	}{
		{"county", g.loadCounty},
		{"villages", g.buildVillages},
		{"townships", g.assignTownships},
		{"admin units", g.storeAdminUnits},
		{"zones", g.buildZones},
		{"wetland patches", g.buildWetlands},
		{"parcels", g.buildParcels},
		{"owners and attributes", g.storeParcels},
	}
	for _, s := range steps {
		if err := s.f(); err != nil {
			return Summary{}, fmt.Errorf("%s: %w", s.name, err)
		}
	}
	sum, err := counts(g.ctx, g.tx)
	if err != nil {
		return Summary{}, err
	}
	if err := g.exec(`UPDATE import_batch SET status = 'done', finished_at = now(),
		report = jsonb_build_object('townships', $2::int, 'villages', $3::int, 'areas', $4::int, 'zones', $5::int,
			'owners', $6::int, 'parcels', $7::int, 'demo', true)
		WHERE id = $1`, g.batchID, sum.Townships, sum.Villages, sum.Areas, sum.Zones, sum.Owners, sum.Parcels); err != nil {
		return Summary{}, err
	}
	return sum, nil
}
