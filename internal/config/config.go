// Package config is the one place ecocomp reads its environment. Everything else receives a
// Config; there are no package globals to swap in tests.
package config

import (
	"fmt"
	"net"
	"os"
	"strconv"

	"github.com/wuyuan-forestry/ecocomp/internal/devdb"
)

// Config is ecocomp's configuration (API.md, "Process").
type Config struct {
	// DatabaseURL is DATABASE_URL; empty means the project-local devdb cluster.
	DatabaseURL string
	// Addr is ECOCOMP_ADDR, the HTTP listen address.
	Addr string
	// AdminToken is ECOCOMP_ADMIN_TOKEN; HTTP writes need it as a bearer token, and are refused
	// when it is empty.
	AdminToken string
	// DevDBDir is where the project-local cluster lives (ECOCOMP_DEVDB_DIR or .devdb).
	DevDBDir string
	// BasemapURL is an optional raster tile URL template for the web map (ECOCOMP_BASEMAP_URL).
	BasemapURL string
	// TileCacheMB bounds the in-process cache of hot vector tiles (ECOCOMP_TILE_CACHE_MB,
	// default 128; 0 turns the cache off).
	TileCacheMB int
}

// FromEnv reads the configuration from the environment, with the documented defaults.
func FromEnv() Config {
	c := Config{
		DatabaseURL: os.Getenv("DATABASE_URL"),
		Addr:        os.Getenv("ECOCOMP_ADDR"),
		AdminToken:  os.Getenv("ECOCOMP_ADMIN_TOKEN"),
		DevDBDir:    devdb.DefaultDir(),
		BasemapURL:  os.Getenv("ECOCOMP_BASEMAP_URL"),
	}
	if c.Addr == "" {
		c.Addr = "127.0.0.1:8080"
	}
	c.TileCacheMB = 128
	if v := os.Getenv("ECOCOMP_TILE_CACHE_MB"); v != "" {
		c.TileCacheMB = -1 // invalid until parsed; Validate says so
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			c.TileCacheMB = n
		}
	}
	return c
}

// Validate checks what can be checked without connecting anywhere.
func (c Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("ECOCOMP_ADDR %q is not host:port (e.g. 127.0.0.1:8080)", c.Addr)
	}
	if c.TileCacheMB < 0 {
		return fmt.Errorf("ECOCOMP_TILE_CACHE_MB must be a whole number of megabytes (0 turns the tile cache off)")
	}
	return nil
}

// ResolveDatabaseURL is DATABASE_URL when set (it wins everywhere), else the URL of the running
// project-local cluster, else an error that says how to get a database.
func (c Config) ResolveDatabaseURL() (string, error) {
	if c.DatabaseURL != "" {
		return c.DatabaseURL, nil
	}
	cl := devdb.New(c.DevDBDir)
	if !cl.Initialized() {
		return "", fmt.Errorf("no database: set DATABASE_URL, or run `ecocomp devdb start` for a project-local PostGIS")
	}
	if !cl.Running() {
		return "", fmt.Errorf("the project-local database in %s is stopped: run `ecocomp devdb start` (or set DATABASE_URL)", c.DevDBDir)
	}
	return cl.URL()
}
