// Package config is the one place ecocomp reads its environment. Everything else receives a
// Config; there are no package globals to swap in tests.
package config

import (
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/wuyuan-forestry/ecocomp/internal/devdb"
)

// Config is ecocomp's configuration (docs/API.md, "Process").
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
	// OSUser is USER, the name a command-line run is audited under when the account database
	// does not know the process's uid (audit.OSUser).
	OSUser string
	// BasemapURL is an optional raster tile URL template for the web map (ECOCOMP_BASEMAP_URL).
	BasemapURL string
	// TileCacheMB bounds the in-process cache of hot vector tiles (ECOCOMP_TILE_CACHE_MB,
	// default 128; 0 turns the cache off).
	TileCacheMB int

	// Limits on the work in flight (README, "Limits"): a request waits at most PoolWait for a
	// database slot (ECOCOMP_POOL_WAIT, default 3s); heavy requests — county-wide exports and
	// rolls, OGC pages over 1,000 items — run HeavyConcurrency at a time (ECOCOMP_HEAVY_CONCURRENCY,
	// default one per two cores); a request may take RequestTimeout (ECOCOMP_REQUEST_TIMEOUT, default 30s), a heavy
	// one HeavyTimeout (ECOCOMP_HEAVY_TIMEOUT, default 10m). Zero values take the defaults.
	PoolWait         time.Duration
	HeavyConcurrency int
	// TileRenders is how many distinct cold tiles render at once (ECOCOMP_TILE_RENDERS, default 4);
	// the same tile asked for by many clients renders once.
	TileRenders    int
	RequestTimeout time.Duration
	HeavyTimeout   time.Duration

	// LogFormat is ECOCOMP_LOG_FORMAT, text (default) or json; LogDebug is ECOCOMP_LOG_LEVEL=debug,
	// which logs every request.
	LogFormat string
	LogDebug  bool

	// RequireSignIn is ECOCOMP_PUBLIC_READ=false: every request but health, readiness and the
	// sign-in page needs a signed-in user or a token. The zero value keeps anonymous reading.
	RequireSignIn bool
	// SessionIdle is how long a session lives without a request (ECOCOMP_SESSION_IDLE, default 30m).
	SessionIdle time.Duration
	// PasswordMinLength and PasswordMinClasses are the password rules
	// (ECOCOMP_PASSWORD_MIN_LENGTH, default 10; ECOCOMP_PASSWORD_MIN_CLASSES of lower, upper,
	// digit, other, default 3).
	PasswordMinLength, PasswordMinClasses int
	// LockoutAttempts failed sign-ins within LockoutWindow lock an account until they age out
	// (ECOCOMP_LOCKOUT_ATTEMPTS, default 5; ECOCOMP_LOCKOUT_WINDOW, default 15m).
	LockoutAttempts int
	LockoutWindow   time.Duration

	// PIIKey is ECOCOMP_PII_KEY: the key(s) that encrypt owners' ID numbers and accounts at rest.
	PIIKey string
	// PIIKeyFile is ECOCOMP_PII_KEY_FILE, a file holding the key(s); when neither is set, the
	// project-local database's key file (.devdb/pii.key) is used if it exists.
	PIIKeyFile string

	// invalid collects the variables that could not be parsed; Validate reports them.
	invalid []string

	// ShutdownGrace is how long `ecocomp serve`, told to stop, waits for running import jobs
	// before it cancels them (ECOCOMP_SHUTDOWN_GRACE, default 30s); cancelled ones roll back and
	// run again at the next start.
	ShutdownGrace time.Duration

	// ImportMaxFeatures refuses an import file with more features than this
	// (ECOCOMP_IMPORT_MAX_FEATURES, default 2,000,000 as ingest.DefaultMaxFeatures).
	ImportMaxFeatures int
}

// DefaultHeavyConcurrency is one heavy request per two cores (at least one): a county-wide export
// keeps a PostgreSQL backend and the server busy, and lookups need the rest of the machine.
func DefaultHeavyConcurrency() int { return max(1, runtime.NumCPU()/2) }

// FromEnv reads the configuration from the environment, with the documented defaults.
func FromEnv() Config {
	c := Config{
		DatabaseURL: os.Getenv("DATABASE_URL"),
		Addr:        os.Getenv("ECOCOMP_ADDR"),
		AdminToken:  os.Getenv("ECOCOMP_ADMIN_TOKEN"),
		DevDBDir:    os.Getenv("ECOCOMP_DEVDB_DIR"),
		OSUser:      os.Getenv("USER"),
		BasemapURL:  os.Getenv("ECOCOMP_BASEMAP_URL"),
	}
	if c.DevDBDir == "" {
		c.DevDBDir = devdb.DefaultDir()
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
	c.RequireSignIn = false
	if v := os.Getenv("ECOCOMP_PUBLIC_READ"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			c.invalid = append(c.invalid, "ECOCOMP_PUBLIC_READ must be true or false")
		}
		c.RequireSignIn = err == nil && !b
	}
	c.PoolWait = c.duration("ECOCOMP_POOL_WAIT", 3*time.Second)
	c.HeavyConcurrency = c.count("ECOCOMP_HEAVY_CONCURRENCY", DefaultHeavyConcurrency())
	c.TileRenders = c.count("ECOCOMP_TILE_RENDERS", 4)
	c.RequestTimeout = c.duration("ECOCOMP_REQUEST_TIMEOUT", 30*time.Second)
	c.HeavyTimeout = c.duration("ECOCOMP_HEAVY_TIMEOUT", 10*time.Minute)
	c.LogFormat = strings.ToLower(os.Getenv("ECOCOMP_LOG_FORMAT"))
	switch c.LogFormat {
	case "":
		c.LogFormat = "text"
	case "text", "json":
	default:
		c.invalid = append(c.invalid, "ECOCOMP_LOG_FORMAT must be text or json")
	}
	switch v := strings.ToLower(os.Getenv("ECOCOMP_LOG_LEVEL")); v {
	case "", "info":
	case "debug":
		c.LogDebug = true
	default:
		c.invalid = append(c.invalid, "ECOCOMP_LOG_LEVEL must be info or debug")
	}
	c.SessionIdle = c.duration("ECOCOMP_SESSION_IDLE", 30*time.Minute)
	c.LockoutWindow = c.duration("ECOCOMP_LOCKOUT_WINDOW", 15*time.Minute)
	c.PasswordMinLength = c.count("ECOCOMP_PASSWORD_MIN_LENGTH", 10)
	c.PasswordMinClasses = c.count("ECOCOMP_PASSWORD_MIN_CLASSES", 3)
	c.LockoutAttempts = c.count("ECOCOMP_LOCKOUT_ATTEMPTS", 5)
	c.PIIKey = os.Getenv("ECOCOMP_PII_KEY")
	c.PIIKeyFile = os.Getenv("ECOCOMP_PII_KEY_FILE")
	c.ShutdownGrace = c.duration("ECOCOMP_SHUTDOWN_GRACE", 30*time.Second)

	c.ImportMaxFeatures = c.count("ECOCOMP_IMPORT_MAX_FEATURES", 2_000_000)
	return c
}

func (c *Config) duration(name string, def time.Duration) time.Duration {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		c.invalid = append(c.invalid, name+" must be a duration such as 30m or 1h")
		return def
	}
	return d
}

func (c *Config) count(name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		c.invalid = append(c.invalid, name+" must be a whole number above 0")
		return def
	}
	return n
}

// Validate checks what can be checked without connecting anywhere.
func (c Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("ECOCOMP_ADDR %q is not host:port (e.g. 127.0.0.1:8080)", c.Addr)
	}
	if len(c.invalid) > 0 {
		return fmt.Errorf("%s", strings.Join(c.invalid, "; "))
	}
	if c.TileCacheMB < 0 {
		return fmt.Errorf("ECOCOMP_TILE_CACHE_MB must be a whole number of megabytes (0 turns the tile cache off)")
	}
	return nil
}

// TestDatabaseURL is the server tests create their databases on: ECOCOMP_TEST_DATABASE_URL, else
// DATABASE_URL, else the machine's PostgreSQL on 127.0.0.1:5432 (internal/postgis/pgtest).
func TestDatabaseURL() string {
	for _, k := range []string{"ECOCOMP_TEST_DATABASE_URL", "DATABASE_URL"} {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
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
