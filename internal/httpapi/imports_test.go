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
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wuyuan-forestry/ecocomp/internal/auth"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
)

// uploadParcels is a GeoJSON parcel file in EPSG:4548: one 100 m square per XIAO_BAN given.
func uploadParcels(xiaoBan ...string) []byte {
	var feats []string
	for i, xb := range xiaoBan {
		x := 583000 + 100*float64(i)
		feats = append(feats, fmt.Sprintf(`{"type":"Feature","properties":{"XIAN":"361130","XIANG":"100","CUN":"001","LIN_BAN":"0001","XIAO_BAN":%q,"MIAN_JI":1.0},
			"geometry":{"type":"Polygon","coordinates":[[[%[2]g,3237000],[%[3]g,3237000],[%[3]g,3237100],[%[2]g,3237100],[%[2]g,3237000]]]}}`, xb, x, x+100))
	}
	return []byte(`{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4548"}},"features":[` + strings.Join(feats, ",") + `]}`)
}

// postUpload sends a multipart upload with the file and form fields, with a bearer token unless "".
func postUpload(t *testing.T, url, token, name string, data []byte, fields map[string]string) (*http.Response, []byte) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, url+"/api/v1/imports", &body)
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
	return resp, b
}

type importJob struct {
	ID     int64  `json:"id"`
	Status string `json:"status"`
	Href   string `json:"href"`
	Report struct {
		Status string `json:"status"`
		Reason string `json:"reason"`
		Counts struct {
			New int `json:"new"`
		} `json:"counts"`
		Lines []struct {
			Row   int    `json:"row"`
			Key   string `json:"key"`
			Check string `json:"check"`
		} `json:"lines"`
	} `json:"report"`
}

// waitJob polls an import until it has finished.
func waitJob(t *testing.T, url, href, token string) importJob {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, body := send(t, http.MethodGet, url+href, token, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s", href, resp.StatusCode, body)
		}
		var j importJob
		if err := json.Unmarshal(body, &j); err != nil {
			t.Fatal(err)
		}
		if j.Status != "queued" && j.Status != "running" {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("import %s still %s after a minute", href, j.Status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func loadImportCounty(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), `INSERT INTO admin_unit (code, level, name, geom) VALUES
		('361130', 'county', '婺源县', ST_Multi(ST_Transform(ST_MakeEnvelope(580000, 3230000, 590000, 3240000, 4548), 4490)))`); err != nil {
		t.Fatal(err)
	}
}

// TestImportUpload: uploads need a surveyor or an administrator (a viewer is refused, a full
// import needs an administrator, a surveyor reads only their own reports); an accepted upload
// answers 202 with the import's id and runs in the background; GET gives its status and report,
// as JSON or text; a rejected file changes nothing.
func TestImportUpload(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t)
	loadImportCounty(t, pool)
	const breakGlass = "s3cret-token"
	ts := newServerWithToken(t, pool, discardLogger(), breakGlass)
	token := userToken(t, pool, "surveyor1", auth.Surveyor)
	other := userToken(t, pool, "surveyor2", auth.Surveyor)
	viewer := userToken(t, pool, "viewer1", auth.Viewer)
	good := uploadParcels("00001", "00002")

	resp, body := postUpload(t, ts.URL, "", "parcels.geojson", good, nil)
	wantProblem(t, resp, body, http.StatusUnauthorized, "role surveyor or admin")
	resp, body = postUpload(t, ts.URL, "wrong", "parcels.geojson", good, nil)
	wantProblem(t, resp, body, http.StatusUnauthorized, "unknown, revoked or expired")
	resp, body = postUpload(t, ts.URL, viewer, "parcels.geojson", good, nil)
	wantProblem(t, resp, body, http.StatusForbidden, "role surveyor or admin")
	resp, body = postUpload(t, ts.URL, token, "parcels.geojson", good, map[string]string{"full": "true"})
	wantProblem(t, resp, body, http.StatusForbidden, "needs the role admin")
	resp, body = postUpload(t, ts.URL, token, "parcels.kml", good, nil)
	wantProblem(t, resp, body, http.StatusBadRequest, "not importable")
	resp, body = postUpload(t, ts.URL, token, "parcels.geojson", good, map[string]string{"srid": "abc"})
	wantProblem(t, resp, body, http.StatusBadRequest, `"srid"`)
	resp, body = send(t, http.MethodGet, ts.URL+"/api/v1/imports/999999", token, nil)
	wantProblem(t, resp, body, http.StatusNotFound, "there is no import 999999")
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM import_job`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("refused uploads recorded %d jobs (%v)", n, err)
	}

	resp, body = postUpload(t, ts.URL, token, "parcels.geojson", good, map[string]string{"kind": "parcels"})
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("upload: %d %s", resp.StatusCode, body)
	}
	var accepted importJob
	if err := json.Unmarshal(body, &accepted); err != nil || accepted.ID == 0 || resp.Header.Get("Location") != accepted.Href {
		t.Fatalf("202 body %s, Location %q", body, resp.Header.Get("Location"))
	}
	job := waitJob(t, ts.URL, accepted.Href, token)
	if job.Status != "imported" || job.Report.Counts.New != 2 {
		t.Errorf("job %+v; want imported with 2 new parcels", job)
	}
	resp, body = send(t, http.MethodGet, ts.URL+accepted.Href, other, nil)
	wantProblem(t, resp, body, http.StatusForbidden, "submitted by someone else")
	if j := waitJob(t, ts.URL, accepted.Href, breakGlass); j.Status != "imported" {
		t.Errorf("the break-glass token reads job status %q; want imported", j.Status)
	}
	// The break-glass token may do anything, and is recorded as itself.
	resp, body = postUpload(t, ts.URL, breakGlass, "check.geojson", good, map[string]string{"dry_run": "true", "full": "true"})
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("break-glass full dry run: %d %s", resp.StatusCode, body)
	}
	var glassJob importJob
	_ = json.Unmarshal(body, &glassJob)
	if j := waitJob(t, ts.URL, glassJob.Href, breakGlass); j.Status != "dry_run" {
		t.Errorf("break-glass dry run ended %q", j.Status)
	}
	// The job's outcome row is written as it finishes: give it a moment after the status shows.
	var glass int
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE actor_kind = 'break_glass' AND action IN ('import.submit', 'import')`).Scan(&glass)
		if err != nil {
			t.Fatal(err)
		}
		if glass == 2 || time.Now().After(deadline) {
			break
		}
	}
	if glass != 2 {
		t.Errorf("%d audit rows by the break-glass token; want 2 (the submission and the dry run's outcome)", glass)
	}
	// The refusals and the upload are on the record, with who did them.
	var refused, submitted int
	if err := pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE action = 'http.refused' AND outcome = 'denied'),
		count(*) FILTER (WHERE action = 'import.submit' AND actor = 'surveyor1' AND actor_kind = 'token')
		FROM audit_log`).Scan(&refused, &submitted); err != nil {
		t.Fatal(err)
	}
	if refused != 3 || submitted != 1 {
		t.Errorf("audit rows: %d refused uploads, %d submissions by surveyor1; want 3 and 1", refused, submitted)
	}
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM parcel_current`).Scan(&n); err != nil || n != 2 {
		t.Errorf("%d current parcels (%v); want 2", n, err)
	}
	resp, body = send(t, http.MethodGet, ts.URL+accepted.Href+"?format=text", token, nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "IMPORTED as batch") {
		t.Errorf("text report: %d %s", resp.StatusCode, body)
	}

	// A duplicate key: the job is rejected, its report says where, and nothing changed.
	var before string
	if err := pool.QueryRow(ctx, `SELECT md5(string_agg(p::text, '|' ORDER BY id)) FROM parcel p`).Scan(&before); err != nil {
		t.Fatal(err)
	}
	resp, body = postUpload(t, ts.URL, token, "dup.json", uploadParcels("00003", "00003"), nil)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("upload: %d %s", resp.StatusCode, body)
	}
	_ = json.Unmarshal(body, &accepted)
	job = waitJob(t, ts.URL, accepted.Href, token)
	if job.Status != "rejected" || !strings.Contains(job.Report.Reason, "duplicate key") {
		t.Errorf("job %s, reason %q; want rejected for a duplicate key", job.Status, job.Report.Reason)
	}
	var after string
	if err := pool.QueryRow(ctx, `SELECT md5(string_agg(p::text, '|' ORDER BY id)) FROM parcel p`).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if after != before {
		t.Error("a rejected upload changed the parcels")
	}

	// A job whose server stopped mid-import is reported as failed, not running for ever.
	var lost int64
	if err := pool.QueryRow(ctx, `INSERT INTO import_job (kind, file_name, actor, status, started_at, worker_pid)
		VALUES ('parcels', 'lost.zip', 'test', 'running', now(), 2147483000) RETURNING id`).Scan(&lost); err != nil {
		t.Fatal(err)
	}
	job = waitJob(t, ts.URL, fmt.Sprintf("/api/v1/imports/%d", lost), breakGlass)
	if job.Status != "failed" || !strings.Contains(job.Report.Reason, "interrupted") {
		t.Errorf("lost job: %s %q; want failed, interrupted", job.Status, job.Report.Reason)
	}
}
