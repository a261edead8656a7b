package ingest

import (
	"fmt"
	"strings"
)

// Kinds of import. Imports uploaded over HTTP run as durable jobs: see internal/jobs.
const (
	KindParcels = "parcels"
	KindZones   = "zones"
)

// ParseValueMap reads a value map "k=v,k2=v2" (zone values to zone kinds).
func ParseValueMap(s string) (map[string]string, error) {
	m := map[string]string{}
	if strings.TrimSpace(s) == "" {
		return m, nil
	}
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(part, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			return nil, fmt.Errorf("value map %q: write VALUE=ZONE_KIND pairs separated by commas, e.g. 核心区=core,缓冲区=buffer", s)
		}
		m[k] = v
	}
	return m, nil
}
