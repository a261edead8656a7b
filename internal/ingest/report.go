package ingest

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// Status of an import as the report states it.
const (
	StatusImported = "imported" // landed in one transaction
	StatusDryRun   = "dry_run"  // validated and classified, nothing written
	StatusRejected = "rejected" // the file has errors; nothing written
	StatusFailed   = "failed"   // something outside the file went wrong (database, GDAL); nothing written
)

// Severities of report lines. Errors reject the whole file; warnings do not.
const (
	Error   = "error"
	Warning = "warning"
)

// Line is one finding of the validation, about one source row (Row 0: the file as a whole).
type Line struct {
	Row      int      `json:"row"`
	Key      string   `json:"key"`
	Severity string   `json:"severity"`
	Check    string   `json:"check"`
	Message  string   `json:"message"`
	AreaM2   *float64 `json:"area_m2,omitempty"`
	OtherRow int      `json:"other_row,omitempty"`
	OtherKey string   `json:"other_key,omitempty"`
}

// Counts says what an import did (or, in a dry run, would do) to the current parcels or zones.
type Counts struct {
	New       int `json:"new"`
	Changed   int `json:"changed"`
	Unchanged int `json:"unchanged"`
	Retired   int `json:"retired"`
	Deleted   int `json:"deleted,omitempty"` // zones only: zones of the area absent from the file
}

// Recomputed says what the recompute after the import did.
type Recomputed struct {
	Year          int    `json:"year"`
	PolicyVersion string `json:"policy_version,omitempty"`
	Parcels       int    `json:"parcels"`
	Zones         int    `json:"zones,omitempty"`
	Note          string `json:"note,omitempty"`
	Failed        bool   `json:"failed,omitempty"` // the recompute failed; the import stands
}

// Report is the outcome of one import: what was read, how, every finding row by row, and what
// landed. It is stored with the import batch (and the HTTP job) and printed by the CLI.
type Report struct {
	Kind       string            `json:"kind"` // parcels or zones
	File       string            `json:"file"`
	Format     string            `json:"format,omitempty"`
	Layer      string            `json:"layer,omitempty"`
	CRS        string            `json:"crs,omitempty"`
	CRSFrom    string            `json:"crs_from,omitempty"` // "file" or "--srid"
	Encoding   string            `json:"encoding,omitempty"`
	Rows       int               `json:"rows"`
	Fields     map[string]string `json:"fields,omitempty"`       // source field → parcel field
	Extra      []string          `json:"extra_fields,omitempty"` // kept unchanged in parcel.extra, and published
	Ignored    []string          `json:"ignored_fields,omitempty"`
	Unlisted   []string          `json:"unlisted_fields,omitempty"` // not kept: the mapping does not list them as extra
	Withheld   []string          `json:"withheld_fields,omitempty"` // not kept: they look like personal data
	Schemes    map[string]string `json:"code_schemes,omitempty"`    // field → scheme the file's codes were read in
	Area       string            `json:"area,omitempty"`            // zones: the protected area
	Status     string            `json:"status"`
	Reason     string            `json:"reason,omitempty"` // why it was rejected or failed, in one sentence
	DryRun     bool              `json:"dry_run,omitempty"`
	Full       bool              `json:"full,omitempty"`
	Errors     int               `json:"errors"`
	Warnings   int               `json:"warnings"`
	Counts     Counts            `json:"counts"`
	Batch      int64             `json:"batch,omitempty"` // the import_batch of the new versions
	ImportedAt *time.Time        `json:"imported_at,omitempty"`
	Recompute  *Recomputed       `json:"recompute,omitempty"`
	Notes      []string          `json:"notes,omitempty"`
	Lines      []Line            `json:"lines"`
	StartedAt  time.Time         `json:"started_at"`
	Seconds    float64           `json:"seconds"`
}

func newReport(kind, file string, opt Options) *Report {
	return &Report{Kind: kind, File: file, Status: StatusFailed, DryRun: opt.DryRun, Full: opt.Full,
		Lines: []Line{}, StartedAt: time.Now().UTC()}
}

func (r *Report) add(l Line) {
	r.Lines = append(r.Lines, l)
	if l.Severity == Error {
		r.Errors++
	} else {
		r.Warnings++
	}
}

func (r *Report) note(format string, args ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}

// reject records a problem with the file as a whole and marks the import rejected.
func (r *Report) reject(check, msg string) {
	r.add(Line{Row: 0, Severity: Error, Check: check, Message: msg})
	r.Status = StatusRejected
	r.Reason = msg
}

// sortLines orders the findings: errors first, then by row and check.
func (r *Report) sortLines() {
	sort.SliceStable(r.Lines, func(i, j int) bool {
		a, b := r.Lines[i], r.Lines[j]
		if a.Severity != b.Severity {
			return a.Severity == Error
		}
		if a.Row != b.Row {
			return a.Row < b.Row
		}
		return a.Check < b.Check
	})
}

// checkCounts counts the lines of each severity and check, for the summary.
func (r *Report) checkCounts(sev string) []string {
	n := map[string]int{}
	for _, l := range r.Lines {
		if l.Severity == sev {
			n[l.Check]++
		}
	}
	keys := make([]string, 0, len(n))
	for k := range n {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = fmt.Sprintf("%s %d", k, n[k])
	}
	return out
}

// linesShown is how many lines of each check the text summary lists; the JSON has them all.
const linesShown = 20

// WriteText writes the readable summary: what was read, the outcome, then the findings, at most
// linesShown per check (the JSON report lists every one).
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	what := r.Kind
	fmt.Fprintf(&b, "import %s from %s", what, r.File)
	if r.Format != "" {
		fmt.Fprintf(&b, " (%s", r.Format)
		if r.Layer != "" {
			fmt.Fprintf(&b, ", layer %s", r.Layer)
		}
		fmt.Fprintf(&b, ", %d rows)", r.Rows)
	}
	b.WriteString("\n")
	if r.CRS != "" {
		fmt.Fprintf(&b, "  CRS:       %s (from %s), stored as EPSG:4490\n", r.CRS, r.CRSFrom)
	}
	if r.Encoding != "" {
		fmt.Fprintf(&b, "  encoding:  %s\n", r.Encoding)
	}
	if r.Area != "" {
		fmt.Fprintf(&b, "  area:      %s\n", r.Area)
	}
	if len(r.Fields) > 0 {
		src := make([]string, 0, len(r.Fields))
		for k := range r.Fields {
			src = append(src, k)
		}
		sort.Strings(src)
		var same, renamed []string
		for _, k := range src {
			if strings.EqualFold(k, r.Fields[k]) {
				same = append(same, r.Fields[k])
			} else {
				renamed = append(renamed, k+"→"+r.Fields[k])
			}
		}
		if len(same) > 0 {
			fmt.Fprintf(&b, "  fields:    %s\n", strings.Join(same, ", "))
		}
		if len(renamed) > 0 {
			fmt.Fprintf(&b, "  mapped:    %s\n", strings.Join(renamed, ", "))
		}
	}
	if len(r.Extra) > 0 {
		fmt.Fprintf(&b, "  kept as extra attributes (published with the parcels): %s\n", strings.Join(r.Extra, ", "))
	}
	if len(r.Ignored) > 0 {
		fmt.Fprintf(&b, "  ignored (mapped to null, or computed by ecocomp on export): %s\n", strings.Join(r.Ignored, ", "))
	}
	if len(r.Unlisted) > 0 {
		fmt.Fprintf(&b, "  not kept (list them under \"extra\" in the mapping to keep and publish them): %s\n", strings.Join(r.Unlisted, ", "))
	}
	if len(r.Withheld) > 0 {
		fmt.Fprintf(&b, "  not kept, personal data: %s\n", strings.Join(r.Withheld, ", "))
	}
	if len(r.Schemes) > 0 {
		keys := make([]string, 0, len(r.Schemes))
		for k := range r.Schemes {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + " " + r.Schemes[k]
		}
		fmt.Fprintf(&b, "  code schemes: %s\n", strings.Join(parts, ", "))
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "  note: %s\n", n)
	}
	c := r.Counts
	switch r.Status {
	case StatusImported:
		fmt.Fprintf(&b, "IMPORTED as batch %d: %d new, %d changed (new versions), %d unchanged, %d retired", r.Batch, c.New, c.Changed, c.Unchanged, c.Retired)
		if c.Deleted > 0 {
			fmt.Fprintf(&b, ", %d deleted", c.Deleted)
		}
		b.WriteString("\n")
	case StatusDryRun:
		fmt.Fprintf(&b, "DRY RUN, nothing written: would be %d new, %d changed, %d unchanged, %d retired", c.New, c.Changed, c.Unchanged, c.Retired)
		if c.Deleted > 0 {
			fmt.Fprintf(&b, ", %d deleted", c.Deleted)
		}
		b.WriteString("\n")
	case StatusRejected:
		fmt.Fprintf(&b, "REJECTED, nothing written: %s\n", r.Reason)
	default:
		fmt.Fprintf(&b, "FAILED, nothing written: %s\n", r.Reason)
	}
	fmt.Fprintf(&b, "  %d errors", r.Errors)
	if cc := r.checkCounts(Error); len(cc) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(cc, ", "))
	}
	fmt.Fprintf(&b, ", %d warnings", r.Warnings)
	if cc := r.checkCounts(Warning); len(cc) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(cc, ", "))
	}
	b.WriteString("\n")
	if rc := r.Recompute; rc != nil {
		if rc.Note != "" {
			fmt.Fprintf(&b, "  recompute: %s\n", rc.Note)
		} else {
			fmt.Fprintf(&b, "  recomputed %d parcels for %d under policy %s\n", rc.Parcels, rc.Year, rc.PolicyVersion)
		}
	}
	shown := map[string]int{}
	hidden := map[string]int{}
	for _, l := range r.Lines {
		id := l.Severity + " " + l.Check
		if shown[id] >= linesShown {
			hidden[id]++
			continue
		}
		shown[id]++
		where := "file"
		if l.Row > 0 {
			where = fmt.Sprintf("row %d", l.Row)
		}
		key := l.Key
		if key == "" {
			key = "-"
		}
		fmt.Fprintf(&b, "  %-7s %-9s %-22s %-16s %s\n", l.Severity, where, key, l.Check, l.Message)
	}
	ids := make([]string, 0, len(hidden))
	for id := range hidden {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		fmt.Fprintf(&b, "  … and %d more %s lines (all of them are in the JSON report)\n", hidden[id], id)
	}
	fmt.Fprintf(&b, "  %.1f s\n", r.Seconds)
	_, err := io.WriteString(w, b.String())
	return err
}

// Text is WriteText into a string.
func (r *Report) Text() string {
	var b strings.Builder
	_ = r.WriteText(&b)
	return b.String()
}
