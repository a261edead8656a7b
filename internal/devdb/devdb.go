// Package devdb runs a project-local PostgreSQL + PostGIS cluster under .devdb/, made with the
// machine's own PostgreSQL binaries, on a free loopback port. It is for demos and tests on a
// developer machine; production points DATABASE_URL at the bureau's server instead.
package devdb

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// DatabaseName is the database the cluster serves ecocomp from.
const DatabaseName = "ecocomp"

// Cluster is one project-local cluster rooted at Dir (the .devdb folder).
type Cluster struct {
	Dir string
	// LibDir holds the PostgreSQL versions (default /usr/lib/postgresql) and ShareDir their
	// extension files (default /usr/share/postgresql); tests point them elsewhere.
	LibDir   string
	ShareDir string
}

// New returns the cluster in dir with the machine's default PostgreSQL locations.
func New(dir string) *Cluster {
	return &Cluster{Dir: dir, LibDir: "/usr/lib/postgresql", ShareDir: "/usr/share/postgresql"}
}

// DefaultDir is the .devdb folder of the project that holds the working directory (the nearest
// parent with a go.mod or a .devdb), else ./.devdb; config prefers ECOCOMP_DEVDB_DIR.
func DefaultDir() string {
	wd, err := os.Getwd()
	if err != nil {
		return ".devdb"
	}
	for d := wd; ; d = filepath.Dir(d) {
		for _, marker := range []string{".devdb", "go.mod"} {
			if _, err := os.Stat(filepath.Join(d, marker)); err == nil {
				return filepath.Join(d, ".devdb")
			}
		}
		if filepath.Dir(d) == d {
			return filepath.Join(wd, ".devdb")
		}
	}
}

func (c *Cluster) dataDir() string  { return filepath.Join(c.Dir, "data") }
func (c *Cluster) sockDir() string  { return filepath.Join(c.Dir, "run") }
func (c *Cluster) portFile() string { return filepath.Join(c.Dir, "port") }
func (c *Cluster) logFile() string  { return filepath.Join(c.Dir, "postgres.log") }

// Binaries finds the newest installed PostgreSQL whose PostGIS is installed too. When PostgreSQL
// is there but PostGIS is not, the error names the Debian package to install.
func (c *Cluster) Binaries() (binDir string, major int, err error) {
	entries, _ := os.ReadDir(c.LibDir)
	var versions []int
	for _, e := range entries {
		if v, err := strconv.Atoi(e.Name()); err == nil {
			if _, err := os.Stat(filepath.Join(c.LibDir, e.Name(), "bin", "pg_ctl")); err == nil {
				versions = append(versions, v)
			}
		}
	}
	if len(versions) == 0 {
		return "", 0, fmt.Errorf("no PostgreSQL server binaries under %s: install them with `apt-get install -y postgresql postgresql-15-postgis-3`, or set DATABASE_URL to an existing PostGIS database", c.LibDir)
	}
	sort.Sort(sort.Reverse(sort.IntSlice(versions)))
	for _, v := range versions {
		if _, err := os.Stat(filepath.Join(c.ShareDir, strconv.Itoa(v), "extension", "postgis.control")); err == nil {
			return filepath.Join(c.LibDir, strconv.Itoa(v), "bin"), v, nil
		}
	}
	v := versions[0]
	return "", v, fmt.Errorf("PostGIS is not installed for PostgreSQL %d: install it with `apt-get install -y postgresql-%d-postgis-3` and try again", v, v)
}

// Initialized reports whether the cluster's data directory exists.
func (c *Cluster) Initialized() bool {
	_, err := os.Stat(filepath.Join(c.dataDir(), "PG_VERSION"))
	return err == nil
}

// Port is the port the cluster was given when it was first started.
func (c *Cluster) Port() (int, error) {
	b, err := os.ReadFile(c.portFile())
	if err != nil {
		return 0, errors.New("no project-local database yet: run `ecocomp devdb start`")
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

// URL is the connection URL of the cluster's ecocomp database.
func (c *Cluster) URL() (string, error) {
	p, err := c.Port()
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", p, DatabaseName), nil
}

// Running reports whether the cluster's server is up.
func (c *Cluster) Running() bool {
	if !c.Initialized() {
		return false
	}
	bin, _, err := c.Binaries()
	if err != nil {
		return false
	}
	return c.run(exec.Command(filepath.Join(bin, "pg_ctl"), "status", "-D", c.dataDir())) == nil
}

// Start initialises the cluster on first use, starts it and makes sure the ecocomp database
// exists. Starting a running cluster does nothing.
func (c *Cluster) Start(ctx context.Context) error {
	bin, _, err := c.Binaries()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(c.sockDir(), 0o755); err != nil {
		return fmt.Errorf("cannot create %s: %w", c.Dir, err)
	}
	if !c.Initialized() {
		if err := c.initdb(bin); err != nil {
			return err
		}
	}
	if !c.Running() {
		port, err := c.Port()
		if err != nil || !portFree(port) {
			if port, err = freePort(); err != nil {
				return fmt.Errorf("no free loopback port: %w", err)
			}
			if err := os.WriteFile(c.portFile(), []byte(strconv.Itoa(port)+"\n"), 0o644); err != nil {
				return err
			}
		}
		opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -c unix_socket_directories=%s", port, c.sockDir())
		cmd := exec.Command(filepath.Join(bin, "pg_ctl"), "start", "-w", "-t", "60", "-D", c.dataDir(), "-l", c.logFile(), "-o", opts)
		if err := c.run(cmd); err != nil {
			return fmt.Errorf("the project-local PostgreSQL did not start (%v); see %s", err, c.logFile())
		}
	}
	return c.ensureDatabase(ctx)
}

// Stop shuts the cluster down; stopping a stopped cluster does nothing.
func (c *Cluster) Stop() error {
	if !c.Running() {
		return nil
	}
	bin, _, err := c.Binaries()
	if err != nil {
		return err
	}
	if err := c.run(exec.Command(filepath.Join(bin, "pg_ctl"), "stop", "-w", "-m", "fast", "-D", c.dataDir())); err != nil {
		return fmt.Errorf("the project-local PostgreSQL did not stop: %v; see %s", err, c.logFile())
	}
	return nil
}

func (c *Cluster) initdb(bin string) error {
	if err := c.chownForServer(c.Dir); err != nil {
		return err
	}
	cmd := exec.Command(filepath.Join(bin, "initdb"), "-D", c.dataDir(), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C")
	if err := c.run(cmd); err != nil {
		return fmt.Errorf("initdb failed in %s: %v", c.dataDir(), err)
	}
	// A development cluster sized for the 100,000-parcel demo county on a small machine.
	conf := "\n# ecocomp devdb\nshared_buffers = 256MB\nwork_mem = 32MB\nmaintenance_work_mem = 256MB\nmax_connections = 200\nsynchronous_commit = off\nmax_wal_size = 2GB\n"
	f, err := os.OpenFile(filepath.Join(c.dataDir(), "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(conf)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (c *Cluster) ensureDatabase(ctx context.Context) error {
	port, err := c.Port()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port))
	if err != nil {
		return fmt.Errorf("the project-local PostgreSQL started but does not answer: %v; see %s", err, c.logFile())
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", DatabaseName).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{DatabaseName}.Sanitize()); err != nil {
			return fmt.Errorf("create database %s: %w", DatabaseName, err)
		}
	}
	return nil
}

// run executes a PostgreSQL tool, as the postgres user when we are root (initdb and the server
// refuse to run as root), and returns its last output line as the error.
func (c *Cluster) run(cmd *exec.Cmd) error {
	if os.Geteuid() == 0 {
		args := append([]string{"-u", "postgres", "--", cmd.Path}, cmd.Args[1:]...)
		cmd = exec.Command("runuser", args...)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if last := strings.TrimSpace(lines[len(lines)-1]); last != "" {
			return errors.New(last)
		}
		return err
	}
	return nil
}

// chownForServer hands dir to the postgres user when we are root, and makes sure that user can
// reach it through its parents.
func (c *Cluster) chownForServer(dir string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return errors.New("running as root needs a `postgres` system user to own the cluster (it comes with the postgresql package)")
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	err = filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Chown(p, uid, gid)
	})
	if err != nil {
		return fmt.Errorf("cannot give %s to the postgres user: %w", dir, err)
	}
	abs, _ := filepath.Abs(dir)
	for d := filepath.Dir(abs); d != "/"; d = filepath.Dir(d) {
		if st, err := os.Stat(d); err == nil && st.Mode().Perm()&0o001 == 0 {
			return fmt.Errorf("the postgres user cannot reach %s: %s is not searchable by others (chmod o+x it, or set ECOCOMP_DEVDB_DIR elsewhere)", dir, d)
		}
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func portFree(port int) bool {
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return false
	}
	l.Close()
	return true
}
