package ingest

import (
	"bytes"
	"encoding/json"
	"sort"
	"strings"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
)

// ParcelFields are the standard pinyin fields of the forest-resource inventory, in the order of
// the parcel table; a file's fields with these names (any case) map by default.
var ParcelFields = []string{"XIAN", "XIANG", "CUN", "LIN_BAN", "XIAO_BAN", "MIAN_JI", "DI_LEI", "LD_QS", "LM_QS",
	"SEN_LIN_LB", "SHI_QUAN_D", "GJGYL_BHDJ", "BH_DJ", "LIN_ZHONG", "QI_YUAN", "YOU_SHI_SZ", "LING_ZU", "XU_JI"}

// PerHectareStock is the per-hectare stock volume field (活立木公顷蓄积); when a file has it and no
// XU_JI, the stock is MIAN_JI × it.
const PerHectareStock = "HUO_LMGQXJ"

// requiredFields make up the key and the legal area.
var requiredFields = []string{"XIAN", "XIANG", "CUN", "LIN_BAN", "XIAO_BAN", "MIAN_JI"}

// codeFields are checked against (and translated through) the code dictionary.
var codeFields = []string{"DI_LEI", "LD_QS", "LM_QS", "SEN_LIN_LB", "SHI_QUAN_D", "GJGYL_BHDJ", "BH_DJ", "LIN_ZHONG",
	"QI_YUAN", "YOU_SHI_SZ", "LING_ZU"}

// aliases are other names the same fields go by in surveyors' files.
var aliases = map[string]string{"LMSYQ": "LM_QS"}

// exportDerived are the properties `ecocomp export parcels` computes; a re-imported export
// carries them, and they are ignored rather than kept as extra attributes.
var exportDerived = func() map[string]bool {
	m := map[string]bool{}
	for _, f := range []string{"id", "code", "township_code", "township", "village_code", "village", "legal_area_mu",
		"area_ha", "area_mu", "area_plane_ha", "code_scheme", "valid_from", "demo", "eligible", "status", "priority", "zones"} {
		m[f] = true
	}
	for _, f := range codeFields {
		m[strings.ToLower(f)+"_label"] = true
	}
	return m
}()

// Mapping names the source fields of parcel fields, for files that do not use the standard names.
type Mapping struct {
	// Fields maps a source field name (any case) to a standard field name (ParcelFields or
	// PerHectareStock), or to "" to ignore the field (it is not kept as an extra attribute).
	Fields map[string]string
}

// ParseMapping reads a --mapping file: a JSON object from source field names to standard field
// names ({"XBH": "XIAO_BAN", "MJ": "MIAN_JI", "OBJECTID": null}), optionally under "fields".
func ParseMapping(data []byte) (*Mapping, error) {
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&raw); err != nil {
		return nil, apperr.New(apperr.Invalid, "the mapping is not a JSON object of source field → standard field (%v)", err)
	}
	if inner, ok := raw["fields"]; ok && len(raw) == 1 {
		raw = nil
		if err := json.Unmarshal(inner, &raw); err != nil {
			return nil, apperr.New(apperr.Invalid, "the mapping's \"fields\" is not an object of source field → standard field (%v)", err)
		}
	}
	known := map[string]bool{PerHectareStock: true}
	for _, f := range ParcelFields {
		known[f] = true
	}
	m := &Mapping{Fields: map[string]string{}}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	seen := map[string]string{}
	for _, k := range keys {
		var v *string
		if err := json.Unmarshal(raw[k], &v); err != nil {
			return nil, apperr.New(apperr.Invalid, "mapping %q: the value must be a standard field name or null", k)
		}
		target := ""
		if v != nil {
			target = strings.ToUpper(strings.TrimSpace(*v))
		}
		if target != "" && !known[target] {
			return nil, apperr.New(apperr.Invalid, "mapping %q: %q is not a parcel field; use one of %s, %s, or null to ignore the field",
				k, *v, strings.Join(ParcelFields, ", "), PerHectareStock)
		}
		if prev, dup := seen[target]; dup && target != "" {
			return nil, apperr.New(apperr.Invalid, "mapping: both %q and %q map to %s", prev, k, target)
		}
		seen[target] = k
		m.Fields[k] = target
	}
	return m, nil
}

// fieldPlan says what becomes of each staged field.
type fieldPlan struct {
	target  map[string]stageCol // standard field → the column holding it
	extra   []string            // kept in parcel.extra
	ignored []string            // neither mapped nor kept
	dropped []string            // computed by an ecocomp export
	shown   map[string]string   // source → target, for the report
}

// planFields maps the file's fields to parcel fields: explicit mapping first, then the standard
// names (any case), then aliases; fields an ecocomp export computes are ignored when the file is
// one; everything else is kept as an extra attribute.
func planFields(cols []stageCol, m *Mapping, rep *Report) (fieldPlan, error) {
	p := fieldPlan{target: map[string]stageCol{}, shown: map[string]string{}}
	standard := map[string]bool{PerHectareStock: true}
	for _, f := range ParcelFields {
		standard[f] = true
	}
	explicit := map[string]string{}
	if m != nil {
		for k, v := range m.Fields {
			explicit[strings.ToUpper(k)] = v
		}
		present := map[string]bool{}
		for _, c := range cols {
			present[strings.ToUpper(c.name)] = true
		}
		for k := range m.Fields {
			if !present[strings.ToUpper(k)] {
				rep.note("the mapping names field %s, which the file does not have", k)
			}
		}
	}
	lower := map[string]bool{}
	for _, c := range cols {
		lower[strings.ToLower(c.name)] = true
	}
	isExport := lower["code"] && lower["area_plane_ha"] && lower["legal_area_mu"]

	// priority: 3 explicit, 2 standard name, 1 alias
	prio := map[string]int{}
	for _, c := range cols {
		up := strings.ToUpper(c.name)
		target, pr := "", 0
		if t, ok := explicit[up]; ok {
			if t == "" {
				p.ignored = append(p.ignored, c.name)
				continue
			}
			target, pr = t, 3
		} else if standard[up] {
			target, pr = up, 2
		} else if a, ok := aliases[up]; ok {
			target, pr = a, 1
		}
		if target == "" {
			if isExport && exportDerived[strings.ToLower(c.name)] {
				p.dropped = append(p.dropped, c.name)
			} else {
				p.extra = append(p.extra, c.name)
			}
			continue
		}
		if prev, ok := p.target[target]; ok {
			switch {
			case prio[target] > pr:
				p.extra = append(p.extra, c.name)
				continue
			case prio[target] == pr:
				return p, reject("fields", "fields %s and %s both map to %s; say which one with --mapping", prev.name, c.name, target)
			default:
				p.extra = append(p.extra, prev.name)
				delete(p.shown, prev.name)
			}
		}
		p.target[target] = c
		prio[target] = pr
		p.shown[c.name] = target
	}
	var missing []string
	for _, f := range requiredFields {
		if _, ok := p.target[f]; !ok {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		names := make([]string, len(cols))
		for i, c := range cols {
			names[i] = c.name
		}
		return p, reject("fields", "the file has no %s field (its fields: %s); name the fields that hold them with --mapping",
			strings.Join(missing, ", "), strings.Join(names, ", "))
	}
	sort.Strings(p.extra)
	rep.Fields = p.shown
	rep.Extra = p.extra
	rep.Ignored = append(append([]string{}, p.dropped...), p.ignored...)
	return p, nil
}
