package httpapi_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wuyuan-forestry/ecocomp/internal/config"
	"github.com/wuyuan-forestry/ecocomp/internal/httpapi"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
)

const fontURL = "/fonts/WenQuanYi%20Micro%20Hei/"

// TestWebGlyphs: the map's glyph ranges come from the binary, gzipped for clients that take
// gzip, plain for others, revalidated with 304, and open even when reading needs a sign-in (the
// sign-in page draws no map, but the font is no one's data); unknown stacks and ranges are 404
// problems that say what exists.
func TestWebGlyphs(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	ts := httptest.NewServer(httpapi.New(pool, discardLogger(), config.Config{RequireSignIn: true}))
	t.Cleanup(ts.Close)

	fetch := func(path string, header ...string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest("GET", ts.URL+path, nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		return do(t, req)
	}

	resp, zipped := fetch(fontURL+"19968-20223.pbf", "Accept-Encoding", "gzip")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("Content-Type") != "application/x-protobuf" ||
		resp.Header.Get("ETag") == "" || !strings.Contains(resp.Header.Get("Cache-Control"), "max-age") {
		t.Fatalf("CJK range: %d %v", resp.StatusCode, resp.Header)
	}
	zr, err := gzip.NewReader(bytes.NewReader(zipped))
	if err != nil {
		t.Fatal(err)
	}
	unzipped, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	// glyphs.stacks (field 1) holding fontstack.name (field 1) = the font's name.
	if len(unzipped) < 100_000 || unzipped[0] != 0x0a || !bytes.Contains(unzipped[:40], []byte("\x0a\x13WenQuanYi Micro Hei\x12\x0b19968-20223")) {
		t.Errorf("CJK range: %d bytes starting %q", len(unzipped), unzipped[:min(len(unzipped), 40)])
	}

	resp, plain := fetch(fontURL+"19968-20223.pbf", "Accept-Encoding", "identity")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "" || !bytes.Equal(plain, unzipped) {
		t.Errorf("without gzip: %d %v, %d bytes; want the same protobuf unzipped", resp.StatusCode, resp.Header, len(plain))
	}
	etag := resp.Header.Get("ETag")
	if resp, _ := fetch(fontURL+"19968-20223.pbf", "If-None-Match", etag); resp.StatusCode != http.StatusNotModified {
		t.Errorf("revalidation: %d, want 304", resp.StatusCode)
	}
	// A stack listing the font among others is drawn with it (MapLibre joins a style's fonts
	// with commas).
	if resp, body := fetch("/fonts/Noto%20Sans%20Regular,WenQuanYi%20Micro%20Hei/0-255.pbf"); resp.StatusCode != 200 || len(body) < 1000 {
		t.Errorf("Latin range of a stack naming the font second: %d, %d bytes", resp.StatusCode, len(body))
	}

	for _, c := range []struct{ path, says string }{
		{"/fonts/Open%20Sans%20Regular/0-255.pbf", "WenQuanYi Micro Hei"},
		{fontURL + "100-355.pbf", "multiple of 256"},
		{fontURL + "0-255.png", "{start}-{end}.pbf"},
		{fontURL + "1114112-1114367.pbf", "multiple of 256"},
	} {
		resp, body := fetch(c.path)
		var p struct {
			Status int    `json:"status"`
			Detail string `json:"detail"`
		}
		if err := json.Unmarshal(body, &p); err != nil || resp.StatusCode != 404 || p.Status != 404 || !strings.Contains(p.Detail, c.says) {
			t.Errorf("GET %s = %d %s; want a 404 problem saying %q", c.path, resp.StatusCode, body, c.says)
		}
	}

	// The townships are data: a sign-in is needed here.
	if resp, _ := fetch("/api/v1/townships"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("townships without a session on a private server: %d, want 401", resp.StatusCode)
	}
}

// TestWebTownships: the township list the map's export and roll offer comes from the
// administrative units, whatever the map has loaded.
func TestWebTownships(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	loadGrid(t, pool)
	ts := httptest.NewServer(httpapi.New(pool, discardLogger(), config.Config{}))
	t.Cleanup(ts.Close)
	var got struct {
		Townships []struct {
			Code       string `json:"code"`
			Name       string `json:"name"`
			CountyCode string `json:"county_code"`
		} `json:"townships"`
	}
	getJSON(t, ts.URL+"/api/v1/townships", &got)
	if len(got.Townships) != 1 || got.Townships[0].Code != "361130100" || got.Townships[0].Name != "紫阳镇" || got.Townships[0].CountyCode != "361130" {
		t.Errorf("townships: %+v", got.Townships)
	}
}
