// Package tiles serves Mapbox Vector Tiles built by PostGIS (ST_AsMVT) for the web map, with an
// in-process cache of hot tiles that a change notice (PostgreSQL NOTIFY) invalidates.
//
// Each tile query uses two envelopes: the exact tile envelope in EPSG:3857 clips and quantises
// (ST_AsMVTGeom), a slightly larger one in EPSG:4490 selects rows through the GiST index. Below
// zoom 16 geometries are simplified to a screen pixel before they are transformed, so low-zoom
// tiles stay small and fast.
package tiles

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/singleflight"
)

// Extent is the tile coordinate extent.
const Extent = 4096

// Layer is one tile layer.
type Layer struct {
	Name        string
	Description string
	MinZoom     int
	MaxZoom     int
	// Fields documents the attributes (TileJSON vector_layers).
	Fields map[string]string
	// from selects rows with columns fid (bigint), geom (EPSG:4490) and the attributes; the
	// placeholder %s is the selection envelope in EPSG:4490.
	from string
}

// Layers are the tile layers, by name.
var Layers = map[string]*Layer{
	"county": {Name: "county", Description: "The county outline (real boundary)", MinZoom: 5, MaxZoom: 18,
		Fields: map[string]string{"code": "administrative code", "name": "name"},
		from:   `SELECT 1::bigint AS fid, code, name, geom FROM admin_unit WHERE level = 'county' AND geom && %[1]s`},
	"townships": {Name: "townships", Description: "Townships (demonstration boundaries)", MinZoom: 5, MaxZoom: 18,
		Fields: map[string]string{"code": "9-digit township code", "name": "name"},
		from:   `SELECT code::bigint AS fid, code, name, geom FROM admin_unit WHERE level = 'township' AND geom && %[1]s`},
	"villages": {Name: "villages", Description: "Villages (demonstration boundaries)", MinZoom: 9, MaxZoom: 18,
		Fields: map[string]string{"code": "12-digit village code", "name": "name"},
		from:   `SELECT code::bigint AS fid, code, name, geom FROM admin_unit WHERE level = 'village' AND geom && %[1]s`},
	"protected_areas": {Name: "protected_areas", Description: "Protected areas (union of their zones; demonstration boundaries)", MinZoom: 5, MaxZoom: 18,
		Fields: map[string]string{"name": "name", "area_kind": "nature_reserve, wetland_park, …", "demo": "demonstration data"},
		from: `SELECT a.id AS fid, a.name, a.area_kind, a.demo, z.geom FROM protected_area a
			JOIN LATERAL (SELECT ST_Union(geom) AS geom FROM zone WHERE area_id = a.id) z ON true WHERE z.geom && %[1]s`},
	"zones": {Name: "zones", Description: "Protected-area zones (demonstration boundaries)", MinZoom: 5, MaxZoom: 18,
		Fields: map[string]string{"name": "zone name", "area_name": "protected area", "area_kind": "area kind", "zone_kind": "core, buffer, experimental, conservation, …", "site": "site", "demo": "demonstration data"},
		from: `SELECT z.id AS fid, z.name, a.name AS area_name, z.area_kind, z.zone_kind, z.site, z.demo, z.geom
			FROM zone z JOIN protected_area a ON a.id = z.area_id WHERE z.geom && %[1]s`},
	"parcels": {Name: "parcels", Description: "Forest parcels (小班) coloured by the latest recomputed status", MinZoom: 11, MaxZoom: 18,
		Fields: map[string]string{"code": "parcel code", "status": "eligible, in_case, public_welfare, other", "eligible": "buyout candidate", "sen_lin_lb": "forest category code"},
		from: `SELECT p.id AS fid, p.code, el.status, el.eligible, p.sen_lin_lb, p.geom FROM parcel p
			LEFT JOIN parcel_eligibility el ON el.parcel_id = p.id
			     AND el.policy_version_id = (SELECT policy_version_id FROM recompute_run WHERE scope = 'all' ORDER BY id DESC LIMIT 1)
			WHERE p.valid_to IS NULL AND p.geom && %[1]s`},
	// One point per name, where the map writes it: the centre of the largest circle inside the
	// unit (its pole of inaccessibility), computed from the whole outline so every tile agrees.
	// Labelled polygons would be labelled once per tile they cross. A protected area is labelled
	// on each of its sites (片区); villages from zoom 11; parcels (林班-小班, leading zeros
	// dropped) from zoom 15. $1 is the zoom.
	"labels": {Name: "labels", Description: "Label points: township, village and protected-area names; parcel numbers from zoom 15", MinZoom: 5, MaxZoom: 18,
		Fields: map[string]string{"kind": "township, village, protected_area or parcel", "name": "the text: a name, or 林班-小班 for a parcel",
			"code": "the unit's or parcel's code, the protected area's id", "site": "the protected area's site (片区), else empty"},
		from: `SELECT code::bigint AS fid, 'township' AS kind, name, code, '' AS site, (ST_MaximumInscribedCircle(geom)).center AS geom
			FROM admin_unit WHERE level = 'township' AND geom && %[1]s
		UNION ALL
		SELECT code::bigint, 'village', name, code, '', (ST_MaximumInscribedCircle(geom)).center
			FROM admin_unit WHERE level = 'village' AND $1::int >= 11 AND geom && %[1]s
		UNION ALL
		SELECT s.fid, 'protected_area', a.name, a.id::text, s.site, (ST_MaximumInscribedCircle(s.geom)).center
			FROM (SELECT area_id, site, min(id) + 2000000000000000 AS fid, ST_Union(geom) AS geom FROM zone
				WHERE (area_id, site) IN (SELECT area_id, site FROM zone WHERE geom && %[1]s) GROUP BY area_id, site) s
			JOIN protected_area a ON a.id = s.area_id
		UNION ALL
		SELECT p.id + 1000000000000000, 'parcel',
			coalesce(nullif(ltrim(p.lin_ban, '0'), ''), '0') || '-' || coalesce(nullif(ltrim(p.xiao_ban, '0'), ''), '0'),
			p.code, '', (ST_MaximumInscribedCircle(p.geom)).center
			FROM parcel p WHERE p.valid_to IS NULL AND $1::int >= 15 AND p.geom && %[1]s`},
}

// layerSQL holds each layer's tile query, built once.
var layerSQL = func() map[string]string {
	m := map[string]string{}
	for name, l := range Layers {
		m[name] = l.sql()
	}
	return m
}()

// Names lists the layer names in drawing order.
var Names = []string{"county", "townships", "villages", "protected_areas", "zones", "parcels", "labels"}

// sql is the tile query of a layer. $1..$3 are z, x, y; $4..$7 the selection envelope in
// degrees (the tile plus a margin); $8 the simplification tolerance in degrees (0: none).
//
// Geometries are projected to Web Mercator as WGS 84 (EPSG:4326) longitudes and latitudes:
// CGCS2000 (EPSG:4490) coordinates are the same numbers to within centimetres, and PROJ's own
// 4490→3857 transform applies a null shift, so the tiles are identical. What differs is the
// first transform in each database session: PROJ searches its database for 4490→3857
// operations for 0.2–0.7 s, against 0.05–0.08 s for 4326→3857, and every cold tile rendered on a
// new pool connection waited for that search.
func (l *Layer) sql() string {
	cols := "r.fid"
	for _, f := range sortedKeys(l.Fields) {
		cols += ", r." + f
	}
	from := fmt.Sprintf(l.from, "ST_MakeEnvelope($4, $5, $6, $7, 4490)")
	return fmt.Sprintf(`WITH b AS (SELECT ST_TileEnvelope($1, $2, $3) AS e)
SELECT ST_AsMVT(t.*, '%s', %d, 'geom', 'fid') FROM (
  SELECT %s, ST_AsMVTGeom(ST_Transform(ST_SetSRID(CASE WHEN $8::float8 > 0 THEN ST_Simplify(r.geom, $8::float8, true) ELSE r.geom END, 4326), 3857), b.e, %d, 64, true) AS geom
  FROM (%s) r CROSS JOIN b
) t WHERE t.geom IS NOT NULL`, l.Name, Extent, cols, Extent, from)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Bounds returns the lon/lat bounds of tile z/x/y in Web Mercator.
func Bounds(z, x, y int) (minLon, minLat, maxLon, maxLat float64) {
	n := math.Exp2(float64(z))
	lon := func(x float64) float64 { return x/n*360 - 180 }
	lat := func(y float64) float64 { return math.Atan(math.Sinh(math.Pi*(1-2*y/n))) * 180 / math.Pi }
	return lon(float64(x)), lat(float64(y + 1)), lon(float64(x + 1)), lat(float64(y))
}

// Querier runs the tile query.
type Querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Service renders and caches tiles. The cache is a least-recently-used list bounded in bytes;
// a tile many clients ask for at the same moment is rendered once and shared.
type Service struct {
	db      Querier
	version atomic.Int64 // bumped by every change notice
	limit   int
	enabled bool
	group   singleflight.Group

	mu    sync.Mutex
	lru   *list.List // of *entry, most recently used at the front
	index map[key]*list.Element
	bytes int

	hits, misses, shared, busy atomic.Int64

	// renders bounds the distinct tiles rendered at once; a render waits at most renderWait
	// for a turn, then the request is told to come back (ErrBusy).
	renders    chan struct{}
	renderWait time.Duration
}

// ErrBusy is a cold tile turned away because enough tiles are being rendered already.
var ErrBusy = errors.New("the server is busy rendering as many tiles as it can; try again in a moment")

// LimitRenders lets at most n distinct tiles render at once, each waiting at most wait for a turn.
func (s *Service) LimitRenders(n int, wait time.Duration) {
	s.renders, s.renderWait = make(chan struct{}, max(n, 1)), wait
}

type key struct {
	layer   string
	z, x, y int
}

type entry struct {
	k key
	t *Tile
}

// Tile is a rendered tile and its entity tag.
type Tile struct {
	Data []byte
	ETag string
}

// Stats are the cache's counters since the start.
type Stats struct {
	Hits, Misses, Shared int64 // served from the cache; rendered; waited for another's render
	Busy                 int64 // turned away: too many renders at once
	Bytes                int   // in the cache now
}

// New returns a service over db caching up to limitBytes of tiles (0 disables the cache).
func New(db Querier, limitBytes int) *Service {
	return &Service{db: db, limit: limitBytes, enabled: limitBytes > 0, lru: list.New(), index: map[key]*list.Element{}}
}

// WithCache returns a service over the same database with a cache of limitBytes of its own.
func (s *Service) WithCache(limitBytes int) *Service {
	c := New(s.db, limitBytes)
	c.renders, c.renderWait = s.renders, s.renderWait
	return c
}

// Stats returns the cache's counters.
func (s *Service) Stats() Stats {
	s.mu.Lock()
	b := s.bytes
	s.mu.Unlock()
	return Stats{Hits: s.hits.Load(), Misses: s.misses.Load(), Shared: s.shared.Load(), Busy: s.busy.Load(), Bytes: b}
}

// Invalidate drops every cached tile; the next request renders afresh.
func (s *Service) Invalidate() {
	s.version.Add(1)
	s.mu.Lock()
	s.lru.Init()
	clear(s.index)
	s.bytes = 0
	s.mu.Unlock()
}

// Tile renders (or returns from cache) one tile of layer. Concurrent requests for a tile that is
// not cached wait for one render; a render outlives the request that started it only as long as
// some request still waits for it.
func (s *Service) Tile(ctx context.Context, l *Layer, z, x, y int) (*Tile, error) {
	k := key{l.Name, z, x, y}
	if t := s.cached(k); t != nil {
		s.hits.Add(1)
		return t, nil
	}
	version := s.version.Load()
	flight := fmt.Sprintf("%s/%d/%d/%d@%d", l.Name, z, x, y, version)
	ch := s.group.DoChan(flight, func() (any, error) {
		if s.renders != nil {
			timer := time.NewTimer(s.renderWait)
			defer timer.Stop()
			select {
			case s.renders <- struct{}{}:
				defer func() { <-s.renders }()
			case <-timer.C:
				s.busy.Add(1)
				return nil, ErrBusy
			}
		}
		s.misses.Add(1)
		// The render belongs to whoever waits; it is not tied to the first request's context, so
		// that client going away does not fail the others. It is bounded instead.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), renderTimeout)
		defer cancel()
		t, err := s.render(rctx, l, z, x, y)
		if err == nil && s.enabled && s.version.Load() == version {
			s.store(k, t)
		}
		return t, err
	})
	select {
	case res := <-ch:
		if res.Shared {
			s.shared.Add(1)
		}
		if res.Err != nil {
			return nil, res.Err
		}
		return res.Val.(*Tile), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// renderTimeout bounds one tile's render (a z0 tile of every parcel of a province takes seconds).
const renderTimeout = 60 * time.Second

func (s *Service) cached(k key) *Tile {
	if !s.enabled {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.index[k]; ok {
		s.lru.MoveToFront(e)
		return e.Value.(*entry).t
	}
	return nil
}

// store adds a tile and evicts the least recently used ones past the byte limit. A tile larger
// than the whole cache is not kept.
func (s *Service) store(k key, t *Tile) {
	if len(t.Data) > s.limit {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.index[k]; ok {
		return
	}
	s.index[k] = s.lru.PushFront(&entry{k, t})
	s.bytes += len(t.Data)
	for s.bytes > s.limit {
		last := s.lru.Back()
		e := last.Value.(*entry)
		s.lru.Remove(last)
		delete(s.index, e.k)
		s.bytes -= len(e.t.Data)
	}
}

// Query is the SQL and arguments of tile z/x/y of the layer: one row, one bytea column.
func (l *Layer) Query(z, x, y int) (string, []any) {
	minLon, minLat, maxLon, maxLat := Bounds(z, x, y)
	m := (maxLon - minLon) * 64 / Extent // the buffer ST_AsMVTGeom keeps around the tile
	return layerSQL[l.Name], []any{z, x, y, minLon - m, minLat - m, maxLon + m, maxLat + m, tolerance(z)}
}

// render renders one tile without the cache.
func (s *Service) render(ctx context.Context, l *Layer, z, x, y int) (*Tile, error) {
	var data []byte
	sql, args := l.Query(z, x, y)
	if err := s.db.QueryRow(ctx, sql, args...).Scan(&data); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	return &Tile{Data: data, ETag: `"` + hex.EncodeToString(sum[:12]) + `"`}, nil
}

// tolerance is the simplification tolerance in degrees at zoom z: one screen pixel of a tile
// drawn 512 pixels wide (8 of its 4096 units) below zoom 16, none from 16 on. Neighbours are
// simplified apart, so shared edges may part by up to that pixel — which no one can see.
func tolerance(z int) float64 {
	if z >= 16 {
		return 0
	}
	return 360.0 / float64(int64(1)<<z) / Extent * 8
}
