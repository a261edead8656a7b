package demo

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wuyuan-forestry/ecocomp/internal/pii"
	"github.com/wuyuan-forestry/ecocomp/internal/postgis"
)

// ownerPlaintexts are the demo owners' personal data, decrypted: what a dump must not show.
type ownerPlaintexts struct {
	names                       []string
	idNumbers, accounts, phones []string
}

func demoPlaintexts(t *testing.T, pool *pgxpool.Pool, kr *pii.Keyring) ownerPlaintexts {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT name, id_number_enc, bank_account_enc, phone_enc FROM owner WHERE demo ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var p ownerPlaintexts
	for rows.Next() {
		var name string
		var idn, bank, phone []byte
		if err := rows.Scan(&name, &idn, &bank, &phone); err != nil {
			t.Fatal(err)
		}
		p.names = append(p.names, name)
		for _, c := range []struct {
			field string
			ct    []byte
			into  *[]string
		}{{pii.FieldIDNumber, idn, &p.idNumbers}, {pii.FieldBankAccount, bank, &p.accounts}, {pii.FieldPhone, phone, &p.phones}} {
			s, err := kr.Decrypt(c.field, c.ct)
			if err != nil {
				t.Fatal(err)
			}
			if s != "" {
				*c.into = append(*c.into, s)
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return p
}

// pgDump is the plain-SQL dump of the whole database by the real pg_dump of the server's version.
func pgDump(t *testing.T, pool *pgxpool.Pool, url string) string {
	t.Helper()
	major, err := postgis.ServerMajor(context.Background(), pool)
	if err != nil {
		t.Fatal(err)
	}
	bin := fmt.Sprintf("/usr/lib/postgresql/%d/bin/pg_dump", major)
	if _, err := os.Stat(bin); err != nil {
		bin = "pg_dump"
	}
	cmd := exec.Command(bin, "--no-owner", "--dbname", url)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v: %s", bin, err, stderr.String())
	}
	return string(out)
}

// findPlaintext lists the values of exact that occur anywhere in dump, and of bounded those that
// occur between non-alphanumeric characters: an 11-digit phone number can turn up by chance
// inside the hex of a geometry, an 18-character ID number cannot.
func findPlaintext(dump string, exact, bounded []string) []string {
	var found []string
	for _, s := range exact {
		if strings.Contains(dump, s) {
			found = append(found, s)
		}
	}
	alnum := func(i int) bool {
		if i < 0 || i >= len(dump) {
			return false
		}
		c := dump[i]
		return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
	}
	for _, s := range bounded {
		for from := 0; ; {
			i := strings.Index(dump[from:], s)
			if i < 0 {
				break
			}
			i += from
			if !alnum(i-1) && !alnum(i+len(s)) {
				found = append(found, s)
				break
			}
			from = i + 1
		}
	}
	return found
}

func TestFindPlaintext(t *testing.T) {
	const row = "COPY public.owner (id, name, phone) FROM stdin;\n1\t张三\t13912345678\t361130199001011234\n"
	const hex = "0106000020AA1100001391234567800FF\n"
	tests := []struct {
		name           string
		dump           string
		exact, bounded []string
		want           int
	}{
		{"ID number in a row", row, []string{"361130199001011234"}, nil, 1},
		{"phone in a row", row + hex, nil, []string{"13912345678"}, 1},
		{"phone digits inside hex", hex, nil, []string{"13912345678"}, 0},
		{"absent", row, []string{"361130199001019999"}, []string{"15000000000"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := findPlaintext(tc.dump, tc.exact, tc.bounded); len(got) != tc.want {
				t.Errorf("found %v, want %d", got, tc.want)
			}
		})
	}
}

func TestSeedNeedsAKey(t *testing.T) {
	_, err := Seed(context.Background(), nil, Options{Parcels: 10, Seed: 1})
	if err == nil || !strings.Contains(err.Error(), "ECOCOMP_PII_KEY") || !strings.Contains(err.Error(), "ecocomp pii keygen") {
		t.Errorf("Seed without a keyring: %v; want an error saying how to get a key", err)
	}
}
