package httpapi_test

import (
	"math"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
)

func TestOGCLandingConformanceCollections(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	loadGrid(t, pool)
	ts := newServer(t, pool)

	var landing struct {
		Links []struct{ Rel, Type, Href string } `json:"links"`
	}
	getJSON(t, ts.URL+"/ogc", &landing)
	rels := map[string]string{}
	for _, l := range landing.Links {
		rels[l.Rel] = l.Href
	}
	for _, rel := range []string{"self", "service-desc", "conformance", "data"} {
		if rels[rel] == "" {
			t.Errorf("landing page lacks a %q link: %+v", rel, landing.Links)
		}
	}
	var api map[string]any
	resp := getJSON(t, rels["service-desc"], &api)
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/vnd.oai.openapi+json") || api["openapi"] != "3.0.3" {
		t.Errorf("service-desc: %s, openapi %v", resp.Header.Get("Content-Type"), api["openapi"])
	}
	var conf struct{ ConformsTo []string }
	getJSON(t, rels["conformance"], &conf)
	for _, c := range []string{"ogcapi-features-1/1.0/conf/core", "ogcapi-features-1/1.0/conf/geojson", "ogcapi-features-2/1.0/conf/crs"} {
		if !slices.ContainsFunc(conf.ConformsTo, func(s string) bool { return strings.HasSuffix(s, c) }) {
			t.Errorf("conformance lacks %s: %v", c, conf.ConformsTo)
		}
	}
	var cols struct {
		Collections []struct {
			ID         string   `json:"id"`
			CRS        []string `json:"crs"`
			StorageCRS string   `json:"storageCrs"`
		} `json:"collections"`
	}
	getJSON(t, rels["data"], &cols)
	var ids []string
	for _, c := range cols.Collections {
		ids = append(ids, c.ID)
		if len(c.CRS) != 3 || !strings.HasSuffix(c.StorageCRS, "/4490") || strings.Contains(c.ID, ".") {
			t.Errorf("collection %s: crs %v, storageCrs %s", c.ID, c.CRS, c.StorageCRS)
		}
	}
	if strings.Join(ids, ",") != "parcels,zones,protected_areas" {
		t.Errorf("collections = %v", ids)
	}
	resp, body := get(t, ts.URL+"/ogc/collections/roads")
	wantProblem(t, resp, body, 404, "parcels, zones, protected_areas")
}

func TestOGCItems(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	loadGrid(t, pool)
	ts := newServer(t, pool)
	items := ts.URL + "/ogc/collections/parcels/items"

	// Paging through next links visits every parcel once; limit above the maximum is clamped.
	seen := map[string]bool{}
	for next := items + "?limit=30"; next != ""; {
		var c collection
		getJSON(t, next, &c)
		for _, f := range c.Features {
			if seen[f.ID] {
				t.Fatalf("parcel %s twice", f.ID)
			}
			seen[f.ID] = true
		}
		next = c.nextLink()
	}
	if len(seen) != 100 {
		t.Errorf("paging visited %d parcels; want 100", len(seen))
	}
	var all collection
	getJSON(t, items+"?limit=99999999", &all)
	if all.Returned != 100 {
		t.Errorf("limit=99999999 returned %d; want it clamped, not rejected, and all 100", all.Returned)
	}

	// Part 2: EPSG:4490 is latitude first; EPSG:4548 northing first; Content-Crs says which.
	first := func(crs string) ([]float64, string) {
		var c collection
		resp := getJSON(t, items+"?limit=1&crs="+url.QueryEscape(crs), &c)
		return exteriorRing(t, c.Features[0].Geometry)[0], resp.Header.Get("Content-Crs")
	}
	lonlat, h84 := first("http://www.opengis.net/def/crs/OGC/1.3/CRS84")
	latlon, h4490 := first("http://www.opengis.net/def/crs/EPSG/0/4490")
	ne, h4548 := first("http://www.opengis.net/def/crs/EPSG/0/4548")
	if h84 != "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>" || h4490 != "<http://www.opengis.net/def/crs/EPSG/0/4490>" || h4548 != "<http://www.opengis.net/def/crs/EPSG/0/4548>" {
		t.Errorf("Content-Crs headers: %q %q %q", h84, h4490, h4548)
	}
	if lonlat[0] != latlon[1] || lonlat[1] != latlon[0] || lonlat[0] < 117 {
		t.Errorf("CRS84 %v vs EPSG:4490 %v: want the same point with axes swapped", lonlat, latlon)
	}
	if math.Abs(ne[0]-3237000) > 10 || math.Abs(ne[1]-583000) > 10 {
		t.Errorf("EPSG:4548 first corner = %v; want northing ≈ 3237000, easting ≈ 583000", ne)
	}

	// bbox in EPSG:4548 (northing first per the CRS) selects the south-west 2 × 2 squares.
	var sw collection
	getJSON(t, items+"?bbox-crs="+url.QueryEscape("http://www.opengis.net/def/crs/EPSG/0/4548")+"&bbox=3237010,583010,3237190,583190", &sw)
	if len(sw.Features) != 4 {
		t.Errorf("bbox in EPSG:4548 found %d parcels; want 4", len(sw.Features))
	}

	var one feature
	resp := getJSON(t, items+"/"+gridCode(3, 4), &one)
	if one.ID != gridCode(3, 4) || resp.Header.Get("Content-Crs") == "" {
		t.Errorf("single item = %q, Content-Crs %q", one.ID, resp.Header.Get("Content-Crs"))
	}
	var zone feature
	getJSON(t, ts.URL+"/ogc/collections/zones/items/1", &zone)
	if zone.Props["zone_kind"] != "core" {
		t.Errorf("zone 1 = %v", zone.Props)
	}
	var pa collection
	getJSON(t, ts.URL+"/ogc/collections/protected_areas/items", &pa)
	if len(pa.Features) != 1 || pa.Features[0].Props["area_kind"] != "nature_reserve" {
		t.Errorf("protected areas = %+v", pa.Features)
	}

	for _, tc := range []struct{ path, detail string }{
		{"/ogc/collections/parcels/items?colour=red", "unknown parameter"},
		{"/ogc/collections/zones/items?township=100", "unknown parameter"},
		{"/ogc/collections/parcels/items?crs=EPSG:3857", "not supported"},
		{"/ogc/collections/parcels/items?bbox-crs=EPSG:4548", "without bbox"},
		{"/ogc/collections/parcels/items?limit=-1", "not a positive whole number"},
		{"/ogc/collections/parcels/items?f=html", "not offered"},
	} {
		resp, body := get(t, ts.URL+tc.path)
		wantProblem(t, resp, body, 400, tc.detail)
	}
	resp, body := get(t, items+"/nope")
	wantProblem(t, resp, body, 404, "has no feature")
	resp, body = get(t, ts.URL+"/ogc/collections/zones/items/abc")
	wantProblem(t, resp, body, 404, "has no feature")
}
