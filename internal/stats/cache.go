package stats

import (
	"context"
	"sync"
	"time"
)

// Cache keeps computed tables in process memory, keyed by table, unit and instant (the current
// state has its own key). Every parcel write — import, seed, case transfer — creates an
// import_batch row, so the cache is valid while the import batches are as they were: each lookup
// reads their fingerprint (the largest id, how many are done, the latest finish; a query on a
// small table) and drops everything when it moved. A server that also listens for
// ecocomp_change notices may call Invalidate.
type Cache struct {
	mu     sync.Mutex
	print  string
	tables map[cacheKey]*Table
	max    int
}

type cacheKey struct {
	table, unit string
	at          int64 // Unix microseconds; 0 = the current state
}

// NewCache keeps at most max tables (older ones are dropped at random when full).
func NewCache(max int) *Cache { return &Cache{tables: map[cacheKey]*Table{}, max: max} }

// Invalidate drops every cached table.
func (c *Cache) Invalidate() {
	c.mu.Lock()
	c.tables = map[cacheKey]*Table{}
	c.mu.Unlock()
}

func fingerprint(ctx context.Context, db DB) (string, error) {
	var s string
	err := db.QueryRow(ctx, `SELECT coalesce(max(id), 0) || '/' || count(*) FILTER (WHERE status = 'done') || '/' ||
		coalesce(max(finished_at)::text, '') FROM import_batch`).Scan(&s)
	return s, err
}

// Table answers the table from the cache or computes it. The second result says whether it
// came from the cache.
func (c *Cache) Table(ctx context.Context, db DB, key string, unit Unit, t time.Time, asOfText string) (*Table, bool, error) {
	fp, err := fingerprint(ctx, db)
	if err != nil {
		return nil, false, err
	}
	k := cacheKey{table: key, unit: unit.Code}
	if !current(t, asOfText) {
		k.at = t.UnixMicro()
	}
	c.mu.Lock()
	if c.print != fp {
		c.print = fp
		c.tables = map[cacheKey]*Table{}
	}
	if tb, ok := c.tables[k]; ok {
		c.mu.Unlock()
		return withAsOf(tb, t, asOfText), true, nil
	}
	c.mu.Unlock()
	tb, err := Compute(ctx, db, key, unit, t, asOfText)
	if err != nil {
		return nil, false, err
	}
	c.mu.Lock()
	if c.print == fp {
		if len(c.tables) >= c.max {
			for old := range c.tables {
				delete(c.tables, old)
				break
			}
		}
		c.tables[k] = tb
	}
	c.mu.Unlock()
	return tb, false, nil
}

// withAsOf is a cached table with the caller's own as_of words (the current state is shared by
// every as_of that is not in the past).
func withAsOf(tb *Table, t time.Time, asOfText string) *Table {
	cp := *tb
	cp.AsOf = asOfText
	if cp.AsOf == "" {
		cp.AsOf = t.In(China).Format("2006-01-02")
	}
	cp.AsOfInstant = t.In(China).Format(time.RFC3339)
	return &cp
}
