package goexpvar

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/gopulse/health/pkg/jsonscan"
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
	if l.MaxDepth > MaxMaxDepth { // the flattener recurses once per level
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
	s := flattener{Scanner: jsonscan.Scanner{B: b}, lim: lim}
	s.I = jsonscan.SkipWS(b, 0)
	if s.I >= len(b) {
		return nil, &SyntaxError{Offset: int64(s.I), Msg: "empty document"}
	}
	switch c := b[s.I]; c {
	case '{':
	case '<':
		return nil, &SyntaxError{Offset: int64(s.I), Msg: "not JSON: starts with '<' (an HTML page?)"}
	case '[', '"', 't', 'f', 'n', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return nil, &SyntaxError{Offset: int64(s.I), Msg: fmt.Sprintf("not an expvar document: the top level is %s, not an object", describeStart(c))}
	default:
		return nil, &SyntaxError{Offset: int64(s.I), Msg: "not JSON: starts with " + jsonscan.QuoteByte(c)}
	}
	s.vars = make([]Var, 0, min(lim.MaxVars, len(b)/20+16, 4096))
	if err := s.value(0); err != nil {
		return nil, s.syntaxError(err)
	}
	if s.I = jsonscan.SkipWS(b, s.I); s.I < len(b) {
		return nil, &SyntaxError{Offset: int64(s.I), Msg: fmt.Sprintf("unexpected data after the document's object at byte %d: %s", s.I, jsonscan.QuoteByte(b[s.I]))}
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

// flattener flattens one document: the JSON is read by jsonscan, the path of the value
// being read is kept in path.
type flattener struct {
	jsonscan.Scanner
	lim   Limits
	path  Path
	vars  []Var
	arena []Step
	keys  map[string]string // interned keys: BySize's and app maps' keys repeat
}

func (s *flattener) where() string { return orTop(s.path.String()) }

// syntaxError names the place of a jsonscan error (the path is left as it was when the
// error happened); other errors are returned as they are.
func (s *flattener) syntaxError(err error) error {
	var je *jsonscan.Error
	if !errors.As(err, &je) {
		return err
	}
	if je.Truncated {
		return &SyntaxError{Offset: int64(je.Offset), Msg: fmt.Sprintf("truncated at byte %d (inside %s)", je.Offset, s.where())}
	}
	return &SyntaxError{Offset: int64(je.Offset), Msg: fmt.Sprintf("%v (at %s)", je, s.where())}
}

// value reads the value at I (after white space), inside depth containers.
func (s *flattener) value(depth int) error {
	s.I = jsonscan.SkipWS(s.B, s.I)
	if s.I >= len(s.B) {
		return s.ErrAt(s.I, "a value")
	}
	switch c := s.B[s.I]; {
	case c == '{' || c == '[':
		if depth+1 > s.lim.MaxDepth {
			return &LimitError{Limit: "depth", Max: int64(s.lim.MaxDepth), At: s.path.String()}
		}
		if c == '{' {
			return s.object(depth + 1)
		}
		return s.array(depth + 1)
	case c == '"':
		str, err := s.Text()
		if err != nil {
			return err
		}
		return s.emit(Var{Kind: KindString, Str: string(str)})
	case c == 't':
		return s.literal("true", Var{Kind: KindBool, Num: 1})
	case c == 'f':
		return s.literal("false", Var{Kind: KindBool})
	case c == 'n':
		return s.literal("null", Var{Kind: KindNull})
	case c == '-' || c >= '0' && c <= '9':
		n, err := s.Number()
		if err != nil {
			return err
		}
		// the grammar is checked: the only error left is a number past float64's range,
		// which becomes ±Inf
		f, _ := strconv.ParseFloat(string(n), 64)
		return s.emit(Var{Kind: KindNumber, Num: f})
	}
	return s.ErrAt(s.I, "a value")
}

func (s *flattener) object(depth int) error {
	n := 0
	return s.Object(func(key []byte, _ int) error {
		if n++; n > s.lim.MaxElements {
			return &LimitError{Limit: "element", Max: int64(s.lim.MaxElements), At: s.path.String()}
		}
		return s.member(KeyStep(s.intern(key)), depth)
	})
}

func (s *flattener) array(depth int) error {
	n := 0
	return s.Array("an array", func() error {
		if n >= s.lim.MaxElements {
			return &LimitError{Limit: "element", Max: int64(s.lim.MaxElements), At: s.path.String()}
		}
		n++
		return s.member(IndexStep(n-1), depth)
	})
}

// member reads the value of an object key or array element at step.
func (s *flattener) member(step Step, depth int) error {
	s.path = append(s.path, step)
	if err := s.value(depth); err != nil {
		return err
	}
	s.path = s.path[:len(s.path)-1]
	return nil
}

func (s *flattener) literal(word string, v Var) error {
	if err := s.Literal(word); err != nil {
		return err
	}
	return s.emit(v)
}

func (s *flattener) intern(raw []byte) string {
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

func (s *flattener) emit(v Var) error {
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
