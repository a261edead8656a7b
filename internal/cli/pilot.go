package cli

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/wuyuan-forestry/ecocomp/internal/pilot"
)

// pilotCmd is `ecocomp pilot load FILE|--shipped` (the pilot's indicators and tasks as a new
// version) and `ecocomp pilot member USER UNIT…` (which units an account writes progress for).
func (a *App) pilotCmd(ctx context.Context, args []string) error {
	const usage = "pilot load FILE | pilot load --shipped | pilot member USER UNIT…"
	if len(args) == 0 {
		return usagef("pilot needs an action: load or member (usage: ecocomp %s)", usage)
	}
	switch args[0] {
	case "load":
		fs := flag.NewFlagSet("pilot load", flag.ContinueOnError)
		shipped := fs.Bool("shipped", false, "load the pilot files shipped in seeds/pilot (embedded)")
		rest := args[1:]
		var file string
		if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
			file, rest = rest[0], rest[1:]
		}
		if err := a.parseFlags(fs, rest, "pilot load FILE | pilot load --shipped"); err != nil {
			return ignoreHelp(err)
		}
		if (file == "") == !*shipped {
			return usagef("pilot load needs exactly one of FILE or --shipped")
		}
		pool, err := a.openMigrated(ctx)
		if err != nil {
			return err
		}
		defer pool.Close()
		var loaded []pilot.Loaded
		if *shipped {
			loaded, err = pilot.LoadShipped(ctx, pool)
		} else {
			raw, rerr := os.ReadFile(file)
			if rerr != nil {
				return fmt.Errorf("cannot read the pilot file: %v", rerr)
			}
			var l pilot.Loaded
			l, err = pilot.Load(ctx, pool, raw, file)
			loaded = append(loaded, l)
		}
		if err != nil {
			return err
		}
		for _, l := range loaded {
			what := "loaded as a new version"
			if !l.Created {
				what = "already loaded; nothing written"
			}
			fmt.Fprintf(a.Stdout, "pilot plan %s: %s; %d of the plan's %d tasks listed\n", l.Version, what, l.Tasks, l.OfTasks)
		}
		return nil
	case "member":
		if len(args) < 3 {
			return usagef("pilot member needs an account and at least one unit code (usage: ecocomp %s)", usage)
		}
		pool, err := a.openMigrated(ctx)
		if err != nil {
			return err
		}
		defer pool.Close()
		if err := pilot.AddMember(ctx, pool, args[1], args[2:]); err != nil {
			return err
		}
		fmt.Fprintf(a.Stdout, "%s now writes the progress of %s\n", args[1], strings.Join(args[2:], ", "))
		return nil
	}
	return usagef("unknown pilot action %q (usage: ecocomp %s)", args[0], usage)
}
