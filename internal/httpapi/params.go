package httpapi

import (
	"encoding/base64"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/features"
)

// onlyParams rejects query parameters the endpoint does not know, naming them and the known ones.
func onlyParams(q url.Values, known ...string) error {
	for k := range q {
		if !slices.Contains(known, k) {
			return apperr.BadParam(k, "unknown parameter; this endpoint accepts %s", strings.Join(known, ", "))
		}
	}
	return nil
}

// single returns the one value of a parameter, refusing repeats.
func single(q url.Values, name string) (string, bool, error) {
	vs, ok := q[name]
	if !ok {
		return "", false, nil
	}
	if len(vs) > 1 {
		return "", false, apperr.BadParam(name, "given %d times; give it once", len(vs))
	}
	return vs[0], true, nil
}

// boolParam is query parameter name as true or false (false when absent).
func boolParam(q url.Values, name string) (bool, error) {
	v, ok, err := single(q, name)
	if err != nil || !ok {
		return false, err
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, apperr.BadParam(name, "%q is not true or false", v)
	}
	return b, nil
}

func parseFloat(name, s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, apperr.BadParam(name, "%q is not a number", s)
	}
	return v, nil
}

// parsePoint reads lon and lat (both or neither) as a CGCS2000 / WGS 84 point.
func parsePoint(q url.Values) (*orb.Point, error) {
	lonS, hasLon, err := single(q, "lon")
	if err != nil {
		return nil, err
	}
	latS, hasLat, err := single(q, "lat")
	if err != nil {
		return nil, err
	}
	if !hasLon && !hasLat {
		return nil, nil
	}
	if !hasLon || !hasLat {
		missing := "lon"
		if !hasLat {
			missing = "lat"
		}
		return nil, apperr.BadParam(missing, "missing; a point lookup needs both lon and lat in degrees (e.g. lon=117.86&lat=29.25)")
	}
	lon, err := parseFloat("lon", lonS)
	if err != nil {
		return nil, err
	}
	lat, err := parseFloat("lat", latS)
	if err != nil {
		return nil, err
	}
	if lon < -180 || lon > 180 {
		return nil, apperr.BadParam("lon", "%v is outside -180…180 degrees; did you swap lon and lat?", lon)
	}
	if lat < -90 || lat > 90 {
		return nil, apperr.BadParam("lat", "%v is outside -90…90 degrees; did you swap lon and lat?", lat)
	}
	return &orb.Point{lon, lat}, nil
}

// parseBBox reads bbox=minx,miny,maxx,maxy in crs (axis order as the client writes it).
func parseBBox(q url.Values, crs features.CRS) (*orb.Bound, error) {
	s, ok, err := single(q, "bbox")
	if err != nil || !ok {
		return nil, err
	}
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		if len(parts) == 6 {
			return nil, apperr.BadParam("bbox", "3D boxes are not supported; give 4 numbers minx,miny,maxx,maxy")
		}
		return nil, apperr.BadParam("bbox", "%q has %d values; give 4 numbers minx,miny,maxx,maxy", s, len(parts))
	}
	var v [4]float64
	for i, p := range parts {
		if v[i], err = parseFloat("bbox", p); err != nil {
			return nil, err
		}
	}
	if v[0] > v[2] || v[1] > v[3] {
		return nil, apperr.BadParam("bbox", "minimum greater than maximum in %q; the order is minx,miny,maxx,maxy", s)
	}
	if crs.SRID == 4490 {
		lon0, lat0, lon1, lat1 := v[0], v[1], v[2], v[3]
		if crs.NorthingFirst {
			lat0, lon0, lat1, lon1 = v[0], v[1], v[2], v[3]
		}
		if lon0 < -180 || lon1 > 180 || lat0 < -90 || lat1 > 90 {
			return nil, apperr.BadParam("bbox", "%q is outside the valid range of longitude (-180…180) and latitude (-90…90)", s)
		}
	}
	return &orb.Bound{Min: orb.Point{v[0], v[1]}, Max: orb.Point{v[2], v[3]}}, nil
}

// parseLimit reads limit: a positive integer, clamped to max (OGC API: clamp, don't reject).
func parseLimit(q url.Values, def, max int) (int, error) {
	s, ok, err := single(q, "limit")
	if err != nil || !ok {
		return def, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 1 {
		return 0, apperr.BadParam("limit", "%q is not a positive whole number (maximum %d)", s, max)
	}
	return min(n, max), nil
}

// Cursors are opaque to clients: the last key of the previous page, base64url-encoded.
func encodeCursor(key string) string { return base64.RawURLEncoding.EncodeToString([]byte(key)) }

func parseCursor(q url.Values) (string, error) {
	s, ok, err := single(q, "cursor")
	if err != nil || !ok {
		return "", err
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) == 0 || len(b) > 64 || !utf8.Valid(b) {
		return "", apperr.BadParam("cursor", "not a cursor this server issued; follow the `next` link of the previous page unchanged")
	}
	return string(b), nil
}

// parseCRS reads a CRS parameter (crs or bbox-crs) with its default.
func parseCRS(q url.Values, name string, def features.CRS) (features.CRS, error) {
	s, ok, err := single(q, name)
	if err != nil || !ok {
		return def, err
	}
	c, found := features.CRSByURI(s)
	if !found {
		var names []string
		for _, c := range features.AllCRS {
			names = append(names, c.URI)
		}
		return def, apperr.BadParam(name, "%q is not supported; use one of %s", s, strings.Join(names, ", "))
	}
	return c, nil
}

// parseEligible reads eligible=true|false.
func parseEligible(q url.Values) (*bool, error) {
	s, ok, err := single(q, "eligible")
	if err != nil || !ok {
		return nil, err
	}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes":
		v := true
		return &v, nil
	case "false", "0", "no":
		v := false
		return &v, nil
	}
	return nil, apperr.BadParam("eligible", "%q is not true or false", s)
}
