package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/xuri/excelize/v2"
)

// fetch GETs path with token and fails the test unless it answers want.
func (cc *caseCounty) fetch(t *testing.T, path, token string, want int) (*http.Response, []byte) {
	t.Helper()
	resp, body := send(t, "GET", cc.ts.URL+path, token, nil)
	if resp.StatusCode != want {
		t.Fatalf("GET %s: %d, want %d\n%s", path, resp.StatusCode, want, body)
	}
	return resp, body
}

// toNoticed carries a case from applied to noticed (appraised at 30,000.00 元, notice started a
// week ago).
func (cc *caseCounty) toNoticed(t *testing.T, c caseView) caseView {
	t.Helper()
	p := fmt.Sprintf("/api/v1/cases/%d/transitions", c.ID)
	c = cc.must(t, 200, "POST", p, cc.officer, map[string]any{"to": "verified", "version": c.Version,
		"field_check": map[string]any{"by": "王五", "boundaries_confirmed": true, "rights_confirmed": true}})
	c = cc.must(t, 200, "POST", p, cc.officer, map[string]any{"to": "appraised", "version": c.Version,
		"appraised_yuan": "30000.00", "appraiser": "江西某资产评估有限公司", "report": "赣评报字〔2026〕第1号"})
	return cc.must(t, 200, "POST", p, cc.officer, map[string]any{"to": "noticed", "version": c.Version, "notice_start": day(-7)})
}

// keepDir is where a test leaves the PDFs and pictures a person looks at: ECOCOMP_KEEP_PDF, or
// the test's temporary directory.
func keepDir(t *testing.T) string {
	if d := os.Getenv("ECOCOMP_KEEP_PDF"); d != "" {
		return d
	}
	return t.TempDir()
}

// pdfToText writes pdf to dir/name and reads it back with pdftotext -layout.
func pdfToText(t *testing.T, dir, name string, pdf []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-layout", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext %s: %v", name, err)
	}
	return string(out)
}

// TestCasefileSizhiPDF: the 四至图 of 张三's buyout of squares 00001 (column 0, row 0) and
// 00003 (column 0, row 2), read back with pdftotext, names the case, both parcels, each
// parcel's four corners as boundary points J1–J4 from the north-west corner clockwise (X the
// northing, Y the easting, 100.00 m sides), the neighbours on each side — 00001: east 00011,
// north 00002, none south or west (the grid's edge); 00003: east 00013, south 00002, north 00004
// — and 30.00 亩 (2.0 ha). A case officer sees the owner masked, finance in clear (audited).
// pdftoppm renders page 1 (ECOCOMP_KEEP_PDF=dir keeps the PNG for a person to look at).
func TestCasefileSizhiPDF(t *testing.T) {
	cc := newCaseCounty(t)
	a, b := gridCode(0, 0), gridCode(0, 2)
	c := cc.must(t, 201, "POST", "/api/v1/cases", cc.officer, map[string]any{"mode": "buyout", "parcels": []string{a, b}})
	path := fmt.Sprintf("/api/v1/cases/%d/sizhi.pdf", c.ID)
	resp, pdf := cc.fetch(t, path, cc.officer, 200)
	if ct := resp.Header.Get("Content-Type"); ct != "application/pdf" || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Errorf("Content-Type %q, Content-Disposition %q; want application/pdf as an attachment", ct, resp.Header.Get("Content-Disposition"))
	}
	dir := keepDir(t)
	text := pdfToText(t, dir, "sizhi.pdf", pdf)
	for _, want := range []string{c.Number, a, b, "林地四至图", "界址点坐标表", "张*", "30.00 亩", "2.0000 公顷", "EPSG:4548", "无相邻小班"} {
		if !strings.Contains(text, want) {
			t.Errorf("the 四至图 lacks %q", want)
		}
	}
	if strings.Contains(text, "张三") {
		t.Error("a case officer's 四至图 names the owner in clear")
	}
	// Boundary points: J1 north-west, J2 north-east, J3 south-east, J4 south-west.
	for j, code := range map[int]string{0: a, 2: b} {
		e, n := 583000.0, 3237000.0+float64(j)*100
		corners := [][2]float64{{n + 100, e}, {n + 100, e + 100}, {n, e + 100}, {n, e}}
		for k, xy := range corners {
			row := fmt.Sprintf(`J%d\s+%.2f\s+%.2f\s+100\.00`, k+1, xy[0], xy[1])
			if !regexp.MustCompile(row).MatchString(text) {
				t.Errorf("parcel %s: the table lacks the row %s", code, row)
			}
		}
	}
	// The four sides, as the table's rows read: parcel, area, east, south, west, north.
	sides := map[string][4]string{
		a: {gridCode(1, 0), "无相邻小班", "无相邻小班", gridCode(0, 1)},
		b: {gridCode(1, 2), gridCode(0, 1), "无相邻小班", gridCode(0, 3)},
	}
	for code, want := range sides {
		row := regexp.QuoteMeta(code) + `.*15\.00（1\.0000）\s+` + strings.Join(want[:], `\s+`)
		if !regexp.MustCompile(row).MatchString(text) {
			t.Errorf("parcel %s: the four sides are not %v", code, want)
		}
	}
	// Neighbours outlined on the map with their 小班 numbers.
	for _, nb := range []string{"00011", "00002", "00013", "00004"} {
		if !strings.Contains(text, nb) {
			t.Errorf("the map does not label neighbour %s", nb)
		}
	}
	if t.Failed() {
		t.Logf("pdftotext:\n%s", text)
	}

	out, err := exec.Command("pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", filepath.Join(dir, "sizhi.pdf"), filepath.Join(dir, "sizhi")).CombinedOutput()
	if err != nil {
		t.Fatalf("pdftoppm: %v %s", err, out)
	}
	f, err := os.Open(filepath.Join(dir, "sizhi-1.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	// A4 at 60 dpi, with the parcels' green fill somewhere on it.
	bounds := img.Bounds()
	green := 0
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			if g>>8 > 215 && r>>8 < 215 && b>>8 < 205 {
				green++
			}
		}
	}
	if bounds.Dx() < 495 || bounds.Dx() > 497 || bounds.Dy() < 701 || bounds.Dy() > 703 || green < 1000 {
		t.Errorf("page 1 renders %dx%d with %d pixels of parcel fill; want 496x702 (A4 at 60 dpi, ±1) with the parcels filled", bounds.Dx(), bounds.Dy(), green)
	}

	// Finance reads the owner in clear, and that is audited.
	_, pdf = cc.fetch(t, path, cc.finance, 200)
	if text := pdfToText(t, t.TempDir(), "finance.pdf", pdf); !strings.Contains(text, "张三") {
		t.Error("finance's 四至图 does not name the owner")
	}
	var audited int
	if err := cc.pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action = 'pii.read' AND entity_id = $1 AND detail->>'format' = 'sizhi.pdf'`, c.Number).Scan(&audited); err != nil || audited != 1 {
		t.Errorf("%d audit rows for finance's 四至图 (%v); want 1", audited, err)
	}
	cc.fetch(t, "/api/v1/cases/9999/sizhi.pdf", cc.officer, 404)
	cc.fetch(t, path, "", 401)
}

// upload sends a document upload with the file part's declared type, name and content.
func (cc *caseCounty) upload(t *testing.T, id int64, token, kind, name, declared string, content []byte) (int, []byte) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	h := textproto.MIMEHeader{}
	// RFC 2231 form: the name arrives with whatever characters it holds.
	h.Set("Content-Disposition", `form-data; name="file"; filename*=UTF-8''`+url.PathEscape(name))
	h.Set("Content-Type", declared)
	part, err := mw.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	part.Write(content)
	if kind != "" {
		mw.WriteField("kind", kind)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/cases/%d/documents", cc.ts.URL, id), &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

type documentView struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	Kind      string `json:"kind"`
	MediaType string `json:"media_type"`
	Size      int64  `json:"size"`
	SHA256    string `json:"sha256"`
}

// TestCasefileDocuments: a case officer attaches a scan; its type is told by its content, its
// name stripped of paths and control characters; it downloads as an attachment that no browser
// sniffs. HTML and SVG named .pdf, a zip, a program and a viewer are refused; every upload and
// download is audited.
func TestCasefileDocuments(t *testing.T) {
	cc := newCaseCounty(t)
	c := cc.must(t, 201, "POST", "/api/v1/cases", cc.officer, map[string]any{"mode": "buyout", "parcels": []string{gridCode(0, 0)}})
	pdf := []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")

	refusals := []struct {
		name, file, declared string
		content              []byte
		token                string
		status               int
		says                 string
	}{
		{"HTML named .pdf", "申请书.pdf", "application/pdf", []byte("<!DOCTYPE html><html><script>alert(document.cookie)</script></html>"), cc.officer, 400, "text/html"},
		{"SVG named .pdf", "scan.pdf", "application/pdf", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`), cc.officer, 400, "not a PDF"},
		{"XML SVG named .png", "photo.png", "image/png", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), cc.officer, 400, "text/xml"},
		{"zip named .jpg", "photo.jpg", "image/jpeg", []byte("PK\x03\x04\x14\x00\x00\x00\x08\x00"), cc.officer, 400, "application/zip"},
		{"program named .tif", "map.tif", "image/tiff", []byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00"), cc.officer, 400, "not a PDF"},
		{"ELF named .pdf", "a.pdf", "application/pdf", []byte("\x7fELF\x02\x01\x01"), cc.officer, 400, "not a PDF"},
		{"empty", "a.pdf", "application/pdf", nil, cc.officer, 400, "empty"},
		{"unknown kind", "a.pdf", "application/pdf", pdf, cc.officer, 400, "kind"},
		{"viewer", "a.pdf", "application/pdf", pdf, cc.viewer, 403, "case_officer"},
		{"finance", "a.pdf", "application/pdf", pdf, cc.finance, 403, "case_officer"},
		{"nobody", "a.pdf", "application/pdf", pdf, "", 401, ""},
	}
	for _, r := range refusals {
		kind := "application"
		if r.name == "unknown kind" {
			kind = "selfie"
		}
		status, body := cc.upload(t, c.ID, r.token, kind, r.file, r.declared, r.content)
		if status != r.status || !strings.Contains(string(body), r.says) {
			t.Errorf("%s: %d %s; want %d saying %q", r.name, status, body, r.status, r.says)
		}
	}
	var stored int
	if err := cc.pool.QueryRow(context.Background(), `SELECT count(*) FROM case_document`).Scan(&stored); err != nil || stored != 0 {
		t.Fatalf("refused uploads stored %d documents (%v)", stored, err)
	}

	names := []struct{ sent, stored string }{
		{"../../etc/passwd.pdf", "passwd.pdf"},
		{`..\..\Windows\win.ini`, "win.ini.pdf"},
		{"申请书\u202Efdp.exe", "申请书fdp.exe.pdf"},
		{"a\x01b\tc.PDF", "abc.PDF"},
		{"...", "document.pdf"},
		{strings.Repeat("长", 300) + ".pdf", strings.Repeat("长", 96) + ".pdf"},
	}
	var docs []documentView
	for _, n := range names {
		status, body := cc.upload(t, c.ID, cc.officer, "application", n.sent, "text/html", pdf)
		var d documentView
		if status != 201 || json.Unmarshal(body, &d) != nil {
			t.Fatalf("upload %q: %d %s", n.sent, status, body)
		}
		if d.Name != n.stored || d.MediaType != "application/pdf" || d.Kind != "application" || d.Size != int64(len(pdf)) {
			t.Errorf("upload %q stored as %+v; want the name %q, application/pdf", n.sent, d, n.stored)
		}
		docs = append(docs, d)
	}
	sum := sha256.Sum256(pdf)
	if docs[0].SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("sha256 %s; want %x", docs[0].SHA256, sum)
	}
	jpeg := append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, bytes.Repeat([]byte{0}, 100)...)
	status, body := cc.upload(t, c.ID, cc.officer, "notice_photo", "公示现场.JPG", "application/octet-stream", jpeg)
	if status != 201 || !strings.Contains(string(body), `"media_type":"image/jpeg"`) || !strings.Contains(string(body), `"name":"公示现场.JPG"`) {
		t.Errorf("a photo: %d %s", status, body)
	}

	// The download: the same bytes, as an attachment of the checked type, never sniffed.
	path := fmt.Sprintf("/api/v1/cases/%d/documents/%d", c.ID, docs[2].ID)
	resp, got := cc.fetch(t, path, cc.finance, 200)
	h := resp.Header
	if !bytes.Equal(got, pdf) || h.Get("Content-Type") != "application/pdf" || h.Get("X-Content-Type-Options") != "nosniff" ||
		h.Get("Content-Disposition") != `attachment; filename=fdp.exe.pdf; filename*=UTF-8''`+url.PathEscape("申请书fdp.exe.pdf") {
		t.Errorf("download: %q %v", got, h)
	}
	cc.fetch(t, path, cc.viewer, 403)
	cc.fetch(t, fmt.Sprintf("/api/v1/cases/%d/documents/%d", c.ID+1, docs[2].ID), cc.officer, 404)
	cc.fetch(t, fmt.Sprintf("/api/v1/cases/%d/documents/x", c.ID), cc.officer, 404)
	status, body = cc.upload(t, c.ID+1, cc.officer, "application", "a.pdf", "application/pdf", pdf)
	if status != 404 {
		t.Errorf("a document for no case: %d %s", status, body)
	}

	view := cc.must(t, 200, "GET", fmt.Sprintf("/api/v1/cases/%d", c.ID), cc.officer, nil)
	var full struct {
		Documents []documentView `json:"documents"`
	}
	resp, body = send(t, "GET", fmt.Sprintf("%s/api/v1/cases/%d", cc.ts.URL, view.ID), cc.officer, nil)
	if err := json.Unmarshal(body, &full); err != nil || len(full.Documents) != len(names)+1 {
		t.Errorf("the case lists %d documents (%v); want %d", len(full.Documents), err, len(names)+1)
	}
	if view.Version != c.Version {
		t.Errorf("attaching documents moved the case from version %d to %d", c.Version, view.Version)
	}
	var uploads, reads int
	if err := cc.pool.QueryRow(context.Background(), `SELECT count(*) FILTER (WHERE action = 'case.document'), count(*) FILTER (WHERE action = 'case.document.read')
		FROM audit_log WHERE entity = 'buyout_case' AND entity_id = $1`, c.Number).Scan(&uploads, &reads); err != nil || uploads != len(names)+1 || reads != 1 {
		t.Errorf("audit rows: %d uploads, %d reads (%v); want %d and 1", uploads, reads, err, len(names)+1)
	}
}

// TestCasefileDocumentTooLarge: a body announced over 20 MiB is refused with 413 before any of
// it is sent; one streamed without a length is cut off at the limit, not read to its end.
func TestCasefileDocumentTooLarge(t *testing.T) {
	cc := newCaseCounty(t)
	c := cc.must(t, 201, "POST", "/api/v1/cases", cc.officer, map[string]any{"mode": "buyout", "parcels": []string{gridCode(0, 0)}})
	u, _ := url.Parse(cc.ts.URL)

	// Headers announcing 1 GiB, and not one byte of the body.
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/v1/cases/%d/documents HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: multipart/form-data; boundary=x\r\nContent-Length: %d\r\n\r\n", c.ID, u.Host, cc.officer, 1<<30)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 413 || !strings.Contains(string(b), "20 MiB") {
		t.Errorf("1 GiB announced: %d %s; want 413 at once", resp.StatusCode, b)
	}

	// 64 MiB streamed without a length: the server stops reading past the limit.
	const total = 64 << 20
	var sent atomic.Int64
	pr, pw := io.Pipe()
	go func() {
		mw := multipart.NewWriter(pw)
		_ = mw.SetBoundary("x")
		part, _ := mw.CreateFormFile("file", "big.pdf")
		chunk := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte{' '}, 1<<20-9)...)
		for sent.Load() < total {
			n, err := part.Write(chunk)
			sent.Add(int64(n))
			if err != nil {
				return
			}
			chunk = bytes.Repeat([]byte{' '}, 1<<20)
		}
		mw.Close()
		pw.Close()
	}()
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/cases/%d/documents", cc.ts.URL, c.ID), pr)
	req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	req.Header.Set("Authorization", "Bearer "+cc.officer)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("the streamed upload: %v (sent %d bytes)", err, sent.Load())
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	pr.CloseWithError(io.ErrClosedPipe)
	t.Logf("64 MiB streamed: %d after %d MiB sent", resp.StatusCode, sent.Load()>>20)
	if resp.StatusCode != 413 || sent.Load() >= total {
		t.Errorf("64 MiB streamed: %d %s after %d bytes; want 413 before the end", resp.StatusCode, b, sent.Load())
	}
}

// TestCasefileNoticeAndLists: the public-notice list holds the cases in notice only, with the
// owner masked even for finance, as PDF and xlsx; the case list comes as xlsx, masked but for
// finance (whose export is audited).
func TestCasefileNoticeAndLists(t *testing.T) {
	cc := newCaseCounty(t)
	noticed := cc.must(t, 201, "POST", "/api/v1/cases", cc.officer, map[string]any{"mode": "buyout", "parcels": []string{gridCode(0, 0), gridCode(0, 2)}})
	noticed = cc.toNoticed(t, noticed)
	applied := cc.must(t, 201, "POST", "/api/v1/cases", cc.officer, map[string]any{"mode": "lease", "parcels": []string{gridCode(0, 1)}})

	_, pdf := cc.fetch(t, "/api/v1/cases/notice.pdf", cc.finance, 200)
	text := pdfToText(t, keepDir(t), "notice.pdf", pdf)
	for _, want := range []string{"公示表", noticed.Number, "赎买", "张*", gridCode(0, 0), gridCode(0, 2), "30.00", "30000.00", day(-7), day(-1), "紫阳镇", "测试村", "异议"} {
		if !strings.Contains(text, want) {
			t.Errorf("the notice PDF lacks %q", want)
		}
	}
	if strings.Contains(text, applied.Number) || strings.Contains(text, "张三") {
		t.Errorf("the notice PDF shows a case not in notice or an owner in clear:\n%s", text)
	}

	_, xlsx := cc.fetch(t, "/api/v1/cases/notice.xlsx?township=紫阳镇", cc.viewer, 200)
	rows := sheetRows(t, xlsx, "公示表")
	if len(rows) != 3 || rows[2][1] != noticed.Number || rows[2][3] != "张*" || rows[2][6] != gridCode(0, 0)+"、"+gridCode(0, 2) ||
		rows[2][7] != "30.00" || rows[2][8] != "30000.00" || rows[2][10] != day(-7) || rows[2][11] != day(-1) || !strings.Contains(rows[2][12], "异议") {
		t.Errorf("notice.xlsx rows %q", rows)
	}
	cc.fetch(t, "/api/v1/cases/notice.pdf?township=nowhere", cc.viewer, 400)
	cc.fetch(t, "/api/v1/cases/notice.xlsx", "", 401)

	_, xlsx = cc.fetch(t, "/api/v1/cases?format=xlsx", cc.officer, 200)
	rows = sheetRows(t, xlsx, "案件")
	if len(rows) < 4 || rows[2][0] != applied.Number || rows[3][0] != noticed.Number || rows[3][2] != "公示中" || rows[3][3] != "张*" || rows[2][3] != "李*" {
		t.Errorf("cases.xlsx for a case officer: %q", rows)
	}
	_, xlsx = cc.fetch(t, "/api/v1/cases?format=xlsx&status=noticed", cc.finance, 200)
	rows = sheetRows(t, xlsx, "案件")
	if rows[2][0] != noticed.Number || rows[2][3] != "张三" || rows[2][7] != "30.00" || rows[3][0] != "" {
		t.Errorf("cases.xlsx for finance, in notice: %q", rows)
	}
	var audited int
	if err := cc.pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action = 'pii.read' AND entity = 'buyout_case' AND detail ? 'cases'`).Scan(&audited); err != nil || audited < 1 {
		t.Errorf("finance's case list export left %d audit rows (%v)", audited, err)
	}
	cc.fetch(t, "/api/v1/cases?format=csv", cc.officer, 400)
}

// sheetRows reads a sheet of a workbook as text, each row padded to 13 cells.
func sheetRows(t *testing.T, xlsx []byte, sheet string) [][]string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(xlsx))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		for len(rows[i]) < 13 {
			rows[i] = append(rows[i], "")
		}
	}
	return rows
}
