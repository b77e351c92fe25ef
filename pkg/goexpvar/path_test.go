package goexpvar

import (
	"strings"
	"testing"
)

func k(s string) Step { return KeyStep(s) }
func ix(i int) Step   { return IndexStep(i) }

func TestParsePathGood(t *testing.T) {
	for _, tc := range []struct {
		in, canon string
		literal   Path // nil when the pattern has wildcards
	}{
		{"memstats.HeapAlloc", "memstats.HeapAlloc", Path{k("memstats"), k("HeapAlloc")}},
		{"goroutines", "goroutines", Path{k("goroutines")}},
		{"memstats.PauseNs[0]", "memstats.PauseNs[0]", Path{k("memstats"), k("PauseNs"), ix(0)}},
		{"memstats.BySize[3].Mallocs", "memstats.BySize[3].Mallocs", Path{k("memstats"), k("BySize"), ix(3), k("Mallocs")}},
		{`requests["api.example.com:443"]`, `requests["api.example.com:443"]`, Path{k("requests"), k("api.example.com:443")}},
		{`latency["p99.9"]`, `latency["p99.9"]`, Path{k("latency"), k("p99.9")}},
		{`["key with spaces"].count`, `["key with spaces"].count`, Path{k("key with spaces"), k("count")}},
		{`a["plain"]`, `a.plain`, Path{k("a"), k("plain")}},
		{`["a"]["b"][2]`, `a.b[2]`, Path{k("a"), k("b"), ix(2)}},
		{`paths["/api/orders"]`, `paths["/api/orders"]`, Path{k("paths"), k("/api/orders")}},
		{`m[""]`, `m[""]`, Path{k("m"), k("")}},
		{`m["*"]`, `m["*"]`, Path{k("m"), k("*")}},
		{`m["say \"hi\"\n"]`, `m["say \"hi\"\n"]`, Path{k("m"), k("say \"hi\"\n")}},
		{`m["caf\u00e9"]`, `m.café`, Path{k("m"), k("café")}},
		{"status.200", "status.200", Path{k("status"), k("200")}},
		{"a-b_c.d", "a-b_c.d", Path{k("a-b_c"), k("d")}},
		{"cmdline[007]", "cmdline[7]", Path{k("cmdline"), ix(7)}},
		{"m[0][1]", "m[0][1]", Path{k("m"), ix(0), ix(1)}},
		{"m[2147483647]", "m[2147483647]", Path{k("m"), ix(2147483647)}},
		{"requests.*", "requests.*", nil},
		{"**.Mallocs", "**.Mallocs", nil},
		{"business.**", "business.**", nil},
		{"memstats.PauseNs[*]", "memstats.PauseNs[*]", nil},
		{"*", "*", nil},
		{"**", "**", nil},
		{"*[0]", "*[0]", nil},
		{"a.*.b.**.c", "a.*.b.**.c", nil},
	} {
		p, err := ParsePath(tc.in)
		if err != nil {
			t.Errorf("ParsePath(%q): %v", tc.in, err)
			continue
		}
		if got := p.String(); got != tc.canon {
			t.Errorf("ParsePath(%q).String() = %q, want %q", tc.in, got, tc.canon)
		}
		lit, ok := p.Literal()
		if ok != (tc.literal != nil) || !lit.Equal(tc.literal) {
			t.Errorf("ParsePath(%q).Literal() = %v %v, want %v", tc.in, lit, ok, tc.literal)
		}
		if ok && lit.String() != tc.canon {
			t.Errorf("Literal of %q: String() = %q, want %q", tc.in, lit.String(), tc.canon)
		}
		if ok && !p.Match(lit) {
			t.Errorf("%q does not match its own literal", tc.in)
		}
	}
}

func TestParsePathBad(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // substring of the error, which also names the offset
	}{
		{"", "at byte 0: empty path"},
		{".a", `at byte 0: expected a key, '*' or '**' at the start, found '.'`},
		{"a.", `at byte 2: expected a key, '*' or '**' after '.', found the end`},
		{"memstats..HeapAlloc", `at byte 9: expected a key, '*' or '**' after '.', found '.'`},
		{"a b", `at byte 1: expected '.' or '[' after a step, found ' '`},
		{"a[", `at byte 2: expected an index, '*' or a quoted key after '[', found the end`},
		{"a[0", `at byte 3: expected ']' to close the '[' at byte 1, found the end`},
		{"a[x]", `at byte 2: expected an index, '*' or a quoted key after '[', found 'x'`},
		{"a[-1]", "at byte 2: negative index"},
		{"a['k']", `at byte 2: single quotes are not supported: write ["key"]`},
		{`a["k]`, `at byte 2: unterminated quoted key`},
		{`a["k"`, `at byte 5: expected ']'`},
		{`a["\q"]`, `at byte 2: invalid quoted key`},
		{`a.["k"]`, `at byte 2: expected a key, '*' or '**' after '.', found '['`},
		{`a."k"`, `write keys with other characters as ["..."]`},
		{"a.***", `at byte 4: expected '.' or '[' after "**", found '*'`},
		{"a.*b", `at byte 3: expected '.' or '[' after "*", found 'b'`},
		{"a[99999999999999999999]", "at byte 2: index 99999999999999999999 out of range"},
		{"a[2147483648]", "at byte 2: index 2147483648 out of range"},
		{"a]", `at byte 1: expected '.' or '[' after a step, found ']'`},
		{"a:b", `found ':'`},
		{"a/b", `found '/'`},
		{"'key with spaces'", `at byte 0: expected a key`},
	} {
		_, err := ParsePath(tc.in)
		if err == nil {
			t.Errorf("ParsePath(%q): no error, want %q", tc.in, tc.want)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParsePath(%q) = %v, want it to contain %q", tc.in, err, tc.want)
		}
	}
}

func TestMatch(t *testing.T) {
	heap := Path{k("memstats"), k("HeapAlloc")}
	pause0 := Path{k("memstats"), k("PauseNs"), ix(0)}
	bySize := Path{k("memstats"), k("BySize"), ix(3), k("Mallocs")}
	topMallocs := Path{k("Mallocs")}
	host := Path{k("requests"), k("api.example.com:443")}
	hostCount := Path{k("requests"), k("api.example.com:443"), k("count")}
	spaces := Path{k("key with spaces")}
	slash := Path{k("paths"), k("/api/orders"), k("p99.9")}
	arr := Path{k("requests"), ix(0)}
	for _, tc := range []struct {
		pat string
		yes []Path
		no  []Path
	}{
		{"memstats.HeapAlloc", []Path{heap}, []Path{pause0, {k("memstats")}, {k("memstats"), k("HeapAlloc"), k("x")}, {k("memstats.HeapAlloc")}}},
		{`["memstats.HeapAlloc"]`, []Path{{k("memstats.HeapAlloc")}}, []Path{heap}},
		{"memstats.PauseNs[0]", []Path{pause0}, []Path{{k("memstats"), k("PauseNs"), k("0")}, {k("memstats"), k("PauseNs"), ix(1)}}},
		{"memstats.PauseNs.0", []Path{{k("memstats"), k("PauseNs"), k("0")}}, []Path{pause0}},
		{"memstats.PauseNs[*]", []Path{pause0}, []Path{{k("memstats"), k("PauseNs"), k("0")}, {k("memstats"), k("PauseNs")}}},
		{"memstats.PauseNs.*", []Path{pause0, {k("memstats"), k("PauseNs"), k("x")}}, []Path{{k("memstats"), k("PauseNs")}, {k("memstats"), k("PauseNs"), ix(0), ix(1)}}},
		{"memstats.*", []Path{heap}, []Path{pause0, bySize}},
		{"requests.*", []Path{host, arr}, []Path{hostCount, {k("requests")}}},
		{`requests["api.example.com:443"]`, []Path{host}, []Path{hostCount, {k("requests"), k("api"), k("example"), k("com:443")}}},
		{`requests["api.example.com:443"].*`, []Path{hostCount}, []Path{host}},
		{"**.Mallocs", []Path{bySize, topMallocs}, []Path{heap, {k("Mallocs"), k("x")}}},
		{"memstats.**", []Path{heap, pause0, bySize}, []Path{topMallocs, host}},
		{"**", []Path{heap, pause0, bySize, topMallocs, host, spaces, slash}, nil},
		{"**.*", []Path{heap, topMallocs}, nil},
		{"*.*", []Path{heap, host}, []Path{topMallocs, pause0}},
		{"memstats.**.Mallocs", []Path{bySize}, []Path{topMallocs}},
		{"**[3].Mallocs", []Path{bySize}, []Path{topMallocs, {k("memstats"), k("BySize"), ix(2), k("Mallocs")}}},
		{"**.BySize.**.Mallocs", []Path{bySize}, nil},
		{"**.**.Mallocs", []Path{bySize, topMallocs}, []Path{heap}},
		{"**.a.**.a", []Path{{k("a"), k("a")}, {k("x"), k("a"), k("a"), k("a")}, {k("a"), k("b"), k("a")}}, []Path{{k("a")}, {k("a"), k("a"), k("b")}}},
		{`["key with spaces"]`, []Path{spaces}, []Path{{k("key"), k("with"), k("spaces")}}},
		{`paths["/api/orders"]["p99.9"]`, []Path{slash}, nil},
		{`paths.*["p99.9"]`, []Path{slash}, []Path{{k("paths"), k("/api/orders"), k("p99")}}},
	} {
		p := MustParsePath(tc.pat)
		for _, y := range tc.yes {
			if !p.Match(y) {
				t.Errorf("%s should match %s", tc.pat, y)
			}
		}
		for _, n := range tc.no {
			if p.Match(n) {
				t.Errorf("%s should not match %s", tc.pat, n)
			}
		}
	}
}

func TestPathStringRoundTrip(t *testing.T) {
	for _, p := range []Path{
		{k("memstats"), k("HeapAlloc")},
		{k("a.b"), k("c d"), k("e/f"), k("g:h"), ix(12)},
		{k(""), k("*"), k("**"), k("["), k("]"), k(`"`), k("'"), k("\\")},
		{k("\xff\xfe"), k("\x00"), k("tab\there"), k("éµ"), k("日本")},
		{ix(0), k("x")},
		{k(strings.Repeat("\xff\x9c", 5000))}, // found by FuzzFlatten: a key longer than a path length limit there was
	} {
		s := p.String()
		pat, err := ParsePath(s)
		if err != nil {
			t.Fatalf("%#v: String %q does not parse: %v", p, s, err)
		}
		lit, ok := pat.Literal()
		if !ok || !lit.Equal(p) {
			t.Errorf("%q parses to %v, want %#v", s, lit, p)
		}
		if !pat.Match(p) {
			t.Errorf("%q does not match its path", s)
		}
	}
}

func TestPathStringExamples(t *testing.T) {
	for _, tc := range []struct {
		p    Path
		want string
	}{
		{Path{k("memstats"), k("BySize"), ix(1), k("Size")}, "memstats.BySize[1].Size"},
		{Path{k("requests"), k("api.example.com:443")}, `requests["api.example.com:443"]`},
		{Path{k("key with spaces")}, `["key with spaces"]`},
		{Path{k("cmdline"), ix(0)}, "cmdline[0]"},
		{nil, ""},
	} {
		if got := tc.p.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
	}
}
