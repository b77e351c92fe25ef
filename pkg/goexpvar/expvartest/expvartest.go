// Package expvartest holds the checks that the tests of the expvar flattener and poller
// share: the unit tests run them on a recorded /debug/vars body of the demo app
// (pkg/goexpvar/testdata), the end-to-end tests on the running demo.
package expvartest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gopulse/health/pkg/goexpvar"
)

// Find returns the var at the literal path.
func Find(vars []goexpvar.Var, path string) (goexpvar.Var, bool) {
	lit, ok := goexpvar.MustParsePath(path).Literal()
	if !ok {
		panic("expvartest.Find: not a literal " + path)
	}
	for _, v := range vars {
		if v.Path.Equal(lit) {
			return v, true
		}
	}
	return goexpvar.Var{}, false
}

// Count is the number of vars the pattern matches.
func Count(vars []goexpvar.Var, pattern string) int {
	p := goexpvar.MustParsePath(pattern)
	n := 0
	for _, v := range vars {
		if p.Match(v.Path) {
			n++
		}
	}
	return n
}

// CheckRoundTrip checks that every path's String parses to a pattern that matches exactly
// that path among vars.
func CheckRoundTrip(t testing.TB, vars []goexpvar.Var) {
	t.Helper()
	seen := make(map[string]int, len(vars))
	for _, v := range vars {
		s := v.Path.String()
		seen[s]++
		pat, err := goexpvar.ParsePath(s)
		if err != nil {
			t.Fatalf("path %q does not parse: %v", s, err)
		}
		lit, ok := pat.Literal()
		if !ok || !lit.Equal(v.Path) || !pat.Match(v.Path) {
			t.Fatalf("path %q does not round-trip: %v %v", s, lit, ok)
		}
		if pat.String() != s {
			t.Fatalf("path %q: pattern String %q", s, pat.String())
		}
	}
	// exactly: the only other paths it matches are duplicates of the same key
	for _, v := range vars[:min(len(vars), 300)] {
		if n, want := Count(vars, v.Path.String()), seen[v.Path.String()]; n != want {
			t.Fatalf("%s matches %d vars, want %d", v.Path, n, want)
		}
	}
}

// CheckDemoDocument checks the flattened /debug/vars of the demo app (demo/cmd/app): the
// runtime's and the demo's own variables, with their kinds, as the expvar queries read them.
func CheckDemoDocument(t testing.TB, vars []goexpvar.Var) {
	t.Helper()
	num := func(path string) float64 {
		t.Helper()
		v, ok := Find(vars, path)
		if !ok {
			t.Fatalf("%s missing", path)
		}
		if v.Kind != goexpvar.KindNumber {
			t.Fatalf("%s is a %s", path, v.Kind)
		}
		return v.Num
	}
	if g := num("goroutines"); g <= 0 {
		t.Errorf("goroutines = %v", g)
	}
	if h := num("memstats.HeapAlloc"); h <= 0 {
		t.Errorf("memstats.HeapAlloc = %v", h)
	}
	num("memstats.PauseNs[0]")
	num("memstats.PauseNs[255]")
	if s := num("memstats.BySize[1].Size"); s <= 0 {
		t.Errorf("memstats.BySize[1].Size = %v", s)
	}
	if v, ok := Find(vars, "memstats.EnableGC"); !ok || v.Kind != goexpvar.KindBool || v.Num != 1 {
		t.Errorf("memstats.EnableGC = %+v %v, want bool 1", v, ok)
	}
	if v, ok := Find(vars, "cmdline[0]"); !ok || v.Kind != goexpvar.KindString || v.Str == "" {
		t.Errorf("cmdline[0] = %+v %v, want a string", v, ok)
	}
	if Count(vars, "business.**") == 0 {
		t.Error("no business.** vars")
	}
	if n := Count(vars, "memstats.PauseNs[*]"); n != 256 {
		t.Errorf("memstats.PauseNs[*] matches %d, want 256", n)
	}
	if n := Count(vars, "**.Mallocs"); n < 60 { // memstats.Mallocs + BySize[*].Mallocs
		t.Errorf("**.Mallocs matches %d", n)
	}
	CheckRoundTrip(t, vars)
}

// CheckPoller polls the demo's document at docURL (its instance given) and a portal that
// answers HTML: the poller keeps the demo's variables and status, fills the history at
// every sweep, and marks the portal down without touching the demo.
func CheckPoller(t testing.TB, docURL, instance string) {
	t.Helper()
	html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<html>login</html>"))
	}))
	defer html.Close()
	hc := &http.Client{}
	defer hc.CloseIdleConnections()
	p := goexpvar.NewPoller([]goexpvar.Target{
		{Name: "demo", URL: docURL, Instance: instance},
		{Name: "portal", URL: html.URL + "/debug/vars"},
	}, hc, goexpvar.PollerOptions{Interval: 50 * time.Millisecond})
	p.Start(context.Background())
	defer p.Stop()
	p.WaitFirstPoll(context.Background())

	vars, st, ok := p.Latest("demo")
	if !ok || !st.Up || st.Instance != instance || len(vars) < 100 {
		t.Fatalf("demo: %d vars, status %+v", len(vars), st)
	}
	goroutines := goexpvar.MustParsePath("goroutines")
	found := false
	for _, v := range vars {
		if goroutines.Match(v.Path) && v.Num > 0 {
			found = true
		}
	}
	if !found {
		t.Errorf("no goroutines var in the demo's document")
	}
	if _, st, _ := p.Latest("portal"); st.Up || !strings.Contains(st.LastError, "not JSON") {
		t.Errorf("portal status %+v, want down with a not-JSON error", st)
	}
	// Later sweeps append to the history.
	key := goexpvar.SeriesKey{Target: "demo", Path: "memstats.NumGC"}
	Eventually(t, 5*time.Second, "three samples in the history", func() bool {
		times, _, _ := p.History().Range(key, time.Now().Add(-time.Minute), time.Now())
		return len(times) >= 3
	})
	if got := len(p.Statuses()); got != 2 {
		t.Errorf("%d statuses", got)
	}
}

// Eventually waits until cond holds, checking every 10 ms, and fails the test when it
// still does not after timeout.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(timeout); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not true after %v: %s", timeout, what)
		}
	}
}
