// Package migrations holds the numbered SQL migrations of the ecocomp schema, embedded in the
// binary so that `ecocomp migrate` needs nothing beside it.
package migrations

import "embed"

// FS holds the *.sql migrations in goose format.
//
//go:embed *.sql
var FS embed.FS
