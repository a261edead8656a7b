package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wuyuan-forestry/ecocomp/internal/auth"
	"github.com/wuyuan-forestry/ecocomp/internal/config"
	"github.com/wuyuan-forestry/ecocomp/internal/httpapi"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
)

// userToken creates a user holding roles and returns an API token of theirs.
func userToken(t *testing.T, pool *pgxpool.Pool, name string, roles ...auth.Role) string {
	t.Helper()
	svc := auth.New(pool, config.Config{})
	if _, err := svc.CreateUser(context.Background(), auth.NewUser{Name: name, Roles: roles, Password: "Pass-word-2026"}); err != nil {
		t.Fatalf("create user %s: %v", name, err)
	}
	_, secret, err := svc.AddToken(context.Background(), name, "test", 0)
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

// send makes a request with a bearer token (none when "") and a JSON body (none when nil).
func send(t *testing.T, method, url, token string, body any) (*http.Response, []byte) {
	t.Helper()
	return sendWith(t, http.DefaultClient, method, url, token, body)
}

func sendWith(t *testing.T, c *http.Client, method, url, token string, body any) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// TestEveryRouteHasARule walks every route the router serves: each must have an entry in the
// access table, and the table must not name routes that do not exist.
func TestEveryRouteHasARule(t *testing.T) {
	t.Parallel()
	srv := httpapi.New(nil, discardLogger(), config.Config{})
	keys, err := httpapi.RouteKeys(srv)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) < 20 {
		t.Fatalf("the walk found only %d routes: %v", len(keys), keys)
	}
	for _, k := range keys {
		if !httpapi.HasRule(k) {
			t.Errorf("route %q has no entry in routeRules (internal/httpapi/access.go): say which role it needs", k)
		}
	}
	for _, k := range httpapi.RuleKeys() {
		if !slices.Contains(keys, k) {
			t.Errorf("routeRules names %q, which the router does not serve", k)
		}
	}
}

// TestRolesOnEachKindOfRoute asks every kind of route as every kind of caller: nobody (with
// public reading on and off), each role by API token, and the break-glass token.
func TestRolesOnEachKindOfRoute(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	loadGridN(t, pool, 2)
	const breakGlass = "break-glass-secret"
	public := httptest.NewServer(httpapi.New(pool, discardLogger(), config.Config{AdminToken: breakGlass}))
	t.Cleanup(public.Close)
	private := httptest.NewServer(httpapi.New(pool, discardLogger(), config.Config{AdminToken: breakGlass, RequireSignIn: true}))
	t.Cleanup(private.Close)

	tokens := map[string]string{"": "", "break-glass": breakGlass}
	for _, r := range auth.AllRoles {
		tokens[string(r)] = userToken(t, pool, "u-"+strings.ReplaceAll(string(r), "_", "-"), r)
	}
	routes := []struct {
		kind, method, path string
		body               any
		allowed            []string // callers let through; "anon" is nobody while reading is public
	}{
		{"health", "GET", "/healthz", nil, []string{"anon", "anon-private", "viewer", "surveyor", "case_officer", "finance", "admin", "break-glass"}},
		{"map page", "GET", "/", nil, []string{"anon", "anon-private", "viewer", "surveyor", "case_officer", "finance", "admin", "break-glass"}},
		{"read", "GET", "/api/v1/parcels/" + gridCode(0, 0), nil, []string{"anon", "viewer", "surveyor", "case_officer", "finance", "admin", "break-glass"}},
		{"tiles", "GET", "/tiles/parcels.json", nil, []string{"anon", "viewer", "surveyor", "case_officer", "finance", "admin", "break-glass"}},
		{"ogc", "GET", "/ogc/collections", nil, []string{"anon", "viewer", "surveyor", "case_officer", "finance", "admin", "break-glass"}},
		{"computation", "POST", "/api/v1/zone-check", map[string]any{"activity": "nonsense", "geometry": nil}, []string{"anon", "viewer", "surveyor", "case_officer", "finance", "admin", "break-glass"}},
		{"self", "GET", "/api/v1/me", nil, []string{"viewer", "surveyor", "case_officer", "finance", "admin", "break-glass"}},
		{"import report", "GET", "/api/v1/imports/999", nil, []string{"surveyor", "admin", "break-glass"}},
		{"import cancel", "DELETE", "/api/v1/imports/999", nil, []string{"surveyor", "admin", "break-glass"}},
		{"owner search", "POST", "/api/v1/owners/search", map[string]any{"id_number": "x"}, []string{"case_officer", "finance", "admin", "break-glass"}},
	}
	for _, rt := range routes {
		for _, caller := range []string{"anon", "anon-private", "viewer", "surveyor", "case_officer", "finance", "admin", "break-glass"} {
			base, token := public.URL, tokens[caller]
			switch caller {
			case "anon":
				token = ""
			case "anon-private":
				base, token = private.URL, ""
			}
			resp, body := send(t, rt.method, base+rt.path, token, rt.body)
			refused := resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden
			want := slices.Contains(rt.allowed, caller)
			if refused == want {
				t.Errorf("%s %s (%s) as %s: %d %s; want it %s", rt.method, rt.path, rt.kind, caller, resp.StatusCode, body,
					map[bool]string{true: "allowed", false: "refused"}[want])
				continue
			}
			if refused {
				wantStatus := http.StatusForbidden
				if token == "" {
					wantStatus = http.StatusUnauthorized
				}
				if resp.StatusCode != wantStatus || resp.Header.Get("Content-Type") != "application/problem+json" {
					t.Errorf("%s %s as %s: %d %s; want %d as problem+json", rt.method, rt.path, caller, resp.StatusCode,
						resp.Header.Get("Content-Type"), wantStatus)
				}
			}
		}
	}
}

// signIn posts a user name and password with a cookie jar and returns the client and response.
func signIn(t *testing.T, url, name, password string) (*http.Client, *http.Response, []byte) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, body := sendWith(t, c, http.MethodPost, url+"/api/v1/session", "", map[string]string{"username": name, "password": password})
	return c, resp, body
}

// TestSignInSignOutIdleAndDisable: a session cookie with the right attributes, who am I, sign-out,
// an idle session ended, a disabled user shut out at once (session and token).
func TestSignInSignOutIdleAndDisable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t)
	svc := auth.New(pool, config.Config{})
	if _, err := svc.CreateUser(ctx, auth.NewUser{Name: "zhang.san", Display: "张三", Roles: []auth.Role{auth.Finance, auth.Viewer}, Password: "Zhang-pass-2026"}); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(httpapi.New(pool, discardLogger(), config.Config{RequireSignIn: true}))
	t.Cleanup(ts.Close)

	c, resp, body := signIn(t, ts.URL, "zhang.san", "Zhang-pass-2026")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("sign-in: %d %s", resp.StatusCode, body)
	}
	var cookie *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == "ecocomp_session" {
			cookie = ck
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode || cookie.Secure || len(cookie.Value) < 40 {
		t.Fatalf("session cookie %+v; want HttpOnly, SameSite=Strict, not Secure over plain HTTP, a long random value", cookie)
	}
	var who struct {
		Name    string   `json:"name"`
		Display string   `json:"display_name"`
		Roles   []string `json:"roles"`
	}
	resp, body = sendWith(t, c, http.MethodGet, ts.URL+"/api/v1/me", "", nil)
	if err := json.Unmarshal(body, &who); err != nil || resp.StatusCode != 200 || who.Name != "zhang.san" || who.Display != "张三" ||
		!slices.Equal(who.Roles, []string{"finance", "viewer"}) {
		t.Fatalf("me: %d %s", resp.StatusCode, body)
	}
	// The cookie works for reads while sign-in is required; no cookie does not.
	if resp, body = sendWith(t, c, http.MethodGet, ts.URL+"/tiles/parcels.json", "", nil); resp.StatusCode != 200 {
		t.Errorf("tiles with a session: %d %s", resp.StatusCode, body)
	}
	resp, body = get(t, ts.URL+"/tiles/parcels.json")
	wantProblem(t, resp, body, http.StatusUnauthorized, "requires sign-in")

	// Over TLS (as a proxy reports it) the cookie is Secure.
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/api/v1/session", strings.NewReader(`{"username":"zhang.san","password":"Zhang-pass-2026"}`))
	req.Header.Set("X-Forwarded-Proto", "https")
	tlsResp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	tlsResp.Body.Close()
	if cks := tlsResp.Cookies(); len(cks) != 1 || !cks[0].Secure {
		t.Errorf("cookie over TLS: %+v; want Secure", cks)
	}

	// A write with the cookie from another site's page is refused.
	req, _ = http.NewRequest(http.MethodPut, ts.URL+"/api/v1/me/password", strings.NewReader(`{"current":"x","new":"y"}`))
	req.Header.Set("Origin", "http://evil.example")
	evil, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	evil.Body.Close()
	if evil.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin write with the session cookie: %d; want 403", evil.StatusCode)
	}

	// Sign-out ends the session on the server, not only in the browser.
	resp, _ = sendWith(t, c, http.MethodDelete, ts.URL+"/api/v1/session", "", nil)
	if resp.StatusCode != http.StatusNoContent {
		t.Errorf("sign-out: %d", resp.StatusCode)
	}
	replay := &http.Client{}
	req, _ = http.NewRequest(http.MethodGet, ts.URL+"/api/v1/me", nil)
	req.AddCookie(&http.Cookie{Name: "ecocomp_session", Value: cookie.Value})
	if r, err := replay.Do(req); err != nil || r.StatusCode != http.StatusUnauthorized {
		t.Errorf("the signed-out cookie replayed: %v %v; want 401", r.StatusCode, err)
	}

	// Idle for longer than the timeout (30 min by default): the session is over.
	c, resp, _ = signIn(t, ts.URL, "zhang.san", "Zhang-pass-2026")
	if resp.StatusCode != 200 {
		t.Fatal(resp.Status)
	}
	if _, err := pool.Exec(ctx, `UPDATE user_session SET last_seen_at = now() - interval '29 minutes' WHERE ended_at IS NULL`); err != nil {
		t.Fatal(err)
	}
	if resp, body = sendWith(t, c, http.MethodGet, ts.URL+"/api/v1/me", "", nil); resp.StatusCode != 200 {
		t.Errorf("after 29 idle minutes: %d %s; want still signed in", resp.StatusCode, body)
	}
	if _, err := pool.Exec(ctx, `UPDATE user_session SET last_seen_at = now() - interval '31 minutes' WHERE ended_at IS NULL`); err != nil {
		t.Fatal(err)
	}
	resp, body = sendWith(t, c, http.MethodGet, ts.URL+"/api/v1/me", "", nil)
	wantProblem(t, resp, body, http.StatusUnauthorized, "nobody is signed in")

	// Disabling a user ends their session and stops their tokens at once.
	c, _, _ = signIn(t, ts.URL, "zhang.san", "Zhang-pass-2026")
	_, token, err := svc.AddToken(ctx, "zhang.san", "script", 0)
	if err != nil {
		t.Fatal(err)
	}
	if resp, _ = send(t, http.MethodGet, ts.URL+"/api/v1/me", token, nil); resp.StatusCode != 200 {
		t.Fatalf("token before disabling: %d", resp.StatusCode)
	}
	if err := svc.DisableUser(ctx, "zhang.san"); err != nil {
		t.Fatal(err)
	}
	if resp, _ = sendWith(t, c, http.MethodGet, ts.URL+"/api/v1/me", "", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("session of a disabled user: %d; want 401", resp.StatusCode)
	}
	if resp, _ = send(t, http.MethodGet, ts.URL+"/api/v1/me", token, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("token of a disabled user: %d; want 401", resp.StatusCode)
	}
	_, resp, body = signIn(t, ts.URL, "zhang.san", "Zhang-pass-2026")
	wantProblem(t, resp, body, http.StatusForbidden, "disabled")

	var rows []string
	r, err := pool.Query(ctx, `SELECT action || ':' || outcome FROM audit_log WHERE entity_id = 'zhang.san' ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	for r.Next() {
		var s string
		_ = r.Scan(&s)
		rows = append(rows, s)
	}
	want := []string{"user.create:ok", "session.create:ok", "session.create:ok", "session.end:ok", "session.create:ok",
		"session.create:ok", "user.disable:ok", "session.create:denied"}
	if !slices.Equal(rows, want) {
		t.Errorf("audit rows of zhang.san:\n got %v\nwant %v", rows, want)
	}
}

// TestLockout: five wrong passwords in the window lock the account, even fired all at once; the
// right password is then refused with 429 and Retry-After until an administrator unlocks it.
func TestLockout(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t)
	svc := auth.New(pool, config.Config{})
	if _, err := svc.CreateUser(ctx, auth.NewUser{Name: "li.si", Roles: []auth.Role{auth.Viewer}, Password: "Li-si-pass-2026"}); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(httpapi.New(pool, discardLogger(), config.Config{}))
	t.Cleanup(ts.Close)

	var wg sync.WaitGroup
	statuses := make(chan int, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, resp, _ := signIn(t, ts.URL, "li.si", fmt.Sprintf("wrong-%d", i))
			statuses <- resp.StatusCode
		}()
	}
	wg.Wait()
	close(statuses)
	count := map[int]int{}
	for s := range statuses {
		count[s]++
	}
	if count[http.StatusUnauthorized] != 5 || count[http.StatusTooManyRequests] != 15 {
		t.Errorf("20 simultaneous wrong passwords answered %v; want 5 × 401 then 15 × 429", count)
	}
	var failures int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM login_attempt WHERE NOT ok`).Scan(&failures); err != nil || failures != 5 {
		t.Errorf("%d password checks recorded as failed (%v); want exactly 5: a locked account is not checked", failures, err)
	}
	_, resp, body := signIn(t, ts.URL, "li.si", "Li-si-pass-2026")
	wantProblem(t, resp, body, http.StatusTooManyRequests, "locked")
	if ra := resp.Header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Errorf("Retry-After = %q; want the seconds until the lock lifts", ra)
	}
	var locked, denied int
	if err := pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE action = 'user.locked'), count(*) FILTER (WHERE outcome = 'denied')
		FROM audit_log WHERE entity_id = 'li.si'`).Scan(&locked, &denied); err != nil {
		t.Fatal(err)
	}
	if locked != 1 || denied != 21 {
		t.Errorf("audit: %d lock rows, %d denied sign-ins; want 1 and 21", locked, denied)
	}
	if err := svc.UnlockUser(ctx, "li.si"); err != nil {
		t.Fatal(err)
	}
	if _, resp, body = signIn(t, ts.URL, "li.si", "Li-si-pass-2026"); resp.StatusCode != http.StatusOK {
		t.Errorf("after unlock: %d %s", resp.StatusCode, body)
	}
	// An unknown name is as wrong as a wrong password, and says nothing more.
	_, resp, body = signIn(t, ts.URL, "nobody", "whatever-pass")
	wantProblem(t, resp, body, http.StatusUnauthorized, "user name or password is wrong")
}

// TestOneTimePasswordMustBeChanged: an account created with a one-time password may only change
// it; the new one must pass the rules; then everything its roles allow works.
func TestOneTimePasswordMustBeChanged(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t)
	svc := auth.New(pool, config.Config{})
	_, once, err := svc.CreateUserOneTime(ctx, "wang.wu", "王五", []auth.Role{auth.Viewer})
	if err != nil {
		t.Fatal(err)
	}
	if svc.Rules().Check(once, "wang.wu") != nil {
		t.Fatalf("generated password %q breaks the rules", once)
	}
	ts := httptest.NewServer(httpapi.New(pool, discardLogger(), config.Config{}))
	t.Cleanup(ts.Close)
	c, resp, body := signIn(t, ts.URL, "wang.wu", once)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"must_change_password":true`) {
		t.Fatalf("sign-in with the one-time password: %d %s", resp.StatusCode, body)
	}
	resp, body = sendWith(t, c, http.MethodGet, ts.URL+"/tiles/parcels.json", "", nil)
	wantProblem(t, resp, body, http.StatusForbidden, "change it first")
	resp, body = sendWith(t, c, http.MethodPut, ts.URL+"/api/v1/me/password", "", map[string]string{"current": once, "new": "short"})
	wantProblem(t, resp, body, http.StatusBadRequest, "at least 10")
	resp, body = sendWith(t, c, http.MethodPut, ts.URL+"/api/v1/me/password", "", map[string]string{"current": once, "new": "alllowercaseletters"})
	wantProblem(t, resp, body, http.StatusBadRequest, "kinds of character")
	resp, body = sendWith(t, c, http.MethodPut, ts.URL+"/api/v1/me/password", "", map[string]string{"current": "wrong", "new": "Wang-wu-pass-2026"})
	wantProblem(t, resp, body, http.StatusBadRequest, "current password is wrong")
	if resp, body = sendWith(t, c, http.MethodPut, ts.URL+"/api/v1/me/password", "", map[string]string{"current": once, "new": "Wang-wu-pass-2026"}); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("change password: %d %s", resp.StatusCode, body)
	}
	if resp, body = sendWith(t, c, http.MethodGet, ts.URL+"/tiles/parcels.json", "", nil); resp.StatusCode != 200 {
		t.Errorf("after the change: %d %s", resp.StatusCode, body)
	}
	var denied int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'password.change' AND outcome = 'denied'`).Scan(&denied); err != nil || denied != 3 {
		t.Errorf("%d refused password changes audited (%v); want 3", denied, err)
	}
}

// TestTokensExpireAndRevoke: a token works until it expires or is revoked, and records its use.
func TestTokensExpireAndRevoke(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t)
	svc := auth.New(pool, config.Config{})
	if _, err := svc.CreateUser(ctx, auth.NewUser{Name: "script", Roles: []auth.Role{auth.Surveyor}, Password: "Nightly-pass-2026"}); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(httpapi.New(pool, discardLogger(), config.Config{RequireSignIn: true}))
	t.Cleanup(ts.Close)
	expiring, secret1, err := svc.AddToken(ctx, "script", "nightly export", 90*24*3600e9)
	if err != nil {
		t.Fatal(err)
	}
	revoked, secret2, err := svc.AddToken(ctx, "script", "old laptop", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{secret1, secret2} {
		if resp, body := send(t, http.MethodGet, ts.URL+"/api/v1/me", s, nil); resp.StatusCode != 200 {
			t.Fatalf("fresh token: %d %s", resp.StatusCode, body)
		}
	}
	if _, err := pool.Exec(ctx, `UPDATE api_token SET expires_at = now() - interval '1 second' WHERE id = $1`, expiring.ID); err != nil {
		t.Fatal(err)
	}
	if err := svc.RevokeToken(ctx, revoked.ID); err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]string{"expired": secret1, "revoked": secret2} {
		resp, body := send(t, http.MethodGet, ts.URL+"/api/v1/me", s, nil)
		wantProblem(t, resp, body, http.StatusUnauthorized, "unknown, revoked or expired")
		if !strings.Contains(resp.Header.Get("WWW-Authenticate"), "invalid_token") {
			t.Errorf("%s token: WWW-Authenticate %q", name, resp.Header.Get("WWW-Authenticate"))
		}
	}
	list, err := svc.ListTokens(ctx, "script")
	if err != nil || len(list) != 2 || list[0].LastUsed == nil || list[1].RevokedAt == nil {
		t.Errorf("token list %+v (%v); want both used, the second revoked", list, err)
	}
	var stored int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM api_token WHERE position(convert_to($1, 'UTF8') in token_hash) > 0`, secret1).Scan(&stored); err != nil || stored != 0 {
		t.Errorf("the token is stored in clear (%d, %v)", stored, err)
	}
}
