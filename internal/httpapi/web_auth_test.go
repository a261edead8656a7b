package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wuyuan-forestry/ecocomp/internal/auth"
	"github.com/wuyuan-forestry/ecocomp/internal/config"
	"github.com/wuyuan-forestry/ecocomp/internal/demo"
	"github.com/wuyuan-forestry/ecocomp/internal/httpapi"
	"github.com/wuyuan-forestry/ecocomp/internal/pii/piitest"
	"github.com/wuyuan-forestry/ecocomp/internal/policy"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
	"github.com/wuyuan-forestry/ecocomp/internal/recompute"
)

// TestWebAccountsInBrowser drives the web map's accounts in Debian's chromium
// (web/test/auth.test.mjs, playwright-core) against a seeded county: a wrong password is refused
// in Chinese; a viewer sees the subsidy roll masked and no import panel; finance sees it
// unmasked with the audit badge; a surveyor gets the import panel and follows a dry run; a user
// with a one-time password must change it first; repeated failures lock an account; and a server
// that does not read anonymously shows the sign-in page first. The full ID number the browser
// must show finance is read here through the API as finance, the masked one as a visitor.
func TestWebAccountsInBrowser(t *testing.T) {
	chromium := browserTools(t)

	ctx := context.Background()
	pool := pgtest.New(t)
	// 5,000 parcels give a township whose roll has more than one page (100 rows).
	if _, err := demo.Seed(ctx, pool, demo.Options{Parcels: 5000, Seed: 3, PII: piitest.TestKeyring(t)}); err != nil {
		t.Fatalf("seed: %v", err)
	}
	if _, err := policy.LoadShipped(ctx, pool); err != nil {
		t.Fatalf("load the shipped policy: %v", err)
	}
	const year = 2026
	if _, err := recompute.All(ctx, pool, year); err != nil {
		t.Fatalf("recompute: %v", err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg := config.Config{PIIKey: piitest.Key}
	public := httptest.NewServer(httpapi.New(pool, logger, cfg))
	t.Cleanup(public.Close)
	privateCfg := cfg
	privateCfg.RequireSignIn = true
	private := httptest.NewServer(httpapi.New(pool, logger, privateCfg))
	t.Cleanup(private.Close)

	users := auth.New(pool, cfg)
	accounts := map[string]auth.NewUser{
		"ECOCOMP_VIEWER":   {Name: "viewer1", Display: "查看员一", Roles: []auth.Role{auth.Viewer}, Password: "Viewer-pass-2026"},
		"ECOCOMP_FINANCE":  {Name: "finance1", Display: "财务一", Roles: []auth.Role{auth.Finance}, Password: "Finance-pass-2026"},
		"ECOCOMP_SURVEYOR": {Name: "surveyor1", Display: "调查员一", Roles: []auth.Role{auth.Surveyor, auth.CaseOfficer}, Password: "Surveyor-pass-2026"},
		"ECOCOMP_NEWCOMER": {Name: "newcomer1", Display: "新同事", Roles: []auth.Role{auth.Viewer}, Password: "Initial-pass-2026", MustChange: true},
		"ECOCOMP_LOCKOUT":  {Name: "locked1", Display: "锁定测试", Roles: []auth.Role{auth.Viewer}, Password: "Locked-pass-2026"},
	}
	env := map[string]string{
		"ECOCOMP_URL":          public.URL,
		"ECOCOMP_URL_SIGNIN":   private.URL,
		"ECOCOMP_NEW_PASSWORD": "Changed-pass-2026!",
		"ECOCOMP_ROLL_YEAR":    strconv.Itoa(year),
	}
	for k, nu := range accounts {
		if _, err := users.CreateUser(ctx, nu); err != nil {
			t.Fatalf("create user %s: %v", nu.Name, err)
		}
		env[k] = nu.Name + ":" + nu.Password
	}

	// The roll as finance reads it (signed in like the browser) and as a visitor does.
	finance := signedInClient(t, public.URL, accounts["ECOCOMP_FINANCE"])
	county := readRoll(t, finance, public.URL, year, "")
	if county.Masked {
		t.Fatal("finance reads the roll masked")
	}
	// The township with the most rows: the browser pages through it.
	count := map[string]int{}
	township := ""
	for _, r := range county.Rows {
		count[r.TownshipCode]++
		if township == "" || count[r.TownshipCode] > count[township] {
			township = r.TownshipCode
		}
	}
	if count[township] <= 100 {
		t.Fatalf("the largest township roll has %d rows; the browser test needs more than 100 (seed more parcels)", count[township])
	}
	full := readRoll(t, finance, public.URL, year, township)
	masked := readRoll(t, http.DefaultClient, public.URL, year, township)
	if !masked.Masked || len(masked.Rows) != len(full.Rows) {
		t.Fatalf("the anonymous roll of %s: masked=%v with %d rows; finance has %d", township, masked.Masked, len(masked.Rows), len(full.Rows))
	}
	// A person's ID number on the first page and the same row as a visitor sees it (matched by
	// what masking leaves alone, not by position).
	var fullID, maskedID string
	for _, r := range full.Rows[:100] {
		if r.OwnerKind != "individual" || len(r.IDNumber) != 18 {
			continue
		}
		for _, m := range masked.Rows[:100] {
			if m.VillageCode == r.VillageCode && m.Program == r.Program && m.AreaMu.String() == r.AreaMu.String() &&
				m.Amount.String() == r.Amount.String() && m.IDNumber != "" && strings.HasSuffix(r.IDNumber, m.IDNumber[len(m.IDNumber)-4:]) {
				fullID, maskedID = r.IDNumber, m.IDNumber
				break
			}
		}
		if fullID != "" {
			break
		}
	}
	if fullID == "" || maskedID == fullID || !strings.Contains(maskedID, "*") {
		t.Fatalf("no person's ID number on the first page of %s's roll to compare (full %q, masked %q)", township, fullID, maskedID)
	}
	env["ECOCOMP_ROLL_TOWNSHIP"] = township
	env["ECOCOMP_ROLL_ID"] = fullID
	env["ECOCOMP_ROLL_ID_MASKED"] = maskedID

	runBrowserTest(t, ctx, "auth.test.mjs", chromium, env, func(out []byte) []byte {
		return bytes.ReplaceAll(out, []byte(fullID), []byte(maskedID)) // the log carries no personal data
	})

	// Finance's reads in the browser were audited: the JSON views and the downloads.
	var reads int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'pii.read' AND actor = 'finance1'`).Scan(&reads); err != nil {
		t.Fatalf("count finance's audited reads: %v", err)
	}
	// Two here (county and township), and in the browser one view and two downloads at least.
	if reads < 5 {
		t.Errorf("finance's unmasked reads left %d audit rows; want at least 5", reads)
	}
}

// signedInClient is an HTTP client holding the session of user, signed in as the browser does.
func signedInClient(t *testing.T, base string, user auth.NewUser) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar, Timeout: time.Minute}
	body, _ := json.Marshal(map[string]string{"username": user.Name, "password": user.Password})
	resp, err := c.Post(base+"/api/v1/session", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("sign in as %s: %s", user.Name, resp.Status)
	}
	return c
}

type webRoll struct {
	Masked bool `json:"masked"`
	Rows   []struct {
		TownshipCode string      `json:"township_code"`
		VillageCode  string      `json:"village_code"`
		OwnerKind    string      `json:"owner_kind"`
		IDNumber     string      `json:"id_number"`
		Program      string      `json:"program"`
		AreaMu       json.Number `json:"area_mu"`
		Amount       json.Number `json:"amount_yuan"`
	} `json:"rows"`
}

func readRoll(t *testing.T, c *http.Client, base string, year int, township string) webRoll {
	t.Helper()
	q := url.Values{"year": {strconv.Itoa(year)}, "format": {"json"}}
	if township != "" {
		q.Set("township", township)
	}
	resp, err := c.Get(base + "/api/v1/subsidy-roll?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("roll %s: %s", q.Encode(), resp.Status)
	}
	var r webRoll
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatalf("roll %s: %v", q.Encode(), err)
	}
	return r
}
