package cli

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/wuyuan-forestry/ecocomp/internal/audit"
	"github.com/wuyuan-forestry/ecocomp/internal/cases"
)

// casesCmd lists and shows buyout cases on the server. Owners' names are masked unless
// --unmask, which is audited as a read of personal data by the OS user.
func (a *App) casesCmd(ctx context.Context, args []string) error {
	const usage = "cases list [--status S] [--mode M] [--township T] [--parcel CODE] [--unmask] | show NUMBER|ID [--unmask]"
	if len(args) == 0 {
		return usagef("cases needs an action (usage: ecocomp %s)", usage)
	}
	action, rest := args[0], args[1:]
	ref, rest := splitName(rest)
	fs := flag.NewFlagSet("cases "+action, flag.ContinueOnError)
	var f cases.Filter
	fs.StringVar(&f.Status, "status", "", "only cases in this status ("+strings.Join(cases.Statuses(), ", ")+")")
	fs.StringVar(&f.Mode, "mode", "", "only cases of this mode")
	fs.StringVar(&f.Township, "township", "", "only cases with parcels in this township (code or name)")
	fs.StringVar(&f.Parcel, "parcel", "", "only cases holding this parcel code")
	unmask := fs.Bool("unmask", false, "show owners' names in clear (audited)")
	if err := a.parseFlags(fs, rest, usage); err != nil {
		return ignoreHelp(err)
	}
	switch action {
	case "list":
		if ref != "" {
			return usagef("cases list: unexpected argument %q (usage: ecocomp %s)", ref, usage)
		}
	case "show":
		if ref == "" {
			return usagef("cases show needs a case number or id (usage: ecocomp %s)", usage)
		}
	default:
		return usagef("cases: unknown action %q (usage: ecocomp %s)", action, usage)
	}
	pool, err := a.openMigrated(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	readPII := func(what string, detail map[string]any) error {
		if !*unmask {
			return nil
		}
		return audit.Record(ctx, pool, audit.Entry{Action: "pii.read", Entity: "buyout_case", EntityID: what, Detail: detail})
	}
	tw := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
	defer tw.Flush()
	if action == "list" {
		list, counts, err := cases.List(ctx, pool, f, *unmask)
		if err != nil {
			return err
		}
		if err := readPII("", map[string]any{"fields": []string{"owner"}, "cases": len(list)}); err != nil {
			return err
		}
		fmt.Fprintln(tw, "NUMBER\tMODE\tSTATUS\tOWNER\tPARCELS\tAREA (亩)\tCONTRACT (元)\tPAID (元)\tTOWNSHIP\tOPENED")
		for _, c := range list {
			contract := "-"
			if c.Total != nil {
				contract = c.Total.String()
			}
			fmt.Fprintf(tw, "%s\t%s %s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.Number, c.Mode, c.ModeLabel, c.Status, c.Owner.Name,
				strings.Join(c.Parcels, ","), c.AreaMu, contract, c.Paid, c.Township, c.OpenedAt.In(cases.China).Format(time.DateOnly))
		}
		var parts []string
		for _, s := range cases.Statuses() {
			if counts[s] > 0 {
				parts = append(parts, fmt.Sprintf("%s %d", s, counts[s]))
			}
		}
		fmt.Fprintf(tw, "\n%d case(s) listed; all cases by status: %s\n", len(list), orNone(strings.Join(parts, ", ")))
		return nil
	}
	id, err := cases.Find(ctx, pool, ref)
	if err != nil {
		return err
	}
	c, err := cases.Get(ctx, pool, cases.Who{Actor: audit.ActorFrom(ctx)}, id, *unmask)
	if err != nil {
		return err
	}
	if err := readPII(c.Number, map[string]any{"fields": []string{"owner"}, "owner": c.Owner.ID}); err != nil {
		return err
	}
	fmt.Fprintf(tw, "case\t%s (%s %s), %s, version %d\n", c.Number, c.Mode, c.ModeLabel, c.Status, c.Version)
	fmt.Fprintf(tw, "owner\t%s\n", c.Owner.Name)
	fmt.Fprintf(tw, "opened\t%s by %s under policy %s\n", c.OpenedAt.In(cases.China).Format("2006-01-02 15:04"), c.OpenedBy, c.PolicyVersion)
	for _, p := range c.Parcels {
		fmt.Fprintf(tw, "parcel\t%s %s, %s 亩, %s %s\n", p.Code, p.Role, p.AreaMu, p.Township, p.Village)
	}
	if c.Appraisal != nil {
		fmt.Fprintf(tw, "appraised\t%s 元 by %s (indicative %s 元)\n", c.Appraisal.Appraised, c.Appraisal.Appraiser, c.Appraisal.Indicative)
	}
	if c.Notice != nil {
		fmt.Fprintf(tw, "notice\t%s to %s\n", c.Notice.Start, c.Notice.Ends)
	}
	if c.Contract != nil {
		fmt.Fprintf(tw, "contract\t%s signed %s, %s 元; paid %s 元, due now %s 元\n", c.Contract.Number, c.Contract.SignedOn, c.Contract.Total, c.Paid, c.Due)
	}
	if c.Transfer != nil {
		fmt.Fprintf(tw, "transfer\t%s, registration %s, to %s\n", c.Transfer.On, c.Transfer.Registration, c.Transfer.Holder)
	}
	for _, o := range c.Objections {
		state := "open"
		if o.Resolution != nil {
			state = "resolved: " + *o.Resolution
		}
		fmt.Fprintf(tw, "objection\t%d by %s on %s: %s (%s)\n", o.ID, o.RaisedBy, o.RaisedOn, o.Text, state)
	}
	for _, e := range c.Events {
		fmt.Fprintf(tw, "step %d\t%s %s → %s by %s\n", e.Version, e.At.In(cases.China).Format("2006-01-02 15:04"), e.From, e.To, e.Actor)
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
