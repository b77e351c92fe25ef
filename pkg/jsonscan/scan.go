// Package jsonscan reads JSON in place, from a byte slice: white space, literals, strings
// (escapes decoded, \u escapes with UTF-16 surrogate pairs), numbers, skipping any value,
// and the members of objects and elements of arrays. It builds no values: its callers walk
// the document and decode what they need, so that reading valid JSON allocates nothing
// (strings with escapes are decoded into a buffer the Scanner reuses).
//
// Every error is an *Error that says what was expected at which byte.
package jsonscan

import (
	"bytes"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxDepth bounds the nesting of the values Skip accepts (as encoding/json does).
const MaxDepth = 10000

// Scanner reads the document B from byte I.
type Scanner struct {
	B []byte // the document
	I int    // the next byte to read

	// Strict refuses decoded strings (Text, object keys) that are not valid UTF-8 or hold
	// a lone UTF-16 surrogate (\ud800 without its pair). Otherwise a string's bytes are
	// kept as they are and a lone surrogate becomes U+FFFD, as encoding/json does.
	Strict bool

	buf []byte // unescaped strings
}

// Error is a document that is not JSON (Expected at byte Offset, or truncated), or a
// string or nesting that the Scanner refuses (Msg).
type Error struct {
	Offset    int    // the byte where it was found; len(B) when Truncated
	Truncated bool   // the document ended first
	Expected  string // what the grammar wants at Offset ("" when Msg says what is wrong)
	Found     byte   // the byte found at Offset, unless Truncated
	Msg       string // a refused string or nesting
}

func (e *Error) Error() string {
	switch {
	case e.Msg != "":
		return fmt.Sprintf("%s at byte %d", e.Msg, e.Offset)
	case e.Truncated:
		return fmt.Sprintf("truncated JSON at byte %d (expected %s)", e.Offset, e.Expected)
	}
	return fmt.Sprintf("invalid JSON at byte %d: expected %s, found %s", e.Offset, e.Expected, QuoteByte(e.Found))
}

// QuoteByte names a byte in a message: 'x' for ASCII, byte 0xNN otherwise.
func QuoteByte(c byte) string {
	if c < utf8.RuneSelf {
		return strconv.QuoteRune(rune(c))
	}
	return fmt.Sprintf("byte 0x%02x", c)
}

// ErrAt is the error for byte i of the document when expected should be there: truncated
// when i is past the end.
func (s *Scanner) ErrAt(i int, expected string) error {
	if i >= len(s.B) {
		return &Error{Offset: len(s.B), Truncated: true, Expected: expected}
	}
	return &Error{Offset: i, Expected: expected, Found: s.B[i]}
}

func (s *Scanner) refuse(i int, msg string) error { return &Error{Offset: i, Msg: msg} }

func isWS(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }

// SkipWS returns the first byte of b from i that is not JSON white space.
func SkipWS(b []byte, i int) int {
	for i < len(b) && isWS(b[i]) {
		i++
	}
	return i
}

// Want consumes c after optional white space.
func (s *Scanner) Want(c byte, expected string) error {
	i := SkipWS(s.B, s.I)
	if i >= len(s.B) || s.B[i] != c {
		return s.ErrAt(i, expected)
	}
	s.I = i + 1
	return nil
}

// Null skips white space and tells whether the next value is null, without consuming it.
func (s *Scanner) Null() bool {
	s.I = SkipWS(s.B, s.I)
	return bytes.HasPrefix(s.B[s.I:], []byte("null"))
}

// Object reads an object, calling member for each key with I at the value (at is where
// the key begins); member must consume the value. The key is only valid during the call.
func (s *Scanner) Object(member func(key []byte, at int) error) error {
	if err := s.Want('{', "'{'"); err != nil {
		return err
	}
	i := SkipWS(s.B, s.I)
	if i < len(s.B) && s.B[i] == '}' {
		s.I = i + 1
		return nil
	}
	for {
		s.I = i
		if i >= len(s.B) || s.B[i] != '"' {
			return s.ErrAt(i, "a quoted key")
		}
		k, err := s.Text()
		if err != nil {
			return err
		}
		if err := s.Want(':', "':' after a key"); err != nil {
			return err
		}
		if err := member(k, i); err != nil {
			return err
		}
		i = SkipWS(s.B, s.I)
		if i < len(s.B) && s.B[i] == ',' {
			i = SkipWS(s.B, i+1)
			continue
		}
		if i < len(s.B) && s.B[i] == '}' {
			s.I = i + 1
			return nil
		}
		return s.ErrAt(i, "',' or '}' in an object")
	}
}

// Array reads an array, calling elem for each element with I at it; elem must consume
// it. What names the array in errors ("'[' starting <what>").
func (s *Scanner) Array(what string, elem func() error) error {
	i := SkipWS(s.B, s.I)
	if i >= len(s.B) || s.B[i] != '[' {
		return s.ErrAt(i, "'[' starting "+what) // built only here: it allocates
	}
	i = SkipWS(s.B, i+1)
	if i < len(s.B) && s.B[i] == ']' {
		s.I = i + 1
		return nil
	}
	for {
		s.I = i
		if err := elem(); err != nil {
			return err
		}
		i = SkipWS(s.B, s.I)
		if i < len(s.B) && s.B[i] == ',' {
			i = SkipWS(s.B, i+1)
			continue
		}
		if i < len(s.B) && s.B[i] == ']' {
			s.I = i + 1
			return nil
		}
		return s.ErrAt(i, "',' or ']' in "+what)
	}
}

// Text reads a string after optional white space, escapes decoded. The bytes are only
// valid until the next string is read: they are the document's or the Scanner's buffer.
func (s *Scanner) Text() ([]byte, error) {
	b := s.B
	i := SkipWS(b, s.I)
	if i >= len(b) || b[i] != '"' {
		return nil, s.ErrAt(i, "a string")
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
			return nil, s.ErrAt(i, "a string character (control characters must be escaped)")
		case c >= utf8.RuneSelf:
			high = true
		}
		i++
	}
	if i >= len(b) {
		return nil, s.ErrAt(i, "'\"' ending a string")
	}
	str := b[start:i]
	s.I = i + 1
	if s.Strict && high && !utf8.Valid(str) {
		return nil, s.refuse(start, "a string is not valid UTF-8")
	}
	if esc {
		return s.unescape(str, start)
	}
	return str, nil
}

// unescape decodes the escapes of a string's bytes str (at byte at) into s.buf. Every
// backslash of str has a byte after it (Text ends a string at an unescaped quote).
func (s *Scanner) unescape(str []byte, at int) ([]byte, error) {
	out := s.buf[:0]
	for i := 0; i < len(str); {
		c := str[i]
		if c != '\\' {
			out = append(out, c)
			i++
			continue
		}
		switch e := str[i+1]; e {
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
			r := hex4(str[i+2:])
			if r < 0 {
				return nil, s.ErrAt(at+i+2+badHex(str[i+2:]), "four hex digits after \\u")
			}
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if i+7 < len(str) && str[i+6] == '\\' && str[i+7] == 'u' {
					r2 = hex4(str[i+8:])
				}
				if pair := utf16.DecodeRune(r, r2); pair != utf8.RuneError {
					r = pair
					i += 6
				} else if s.Strict {
					return nil, s.refuse(at+i, "a lone UTF-16 surrogate in a string")
				} else {
					r = utf8.RuneError
				}
			}
			out = utf8.AppendRune(out, r)
			i += 6
			continue
		default:
			return nil, s.ErrAt(at+i+1, "an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)")
		}
		i += 2
	}
	s.buf = out
	return out, nil
}

// hex4 is the value of the four hex digits that begin s, or -1.
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

// Skip consumes one value after optional white space, checking its syntax (but not the
// UTF-8 of its strings). It is iterative: skipping allocates nothing below 64 levels of
// nesting, and refuses more than MaxDepth.
func (s *Scanner) Skip() error {
	var buf [64]byte
	stack := buf[:0] // the open containers, '{' or '['
	b, i := s.B, s.I
	for {
		// a value at i
		i = SkipWS(b, i)
		if i >= len(b) {
			return s.ErrAt(i, "a value")
		}
		switch c := b[i]; {
		case c == '{' || c == '[':
			if len(stack) >= MaxDepth {
				return s.refuse(i, fmt.Sprintf("nested more than %d deep", MaxDepth))
			}
			end := byte('}')
			if c == '[' {
				end = ']'
			}
			i = SkipWS(b, i+1)
			if i < len(b) && b[i] == end {
				i++
				break
			}
			stack = append(stack, c)
			if c == '{' {
				var err error
				if i, err = s.skipKey(i); err != nil {
					return err
				}
			}
			continue
		case c == '"':
			var err error
			if i, err = s.skipString(i); err != nil {
				return err
			}
		case c == 't' || c == 'f' || c == 'n':
			s.I = i
			lit := "null"
			if c == 't' {
				lit = "true"
			} else if c == 'f' {
				lit = "false"
			}
			if err := s.Literal(lit); err != nil {
				return err
			}
			i = s.I
		case c == '-' || c >= '0' && c <= '9':
			s.I = i
			if _, err := s.Number(); err != nil {
				return err
			}
			i = s.I
		default:
			return s.ErrAt(i, "a value")
		}
		// after a value: close containers until one goes on
		for {
			if len(stack) == 0 {
				s.I = i
				return nil
			}
			i = SkipWS(b, i)
			top := stack[len(stack)-1]
			if i < len(b) && b[i] == ',' {
				i++
				if top == '{' {
					var err error
					if i, err = s.skipKey(SkipWS(b, i)); err != nil {
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
				return s.ErrAt(i, "',' or '}' in an object")
			}
			return s.ErrAt(i, "',' or ']' in an array")
		}
	}
}

// skipKey consumes "key": at i and returns the byte after the ':'.
func (s *Scanner) skipKey(i int) (int, error) {
	if i >= len(s.B) || s.B[i] != '"' {
		return 0, s.ErrAt(i, "a quoted key")
	}
	i, err := s.skipString(i)
	if err != nil {
		return 0, err
	}
	i = SkipWS(s.B, i)
	if i >= len(s.B) || s.B[i] != ':' {
		return 0, s.ErrAt(i, "':' after a key")
	}
	return i + 1, nil
}

// skipString consumes the string at i (its opening quote), checking its escapes but not
// its UTF-8, and returns the byte after it.
func (s *Scanner) skipString(i int) (int, error) {
	b := s.B
	i++
	for i < len(b) {
		switch c := b[i]; {
		case c == '"':
			return i + 1, nil
		case c < 0x20:
			return 0, s.ErrAt(i, "a string character (control characters must be escaped)")
		case c == '\\':
			if i+1 >= len(b) {
				return 0, s.ErrAt(i+1, "an escaped character")
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if hex4(b[i+2:]) < 0 {
					return 0, s.ErrAt(i+2+badHex(b[i+2:]), "four hex digits after \\u")
				}
				i += 6
			default:
				return 0, s.ErrAt(i+1, "an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)")
			}
		default:
			i++
		}
	}
	return 0, s.ErrAt(i, "'\"' ending a string")
}

// Literal consumes lit (true, false or null) at I.
func (s *Scanner) Literal(lit string) error {
	for k := 0; k < len(lit); k++ {
		if i := s.I + k; i >= len(s.B) || s.B[i] != lit[k] {
			return s.ErrAt(i, strconv.Quote(lit))
		}
	}
	s.I += len(lit)
	return nil
}

// Number consumes the number at I (RFC 8259 grammar) and returns its bytes.
func (s *Scanner) Number() ([]byte, error) {
	b, i := s.B, s.I
	digits := func(what string) error {
		d := i
		for i < len(b) && b[i]-'0' <= 9 {
			i++
		}
		if i == d {
			return s.ErrAt(i, what)
		}
		return nil
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	if i < len(b) && b[i] == '0' {
		i++
	} else if err := digits("a digit"); err != nil {
		return nil, err
	}
	if i < len(b) && b[i] == '.' {
		i++
		if err := digits("a digit after '.'"); err != nil {
			return nil, err
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if err := digits("a digit in the exponent"); err != nil {
			return nil, err
		}
	}
	n := b[s.I:i]
	s.I = i
	return n, nil
}
