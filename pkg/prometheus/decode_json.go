package prometheus

import (
	"bytes"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth bounds the nesting of skipped values (as encoding/json does).
const maxDepth = 10000

// errAt reports a syntax error at byte i: truncated when i is past the end.
func (d *decoder) errAt(i int, expected string) error {
	if i >= len(d.b) {
		return fmt.Errorf("truncated JSON at byte %d (expected %s)", len(d.b), expected)
	}
	return fmt.Errorf("invalid JSON at byte %d: expected %s, found %s", i, expected, quoteByte(d.b[i]))
}

func quoteByte(c byte) string {
	if c < utf8.RuneSelf {
		return strconv.QuoteRune(rune(c))
	}
	return fmt.Sprintf("byte 0x%02x", c)
}

func isWS(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }

func skipWS(b []byte, i int) int {
	for i < len(b) && isWS(b[i]) {
		i++
	}
	return i
}

// want consumes c after optional white space.
func (d *decoder) want(c byte, expected string) error {
	i := skipWS(d.b, d.i)
	if i >= len(d.b) || d.b[i] != c {
		return d.errAt(i, expected)
	}
	d.i = i + 1
	return nil
}

// null tells whether the next value is null (without consuming it).
func (d *decoder) null() bool {
	d.i = skipWS(d.b, d.i)
	return bytes.HasPrefix(d.b[d.i:], []byte("null"))
}

// object calls member for each key of an object, with d.i at the value; member must
// consume the value. The key is only valid during the call.
func (d *decoder) object(member func(key []byte, at int) error) error {
	if err := d.want('{', "'{'"); err != nil {
		return err
	}
	i := skipWS(d.b, d.i)
	if i < len(d.b) && d.b[i] == '}' {
		d.i = i + 1
		return nil
	}
	for {
		d.i = i
		if i >= len(d.b) || d.b[i] != '"' {
			return d.errAt(i, "a quoted key")
		}
		k, err := d.str()
		if err != nil {
			return err
		}
		if err := d.want(':', "':' after a key"); err != nil {
			return err
		}
		if err := member(k, i); err != nil {
			return err
		}
		i = skipWS(d.b, d.i)
		if i < len(d.b) && d.b[i] == ',' {
			i = skipWS(d.b, i+1)
			continue
		}
		if i < len(d.b) && d.b[i] == '}' {
			d.i = i + 1
			return nil
		}
		return d.errAt(i, "',' or '}' in an object")
	}
}

// array calls elem for each element of an array (or none for null), then done (if any).
func (d *decoder) array(what string, elem func() error, done ...func()) error {
	if d.null() {
		d.i += 4
		return nil
	}
	if err := d.want('[', "'[' starting "+what); err != nil {
		return err
	}
	i := skipWS(d.b, d.i)
	if i < len(d.b) && d.b[i] == ']' {
		d.i = i + 1
	} else {
		for {
			d.i = i
			if err := elem(); err != nil {
				return err
			}
			i = skipWS(d.b, d.i)
			if i < len(d.b) && d.b[i] == ',' {
				i = skipWS(d.b, i+1)
				continue
			}
			if i < len(d.b) && d.b[i] == ']' {
				d.i = i + 1
				break
			}
			return d.errAt(i, "',' or ']' in "+what)
		}
	}
	for _, f := range done {
		f()
	}
	return nil
}

// strings decodes an array of strings (or null).
func (d *decoder) strings() ([]string, error) {
	var out []string
	err := d.array("a list of strings", func() error {
		s, err := d.text()
		out = append(out, string(s))
		return err
	})
	return out, err
}

// nullableString decodes a string or null (as "").
func (d *decoder) nullableString() (string, error) {
	if d.null() {
		d.i += 4
		return "", nil
	}
	s, err := d.text()
	return string(s), err
}

// text decodes a string meant as text: valid UTF-8, escapes decoded. The bytes are only
// valid until the next string is decoded.
func (d *decoder) text() ([]byte, error) {
	i := skipWS(d.b, d.i)
	if i >= len(d.b) || d.b[i] != '"' {
		return nil, d.errAt(i, "a string")
	}
	return d.str()
}

// str decodes the string at d.i (its opening quote): escapes decoded, UTF-8 checked.
func (d *decoder) str() ([]byte, error) {
	b := d.b
	i := skipWS(b, d.i)
	if i >= len(b) || b[i] != '"' {
		return nil, d.errAt(i, "a string")
	}
	i++
	start, esc, high := i, false, false
	for i < len(b) {
		c := b[i]
		if c == '"' {
			break
		}
		switch {
		case c == '\\':
			esc = true
			i += 2
			continue
		case c < 0x20:
			return nil, d.errAt(i, "a string character (control characters must be escaped)")
		case c >= utf8.RuneSelf:
			high = true
		}
		i++
	}
	if i >= len(b) {
		return nil, d.errAt(i, "'\"' ending a string")
	}
	s := b[start:i]
	d.i = i + 1
	if high && !utf8.Valid(s) {
		return nil, d.shapeErr(start, "a string is not valid UTF-8")
	}
	if esc {
		return d.unescape(s, start)
	}
	return s, nil
}

// unescape decodes the escapes of a string's bytes s (at byte at) into d.tmp. Lone
// surrogates are refused.
func (d *decoder) unescape(s []byte, at int) ([]byte, error) {
	out := d.tmp[:0]
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' {
			out = append(out, c)
			i++
			continue
		}
		if i+1 >= len(s) {
			return nil, d.errAt(at+i+1, "an escaped character")
		}
		switch e := s[i+1]; e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r := hex4(s[i+2:])
			if r < 0 {
				return nil, d.errAt(at+i+2+badHex(s[i+2:]), "four hex digits after \\u")
			}
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if i+7 < len(s) && s[i+6] == '\\' && s[i+7] == 'u' {
					r2 = hex4(s[i+8:])
				}
				r = utf16.DecodeRune(r, r2)
				if r == utf8.RuneError {
					return nil, d.shapeErr(at+i, "a lone UTF-16 surrogate in a string")
				}
				i += 6
			}
			out = utf8.AppendRune(out, r)
			i += 6
			continue
		default:
			return nil, d.errAt(at+i+1, "an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)")
		}
		i += 2
	}
	d.tmp = out
	return out, nil
}

func hex4(s []byte) rune {
	if len(s) < 4 {
		return -1
	}
	var r rune
	for _, c := range s[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}

// badHex is the offset of the first byte of s that is not one of four hex digits (len(s)
// when s ends first).
func badHex(s []byte) int {
	for k := 0; k < 4; k++ {
		if k >= len(s) || hex4([]byte{s[k], '0', '0', '0'}) < 0 {
			return k
		}
	}
	return 4
}

// skip consumes one value, checking its syntax. It is iterative (no closures, no
// recursion): skipping allocates nothing below 64 levels of nesting.
func (d *decoder) skip() error {
	var buf [64]byte
	stack := buf[:0] // the open containers, '{' or '['
	b, i := d.b, d.i
	for {
		// a value at i
		i = skipWS(b, i)
		if i >= len(b) {
			return d.errAt(i, "a value")
		}
		switch c := b[i]; {
		case c == '{' || c == '[':
			if len(stack) >= maxDepth {
				return d.shapeErr(i, "nested more than %d deep", maxDepth)
			}
			end := byte('}')
			if c == '[' {
				end = ']'
			}
			i = skipWS(b, i+1)
			if i < len(b) && b[i] == end {
				i++
				break
			}
			stack = append(stack, c)
			if c == '{' {
				var err error
				if i, err = d.skipKey(i); err != nil {
					return err
				}
			}
			continue
		case c == '"':
			d.i = i
			if _, err := d.skipString(); err != nil {
				return err
			}
			i = d.i
		case c == 't' || c == 'f' || c == 'n':
			d.i = i
			lit := "null"
			if c == 't' {
				lit = "true"
			} else if c == 'f' {
				lit = "false"
			}
			if err := d.literal(lit); err != nil {
				return err
			}
			i = d.i
		case c == '-' || c >= '0' && c <= '9':
			d.i = i
			if err := d.number(); err != nil {
				return err
			}
			i = d.i
		default:
			return d.errAt(i, "a value")
		}
		// after a value: close containers until one goes on
		for {
			if len(stack) == 0 {
				d.i = i
				return nil
			}
			i = skipWS(b, i)
			top := stack[len(stack)-1]
			if i < len(b) && b[i] == ',' {
				i++
				if top == '{' {
					var err error
					if i, err = d.skipKey(skipWS(b, i)); err != nil {
						return err
					}
				}
				break
			}
			if top == '{' && i < len(b) && b[i] == '}' || top == '[' && i < len(b) && b[i] == ']' {
				stack = stack[:len(stack)-1]
				i++
				continue
			}
			if top == '{' {
				return d.errAt(i, "',' or '}' in an object")
			}
			return d.errAt(i, "',' or ']' in an array")
		}
	}
}

// skipKey consumes "key": at i.
func (d *decoder) skipKey(i int) (int, error) {
	if i >= len(d.b) || d.b[i] != '"' {
		return 0, d.errAt(i, "a quoted key")
	}
	d.i = i
	if _, err := d.skipString(); err != nil {
		return 0, err
	}
	i = skipWS(d.b, d.i)
	if i >= len(d.b) || d.b[i] != ':' {
		return 0, d.errAt(i, "':' after a key")
	}
	return i + 1, nil
}

// skipString consumes a string, checking its escapes but not its UTF-8.
func (d *decoder) skipString() (int, error) {
	b := d.b
	i := d.i + 1
	for i < len(b) {
		switch c := b[i]; {
		case c == '"':
			d.i = i + 1
			return i, nil
		case c < 0x20:
			return 0, d.errAt(i, "a string character (control characters must be escaped)")
		case c == '\\':
			if i+1 >= len(b) {
				return 0, d.errAt(i+1, "an escaped character")
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if hex4(b[i+2:]) < 0 {
					return 0, d.errAt(i+2+badHex(b[i+2:]), "four hex digits after \\u")
				}
				i += 6
			default:
				return 0, d.errAt(i+1, "an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)")
			}
		default:
			i++
		}
	}
	return 0, d.errAt(i, "'\"' ending a string")
}

func (d *decoder) literal(lit string) error {
	for k := 0; k < len(lit); k++ {
		if i := d.i + k; i >= len(d.b) || d.b[i] != lit[k] {
			return d.errAt(i, strconv.Quote(lit))
		}
	}
	d.i += len(lit)
	return nil
}

// number consumes a JSON number.
func (d *decoder) number() error {
	b, i := d.b, d.i
	digits := func(what string) error {
		s := i
		for i < len(b) && b[i]-'0' <= 9 {
			i++
		}
		if i == s {
			return d.errAt(i, what)
		}
		return nil
	}
	if b[i] == '-' {
		i++
	}
	if i < len(b) && b[i] == '0' {
		i++
	} else if err := digits("a digit"); err != nil {
		return err
	}
	if i < len(b) && b[i] == '.' {
		i++
		if err := digits("a digit after '.'"); err != nil {
			return err
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if err := digits("a digit in the exponent"); err != nil {
			return err
		}
	}
	d.i = i
	return nil
}
