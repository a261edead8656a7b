package care

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/pii"
	"github.com/wuyuan-forestry/ecocomp/internal/policy"
)

// RollRow is one ranger's pay of the year: what the contract gives (FullPay), what the monthly
// assessment pays (Pay), and which source pays it (FromSources, in the order of Roll.Sources;
// Unfunded what none covers).
type RollRow struct {
	Ranger         int64        `json:"ranger"`
	Name           string       `json:"name"`
	IDNumber       string       `json:"id_number"`
	BankAccount    string       `json:"bank_account"`
	VillageCode    string       `json:"village_code"`
	Village        string       `json:"village"`
	PoorHousehold  bool         `json:"poor_household"`
	ContractFrom   string       `json:"contract_from"`
	ContractTo     string       `json:"contract_to"`
	YearlyPay      policy.Fen   `json:"yearly_pay_yuan"`
	ContractDays   int          `json:"contract_days"`
	MonthsAssessed int          `json:"months_assessed"`
	MonthsPassed   int          `json:"months_passed"`
	FullPay        policy.Fen   `json:"full_pay_yuan"`
	Pay            policy.Fen   `json:"pay_yuan"`
	FromSources    []policy.Fen `json:"from_sources_yuan"`
	Unfunded       policy.Fen   `json:"unfunded_yuan"`
}

// RollSource is a pay source of the roll: what it has for the year, what the roll spends of it
// and what is left.
type RollSource struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Kind      string     `json:"kind"`
	Available policy.Fen `json:"available_yuan"`
	Spent     policy.Fen `json:"spent_yuan"`
	Left      policy.Fen `json:"left_yuan"`
	Confirmed bool       `json:"confirmed"`
}

// Roll is the year's ranger pay roll (生态护林员劳务报酬发放清册) with its reconciliation against
// what the subsidy roll retained for public management (公共管护).
type Roll struct {
	Year          int    `json:"year"`
	PolicyVersion string `json:"policy_version"`
	// SubsidyPolicyVersion is the policy version of the full recompute whose retained amounts
	// the roll spends ("" when the year has none).
	SubsidyPolicyVersion string       `json:"subsidy_policy_version"`
	AsOf                 string       `json:"as_of"`
	Masked               bool         `json:"masked"`
	Rows                 []RollRow    `json:"rows"`
	Sources              []RollSource `json:"sources"`
	FullPayTotal         policy.Fen   `json:"full_pay_total_yuan"`
	PayTotal             policy.Fen   `json:"pay_total_yuan"`
	// RetainedTotal is the subsidy roll's county_retained_total_yuan for the year;
	// PaidFromRetained + RetainedLeft = RetainedTotal.
	RetainedTotal    policy.Fen `json:"retained_total_yuan"`
	PaidFromRetained policy.Fen `json:"paid_from_retained_yuan"`
	RetainedLeft     policy.Fen `json:"retained_left_yuan"`
	// Shortfall is the pay no source covers.
	Shortfall policy.Fen `json:"shortfall_yuan"`
	Note      string     `json:"note"`
}

// RetainedTotal is the year's retained public-management amount: the sum of retained_fen of the
// subsidy lines of the latest full recompute of the year, over the parcel versions in force when
// it ran — the lines subsidy.LoadRoll totals as county_retained_total_yuan — and that run's
// policy version ("" and 0 when the year has no full recompute).
func RetainedTotal(ctx context.Context, db Querier, year int) (policy.Fen, string, error) {
	var vid int64
	var version string
	var asOf time.Time
	err := db.QueryRow(ctx, `SELECT r.policy_version_id, v.version, coalesce(r.finished_at, r.started_at) FROM recompute_run r
		JOIN policy_version v ON v.id = r.policy_version_id
		WHERE r.year = $1 AND r.scope = 'all' ORDER BY r.id DESC LIMIT 1`, year).Scan(&vid, &version, &asOf)
	if isNoRows(err) {
		return 0, "", nil
	} else if err != nil {
		return 0, "", err
	}
	var sum int64
	err = db.QueryRow(ctx, `SELECT coalesce(sum(s.retained_fen), 0)::bigint FROM subsidy_line s
		JOIN parcel p ON p.id = s.parcel_id AND p.valid_from <= $3 AND (p.valid_to IS NULL OR p.valid_to > $3)
		WHERE s.policy_version_id = $1 AND s.year = $2 AND (s.amount_fen > 0 OR s.rate_fen = 0)`, vid, year, asOf).Scan(&sum)
	return policy.Fen(sum), version, err
}

// LoadRoll builds the ranger pay roll of year as of asOf (months not over then are not paid
// yet): every ranger under contract during the year, paid by the monthly assessment (Assess),
// the pay met from the policy's sources — the retained public-management amount first, then
// the others in the file's order, rangers by id. Personal data is decrypted; Mask hides it.
func LoadRoll(ctx context.Context, db Querier, kr *pii.Keyring, year int, asOf time.Time) (*Roll, error) {
	if year < 2000 || year > 2100 {
		return nil, apperr.BadParam("year", "%d is not a year between 2000 and 2100", year)
	}
	rules, err := RulesForYear(ctx, db, year)
	if err != nil {
		return nil, err
	}
	retained, subsidyVersion, err := RetainedTotal(ctx, db, year)
	if err != nil {
		return nil, err
	}
	r := &Roll{Year: year, PolicyVersion: rules.PolicyVersion, SubsidyPolicyVersion: subsidyVersion, AsOf: asOf.In(china).Format(time.DateOnly),
		Rows: []RollRow{}, RetainedTotal: retained,
		Note: "按月度考核发放（" + PayRule + "）；资金来源先用公益林补偿县级留存公共管护资金，再按政策顺序使用其他来源"}
	if subsidyVersion == "" {
		r.Note += fmt.Sprintf("；%d 年尚未完成补偿全量计算，公共管护留存按 0 计", year)
	}
	// The retained source first, whatever its place in the file; a policy without one still
	// states the retained amount as left over.
	for _, s := range rules.PaySources {
		if s.Kind == policy.SourceRetained {
			r.Sources = append(r.Sources, RollSource{ID: s.ID, Name: s.Name, Kind: s.Kind, Available: retained, Confirmed: s.Confirmed})
		}
	}
	for _, s := range rules.PaySources {
		if s.Kind != policy.SourceRetained {
			r.Sources = append(r.Sources, RollSource{ID: s.ID, Name: s.Name, Kind: s.Kind, Available: s.Yuan, Confirmed: s.Confirmed})
		}
	}
	all, err := Rangers(ctx, db, kr)
	if err != nil {
		return nil, err
	}
	jan1, dec31 := fmt.Sprintf("%d-01-01", year), fmt.Sprintf("%d-12-31", year)
	for _, rg := range all {
		if rg.ContractTo < jan1 || rg.ContractFrom > dec31 {
			continue
		}
		a, err := Assess(ctx, db, rules, rg.ID, year, asOf)
		if err != nil {
			return nil, err
		}
		row := RollRow{Ranger: rg.ID, Name: rg.Name, IDNumber: rg.IDNumber, BankAccount: rg.BankAccount, VillageCode: rg.VillageCode,
			Village: rg.Village, PoorHousehold: rg.PoorHousehold, ContractFrom: rg.ContractFrom, ContractTo: rg.ContractTo,
			YearlyPay: rg.YearlyPay, ContractDays: a.ContractDays, MonthsPassed: a.MonthsPassed, FullPay: a.FullPay, Pay: a.Pay}
		for _, m := range a.Months {
			if m.Assessed && m.ContractDays > 0 {
				row.MonthsAssessed++
			}
		}
		r.Rows = append(r.Rows, row)
	}
	r.Fund()
	return r, nil
}

// Fund meets each row's pay from the sources in their order, rows in theirs: a row takes what it
// still needs from a source until the source is spent; what no source covers is the row's
// Unfunded. It sets the totals, what each source spent and has left, and the reconciliation
// with the retained amount (PaidFromRetained + RetainedLeft = RetainedTotal).
func (r *Roll) Fund() {
	r.FullPayTotal, r.PayTotal, r.Shortfall, r.PaidFromRetained = 0, 0, 0, 0
	for i := range r.Sources {
		r.Sources[i].Spent = 0
	}
	for j := range r.Rows {
		row := &r.Rows[j]
		row.FromSources = make([]policy.Fen, len(r.Sources))
		need := row.Pay
		for i := range r.Sources {
			s := &r.Sources[i]
			take := min(need, s.Available-s.Spent)
			row.FromSources[i] = take
			s.Spent += take
			need -= take
		}
		row.Unfunded = need
		r.FullPayTotal += row.FullPay
		r.PayTotal += row.Pay
		r.Shortfall += row.Unfunded
	}
	for i := range r.Sources {
		s := &r.Sources[i]
		s.Left = s.Available - s.Spent
		if s.Kind == policy.SourceRetained {
			r.PaidFromRetained = s.Spent
		}
	}
	r.RetainedLeft = r.RetainedTotal - r.PaidFromRetained
}

// Mask hides the rangers' personal data as the roster does.
func (r *Roll) Mask() {
	r.Masked = true
	for i := range r.Rows {
		row := &r.Rows[i]
		row.Name, row.IDNumber, row.BankAccount = pii.MaskName(row.Name), pii.MaskIDNumber(row.IDNumber), pii.MaskAccount(row.BankAccount)
	}
}

// WriteXLSX writes the roll as a workbook the bureau prints: one row per ranger with the
// sources that pay them, a total row, and the reconciliation with the retained amount.
func (r *Roll) WriteXLSX(w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "护林员报酬清册"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	title := fmt.Sprintf("%d 年度生态护林员劳务报酬发放清册（政策版本 %s，截至 %s）", r.Year, r.PolicyVersion, r.AsOf)
	_ = f.SetCellValue(sheet, "A1", title)
	_ = f.SetCellValue(sheet, "A2", r.Note)
	header := []string{"序号", "护林员", "身份证号", "银行账号", "村", "建档立卡", "合同起", "合同止", "年报酬（元）", "本年合同天数",
		"已考核月数", "考核合格月数", "应发（元）", "实发（元）"}
	for _, s := range r.Sources {
		header = append(header, "其中："+s.Name+"（元）")
	}
	header = append(header, "资金缺口（元）")
	for i, h := range header {
		cell, _ := excelize.CoordinatesToCellName(i+1, 3)
		_ = f.SetCellValue(sheet, cell, h)
	}
	bold, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	money, _ := f.NewStyle(&excelize.Style{NumFmt: 2})
	_ = f.SetRowStyle(sheet, 3, 3, bold)
	num := func(v policy.Fen) float64 { x, _ := strconv.ParseFloat(v.String(), 64); return x }
	line := 4
	put := func(values []any, moneyFrom int, style int) {
		for i, v := range values {
			cell, _ := excelize.CoordinatesToCellName(i+1, line)
			_ = f.SetCellValue(sheet, cell, v)
			if i+1 >= moneyFrom && moneyFrom > 0 {
				if _, isMoney := v.(float64); isMoney {
					_ = f.SetCellStyle(sheet, cell, cell, money)
				}
			}
		}
		if style != 0 {
			a, _ := excelize.CoordinatesToCellName(1, line)
			_ = f.SetCellStyle(sheet, a, a, style)
		}
		line++
	}
	yesNo := map[bool]string{true: "是", false: "否"}
	for i, row := range r.Rows {
		v := []any{i + 1, row.Name, row.IDNumber, row.BankAccount, row.Village, yesNo[row.PoorHousehold], row.ContractFrom, row.ContractTo,
			num(row.YearlyPay), row.ContractDays, row.MonthsAssessed, row.MonthsPassed, num(row.FullPay), num(row.Pay)}
		for _, s := range row.FromSources {
			v = append(v, num(s))
		}
		put(append(v, num(row.Unfunded)), 9, 0)
	}
	total := []any{"合计", "", "", "", "", "", "", "", "", "", "", "", num(r.FullPayTotal), num(r.PayTotal)}
	for _, s := range r.Sources {
		total = append(total, num(s.Spent))
	}
	put(append(total, num(r.Shortfall)), 9, bold)
	line++
	put([]any{"对账", "公共管护留存合计（元）", num(r.RetainedTotal)}, 3, bold)
	put([]any{"", "其中用于护林员报酬（元）", num(r.PaidFromRetained)}, 3, 0)
	put([]any{"", "结余（元）", num(r.RetainedLeft)}, 3, 0)
	for _, s := range r.Sources {
		if s.Kind != policy.SourceRetained {
			put([]any{"", s.Name + " 可用 / 已用 / 结余（元）", num(s.Available), num(s.Spent), num(s.Left)}, 3, 0)
		}
	}
	put([]any{"", "资金缺口（元）", num(r.Shortfall)}, 3, 0)
	_ = f.SetColWidth(sheet, "A", "A", 8)
	_ = f.SetColWidth(sheet, "B", "B", 24)
	_ = f.SetColWidth(sheet, "C", "D", 22)
	_ = f.SetColWidth(sheet, "E", "H", 12)
	_ = f.SetColWidth(sheet, "I", "T", 14)
	return f.Write(w)
}
