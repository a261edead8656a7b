package jobs_test

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
	"github.com/wuyuan-forestry/ecocomp/internal/config"
	"github.com/wuyuan-forestry/ecocomp/internal/policy"
	"github.com/wuyuan-forestry/ecocomp/internal/recompute"
)

// The fixture: a county around a grid of cols × rows parcels, 100 m squares in EPSG:4548 (1 ha
// each, so MIAN_JI within 0.5 % of 1.0 draws no warning), a core zone over the grid's south-west
// corner, the shipped policy and a full recompute for 2026: every current parcel has its results.
const year = 2026

func loadCounty(t *testing.T, pool *pgxpool.Pool, cols, rows int) {
	t.Helper()
	ctx := context.Background()
	_, err := pool.Exec(ctx, fmt.Sprintf(`
WITH area AS (SELECT ST_Multi(ST_Transform(ST_MakeEnvelope(582000, 3236000, 584000 + %[1]d * 100, 3238000 + %[2]d * 100, 4548), 4490)) AS g)
INSERT INTO admin_unit (code, level, name, parent_code, geom)
SELECT '361130', 'county', '婺源县', NULL, g FROM area
UNION ALL SELECT '361130100', 'township', '紫阳镇', '361130', g FROM area
UNION ALL SELECT '361130100001', 'village', '测试村', '361130100', g FROM area;

INSERT INTO parcel (code, xian, xiang, cun, lin_ban, xiao_ban, mian_ji, di_lei, lm_qs, sen_lin_lb, you_shi_sz, geom, valid_from)
SELECT '3611301000010001' || lpad((i * %[2]d + j + 1)::text, 5, '0'), '361130', '100', '001', '0001',
       lpad((i * %[2]d + j + 1)::text, 5, '0'), 1.0, '030100', '30', '022', '310000',
       ST_Multi(ST_Transform(ST_MakeEnvelope(583000 + i * 100, 3237000 + j * 100, 583100 + i * 100, 3237100 + j * 100, 4548), 4490)),
       '2026-01-01'
FROM generate_series(0, %[1]d - 1) i, generate_series(0, %[2]d - 1) j;

WITH a AS (INSERT INTO protected_area (name, area_kind, demo) VALUES ('测试保护区', 'nature_reserve', true) RETURNING id)
INSERT INTO zone (area_id, area_kind, zone_kind, site, name, demo, geom)
SELECT id, 'nature_reserve', 'core', '1', '测试核心区', true,
       ST_Multi(ST_Transform(ST_MakeEnvelope(582900, 3236900, 583000 + %[1]d * 50, 3237000 + %[2]d * 50, 4548), 4490)) FROM a;`, cols, rows))
	if err != nil {
		t.Fatalf("load the county: %v", err)
	}
	if _, err := policy.LoadShipped(ctx, pool); err != nil {
		t.Fatalf("load the policy: %v", err)
	}
	if _, err := recompute.All(ctx, pool, year); err != nil {
		t.Fatalf("recompute: %v", err)
	}
}

// gridFile is the fixture's grid as a surveyor's GeoJSON file (EPSG:4548), every parcel with
// the legal area mianJi: a re-import with another area changes every parcel.
func gridFile(cols, rows int, mianJi string) []byte {
	var b bytes.Buffer
	b.WriteString(`{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4548"}},"features":[`)
	for i := 0; i < cols; i++ {
		for j := 0; j < rows; j++ {
			if i+j > 0 {
				b.WriteByte(',')
			}
			x, y := 583000+100*i, 3237000+100*j
			fmt.Fprintf(&b, `{"type":"Feature","properties":{"XIAN":"361130","XIANG":"100","CUN":"001","LIN_BAN":"0001","XIAO_BAN":"%05d","MIAN_JI":%s},`+
				`"geometry":{"type":"Polygon","coordinates":[[[%d,%d],[%d,%d],[%d,%d],[%d,%d],[%d,%d]]]}}`,
				i*rows+j+1, mianJi, x, y, x+100, y, x+100, y+100, x, y+100, x, y)
		}
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

// surveyor creates a user with the role surveyor and returns an API token of theirs.
func surveyor(t *testing.T, pool *pgxpool.Pool, name string) string {
	t.Helper()
	ctx := context.Background()
	svc := auth.New(pool, config.Config{})
	if _, err := svc.CreateUser(ctx, auth.NewUser{Name: name, Roles: []auth.Role{auth.Surveyor}, Password: "Some-pass-2026"}); err != nil {
		t.Fatal(err)
	}
	_, token, err := svc.AddToken(ctx, name, "test", 0)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// state is what an import changes, read from the database.
type state struct {
	Current  int    // current parcel versions
	Versions int    // all parcel versions
	MianJi   string // the distinct MIAN_JI of the current versions
	Stale    int    // current versions without their results under the year's policy
}

func readState(t *testing.T, pool *pgxpool.Pool) state {
	t.Helper()
	var s state
	err := pool.QueryRow(context.Background(), `
SELECT (SELECT count(*) FROM parcel WHERE valid_to IS NULL), (SELECT count(*) FROM parcel),
       (SELECT string_agg(DISTINCT mian_ji::text, ',') FROM parcel WHERE valid_to IS NULL),
       (SELECT count(*) FROM parcel p WHERE p.valid_to IS NULL AND NOT EXISTS (SELECT 1 FROM parcel_eligibility e
            JOIN policy_version v ON v.id = e.policy_version_id AND v.year = $1 WHERE e.parcel_id = p.id))`, year).
		Scan(&s.Current, &s.Versions, &s.MianJi, &s.Stale)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// job is what GET /api/v1/imports/{id} answers, as far as the tests look.
type job struct {
	ID            int64  `json:"id"`
	Status        string `json:"status"`
	Phase         string `json:"phase"`
	QueuePosition *int   `json:"queue_position"`
	Attempts      int    `json:"attempts"`
	Interruptions int    `json:"interruptions"`
	Note          string `json:"note"`
	Batch         *int64 `json:"batch"`
	Report        struct {
		Status string `json:"status"`
		Reason string `json:"reason"`
		Counts struct {
			Changed int `json:"changed"`
		} `json:"counts"`
	} `json:"report"`
}

// upload posts a file as an import and returns the job's id.
func upload(t *testing.T, base, token, name string, data []byte, fields map[string]string) int64 {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", name)
	_, _ = fw.Write(data)
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/imports", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("upload %s: %d %s", name, resp.StatusCode, b)
	}
	var j job
	if err := json.Unmarshal(b, &j); err != nil || j.ID == 0 {
		t.Fatalf("upload %s: %s", name, b)
	}
	return j.ID
}

// getJob reads an import's status over HTTP.
func getJob(t *testing.T, base, token string, id int64) job {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/api/v1/imports/%d", base, id), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET import %d: %d %s", id, resp.StatusCode, b)
	}
	var j job
	if err := json.Unmarshal(b, &j); err != nil {
		t.Fatal(err)
	}
	return j
}

// waitFor polls import id until ok says so, failing after limit.
func waitFor(t *testing.T, base, token string, id int64, limit time.Duration, what string, ok func(job) bool) job {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		j := getJob(t, base, token, id)
		if ok(j) {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("import %d: not %s within %s; last seen %+v", id, what, limit, j)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func ended(j job) bool { return j.Status != "queued" && j.Status != "running" }

func contains(s, part string) bool { return strings.Contains(s, part) }
