package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wuyuan-forestry/ecocomp/internal/config"
	"github.com/wuyuan-forestry/ecocomp/internal/owners"
	"github.com/wuyuan-forestry/ecocomp/internal/pii"
	"github.com/wuyuan-forestry/ecocomp/internal/pii/piitest"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis/pgtest"
)

// These tests call App.pii directly: `ecocomp pii` is wired into Run's switch in cli.go.

func testApp(cfg config.Config) (*App, *bytes.Buffer) {
	var out bytes.Buffer
	return &App{Cfg: cfg, Stdout: &out, Stderr: &out}, &out
}

func TestPIIKeygen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, out := testApp(config.Config{})
	if err := a.pii(ctx, []string{"keygen"}); err != nil {
		t.Fatal(err)
	}
	if _, err := pii.Parse(out.String(), "keygen output"); err != nil || strings.Count(out.String(), "\n") != 1 {
		t.Errorf("keygen printed %q (%v); want one key on one line", out, err)
	}

	file := filepath.Join(t.TempDir(), "pii.key")
	out.Reset()
	if err := a.pii(ctx, []string{"keygen", "-o", file}); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(file)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, %v; want mode 0600", st, err)
	}
	key, _ := os.ReadFile(file)
	if strings.Contains(out.String(), strings.TrimSpace(string(key))) || !strings.Contains(out.String(), "ECOCOMP_PII_KEY_FILE="+file) {
		t.Errorf("keygen -o said %q; want the file named and the key not printed", out)
	}
	err = a.pii(ctx, []string{"keygen", "-o", file})
	if err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("keygen over an existing file: %v; want a refusal", err)
	}
	if again, _ := os.ReadFile(file); !bytes.Equal(again, key) {
		t.Error("keygen overwrote a key file")
	}
	var ue usageError
	if err := a.pii(ctx, []string{"keygen", "extra"}); !errors.As(err, &ue) {
		t.Errorf("keygen with an argument: %v; want a usage error", err)
	}
	if err := a.pii(ctx, nil); !errors.As(err, &ue) || !strings.Contains(err.Error(), "keygen") {
		t.Errorf("pii alone: %v; want a usage error naming the subcommands", err)
	}
}

func TestPIIRotate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, url := pgtest.NewWithURL(t)
	const id, account = "36113019900101123X", "6217001234567890123"
	for _, o := range []owners.Owner{
		{Kind: "individual", Name: "张三丰", IDNumber: id, BankAccount: account, Phone: "13912345678"},
		{Kind: "enterprise", Name: "婺源县测试林业有限公司", IDNumber: "91361130MA00000000", BankAccount: "6217001111111111111"},
	} {
		if _, err := owners.Insert(ctx, pool, piitest.Keyring(t, piitest.Key), o); err != nil {
			t.Fatal(err)
		}
	}
	rotate := func(keys string) (string, error) {
		a, out := testApp(config.Config{DatabaseURL: url, PIIKey: keys})
		err := a.pii(ctx, []string{"rotate"})
		return out.String(), err
	}
	b := piitest.Keyring(t, piitest.OtherKey)

	// A new key B goes first, A stays for reading; rotate moves everything to B.
	out, err := rotate(piitest.OtherKey + "," + piitest.Key)
	if err != nil {
		t.Fatal(err)
	}
	if want := "re-encrypted 2 owners under key " + b.CurrentID() + " (2 had data under an older key) and 0 rangers"; !strings.Contains(out, want) {
		t.Errorf("rotate said %q; want %q", out, want)
	}
	got, err := owners.FindByIDNumber(ctx, pool, b, id)
	if err != nil || got[0].IDNumber != id || got[0].BankAccount != account || got[0].Phone != "13912345678" {
		t.Fatalf("key B alone after rotate: %+v, %v", got, err)
	}
	if got, err := owners.FindByIDNumber(ctx, pool, b, "91361130MA00000000"); err != nil || got[0].BankAccount != "6217001111111111111" {
		t.Errorf("key B alone, the enterprise: %+v, %v", got, err)
	}
	if out, err := rotate(piitest.OtherKey); err != nil || !strings.Contains(out, "(0 had data under an older key)") {
		t.Errorf("second rotate: %q, %v", out, err)
	}

	// The old key alone reads nothing any more; the refusal names keys, never data.
	out, err = rotate(piitest.Key)
	if err == nil || !strings.Contains(err.Error(), "nothing changed") || !strings.Contains(err.Error(), b.CurrentID()) {
		t.Errorf("rotate with only the old key: %v; want a refusal naming the key the data needs", err)
	}
	if err != nil && (strings.Contains(err.Error()+out, id) || strings.Contains(err.Error()+out, account)) {
		t.Errorf("the refusal reveals personal data: %q %v", out, err)
	}
	if _, err := rotate(""); !errors.Is(err, pii.ErrNoKey) {
		t.Errorf("rotate without a key: %v; want ErrNoKey", err)
	}
}

func TestDemoKeyring(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a, out := testApp(config.Config{DevDBDir: dir})
	kr, err := a.demoKeyring()
	if err != nil || kr == nil {
		t.Fatalf("demoKeyring with an empty devdb directory: %v", err)
	}
	if !strings.Contains(out.String(), "generated a demonstration PII key in "+filepath.Join(dir, "pii.key")) {
		t.Errorf("demoKeyring said %q", out)
	}
	st, err := os.Stat(filepath.Join(dir, "pii.key"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("devdb key file: %v, %v; want mode 0600", st, err)
	}
	out.Reset()
	again, err := a.demoKeyring()
	if err != nil || again.CurrentID() != kr.CurrentID() || out.Len() != 0 {
		t.Errorf("second demoKeyring: %v, said %q; want the same key, silently", err, out)
	}
	// Against a database of one's own, ecocomp never makes up a key.
	a, _ = testApp(config.Config{DevDBDir: t.TempDir(), DatabaseURL: "postgres://elsewhere/db"})
	if _, err := a.demoKeyring(); !errors.Is(err, pii.ErrNoKey) {
		t.Errorf("demoKeyring with DATABASE_URL and no key: %v; want ErrNoKey", err)
	}
}
