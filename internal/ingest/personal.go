package ingest

import (
	"context"
	"fmt"
	"strings"
	"unicode"

	"github.com/jackc/pgx/v5"

	"github.com/wuyuan-forestry/ecocomp/internal/features"
)

// What an import publishes. A parcel's extra attributes go out, unauthenticated, with the
// lookup API, OGC items and exports (internal/features), so extra carries only fields a
// mapping lists in its "extra" allow-list, and never:
//
//   - a field whose name says it holds personal data (names, ID, account and phone numbers):
//     personalName;
//   - a field any of whose values looks like an ID-card, bank-card or mobile number: the SQL
//     function looks_like_personal_data (migration 00016), which the migration also cleaned
//     the extra attributes stored before with;
//   - a field named like a property the feature JSON computes (duplicate keys): computedProperty.
//
// Such fields are named in the report, their values never.

// personalWords are parts of a field name that say it holds personal data: Chinese words
// anywhere in the name, pinyin and English words as whole parts (split at anything that is not
// a letter) or, the longer ones, anywhere in a part.
var (
	personalChinese = []string{"姓名", "户主", "户名", "权利人", "所有人", "使用人", "承包人", "经营者", "联系人",
		"身份证", "证件", "账号", "帐号", "账户", "帐户", "卡号", "银行", "开户行", "电话", "手机", "住址"}
	personalParts = map[string]bool{
		"NAME": true, "XM": true, "HZ": true, "HZXM": true, "QLR": true, "QLRMC": true, "QLRXM": true,
		"SFZ": true, "SFZH": true, "SFZHM": true, "ZJH": true, "ZJHM": true, "IDNO": true, "IDCARD": true,
		"YHZH": true, "YHKH": true, "KH": true, "BANK": true, "ACCOUNT": true,
		"TEL": true, "PHONE": true, "MOBILE": true, "SJH": true, "SJHM": true, "DHHM": true,
		"LXDH": true, "LXR": true, "OWNER": true, "HOLDER": true, "CONTACT": true,
	}
	personalInside = []string{"XINGMING", "HUZHU", "QUANLIREN", "SHENFEN", "IDCARD", "ZHENGJIAN", "ZJHM", "SFZH",
		"ZHANGHAO", "ZHANGHU", "YINHANG", "KAHAO", "DIANHUA", "SHOUJI", "PHONE", "MOBILE", "OWNERNAME", "HOLDERNAME"}
)

// personalName says whether a field's name marks it as personal data, and by which word.
func personalName(name string) (string, bool) {
	for _, w := range personalChinese {
		if strings.Contains(name, w) {
			return w, true
		}
	}
	up := strings.ToUpper(name)
	parts := strings.FieldsFunc(up, func(r rune) bool { return r > unicode.MaxASCII || !unicode.IsLetter(r) })
	for _, p := range parts {
		if personalParts[p] {
			return p, true
		}
		for _, w := range personalInside {
			if strings.Contains(p, w) {
				return w, true
			}
		}
	}
	return "", false
}

// computedNames are the properties a parcel feature carries besides its extra attributes
// (internal/features: its properties, the zone list, the feature id), and a few a client takes
// for its own. An extra attribute of the same name (in any case) would be a duplicate key, or
// pass for the computed value.
var computedNames = func() map[string]bool {
	m := map[string]bool{}
	for _, f := range []string{"id", "fid", "type", "geometry", "properties", "valid_to", "zones", "overlaps", "owner", "owner_id"} {
		m[f] = true
	}
	for _, f := range features.ParcelProperties() {
		m[f] = true
	}
	return m
}()

// ComputedProperty reports whether name (in any case) is a property ecocomp computes for a
// parcel feature, which no extra attribute may take.
func ComputedProperty(name string) bool {
	return computedNames[strings.ToLower(strings.TrimSpace(name))]
}

// screenExtra withholds the extra fields any of whose staged values looks like personal data
// (an ID-card, bank-card or mobile number: looks_like_personal_data, migration 00016), with a
// warning that names the field and the rows, never a value. One scan of the staging table.
func (r *run) screenExtra(ctx context.Context, p *fieldPlan) error {
	var exprs []string
	var names []string
	for _, name := range p.extra {
		c := p.cols[name]
		id := "s." + pgx.Identifier{name}.Sanitize()
		var text string
		switch c.typ {
		case "boolean":
			continue
		case "double precision":
			// 3.61130198001011e+17 is an ID number a spreadsheet made a number of.
			text = "CASE WHEN abs(" + id + ") < 1e20 THEN " + id + "::numeric::text END"
		default:
			text = id + "::text"
		}
		cond := "looks_like_personal_data(" + text + ")"
		exprs = append(exprs, "count(*) FILTER (WHERE "+cond+")", "min(s._row) FILTER (WHERE "+cond+")")
		names = append(names, name)
	}
	if len(names) == 0 {
		return nil
	}
	counts := make([]int64, len(names))
	firsts := make([]*int32, len(names))
	dest := make([]any, 0, 2*len(names))
	for i := range names {
		dest = append(dest, &counts[i], &firsts[i])
	}
	if err := r.db().scan(ctx, sqlStmt("extra_screen", exprs), nil, dest...); err != nil {
		return err
	}
	withheld := map[string]bool{}
	for i, name := range names {
		if counts[i] == 0 {
			continue
		}
		withheld[name] = true
		p.withheld = append(p.withheld, name)
		rows := fmt.Sprintf("on %d rows (the first: row %d)", counts[i], *firsts[i])
		if counts[i] == 1 {
			rows = fmt.Sprintf("on row %d", *firsts[i])
		}
		r.rep.add(Line{Severity: Warning, Check: "personal_data", Message: fmt.Sprintf(
			"field %s holds values %s that look like ID-card, bank-card or mobile numbers: it is not kept or published", name, rows)})
	}
	if len(withheld) > 0 {
		kept := p.extra[:0]
		for _, name := range p.extra {
			if !withheld[name] {
				kept = append(kept, name)
			}
		}
		p.extra = kept
		r.rep.Extra = p.extra
		r.rep.Withheld = p.withheld
	}
	return nil
}
