// Package seeds embeds the data files that the generators and loaders read: the demo county's
// township seats, reserve sites, river line, name lists and stock tables (seeds/demo).
package seeds

import "embed"

// Demo holds seeds/demo: the inputs of the deterministic demo-county generator (internal/demo).
//
//go:embed demo
var Demo embed.FS
