// Package pii encrypts owners' personal data — ID numbers, bank accounts, phone numbers — before
// it reaches the database, so that a dump of the database alone reveals none of it
// (docs/pii-keys.md).
//
// A Keyring holds the current key, which encrypts and hashes, and older keys still accepted for
// decryption while `ecocomp pii rotate` re-encrypts the rows. Each value is sealed with
// AES-256-GCM under a random nonce, with its column's name as additional data, so a ciphertext
// moved to another column no longer opens. Exact search by ID number goes through SearchHash, a
// keyed HMAC-SHA-256 of the normalised number stored beside the ciphertext.
//
// Nothing here logs, and no error carries a plaintext or key material: key ids (a 4-byte
// fingerprint of a key) are the most an error says.
package pii

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/wuyuan-forestry/ecocomp/internal/config"
)

// The owner columns that hold ciphertexts. The name is sealed into each ciphertext as additional
// data: a value encrypted for one column does not decrypt as another.
const (
	FieldIDNumber    = "owner.id_number_enc"
	FieldBankAccount = "owner.bank_account_enc"
	FieldPhone       = "owner.phone_enc"
)

// KeySize is the length of a key: 32 random bytes, written as standard base64.
const KeySize = 32

// KeyFileName is the key file of the project-local database, in its directory.
const KeyFileName = "pii.key"

const (
	idSize    = 4  // key id: the first bytes of SHA-256 of the key
	nonceSize = 12 // GCM standard nonce
)

// ErrNoKey is returned by Load when no key is configured anywhere.
var ErrNoKey = errors.New("no key for owners' personal data: set ECOCOMP_PII_KEY (or ECOCOMP_PII_KEY_FILE), or create one with `ecocomp pii keygen -o FILE` and set ECOCOMP_PII_KEY_FILE=FILE")

// ErrUnknownKey means a ciphertext was sealed under a key the keyring does not hold: the
// configured key is the wrong one, or an old key was dropped before `ecocomp pii rotate`.
// Decrypt returns it as an *UnknownKeyError.
var ErrUnknownKey = errors.New("encrypted with a key that is not configured")

// UnknownKeyError names the key a ciphertext needs and the keys configured, by their ids.
type UnknownKeyError struct {
	Field      string
	Need       string   // id of the key the ciphertext was sealed under
	Configured []string // ids of the keyring's keys, the current one first
}

func (e *UnknownKeyError) Error() string {
	return fmt.Sprintf("%s: encrypted with key %s, which is not configured (configured: %s): the wrong ECOCOMP_PII_KEY, or an old key dropped before `ecocomp pii rotate`",
		e.Field, e.Need, strings.Join(e.Configured, ", "))
}

// Is makes errors.Is(err, ErrUnknownKey) hold.
func (e *UnknownKeyError) Is(target error) bool { return target == ErrUnknownKey }

// ErrTampered means a ciphertext does not authenticate: it was altered, truncated or copied from
// another column.
var ErrTampered = errors.New("does not authenticate (altered, or copied from another column)")

type key struct {
	id     [idSize]byte
	aead   cipher.AEAD
	search []byte // HMAC key of SearchHash
}

// Keyring is a current key and the older keys still accepted for decryption. It is safe for
// concurrent use.
type Keyring struct {
	keys []key // keys[0] is current
}

// Generate returns a new random key, base64-encoded, for a key file or ECOCOMP_PII_KEY.
func Generate() string {
	b := make([]byte, KeySize)
	_, _ = rand.Read(b) // never fails: crypto/rand aborts the program rather than return an error
	return base64.StdEncoding.EncodeToString(b)
}

// Parse builds a keyring from base64 keys, the current one first, separated by commas or line
// breaks; blank lines and lines starting with # are ignored. source names where the keys came
// from in errors, which never quote the keys themselves.
func Parse(text, source string) (*Keyring, error) {
	var encoded []string
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		for _, f := range strings.Split(line, ",") {
			if f = strings.TrimSpace(f); f != "" {
				encoded = append(encoded, f)
			}
		}
	}
	if len(encoded) == 0 {
		return nil, fmt.Errorf("%s holds no key; create one with `ecocomp pii keygen`", source)
	}
	kr := &Keyring{}
	seen := map[[idSize]byte]string{} // key id → the key
	for i, s := range encoded {
		raw, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("%s: key %d is not standard base64; create keys with `ecocomp pii keygen`", source, i+1)
		}
		if len(raw) != KeySize {
			return nil, fmt.Errorf("%s: key %d is %d bytes, want %d; create keys with `ecocomp pii keygen`", source, i+1, len(raw), KeySize)
		}
		k, err := newKey(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: key %d: %v", source, i+1, err)
		}
		if prev, ok := seen[k.id]; ok {
			if prev == string(raw) {
				continue // the same key listed twice changes nothing
			}
			// Two keys with one id (a chance of 1 in 2³²): ciphertexts could not tell them apart.
			return nil, fmt.Errorf("%s: key %d has the id of an earlier key; generate another with `ecocomp pii keygen`", source, i+1)
		}
		seen[k.id] = string(raw)
		kr.keys = append(kr.keys, k)
	}
	return kr, nil
}

func newKey(raw []byte) (key, error) {
	var k key
	sum := sha256.Sum256(raw)
	copy(k.id[:], sum[:idSize])
	// The AES key and the search key are derived apart, so neither use weakens the other.
	ek, err := hkdf.Key(sha256.New, raw, nil, "ecocomp pii aes-256-gcm v1", 32)
	if err != nil {
		return k, err
	}
	if k.search, err = hkdf.Key(sha256.New, raw, nil, "ecocomp pii search v1", 32); err != nil {
		return k, err
	}
	block, err := aes.NewCipher(ek)
	if err != nil {
		return k, err
	}
	k.aead, err = cipher.NewGCM(block)
	return k, err
}

// Load finds the keyring of cfg: ECOCOMP_PII_KEY, else the file ECOCOMP_PII_KEY_FILE, else the
// project-local database's key file (<DevDBDir>/pii.key) when it exists; else ErrNoKey.
func Load(cfg config.Config) (*Keyring, error) {
	if strings.TrimSpace(cfg.PIIKey) != "" {
		return Parse(cfg.PIIKey, "ECOCOMP_PII_KEY")
	}
	if cfg.PIIKeyFile != "" {
		b, err := os.ReadFile(cfg.PIIKeyFile)
		if err != nil {
			return nil, fmt.Errorf("ECOCOMP_PII_KEY_FILE: cannot read %s: %v", cfg.PIIKeyFile, errors.Unwrap(err))
		}
		return Parse(string(b), "ECOCOMP_PII_KEY_FILE "+cfg.PIIKeyFile)
	}
	if p := DevKeyFile(cfg); p != "" {
		b, err := os.ReadFile(p)
		if err == nil {
			return Parse(string(b), p)
		}
		if !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("cannot read the key file %s: %v", p, errors.Unwrap(err))
		}
	}
	return nil, ErrNoKey
}

// DevKeyFile is where the project-local database keeps its key ("" without a devdb directory).
func DevKeyFile(cfg config.Config) string {
	if cfg.DevDBDir == "" {
		return ""
	}
	return filepath.Join(cfg.DevDBDir, KeyFileName)
}

// WriteKeyFile writes a new key to path with mode 0600, refusing to overwrite a file: a key
// overwritten is data lost.
func WriteKeyFile(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("%s already exists; a key file is never overwritten (losing a key loses the data it encrypted): choose another name", path)
	}
	if err != nil {
		return fmt.Errorf("cannot create %s: %v", path, errors.Unwrap(err))
	}
	_, err = fmt.Fprintf(f, "%s\n", Generate())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("cannot write %s: %v", path, err)
	}
	return nil
}

// CurrentID is the hex id of the current key, the one new ciphertexts are sealed under.
func (k *Keyring) CurrentID() string { return hex.EncodeToString(k.keys[0].id[:]) }

// IDs are the hex ids of every key, the current one first.
func (k *Keyring) IDs() []string {
	ids := make([]string, len(k.keys))
	for i, key := range k.keys {
		ids[i] = hex.EncodeToString(key.id[:])
	}
	return ids
}

// Encrypt seals plain for the owner column field under the current key: key id, nonce, sealed
// bytes. An empty value gives nil (stored as NULL), so absent data stays visibly absent.
func (k *Keyring) Encrypt(field, plain string) ([]byte, error) {
	if plain == "" {
		return nil, nil
	}
	cur := k.keys[0]
	out := make([]byte, idSize+nonceSize, idSize+nonceSize+len(plain)+cur.aead.Overhead())
	copy(out, cur.id[:])
	if _, err := rand.Read(out[idSize:]); err != nil {
		return nil, fmt.Errorf("%s: no random nonce: %v", field, err)
	}
	return cur.aead.Seal(out, out[idSize:], []byte(plain), []byte(field)), nil
}

// Decrypt opens a ciphertext of the owner column field; nil (NULL) gives "". A ciphertext under
// a key the keyring lacks fails with ErrUnknownKey, one that does not authenticate with
// ErrTampered.
func (k *Keyring) Decrypt(field string, ct []byte) (string, error) {
	if ct == nil {
		return "", nil
	}
	if len(ct) < idSize+nonceSize+16 {
		return "", fmt.Errorf("%s: %d bytes is too short for a ciphertext: %w", field, len(ct), ErrTampered)
	}
	for _, key := range k.keys {
		if !bytes.Equal(key.id[:], ct[:idSize]) {
			continue
		}
		plain, err := key.aead.Open(nil, ct[idSize:idSize+nonceSize], ct[idSize+nonceSize:], []byte(field))
		if err != nil {
			return "", fmt.Errorf("%s: %w", field, ErrTampered)
		}
		return string(plain), nil
	}
	return "", &UnknownKeyError{Field: field, Need: hex.EncodeToString(ct[:idSize]), Configured: k.IDs()}
}

// IsCurrent reports whether ct was sealed under the current key (nil counts as current).
func (k *Keyring) IsCurrent(ct []byte) bool {
	return ct == nil || (len(ct) >= idSize && bytes.Equal(ct[:idSize], k.keys[0].id[:]))
}

// NormalizeIDNumber is the form ID numbers are hashed in: without surrounding spaces, with an
// upper-case check character X (and upper-case letters of a unified social credit code).
func NormalizeIDNumber(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }

// SearchHash is the keyed hash stored beside an encrypted ID number (owner.id_number_hash), made
// with the current key; an empty number gives nil.
func (k *Keyring) SearchHash(idNumber string) []byte {
	return searchHash(k.keys[0], NormalizeIDNumber(idNumber))
}

// SearchHashes are the hashes of idNumber under every key, the current one first: a search
// matches rows not yet re-hashed by `ecocomp pii rotate` too.
func (k *Keyring) SearchHashes(idNumber string) [][]byte {
	n := NormalizeIDNumber(idNumber)
	if n == "" {
		return nil
	}
	out := make([][]byte, len(k.keys))
	for i, key := range k.keys {
		out[i] = searchHash(key, n)
	}
	return out
}

func searchHash(k key, normalized string) []byte {
	if normalized == "" {
		return nil
	}
	m := hmac.New(sha256.New, k.search)
	m.Write([]byte(normalized))
	return m.Sum(nil)
}
