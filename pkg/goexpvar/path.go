// Package expvar reads Go expvar documents (/debug/vars) and addresses their
// values with a small path syntax.
//
// # Flattening
//
// [Flatten] turns a document into a flat list of [Var] in document order: one
// per number, bool, string or null leaf, each with its concrete [Path]. Nested
// maps become dotted steps and arrays become index steps, so the runtime's
// memstats give memstats.HeapAlloc, memstats.PauseNs[0] and
// memstats.BySize[3].Mallocs. [Limits] bound depth, elements per map or array,
// the number of vars and the document's bytes; a document past a limit is an
// error that names the limit and where it was hit, never unbounded memory.
//
// # Path syntax
//
// A path is a sequence of steps. The first step is a key or a wildcard; each
// later step is written either after a dot or in brackets:
//
//	memstats.HeapAlloc               dotted keys
//	memstats.PauseNs[0]              [i]: array element i (decimal, from 0)
//	memstats.BySize[3].Mallocs       an index, then a key
//	requests["api.example.com:443"]  ["..."]: any key, as a double-quoted Go string literal
//	latency["p99.9"]                 a key with a dot
//	["key with spaces"].count        a bracketed key may start a path
//	requests.*                       *: exactly one step (any key or any index)
//	memstats.PauseNs[*]              [*]: exactly one array index
//	**.Mallocs                       **: any number of steps, including none
//	business.**                      everything under business
//
// A bare (dotted) key is one or more Unicode letters, digits, '_' or '-'.
// Any other key — with '.', ' ', '/', ':', quotes, '*', an empty key, ... — is
// written bracketed and double-quoted, with the escapes of Go string literals
// (\" \\ \n \t \u00e9 \xff: what strconv.Quote writes and strconv.Unquote
// reads; JSON's \/ is not one of them). There is one canonical form: [Path.String] and
// [Pattern.String] write bare keys dotted and every other key as ["..."], so
// that ParsePath(p.String()) gives back exactly p. Single quotes and
// whitespace outside quotes are errors. A key literally named * or ** is
// written ["*"] or ["**"].
//
// [ParsePath] reports errors with the byte offset and what was expected, e.g.
//
//	expvar path "memstats..HeapAlloc": at byte 9: expected a key, '*' or '**' after '.', found '.'
package goexpvar

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Step is one step of a concrete path: a map key, or an array index when
// IsIndex is set. (24 bytes: a flattened document holds many.)
type Step struct {
	Key     string
	Index   int32 // indexes are at most MaxInt32 (and MaxElements)
	IsIndex bool
}

// KeyStep and IndexStep build steps.
func KeyStep(k string) Step   { return Step{Key: k} }
func IndexStep(i int) Step    { return Step{Index: int32(i), IsIndex: true} }
func (s Step) String() string { return Path{s}.String() }

// Path is the concrete location of one value in a flattened document.
type Path []Step

// String writes the canonical form of p (see the package doc); it parses back
// with ParsePath into a pattern that matches exactly p. An empty path is "".
func (p Path) String() string {
	var b strings.Builder
	for i, s := range p {
		switch {
		case s.IsIndex:
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(int(s.Index)))
			b.WriteByte(']')
		case isBare(s.Key):
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s.Key)
		default:
			b.WriteString(`[`)
			b.WriteString(strconv.Quote(s.Key))
			b.WriteString(`]`)
		}
	}
	return b.String()
}

// Equal reports whether p and q are the same path.
func (p Path) Equal(q Path) bool {
	if len(p) != len(q) {
		return false
	}
	for i := range p {
		if p[i] != q[i] {
			return false
		}
	}
	return true
}

func isBareRune(r rune) bool {
	return r == '_' || r == '-' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

// isBare reports whether k can be written as a dotted key.
func isBare(k string) bool {
	if k == "" || !utf8.ValidString(k) {
		return false
	}
	for _, r := range k {
		if !isBareRune(r) {
			return false
		}
	}
	return true
}

type elemKind uint8

const (
	elemKey      elemKind = iota // a literal key
	elemIndex                    // a literal index
	elemAny                      // *: one step of any kind
	elemAnyIndex                 // [*]: one index step
	elemAnyDepth                 // **: zero or more steps
)

type elem struct {
	kind  elemKind
	key   string
	index int32
}

// Pattern is a parsed path, possibly with wildcards.
type Pattern struct {
	src   string
	elems []elem
}

// PathError is a syntax error in a path, at byte Offset of Path.
type PathError struct {
	Path   string
	Offset int
	Msg    string
}

func (e *PathError) Error() string {
	return fmt.Sprintf("expvar path %q: at byte %d: %s", e.Path, e.Offset, e.Msg)
}

// ParsePath parses a path or pattern in the syntax of the package doc. It
// takes time and memory linear in len(s) and has no length limit of its own, so
// that the String of any flattened path (whose keys are bounded only by the
// document's size) parses back.
func ParsePath(s string) (Pattern, error) {
	p := parser{s: s}
	if s == "" {
		return Pattern{}, p.errf(0, "empty path: expected a key, '*', '**' or '['")
	}
	for p.i < len(s) {
		first := len(p.elems) == 0
		c := s[p.i]
		switch {
		case c == '[':
			if err := p.bracket(); err != nil {
				return Pattern{}, err
			}
		case c == '.' && !first:
			p.i++
			if err := p.dotted("after '.'"); err != nil {
				return Pattern{}, err
			}
		case first:
			if err := p.dotted("at the start"); err != nil {
				return Pattern{}, err
			}
		default:
			return Pattern{}, p.errf(p.i, "expected '.' or '[' after a step, found %s", p.found())
		}
	}
	return Pattern{src: s, elems: p.elems}, nil
}

// MustParsePath is ParsePath for constants; it panics on error.
func MustParsePath(s string) Pattern {
	p, err := ParsePath(s)
	if err != nil {
		panic(err)
	}
	return p
}

type parser struct {
	s     string
	i     int
	elems []elem
}

func (p *parser) errf(off int, format string, args ...any) error {
	return &PathError{Path: p.s, Offset: off, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) found() string {
	if p.i >= len(p.s) {
		return "the end"
	}
	r, _ := utf8.DecodeRuneInString(p.s[p.i:])
	if r == utf8.RuneError {
		return fmt.Sprintf("byte %#x", p.s[p.i])
	}
	return strconv.QuoteRune(r)
}

// dotted reads a bare key, * or ** at p.i.
func (p *parser) dotted(where string) error {
	start := p.i
	if strings.HasPrefix(p.s[p.i:], "**") {
		p.i += 2
		p.elems = append(p.elems, elem{kind: elemAnyDepth})
	} else if strings.HasPrefix(p.s[p.i:], "*") {
		p.i++
		p.elems = append(p.elems, elem{kind: elemAny})
	} else {
		for p.i < len(p.s) {
			r, n := utf8.DecodeRuneInString(p.s[p.i:])
			if r == utf8.RuneError && n <= 1 || !isBareRune(r) {
				break
			}
			p.i += n
		}
		if p.i == start {
			msg := fmt.Sprintf("expected a key, '*' or '**' %s, found %s", where, p.found())
			if p.i < len(p.s) && (p.s[p.i] == '"' || p.s[p.i] == '\'' || p.s[p.i] == ' ') {
				msg += `; write keys with other characters as ["..."]`
			}
			return p.errf(p.i, "%s", msg)
		}
		p.elems = append(p.elems, elem{kind: elemKey, key: p.s[start:p.i]})
		return nil
	}
	// a wildcard must end the step
	if p.i < len(p.s) && p.s[p.i] != '.' && p.s[p.i] != '[' {
		return p.errf(p.i, "expected '.' or '[' after %q, found %s", p.s[start:p.i], p.found())
	}
	return nil
}

// bracket reads [digits], [*] or ["key"] at p.i (which is '[').
func (p *parser) bracket() error {
	open := p.i
	p.i++
	if p.i >= len(p.s) {
		return p.errf(p.i, `expected an index, '*' or a quoted key after '[', found the end`)
	}
	c := p.s[p.i]
	switch {
	case c == '*':
		p.i++
		p.elems = append(p.elems, elem{kind: elemAnyIndex})
	case c >= '0' && c <= '9':
		start := p.i
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
		}
		n, err := strconv.ParseInt(p.s[start:p.i], 10, 32)
		if err != nil {
			return p.errf(start, "index %s out of range", p.s[start:p.i])
		}
		p.elems = append(p.elems, elem{kind: elemIndex, index: int32(n)})
	case c == '"':
		start := p.i
		p.i++
		for {
			if p.i >= len(p.s) {
				return p.errf(start, "unterminated quoted key: expected a closing '\"'")
			}
			if p.s[p.i] == '\\' {
				p.i += 2
				continue
			}
			if p.s[p.i] == '"' {
				p.i++
				break
			}
			p.i++
		}
		if p.i > len(p.s) {
			return p.errf(start, "unterminated quoted key: expected a closing '\"'")
		}
		k, err := strconv.Unquote(p.s[start:p.i])
		if err != nil {
			return p.errf(start, "invalid quoted key %s: bad escape or control character", p.s[start:p.i])
		}
		p.elems = append(p.elems, elem{kind: elemKey, key: k})
	case c == '\'':
		return p.errf(p.i, `single quotes are not supported: write ["key"]`)
	case c == '-':
		return p.errf(p.i, "negative index: indexes count from 0")
	default:
		return p.errf(p.i, "expected an index, '*' or a quoted key after '[', found %s", p.found())
	}
	if p.i >= len(p.s) || p.s[p.i] != ']' {
		return p.errf(p.i, "expected ']' to close the '[' at byte %d, found %s", open, p.found())
	}
	p.i++
	return nil
}

// String writes the canonical form of the pattern; it parses back to an
// equal pattern.
func (pt Pattern) String() string {
	var b strings.Builder
	for i, e := range pt.elems {
		switch e.kind {
		case elemIndex:
			b.WriteString("[" + strconv.Itoa(int(e.index)) + "]")
		case elemAnyIndex:
			b.WriteString("[*]")
		case elemKey:
			if isBare(e.key) {
				if i > 0 {
					b.WriteByte('.')
				}
				b.WriteString(e.key)
			} else {
				b.WriteString("[" + strconv.Quote(e.key) + "]")
			}
		case elemAny, elemAnyDepth:
			if i > 0 {
				b.WriteByte('.')
			}
			if e.kind == elemAny {
				b.WriteString("*")
			} else {
				b.WriteString("**")
			}
		}
	}
	return b.String()
}

// Source is the text the pattern was parsed from.
func (pt Pattern) Source() string { return pt.src }

// HasWildcards reports whether the pattern has *, [*] or **.
func (pt Pattern) HasWildcards() bool {
	_, ok := pt.Literal()
	return !ok
}

// Literal returns the concrete path when the pattern has no wildcards.
func (pt Pattern) Literal() (Path, bool) {
	p := make(Path, 0, len(pt.elems))
	for _, e := range pt.elems {
		switch e.kind {
		case elemKey:
			p = append(p, KeyStep(e.key))
		case elemIndex:
			p = append(p, Step{Index: e.index, IsIndex: true})
		default:
			return nil, false
		}
	}
	return p, true
}

func (e elem) matchOne(s Step) bool {
	switch e.kind {
	case elemKey:
		return !s.IsIndex && s.Key == e.key
	case elemIndex:
		return s.IsIndex && s.Index == e.index
	case elemAny:
		return true
	case elemAnyIndex:
		return s.IsIndex
	}
	return false
}

// Match reports whether the concrete path p matches the pattern.
func (pt Pattern) Match(p Path) bool {
	// Glob matching with ** as the only multi-step wildcard: remember the
	// last ** and, on a mismatch, let it absorb one more step.
	pi, si := 0, 0
	star, starSi := -1, 0
	for si < len(p) {
		if pi < len(pt.elems) && pt.elems[pi].kind == elemAnyDepth {
			star, starSi = pi, si
			pi++
			continue
		}
		if pi < len(pt.elems) && pt.elems[pi].matchOne(p[si]) {
			pi++
			si++
			continue
		}
		if star < 0 {
			return false
		}
		starSi++
		pi, si = star+1, starSi
	}
	for pi < len(pt.elems) && pt.elems[pi].kind == elemAnyDepth {
		pi++
	}
	return pi == len(pt.elems)
}

// noMatchHint is the notice for a pattern that matches none of vars ("" when it matches
// one, or when there are no variables to tell from): where the pattern names an array or
// an object, the paths that reach its values; where a key of the document holds a dot,
// the quoted form that matches it.
func noMatchHint(pt Pattern, vars []Var) string {
	if len(vars) == 0 {
		return ""
	}
	first := func(q Pattern) (Path, bool) {
		for _, v := range vars {
			if q.Match(v.Path) {
				return v.Path, true
			}
		}
		return nil, false
	}
	if _, ok := first(pt); ok {
		return ""
	}
	with := func(more ...elem) Pattern {
		return Pattern{elems: append(slices.Clone(pt.elems), more...)}
	}
	src := pt.Source()
	if _, ok := first(with(elem{kind: elemAnyIndex})); ok {
		return fmt.Sprintf("expvar path %q matches nothing: it is an array; use %s[*] for every element or %s[0] for one", src, pt, pt)
	}
	if p, ok := first(with(elem{kind: elemAnyIndex}, elem{kind: elemAnyDepth})); ok {
		return fmt.Sprintf("expvar path %q matches nothing: it is an array of objects; use %s[*].** or a key of its elements, such as %s", src, pt, p)
	}
	if p, ok := first(with(elem{kind: elemAnyDepth})); ok {
		return fmt.Sprintf("expvar path %q matches nothing: it is an object, not a value; use %s.* or %s.** or one of its keys, such as %s", src, pt, pt, p)
	}
	if q, ok := quotedKeys(pt, first); ok {
		return fmt.Sprintf("expvar path %q matches nothing: a key of the document holds a dot; quote it: %s", src, q)
	}
	return fmt.Sprintf("expvar path %q matches no variable of the targets read", src)
}

// quotedKeys looks for a way to join runs of adjacent literal keys of pt with dots (as
// one quoted key) that matches a variable; patterns of more than 12 elements are not
// tried (4096 ways).
func quotedKeys(pt Pattern, first func(Pattern) (Path, bool)) (Pattern, bool) {
	n := len(pt.elems)
	if n < 2 || n > 12 {
		return Pattern{}, false
	}
	for mask := 1; mask < 1<<(n-1); mask++ { // bit i: join element i+1 to element i
		var elems []elem
		ok := true
		for i, e := range pt.elems {
			if i > 0 && mask&(1<<(i-1)) != 0 {
				last := &elems[len(elems)-1]
				if e.kind != elemKey || last.kind != elemKey {
					ok = false
					break
				}
				last.key += "." + e.key
				continue
			}
			elems = append(elems, e)
		}
		if !ok {
			continue
		}
		q := Pattern{elems: elems}
		if _, found := first(q); found {
			return q, true
		}
	}
	return Pattern{}, false
}
