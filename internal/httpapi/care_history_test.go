package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/wuyuan-forestry/ecocomp/internal/auth"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
)

// TestCareAreaHistory: area A had 王护林 for the first half of last year and has 李巡山 from
// 1 July last year to the end of this year; an overlapping assignment is refused (409) and not
// listed. GET …/assignments lists both, latest first, 李巡山's as the one in force today, for a
// viewer too; an unknown area is 404.
func TestCareAreaHistory(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	loadGrid(t, pool)
	officer := userToken(t, pool, "hist.officer", auth.CaseOfficer)
	viewer := userToken(t, pool, "hist.viewer", auth.Viewer)
	ts := newPIIServer(t, pool, discardLogger(), "")

	year := time.Now().In(time.FixedZone("CST", 8*3600)).Year()
	last, end := fmt.Sprintf("%d-", year-1), fmt.Sprintf("%d-12-31", year)
	id := func(resp *http.Response, b []byte) int64 {
		t.Helper()
		var out struct {
			ID  int64   `json:"id"`
			IDs []int64 `json:"ids"`
		}
		if err := json.Unmarshal(b, &out); resp.StatusCode != http.StatusCreated || err != nil {
			t.Fatalf("%d %s", resp.StatusCode, b)
		}
		if len(out.IDs) > 0 {
			return out.IDs[0]
		}
		return out.ID
	}
	ranger := func(name, idn string) int64 {
		return id(send(t, "POST", ts.URL+"/api/v1/care/rangers", officer, map[string]any{"name": name, "id_number": idn,
			"village_code": "361130100001", "contract_from": last + "01-01", "contract_to": end, "yearly_pay_yuan": "12000.00"}))
	}
	r1, r2 := ranger("王护林", "36113019800101123X"), ranger("李巡山", "361130199002021234")
	area := id(send(t, "POST", ts.URL+"/api/v1/care/areas", officer, careArea(t, pool, "A", 583000, 3237000, 584000, 3237900)))
	url := fmt.Sprintf("%s/api/v1/care/areas/%d/assignments", ts.URL, area)
	a1 := id(send(t, "POST", url, officer, map[string]any{"ranger": r1, "from": last + "01-01", "to": last + "06-30"}))
	a2 := id(send(t, "POST", url, officer, map[string]any{"ranger": r2, "from": last + "07-01"}))
	if resp, b := send(t, "POST", url, officer, map[string]any{"ranger": r1, "from": last + "06-01", "to": last + "08-31"}); resp.StatusCode != http.StatusConflict {
		t.Fatalf("an overlapping assignment: %d %s; want 409", resp.StatusCode, b)
	}

	resp, b := send(t, "GET", url, viewer, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("history: %d %s", resp.StatusCode, b)
	}
	var h struct {
		Area        int64  `json:"area"`
		Code        string `json:"code"`
		Assignments []struct {
			ID      int64  `json:"id"`
			Ranger  int64  `json:"ranger"`
			From    string `json:"from"`
			To      string `json:"to"`
			Current bool   `json:"current"`
			By      string `json:"created_by"`
		} `json:"assignments"`
	}
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	if h.Area != area || h.Code != "A" || len(h.Assignments) != 2 {
		t.Fatalf("history of A: %s; want 2 assignments", b)
	}
	got, want := h.Assignments, []struct {
		id, ranger int64
		from, to   string
		current    bool
	}{{a2, r2, last + "07-01", end, true}, {a1, r1, last + "01-01", last + "06-30", false}}
	for i, w := range want {
		g := got[i]
		if g.ID != w.id || g.Ranger != w.ranger || g.From != w.from || g.To != w.to || g.Current != w.current || g.By == "" {
			t.Errorf("assignment %d: %+v; want id %d ranger %d %s–%s current %v, with who made it", i, g, w.id, w.ranger, w.from, w.to, w.current)
		}
	}
	if resp, b := send(t, "GET", fmt.Sprintf("%s/api/v1/care/areas/%d/assignments", ts.URL, area+100), viewer, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("an unknown area: %d %s; want 404", resp.StatusCode, b)
	}
	if resp, _ := send(t, "GET", url, "", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("signed out: %d; want 401", resp.StatusCode)
	}
}
