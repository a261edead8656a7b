package httpapi

import (
	"net/http"

	"github.com/wuyuan-forestry/ecocomp/internal/features"
)

// ogcAPI serves the OpenAPI 3.0 definition of /ogc. GDAL reads the limit parameter's maximum
// from it to size its pages.
func (s *Server) ogcAPI(w http.ResponseWriter, r *http.Request) error {
	if err := ogcFormat(r); err != nil {
		return err
	}
	var crs []string
	for _, c := range features.AllCRS {
		crs = append(crs, c.URI)
	}
	var ids []string
	for _, c := range features.Collections {
		ids = append(ids, c.ID)
	}
	ref := func(name string) map[string]any { return map[string]any{"$ref": "#/components/parameters/" + name} }
	jsonResp := func(desc string) map[string]any {
		return map[string]any{"200": map[string]any{"description": desc, "content": map[string]any{"application/json": map[string]any{}}}}
	}
	geoResp := func(desc string) map[string]any {
		return map[string]any{
			"200": map[string]any{"description": desc, "content": map[string]any{geoJSON: map[string]any{}}},
			"400": map[string]any{"description": "a parameter is malformed; the problem names it", "content": map[string]any{"application/problem+json": map[string]any{}}},
			"404": map[string]any{"description": "no such collection or feature", "content": map[string]any{"application/problem+json": map[string]any{}}},
		}
	}
	doc := map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{
			"title":       "ecocomp OGC API – Features",
			"version":     "1.0.0",
			"description": "Forest parcels (小班), protected areas and zones of the county, for QGIS and GDAL.",
		},
		"servers": []map[string]any{{"url": baseURL(r) + "/ogc"}},
		"paths": map[string]any{
			"/":            map[string]any{"get": map[string]any{"operationId": "landing", "summary": "landing page", "parameters": []any{ref("f")}, "responses": jsonResp("the landing page")}},
			"/api":         map[string]any{"get": map[string]any{"operationId": "api", "summary": "this definition", "responses": jsonResp("the OpenAPI document")}},
			"/conformance": map[string]any{"get": map[string]any{"operationId": "conformance", "summary": "conformance classes", "parameters": []any{ref("f")}, "responses": jsonResp("the conformance classes")}},
			"/collections": map[string]any{"get": map[string]any{"operationId": "collections", "summary": "the collections", "parameters": []any{ref("f")}, "responses": jsonResp("the collections")}},
			"/collections/{collectionId}": map[string]any{"get": map[string]any{"operationId": "collection", "summary": "one collection",
				"parameters": []any{ref("collectionId"), ref("f")}, "responses": jsonResp("the collection")}},
			"/collections/{collectionId}/items": map[string]any{"get": map[string]any{"operationId": "items", "summary": "features of a collection, keyset-paged through next links",
				"parameters": []any{ref("collectionId"), ref("limit"), ref("bbox"), ref("bbox-crs"), ref("crs"), ref("cursor"), ref("township"), ref("eligible"), ref("f")},
				"responses":  geoResp("a GeoJSON FeatureCollection")}},
			"/collections/{collectionId}/items/{featureId}": map[string]any{"get": map[string]any{"operationId": "item", "summary": "one feature",
				"parameters": []any{ref("collectionId"), ref("featureId"), ref("crs"), ref("f")}, "responses": geoResp("a GeoJSON Feature")}},
		},
		"components": map[string]any{
			"parameters": map[string]any{
				"collectionId": map[string]any{"name": "collectionId", "in": "path", "required": true, "schema": map[string]any{"type": "string", "enum": ids}},
				"featureId":    map[string]any{"name": "featureId", "in": "path", "required": true, "schema": map[string]any{"type": "string"}},
				"limit": map[string]any{"name": "limit", "in": "query", "required": false, "style": "form", "explode": false,
					"description": "features per page; larger values are clamped to the maximum",
					"schema":      map[string]any{"type": "integer", "minimum": 1, "maximum": ogcPageLimit, "default": ogcPageSize}},
				"bbox": map[string]any{"name": "bbox", "in": "query", "required": false, "style": "form", "explode": false,
					"schema": map[string]any{"type": "array", "minItems": 4, "maxItems": 4, "items": map[string]any{"type": "number"}}},
				"bbox-crs": map[string]any{"name": "bbox-crs", "in": "query", "required": false, "schema": map[string]any{"type": "string", "format": "uri", "enum": crs}},
				"crs":      map[string]any{"name": "crs", "in": "query", "required": false, "schema": map[string]any{"type": "string", "format": "uri", "enum": crs}},
				"cursor":   map[string]any{"name": "cursor", "in": "query", "required": false, "description": "opaque; follow next links", "schema": map[string]any{"type": "string"}},
				"township": map[string]any{"name": "township", "in": "query", "required": false, "description": "parcels only: township code (9 digits) or name", "schema": map[string]any{"type": "string"}},
				"eligible": map[string]any{"name": "eligible", "in": "query", "required": false, "description": "parcels only: the latest recomputed buyout eligibility", "schema": map[string]any{"type": "boolean"}},
				"f":        map[string]any{"name": "f", "in": "query", "required": false, "schema": map[string]any{"type": "string", "enum": []string{"json"}}},
			},
		},
	}
	w.Header().Set("Content-Type", openAPIType)
	writeJSONBody(w, http.StatusOK, doc)
	return nil
}
