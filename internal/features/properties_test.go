package features

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/wuyuan-forestry/ecocomp/internal/demo"
	"github.com/wuyuan-forestry/ecocomp/internal/parcelfield"
	"github.com/wuyuan-forestry/ecocomp/internal/pii"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
)

// TestParcelPropertiesFollowTheRegistry: every field of the registry, and the label of every
// coded one, is a property of every parcel feature; a properties object built in parts (as a
// registry past 50 properties needs) is the same text as one built whole.
func TestParcelPropertiesFollowTheRegistry(t *testing.T) {
	t.Parallel()
	pool := pgtest.New(t)
	ctx := context.Background()
	kr, err := pii.Parse(pii.Generate(), "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Seed(ctx, pool, demo.Options{Parcels: 200, Seed: 1, PII: kr}); err != nil {
		t.Fatal(err)
	}
	read := func(c *Collection) []string {
		t.Helper()
		q, args := c.SQL(Filter{}, Shape{CRS: CRS84})
		rows, err := pool.Query(ctx, q, args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var key, feature string
			if err := rows.Scan(&key, &feature); err != nil {
				t.Fatal(err)
			}
			out = append(out, feature)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	whole := read(Parcels)
	parted := *Parcels
	parted.props = jsonObject(parcelProps(), 7)
	parted.stored = false // built by the query, in parts: the same text as the stored features
	parts := read(&parted)
	if len(whole) < 100 || len(parts) != len(whole) {
		t.Fatalf("got %d and %d features, want the same number, about 200", len(whole), len(parts))
	}
	for i := range whole {
		if parts[i] != whole[i] {
			t.Fatalf("feature %d built in parts:\n%s\nwant\n%s", i, parts[i], whole[i])
		}
	}
	var want []string
	for _, f := range parcelfield.All() {
		want = append(want, f.Property)
		if l := f.LabelProperty(); l != "" {
			want = append(want, l)
		}
	}
	for _, text := range whole {
		var feat struct {
			ID         string         `json:"id"`
			Properties map[string]any `json:"properties"`
		}
		if err := json.Unmarshal([]byte(text), &feat); err != nil {
			t.Fatal(err)
		}
		for _, p := range want {
			if _, ok := feat.Properties[p]; !ok {
				t.Fatalf("parcel %s has no property %s", feat.ID, p)
			}
		}
	}
}
