package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/wuyuan-forestry/ecocomp/internal/policy"
	"github.com/wuyuan-forestry/ecocomp/internal/recompute"
)

func (a *App) policy(ctx context.Context, args []string) error {
	const usage = "policy load FILE | policy load --shipped | policy list"
	if len(args) == 0 {
		return usagef("policy needs an action: load or list (usage: ecocomp %s)", usage)
	}
	switch args[0] {
	case "load":
		fs := flag.NewFlagSet("policy load", flag.ContinueOnError)
		shipped := fs.Bool("shipped", false, "load the policy files shipped in seeds/policy (embedded)")
		rest := args[1:]
		var file string
		if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
			file, rest = rest[0], rest[1:]
		}
		if err := a.parseFlags(fs, rest, "policy load FILE | policy load --shipped"); err != nil {
			return ignoreHelp(err)
		}
		if (file == "") == !*shipped {
			return usagef("policy load needs exactly one of FILE or --shipped")
		}
		pool, err := a.openMigrated(ctx)
		if err != nil {
			return err
		}
		defer pool.Close()
		var loaded []policy.Loaded
		if *shipped {
			loaded, err = policy.LoadShipped(ctx, pool)
		} else {
			raw, rerr := os.ReadFile(file)
			if rerr != nil {
				return fmt.Errorf("cannot read the policy file: %v", rerr)
			}
			var l policy.Loaded
			l, err = policy.Load(ctx, pool, raw, file)
			loaded = append(loaded, l)
		}
		if err != nil {
			var ve *policy.ValidationError
			if errors.As(err, &ve) {
				var ps []string
				for _, p := range ve.Problems {
					ps = append(ps, p.String())
				}
				return fmt.Errorf("%s: %d problem(s): %s", file, len(ps), strings.Join(ps, "; "))
			}
			return err
		}
		for _, l := range loaded {
			what := "loaded as a new version"
			if !l.Created {
				what = "already loaded; nothing written"
			}
			fmt.Fprintf(a.Stdout, "policy %s (year %d, in force from %s): %s; %d figures or rules are marked unconfirmed\n",
				l.Version, l.Policy.Year, l.Policy.EffectiveFrom.Format("2006-01-02"), what, len(l.Unconfirmed))
			// Each one by its key path, so a person knows what still has to be checked against its source.
			for _, c := range l.Unconfirmed {
				if c.Note == "" {
					fmt.Fprintf(a.Stdout, "  unconfirmed: %s\n", c.Path)
				} else {
					fmt.Fprintf(a.Stdout, "  unconfirmed: %s — %s\n", c.Path, c.Note)
				}
			}
		}
		return nil
	case "list":
		fs := flag.NewFlagSet("policy list", flag.ContinueOnError)
		if err := a.parseFlags(fs, args[1:], "policy list"); err != nil {
			return ignoreHelp(err)
		}
		pool, err := a.openMigrated(ctx)
		if err != nil {
			return err
		}
		defer pool.Close()
		vs, err := policy.List(ctx, pool)
		if err != nil {
			return err
		}
		for _, v := range vs {
			fmt.Fprintf(a.Stdout, "%-10s year %d  in force from %s  loaded %s  %s\n", v.Version, v.Year,
				v.EffectiveFrom.Format("2006-01-02"), v.LoadedAt.Format(time.RFC3339), v.Source)
		}
		return nil
	}
	return usagef("policy: unknown action %q (usage: ecocomp %s)", args[0], usage)
}

func (a *App) recompute(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("recompute", flag.ContinueOnError)
	year := fs.Int("year", time.Now().Year(), "the policy year whose rules and rates to apply")
	if err := a.parseFlags(fs, args, "recompute [--year Y]"); err != nil {
		return ignoreHelp(err)
	}
	if *year < 2000 || *year > 2100 {
		return usagef("recompute: --year %d is not a plausible policy year", *year)
	}
	pool, err := a.openMigrated(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	start := time.Now()
	sum, err := recompute.All(ctx, pool, *year)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.Stdout, "recomputed %d parcels for %d under policy %s in %s (overlay %s, %d overlaps; eligibility and subsidies %s): %d eligible, %d subsidy lines, %s 元 (owners %s 元, kept by the county %s 元; %d lines pending: rate not known)\n",
		sum.Parcels, sum.Year, sum.PolicyVersion, time.Since(start).Round(time.Millisecond), sum.OverlayTime.Round(time.Millisecond),
		sum.Overlaps, sum.EvaluateTime.Round(time.Millisecond), sum.Eligible, sum.Lines, sum.Total, sum.Total-sum.Retained, sum.Retained, sum.Pending)
	return nil
}
