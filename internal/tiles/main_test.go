package tiles_test

import (
	"os"
	"testing"

	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
)

// TestMain drops the test databases' template when the package's tests end.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
