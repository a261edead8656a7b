package postgis_test

import (
	"context"
	"testing"

	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
)

// TestCodeDictionaryStandards checks the labels and mappings migration 00019 fixed (issue 12,
// point 7). The words are those read in the texts the migration cites: the planning standard
// names its grades 「Ⅰ级保护林地」…「Ⅳ级保护林地」 (the dictionary said 「Ⅰ级保护」); the national
// public-welfare grading says 「一级」/「二级」; the age groups are 幼龄林 … 过熟林. The legacy
// code 5 非公有 says only "neither state nor collective": it must not become 40 企业 (enterprise)
// — it maps to 80 非公有（未细分）, a platform code.
func TestCodeDictionaryStandards(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t)
	labels := []struct{ field, scheme, code, label, mapsTo string }{
		{"BH_DJ", "2020", "1", "Ⅰ级保护林地", ""},
		{"BH_DJ", "2020", "2", "Ⅱ级保护林地", ""},
		{"BH_DJ", "2020", "3", "Ⅲ级保护林地", ""},
		{"BH_DJ", "2020", "4", "Ⅳ级保护林地", ""},
		{"GJGYL_BHDJ", "2020", "1", "一级", ""},
		{"GJGYL_BHDJ", "2020", "2", "二级", ""},
		{"LING_ZU", "2020", "1", "幼龄林", ""},
		{"LING_ZU", "2020", "5", "过熟林", ""},
		{"LM_QS", "2020", "40", "企业", ""},
		{"LM_QS", "2020", "80", "非公有（未细分）", ""},
		{"LM_QS", "legacy", "5", "非公有", "80"},
		{"LM_QS", "legacy", "6", "个人", "30"},
	}
	for _, c := range labels {
		var label, mapsTo string
		if err := pool.QueryRow(ctx, `SELECT label_zh, coalesce(maps_to, '') FROM code_dictionary WHERE field = $1 AND scheme = $2 AND code = $3`,
			c.field, c.scheme, c.code).Scan(&label, &mapsTo); err != nil {
			t.Errorf("%s %s %s: %v", c.field, c.scheme, c.code, err)
			continue
		}
		if label != c.label || mapsTo != c.mapsTo {
			t.Errorf("%s %s %s = %q → %q, want %q → %q", c.field, c.scheme, c.code, label, mapsTo, c.label, c.mapsTo)
		}
	}
	// No legacy code maps to enterprise: a legacy file never says "enterprise" by itself.
	var toEnterprise int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM code_dictionary WHERE field = 'LM_QS' AND scheme = 'legacy' AND maps_to = '40'`).Scan(&toEnterprise); err != nil || toEnterprise != 0 {
		t.Errorf("%d legacy LM_QS codes map to 40 企业 (%v)", toEnterprise, err)
	}
}
