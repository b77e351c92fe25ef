package e2e

import (
	"context"
	"fmt"
	"maps"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopulse/health/e2e/harness"
	"github.com/gopulse/health/pkg/goruntime"
	"github.com/gopulse/health/pkg/scope"
)

// runtimePlausible bounds each signal's value for the demo under light load (2 cores, Linux).
var runtimePlausible = map[string][2]float64{
	"goroutines":         {1, 1e4},
	"threads":            {1, 1e3},
	"heap_alloc":         {1 << 20, 1 << 30},
	"heap_inuse":         {1 << 20, 1 << 30},
	"heap_idle":          {0, 1 << 30},
	"heap_released":      {0, 1 << 30},
	"heap_sys":           {1 << 20, 1 << 30},
	"heap_objects":       {1e3, 1e8},
	"stack_inuse":        {32 << 10, 1 << 30},
	"runtime_sys":        {1 << 20, 1 << 32},
	"gc_goal":            {1 << 20, 1 << 30},
	"gc_pause_mean":      {1e-7, 1},
	"gc_pause_p99":       {1e-7, 1},
	"gc_cycles_rate":     {1e-3, 1e3},
	"alloc_rate":         {1e3, 1 << 30},
	"alloc_objects_rate": {1, 1e8},
	"cpu":                {1e-4, 2},
	"rss":                {1 << 20, 1 << 32},
	"open_fds":           {3, 1e4},
	"fd_ratio":           {1e-6, 1 - 1e-6},
	"uptime":             {1, 3600},
	"restarts":           {0, 0},
	"sched_latency_p99":  {0, 1},
	"gomaxprocs":         {1, 1024},
	"gogc":               {100, 100},
	"memory_limit":       {512 << 20, 512 << 20},
}

// TestRuntimeCatalogue runs every candidate of every signal against a real Prometheus
// scraping two demo instances under load: one with GOMEMLIMIT set, one without. With
// -record, the answer to the presence query is written to pkg/goruntime/testdata for the
// unit tests.
func TestRuntimeCatalogue(t *testing.T) {
	plain := harness.StartDemo(t)
	t.Setenv("GOMEMLIMIT", "512MiB") // for the second demo (and the servers after it)
	limited := harness.StartDemo(t)
	for _, d := range []*harness.Demo{plain, limited} {
		harness.StartLoadgen(t, d.URL, 10)
	}
	prom := harness.StartPrometheus(t, harness.PrometheusOptions{DemoTargets: []string{plain.Addr, limited.Addr}, NoProvisionedRules: true})
	harness.WaitForQuery(t, prom.URL, `count(up{job="demo"} == 1) == 2`, harness.ScrapeTimeout)

	sel, err := scope.NewSelector("demo", "", "", "")
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	for _, s := range goruntime.Catalogue() {
		all = append(all, s.Metrics()...)
	}
	presence := sel.PresenceQuery(all)
	present := map[string]bool{}
	for _, smp := range promVector(t, prom.URL, presence) {
		present[smp.Metric["__name__"]] = true
	}
	if *record {
		code, body, err := harness.HTTPGet(context.Background(), prom.URL+"/api/v1/query?"+url.Values{"query": {presence}}.Encode())
		if err != nil || code != 200 {
			t.Fatalf("presence query: HTTP %d %v", code, err)
		}
		writeRecording(t, []byte(presence+"\n"), "pkg", "goruntime", "testdata", "presence.promql")
		recordBody(t, body, "pkg", "goruntime", "testdata", "presence.json")
	}
	for _, s := range goruntime.Catalogue() {
		// The demo exports the classic and the runtime/metrics series: the first
		// candidate wins.
		if expr, err := s.Expr(sel, func(m string) bool { return present[m] }); err != nil || expr != fmt.Sprintf(s.Candidates[0].Expr, sel.Matchers, "job, instance") {
			t.Errorf("%s: %s, %v; want the first candidate", s.ID, expr, err)
		}
	}

	// Every candidate of every signal, forced by what it says is present, answers one
	// plausible value per demo instance. Rates need a few GC cycles in the window.
	harness.Eventually(t, 60*time.Second, time.Second, "every candidate answers", func() error {
		var errs []string
		for _, s := range goruntime.Catalogue() {
			for _, c := range s.Candidates {
				expr, err := s.Expr(sel, func(m string) bool { return slices.Contains(c.Metrics, m) })
				if err != nil {
					t.Fatalf("%s: %v", s.ID, err)
				}
				if err := checkRuntimeAnswer(t, s, promVector(t, prom.URL, strings.ReplaceAll(expr, "$__rate_interval", "20s")), limited.Addr); err != nil {
					errs = append(errs, fmt.Sprintf("%s: %s: %v", s.ID, expr, err))
				}
			}
		}
		if len(errs) > 0 {
			return fmt.Errorf("%d answers are not right yet:\n%s", len(errs), strings.Join(errs, "\n"))
		}
		return nil
	})

	// An instance regex narrows the scope to one target.
	one, err := scope.NewSelector("demo", regexp.QuoteMeta(limited.Addr), "", "")
	if err != nil {
		t.Fatal(err)
	}
	g, _ := goruntime.Lookup("goroutines")
	expr, _ := g.Expr(one, func(string) bool { return true })
	if got := promVector(t, prom.URL, expr); len(got) != 1 || got[0].Metric["instance"] != limited.Addr {
		t.Errorf("%s: %v, want only %s", expr, got, limited.Addr)
	}

	// Every target: the demos and Prometheus itself.
	every, _ := scope.NewSelector("", "", "", "")
	expr, _ = g.Expr(every, func(string) bool { return true })
	if got := promVector(t, prom.URL, expr); len(got) != 3 {
		t.Errorf("%s: %v, want the two demos and Prometheus", expr, got)
	}

	// A scope without series: the presence query is empty and Expr says what is missing.
	none, _ := scope.NewSelector("no-such-job", "", "", "")
	if got := promVector(t, prom.URL, none.PresenceQuery(g.Metrics())); len(got) != 0 {
		t.Errorf("presence in an empty scope: %v", got)
	}
	_, err = g.Expr(none, func(string) bool { return false })
	if want := `no series for Goroutines (goroutines) in {job="no-such-job"}: needs go_goroutines, or go_sched_goroutines_goroutines`; err == nil || err.Error() != want {
		t.Errorf("empty scope: %v, want %s", err, want)
	}
}

// checkRuntimeAnswer checks one series per demo target (only the limited one for the memory
// limit), labelled with job and instance only, each value within the plausible bounds.
func checkRuntimeAnswer(t *testing.T, s goruntime.Signal, got []harness.PromSample, limitedAddr string) error {
	t.Helper()
	want := 2
	if s.ID == "memory_limit" {
		want = 1 // unset on the other one: no value
	}
	if len(got) != want {
		return fmt.Errorf("%d series, want %d: %v", len(got), want, got)
	}
	bounds, ok := runtimePlausible[s.ID]
	if !ok {
		t.Fatalf("%s: no plausible bounds", s.ID)
	}
	for _, smp := range got {
		if !slices.Equal(slices.Sorted(maps.Keys(smp.Metric)), []string{"instance", "job"}) || smp.Metric["job"] != "demo" {
			return fmt.Errorf("labels %v, want job and instance only", smp.Metric)
		}
		if s.ID == "memory_limit" && smp.Metric["instance"] != limitedAddr {
			return fmt.Errorf("a memory limit for %s, which has none", smp.Metric["instance"])
		}
		str, _ := smp.Value[1].(string)
		v, err := strconv.ParseFloat(str, 64)
		if err != nil || math.IsNaN(v) || v < bounds[0] || v > bounds[1] {
			return fmt.Errorf("%s = %s %s, want within %v", smp.Metric["instance"], str, s.Unit, bounds)
		}
	}
	return nil
}

func promVector(t *testing.T, url, expr string) []harness.PromSample {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got, err := harness.PromQuery(ctx, url, expr)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return got
}
