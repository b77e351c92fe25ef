package goruntime

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
	"go.uber.org/goleak"

	"github.com/gopulse/health/pkg/scope"
)

var promql = parser.NewParser(parser.Options{})

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// wantIDs is the catalogue's contract with queries, dashboards and the health join.
var wantIDs = []string{
	"goroutines", "threads",
	"heap_alloc", "heap_inuse", "heap_idle", "heap_released", "heap_sys", "heap_objects", "stack_inuse", "runtime_sys",
	"gc_goal", "gc_pause_mean", "gc_pause_p99", "gc_cycles_rate", "alloc_rate", "alloc_objects_rate",
	"cpu", "rss", "open_fds", "fd_ratio", "uptime", "restarts",
	"sched_latency_p99",
	"gomaxprocs", "gogc", "memory_limit",
}

// expand replaces the Grafana macro as the query handler does.
func expand(expr string) string { return strings.ReplaceAll(expr, "$__rate_interval", "1m") }

func TestCatalogueShape(t *testing.T) {
	var ids []string
	areas := []string{AreaGoroutines, AreaMemory, AreaGC, AreaProcess, AreaScheduler, AreaSettings}
	kinds := []string{KindGauge, KindRate, KindRatio, KindMean, KindQuantile, KindChanges}
	units := []string{"short", "bytes", "s", "Bps", "cps", "percentunit", "percent", CoresUnit}
	counter := regexp.MustCompile(`_(total|count|sum|bucket)$`)
	for _, s := range Catalogue() {
		ids = append(ids, s.ID)
		if s.Title == "" || s.Description == "" || len(s.Candidates) == 0 {
			t.Errorf("%s: title, description and candidates are required", s.ID)
		}
		if !slices.Contains(areas, s.Area) || !slices.Contains(kinds, s.Kind) || !slices.Contains(units, s.Unit) {
			t.Errorf("%s: area %q, kind %q, unit %q", s.ID, s.Area, s.Kind, s.Unit)
		}
		if (s.Kind == KindQuantile) != (s.Quantile > 0 && s.Quantile < 1) {
			t.Errorf("%s: kind %s with quantile %v", s.ID, s.Kind, s.Quantile)
		}
		if (s.ExpvarPath == "") != (s.ExpvarScale == 0) || (s.ExpvarRate && s.ExpvarPath == "") {
			t.Errorf("%s: expvar path %q, scale %v, rate %v", s.ID, s.ExpvarPath, s.ExpvarScale, s.ExpvarRate)
		}
		for _, c := range s.Candidates {
			checkCandidate(t, s, c, counter)
		}
	}
	if !slices.Equal(ids, wantIDs) {
		t.Errorf("ids = %v\nwant %v", ids, wantIDs)
	}
}

// checkCandidate parses a candidate as PromQL and checks the rules of the catalogue:
// one series per target, windows only from $__rate_interval, rate() only on counters,
// every named metric in the expression.
func checkCandidate(t *testing.T, s Signal, c Candidate, counter *regexp.Regexp) {
	t.Helper()
	sel, err := scope.NewSelector(`de"mo`, `127\.0\.0\.1:.*`, "service", "pod")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := s.Expr(sel, func(m string) bool { return slices.Contains(c.Metrics, m) })
	if err != nil {
		t.Errorf("%s: %v", s.ID, err)
		return
	}
	if strings.Contains(raw, "%!") || strings.Contains(raw, "job") || strings.Contains(raw, "instance") {
		t.Errorf("%s: template not filled with the selector: %s", s.ID, raw)
	}
	all, _ := scope.NewSelector("", "", "", "")
	if every, _ := s.Expr(all, func(m string) bool { return slices.Contains(c.Metrics, m) }); !strings.Contains(every, "{}") {
		t.Errorf("%s: every target: %s", s.ID, every)
	} else if _, err := promql.ParseExpr(expand(every)); err != nil {
		t.Errorf("%s: every target: %s does not parse: %v", s.ID, every, err)
	}
	if strings.Count(raw, "[") != strings.Count(raw, "[$__rate_interval]") {
		t.Errorf("%s: a window that is not $__rate_interval: %s", s.ID, raw)
	}
	expr, err := promql.ParseExpr(expand(raw))
	if err != nil {
		t.Errorf("%s: %s does not parse: %v", s.ID, raw, err)
		return
	}
	if expr.Type() != parser.ValueTypeVector {
		t.Errorf("%s: %s is a %s, want an instant vector", s.ID, raw, expr.Type())
	}
	var named []string
	parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
		switch n := n.(type) {
		case *parser.VectorSelector:
			named = append(named, n.Name)
			if !slices.ContainsFunc(n.LabelMatchers, func(m *labels.Matcher) bool { return m.Name == "service" && m.Value == `de"mo` }) {
				t.Errorf("%s: %s lacks the scope", s.ID, n)
			}
		case *parser.AggregateExpr:
			if n.Op != parser.SUM && n.Op != parser.MAX || n.Without ||
				!slices.Contains(n.Grouping, "service") || !slices.Contains(n.Grouping, "pod") {
				t.Errorf("%s: aggregation %s must keep the target labels", s.ID, n)
			}
		case *parser.Call:
			if n.Func.Name == "rate" {
				m := n.Args[0].(*parser.MatrixSelector).VectorSelector.(*parser.VectorSelector).Name
				if !counter.MatchString(m) {
					t.Errorf("%s: rate() of %s, which is not a counter", s.ID, m)
				}
			}
		}
		return nil
	})
	if !slices.Equal(named, c.Metrics) {
		t.Errorf("%s: %s selects %v, the candidate declares %v", s.ID, raw, named, c.Metrics)
	}
}

func TestCatalogueJSON(t *testing.T) {
	b, err := json.Marshal(Catalogue()[12])
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"gc_pause_p99","title":"GC pause p99","area":"GC","unit":"s","kind":"quantile",` +
		`"description":"` + Catalogue()[12].Description + `","quantile":0.99,"expvarPath":"memstats.PauseNs","expvarScale":1e-9}`
	if string(b) != want {
		t.Errorf("JSON\n%s\nwant\n%s", b, want)
	}
}

func TestLookup(t *testing.T) {
	s, err := Lookup("heap_alloc")
	if err != nil || s.Unit != "bytes" || s.ExpvarPath != "memstats.HeapAlloc" {
		t.Fatalf("Lookup(heap_alloc) = %+v, %v", s, err)
	}
	for in, want := range map[string]string{
		"":                  "no runtime signal chosen: valid signals are goroutines, threads, heap_alloc,",
		"heap_alloc_bytes":  `unknown runtime signal "heap_alloc_bytes" (did you mean "heap_alloc"?)`,
		"gorutines":         `(did you mean "goroutines"?)`,
		"GC_PAUSE_P99":      `(did you mean "gc_pause_p99"?)`,
		"something else":    `unknown runtime signal "something else": valid signals are goroutines,`,
		"sched_latency_p50": `(did you mean "sched_latency_p99"?)`,
	} {
		_, err := Lookup(in)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.HasSuffix(err.Error(), "memory_limit") {
			t.Errorf("Lookup(%q) error = %v, want it to contain %q and list every id", in, err, want)
		}
	}
}

func TestPresenceQuery(t *testing.T) {
	sel, _ := scope.NewSelector("demo", "", "", "")
	s, _ := Lookup("heap_inuse")
	q := sel.PresenceQuery(s.Metrics())
	want := `count by (__name__) ({__name__=~"go_memstats_heap_inuse_bytes|go_memory_classes_heap_objects_bytes|go_memory_classes_heap_unused_bytes",job="demo"})`
	if q != want {
		t.Errorf("PresenceQuery = %s\nwant %s", q, want)
	}
	all, _ := scope.NewSelector("", "", "", "")
	for _, q := range []string{q, all.PresenceQuery(s.Metrics())} {
		if _, err := promql.ParseExpr(q); err != nil {
			t.Errorf("%s: %v", q, err)
		}
	}
}

func TestExprFallback(t *testing.T) {
	sel, _ := scope.NewSelector("demo", "", "", "")
	has := func(ms ...string) func(string) bool { return func(m string) bool { return slices.Contains(ms, m) } }
	heap, _ := Lookup("heap_inuse")
	for _, c := range []struct {
		present func(string) bool
		want    string
	}{
		{has("go_memstats_heap_inuse_bytes", "go_memory_classes_heap_objects_bytes", "go_memory_classes_heap_unused_bytes"),
			`sum by (job, instance) (go_memstats_heap_inuse_bytes{job="demo"})`},
		{has("go_memory_classes_heap_objects_bytes", "go_memory_classes_heap_unused_bytes"),
			`sum by (job, instance) (go_memory_classes_heap_objects_bytes{job="demo"}) + sum by (job, instance) (go_memory_classes_heap_unused_bytes{job="demo"})`},
	} {
		if got, err := heap.Expr(sel, c.present); err != nil || got != c.want {
			t.Errorf("heap_inuse: %s, %v; want %s", got, err, c.want)
		}
	}
	// One of the two runtime/metrics series is not enough.
	_, err := heap.Expr(sel, has("go_memory_classes_heap_objects_bytes"))
	want := `no series for Heap in use (heap_inuse) in {job="demo"}: needs go_memstats_heap_inuse_bytes, or go_memory_classes_heap_objects_bytes and go_memory_classes_heap_unused_bytes`
	if err == nil || err.Error() != want {
		t.Errorf("heap_inuse without series: %v\nwant %s", err, want)
	}

	threads, _ := Lookup("threads")
	if got, _ := threads.Expr(sel, has("go_threads", "go_sched_threads_total_threads")); !strings.Contains(got, "go_sched_threads_total_threads") {
		t.Errorf("threads prefers live threads when exported: %s", got)
	}
	if got, _ := threads.Expr(sel, has("go_threads")); !strings.Contains(got, "go_threads") {
		t.Errorf("threads falls back to go_threads: %s", got)
	}

	// The default collector alone: no pause histogram, and the error says how to get one.
	p99, _ := Lookup("gc_pause_p99")
	classic := has("go_gc_duration_seconds_sum", "go_gc_duration_seconds_count", "go_goroutines")
	all, _ := scope.NewSelector("", "", "", "")
	_, err = p99.Expr(all, classic)
	if err == nil || !strings.Contains(err.Error(), "in every target: needs go_sched_pauses_total_gc_seconds_bucket, or go_gc_pauses_seconds_bucket; enable the runtime/metrics series") {
		t.Errorf("gc_pause_p99 without histograms: %v", err)
	}
	mean, _ := Lookup("gc_pause_mean")
	if got, err := mean.Expr(sel, classic); err != nil || got != `sum by (job, instance) (rate(go_gc_duration_seconds_sum{job="demo"}[$__rate_interval])) / sum by (job, instance) (rate(go_gc_duration_seconds_count{job="demo"}[$__rate_interval]))` {
		t.Errorf("gc_pause_mean: %s, %v", got, err)
	}
	if got, _ := p99.Expr(sel, has("go_gc_pauses_seconds_bucket")); got != `histogram_quantile(0.99, sum by (job, instance, le) (rate(go_gc_pauses_seconds_bucket{job="demo"}[$__rate_interval])))` {
		t.Errorf("gc_pause_p99 from the older histogram name: %s", got)
	}
}

// The answer of a real Prometheus 2.42 scraping the demo to the presence query of the
// whole catalogue, recorded in testdata/ by e2e's TestRuntimeCatalogue with -record: the
// demo (client_golang's default and runtime/metrics collectors, process collector)
// exports every metric the catalogue names, and each signal picks its first candidate.
func TestCatalogueOnRecordedPresence(t *testing.T) {
	sel, err := scope.NewSelector("demo", "", "", "")
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	for _, s := range Catalogue() {
		all = append(all, s.Metrics()...)
	}
	recordedQuery, err := os.ReadFile(filepath.Join("testdata", "presence.promql"))
	if err != nil {
		t.Fatal(err)
	}
	if got := sel.PresenceQuery(all); got != strings.TrimSpace(string(recordedQuery)) {
		t.Fatalf("the catalogue's presence query is\n%s\nthe recorded answer is to\n%s\nre-record it (CONTRIBUTING.md)", got, recordedQuery)
	}
	b, err := os.ReadFile(filepath.Join("testdata", "presence.json"))
	if err != nil {
		t.Fatal(err)
	}
	var answer struct {
		Status string `json:"status"`
		Data   struct {
			ResultType string `json:"resultType"`
			Result     []struct {
				Metric map[string]string `json:"metric"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(b, &answer); err != nil || answer.Status != "success" || answer.Data.ResultType != "vector" {
		t.Fatalf("testdata/presence.json: %s %s, %v", answer.Status, answer.Data.ResultType, err)
	}
	present := map[string]bool{}
	for _, r := range answer.Data.Result {
		present[r.Metric["__name__"]] = true
	}
	for _, m := range all {
		if !present[m] {
			t.Errorf("the demo does not export %s", m)
		}
	}
	for _, s := range Catalogue() {
		if expr, err := s.Expr(sel, func(m string) bool { return present[m] }); err != nil || expr != fmt.Sprintf(s.Candidates[0].Expr, sel.Matchers, "job, instance") {
			t.Errorf("%s: %s, %v; want the first candidate", s.ID, expr, err)
		}
	}
}
