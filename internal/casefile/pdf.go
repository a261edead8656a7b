package casefile

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/go-pdf/fpdf"

	"github.com/wuyuan-forestry/ecocomp/internal/glyphs"
)

// font is the CJK font every PDF embeds (the subset it uses): the map's WenQuanYi Micro Hei,
// unpacked once. It has Latin letters and digits too, so parcel codes and coordinates need no
// second font.
var font = sync.OnceValues(glyphs.TTF)

const (
	family = "wqy"
	margin = 15.0 // mm
)

// page is a PDF being written: A4, one embedded font, a footer with the page number and the
// line that says what made it.
type page struct {
	*fpdf.Fpdf
	width, height float64
}

// newPDF starts an A4 document ("P" portrait, "L" landscape) titled title, made at made.
func newPDF(orientation, title, footer string, made time.Time) (*page, error) {
	ttf, err := font()
	if err != nil {
		return nil, err
	}
	f := fpdf.New(orientation, "mm", "A4", "")
	f.SetCreationDate(made)
	f.SetTitle(title, true)
	f.SetCreator("ecocomp", true)
	f.AddUTF8FontFromBytes(family, "", ttf)
	f.SetMargins(margin, margin, margin)
	f.SetAutoPageBreak(false, margin)
	f.AliasNbPages("{nb}")
	p := &page{Fpdf: f}
	p.width, p.height = f.GetPageSize()
	f.SetFooterFunc(func() {
		f.SetFont(family, "", 7)
		f.SetTextColor(90, 90, 90)
		f.SetXY(margin, p.height-margin+4)
		f.CellFormat(p.width-2*margin, 4, footer, "", 0, "L", false, 0, "")
		f.SetXY(margin, p.height-margin+4)
		f.CellFormat(p.width-2*margin, 4, fmt.Sprintf("第 %d 页 共 {nb} 页", f.PageNo()), "", 0, "R", false, 0, "")
		f.SetTextColor(0, 0, 0)
	})
	f.AddPage()
	return p, f.Error()
}

// text sets the font size and writes s at (x, y) aligned "L", "C" or "R" within width w.
func (p *page) text(x, y, w, size float64, align, s string) {
	p.SetFont(family, "", size)
	p.SetXY(x, y)
	p.CellFormat(w, size*0.45, s, "", 0, align, false, 0, "")
}

// column is one column of a table: its heading, width in mm and alignment.
type column struct {
	head  string
	width float64
	align string
}

// table writes rows under a heading row, wrapping long cells onto more lines and starting a new
// page (with the heading again) when the next row would run into the bottom margin.
type table struct {
	p    *page
	cols []column
	size float64 // font size, pt
}

func (t *table) lineHeight() float64 { return t.size * 0.5 }

// head writes the heading row, shaded.
func (t *table) head() {
	t.p.SetFillColor(232, 236, 230)
	t.row(true, columnHeads(t.cols)...)
	t.p.SetFillColor(255, 255, 255)
}

func columnHeads(cols []column) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.head
	}
	return out
}

// row writes one row of cells.
func (t *table) row(heading bool, cells ...string) {
	p := t.p
	p.SetFont(family, "", t.size)
	lines := make([][]string, len(t.cols))
	n := 1
	for i, c := range t.cols {
		if i < len(cells) {
			for _, para := range strings.Split(cells[i], "\n") {
				lines[i] = append(lines[i], p.SplitText(para, c.width)...)
			}
		}
		n = max(n, len(lines[i]))
	}
	h := float64(n)*t.lineHeight() + 1
	if !heading && p.GetY()+h > p.height-margin {
		p.AddPage()
		t.head()
	}
	x0, y0 := p.GetX(), p.GetY()
	x := x0
	for i, c := range t.cols {
		p.Rect(x, y0, c.width, h, map[bool]string{true: "FD", false: "D"}[heading])
		for j, l := range lines[i] {
			p.SetXY(x, y0+0.5+float64(j)*t.lineHeight())
			p.CellFormat(c.width, t.lineHeight(), l, "", 0, c.align, false, 0, "")
		}
		x += c.width
	}
	p.SetXY(x0, y0+h)
}

// write finishes the document into w.
func (p *page) write(w io.Writer) error {
	if err := p.Error(); err != nil {
		return err
	}
	return p.Output(w)
}
