// Package cli is the ecocomp command line: it parses subcommands and flags, resolves the
// configuration and calls the domain packages. Every failure is one line on stderr and a non-zero
// exit status: 2 for a usage mistake, 1 for anything else.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wuyuan-forestry/ecocomp/internal/audit"
	"github.com/wuyuan-forestry/ecocomp/internal/config"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis"
)

// App is one invocation of the command line with its environment and streams.
type App struct {
	Cfg    config.Config
	Stdout io.Writer
	Stderr io.Writer
}

// usageError marks mistakes in how the command was called (exit status 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

const overview = `ecocomp — spatial ecological-compensation platform of a county forestry bureau

Usage: ecocomp <command> [flags]

Commands:
  devdb start|stop|status|url   project-local PostgreSQL + PostGIS under .devdb/
  migrate                       apply pending schema migrations (idempotent)
  seed demo [--parcels N] [--seed S] [--replace]
                                load the demo county 婺源县 (real outline, demonstration data)
  seed verify                   check the coverage invariants of the loaded parcels
  import parcels|zones FILE [--srid N] [--encoding GBK|UTF-8] [--mapping FILE] [--dry-run] [--full] …
                                a zipped Shapefile, GeoPackage or GeoJSON, validated and merged with history
  export parcels [--township T] [--bbox …] [--crs EPSG:4490|EPSG:4548] [-o FILE]
                                streaming GeoJSON for surveyors
  import care-areas FILE --code-field F --name-field F [--village-chief-field F …]
                                care responsibility areas (管护责任区), all or nothing
  export ranger-roll --year Y [--out FILE] [--unmask]
                                the rangers' pay roll (xlsx), reconciled with the retained 公共管护 money
  policy load FILE|--shipped     validate a policy file and store it as a new version
  policy list                   the stored policy versions
  recompute [--year Y]          overlays, eligibility and subsidy lines of every parcel
  serve                         serve the API and the web map on ECOCOMP_ADDR (127.0.0.1:8080)
  users add NAME --role R[,R…] [--display 名] | list | disable NAME | passwd NAME | unlock NAME | demo
                                staff accounts (roles viewer, surveyor, case_officer, finance, admin)
  tokens add NAME --label L [--expires 90d] | list [NAME] | revoke ID
                                API tokens for scripts, QGIS and GDAL (shown once, stored hashed)
  audit verify | export --from DATE --to DATE [--format csv|jsonl]
                                check the audit trail's hash chain; export it for the archive
  cases list [--status S] [--mode M] [--township T] [--parcel CODE] | cases show NUMBER
                                buyout cases (owners masked unless --unmask, which is audited)
  pii keygen [-o FILE] | pii rotate
                                the key of owners' encrypted personal data (docs/pii-keys.md)
  pilot load FILE|--shipped | pilot member USER UNIT…
                                the pilot's indicators and tasks; which units an account reports for

Environment: DATABASE_URL (wins over devdb), ECOCOMP_ADDR, ECOCOMP_ADMIN_TOKEN, ECOCOMP_PUBLIC_READ,
ECOCOMP_PII_KEY, ECOCOMP_DEVDB_DIR; the README lists them all.
`

// Main runs the command line and returns the process exit status.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	app := &App{Cfg: config.FromEnv(), Stdout: stdout, Stderr: stderr}
	// A mistyped variable is a mistake of every command, not only of serve.
	err := app.Cfg.Validate()
	if err == nil {
		// What a command-line run writes is audited as the OS user that ran it.
		err = app.Run(audit.WithActor(ctx, audit.OSUser(app.Cfg.OSUser)), args)
	}
	if err == nil {
		return 0
	}
	fmt.Fprintf(stderr, "ecocomp: %s\n", oneLine(err.Error()))
	var ue usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

// Run dispatches args to a subcommand.
func (a *App) Run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(a.Stderr, overview)
		return usagef("no command given; see the list above")
	}
	switch args[0] {
	case "-h", "--help", "help":
		fmt.Fprint(a.Stdout, overview)
		return nil
	case "devdb":
		return a.devdb(ctx, args[1:])
	case "migrate":
		return a.migrate(ctx, args[1:])
	case "seed":
		return a.seed(ctx, args[1:])
	case "serve":
		return a.serve(ctx, args[1:])
	case "export":
		return a.export(ctx, args[1:])
	case "policy":
		return a.policy(ctx, args[1:])
	case "recompute":
		return a.recompute(ctx, args[1:])
	case "import":
		return a.importCmd(ctx, args[1:])
	case "users":
		return a.users(ctx, args[1:])
	case "tokens":
		return a.tokens(ctx, args[1:])
	case "audit":
		return a.audit(ctx, args[1:])
	case "pii":
		return a.pii(ctx, args[1:])
	case "cases":
		return a.casesCmd(ctx, args[1:])
	case "pilot":
		return a.pilotCmd(ctx, args[1:])
	}
	return usagef("unknown command %q; run `ecocomp help` for the list", args[0])
}

// parseFlags parses a subcommand's flags; -h prints the flags and returns flag.ErrHelp.
func (a *App) parseFlags(fs *flag.FlagSet, args []string, usage string) error {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(a.Stdout, "Usage: ecocomp %s\n", usage)
		fs.SetOutput(a.Stdout)
		fs.PrintDefaults()
		return flag.ErrHelp
	}
	if err != nil {
		return usagef("%s: %v (usage: ecocomp %s)", fs.Name(), err, usage)
	}
	if fs.NArg() > 0 {
		return usagef("%s: unexpected argument %q (usage: ecocomp %s)", fs.Name(), fs.Arg(0), usage)
	}
	return nil
}

// open resolves the database URL and connects.
func (a *App) open(ctx context.Context) (*pgxpool.Pool, error) {
	return a.openWith(ctx, postgis.Open)
}

func (a *App) openWith(ctx context.Context, connect func(context.Context, string) (*pgxpool.Pool, error)) (*pgxpool.Pool, error) {
	url, err := a.Cfg.ResolveDatabaseURL()
	if err != nil {
		return nil, err
	}
	return connect(ctx, url)
}

// openMigrated connects and insists that the schema is current, which also proves PostGIS.
func (a *App) openMigrated(ctx context.Context) (*pgxpool.Pool, error) {
	return a.openMigratedWith(ctx, postgis.Open)
}

func (a *App) openMigratedWith(ctx context.Context, connect func(context.Context, string) (*pgxpool.Pool, error)) (*pgxpool.Pool, error) {
	pool, err := a.openWith(ctx, connect)
	if err != nil {
		return nil, err
	}
	m, err := postgis.NewMigrator(pool)
	if err == nil {
		var current bool
		current, err = m.Current(ctx)
		m.Close()
		if err == nil && !current {
			err = errors.New("the database schema is not current: run `ecocomp migrate` first")
		}
	}
	if err != nil {
		pool.Close()
		return nil, err
	}
	return pool, nil
}

func (a *App) logger() *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	if a.Cfg.LogDebug {
		opts.Level = slog.LevelDebug
	}
	if a.Cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(a.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(a.Stderr, opts))
}

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}
