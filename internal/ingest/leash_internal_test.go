package ingest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGDALChildEnvironment: a GDAL child sees none of ecocomp's secrets or proxies, only the
// minimal environment (the child here is env(1), run exactly as ogrinfo and ogr2ogr are).
func TestGDALChildEnvironment(t *testing.T) {
	secrets := map[string]string{
		"DATABASE_URL":          "postgres://ecocomp:s3cret@db.example/ecocomp",
		"ECOCOMP_ADMIN_TOKEN":   "break-glass-token",
		"ECOCOMP_PII_KEY":       "k1:0123456789abcdef",
		"PGPASSWORD":            "s3cret",
		"http_proxy":            "http://proxy.example:3128",
		"HTTPS_PROXY":           "http://proxy.example:3128",
		"GDAL_HTTP_USERPWD":     "user:pass",
		"AWS_SECRET_ACCESS_KEY": "aws",
	}
	for k, v := range secrets {
		t.Setenv(k, v)
	}
	home := t.TempDir()
	out, err := gdalCommand(context.Background(), home, "OGR_VRT,CSV", "env").Output()
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		k, v, _ := strings.Cut(l, "=")
		env[k] = v
	}
	for k, v := range secrets {
		if _, ok := env[k]; ok {
			t.Errorf("the GDAL child sees %s", k)
		}
		if strings.Contains(string(out), v) {
			t.Errorf("the GDAL child's environment holds the value of %s", k)
		}
	}
	for k, want := range map[string]string{"HOME": home, "TMPDIR": home, "GDAL_SKIP": "OGR_VRT,CSV",
		"GDAL_HTTP_PROXY": noNetwork, "GDAL_HTTPS_PROXY": noNetwork, "PROJ_NETWORK": "OFF"} {
		if env[k] != want {
			t.Errorf("%s=%q; want %q", k, env[k], want)
		}
	}
	for k := range env {
		if strings.HasPrefix(k, "ECOCOMP_") || strings.HasPrefix(k, "PG") || strings.Contains(strings.ToLower(k), "proxy") && !strings.HasPrefix(k, "GDAL_HTTP") {
			t.Errorf("the GDAL child sees %s", k)
		}
	}
	// GDAL runs in it.
	if out, err := gdalCommand(context.Background(), home, "", "ogrinfo", "--version").CombinedOutput(); err != nil || !strings.HasPrefix(string(out), "GDAL ") {
		t.Errorf("ogrinfo --version in the minimal environment: %v %s", err, out)
	}
}

// TestOnlyTheExpectedDriverReads: should a VRT document slip past the content check, GDAL
// itself refuses it: every driver but the expected one is skipped.
func TestOnlyTheExpectedDriverReads(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	if err := os.Mkdir(home, 0o700); err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(dir, "secret.csv")
	if err := os.WriteFile(secret, []byte("WKT,SECRET\n\"POINT (1 2)\",canary-4711\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	vrt := filepath.Join(dir, "parcels.geojson")
	if err := os.WriteFile(vrt, []byte(`<OGRVRTDataSource><OGRVRTLayer name="x"><SrcDataSource>`+secret+`</SrcDataSource><SrcLayer>secret</SrcLayer></OGRVRTLayer></OGRVRTDataSource>`), 0o644); err != nil {
		t.Fatal(err)
	}
	info, err := installedGDAL(ctx, home)
	if err != nil {
		t.Fatal(err)
	}
	skip := info.skipList("GeoJSON")
	for _, d := range []string{"OGR_VRT", "CSV", "PostgreSQL", "SQLite", "OAPIF", "WFS"} {
		if !strings.Contains(","+skip+",", ","+d+",") {
			t.Errorf("GDAL_SKIP for GeoJSON lacks %s: %s", d, skip)
		}
	}
	for _, d := range []string{"GeoJSON", writeDriver} {
		if strings.Contains(","+skip+",", ","+d+",") {
			t.Errorf("GDAL_SKIP for GeoJSON skips %s", d)
		}
	}
	// Unleashed, GDAL opens the VRT and reads the file it names ...
	plain, _ := gdalCommand(ctx, home, "", "ogrinfo", "-ro", "-al", vrt).CombinedOutput()
	if !strings.Contains(string(plain), "canary-4711") {
		t.Fatalf("the fixture is not dangerous: plain ogrinfo did not read the file the VRT names\n%s", plain)
	}
	// ... on the leash it cannot open it at all.
	s := &source{path: vrt, home: home, gdal: info, driver: "GeoJSON", skip: skip}
	_, _, err = s.ogrinfo(ctx)
	var rj *rejection
	if !errors.As(err, &rj) || !strings.Contains(rj.msg, "GDAL cannot read") {
		t.Errorf("ogrinfo on the leash: %v; want GDAL to refuse the file", err)
	}
}

func TestLayerArgs(t *testing.T) {
	cases := []struct {
		driver, layer string
		want          []string
	}{
		{"ESRI Shapefile", "-sql", nil},
		{"GeoJSON", "-overwrite", nil},
		{"GPKG", "xiaoban", []string{"xiaoban"}},
		{"GPKG", "-sql", []string{"-sql", `SELECT * FROM "-sql"`}},
		{"GPKG", `-a"b`, []string{"-sql", `SELECT * FROM "-a""b"`}},
	}
	for _, tc := range cases {
		if got := layerArgs(tc.driver, tc.layer); strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("layerArgs(%q, %q) = %q; want %q", tc.driver, tc.layer, got, tc.want)
		}
	}
}

func TestPersonalName(t *testing.T) {
	cases := []struct {
		name     string
		personal bool
	}{
		{"户主姓名", true}, {"权利人", true}, {"身份证号", true}, {"证件号码", true}, {"银行账号", true}, {"联系电话", true},
		{"手机", true}, {"XINGMING", true}, {"NAME", true}, {"Owner_Name", true}, {"HZXM", true}, {"QLR", true},
		{"SFZH", true}, {"sfzhm", true}, {"ZJHM", true}, {"ZHANGHAO", true}, {"YHZH", true}, {"PHONE", true},
		{"TEL", true}, {"tel_1", true}, {"MOBILE_NO", true}, {"LXDH", true}, {"HUZHU_XM", true},
		{"CUN_MC", false}, {"XIAO_BAN", false}, {"MIAN_JI", false}, {"OBJECTID", false}, {"Shape_Area", false},
		{"BEI_ZHU", false}, {"XMMC", false}, {"DI_MAO", false}, {"HOTEL", false}, {"村名", false}, {"备注", false},
		{"TELE_ZH", false}, {"DH", false},
	}
	for _, tc := range cases {
		if _, got := personalName(tc.name); got != tc.personal {
			t.Errorf("personalName(%q) = %v; want %v", tc.name, got, tc.personal)
		}
	}
}
