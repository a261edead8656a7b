package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
)

// class is how much a request may cost, decided from its route and parameters before it runs.
type class int

const (
	classFree  class = iota // no database: the map's files, liveness, metrics
	classLight              // lookups, pages, tiles, sign-in: quick, many at once
	classHeavy              // county-wide exports and rolls, big OGC pages: few at once, long
	classLong               // uploads: the body takes as long as the network needs
)

var classNames = [...]string{"free", "light", "heavy", "long"}

func (c class) String() string { return classNames[c] }

// heavyItems is the OGC page size from which a page counts as heavy.
const heavyItems = 1000

// classify decides the class of a request to the route pattern.
func classify(r *http.Request, pattern string) class {
	switch pattern {
	case "/*", "/healthz", "/metrics":
		return classFree
	case "/api/v1/imports", "/api/v1/cases/{id}/documents", "/api/v1/care/rangers/{id}/tracks", "/api/v1/care/rangers/{id}/incidents":
		if r.Method == http.MethodPost {
			return classLong
		}
	case "/api/v1/export/parcels.geojson", "/api/v1/care/coverage", "/api/v1/care/coverage/parcels", "/api/v1/care/roll":
		return classHeavy
	case "/api/v1/stats/change":
		if r.URL.Query().Get("format") == "geojson" {
			return classHeavy
		}
	case "/api/v1/subsidy-roll":
		if r.URL.Query().Get("township") == "" || r.URL.Query().Get("format") == "xlsx" {
			return classHeavy
		}
	case "/ogc/collections/{collection}/items":
		if n, err := strconv.Atoi(r.URL.Query().Get("limit")); err == nil && n > heavyItems {
			return classHeavy
		}
	}
	return classLight
}

// limiter bounds the work in flight: every request that uses the database waits at most
// PoolWait for one of as many slots as the pool has connections, heavy requests also for one of
// HeavyConcurrency slots; past that they are shed with 503 and Retry-After, never queued for
// ever. Each class has a deadline that cancels its statements, and a write deadline.
type limiter struct {
	db       chan struct{}
	heavy    chan struct{}
	wait     time.Duration
	timeouts [4]time.Duration
	shed     func(class, string)
}

func newLimiter(dbSlots, heavySlots int, wait, light, heavy time.Duration, shed func(class, string)) *limiter {
	l := &limiter{db: make(chan struct{}, dbSlots), heavy: make(chan struct{}, heavySlots), wait: wait, shed: shed}
	l.timeouts = [4]time.Duration{classFree: light, classLight: light, classHeavy: heavy, classLong: 30 * time.Minute}
	return l
}

// errShed is a request turned away because the server is at its limit.
type errShed struct {
	what       string
	retryAfter int
}

func (e *errShed) Error() string { return e.what }

// admit takes the slots c needs, waiting at most l.wait, and returns their release.
func (l *limiter) admit(ctx context.Context, c class) (func(), error) {
	if c == classFree {
		return func() {}, nil
	}
	timer := time.NewTimer(l.wait)
	defer timer.Stop()
	var release []chan struct{}
	done := func() {
		for _, ch := range release {
			<-ch
		}
	}
	if c == classHeavy {
		select {
		case l.heavy <- struct{}{}:
			release = append(release, l.heavy)
		case <-timer.C:
			l.shed(c, "heavy")
			return nil, &errShed{"the server is busy with other exports and large pages; try again in a minute", 30}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	select {
	case l.db <- struct{}{}:
		release = append(release, l.db)
	case <-timer.C:
		done()
		l.shed(c, "database")
		return nil, &errShed{"every database connection is busy; try again in a moment", 2}
	case <-ctx.Done():
		done()
		return nil, ctx.Err()
	}
	return done, nil
}

// limit applies the limiter to the route a request will reach.
func (s *Server) limit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pattern := routePattern(r)
		c := classify(r, pattern)
		release, err := s.limits.admit(r.Context(), c)
		if err != nil {
			var shed *errShed
			if errors.As(err, &shed) {
				w.Header().Set("Retry-After", strconv.Itoa(shed.retryAfter))
				s.fail(w, r, apperr.New(apperr.Busy, "%s", shed.what))
				return
			}
			s.fail(w, r, err)
			return
		}
		defer release()
		timeout := s.limits.timeouts[c]
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		rc := http.NewResponseController(w)
		// A request body must arrive in time (uploads excepted); a response must be written
		// within the class's deadline and a little slack for the last bytes.
		if c != classLong {
			_ = rc.SetReadDeadline(time.Now().Add(time.Minute))
		}
		_ = rc.SetWriteDeadline(time.Now().Add(timeout + 10*time.Second))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}
