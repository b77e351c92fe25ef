package health

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"

	"github.com/gopulse/health/pkg/alertmanager"
	"github.com/gopulse/health/pkg/alerts"
	"github.com/gopulse/health/pkg/goexpvar"
	"github.com/gopulse/health/pkg/prometheus"
	"github.com/gopulse/health/pkg/query"
	"github.com/gopulse/health/pkg/response"
	"github.com/gopulse/health/pkg/scope"
	"github.com/gopulse/health/pkg/upstream"
)

// classicRuntime are the runtime metrics a service with client_golang's default and
// runtime/metrics collectors exports, as the presence query sees them.
var classicRuntime = []string{"go_goroutines", "go_memstats_heap_inuse_bytes", "go_sched_pauses_total_gc_seconds_bucket"}

// fakeProm answers the presence query (instant, or label values for the time-series
// format) with present, the up query with up 1 for each instance in up (job demo), and
// every other query with nothing, or with fail when failing says so. It records every
// call; the health query calls it from several goroutines.
type fakeProm struct {
	present []string
	up      []string
	failing func(expr string) bool
	fail    error

	mu          sync.Mutex
	instant     []string
	ranged      []string
	ranges      []v1.Range
	labelMatch  []string
	alertsCalls int
}

func (p *fakeProm) answer(expr string, times []time.Time) ([]prometheus.Series, error) {
	if p.failing != nil && p.failing(expr) {
		return nil, p.fail
	}
	if strings.HasPrefix(expr, "count by (__name__)") {
		var out []prometheus.Series
		for _, m := range p.present {
			out = append(out, prometheus.Series{Labels: data.Labels{"__name__": m}, Times: times[:1], Values: []float64{1}})
		}
		return out, nil
	}
	if !strings.HasPrefix(expr, "up{") {
		return nil, nil
	}
	var out []prometheus.Series
	for _, inst := range p.up {
		out = append(out, prometheus.Series{Labels: data.Labels{"job": "demo", "instance": inst}, Times: times, Values: slices.Repeat([]float64{1}, len(times))})
	}
	return out, nil
}

func (p *fakeProm) InstantSeries(_ context.Context, expr string, at time.Time) ([]prometheus.Series, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.instant = append(p.instant, expr)
	return p.answer(expr, []time.Time{at})
}

func (p *fakeProm) RangeSeries(_ context.Context, expr string, r v1.Range) ([]prometheus.Series, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ranged = append(p.ranged, expr)
	p.ranges = append(p.ranges, r)
	var times []time.Time
	for t := r.Start; !t.After(r.End); t = t.Add(r.Step) {
		times = append(times, t)
	}
	return p.answer(expr, times)
}

func (p *fakeProm) LabelValues(_ context.Context, label string, matches []string, _ v1.Range) (prometheus.List, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.labelMatch = append(p.labelMatch, label+" "+strings.Join(matches, " "))
	if p.failing != nil && p.failing(label) {
		return prometheus.List{}, p.fail
	}
	return prometheus.List{Values: p.present}, nil
}

func (p *fakeProm) Alerts(context.Context) ([]v1.Alert, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.alertsCalls++
	if p.failing != nil && p.failing("alerts") {
		return nil, p.fail
	}
	return nil, nil
}

// fakeAM is an Alertmanager that fails.
type fakeAM struct{ err error }

func (a fakeAM) Alerts(context.Context) ([]alertmanager.Alert, error) { return nil, a.err }

// fakeExpvar is a set of expvar targets, all polled and up, over a history the test fills.
type fakeExpvar struct {
	targets []goexpvar.Target
	history *goexpvar.History
	polled  time.Time
}

func (e *fakeExpvar) Start(context.Context)                    {}
func (e *fakeExpvar) WaitFirstPoll(context.Context, ...string) {}
func (e *fakeExpvar) Latest(string) ([]goexpvar.Var, goexpvar.Status, bool) {
	return nil, goexpvar.Status{Up: true}, true
}
func (e *fakeExpvar) Targets() []goexpvar.Target { return e.targets }
func (e *fakeExpvar) History() *goexpvar.History { return e.history }
func (e *fakeExpvar) Statuses() []goexpvar.Status {
	var out []goexpvar.Status
	for _, t := range e.targets {
		out = append(out, goexpvar.Status{Target: t.Name, Instance: t.Instance, Up: true, LastPoll: e.polled, LastSuccess: e.polled})
	}
	return out
}

func healthConfig() Config {
	return Config{
		Settings: Settings{
			RequestMetric: "api_requests_total", ErrorSelector: `status=~"5.."`, LatencyMetric: "api_latency_seconds",
			GrowthWindow: 10 * time.Minute, AlertCritical: "P1", Thresholds: DefaultThresholds(),
		},
		Levels:         alerts.DefaultLevels(),
		ExpvarInterval: 10 * time.Second,
	}
}

func healthScope(t *testing.T, job, instance string) scope.Selector {
	t.Helper()
	sel, err := scope.NewSelector(job, instance, "", "")
	if err != nil {
		t.Fatal(err)
	}
	return sel
}

func frameNotices(f *data.Frame) []string {
	if f.Meta == nil {
		return nil
	}
	var out []string
	for _, n := range f.Meta.Notices {
		out = append(out, n.Severity.String()+": "+n.Text)
	}
	return out
}

// The PromQL of each signal comes from the data source's settings (request metric, error
// selector, latency metric, growth window) and the scope; instant formats ask for the
// active alerts once.
func TestRunExprs(t *testing.T) {
	req := prometheus.Request{From: t0.Add(-time.Hour), To: t0, ScrapeInterval: 15 * time.Second}
	for _, c := range []struct {
		job, instance string
		want          []string
	}{
		{"demo", "a:.*", []string{
			`up{job="demo",instance=~"a:.*"}`,
			`sum by (job, instance) (go_goroutines{job="demo",instance=~"a:.*"})`,
			`sum by (job, instance) (deriv(go_goroutines{job="demo",instance=~"a:.*"}[10m]))`,
			`sum by (job, instance) (go_memstats_heap_inuse_bytes{job="demo",instance=~"a:.*"})`,
			`sum by (job, instance, le) (rate(go_sched_pauses_total_gc_seconds_bucket{job="demo",instance=~"a:.*"}[10m]))`,
			`sum by (job, instance) (rate(api_requests_total{job="demo",instance=~"a:.*"}[1m]))`,
			`(sum by (job, instance) (rate(api_requests_total{job="demo",instance=~"a:.*",status=~"5.."}[1m])) or sum by (job, instance) (rate(api_requests_total{job="demo",instance=~"a:.*"}[1m])) * 0) / sum by (job, instance) (rate(api_requests_total{job="demo",instance=~"a:.*"}[1m]))`,
			`sum by (job, instance, le) (rate(api_latency_seconds_bucket{job="demo",instance=~"a:.*"}[1m]))`,
		}},
		{"", "", []string{
			`up`,
			`sum by (job, instance) (go_goroutines{})`,
			`sum by (job, instance) (deriv(go_goroutines[10m]))`,
			`sum by (job, instance) (go_memstats_heap_inuse_bytes{})`,
			`sum by (job, instance, le) (rate(go_sched_pauses_total_gc_seconds_bucket[10m]))`,
			`sum by (job, instance) (rate(api_requests_total[1m]))`,
			`(sum by (job, instance) (rate(api_requests_total{status=~"5.."}[1m])) or sum by (job, instance) (rate(api_requests_total[1m])) * 0) / sum by (job, instance) (rate(api_requests_total[1m]))`,
			`sum by (job, instance, le) (rate(api_latency_seconds_bucket[1m]))`,
		}},
		// client_golang's defaults and a native latency histogram: the GC pause summary,
		// the native histogram, growth only over the current process.
		{"demo", "", []string{
			`up{job="demo"}`,
			`sum by (job, instance) (go_goroutines{job="demo"})`,
			`(sum by (job, instance) (deriv(go_goroutines{job="demo"}[10m])) unless on (job, instance) (max by (job, instance) (time() - process_start_time_seconds{job="demo"}) < 600)) or ` +
				`(sum by (job, instance) (deriv(go_goroutines{job="demo"}[5m])) unless on (job, instance) (max by (job, instance) (time() - process_start_time_seconds{job="demo"}) < 300)) or ` +
				`(sum by (job, instance) (deriv(go_goroutines{job="demo"}[150s])) unless on (job, instance) (max by (job, instance) (time() - process_start_time_seconds{job="demo"}) < 150))`,
			`sum by (job, instance) (go_memstats_heap_inuse_bytes{job="demo"})`,
			`max by (job, instance, quantile) (go_gc_duration_seconds{job="demo",quantile=~"0.75|1|1.0"}) or label_replace(max by (job, instance) (go_gc_duration_seconds_count{job="demo"}), "quantile", "count", "", "")`,
			`sum by (job, instance) (rate(api_requests_total{job="demo"}[1m]))`,
			`(sum by (job, instance) (rate(api_requests_total{job="demo",status=~"5.."}[1m])) or sum by (job, instance) (rate(api_requests_total{job="demo"}[1m])) * 0) / sum by (job, instance) (rate(api_requests_total{job="demo"}[1m]))`,
			`sum by (job, instance) (rate(api_latency_seconds{job="demo"}[1m]))`,
		}},
	} {
		present := classicRuntime
		if c.instance == "" && c.job != "" {
			present = append(slices.Clone(classicRuntime), "go_gc_duration_seconds", "process_start_time_seconds", "api_latency_seconds")
		}
		prom := &fakeProm{present: present, up: []string{"a:1"}}
		sel := healthScope(t, c.job, c.instance)
		_, err := Run(context.Background(), Sources{Prometheus: prom}, healthConfig(), sel, query.Health{Job: c.job, Instance: c.instance}, req)
		if err != nil {
			t.Fatal(err)
		}
		if len(prom.instant) == 0 || !strings.HasPrefix(prom.instant[0], "count by (__name__) (") || !strings.Contains(prom.instant[0], sel.Matchers) {
			t.Errorf("scope %s: first query %q, want the presence query in the scope", sel, prom.instant)
			continue
		}
		got := slices.Sorted(slices.Values(prom.instant[1:]))
		if want := slices.Sorted(slices.Values(c.want)); !slices.Equal(got, want) {
			t.Errorf("scope %s: queries\n%s\nwant\n%s", sel, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if prom.alertsCalls != 1 || len(prom.ranged) != 0 {
			t.Errorf("scope %s: %d alerts calls and range queries %q, want one alerts call and no range query", sel, prom.alertsCalls, prom.ranged)
		}
	}
}

// A signal whose runtime metrics have no series is not asked for: an info notice says
// what it needs.
func TestRunMissingRuntimeMetrics(t *testing.T) {
	prom := &fakeProm{present: []string{"go_goroutines"}, up: []string{"a:1"}}
	fr, err := Run(context.Background(), Sources{Prometheus: prom}, healthConfig(), healthScope(t, "demo", ""), query.Health{Job: "demo"}, prometheus.Request{From: t0.Add(-time.Hour), To: t0})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range prom.instant {
		if strings.Contains(q, "heap_inuse") && !strings.HasPrefix(q, "count by") {
			t.Errorf("asked for heap in use without its series: %s", q)
		}
	}
	notices := strings.Join(frameNotices(fr[0]), "\n")
	if !strings.Contains(notices, "info: no series for Heap in use (heap_inuse)") || !strings.Contains(notices, "info: no series for GC pause p99 (gc_pause_p99)") {
		t.Errorf("notices\n%s\nwant what heap in use and GC pause p99 need", notices)
	}
}

// A failing source never gives ok: the instance is unknown, the failure is said once
// (naming every signal it hit) and the answer carries the downstream error with the
// frames. Prometheus failing altogether is the error alone.
func TestRunSourceFails(t *testing.T) {
	down := upstream.Errorf("Prometheus", http.StatusBadGateway, "connection refused")
	prom := &fakeProm{present: classicRuntime, up: []string{"a:1"}, fail: down,
		failing: func(expr string) bool { return strings.Contains(expr, "api_") && !strings.HasPrefix(expr, "count by") }}
	fr, err := Run(context.Background(), Sources{Prometheus: prom}, healthConfig(), healthScope(t, "demo", ""), query.Health{Job: "demo"}, prometheus.Request{From: t0.Add(-time.Hour), To: t0})
	if !errors.Is(err, down) {
		t.Fatalf("error %v, want Prometheus's", err)
	}
	res := response.Response(fr, err)
	if res.Status != backend.StatusBadGateway || res.ErrorSource != backend.ErrorSourceDownstream || len(res.Frames) != 1 {
		t.Fatalf("answered %d %s with %d frames, want 502 downstream with the table", res.Status, res.ErrorSource, len(res.Frames))
	}
	if row := tableRows(t, fr[0])["a:1"]; row["status"] != "unknown" {
		t.Errorf("a:1 %v, want unknown", row)
	}
	want := []string{"warning: did not answer: error ratio, latency p99, request rate: Prometheus: connection refused"}
	if got := frameNotices(fr[0]); !slices.Equal(got, want) {
		t.Errorf("notices %q, want %q", got, want)
	}

	prom = &fakeProm{fail: down, failing: func(string) bool { return true }}
	fr, err = Run(context.Background(), Sources{Prometheus: prom}, healthConfig(), healthScope(t, "demo", ""), query.Health{Job: "demo"}, prometheus.Request{From: t0.Add(-time.Hour), To: t0})
	if !errors.Is(err, down) || len(fr) != 0 {
		t.Errorf("Prometheus down: %v, %v; want its error alone", fr, err)
	}
}

// A failing Alertmanager only costs whether alerts are silenced: a notice, no error,
// and the instance keeps its verdict.
func TestRunAlertmanagerFailsIsANotice(t *testing.T) {
	prom := &fakeProm{present: classicRuntime, up: []string{"a:1"}}
	src := Sources{Prometheus: prom, Alertmanager: fakeAM{err: upstream.Errorf("Alertmanager", http.StatusBadGateway, "timed out")}}
	fr, err := Run(context.Background(), src, healthConfig(), healthScope(t, "demo", ""), query.Health{Job: "demo"}, prometheus.Request{From: t0.Add(-time.Hour), To: t0})
	if err != nil {
		t.Fatalf("error %v, want none", err)
	}
	if row := tableRows(t, fr[0])["a:1"]; row["status"] != "ok" {
		t.Errorf("a:1 %v, want ok", row)
	}
	want := []string{"warning: Alertmanager did not answer: whether alerts are silenced is not shown. Alertmanager: timed out"}
	if got := frameNotices(fr[0]); !slices.Equal(got, want) {
		t.Errorf("notices %q, want %q", got, want)
	}
}

// The time-series format asks for presence over the range (label values), runs every
// signal and the firing ALERTS series as range queries over the request's stepped range,
// and never asks for instant values or the active alerts.
func TestRunTimeSeriesUsesRanges(t *testing.T) {
	prom := &fakeProm{present: classicRuntime, up: []string{"a:1"}}
	req := prometheus.Request{From: t0.Add(-10 * time.Minute), To: t0, Interval: time.Minute, ScrapeInterval: 15 * time.Second}
	sel := healthScope(t, "demo", "")
	fr, err := Run(context.Background(), Sources{Prometheus: prom}, healthConfig(), sel, query.Health{Job: "demo", Format: query.HealthTimeSeries}, req)
	if err != nil {
		t.Fatal(err)
	}
	if len(prom.instant) != 0 || prom.alertsCalls != 0 {
		t.Errorf("instant queries %q and %d alerts calls, want none", prom.instant, prom.alertsCalls)
	}
	if len(prom.labelMatch) != 1 || !strings.HasPrefix(prom.labelMatch[0], "__name__ {__name__=~\"go_gc_duration_seconds|process_start_time_seconds|api_latency_seconds|go_goroutines|") || !strings.HasSuffix(prom.labelMatch[0], `,job="demo"}`) {
		t.Errorf("label values %q, want __name__ of the runtime metrics in the scope", prom.labelMatch)
	}
	if len(prom.ranged) != NumSignals+1 || !slices.Contains(prom.ranged, `ALERTS{alertstate="firing",job="demo"}`) || !slices.Contains(prom.ranged, `up{job="demo"}`) {
		t.Errorf("range queries %q, want the %d signals and the firing ALERTS of the scope", prom.ranged, NumSignals)
	}
	for _, r := range prom.ranges {
		if !r.Start.Equal(t0.Add(-10*time.Minute)) || !r.End.Equal(t0) || r.Step != time.Minute {
			t.Errorf("range %+v, want the request's 10 minutes by 1m", r)
		}
	}
	if len(fr) != 1 || fr[0].Meta == nil || fr[0].Meta.Type != data.FrameTypeTimeSeriesWide || fr[0].Rows() != 11 {
		t.Errorf("frames %v, want one wide time series of 11 steps", fr)
	}
}

// The expvar targets fill what Prometheus lacks; with a job in the scope, only the
// instances Prometheus knows in that job (an expvar target has no job).
func TestRunExpvarFillRespectsJob(t *testing.T) {
	ev := &fakeExpvar{
		targets: []goexpvar.Target{{Name: "api-1", Instance: "a:1"}, {Name: "api-2", Instance: "b:1"}},
		history: goexpvar.NewHistory(goexpvar.HistoryOptions{Now: func() time.Time { return t0 }}),
		polled:  t0.Add(-5 * time.Second),
	}
	for i, tg := range ev.targets {
		if err := ev.history.Append(goexpvar.SeriesKey{Target: tg.Name, Path: "goroutines"}, t0.Add(-5*time.Second), float64(40+i)); err != nil {
			t.Fatal(err)
		}
	}
	req := prometheus.Request{From: t0.Add(-time.Hour), To: t0}
	for _, c := range []struct {
		job  string
		want map[string]string // instance -> goroutines
	}{
		{"demo", map[string]string{"a:1": "40"}},
		{"", map[string]string{"a:1": "40", "b:1": "41"}},
	} {
		prom := &fakeProm{up: []string{"a:1"}} // no runtime metrics in Prometheus
		fr, err := Run(context.Background(), Sources{Prometheus: prom, Expvar: ev}, healthConfig(), healthScope(t, c.job, ""), query.Health{Job: c.job}, req)
		if err != nil {
			t.Fatal(err)
		}
		rows := tableRows(t, fr[0])
		got := map[string]string{}
		for inst, row := range rows {
			got[inst] = row["goroutines"]
		}
		if len(got) != len(c.want) || got["a:1"] != c.want["a:1"] || got["b:1"] != c.want["b:1"] {
			t.Errorf("job %q: goroutines per instance %v, want %v", c.job, got, c.want)
		}
	}
}

// Thresholds that do not hold together are the query's fault.
func TestRunBadThresholds(t *testing.T) {
	prom := &fakeProm{}
	w, c := 10.0, 5.0
	_, err := Run(context.Background(), Sources{Prometheus: prom}, healthConfig(), healthScope(t, "", ""),
		query.Health{Thresholds: map[string]query.Threshold{"goroutines": {Warning: &w, Critical: &c}}}, prometheus.Request{To: t0})
	if err == nil || response.Response(nil, err).Status != backend.StatusBadRequest {
		t.Errorf("warning above critical: %v, want a bad-input error", err)
	}
	if len(prom.instant) != 0 {
		t.Errorf("queries %q after bad thresholds", prom.instant)
	}
}
