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

	"github.com/wuyuan-forestry/ecocomp/internal/audit"
	"github.com/wuyuan-forestry/ecocomp/internal/auth"
	"github.com/wuyuan-forestry/ecocomp/internal/care"
	"github.com/wuyuan-forestry/ecocomp/internal/ingest"
	"github.com/wuyuan-forestry/ecocomp/internal/pii"
)

const (
	importCareAreasUsage  = "import care-areas FILE --code-field F --name-field F [--village-chief-field F] [--township-chief-field F] [--county-chief-field F] [--srid N] [--encoding E] [--layer NAME] [--json] [--report FILE]"
	exportRangerRollUsage = "export ranger-roll --year Y [--out FILE] [--as-of DATE] [--unmask]"
)

// cliPrincipal is the operator at the console: the database's owner, with an administrator's
// rights, audited under the OS user.
func cliPrincipal(ctx context.Context) auth.Principal {
	return auth.Principal{Actor: audit.ActorFrom(ctx), Roles: []auth.Role{auth.Admin}, Via: "cli"}
}

// importCareAreas is `ecocomp import care-areas FILE …`: care responsibility areas read through
// the import's checks (ingest.ReadCareAreas) and stored all or nothing (care.CreateAreas).
func (a *App) importCareAreas(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("import care-areas", flag.ContinueOnError)
	srid := fs.Int("srid", 0, "EPSG code of the file's coordinates, overriding its CRS (e.g. 4548, 4490)")
	encoding := fs.String("encoding", "", "text encoding of a Shapefile's DBF (GBK, UTF-8 …); default: the .cpg, else detected")
	layer := fs.String("layer", "", "the layer, or the Shapefile in the zip, to read when there are several")
	jsonOut := fs.Bool("json", false, "print the JSON report of a rejected file instead of the readable one")
	reportFile := fs.String("report", "", "also write the JSON report of a rejected file to this file")
	var f ingest.CareAreaFields
	fs.StringVar(&f.Code, "code-field", "", "the field holding each area's code (1–40 letters, digits, _ or -)")
	fs.StringVar(&f.Name, "name-field", "", "the field holding each area's name")
	fs.StringVar(&f.VillageChief, "village-chief-field", "", "the field holding the village forest chief (村级林长), optional")
	fs.StringVar(&f.TownshipChief, "township-chief-field", "", "the field holding the township forest chief (乡级林长), optional")
	fs.StringVar(&f.CountyChief, "county-chief-field", "", "the field holding the county forest chief (县级林长), optional")
	file, err := a.fileAndFlags(fs, args, importCareAreasUsage)
	if err != nil {
		return ignoreHelp(err)
	}
	if f.Code == "" || f.Name == "" {
		return usagef("import care-areas: --code-field and --name-field are required (usage: ecocomp %s)", importCareAreasUsage)
	}
	opt := ingest.Options{SRID: *srid, Layer: *layer, MaxFeatures: a.Cfg.ImportMaxFeatures, Log: a.logger()}
	if err := setEncoding("import care-areas", *encoding, &opt); err != nil {
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
	raw, rep, err := ingest.ReadCareAreas(ctx, pool, file, opt, f)
	if err != nil {
		if werr := a.writeReport(rep, *jsonOut, *reportFile); werr != nil {
			return werr
		}
		return errors.New(plain(err))
	}
	ids, err := care.CreateAreas(ctx, pool, cliPrincipal(ctx), raw)
	if err != nil {
		return fmt.Errorf("%s: %s; nothing was imported", filepath.Base(file), plain(err))
	}
	fmt.Fprintf(a.Stdout, "imported %d care areas from %s (ids %d–%d)\n", len(ids), filepath.Base(file), ids[0], ids[len(ids)-1])
	return nil
}

// exportRangerRoll is `ecocomp export ranger-roll --year Y`: the year's ranger pay roll as xlsx,
// the rangers masked unless --unmask (audited as pii.read).
func (a *App) exportRangerRoll(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("export ranger-roll", flag.ContinueOnError)
	year := fs.Int("year", time.Now().Year(), "payment year")
	out := fs.String("out", "", "output file (default ranger-roll-YEAR.xlsx); - for standard output")
	fs.StringVar(out, "o", "", "the same as --out")
	asOfFlag := fs.String("as-of", "", "pay the months ended by this date (default today; a later date is today)")
	unmask := fs.Bool("unmask", false, "rangers' names, ID numbers and accounts in clear (audited)")
	if err := a.parseFlags(fs, args, exportRangerRollUsage); err != nil {
		return ignoreHelp(err)
	}
	asOf := time.Now()
	if *asOfFlag != "" {
		d, err := time.ParseInLocation(time.DateOnly, *asOfFlag, time.FixedZone("CST", 8*3600))
		if err != nil {
			return usagef("export ranger-roll: --as-of %q is not a date; write it as 2026-12-31", *asOfFlag)
		}
		if d.Before(asOf) {
			asOf = d
		}
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
	roll, err := care.LoadRoll(ctx, pool, kr, *year, asOf)
	if err != nil {
		return errors.New(plain(err))
	}
	if !*unmask {
		roll.Mask()
	} else if err := audit.Record(ctx, pool, audit.Entry{Action: "pii.read", Entity: "ranger_roll", EntityID: fmt.Sprint(*year),
		Detail: map[string]any{"format": "xlsx", "rows": len(roll.Rows), "fields": []string{"name", "id_number", "bank_account"}, "via": "cli"}}); err != nil {
		return err
	}
	if *out == "-" {
		return roll.WriteXLSX(a.Stdout)
	}
	name := *out
	if name == "" {
		name = fmt.Sprintf("ranger-roll-%d.xlsx", *year)
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), ".ecocomp-ranger-roll-*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %v", name, err)
	}
	defer os.Remove(tmp.Name())
	if err := roll.WriteXLSX(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return fmt.Errorf("cannot write %s: %v", name, err)
	}
	state := "masked"
	if *unmask {
		state = "unmasked, audited"
	}
	fmt.Fprintf(a.Stderr, "wrote %s: %d rangers (%s), pay %s 元, of it %s 元 from the retained %s 元 (left %s, shortfall %s; policy %s)\n",
		name, len(roll.Rows), state, roll.PayTotal, roll.PaidFromRetained, roll.RetainedTotal, roll.RetainedLeft, roll.Shortfall,
		strings.TrimSpace(roll.PolicyVersion+" "))
	return nil
}
