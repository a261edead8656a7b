package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/wuyuan-forestry/ecocomp/internal/apperr"
	"github.com/wuyuan-forestry/ecocomp/internal/ingest"
)

const (
	importParcelsUsage  = "import parcels FILE [--srid N] [--encoding GBK|UTF-8] [--mapping FILE] [--layer NAME] [--dry-run] [--full] [--json] [--report FILE]"
	importWetlandsUsage = "import wetlands FILE --type-field F --importance-field F [--code-field F] [--name-field F] [--area NAME] [--srid N] [--encoding E] [--dry-run] [--json] [--report FILE]"
	importZonesUsage    = "import zones FILE --area NAME --area-kind nature_reserve|wetland_park [--level national|provincial|municipal|county] --zone-field FIELD [--value-map k=v,...] [--site-field FIELD] [--srid N] [--encoding E] [--dry-run] [--json] [--report FILE]"
)

// importCmd is `ecocomp import parcels|zones FILE …`: a zipped Shapefile set, a GeoPackage or
// GeoJSON, validated row by row and merged in one transaction. The readable report goes to
// standard output (or the JSON one with --json); a rejected file exits 1.
func (a *App) importCmd(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usagef("import needs what to import: `parcels` or `zones` (usage: ecocomp %s | ecocomp %s)", importParcelsUsage, importZonesUsage)
	}
	switch args[0] {
	case "parcels":
		return a.importFile(ctx, ingest.KindParcels, args[1:])
	case "zones":
		return a.importFile(ctx, ingest.KindZones, args[1:])
	case ingest.KindWetlands:
		return a.importWetlands(ctx, args[1:])
	case ingest.KindCareAreas:
		return a.importCareAreas(ctx, args[1:])
	}
	return usagef("import: unknown dataset %q; use parcels, zones, wetlands or care-areas", args[0])
}

func (a *App) importFile(ctx context.Context, kind string, args []string) error {
	usage := importParcelsUsage
	if kind == ingest.KindZones {
		usage = importZonesUsage
	}
	fs := flag.NewFlagSet("import "+kind, flag.ContinueOnError)
	srid := fs.Int("srid", 0, "EPSG code of the file's coordinates, overriding its CRS (e.g. 4548, 4490); needed when it has none")
	encoding := fs.String("encoding", "", "text encoding of a Shapefile's DBF (GBK, UTF-8 …), overriding its .cpg; default: the .cpg, else detected")
	layer := fs.String("layer", "", "the layer, or the Shapefile in the zip, to read when there are several")
	dryRun := fs.Bool("dry-run", false, "validate and report what would change; write nothing")
	jsonOut := fs.Bool("json", false, "print the JSON report instead of the readable one")
	reportFile := fs.String("report", "", "also write the JSON report to this file")
	var mapping *string
	var full *bool
	var area, areaKind, areaLevel, zoneField, siteField, valueMap *string
	if kind == ingest.KindParcels {
		mapping = fs.String("mapping", "", "JSON file mapping the file's field names to the standard ones ({\"XBH\": \"XIAO_BAN\"})")
		full = fs.Bool("full", false, "the file is the whole county: current parcels absent from it are retired")
	} else {
		area = fs.String("area", "", "the protected area the zones belong to (created when new)")
		areaKind = fs.String("area-kind", "", "nature_reserve or wetland_park")
		areaLevel = fs.String("level", "", "who designated the area: national, provincial, municipal or county (subsidy tiers depend on it; default: keep the area's, national for a new one)")
		zoneField = fs.String("zone-field", "", "the field holding each zone's kind (core, 核心区 …)")
		siteField = fs.String("site-field", "", "a field naming separate sites of the area (optional)")
		valueMap = fs.String("value-map", "", "zone values to zone kinds, e.g. A=core,B=buffer")
	}
	file, err := a.fileAndFlags(fs, args, usage)
	if err != nil {
		return ignoreHelp(err)
	}
	opt := ingest.Options{SRID: *srid, Layer: *layer, DryRun: *dryRun, MaxFeatures: a.Cfg.ImportMaxFeatures, Log: a.logger()}
	if *srid < 0 {
		return usagef("import %s: --srid must be an EPSG code such as 4548", kind)
	}
	if err := setEncoding("import "+kind, *encoding, &opt); err != nil {
		return err
	}
	if kind == ingest.KindParcels {
		opt.Full = *full
		if *mapping != "" {
			b, err := os.ReadFile(*mapping)
			if err != nil {
				return fmt.Errorf("cannot read the mapping %s: %v", *mapping, errors.Unwrap(err))
			}
			if opt.Mapping, err = ingest.ParseMapping(b); err != nil {
				return fmt.Errorf("%s: %s", *mapping, plain(err))
			}
		}
	} else {
		switch {
		case *area == "":
			return usagef("import zones: --area NAME is required (usage: ecocomp %s)", usage)
		case *areaKind == "":
			return usagef("import zones: --area-kind is required: nature_reserve or wetland_park (usage: ecocomp %s)", usage)
		case *zoneField == "":
			return usagef("import zones: --zone-field FIELD is required (usage: ecocomp %s)", usage)
		}
		vm, err := ingest.ParseValueMap(*valueMap)
		if err != nil {
			return usagef("import zones: --%s", err)
		}
		opt.Area, opt.AreaKind, opt.AreaLevel, opt.ZoneField, opt.SiteField, opt.ValueMap = *area, *areaKind, *areaLevel, *zoneField, *siteField, vm
	}
	if err := readable(file); err != nil {
		return err
	}

	pool, err := a.openMigrated(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	start := time.Now()
	opt.Progress = func(step string) {
		fmt.Fprintf(a.Stderr, "  %s (%s)\n", step, time.Since(start).Round(100*time.Millisecond))
	}
	var rep *ingest.Report
	if kind == ingest.KindZones {
		rep, err = ingest.ImportZones(ctx, pool, file, opt)
	} else {
		rep, err = ingest.ImportParcels(ctx, pool, file, opt)
	}
	if werr := a.writeReport(rep, *jsonOut, *reportFile); werr != nil && err == nil {
		err = werr
	}
	// The results are recomputed in the import's transaction: an import that failed to recompute
	// failed whole, and said so above.
	if err != nil {
		return errors.New(plain(err))
	}
	return nil
}

// plain is an error's user-facing sentence: the detail of a coded error, else its text.
func plain(err error) string {
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return ae.Detail
	}
	return err.Error()
}

// fileAndFlags takes FILE from before or after the flags.
func (a *App) fileAndFlags(fs *flag.FlagSet, args []string, usage string) (string, error) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return args[0], a.parseFlags(fs, args[1:], usage)
	}
	if n := len(args); n > 0 && !strings.HasPrefix(args[n-1], "-") {
		if err := a.parseFlags(fs, args[:n-1], usage); err != nil {
			return "", err
		}
		return args[n-1], nil
	}
	if err := a.parseFlags(fs, args, usage); err != nil {
		return "", err
	}
	return "", usagef("%s: give the FILE to import (usage: ecocomp %s)", fs.Name(), usage)
}

// writeReport prints the report (readable or JSON) and writes the JSON one to a file if asked.
func (a *App) writeReport(rep *ingest.Report, asJSON bool, file string) error {
	if rep == nil {
		return nil
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if asJSON {
		if _, err := a.Stdout.Write(append(b, '\n')); err != nil {
			return err
		}
	} else if err := rep.WriteText(a.Stdout); err != nil {
		return err
	}
	if file == "" {
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), ".ecocomp-report-*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %v", file, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, strings.NewReader(string(b)+"\n")); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		return fmt.Errorf("cannot write %s: %v", file, err)
	}
	return nil
}

// importWetlands is `ecocomp import wetlands FILE …`: the wetland bank's patches (type after
// GB/T 24708, importance), replacing the inventory of --area (or the patches outside any
// protected area) all or nothing.
func (a *App) importWetlands(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("import wetlands", flag.ContinueOnError)
	srid := fs.Int("srid", 0, "EPSG code of the file's coordinates, overriding its CRS (e.g. 4548, 4490)")
	encoding := fs.String("encoding", "", "text encoding of a Shapefile's DBF (GBK, UTF-8 …); default: the .cpg, else detected")
	layer := fs.String("layer", "", "the layer, or the Shapefile in the zip, to read when there are several")
	dryRun := fs.Bool("dry-run", false, "validate and report what would change; write nothing")
	jsonOut := fs.Bool("json", false, "print the JSON report instead of the readable one")
	reportFile := fs.String("report", "", "also write the JSON report to this file")
	area := fs.String("area", "", "the protected area whose inventory the file replaces (default: the patches outside any)")
	var f ingest.WetlandFields
	fs.StringVar(&f.Type, "type-field", "", "the field holding each patch's wetland type: a GB/T 24708 code (1201) or name (永久性河流)")
	fs.StringVar(&f.Importance, "importance-field", "", "the field holding its importance: national, provincial, general (国家重要湿地, 省级重要湿地, 一般湿地)")
	fs.StringVar(&f.Code, "code-field", "", "the field holding the patch's code (optional)")
	fs.StringVar(&f.Name, "name-field", "", "the field holding the patch's name (optional)")
	file, err := a.fileAndFlags(fs, args, importWetlandsUsage)
	if err != nil {
		return ignoreHelp(err)
	}
	if f.Type == "" || f.Importance == "" {
		return usagef("import wetlands: --type-field and --importance-field are required (usage: ecocomp %s)", importWetlandsUsage)
	}
	opt := ingest.Options{SRID: *srid, Layer: *layer, DryRun: *dryRun, Area: *area, MaxFeatures: a.Cfg.ImportMaxFeatures, Log: a.logger()}
	if err := setEncoding("import "+"wetlands", *encoding, &opt); err != nil {
		return err
	}
	if err := readable(file); err != nil {
		return err
	}
	pool, err := a.openMigrated(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	rep, err := ingest.ImportWetlands(ctx, pool, file, opt, f)
	if werr := a.writeReport(rep, *jsonOut, *reportFile); werr != nil && err == nil {
		err = werr
	}
	if err != nil {
		return errors.New(plain(err))
	}
	return nil
}

// setEncoding sets opt's .dbf encoding from the --encoding flag of command cmd ("" leaves the
// file's own .cpg or the default).
func setEncoding(cmd, encoding string, opt *ingest.Options) error {
	if encoding == "" {
		return nil
	}
	e, ok := ingest.NormalizeEncoding(encoding)
	if !ok {
		return usagef("%s: --encoding %q is not offered; use GBK, GB18030, UTF-8, BIG5 or CP1252", cmd, encoding)
	}
	opt.Encoding = e
	return nil
}

// readable says in one line why file cannot be read, before anything opens the database.
func readable(file string) error {
	if _, err := os.Stat(file); err != nil {
		return fmt.Errorf("cannot read %s: %v", file, errors.Unwrap(err))
	}
	return nil
}
