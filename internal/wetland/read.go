package wetland

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/xuri/excelize/v2"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/policy"
)

const projectColumns = `p.id, p.name, p.kind, p.credit_type, p.sponsor, p.baseline, p.status, p.version, p.policy_version, p.area_centimu,
	p.mu_per_credit, p.credits_centi, coalesce(a.name, ''), p.service_area, coalesce(p.county, ''), p.created_by, p.created_at,
	p.decided_by, p.decided_at, p.reason, p.milestones`

func scanProject(row pgx.Row) (Project, []policy.Milestone, error) {
	var p Project
	var steps []byte
	var steps2 []policy.Milestone
	err := row.Scan(&p.ID, &p.Name, &p.Kind, &p.CreditType, &p.Sponsor, &p.Baseline, &p.Status, &p.Version, &p.PolicyVersion, &p.AreaMu,
		&p.MuPerCredit, &p.Credits, &p.Area, &p.ServiceArea, &p.County, &p.CreatedBy, &p.CreatedAt, &p.DecidedBy, &p.DecidedAt, &p.Reason, &steps)
	if err == nil {
		err = json.Unmarshal(steps, &steps2)
	}
	return p, steps2, err
}

// Projects lists the projects (of one status when status is not ""), each with its balance and
// milestones.
func Projects(ctx context.Context, db Querier, status string) ([]Project, error) {
	rows, err := db.Query(ctx, `SELECT `+projectColumns+` FROM wetland_project p LEFT JOIN protected_area a ON a.id = p.area_id
		WHERE $1 = '' OR p.status = $1 ORDER BY p.id`, status)
	if err != nil {
		return nil, err
	}
	type withSteps struct {
		p     Project
		steps []policy.Milestone
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (withSteps, error) {
		p, s, err := scanProject(r)
		return withSteps{p, s}, err
	})
	if err != nil {
		return nil, err
	}
	out := make([]Project, 0, len(list))
	for _, x := range list {
		if err := complete(ctx, db, &x.p, x.steps); err != nil {
			return nil, err
		}
		out = append(out, x.p)
	}
	return out, nil
}

// GetProject is one project.
func GetProject(ctx context.Context, db Querier, id int64) (*Project, error) {
	p, steps, err := scanProject(db.QueryRow(ctx, `SELECT `+projectColumns+` FROM wetland_project p LEFT JOIN protected_area a ON a.id = p.area_id
		WHERE p.id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, apperr.New(apperr.NotFound, "there is no wetland-bank project %d", id)
	} else if err != nil {
		return nil, err
	}
	return &p, complete(ctx, db, &p, steps)
}

// complete adds a project's balance, kind label and milestones with their releases.
func complete(ctx context.Context, db Querier, p *Project, steps []policy.Milestone) error {
	var err error
	if p.Balance, err = projectBalance(ctx, db, p.ID); err != nil {
		return err
	}
	if pol, err := bankPolicy(ctx, db); err == nil {
		p.KindLabel = pol.WetlandBank.Rules.ProjectKinds[p.Kind].Name
	}
	done, err := releases(ctx, db, p.ID)
	if err != nil {
		return err
	}
	var asBuilt time.Time
	if r, ok := done["as_built"]; ok {
		asBuilt, _ = time.Parse(time.DateOnly, r.VerifiedOn)
	}
	var given int64
	p.Milestones = make([]MilestoneState, len(steps))
	for i, m := range steps {
		ms := MilestoneState{Milestone: m, Scheduled: Centi(shareOf(int64(p.Credits), m.Share))}
		if i == len(steps)-1 {
			ms.Scheduled = p.Credits - Centi(given)
		}
		given += int64(ms.Scheduled)
		if r, ok := done[m.ID]; ok {
			ms.Release = &r
		}
		if i > 0 && !asBuilt.IsZero() {
			ms.EarliestOn = asBuilt.AddDate(m.Years, 0, 0).Format(time.DateOnly)
		}
		p.Milestones[i] = ms
	}
	return nil
}

const debitColumns = `d.id, d.applicant, d.purpose, d.activity, d.status, d.version, d.policy_version, d.occupied_centimu, d.required_centi,
	d.lines, d.art21, coalesce(a.name, ''), d.service_area, coalesce(d.county, ''), d.created_by, d.created_at`

// Debits lists the debits (of one applicant when applicant is not "").
func Debits(ctx context.Context, db Querier, applicant string) ([]Debit, error) {
	return debits(ctx, db, `$1 = '' OR d.applicant = $1`, applicant)
}

// GetDebit is one debit with its sales.
func GetDebit(ctx context.Context, db Querier, id int64) (*Debit, error) {
	list, err := debits(ctx, db, `d.id = $1`, id)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, apperr.New(apperr.NotFound, "there is no wetland debit %d", id)
	}
	return &list[0], nil
}

func debits(ctx context.Context, db Querier, where string, arg any) ([]Debit, error) {
	rows, err := db.Query(ctx, `SELECT `+debitColumns+` FROM wetland_debit d LEFT JOIN protected_area a ON a.id = d.area_id
		WHERE `+where+` ORDER BY d.id`, arg)
	if err != nil {
		return nil, err
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Debit, error) {
		var d Debit
		var lines []byte
		err := r.Scan(&d.ID, &d.Applicant, &d.Purpose, &d.Activity, &d.Status, &d.Version, &d.PolicyVersion, &d.OccupiedMu, &d.Required,
			&lines, &d.Art21, &d.Area, &d.ServiceArea, &d.County, &d.CreatedBy, &d.CreatedAt)
		if err == nil {
			err = json.Unmarshal(lines, &d.Lines)
		}
		return d, err
	})
	if err != nil {
		return nil, err
	}
	for i := range list {
		d := &list[i]
		if d.Sales, err = sales(ctx, db, d.ID); err != nil {
			return nil, err
		}
		for _, s := range d.Sales {
			d.Retired += s.Credits
			d.Paid += s.Amount
		}
		d.Outstanding = d.Required - d.Retired
	}
	return list, nil
}

// sales are the sales of debit id, with their lines.
func sales(ctx context.Context, db Querier, id int64) ([]Sale, error) {
	rows, err := db.Query(ctx, `SELECT s.id, s.buyer, s.price_fen, s.reference_price_fen, s.appraiser, s.appraised_on, s.appraisal_report,
		s.credits_centi, s.amount_fen, s.fund, s.paid_on, s.voucher, s.recorded_by, s.recorded_at,
		(SELECT json_agg(json_build_object('project', l.project_id, 'name', p.name, 'credits', (l.centi / 100.0)::numeric(20, 2), 'amount_yuan', (l.fen / 100.0)::numeric(20, 2)) ORDER BY l.project_id)
		   FROM wetland_ledger l JOIN wetland_project p ON p.id = l.project_id WHERE l.sale_id = s.id AND l.kind = 'sale')
		FROM wetland_sale s WHERE s.debit_id = $1 ORDER BY s.id`, id)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Sale, error) {
		var s Sale
		var appraised, paid time.Time
		var lines []byte
		err := r.Scan(&s.ID, &s.Buyer, &s.Price, &s.ReferencePrice, &s.Appraiser, &appraised, &s.AppraisalReport, &s.Credits, &s.Amount,
			&s.Fund, &paid, &s.Voucher, &s.RecordedBy, &s.RecordedAt, &lines)
		if err != nil {
			return s, err
		}
		s.AppraisedOn, s.PaidOn = appraised.Format(time.DateOnly), paid.Format(time.DateOnly)
		if s.ReferencePrice > 0 {
			d := math.Round(float64(s.Price-s.ReferencePrice)/float64(s.ReferencePrice)*1000) / 10
			s.DeviationPct = &d
		}
		return s, json.Unmarshal(lines, &s.Lines)
	})
}

// Layers are the map layers the bank serves as GeoJSON, each one query.
var layers = map[string]string{
	"patches": `SELECT w.id, w.geom, json_build_object('code', w.code, 'type_code', w.type_code, 'type_name', t.name, 'class_name', t.class_name,
			'importance', w.importance, 'name', w.name, 'area_mu', round((ST_Area(ST_Transform(w.geom, 4548)) * 3 / 2000)::numeric, 2), 'demo', w.demo)
		FROM wetland_patch w JOIN wetland_type t ON t.code = w.type_code`,
	"projects": `SELECT p.id, p.geom, json_build_object('name', p.name, 'kind', p.kind, 'sponsor', p.sponsor, 'status', p.status,
			'area_mu', p.area_centimu / 100.0, 'credits', p.credits_centi / 100.0, 'service_area', p.service_area)
		FROM wetland_project p`,
	"debits": `SELECT d.id, d.geom, json_build_object('applicant', d.applicant, 'activity', d.activity, 'status', d.status,
			'occupied_mu', d.occupied_centimu / 100.0, 'credits_required', d.required_centi / 100.0, 'service_area', d.service_area)
		FROM wetland_debit d`,
}

// Layer is a map layer (patches, projects or debits) as a GeoJSON FeatureCollection (RFC 7946).
func Layer(ctx context.Context, db Querier, name string) ([]byte, error) {
	q, ok := layers[name]
	if !ok {
		return nil, apperr.New(apperr.NotFound, "there is no wetland layer %q: patches, projects or debits", name)
	}
	var out []byte
	err := db.QueryRow(ctx, `SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(json_build_object(
			'type', 'Feature', 'id', x.id, 'geometry', ST_AsGeoJSON(x.geom, 7)::json, 'properties', x.props) ORDER BY x.id), '[]'))
		FROM (`+q+`) AS x (id, geom, props)`).Scan(&out)
	return out, err
}

// WriteXLSX writes a statement as a workbook: a title, the entries with their running
// balances, and the totals.
func WriteXLSX(w io.Writer, st *Statement) error {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "台账"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	rows := [][]any{
		{"湿地银行台账 " + st.Subject},
		{"序号", "时间", "类型", "项目", "申请(占用)", "购买方", "信用(个)", "金额(元)", "可售余额", "已注销", "已缴入" + st.Fund, "说明", "经办"},
	}
	num := func(v int64) float64 { return float64(v) / 100 }
	for _, e := range st.Entries {
		rows = append(rows, []any{e.ID, e.At.In(china).Format("2006-01-02 15:04"), kindLabel(e.Kind, e.Bucket), ref(e.Project), ref(e.Debit), e.Buyer,
			num(int64(e.Credits)), num(int64(e.Amount)), num(int64(e.Available)), num(int64(e.Retired)), num(int64(e.Paid)), e.Note, e.Actor})
	}
	b := st.Balance
	rows = append(rows, []any{}, []any{"合计", "已签发", num(int64(b.Issued)), "已释放", num(int64(b.Released)), "已售出", num(int64(b.Sold)),
		"可售", num(int64(b.Available)), "已注销", num(int64(b.Retired)), "缴入基金(元)", num(int64(st.Paid))})
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(sheet, cell, &r); err != nil {
			return err
		}
	}
	_ = f.SetRowStyle(sheet, 1, 2, bold)
	_ = f.SetColWidth(sheet, "B", "B", 18)
	_ = f.SetColWidth(sheet, "L", "L", 30)
	return f.Write(w)
}

func ref(id *int64) any {
	if id == nil {
		return ""
	}
	return *id
}

func kindLabel(kind, bucket string) string {
	labels := map[string]string{"issue": "签发", "reserve": "预留", "release": "释放", "sale": "出售", "retire": "注销", "payment": "缴款", "correction": "更正"}
	if kind == "correction" {
		return fmt.Sprintf("%s(%s)", labels[kind], bucket)
	}
	return labels[kind]
}
