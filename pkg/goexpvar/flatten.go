package goexpvar

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Kind is the JSON type of a flattened value.
type Kind uint8

const (
	KindNumber Kind = iota + 1
	KindBool        // Num is 0 or 1 so that it can be charted
	KindString      // Str holds the value
	KindNull        // an expvar.Func that returned nil
)

func (k Kind) String() string {
	switch k {
	case KindNumber:
		return "number"
	case KindBool:
		return "bool"
	case KindString:
		return "string"
	case KindNull:
		return "null"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Var is one leaf of an expvar document.
type Var struct {
	Path Path
	Kind Kind
	Num  float64 // numbers; bools as 0/1
	Str  string  // strings
}

// Limits bound what Flatten accepts. A zero field takes its default.
type Limits struct {
	MaxDepth    int   // nesting of maps and arrays, the top-level object is depth 1 (default 32, at most 10,000)
	MaxElements int   // entries of any one map or array (default 10,000)
	MaxVars     int   // leaves in the document (default 100,000)
	MaxBytes    int64 // bytes of the document (default 16 MiB)
}

// Default limits.
const (
	DefaultMaxDepth    = 32
	DefaultMaxElements = 10_000
	DefaultMaxVars     = 100_000
	DefaultMaxBytes    = 16 << 20

	MaxMaxDepth = 10_000 // a larger MaxDepth is taken as this
)

// WithDefaults fills the zero (or negative) fields of l with the defaults.
func (l Limits) WithDefaults() Limits {
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxDepth > MaxMaxDepth { // the scanner recurses once per level
		l.MaxDepth = MaxMaxDepth
	}
	if l.MaxElements <= 0 {
		l.MaxElements = DefaultMaxElements
	}
	if l.MaxElements > math.MaxInt32 { // Step.Index is an int32
		l.MaxElements = math.MaxInt32
	}
	if l.MaxVars <= 0 {
		l.MaxVars = DefaultMaxVars
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	return l
}

// LimitError says which limit a document exceeded and where.
type LimitError struct {
	Limit string // "depth", "element", "var" or "size"
	Max   int64
	At    string // the path where it was hit (canonical form), "" for the document
}

func (e *LimitError) Error() string {
	switch e.Limit {
	case "size":
		return fmt.Sprintf("expvar document: size limit %d bytes exceeded", e.Max)
	case "element":
		return fmt.Sprintf("expvar document: element limit %d exceeded in %s", e.Max, orTop(e.At))
	}
	return fmt.Sprintf("expvar document: %s limit %d exceeded at %s", e.Limit, e.Max, orTop(e.At))
}

func orTop(s string) string {
	if s == "" {
		return "the top level"
	}
	return s
}

// SyntaxError is a document that is not a JSON object, is truncated or is
// invalid JSON; Offset is the byte where it was found.
type SyntaxError struct {
	Offset int64
	Msg    string
}

func (e *SyntaxError) Error() string { return "expvar document: " + e.Msg }

// Flatten reads an expvar document (a JSON object) from r, at most
// lim.MaxBytes of it, and returns its leaves in document order (see
// FlattenBytes).
func Flatten(r io.Reader, lim Limits) ([]Var, error) {
	lim = lim.WithDefaults()
	b, err := io.ReadAll(io.LimitReader(r, lim.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("expvar document: reading: %w", err)
	}
	return FlattenBytes(b, lim)
}

// FlattenBytes returns the leaves of the expvar document b in document order,
// within lim: one Var per number, bool, string or null, with its path. Empty
// maps and arrays have no leaves. Strings are copied out of b. A document past
// a limit gives a *LimitError; one that is not a JSON object, is truncated or
// is invalid gives a *SyntaxError.
func FlattenBytes(b []byte, lim Limits) ([]Var, error) {
	lim = lim.WithDefaults()
	if int64(len(b)) > lim.MaxBytes {
		return nil, &LimitError{Limit: "size", Max: lim.MaxBytes}
	}
	s := scanner{b: b, lim: lim}
	s.ws()
	if s.i >= len(b) {
		return nil, &SyntaxError{Offset: int64(s.i), Msg: "empty document"}
	}
	switch c := b[s.i]; c {
	case '{':
	case '<':
		return nil, &SyntaxError{Offset: int64(s.i), Msg: "not JSON: starts with '<' (an HTML page?)"}
	case '[', '"', 't', 'f', 'n', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return nil, &SyntaxError{Offset: int64(s.i), Msg: fmt.Sprintf("not an expvar document: the top level is %s, not an object", describeStart(c))}
	default:
		return nil, &SyntaxError{Offset: int64(s.i), Msg: "not JSON: starts with " + quoteByte(b[s.i:])}
	}
	s.vars = make([]Var, 0, min(lim.MaxVars, len(b)/20+16, 4096))
	if err := s.value(0); err != nil {
		return nil, err
	}
	s.ws()
	if s.i < len(b) {
		return nil, &SyntaxError{Offset: int64(s.i), Msg: fmt.Sprintf("unexpected data after the document's object at byte %d: %s", s.i, quoteByte(b[s.i:]))}
	}
	return s.vars, nil
}

func describeStart(c byte) string {
	switch c {
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a bool"
	case 'n':
		return "null"
	}
	return "a number"
}

func quoteByte(b []byte) string {
	if len(b) == 0 {
		return "the end"
	}
	r, n := utf8.DecodeRune(b)
	if r == utf8.RuneError && n <= 1 {
		return fmt.Sprintf("byte %#x", b[0])
	}
	return strconv.QuoteRune(r)
}

type scanner struct {
	b     []byte
	i     int
	lim   Limits
	path  Path
	vars  []Var
	arena []Step
	keys  map[string]string // interned keys: BySize's and app maps' keys repeat
	buf   []byte            // unescaping
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) where() string { return orTop(s.path.String()) }

func (s *scanner) truncated() error {
	return &SyntaxError{Offset: int64(s.i), Msg: fmt.Sprintf("truncated at byte %d (inside %s)", s.i, s.where())}
}

// unexpected is the error for the byte at s.i (or the end).
func (s *scanner) unexpected(want string) error {
	if s.i >= len(s.b) {
		return s.truncated()
	}
	return &SyntaxError{Offset: int64(s.i), Msg: fmt.Sprintf("invalid JSON at byte %d (at %s): expected %s, found %s", s.i, s.where(), want, quoteByte(s.b[s.i:]))}
}

// value scans the value at s.i (after white space), inside depth containers.
func (s *scanner) value(depth int) error {
	s.ws()
	if s.i >= len(s.b) {
		return s.truncated()
	}
	switch c := s.b[s.i]; {
	case c == '{' || c == '[':
		if depth+1 > s.lim.MaxDepth {
			return &LimitError{Limit: "depth", Max: int64(s.lim.MaxDepth), At: s.path.String()}
		}
		s.i++
		if c == '{' {
			return s.object(depth + 1)
		}
		return s.array(depth + 1)
	case c == '"':
		str, err := s.str(false)
		if err != nil {
			return err
		}
		return s.emit(Var{Kind: KindString, Str: str})
	case c == 't':
		return s.literal("true", Var{Kind: KindBool, Num: 1})
	case c == 'f':
		return s.literal("false", Var{Kind: KindBool})
	case c == 'n':
		return s.literal("null", Var{Kind: KindNull})
	case c == '-' || c >= '0' && c <= '9':
		return s.number()
	}
	return s.unexpected("a value")
}

func (s *scanner) object(depth int) error {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		return nil
	}
	for n := 1; ; n++ {
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != '"' {
			return s.unexpected("a quoted key")
		}
		if n > s.lim.MaxElements {
			return &LimitError{Limit: "element", Max: int64(s.lim.MaxElements), At: s.path.String()}
		}
		key, err := s.str(true)
		if err != nil {
			return err
		}
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return s.unexpected("':' after the key " + strconv.Quote(key))
		}
		s.i++
		if done, err := s.member(KeyStep(key), depth, '}'); done || err != nil {
			return err
		}
	}
}

func (s *scanner) array(depth int) error {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
		return nil
	}
	for n := 0; ; n++ {
		if n >= s.lim.MaxElements {
			return &LimitError{Limit: "element", Max: int64(s.lim.MaxElements), At: s.path.String()}
		}
		if done, err := s.member(IndexStep(n), depth, ']'); done || err != nil {
			return err
		}
	}
}

// member reads the value of an object key or array element at step, then what follows
// it: ',' (more members) or closing (done).
func (s *scanner) member(step Step, depth int, closing byte) (done bool, err error) {
	s.path = append(s.path, step)
	if err := s.value(depth); err != nil {
		return false, err
	}
	s.path = s.path[:len(s.path)-1]
	s.ws()
	if s.i >= len(s.b) {
		return false, s.truncated()
	}
	switch s.b[s.i] {
	case ',':
		s.i++
		return false, nil
	case closing:
		s.i++
		return true, nil
	}
	return false, s.unexpected("',' or '" + string(closing) + "'")
}

func (s *scanner) literal(word string, v Var) error {
	rest := s.b[s.i:]
	if len(rest) < len(word) {
		if string(rest) == word[:len(rest)] {
			s.i = len(s.b)
			return s.truncated()
		}
	} else if string(rest[:len(word)]) == word {
		s.i += len(word)
		return s.emit(v)
	}
	return s.unexpected("a value")
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// number scans a JSON number (RFC 8259 grammar). Numbers past float64's range
// become ±Inf.
func (s *scanner) number() error {
	start := s.i
	digits := func() bool {
		d := s.i
		for s.i < len(s.b) && isDigit(s.b[s.i]) {
			s.i++
		}
		return s.i > d
	}
	if s.b[s.i] == '-' {
		s.i++
	}
	if s.i < len(s.b) && s.b[s.i] == '0' {
		s.i++
	} else if !digits() {
		return s.unexpected("a digit")
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if !digits() {
			return s.unexpected("a digit after '.'")
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if !digits() {
			return s.unexpected("a digit in the exponent")
		}
	}
	f, err := strconv.ParseFloat(string(s.b[start:s.i]), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return &SyntaxError{Offset: int64(start), Msg: fmt.Sprintf("bad number at byte %d (at %s)", start, s.where())}
	}
	return s.emit(Var{Kind: KindNumber, Num: f})
}

// str scans the string at s.i (a '"'); keys are interned.
func (s *scanner) str(key bool) (string, error) {
	s.i++
	start := s.i
	for s.i < len(s.b) {
		c := s.b[s.i]
		if c == '"' {
			raw := s.b[start:s.i]
			s.i++
			if key {
				return s.intern(raw), nil
			}
			return string(raw), nil
		}
		if c == '\\' {
			return s.strEscaped(start, key)
		}
		if c < 0x20 {
			return "", s.unexpected("no control character in a string")
		}
		s.i++
	}
	return "", s.truncated()
}

func (s *scanner) intern(raw []byte) string {
	if k, ok := s.keys[string(raw)]; ok {
		return k
	}
	if s.keys == nil {
		s.keys = make(map[string]string)
	}
	k := string(raw)
	if len(s.keys) < 4096 {
		s.keys[k] = k
	}
	return k
}

// strEscaped finishes a string with escapes, started at start.
func (s *scanner) strEscaped(start int, key bool) (string, error) {
	s.buf = append(s.buf[:0], s.b[start:s.i]...)
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			if key {
				return s.intern(s.buf), nil
			}
			return string(s.buf), nil
		case c < 0x20:
			return "", s.unexpected("no control character in a string")
		case c != '\\':
			s.buf = append(s.buf, c)
			s.i++
			continue
		}
		s.i++ // the backslash
		if s.i >= len(s.b) {
			return "", s.truncated()
		}
		e := s.b[s.i]
		s.i++
		switch e {
		case '"', '\\', '/':
			s.buf = append(s.buf, e)
		case 'b':
			s.buf = append(s.buf, '\b')
		case 'f':
			s.buf = append(s.buf, '\f')
		case 'n':
			s.buf = append(s.buf, '\n')
		case 'r':
			s.buf = append(s.buf, '\r')
		case 't':
			s.buf = append(s.buf, '\t')
		case 'u':
			r, err := s.hex4()
			if err != nil {
				return "", err
			}
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if s.i+1 < len(s.b) && s.b[s.i] == '\\' && s.b[s.i+1] == 'u' {
					save := s.i
					s.i += 2
					var err error
					if r2, err = s.hex4(); err != nil {
						return "", err
					}
					if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
						r = d
					} else {
						s.i = save
						r = utf8.RuneError
					}
				} else {
					r = utf8.RuneError
				}
			}
			s.buf = utf8.AppendRune(s.buf, r)
		default:
			s.i--
			return "", s.unexpected(`an escape (\" \\ \/ \b \f \n \r \t \uXXXX)`)
		}
	}
	return "", s.truncated()
}

func (s *scanner) hex4() (rune, error) {
	var r rune
	for range 4 {
		if s.i >= len(s.b) {
			return 0, s.truncated()
		}
		c := s.b[s.i]
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, s.unexpected(`a hex digit in \u`)
		}
		r = r<<4 | rune(c)
		s.i++
	}
	return r, nil
}

func (s *scanner) emit(v Var) error {
	if len(s.vars) >= s.lim.MaxVars {
		return &LimitError{Limit: "var", Max: int64(s.lim.MaxVars), At: s.path.String()}
	}
	// the path goes into a shared chunk, so that vars do not cost an allocation each
	n := len(s.path)
	if cap(s.arena)-len(s.arena) < n {
		s.arena = make([]Step, 0, max(1024, n))
	}
	s.arena = append(s.arena, s.path...)
	v.Path = s.arena[len(s.arena)-n : len(s.arena) : len(s.arena)]
	s.vars = append(s.vars, v)
	return nil
}
