package care

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
)

// Assignment is one period of a ranger on an area, as the history lists it: ranger by id only
// (the roster names them, masked or not by who reads it), days inclusive.
type Assignment struct {
	ID        int64     `json:"id"`
	Ranger    int64     `json:"ranger"`
	From      string    `json:"from"`
	To        string    `json:"to"`
	Current   bool      `json:"current"` // in force today (UTC+8)
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

// AreaHistory is every assignment an area has had, latest first.
type AreaHistory struct {
	Area        int64        `json:"area"`
	Code        string       `json:"code"`
	Assignments []Assignment `json:"assignments"`
}

// History answers an area's assignments, latest period first; past ones are kept, so this is
// who looked after the area when.
func History(ctx context.Context, db Querier, area int64) (AreaHistory, error) {
	h := AreaHistory{Area: area, Assignments: []Assignment{}}
	if err := db.QueryRow(ctx, `SELECT code FROM care_area WHERE id = $1`, area).Scan(&h.Code); errors.Is(err, pgx.ErrNoRows) {
		return h, apperr.New(apperr.NotFound, "there is no care area %d", area)
	} else if err != nil {
		return h, err
	}
	rows, err := db.Query(ctx, `SELECT id, ranger_id, lower(period)::text, (upper(period) - 1)::text,
		    period @> (now() AT TIME ZONE 'Asia/Shanghai')::date, created_by, created_at
		FROM care_assignment WHERE area_id = $1 ORDER BY lower(period) DESC, id DESC`, area)
	if err != nil {
		return h, err
	}
	defer rows.Close()
	for rows.Next() {
		var a Assignment
		if err := rows.Scan(&a.ID, &a.Ranger, &a.From, &a.To, &a.Current, &a.CreatedBy, &a.CreatedAt); err != nil {
			return h, err
		}
		h.Assignments = append(h.Assignments, a)
	}
	return h, rows.Err()
}
