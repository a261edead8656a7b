// Package parcelfield is the one list of a parcel's inventory fields (小班 attributes of the
// forest-resource 一张图): their standard pinyin codes, labels, code-dictionary fields, the names
// they are stored and published under, and the other names surveyors' files give them. The
// import mapping (internal/ingest), the feature properties of the lookup API, OGC items and
// exports (internal/features), the demo generator and its verifier (internal/demo) read it.
//
// Adding an inventory attribute is an entry in fields plus a migration that adds its column to
// parcel (text for a coded field, numeric(p, Scale) for a number), its codes to code_dictionary
// and, for a coded field, its pair to the code check of parcel_check_codes_all. The registry
// test (parcelfield_test.go) compares this list with the migrated database and fails when one
// side has a field the other lacks.
package parcelfield

import "strings"

// Kind says what a field holds, and so how the import reads it and what it checks.
type Kind int

const (
	// Key fields make up the parcel code (县 乡 村 林班 小班); they are required.
	Key Kind = iota
	// Area is MIAN_JI, the legal area in hectares the payments use; required.
	Area
	// Coded fields hold a code of the code dictionary (the import translates legacy codes and
	// keeps unknown ones in extra); features carry the code's label beside it.
	Coded
	// Number fields hold a non-negative number (a value that is not one is left empty, with a
	// warning).
	Number
)

// Field is one inventory field of a parcel.
type Field struct {
	// Code is the standard pinyin name in surveyors' files and in the import mapping, and
	// code_dictionary.field for a coded field: "SEN_LIN_LB".
	Code string
	// Property is the parcel column and the name of the property in the lookup API, OGC items,
	// the GeoJSON export and the tiles: "sen_lin_lb". A coded field's label is Property+"_label".
	Property string
	// LabelZH and LabelEN name the field for people.
	LabelZH, LabelEN string
	Kind             Kind
	// Aliases are other names the field goes by in surveyors' files (any case).
	Aliases []string
	// Scale is the number of decimals a Number field is stored with (its column is
	// numeric(p, Scale)); Max the bound a value must stay under; What words the value in a
	// warning ("a stock volume (m³ ≥ 0)").
	Scale int
	Max   string
	What  string
}

// Dictionary is the field's name in code_dictionary.field, "" for a field that holds no code.
func (f Field) Dictionary() string {
	if f.Kind == Coded {
		return f.Code
	}
	return ""
}

// LabelProperty is the property holding a coded field's label ("sen_lin_lb_label"), "" for others.
func (f Field) LabelProperty() string {
	if f.Kind == Coded {
		return f.Property + "_label"
	}
	return ""
}

// Required reports whether every parcel must have the field (the key and the legal area).
func (f Field) Required() bool { return f.Kind == Key || f.Kind == Area }

// The codes other packages name because they treat the field specially.
const (
	Xian    = "XIAN"
	Xiang   = "XIANG"
	Cun     = "CUN"
	LinBan  = "LIN_BAN"
	XiaoBan = "XIAO_BAN"
	MianJi  = "MIAN_JI"
	XuJi    = "XU_JI"
)

// fields is the registry, in the order of the parcel table.
var fields = []Field{
	{Code: Xian, Property: "xian", LabelZH: "县", LabelEN: "county code", Kind: Key},
	{Code: Xiang, Property: "xiang", LabelZH: "乡", LabelEN: "township code", Kind: Key},
	{Code: Cun, Property: "cun", LabelZH: "村", LabelEN: "village code", Kind: Key},
	{Code: LinBan, Property: "lin_ban", LabelZH: "林班", LabelEN: "compartment", Kind: Key},
	{Code: XiaoBan, Property: "xiao_ban", LabelZH: "小班", LabelEN: "sub-compartment", Kind: Key},
	{Code: MianJi, Property: "mian_ji", LabelZH: "面积（公顷）", LabelEN: "legal area (ha)", Kind: Area},
	{Code: "DI_LEI", Property: "di_lei", LabelZH: "地类", LabelEN: "land class", Kind: Coded},
	{Code: "LD_QS", Property: "ld_qs", LabelZH: "林地权属", LabelEN: "land ownership", Kind: Coded},
	{Code: "LM_QS", Property: "lm_qs", LabelZH: "林木权属", LabelEN: "tree ownership", Kind: Coded, Aliases: []string{"LMSYQ"}},
	{Code: "SEN_LIN_LB", Property: "sen_lin_lb", LabelZH: "森林类别", LabelEN: "forest category", Kind: Coded},
	{Code: "SHI_QUAN_D", Property: "shi_quan_d", LabelZH: "事权等级", LabelEN: "administrative level", Kind: Coded},
	{Code: "GJGYL_BHDJ", Property: "gjgyl_bhdj", LabelZH: "国家级公益林保护等级", LabelEN: "national public-welfare forest grade", Kind: Coded},
	{Code: "BH_DJ", Property: "bh_dj", LabelZH: "林地保护等级", LabelEN: "forest-land protection grade", Kind: Coded},
	{Code: "LIN_ZHONG", Property: "lin_zhong", LabelZH: "林种", LabelEN: "forest type", Kind: Coded},
	{Code: "QI_YUAN", Property: "qi_yuan", LabelZH: "起源", LabelEN: "origin", Kind: Coded},
	{Code: "YOU_SHI_SZ", Property: "you_shi_sz", LabelZH: "优势树种", LabelEN: "dominant species", Kind: Coded},
	{Code: "LING_ZU", Property: "ling_zu", LabelZH: "龄组", LabelEN: "age group", Kind: Coded},
	{Code: XuJi, Property: "xu_ji", LabelZH: "蓄积（立方米）", LabelEN: "growing stock (m³)", Kind: Number,
		Scale: 1, Max: "1e9", What: "a stock volume (m³ ≥ 0)"},
}

// All returns every field, in the order of the parcel table.
func All() []Field { return Of() }

// Of returns the fields of the given kinds (all fields when none is given), in registry order.
func Of(kinds ...Kind) []Field {
	var out []Field
	for _, f := range fields {
		if len(kinds) == 0 || has(kinds, f.Kind) {
			out = append(out, f)
		}
	}
	return out
}

func has(kinds []Kind, k Kind) bool {
	for _, x := range kinds {
		if x == k {
			return true
		}
	}
	return false
}

// Codes returns the codes of the fields of the given kinds (all fields when none is given).
func Codes(kinds ...Kind) []string {
	fs := Of(kinds...)
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Code
	}
	return out
}

// ByCode finds a field by its code or one of its aliases, in any case.
func ByCode(code string) (Field, bool) {
	up := strings.ToUpper(strings.TrimSpace(code))
	for _, f := range fields {
		if f.Code == up {
			return f, true
		}
	}
	for _, f := range fields {
		for _, a := range f.Aliases {
			if a == up {
				return f, true
			}
		}
	}
	return Field{}, false
}

// Aliases maps every alias to the code of its field.
func Aliases() map[string]string {
	m := map[string]string{}
	for _, f := range fields {
		for _, a := range f.Aliases {
			m[a] = f.Code
		}
	}
	return m
}
