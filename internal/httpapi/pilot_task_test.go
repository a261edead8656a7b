package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/wuyuan-forestry/ecocomp/internal/auth"
	"github.com/wuyuan-forestry/ecocomp/internal/pilot"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
)

// TestPilotTaskUpdates has the units report the status of task 1 of the shipped plan (推进林长制,
// led by 县林业局 with 县财政局 and 县乡村振兴局): the forestry bureau says 进行中 on 2026-03-31, the
// finance bureau 已完成 on 2026-09-30 with the 2027 work plan, then the forestry bureau — entered
// last but dated earlier — 滞后 on 2026-06-30. The task stands at 已完成 (the latest day counts),
// with the three updates newest day first and the plan of 2026 (the file's) and 2027 (finance's).
// The forestry bureau may not report the watershed task (led by 市生态环境局婺源分局), nor a viewer
// of no unit: 403, audited.
func TestPilotTaskUpdates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t)
	if _, err := pilot.LoadShipped(ctx, pool); err != nil {
		t.Fatal(err)
	}
	forester := userToken(t, pool, "forester1", auth.CaseOfficer)
	treasurer := userToken(t, pool, "treasurer1", auth.Finance)
	viewer := userToken(t, pool, "viewer1", auth.Viewer)
	for user, unit := range map[string]string{"forester1": "forestry", "treasurer1": "finance"} {
		if err := pilot.AddMember(ctx, pool, user, []string{unit}); err != nil {
			t.Fatal(err)
		}
	}
	ts := newPIIServer(t, pool, discardLogger(), "")
	updates := func(code string) string { return ts.URL + "/api/v1/pilot/tasks/" + code + "/updates" }
	for _, c := range []struct {
		name  string
		token string
		code  string
		body  map[string]any
		want  int
		words string
	}{
		{"forestry reports the watershed task", forester, "watershed", map[string]any{"status": "in_progress", "on": "2026-03-31"}, 403, "none of them"},
		{"a viewer of no unit", viewer, "forest-chief", map[string]any{"status": "done", "on": "2026-03-31"}, 403, "none of them"},
		{"a status not on the list", forester, "forest-chief", map[string]any{"status": "暂停", "on": "2026-03-31"}, 400, "status"},
		{"a day in the future", forester, "forest-chief", map[string]any{"status": "done", "on": "2099-01-01"}, 400, "in the future"},
		{"a plan year without its work", forester, "forest-chief", map[string]any{"status": "done", "on": "2026-03-31", "plan_year": 2027}, 400, "plan_work"},
		{"an unknown task", forester, "no-such", map[string]any{"status": "done", "on": "2026-03-31"}, 404, "no task"},
		{"a field the update has not", forester, "forest-chief", map[string]any{"status": "done", "on": "2026-03-31", "value": 1}, 400, "value"},
		{"forestry: 进行中", forester, "forest-chief", map[string]any{"status": "进行中", "on": "2026-03-31", "note": "责任区划定过半"}, 201,
			`"unit":{"code":"forestry","name":"县林业局"},"status":"in_progress","on":"2026-03-31","note":"责任区划定过半","plan":null`},
		{"finance: 已完成 with the 2027 plan", treasurer, "forest-chief", map[string]any{"status": "已完成", "on": "2026-09-30", "note": "资金已按村公示发放",
			"plan_year": 2027, "plan_work": "护林员年度考核与续聘"}, 201, `"status":"done","on":"2026-09-30","note":"资金已按村公示发放","plan":{"year":2027,"work":"护林员年度考核与续聘"}`},
		{"forestry: 滞后, dated earlier", forester, "forest-chief", map[string]any{"status": "delayed", "on": "2026-06-30", "note": "两个乡镇未落实"}, 201, `"status":"delayed"`},
	} {
		resp, b := send(t, "POST", updates(c.code), c.token, c.body)
		if resp.StatusCode != c.want || !strings.Contains(string(b), c.words) {
			t.Errorf("%s: %d %s; want %d with %q", c.name, resp.StatusCode, b, c.want, c.words)
		}
	}

	resp, b := send(t, "GET", ts.URL+"/api/v1/pilot/tasks", forester, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("tasks: %d %s", resp.StatusCode, b)
	}
	var tl struct {
		Statuses map[string]int `json:"statuses"`
		MyUnits  []pilot.Unit   `json:"my_units"`
		Tasks    []struct {
			Code    string             `json:"code"`
			Status  string             `json:"status"`
			Plan    []pilot.PlanYear   `json:"plan"`
			Latest  *pilot.TaskUpdate  `json:"latest"`
			Updates []pilot.TaskUpdate `json:"updates"`
		} `json:"tasks"`
	}
	if err := json.Unmarshal(b, &tl); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(tl.Statuses) != "map[done:1 unknown:4]" || fmt.Sprint(tl.MyUnits) != "[{forestry 县林业局}]" {
		t.Errorf("statuses %v, my units %v; want 1 done, 4 unknown, and forestry", tl.Statuses, tl.MyUnits)
	}
	task := tl.Tasks[0]
	var history []string
	for _, u := range task.Updates {
		by := u.EnteredBy // "token N (name)"
		if i := strings.Index(by, "("); i >= 0 {
			by = strings.Trim(by[i:], "()")
		}
		history = append(history, u.On+" "+u.Status+" "+u.Unit.Name+" "+by)
	}
	if task.Code != "forest-chief" || task.Status != "done" || task.Latest == nil || task.Latest.On != "2026-09-30" ||
		strings.Join(history, "; ") != "2026-09-30 done 县财政局 treasurer1; 2026-06-30 delayed 县林业局 forester1; 2026-03-31 in_progress 县林业局 forester1" ||
		fmt.Sprint(task.Plan) != "[{2026 管护责任区覆盖全部公益林和天然林，每个责任区落实护林员；公益林补偿资金按村公示后发放} {2027 护林员年度考核与续聘}]" {
		t.Errorf("task 1: %s %s, plan %v, history %q", task.Code, task.Status, task.Plan, history)
	}
	for _, other := range tl.Tasks[1:] {
		if other.Status != "unknown" || other.Latest != nil || len(other.Updates) != 0 {
			t.Errorf("task %s: %s with %d updates; want unknown, none", other.Code, other.Status, len(other.Updates))
		}
	}

	var ok, denied int
	if err := pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE outcome = 'ok'), count(*) FILTER (WHERE outcome = 'denied') FROM audit_log WHERE action = 'pilot.task'`).
		Scan(&ok, &denied); err != nil || ok != 3 || denied != 2 {
		t.Errorf("audit: %d updates written, %d refused (%v); want 3 and 2", ok, denied, err)
	}
	if _, err := pool.Exec(ctx, `UPDATE pilot_task_update SET status = 'not_started'`); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Errorf("editing an update: %v; want refused as append-only", err)
	}

	// The 工作台账's task sheet shows the latest update.
	resp, b = send(t, "GET", ts.URL+"/api/v1/pilot/ledger.xlsx", viewer, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("ledger: %d %s", resp.StatusCode, b)
	}
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("任务")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 8 || fmt.Sprint(rows[2][6:]) != "[状态 情况说明 更新日期 填报单位 填报人 更新次数]" {
		t.Fatalf("ledger tasks: %q", rows)
	}
	r := rows[3]
	if len(r) != 12 || r[2] != "推进林长制，整合管护责任区，健全生态护林员聘用制，规范公益林资金管理" ||
		r[5] != "2026年：管护责任区覆盖全部公益林和天然林，每个责任区落实护林员；公益林补偿资金按村公示后发放\n2027年：护林员年度考核与续聘" ||
		fmt.Sprint(r[6:10]) != "[已完成 资金已按村公示发放 2026-09-30 县财政局]" || !strings.Contains(r[10], "treasurer1") || r[11] != "3" {
		t.Errorf("ledger row of task 1: %q", r)
	}
	if r := rows[4]; len(r) < 12 || r[6] != "未填报" || r[7] != "" || r[11] != "0" {
		t.Errorf("ledger row of task 2 (no update): %q", r)
	}
}
