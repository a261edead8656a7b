// Command prune drops the tests' template databases that no running test binary uses; `make
// test` runs it after the tests so that none is left behind on the server.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
)

func main() {
	if err := pgtest.Prune(context.Background()); err != nil {
		fmt.Fprintf(os.Stderr, "pgtest prune: %v\n", err)
		os.Exit(1)
	}
}
