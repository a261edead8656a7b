package httpapi

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wuyuan-forestry/ecocomp/internal/config"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
)

// TestStreamedLinksAreJSON: the links that close a streamed collection carry the request's host;
// one that is not UTF-8 or holds a control character still gives a document JSON parsers read
// (fmt's %q wrote \xff and \x01, which JSON does not have).
func TestStreamedLinksAreJSON(t *testing.T) {
	t.Parallel()
	s := New(pgtest.New(t), slog.New(slog.NewTextHandler(io.Discard, nil)), config.Config{})
	host := "ex\xffample\x01.org"
	req := httptest.NewRequest("GET", "/ogc/collections/zones/items?limit=5", nil)
	req.Host = host
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("items = %d %s", rec.Code, rec.Body)
	}
	var doc struct {
		NumberReturned *int `json:"numberReturned"`
		TimeStamp      string
		Links          []link
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatalf("the items document is not JSON: %v\n%s", err, rec.Body)
	}
	if doc.NumberReturned == nil || *doc.NumberReturned != 0 || doc.TimeStamp == "" || len(doc.Links) != 2 {
		t.Fatalf("items document = %+v; want numberReturned 0, a timeStamp, self and collection links", doc)
	}
	if self := doc.Links[0].Href; !strings.Contains(self, "ex\uFFFDample\x01.org/ogc/collections/zones/items?limit=5") {
		t.Errorf("self link = %q; want the request's host (invalid byte as U+FFFD) and URI", self)
	}
}

// TestPanicIsProblem: a handler that panics answers a 500 problem from the error table, with
// nothing of the panic in it.
func TestPanicIsProblem(t *testing.T) {
	t.Parallel()
	s := &Server{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	rec := httptest.NewRecorder()
	s.recoverer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("secret stack") })).
		ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/parcels/x", nil))
	var p problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatalf("not a problem: %v %s", err, rec.Body)
	}
	if rec.Code != 500 || p.Status != 500 || rec.Header().Get("Content-Type") != "application/problem+json" ||
		strings.Contains(rec.Body.String(), "secret") {
		t.Errorf("panic answered %d %s %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
}
