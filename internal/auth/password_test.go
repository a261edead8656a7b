package auth

import (
	"strings"
	"testing"
	"time"
)

func TestPasswordRules(t *testing.T) {
	r := Rules{MinLength: 10, MinClasses: 3}
	for _, tc := range []struct {
		name, pw, user, want string
	}{
		{"long and mixed", "Forest-2026", "alice", ""},
		{"Chinese characters count as characters", "林业局Bureau2026", "alice", ""},
		{"too short", "Ab1-", "alice", "at least 10"},
		{"two kinds", "forestbureau2026", "alice", "kinds of character"},
		{"contains the name", "Alice-2026-x", "alice", "user name"},
		{"too long", strings.Repeat("Ab1-", 70), "alice", "256 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := r.Check(tc.pw, tc.user)
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("Check(%q) = %v; want %q", tc.pw, err, tc.want)
			}
		})
	}
}

func TestArgon2idHashes(t *testing.T) {
	h, err := hashPassword("Forest-2026")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q is not an argon2id PHC string with the documented parameters", h)
	}
	h2, _ := hashPassword("Forest-2026")
	if h == h2 {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	if !checkPassword(h, "Forest-2026") || checkPassword(h, "Forest-2027") {
		t.Error("checkPassword accepts the wrong password or refuses the right one")
	}
	parts := strings.Split(h, "$")
	parts[3] = "m=1,t=1,p=1" // a row edited to weaker parameters no longer matches
	if checkPassword(strings.Join(parts, "$"), "Forest-2026") {
		t.Error("a hash with altered parameters still matches")
	}
	for _, bad := range []string{"", "$argon2i$v=19$m=1,t=1,p=1$AA$AA", "$argon2id$v=19$m=99999999,t=1,p=1$AA$AA"} {
		if checkPassword(bad, "x") {
			t.Errorf("checkPassword(%q) = true", bad)
		}
	}
}

func TestGeneratedPasswordsPassTheRules(t *testing.T) {
	for _, r := range []Rules{{10, 3}, {16, 4}, {30, 3}} {
		pw, err := generatePassword(r, "demo")
		if err != nil || r.Check(pw, "demo") != nil {
			t.Errorf("generatePassword(%+v) = %q, %v", r, pw, err)
		}
	}
}

func TestParseRolesAndExpiry(t *testing.T) {
	rs, err := ParseRoles(" surveyor,finance,surveyor ")
	if err != nil || len(rs) != 2 || rs[0] != Surveyor || rs[1] != Finance {
		t.Errorf("ParseRoles = %v, %v", rs, err)
	}
	for _, bad := range []string{"", "boss", "viewer,,root"} {
		if _, err := ParseRoles(bad); err == nil {
			t.Errorf("ParseRoles(%q) accepted", bad)
		}
	}
	for in, want := range map[string]time.Duration{"90d": 90 * 24 * time.Hour, "12h": 12 * time.Hour, "never": 0, "": 0} {
		if got, err := ParseExpiry(in); err != nil || got != want {
			t.Errorf("ParseExpiry(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"0d", "-3d", "soon", "90"} {
		if _, err := ParseExpiry(bad); err == nil {
			t.Errorf("ParseExpiry(%q) accepted", bad)
		}
	}
}
