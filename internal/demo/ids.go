package demo

import (
	"fmt"
	"strings"
)

// Identifiers of the demo owners, with check characters as valid as real ones: citizen ID numbers
// (GB 11643), unified social credit codes (GB 32100), bank card numbers (Luhn), mobile numbers.

// idCheck is the GB 11643-1999 check character of a 17-digit citizen ID body.
func idCheck(body string) string {
	w := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	s := 0
	for i := 0; i < 17; i++ {
		s += int(body[i]-'0') * w[i]
	}
	return string("10X98765432"[s%11])
}

const usccChars = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// uscc makes a unique 18-character unified social credit code (GB 32100-2015) with valid
// check characters: prefix (registration authority and kind), 361130, organisation code.
func (ob *ownerBook) uscc(prefix string) string {
	for {
		org := fmt.Sprintf("%08d", ob.r.IntN(100000000))
		w := []int{3, 7, 9, 10, 5, 8, 4, 2}
		s := 0
		for i := 0; i < 8; i++ {
			s += int(org[i]-'0') * w[i]
		}
		c := 11 - s%11
		switch c {
		case 10:
			org += "X"
		case 11:
			org += "0"
		default:
			org += fmt.Sprint(c)
		}
		body := prefix + CountyCode + org
		ws := []int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}
		s = 0
		for i := 0; i < 17; i++ {
			s += strings.IndexByte(usccChars, body[i]) * ws[i]
		}
		code := body + string(usccChars[(31-s%31)%31])
		if !ob.used[code] {
			ob.used[code] = true
			return code
		}
	}
}

// bank makes a 19-digit demo card number (一卡通) with a valid Luhn digit.
func (ob *ownerBook) bank() string {
	b := []byte("623099")
	for len(b) < 18 {
		b = append(b, byte('0'+ob.r.IntN(10)))
	}
	s := 0
	for i := 0; i < 18; i++ {
		d := int(b[17-i] - '0')
		if i%2 == 0 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		s += d
	}
	return string(append(b, byte('0'+(10-s%10)%10)))
}

func (ob *ownerBook) phone() string {
	p := []string{"139", "138", "137", "150", "151", "152", "158", "187", "188", "180", "133", "153"}[ob.r.IntN(12)]
	return fmt.Sprintf("%s%08d", p, ob.r.IntN(100000000))
}
