package policy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
	policyseeds "github.com/wuyuan-forestry/ecocomp/seeds/policy"
)

// variant is the shipped policy with another label, year, start date and national
// public-welfare rate for collective owners.
func variant(t *testing.T, version string, year int, from, collectiveRate string) []byte {
	t.Helper()
	return mutate(t, func(d map[string]any) {
		d["version"] = version
		d["year"] = json.Number(itoa(year))
		d["effective_from"] = from
		at(d, "subsidies", "programs", 0, "rates", 1)["yuan_per_mu"] = collectiveRate
	})
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

func load(t *testing.T, db *pgxpool.Pool, raw []byte, source string) VersionID {
	t.Helper()
	p := mustParse(t, raw)
	id, err := Store(context.Background(), db, p, raw, source)
	if err != nil {
		t.Fatalf("Store(%s): %v", p.Version, err)
	}
	return id
}

func date(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

func collectiveRate(t *testing.T, p *Policy) Fen {
	t.Helper()
	pr, _ := p.Program("national_public_welfare")
	r, _ := pr.RateFor("collective")
	return r.YuanPerMu
}

func TestStoreAndInForce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.New(t)

	id2026 := load(t, db, policyseeds.Embedded2026(), "seeds/policy/2026.json")
	id2027 := load(t, db, variant(t, "2027.1", 2027, "2027-01-01", "18.00"), "2027.json")
	if id2026 == id2027 {
		t.Fatalf("two versions got one id %d", id2026)
	}

	for _, tc := range []struct {
		asOf    string
		version string
		rate    Fen
		id      VersionID
	}{
		{"2026-01-01", "2026.3", 1600, id2026},
		{"2026-12-31", "2026.3", 1600, id2026},
		{"2027-01-01", "2027.1", 1800, id2027},
		{"2030-06-15", "2027.1", 1800, id2027},
	} {
		p, id, err := InForce(ctx, db, date(tc.asOf))
		if err != nil {
			t.Fatalf("InForce(%s): %v", tc.asOf, err)
		}
		if p.Version != tc.version || id != tc.id || collectiveRate(t, p) != tc.rate {
			t.Errorf("InForce(%s) = %s (id %d, rate %s); want %s (id %d, rate %s)", tc.asOf, p.Version, id, collectiveRate(t, p), tc.version, tc.id, tc.rate)
		}
	}
	// The date is the calendar date where asOf is: just after midnight in Beijing on
	// 2027-01-01 is still 2026 in UTC.
	cst := time.FixedZone("CST", 8*3600)
	if p, _, err := InForce(ctx, db, time.Date(2027, 1, 1, 0, 30, 0, 0, cst)); err != nil || p.Version != "2027.1" {
		t.Errorf("InForce(2027-01-01 00:30 +08:00) = %v, %v; want 2027.1", p, err)
	}

	_, _, err := InForce(ctx, db, date("2025-12-31"))
	if apperr.CodeOf(err) != apperr.NotFound || !strings.Contains(err.Error(), "no policy version is in force on 2025-12-31") {
		t.Errorf("InForce before any version = %v; want not found", err)
	}

	if p, id, err := ByYear(ctx, db, 2026); err != nil || p.Version != "2026.3" || id != id2026 {
		t.Errorf("ByYear(2026) = %v, %d, %v; want 2026.3", p, id, err)
	}
	if _, _, err := ByYear(ctx, db, 2028); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("ByYear(2028) error = %v; want not found", err)
	}
	p, err := ByID(ctx, db, id2027)
	if err != nil || p.Version != "2027.1" {
		t.Errorf("ByID(%d) = %v, %v; want 2027.1", id2027, p, err)
	}
	// The stored document keeps the checksum of the file it came from.
	if want := mustParse(t, policyseeds.Embedded2026()).Checksum; mustByID(t, db, id2026).Checksum != want {
		t.Error("the stored 2026 document has another checksum than the file")
	}

	list, err := List(ctx, db)
	if err != nil || len(list) != 2 || list[0].Version != "2026.3" || list[1].Version != "2027.1" ||
		list[0].Source != "seeds/policy/2026.json" || list[1].EffectiveFrom.Format(time.DateOnly) != "2027-01-01" {
		t.Errorf("List = %+v, %v", list, err)
	}

	var audits int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'policy.load' AND entity = 'policy_version'
		AND entity_id IN ($1, $2) AND detail->>'source' <> ''`, itoa(int(id2026)), itoa(int(id2027))).Scan(&audits); err != nil || audits != 2 {
		t.Errorf("audit rows = %d, %v; want 2", audits, err)
	}
}

func mustByID(t *testing.T, db *pgxpool.Pool, id VersionID) *Policy {
	t.Helper()
	p, err := ByID(context.Background(), db, id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Two versions in force from the same day: the one loaded last wins.
func TestInForceTieGoesToLatestLoaded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.New(t)
	load(t, db, policyseeds.Embedded2026(), "2026.json")
	id2 := load(t, db, variant(t, "2026.4", 2026, "2026-01-01", "17.00"), "2026.4.json")
	for _, get := range []func() (*Policy, VersionID, error){
		func() (*Policy, VersionID, error) { return InForce(ctx, db, date("2026-03-01")) },
		func() (*Policy, VersionID, error) { return ByYear(ctx, db, 2026) },
	} {
		p, id, err := get()
		if err != nil || p.Version != "2026.4" || id != id2 {
			t.Errorf("got %v (id %d), %v; want 2026.4 (id %d)", p, id, err, id2)
		}
	}
}

func TestStoreIdenticalContentIsNoop(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.New(t)
	raw := policyseeds.Embedded2026()
	first := load(t, db, raw, "seeds/policy/2026.json")

	// The same content again, once as is and once reformatted: nothing is written.
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		t.Fatal(err)
	}
	for _, again := range [][]byte{raw, compact.Bytes()} {
		l, err := Load(ctx, db, again, "somewhere else")
		if err != nil || l.ID != first || l.Created {
			t.Errorf("reload = %+v, %v; want id %d, not created", l, err, first)
		}
	}
	var versions, audits int
	if err := db.QueryRow(ctx, `SELECT (SELECT count(*) FROM policy_version), (SELECT count(*) FROM audit_log WHERE action = 'policy.load')`).
		Scan(&versions, &audits); err != nil || versions != 1 || audits != 1 {
		t.Errorf("after reloads: %d versions, %d audit rows (%v); want 1 and 1", versions, audits, err)
	}

	loaded, err := LoadShipped(ctx, db)
	if err != nil || len(loaded) != 1 || loaded[0].ID != first || loaded[0].Created {
		t.Errorf("LoadShipped = %+v, %v; want the already loaded 2026.3", loaded, err)
	}
}

func TestStoreRefusesChangedContentUnderTheSameLabel(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.New(t)
	load(t, db, policyseeds.Embedded2026(), "seeds/policy/2026.json")

	changed := variant(t, "2026.3", 2026, "2026-01-01", "16.50")
	p := mustParse(t, changed)
	_, err := Store(ctx, db, p, changed, "edited.json")
	if apperr.CodeOf(err) != apperr.Conflict {
		t.Fatalf("Store of changed content under 2026.3 = %v; want a conflict", err)
	}
	for _, want := range []string{`policy version "2026.3" is already loaded`, "different content", `new version label (e.g. "2026.4")`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	got, _, err := InForce(ctx, db, date("2026-06-01"))
	if err != nil || collectiveRate(t, got) != 1600 {
		t.Errorf("after the refused load the 2026 rate is %v (%v); want 16.00 unchanged", got, err)
	}
}

func TestStoreChecksCodesAgainstTheDictionary(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	raw := mutate(t, func(d map[string]any) {
		at(d, "ownership_classes")["other"] = []any{"90", "99"}
		at(d, "valuation", "species_groups")["999999"] = "fir"
	})
	p := mustParse(t, raw) // the shapes are right; the dictionary does not know the codes
	_, err := Store(context.Background(), db, p, raw, "test")
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) != 2 {
		t.Fatalf("Store = %v; want two unknown codes", err)
	}
	for _, want := range []string{
		`ownership_classes.other[1]: LM_QS code "99" is not in the code dictionary (scheme 2020)`,
		`valuation.species_groups.999999: YOU_SHI_SZ code "999999" is not in the code dictionary (scheme 2020)`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestStoreRefusesRawThatIsNotThePolicy(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	p := mustParse(t, policyseeds.Embedded2026())
	other := variant(t, "2026.3", 2026, "2026-01-01", "17.00")
	if _, err := Store(context.Background(), db, p, other, "x"); apperr.CodeOf(err) != apperr.Invalid {
		t.Errorf("Store with mismatched raw = %v; want invalid", err)
	}
}

func TestStoreNotifiesAndVersionsAreImmutable(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	db := pgtest.New(t)
	conn, err := db.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "LISTEN "+ChangeChannel); err != nil {
		t.Fatal(err)
	}
	id := load(t, db, policyseeds.Embedded2026(), "seeds/policy/2026.json")
	n, err := conn.Conn().WaitForNotification(ctx)
	if err != nil {
		t.Fatalf("no change notice: %v", err)
	}
	var got struct {
		Entity, Action, Version string
		ID                      int64
	}
	if err := json.Unmarshal([]byte(n.Payload), &got); err != nil || got.Entity != "policy_version" || got.Action != "load" ||
		got.Version != "2026.3" || VersionID(got.ID) != id {
		t.Errorf("notice %s on %s; want a load of 2026.3 (id %d)", n.Payload, n.Channel, id)
	}

	for _, stmt := range []string{`UPDATE policy_version SET title = 'x'`, `DELETE FROM policy_version`} {
		if _, err := db.Exec(ctx, stmt); err == nil || !strings.Contains(err.Error(), "policy_version is immutable") {
			t.Errorf("%s: %v; want refused", stmt, err)
		}
	}
}

// The policy's vocabulary of area and zone kinds is the schema's.
func TestZoneKindsMatchTheSchema(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	rows, err := db.Query(context.Background(), `SELECT area_kind, zone_kind, label_zh, label_en FROM zone_kind ORDER BY area_kind, zone_kind`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	schema := map[ZoneKind]bool{}
	for rows.Next() {
		var z ZoneKind
		if err := rows.Scan(&z.AreaKind, &z.Kind, &z.LabelZh, &z.LabelEn); err != nil {
			t.Fatal(err)
		}
		schema[z] = true
	}
	if len(schema) != len(ZoneKinds()) {
		t.Errorf("schema has %d zone kinds, the policy package %d", len(schema), len(ZoneKinds()))
	}
	for _, z := range ZoneKinds() {
		if !schema[z] {
			t.Errorf("zone kind %+v is not in the schema's zone_kind table", z)
		}
		if !contains(AreaKinds(), z.AreaKind) {
			t.Errorf("area kind %s missing from AreaKinds()", z.AreaKind)
		}
	}
}

// Files saved by Windows editors may start with a byte-order mark.
func TestStoreAcceptsAByteOrderMark(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	raw := append([]byte("\xef\xbb\xbf"), policyseeds.Embedded2026()...)
	l, err := Load(context.Background(), db, raw, "bom.json")
	if err != nil || !l.Created || l.Policy.Checksum != mustParse(t, policyseeds.Embedded2026()).Checksum {
		t.Errorf("Load with a BOM = %+v, %v; want created with the file's checksum", l, err)
	}
}
