// Package pilotseeds embeds the pilot plan files shipped with ecocomp (seeds/pilot/*.json): the
// indicators and tasks of the ecological comprehensive compensation pilot, loaded by
// `ecocomp pilot load --shipped` (internal/pilot reads and stores them).
package pilotseeds

import (
	"embed"
	"io/fs"
	"sort"
)

//go:embed *.json
var files embed.FS

// Names lists the shipped pilot files, oldest first.
func Names() []string {
	names, _ := fs.Glob(files, "*.json")
	sort.Strings(names)
	return names
}

// File returns a shipped pilot file by name.
func File(name string) ([]byte, error) { return files.ReadFile(name) }
