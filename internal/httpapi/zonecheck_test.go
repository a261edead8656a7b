package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
)

// lonlat returns the CGCS2000 lon/lat of a Gauss-Krüger offset from (583000, 3237000).
func lonlat(t *testing.T, pool pgxQuerier, x, y int) [2]float64 {
	t.Helper()
	var p [2]float64
	if err := pool.QueryRow(context.Background(), `SELECT ST_X(g), ST_Y(g) FROM (SELECT ST_Transform(ST_SetSRID(ST_MakePoint($1, $2), 4548), 4490) g) x`,
		583000+x, 3237000+y).Scan(&p[0], &p[1]); err != nil {
		t.Fatal(err)
	}
	return p
}

// boxJSON is a GeoJSON polygon of the Gauss-Krüger box, in lon/lat.
func boxJSON(t *testing.T, pool pgxQuerier, x0, y0, x1, y1 int) string {
	a, b, c, d := lonlat(t, pool, x0, y0), lonlat(t, pool, x1, y0), lonlat(t, pool, x1, y1), lonlat(t, pool, x0, y1)
	return fmt.Sprintf(`{"type":"Polygon","coordinates":[[[%v,%v],[%v,%v],[%v,%v],[%v,%v],[%v,%v]]]}`,
		a[0], a[1], b[0], b[1], c[0], c[1], d[0], d[1], a[0], a[1])
}

func postCheck(t *testing.T, url, body string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Post(url+"/api/v1/zone-check", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

type checkAnswer struct {
	Verdict string `json:"verdict"`
	Message string `json:"message"`
	Zones   []struct {
		AreaName   string  `json:"area_name"`
		ZoneKind   string  `json:"zone_kind"`
		OverlapMu  float64 `json:"overlap_mu"`
		Verdict    string  `json:"verdict"`
		Rule       string  `json:"rule"`
		LegalBasis string  `json:"legal_basis"`
		Credits    *string `json:"wetland_credits_required"`
		Fee        float64 `json:"fee_yuan"`
	} `json:"zones"`
}

func TestZoneCheck(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	loadCompensation(t, pool)
	ts := newServer(t, pool)

	check := func(geom, activity string) checkAnswer {
		t.Helper()
		resp, body := postCheck(t, ts.URL, `{"activity":"`+activity+`","geometry":`+geom+`}`)
		if resp.StatusCode != 200 {
			t.Fatalf("zone check = %d %s", resp.StatusCode, body)
		}
		var a checkAnswer
		if err := json.Unmarshal(body, &a); err != nil {
			t.Fatal(err)
		}
		return a
	}

	// 100 m × 100 m (15 亩) inside the core zone: construction is forbidden, and says why.
	a := check(boxJSON(t, pool, -500, 0, -400, 100), "construction")
	if a.Verdict != "forbidden" || len(a.Zones) != 1 || a.Zones[0].ZoneKind != "core" || math.Abs(a.Zones[0].OverlapMu-15) > 0.01 ||
		a.Zones[0].LegalBasis == "" || a.Zones[0].Rule == "" {
		t.Errorf("construction in the core zone: %+v", a)
	}
	// Straddling core (west half) and outside: 7.5 亩 of core.
	a = check(boxJSON(t, pool, 50, 0, 150, 100), "research")
	if len(a.Zones) != 1 || math.Abs(a.Zones[0].OverlapMu-7.5) > 0.01 {
		t.Errorf("half in the core zone: %+v", a)
	}
	// 200 m × 100 m (30 亩 on the plane; the ellipsoid is < 0.05 % off) of wetland in the
	// reasonable-use zone: conditional, 30 × 1.5 = 45 credits at 94,117.65 元 ≈ 4,235,294 元.
	a = check(boxJSON(t, pool, 3200, 0, 3400, 100), "wetland_occupation")
	if a.Verdict != "conditional" || len(a.Zones) != 1 || a.Zones[0].Credits == nil {
		t.Fatalf("wetland occupation: %+v", a)
	}
	z := a.Zones[0]
	credits, _ := strconv.ParseFloat(*z.Credits, 64)
	if math.Abs(z.OverlapMu-30) > 30*0.0005 || math.Abs(credits-1.5*z.OverlapMu) > 0.01 || math.Abs(z.Fee-credits*94117.65) > 0.01*94117.65 ||
		math.Abs(z.Fee-4235294.25) > 4235294.25*0.0005 {
		t.Errorf("wetland occupation: %.2f 亩, %s credits, %.2f 元; want ≈ 30, 45, 4235294.25", z.OverlapMu, *z.Credits, z.Fee)
	}
	// A MultiPolygon touching two zones gives two answers; the strictest verdict wins.
	mp := `{"type":"MultiPolygon","coordinates":[` + strings.TrimSuffix(strings.TrimPrefix(boxJSON(t, pool, -500, 0, -400, 100), `{"type":"Polygon","coordinates":`), "}") +
		`,` + strings.TrimSuffix(strings.TrimPrefix(boxJSON(t, pool, 4200, 0, 4300, 100), `{"type":"Polygon","coordinates":`), "}") + `]}`
	a = check(mp, "tourism_facility")
	if len(a.Zones) != 2 || a.Verdict != "forbidden" {
		t.Errorf("two zones: %+v", a)
	}
	// Nothing touched.
	a = check(boxJSON(t, pool, 7000, 0, 7100, 100), "construction")
	if len(a.Zones) != 0 || !strings.Contains(a.Message, "touches no protected zone") {
		t.Errorf("outside every zone: %+v", a)
	}

	big := make([]string, 0, 10002)
	for i := 0; i < 10001; i++ {
		ang := 2 * math.Pi * float64(i) / 10001
		big = append(big, fmt.Sprintf("[%v,%v]", 117.8+0.01*math.Cos(ang), 29.2+0.01*math.Sin(ang)))
	}
	big = append(big, big[0])
	bad := []struct {
		name, body, detail string
		status             int
	}{
		{"self-intersection", `{"activity":"construction","geometry":{"type":"Polygon","coordinates":[[[117.8,29.2],[117.81,29.21],[117.81,29.2],[117.8,29.21],[117.8,29.2]]]}}`, "self-intersection at or near [117.805", 400},
		{"ring not closed", `{"activity":"construction","geometry":{"type":"Polygon","coordinates":[[[117.8,29.2],[117.81,29.2],[117.81,29.21],[117.8,29.21]]]}}`, "is not closed", 400},
		{"hole outside its shell", `{"activity":"construction","geometry":{"type":"Polygon","coordinates":[[[117.8,29.2],[117.81,29.2],[117.81,29.21],[117.8,29.21],[117.8,29.2]],[[117.9,29.3],[117.91,29.3],[117.91,29.31],[117.9,29.3]]]}}`, "hole lies outside shell", 400},
		{"too many vertices", `{"activity":"construction","geometry":{"type":"Polygon","coordinates":[[` + strings.Join(big, ",") + `]]}}`, "at most 10000", 400},
		{"over 5 MB", `{"activity":"construction","geometry":{"type":"Polygon","coordinates":[[[117.8,29.2]` + strings.Repeat(",[117.8000000001,29.2000000001]", 200000) + `]]}}`, "over 5 MB", 413},
		{"a point", `{"activity":"construction","geometry":{"type":"Point","coordinates":[117.8,29.2]}}`, "must be a Polygon or MultiPolygon", 400},
		{"swapped axes", `{"activity":"construction","geometry":{"type":"Polygon","coordinates":[[[29.2,117.8],[29.21,117.8],[29.21,117.81],[29.2,117.8]]]}}`, "outside longitude/latitude range", 400},
		{"unknown activity", `{"activity":"golf","geometry":{"type":"Polygon","coordinates":[[[117.8,29.2],[117.81,29.2],[117.81,29.21],[117.8,29.2]]]}}`, "unknown activity \"golf\"; the known activities are alien_species, animal_release, construction", 400},
		{"no geometry", `{"activity":"construction"}`, "no \"geometry\"", 400},
		{"not JSON", `geometry please`, "not JSON", 400},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := postCheck(t, ts.URL, tc.body)
			wantProblem(t, resp, body, tc.status, tc.detail)
		})
	}
}
