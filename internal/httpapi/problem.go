package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"syscall"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
)

// problem is an RFC 9457 problem details object.
type problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail"`
	Instance  string `json:"instance,omitempty"`
	Parameter string `json:"parameter,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

// statusOf is the one table from error codes to HTTP status.
var statusOf = map[apperr.Code]int{
	apperr.Invalid:      http.StatusBadRequest,
	apperr.NotFound:     http.StatusNotFound,
	apperr.NotAllowed:   http.StatusMethodNotAllowed,
	apperr.Unauthorized: http.StatusUnauthorized,
	apperr.Forbidden:    http.StatusForbidden,
	apperr.Conflict:     http.StatusConflict,
	apperr.TooLarge:     http.StatusRequestEntityTooLarge,
	apperr.TooMany:      http.StatusTooManyRequests,
	apperr.Unavailable:  http.StatusServiceUnavailable,
	apperr.Busy:         http.StatusServiceUnavailable,
	apperr.Internal:     http.StatusInternalServerError,
}

// handlerFunc is a handler that returns its error instead of writing it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle adapts a handlerFunc: any error becomes one problem response and one log line.
func (s *Server) handle(fn handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			s.fail(w, r, err)
		}
	}
}

// fail writes err as a problem. Only apperr details reach the client; database and other causes
// are logged with the request id and answered with a generic sentence.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if clientGone(r, err) {
		// Not a server error: the client closed the connection (a load run ending, a user
		// cancelling a download). Nobody is left to answer.
		s.metrics.gone.Inc()
		s.log.Debug("client went away", "request_id", middleware.GetReqID(r.Context()), "path", r.URL.Path)
		return
	}
	var e *apperr.Error
	switch {
	case errors.As(err, &e):
	case errors.Is(err, context.DeadlineExceeded) && r.Context().Err() != nil:
		e = apperr.Wrap(apperr.Unavailable, err, "the request took longer than this server allows; narrow it (a township, a bbox, a smaller page) or try again later")
	case databaseDown(err):
		e = apperr.Wrap(apperr.Unavailable, err, "the database is not reachable right now; try again shortly, and tell the administrator if it persists")
	default:
		e = apperr.Wrap(apperr.Internal, err, "an internal error occurred; it has been logged with the request id")
	}
	status := statusOf[e.Code]
	if status == 0 {
		status = http.StatusInternalServerError
	}
	level := slog.LevelInfo
	if status >= 500 && e.Code != apperr.Busy { // shedding is the limits working, not a failure
		level = slog.LevelError
	}
	if status == http.StatusServiceUnavailable && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", "5")
	}
	s.log.Log(r.Context(), level, "request failed", "request_id", middleware.GetReqID(r.Context()),
		"method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	writeProblem(w, r, status, e.Detail, e.Param)
}

func writeProblem(w http.ResponseWriter, r *http.Request, status int, detail, param string) {
	p := problem{
		Type:      "about:blank",
		Title:     http.StatusText(status),
		Status:    status,
		Detail:    detail,
		Instance:  r.URL.Path,
		Parameter: param,
		RequestID: middleware.GetReqID(r.Context()),
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(p)
}

// databaseDown reports errors that mean the database cannot be reached (as opposed to a query
// that failed): they answer 503 so clients and load balancers retry later.
func databaseDown(err error) bool {
	var connErr *pgconn.ConnectError
	var netErr net.Error
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &connErr), errors.As(err, &netErr):
		return true
	case errors.As(err, &pgErr):
		c := pgErr.Code
		return len(c) == 5 && (c[:2] == "08" || c == "57P01" || c == "57P02" || c == "57P03" || c == "53300")
	case errors.Is(err, context.DeadlineExceeded), pgconn.Timeout(err):
		return true
	}
	return false
}

// clientGone reports whether err only says that the client went away: its request context was
// cancelled, or writing to it failed because it closed the connection.
func clientGone(r *http.Request, err error) bool {
	if errors.Is(r.Context().Err(), context.Canceled) {
		return true
	}
	return errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET)
}
