// Package pilot is the pilot's indicator board (issue 17, point 4): the ecological comprehensive
// compensation pilot's indicators (target, year, lead and partner units) and tasks (lead and
// partner units, yearly work plan, status) as versioned data loaded from a JSON file
// (seeds/pilot/), and the progress entries the responsible units write, each with its evidence
// file, read back as the board and as the 工作台账 workbook.
//
// An entry is the indicator's value on a day — a level such as the fund's size, not an
// increment — so an indicator's progress is its latest entry against its target. Only a
// signed-in member of the indicator's lead or partner units writes one (pilot_member); every
// write and every refusal is audited.
package pilot

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/audit"
	pilotseeds "github.com/wuyuan-forestry/ecocomp/seeds/pilot"
)

// Querier is the part of a pool or transaction the reads need.
type Querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// File is a pilot plan file (seeds/pilot/*.json).
type File struct {
	Version     string      `json:"version"`
	Title       string      `json:"title"`
	Complete    bool        `json:"complete"`
	TasksInPlan int         `json:"tasks_in_plan"`
	Note        string      `json:"note"`
	Source      string      `json:"source"`
	Units       []UnitRef   `json:"units"`
	Indicators  []Indicator `json:"indicators"`
	Tasks       []Task      `json:"tasks"`
}

// UnitRef is a responsible unit.
type UnitRef struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// Indicator is one of the pilot's targets as the file states it.
type Indicator struct {
	Code         string      `json:"code"`
	Name         string      `json:"name"`
	Measure      string      `json:"measure"`
	Target       json.Number `json:"target"`
	Comparison   string      `json:"comparison"`
	Year         int         `json:"year"`
	LeadUnit     string      `json:"lead_unit"`
	PartnerUnits []string    `json:"partner_units"`
	Quote        string      `json:"quote"`
}

// Task is one of the pilot's tasks as the file states it.
type Task struct {
	Code         string     `json:"code"`
	Number       *int       `json:"number"`
	Title        string     `json:"title"`
	Quote        string     `json:"quote"`
	LeadUnit     string     `json:"lead_unit"`
	PartnerUnits []string   `json:"partner_units"`
	Plan         []PlanYear `json:"plan"`
	Status       string     `json:"status"`
}

// PlanYear is a task's work for one year.
type PlanYear struct {
	Year int    `json:"year"`
	Work string `json:"work"`
}

var (
	decimalForm   = regexp.MustCompile(`^[0-9]{1,14}(\.[0-9]{1,4})?$`)
	taskStatuses  = []string{"not_started", "in_progress", "done", "delayed", "unknown"}
	comparisons   = []string{"reach", "exceed"}
	versionForm   = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z._-]{0,39}$`)
	unitCodeForm  = regexp.MustCompile(`^[a-z][a-z0-9_]{1,31}$`)
	indicatorForm = regexp.MustCompile(`^[a-z][a-z0-9_]{1,39}$`)
	taskCodeForm  = regexp.MustCompile(`^[a-z][a-z0-9_-]{1,39}$`)
)

// Parse reads and checks a pilot file; every problem is named with where it is.
func Parse(raw []byte) (*File, error) {
	raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	var f File
	if err := dec.Decode(&f); err != nil {
		return nil, apperr.Wrap(apperr.Invalid, err, "the pilot file is not the expected JSON: %v", err)
	}
	var probs []string
	bad := func(format string, args ...any) { probs = append(probs, fmt.Sprintf(format, args...)) }
	if !versionForm.MatchString(f.Version) {
		bad("version %q: 1–40 letters, digits, dot, dash or underscore", f.Version)
	}
	if f.TasksInPlan <= 0 {
		bad("tasks_in_plan: how many tasks the plan has (25), a positive number")
	}
	if len(f.Tasks) > f.TasksInPlan && f.TasksInPlan > 0 {
		bad("tasks: %d listed but tasks_in_plan says %d", len(f.Tasks), f.TasksInPlan)
	}
	if f.Complete && len(f.Tasks) != f.TasksInPlan {
		bad("complete is true but %d of %d tasks are listed", len(f.Tasks), f.TasksInPlan)
	}
	units := map[string]bool{}
	for i, u := range f.Units {
		if !unitCodeForm.MatchString(u.Code) || strings.TrimSpace(u.Name) == "" {
			bad("units[%d]: a code of 2–32 lower-case letters, digits or _ and a name", i)
		}
		if units[u.Code] {
			bad("units[%d]: %s listed twice", i, u.Code)
		}
		units[u.Code] = true
	}
	checkUnits := func(where, lead string, partners []string) {
		if !units[lead] {
			bad("%s.lead_unit %q is not in units", where, lead)
		}
		for _, p := range partners {
			if !units[p] {
				bad("%s.partner_units: %q is not in units", where, p)
			}
		}
	}
	seen := map[string]bool{}
	for i, in := range f.Indicators {
		where := fmt.Sprintf("indicators[%d] (%s)", i, in.Code)
		if !indicatorForm.MatchString(in.Code) || seen[in.Code] {
			bad("%s: code must be 2–40 lower-case letters, digits or _, unique", where)
		}
		seen[in.Code] = true
		if strings.TrimSpace(in.Name) == "" || strings.TrimSpace(in.Measure) == "" {
			bad("%s: name and measure are required", where)
		}
		if !decimalForm.MatchString(in.Target.String()) || strings.Trim(in.Target.String(), "0.") == "" {
			bad("%s.target %q: a positive decimal with at most 4 places", where, in.Target)
		}
		if !contains(comparisons, in.Comparison) {
			bad("%s.comparison %q: reach (达到) or exceed (突破、以上)", where, in.Comparison)
		}
		if in.Year < 2000 || in.Year > 2100 {
			bad("%s.year %d: a year between 2000 and 2100", where, in.Year)
		}
		checkUnits(where, in.LeadUnit, in.PartnerUnits)
	}
	seen = map[string]bool{}
	numbers := map[int]bool{}
	for i, t := range f.Tasks {
		where := fmt.Sprintf("tasks[%d] (%s)", i, t.Code)
		if !taskCodeForm.MatchString(t.Code) || seen[t.Code] {
			bad("%s: code must be 2–40 lower-case letters, digits, _ or -, unique", where)
		}
		seen[t.Code] = true
		if t.Number != nil {
			if *t.Number < 1 || *t.Number > f.TasksInPlan || numbers[*t.Number] {
				bad("%s.number %d: between 1 and tasks_in_plan, unique", where, *t.Number)
			}
			numbers[*t.Number] = true
		}
		if strings.TrimSpace(t.Title) == "" {
			bad("%s: title is required", where)
		}
		if !contains(taskStatuses, t.Status) {
			bad("%s.status %q: one of %s", where, t.Status, strings.Join(taskStatuses, ", "))
		}
		for j, p := range t.Plan {
			if p.Year < 2000 || p.Year > 2100 || strings.TrimSpace(p.Work) == "" {
				bad("%s.plan[%d]: a year and the work planned for it", where, j)
			}
		}
		checkUnits(where, t.LeadUnit, t.PartnerUnits)
	}
	if len(probs) > 0 {
		return nil, apperr.New(apperr.Invalid, "the pilot file %s has %d problem(s): %s", f.Version, len(probs), strings.Join(probs, "; "))
	}
	return &f, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// checksum is the sha256 of the file's canonical JSON (keys sorted, no spaces).
func checksum(raw []byte) (string, error) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return "", err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// Loaded says what a load did.
type Loaded struct {
	ID      int64
	Version string
	Created bool // false: the identical file was loaded before
	Tasks   int
	OfTasks int
}

// Load stores a pilot file as a new version, audited as pilot.load. The identical file again
// writes nothing; the same label with other content is a conflict (load it under a new label).
// Units are added or renamed; none is removed (entries and members refer to them).
func Load(ctx context.Context, pool *pgxpool.Pool, raw []byte, source string) (Loaded, error) {
	f, err := Parse(raw)
	if err != nil {
		return Loaded{}, err
	}
	sum, err := checksum(raw)
	if err != nil {
		return Loaded{}, err
	}
	out := Loaded{Version: f.Version, Tasks: len(f.Tasks), OfTasks: f.TasksInPlan}
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('ecocomp pilot load'))`); err != nil {
			return err
		}
		var old string
		err := tx.QueryRow(ctx, `SELECT id, checksum FROM pilot_version WHERE version = $1`, f.Version).Scan(&out.ID, &old)
		if err == nil {
			if old != sum {
				return apperr.New(apperr.Conflict, "pilot version %s is loaded already with other content: give the changed file a new version label", f.Version)
			}
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		for _, u := range f.Units {
			if _, err := tx.Exec(ctx, `INSERT INTO pilot_unit (code, name) VALUES ($1, $2) ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name`, u.Code, u.Name); err != nil {
				return err
			}
		}
		actor := audit.ActorFrom(ctx)
		if err := tx.QueryRow(ctx, `INSERT INTO pilot_version (version, title, source, checksum, complete, tasks_in_plan, note, loaded_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, f.Version, f.Title, source, sum, f.Complete, f.TasksInPlan, f.Note, actor.String()).Scan(&out.ID); err != nil {
			return err
		}
		for i, in := range f.Indicators {
			if _, err := tx.Exec(ctx, `INSERT INTO pilot_indicator (version_id, code, seq, name, measure, target, comparison, year, lead_unit, partner_units, quote)
				VALUES ($1, $2, $3, $4, $5, $6::numeric, $7, $8, $9, $10, $11)`, out.ID, in.Code, i+1, in.Name, in.Measure, in.Target.String(), in.Comparison,
				in.Year, in.LeadUnit, orEmpty(in.PartnerUnits), in.Quote); err != nil {
				return err
			}
		}
		for i, t := range f.Tasks {
			plan, err := json.Marshal(orEmptyPlan(t.Plan))
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO pilot_task (version_id, code, seq, number, title, quote, lead_unit, partner_units, plan, status)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, out.ID, t.Code, i+1, t.Number, t.Title, t.Quote, t.LeadUnit, orEmpty(t.PartnerUnits),
				plan, t.Status); err != nil {
				return err
			}
		}
		out.Created = true
		return audit.Record(ctx, tx, audit.Entry{Action: "pilot.load", Entity: "pilot_version", EntityID: f.Version,
			Detail: map[string]any{"source": source, "checksum": sum, "indicators": len(f.Indicators), "tasks": len(f.Tasks),
				"tasks_in_plan": f.TasksInPlan, "complete": f.Complete}})
	})
	return out, err
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func orEmptyPlan(p []PlanYear) []PlanYear {
	if p == nil {
		return []PlanYear{}
	}
	return p
}

// LoadShipped loads every file in seeds/pilot (a no-op for versions loaded already).
func LoadShipped(ctx context.Context, pool *pgxpool.Pool) ([]Loaded, error) {
	var out []Loaded
	for _, name := range pilotseeds.Names() {
		raw, err := pilotseeds.File(name)
		if err != nil {
			return out, err
		}
		l, err := Load(ctx, pool, raw, "embedded seeds/pilot/"+name)
		if err != nil {
			return out, fmt.Errorf("seeds/pilot/%s: %w", name, err)
		}
		out = append(out, l)
	}
	return out, nil
}

// AddMember puts the account user in the pilot units (by code), audited as pilot.member.
func AddMember(ctx context.Context, pool *pgxpool.Pool, user string, units []string) error {
	if len(units) == 0 {
		return apperr.New(apperr.Invalid, "name at least one unit: `ecocomp pilot member USER UNIT…` (units: the codes in the pilot file)")
	}
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		var id int64
		if err := tx.QueryRow(ctx, `SELECT id FROM app_user WHERE name = $1`, user).Scan(&id); errors.Is(err, pgx.ErrNoRows) {
			return apperr.New(apperr.NotFound, "there is no account %q: create it with `ecocomp user add` first", user)
		} else if err != nil {
			return err
		}
		for _, u := range units {
			var ok bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pilot_unit WHERE code = $1)`, u).Scan(&ok); err != nil {
				return err
			}
			if !ok {
				return apperr.New(apperr.NotFound, "there is no pilot unit %q: load the pilot file first (`ecocomp pilot load --shipped`) and use a unit code it lists", u)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO pilot_member (user_id, unit_code, added_by) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
				id, u, audit.ActorFrom(ctx).String()); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "pilot.member", Entity: "app_user", EntityID: user, Detail: map[string]any{"units": units}})
	})
}
