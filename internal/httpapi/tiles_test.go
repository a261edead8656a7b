package httpapi_test

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
	"github.com/wuyuan-forestry/ecocomp/internal/recompute"
)

// tileOf is the z/x/y of the Web Mercator tile holding lon/lat.
func tileOf(lon, lat float64, z int) (x, y int) {
	n := math.Exp2(float64(z))
	r := lat * math.Pi / 180
	return int((lon + 180) / 360 * n), int((1 - math.Log(math.Tan(r)+1/math.Cos(r))/math.Pi) / 2 * n)
}

// readTile fetches a tile and has GDAL's MVT driver read it back: features by attribute line.
func readTile(t *testing.T, base, layer string, z, x, y int) (resp *http.Response, info string) {
	t.Helper()
	resp, body := get(t, fmt.Sprintf("%s/tiles/%s/%d/%d/%d.mvt", base, layer, z, x, y))
	if resp.StatusCode != 200 {
		t.Fatalf("tile %s/%d/%d/%d = %d %s", layer, z, x, y, resp.StatusCode, body)
	}
	dir := filepath.Join(t.TempDir(), fmt.Sprint(z), fmt.Sprint(x))
	os.MkdirAll(dir, 0o755)
	file := filepath.Join(dir, fmt.Sprintf("%d.pbf", y))
	os.WriteFile(file, body, 0o644)
	out, errs := gdal(t, "ogrinfo", "-ro", "-al", "-oo", fmt.Sprintf("Z=%d", z), "-oo", fmt.Sprintf("X=%d", x), "-oo", fmt.Sprintf("Y=%d", y), "MVT:"+file)
	noWarnings(t, "ogrinfo MVT", errs)
	return resp, out
}

func TestVectorTiles(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pool := pgtest.New(t)
	loadCompensation(t, pool)
	_, ts := newStartedServer(t, ctx, pool)
	lon, lat := lonlat(t, pool, 100, 100)[0], lonlat(t, pool, 100, 100)[1] // inside P1
	x, y := tileOf(lon, lat, 14)

	// Before any recompute parcels have no status yet.
	resp, info := readTile(t, ts.URL, "parcels", 14, x, y)
	if !strings.Contains(info, "code (String) = "+p1) || strings.Contains(info, "status (String) = eligible") {
		t.Fatalf("parcel tile before recompute:\n%s", info)
	}
	if resp.Header.Get("Content-Type") != "application/vnd.mapbox-vector-tile" || resp.Header.Get("ETag") == "" || resp.Header.Get("Cache-Control") == "" {
		t.Errorf("tile headers: %v", resp.Header)
	}
	// The cached tile answers a revalidation with 304.
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/tiles/parcels/14/%d/%d.mvt", ts.URL, x, y), nil)
	req.Header.Set("If-None-Match", resp.Header.Get("ETag"))
	r304, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r304.Body.Close()
	if r304.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match with the current ETag: %d; want 304", r304.StatusCode)
	}

	// A recompute announces itself; the cache drops the tile and P1 shows as eligible.
	if _, err := recompute.All(ctx, pool, 2026); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, info = readTile(t, ts.URL, "parcels", 14, x, y)
		if strings.Contains(info, "status (String) = eligible") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the parcel tile still shows the old status 10 s after a recompute:\n%s", info)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(info, "mvt_id (Integer64) = ") {
		t.Errorf("parcel features carry no id:\n%s", info)
	}

	// Zones carry their kind; the county tile its name.
	_, info = readTile(t, ts.URL, "zones", 12, x>>2, y>>2)
	if !strings.Contains(info, "zone_kind (String) = core") || !strings.Contains(info, "area_name (String) = 测试自然保护区") {
		t.Errorf("zone tile:\n%s", info)
	}
	_, info = readTile(t, ts.URL, "county", 8, x>>6, y>>6)
	if !strings.Contains(info, "name (String) = 婺源县") {
		t.Errorf("county tile:\n%s", info)
	}

	var tj struct {
		TileJSON string   `json:"tilejson"`
		Tiles    []string `json:"tiles"`
		Layers   []struct {
			ID     string            `json:"id"`
			Fields map[string]string `json:"fields"`
		} `json:"vector_layers"`
	}
	getJSON(t, ts.URL+"/tiles/parcels.json", &tj)
	if tj.TileJSON != "3.0.0" || len(tj.Tiles) != 1 || !strings.HasSuffix(tj.Tiles[0], "/tiles/parcels/{z}/{x}/{y}.mvt") || len(tj.Layers) != 1 || tj.Layers[0].Fields["status"] == "" {
		t.Errorf("TileJSON: %+v", tj)
	}

	for _, tc := range []struct{ path, param, detail string }{
		{"/tiles/parcels/23/0/0.mvt", "z", "not a zoom level"},
		{"/tiles/parcels/-1/0/0.mvt", "z", "not a zoom level"},
		{"/tiles/parcels/2/4/0.mvt", "x", "not a tile column at zoom 2 (0–3)"},
		{"/tiles/parcels/2/0/y.mvt", "y", "not a tile row"},
	} {
		resp, body := get(t, ts.URL+tc.path)
		wantProblem(t, resp, body, 400, tc.detail)
	}
	resp, body := get(t, ts.URL+"/tiles/roads/1/0/0.mvt")
	wantProblem(t, resp, body, 404, "no tile layer")
	var cfg map[string]any
	getJSON(t, ts.URL+"/api/v1/map-config", &cfg)
	if cfg["year"] != float64(2026) || cfg["bounds"] == nil {
		t.Errorf("map config = %v", cfg)
	}
}
