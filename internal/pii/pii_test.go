package pii_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wuyuan-forestry/ecocomp/internal/config"
	"github.com/wuyuan-forestry/ecocomp/internal/pii"
	"github.com/wuyuan-forestry/ecocomp/internal/pii/piitest"
)

const idNumber = "36113019900101123X"

func TestEncryptDecrypt(t *testing.T) {
	kr := piitest.TestKeyring(t)
	tests := []struct {
		name, field, plain string
	}{
		{"citizen ID", pii.FieldIDNumber, idNumber},
		{"account", pii.FieldBankAccount, "6217001234567890123"},
		{"phone", pii.FieldPhone, "13912345678"},
		{"non-ASCII", pii.FieldIDNumber, "港澳居民来往内地通行证 H1234567"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ct, err := kr.Encrypt(tc.field, tc.plain)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(ct, []byte(tc.plain)) {
				t.Errorf("the ciphertext contains the plaintext")
			}
			again, _ := kr.Encrypt(tc.field, tc.plain)
			if bytes.Equal(ct, again) {
				t.Errorf("two encryptions of the same value are equal: the nonce is not random")
			}
			got, err := kr.Decrypt(tc.field, ct)
			if err != nil || got != tc.plain {
				t.Errorf("Decrypt = %q, %v; want %q", got, err, tc.plain)
			}
		})
	}
	t.Run("empty is NULL", func(t *testing.T) {
		ct, err := kr.Encrypt(pii.FieldPhone, "")
		if err != nil || ct != nil {
			t.Errorf("Encrypt(\"\") = %x, %v; want nil", ct, err)
		}
		got, err := kr.Decrypt(pii.FieldPhone, nil)
		if err != nil || got != "" {
			t.Errorf("Decrypt(nil) = %q, %v; want \"\"", got, err)
		}
	})
}

func TestTamperedCiphertextFails(t *testing.T) {
	kr := piitest.TestKeyring(t)
	ct, err := kr.Encrypt(pii.FieldIDNumber, idNumber)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte {
		c := bytes.Clone(ct)
		c[i] ^= 1
		return c
	}
	tests := []struct {
		name  string
		field string
		ct    []byte
	}{
		{"nonce bit", pii.FieldIDNumber, flip(5)},
		{"body bit", pii.FieldIDNumber, flip(20)},
		{"tag bit", pii.FieldIDNumber, flip(len(ct) - 1)},
		{"truncated", pii.FieldIDNumber, ct[:len(ct)-3]},
		{"too short", pii.FieldIDNumber, ct[:10]},
		{"moved to the account column", pii.FieldBankAccount, ct},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := kr.Decrypt(tc.field, tc.ct)
			if !errors.Is(err, pii.ErrTampered) {
				t.Fatalf("Decrypt = %q, %v; want ErrTampered", got, err)
			}
			if strings.Contains(err.Error(), idNumber) || got != "" {
				t.Errorf("the failure reveals the plaintext: %q, %v", got, err)
			}
		})
	}
}

func TestWrongKeyIsAClearError(t *testing.T) {
	a := piitest.Keyring(t, piitest.Key)
	b := piitest.Keyring(t, piitest.OtherKey)
	ct, err := a.Encrypt(pii.FieldIDNumber, idNumber)
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.Decrypt(pii.FieldIDNumber, ct)
	if !errors.Is(err, pii.ErrUnknownKey) {
		t.Fatalf("Decrypt with the wrong key: %v; want ErrUnknownKey", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, a.CurrentID()) || !strings.Contains(msg, b.CurrentID()) || strings.Contains(msg, idNumber) ||
		strings.Contains(msg, piitest.Key) || strings.Contains(msg, piitest.OtherKey) {
		t.Errorf("error = %q; want the key id found and the ids configured, and no plaintext or key", msg)
	}
}

func TestRotationKeepsOldCiphertextsReadable(t *testing.T) {
	a := piitest.Keyring(t, piitest.Key)
	ba := piitest.Keyring(t, piitest.OtherKey+","+piitest.Key)
	old, _ := a.Encrypt(pii.FieldBankAccount, "6217001234567890123")
	if got, err := ba.Decrypt(pii.FieldBankAccount, old); err != nil || got != "6217001234567890123" {
		t.Fatalf("keyring B,A decrypts A's ciphertext as %q, %v", got, err)
	}
	if ba.IsCurrent(old) || !a.IsCurrent(old) {
		t.Error("IsCurrent does not tell A's ciphertext from B's")
	}
	fresh, _ := ba.Encrypt(pii.FieldBankAccount, "6217001234567890123")
	if !ba.IsCurrent(fresh) || ba.CurrentID() == a.CurrentID() {
		t.Error("keyring B,A does not encrypt with B")
	}
	if _, err := a.Decrypt(pii.FieldBankAccount, fresh); !errors.Is(err, pii.ErrUnknownKey) {
		t.Errorf("keyring A decrypts B's ciphertext: %v", err)
	}
	hs := ba.SearchHashes(idNumber)
	if len(hs) != 2 || !bytes.Equal(hs[0], ba.SearchHash(idNumber)) || !bytes.Equal(hs[1], a.SearchHash(idNumber)) {
		t.Error("SearchHashes of B,A are not B's hash then A's")
	}
}

func TestSearchHash(t *testing.T) {
	kr := piitest.TestKeyring(t)
	want := kr.SearchHash(idNumber)
	if len(want) != 32 {
		t.Fatalf("hash of %d bytes, want 32", len(want))
	}
	for _, s := range []string{" 36113019900101123x", "36113019900101123X\n"} {
		if !bytes.Equal(kr.SearchHash(s), want) {
			t.Errorf("SearchHash(%q) differs from SearchHash(%q)", s, idNumber)
		}
	}
	if bytes.Equal(kr.SearchHash("361130199001011234"), want) {
		t.Error("two ID numbers have the same hash")
	}
	if bytes.Equal(piitest.Keyring(t, piitest.OtherKey).SearchHash(idNumber), want) {
		t.Error("the hash does not depend on the key")
	}
	if kr.SearchHash("  ") != nil || kr.SearchHashes("") != nil {
		t.Error("an empty ID number has a hash")
	}
}

func TestParse(t *testing.T) {
	short := base64.StdEncoding.EncodeToString([]byte("sixteen bytes!!!"))
	tests := []struct {
		name, text string
		keys       int
		wantErr    string
	}{
		{"one", piitest.Key, 1, ""},
		{"comma list", piitest.OtherKey + ", " + piitest.Key, 2, ""},
		{"key file", "# current\n" + piitest.OtherKey + "\n\n" + piitest.Key + "\n", 2, ""},
		{"duplicate", piitest.Key + "," + piitest.Key, 1, ""},
		{"empty", " \n# nothing\n", 0, "holds no key"},
		{"not base64", "not-a-key!", 0, "key 1 is not standard base64"},
		{"short", piitest.Key + "," + short, 0, "key 2 is 16 bytes, want 32"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			kr, err := pii.Parse(tc.text, "ECOCOMP_PII_KEY")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "ECOCOMP_PII_KEY") {
					t.Fatalf("Parse error = %v; want one naming the source and %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "not-a-key") || strings.Contains(err.Error(), short) {
					t.Errorf("the error quotes the key: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(kr.IDs()) != tc.keys {
				t.Errorf("%d keys, want %d", len(kr.IDs()), tc.keys)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "keys")
	if err := os.WriteFile(file, []byte(piitest.OtherKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	devdb := filepath.Join(dir, "devdb")
	if err := os.Mkdir(devdb, 0o700); err != nil {
		t.Fatal(err)
	}
	id := func(key string) string { return piitest.Keyring(t, key).CurrentID() }
	tests := []struct {
		name    string
		cfg     config.Config
		want    string
		wantErr string
	}{
		{"variable wins", config.Config{PIIKey: piitest.Key, PIIKeyFile: file, DevDBDir: devdb}, id(piitest.Key), ""},
		{"then the file", config.Config{PIIKeyFile: file, DevDBDir: devdb}, id(piitest.OtherKey), ""},
		{"missing file", config.Config{PIIKeyFile: filepath.Join(dir, "gone")}, "", "ECOCOMP_PII_KEY_FILE: cannot read"},
		{"devdb without a key", config.Config{DevDBDir: devdb}, "", pii.ErrNoKey.Error()},
		{"nothing", config.Config{}, "", pii.ErrNoKey.Error()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			kr, err := pii.Load(tc.cfg)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Load error = %v; want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if kr.CurrentID() != tc.want {
				t.Errorf("current key %s, want %s", kr.CurrentID(), tc.want)
			}
		})
	}
	if msg := pii.ErrNoKey.Error(); !strings.Contains(msg, "set ECOCOMP_PII_KEY") || !strings.Contains(msg, "ecocomp pii keygen -o FILE") || strings.Contains(msg, "\n") {
		t.Errorf("ErrNoKey = %q; want one line naming ECOCOMP_PII_KEY and `ecocomp pii keygen -o FILE`", msg)
	}
	t.Run("devdb key file", func(t *testing.T) {
		if err := pii.WriteKeyFile(pii.DevKeyFile(config.Config{DevDBDir: devdb})); err != nil {
			t.Fatal(err)
		}
		if _, err := pii.Load(config.Config{DevDBDir: devdb}); err != nil {
			t.Errorf("Load with %s/pii.key: %v", devdb, err)
		}
	})
}

func TestKeyFiles(t *testing.T) {
	p := filepath.Join(t.TempDir(), "pii.key")
	if err := pii.WriteKeyFile(p); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", st.Mode().Perm())
	}
	first, _ := os.ReadFile(p)
	if _, err := pii.Parse(string(first), p); err != nil {
		t.Errorf("the written key does not parse: %v", err)
	}
	err = pii.WriteKeyFile(p)
	if err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("second WriteKeyFile: %v; want a refusal", err)
	}
	if again, _ := os.ReadFile(p); !bytes.Equal(again, first) {
		t.Error("the key file was overwritten")
	}
	if a, b := pii.Generate(), pii.Generate(); a == b || len(a) != 44 {
		t.Errorf("Generate gave %q and %q; want two different 44-character keys", a, b)
	}
}

func TestKeysSharingAnIDAreRefused(t *testing.T) {
	// Two keys whose SHA-256 share the first 4 bytes (the id): a birthday search, ~2¹⁶ keys.
	seen := map[[4]byte][]byte{}
	var a, b []byte
	for i := uint64(0); a == nil; i++ {
		raw := sha256.Sum256(binary.BigEndian.AppendUint64(nil, i))
		sum := sha256.Sum256(raw[:])
		id := [4]byte(sum[:4])
		if prev, ok := seen[id]; ok {
			a, b = prev, raw[:]
		}
		seen[id] = raw[:]
	}
	enc := base64.StdEncoding.EncodeToString
	_, err := pii.Parse(enc(a)+","+enc(b), "ECOCOMP_PII_KEY")
	if err == nil || !strings.Contains(err.Error(), "key 2 has the id of an earlier key") {
		t.Errorf("Parse of two keys with one id: %v; want a refusal", err)
	}
}
