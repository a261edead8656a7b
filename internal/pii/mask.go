package pii

import (
	"strings"
	"unicode/utf8"
)

// IsPerson reports whether an owner of kind is a natural person (or a group of households)
// whose name is personal data; collectives, enterprises and state units keep their names.
func IsPerson(kind string) bool {
	return kind == "individual" || kind == "partnership" || kind == ""
}

// MaskName keeps the first character of a name (the family name) and stars the rest: 王**.
func MaskName(s string) string {
	n := utf8.RuneCountInString(s)
	if n <= 1 {
		return s
	}
	first, _ := utf8.DecodeRuneInString(s)
	return string(first) + strings.Repeat("*", n-1)
}

// MaskKeep keeps head leading and tail trailing characters of s and stars the rest; a value too
// short to keep anything shows as ****.
func MaskKeep(s string, head, tail int) string {
	if s == "" {
		return ""
	}
	rs := []rune(s)
	if len(rs) <= head+tail {
		return "****"
	}
	return string(rs[:head]) + strings.Repeat("*", len(rs)-head-tail) + string(rs[len(rs)-tail:])
}

// MaskIDNumber keeps the area code (6) and the last four characters of an ID number.
func MaskIDNumber(s string) string { return MaskKeep(s, 6, 4) }

// MaskAccount keeps the last four digits of a bank account or phone number.
func MaskAccount(s string) string { return MaskKeep(s, 0, 4) }
