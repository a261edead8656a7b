package cli

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/wuyuan-forestry/ecocomp/internal/audit"
	"github.com/wuyuan-forestry/ecocomp/internal/auth"
)

// splitName takes the first argument as a name when it is not a flag, so that both
// `users add NAME --role R` and `users add --role R NAME` work.
func splitName(args []string) (string, []string) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return args[0], args[1:]
	}
	return "", args
}

func (a *App) users(ctx context.Context, args []string) error {
	const usage = "users add NAME --role R[,R…] [--display 显示名] | list | disable NAME | passwd NAME [--stdin] | unlock NAME | demo"
	if len(args) == 0 {
		return usagef("users needs an action (usage: ecocomp %s)", usage)
	}
	action, rest := args[0], args[1:]
	name, rest := splitName(rest)
	fs := flag.NewFlagSet("users "+action, flag.ContinueOnError)
	roles := fs.String("role", "", "roles, comma-separated: viewer, surveyor, case_officer, finance, admin")
	display := fs.String("display", "", "display name (e.g. 张三)")
	stdin := fs.Bool("stdin", false, "passwd: read the new password from standard input instead of generating a one-time password")
	if err := a.parseFlags(fs, rest, usage); err != nil {
		return ignoreHelp(err)
	}
	needName := action == "add" || action == "disable" || action == "passwd" || action == "unlock"
	if needName && name == "" {
		return usagef("users %s needs the user's name (usage: ecocomp %s)", action, usage)
	}
	if !needName && name != "" {
		return usagef("users %s takes no name (usage: ecocomp %s)", action, usage)
	}
	pool, err := a.openMigrated(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	svc := auth.New(pool, a.Cfg)
	switch action {
	case "add":
		rs, err := auth.ParseRoles(*roles)
		if err != nil {
			return usagef("users add: --role: %v", err)
		}
		u, pw, err := svc.CreateUserOneTime(ctx, name, *display, rs)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.Stdout, "user %s created with the role(s) %s\none-time password (shown once; it must be changed at the first sign-in): %s\n",
			u.Name, *roles, pw)
		return nil
	case "list":
		list, err := svc.ListUsers(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tDISPLAY\tROLES\tSTATUS\tLAST SIGN-IN\tCREATED")
		for _, u := range list {
			status := "active"
			switch {
			case u.DisabledAt != nil:
				status = "disabled"
			case u.Locked:
				status = "locked"
			case u.MustChangePassword:
				status = "one-time password"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", u.Name, u.Display, joinRoles(u.Roles), status, when(u.LastSignIn), u.CreatedAt.Format("2006-01-02"))
		}
		return tw.Flush()
	case "disable":
		if err := svc.DisableUser(ctx, name); err != nil {
			return err
		}
		fmt.Fprintf(a.Stdout, "user %s disabled: sessions ended, tokens refused\n", name)
		return nil
	case "unlock":
		if err := svc.UnlockUser(ctx, name); err != nil {
			return err
		}
		fmt.Fprintf(a.Stdout, "user %s unlocked\n", name)
		return nil
	case "passwd":
		if *stdin {
			pw, err := readLine(os.Stdin)
			if err != nil {
				return err
			}
			if err := svc.SetPassword(ctx, name, pw); err != nil {
				return err
			}
			fmt.Fprintf(a.Stdout, "password of %s changed; their sessions ended\n", name)
			return nil
		}
		pw, err := svc.ResetPassword(ctx, name)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.Stdout, "new one-time password of %s (shown once; it must be changed at the next sign-in): %s\n", name, pw)
		return nil
	case "demo":
		return a.demoUsers(ctx, svc)
	}
	return usagef("users: unknown action %q (usage: ecocomp %s)", action, usage)
}

// demoUsers creates one demonstration user per role, with passwords printed here, for `make demo`.
// Existing ones are left as they are.
func (a *App) demoUsers(ctx context.Context, svc *auth.Service) error {
	names := map[auth.Role]string{auth.Viewer: "演示查看员", auth.Surveyor: "演示调查员", auth.CaseOfficer: "演示案件经办",
		auth.Finance: "演示财务", auth.Admin: "演示管理员"}
	fmt.Fprintln(a.Stdout, "demonstration users (sign in on the map; never use these on a real server):")
	for _, r := range auth.AllRoles {
		name := "demo-" + strings.ReplaceAll(string(r), "_", "-")
		pw := "Wuyuan-" + strings.ReplaceAll(string(r), "_", "-") + "-2026"
		_, err := svc.CreateUser(ctx, auth.NewUser{Name: name, Display: names[r], Roles: []auth.Role{r}, Password: pw})
		state := "created"
		if err != nil {
			if !strings.Contains(err.Error(), "already") {
				return err
			}
			state = "exists"
		}
		fmt.Fprintf(a.Stdout, "  %-13s %-17s password %-24s (%s)\n", r, name, pw, state)
	}
	return nil
}

func readLine(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", fmt.Errorf("no password on standard input")
	}
	return line, nil
}

func joinRoles(rs []auth.Role) string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	return strings.Join(out, ",")
}

func when(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04")
}

func (a *App) tokens(ctx context.Context, args []string) error {
	const usage = "tokens add NAME --label L [--expires 90d] | list [NAME] | revoke ID"
	if len(args) == 0 {
		return usagef("tokens needs an action (usage: ecocomp %s)", usage)
	}
	action, rest := args[0], args[1:]
	name, rest := splitName(rest)
	fs := flag.NewFlagSet("tokens "+action, flag.ContinueOnError)
	label := fs.String("label", "", "what uses the token (e.g. \"QGIS on the GIS desk\")")
	expires := fs.String("expires", "90d", "lifetime: days (90d), a duration (12h) or never")
	if err := a.parseFlags(fs, rest, usage); err != nil {
		return ignoreHelp(err)
	}
	switch action {
	case "add", "revoke":
		if name == "" {
			return usagef("tokens %s needs %s (usage: ecocomp %s)", action, map[string]string{"add": "the user's name", "revoke": "the token's id"}[action], usage)
		}
	case "list":
	default:
		return usagef("tokens: unknown action %q (usage: ecocomp %s)", action, usage)
	}
	var ttl time.Duration
	var id int64
	var err error
	if action == "add" {
		if ttl, err = auth.ParseExpiry(*expires); err != nil {
			return usagef("tokens add: %v", err)
		}
	}
	if action == "revoke" {
		if id, err = strconv.ParseInt(name, 10, 64); err != nil || id <= 0 {
			return usagef("tokens revoke: %q is not a token id (`ecocomp tokens list` shows them)", name)
		}
	}
	pool, err := a.openMigrated(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	svc := auth.New(pool, a.Cfg)
	switch action {
	case "add":
		t, secret, err := svc.AddToken(ctx, name, *label, ttl)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.Stdout, "token %d for %s (%s), expires %s\n%s\nshown once: send it as Authorization: Bearer <token>\n",
			t.ID, t.User, t.Label, when(t.ExpiresAt), secret)
		return nil
	case "revoke":
		if err := svc.RevokeToken(ctx, id); err != nil {
			return err
		}
		fmt.Fprintf(a.Stdout, "token %d revoked\n", id)
		return nil
	}
	list, err := svc.ListTokens(ctx, name)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tUSER\tLABEL\tSTATUS\tEXPIRES\tLAST USED\tCREATED")
	now := time.Now()
	for _, t := range list {
		status := "active"
		switch {
		case t.RevokedAt != nil:
			status = "revoked"
		case t.ExpiresAt != nil && t.ExpiresAt.Before(now):
			status = "expired"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.User, t.Label, status, when(t.ExpiresAt), when(t.LastUsed), t.CreatedAt.Format("2006-01-02"))
	}
	return tw.Flush()
}

func (a *App) audit(ctx context.Context, args []string) error {
	const usage = "audit verify | export --from DATE --to DATE [--format csv|jsonl] [-o FILE]"
	if len(args) == 0 {
		return usagef("audit needs an action (usage: ecocomp %s)", usage)
	}
	fs := flag.NewFlagSet("audit "+args[0], flag.ContinueOnError)
	from := fs.String("from", "", "first day (YYYY-MM-DD, Beijing time)")
	to := fs.String("to", "", "last day, included (YYYY-MM-DD)")
	format := fs.String("format", "csv", "csv or jsonl")
	out := fs.String("o", "", "write to FILE instead of standard output")
	if err := a.parseFlags(fs, args[1:], usage); err != nil {
		return ignoreHelp(err)
	}
	switch args[0] {
	case "verify":
		pool, err := a.openMigrated(ctx)
		if err != nil {
			return err
		}
		defer pool.Close()
		res, err := audit.Verify(ctx, pool)
		if err != nil {
			return err
		}
		if res.Bad != 0 {
			return fmt.Errorf("audit chain broken at row %d: %s", res.Bad, res.Problem)
		}
		fmt.Fprintf(a.Stdout, "audit chain intact: %d rows, head %s\n", res.Rows, res.Head)
		return nil
	case "export":
		cst := time.FixedZone("CST", 8*3600)
		f, err := time.ParseInLocation("2006-01-02", *from, cst)
		if err != nil {
			return usagef("audit export: --from %q is not a date YYYY-MM-DD", *from)
		}
		t, err := time.ParseInLocation("2006-01-02", *to, cst)
		if err != nil {
			return usagef("audit export: --to %q is not a date YYYY-MM-DD", *to)
		}
		if t.Before(f) {
			return usagef("audit export: --to %s is before --from %s", *to, *from)
		}
		if *format != "csv" && *format != "jsonl" {
			return usagef("audit export: --format %q is not offered; use csv or jsonl", *format)
		}
		pool, err := a.openMigrated(ctx)
		if err != nil {
			return err
		}
		defer pool.Close()
		w := a.Stdout
		if *out != "" {
			fh, err := os.Create(*out)
			if err != nil {
				return err
			}
			defer fh.Close()
			w = fh
		}
		n, err := audit.Export(ctx, pool, f, t.AddDate(0, 0, 1), *format, w)
		if err != nil {
			return err
		}
		if *out != "" {
			fmt.Fprintf(a.Stderr, "%d audit rows written to %s\n", n, *out)
		}
		return nil
	}
	return usagef("audit: unknown action %q (usage: ecocomp %s)", args[0], usage)
}
