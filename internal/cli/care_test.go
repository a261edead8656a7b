package cli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/wuyuan-forestry/ecocomp/internal/auth"
	"github.com/wuyuan-forestry/ecocomp/internal/care"
	"github.com/wuyuan-forestry/ecocomp/internal/cli"
	"github.com/wuyuan-forestry/ecocomp/internal/pii/piitest"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
)

// careAreasFile is a GeoJSON file of two areas in EPSG:4548 (a 100 m and a 200 m square) with
// the fields DM (code), MC (name), CLZ (village chief) and XLZ (township chief); second replaces
// the second outline.
func careAreasFile(t *testing.T, second string) string {
	t.Helper()
	if second == "" {
		second = `[[[583100,3237000],[583300,3237000],[583300,3237200],[583100,3237200],[583100,3237000]]]`
	}
	file := filepath.Join(t.TempDir(), "areas.geojson")
	if err := os.WriteFile(file, []byte(`{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4548"}},"features":[
		{"type":"Feature","properties":{"DM":"GH-01","MC":"紫阳一号责任区","CLZ":"王村长","XLZ":"李乡长"},"geometry":{"type":"Polygon","coordinates":[[[583000,3237000],[583100,3237000],[583100,3237100],[583000,3237100],[583000,3237000]]]}},
		{"type":"Feature","properties":{"DM":"GH-02","MC":"紫阳二号责任区","CLZ":"","XLZ":"李乡长"},"geometry":{"type":"Polygon","coordinates":`+second+`}}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

// TestImportCareAreasCommand: `ecocomp import care-areas` needs its two fields, refuses a page
// posing as GeoJSON before GDAL reads it, refuses a file with one self-intersecting outline
// whole (one line naming the feature), and lands a good file with its chiefs, audited.
func TestImportCareAreasCommand(t *testing.T) {
	ctx := context.Background()
	pool, url := pgtest.NewWithURL(t)
	t.Setenv("DATABASE_URL", url)
	var out, errb bytes.Buffer
	run := func(args ...string) int {
		out.Reset()
		errb.Reset()
		return cli.Main(ctx, args, &out, &errb)
	}
	good := careAreasFile(t, "")
	if code := run("import", "care-areas", good, "--code-field", "DM"); code != 2 || !strings.Contains(errb.String(), "--name-field") {
		t.Errorf("without --name-field: exit %d, %s; want 2 naming it", code, errb.String())
	}
	page := filepath.Join(t.TempDir(), "areas.geojson")
	if err := os.WriteFile(page, []byte("<html><body><script>alert(1)</script></body></html>"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code := run("import", "care-areas", page, "--code-field", "DM", "--name-field", "MC"); code != 1 || !strings.Contains(errb.String(), "is not GeoJSON") {
		t.Errorf("an HTML page named .geojson: exit %d, %s%s; want 1, refused before GDAL reads it", code, out.String(), errb.String())
	}
	if code := run("import", "care-areas", good, "--code-field", "DM", "--name-field", "NAME"); code != 1 || !strings.Contains(out.String()+errb.String(), "no field NAME") {
		t.Errorf("a field the file lacks: exit %d, %s%s; want 1 naming it", code, out.String(), errb.String())
	}
	bowTie := careAreasFile(t, `[[[583100,3237000],[583300,3237200],[583300,3237000],[583100,3237200],[583100,3237000]]]`)
	code := run("import", "care-areas", bowTie, "--code-field", "DM", "--name-field", "MC")
	if msg := strings.TrimSpace(errb.String()); code != 1 || !strings.Contains(msg, "feature 2 (GH-02) is not a valid polygon") || strings.Count(msg, "\n") != 0 {
		t.Errorf("a bow-tie: exit %d, %q; want 1 and one line naming feature 2", code, msg)
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM care_area`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d areas after the refused file (%v); want none", n, err)
	}
	if code := run("import", "care-areas", good, "--code-field", "DM", "--name-field", "MC", "--village-chief-field", "CLZ", "--township-chief-field", "XLZ"); code != 0 ||
		!strings.Contains(out.String(), "imported 2 care areas") {
		t.Fatalf("import: exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	var got string
	if err := pool.QueryRow(ctx, `SELECT string_agg(a.code || ':' || a.name || ':' || round((ST_Area(ST_Transform(a.geom, 4548)) * 0.0015)::numeric, 2) || ':' ||
		  coalesce((SELECT string_agg(c.level || '=' || c.name, ',' ORDER BY c.level) FROM care_chief c WHERE c.area_id = a.id), ''), ' ' ORDER BY a.code)
		FROM care_area a`).Scan(&got); err != nil ||
		got != "GH-01:紫阳一号责任区:15.00:township=李乡长,village=王村长 GH-02:紫阳二号责任区:60.00:township=李乡长" {
		t.Errorf("areas %q (%v); want GH-01 of 15 亩 with both chiefs, GH-02 of 60 亩 with its township chief", got, err)
	}
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'care.area.create'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d audit rows (%v); want 1", n, err)
	}
	if code := run("import", "care-areas", good, "--code-field", "DM", "--name-field", "MC"); code != 1 || !strings.Contains(errb.String(), `code "GH-01" already exists`) {
		t.Errorf("the same file again: exit %d, %s; want 1, the code taken", code, errb.String())
	}
}

// TestExportRangerRollCommand: `ecocomp export ranger-roll` writes the workbook masked, and in
// clear with --unmask, which is audited. With no policy and no subsidy run, every month is paid
// in full from nothing retained: a 2025 contract of 3,650.00 pays 3,650.00, all of it a shortfall.
func TestExportRangerRollCommand(t *testing.T) {
	ctx := context.Background()
	pool, url := pgtest.NewWithURL(t)
	t.Setenv("DATABASE_URL", url)
	t.Setenv("ECOCOMP_PII_KEY", piitest.Key)
	if _, err := care.CreateRanger(ctx, pool, piitest.TestKeyring(t), auth.Principal{Roles: []auth.Role{auth.Admin}}, care.RangerRequest{
		Name: "王护林", IDNumber: "36113019800101123X", BankAccount: "6217000012345678", ContractFrom: "2025-01-01", ContractTo: "2025-12-31", YearlyPay: 365000}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var out, errb bytes.Buffer
	for _, c := range []struct {
		args []string
		name string
	}{{nil, "王**"}, {[]string{"--unmask"}, "王护林"}} {
		file := filepath.Join(dir, "roll.xlsx")
		args := append([]string{"export", "ranger-roll", "--year", "2025", "--out", file}, c.args...)
		if code := cli.Main(ctx, args, &out, &errb); code != 0 || !strings.Contains(errb.String(), "pay 3650.00 元") {
			t.Fatalf("%v: exit %d, %s", args, code, errb.String())
		}
		f, err := excelize.OpenFile(file)
		if err != nil {
			t.Fatal(err)
		}
		name, _ := f.GetCellValue("护林员报酬清册", "B4")
		pay, _ := f.GetCellValue("护林员报酬清册", "N4")
		short, _ := f.GetCellValue("护林员报酬清册", "P4") // the default policy has one source, the retained money
		f.Close()
		if name != c.name || pay != "3650.00" || short != "3650.00" {
			t.Errorf("%v: name %q, pay %q, shortfall %q; want %s, 3650.00, 3650.00", args, name, pay, short, c.name)
		}
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'pii.read' AND entity = 'ranger_roll'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d audited unmasked exports (%v); want 1", n, err)
	}
}
