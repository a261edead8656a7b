// Command lookupsql prints the exact SQL the server runs for a point lookup, with pgbench
// variables (:lon, :lat) in place of the bound parameters, so that bench/lookup.sh can measure
// the database on its own with the same query.
package main

import (
	"fmt"
	"strings"

	"github.com/paulmach/orb"

	"github.com/wuyuan-forestry/ecocomp/internal/features"
)

func main() {
	sql, args := features.Parcels.SQL(features.Filter{Point: &orb.Point{0, 0}}, features.Shape{CRS: features.CRS84, WithZones: true})
	if len(args) != 2 {
		panic(fmt.Sprintf("the point lookup has %d parameters; bench/lookup.sh expects lon and lat", len(args)))
	}
	sql = strings.NewReplacer("$1", ":lon::float8", "$2", ":lat::float8").Replace(sql)
	// pgbench reads one command per line unless continued; put the query on one line.
	fmt.Println(strings.Join(strings.Fields(sql), " ") + ";")
}
