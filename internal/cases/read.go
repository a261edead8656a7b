package cases

import (
	"context"
	"encoding/json"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/auth"
	"github.com/wuyuan-forestry/ecocomp/internal/policy"
	"github.com/wuyuan-forestry/ecocomp/internal/subsidy"
)

// Querier is a pool, connection or transaction.
type Querier = policy.Querier

// Get reads case id whole: parcels, history, objections, payments, documents, the schedule and
// the steps who may take next. Owner names are masked unless unmask.
func Get(ctx context.Context, db Querier, who Who, id int64, unmask bool) (*Case, error) {
	c := &Case{}
	r := &row{}
	var verification []byte
	var appraised, indicative *int64
	var appraiser, report, contract, registration, reason *string
	var overBudget bool
	err := db.QueryRow(ctx, `SELECT `+rowColumns+`, policy_version, opened_at, opened_by, updated_at, note, verification,
		appraised_fen, appraiser, appraisal_ref, contract_number, registration, reason, over_budget,
		(SELECT o.kind FROM owner o WHERE o.id = owner_id), (SELECT o.name FROM owner o WHERE o.id = owner_id)
		FROM buyout_case WHERE id = $1`, id).Scan(
		&r.id, &r.number, &r.mode, &r.status, &r.county, &r.version, &r.ownerID, &r.noticeStart, &r.noticeDays,
		&r.signedOn, &r.startsOn, &r.endsOn, &r.priceFen, &r.yearlyFen, &r.indicative, &r.termYears, &r.transferredOn,
		&c.PolicyVersion, &c.OpenedAt, &c.OpenedBy, &c.UpdatedAt, &c.Note, &verification,
		&appraised, &appraiser, &report, &contract, &registration, &reason, &overBudget, &c.Owner.Kind, &c.Owner.Name)
	if err == pgx.ErrNoRows {
		return nil, apperr.New(apperr.NotFound, "there is no case %d", id)
	}
	if err != nil {
		return nil, err
	}
	indicative = r.indicative
	c.ID, c.Number, c.Mode, c.ModeLabel, c.Status, c.Version, c.County = r.id, r.number, r.mode, modeLabel(r.mode), r.status, r.version, r.county
	c.Owner.ID = r.ownerID
	maskOwner(&c.Owner, unmask)
	if verification != nil {
		v := json.RawMessage(verification)
		c.Verification = &v
	}
	if appraised != nil {
		a := &Appraisal{Appraised: policy.Fen(*appraised), Appraiser: deref(appraiser), Report: deref(report)}
		if indicative != nil {
			a.Indicative = policy.Fen(*indicative)
			if *indicative > 0 {
				d := math.Round(float64(*appraised-*indicative)/float64(*indicative)*1000) / 10
				a.DeviationPct = &d
			}
		}
		c.Appraisal = a
	}
	if r.noticeStart != nil && r.noticeDays != nil {
		c.Notice = &Notice{Start: r.noticeStart.Format(time.DateOnly), Days: *r.noticeDays,
			Ends: noticeEnds(*r.noticeStart, *r.noticeDays).AddDate(0, 0, -1).Format(time.DateOnly)}
	}
	today := Today()
	pol, polErr := casePolicy(ctx, db, today)
	if contract != nil {
		k := &Contract{Number: *contract, SignedOn: r.signedOn.Format(time.DateOnly), OverBudget: overBudget, TermYears: r.termYears}
		if r.priceFen != nil {
			v := policy.Fen(*r.priceFen)
			k.Price = &v
		}
		if r.yearlyFen != nil {
			v := policy.Fen(*r.yearlyFen)
			k.Yearly = &v
		}
		if r.startsOn != nil {
			k.StartsOn = r.startsOn.Format(time.DateOnly)
		}
		if r.endsOn != nil {
			k.EndsOn = r.endsOn.Format(time.DateOnly)
		}
		if polErr == nil {
			p := schedule(r, pol.Cases, today)
			k.Total, k.Schedule = policy.Fen(p.total), p.rows
			c.Due = policy.Fen(p.dueNow())
		}
		c.Contract = k
	}
	if r.transferredOn != nil {
		holder := ""
		if polErr == nil {
			holder = pol.Cases.Reserve.Name
		}
		c.Transfer = &Transfer{On: r.transferredOn.Format(time.DateOnly), Registration: deref(registration), Holder: holder}
	}
	c.Reason = deref(reason)
	if err := c.readParts(ctx, db); err != nil {
		return nil, err
	}
	for _, p := range c.Payments {
		c.Paid += p.Amount
	}
	for _, p := range c.Parcels {
		if p.Role == "offered" {
			c.AreaMu += p.AreaMu
		}
	}
	if polErr == nil {
		c.Payment = "lump"
		if pol.Cases.Yearly(r.mode) {
			c.Payment = "yearly"
		}
	}
	c.Next = nextSteps(r, who, c)
	return c, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// readParts reads the case's parcels, events, objections, payments and documents.
func (c *Case) readParts(ctx context.Context, db Querier) error {
	rows, err := db.Query(ctx, `SELECT cp.code, cp.role, cp.parcel_id, p.mian_ji::text, (p.mian_ji * 1500)::bigint,
		coalesce(tw.name, p.township_code), coalesce(vi.name, p.village_code), cp.open, coalesce(cp.frozen, 'null'::jsonb), cp.share_fen, cp.yearly_share_fen
		FROM case_parcel cp JOIN parcel p ON p.id = cp.parcel_id
		LEFT JOIN admin_unit tw ON tw.code = p.township_code LEFT JOIN admin_unit vi ON vi.code = p.village_code
		WHERE cp.case_id = $1 ORDER BY cp.role DESC, cp.code`, c.ID)
	if err != nil {
		return err
	}
	c.Parcels, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Parcel, error) {
		var p Parcel
		var centimu int64
		var share, yearly *int64
		err := r.Scan(&p.Code, &p.Role, &p.ParcelVersion, &p.MianJi, &centimu, &p.Township, &p.Village, &p.Open, &p.Frozen, &share, &yearly)
		p.AreaMu = subsidy.CentiMu(centimu)
		if share != nil {
			v := policy.Fen(*share)
			p.Share = &v
		}
		if yearly != nil {
			v := policy.Fen(*yearly)
			p.YearlyShare = &v
		}
		return p, err
	})
	if err != nil {
		return err
	}
	rows, err = db.Query(ctx, `SELECT version, action, coalesce(from_status, ''), to_status, at, actor, detail FROM case_event WHERE case_id = $1 ORDER BY version`, c.ID)
	if err != nil {
		return err
	}
	c.Events, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Event, error) {
		var e Event
		return e, r.Scan(&e.Version, &e.Action, &e.From, &e.To, &e.At, &e.Actor, &e.Detail)
	})
	if err != nil {
		return err
	}
	rows, err = db.Query(ctx, `SELECT id, raised_on, raised_by, text, recorded_by, resolved_at, resolved_by, resolution FROM case_objection WHERE case_id = $1 ORDER BY id`, c.ID)
	if err != nil {
		return err
	}
	c.Objections, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Objection, error) {
		var o Objection
		var on time.Time
		err := r.Scan(&o.ID, &on, &o.RaisedBy, &o.Text, &o.RecordedBy, &o.ResolvedAt, &o.ResolvedBy, &o.Resolution)
		o.RaisedOn = on.Format(time.DateOnly)
		return o, err
	})
	if err != nil {
		return err
	}
	rows, err = db.Query(ctx, `SELECT id, amount_fen, paid_on, voucher, reverses, recorded_by, recorded_at FROM case_payment WHERE case_id = $1 ORDER BY id`, c.ID)
	if err != nil {
		return err
	}
	c.Payments, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Payment, error) {
		var p Payment
		var amount int64
		var on time.Time
		err := r.Scan(&p.ID, &amount, &on, &p.Voucher, &p.Reverses, &p.RecordedBy, &p.RecordedAt)
		p.Amount, p.PaidOn = policy.Fen(amount), on.Format(time.DateOnly)
		return p, err
	})
	if err != nil {
		return err
	}
	rows, err = db.Query(ctx, `SELECT id, name, kind, media_type, size, sha256, uploaded_by, uploaded_at FROM case_document WHERE case_id = $1 ORDER BY id`, c.ID)
	if err != nil {
		return err
	}
	c.Documents, err = pgx.CollectRows(rows, pgx.RowToStructByPos[Document])
	return err
}

// nextSteps lists the states case r may move to, with whether who may take each step now.
func nextSteps(r *row, who Who, c *Case) []Step {
	if !open(r.status) {
		return []Step{}
	}
	var steps []Step
	add := func(to string, blocker string) {
		why := mayMove(r, who, to)
		if why == "" {
			why = blocker
		}
		steps = append(steps, Step{To: to, Allowed: why == "", Why: why})
	}
	next := forward(r.status, r.mode)
	blocker := ""
	switch next {
	case Signed:
		for _, o := range c.Objections {
			if o.ResolvedAt == nil {
				blocker = "an objection raised during the public notice is not resolved"
			}
		}
		if c.Notice != nil && blocker == "" && Today().Format(time.DateOnly) <= c.Notice.Ends {
			blocker = "the public notice runs until " + c.Notice.Ends
		}
	case Closed:
		if c.Contract != nil && r.status == Transferred && c.Paid != c.Contract.Total {
			blocker = "the contract is not paid in full"
		}
	}
	add(next, blocker)
	if beforeSigning(r.status) {
		add(Withdrawn, "")
	}
	if r.status != Transferred {
		add(Rejected, "")
	}
	return steps
}

// Filter selects cases for a list.
type Filter struct {
	Status, Mode, Township, Parcel string
}

// Summary is one case in a list.
type Summary struct {
	ID          int64           `json:"id"`
	Number      string          `json:"number"`
	Mode        string          `json:"mode"`
	ModeLabel   string          `json:"mode_label"`
	Status      string          `json:"status"`
	Version     int             `json:"version"`
	Owner       Owner           `json:"owner"`
	Parcels     []string        `json:"parcels"`
	Township    string          `json:"township"`
	Village     string          `json:"village"`
	AreaMu      subsidy.CentiMu `json:"area_mu"`
	Total       *policy.Fen     `json:"contract_yuan"`
	Paid        policy.Fen      `json:"paid_yuan"`
	OpenedAt    time.Time       `json:"opened_at"`
	UpdatedAt   time.Time       `json:"updated_at"`
	NoticeStart *string         `json:"notice_start,omitempty"`
}

// List lists the cases f selects, newest first, with the count per status of all cases the
// other filters select.
func List(ctx context.Context, db Querier, f Filter, unmask bool) ([]Summary, map[string]int, error) {
	if f.Status != "" && !slices.Contains(Statuses(), f.Status) {
		return nil, nil, apperr.BadParam("status", "%q is not a case status: use one of %s", f.Status, strings.Join(Statuses(), ", "))
	}
	if f.Mode != "" && !slices.Contains(policy.CaseModes(), f.Mode) {
		return nil, nil, apperr.BadParam("mode", "%q is not a case mode: use one of %s", f.Mode, strings.Join(policy.CaseModes(), ", "))
	}
	if f.Township != "" {
		var ok bool
		if err := db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM admin_unit WHERE level = 'township' AND (code = $1 OR name = $1))`, f.Township).Scan(&ok); err != nil {
			return nil, nil, err
		}
		if !ok {
			return nil, nil, apperr.BadParam("township", "no township has the code or name %q", f.Township)
		}
	}
	rows, err := db.Query(ctx, `WITH c AS (
		SELECT b.*, o.kind AS owner_kind, o.name AS owner_name,
			array_agg(cp.code ORDER BY cp.code) FILTER (WHERE cp.role = 'offered') AS codes,
			min(p.township_code) AS township_code, min(p.village_code) AS village_code,
			sum(p.mian_ji * 1500) FILTER (WHERE cp.role = 'offered') AS centimu
		FROM buyout_case b JOIN owner o ON o.id = b.owner_id
		JOIN case_parcel cp ON cp.case_id = b.id JOIN parcel p ON p.id = cp.parcel_id
		WHERE ($2 = '' OR b.mode = $2)
		GROUP BY b.id, o.kind, o.name
		HAVING ($4 = '' OR $4 = ANY(array_agg(cp.code))))
	SELECT c.id, c.number, c.mode, c.status, c.version, c.owner_id, c.owner_kind, c.owner_name, c.codes,
		coalesce(tw.name, c.township_code), coalesce(vi.name, c.village_code), coalesce(c.centimu, 0)::bigint,
		coalesce(c.price_fen, c.yearly_fen * c.term_years), (SELECT coalesce(sum(amount_fen), 0) FROM case_payment WHERE case_id = c.id),
		c.opened_at, c.updated_at, to_char(c.notice_start, 'YYYY-MM-DD'), c.status = $1 OR $1 = ''
	FROM c LEFT JOIN admin_unit tw ON tw.code = c.township_code LEFT JOIN admin_unit vi ON vi.code = c.village_code
	WHERE ($3 = '' OR c.township_code = $3 OR tw.name = $3)
	ORDER BY c.id DESC`, f.Status, f.Mode, f.Township, f.Parcel)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	list := []Summary{}
	counts := map[string]int{}
	for _, s := range Statuses() {
		counts[s] = 0
	}
	for rows.Next() {
		var s Summary
		var centimu, paid int64
		var total *int64
		var selected bool
		if err := rows.Scan(&s.ID, &s.Number, &s.Mode, &s.Status, &s.Version, &s.Owner.ID, &s.Owner.Kind, &s.Owner.Name, &s.Parcels,
			&s.Township, &s.Village, &centimu, &total, &paid, &s.OpenedAt, &s.UpdatedAt, &s.NoticeStart, &selected); err != nil {
			return nil, nil, err
		}
		counts[s.Status]++
		if !selected {
			continue
		}
		s.ModeLabel, s.AreaMu, s.Paid = modeLabel(s.Mode), subsidy.CentiMu(centimu), policy.Fen(paid)
		if total != nil {
			v := policy.Fen(*total)
			s.Total = &v
		}
		maskOwner(&s.Owner, unmask)
		list = append(list, s)
	}
	return list, counts, rows.Err()
}

// Held is one parcel the county's reserve holds, with its cost and the case it came from.
type Held struct {
	Code     string          `json:"code"`
	Township string          `json:"township"`
	Village  string          `json:"village"`
	MianJi   string          `json:"mian_ji"`
	AreaMu   subsidy.CentiMu `json:"area_mu"`
	Cost     *policy.Fen     `json:"cost_yuan"`
	Case     string          `json:"case"`
	CaseID   int64           `json:"case_id"`
	Mode     string          `json:"mode"`
	Since    string          `json:"since"`
}

// Reserve lists the current parcels held by the reserve the policy in force names, with the
// cost and the case each came through.
func Reserve(ctx context.Context, db Querier) ([]Held, policy.Fen, string, error) {
	pol, err := casePolicy(ctx, db, Today())
	if err != nil {
		return nil, 0, "", err
	}
	rows, err := db.Query(ctx, `SELECT p.code, coalesce(tw.name, p.township_code), coalesce(vi.name, p.village_code), p.mian_ji::text,
		(p.mian_ji * 1500)::bigint, cp.share_fen, b.number, b.id, b.mode, to_char(p.valid_from AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')
		FROM parcel p JOIN owner o ON o.id = p.owner_id AND o.kind = 'state' AND o.name = $1
		JOIN LATERAL (SELECT cp.* FROM case_parcel cp JOIN buyout_case b2 ON b2.id = cp.case_id
			WHERE cp.code = p.code AND cp.role = 'offered' AND b2.status IN ('transferred', 'closed') AND b2.mode IN ('buyout', 'exchange')
			ORDER BY b2.transferred_on DESC LIMIT 1) cp ON true
		JOIN buyout_case b ON b.id = cp.case_id
		LEFT JOIN admin_unit tw ON tw.code = p.township_code LEFT JOIN admin_unit vi ON vi.code = p.village_code
		WHERE p.valid_to IS NULL ORDER BY p.code`, pol.Cases.Reserve.Name)
	if err != nil {
		return nil, 0, "", err
	}
	var total policy.Fen
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Held, error) {
		var h Held
		var centimu int64
		var cost *int64
		err := r.Scan(&h.Code, &h.Township, &h.Village, &h.MianJi, &centimu, &cost, &h.Case, &h.CaseID, &h.Mode, &h.Since)
		h.AreaMu = subsidy.CentiMu(centimu)
		if cost != nil {
			v := policy.Fen(*cost)
			h.Cost = &v
			total += v
		}
		return h, err
	})
	if list == nil {
		list = []Held{}
	}
	return list, total, pol.Cases.Reserve.Name, err
}

// MayUnmask reports whether who may read owners' names in clear (finance).
func MayUnmask(who Who) bool { return who.has(auth.Finance) }

// Find returns the id of the case a person names: its number (WY-SM-2026-0001) or its id.
func Find(ctx context.Context, db Querier, ref string) (int64, error) {
	ref = strings.TrimSpace(ref)
	var id int64
	err := db.QueryRow(ctx, `SELECT id FROM buyout_case WHERE number = upper($1) OR id::text = $1`, ref).Scan(&id)
	if err == pgx.ErrNoRows {
		return 0, apperr.New(apperr.NotFound, "there is no case %q: give its number (e.g. WY-SM-2026-0001) or id; `ecocomp cases list` shows them", ref)
	}
	return id, err
}

// ReserveGeoJSON writes the reserve's current parcels as a GeoJSON FeatureCollection (EPSG:4490
// longitude/latitude, RFC 7946), each with its code, area, cost and origin case: the map's
// layer of forest the county holds.
func ReserveGeoJSON(ctx context.Context, db Querier) ([]byte, error) {
	pol, err := casePolicy(ctx, db, Today())
	if err != nil {
		return nil, err
	}
	var out []byte
	err = db.QueryRow(ctx, `SELECT json_build_object('type', 'FeatureCollection', 'holder', $1::text, 'features', coalesce(json_agg(json_build_object(
			'type', 'Feature', 'id', p.code, 'geometry', ST_AsGeoJSON(p.geom, 7)::json,
			'properties', json_build_object('code', p.code, 'mian_ji', p.mian_ji, 'area_mu', round(p.mian_ji * 15, 2),
				'case', b.number, 'case_id', b.id, 'mode', b.mode, 'cost_yuan', round(cp.share_fen / 100.0, 2))) ORDER BY p.code), '[]'))
		FROM parcel p JOIN owner o ON o.id = p.owner_id AND o.kind = 'state' AND o.name = $1
		JOIN LATERAL (SELECT cp.* FROM case_parcel cp JOIN buyout_case b2 ON b2.id = cp.case_id
			WHERE cp.code = p.code AND cp.role = 'offered' AND b2.status IN ('transferred', 'closed') AND b2.mode IN ('buyout', 'exchange')
			ORDER BY b2.transferred_on DESC LIMIT 1) cp ON true
		JOIN buyout_case b ON b.id = cp.case_id
		WHERE p.valid_to IS NULL`, pol.Cases.Reserve.Name).Scan(&out)
	return out, err
}
