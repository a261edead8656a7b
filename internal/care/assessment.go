package care

import (
	"context"
	"fmt"
	"io"
	"math/big"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/policy"
)

// Rules are the care rules a year is assessed and paid by, and the policy version they come from
// ("" when no policy applies and the defaults do).
type Rules struct {
	policy.Care
	PolicyVersion string
}

// RulesForYear is the care section of the policy written for year (policy.ByYear), else of the
// one in force on its last day, else the defaults (policy.DefaultCare).
func RulesForYear(ctx context.Context, db Querier, year int) (Rules, error) {
	p, _, err := policy.ByYear(ctx, db, year)
	if apperr.CodeOf(err) == apperr.NotFound {
		p, _, err = policy.InForce(ctx, db, time.Date(year, 12, 31, 0, 0, 0, 0, china))
	}
	if apperr.CodeOf(err) == apperr.NotFound {
		r := Rules{Care: policy.DefaultCare()}
		r.CoverageMetres = CoverageMetres
		return r, nil
	} else if err != nil {
		return Rules{}, err
	}
	return Rules{Care: p.CareRules(), PolicyVersion: p.Version}, nil
}

// AssessedMonth is one month of a ranger's assessment.
type AssessedMonth struct {
	Month         string   `json:"month"`
	Area          *string  `json:"area"`
	Days          int      `json:"days"`
	Tracks        int      `json:"tracks"`
	LengthKm      float64  `json:"length_km"`
	CoverageShare *float64 `json:"coverage_share"`
	Incidents     int      `json:"incidents"`
	// ContractDays are the month's days under contract; a month without any is not paid.
	ContractDays int `json:"contract_days"`
	// Assessed is false for a month not over yet (as of the assessment), which is not paid yet.
	Assessed bool           `json:"assessed"`
	Passed   *bool          `json:"passed"`
	Factor   policy.Decimal `json:"pay_factor"`
	// FullPay is the month's share of the yearly pay by contract days; Pay what the assessment
	// gives of it.
	FullPay policy.Fen `json:"full_pay_yuan"`
	Pay     policy.Fen `json:"pay_yuan"`
}

// RangerAssessment is a ranger's monthly assessment table of a year.
type RangerAssessment struct {
	Ranger         int64             `json:"ranger"`
	Year           int               `json:"year"`
	PolicyVersion  string            `json:"policy_version"`
	CoverageMetres int               `json:"coverage_metres"`
	Rules          policy.Assessment `json:"rules"`
	ContractFrom   string            `json:"contract_from"`
	ContractTo     string            `json:"contract_to"`
	YearlyPay      policy.Fen        `json:"yearly_pay_yuan"`
	ContractDays   int               `json:"contract_days"`
	Months         []AssessedMonth   `json:"months"`
	MonthsPassed   int               `json:"months_passed"`
	FullPay        policy.Fen        `json:"full_pay_yuan"`
	Pay            policy.Fen        `json:"pay_yuan"`
	Note           string            `json:"note"`
}

// PayRule states how a month's pay is reckoned (the remainder rule), for tables and workbooks.
const PayRule = "月应发 = floor(年报酬 × 1月1日至当月末合同天数 ÷ 全年天数) − floor(年报酬 × 1月1日至上月末合同天数 ÷ 全年天数)（分），全年合同各月之和恰为年报酬；" +
	"考核合格（巡护天数与覆盖比例均达标，无责任区之月只看天数）全额发放，不合格按政策系数发放，四舍五入到分；当月未结束者暂不发放"

// Assess is ranger's monthly assessment table of year by rules: per month the patrol days, tracks,
// length, share of the area covered, incidents, whether the month passed and its pay. Months
// ending after asOf are listed unassessed and unpaid.
func Assess(ctx context.Context, db Querier, rules Rules, ranger int64, year int, asOf time.Time) (RangerAssessment, error) {
	a := RangerAssessment{Ranger: ranger, Year: year, PolicyVersion: rules.PolicyVersion, CoverageMetres: rules.CoverageMetres,
		Rules: rules.Assessment, Months: []AssessedMonth{}, Note: PayRule}
	if year < 2000 || year > 2100 {
		return a, apperr.BadParam("year", "%d is not a year between 2000 and 2100", year)
	}
	var from, to time.Time
	var pay int64
	err := db.QueryRow(ctx, `SELECT contract_from, contract_to, yearly_pay_fen FROM ranger WHERE id = $1`, ranger).Scan(&from, &to, &pay)
	if isNoRows(err) {
		return a, apperr.New(apperr.NotFound, "there is no ranger %d", ranger)
	} else if err != nil {
		return a, err
	}
	a.ContractFrom, a.ContractTo, a.YearlyPay = from.Format(time.DateOnly), to.Format(time.DateOnly), policy.Fen(pay)
	jan1 := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)
	yearDays := int64(jan1.AddDate(1, 0, 0).Sub(jan1).Hours() / 24)
	cum := func(end time.Time) int64 { // contract days from 1 January up to the day before end
		return int64(overlapDays(from, to, jan1, end))
	}
	share := func(c int64) int64 { return new(big.Int).Quo(big.NewInt(pay*c), big.NewInt(yearDays)).Int64() } // pay·c < 2^63 for any sane pay
	for m := 1; m <= 12; m++ {
		first := time.Date(year, time.Month(m), 1, 0, 0, 0, 0, time.UTC)
		next := first.AddDate(0, 1, 0)
		am := AssessedMonth{Month: first.Format("2006-01"), ContractDays: overlapDays(from, to, first, next)}
		am.FullPay = policy.Fen(share(cum(next)) - share(cum(first)))
		start, end := time.Date(year, time.Month(m), 1, 0, 0, 0, 0, china), time.Date(year, time.Month(m)+1, 1, 0, 0, 0, 0, china)
		if err := measure(ctx, db, rules.CoverageMetres, ranger, start, end, &am); err != nil {
			return a, err
		}
		a.ContractDays += am.ContractDays
		a.FullPay += am.FullPay
		if !end.After(asOf) {
			am.Assessed = true
			ok, f := rules.Assessment.Passed(am.Days, am.CoverageShare)
			am.Passed, am.Factor = &ok, f
			am.Pay = am.FullPay.MulDecimal(f)
			if ok && am.ContractDays > 0 {
				a.MonthsPassed++
			}
			a.Pay += am.Pay
		}
		a.Months = append(a.Months, am)
	}
	return a, nil
}

// overlapDays is the number of days of the contract [from, to] (inclusive) in [start, end).
func overlapDays(from, to, start, end time.Time) int {
	lo, hi := from, to.AddDate(0, 0, 1)
	if start.After(lo) {
		lo = start
	}
	if end.Before(hi) {
		hi = end
	}
	if !hi.After(lo) {
		return 0
	}
	return int(hi.Sub(lo).Hours()/24 + 0.5)
}

// measure fills a month's patrol figures: days (UTC+8), tracks, length, the area of the latest
// assignment meeting the month and its share within metres of the month's tracks, and the
// incidents reported.
func measure(ctx context.Context, db Querier, metres int, ranger int64, start, end time.Time, am *AssessedMonth) error {
	if err := db.QueryRow(ctx, `SELECT count(DISTINCT (started_at AT TIME ZONE 'Asia/Shanghai')::date), count(*),
		       COALESCE(round(sum(length_m)::numeric / 1000, 3), 0)::float8,
		       (SELECT count(*) FROM care_incident WHERE ranger_id = $1 AND occurred_at >= $2 AND occurred_at < $3)
		FROM patrol_track WHERE ranger_id = $1 AND started_at >= $2 AND started_at < $3`, ranger, start, end).
		Scan(&am.Days, &am.Tracks, &am.LengthKm, &am.Incidents); err != nil {
		return err
	}
	var area int64
	err := db.QueryRow(ctx, `SELECT s.area_id, a.code FROM care_assignment s JOIN care_area a ON a.id = s.area_id
		WHERE s.ranger_id = $1 AND s.period && daterange($2::date, $3::date)
		ORDER BY lower(s.period) DESC LIMIT 1`, ranger, start.Format(time.DateOnly), end.Format(time.DateOnly)).Scan(&area, &am.Area)
	if isNoRows(err) {
		return nil
	} else if err != nil {
		return err
	}
	var share float64
	if am.Tracks > 0 {
		if err := db.QueryRow(ctx, trackCoverageSQL, area, ranger, start, end, SimplifyMetres, metres).Scan(&share); err != nil {
			return err
		}
	}
	share = float64(int64(share*10000+0.5)) / 10000
	am.CoverageShare = &share
	return nil
}

// WriteXLSX writes the assessment table as a workbook: a row per month and a total row.
func (a *RangerAssessment) WriteXLSX(w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "月度考核"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	_ = f.SetCellValue(sheet, "A1", fmt.Sprintf("护林员 %d · %d 年度巡护月度考核（政策版本 %s；合格：巡护不少于 %d 天且覆盖不少于 %s，%d 米内；不合格按 %s 发放）",
		a.Ranger, a.Year, a.PolicyVersion, a.Rules.MinDays, a.Rules.MinCoverageShare, a.CoverageMetres, a.Rules.ReducedFactor))
	_ = f.SetCellValue(sheet, "A2", a.Note)
	header := []string{"月份", "责任区", "巡护天数", "轨迹条数", "里程（公里）", "覆盖比例", "事件", "合同天数", "考核", "系数", "应发（元）", "实发（元）"}
	for i, h := range header {
		cell, _ := excelize.CoordinatesToCellName(i+1, 3)
		_ = f.SetCellValue(sheet, cell, h)
	}
	money, _ := f.NewStyle(&excelize.Style{NumFmt: 2})
	bold, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	_ = f.SetRowStyle(sheet, 3, 3, bold)
	num := func(v fmt.Stringer) float64 { x, _ := strconv.ParseFloat(v.String(), 64); return x }
	put := func(line int, values []any) {
		for i, v := range values {
			cell, _ := excelize.CoordinatesToCellName(i+1, line)
			_ = f.SetCellValue(sheet, cell, v)
		}
		k, _ := excelize.CoordinatesToCellName(11, line)
		l, _ := excelize.CoordinatesToCellName(12, line)
		_ = f.SetCellStyle(sheet, k, l, money)
	}
	for i, m := range a.Months {
		area, share, verdict, factor := "", any(""), "未到期", ""
		if m.Area != nil {
			area = *m.Area
		}
		if m.CoverageShare != nil {
			share = *m.CoverageShare
		}
		if m.Passed != nil {
			verdict, factor = map[bool]string{true: "合格", false: "不合格"}[*m.Passed], m.Factor.String()
		}
		put(4+i, []any{m.Month, area, m.Days, m.Tracks, m.LengthKm, share, m.Incidents, m.ContractDays, verdict, factor, num(m.FullPay), num(m.Pay)})
	}
	put(4+len(a.Months), []any{"合计", "", "", "", "", "", "", a.ContractDays, fmt.Sprintf("合格 %d 个月", a.MonthsPassed), "", num(a.FullPay), num(a.Pay)})
	_ = f.SetColWidth(sheet, "A", "L", 12)
	return f.Write(w)
}
