package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/wuyuan-forestry/ecocomp/internal/auth"
	"github.com/wuyuan-forestry/ecocomp/internal/config"
	"github.com/wuyuan-forestry/ecocomp/internal/pii/piitest"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
	"github.com/wuyuan-forestry/ecocomp/internal/recompute"
)

// TestRollMaskedUnlessFinance: a viewer, a case officer and an administrator get the roll with
// owners masked and leave no audit row; finance gets it in clear (JSON and xlsx), each such read
// leaving one audit row with who, what and from where; finance may still ask for it masked. The
// owner search by ID number is masked for a case officer and clear for finance, audited either
// way. Through all of it the server's debug log never carries a name, ID number or account.
func TestRollMaskedUnlessFinance(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t)
	loadCompensation(t, pool)
	if _, err := recompute.All(ctx, pool, 2026); err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ts := newServerWithConfig(t, pool, log, config.Config{PIIKey: piitest.Key})
	viewer := userToken(t, pool, "viewer1", auth.Viewer)
	officer := userToken(t, pool, "officer1", auth.CaseOfficer)
	admin := userToken(t, pool, "admin1", auth.Admin)
	finance := userToken(t, pool, "finance1", auth.Finance)

	const idn, account, name = "361130199001011234", "6217001234567890123", "张三丰"
	type roll struct {
		Masked bool `json:"masked"`
		Rows   []struct {
			Owner    string `json:"owner"`
			IDNumber string `json:"id_number"`
			Account  string `json:"account"`
		} `json:"rows"`
	}
	readRoll := func(token, query string) roll {
		t.Helper()
		resp, body := send(t, http.MethodGet, ts.URL+"/api/v1/subsidy-roll?year=2026"+query, token, nil)
		if resp.StatusCode != 200 {
			t.Fatalf("roll: %d %s", resp.StatusCode, body)
		}
		var r roll
		if err := json.Unmarshal(body, &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	piiReads := func() int {
		t.Helper()
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'pii.read'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	for who, token := range map[string]string{"anonymous": "", "viewer": viewer, "case officer": officer, "admin": admin} {
		r := readRoll(token, "")
		if !r.Masked || len(r.Rows) == 0 {
			t.Fatalf("roll as %s: masked=%v, %d rows; want masked", who, r.Masked, len(r.Rows))
		}
		for _, row := range r.Rows {
			if row.IDNumber == idn || row.Account == account || row.Owner == name {
				t.Errorf("roll as %s shows personal data: %+v", who, row)
			}
		}
		if r.Rows[0].Owner != "张**" || r.Rows[0].IDNumber != "361130********1234" || r.Rows[0].Account != "***************0123" {
			t.Errorf("masked row as %s: %+v", who, r.Rows[0])
		}
	}
	if n := piiReads(); n != 0 {
		t.Fatalf("%d unmasked reads audited after masked reads; want 0", n)
	}

	r := readRoll(finance, "")
	if r.Masked || r.Rows[0].Owner != name || r.Rows[0].IDNumber != idn || r.Rows[0].Account != account {
		t.Fatalf("roll as finance: %+v; want the owner in clear", r)
	}
	var actor, kind, entity, client, reqID string
	if err := pool.QueryRow(ctx, `SELECT actor, actor_kind, entity, client_addr, request_id FROM audit_log WHERE action = 'pii.read'`).
		Scan(&actor, &kind, &entity, &client, &reqID); err != nil {
		t.Fatalf("no audit row for the unmasked read: %v", err)
	}
	if actor != "finance1" || kind != "token" || entity != "subsidy_roll" || client != "127.0.0.1" || reqID == "" {
		t.Errorf("audit row of the unmasked read: %s (%s) %s from %q, request %q", actor, kind, entity, client, reqID)
	}
	if r := readRoll(finance, "&masked=true"); !r.Masked || piiReads() != 1 {
		t.Errorf("finance asking for masked=true: masked=%v, %d audited reads; want masked and still 1", r.Masked, piiReads())
	}
	resp, body := send(t, http.MethodGet, ts.URL+"/api/v1/subsidy-roll?year=2026&format=xlsx", finance, nil)
	x, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("xlsx roll as finance: %d %v", resp.StatusCode, err)
	}
	rows, _ := x.GetRows("发放清册")
	if !strings.Contains(strings.Join(rows[3], "|"), idn) || piiReads() != 2 {
		t.Errorf("xlsx roll as finance: row %v, %d audited reads; want the ID number and 2 reads", rows[3], piiReads())
	}

	search := func(token string) (int, map[string]any) {
		t.Helper()
		resp, body := send(t, http.MethodPost, ts.URL+"/api/v1/owners/search", token, map[string]string{"id_number": " " + idn + " "})
		var out map[string]any
		_ = json.Unmarshal(body, &out)
		return resp.StatusCode, out
	}
	status, out := search(officer)
	if status != 200 || out["masked"] != true || !strings.Contains(toJSON(out), `"id_number":"361130********1234"`) || !strings.Contains(toJSON(out), p1) {
		t.Errorf("owner search as case officer: %d %s", status, toJSON(out))
	}
	status, out = search(finance)
	if status != 200 || out["masked"] != false || !strings.Contains(toJSON(out), `"id_number":"`+idn+`"`) {
		t.Errorf("owner search as finance: %d %s", status, toJSON(out))
	}
	if status, _ = search(viewer); status != http.StatusForbidden {
		t.Errorf("owner search as viewer: %d; want 403", status)
	}
	var searches int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE entity = 'owner' AND action IN ('pii.search', 'pii.read')`).Scan(&searches); err != nil || searches != 2 {
		t.Errorf("%d owner searches audited (%v); want 2", searches, err)
	}

	// Signing in with a wrong password must not put the password in the log either.
	if _, err := auth.New(pool, config.Config{}).CreateUser(ctx, auth.NewUser{Name: "finance2", Roles: []auth.Role{auth.Finance}, Password: "Finance-two-2026"}); err != nil {
		t.Fatal(err)
	}
	signIn(t, ts.URL, "finance2", "Secret-guess-77")
	signIn(t, ts.URL, "finance2", "Finance-two-2026")

	text := logs.String()
	if !strings.Contains(text, "subsidy-roll") {
		t.Fatalf("the debug log did not record the requests:\n%s", text)
	}
	for _, secret := range []string{idn, account, name, "张**", "Secret-guess-77", "Finance-two-2026", finance} {
		if strings.Contains(text, secret) {
			t.Errorf("the server log contains %q", secret)
		}
	}
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
