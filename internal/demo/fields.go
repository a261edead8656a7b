package demo

import (
	"fmt"
	"strings"

	"github.com/wuyuan-forestry/ecocomp/internal/parcelfield"
)

// storedFields are the inventory fields the demo writes besides the key and the legal area:
// the coded fields and the numbers of the registry (internal/parcelfield), in its order.
func storedFields() []parcelfield.Field {
	return parcelfield.Of(parcelfield.Coded, parcelfield.Number)
}

// fieldList writes one item per field of storedFields, comma-separated: the column through
// format, or through number for a number ("a.%s", "a.%s::numeric" → "a.di_lei, …, a.xu_ji::numeric").
func fieldList(format, number string) string {
	fs := storedFields()
	out := make([]string, len(fs))
	for i, f := range fs {
		if f.Kind == parcelfield.Number {
			out[i] = fmt.Sprintf(number, f.Property)
		} else {
			out[i] = fmt.Sprintf(format, f.Property)
		}
	}
	return strings.Join(out, ", ")
}

// fieldValue is what the demo drew for a field of the registry as text, "" for nothing (stored
// as NULL): a field the generator does not draw stays empty.
func (a *parcelAttrs) fieldValue(code string) string {
	switch code {
	case "DI_LEI":
		return a.diLei
	case "LD_QS":
		return a.ldQS
	case "LM_QS":
		return a.lmQS
	case "SEN_LIN_LB":
		return a.senLinLB
	case "SHI_QUAN_D":
		return a.shiQuanD
	case "GJGYL_BHDJ":
		return a.gjgylBHDJ
	case "BH_DJ":
		return a.bhDJ
	case "LIN_ZHONG":
		return a.linZhong
	case "QI_YUAN":
		return a.qiYuan
	case "YOU_SHI_SZ":
		return a.species
	case "LING_ZU":
		return a.lingZu
	case parcelfield.XuJi:
		return a.xuJi
	}
	return ""
}
