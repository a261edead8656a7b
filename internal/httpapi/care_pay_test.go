package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/wuyuan-forestry/ecocomp/internal/auth"
	"github.com/wuyuan-forestry/ecocomp/internal/policy"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
	"github.com/wuyuan-forestry/ecocomp/internal/recompute"
)

// incidentPNG is a small real PNG photo.
func incidentPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for i := 0; i < 16; i++ {
		img.Set(i, i, color.RGBA{200, 30, 30, 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// postIncident posts a multipart incident report.
func postIncident(t *testing.T, url, token string, fields map[string]string, photoName string, photo []byte) (*http.Response, []byte) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	if photo != nil {
		fw, err := mw.CreateFormFile("photo", photoName)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = fw.Write(photo)
	}
	_ = mw.Close()
	return postRaw(t, url, token, mw.FormDataContentType(), body.String())
}

// getRaw is a GET answering the response and its body.
func getRaw(t *testing.T, url, token string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// TestCareIncidentsAssessmentAndRoll, by hand, with the shipped 2026 policy (care: 20 patrol
// days and 60 % coverage within 100 m pass a month, any other month is paid 0.5; the retained
// 公共管护 money first, then 中央财政生态护林员补助 600,000.00):
//
//   - the 60 squares of columns 1–6 of the grid (clear of the core zone, where the programme pays
//     otherwise) are national public-welfare forest (011, 事权 1) of individuals: 16.00 元/亩 of which 0.25 retained; 15 亩 each → retained 60 × 3.75 = 225.00;
//   - ranger 1, 2026-01-01–2026-12-31, 365.00 a year (1.00 a day): area A, the square x
//     583000–583200, y 3237000–3237200; 20 tracks up its middle on 1–20 March cover all of it
//     (March passes: 31.00); every other month has no patrol (0.5): (334 − 31) × 0.50 = 151.50
//     for January to November; December, not over on the as_of date 2026-12-01, is not paid yet.
//     Pay 182.50;
//   - ranger 2, 2026-07-15–2027-07-14, 1,000.00 a year, no area: the months' full pays are
//     floor(100000 × c / 365) differences for c = 17, 48, 78, 109, 139 contract days to each
//     month's end: 46.57, 84.93, 82.19, 84.94, 82.19; halved to the fen: 23.29 + 42.47 + 41.10 +
//     42.47 + 41.10 = 190.43;
//   - the roll spends the retained 225.00 on ranger 1 (182.50) and ranger 2 (42.50), the rest of
//     ranger 2's pay, 147.93, from the central fund; nothing is left of the retained amount.
func TestCareIncidentsAssessmentAndRoll(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t)
	loadGrid(t, pool)
	if _, err := pool.Exec(ctx, `UPDATE parcel SET sen_lin_lb = '011', shi_quan_d = '1' WHERE right(code, 5)::int BETWEEN 11 AND 70`); err != nil {
		t.Fatal(err)
	}
	if _, err := policy.LoadShipped(ctx, pool); err != nil {
		t.Fatal(err)
	}
	if _, err := recompute.All(ctx, pool, 2026); err != nil {
		t.Fatal(err)
	}
	officer := userToken(t, pool, "care.officer", auth.CaseOfficer)
	viewer := userToken(t, pool, "care.viewer", auth.Viewer)
	finance := userToken(t, pool, "care.finance", auth.Finance)
	ts := newPIIServer(t, pool, discardLogger(), "")

	var ids []int64
	for _, r := range []map[string]any{
		{"name": "王护林", "id_number": "36113019800101123X", "bank_account": "6217000012345678", "village_code": "361130100001",
			"poor_household": true, "contract_from": "2026-01-01", "contract_to": "2026-12-31", "yearly_pay_yuan": "365.00"},
		{"name": "李巡山", "id_number": "361130198505052345", "bank_account": "6217000087654321", "village_code": "361130100001",
			"contract_from": "2026-07-15", "contract_to": "2027-07-14", "yearly_pay_yuan": "1000.00"},
	} {
		resp, b := send(t, "POST", ts.URL+"/api/v1/care/rangers", officer, r)
		var out struct {
			ID int64 `json:"id"`
		}
		if err := json.Unmarshal(b, &out); resp.StatusCode != http.StatusCreated || err != nil {
			t.Fatalf("add ranger: %d %s", resp.StatusCode, b)
		}
		ids = append(ids, out.ID)
	}
	resp, b := send(t, "POST", ts.URL+"/api/v1/care/areas", officer, careArea(t, pool, "A", 583000, 3237000, 583200, 3237200))
	var areas struct {
		IDs []int64 `json:"ids"`
	}
	if err := json.Unmarshal(b, &areas); resp.StatusCode != http.StatusCreated || err != nil {
		t.Fatalf("create area: %d %s", resp.StatusCode, b)
	}
	if resp, b := send(t, "POST", fmt.Sprintf("%s/api/v1/care/areas/%d/assignments", ts.URL, areas.IDs[0]), officer,
		map[string]any{"ranger": ids[0], "from": "2026-01-01"}); resp.StatusCode != http.StatusCreated {
		t.Fatalf("assign: %d %s", resp.StatusCode, b)
	}
	tracks := fmt.Sprintf("%s/api/v1/care/rangers/%d/tracks", ts.URL, ids[0])
	for d := 1; d <= 20; d++ {
		day := time.Date(2026, 3, d, 1, 0, 0, 0, time.UTC)
		if resp, b := postRaw(t, tracks, officer, "application/gpx+xml", gpxOf(t, pool, northward(583100, 3237000, 3, day))); resp.StatusCode != http.StatusCreated {
			t.Fatalf("track of 2026-03-%02d: %d %s", d, resp.StatusCode, b)
		}
	}

	// An incident in area A on 5 March, with a photo; the attacks and mistakes are refused.
	lons, lats := lonLat(t, pool, []trackPoint{{x: 583100, y: 3237100}, {x: 590000, y: 3237100}})
	incidents := fmt.Sprintf("%s/api/v1/care/rangers/%d/incidents", ts.URL, ids[0])
	fields := func(kind string, lon float64) map[string]string {
		return map[string]string{"lon": fmt.Sprintf("%.9f", lon), "lat": fmt.Sprintf("%.9f", lats[0]),
			"occurred_at": "2026-03-05T09:30:00+08:00", "kind": kind, "note": "林下有烟，已扑灭"}
	}
	pic := incidentPNG(t)
	page := []byte(`<html><script>alert(document.cookie)</script></html>`)
	for _, c := range []struct {
		name   string
		token  string
		fields map[string]string
		photo  []byte
		status int
		want   string
	}{
		{"a viewer", viewer, fields("fire", lons[0]), pic, http.StatusForbidden, ""},
		{"an HTML page named .png", officer, fields("fire", lons[0]), page, http.StatusBadRequest, "its content is text/html"},
		{"a PNG with a page appended", officer, fields("fire", lons[0]), append(append([]byte{}, pic...), page...), http.StatusBadRequest, `markup as well as an image`},
		{"no photo", officer, fields("fire", lons[0]), nil, http.StatusBadRequest, "no photo"},
		{"an unknown kind", officer, fields("arson", lons[0]), pic, http.StatusBadRequest, `is not a kind of incident: use one of fire, illegal_logging`},
		{"outside the county", officer, fields("fire", lons[1]), pic, http.StatusBadRequest, "outside the county"},
		{"a photo over 12 MiB", officer, fields("fire", lons[0]), append([]byte{0xFF, 0xD8, 0xFF}, make([]byte, 12<<20)...), http.StatusRequestEntityTooLarge, "over 12 MiB"},
	} {
		resp, b := postIncident(t, incidents, c.token, c.fields, "现场.png", c.photo)
		if resp.StatusCode != c.status || !strings.Contains(string(b), c.want) {
			t.Errorf("%s: %d %s; want %d saying %q", c.name, resp.StatusCode, b, c.status, c.want)
		}
	}
	resp, b = postIncident(t, incidents, officer, fields("fire", lons[0]), "现场.png", pic)
	var inc struct {
		ID       int64   `json:"id"`
		Area     *string `json:"area"`
		KindName string  `json:"kind_name"`
		PhotoURL string  `json:"photo_url"`
	}
	if err := json.Unmarshal(b, &inc); resp.StatusCode != http.StatusCreated || err != nil || inc.Area == nil || *inc.Area != "A" || inc.KindName != "火情" {
		t.Fatalf("report an incident: %d %s; want 201 in area A, 火情", resp.StatusCode, b)
	}
	resp, b = getRaw(t, ts.URL+"/api/v1/care/incidents?month=2026-03&ranger="+fmt.Sprint(ids[0]), viewer)
	if resp.StatusCode != http.StatusOK || strings.Count(string(b), `"type":"Feature"`) != 1 || !strings.Contains(string(b), `"kind_name":"火情"`) ||
		!strings.Contains(string(b), `"type":"Point"`) || !strings.Contains(string(b), inc.PhotoURL) {
		t.Errorf("March's incidents: %d %s; want the one point with its photo", resp.StatusCode, b)
	}
	if resp, b := getRaw(t, ts.URL+"/api/v1/care/incidents?month=2026-04", viewer); resp.StatusCode != http.StatusOK || strings.Contains(string(b), `"Feature"`) {
		t.Errorf("April's incidents: %d %s; want none", resp.StatusCode, b)
	}
	resp, b = getRaw(t, ts.URL+inc.PhotoURL, viewer)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/png" || resp.Header.Get("X-Content-Type-Options") != "nosniff" || !bytes.Equal(b, pic) {
		t.Errorf("the photo: %d %q nosniff=%q, %d bytes; want the PNG as sent", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("X-Content-Type-Options"), len(b))
	}
	resp, b = getRaw(t, fmt.Sprintf("%s/api/v1/care/rangers/%d/months/2026-03", ts.URL, ids[0]), viewer)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), `"days":20`) || !strings.Contains(string(b), `"coverage_metres":100`) ||
		!strings.Contains(string(b), `"incidents":1`) {
		t.Errorf("March of ranger 1: %d %s; want 20 days, the policy's 100 m and the incident", resp.StatusCode, b)
	}
	var audited int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'care.incident.create'`).Scan(&audited); err != nil || audited != 1 {
		t.Errorf("%d incident audit rows (%v); want 1", audited, err)
	}

	// The monthly assessment of ranger 1.
	resp, b = getRaw(t, fmt.Sprintf("%s/api/v1/care/rangers/%d/assessment?year=2026&as_of=2026-12-01", ts.URL, ids[0]), viewer)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("assessment: %d %s", resp.StatusCode, b)
	}
	var raw struct {
		Months []struct {
			Month         string      `json:"month"`
			Days          int         `json:"days"`
			Tracks        int         `json:"tracks"`
			CoverageShare *float64    `json:"coverage_share"`
			Incidents     int         `json:"incidents"`
			Assessed      bool        `json:"assessed"`
			Passed        *bool       `json:"passed"`
			Factor        json.Number `json:"pay_factor"`
			FullPay       json.Number `json:"full_pay_yuan"`
			Pay           json.Number `json:"pay_yuan"`
		} `json:"months"`
		MonthsPassed int         `json:"months_passed"`
		FullPay      json.Number `json:"full_pay_yuan"`
		Pay          json.Number `json:"pay_yuan"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil || len(raw.Months) != 12 {
		t.Fatalf("assessment: %v %s", err, b)
	}
	jan, mar, dec12 := raw.Months[0], raw.Months[2], raw.Months[11]
	if mar.Days != 20 || mar.Tracks != 20 || mar.CoverageShare == nil || *mar.CoverageShare < 0.99 || mar.Incidents != 1 ||
		mar.Passed == nil || !*mar.Passed || mar.Factor.String() != "1" || mar.Pay.String() != "31.00" {
		t.Errorf("March: %+v; want 20 days, 20 tracks, all covered, 1 incident, passed, factor 1, 31.00", mar)
	}
	if jan.Days != 0 || jan.Passed == nil || *jan.Passed || jan.Factor.String() != "0.5" || jan.FullPay.String() != "31.00" || jan.Pay.String() != "15.50" {
		t.Errorf("January: %+v; want not passed, factor 0.5, 31.00 → 15.50", jan)
	}
	if dec12.Assessed || dec12.Passed != nil || dec12.Pay.String() != "0.00" || dec12.FullPay.String() != "31.00" {
		t.Errorf("December: %+v; want not assessed on 2026-12-01, nothing paid yet", dec12)
	}
	if raw.MonthsPassed != 1 || raw.FullPay.String() != "365.00" || raw.Pay.String() != "182.50" {
		t.Errorf("year: %d passed, full %s, pay %s; want 1, 365.00, 182.50", raw.MonthsPassed, raw.FullPay, raw.Pay)
	}
	if resp, b := getRaw(t, fmt.Sprintf("%s/api/v1/care/rangers/%d/assessment?year=2026&as_of=2026-12-01&format=xlsx", ts.URL, ids[0]), viewer); resp.StatusCode != http.StatusOK {
		t.Errorf("assessment xlsx: %d %s", resp.StatusCode, b)
	} else if f, err := excelize.OpenReader(bytes.NewReader(b)); err != nil {
		t.Errorf("assessment xlsx: %v", err)
	} else if v, _ := f.GetCellValue("月度考核", "L6"); v != "31.00" {
		t.Errorf("assessment xlsx: March's pay (L6) is %q; want 31.00", v)
	}

	// The roll, masked for a viewer, in clear (and audited) for finance.
	type roll struct {
		Masked bool `json:"masked"`
		Rows   []struct {
			Ranger      int64         `json:"ranger"`
			Name        string        `json:"name"`
			IDNumber    string        `json:"id_number"`
			Pay         json.Number   `json:"pay_yuan"`
			FromSources []json.Number `json:"from_sources_yuan"`
			Unfunded    json.Number   `json:"unfunded_yuan"`
		} `json:"rows"`
		Sources []struct {
			ID    string      `json:"id"`
			Spent json.Number `json:"spent_yuan"`
			Left  json.Number `json:"left_yuan"`
		} `json:"sources"`
		PayTotal         json.Number `json:"pay_total_yuan"`
		RetainedTotal    json.Number `json:"retained_total_yuan"`
		PaidFromRetained json.Number `json:"paid_from_retained_yuan"`
		RetainedLeft     json.Number `json:"retained_left_yuan"`
		Shortfall        json.Number `json:"shortfall_yuan"`
	}
	getRoll := func(token string) roll {
		t.Helper()
		resp, b := getRaw(t, ts.URL+"/api/v1/care/roll?year=2026&as_of=2026-12-01", token)
		var r roll
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		if err := dec.Decode(&r); resp.StatusCode != http.StatusOK || err != nil {
			t.Fatalf("roll: %d %s", resp.StatusCode, b)
		}
		return r
	}
	masked := getRoll(viewer)
	if !masked.Masked || len(masked.Rows) != 2 || masked.Rows[0].Name != "王**" || strings.Contains(masked.Rows[0].IDNumber, "19800101") {
		t.Errorf("the viewer's roll: %+v; want the rangers masked", masked)
	}
	r := getRoll(finance)
	var subsidyRoll struct {
		Retained json.Number `json:"county_retained_total_yuan"`
	}
	resp, b = getRaw(t, ts.URL+"/api/v1/subsidy-roll?year=2026", finance)
	dec = json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&subsidyRoll); resp.StatusCode != http.StatusOK || err != nil {
		t.Fatalf("subsidy roll: %d %s", resp.StatusCode, b)
	}
	if r.Masked || len(r.Rows) != 2 || r.Rows[0].Name != "王护林" {
		t.Fatalf("finance's roll: %+v; want two rangers in clear", r)
	}
	if r.RetainedTotal.String() != "225.00" || r.RetainedTotal != subsidyRoll.Retained {
		t.Errorf("retained: %s, the subsidy roll's %s; want both 225.00", r.RetainedTotal, subsidyRoll.Retained)
	}
	if fmt.Sprintf("%s %s %s", r.Rows[0].Pay, r.Rows[0].FromSources, r.Rows[0].Unfunded) != "182.50 [182.50 0.00] 0.00" ||
		fmt.Sprintf("%s %s %s", r.Rows[1].Pay, r.Rows[1].FromSources, r.Rows[1].Unfunded) != "190.43 [42.50 147.93] 0.00" {
		t.Errorf("rows: %+v; want 182.50 all retained, 190.43 as 42.50 retained + 147.93 central", r.Rows)
	}
	if r.PayTotal.String() != "372.93" || r.PaidFromRetained.String() != "225.00" || r.RetainedLeft.String() != "0.00" || r.Shortfall.String() != "0.00" {
		t.Errorf("totals: pay %s, paid from retained %s, left %s, shortfall %s; want 372.93, 225.00, 0.00, 0.00",
			r.PayTotal, r.PaidFromRetained, r.RetainedLeft, r.Shortfall)
	}
	if len(r.Sources) != 2 || r.Sources[1].ID != "central_ranger_fund" || r.Sources[1].Spent.String() != "147.93" || r.Sources[1].Left.String() != "599852.07" {
		t.Errorf("sources: %+v; want the central fund spent 147.93, 599852.07 left", r.Sources)
	}
	var reads int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'pii.read' AND entity = 'ranger_roll'`).Scan(&reads); err != nil || reads != 1 {
		t.Errorf("%d audited unmasked roll reads (%v); want finance's one", reads, err)
	}

	resp, b = getRaw(t, ts.URL+"/api/v1/care/roll?year=2026&as_of=2026-12-01&format=xlsx", finance)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("roll xlsx: %d %s", resp.StatusCode, b)
	}
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.GetRows("护林员报酬清册")
	if err != nil {
		t.Fatal(err)
	}
	cells := map[string][]string{}
	for _, row := range rows {
		if len(row) > 1 {
			cells[row[1]] = row
		}
		if len(row) > 0 && row[0] == "合计" {
			cells["合计"] = row
		}
	}
	if row := cells["王护林"]; len(row) < 17 || row[13] != "182.50" || row[14] != "182.50" || row[15] != "0.00" {
		t.Errorf("xlsx row of 王护林: %q; want pay 182.50, all from the retained money", row)
	}
	if row := cells["李巡山"]; len(row) < 17 || row[13] != "190.43" || row[14] != "42.50" || row[15] != "147.93" {
		t.Errorf("xlsx row of 李巡山: %q; want 190.43 = 42.50 + 147.93", row)
	}
	if row := cells["公共管护留存合计（元）"]; len(row) < 3 || row[2] != "225.00" {
		t.Errorf("xlsx retained total: %q; want 225.00", row)
	}
	if row := cells["其中用于护林员报酬（元）"]; len(row) < 3 || row[2] != "225.00" {
		t.Errorf("xlsx paid from retained: %q; want 225.00", row)
	}
	if row := cells["结余（元）"]; len(row) < 3 || row[2] != "0.00" {
		t.Errorf("xlsx left: %q; want 0.00", row)
	}
}
