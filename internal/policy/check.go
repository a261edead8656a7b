package policy

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
)

// Problem is one thing wrong with a policy file: the key path (e.g.
// subsidies.programs[2].rates[0].yuan_per_mu), the line it is on and what is wrong.
type Problem struct {
	Path    string `json:"path"`
	Line    int    `json:"line,omitempty"`
	Message string `json:"message"`
}

func (p Problem) String() string {
	s := p.Message
	if p.Path != "" {
		s = p.Path + ": " + s
	}
	if p.Line > 0 {
		s += fmt.Sprintf(" (line %d)", p.Line)
	}
	return s
}

// ValidationError lists every problem found in a policy file, in file order. errors.As also
// turns it into an *apperr.Error with code Invalid, so the HTTP layer answers 400 with the list.
type ValidationError struct {
	Problems []Problem
}

func (e *ValidationError) Error() string {
	if len(e.Problems) == 1 {
		return "policy file: " + e.Problems[0].String()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "policy file has %d problems:", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  - ")
		b.WriteString(p.String())
	}
	return b.String()
}

// As lets apperr.CodeOf see a ValidationError as an Invalid error whose detail is the list.
func (e *ValidationError) As(target any) bool {
	if t, ok := target.(**apperr.Error); ok {
		*t = &apperr.Error{Code: apperr.Invalid, Detail: e.Error()}
		return true
	}
	return false
}

// codeRef is a parcel code the policy mentions, kept so Store can check it against the
// database's code dictionary.
type codeRef struct {
	field, code, path string
	line              int
}

// checker collects problems while the section readers walk the tree.
type checker struct {
	data  []byte
	probs []Problem
	refs  []codeRef
}

func (c *checker) addf(n *jnode, path, format string, args ...any) {
	line := 0
	if n != nil {
		line = lineOf(c.data, n.off)
	}
	c.probs = append(c.probs, Problem{Path: path, Line: line, Message: fmt.Sprintf(format, args...)})
}

func (c *checker) err() error {
	if len(c.probs) == 0 {
		return nil
	}
	sort.SliceStable(c.probs, func(i, j int) bool { return c.probs[i].Line < c.probs[j].Line })
	return &ValidationError{Problems: c.probs}
}

// obj reads the keys of one JSON object. Every key read through req or opt is "known"; end
// reports the rest as unknown.
type obj struct {
	c    *checker
	n    *jnode // nil when the value was absent or not an object (already reported)
	path string
	used []string
}

func (c *checker) object(n *jnode, path string) *obj {
	o := &obj{c: c, path: path}
	if n == nil {
		return o
	}
	if n.kind != jObject {
		c.addf(n, path, "want an object, got %s", kindNames[n.kind])
		return o
	}
	o.n = n
	return o
}

// req returns the value of a required key (nil, reported, when missing).
func (o *obj) req(key string) (*jnode, string) {
	v, p := o.opt(key)
	if v == nil && o.n != nil {
		o.c.addf(o.n, p, "missing (required)")
	}
	return v, p
}

// opt returns the value of an optional key, nil when absent.
func (o *obj) opt(key string) (*jnode, string) {
	o.used = append(o.used, key)
	p := joinKey(o.path, key)
	if o.n == nil {
		return nil, p
	}
	return o.n.vals[key], p
}

// end reports every key that no reader asked for.
func (o *obj) end() {
	if o.n == nil {
		return
	}
	for _, k := range o.n.keys {
		if contains(o.used, k) {
			continue
		}
		o.c.addf(o.n.vals[k], joinKey(o.path, k), "unknown key%s", suggest(k, o.used))
	}
}

// suggest names the closest known key, or lists them.
func suggest(got string, known []string) string {
	best, bestD := "", 1<<30
	for _, k := range known {
		if d := editDistance(got, k); d <= max(2, len([]rune(k))/3) && d < bestD {
			best, bestD = k, d
		}
	}
	if best != "" {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	if len(known) == 0 {
		return ""
	}
	return " (known keys here: " + strings.Join(known, ", ") + ")"
}

func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur := make([]int, len(rb)+1)
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(rb)]
}

// text reads a string; nonEmpty rejects "".
func (c *checker) text(n *jnode, path string, nonEmpty bool) string {
	if n == nil {
		return ""
	}
	if n.kind != jString {
		c.addf(n, path, "want a string, got %s", kindNames[n.kind])
		return ""
	}
	if nonEmpty && strings.TrimSpace(n.s) == "" {
		c.addf(n, path, "must not be empty")
	}
	return n.s
}

// integer reads a whole number within [lo, hi].
func (c *checker) integer(n *jnode, path string, lo, hi int) int {
	if n == nil {
		return 0
	}
	if n.kind != jNumber {
		c.addf(n, path, "want a whole number, got %s", kindNames[n.kind])
		return 0
	}
	v, err := strconv.Atoi(n.s)
	if err != nil {
		c.addf(n, path, "%s is not a whole number", n.s)
		return 0
	}
	if v < lo || v > hi {
		c.addf(n, path, "%d is outside %d–%d", v, lo, hi)
	}
	return v
}

func (c *checker) boolean(n *jnode, path string) bool {
	if n == nil {
		return false
	}
	if n.kind != jBool {
		c.addf(n, path, "want true or false, got %s", kindNames[n.kind])
		return false
	}
	return n.b
}

// yuan reads a non-negative amount of money written as a string ("16.00").
func (c *checker) yuan(n *jnode, path string) Fen {
	if n == nil {
		return 0
	}
	if n.kind != jString {
		lit := kindNames[n.kind]
		if n.kind == jNumber {
			lit = n.s
		}
		c.addf(n, path, "write money as a string in yuan with two decimals (e.g. \"16.00\"), not %s", lit)
		return 0
	}
	v, err := ParseYuan(n.s)
	if err != nil {
		c.addf(n, path, "%v", err)
		return 0
	}
	if v < 0 {
		c.addf(n, path, "%s must not be negative", n.s)
	}
	return v
}

// decimal reads a decimal written as a string, within [lo, hi] (hi < 0: no upper bound).
func (c *checker) decimal(n *jnode, path string, lo, hi Decimal, what string) Decimal {
	if n == nil {
		return 0
	}
	if n.kind != jString {
		lit := kindNames[n.kind]
		if n.kind == jNumber {
			lit = n.s
		}
		c.addf(n, path, "write %s as a decimal string (e.g. \"0.5\"), not %s", what, lit)
		return 0
	}
	v, err := ParseDecimal(n.s)
	if err != nil {
		c.addf(n, path, "%v", err)
		return 0
	}
	switch {
	case hi >= 0 && (v < lo || v > hi):
		c.addf(n, path, "%s %s is outside %s–%s", what, n.s, lo, hi)
	case v < lo:
		c.addf(n, path, "%s %s must be at least %s", what, n.s, lo)
	}
	return v
}

// list reads a list; nonEmpty rejects [].
func (c *checker) list(n *jnode, path string, nonEmpty bool) []*jnode {
	if n == nil {
		return nil
	}
	if n.kind != jArray {
		c.addf(n, path, "want a list, got %s", kindNames[n.kind])
		return nil
	}
	if nonEmpty && len(n.items) == 0 {
		c.addf(n, path, "must not be empty (leave the key out if it should not constrain)")
	}
	return n.items
}

// strings reads a list of distinct strings, each passing ok (which reports its own problem).
func (c *checker) strs(n *jnode, path string, nonEmpty bool, ok func(v string, n *jnode, path string) bool) []string {
	var out []string
	for i, it := range c.list(n, path, nonEmpty) {
		p := joinIndex(path, i)
		v := c.text(it, p, true)
		if v == "" {
			continue
		}
		if contains(out, v) {
			c.addf(it, p, "%q is listed twice", v)
			continue
		}
		if ok == nil || ok(v, it, p) {
			out = append(out, v)
		}
	}
	if n != nil && n.kind == jArray && out == nil {
		out = []string{}
	}
	return out
}

// code checks the shape of a parcel code and remembers it for the dictionary check.
func (c *checker) code(field string) func(string, *jnode, string) bool {
	return func(v string, n *jnode, path string) bool {
		if !codeShapes[field].MatchString(v) {
			c.addf(n, path, "%q is not a %s code of the %s scheme (e.g. %q)", v, field, CodeScheme, codeExamples[field])
			return false
		}
		c.refs = append(c.refs, codeRef{field: field, code: v, path: path, line: lineOf(c.data, n.off)})
		return true
	}
}

// oneOf checks membership in a fixed vocabulary.
func (c *checker) oneOf(what string, known []string) func(string, *jnode, string) bool {
	return func(v string, n *jnode, path string) bool {
		if !contains(known, v) {
			c.addf(n, path, "unknown %s %q (known: %s)", what, v, strings.Join(known, ", "))
			return false
		}
		return true
	}
}

func (c *checker) ident(what string) func(string, *jnode, string) bool {
	return func(v string, n *jnode, path string) bool {
		if !idPattern.MatchString(v) {
			c.addf(n, path, "%s %q must be lower-case letters, digits and _ (e.g. \"national_public_welfare\")", what, v)
			return false
		}
		return true
	}
}

// enum reads a string that must be one of known.
func (c *checker) enum(n *jnode, path, what string, known ...string) string {
	v := c.text(n, path, true)
	if v != "" && !contains(known, v) {
		c.addf(n, path, "unknown %s %q (known: %s)", what, v, strings.Join(known, ", "))
		return ""
	}
	return v
}

// mapOf walks the entries of an object whose keys are data (classes, codes, IDs).
func (c *checker) mapOf(n *jnode, path string, each func(key string, v *jnode, path string)) {
	o := c.object(n, path)
	if o.n == nil {
		return
	}
	for _, k := range o.n.keys {
		each(k, o.n.vals[k], joinKey(path, k))
	}
}
