// Package httpapi is ecocomp's HTTP face: the chi router, the RFC 9457 error mapping, health
// and readiness, and (as they arrive) the parcel API, OGC API Features, tiles and the web map.
package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"path"
	"runtime/debug"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/auth"
	"github.com/wuyuan-forestry/ecocomp/internal/config"
	"github.com/wuyuan-forestry/ecocomp/internal/features"
	"github.com/wuyuan-forestry/ecocomp/internal/jobs"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis"
	"github.com/wuyuan-forestry/ecocomp/internal/tiles"
	"github.com/wuyuan-forestry/ecocomp/web"
)

// Server holds what the handlers need. It has no global state: tests build their own.
type Server struct {
	pool    *pgxpool.Pool
	log     *slog.Logger
	cfg     config.Config
	auth    *auth.Service
	router  *chi.Mux
	metrics *metrics
	limits  *limiter
	extent  extentCache
	tiles   *tiles.Service
	builder features.Builder // builds the parcel features large writes queue (Start)
	jobs    *jobs.Runner     // the import workers (imports.go)
}

// New builds the server's routes on pool.
func New(pool *pgxpool.Pool, log *slog.Logger, cfg config.Config) *Server {
	s := &Server{pool: pool, log: log, cfg: cfg, auth: auth.New(pool, cfg), tiles: tiles.New(pool, cfg.TileCacheMB<<20)}
	s.tiles.LimitRenders(intOr(cfg.TileRenders, 4), durationOr(cfg.PoolWait, 3*time.Second))
	s.metrics = newMetrics(pool, s.tiles)
	s.limits = newLimiter(poolSlots(pool), intOr(cfg.HeavyConcurrency, config.DefaultHeavyConcurrency()), durationOr(cfg.PoolWait, 3*time.Second),
		durationOr(cfg.RequestTimeout, 30*time.Second), durationOr(cfg.HeavyTimeout, 10*time.Minute),
		func(c class, limit string) { s.metrics.shed.WithLabelValues(c.String(), limit).Inc() })
	r := chi.NewRouter()
	r.Use(middleware.RequestID, s.route, s.recoverer, s.logRequests, s.checkQuery, s.authenticate, s.authorize, s.limit)
	r.NotFound(s.notFound)
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, apperr.New(apperr.NotAllowed, "%s is not allowed on %s", r.Method, r.URL.Path))
	})
	r.Get("/healthz", s.healthz)
	r.Get("/metrics", s.metrics.handler().ServeHTTP)
	r.Get("/readyz", s.handle(s.readyz))
	s.parcelRoutes(r)
	s.ogcRoutes(r)
	s.compensationRoutes(r)
	s.tileRoutes(r)
	s.importRoutes(r)
	s.sessionRoutes(r)
	s.ownerRoutes(r)
	s.caseRoutes(r)
	s.wetlandRoutes(r)
	s.careRoutes(r)
	s.overviewRoutes(r)
	s.pilotRoutes(r)
	s.careMapRoutes(r)
	s.careHistoryRoutes(r)
	s.casefileRoutes(r)
	s.townshipRoutes(r)
	s.statsRoutes(r)
	s.fontRoutes(r)
	r.Get("/*", s.staticFiles(web.Dist()).ServeHTTP)
	s.router = r
	return s
}

// Start runs what the server does in the background until ctx ends: it listens for change
// notices (imports, policy loads, recomputes) and drops the cached tiles and extent on each, and
// it builds the parcel features a large write queued (features.Builder).
func (s *Server) Start(ctx context.Context) {
	go postgis.Listen(ctx, s.pool, s.log, func(payload string) {
		s.tiles.Invalidate()
		s.extent.mu.Lock()
		s.extent.bbox = nil
		s.extent.mu.Unlock()
		if payload != "" {
			s.log.Info("change notice: cached tiles dropped", "notice", payload)
		}
	})
	go s.builder.Keep(ctx, s.pool, s.log)
}

type routeKey struct{}

// route finds, once, the pattern of the route a request will reach ("" for none): access rules,
// limits and metrics are all keyed by it.
func (s *Server) route(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pattern := s.router.Find(chi.NewRouteContext(), r.Method, r.URL.Path)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), routeKey{}, pattern)))
	})
}

func routePattern(r *http.Request) string {
	p, _ := r.Context().Value(routeKey{}).(string)
	return p
}

// poolSlots is how many requests may use the database at once: the pool's connections.
func poolSlots(pool *pgxpool.Pool) int {
	if pool == nil {
		return 8
	}
	return max(int(pool.Config().MaxConns), 1)
}

func intOr(n, def int) int {
	if n > 0 {
		return n
	}
	return def
}

func durationOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// ServeHTTP makes Server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.router.ServeHTTP(w, r) }

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 only when the database answers and every migration is applied.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	if err := s.pool.Ping(ctx); err != nil {
		return err
	}
	m, err := postgis.NewMigrator(s.pool)
	if err != nil {
		return err
	}
	defer m.Close()
	current, err := m.Current(ctx)
	if err != nil {
		return err
	}
	if !current {
		return apperr.New(apperr.Unavailable, "the database schema is behind this binary: run `ecocomp migrate`")
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready", "database": "ok", "migrations": "current"})
	return nil
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.fail(w, r, apperr.New(apperr.NotFound, "there is no resource at %s; see / for the map and the README for the endpoints", r.URL.Path))
}

// staticFiles serves the embedded web map; a missing file is a problem like any other 404.
func (s *Server) staticFiles(files fs.FS) http.Handler {
	fileServer := http.FileServerFS(files)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
		if name == "" {
			name = "index.html"
		}
		if _, err := fs.Stat(files, name); err != nil {
			s.notFound(w, r)
			return
		}
		fileServer.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	writeJSONBody(w, status, v)
}

// writeJSONBody writes v with the Content-Type already set by the caller.
func writeJSONBody(w http.ResponseWriter, status int, v any) {
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// recoverer turns a panic into a 500 problem; the stack goes to the log, never to the client.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic", "request_id", middleware.GetReqID(r.Context()), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				s.fail(w, r, apperr.Wrap(apperr.Internal, fmt.Errorf("panic: %v", v), "an internal error occurred; it has been logged with the request id"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// Serve listens on cfg.Addr and serves until ctx ends, then drains requests for up to 10 s and,
// meanwhile, stops claiming import jobs and waits up to cfg.ShutdownGrace for the running ones
// before it cancels them (they roll back and are queued again). ready, when not nil, receives the
// bound address once the listener is up.
func Serve(ctx context.Context, s *Server, addr string, ready func(net.Addr)) error {
	ln, err := listen(addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	if ready != nil {
		ready(ln.Addr())
	}
	s.Start(ctx)
	s.StartJobs(ctx)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		s.DrainJobs(durationOr(s.cfg.ShutdownGrace, 30*time.Second))
		return err
	case <-ctx.Done():
	}
	// Import jobs stop being claimed and get their grace period while requests drain.
	jobsDone := make(chan struct{})
	go func() {
		defer close(jobsDone)
		s.DrainJobs(durationOr(s.cfg.ShutdownGrace, 30*time.Second))
	}()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = srv.Shutdown(shutdownCtx)
	<-jobsDone
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
