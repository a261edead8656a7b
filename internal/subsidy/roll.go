package subsidy

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/xuri/excelize/v2"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/pii"
	"github.com/wuyuan-forestry/ecocomp/internal/policy"
)

// RollRow is one owner's payment under one program in one village: the sum of that owner's
// parcel lines there, in 分 and 0.01 亩. Amount is what the program gives for the area;
// OwnerAmount is what the owner is paid, Retained what the county keeps of it (公共管护). A
// pending row (the program's rate is zero or not known yet) pays nothing and names its parcels.
type RollRow struct {
	TownshipCode string     `json:"township_code"`
	Township     string     `json:"township"`
	VillageCode  string     `json:"village_code"`
	Village      string     `json:"village"`
	Owner        string     `json:"owner"`
	OwnerKind    string     `json:"owner_kind"`
	IDNumber     string     `json:"id_number"`
	Account      string     `json:"account"`
	Program      string     `json:"program"`
	ProgramName  string     `json:"program_name"`
	Parcels      int        `json:"parcels"`
	AreaMu       CentiMu    `json:"area_mu"`
	Amount       policy.Fen `json:"amount_yuan"`
	OwnerAmount  policy.Fen `json:"owner_yuan"`
	Retained     policy.Fen `json:"county_retained_yuan"`
	Pending      bool       `json:"pending"`
	Confirmed    bool       `json:"confirmed"`
	// ParcelCodes lists the parcels of a pending row, so the bureau can settle them later.
	ParcelCodes []string `json:"parcel_codes,omitempty"`
	// Note says, in Chinese, why a row pays nothing or less than its amount.
	Note string `json:"note,omitempty"`
}

// Subtotal is a village's or township's total.
type Subtotal struct {
	Code        string     `json:"code"`
	Name        string     `json:"name"`
	AreaMu      CentiMu    `json:"area_mu"`
	Amount      policy.Fen `json:"amount_yuan"`
	OwnerAmount policy.Fen `json:"owner_yuan"`
	Retained    policy.Fen `json:"county_retained_yuan"`
}

// PendingProgram is a program the roll lists but does not pay, with its parcels' count and area.
type PendingProgram struct {
	Program     string  `json:"program"`
	ProgramName string  `json:"program_name"`
	Rows        int     `json:"rows"`
	Parcels     int     `json:"parcels"`
	AreaMu      CentiMu `json:"area_mu"`
	Note        string  `json:"note"`
}

// Roll is the disbursement roll (发放清册) of a year, optionally of one township.
type Roll struct {
	Year          int    `json:"year"`
	PolicyVersion string `json:"policy_version"`
	Township      string `json:"township,omitempty"`
	// County names the county (or counties) of the roll, as the loaded boundaries call it.
	County    string     `json:"county"`
	Masked    bool       `json:"masked"`
	Rows      []RollRow  `json:"rows"`
	Villages  []Subtotal `json:"villages"`
	Townships []Subtotal `json:"townships"`
	Lines     int        `json:"lines"`
	// Total is the sum of the lines; OwnerTotal is what the roll pays to owners, RetainedTotal
	// what the county keeps (Total = OwnerTotal + RetainedTotal).
	Total         policy.Fen `json:"total_yuan"`
	OwnerTotal    policy.Fen `json:"owner_total_yuan"`
	RetainedTotal policy.Fen `json:"county_retained_total_yuan"`
	// Pending lists the programs whose rate is zero or not known, which the roll lists unpaid.
	Pending []PendingProgram `json:"pending_programs"`
	Note    string           `json:"note"`
}

// Querier is a pool or transaction.
type Querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// LoadRoll builds the roll of year from the subsidy lines of the latest full recompute for that
// year, for one township (code or name) or, when township is empty, the whole county. The roll
// takes the parcel versions in force when that recompute ran — the ones it computed — so an
// import after it (whose new versions get lines of their own) changes no roll already drawn;
// the next full recompute of the year takes them in. kr decrypts the owners' ID numbers and
// accounts; the roll holds them in clear until Mask.
func LoadRoll(ctx context.Context, db Querier, kr *pii.Keyring, year int, township string) (*Roll, error) {
	if kr == nil {
		return nil, apperr.Wrap(apperr.Unavailable, pii.ErrNoKey, "owners' ID numbers and accounts are encrypted and no key is configured: the administrator must set ECOCOMP_PII_KEY or ECOCOMP_PII_KEY_FILE (docs/pii-keys.md)")
	}
	r := &Roll{Year: year, Township: township, Rows: []RollRow{}, Villages: []Subtotal{}, Townships: []Subtotal{}, Pending: []PendingProgram{},
		Note: "amounts are the sums of the parcel subsidy lines; the owner's share is paid, the part the county keeps for 公共管护 is totalled separately; " +
			"programmes whose rate is not known yet are listed with their parcels and pay nothing; owners, villages and parcels marked demo are demonstration data (演示数据)"}
	var vid int64
	var asOf time.Time
	err := db.QueryRow(ctx, `SELECT r.policy_version_id, v.version, coalesce(r.finished_at, r.started_at) FROM recompute_run r
		JOIN policy_version v ON v.id = r.policy_version_id
		WHERE r.year = $1 AND r.scope = 'all' ORDER BY r.id DESC LIMIT 1`, year).Scan(&vid, &r.PolicyVersion, &asOf)
	if err == pgx.ErrNoRows {
		return nil, apperr.New(apperr.NotFound, "no subsidy lines have been computed for %d: run `ecocomp recompute --year %d` first", year, year)
	}
	if err != nil {
		return nil, err
	}
	if township != "" {
		var exists bool
		if err := db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM admin_unit WHERE level = 'township' AND (code = $1 OR name = $1))`, township).Scan(&exists); err != nil {
			return nil, err
		}
		if !exists {
			return nil, apperr.BadParam("township", "no township has the code or name %q", township)
		}
	}
	if err := db.QueryRow(ctx, `SELECT coalesce(string_agg(c.name, '、' ORDER BY c.code), '') FROM admin_unit c
		WHERE c.level = 'county' AND ($1 = '' OR c.code IN (SELECT parent_code FROM admin_unit WHERE level = 'township' AND (code = $1 OR name = $1)))`,
		township).Scan(&r.County); err != nil {
		return nil, err
	}
	rows, err := db.Query(ctx, `
		SELECT p.township_code, coalesce(tw.name, ''), p.village_code, coalesce(vi.name, ''),
		       coalesce(o.name, '（无权利人记录）'), coalesce(o.kind, ''), o.id_number_enc, o.bank_account_enc,
		       s.program, s.program_name, count(DISTINCT s.parcel_id), sum(s.area_centimu), sum(s.amount_fen), count(*),
		       sum(s.retained_fen), s.rate_fen = 0, bool_and(s.confirmed),
		       CASE WHEN s.rate_fen = 0 THEN array_agg(DISTINCT p.code ORDER BY p.code) END
		FROM subsidy_line s
		JOIN parcel p ON p.id = s.parcel_id AND p.valid_from <= $4 AND (p.valid_to IS NULL OR p.valid_to > $4)
		LEFT JOIN owner o ON o.id = p.owner_id
		LEFT JOIN admin_unit tw ON tw.code = p.township_code
		LEFT JOIN admin_unit vi ON vi.code = p.village_code
		WHERE s.policy_version_id = $1 AND s.year = $2 AND (s.amount_fen > 0 OR s.rate_fen = 0)
		  AND ($3 = '' OR p.township_code = $3 OR tw.name = $3)
		GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, o.id, s.rate_fen = 0
		ORDER BY 1, 3, 5, o.id, s.rate_fen = 0, 9`, vid, year, township, asOf)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var row RollRow
		var idn, account []byte
		var area, amount, retained int64
		var lines int
		if err := rows.Scan(&row.TownshipCode, &row.Township, &row.VillageCode, &row.Village, &row.Owner, &row.OwnerKind,
			&idn, &account, &row.Program, &row.ProgramName, &row.Parcels, &area, &amount, &lines,
			&retained, &row.Pending, &row.Confirmed, &row.ParcelCodes); err != nil {
			return nil, err
		}
		row.Retained = policy.Fen(retained)
		row.OwnerAmount = policy.Fen(amount - retained)
		if row.IDNumber, err = kr.Decrypt(pii.FieldIDNumber, idn); err == nil {
			row.Account, err = kr.Decrypt(pii.FieldBankAccount, account)
		}
		if err != nil {
			return nil, decryptFailed(err)
		}
		row.AreaMu, row.Amount = CentiMu(area), policy.Fen(amount)
		r.Lines += lines
		r.add(row)
	}
	return r, rows.Err()
}

// decryptFailed words a decryption failure for the user: a wrong or missing key is the
// administrator's to fix; a ciphertext that does not authenticate has been altered.
func decryptFailed(err error) error {
	if errors.Is(err, pii.ErrUnknownKey) {
		return apperr.Wrap(apperr.Unavailable, err, "owners' ID numbers and accounts were encrypted with a key that is not configured here: the administrator must add that key to ECOCOMP_PII_KEY (docs/pii-keys.md)")
	}
	return apperr.Wrap(apperr.Internal, err, "an owner's encrypted ID number or account does not decrypt (altered in the database?); it has been logged")
}

func (r *Roll) add(row RollRow) {
	switch {
	case row.Pending:
		row.Note = "补助标准尚未确定，列入清册待定，本年度不发放；小班：" + strings.Join(row.ParcelCodes, "、")
		r.pending(row)
	case row.Retained > 0:
		row.Note = fmt.Sprintf("其中 %s 元由县级留存用于公共管护，不发放到户", row.Retained)
	}
	if !row.Pending && !row.Confirmed {
		if row.Note != "" {
			row.Note += "；"
		}
		row.Note += "补助标准未经核实"
	}
	r.Rows = append(r.Rows, row)
	if n := len(r.Villages); n == 0 || r.Villages[n-1].Code != row.VillageCode {
		r.Villages = append(r.Villages, Subtotal{Code: row.VillageCode, Name: row.Village})
	}
	if n := len(r.Townships); n == 0 || r.Townships[n-1].Code != row.TownshipCode {
		r.Townships = append(r.Townships, Subtotal{Code: row.TownshipCode, Name: row.Township})
	}
	v, t := &r.Villages[len(r.Villages)-1], &r.Townships[len(r.Townships)-1]
	for _, s := range []*Subtotal{v, t} {
		s.AreaMu += row.AreaMu
		s.Amount += row.Amount
		s.OwnerAmount += row.OwnerAmount
		s.Retained += row.Retained
	}
	r.Total += row.Amount
	r.OwnerTotal += row.OwnerAmount
	r.RetainedTotal += row.Retained
}

// pending counts a pending row under its program.
func (r *Roll) pending(row RollRow) {
	for i := range r.Pending {
		if pp := &r.Pending[i]; pp.Program == row.Program {
			pp.Rows++
			pp.Parcels += row.Parcels
			pp.AreaMu += row.AreaMu
			return
		}
	}
	note := "补助标准尚未确定，所列小班本年度不发放，待标准确定后补发"
	if row.Program == policy.GapProgram {
		note = "所列小班位于禁止采伐的区域，但政策没有补偿该部分的项目，请核定禁伐补贴"
	}
	r.Pending = append(r.Pending, PendingProgram{Program: row.Program, ProgramName: row.ProgramName, Rows: 1,
		Parcels: row.Parcels, AreaMu: row.AreaMu, Note: note})
}

// Mask hides owners' personal data: the family name stays, ID numbers keep the area code and
// the last four digits, accounts the last four. Collectives, enterprises and state units are
// not persons and keep their names.
func (r *Roll) Mask() {
	r.Masked = true
	for i := range r.Rows {
		row := &r.Rows[i]
		if pii.IsPerson(row.OwnerKind) {
			row.Owner = pii.MaskName(row.Owner)
		}
		row.IDNumber = pii.MaskIDNumber(row.IDNumber)
		row.Account = pii.MaskAccount(row.Account)
	}
}

// rollHeader: the amount a program gives (补偿金额), the part the county keeps (县级留存) and what
// the owner is paid (实发金额), then the note.
var rollHeader = []string{"乡镇", "村", "权利人（户主）", "身份证号", "一卡通账号", "补偿项目", "小班数", "补偿面积（亩）",
	"补偿金额（元）", "县级留存公共管护（元）", "实发金额（元）", "备注"}

// WriteCSV writes the roll as UTF-8 CSV with a byte-order mark (so spreadsheets read the Chinese
// headers), a 小计 row after each village, a 合计 row after each township, a 总计 row and the
// pending programs.
func (r *Roll) WriteCSV(w io.Writer) error {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	_ = cw.Write(rollHeader)
	r.each(func(row *RollRow) {
		_ = cw.Write([]string{row.Township, row.Village, row.Owner, row.IDNumber, row.Account, row.ProgramName,
			strconv.Itoa(row.Parcels), row.AreaMu.String(), row.Amount.String(), row.Retained.String(), row.OwnerAmount.String(), row.Note})
	}, func(kind string, s Subtotal) {
		_ = cw.Write([]string{"", s.Name, kind, "", "", "", "", s.AreaMu.String(), s.Amount.String(), s.Retained.String(), s.OwnerAmount.String(), ""})
	})
	for _, pp := range r.pendingRows() {
		_ = cw.Write(pp)
	}
	cw.Flush()
	return cw.Error()
}

// pendingRows are the roll's closing rows: what the county keeps, and each pending program with
// its parcels' count and area.
func (r *Roll) pendingRows() [][]string {
	out := [][]string{{"", "", "说明", "", "", fmt.Sprintf("实发权利人合计 %s 元；县级留存公共管护合计 %s 元，不发放到户", r.OwnerTotal, r.RetainedTotal),
		"", "", "", "", "", ""}}
	for _, pp := range r.Pending {
		out = append(out, []string{"", "", "待定项目", "", "", pp.ProgramName, strconv.Itoa(pp.Parcels), pp.AreaMu.String(), "0.00", "0.00", "0.00", pp.Note})
	}
	return out
}

// each walks the rows in order and calls sub after each village ("小计"), township ("合计") and
// at the end ("总计").
func (r *Roll) each(row func(*RollRow), sub func(kind string, s Subtotal)) {
	vi, ti := 0, 0
	for i := range r.Rows {
		row(&r.Rows[i])
		last := i == len(r.Rows)-1
		if last || r.Rows[i+1].VillageCode != r.Rows[i].VillageCode {
			sub("小计", r.Villages[vi])
			vi++
		}
		if last || r.Rows[i+1].TownshipCode != r.Rows[i].TownshipCode {
			sub("合计", r.Townships[ti])
			ti++
		}
	}
	var area CentiMu
	for _, t := range r.Townships {
		area += t.AreaMu
	}
	sub("总计", Subtotal{Name: "", AreaMu: area, Amount: r.Total, OwnerAmount: r.OwnerTotal, Retained: r.RetainedTotal})
}

// WriteXLSX writes the roll as an Excel workbook the bureau prints: a title, Chinese headers,
// amounts as numbers with two decimals, and bold subtotal and total rows.
func (r *Roll) WriteXLSX(w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "发放清册"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	title := strings.TrimSpace(fmt.Sprintf("%s %d 年度生态补偿资金发放清册（政策版本 %s）", r.County, r.Year, r.PolicyVersion))
	if r.Township != "" {
		title += " · " + r.Township
	}
	_ = f.SetCellValue(sheet, "A1", title)
	_ = f.SetCellValue(sheet, "A2", r.Note)
	for i, h := range rollHeader {
		cell, _ := excelize.CoordinatesToCellName(i+1, 3)
		_ = f.SetCellValue(sheet, cell, h)
	}
	bold, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	money, _ := f.NewStyle(&excelize.Style{NumFmt: 2}) // 0.00
	boldMoney, _ := f.NewStyle(&excelize.Style{NumFmt: 2, Font: &excelize.Font{Bold: true}})
	_ = f.SetRowStyle(sheet, 3, 3, bold)
	line := 4
	put := func(values []any, style, numStyle int) {
		for i, v := range values {
			cell, _ := excelize.CoordinatesToCellName(i+1, line)
			_ = f.SetCellValue(sheet, cell, v)
		}
		a, _ := excelize.CoordinatesToCellName(1, line)
		g, _ := excelize.CoordinatesToCellName(7, line)
		i, _ := excelize.CoordinatesToCellName(11, line)
		if style != 0 {
			_ = f.SetCellStyle(sheet, a, i, style)
		}
		_ = f.SetCellStyle(sheet, g, i, numStyle)
		line++
	}
	num := func(v fmt.Stringer) float64 { x, _ := strconv.ParseFloat(v.String(), 64); return x }
	r.each(func(row *RollRow) {
		put([]any{row.Township, row.Village, row.Owner, row.IDNumber, row.Account, row.ProgramName, row.Parcels, num(row.AreaMu),
			num(row.Amount), num(row.Retained), num(row.OwnerAmount), row.Note}, 0, money)
	}, func(kind string, s Subtotal) {
		put([]any{"", s.Name, kind, "", "", "", "", num(s.AreaMu), num(s.Amount), num(s.Retained), num(s.OwnerAmount)}, bold, boldMoney)
	})
	for _, pr := range r.pendingRows() {
		values := make([]any, len(pr))
		for i, v := range pr {
			values[i] = v
		}
		put(values, 0, 0)
	}
	_ = f.SetColWidth(sheet, "A", "B", 12)
	_ = f.SetColWidth(sheet, "C", "C", 20)
	_ = f.SetColWidth(sheet, "D", "E", 22)
	_ = f.SetColWidth(sheet, "F", "F", 34)
	_ = f.SetColWidth(sheet, "G", "K", 14)
	_ = f.SetColWidth(sheet, "L", "L", 40)
	return f.Write(w)
}
