package casefile

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/wuyuan-forestry/ecocomp/internal/cases"
)

// square is the 100 m square of column i, row j of a grid whose south-west corner is at
// E 583000, N 3237000 (EPSG:4548), as a clockwise ring from its north-west corner.
func square(i, j int) []Point {
	e, n := 583000+float64(i)*100, 3237000+float64(j)*100
	return []Point{{e, n + 100}, {e + 100, n + 100}, {e + 100, n}, {e, n}}
}

// pdfText is the text pdftotext reads from a PDF.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "out.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-layout", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// TestSizhiPDFHandDrawn: two squares of a case, (0,0) and (0,1), with neighbours east and
// north; the sheet names the case, both parcels, each of their eight corners with its X
// (northing) and Y (easting) and 100.00 m sides, and 无相邻小班 to the south and west.
func TestSizhiPDFHandDrawn(t *testing.T) {
	s := &Sizhi{Case: &cases.Case{Number: "WY-SM-2026-0007", ModeLabel: "赎买", AreaMu: 3000, Owner: cases.Owner{Name: "张*"}},
		County: "婺源县", Made: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)}
	for j, code := range []string{"361130100001000100001", "361130100001000100002"} {
		s.Parcels = append(s.Parcels, SizhiParcel{Code: code, LinBan: "0001", XiaoBan: code[16:], MianJi: "1.0000", AreaMu: 1500,
			Rings: [][]Point{square(0, j)}, Outer: []bool{true}})
	}
	s.Parcels[0].Neighbours = [4][]string{{"361130100001000100011"}, nil, nil, {"361130100001000100002"}}
	s.Parcels[1].Neighbours = [4][]string{{"361130100001000100012"}, {"361130100001000100001"}, nil, {"361130100001000100003"}}
	for i := range 3 {
		for j := range 4 {
			if i == 0 && j < 2 {
				continue
			}
			code := fmt.Sprintf("3611301000010001%05d", i*10+j+1)
			r := square(i, j)
			s.Around = append(s.Around, Outline{Code: code, XiaoBan: code[16:], Rings: [][]Point{r}, Label: Point{r[0].E + 50, r[0].N - 50}, Labelled: true})
		}
	}
	s.frame()
	if s.Scale != 2000 {
		t.Errorf("200 m × 100 m of parcels with 50 m around (300 m × 200 m) in a 165 mm × 180 mm frame: scale 1:%.0f, want 1:2000", s.Scale)
	}
	var buf bytes.Buffer
	if err := s.WritePDF(&buf); err != nil {
		t.Fatal(err)
	}
	text := pdfText(t, buf.Bytes())
	want := []string{"WY-SM-2026-0007", "林地四至图", "界址点坐标表", "361130100001000100001", "361130100001000100002",
		"无相邻小班", "张*", "30.00 亩", "2.0000 公顷", "1:2000", "EPSG:4548"}
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("the sheet lacks %q", w)
		}
	}
	for _, p := range s.Parcels {
		for _, b := range p.BoundaryPoints() {
			// The table's row: point, X (northing), Y (easting), side.
			row := fmt.Sprintf(`%s\s+%.2f\s+%.2f\s+100.00`, b.Name, b.At.N, b.At.E)
			if !matches(text, row) {
				t.Errorf("the table lacks the row %s", row)
			}
		}
	}
	if t.Failed() {
		t.Logf("pdftotext:\n%s", text)
	}
	if dir := os.Getenv("ECOCOMP_KEEP_PDF"); dir != "" {
		_ = os.WriteFile(filepath.Join(dir, "sizhi-hand.pdf"), buf.Bytes(), 0o644)
	}
}

// TestBoundaryPointsStartNorthWest: a ring is numbered from its north-west point, clockwise,
// whatever vertex the database returns first.
func TestBoundaryPointsStartNorthWest(t *testing.T) {
	r := orb.Ring{{583100, 3237000}, {583000, 3237000}, {583000, 3237100}, {583100, 3237100}, {583100, 3237000}}
	got := fromNorthWest(r)
	want := []Point{{583000, 3237100}, {583100, 3237100}, {583100, 3237000}, {583000, 3237000}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("fromNorthWest = %v, want %v", got, want)
	}
}

func matches(text, pattern string) bool { return regexp.MustCompile(pattern).MatchString(text) }
