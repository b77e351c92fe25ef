package goexpvar_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"testing"
	"unicode/utf8"

	. "github.com/gopulse/health/pkg/goexpvar"
)

func FuzzParsePath(f *testing.F) {
	for _, s := range []string{
		"memstats.HeapAlloc", "memstats.PauseNs[0]", "memstats.BySize[3].Mallocs",
		`requests["api.example.com:443"]`, `latency["p99.9"]`, `["key with spaces"].count`,
		"requests.*", "**.Mallocs", "business.**", "memstats.PauseNs[*]", `m["\u00e9\xff\n"]`,
		`a["\"]`, "a[007]", "a..b", "a.", "[", `["`, "*.**[*]", "café.日本", "a['k']",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePath(s)
		if err != nil {
			var pe *PathError
			if !errors.As(err, &pe) || pe.Offset < 0 || pe.Offset > len(s) {
				t.Fatalf("%q: error %v with a bad offset", s, err)
			}
			return
		}
		s1 := p.String()
		p2, err := ParsePath(s1)
		if err != nil {
			t.Fatalf("%q: String %q does not parse: %v", s, s1, err)
		}
		if s2 := p2.String(); s2 != s1 {
			t.Fatalf("%q: String not stable: %q then %q", s, s1, s2)
		}
		lit, ok := p.Literal()
		if ok != !p2.HasWildcards() {
			t.Fatalf("%q: Literal %v but the reparsed pattern disagrees", s, ok)
		}
		if ok {
			if lit.String() != s1 {
				t.Fatalf("%q: literal path String %q, pattern String %q", s, lit.String(), s1)
			}
			if !p.Match(lit) || !p2.Match(lit) {
				t.Fatalf("%q does not match its literal", s)
			}
			if len(lit) > 0 && p.Match(lit[:len(lit)-1]) {
				t.Fatalf("%q matches a prefix of its literal", s)
			}
		}
	})
}

func FuzzFlatten(f *testing.F) {
	f.Add(realisticDoc(f, 4<<10))
	for _, s := range []string{
		`{"cmdline":["app","-x"],"n":1.5,"big":1e400,"t":true,"f":false,"s":"hi","z":null}`,
		`{"m":{"a.b":{"c d":1},"e/f":[[1,2],[]],"g:h":{}},"empty":[],"neg":-3e-2,"m":2}`,
		`{"memstats":{"BySize":[{"Size":0,"Mallocs":1},{"Size":8,"Mallocs":2}]}}`,
		`{"esc":"\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00\ud800x","\u002a":1,"":2}`,
		`{"a":` + `[[[[[[[[[[1]]]]]]]]]]}`, `<html>`, `{"a":1`, `[1]`, `{"a":1}x`, "{\"\xff\":1}",
	} {
		f.Add([]byte(s))
	}
	lim := Limits{MaxDepth: 8, MaxElements: 64, MaxVars: 300, MaxBytes: 8 << 10}
	f.Fuzz(func(t *testing.T, doc []byte) {
		vars, err := FlattenBytes(doc, lim)
		valid := json.Valid(doc)
		if err != nil {
			var se *SyntaxError
			var le *LimitError
			switch {
			case errors.As(err, &le):
			case errors.As(err, &se):
				if valid && bytes.TrimLeft(doc, " \t\r\n")[0] == '{' {
					t.Fatalf("valid JSON object, syntax error: %v", err)
				}
				if se.Offset < 0 || se.Offset > int64(len(doc)) {
					t.Fatalf("offset %d outside the document: %v", se.Offset, err)
				}
			default:
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		if !valid {
			t.Fatalf("invalid JSON accepted: %d vars", len(vars))
		}
		if len(vars) > lim.MaxVars {
			t.Fatalf("%d vars, limit %d", len(vars), lim.MaxVars)
		}
		for _, v := range vars {
			if len(v.Path) > lim.MaxDepth {
				t.Fatalf("%s deeper than %d", v.Path, lim.MaxDepth)
			}
			for _, st := range v.Path {
				if st.IsIndex && int(st.Index) >= lim.MaxElements {
					t.Fatalf("%s: index past %d elements", v.Path, lim.MaxElements)
				}
			}
			s := v.Path.String()
			p, err := ParsePath(s)
			if err != nil {
				t.Fatalf("%q does not parse: %v", s, err)
			}
			lit, ok := p.Literal()
			if !ok || !lit.Equal(v.Path) || !p.Match(v.Path) {
				t.Fatalf("%q does not round-trip", s)
			}
		}
		// the same leaves as encoding/json's tokens say (their strings replace
		// invalid UTF-8, so compare only valid documents)
		if utf8.Valid(doc) {
			want, err := tokenFlatten(doc)
			if err != nil {
				t.Fatalf("encoding/json: %v", err)
			}
			if len(want) != len(vars) {
				t.Fatalf("%d vars, encoding/json says %d", len(vars), len(want))
			}
			for i := range vars {
				g, w := vars[i], want[i]
				if !g.Path.Equal(w.Path) || g.Kind != w.Kind || g.Str != w.Str ||
					(g.Num != w.Num && !(g.Num != g.Num && w.Num != w.Num)) {
					t.Fatalf("var %d: %s %s %v %q, encoding/json: %s %s %v %q", i, g.Path, g.Kind, g.Num, g.Str, w.Path, w.Kind, w.Num, w.Str)
				}
			}
		}
	})
}

// tokenFlatten is a reference flattener on encoding/json's Decoder.Token,
// without limits.
func tokenFlatten(doc []byte) ([]Var, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var vars []Var
	var walk func(path Path, tok json.Token) error
	walk = func(path Path, tok json.Token) error {
		switch t := tok.(type) {
		case json.Delim:
			for i := 0; dec.More(); i++ {
				var step Step
				if t == '[' {
					step = IndexStep(i)
				} else {
					k, err := dec.Token()
					if err != nil {
						return err
					}
					step = KeyStep(k.(string))
				}
				v, err := dec.Token()
				if err != nil {
					return err
				}
				if err := walk(append(path[:len(path):len(path)], step), v); err != nil {
					return err
				}
			}
			_, err := dec.Token() // the closing delimiter
			return err
		case json.Number:
			n, err := strconv.ParseFloat(string(t), 64)
			if err != nil && !errors.Is(err, strconv.ErrRange) {
				return err
			}
			vars = append(vars, Var{Path: path, Kind: KindNumber, Num: n})
		case bool:
			v := Var{Path: path, Kind: KindBool}
			if t {
				v.Num = 1
			}
			vars = append(vars, v)
		case string:
			vars = append(vars, Var{Path: path, Kind: KindString, Str: t})
		case nil:
			vars = append(vars, Var{Path: path, Kind: KindNull})
		}
		return nil
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if err := walk(nil, tok); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the document")
	}
	return vars, nil
}
