package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/audit"
	"github.com/wuyuan-forestry/ecocomp/internal/auth"
)

// rule says who may use a route.
type rule struct {
	// open routes need nobody, even when reading is private: health, readiness, signing in and
	// out, and the web map's files (the sign-in page).
	open bool
	// self routes need a signed-in person and stay open to one who must first change a
	// one-time password.
	self bool
	// roles, when set, are the roles of which the caller must hold one. Otherwise the route is
	// a read: any signed-in user, and anonymous callers when ECOCOMP_PUBLIC_READ is true.
	roles []auth.Role
}

var (
	open    = rule{open: true}
	read    = rule{}
	self    = rule{self: true}
	staff   = func(roles ...auth.Role) rule { return rule{roles: roles} }
	import_ = staff(auth.Surveyor, auth.Admin)
	// staffRead is a read for signed-in staff only, whatever ECOCOMP_PUBLIC_READ says.
	staffRead = staff(auth.Viewer, auth.Surveyor, auth.CaseOfficer, auth.Finance, auth.Admin)
)

// routeRules is the one table of who may use which route, keyed "METHOD pattern" as chi
// registers them. A route without an entry is refused (TestEveryRouteHasARule keeps it so).
// Personal data inside a readable route (the roll) is unmasked only for finance; that decision
// and its audit row are in the handler.
var routeRules = map[string]rule{
	"GET /healthz":                                 open,
	"GET /metrics":                                 read,
	"GET /readyz":                                  open,
	"GET /*":                                       open,
	"POST /api/v1/session":                         open,
	"DELETE /api/v1/session":                       open,
	"GET /api/v1/me":                               self,
	"PUT /api/v1/me/password":                      self,
	"GET /api/v1/map-config":                       read,
	"GET /api/v1/parcels":                          read,
	"GET /api/v1/parcels/{code}":                   read,
	"GET /api/v1/parcels/{code}/eligibility":       read,
	"GET /api/v1/parcels/{code}/subsidies":         read,
	"POST /api/v1/zone-check":                      read,
	"GET /api/v1/subsidy-roll":                     read,
	"GET /api/v1/export/parcels.geojson":           read,
	"GET /tiles/{file}":                            read,
	"GET /tiles/{layer}/{z}/{x}/{file}":            read,
	"GET /fonts/{fontstack}/{range}":               open,
	"GET /api/v1/townships":                        read,
	"GET /api/v1/stats":                            read,
	"GET /api/v1/stats/{table}":                    read,
	"GET /api/v1/stats/change":                     read,
	"GET /ogc":                                     read,
	"GET /ogc/":                                    read,
	"GET /ogc/api":                                 read,
	"GET /ogc/conformance":                         read,
	"GET /ogc/collections":                         read,
	"GET /ogc/collections/{collection}":            read,
	"GET /ogc/collections/{collection}/items":      read,
	"GET /ogc/collections/{collection}/items/{id}": read,
	"POST /api/v1/imports":                         import_,
	"GET /api/v1/imports/{id}":                     import_,
	"DELETE /api/v1/imports/{id}":                  import_,
	"POST /api/v1/owners/search":                   staff(auth.CaseOfficer, auth.Finance, auth.Admin),
	// Cases: every member of staff reads them (owners masked but for finance); case officers
	// open and move them (steps after signing and late rejections are checked in
	// internal/cases: administrators only); finance records payments.
	"POST /api/v1/cases":                                  staff(auth.CaseOfficer, auth.Admin),
	"GET /api/v1/cases":                                   staffRead,
	"GET /api/v1/cases/{id}":                              staffRead,
	"POST /api/v1/cases/{id}/transitions":                 staff(auth.CaseOfficer, auth.Admin),
	"POST /api/v1/cases/{id}/payments":                    staff(auth.Finance),
	"POST /api/v1/cases/{id}/objections":                  staff(auth.CaseOfficer, auth.Admin),
	"POST /api/v1/cases/{id}/objections/{oid}/resolution": staff(auth.CaseOfficer, auth.Admin),
	"GET /api/v1/reserve":                                 read,
	// The wetland bank: case officers propose and decide projects, release credits (with an
	// administrator) and open debits; finance records sales (the payment into the fund);
	// administrators correct the ledger. Staff read balances and statements; the patch layer
	// is public like the zones.
	"GET /api/v1/wetland/patches":                    read,
	"POST /api/v1/wetland/projects":                  staff(auth.CaseOfficer, auth.Admin),
	"GET /api/v1/wetland/projects":                   staffRead,
	"GET /api/v1/wetland/projects/{id}":              staffRead,
	"POST /api/v1/wetland/projects/{id}/transitions": staff(auth.CaseOfficer, auth.Admin),
	"POST /api/v1/wetland/projects/{id}/releases":    staff(auth.CaseOfficer, auth.Admin),
	"POST /api/v1/wetland/projects/{id}/corrections": staff(auth.Admin),
	"POST /api/v1/wetland/debits":                    staff(auth.CaseOfficer, auth.Admin),
	"GET /api/v1/wetland/debits":                     staffRead,
	"GET /api/v1/wetland/debits/{id}":                staffRead,
	"POST /api/v1/wetland/debits/{id}/sales":         staff(auth.Finance),
	"GET /api/v1/wetland/ledger":                     staffRead,
	"GET /api/v1/wetland/balance":                    staffRead,
	// The case file: documents may carry an owner's identity card, so only those who work
	// cases read them (each read audited); the 四至图 names the owner in clear for finance only;
	// the public-notice list masks owners whoever asks.
	"POST /api/v1/cases/{id}/documents":      staff(auth.CaseOfficer, auth.Admin),
	"GET /api/v1/cases/{id}/documents/{doc}": staff(auth.CaseOfficer, auth.Finance, auth.Admin),
	"GET /api/v1/cases/{id}/sizhi.pdf":       staffRead,
	"GET /api/v1/cases/notice.pdf":           staffRead,
	"GET /api/v1/cases/notice.xlsx":          staffRead,
	// Forest care (林长制): staff read areas, the coverage check and the roster (rangers masked but
	// for finance, whose read is audited); case officers and administrators write.
	"POST /api/v1/care/areas":                      staff(auth.CaseOfficer, auth.Admin),
	"GET /api/v1/care/areas":                       staffRead,
	"GET /api/v1/care/coverage":                    staffRead,
	"POST /api/v1/care/rangers":                    staff(auth.CaseOfficer, auth.Admin),
	"GET /api/v1/care/rangers":                     staffRead,
	"POST /api/v1/care/areas/{id}/assignments":     staff(auth.CaseOfficer, auth.Admin),
	"POST /api/v1/care/rangers/{id}/tracks":        staff(auth.CaseOfficer, auth.Admin),
	"GET /api/v1/care/rangers/{id}/months/{month}": staffRead,
	// Incidents (a photo each), the monthly assessment and the rangers' pay roll (masked but for
	// finance, whose unmasked read is audited, as the owners' roll).
	"POST /api/v1/care/rangers/{id}/incidents": staff(auth.CaseOfficer, auth.Admin),
	"GET /api/v1/care/incidents":               staffRead,
	"GET /api/v1/care/incidents/{id}/photo":    staffRead,
	"GET /api/v1/care/rangers/{id}/assessment": staffRead,
	"GET /api/v1/care/roll":                    staffRead,
	// The compensation overview and the pilot's indicator board (issue 17): staff read them;
	// progress entries are written by staff of the responsible unit (checked in internal/pilot).
	"GET /api/v1/stats/overview":                 staffRead,
	"GET /api/v1/pilot/indicators":               staffRead,
	"GET /api/v1/pilot/tasks":                    staffRead,
	"POST /api/v1/pilot/indicators/{id}/entries": staffRead,
	"POST /api/v1/pilot/tasks/{code}/updates":    staffRead,
	"GET /api/v1/pilot/entries/{id}/evidence":    staffRead,
	"GET /api/v1/pilot/ledger.xlsx":              staffRead,
	"GET /api/v1/care/tracks":                    staffRead,
	"GET /api/v1/care/coverage/parcels":          staffRead,
	"GET /api/v1/care/areas/{id}/assignments":    staffRead,
}

// basicPath reports whether HTTP Basic is accepted on path: the routes GIS clients read (QGIS's
// OGC API and vector tile connections, GDAL), which can send a user name and password (or an
// API token as the password) but not a session cookie.
func basicPath(path string) bool {
	return strings.HasPrefix(path, "/ogc") || strings.HasPrefix(path, "/tiles/")
}

// mayUnmask reports whether p may see owners' personal data in clear.
func mayUnmask(p auth.Principal) bool { return p.Has(auth.Finance) }

type principalKey struct{}

// principalOf returns the caller of a request that passed authenticate.
func principalOf(r *http.Request) auth.Principal {
	if p, ok := r.Context().Value(principalKey{}).(auth.Principal); ok {
		return p
	}
	return auth.Anonymous(false)
}

const sessionCookie = "ecocomp_session"

// authenticate finds who makes the request — the break-glass token, an API token, HTTP Basic
// (on /ogc and /tiles), a session cookie, or nobody — and puts the principal, and the actor and request
// for audit rows, in the request's context. Credentials that are present but wrong answer 401.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := audit.WithRequest(r.Context(), audit.Request{ID: middleware.GetReqID(r.Context()), ClientAddr: clientAddr(r)})
		p, err := s.identify(ctx, w, r)
		if err != nil {
			r = r.WithContext(ctx)
			if r.Method != http.MethodGet && r.Method != http.MethodHead {
				// A write with credentials that do not hold is worth a row: someone is guessing.
				if aerr := audit.RecordAs(ctx, s.pool, audit.Actor{Kind: audit.KindAnonymous, Name: "anonymous"}, audit.Entry{
					Action: "http.refused", Entity: "route", EntityID: r.Method + " " + r.URL.Path, Outcome: audit.Denied,
					Detail: map[string]any{"reason": plainDetail(err)}}); aerr != nil {
					err = aerr
				}
			}
			s.fail(w, r, err)
			return
		}
		ctx = audit.WithActor(context.WithValue(ctx, principalKey{}, p), p.Actor)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func (s *Server) identify(ctx context.Context, w http.ResponseWriter, r *http.Request) (auth.Principal, error) {
	authz := r.Header.Get("Authorization")
	if token, ok := strings.CutPrefix(authz, "Bearer "); ok {
		token = strings.TrimSpace(token)
		if auth.SameSecret(token, s.cfg.AdminToken) {
			return auth.BreakGlass(), nil
		}
		p, err := s.auth.Token(ctx, token)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="ecocomp", error="invalid_token"`)
		}
		return p, err
	}
	if name, pw, ok := r.BasicAuth(); ok && authz != "" {
		if !basicPath(r.URL.Path) {
			return auth.Principal{}, apperr.New(apperr.Unauthorized, "HTTP Basic is accepted on /ogc and /tiles only (for GIS clients); elsewhere sign in or send Authorization: Bearer <API token>")
		}
		p, err := s.auth.Basic(ctx, name, pw)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Basic realm="ecocomp", charset="UTF-8"`)
		}
		return p, err
	}
	if authz != "" {
		return auth.Principal{}, apperr.New(apperr.Unauthorized, "the Authorization header is neither Bearer <token> nor Basic; see the README")
	}
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		p, err := s.auth.Session(ctx, c.Value)
		if err == nil {
			return p, nil
		}
		if !errors.Is(err, auth.ErrExpired) {
			return auth.Principal{}, err
		}
		// An ended session: forget the cookie and carry on as nobody.
		http.SetCookie(w, s.sessionCookie(r, "", -1))
	}
	return auth.Anonymous(!s.cfg.RequireSignIn), nil
}

// authorize applies routeRules to the route the request will reach. Refused writes are audited.
func (s *Server) authorize(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pattern := routePattern(r)
		if pattern == "" { // no such route or method: the router answers 404 or 405
			next.ServeHTTP(w, r)
			return
		}
		if err := s.allowed(r, r.Method+" "+pattern); err != nil {
			if r.Method != http.MethodGet && r.Method != http.MethodHead {
				p := principalOf(r)
				if aerr := audit.Record(r.Context(), s.pool, audit.Entry{Action: "http.refused", Entity: "route", EntityID: r.Method + " " + pattern,
					Outcome: audit.Denied, Detail: map[string]any{"reason": err.Error(), "roles": p.Roles}}); aerr != nil {
					s.fail(w, r, aerr)
					return
				}
			}
			if apperr.CodeOf(err) == apperr.Unauthorized && s.cfg.RequireSignIn && basicPath(r.URL.Path) {
				w.Header().Set("WWW-Authenticate", `Basic realm="ecocomp", charset="UTF-8"`)
			}
			s.fail(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) allowed(r *http.Request, key string) error {
	rl, ok := routeRules[key]
	if !ok {
		return apperr.New(apperr.Internal, "this route has no access rule; it is refused until one is added")
	}
	if rl.open {
		return nil
	}
	p := principalOf(r)
	if p.MustChangePassword && !rl.self {
		return apperr.New(apperr.Forbidden, "you signed in with a one-time password: change it first (PUT /api/v1/me/password)")
	}
	// Writes by cookie must come from the map's own pages (SameSite=Strict already keeps other
	// sites' forms out; an Origin from elsewhere is refused as well).
	if p.Via == "session" && r.Method != http.MethodGet && r.Method != http.MethodHead {
		if o := r.Header.Get("Origin"); o != "" && !sameOrigin(o, r) {
			return apperr.New(apperr.Forbidden, "a request with a session cookie must come from this server's own pages")
		}
	}
	switch {
	case rl.self:
		if !p.SignedIn() {
			return apperr.New(apperr.Unauthorized, "nobody is signed in: sign in with POST /api/v1/session")
		}
	case len(rl.roles) == 0:
		if len(p.Roles) == 0 {
			return apperr.New(apperr.Unauthorized, "this server requires sign-in: sign in on the map, or send Authorization: Bearer <API token> (HTTP Basic on /ogc)")
		}
	case !p.SignedIn():
		return apperr.New(apperr.Unauthorized, "this needs a signed-in user with the role %s: sign in, or send Authorization: Bearer <API token>", roleList(rl.roles))
	case !p.Has(rl.roles...):
		return apperr.New(apperr.Forbidden, "this needs the role %s; %s holds %s", roleList(rl.roles), p.Actor.String(), roleList(p.Roles))
	}
	return nil
}

func roleList(rs []auth.Role) string {
	if len(rs) == 0 {
		return "no role"
	}
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	return strings.Join(out, " or ")
}

func sameOrigin(origin string, r *http.Request) bool {
	return strings.EqualFold(origin, scheme(r)+"://"+r.Host)
}

// clientAddr is the peer address of the request (without port). X-Forwarded-For is not
// trusted: a deployment behind a proxy sees the proxy.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// sessionCookie is the cookie that carries a session secret; maxAge -1 deletes it.
func (s *Server) sessionCookie(r *http.Request, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: sessionCookie, Value: value, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: scheme(r) == "https", MaxAge: maxAge}
}

// routeKeys lists "METHOD pattern" of every route the router serves.
func (s *Server) routeKeys() ([]string, error) {
	var keys []string
	err := chi.Walk(s.router, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		keys = append(keys, fmt.Sprintf("%s %s", method, route))
		return nil
	})
	return keys, err
}
