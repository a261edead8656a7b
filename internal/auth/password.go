package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters: OWASP's minimum for argon2id (19 MiB, two passes, one lane). A check
// takes some tens of milliseconds, which a sign-in can afford and a guesser cannot.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// hashPassword returns the argon2id PHC string of pw with a fresh salt.
func hashPassword(pw string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// checkPassword reports whether pw matches the PHC string encoded (with the parameters it names).
func checkPassword(encoded, pw string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var version int
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || t == 0 || p == 0 || m > 1<<21 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is checked against when the account does not exist, so that a wrong name takes as
// long as a wrong password.
var dummyHash, _ = hashPassword("no such account")

// Rules are the password rules (ECOCOMP_PASSWORD_MIN_LENGTH, ECOCOMP_PASSWORD_MIN_CLASSES).
type Rules struct {
	MinLength  int // characters
	MinClasses int // of lower-case, upper-case, digits, other
}

// ErrWeakPassword marks a password that breaks the rules; its text says which rule.
var ErrWeakPassword = errors.New("the password breaks the rules")

// Check says which rule pw breaks, if any. The user's name may not be part of the password.
func (r Rules) Check(pw, userName string) error {
	if n := utf8.RuneCountInString(pw); n < r.MinLength {
		return fmt.Errorf("%w: it has %d characters; at least %d are required", ErrWeakPassword, n, r.MinLength)
	}
	if len(pw) > 256 {
		return fmt.Errorf("%w: at most 256 bytes are accepted", ErrWeakPassword)
	}
	var lower, upper, digit, other int
	for _, c := range pw {
		switch {
		case unicode.IsLower(c):
			lower = 1
		case unicode.IsUpper(c):
			upper = 1
		case unicode.IsDigit(c):
			digit = 1
		default:
			other = 1
		}
	}
	if n := lower + upper + digit + other; n < r.MinClasses {
		return fmt.Errorf("%w: it mixes %d kinds of character; use at least %d of lower-case letters, upper-case letters, digits and other characters",
			ErrWeakPassword, n, r.MinClasses)
	}
	if userName != "" && strings.Contains(strings.ToLower(pw), strings.ToLower(userName)) {
		return fmt.Errorf("%w: it contains the user name", ErrWeakPassword)
	}
	return nil
}

// generatePassword makes a password that passes r: groups of four characters without the ones
// people misread (0/O, 1/l/I), joined by dashes.
func generatePassword(r Rules, userName string) (string, error) {
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
	groups := max(4, (r.MinLength+5)/5) // groups*5-1 characters with the dashes
	for range 100 {
		var b strings.Builder
		for i := range groups * 4 {
			if i > 0 && i%4 == 0 {
				b.WriteByte('-')
			}
			n, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
			if err != nil {
				return "", err
			}
			b.WriteByte(alphabet[n.Int64()])
		}
		if r.Check(b.String(), userName) == nil {
			return b.String(), nil
		}
	}
	return "", errors.New("could not generate a password that passes the rules; lower ECOCOMP_PASSWORD_MIN_CLASSES")
}
