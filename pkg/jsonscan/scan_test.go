package jsonscan

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// walk builds the value at s.I as encoding/json does (numbers as json.Number), through
// the Scanner's API only.
func walk(s *Scanner) (any, error) {
	s.I = SkipWS(s.B, s.I)
	if s.I >= len(s.B) {
		return nil, s.ErrAt(s.I, "a value")
	}
	switch c := s.B[s.I]; {
	case c == '{':
		m := map[string]any{}
		err := s.Object(func(key []byte, _ int) error {
			k := string(key)
			v, err := walk(s)
			m[k] = v
			return err
		})
		return m, err
	case c == '[':
		a := []any{}
		err := s.Array("an array", func() error {
			v, err := walk(s)
			a = append(a, v)
			return err
		})
		return a, err
	case c == '"':
		t, err := s.Text()
		return string(t), err
	case c == 't':
		return true, s.Literal("true")
	case c == 'f':
		return false, s.Literal("false")
	case c == 'n':
		return nil, s.Literal("null")
	case c == '-' || c >= '0' && c <= '9':
		n, err := s.Number()
		return json.Number(n), err
	}
	return nil, s.ErrAt(s.I, "a value")
}

// parse walks a whole document: one value and white space.
func parse(doc string, strict bool) (any, error) {
	s := &Scanner{B: []byte(doc), Strict: strict}
	v, err := walk(s)
	if err != nil {
		return nil, err
	}
	if i := SkipWS(s.B, s.I); i < len(s.B) {
		return nil, s.ErrAt(i, "the end")
	}
	return v, nil
}

func reference(doc string) (any, error) {
	d := json.NewDecoder(strings.NewReader(doc))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := d.Token(); err == nil {
		return nil, errors.New("more after the value")
	}
	return v, nil
}

func TestTextDecodesEscapes(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`"plain"`, "plain"},
		{`  "after space"`, "after space"},
		{`""`, ""},
		{`"\" \\ \/ \b \f \n \r \t"`, "\" \\ / \b \f \n \r \t"},
		{`"\u00e9t\u00C9"`, "\u00e9t\u00c9"},
		{`"\ud83d\ude00 grin"`, "\U0001F600 grin"},
		{`"caf` + "\u00e9" + `"`, "caf\u00e9"},
	} {
		for _, strict := range []bool{false, true} {
			s := &Scanner{B: []byte(tc.in), Strict: strict}
			got, err := s.Text()
			if err != nil || string(got) != tc.want || s.I != len(tc.in) {
				t.Errorf("Text(%s) strict=%v = %q, %v, at %d; want %q at %d", tc.in, strict, got, err, s.I, tc.want, len(tc.in))
			}
		}
	}
}

// Lenient strings are encoding/json's: a lone surrogate becomes U+FFFD, and the escape
// after it is still read. Strict ones refuse it, and invalid UTF-8, where it begins.
func TestTextSurrogatesAndUTF8(t *testing.T) {
	for _, tc := range []struct {
		in, lenient string
		strictAt    int
		strictMsg   string
	}{
		{`"\udc00"`, "\uFFFD", 1, "a lone UTF-16 surrogate in a string"},
		{`"a\ud800x"`, "a\uFFFDx", 2, "a lone UTF-16 surrogate in a string"},
		{`"\ud800\u0041"`, "\uFFFDA", 1, "a lone UTF-16 surrogate in a string"},
		{`"\ud800\ud800\udc00"`, "\uFFFD\U00010000", 1, "a lone UTF-16 surrogate in a string"},
		{"\"ok \xff\"", "ok \xff", 1, "a string is not valid UTF-8"},
	} {
		got, err := (&Scanner{B: []byte(tc.in)}).Text()
		if err != nil || string(got) != tc.lenient {
			t.Errorf("lenient %s = %q, %v; want %q", tc.in, got, err, tc.lenient)
		}
		if ref, err := reference(tc.in); utf8.ValidString(tc.in) && (err != nil || ref != tc.lenient) {
			t.Errorf("%s: encoding/json says %q, %v", tc.in, ref, err)
		}
		_, err = (&Scanner{B: []byte(tc.in), Strict: true}).Text()
		var e *Error
		if !errors.As(err, &e) || e.Msg != tc.strictMsg || e.Offset != tc.strictAt {
			t.Errorf("strict %s: %v, want %q at byte %d", tc.in, err, tc.strictMsg, tc.strictAt)
		}
	}
}

// Every error says what was expected at which byte, or that the document was cut.
func TestErrorsSayWhereAndWhat(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{`{"a":1 "b":2}`, `invalid JSON at byte 7: expected ',' or '}' in an object, found '"'`},
		{`{a:1}`, `invalid JSON at byte 1: expected a quoted key, found 'a'`},
		{`{"a" 1}`, `invalid JSON at byte 5: expected ':' after a key, found '1'`},
		{`[1,]`, `invalid JSON at byte 3: expected a value, found ']'`},
		{`[1 2]`, `invalid JSON at byte 3: expected ',' or ']' in an array, found '2'`},
		{`[tru]`, `invalid JSON at byte 4: expected "true", found ']'`},
		{`[nul`, `truncated JSON at byte 4 (expected "null")`},
		{`[-]`, `invalid JSON at byte 2: expected a digit, found ']'`},
		{`[1.]`, `invalid JSON at byte 3: expected a digit after '.', found ']'`},
		{`[1e+]`, `invalid JSON at byte 4: expected a digit in the exponent, found ']'`},
		{`["a` + "\x01" + `"]`, `invalid JSON at byte 3: expected a string character (control characters must be escaped), found '\x01'`},
		{`["\q"]`, `invalid JSON at byte 3: expected an escape (\" \\ \/ \b \f \n \r \t \uXXXX), found 'q'`},
		{`["\u12x4"]`, `invalid JSON at byte 6: expected four hex digits after \u, found 'x'`},
		{`["abc`, `truncated JSON at byte 5 (expected '"' ending a string)`},
		{`{"a":`, `truncated JSON at byte 5 (expected a value)`},
		{"[\xff]", `invalid JSON at byte 1: expected a value, found byte 0xff`},
		{``, `truncated JSON at byte 0 (expected a value)`},
	} {
		for _, how := range []string{"walk", "skip"} {
			var err error
			if how == "walk" {
				_, err = parse(tc.doc, false)
			} else {
				err = (&Scanner{B: []byte(tc.doc)}).Skip()
			}
			var e *Error
			if err == nil || err.Error() != tc.want || !errors.As(err, &e) {
				t.Errorf("%s %q: %v, want %s", how, tc.doc, err, tc.want)
			}
		}
	}
}

func TestSkip(t *testing.T) {
	doc := ` {"a":[1,-2.5e-3,true,false,null,"x\"y",{},[]],"b":{"c":{"d":"\u00e9"}}} ,`
	s := &Scanner{B: []byte(doc)}
	if err := s.Skip(); err != nil || s.B[s.I] != ' ' || s.I != len(doc)-2 {
		t.Fatalf("Skip: %v, at %d of %d", err, s.I, len(doc))
	}
	deep := strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth)
	if err := (&Scanner{B: []byte(deep)}).Skip(); err != nil {
		t.Errorf("%d levels: %v", MaxDepth, err)
	}
	err := (&Scanner{B: []byte("[" + deep + "]")}).Skip()
	var e *Error
	if !errors.As(err, &e) || e.Msg != "nested more than 10000 deep" || e.Offset != MaxDepth {
		t.Errorf("%d levels: %v", MaxDepth+1, err)
	}
}

func TestObjectGivesKeysAndWhereTheyBegin(t *testing.T) {
	s := &Scanner{B: []byte(`{ "a\n": 1, "b" :{"c":2}}`)}
	var keys []string
	var at []int
	err := s.Object(func(key []byte, i int) error {
		keys, at = append(keys, string(key)), append(at, i)
		return s.Skip()
	})
	if err != nil || strings.Join(keys, "|") != "a\n|b" || at[0] != 2 || at[1] != 12 || s.I != len(s.B) {
		t.Errorf("keys %q at %v, %v, end %d", keys, at, err, s.I)
	}
	stop := errors.New("stop")
	if err := (&Scanner{B: []byte(`{"a":1}`)}).Object(func([]byte, int) error { return stop }); err != stop {
		t.Errorf("member's error: %v", err)
	}
}

func TestNumberReturnsItsBytes(t *testing.T) {
	for _, n := range []string{"0", "-0", "12", "-1.5", "1e400", "6.02E+23", "1e-7"} {
		s := &Scanner{B: []byte(n + ",")}
		got, err := s.Number()
		if err != nil || string(got) != n || s.I != len(n) {
			t.Errorf("Number(%s) = %q, %v, at %d", n, got, err, s.I)
		}
	}
	// a leading zero ends the number
	s := &Scanner{B: []byte("012")}
	if got, err := s.Number(); err != nil || string(got) != "0" {
		t.Errorf("012: %q, %v", got, err)
	}
}

// Reading valid JSON allocates nothing once the unescape buffer has grown.
func TestNoAllocations(t *testing.T) {
	doc := []byte(`{"metric":{"__name__":"up","job":"a\"b"},"values":[[1,"1"],[2,"2"]],"x":[true,null,{"y":-1.5e3}]}`)
	s := &Scanner{B: doc, Strict: true}
	var visit func() error
	visit = func() error {
		s.I = SkipWS(s.B, s.I)
		switch s.B[s.I] {
		case '{':
			return s.Object(func([]byte, int) error { return visit() })
		case '[':
			return s.Array("an array", visit)
		case '"':
			_, err := s.Text()
			return err
		}
		return s.Skip()
	}
	for _, read := range []func() error{visit, s.Skip} {
		if n := testing.AllocsPerRun(100, func() {
			s.I = 0
			if err := read(); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("%v allocations", n)
		}
	}
}

func TestParseAgreesWithEncodingJSON(t *testing.T) {
	for _, doc := range []string{
		`{"a":[1,2,{"b":null}],"c":"\u00e9\ud83d\ude00","a":false}`,
		` [ ] `, `"x"`, `-0.5e10`, `{"":{"":[]}}`,
	} {
		got, err := parse(doc, false)
		want, werr := reference(doc)
		if err != nil || werr != nil {
			t.Fatalf("%s: %v, encoding/json: %v", doc, err, werr)
		}
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		if !bytes.Equal(g, w) {
			t.Errorf("%s: %s, encoding/json: %s", doc, g, w)
		}
	}
}
