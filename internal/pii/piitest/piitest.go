// Package piitest holds fixed keys for tests. They are public, so they protect nothing: never
// configure them outside a test.
package piitest

import (
	"testing"

	"github.com/wuyuan-forestry/ecocomp/internal/pii"
)

// Key is the test key (base64 of SHA-256 of "ecocomp test key A"), for config.Config{PIIKey: Key}.
const Key = "zJd/7CPRiq0rt8koH/xX32KfH7DTj4tqODvXTGdY2bA="

// OtherKey is a second test key (SHA-256 of "ecocomp test key B"), for wrong-key and rotation tests.
const OtherKey = "nBTb5yy/9WfMXV8vTFY3mCY0nUbX8JNDDcDUrU+v6Oc="

// Keyring is the keyring of keys (a comma-separated list, the current key first), failing t
// when they do not parse.
func Keyring(t testing.TB, keys string) *pii.Keyring {
	t.Helper()
	kr, err := pii.Parse(keys, "test keys")
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

// TestKeyring is the keyring of Key alone.
func TestKeyring(t testing.TB) *pii.Keyring {
	t.Helper()
	return Keyring(t, Key)
}
