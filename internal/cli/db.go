package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/wuyuan-forestry/ecocomp/internal/devdb"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis"
)

func (a *App) devdb(ctx context.Context, args []string) error {
	const usage = "devdb start|stop|status|url"
	if len(args) != 1 {
		return usagef("devdb needs exactly one of start, stop, status, url (usage: ecocomp %s)", usage)
	}
	cl := devdb.New(a.Cfg.DevDBDir)
	switch args[0] {
	case "start":
		if err := cl.Start(ctx); err != nil {
			return err
		}
		url, err := cl.URL()
		if err != nil {
			return err
		}
		fmt.Fprintln(a.Stdout, url)
		if a.Cfg.DatabaseURL != "" {
			fmt.Fprintln(a.Stderr, "ecocomp: note: DATABASE_URL is set and wins over this project-local database")
		}
		return nil
	case "stop":
		return cl.Stop()
	case "status":
		if !cl.Initialized() {
			fmt.Fprintf(a.Stdout, "not created (%s); run `ecocomp devdb start`\n", a.Cfg.DevDBDir)
			return nil
		}
		url, _ := cl.URL()
		if cl.Running() {
			fmt.Fprintf(a.Stdout, "running  %s  (%s)\n", url, a.Cfg.DevDBDir)
			return nil
		}
		fmt.Fprintf(a.Stdout, "stopped  %s  (%s); run `ecocomp devdb start`\n", url, a.Cfg.DevDBDir)
		return nil
	case "url":
		url, err := cl.URL()
		if err != nil {
			return err
		}
		fmt.Fprintln(a.Stdout, url)
		return nil
	}
	return usagef("devdb: unknown action %q (usage: ecocomp %s)", args[0], usage)
}

func (a *App) migrate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	if err := a.parseFlags(fs, args, "migrate"); err != nil {
		return ignoreHelp(err)
	}
	pool, err := a.open(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	start := time.Now()
	applied, err := postgis.Migrate(ctx, pool)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintln(a.Stdout, "schema is current; nothing to apply")
		return nil
	}
	fmt.Fprintf(a.Stdout, "applied migrations %v in %s\n", applied, time.Since(start).Round(time.Millisecond))
	return nil
}

func ignoreHelp(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}
