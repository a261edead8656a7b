package postgis

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/wuyuan-forestry/ecocomp/migrations"
)

// Migrator applies the embedded migrations. It wraps goose's provider so callers never see goose.
type Migrator struct {
	db       *sql.DB
	provider *goose.Provider
}

// NewMigrator prepares the embedded migrations for the database behind pool.
func NewMigrator(pool *pgxpool.Pool) (*Migrator, error) {
	db := stdlib.OpenDBFromPool(pool)
	p, err := goose.NewProvider(goose.DialectPostgres, db, migrations.FS)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	return &Migrator{db: db, provider: p}, nil
}

// Close releases the migrator's connection (not the pool).
func (m *Migrator) Close() error { return m.db.Close() }

// Up applies every pending migration and returns the versions it applied (none on a second run).
func (m *Migrator) Up(ctx context.Context) ([]int64, error) {
	results, err := m.provider.Up(ctx)
	var applied []int64
	for _, r := range results {
		if r.Error == nil && !r.Empty {
			applied = append(applied, r.Source.Version)
		}
	}
	if err != nil {
		return applied, fmt.Errorf("migration failed: %s", Explain(err))
	}
	return applied, nil
}

// Current reports whether every embedded migration has been applied.
func (m *Migrator) Current(ctx context.Context) (bool, error) {
	pending, err := m.provider.HasPending(ctx)
	return !pending, err
}

// Migrate is the whole of `ecocomp migrate`: check PostGIS is installable, then apply.
func Migrate(ctx context.Context, pool *pgxpool.Pool) ([]int64, error) {
	ok, err := HasPostGIS(ctx, pool)
	if err != nil {
		return nil, fmt.Errorf("cannot query the server's extensions: %s", Explain(err))
	}
	if !ok {
		major, _ := ServerMajor(ctx, pool)
		return nil, MissingPostGIS(major)
	}
	m, err := NewMigrator(pool)
	if err != nil {
		return nil, err
	}
	defer m.Close()
	return m.Up(ctx)
}
