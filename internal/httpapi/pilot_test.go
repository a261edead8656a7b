package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/auth"
	"github.com/wuyuan-forestry/ecocomp/internal/pilot"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
	pilotseeds "github.com/wuyuan-forestry/ecocomp/seeds/pilot"
)

// postEntry sends a progress entry as multipart/form-data; file may be nil.
func postEntry(t *testing.T, url, token string, fields map[string]string, fileName string, file []byte) (int, []byte) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if file != nil {
		fw, err := mw.CreateFormFile("evidence", fileName)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(file)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", url, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// tinyXLSX is a workbook with one cell, as a unit's own statement would be.
func tinyXLSX(t *testing.T) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	f.SetCellValue("Sheet1", "A1", "林权抵押贷款余额 0.15 亿元")
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

var pngBytes = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89")

// TestPilotBoardEntriesAndLedger loads the shipped plan (4 indicators, 5 of the 25 tasks) and
// has the units report: 林权抵押、质押融资 (target 0.2 亿元, led by the forestry bureau) gets 0.05 on
// 2026-06-30 and 0.15 on 2026-09-30, so it stands at 0.15 / 0.2 = 75.0 %, not met; 绿色产业引导基金
// (target 1 亿元, led by finance) gets 1.2 = 120.0 %, met. A finance member may not report the
// forestry bureau's indicator (403, audited); a viewer of no unit neither.
func TestPilotBoardEntriesAndLedger(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t)
	if l, err := pilot.LoadShipped(ctx, pool); err != nil || len(l) != 1 || !l[0].Created || l[0].Tasks != 5 || l[0].OfTasks != 25 {
		t.Fatalf("load the shipped plan: %+v %v; want one new version with 5 of 25 tasks", l, err)
	}
	if l, err := pilot.LoadShipped(ctx, pool); err != nil || l[0].Created {
		t.Errorf("loading the shipped plan again: %+v %v; want nothing written", l, err)
	}
	raw, _ := pilotseeds.File("2026.json")
	changed := bytes.Replace(raw, []byte(`"target": "30"`), []byte(`"target": "31"`), 1)
	if _, err := pilot.Load(ctx, pool, changed, "edited"); apperr.CodeOf(err) != apperr.Conflict {
		t.Errorf("the same label with another target: %v; want a conflict", err)
	}
	forester := userToken(t, pool, "forester1", auth.CaseOfficer)
	treasurer := userToken(t, pool, "treasurer1", auth.Finance)
	viewer := userToken(t, pool, "viewer1", auth.Viewer)
	if err := pilot.AddMember(ctx, pool, "forester1", []string{"forestry"}); err != nil {
		t.Fatal(err)
	}
	if err := pilot.AddMember(ctx, pool, "treasurer1", []string{"finance"}); err != nil {
		t.Fatal(err)
	}
	if err := pilot.AddMember(ctx, pool, "viewer1", []string{"nobody"}); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("a unit not in the plan: %v; want not found", err)
	}
	ts := newPIIServer(t, pool, discardLogger(), "")
	entries := func(code string) string { return ts.URL + "/api/v1/pilot/indicators/" + code + "/entries" }

	for _, c := range []struct {
		name   string
		token  string
		code   string
		fields map[string]string
		file   string
		data   []byte
		want   int
		words  string
	}{
		{"finance reports the forestry bureau's indicator", treasurer, "forest_right_loans", map[string]string{"on": "2026-06-30", "value": "0.05"}, "", nil, 403, "none of them"},
		{"a viewer of no unit", viewer, "green_fund", map[string]string{"on": "2026-06-30", "value": "0.5"}, "", nil, 403, "none of them"},
		{"a text file as evidence", forester, "forest_right_loans", map[string]string{"on": "2026-06-30", "value": "0.05"}, "a.pdf", []byte("just text"), 400, "not a PDF, JPEG, PNG or xlsx"},
		{"a zip that is no workbook", forester, "forest_right_loans", map[string]string{"on": "2026-06-30", "value": "0.05"}, "a.xlsx", []byte("PK\x03\x04rest"), 400, "not an xlsx"},
		{"a value in words", forester, "forest_right_loans", map[string]string{"on": "2026-06-30", "value": "五百万"}, "", nil, 400, "value"},
		{"an unknown indicator", forester, "no_such", map[string]string{"on": "2026-06-30", "value": "1"}, "", nil, 404, "no indicator"},
		{"first report with a photo", forester, "forest_right_loans", map[string]string{"on": "2026-06-30", "value": "0.05", "note": "半年"}, "凭证.png", pngBytes, 201, `"value":0.05`},
		{"second report with a workbook", forester, "forest_right_loans", map[string]string{"on": "2026-09-30", "value": "0.15"}, "台账", tinyXLSX(t), 201, `"name":"台账.xlsx"`},
		{"finance reports its fund", treasurer, "green_fund", map[string]string{"on": "2026-10-01", "value": "1.2", "unit": "finance"}, "", nil, 201, `"unit":{"code":"finance","name":"县财政局"}`},
	} {
		got, b := postEntry(t, entries(c.code), c.token, c.fields, c.file, c.data)
		if got != c.want || !strings.Contains(string(b), c.words) {
			t.Errorf("%s: %d %s; want %d with %q", c.name, got, b, c.want, c.words)
		}
	}

	resp, b := send(t, "GET", ts.URL+"/api/v1/pilot/indicators", viewer, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("indicators: %d %s", resp.StatusCode, b)
	}
	var board struct {
		Version     string `json:"version"`
		Complete    bool   `json:"complete"`
		TasksLoaded int    `json:"tasks_loaded"`
		TasksInPlan int    `json:"tasks_in_plan"`
		Indicators  []struct {
			Code     string      `json:"code"`
			Target   json.Number `json:"target"`
			Progress json.Number `json:"progress_pct"`
			Met      bool        `json:"met"`
			Latest   *struct {
				Value    json.Number `json:"value"`
				On       string      `json:"on"`
				By       string      `json:"entered_by"`
				Evidence *struct {
					Media string `json:"media_type"`
					URL   string `json:"url"`
				} `json:"evidence"`
			} `json:"latest"`
			Entries []json.RawMessage `json:"entries"`
		} `json:"indicators"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&board); err != nil {
		t.Fatal(err)
	}
	if board.Version != "pilot-2026.1" || board.Complete || board.TasksLoaded != 5 || board.TasksInPlan != 25 || len(board.Indicators) != 4 {
		t.Fatalf("board: %s complete=%v %d of %d tasks, %d indicators; want pilot-2026.1, incomplete, 5 of 25, 4",
			board.Version, board.Complete, board.TasksLoaded, board.TasksInPlan, len(board.Indicators))
	}
	got := map[string]string{}
	var evidenceURL string
	for _, in := range board.Indicators {
		s := fmt.Sprintf("target %s, %s %%, met %v, %d entries", in.Target, in.Progress, in.Met, len(in.Entries))
		if in.Latest != nil {
			by := in.Latest.By // "token N (name)"
			if i := strings.Index(by, "("); i >= 0 {
				by = strings.Trim(by[i:], "()")
			}
			s += fmt.Sprintf(", latest %s on %s by %s", in.Latest.Value, in.Latest.On, by)
			if in.Latest.Evidence != nil {
				s += " with " + in.Latest.Evidence.Media
				evidenceURL = in.Latest.Evidence.URL
			}
		}
		got[in.Code] = s
	}
	for code, want := range map[string]string{
		"forest_right_loans": "target 0.2, 75.0 %, met false, 2 entries, latest 0.15 on 2026-09-30 by forester1 with " + pilot.XLSXMedia,
		"green_fund":         "target 1, 120.0 %, met true, 1 entries, latest 1.2 on 2026-10-01 by treasurer1",
		"social_capital":     "target 8, 0.0 %, met false, 0 entries",
		"green_finance":      "target 30, 0.0 %, met false, 0 entries",
	} {
		if got[code] != want {
			t.Errorf("%s: %s; want %s", code, got[code], want)
		}
	}
	resp, b = send(t, "GET", ts.URL+evidenceURL, viewer, nil)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != pilot.XLSXMedia || !bytes.HasPrefix(b, []byte("PK")) {
		t.Errorf("evidence %s: %d %s, %d bytes; want the workbook", evidenceURL, resp.StatusCode, resp.Header.Get("Content-Type"), len(b))
	}

	resp, b = send(t, "GET", ts.URL+"/api/v1/pilot/tasks", viewer, nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), `"tasks_loaded":5,"tasks_in_plan":25`) ||
		!strings.Contains(string(b), `"statuses":{"unknown":5}`) || !strings.Contains(string(b), `"tasks":[{"code":"forest-chief","number":1,`) {
		t.Errorf("tasks: %d %s; want 5 of 25, all unknown, task 1 first", resp.StatusCode, b)
	}

	var ok, denied int
	if err := pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE outcome = 'ok'), count(*) FILTER (WHERE outcome = 'denied') FROM audit_log WHERE action = 'pilot.entry'`).
		Scan(&ok, &denied); err != nil || ok != 3 || denied != 2 {
		t.Errorf("audit: %d entries written, %d refused (%v); want 3 and 2", ok, denied, err)
	}

	// The 工作台账 read back.
	resp, b = send(t, "GET", ts.URL+"/api/v1/pilot/ledger.xlsx", viewer, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("ledger: %d %s", resp.StatusCode, b)
	}
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ind, err := f.GetRows("指标")
	if err != nil {
		t.Fatal(err)
	}
	tasks, err := f.GetRows("任务")
	if err != nil {
		t.Fatal(err)
	}
	row := func(rows [][]string, first string, col int) []string {
		for _, r := range rows {
			if len(r) > col && r[col] == first {
				return r
			}
		}
		return nil
	}
	if r := row(ind, "林权抵押、质押融资规模", 1); len(r) < 12 || fmt.Sprint(r[2:12]) != "[亿元 0.2 2025 县林业局 县金融办、人民银行婺源县支行 0.15 2026-09-30 县林业局 75 否]" {
		t.Errorf("ledger row of 林权抵押: %q", r)
	}
	if r := row(ind, "绿色产业引导基金规模", 1); len(r) < 12 || r[10] != "120" || r[11] != "是" {
		t.Errorf("ledger row of the fund: %q; want 120 %% and met", r)
	}
	if len(tasks) != 8 || !strings.HasPrefix(tasks[1][0], "已载入任务 5 项，方案共 25 项") || fmt.Sprint(tasks[3][:4]) != "[1 1 推进林长制，整合管护责任区，健全生态护林员聘用制，规范公益林资金管理 县林业局]" ||
		tasks[3][6] != "未填报" {
		t.Errorf("ledger tasks: %q", tasks)
	}
}
