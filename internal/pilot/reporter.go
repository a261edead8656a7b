package pilot

import (
	"context"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/audit"
	"github.com/wuyuan-forestry/ecocomp/internal/auth"
)

// subject is what the units responsible for it report on: an indicator's progress or a task's
// status, with the words its refusals use.
type subject struct {
	table  string // pilot_indicator or pilot_task (a fixed name, never input)
	noun   string // "indicator", "task"
	label  string // how a refusal names it before its code: "" or "task "
	action string // the audit action
	does   string // "writes its progress"
	verb   string // "enter", "report"
}

var (
	indicatorSubject = subject{table: "pilot_indicator", noun: "indicator", action: "pilot.entry", does: "writes its progress", verb: "enter"}
	taskSubject      = subject{table: "pilot_task", noun: "task", label: "task ", action: "pilot.task", does: "reports its status", verb: "report"}
)

// reporter is the unit for which who reports on code of s in plan version v: the caller's one
// unit among the subject's lead and partner units, or the one reqUnit names when the caller
// belongs to several. A caller of none of them, or naming a unit that is not theirs, is refused
// (403) and the refusal audited; an unknown code is 404.
func reporter(ctx context.Context, pool *pgxpool.Pool, who auth.Principal, v Version, s subject, code, reqUnit string) (string, error) {
	var units []string
	err := pool.QueryRow(ctx, `SELECT lead_unit || partner_units FROM `+s.table+` WHERE version_id = $1 AND code = $2`, v.id, code).Scan(&units)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", apperr.New(apperr.NotFound, "the pilot plan %s has no %s %q", v.Version, s.noun, code)
	}
	if err != nil {
		return "", err
	}
	var mine []string
	if who.Actor.UserID > 0 {
		if err := pool.QueryRow(ctx, `SELECT coalesce(array_agg(unit_code ORDER BY unit_code), '{}') FROM pilot_member WHERE user_id = $1 AND unit_code = ANY($2)`,
			who.Actor.UserID, units).Scan(&mine); err != nil {
			return "", err
		}
	}
	unit := strings.TrimSpace(reqUnit)
	refuse := func(format string, args ...any) (string, error) {
		e := apperr.New(apperr.Forbidden, format, args...)
		if aerr := audit.Record(ctx, pool, audit.Entry{Action: s.action, Entity: s.table, EntityID: code, Outcome: audit.Denied,
			Detail: map[string]any{"unit": unit, "reason": e.Error()}}); aerr != nil {
			return "", aerr
		}
		return "", e
	}
	switch {
	case len(mine) == 0:
		return refuse("only a member of the units responsible for %s%s (%s) %s; %s belongs to none of them (an administrator adds members with `ecocomp pilot member`)",
			s.label, code, strings.Join(units, ", "), s.does, who.Actor.String())
	case unit == "" && len(mine) == 1:
		return mine[0], nil
	case unit == "":
		return "", apperr.BadParam("unit", "you belong to %s: say for which unit you %s this", strings.Join(mine, " and "), s.verb)
	case !contains(mine, unit):
		return refuse("%s is not a member of the unit %q responsible for %s%s; yours: %s", who.Actor.String(), unit, s.label, code, strings.Join(mine, ", "))
	}
	return unit, nil
}
