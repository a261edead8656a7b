package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/care"
	"github.com/wuyuan-forestry/ecocomp/internal/owners"
	"github.com/wuyuan-forestry/ecocomp/internal/pii"
)

// pii is `ecocomp pii keygen|rotate`: the key of the owners' encrypted personal data
// (docs/pii-keys.md).
func (a *App) pii(ctx context.Context, args []string) error {
	const usage = "pii keygen [-o FILE] | pii rotate"
	if len(args) == 0 {
		return usagef("pii needs a subcommand: `keygen` or `rotate` (usage: ecocomp %s)", usage)
	}
	switch args[0] {
	case "keygen":
		return a.piiKeygen(args[1:])
	case "rotate":
		return a.piiRotate(ctx, args[1:])
	}
	return usagef("pii: unknown subcommand %q (usage: ecocomp %s)", args[0], usage)
}

func (a *App) piiKeygen(args []string) error {
	fs := flag.NewFlagSet("pii keygen", flag.ContinueOnError)
	out := fs.String("o", "", "write the key to this new file (mode 0600; never overwritten) instead of standard output")
	if err := a.parseFlags(fs, args, "pii keygen [-o FILE]"); err != nil {
		return ignoreHelp(err)
	}
	if *out == "" {
		fmt.Fprintln(a.Stdout, pii.Generate())
		return nil
	}
	if err := pii.WriteKeyFile(*out); err != nil {
		return err
	}
	fmt.Fprintf(a.Stdout, "wrote a new key to %s (mode 0600): back it up apart from the database backups, then set ECOCOMP_PII_KEY_FILE=%s\n", *out, *out)
	return nil
}

func (a *App) piiRotate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("pii rotate", flag.ContinueOnError)
	if err := a.parseFlags(fs, args, "pii rotate"); err != nil {
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
	sum, err := owners.Rotate(ctx, pool, kr)
	if err != nil {
		var e *apperr.Error
		if errors.As(err, &e) && e.Err != nil {
			err = e.Err // the cause names the owner and the keys; the detail is worded for HTTP
		}
		return fmt.Errorf("pii rotate: nothing changed: %v", err)
	}
	// Rangers' names, ID numbers and accounts share the key (internal/care).
	rangers, err := care.RotateRangers(ctx, pool, kr)
	if err != nil {
		var e *apperr.Error
		if errors.As(err, &e) && e.Err != nil {
			err = e.Err
		}
		return fmt.Errorf("pii rotate: owners re-encrypted under key %s, but the rangers were not (nothing of theirs changed; keep the older keys): %v", sum.Key, err)
	}
	fmt.Fprintf(a.Stdout, "re-encrypted %d owners under key %s (%d had data under an older key) and %d rangers; the keys after the first can now be removed\n",
		sum.Owners, sum.Key, sum.Older, rangers)
	return nil
}
