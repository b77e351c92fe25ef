package goruntime

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/gopulse/health/pkg/goexpvar"
	"github.com/gopulse/health/pkg/prometheus"
	"github.com/gopulse/health/pkg/query"
	"github.com/gopulse/health/pkg/response"
	"github.com/gopulse/health/pkg/scope"
	"github.com/gopulse/health/pkg/upstream"
)

// fakeProm answers the presence query with the metrics in present (one series each,
// labelled __name__) and every range query with one frame named after its expression.
// It records the expressions and queries it receives.
type fakeProm struct {
	present    []string
	instantErr error

	instant []string
	ranged  []prometheus.Query
}

func (p *fakeProm) InstantSeries(_ context.Context, expr string, _ time.Time) ([]prometheus.Series, error) {
	p.instant = append(p.instant, expr)
	if p.instantErr != nil {
		return nil, p.instantErr
	}
	var out []prometheus.Series
	for _, m := range p.present {
		out = append(out, prometheus.Series{Labels: data.Labels{"__name__": m}, Values: []float64{1}})
	}
	return out, nil
}

func (p *fakeProm) RangeFrames(_ context.Context, _ prometheus.Request, _ time.Duration, qs ...prometheus.Query) (data.Frames, error) {
	p.ranged = append(p.ranged, qs...)
	var out data.Frames
	for _, q := range qs {
		out = append(out, data.NewFrame(q.Expr,
			data.NewField(data.TimeSeriesTimeFieldName, nil, []time.Time{time.Unix(0, 0)}),
			data.NewField(data.TimeSeriesValueFieldName, data.Labels{"instance": "a:1"}, []float64{1}),
		))
	}
	return out, nil
}

// fakeExpvar is a set of expvar targets over a history the test fills.
type fakeExpvar struct {
	targets []goexpvar.Target
	vars    map[string][]goexpvar.Var
	history *goexpvar.History
	started int
}

func (e *fakeExpvar) Start(context.Context)                    { e.started++ }
func (e *fakeExpvar) WaitFirstPoll(context.Context, ...string) {}
func (e *fakeExpvar) Latest(target string) ([]goexpvar.Var, goexpvar.Status, bool) {
	return e.vars[target], goexpvar.Status{Up: true}, true
}
func (e *fakeExpvar) Targets() []goexpvar.Target { return e.targets }
func (e *fakeExpvar) History() *goexpvar.History { return e.history }
func (e *fakeExpvar) add(t *testing.T, target, path string, at time.Time, v float64) {
	t.Helper()
	if err := e.history.Append(goexpvar.SeriesKey{Target: target, Path: path}, at, v); err != nil {
		t.Fatal(err)
	}
}

// newFakeExpvar has two targets, api-1 on 10.0.0.1:8080 and api-2 on 10.0.0.2:8080.
func newFakeExpvar() *fakeExpvar {
	return &fakeExpvar{
		targets: []goexpvar.Target{{Name: "api-1", Instance: "10.0.0.1:8080"}, {Name: "api-2", Instance: "10.0.0.2:8080"}},
		history: goexpvar.NewHistory(goexpvar.HistoryOptions{}),
	}
}

func runtimeSelector(t *testing.T, job, instance string) scope.Selector {
	t.Helper()
	sel, err := scope.NewSelector(job, instance, "", "")
	if err != nil {
		t.Fatal(err)
	}
	return sel
}

// badInput says whether err is answered as the query's fault (400).
func badInput(err error) bool {
	return response.Response(nil, err).Status == backend.StatusBadRequest
}

// The presence query decides the expression: the first candidate whose metrics all
// exist, the runtime/metrics fallback when only it exists; the frames carry the unit.
func TestRunPicksCandidateByPresence(t *testing.T) {
	now := time.Now()
	req := prometheus.Request{From: now.Add(-time.Hour), To: now}
	sel := runtimeSelector(t, "demo", "")
	heap, _ := Lookup("heap_inuse")
	for _, c := range []struct {
		name    string
		present []string
		want    string
	}{
		{"classic first", []string{"go_memstats_heap_inuse_bytes", "go_memory_classes_heap_objects_bytes", "go_memory_classes_heap_unused_bytes"},
			`sum by (job, instance) (go_memstats_heap_inuse_bytes{job="demo"})`},
		{"runtime/metrics fallback", []string{"go_memory_classes_heap_objects_bytes", "go_memory_classes_heap_unused_bytes"},
			`sum by (job, instance) (go_memory_classes_heap_objects_bytes{job="demo"}) + sum by (job, instance) (go_memory_classes_heap_unused_bytes{job="demo"})`},
	} {
		t.Run(c.name, func(t *testing.T) {
			prom := &fakeProm{present: c.present}
			fr, err := Run(context.Background(), Sources{Prometheus: prom}, sel, query.Runtime{Signal: "heap_inuse", Source: query.SourcePrometheus}, req)
			if err != nil {
				t.Fatal(err)
			}
			if want := []string{sel.PresenceQuery(heap.Metrics())}; !slices.Equal(prom.instant, want) {
				t.Errorf("instant queries %q, want %q", prom.instant, want)
			}
			if len(prom.ranged) != 1 || prom.ranged[0].Expr != c.want || prom.ranged[0].LegendFormat != "{{instance}}" {
				t.Fatalf("range queries %+v, want %s with legend {{instance}}", prom.ranged, c.want)
			}
			if len(fr) != 1 {
				t.Fatalf("%d frames, want 1", len(fr))
			}
			for _, f := range fr[0].Fields {
				unit := ""
				if f.Config != nil {
					unit = f.Config.Unit
				}
				want := ""
				if f.Type().Numeric() {
					want = "bytes"
				}
				if unit != want {
					t.Errorf("field %s has unit %q, want %q", f.Name, unit, want)
				}
			}
		})
	}
}

// A legend format of the query replaces the default one.
func TestRunLegendFormat(t *testing.T) {
	prom := &fakeProm{present: []string{"go_goroutines"}}
	_, err := Run(context.Background(), Sources{Prometheus: prom}, runtimeSelector(t, "", ""), query.Runtime{Signal: "goroutines", LegendFormat: "{{job}} {{instance}}"}, prometheus.Request{To: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if len(prom.ranged) != 1 || prom.ranged[0].LegendFormat != "{{job}} {{instance}}" {
		t.Errorf("range queries %+v, want the query's legend", prom.ranged)
	}
}

// No series in Prometheus: source prometheus, and auto without expvar targets, are the
// query's fault and name what is missing; a failing Prometheus is passed on as it is.
func TestRunPrometheusWithoutSeries(t *testing.T) {
	sel := runtimeSelector(t, "demo", "")
	for _, src := range []query.Source{query.SourcePrometheus, query.SourceAuto} {
		prom := &fakeProm{}
		_, err := Run(context.Background(), Sources{Prometheus: prom}, sel, query.Runtime{Signal: "goroutines", Source: src}, prometheus.Request{To: time.Now()})
		if err == nil || !badInput(err) || !strings.Contains(err.Error(), `no series for Goroutines (goroutines) in {job="demo"}`) {
			t.Errorf("source %s: %v, want a bad-input no-series error", src, err)
		}
		if len(prom.ranged) != 0 {
			t.Errorf("source %s: range queries %+v after no series", src, prom.ranged)
		}
	}

	down := upstream.Errorf("Prometheus", http.StatusServiceUnavailable, "unavailable")
	_, err := Run(context.Background(), Sources{Prometheus: &fakeProm{instantErr: down}}, sel, query.Runtime{Signal: "goroutines", Source: query.SourceAuto}, prometheus.Request{To: time.Now()})
	var ue *upstream.Error
	if !errors.As(err, &ue) || ue.Status != http.StatusServiceUnavailable {
		t.Errorf("failing Prometheus: %v, want its upstream error", err)
	}

	_, err = Run(context.Background(), Sources{Prometheus: &fakeProm{}}, sel, query.Runtime{Signal: "gorutines"}, prometheus.Request{To: time.Now()})
	if err == nil || !badInput(err) || !strings.Contains(err.Error(), "goroutines") {
		t.Errorf("unknown signal: %v, want a bad-input error naming goroutines", err)
	}
}

// Source expvar reads the targets' history in the instance scope, scaled to the unit,
// and never asks Prometheus.
func TestRunExpvarSource(t *testing.T) {
	t0 := time.Now().Add(-time.Minute).Truncate(time.Second)
	req := prometheus.Request{From: t0.Add(-time.Second), To: t0.Add(time.Minute)}
	ev := newFakeExpvar()
	for i, v := range []float64{10, 20} {
		ev.add(t, "api-1", "goroutines", t0.Add(time.Duration(i)*10*time.Second), v)
		ev.add(t, "api-2", "goroutines", t0.Add(time.Duration(i)*10*time.Second), v*100)
	}
	prom := &fakeProm{present: []string{"go_goroutines"}}
	// The regex is anchored: 10.0.0.1 alone matches no instance, 10\.0\.0\.1:.* one.
	_, err := Run(context.Background(), Sources{Prometheus: prom, Expvar: ev}, runtimeSelector(t, "", `10\.0\.0\.1`), query.Runtime{Signal: "goroutines", Source: query.SourceExpvar}, req)
	if err == nil || !badInput(err) || !strings.Contains(err.Error(), "no expvar target matches the scope") {
		t.Errorf("unanchored instance: %v, want no target in the scope", err)
	}
	fr, err := Run(context.Background(), Sources{Prometheus: prom, Expvar: ev}, runtimeSelector(t, "", `10\.0\.0\.1:.*`), query.Runtime{Signal: "goroutines", Source: query.SourceExpvar}, req)
	if err != nil {
		t.Fatal(err)
	}
	if len(prom.instant)+len(prom.ranged) != 0 {
		t.Errorf("source expvar asked Prometheus: %q %+v", prom.instant, prom.ranged)
	}
	if ev.started == 0 {
		t.Error("the expvar polling was not started")
	}
	if len(fr) != 1 || len(fr[0].Fields) != 2 {
		t.Fatalf("frames %v, want one series of api-1", fr)
	}
	v := fr[0].Fields[1]
	if want := (data.Labels{"instance": "10.0.0.1:8080", "target": "api-1"}); v.Labels.String() != want.String() {
		t.Errorf("labels %s, want %s", v.Labels, want)
	}
	if v.Config == nil || v.Config.Unit != "short" || values(v) != "[10 20]" {
		t.Errorf("unit %+v values %s, want short [10 20]", v.Config, values(v))
	}
}

// The pause ring gives the mean and the p99 in seconds; counters become per-second rates.
func TestRunExpvarKinds(t *testing.T) {
	t0 := time.Now().Add(-time.Minute).Truncate(time.Second)
	req := prometheus.Request{From: t0.Add(-time.Second), To: t0.Add(time.Minute)}
	ev := newFakeExpvar()
	ev.targets = ev.targets[:1]
	for p, ring := range [][]float64{{1e6, 3e6}, {1e6, 3e6, 8e6}} { // ns; missing entries are 0 (unused)
		at := t0.Add(time.Duration(p) * 10 * time.Second)
		for i := range ringSize {
			v := 0.0
			if i < len(ring) {
				v = ring[i]
			}
			ev.add(t, "api-1", fmt.Sprintf("memstats.PauseNs[%d]", i), at, v)
		}
		ev.add(t, "api-1", "memstats.NumGC", at, float64(100+p*50))
	}
	for _, c := range []struct{ signal, unit, want string }{
		{"gc_pause_mean", "s", "[0.002 0.004]"},
		{"gc_pause_p99", "s", "[0.003 0.008]"},
		{"gc_cycles_rate", "cps", "[5]"},
	} {
		fr, err := Run(context.Background(), Sources{Expvar: ev}, runtimeSelector(t, "", ""), query.Runtime{Signal: c.signal, Source: query.SourceExpvar}, req)
		if err != nil {
			t.Errorf("%s: %v", c.signal, err)
			continue
		}
		if len(fr) != 1 {
			t.Errorf("%s: %d frames, want 1", c.signal, len(fr))
			continue
		}
		v := fr[0].Fields[1]
		if v.Config == nil || v.Config.Unit != c.unit || values(v) != c.want {
			t.Errorf("%s: unit %+v values %s, want %s %s", c.signal, v.Config, values(v), c.unit, c.want)
		}
	}
}

// Auto falls back to the expvar targets when Prometheus has no series for the scope.
func TestRunAutoFallsBackToExpvar(t *testing.T) {
	t0 := time.Now().Add(-time.Minute).Truncate(time.Second)
	ev := newFakeExpvar()
	ev.add(t, "api-2", "goroutines", t0, 7)
	prom := &fakeProm{}
	fr, err := Run(context.Background(), Sources{Prometheus: prom, Expvar: ev}, runtimeSelector(t, "demo", `10\.0\.0\.2:8080`), query.Runtime{Signal: "goroutines", Source: query.SourceAuto}, prometheus.Request{From: t0.Add(-time.Second), To: t0.Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if len(prom.instant) != 1 || len(prom.ranged) != 0 {
		t.Errorf("Prometheus got %q and %+v, want the presence query only", prom.instant, prom.ranged)
	}
	if len(fr) != 1 || fr[0].Fields[1].Labels["target"] != "api-2" || values(fr[0].Fields[1]) != "[7]" {
		t.Errorf("frames %v, want api-2's [7]", fr)
	}
}

// The expvar source without expvar targets, or for a signal expvar has not, is refused
// with a message that says what to use instead.
func TestRunExpvarUnavailable(t *testing.T) {
	sel := runtimeSelector(t, "", "")
	_, err := Run(context.Background(), Sources{Prometheus: &fakeProm{}}, sel, query.Runtime{Signal: "goroutines", Source: query.SourceExpvar}, prometheus.Request{To: time.Now()})
	if err == nil || !badInput(err) || !strings.Contains(err.Error(), "has no expvar targets, use source prometheus or auto") {
		t.Errorf("no expvar targets: %v", err)
	}
	_, err = Run(context.Background(), Sources{Expvar: newFakeExpvar()}, sel, query.Runtime{Signal: "threads", Source: query.SourceExpvar}, prometheus.Request{To: time.Now()})
	if err == nil || !badInput(err) || !strings.Contains(err.Error(), "signal threads has no expvar equivalent") {
		t.Errorf("threads from expvar: %v", err)
	}
	_, err = Run(context.Background(), Sources{Expvar: newFakeExpvar()}, sel, query.Runtime{Signal: "goroutines", Source: query.SourcePrometheus}, prometheus.Request{To: time.Now()})
	if err == nil || !badInput(err) || !strings.Contains(err.Error(), "no Prometheus URL") {
		t.Errorf("source prometheus without Prometheus: %v", err)
	}
}

// Auto answers from the expvar targets when Prometheus cannot be reached (with a notice
// saying so) or is not configured at all.
func TestRunAutoFallsBackWithoutPrometheus(t *testing.T) {
	sel := runtimeSelector(t, "", "")
	t0 := time.Now().Add(-time.Minute)
	down := upstream.Errorf("Prometheus", http.StatusBadGateway, "connection refused by 127.0.0.1:9090")
	for name, prom := range map[string]Prometheus{"unreachable": &fakeProm{instantErr: down}, "not configured": nil} {
		ev := newFakeExpvar()
		ev.add(t, "api-1", "goroutines", t0, 12)
		fr, err := Run(context.Background(), Sources{Prometheus: prom, Expvar: ev}, sel, query.Runtime{Signal: "goroutines", Source: query.SourceAuto}, prometheus.Request{From: t0.Add(-time.Minute), To: time.Now()})
		if err != nil || len(fr) != 2 || values(fr[0].Fields[1]) != "[12]" {
			t.Fatalf("%s: %v, %v; want api-1's [12]", name, fr, err)
		}
		var notices []string
		if fr[0].Meta != nil {
			for _, n := range fr[0].Meta.Notices {
				notices = append(notices, n.Text)
			}
		}
		if want := name == "unreachable"; want != (len(notices) == 1 && strings.Contains(notices[0], "Prometheus did not answer, so this comes from the expvar targets: Prometheus: connection refused")) {
			t.Errorf("%s: notices %q", name, notices)
		}
	}
}

// Goroutines are read where the service publishes them: the usual names, or the path
// mapped for the data source or the target; a target without it gets a notice saying
// what to publish. Restarts are the polls where NumGC went down. A job keeps its targets.
func TestRunExpvarPathsAndJob(t *testing.T) {
	sel := runtimeSelector(t, "", "")
	t0 := time.Now().Add(-time.Minute)
	flat := func(doc string) []goexpvar.Var {
		vars, err := goexpvar.FlattenBytes([]byte(doc), goexpvar.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		return vars
	}
	ev := &fakeExpvar{
		targets: []goexpvar.Target{
			{Name: "a", Instance: "a:1", Job: "etcd"},
			{Name: "b", Instance: "b:1", Job: "caddy"},
			{Name: "c", Instance: "c:1", Job: "caddy", Paths: map[string]string{"goroutines": "app.routines"}},
			{Name: "d", Instance: "d:1"},
		},
		history: goexpvar.NewHistory(goexpvar.HistoryOptions{}),
		vars: map[string][]goexpvar.Var{
			"a": flat(`{"NumGoroutine": 5, "memstats": {"NumGC": 9}}`),
			"b": flat(`{"memstats": {"NumGC": 3}}`),
			"c": flat(`{"app": {"routines": 7}}`),
			"d": flat(`{"custom": {"g": 8}}`),
		},
	}
	ev.add(t, "a", "NumGoroutine", t0, 5)
	ev.add(t, "c", "app.routines", t0, 7)
	ev.add(t, "d", "custom.g", t0, 8)
	for i, v := range []float64{7, 9, math.NaN(), 2, 4} {
		ev.add(t, "a", "memstats.NumGC", t0.Add(time.Duration(i)*time.Second), v)
	}
	req := prometheus.Request{From: t0.Add(-time.Minute), To: time.Now()}
	run := func(signal, job string, paths map[string]string) (data.Frames, []string) {
		t.Helper()
		fr, err := Run(context.Background(), Sources{Expvar: ev, Paths: paths}, sel, query.Runtime{Signal: signal, Source: query.SourceExpvar, Job: job}, req)
		if err != nil {
			t.Fatalf("%s job %q: %v", signal, job, err)
		}
		var notices []string
		if fr[0].Meta != nil {
			for _, n := range fr[0].Meta.Notices {
				notices = append(notices, n.Text)
			}
		}
		return fr, notices
	}
	fr, notices := run("goroutines", "", map[string]string{"goroutines": "custom.g"})
	got := map[string]string{}
	for _, f := range fr {
		got[f.Fields[1].Labels["target"]] = values(f.Fields[1]) + " " + f.Meta.ExecutedQueryString
	}
	// a: a usual name; b: nothing (notice); c: its own mapping; d: the data source's.
	if want := map[string]string{"a": "[5] expvar NumGoroutine", "c": "[7] expvar app.routines", "d": "[8] expvar custom.g"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("goroutines %v, want %v", got, want)
	}
	if len(notices) != 1 || !strings.Contains(notices[0], "expvar target b publishes no Goroutines for goroutines (looked for custom.g, goroutines, Goroutines, NumGoroutine)") {
		t.Errorf("notices %q", notices)
	}
	_, notices = run("goroutines", "caddy", nil)
	if len(notices) != 1 || !strings.Contains(notices[0], "expvar target b publishes no Goroutines for goroutines (looked for goroutines, Goroutines, NumGoroutine)") || !strings.Contains(notices[0], "runtime.NumGoroutine()") {
		t.Errorf("job caddy: notices %q", notices)
	}
	fr, _ = run("restarts", "etcd", nil)
	if len(fr) != 1 || values(fr[0].Fields[1]) != "[0 0 NaN 1 0]" {
		t.Errorf("restarts %v, want [0 0 NaN 1 0]", fr)
	}
	_, err := Run(context.Background(), Sources{Expvar: ev}, sel, query.Runtime{Signal: "goroutines", Source: query.SourceExpvar, Job: "nginx"}, req)
	if err == nil || !badInput(err) || err.Error() != `no expvar target belongs to job "nginx": the jobs of the targets are etcd, caddy` {
		t.Errorf("unknown job: %v", err)
	}
}

func values(f *data.Field) string {
	vs := make([]float64, f.Len())
	for i := range vs {
		vs[i], _ = f.FloatAt(i)
	}
	return fmt.Sprint(vs)
}
