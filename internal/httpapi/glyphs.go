package httpapi

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/glyphs"
)

// fontRoutes serves the map's labels' glyphs from the font in the binary (internal/glyphs), so
// names draw with no font server and no fonts on the client.
func (s *Server) fontRoutes(r chi.Router) {
	g := glyphs.New()
	r.Get("/fonts/{fontstack}/{range}", s.handle(func(w http.ResponseWriter, r *http.Request) error {
		return glyphRange(g, w, r)
	}))
}

// glyphRange answers GET /fonts/{fontstack}/{start}-{end}.pbf: one range of 256 code points as
// MapLibre asks for it, gzipped when the client takes gzip (every browser does).
func glyphRange(g *glyphs.Service, w http.ResponseWriter, r *http.Request) error {
	stack := chi.URLParam(r, "fontstack")
	known := false
	for name := range strings.SplitSeq(stack, ",") {
		known = known || strings.TrimSpace(name) == glyphs.FontStack
	}
	if !known {
		return apperr.New(apperr.NotFound, "there is no font stack %q: the server draws labels in %q only", stack, glyphs.FontStack)
	}
	name, ok := strings.CutSuffix(chi.URLParam(r, "range"), ".pbf")
	if !ok {
		return apperr.New(apperr.NotFound, "glyph ranges are /fonts/{fontstack}/{start}-{end}.pbf")
	}
	start, err := glyphs.ParseRange(name)
	if err != nil {
		return apperr.New(apperr.NotFound, "%s", err)
	}
	rg, err := g.Range(start)
	if errors.Is(err, glyphs.ErrRange) {
		return apperr.New(apperr.NotFound, "%s", err)
	}
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("ETag", rg.ETag)
	h.Set("Cache-Control", "public, max-age=86400") // the font changes only with the binary
	h.Set("Vary", "Accept-Encoding")
	if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, rg.ETag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	h.Set("Content-Type", "application/x-protobuf")
	body := rg.Gzip
	if acceptsGzip(r) {
		h.Set("Content-Encoding", "gzip")
	} else if body, err = rg.Protobuf(); err != nil {
		return err
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	_, err = w.Write(body)
	return err
}
