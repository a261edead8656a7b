package ingest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/features"
	"github.com/wuyuan-forestry/ecocomp/internal/parcelfield"
)

// ParcelFields are the standard pinyin fields of the forest-resource inventory (the registry,
// internal/parcelfield), in the order of the parcel table; a file's fields with these names (any
// case) map by default.
var ParcelFields = parcelfield.Codes()

// PerHectareStock is the per-hectare stock volume field (活立木公顷蓄积); when a file has it and no
// XU_JI, the stock is MIAN_JI × it.
const PerHectareStock = "HUO_LMGQXJ"

// requiredFields make up the key and the legal area.
var requiredFields = parcelfield.Codes(parcelfield.Key, parcelfield.Area)

// codeFields are checked against (and translated through) the code dictionary.
var codeFields = parcelfield.Codes(parcelfield.Coded)

// aliases are other names the same fields go by in surveyors' files.
var aliases = parcelfield.Aliases()

// exportDerived are the properties `ecocomp export parcels` computes (every property of a parcel
// feature but the registry's fields, and the feature id and zone list); a re-imported export
// carries them, and they are ignored rather than kept as extra attributes.
var exportDerived = func() map[string]bool {
	m := map[string]bool{"id": true, "zones": true}
	for _, p := range features.ParcelProperties() {
		m[p] = true
	}
	for _, f := range parcelfield.All() {
		delete(m, f.Property)
	}
	return m
}()

// Mapping names the source fields of parcel fields, for files that do not use the standard names,
// and the fields kept (and published) as extra attributes.
type Mapping struct {
	// Fields maps a source field name (any case) to a standard field name (ParcelFields or
	// PerHectareStock), or to "" to ignore the field.
	Fields map[string]string
	// Extra lists the source fields (any case) kept unchanged in parcel.extra and published
	// with the parcel by the lookup API, OGC items and exports. A field the list does not name
	// is not kept; one that looks like personal data is not kept even when named.
	Extra []string
}

// ParseMapping reads a --mapping file: a JSON object from source field names to standard field
// names ({"XBH": "XIAO_BAN", "MJ": "MIAN_JI", "OBJECTID": null}), or an object with that under
// "fields" and the fields to keep as extra attributes under "extra"
// ({"fields": {"XBH": "XIAO_BAN"}, "extra": ["CUN_MC", "BEI_ZHU"]}).
func ParseMapping(data []byte) (*Mapping, error) {
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&raw); err != nil {
		return nil, apperr.New(apperr.Invalid, "the mapping is not a JSON object of source field → standard field (%v)", err)
	}
	var extraRaw json.RawMessage
	if structured(raw) {
		inner, extra := raw["fields"], raw["extra"]
		raw = nil
		if inner != nil {
			if err := json.Unmarshal(inner, &raw); err != nil {
				return nil, apperr.New(apperr.Invalid, "the mapping's \"fields\" is not an object of source field → standard field (%v)", err)
			}
		}
		extraRaw = extra
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
	if extraRaw != nil {
		if err := json.Unmarshal(extraRaw, &m.Extra); err != nil {
			return nil, apperr.New(apperr.Invalid, "the mapping's \"extra\" is not a list of field names to keep as extra attributes (%v)", err)
		}
	}
	mapped := map[string]string{}
	for k := range m.Fields {
		mapped[strings.ToUpper(k)] = k
	}
	listed := map[string]bool{}
	for _, e := range m.Extra {
		up := strings.ToUpper(strings.TrimSpace(e))
		switch {
		case up == "":
			return nil, apperr.New(apperr.Invalid, "mapping \"extra\": an empty field name")
		case listed[up]:
			return nil, apperr.New(apperr.Invalid, "mapping \"extra\": %q is listed twice", e)
		case mapped[up] != "":
			return nil, apperr.New(apperr.Invalid, "mapping \"extra\": %q is also in \"fields\"; a field is mapped or kept as an extra attribute, not both", e)
		case known[up] || aliases[up] != "":
			return nil, apperr.New(apperr.Invalid, "mapping \"extra\": %q is a parcel field, stored as such, not an extra attribute", e)
		case ComputedProperty(e):
			return nil, apperr.New(apperr.Invalid, "mapping \"extra\": %q is the name of a property ecocomp computes for every parcel; rename the field in the file", e)
		}
		listed[up] = true
	}
	return m, nil
}

// structured reports whether a mapping file is the {"fields": …, "extra": […]} form rather than
// a flat object of source field → standard field (where a field could be called "fields").
func structured(raw map[string]json.RawMessage) bool {
	if len(raw) == 0 {
		return false
	}
	for k, v := range raw {
		t := bytes.TrimSpace(v)
		switch {
		case k == "fields" && len(t) > 0 && t[0] == '{':
		case k == "extra" && len(t) > 0 && t[0] == '[':
		default:
			return false
		}
	}
	return true
}

// MarshalJSON writes the mapping as ParseMapping reads it (a job stores its mapping so).
func (m *Mapping) MarshalJSON() ([]byte, error) {
	fields := map[string]*string{}
	for k, v := range m.Fields {
		if v == "" {
			fields[k] = nil
			continue
		}
		fields[k] = &v
	}
	extra := m.Extra
	if extra == nil {
		extra = []string{}
	}
	return json.Marshal(struct {
		Fields map[string]*string `json:"fields"`
		Extra  []string           `json:"extra"`
	}{fields, extra})
}

// fieldPlan says what becomes of each staged field.
type fieldPlan struct {
	target   map[string]stageCol // standard field → the column holding it
	extra    []string            // kept in parcel.extra: listed by the mapping, and screened
	ignored  []string            // mapped to null
	dropped  []string            // computed by an ecocomp export
	unlisted []string            // neither mapped nor listed as extra: not kept
	withheld []string            // look like personal data: not kept
	cols     map[string]stageCol // every staged field by name
	shown    map[string]string   // source → target, for the report
}

// planFields maps the file's fields to parcel fields: explicit mapping first, then the standard
// names (any case), then aliases. Of the other fields, those the mapping lists as extra are kept
// as extra attributes, unless their names look like personal data (withheld, with a warning) or
// are those of computed properties (the file is refused); the rest are not kept.
func planFields(cols []stageCol, m *Mapping, rep *Report) (fieldPlan, error) {
	p := fieldPlan{target: map[string]stageCol{}, shown: map[string]string{}, cols: map[string]stageCol{}}
	standard := map[string]bool{PerHectareStock: true}
	for _, f := range ParcelFields {
		standard[f] = true
	}
	explicit := map[string]string{}
	allowed := map[string]bool{}
	present := map[string]bool{}
	for _, c := range cols {
		present[strings.ToUpper(c.name)] = true
		p.cols[c.name] = c
	}
	if m != nil {
		for k, v := range m.Fields {
			explicit[strings.ToUpper(k)] = v
		}
		for k := range m.Fields {
			if !present[strings.ToUpper(k)] {
				rep.note("the mapping names field %s, which the file does not have", k)
			}
		}
		for _, e := range m.Extra {
			allowed[strings.ToUpper(strings.TrimSpace(e))] = true
			if !present[strings.ToUpper(strings.TrimSpace(e))] {
				rep.note("the mapping lists field %s as extra, which the file does not have", e)
			}
		}
	}
	lower := map[string]bool{}
	for _, c := range cols {
		lower[strings.ToLower(c.name)] = true
	}
	isExport := lower["code"] && lower["area_plane_ha"] && lower["legal_area_mu"]

	// keep decides a field no parcel column takes.
	var clash []string
	keep := func(name string) {
		if word, ok := personalName(name); ok {
			p.withheld = append(p.withheld, name)
			rep.add(Line{Severity: Warning, Check: "personal_data", Message: fmt.Sprintf(
				"field %s looks like personal data (its name says %s): it is not kept or published", name, word)})
			return
		}
		switch {
		case allowed[strings.ToUpper(name)] && ComputedProperty(name):
			clash = append(clash, name)
		case allowed[strings.ToUpper(name)]:
			p.extra = append(p.extra, name)
		case isExport && exportDerived[strings.ToLower(name)]:
			p.dropped = append(p.dropped, name)
		default:
			p.unlisted = append(p.unlisted, name)
		}
	}
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
			keep(c.name)
			continue
		}
		if prev, ok := p.target[target]; ok {
			switch {
			case prio[target] > pr:
				keep(c.name)
				continue
			case prio[target] == pr:
				return p, reject("fields", "fields %s and %s both map to %s; say which one with --mapping", prev.name, c.name, target)
			default:
				keep(prev.name)
				delete(p.shown, prev.name)
			}
		}
		p.target[target] = c
		prio[target] = pr
		p.shown[c.name] = target
	}
	if len(clash) > 0 {
		sort.Strings(clash)
		return p, reject("fields", "the mapping lists %s as extra, but ecocomp computes a property of that name for every parcel (%s); rename the field in the file and in the mapping",
			strings.Join(clash, ", "), strings.ToLower(strings.Join(clash, ", ")))
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
	sort.Strings(p.unlisted)
	rep.Fields = p.shown
	rep.Extra = p.extra
	rep.Ignored = append(append([]string{}, p.dropped...), p.ignored...)
	rep.Unlisted = p.unlisted
	rep.Withheld = p.withheld
	return p, nil
}
