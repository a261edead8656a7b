package pilot

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
)

// Version is the loaded plan a board shows: the latest loaded version.
type Version struct {
	Version     string `json:"version"`
	Title       string `json:"title"`
	Complete    bool   `json:"complete"`
	TasksLoaded int    `json:"tasks_loaded"`
	TasksInPlan int    `json:"tasks_in_plan"`
	Note        string `json:"note"`
	LoadedAt    string `json:"loaded_at"`
	id          int64
}

// Unit is a responsible unit with its name.
type Unit struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// Entry is a progress entry as read back.
type Entry struct {
	ID        int64       `json:"id"`
	Indicator string      `json:"indicator"`
	Unit      Unit        `json:"unit"`
	On        string      `json:"on"`
	Value     json.Number `json:"value"`
	Note      string      `json:"note"`
	Evidence  *Evidence   `json:"evidence"`
	EnteredBy string      `json:"entered_by"`
	EnteredAt time.Time   `json:"entered_at"`
}

// Evidence describes an entry's attached file (fetched at its own URL).
type Evidence struct {
	Name   string `json:"name"`
	Media  string `json:"media_type"`
	Bytes  int    `json:"bytes"`
	SHA256 string `json:"sha256"`
	URL    string `json:"url"`
}

// BoardIndicator is an indicator against its target with its entries, latest first.
type BoardIndicator struct {
	Code         string      `json:"code"`
	Name         string      `json:"name"`
	Measure      string      `json:"measure"`
	Target       json.Number `json:"target"`
	Comparison   string      `json:"comparison"`
	Year         int         `json:"year"`
	LeadUnit     Unit        `json:"lead_unit"`
	PartnerUnits []Unit      `json:"partner_units"`
	Quote        string      `json:"quote"`
	Latest       *Entry      `json:"latest"`
	ProgressPct  json.Number `json:"progress_pct"` // latest value ÷ target, one decimal; 0 without entries
	Met          bool        `json:"met"`          // reach: latest ≥ target; exceed: latest > target
	Entries      []Entry     `json:"entries"`
}

// Board is GET /api/v1/pilot/indicators.
type Board struct {
	Version
	Indicators []BoardIndicator `json:"indicators"`
}

// BoardTask is a task as the board shows it.
type BoardTask struct {
	Code         string     `json:"code"`
	Number       *int       `json:"number"`
	Title        string     `json:"title"`
	Quote        string     `json:"quote"`
	LeadUnit     Unit       `json:"lead_unit"`
	PartnerUnits []Unit     `json:"partner_units"`
	Plan         []PlanYear `json:"plan"`
	Status       string     `json:"status"`
	// Latest is the update the status comes from (null: the plan file's status); Updates are
	// every update, the latest first.
	Latest  *TaskUpdate  `json:"latest"`
	Updates []TaskUpdate `json:"updates"`
}

// TaskList is GET /api/v1/pilot/tasks.
type TaskList struct {
	Version
	Statuses map[string]int `json:"statuses"`
	Tasks    []BoardTask    `json:"tasks"`
	// MyUnits are the pilot units of the caller (set by the HTTP handler): the tasks whose lead
	// or partner units include one of them take the caller's updates.
	MyUnits []Unit `json:"my_units"`
}

func current(ctx context.Context, db Querier) (Version, error) {
	var v Version
	var at time.Time
	err := db.QueryRow(ctx, `SELECT v.id, v.version, v.title, v.complete, v.tasks_in_plan, v.note, v.loaded_at,
		(SELECT count(*) FROM pilot_task t WHERE t.version_id = v.id)
		FROM pilot_version v ORDER BY v.loaded_at DESC, v.id DESC LIMIT 1`).Scan(&v.id, &v.Version, &v.Title, &v.Complete, &v.TasksInPlan, &v.Note, &at, &v.TasksLoaded)
	if errors.Is(err, pgx.ErrNoRows) {
		return v, apperr.New(apperr.NotFound, "no pilot plan is loaded: run `ecocomp pilot load --shipped` (or load a file)")
	}
	v.LoadedAt = at.Format(time.RFC3339)
	return v, err
}

const unitsOf = `coalesce((SELECT json_agg(json_build_object('code', u.code, 'name', u.name) ORDER BY array_position(%s, u.code))
	FROM pilot_unit u WHERE u.code = ANY(%s)), '[]')`

// Indicators is the board: every indicator of the current version against its target.
func Indicators(ctx context.Context, db Querier) (*Board, error) {
	v, err := current(ctx, db)
	if err != nil {
		return nil, err
	}
	b := &Board{Version: v, Indicators: []BoardIndicator{}}
	rows, err := db.Query(ctx, `SELECT i.code, i.name, i.measure, i.target::text, i.comparison, i.year, i.lead_unit, lu.name,
		`+sprintfUnits("i.partner_units")+`, i.quote
		FROM pilot_indicator i JOIN pilot_unit lu ON lu.code = i.lead_unit WHERE i.version_id = $1 ORDER BY i.seq`, v.id)
	if err != nil {
		return nil, err
	}
	b.Indicators, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (BoardIndicator, error) {
		var in BoardIndicator
		var partners []byte
		var target string
		err := r.Scan(&in.Code, &in.Name, &in.Measure, &target, &in.Comparison, &in.Year, &in.LeadUnit.Code, &in.LeadUnit.Name, &partners, &in.Quote)
		if err == nil {
			in.Target = json.Number(trimZeros(target))
			err = json.Unmarshal(partners, &in.PartnerUnits)
		}
		return in, err
	})
	if err != nil {
		return nil, err
	}
	for i := range b.Indicators {
		in := &b.Indicators[i]
		if in.Entries, err = entries(ctx, db, in.Code); err != nil {
			return nil, err
		}
		in.ProgressPct = "0.0"
		if len(in.Entries) > 0 {
			in.Latest = &in.Entries[0]
			var pct string
			if err := db.QueryRow(ctx, `SELECT round($1::numeric * 100 / $2::numeric, 1)::text, CASE WHEN $3 = 'reach' THEN $1::numeric >= $2::numeric ELSE $1::numeric > $2::numeric END`,
				in.Latest.Value.String(), in.Target.String(), in.Comparison).Scan(&pct, &in.Met); err != nil {
				return nil, err
			}
			in.ProgressPct = json.Number(pct)
		}
	}
	return b, nil
}

func sprintfUnits(col string) string {
	return sprintf(unitsOf, col, col)
}

// entries lists an indicator's entries, the latest day first.
func entries(ctx context.Context, db Querier, code string) ([]Entry, error) {
	rows, err := db.Query(ctx, `SELECT e.id, e.indicator, e.unit_code, u.name, e.on_date, e.value::text, e.note, e.evidence_name, e.evidence_media,
		octet_length(e.evidence), e.evidence_sha256, e.entered_by, e.entered_at
		FROM pilot_entry e JOIN pilot_unit u ON u.code = e.unit_code WHERE e.indicator = $1 ORDER BY e.on_date DESC, e.id DESC`, code)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Entry, error) {
		var e Entry
		var on time.Time
		var value string
		var name, media, sum *string
		var size *int
		err := r.Scan(&e.ID, &e.Indicator, &e.Unit.Code, &e.Unit.Name, &on, &value, &e.Note, &name, &media, &size, &sum, &e.EnteredBy, &e.EnteredAt)
		e.On = on.Format(time.DateOnly)
		e.Value = json.Number(trimZeros(value))
		if media != nil {
			e.Evidence = &Evidence{Name: deref(name), Media: *media, Bytes: derefInt(size), SHA256: deref(sum), URL: sprintf("/api/v1/pilot/entries/%d/evidence", e.ID)}
		}
		return e, err
	})
}

// Tasks lists the current version's tasks with a count per status.
func Tasks(ctx context.Context, db Querier) (*TaskList, error) {
	v, err := current(ctx, db)
	if err != nil {
		return nil, err
	}
	tl := &TaskList{Version: v, Statuses: map[string]int{}, Tasks: []BoardTask{}}
	rows, err := db.Query(ctx, `SELECT t.code, t.number, t.title, t.quote, t.lead_unit, lu.name, `+sprintfUnits("t.partner_units")+`, t.plan, t.status
		FROM pilot_task t JOIN pilot_unit lu ON lu.code = t.lead_unit WHERE t.version_id = $1 ORDER BY t.number NULLS LAST, t.seq`, v.id)
	if err != nil {
		return nil, err
	}
	tl.Tasks, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (BoardTask, error) {
		var t BoardTask
		var partners, plan []byte
		err := r.Scan(&t.Code, &t.Number, &t.Title, &t.Quote, &t.LeadUnit.Code, &t.LeadUnit.Name, &partners, &plan, &t.Status)
		if err == nil {
			err = json.Unmarshal(partners, &t.PartnerUnits)
		}
		if err == nil {
			err = json.Unmarshal(plan, &t.Plan)
		}
		return t, err
	})
	if err != nil {
		return nil, err
	}
	for i := range tl.Tasks {
		if err := applyUpdates(ctx, db, &tl.Tasks[i]); err != nil {
			return nil, err
		}
		tl.Statuses[tl.Tasks[i].Status]++
	}
	tl.MyUnits = []Unit{}
	return tl, nil
}

// MyUnits lists the pilot units the account userID belongs to.
func MyUnits(ctx context.Context, db Querier, userID int64) ([]Unit, error) {
	out := []Unit{}
	if userID <= 0 {
		return out, nil
	}
	rows, err := db.Query(ctx, `SELECT u.code, u.name FROM pilot_member m JOIN pilot_unit u ON u.code = m.unit_code WHERE m.user_id = $1 ORDER BY u.code`, userID)
	if err != nil {
		return nil, err
	}
	got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Unit])
	if err != nil {
		return nil, err
	}
	return append(out, got...), nil
}

// trimZeros writes a numeric(…, 4) without trailing zeros: "1.0000" → "1", "0.2500" → "0.25".
func trimZeros(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			for len(s) > i && (s[len(s)-1] == '0') {
				s = s[:len(s)-1]
			}
			if s[len(s)-1] == '.' {
				s = s[:len(s)-1]
			}
			break
		}
	}
	return s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func derefInt(n *int) int {
	if n == nil {
		return 0
	}
	return *n
}
