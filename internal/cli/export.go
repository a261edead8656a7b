package cli

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/wuyuan-forestry/ecocomp/internal/export"
	"github.com/wuyuan-forestry/ecocomp/internal/features"
	"github.com/wuyuan-forestry/ecocomp/internal/pii"
	"github.com/wuyuan-forestry/ecocomp/internal/subsidy"
)

func (a *App) export(ctx context.Context, args []string) error {
	const usage = "export parcels [--township T] [--eligible] [--bbox minlon,minlat,maxlon,maxlat] [--crs EPSG:4490|EPSG:4548] [-o FILE]"
	if len(args) > 0 && args[0] == "subsidy-roll" {
		return a.exportRoll(ctx, args[1:])
	}
	if len(args) > 0 && args[0] == "ranger-roll" {
		return a.exportRangerRoll(ctx, args[1:])
	}
	if len(args) == 0 || args[0] != "parcels" {
		return usagef("export needs a dataset: `parcels` or `subsidy-roll` (usage: ecocomp %s)", usage)
	}
	fs := flag.NewFlagSet("export parcels", flag.ContinueOnError)
	township := fs.String("township", "", "township code (9 digits) or name")
	bboxFlag := fs.String("bbox", "", "minlon,minlat,maxlon,maxlat in degrees")
	crsFlag := fs.String("crs", "EPSG:4490", "EPSG:4490 (RFC 7946, lon/lat) or EPSG:4548 (metres, Gauss-Krüger CM 117°E)")
	eligibleOnly := fs.Bool("eligible", false, "only parcels the latest recompute found eligible for buyout")
	out := fs.String("o", "-", "output file; - for standard output")
	if err := a.parseFlags(fs, args[1:], usage); err != nil {
		return ignoreHelp(err)
	}
	o := export.Options{Filter: features.Filter{Township: *township}, Now: time.Now()}
	if *eligibleOnly {
		o.Filter.Eligible = eligibleOnly
	}
	switch strings.ToUpper(strings.TrimSpace(*crsFlag)) {
	case "EPSG:4490", "CRS84":
		o.CRS = features.CRS84
	case "EPSG:4548":
		o.CRS = features.Export4548
	default:
		return usagef("export parcels: --crs %q is not supported; use EPSG:4490 or EPSG:4548", *crsFlag)
	}
	if *bboxFlag != "" {
		b, err := parseBBoxFlag(*bboxFlag)
		if err != nil {
			return err
		}
		o.Filter.BBox = b
	}
	pool, err := a.openMigrated(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	// Features a large write left to the server's builder are built first, when no server has
	// yet: the export streams stored ones several times faster than it could build them.
	if n, err := features.Drain(ctx, pool); err != nil {
		return err
	} else if n > 0 {
		fmt.Fprintf(a.Stderr, "built %d queued parcel features\n", n)
	}

	if *out == "-" {
		w := bufio.NewWriterSize(a.Stdout, 256<<10)
		if _, err := export.Parcels(ctx, pool, o, w); err != nil {
			return err
		}
		return w.Flush()
	}
	// Write beside the target and rename, so a failed export never leaves a partial file.
	tmp, err := os.CreateTemp(filepath.Dir(*out), ".ecocomp-export-*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %v", *out, err)
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriterSize(tmp, 256<<10)
	n, err := export.Parcels(ctx, pool, o, w)
	if err == nil {
		err = w.Flush()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), *out); err != nil {
		return fmt.Errorf("cannot write %s: %v", *out, err)
	}
	fmt.Fprintf(a.Stderr, "exported %d parcels to %s\n", n, *out)
	return nil
}

func parseBBoxFlag(s string) (*orb.Bound, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return nil, usagef("--bbox %q: give 4 numbers minlon,minlat,maxlon,maxlat", s)
	}
	var v [4]float64
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return nil, usagef("--bbox %q: %q is not a number", s, p)
		}
		v[i] = f
	}
	if v[0] > v[2] || v[1] > v[3] {
		return nil, usagef("--bbox %q: minimum greater than maximum; the order is minlon,minlat,maxlon,maxlat", s)
	}
	return &orb.Bound{Min: orb.Point{v[0], v[1]}, Max: orb.Point{v[2], v[3]}}, nil
}

func (a *App) exportRoll(ctx context.Context, args []string) error {
	const usage = "export subsidy-roll --year Y [--township T] --format csv|xlsx [-o FILE]"
	fs := flag.NewFlagSet("export subsidy-roll", flag.ContinueOnError)
	year := fs.Int("year", time.Now().Year(), "payment year")
	township := fs.String("township", "", "township code (9 digits) or name; empty for the whole county")
	format := fs.String("format", "xlsx", "csv or xlsx")
	out := fs.String("o", "", "output file (default subsidy-roll-YEAR[-TOWNSHIP].FORMAT); - for standard output")
	if err := a.parseFlags(fs, args, usage); err != nil {
		return ignoreHelp(err)
	}
	if *format != "csv" && *format != "xlsx" {
		return usagef("export subsidy-roll: --format %q is not offered; use csv or xlsx", *format)
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
	roll, err := subsidy.LoadRoll(ctx, pool, kr, *year, *township)
	if err != nil {
		return err
	}
	write := roll.WriteXLSX
	if *format == "csv" {
		write = roll.WriteCSV
	}
	if *out == "-" {
		return write(a.Stdout)
	}
	name := *out
	if name == "" {
		name = fmt.Sprintf("subsidy-roll-%d", *year)
		if *township != "" {
			name += "-" + *township
		}
		name += "." + *format
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), ".ecocomp-roll-*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %v", name, err)
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return fmt.Errorf("cannot write %s: %v", name, err)
	}
	fmt.Fprintf(a.Stderr, "wrote %s: %d rows, %d villages, total %s 元 (policy %s)\n", name, len(roll.Rows), len(roll.Villages), roll.Total, roll.PolicyVersion)
	return nil
}
