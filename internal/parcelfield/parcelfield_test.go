package parcelfield_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/wuyuan-forestry/ecocomp/internal/ingest"
	"github.com/wuyuan-forestry/ecocomp/internal/parcelfield"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
)

// otherColumns are the parcel columns that are not inventory fields: identity, derived codes,
// the code scheme, the owner, extra attributes, geometry, computed areas and history.
var otherColumns = []string{"id", "code", "township_code", "village_code", "code_scheme", "owner_id", "extra", "demo",
	"geom", "area_m2", "area_plane_m2", "valid_from", "valid_to", "batch_id"}

// TestRegistryNames: the names are unique and safe to write into SQL text (the feature query and
// the import splice them; they are never input).
func TestRegistryNames(t *testing.T) {
	t.Parallel()
	code := regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)
	prop := regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	seen := map[string]string{}
	claim := func(name, by string) {
		if prev, dup := seen[name]; dup {
			t.Errorf("%s is used by %s and %s", name, prev, by)
		}
		seen[name] = by
	}
	for _, f := range parcelfield.All() {
		if !code.MatchString(f.Code) {
			t.Errorf("code %q is not an upper-case pinyin name", f.Code)
		}
		if !prop.MatchString(f.Property) {
			t.Errorf("%s: property %q is not a lower-case name", f.Code, f.Property)
		}
		if f.LabelZH == "" || f.LabelEN == "" {
			t.Errorf("%s has no label", f.Code)
		}
		claim(f.Code, f.Code)
		for _, a := range f.Aliases {
			if !code.MatchString(a) {
				t.Errorf("%s: alias %q is not an upper-case name", f.Code, a)
			}
			claim(a, f.Code+" (alias)")
		}
		claim(f.Property, f.Code+" (property)")
		if l := f.LabelProperty(); l != "" {
			claim(l, f.Code+" (label property)")
		}
		switch f.Kind {
		case parcelfield.Number:
			if f.Max == "" || f.What == "" || f.Scale < 0 || strings.ContainsAny(f.What, "%'") {
				t.Errorf("%s: a number needs Max, What (without %% or ') and a Scale ≥ 0", f.Code)
			}
		case parcelfield.Coded:
			if f.Dictionary() != f.Code {
				t.Errorf("%s: dictionary field %q", f.Code, f.Dictionary())
			}
		}
	}
	if _, ok := parcelfield.ByCode("lmsyq"); !ok {
		t.Error("the alias LMSYQ is not found in any case")
	}
}

// TestRegistryMatchesTheDatabase is the guard of the registry: a field added to the registry
// without its migration, or to a migration (a parcel column, dictionary codes, the code check)
// without its registry entry, fails here, naming what is missing where.
func TestRegistryMatchesTheDatabase(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	ctx := context.Background()

	// The parcel table's columns and their types.
	rows, err := pool.Query(ctx, `SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
		WHERE attrelid = 'parcel'::regclass AND attnum > 0 AND NOT attisdropped`)
	if err != nil {
		t.Fatal(err)
	}
	columns := map[string]string{}
	for rows.Next() {
		var n, typ string
		if err := rows.Scan(&n, &typ); err != nil {
			t.Fatal(err)
		}
		columns[n] = typ
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	registered := map[string]bool{}
	for _, f := range parcelfield.All() {
		registered[f.Property] = true
		typ, ok := columns[f.Property]
		if !ok {
			t.Errorf("%s is in the registry but parcel has no column %s: add it in a migration", f.Code, f.Property)
			continue
		}
		var want string
		switch f.Kind {
		case parcelfield.Key, parcelfield.Coded:
			want = "text"
		case parcelfield.Area:
			want = `numeric\(14,4\)`
		case parcelfield.Number:
			want = fmt.Sprintf(`numeric\([0-9]+,%d\)`, f.Scale)
		}
		if !regexp.MustCompile(`^` + want + `$`).MatchString(typ) {
			t.Errorf("parcel.%s is %s, the registry's %s wants %s", f.Property, typ, f.Code, strings.ReplaceAll(want, `\`, ""))
		}
	}
	for n := range columns {
		if !registered[n] && !slices.Contains(otherColumns, n) {
			t.Errorf("parcel has a column %s that the registry (internal/parcelfield) does not list: add its entry there, or to otherColumns here if it is no inventory field", n)
		}
	}

	// The code dictionary's fields.
	var dictFields []string
	if err := pool.QueryRow(ctx, `SELECT coalesce(array_agg(DISTINCT field ORDER BY field), '{}') FROM code_dictionary`).Scan(&dictFields); err != nil {
		t.Fatal(err)
	}
	var coded []string
	for _, f := range parcelfield.Of(parcelfield.Coded) {
		coded = append(coded, f.Dictionary())
	}
	sort.Strings(coded)
	if !slices.Equal(dictFields, coded) {
		t.Errorf("code_dictionary has codes for %v, the registry's coded fields are %v", dictFields, coded)
	}

	// The statement triggers that check the codes of written parcels against the dictionary.
	var defs []string
	if err := pool.QueryRow(ctx, `SELECT coalesce(array_agg(DISTINCT pg_get_functiondef(t.tgfoid)), '{}') FROM pg_trigger t
		WHERE t.tgrelid = 'parcel'::regclass AND t.tgname LIKE 'parcel_known_codes%'`).Scan(&defs); err != nil {
		t.Fatal(err)
	}
	if len(defs) == 0 {
		t.Fatal("no parcel_known_codes trigger on parcel")
	}
	pair := regexp.MustCompile(`\('([A-Z0-9_]+)', n\.([a-z0-9_]+)\)`)
	for _, def := range defs {
		var checked []string
		for _, m := range pair.FindAllStringSubmatch(def, -1) {
			f, ok := parcelfield.ByCode(m[1])
			if !ok || f.Kind != parcelfield.Coded || f.Property != m[2] {
				t.Errorf("the code check pairs %s with column %s, which the registry does not", m[1], m[2])
			}
			checked = append(checked, m[1])
		}
		sort.Strings(checked)
		if !slices.Equal(checked, coded) {
			t.Errorf("the code check of parcel checks %v, the registry's coded fields are %v: replace the trigger function in the migration", checked, coded)
		}
	}
}

// TestMappingTakesEveryField: an import mapping may name every field of the registry.
func TestMappingTakesEveryField(t *testing.T) {
	t.Parallel()
	for _, f := range parcelfield.All() {
		m, err := ingest.ParseMapping([]byte(`{"SRC": "` + strings.ToLower(f.Code) + `"}`))
		if err != nil {
			t.Errorf("%s: %v", f.Code, err)
			continue
		}
		if got := m.Fields["SRC"]; got != f.Code {
			t.Errorf("mapping to %s gives %q", f.Code, got)
		}
	}
}
