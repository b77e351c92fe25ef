package goexpvar_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"

	. "github.com/gopulse/health/pkg/goexpvar"
	"github.com/gopulse/health/pkg/goexpvar/expvartest"
)

// realisticDoc builds an expvar document shaped like a real Go service's
// /debug/vars (what the expvar package writes: cmdline, memstats, then the
// service's own vars), padded with app maps to about size bytes.
func realisticDoc(tb testing.TB, size int) []byte {
	tb.Helper()
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	for i := range ms.PauseNs { // a long-running process has a full ring
		ms.PauseNs[i] = uint64(50_000 + i*37%9000)
		ms.PauseEnd[i] = uint64(1764080000000000000 + int64(i)*1_000_000_007)
	}
	memstats, err := json.Marshal(ms)
	if err != nil {
		tb.Fatal(err)
	}
	var b bytes.Buffer
	b.WriteString(`{"cmdline": ["/usr/local/bin/orders-svc","-listen",":8080","-config","/etc/orders/config.yaml"],`)
	b.WriteString("\n\"goroutines\": 137,\n\"memstats\": ")
	b.Write(memstats)
	b.WriteString(",\n\"build\": {\"version\": \"v1.42.3\", \"commit\": \"4f1c2a9\", \"dirty\": false, \"go\": \"go1.26.7\"}")
	b.WriteString(",\n\"business\": {\"logins\": {\"ok\": 18234, \"failed\": 312}, \"orders\": {\"created\": 9123, \"paid\": 8870, \"cancelled\": 121}, \"payment_amount\": 1234567.89}")
	b.WriteString(",\n\"feature_flags\": {\"new-checkout\": true, \"dark mode\": false}")
	hosts := []string{"api.example.com:443", "10.0.3.17:8080", "payments.internal:9090", "[::1]:6379", "auth.example.com:443"}
	paths := []string{"/api/orders", "/api/pay", "/api/login", "/api/browse", "/api/events", "/healthz"}
	for i := 0; b.Len() < size-300; i++ {
		fmt.Fprintf(&b, ",\n\"requests_%d\": {", i)
		for j, h := range hosts {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%q: {\"count\": %d, \"errors\": %d, \"latency\": {\"p50\": %.6f, \"p99.9\": %.6f}}", h, 100000+i*7919+j, i+j, 0.0123+float64(j)/1000, 0.4567+float64(i)/1000)
		}
		b.WriteString("}")
		fmt.Fprintf(&b, ",\n\"http_%d\": {", i)
		for j, p := range paths {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%q: %d", p, 5000+i*31+j)
		}
		b.WriteString("}")
	}
	b.WriteString("\n}\n")
	if !json.Valid(b.Bytes()) {
		tb.Fatal("realisticDoc: invalid JSON")
	}
	return b.Bytes()
}

// The demo app's /debug/vars, recorded (testdata/demo-debug-vars.json); the end-to-end
// tests check the running demo's the same way.
func TestFlattenDemoDocument(t *testing.T) {
	f, err := os.Open("testdata/demo-debug-vars.json")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	vars, err := Flatten(f, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	expvartest.CheckDemoDocument(t, vars)
}

func TestFlattenKindsAndOrder(t *testing.T) {
	doc := `{"cmdline":["app","-x"],"n":1.5,"big":1e400,"t":true,"f":false,"s":"hi","z":null,
	"m":{"a.b":{"c d":1},"e/f":[[1,2],[]],"g:h":{}},"empty":[],"neg":-3e-2,"m":2}`
	vars, err := FlattenBytes([]byte(doc), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range vars {
		var val string
		switch v.Kind {
		case KindString:
			val = v.Str
		default:
			val = fmt.Sprint(v.Num)
		}
		got = append(got, fmt.Sprintf("%s=%s:%s", v.Path, v.Kind, val))
	}
	want := []string{
		"cmdline[0]=string:app", "cmdline[1]=string:-x", "n=number:1.5", "big=number:+Inf",
		"t=bool:1", "f=bool:0", "s=string:hi", "z=null:0",
		`m["a.b"]["c d"]=number:1`, `m["e/f"][0][0]=number:1`, `m["e/f"][0][1]=number:2`,
		"neg=number:-0.03", "m=number:2",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	expvartest.CheckRoundTrip(t, vars)
}

func TestFlattenRealisticDoc(t *testing.T) {
	doc := realisticDoc(t, 64<<10)
	vars, err := FlattenBytes(doc, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if n := expvartest.Count(vars, "memstats.PauseEnd[*]"); n != 256 {
		t.Errorf("PauseEnd: %d", n)
	}
	if v, ok := expvartest.Find(vars, `requests_0["api.example.com:443"].latency["p99.9"]`); !ok || v.Num != 0.4567 {
		t.Errorf("requests_0 host p99.9 = %+v %v", v, ok)
	}
	if v, ok := expvartest.Find(vars, `feature_flags["dark mode"]`); !ok || v.Kind != KindBool || v.Num != 0 {
		t.Errorf(`feature_flags["dark mode"] = %+v %v`, v, ok)
	}
	if n := expvartest.Count(vars, `requests_0.*.count`); n != 5 {
		t.Errorf("requests_0.*.count matches %d, want 5", n)
	}
	if _, err := ParsePath("requests_*"); err == nil {
		t.Error("requests_*: * is a whole step, not a glob inside a key")
	}
	expvartest.CheckRoundTrip(t, vars)
}

func TestFlattenErrors(t *testing.T) {
	for _, tc := range []struct {
		name, doc, want string
	}{
		{"html", "<!DOCTYPE html><html><body>502 Bad Gateway</body></html>", "not JSON: starts with '<'"},
		{"html after space", "\n\n  <html>", "not JSON: starts with '<'"},
		{"empty", "", "empty document"},
		{"spaces", "  \n", "empty document"},
		{"array", `[1,2]`, "the top level is an array, not an object"},
		{"number", `42`, "the top level is a number"},
		{"text", `hello`, "not JSON: starts with 'h'"},
		{"truncated", `{"memstats": {"HeapAlloc": 12`, "truncated at byte"},
		{"truncated in string", `{"cmdline": ["/usr/bin/ap`, "truncated at byte"},
		{"truncated after key", `{"a":`, "truncated at byte 5"},
		{"truncated open", `{`, "truncated at byte 1"},
		{"missing comma", `{"a":1 "b":2}`, "invalid JSON at byte"},
		{"bad value", `{"a":tru}`, "invalid JSON"},
		{"unquoted key", `{a:1}`, "invalid JSON"},
		{"trailing", `{"a":1} {"b":2}`, "unexpected data after the document"},
		{"trailing garbage", `{"a":1}x`, "unexpected data after the document"},
		{"mismatched", `{"a":[1}`, "invalid JSON"},
	} {
		_, err := FlattenBytes([]byte(tc.doc), Limits{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
		var se *SyntaxError
		if err != nil && !errors.As(err, &se) {
			t.Errorf("%s: %T is not a *SyntaxError", tc.name, err)
		}
	}
	// the place is named
	_, err := FlattenBytes([]byte(`{"memstats": {"BySize": [{"Size": 0}, {"Size": 8, `), Limits{})
	if err == nil || !strings.Contains(err.Error(), "inside memstats.BySize[1]") {
		t.Errorf("err = %v, want the place", err)
	}
	// a trailing newline (as expvar writes) is fine
	if _, err := FlattenBytes([]byte("{\"a\":1}\n\n"), Limits{}); err != nil {
		t.Error(err)
	}
}

// repeat is an endless reader of a prefix then s again and again.
type repeat struct {
	prefix string
	s      string
	off    int
	n      int64 // bytes served
}

func (r *repeat) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if r.prefix != "" {
			c := copy(p[n:], r.prefix)
			r.prefix = r.prefix[c:]
			n += c
			continue
		}
		c := copy(p[n:], r.s[r.off:])
		r.off = (r.off + c) % len(r.s)
		n += c
	}
	r.n += int64(n)
	return n, nil
}

// allocated runs f and returns the bytes it allocated.
func allocated(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

func TestFlattenLimits(t *testing.T) {
	deep := strings.Repeat(`{"a":`, 40) + "1" + strings.Repeat("}", 40)
	deepBySize := `{"memstats":{"BySize":[{},{},{},{"x":[[[[1]]]]}]}}`
	manyElems := `{"memstats":{"PauseNs":[` + strings.Repeat("0,", 300) + "0]}}"
	manyKeys := func(n int) string {
		var b strings.Builder
		b.WriteString(`{"m":{`)
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `"k%d":%d`, i, i)
		}
		b.WriteString("}}")
		return b.String()
	}
	for _, tc := range []struct {
		name string
		doc  string
		lim  Limits
		want string
	}{
		{"default depth", deep, Limits{}, "depth limit 32 exceeded at a.a.a."},
		{"depth at BySize", deepBySize, Limits{MaxDepth: 6}, "depth limit 6 exceeded at memstats.BySize[3].x[0][0]"},
		{"array elements", manyElems, Limits{MaxElements: 256}, "element limit 256 exceeded in memstats.PauseNs"},
		{"map elements", manyKeys(300), Limits{MaxElements: 100}, "element limit 100 exceeded in m"},
		{"top-level elements", `{"a":1,"b":2,"c":3}`, Limits{MaxElements: 2}, "element limit 2 exceeded in the top level"},
		{"vars", manyKeys(300), Limits{MaxVars: 100}, "var limit 100 exceeded at m.k100"},
		{"bytes", manyKeys(300), Limits{MaxBytes: 1000}, "size limit 1000 bytes exceeded"},
		{"bytes before start", strings.Repeat(" ", 100) + "{}", Limits{MaxBytes: 10}, "size limit 10 bytes exceeded"},
	} {
		_, err := FlattenBytes([]byte(tc.doc), tc.lim)
		var le *LimitError
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.As(err, &le) {
			t.Errorf("%s: err = %v, want a *LimitError with %q", tc.name, err, tc.want)
		}
	}
	// MaxDepth is capped, so a huge one cannot overflow the stack
	_, err := FlattenBytes([]byte(`{"a":`+strings.Repeat("[", 20_000)), Limits{MaxDepth: 1 << 30})
	if err == nil || !strings.Contains(err.Error(), "depth limit 10000 exceeded") {
		t.Errorf("20,000 levels with MaxDepth 1<<30: %v", err)
	}
	// at the limit is fine
	if _, err := FlattenBytes([]byte(manyElems), Limits{MaxElements: 301}); err != nil {
		t.Error(err)
	}
	if vars, err := FlattenBytes([]byte(manyKeys(300)), Limits{MaxVars: 300}); err != nil || len(vars) != 300 {
		t.Error(len(vars), err)
	}
	exact := []byte(`{"a":1}`)
	if _, err := FlattenBytes(exact, Limits{MaxBytes: int64(len(exact))}); err != nil {
		t.Error(err)
	}
	if _, err := FlattenBytes(exact, Limits{MaxBytes: int64(len(exact) - 1)}); err == nil {
		t.Error("one byte over MaxBytes: no error")
	}
}

// Endless streams stop at MaxBytes; large documents stop at their limit; in
// both the bytes read and allocated stay bounded.
func TestFlattenMemoryBounded(t *testing.T) {
	const mb = 1 << 20
	for _, tc := range []struct {
		name string
		r    *repeat
	}{
		{"endless array", &repeat{prefix: `{"memstats":{"PauseNs":[`, s: "123456,"}},
		{"endless map", &repeat{prefix: `{"m":{`, s: `"k":1,`}},
		{"endless nesting", &repeat{prefix: `{"x":`, s: `[{"a":`}},
		{"endless string", &repeat{prefix: `{"cmdline":["`, s: "abcdefgh"}},
	} {
		var err error
		n := allocated(func() { _, err = Flatten(tc.r, Limits{MaxBytes: mb}) })
		if err == nil || !strings.Contains(err.Error(), "size limit 1048576 bytes exceeded") {
			t.Errorf("%s: err = %v, want the size limit", tc.name, err)
		}
		if tc.r.n > mb+64<<10 || n > 5*mb { // io.ReadAll's growth, more under -race
			t.Errorf("%s: read %d bytes, allocated %d", tc.name, tc.r.n, n)
		}
		t.Logf("%s: read %d bytes, allocated %d bytes: %v", tc.name, tc.r.n, n, err)
	}
	// what a document that stops at a limit may cost: a budget per var kept
	// (Var, its path steps, slice growth), whatever the document's size
	perVar := func(n int) uint64 { return uint64(n)*512 + 256<<10 }
	big := func(prefix, s string, size int) []byte {
		r := &repeat{prefix: prefix, s: s}
		b := make([]byte, size)
		_, _ = r.Read(b)
		return b
	}
	for _, tc := range []struct {
		name     string
		doc      []byte
		lim      Limits
		want     string
		maxAlloc uint64
	}{
		{"8 MiB array", big(`{"memstats":{"PauseNs":[`, "123456,", 8*mb), Limits{}, "element limit 10000 exceeded in memstats.PauseNs", perVar(10_000)},
		{"8 MiB map", big(`{"m":{`, `"k":1,`, 8*mb), Limits{}, "element limit 10000 exceeded in m", perVar(10_000)},
		{"8 MiB nesting", big(`{"x":`, `[{"a":`, 8*mb), Limits{}, "depth limit 32 exceeded at x[0].a[0].a", perVar(0)},
		{"8 MiB of vars", big(`{"a":{`, `"b":[1,2,3,4,5,6,7,8,9],`, 8*mb), Limits{MaxElements: 1 << 30, MaxVars: 50_000}, "var limit 50000 exceeded at a.b[5]", perVar(50_000)},
	} {
		var err error
		n := allocated(func() { _, err = FlattenBytes(tc.doc, tc.lim) })
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
		if n > tc.maxAlloc {
			t.Errorf("%s: allocated %d bytes, want at most %d", tc.name, n, tc.maxAlloc)
		}
		t.Logf("%s: allocated %d bytes: %v", tc.name, n, err)
	}
}

func TestFlattenAllocs(t *testing.T) {
	doc := realisticDoc(t, 64<<10)
	vars, err := FlattenBytes(doc, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(5, func() { _, _ = FlattenBytes(doc, Limits{}) })
	// a few per var (tokens) and no more: the paths share chunks
	if perVar := allocs / float64(len(vars)); perVar > 1 {
		t.Errorf("%.0f allocs for %d vars (%.1f per var)", allocs, len(vars), perVar)
	}
}

func BenchmarkFlatten64KiB(b *testing.B) {
	doc := realisticDoc(b, 64<<10)
	if os.Getenv("EXPVAR_DUMP") != "" {
		_ = os.WriteFile(os.Getenv("EXPVAR_DUMP"), doc, 0o644)
	}
	vars, err := FlattenBytes(doc, Limits{})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := FlattenBytes(doc, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(vars)), "vars")
}
