package policy

import (
	"encoding/json"
	"math/big"
	"testing"
)

func TestParseYuan(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Fen
		ok   bool
	}{
		{"16.00", 1600, true},
		{"16", 1600, true},
		{"16.5", 1650, true},
		{"0.25", 25, true},
		{"0", 0, true},
		{"-0.25", -25, true},
		{"94117.65", 9411765, true},
		{"16.0.0", 0, false},
		{"16.005", 0, false},
		{"016.00", 0, false},
		{"16,00", 0, false},
		{"", 0, false},
		{" 16.00", 0, false},
		{"1e3", 0, false},
	} {
		got, err := ParseYuan(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseYuan(%q) = %d, %v; want %d, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestFenStringAndJSON(t *testing.T) {
	for _, tc := range []struct {
		in   Fen
		want string
	}{{1600, "16.00"}, {25, "0.25"}, {5, "0.05"}, {0, "0.00"}, {-25, "-0.25"}, {9411765, "94117.65"}} {
		if got := tc.in.String(); got != tc.want {
			t.Errorf("Fen(%d).String() = %q, want %q", tc.in, got, tc.want)
		}
	}
	b, err := json.Marshal(map[string]Fen{"amount_yuan": 1600})
	if got, want := string(b), `{"amount_yuan":16.00}`; err != nil || got != want {
		t.Errorf("json.Marshal = %s, %v; want %s", got, err, want)
	}
	var back struct{ A, B Fen }
	if err := json.Unmarshal([]byte(`{"A":16.00,"B":"0.25"}`), &back); err != nil || back.A != 1600 || back.B != 25 {
		t.Errorf("json.Unmarshal = %+v, %v; want {1600 25}", back, err)
	}
}

func TestFenMulRatRoundsHalfAwayFromZero(t *testing.T) {
	for _, tc := range []struct {
		f    Fen
		r    *big.Rat
		want Fen
	}{
		{1600, big.NewRat(30, 1), 48000},      // 16.00 元/亩 × 30 亩 = 480.00
		{1600, big.NewRat(1, 3), 533},         // 5.333… → 5.33
		{1600, big.NewRat(2, 3), 1067},        // 10.666… → 10.67
		{1, big.NewRat(1, 2), 1},              // 0.005 → 0.01
		{-1, big.NewRat(1, 2), -1},            // −0.005 → −0.01
		{9411765, big.NewRat(3, 1), 28235295}, // 3 credits × 94,117.65
	} {
		if got := tc.f.MulRat(tc.r); got != tc.want {
			t.Errorf("%s × %s = %s, want %s", tc.f, tc.r.RatString(), got, tc.want)
		}
	}
}

func TestDecimal(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Decimal
		str  string
		ok   bool
	}{
		{"0.5", 500000, "0.5", true},
		{"1.50", 1500000, "1.5", true},
		{"7", 7000000, "7", true},
		{"0.000001", 1, "0.000001", true},
		{"-0.1", -100000, "-0.1", true},
		{"0.0000001", 0, "", false},
		{"1.2.3", 0, "", false},
		{".5", 0, "", false},
	} {
		got, err := ParseDecimal(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseDecimal(%q) = %d, %v; want %d, ok=%v", tc.in, got, err, tc.want, tc.ok)
			continue
		}
		if tc.ok && got.String() != tc.str {
			t.Errorf("Decimal(%d).String() = %q, want %q", got, got.String(), tc.str)
		}
	}
	if got, want := DecimalOf(3, 2), Decimal(1500000); got != want {
		t.Errorf("DecimalOf(3, 2) = %d, want %d", got, want)
	}
	if got, want := Fen(1000).MulDecimal(DecimalOf(65, 100)), Fen(650); got != want {
		t.Errorf("10.00 × 0.65 = %s, want %s", got, want)
	}
}
