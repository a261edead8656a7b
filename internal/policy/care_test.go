package policy

import (
	"strings"
	"testing"

	policyseeds "github.com/wuyuan-forestry/ecocomp/seeds/policy"
)

func shippedDoc(t *testing.T) string {
	t.Helper()
	raw, err := policyseeds.File("2026.json")
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

func TestCareShippedSection(t *testing.T) {
	p, err := Parse([]byte(shippedDoc(t)))
	if err != nil {
		t.Fatal(err)
	}
	c := p.CareRules()
	if c.CoverageMetres != 100 || c.Assessment.MinDays != 20 || c.Assessment.MinCoverageShare.String() != "0.6" || c.Assessment.ReducedFactor.String() != "0.5" {
		t.Fatalf("care = %+v", c)
	}
	if len(c.PaySources) != 2 || c.PaySources[0].Kind != SourceRetained || c.PaySources[1].Kind != SourceFixed || c.PaySources[1].Yuan != 60000000 {
		t.Fatalf("pay sources = %+v", c.PaySources)
	}
	if c.IncidentKinds["fire"] != "火情" || c.IncidentKinds["illegal_logging"] != "盗伐" {
		t.Fatalf("incident kinds = %v", c.IncidentKinds)
	}
	var paths []string
	for _, cv := range p.Unconfirmed() {
		if strings.HasPrefix(cv.Path, "care") {
			paths = append(paths, cv.Path)
		}
	}
	if strings.Join(paths, " ") != "care care.pay_sources[0] care.pay_sources[1] care.assessment" {
		t.Fatalf("unconfirmed care items = %v", paths)
	}
}

func TestCareSectionOptional(t *testing.T) {
	doc := shippedDoc(t)
	i := strings.Index(doc, `,
  "care": {`)
	if i < 0 {
		t.Fatal("no care section in the shipped file")
	}
	p, err := Parse([]byte(doc[:i] + "\n}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Care != nil {
		t.Fatal("a file without care has a care section")
	}
	c := p.CareRules()
	if c.CoverageMetres != 100 || len(c.PaySources) != 1 || c.PaySources[0].Kind != SourceRetained || c.Assessment.ReducedFactor != DecimalScale {
		t.Fatalf("defaults = %+v", c)
	}
	if ok, f := c.Assessment.Passed(0, nil); !ok || f != DecimalScale {
		t.Fatalf("default assessment of an idle month = %v %v; want paid in full", ok, f)
	}
}

func TestCareAssessment(t *testing.T) {
	a := Assessment{MinDays: 20, MinCoverageShare: 600000, ReducedFactor: 500000}
	share := func(f float64) *float64 { return &f }
	for _, c := range []struct {
		days   int
		share  *float64
		passed bool
		factor string
	}{
		{20, share(0.6), true, "1"},
		{19, share(0.9), false, "0.5"},
		{25, share(0.5999), false, "0.5"},
		{20, nil, true, "1"}, // no area: days alone
	} {
		ok, f := a.Passed(c.days, c.share)
		if ok != c.passed || f.String() != c.factor {
			t.Errorf("Passed(%d, %v) = %v, %s; want %v, %s", c.days, c.share, ok, f, c.passed, c.factor)
		}
	}
}

func TestCareSectionErrors(t *testing.T) {
	doc := shippedDoc(t)
	for _, c := range []struct{ from, to, want string }{
		{`"kind": "fixed",
        "yuan": "600000.00",`, `"kind": "fixed",`, `a fixed pay source needs "yuan"`},
		{`"kind": "fixed",`, `"kind": "lottery",`, `unknown pay source kind "lottery"`},
		{`"kind": "fixed",
        "yuan": "600000.00",`, `"kind": "retained_public_management",`, `only one pay source may be retained_public_management`},
		{`"reduced_factor": "0.50"`, `"reduced_factor": "1.5"`, `care.assessment.reduced_factor`},
		{`"coverage_metres": 100`, `"coverage_metres": 0`, `care.coverage_metres`},
		{`"min_days": 20`, `"min_days": 20, "max_days": 31`, `max_days`},
	} {
		bad := strings.Replace(doc, c.from, c.to, 1)
		if bad == doc {
			t.Fatalf("%q not in the shipped file", c.from)
		}
		_, err := Parse([]byte(bad))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s → %q: error %v; want one containing %q", c.from, c.to, err, c.want)
		}
	}
}
