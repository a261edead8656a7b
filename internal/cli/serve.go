package cli

import (
	"context"
	"flag"
	"fmt"
	"net"

	"github.com/wuyuan-forestry/ecocomp/internal/httpapi"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis"
)

func (a *App) serve(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", a.Cfg.Addr, "listen address host:port (default from ECOCOMP_ADDR)")
	check := fs.Bool("check", false, "only check that the address is free, then exit (make demo does, before its work)")
	if err := a.parseFlags(fs, args, "serve [--addr host:port] [--check]"); err != nil {
		return ignoreHelp(err)
	}
	a.Cfg.Addr = *addr
	if err := a.Cfg.Validate(); err != nil {
		return err
	}
	if *check {
		return httpapi.CheckListen(a.Cfg.Addr)
	}
	pool, err := a.openMigratedWith(ctx, postgis.OpenForServing)
	if err != nil {
		return err
	}
	defer pool.Close()
	srv := httpapi.New(pool, a.logger(), a.Cfg)
	return httpapi.Serve(ctx, srv, a.Cfg.Addr, func(addr net.Addr) {
		fmt.Fprintf(a.Stdout, "ecocomp serving http://%s/\n", addr)
	})
}
