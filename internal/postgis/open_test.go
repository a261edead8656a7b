package postgis_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/wuyuan-forestry/ecocomp/internal/postgis"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
)

// TestOpenMissingDatabase: a server that answers without the database asked for is not called
// unreachable; the message says to create the database and migrate it.
func TestOpenMissingDatabase(t *testing.T) {
	t.Parallel()
	u, err := url.Parse(pgtest.AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/ecocomp_no_such_database"
	_, err = postgis.Open(context.Background(), u.String())
	if err == nil || !strings.Contains(err.Error(), `has no database "ecocomp_no_such_database"`) ||
		!strings.Contains(err.Error(), "createdb ecocomp_no_such_database") || strings.Contains(err.Error(), "devdb start") {
		t.Errorf("Open of a missing database: %v; want it named, with createdb and migrate", err)
	}
}
