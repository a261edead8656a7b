package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wuyuan-forestry/ecocomp/internal/auth"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
)

// gridUpload is a GeoJSON file (EPSG:4548) of cols × rows 100 m squares of county xian from
// (x0, y0), numbered from first.
func gridUpload(xian string, x0, y0, cols, rows, first int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4548"}},"features":[`)
	for i := 0; i < cols; i++ {
		for j := 0; j < rows; j++ {
			if i+j > 0 {
				b.WriteByte(',')
			}
			x, y := x0+100*i, y0+100*j
			fmt.Fprintf(&b, `{"type":"Feature","properties":{"XIAN":%q,"XIANG":"100","CUN":"001","LIN_BAN":"0001","XIAO_BAN":"%05d","MIAN_JI":1.0},`+
				`"geometry":{"type":"Polygon","coordinates":[[[%d,%d],[%d,%d],[%d,%d],[%d,%d],[%d,%d]]]}}`,
				xian, first+i*rows+j, x, y, x+100, y, x+100, y+100, x, y+100, x, y)
		}
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

type jobStatus struct {
	ID            int64  `json:"id"`
	County        string `json:"county"`
	Status        string `json:"status"`
	Phase         string `json:"phase"`
	QueuePosition *int   `json:"queue_position"`
	CancelledBy   string `json:"cancelled_by"`
	Report        struct {
		Status string `json:"status"`
		Reason string `json:"reason"`
	} `json:"report"`
}

func readJob(t *testing.T, url, token string, id int64) jobStatus {
	t.Helper()
	resp, body := send(t, http.MethodGet, fmt.Sprintf("%s/api/v1/imports/%d", url, id), token, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET import %d: %d %s", id, resp.StatusCode, body)
	}
	var j jobStatus
	if err := json.Unmarshal(body, &j); err != nil {
		t.Fatal(err)
	}
	return j
}

func submitJob(t *testing.T, url, token, name string, data []byte, fields map[string]string) int64 {
	t.Helper()
	resp, body := postUpload(t, url, token, name, data, fields)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("upload %s: %d %s", name, resp.StatusCode, body)
	}
	var j jobStatus
	if err := json.Unmarshal(body, &j); err != nil || j.ID == 0 {
		t.Fatalf("upload %s: %s", name, body)
	}
	return j.ID
}

func untilJob(t *testing.T, url, token string, id int64, what string, ok func(jobStatus) bool) jobStatus {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		j := readJob(t, url, token, id)
		if ok(j) {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("import %d not %s within 2 minutes: %+v", id, what, j)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestImportQueueAndCancel: imports of one county run one at a time — the others wait with their
// queue position — while another county's import runs beside them. A queued import is cancelled
// at once, a running one stopped with its transaction rolled back: nothing of either is written,
// both say cancelled and who did it, and both cancellations are audited. Only the submitter or an
// administrator may cancel; an ended import cannot be.
func TestImportQueueAndCancel(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t)
	if _, err := pool.Exec(ctx, `INSERT INTO admin_unit (code, level, name, geom) VALUES
		('361130', 'county', '婺源县', ST_Multi(ST_Transform(ST_MakeEnvelope(582000, 3236000, 596000, 3250000, 4548), 4490))),
		('361127', 'county', '德兴市', ST_Multi(ST_Transform(ST_MakeEnvelope(610000, 3236000, 612000, 3238000, 4548), 4490)))`); err != nil {
		t.Fatal(err)
	}
	const admin = "s3cret-token"
	ts := newServerWithToken(t, pool, discardLogger(), admin)
	token := userToken(t, pool, "surveyor1", auth.Surveyor)
	other := userToken(t, pool, "surveyor2", auth.Surveyor)
	wuyuan := map[string]string{"county": "361130"}

	resp, body := postUpload(t, ts.URL, token, "which.geojson", gridUpload("361130", 583000, 3237000, 1, 2, 1), nil)
	wantProblem(t, resp, body, http.StatusBadRequest, `"county"`)

	big := submitJob(t, ts.URL, token, "big.geojson", gridUpload("361130", 583000, 3237000, 100, 100, 1), wuyuan)
	untilJob(t, ts.URL, token, big, "running", func(j jobStatus) bool { return j.Status == "running" })
	second := submitJob(t, ts.URL, token, "second.geojson", gridUpload("361130", 583000, 3248000, 1, 2, 20001), wuyuan)
	third := submitJob(t, ts.URL, token, "third.geojson", gridUpload("361130", 583000, 3249000, 1, 2, 30001), wuyuan)
	elsewhere := submitJob(t, ts.URL, token, "elsewhere.geojson", gridUpload("361127", 610500, 3236500, 1, 2, 1), map[string]string{"county": "361127"})
	// The other county's import is taken at once, while Wuyuan's wait their turn.
	untilJob(t, ts.URL, token, elsewhere, "started", func(j jobStatus) bool { return j.Status != "queued" })
	for id, want := range map[int64]int{second: 1, third: 2} {
		if j := readJob(t, ts.URL, token, id); j.Status != "queued" || j.QueuePosition == nil || *j.QueuePosition != want || j.County != "361130" {
			t.Errorf("import %d: %+v; want queued at position %d of 361130", id, j, want)
		}
	}

	// A queued import is cancelled at once.
	resp, body = send(t, http.MethodDelete, fmt.Sprintf("%s/api/v1/imports/%d", ts.URL, third), other, nil)
	wantProblem(t, resp, body, http.StatusForbidden, "submitted by someone else")
	resp, body = send(t, http.MethodDelete, fmt.Sprintf("%s/api/v1/imports/%d", ts.URL, third), token, nil)
	var j jobStatus
	if err := json.Unmarshal(body, &j); err != nil || resp.StatusCode != http.StatusOK || j.Status != "cancelled" ||
		!strings.Contains(j.Report.Reason, "before it started") || j.CancelledBy != "token 1 (surveyor1)" {
		t.Errorf("cancelling a queued import: %d %s", resp.StatusCode, body)
	}
	if j := readJob(t, ts.URL, token, second); j.QueuePosition == nil || *j.QueuePosition != 1 {
		t.Errorf("after the cancellation behind it, import %d: %+v; want still at position 1", second, j)
	}

	// A running import is stopped mid-merge; its transaction rolls back.
	untilJob(t, ts.URL, token, big, "merging", func(j jobStatus) bool {
		if j.Status != "running" {
			t.Fatalf("the big import ended before it merged: %+v", j)
		}
		return j.Phase == "merging"
	})
	resp, body = send(t, http.MethodDelete, fmt.Sprintf("%s/api/v1/imports/%d", ts.URL, big), admin, nil)
	if err := json.Unmarshal(body, &j); err != nil || resp.StatusCode != http.StatusOK || j.Status != "cancelled" ||
		!strings.Contains(j.Report.Reason, "rolled back, nothing was written") || j.CancelledBy != "break-glass" {
		t.Errorf("cancelling a running import: %d %s", resp.StatusCode, body)
	}
	resp, body = send(t, http.MethodDelete, fmt.Sprintf("%s/api/v1/imports/%d", ts.URL, big), token, nil)
	wantProblem(t, resp, body, http.StatusConflict, "already ended")

	// The queue moves on: Wuyuan's next import and the other county's land.
	for _, id := range []int64{second, elsewhere} {
		if j := untilJob(t, ts.URL, token, id, "ended", func(j jobStatus) bool { return j.Status != "queued" && j.Status != "running" }); j.Status != "imported" {
			t.Errorf("import %d ended %+v; want imported", id, j)
		}
	}
	var parcels, uploads, cancels, denied int
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM parcel), (SELECT count(*) FROM import_upload),
		(SELECT count(*) FROM audit_log WHERE action = 'import.cancel' AND outcome = 'ok'),
		(SELECT count(*) FROM audit_log WHERE action = 'import.cancel' AND outcome = 'denied' AND actor = 'surveyor2')`).Scan(&parcels, &uploads, &cancels, &denied); err != nil {
		t.Fatal(err)
	}
	if parcels != 4 || uploads != 0 || cancels != 2 || denied != 1 {
		t.Errorf("%d parcels, %d kept uploads, %d cancellations and %d refused ones audited; want 4 (only the two small imports), 0, 2, 1",
			parcels, uploads, cancels, denied)
	}
}
