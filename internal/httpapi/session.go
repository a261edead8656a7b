package httpapi

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/auth"
)

func (s *Server) sessionRoutes(r chi.Router) {
	r.Post("/api/v1/session", s.handle(s.signIn))
	r.Delete("/api/v1/session", s.handle(s.signOut))
	r.Get("/api/v1/me", s.handle(s.me))
	r.Put("/api/v1/me/password", s.handle(s.changePassword))
}

// me is what GET /api/v1/me and a sign-in answer.
type me struct {
	Name               string      `json:"name"`
	Display            string      `json:"display_name"`
	Roles              []auth.Role `json:"roles"`
	MustChangePassword bool        `json:"must_change_password"`
	Auth               string      `json:"auth"`
	IdleTimeoutSeconds int         `json:"idle_timeout_seconds,omitempty"`
}

func (s *Server) meOf(p auth.Principal) me {
	m := me{Name: p.Actor.Name, Display: p.Display, Roles: p.Roles, MustChangePassword: p.MustChangePassword, Auth: p.Via}
	if p.Via == "session" {
		m.IdleTimeoutSeconds = int(s.auth.IdleTimeout().Seconds())
	}
	return m
}

// readSmallJSON decodes a small JSON body into v, refusing unknown fields.
func readSmallJSON(w http.ResponseWriter, r *http.Request, v any, shape string) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return apperr.New(apperr.TooLarge, "the body is over 64 KiB; send %s", shape)
		}
		return apperr.New(apperr.Invalid, "the body is not %s: %v", shape, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return apperr.New(apperr.Invalid, "the body holds more than %s", shape)
	}
	return nil
}

// signIn checks a user name and password and answers the user with a session cookie.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := readSmallJSON(w, r, &body, `JSON {"username": "…", "password": "…"}`); err != nil {
		return err
	}
	if body.Username == "" || body.Password == "" {
		return apperr.New(apperr.Invalid, `send both "username" and "password"`)
	}
	secret, p, err := s.auth.SignIn(r.Context(), body.Username, body.Password, clientAddr(r))
	var locked *auth.LockedError
	if errors.As(err, &locked) {
		w.Header().Set("Retry-After", strconv.Itoa(int(locked.RetryAfter.Seconds())+1))
		return apperr.New(apperr.TooMany, "%s", locked.Error())
	}
	if err != nil {
		return err
	}
	http.SetCookie(w, s.sessionCookie(r, secret, 0))
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, s.meOf(p))
	return nil
}

// signOut ends the session of the cookie, if any, and deletes the cookie.
func (s *Server) signOut(w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		if err := s.auth.SignOut(r.Context(), c.Value); err != nil {
			return err
		}
	}
	http.SetCookie(w, s.sessionCookie(r, "", -1))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// me answers who is signed in.
func (s *Server) me(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, s.meOf(principalOf(r)))
	return nil
}

// changePassword lets a signed-in person change their own password.
func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Current string `json:"current"`
		New     string `json:"new"`
	}
	if err := readSmallJSON(w, r, &body, `JSON {"current": "…", "new": "…"}`); err != nil {
		return err
	}
	keep := ""
	if c, err := r.Cookie(sessionCookie); err == nil {
		keep = c.Value
	}
	if err := s.auth.ChangeOwnPassword(r.Context(), principalOf(r), body.Current, body.New, keep); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
