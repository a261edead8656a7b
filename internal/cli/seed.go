package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/wuyuan-forestry/ecocomp/internal/demo"
	"github.com/wuyuan-forestry/ecocomp/internal/pii"
)

func (a *App) seed(ctx context.Context, args []string) error {
	const usage = "seed demo [--parcels N] [--seed S] [--replace] | seed verify"
	if len(args) == 0 {
		return usagef("seed needs a dataset: `demo` or `verify` (usage: ecocomp %s)", usage)
	}
	switch args[0] {
	case "demo":
		return a.seedDemo(ctx, args[1:])
	case "verify":
		return a.seedVerify(ctx, args[1:])
	}
	return usagef("seed: unknown dataset %q (usage: ecocomp %s)", args[0], usage)
}

func (a *App) seedDemo(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("seed demo", flag.ContinueOnError)
	parcels := fs.Int("parcels", 20000, "number of demo parcels (小班); 0 loads everything but parcels")
	seed := fs.Int64("seed", 1, "random seed; the same seed gives byte-identical data")
	replace := fs.Bool("replace", false, "replace a county already loaded with other parameters")
	if err := a.parseFlags(fs, args, "seed demo [--parcels N] [--seed S] [--replace]"); err != nil {
		return ignoreHelp(err)
	}
	if *parcels < 0 || *parcels > 2_000_000 {
		return usagef("seed demo: --parcels must be between 0 and 2000000, got %d", *parcels)
	}
	pool, err := a.openMigrated(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	kr, err := a.demoKeyring()
	if err != nil {
		return err
	}
	start := time.Now()
	sum, err := demo.Seed(ctx, pool, demo.Options{
		Parcels: *parcels, Seed: *seed, Replace: *replace, PII: kr,
		Progress: func(step string) {
			fmt.Fprintf(a.Stderr, "  %s (%s)\n", step, time.Since(start).Round(100*time.Millisecond))
		},
	})
	if err != nil {
		return err
	}
	if sum.AlreadyLoaded {
		fmt.Fprintf(a.Stdout, "demo county already loaded (seed %d, %d parcels); nothing to do\n", *seed, *parcels)
		return nil
	}
	fmt.Fprintf(a.Stdout, "loaded demo county 婺源县: %d townships, %d villages, %d protected areas, %d zones, %d owners, %d parcels in %s\n",
		sum.Townships, sum.Villages, sum.Areas, sum.Zones, sum.Owners, sum.Parcels, time.Since(start).Round(100*time.Millisecond))
	return nil
}

// demoKeyring is the configured key of the owners' personal data. With none configured and the
// project-local database as the target, it creates <DevDBDir>/pii.key and says so: that is how
// `make demo` needs nothing else. Elsewhere the operator chooses where a key lives.
func (a *App) demoKeyring() (*pii.Keyring, error) {
	kr, err := pii.Load(a.Cfg)
	if !errors.Is(err, pii.ErrNoKey) || a.Cfg.DatabaseURL != "" || a.Cfg.DevDBDir == "" {
		return kr, err
	}
	path := pii.DevKeyFile(a.Cfg)
	if err := pii.WriteKeyFile(path); err != nil {
		return nil, err
	}
	shown := path
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, path); err == nil && !strings.HasPrefix(rel, "..") {
			shown = rel
		}
	}
	fmt.Fprintf(a.Stdout, "generated a demonstration PII key in %s (it encrypts the owners' ID numbers and accounts; see docs/pii-keys.md)\n", shown)
	return pii.Load(a.Cfg)
}

func (a *App) seedVerify(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("seed verify", flag.ContinueOnError)
	if err := a.parseFlags(fs, args, "seed verify"); err != nil {
		return ignoreHelp(err)
	}
	kr, err := pii.Load(a.Cfg)
	if err != nil {
		return err
	}
	pool, err := a.openMigrated(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	start := time.Now()
	inv, verr := demo.Verify(ctx, pool, kr)
	fmt.Fprintf(a.Stdout, "%+v\nchecked in %s\n", inv, time.Since(start).Round(100*time.Millisecond))
	return verr
}
