package httpapi

import (
	"context"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
)

// checkQuery refuses a query string that does not parse or whose names or values are not UTF-8,
// before any handler (or the database, which refuses such text with an error) sees them.
func (s *Server) checkQuery(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			s.fail(w, r, badQuery(r.URL.RawQuery, err))
			return
		}
		for k, vs := range q {
			if !utf8.ValidString(k) {
				s.fail(w, r, apperr.New(apperr.Invalid, "a query parameter name is not UTF-8 text"))
				return
			}
			for _, v := range vs {
				if !utf8.ValidString(v) {
					s.fail(w, r, apperr.BadParam(k, "not UTF-8 text; send names and codes as UTF-8, percent-encoded"))
					return
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// badQuery names the parameter whose encoding is broken, when one can be told.
func badQuery(raw string, err error) error {
	for _, pair := range strings.Split(raw, "&") {
		k, v, _ := strings.Cut(pair, "=")
		if _, kerr := url.QueryUnescape(k); kerr != nil {
			return apperr.New(apperr.Invalid, "a query parameter name is malformed (%s); percent-encode it", plainQueryError(kerr))
		}
		if _, verr := url.QueryUnescape(v); verr != nil {
			name, _ := url.QueryUnescape(k)
			return apperr.BadParam(name, "malformed (%s); percent-encode the value", plainQueryError(verr))
		}
	}
	return apperr.New(apperr.Invalid, "the query string is malformed (%s); percent-encode the parameters", plainQueryError(err))
}

// plainQueryError is url's parse error without the (possibly long, hostile) query it quotes.
func plainQueryError(err error) string {
	if e, ok := err.(url.EscapeError); ok {
		s := string(e)
		if len(s) > 12 {
			s = s[:12] + "…"
		}
		return fmt.Sprintf("invalid escape %q", s)
	}
	return "invalid encoding"
}

var unsafeFileChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// attachment is a Content-Disposition for a download named name: an ASCII fallback with every
// other character replaced, and the exact name in RFC 5987 form. Parameters that end up in file
// names can therefore neither break the header nor smuggle quotes into it.
func attachment(name string) string {
	ascii := strings.Trim(unsafeFileChars.ReplaceAllString(name, "_"), "_")
	if ascii == "" {
		ascii = "download"
	}
	return mime.FormatMediaType("attachment", map[string]string{"filename": ascii}) + "; filename*=UTF-8''" + url.PathEscape(name)
}

// township reads the township parameter (a code or a name) and checks that it names one.
func (s *Server) township(ctx context.Context, q url.Values) (string, error) {
	t, ok, err := single(q, "township")
	if err != nil || !ok || t == "" {
		return "", err
	}
	var exists bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM admin_unit WHERE level = 'township' AND (code = $1 OR name = $1))`, t).Scan(&exists); err != nil {
		return "", err
	}
	if !exists {
		return "", apperr.BadParam("township", "no township has the code or name %q", t)
	}
	return t, nil
}
