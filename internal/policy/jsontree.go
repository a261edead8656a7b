package policy

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"regexp"
	"sort"
	"strconv"
)

// The policy file is read into a small tree that remembers where each value starts, so that a
// problem can name its key path and line, duplicate keys are caught (encoding/json silently keeps
// the last), and a canonical form can be hashed.

type jsonKind uint8

const (
	jNull jsonKind = iota
	jBool
	jNumber
	jString
	jArray
	jObject
)

var kindNames = [...]string{"null", "true or false", "a number", "a string", "a list", "an object"}

type jnode struct {
	kind  jsonKind
	off   int64  // byte offset of the value's first character
	b     bool   // jBool
	s     string // jString, or the literal of a jNumber
	keys  []string
	vals  map[string]*jnode
	items []*jnode
}

type treeReader struct {
	data  []byte
	dec   *json.Decoder
	probs []Problem
}

// readTree decodes data; a syntax error ends the reading and is the only problem returned.
func readTree(data []byte) (*jnode, []Problem) {
	data = withoutBOM(data)
	r := &treeReader{data: data, dec: json.NewDecoder(bytes.NewReader(data))}
	r.dec.UseNumber()
	root, err := r.value("")
	if err != nil {
		return nil, []Problem{r.syntax(err)}
	}
	if _, err := r.dec.Token(); err != io.EOF {
		off := r.skipSpace(r.dec.InputOffset())
		return nil, []Problem{{Line: lineOf(data, off), Message: "unexpected text after the policy object"}}
	}
	return root, r.probs
}

func (r *treeReader) syntax(err error) Problem {
	var se *json.SyntaxError
	off := r.dec.InputOffset()
	if errors.As(err, &se) {
		off = se.Offset
	}
	msg := err.Error()
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		msg = "unexpected end of file"
		if len(bytes.TrimSpace(r.data)) == 0 {
			msg = "the file is empty"
		}
	}
	return Problem{Line: lineOf(r.data, off), Message: "not valid JSON: " + msg}
}

// skipSpace moves an offset taken after the previous token past whitespace and separators, to
// the first character of the next value.
func (r *treeReader) skipSpace(off int64) int64 {
	for off < int64(len(r.data)) {
		switch r.data[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
		default:
			return off
		}
	}
	return off
}

func (r *treeReader) value(path string) (*jnode, error) {
	off := r.skipSpace(r.dec.InputOffset())
	tok, err := r.dec.Token()
	if err != nil {
		return nil, err
	}
	n := &jnode{off: off}
	switch t := tok.(type) {
	case nil:
		n.kind = jNull
	case bool:
		n.kind, n.b = jBool, t
	case json.Number:
		n.kind, n.s = jNumber, string(t)
	case string:
		n.kind, n.s = jString, t
	case json.Delim:
		switch t {
		case '{':
			n.kind, n.vals = jObject, map[string]*jnode{}
			for r.dec.More() {
				koff := r.skipSpace(r.dec.InputOffset())
				ktok, err := r.dec.Token()
				if err != nil {
					return nil, err
				}
				key, _ := ktok.(string)
				v, err := r.value(joinKey(path, key))
				if err != nil {
					return nil, err
				}
				if first, dup := n.vals[key]; dup {
					r.probs = append(r.probs, Problem{Path: joinKey(path, key), Line: lineOf(r.data, koff),
						Message: fmt.Sprintf("duplicate key (first given on line %d)", lineOf(r.data, first.off))})
					continue
				}
				n.keys = append(n.keys, key)
				n.vals[key] = v
			}
		case '[':
			n.kind = jArray
			for i := 0; r.dec.More(); i++ {
				v, err := r.value(joinIndex(path, i))
				if err != nil {
					return nil, err
				}
				n.items = append(n.items, v)
			}
		}
		if _, err := r.dec.Token(); err != nil { // the closing delimiter
			return nil, err
		}
	}
	return n, nil
}

// withoutBOM drops the UTF-8 byte-order mark some Windows editors write.
func withoutBOM(b []byte) []byte { return bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")) }

func lineOf(data []byte, off int64) int {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	return bytes.Count(data[:off], []byte{'\n'}) + 1
}

var plainKey = regexp.MustCompile(`^[A-Za-z0-9_]+$`)

func joinKey(path, key string) string {
	if !plainKey.MatchString(key) {
		key = strconv.Quote(key)
		if path == "" {
			return "[" + key + "]"
		}
		return path + "[" + key + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

func joinIndex(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// canonical writes the tree with keys sorted, no insignificant whitespace, strings re-escaped
// the one way Go escapes them (without HTML escaping) and whole numbers in their shortest form.
// Its sha256 is the policy checksum: layout and key order do not change it.
func canonical(n *jnode) []byte {
	var buf bytes.Buffer
	writeCanonical(&buf, n)
	return buf.Bytes()
}

func writeCanonical(buf *bytes.Buffer, n *jnode) {
	switch n.kind {
	case jNull:
		buf.WriteString("null")
	case jBool:
		buf.WriteString(strconv.FormatBool(n.b))
	case jNumber:
		if i, ok := new(big.Int).SetString(n.s, 10); ok {
			buf.WriteString(i.String())
		} else {
			buf.WriteString(n.s)
		}
	case jString:
		writeString(buf, n.s)
	case jArray:
		buf.WriteByte('[')
		for i, it := range n.items {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeCanonical(buf, it)
		}
		buf.WriteByte(']')
	case jObject:
		keys := append([]string(nil), n.keys...)
		sort.Strings(keys)
		buf.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeString(buf, k)
			buf.WriteByte(':')
			writeCanonical(buf, n.vals[k])
		}
		buf.WriteByte('}')
	}
}

func writeString(buf *bytes.Buffer, s string) {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	buf.Truncate(buf.Len() - 1) // Encode's newline
}

func checksum(n *jnode) string {
	sum := sha256.Sum256(canonical(n))
	return hex.EncodeToString(sum[:])
}
