package policy

import (
	"bytes"
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"
)

// Fen is an amount of money in 分 (1 元 = 100 分). Money is held as integers so that a roll of
// thousands of parcel lines adds up to its total exactly; it is never a float.
type Fen int64

var yuanPattern = regexp.MustCompile(`^-?(0|[1-9][0-9]{0,14})(\.[0-9]{1,2})?$`)

// ParseYuan reads an amount in 元 written with at most two decimals ("16.00", "16.5", "16").
func ParseYuan(s string) (Fen, error) {
	if !yuanPattern.MatchString(s) {
		return 0, fmt.Errorf("%q is not an amount in yuan (e.g. \"16.00\")", s)
	}
	return Fen(fixedPoint(s, 2)), nil
}

// fixedPoint reads s, already matched against a pattern that allows at most places decimals and
// few enough digits for an int64, as an integer count of 10^-places.
func fixedPoint(s string, places int) int64 {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	frac += strings.Repeat("0", places-len(frac))
	w, _ := strconv.ParseInt(whole, 10, 64)
	f, _ := strconv.ParseInt(frac, 10, 64)
	scale := int64(1)
	for range places {
		scale *= 10
	}
	v := w*scale + f
	if neg {
		v = -v
	}
	return v
}

// String writes the amount in 元 with exactly two decimals: "16.00", "-0.25".
func (f Fen) String() string {
	sign := ""
	u := uint64(f)
	if f < 0 {
		sign = "-"
		u = uint64(-f)
	}
	return fmt.Sprintf("%s%d.%02d", sign, u/100, u%100)
}

// MarshalJSON writes the amount as a JSON number in 元 with two decimals (16.00), the API's
// `*_yuan` convention.
func (f Fen) MarshalJSON() ([]byte, error) { return []byte(f.String()), nil }

// UnmarshalJSON reads a number or a string in 元 with at most two decimals.
func (f *Fen) UnmarshalJSON(b []byte) error {
	s := string(bytes.TrimSpace(b))
	if uq, err := strconv.Unquote(s); err == nil {
		s = uq
	}
	v, err := ParseYuan(s)
	if err != nil {
		return err
	}
	*f = v
	return nil
}

// Rat is the amount in 元 as an exact rational.
func (f Fen) Rat() *big.Rat { return big.NewRat(int64(f), 100) }

// MulRat multiplies the amount by an exact quantity (亩, a share, a ratio) and rounds to the
// nearest 分, halves away from zero.
func (f Fen) MulRat(r *big.Rat) Fen {
	p := new(big.Rat).Mul(new(big.Rat).SetInt64(int64(f)), r)
	return Fen(roundRat(p))
}

// MulDecimal multiplies the amount by a decimal from the policy file, rounding to the nearest 分.
func (f Fen) MulDecimal(d Decimal) Fen { return f.MulRat(d.Rat()) }

// roundRat rounds r to the nearest integer, halves away from zero.
func roundRat(r *big.Rat) int64 {
	num := new(big.Int).Set(r.Num())
	den := r.Denom()
	neg := num.Sign() < 0
	num.Abs(num)
	q, m := new(big.Int).QuoRem(num, den, new(big.Int))
	if new(big.Int).Lsh(m, 1).Cmp(den) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if neg {
		q.Neg(q)
	}
	return q.Int64()
}

// Decimal is an exact decimal quantity from the policy file — a share (0.5), a ratio (1.5), a
// rate (0.65), an area in 亩 (1.00) — held as an integer count of millionths so comparisons
// and sums are exact. The file writes decimals as strings with at most six decimals.
type Decimal int64

// DecimalScale is the number of Decimal units in 1.
const DecimalScale = 1_000_000

var decimalPattern = regexp.MustCompile(`^-?(0|[1-9][0-9]{0,11})(\.[0-9]{1,6})?$`)

// ParseDecimal reads a decimal written with at most six decimals ("0.5", "1.50", "7").
func ParseDecimal(s string) (Decimal, error) {
	if !decimalPattern.MatchString(s) {
		return 0, fmt.Errorf("%q is not a decimal number (e.g. \"0.5\")", s)
	}
	return Decimal(fixedPoint(s, 6)), nil
}

// DecimalOf returns the Decimal n/d (rounded to a millionth), for constants in code and tests.
func DecimalOf(n, d int64) Decimal {
	return Decimal(roundRat(big.NewRat(n*DecimalScale, d)))
}

// String writes the decimal without trailing zeros: "0.5", "1", "94117.65".
func (d Decimal) String() string {
	sign := ""
	u := uint64(d)
	if d < 0 {
		sign = "-"
		u = uint64(-d)
	}
	s := fmt.Sprintf("%s%d", sign, u/DecimalScale)
	if frac := u % DecimalScale; frac != 0 {
		s += "." + strings.TrimRight(fmt.Sprintf("%06d", frac), "0")
	}
	return s
}

// MarshalJSON writes the decimal as a JSON number (0.5).
func (d Decimal) MarshalJSON() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalJSON reads a number or a string with at most six decimals.
func (d *Decimal) UnmarshalJSON(b []byte) error {
	s := string(bytes.TrimSpace(b))
	if uq, err := strconv.Unquote(s); err == nil {
		s = uq
	}
	v, err := ParseDecimal(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Rat is the decimal as an exact rational.
func (d Decimal) Rat() *big.Rat { return big.NewRat(int64(d), DecimalScale) }

// Float64 is for display and charts only; never add money or areas with it.
func (d Decimal) Float64() float64 { return float64(d) / DecimalScale }
