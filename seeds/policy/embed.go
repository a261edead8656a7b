// Package policyseeds embeds the policy files shipped with ecocomp (seeds/policy/<year>.json), so
// that `make demo` and tests can load a policy without a path. The format is described in
// seeds/policy/README.md; internal/policy parses and stores them.
package policyseeds

import (
	"embed"
	"io/fs"
	"sort"
)

//go:embed *.json
var files embed.FS

// Names lists the shipped policy files, oldest first ("2026.json" …).
func Names() []string {
	names, _ := fs.Glob(files, "*.json")
	sort.Strings(names)
	return names
}

// File returns a shipped policy file by name.
func File(name string) ([]byte, error) { return files.ReadFile(name) }

// Embedded2026 returns the shipped 2026 policy (seeds/policy/2026.json).
func Embedded2026() []byte {
	b, err := files.ReadFile("2026.json")
	if err != nil {
		panic("seeds/policy/2026.json is not embedded: " + err.Error())
	}
	return b
}
