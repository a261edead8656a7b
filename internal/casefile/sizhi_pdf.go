package casefile

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/go-pdf/fpdf"
)

// CRSNote says on every sheet which coordinates it prints.
const CRSNote = "坐标系：CGCS2000 3度带高斯-克吕格投影 中央经线117°E（EPSG:4548），单位米；X 为纵坐标（北），Y 为横坐标（东）"

// WritePDF writes the 四至图 as an A4 PDF: the map (the case's parcels filled, their
// boundary points numbered, the neighbours outlined and labelled, a coordinate grid, a north
// arrow and a scale bar), the four sides and areas of each parcel, and the boundary-point
// coordinate table (界址点坐标表).
func (s *Sizhi) WritePDF(w io.Writer) error {
	c := s.Case
	p, err := newPDF("P", "四至图 "+c.Number, "ecocomp · "+s.County+" · 案件 "+c.Number+" · 制图日期 "+date(s.Made), s.Made)
	if err != nil {
		return err
	}
	p.text(margin, margin, p.width-2*margin, 18, "C", "林地四至图")
	villages := []string{}
	for _, q := range c.Parcels {
		if q.Role == "offered" && !slices.Contains(villages, q.Township+q.Village) {
			villages = append(villages, q.Township+q.Village)
		}
	}
	p.text(margin, margin+9, p.width-2*margin, 9, "L", fmt.Sprintf("案件编号：%s    方式：%s    权利人：%s    位置：%s %s",
		c.Number, c.ModeLabel, c.Owner.Name, s.County, strings.Join(villages, "、")))
	p.text(margin, margin+14, p.width-2*margin, 9, "L", fmt.Sprintf("小班数：%d    面积合计：%s 亩（%s 公顷）    比例尺：1:%.0f    制图日期：%s",
		len(s.Parcels), c.AreaMu, s.hectares(), s.Scale, date(s.Made)))
	s.drawMap(p)

	p.SetXY(margin, frameY+frameH+3)
	p.text(margin, frameY+frameH+2, p.width-2*margin, 7, "L", CRSNote)
	p.SetXY(margin, frameY+frameH+7)
	p.text(margin, p.GetY(), 60, 10, "L", "四至及面积")
	p.SetXY(margin, p.GetY()+6)
	sides := &table{p: p, size: 6.5, cols: []column{{"小班", 34, "L"}, {"面积 亩（公顷）", 22, "C"},
		{"东至", 31, "L"}, {"南至", 31, "L"}, {"西至", 31, "L"}, {"北至", 31, "L"}}}
	sides.head()
	for _, q := range s.Parcels {
		sides.row(false, q.Code+" 林班"+q.LinBan+" 小班"+q.XiaoBan, fmt.Sprintf("%s（%s）", q.AreaMu, q.MianJi),
			q.Side(0), q.Side(1), q.Side(2), q.Side(3))
	}
	if s.Truncated {
		p.text(margin, p.GetY()+1, p.width-2*margin, 7, "L", fmt.Sprintf("图中只画出周边 %d 个小班。", maxAround))
	}

	p.AddPage()
	p.text(margin, margin, p.width-2*margin, 14, "C", "界址点坐标表 · "+c.Number)
	p.SetXY(margin, margin+9)
	p.text(margin, margin+7, p.width-2*margin, 7, "L", CRSNote)
	p.SetXY(margin, margin+12)
	pts := &table{p: p, size: 8, cols: []column{{"小班", 56, "L"}, {"圈", 16, "C"}, {"点号", 16, "C"},
		{"X（纵坐标，北）", 34, "R"}, {"Y（横坐标，东）", 34, "R"}, {"边长（米）", 24, "R"}}}
	pts.head()
	for _, q := range s.Parcels {
		for _, b := range q.BoundaryPoints() {
			code, ring := "", ""
			if b.RingStart {
				code = q.Code
				ring = fmt.Sprintf("%d 外圈", b.Ring)
				if !b.Outer {
					ring = fmt.Sprintf("%d 内圈", b.Ring)
				}
			}
			pts.row(false, code, ring, b.Name, metres(b.At.N), metres(b.At.E), fmt.Sprintf("%.2f", b.Next))
		}
	}
	return p.write(w)
}

// metres prints a coordinate with two decimals.
func metres(v float64) string { return fmt.Sprintf("%.2f", v) }

// hectares is the parcels' MIAN_JI summed, printed to the decimals recorded.
func (s *Sizhi) hectares() string {
	var sum float64
	decimals := 0
	for _, q := range s.Parcels {
		var v float64
		fmt.Sscan(q.MianJi, &v)
		sum += v
		if _, frac, ok := strings.Cut(q.MianJi, "."); ok {
			decimals = max(decimals, len(frac))
		}
	}
	return fmt.Sprintf("%.*f", decimals, sum)
}

// at is where position q lies on the sheet (mm from the top left).
func (s *Sizhi) at(q Point) (x, y float64) {
	return frameX + (q.E-s.Min.E)/s.Scale*1000, frameY + frameH - (q.N-s.Min.N)/s.Scale*1000
}

// ring traces one ring as a closed subpath.
func (s *Sizhi) ring(p *page, r []Point) {
	for i, q := range r {
		x, y := s.at(q)
		if i == 0 {
			p.MoveTo(x, y)
		} else {
			p.LineTo(x, y)
		}
	}
	p.ClosePath()
}

// drawMap draws the map frame and everything in it.
func (s *Sizhi) drawMap(p *page) {
	p.SetLineWidth(0.3)
	p.SetDrawColor(0, 0, 0)
	p.Rect(frameX, frameY, frameW, frameH, "D")
	p.ClipRect(frameX, frameY, frameW, frameH, false)
	s.drawGrid(p)
	// The neighbours: thin grey outlines with their 小班 number (and code when it fits).
	p.SetDrawColor(120, 120, 120)
	p.SetLineWidth(0.15)
	for _, o := range s.Around {
		for _, r := range o.Rings {
			s.ring(p, r)
		}
		p.DrawPath("D")
	}
	p.SetTextColor(90, 90, 90)
	for _, o := range s.Around {
		if !o.Labelled {
			continue
		}
		x, y := s.at(o.Label)
		p.text(x-20, y-2.2, 40, 7, "C", o.XiaoBan)
		p.SetFont(family, "", 4.5)
		if p.GetStringWidth(o.Code) < s.drawnWidth(o.Rings)-1 {
			p.text(x-20, y+0.9, 40, 4.5, "C", o.Code)
		}
	}
	// The case's parcels: filled, bold outline.
	p.SetFillColor(200, 228, 190)
	p.SetDrawColor(190, 30, 30)
	p.SetLineWidth(0.6)
	for _, q := range s.Parcels {
		for _, r := range q.Rings {
			s.ring(p, r)
		}
		p.DrawPath("DF*")
	}
	// Boundary points with their numbers, set off outward from the parcel's middle.
	p.SetTextColor(150, 20, 20)
	p.SetFillColor(190, 30, 30)
	for _, q := range s.Parcels {
		cx, cy := s.middle(q)
		for _, b := range q.BoundaryPoints() {
			x, y := s.at(b.At)
			p.Circle(x, y, 0.6, "F")
			dx, dy := x-cx, y-cy
			if d := math.Hypot(dx, dy); d > 0 {
				dx, dy = dx/d, dy/d
			}
			p.text(x+dx*3-6, y+dy*3-1.3, 12, 6, "C", b.Name)
		}
	}
	p.SetTextColor(0, 0, 0)
	for _, q := range s.Parcels {
		cx, cy := s.middle(q)
		p.text(cx-30, cy-4, 60, 9, "C", "小班 "+q.XiaoBan)
		// The code and area when they fit inside the parcel as drawn.
		area := fmt.Sprintf("%s 亩（%s 公顷）", q.AreaMu, q.MianJi)
		p.SetFont(family, "", 6)
		if w := max(p.GetStringWidth(q.Code), p.GetStringWidth(area)); w < s.width(q)-2 {
			p.text(cx-30, cy+0.5, 60, 6, "C", q.Code)
			p.text(cx-30, cy+3.5, 60, 6, "C", area)
		}
	}
	p.ClipEnd()
	s.drawGridLabels(p)
	s.drawNorth(p, frameX+frameW-12, frameY+6)
	s.drawScaleBar(p, frameX+5, frameY+frameH-8)
}

// bounds are the corners of a parcel's outer rings' bounding box.
func (q *SizhiParcel) bounds() (lo, hi Point) {
	lo, hi = Point{math.Inf(1), math.Inf(1)}, Point{math.Inf(-1), math.Inf(-1)}
	for i, r := range q.Rings {
		if !q.Outer[i] {
			continue
		}
		for _, v := range r {
			lo.E, lo.N, hi.E, hi.N = min(lo.E, v.E), min(lo.N, v.N), max(hi.E, v.E), max(hi.N, v.N)
		}
	}
	return lo, hi
}

// middle is the centre of a parcel's bounds on the sheet.
func (s *Sizhi) middle(q SizhiParcel) (float64, float64) {
	lo, hi := q.bounds()
	return s.at(Point{(lo.E + hi.E) / 2, (lo.N + hi.N) / 2})
}

// drawnWidth is how wide rings are drawn, in mm.
func (s *Sizhi) drawnWidth(rings [][]Point) float64 {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, r := range rings {
		for _, v := range r {
			lo, hi = min(lo, v.E), max(hi, v.E)
		}
	}
	return (hi - lo) / s.Scale * 1000
}

// width is how wide a parcel is drawn, in mm.
func (s *Sizhi) width(q SizhiParcel) float64 {
	lo, hi := q.bounds()
	return (hi.E - lo.E) / s.Scale * 1000
}

// gridStep is the grid interval (m): the smallest round step at least 25 mm apart on paper.
func (s *Sizhi) gridStep() float64 {
	for _, step := range []float64{10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000} {
		if step/s.Scale*1000 >= 25 {
			return step
		}
	}
	return 20000
}

func (s *Sizhi) drawGrid(p *page) {
	step := s.gridStep()
	p.SetDrawColor(150, 170, 210)
	p.SetLineWidth(0.1)
	p.SetDashPattern([]float64{1, 1}, 0)
	for e := math.Ceil(s.Min.E/step) * step; e <= s.Max.E; e += step {
		x, _ := s.at(Point{e, 0})
		p.Line(x, frameY, x, frameY+frameH)
	}
	for n := math.Ceil(s.Min.N/step) * step; n <= s.Max.N; n += step {
		_, y := s.at(Point{0, n})
		p.Line(frameX, y, frameX+frameW, y)
	}
	p.SetDashPattern([]float64{}, 0)
}

// drawGridLabels writes the grid's coordinates outside the frame: Y (easting) under it, X
// (northing) to its left, turned.
func (s *Sizhi) drawGridLabels(p *page) {
	step := s.gridStep()
	p.SetTextColor(40, 60, 120)
	for e := math.Ceil(s.Min.E/step) * step; e <= s.Max.E; e += step {
		x, _ := s.at(Point{e, 0})
		if x < frameX+8 || x > frameX+frameW-8 {
			continue // the corners are the other axis's
		}
		p.text(x-15, frameY-3.2, 30, 6, "C", fmt.Sprintf("Y=%.0f", e))
	}
	for n := math.Ceil(s.Min.N/step) * step; n <= s.Max.N; n += step {
		_, y := s.at(Point{0, n})
		if y < frameY+8 || y > frameY+frameH-8 {
			continue
		}
		p.TransformBegin()
		p.TransformRotate(90, frameX-1.8, y)
		p.text(frameX-1.8-12, y-1.35, 24, 6, "C", fmt.Sprintf("X=%.0f", n)) // SetXY reads a negative x from the right
		p.TransformEnd()
	}
	p.SetTextColor(0, 0, 0)
}

// drawNorth draws a north arrow (grid north) with its tip at (x, y).
func (s *Sizhi) drawNorth(p *page, x, y float64) {
	p.SetFillColor(255, 255, 255)
	p.SetDrawColor(0, 0, 0)
	p.SetLineWidth(0.2)
	p.Circle(x, y+7, 7.5, "F")
	p.SetFillColor(0, 0, 0)
	p.Polygon([]fpdf.PointType{{X: x, Y: y}, {X: x + 3, Y: y + 11}, {X: x, Y: y + 8.5}}, "DF")
	p.SetFillColor(255, 255, 255)
	p.Polygon([]fpdf.PointType{{X: x, Y: y}, {X: x - 3, Y: y + 11}, {X: x, Y: y + 8.5}}, "DF")
	p.text(x-5, y+10.5, 10, 8, "C", "北")
	p.text(x-5, y-4, 10, 7, "C", "N")
}

// drawScaleBar draws a bar of a round length near 40 mm at (x, y), with the scale beside it.
func (s *Sizhi) drawScaleBar(p *page, x, y float64) {
	length := 0.0
	for _, l := range []float64{5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000} {
		if l/s.Scale*1000 <= 45 {
			length = l
		}
	}
	mm := length / s.Scale * 1000
	p.SetFillColor(255, 255, 255)
	p.Rect(x-2, y-5, mm+30, 9, "F")
	p.SetDrawColor(0, 0, 0)
	p.SetLineWidth(0.2)
	for i := range 4 {
		if i%2 == 0 {
			p.SetFillColor(0, 0, 0)
		} else {
			p.SetFillColor(255, 255, 255)
		}
		p.Rect(x+mm/4*float64(i), y, mm/4, 1.5, "DF")
	}
	p.SetTextColor(0, 0, 0)
	p.text(x-5, y-3.5, 10, 6, "C", "0")
	p.text(x+mm/2-8, y-3.5, 16, 6, "C", fmt.Sprintf("%g", length/2))
	p.text(x+mm-8, y-3.5, 16, 6, "C", fmt.Sprintf("%g 米", length))
	p.text(x+mm+3, y-0.5, 25, 7, "L", fmt.Sprintf("1:%.0f", s.Scale))
}
