package policy

import "regexp"

// The fixed vocabulary a policy file is checked against. Area and zone kinds mirror the
// zone_kind table of migrations/00001 (a test compares them); activities, on the other hand, are
// declared by the policy file itself, which must declare at least RequiredActivities.

// ZoneKind is one kind of zone of one kind of protected area.
type ZoneKind struct {
	AreaKind string `json:"area_kind"`
	Kind     string `json:"zone_kind"`
	LabelZh  string `json:"label_zh"`
	LabelEn  string `json:"label_en"`
}

var zoneKinds = []ZoneKind{
	{"nature_reserve", "core", "核心区", "core zone"},
	{"nature_reserve", "buffer", "缓冲区", "buffer zone"},
	{"nature_reserve", "experimental", "实验区", "experimental zone"},
	{"nature_reserve", "core_protection", "核心保护区", "core protection zone"},
	{"nature_reserve", "general_control", "一般控制区", "general control zone"},
	{"wetland_park", "conservation", "保育区", "conservation zone"},
	{"wetland_park", "restoration", "恢复重建区", "restoration zone"},
	{"wetland_park", "reasonable_use", "合理利用区", "reasonable-use zone"},
	{"water_source", "primary", "一级保护区", "primary protection zone"},
	{"water_source", "secondary", "二级保护区", "secondary protection zone"},
	{"scenic_area", "core_scenic", "核心景区", "core scenic zone"},
	{"scenic_area", "general_scenic", "一般景区", "general scenic zone"},
}

// ZoneKinds lists every zone kind the schema knows, in the schema's order. Every one of them
// needs a regime in a policy file.
func ZoneKinds() []ZoneKind { return append([]ZoneKind(nil), zoneKinds...) }

// ZoneKindOf returns the zone kind named kind, without copying the list (rules ask per parcel).
func ZoneKindOf(kind string) (ZoneKind, bool) {
	for _, z := range zoneKinds {
		if z.Kind == kind {
			return z, true
		}
	}
	return ZoneKind{}, false
}

// AreaKinds lists the protected-area kinds of the schema.
func AreaKinds() []string {
	return []string{"nature_reserve", "wetland_park", "water_source", "scenic_area"}
}

// AreaKindOf returns the area kind a zone kind belongs to, "" for an unknown zone kind.
func AreaKindOf(zoneKind string) string {
	for _, z := range zoneKinds {
		if z.Kind == zoneKind {
			return z.AreaKind
		}
	}
	return ""
}

// AreaLevels are the levels of protected_area.level: who designated the area.
func AreaLevels() []string { return []string{"national", "provincial", "municipal", "county"} }

// OwnershipClassNames are the tree-ownership classes (owner.kind in the schema); the policy maps
// LM_QS codes onto them.
func OwnershipClassNames() []string {
	return []string{"state", "collective", "individual", "enterprise", "partnership", "other"}
}

// OriginClassNames are the stand-origin classes; the policy maps QI_YUAN codes onto them.
func OriginClassNames() []string { return []string{"natural", "planted"} }

// RequiredActivities are the zone-check activities docs/API.md promises; a policy may declare more.
func RequiredActivities() []string {
	return []string{"construction", "logging", "tending", "grazing", "farming", "mining",
		"tourism_facility", "research", "wetland_occupation"}
}

// Verdict is what a zone regime says of an activity.
type Verdict string

// The verdicts, as docs/API.md names them.
const (
	Forbidden   Verdict = "forbidden"   // not allowed at all
	Conditional Verdict = "conditional" // allowed only under the rule's conditions (approval, plan, limits)
	Allowed     Verdict = "allowed"     // allowed without a zone-specific approval
)

// Mode is a way the state can take a parcel out of production (DOMAIN.md, Buyout).
type Mode string

// The modes. Labels are the Chinese terms the bureau uses.
const (
	ModeBuyout           Mode = "buyout"            // 赎买: title to the state
	ModeLease            Mode = "lease"             // 租赁
	ModeSwap             Mode = "swap"              // 置换
	ModeCustody          Mode = "custody"           // 托管
	ModeEquity           Mode = "equity"            // 股权合作/入股
	ModeConcession       Mode = "concession"        // 特许经营
	ModeClosureAgreement Mode = "closure_agreement" // 协议封育 (annual payment)
)

var modeLabels = map[Mode]string{
	ModeBuyout: "赎买", ModeLease: "租赁", ModeSwap: "置换", ModeCustody: "托管",
	ModeEquity: "入股", ModeConcession: "特许经营", ModeClosureAgreement: "协议封育",
}

// Modes lists every mode in the order DOMAIN.md gives them.
func Modes() []Mode {
	return []Mode{ModeBuyout, ModeSwap, ModeLease, ModeCustody, ModeEquity, ModeConcession, ModeClosureAgreement}
}

// Label is the mode's Chinese name (赎买 …), "" for an unknown mode.
func (m Mode) Label() string { return modeLabels[m] }

// Parcel code fields a policy refers to, with the shape of their codes in the 2020 scheme. Parse
// checks the shape; Store checks each code against the code_dictionary in the database.
const (
	FieldLMQS     = "LM_QS"
	FieldDiLei    = "DI_LEI"
	FieldSenLinLB = "SEN_LIN_LB"
	FieldShiQuanD = "SHI_QUAN_D"
	FieldQiYuan   = "QI_YUAN"
	FieldLingZu   = "LING_ZU"
	FieldYouShiSZ = "YOU_SHI_SZ"
)

// CodeScheme is the code scheme every code in a policy file belongs to.
const CodeScheme = "2020"

var codeShapes = map[string]*regexp.Regexp{
	FieldLMQS:     regexp.MustCompile(`^[0-9]{2}$`),
	FieldDiLei:    regexp.MustCompile(`^[0-9]{6}$`),
	FieldSenLinLB: regexp.MustCompile(`^[0-9]{3}$`),
	FieldShiQuanD: regexp.MustCompile(`^[0-9]$`),
	FieldQiYuan:   regexp.MustCompile(`^[0-9]{2}$`),
	FieldLingZu:   regexp.MustCompile(`^[0-9]$`),
	FieldYouShiSZ: regexp.MustCompile(`^[0-9]{6}$`),
}

var codeExamples = map[string]string{
	FieldLMQS: "30", FieldDiLei: "030100", FieldSenLinLB: "021", FieldShiQuanD: "1", FieldQiYuan: "21", FieldLingZu: "4", FieldYouShiSZ: "310000",
}

var (
	idPattern      = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)
	versionPattern = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z._-]{0,39}$`)
)

func contains[T comparable](list []T, v T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
