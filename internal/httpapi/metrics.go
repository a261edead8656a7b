package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/wuyuan-forestry/ecocomp/internal/tiles"
)

// metrics are the server's Prometheus metrics, on a registry of its own (no globals).
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	shed     *prometheus.CounterVec
	gone     prometheus.Counter
}

func newMetrics(pool *pgxpool.Pool, t *tiles.Service) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ecocomp_http_requests_total",
		Help: "HTTP requests by route pattern, method and status code."}, []string{"route", "method", "code"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "ecocomp_http_request_duration_seconds",
		Help:    "Time to the last byte of a response, by route pattern and method.",
		Buckets: []float64{.002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}}, []string{"route", "method"})
	m.shed = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ecocomp_http_shed_total",
		Help: "Requests turned away with 503 and Retry-After because a limit was reached, by class and limit."}, []string{"class", "limit"})
	m.gone = prometheus.NewCounter(prometheus.CounterOpts{Name: "ecocomp_http_client_gone_total",
		Help: "Responses cut short because the client went away."})
	for _, cl := range []class{classLight, classHeavy, classLong} { // zeros show before the first shed
		m.shed.WithLabelValues(cl.String(), "database")
	}
	m.shed.WithLabelValues(classHeavy.String(), "heavy")
	m.shed.WithLabelValues(classLight.String(), "tile_renders")
	m.reg.MustRegister(m.requests, m.duration, m.shed, m.gone,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if pool != nil {
		m.reg.MustRegister(poolCollector{pool}, jobsCollector{pool})
	}
	if t != nil {
		m.reg.MustRegister(
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "ecocomp_tile_cache_hits_total", Help: "Vector tiles served from the cache."},
				func() float64 { return float64(t.Stats().Hits) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "ecocomp_tile_cache_misses_total", Help: "Vector tiles rendered by PostGIS."},
				func() float64 { return float64(t.Stats().Misses) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "ecocomp_tile_renders_shared_total", Help: "Tile requests that waited for the same tile being rendered for another client."},
				func() float64 { return float64(t.Stats().Shared) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "ecocomp_tile_cache_bytes", Help: "Bytes of tiles in the cache."},
				func() float64 { return float64(t.Stats().Bytes) }),
		)
	}
	return m
}

// observe counts a finished request under its route pattern (never its raw path, which holds
// parcel codes and would make the label set unbounded).
func (m *metrics) observe(route, method string, status int, d time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(route, method).Observe(d.Seconds())
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// poolCollector reports the database pool: connections in use, idle, and waits for one.
type poolCollector struct{ pool *pgxpool.Pool }

var (
	poolConns    = prometheus.NewDesc("ecocomp_db_pool_connections", "Database connections of the pool by state.", []string{"state"}, nil)
	poolMax      = prometheus.NewDesc("ecocomp_db_pool_max_connections", "The pool's connection limit.", nil, nil)
	poolAcquires = prometheus.NewDesc("ecocomp_db_pool_acquires_total", "Connections taken from the pool.", nil, nil)
	poolWaits    = prometheus.NewDesc("ecocomp_db_pool_waits_total", "Takes that had to wait for a connection.", nil, nil)
	poolWaited   = prometheus.NewDesc("ecocomp_db_pool_wait_seconds_total", "Time spent waiting for connections.", nil, nil)
	jobsDesc     = prometheus.NewDesc("ecocomp_import_jobs", "Import jobs by status.", []string{"status"}, nil)
)

func (c poolCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- poolConns
	ch <- poolMax
	ch <- poolAcquires
	ch <- poolWaits
	ch <- poolWaited
}

func (c poolCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.pool.Stat()
	ch <- prometheus.MustNewConstMetric(poolConns, prometheus.GaugeValue, float64(st.AcquiredConns()), "acquired")
	ch <- prometheus.MustNewConstMetric(poolConns, prometheus.GaugeValue, float64(st.IdleConns()), "idle")
	ch <- prometheus.MustNewConstMetric(poolConns, prometheus.GaugeValue, float64(st.ConstructingConns()), "constructing")
	ch <- prometheus.MustNewConstMetric(poolMax, prometheus.GaugeValue, float64(st.MaxConns()))
	ch <- prometheus.MustNewConstMetric(poolAcquires, prometheus.CounterValue, float64(st.AcquireCount()))
	ch <- prometheus.MustNewConstMetric(poolWaits, prometheus.CounterValue, float64(st.EmptyAcquireCount()))
	ch <- prometheus.MustNewConstMetric(poolWaited, prometheus.CounterValue, st.EmptyAcquireWaitTime().Seconds())
}

// jobsCollector counts import jobs by status at each scrape (one small query, bounded in time).
type jobsCollector struct{ pool *pgxpool.Pool }

func (c jobsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- jobsDesc }

func (c jobsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	rows, err := c.pool.Query(ctx, `SELECT status, count(*) FROM import_job GROUP BY status`)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(jobsDesc, err)
		return
	}
	defer rows.Close()
	for rows.Next() {
		var status string
		var n int64
		if err := rows.Scan(&status, &n); err != nil {
			ch <- prometheus.NewInvalidMetric(jobsDesc, err)
			return
		}
		ch <- prometheus.MustNewConstMetric(jobsDesc, prometheus.GaugeValue, float64(n), status)
	}
}

// logRequests logs every request at debug level and counts it in the metrics.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		start := time.Now()
		next.ServeHTTP(ww, r)
		d := time.Since(start)
		status := ww.Status()
		if status == 0 {
			status = http.StatusOK
		}
		s.metrics.observe(routePattern(r), r.Method, status, d)
		s.log.Debug("request", "request_id", middleware.GetReqID(r.Context()), "method", r.Method,
			"path", r.URL.Path, "status", status, "bytes", ww.BytesWritten(), "ms", d.Milliseconds())
	})
}
