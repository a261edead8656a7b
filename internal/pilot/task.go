package pilot

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/audit"
	"github.com/wuyuan-forestry/ecocomp/internal/auth"
)

// TaskUpdate is a task's status as one of its units reported it on a day, with a note and,
// optionally, the year's work plan it now follows.
type TaskUpdate struct {
	ID        int64     `json:"id"`
	Task      string    `json:"task"`
	Unit      Unit      `json:"unit"`
	Status    string    `json:"status"`
	On        string    `json:"on"`
	Note      string    `json:"note"`
	Plan      *PlanYear `json:"plan"`
	EnteredBy string    `json:"entered_by"`
	EnteredAt time.Time `json:"entered_at"`
}

// TaskUpdateRequest is an update as sent: Status an English key (not_started, in_progress,
// done, delayed) or its Chinese word; Unit may be empty when the caller belongs to only one of
// the task's units; PlanYear and PlanWork together, or neither.
type TaskUpdateRequest struct {
	Status   string `json:"status"`
	On       string `json:"on"`
	Note     string `json:"note"`
	Unit     string `json:"unit"`
	PlanYear int    `json:"plan_year"`
	PlanWork string `json:"plan_work"`
}

// UpdateStatuses are the statuses a unit reports ("unknown" is only the plan file's "not yet
// reported").
var UpdateStatuses = []string{"not_started", "in_progress", "done", "delayed"}

// statusWords are the Chinese words accepted for a status: the ledger's and the plan's usual ones.
var statusWords = map[string]string{
	"未开始": "not_started", "未启动": "not_started", "推进中": "in_progress", "进行中": "in_progress",
	"已完成": "done", "完成": "done", "滞后": "delayed",
}

// ParseStatus reads a reported status: an English key or a Chinese word.
func ParseStatus(s string) (string, error) {
	s = strings.TrimSpace(s)
	if contains(UpdateStatuses, s) {
		return s, nil
	}
	if k, ok := statusWords[s]; ok {
		return k, nil
	}
	return "", apperr.BadParam("status", "%q is not a task status: one of not_started (未启动), in_progress (进行中), done (已完成), delayed (滞后)", s)
}

// AddTaskUpdate stores a status update of task code for a member of its lead or partner units,
// audited as pilot.task; a caller of no such unit is refused (403) and the refusal audited.
func AddTaskUpdate(ctx context.Context, pool *pgxpool.Pool, who auth.Principal, code string, req TaskUpdateRequest) (*TaskUpdate, error) {
	v, err := current(ctx, pool)
	if err != nil {
		return nil, err
	}
	unit, err := reporter(ctx, pool, who, v, taskSubject, code, req.Unit)
	if err != nil {
		return nil, err
	}
	status, err := ParseStatus(req.Status)
	if err != nil {
		return nil, err
	}
	on, err := time.Parse(time.DateOnly, strings.TrimSpace(req.On))
	if err != nil {
		return nil, apperr.BadParam("on", "%q is not a date YYYY-MM-DD", req.On)
	}
	if on.After(time.Now().In(time.FixedZone("CST", 8*3600)).AddDate(0, 0, 1)) {
		return nil, apperr.BadParam("on", "%s is in the future: report the status as it stands by today", req.On)
	}
	note := strings.TrimSpace(req.Note)
	if len([]rune(note)) > 500 {
		return nil, apperr.BadParam("note", "longer than 500 characters")
	}
	work := strings.TrimSpace(req.PlanWork)
	var planYear *int
	var planWork *string
	switch {
	case req.PlanYear == 0 && work == "":
	case req.PlanYear < 2000 || req.PlanYear > 2100:
		return nil, apperr.BadParam("plan_year", "%d: the year (2000–2100) whose work plan plan_work gives", req.PlanYear)
	case work == "":
		return nil, apperr.BadParam("plan_work", "empty: give the year's work plan with plan_year, or neither")
	case len([]rune(work)) > 1000:
		return nil, apperr.BadParam("plan_work", "longer than 1000 characters")
	default:
		planYear, planWork = &req.PlanYear, &work
	}
	var id int64
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO pilot_task_update (task, unit_code, status, on_date, note, plan_year, plan_work, entered_by, user_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`, code, unit, status, on, note, planYear, planWork,
			who.Actor.String(), nullID(who.Actor.UserID)).Scan(&id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "pilot.task", Entity: "pilot_task", EntityID: code,
			Detail: map[string]any{"update": id, "unit": unit, "status": status, "on": on.Format(time.DateOnly), "plan_year": planYear}})
	})
	if err != nil {
		return nil, err
	}
	list, err := taskUpdates(ctx, pool, code)
	if err != nil {
		return nil, err
	}
	for i := range list {
		if list[i].ID == id {
			return &list[i], nil
		}
	}
	return nil, apperr.New(apperr.Internal, "the task update %d was stored but not read back", id)
}

// taskUpdates lists a task's updates, the latest first (by day, then by entry).
func taskUpdates(ctx context.Context, db Querier, code string) ([]TaskUpdate, error) {
	rows, err := db.Query(ctx, `SELECT x.id, x.task, x.unit_code, u.name, x.status, x.on_date, x.note, x.plan_year, x.plan_work, x.entered_by, x.entered_at
		FROM pilot_task_update x JOIN pilot_unit u ON u.code = x.unit_code WHERE x.task = $1 ORDER BY x.on_date DESC, x.id DESC`, code)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (TaskUpdate, error) {
		var x TaskUpdate
		var on time.Time
		var year *int
		var work *string
		err := r.Scan(&x.ID, &x.Task, &x.Unit.Code, &x.Unit.Name, &x.Status, &on, &x.Note, &year, &work, &x.EnteredBy, &x.EnteredAt)
		x.On = on.Format(time.DateOnly)
		if year != nil && work != nil {
			x.Plan = &PlanYear{Year: *year, Work: *work}
		}
		return x, err
	})
}

// applyUpdates sets a task's status from its latest update, replaces each year's work plan by
// the latest update that gives one, and lists the updates.
func applyUpdates(ctx context.Context, db Querier, t *BoardTask) error {
	ups, err := taskUpdates(ctx, db, t.Code)
	if err != nil {
		return err
	}
	t.Updates = ups
	if len(ups) == 0 {
		return nil
	}
	t.Latest = &ups[0]
	t.Status = ups[0].Status
	seen := map[int]bool{}
	for _, u := range ups {
		if u.Plan == nil || seen[u.Plan.Year] {
			continue
		}
		seen[u.Plan.Year] = true
		replaced := false
		for i := range t.Plan {
			if t.Plan[i].Year == u.Plan.Year {
				t.Plan[i].Work, replaced = u.Plan.Work, true
			}
		}
		if !replaced {
			t.Plan = append(t.Plan, *u.Plan)
		}
	}
	// Years in order.
	for i := 1; i < len(t.Plan); i++ {
		for j := i; j > 0 && t.Plan[j].Year < t.Plan[j-1].Year; j-- {
			t.Plan[j], t.Plan[j-1] = t.Plan[j-1], t.Plan[j]
		}
	}
	return nil
}
