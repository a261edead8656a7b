package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wuyuan-forestry/ecocomp/internal/config"
	"github.com/wuyuan-forestry/ecocomp/internal/httpapi"
	"github.com/wuyuan-forestry/ecocomp/internal/owners"
	"github.com/wuyuan-forestry/ecocomp/internal/pii/piitest"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
	"github.com/wuyuan-forestry/ecocomp/internal/recompute"
)

// insertOwner stores o with its personal data encrypted under the test key, as ecocomp does.
func insertOwner(t *testing.T, pool *pgxpool.Pool, o owners.Owner) int64 {
	t.Helper()
	id, err := owners.Insert(context.Background(), pool, piitest.TestKeyring(t), o)
	if err != nil {
		t.Fatalf("insert owner: %v", err)
	}
	return id
}

// newPIIServer is a test server holding the test key (and token as ECOCOMP_ADMIN_TOKEN).
func newPIIServer(t *testing.T, pool *pgxpool.Pool, log *slog.Logger, token string) *httptest.Server {
	t.Helper()
	return newServerWithConfig(t, pool, log, config.Config{AdminToken: token, PIIKey: piitest.Key})
}

func newServerWithConfig(t *testing.T, pool *pgxpool.Pool, log *slog.Logger, cfg config.Config) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(httpapi.New(pool, log, cfg))
	t.Cleanup(ts.Close)
	return ts
}

// syncBuffer is a log destination the server's goroutines may write to while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

const (
	zhangID      = "361130199001011234"
	zhangAccount = "6217001234567890123"
)

type rollAnswer struct {
	Masked bool `json:"masked"`
	Rows   []struct {
		Owner    string `json:"owner"`
		IDNumber string `json:"id_number"`
		Account  string `json:"account"`
	} `json:"rows"`
}

func getRoll(t *testing.T, url, token string) (int, rollAnswer, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url+"/api/v1/subsidy-roll?year=2026", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body bytes.Buffer
	body.ReadFrom(resp.Body)
	var roll rollAnswer
	if resp.StatusCode == 200 {
		if err := json.Unmarshal(body.Bytes(), &roll); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode, roll, body.Bytes()
}

// TestRollDecryptsOwners: with the key, the roll shows the owners' real ID numbers and accounts
// to those allowed to see them and their masked forms to others; no log line, even at debug
// level, carries them.
func TestRollDecryptsOwners(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t)
	loadCompensation(t, pool)
	if _, err := recompute.All(ctx, pool, 2026); err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ts := newPIIServer(t, pool, log, "s3cret")

	status, roll, body := getRoll(t, ts.URL, "s3cret")
	if status != 200 || roll.Masked {
		t.Fatalf("unmasked roll: %d %s", status, body)
	}
	var zhang, collective bool
	for _, r := range roll.Rows {
		switch r.Owner {
		case "张三丰":
			zhang = r.IDNumber == zhangID && r.Account == zhangAccount
		case "测试村村民委员会":
			collective = r.IDNumber == "" && r.Account == "6217009999999990000"
		}
	}
	if !zhang || !collective {
		t.Errorf("unmasked roll rows %+v; want 张三丰 %s %s and the collective's account", roll.Rows, zhangID, zhangAccount)
	}

	status, roll, body = getRoll(t, ts.URL, "")
	if status != 200 || !roll.Masked {
		t.Fatalf("masked roll: %d %s", status, body)
	}
	// The masked forms come from the decrypted values: the area code and the last four digits.
	var masked bool
	for _, r := range roll.Rows {
		masked = masked || r.IDNumber == "361130********1234" && r.Account == "***************0123"
	}
	if !masked || bytes.Contains(body, []byte(zhangID)) || bytes.Contains(body, []byte(zhangAccount)) {
		t.Errorf("masked roll %s; want 361130********1234 and ***************0123 only", body)
	}
	if got := logs.String(); strings.Contains(got, zhangID) || strings.Contains(got, zhangAccount) || !strings.Contains(got, "subsidy-roll") {
		t.Errorf("the log (which should name the requests) shows personal data:\n%s", got)
	}
}

// TestRollNeedsTheRightKey: no key, or another key than the data's, answers 503 telling the
// administrator what to configure; neither the answer nor the log shows personal data.
func TestRollNeedsTheRightKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t)
	loadCompensation(t, pool)
	if _, err := recompute.All(ctx, pool, 2026); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		key    string
		detail string
	}{
		{"no key", "", "no usable key: the administrator must set ECOCOMP_PII_KEY"},
		{"another key", piitest.OtherKey, "encrypted with a key that is not configured here"},
		{"malformed key", "not-a-key", "no usable key: the administrator must set ECOCOMP_PII_KEY"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var logs syncBuffer
			log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			ts := newServerWithConfig(t, pool, log, config.Config{AdminToken: "s3cret", PIIKey: tc.key})
			req, _ := http.NewRequest("GET", ts.URL+"/api/v1/subsidy-roll?year=2026", nil)
			req.Header.Set("Authorization", "Bearer s3cret")
			resp, body := do(t, req)
			wantProblem(t, resp, body, 503, tc.detail)
			all := string(body) + logs.String()
			if strings.Contains(all, zhangID) || strings.Contains(all, zhangAccount) || strings.Contains(all, piitest.Key) || strings.Contains(all, "not-a-key") {
				t.Errorf("the answer or the log shows personal data or a key:\n%s", all)
			}
		})
	}
}

func do(t *testing.T, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body bytes.Buffer
	body.ReadFrom(resp.Body)
	return resp, body.Bytes()
}
