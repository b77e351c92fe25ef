package health

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"

	"github.com/gopulse/health/pkg/alerts"
	"github.com/gopulse/health/pkg/goexpvar"
	"github.com/gopulse/health/pkg/goruntime"
	"github.com/gopulse/health/pkg/prometheus"
	"github.com/gopulse/health/pkg/promname"
	"github.com/gopulse/health/pkg/query"
	"github.com/gopulse/health/pkg/response"
	"github.com/gopulse/health/pkg/scope"
)

// Settings are the data source's settings of health queries.
type Settings struct {
	// RequestMetric is the request counter; ErrorSelector the label matchers that pick
	// its failed requests; LatencyMetric a classic histogram of request latency in
	// seconds (without _bucket).
	RequestMetric, ErrorSelector, LatencyMetric string
	// GrowthWindow is the window of the goroutine growth (deriv) and of the GC pause p99.
	GrowthWindow  time.Duration
	AlertCritical string
	Thresholds    Thresholds
}

// Config is what a health query takes from its data source.
type Config struct {
	Settings Settings
	Levels   alerts.Levels
	// ExpvarInterval is the poll interval of the expvar targets: a value is current for
	// three of them.
	ExpvarInterval time.Duration
	// ExpvarPaths map runtime signal ids to the expvar paths of every target (a
	// target's own Paths win).
	ExpvarPaths map[string]string
}

// Prometheus is what health queries read from Prometheus.
type Prometheus interface {
	goruntime.Instant
	RangeSeries(ctx context.Context, expr string, r v1.Range) ([]prometheus.Series, error)
	LabelValues(ctx context.Context, label string, matches []string, r v1.Range) (prometheus.List, error)
	Alerts(ctx context.Context) ([]v1.Alert, error)
}

// Expvar is the expvar targets: their statuses and poll history.
type Expvar interface {
	Start(ctx context.Context)
	// WaitFirstPoll waits, briefly, for the first poll of the named targets (all: none).
	WaitFirstPoll(ctx context.Context, names ...string)
	Targets() []goexpvar.Target
	Latest(target string) ([]goexpvar.Var, goexpvar.Status, bool)
	Statuses() []goexpvar.Status
	History() *goexpvar.History
}

// Sources are where health queries read; Alertmanager and Expvar are nil when the data
// source has none.
type Sources struct {
	Prometheus   Prometheus
	Alertmanager alerts.Alertmanager
	Expvar       Expvar
}

// healthQuery is one health query on its way: its scope, grid and the input it gathers.
type healthQuery struct {
	src   Sources
	cfg   Config
	req   prometheus.Request
	model query.Health
	sel   scope.Selector
	r     v1.Range // the range of a time-series query; Start == End for the others
	in    Input
	// mu guards notices, which the parallel queries add to.
	mu       sync.Mutex
	notices  []data.Notice
	failures Failures
}

// notice adds a notice to the answer; safe from the parallel queries.
func (hq *healthQuery) notice(severity data.NoticeSeverity, text string) {
	hq.mu.Lock()
	defer hq.mu.Unlock()
	hq.notices = append(hq.notices, data.Notice{Severity: severity, Text: text})
}

// Run answers a health query: per instance of the scope, up, goroutines and their
// growth, heap in use, GC pause p99, request rate, error ratio, latency p99 and firing
// alerts, gathered in parallel from Prometheus (and the expvar targets), joined by
// instance (pkg/health) into a status and its reason.
func Run(ctx context.Context, src Sources, cfg Config, sel scope.Selector, model query.Health, req prometheus.Request) (data.Frames, error) {
	over := FromModel(model.Thresholds)
	if err := over.Validate(); err != nil {
		return nil, response.BadInput(err)
	}
	thresholds := cfg.Settings.Thresholds.With(over)
	if err := thresholds.Validate(); err != nil {
		return nil, response.BadInput(fmt.Errorf("%w (the other bound is the data source's)", err))
	}
	hq := &healthQuery{src: src, cfg: cfg, req: req, model: model, sel: sel}
	hq.in.Grid = Grid{Start: req.To, Points: 1}
	hq.r = v1.Range{Start: req.To, End: req.To}
	if model.Format == query.HealthTimeSeries {
		var err error
		if hq.r, err = prometheus.StepRange(req.From, req.To, req.Interval, req.MaxDataPoints, 0); err != nil {
			return nil, response.BadInput(err)
		}
		hq.in.Grid = Grid{Start: hq.r.Start, Step: hq.r.Step, Points: int(hq.r.End.Sub(hq.r.Start)/hq.r.Step) + 1}
	}
	hq.gather(ctx)
	critical := model.AlertCritical
	if critical == "" {
		critical = cfg.Settings.AlertCritical
	}
	j := NewJoin(&hq.in, Options{InstanceLabel: sel.InstanceLabel, JobLabel: sel.JobLabel,
		Thresholds: thresholds, AlertCritical: critical})
	err := hq.failures.Err()
	if j.Len() == 0 && err != nil {
		return nil, err
	}
	var fr data.Frames
	switch model.Format {
	case query.HealthNumeric:
		fr = j.Numeric()
	case query.HealthTimeSeries:
		fr = j.TimeSeries()
	default:
		fr = data.Frames{j.Table()}
	}
	if j.Len() == 0 {
		// Nothing to say per signal: say that the scope is empty, and what failed.
		if len(fr) == 0 {
			fr = data.Frames{data.NewFrame("health").SetMeta(&data.FrameMeta{Type: data.FrameTypeNumericMulti, TypeVersion: data.FrameTypeVersion{0, 1}})}
		}
		hq.notices = append(slices.DeleteFunc(hq.notices, func(n data.Notice) bool { return n.Severity == data.NoticeSeverityInfo }),
			data.Notice{Severity: data.NoticeSeverityWarning, Text: fmt.Sprintf("no instance in %s: neither Prometheus nor an expvar target knows one", hq.sel)})
	}
	for _, n := range hq.notices {
		response.AddNotice(fr[0], n)
	}
	return fr, err
}

// runtimeSignals are the signals of the join that the runtime catalogue reads (same
// ids), from Prometheus or an expvar target.
var runtimeSignals = []SignalID{Goroutines, HeapInuse, GCPauseP99}

// Metrics the health query reads besides the catalogue's: the GC pause summary, the
// process start (growth is clipped at it).
const (
	gcSummary    = "go_gc_duration_seconds"
	processStart = "process_start_time_seconds"
)

// answerKind says how a signal's query answer becomes join input.
type answerKind int8

const (
	plainAnswer   answerKind = iota // one value per step
	bucketsAnswer                   // a classic histogram's bucket rates by le: Ranged
	nativeAnswer                    // native histogram samples: Ranged
	summaryAnswer                   // the GC pause summary's quantiles and count: Ranged
)

// signalQuery is the PromQL of a signal and how its answer is read.
type signalQuery struct {
	expr string
	kind answerKind
}

// exprs are the PromQL of the signals (join order; "" when the scope has no series for
// it), from the runtime catalogue and the data source's business signals. Quantiles come
// from the source that resolves them best (see Ranged): the latency from the native
// histogram when there is one, else the classic buckets; the GC pause from the summary
// client_golang exports by default, else the catalogue's pause histogram.
func (hq *healthQuery) exprs(present map[string]bool) [NumSignals]signalQuery {
	hs, sel, by := hq.cfg.Settings, hq.sel, hq.sel.By()
	vec := func(metric string, extra ...string) string {
		return promname.Selector(metric, strings.Join(append([]string{sel.Matchers}, extra...), ","))
	}
	window := prometheusDuration(hs.GrowthWindow)
	buckets := func(metric, window string) string {
		return "sum by (" + by + ", le) (rate(" + vec(metric) + "[" + window + "]))"
	}
	var out [NumSignals]signalQuery
	set := func(id SignalID, expr string, kind answerKind) { out[Index(id)] = signalQuery{expr, kind} }
	set(Up, vec("up"), plainAnswer)
	has := func(m string) bool { return present[m] }
	for _, id := range runtimeSignals {
		sig, _ := goruntime.Lookup(string(id))
		if id == GCPauseP99 {
			if has(gcSummary) {
				// Prometheus 3 writes the quantile label as a float: "1.0".
				set(id, fmt.Sprintf(`max by (%[1]s, quantile) (%[2]s) or label_replace(max by (%[1]s) (%[3]s), "quantile", "count", "", "")`,
					by, vec(gcSummary, `quantile=~"0.75|1|1.0"`), vec(gcSummary+"_count")), summaryAnswer)
				continue
			}
			// GC cycles can be seconds apart: over a rate interval the histogram is
			// mostly empty. Take it over the growth window.
			if c, ok := sig.Chosen(has); ok {
				set(id, buckets(c.Metrics[0], window), bucketsAnswer)
				continue
			}
		}
		expr, err := sig.Expr(sel, has)
		if err != nil {
			hq.notice(data.NoticeSeverityInfo, err.Error())
			continue
		}
		set(id, expr, plainAnswer)
	}
	goroutines, _ := goruntime.Lookup(string(Goroutines))
	if c, ok := goroutines.Chosen(has); ok {
		deriv := func(w time.Duration) string {
			return fmt.Sprintf("sum by (%s) (deriv(%s[%s]))", by, vec(c.Metrics[0]), prometheusDuration(w))
		}
		growth := deriv(hs.GrowthWindow)
		if has(processStart) {
			// Only over the current process: the window, or its half or quarter while
			// the process is younger than that (no value before a quarter window).
			var parts []string
			for _, w := range []time.Duration{hs.GrowthWindow, hs.GrowthWindow / 2, hs.GrowthWindow / 4} {
				w = w.Truncate(time.Second)
				parts = append(parts, fmt.Sprintf("(%s unless on (%s) (max by (%s) (time() - %s) < %g))", deriv(w), by, by, vec(processStart), w.Seconds()))
			}
			growth = strings.Join(parts, " or ")
		}
		set(GoroutineGrowth, growth, plainAnswer)
	}
	reqs, errs := RequestExprs(hs.RequestMetric, sel.Matchers, hs.ErrorSelector, by)
	set(RequestRate, reqs, plainAnswer)
	set(ErrorRatio, errs, plainAnswer)
	if has(hs.LatencyMetric) {
		set(LatencyP99, "sum by ("+by+") (rate("+vec(hs.LatencyMetric)+"[$__rate_interval]))", nativeAnswer)
	} else {
		set(LatencyP99, buckets(hs.LatencyMetric+"_bucket", "$__rate_interval"), bucketsAnswer)
	}
	return out
}

// RequestExprs are the request rate and the error ratio of a request counter, summed by
// by over $__rate_interval, within matchers (a label-matcher list without braces); the
// failed requests are those errorSelector also matches. The error ratio is 0, not empty,
// while no request failed.
func RequestExprs(metric, matchers, errorSelector, by string) (rate, errorRatio string) {
	sum := func(m string) string {
		return "sum by (" + by + ") (rate(" + promname.Selector(metric, m) + "[$__rate_interval]))"
	}
	rate = sum(matchers)
	return rate, "(" + sum(matchers+","+errorSelector) + " or " + rate + " * 0) / " + rate
}

// prometheusDuration writes d as PromQL reads it: 5m, 90s.
func prometheusDuration(d time.Duration) string {
	if d%time.Minute == 0 {
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return fmt.Sprintf("%ds", d/time.Second)
}

// gather runs the queries of the join in parallel: the presence of the runtime metrics
// first, then every signal and the firing alerts at once, and reads the expvar targets.
// A failing source becomes a notice and an error, and the join knows it failed.
func (hq *healthQuery) gather(ctx context.Context) {
	if hq.src.Prometheus != nil {
		hq.gatherPrometheus(ctx)
	} else {
		hq.notice(data.NoticeSeverityInfo, "this data source has no Prometheus URL: health comes from the expvar targets alone (up, goroutines, heap in use, GC pause p99)")
	}
	// A failing source never gives ok: the join knows, and the answer says each failure
	// once.
	hq.in.Failed = hq.failures.Lines()
	for _, f := range hq.in.Failed {
		hq.notice(data.NoticeSeverityWarning, "did not answer: "+f)
	}
	if hq.src.Expvar != nil {
		hq.expvarSeries(ctx)
	}
}

// gatherPrometheus runs Prometheus's queries of the join in parallel: the presence of
// the runtime metrics first, then every signal and the firing alerts at once.
func (hq *healthQuery) gatherPrometheus(ctx context.Context) {
	sigs := Signals()
	metrics := []string{gcSummary, processStart, hq.cfg.Settings.LatencyMetric}
	for _, id := range runtimeSignals {
		sig, _ := goruntime.Lookup(string(id))
		metrics = append(metrics, sig.Metrics()...)
	}
	present, err := hq.present(ctx, metrics)
	if err != nil {
		hq.failures.Add("", err)
	} else {
		macros := hq.req.Macros(hq.r.Step)
		var wg sync.WaitGroup
		for i, q := range hq.exprs(present) {
			if q.expr == "" {
				continue
			}
			wg.Go(func() {
				series, err := hq.series(ctx, macros.Expand(q.expr))
				if err != nil {
					hq.failures.Add(strings.ToLower(sigs[i].Title), err)
					return
				}
				switch q.kind {
				case bucketsAnswer:
					hq.in.Ranged[i] = histogramQuantile(0.99, series)
				case nativeAnswer:
					hq.in.Ranged[i] = nativeQuantile(0.99, series)
				case summaryAnswer:
					hq.in.Ranged[i] = summaryPauseP99(series)
				default:
					hq.in.Series[i] = series
				}
			})
		}
		wg.Go(func() {
			if err := hq.alerts(ctx); err != nil {
				hq.failures.Add("alerts", err)
			}
		})
		wg.Wait()
	}
}

// present tells which of the metrics have series in the scope: at the end of the range,
// or anywhere in it for the time-series format (an instance may have gone since).
func (hq *healthQuery) present(ctx context.Context, metrics []string) (map[string]bool, error) {
	if hq.model.Format != query.HealthTimeSeries {
		return goruntime.Present(ctx, hq.src.Prometheus, hq.sel, metrics, hq.req.To)
	}
	names, err := hq.src.Prometheus.LabelValues(ctx, "__name__", []string{hq.sel.SeriesOf(metrics)}, prometheus.Window(hq.r.Start, hq.r.End))
	if err != nil {
		return nil, err
	}
	present := make(map[string]bool, len(names.Values))
	for _, n := range names.Values {
		present[n] = true
	}
	return present, nil
}

// series runs a signal's query: an instant query at the end of the range, or a range
// query for the time-series format.
func (hq *healthQuery) series(ctx context.Context, expr string) ([]prometheus.Series, error) {
	if hq.model.Format == query.HealthTimeSeries {
		return hq.src.Prometheus.RangeSeries(ctx, expr, hq.r)
	}
	return hq.src.Prometheus.InstantSeries(ctx, expr, hq.req.To)
}

// alerts reads the firing alerts: Prometheus's active alerts now, or the ALERTS series
// over the range for the time-series format.
func (hq *healthQuery) alerts(ctx context.Context) error {
	lv := hq.cfg.Levels
	if hq.model.Format == query.HealthTimeSeries {
		series, err := hq.src.Prometheus.RangeSeries(ctx, `ALERTS{alertstate="firing"`+strings.TrimSuffix(","+hq.sel.Matchers, ",")+`}`, hq.r)
		if err != nil {
			return err
		}
		for _, s := range series {
			hq.in.Alerts = append(hq.in.Alerts, Alert{Name: s.Labels["alertname"], Level: lv.Priority(lv.Severity(s.Labels)), Labels: s.Labels, Times: s.Times})
		}
		return nil
	}
	active, err := hq.src.Prometheus.Alerts(ctx)
	if err != nil {
		return err
	}
	list := alerts.FromPrometheus(active, lv)
	if hq.src.Alertmanager != nil {
		// Alertmanager adds whether an alert is silenced or inhibited; without it the
		// alerts are still known, so its failure is only a notice.
		if am, err := hq.src.Alertmanager.Alerts(ctx); err == nil {
			list = alerts.Merge(list, am, lv)
		} else {
			hq.notice(data.NoticeSeverityWarning, "Alertmanager did not answer: whether alerts are silenced is not shown. "+err.Error())
		}
	}
	for _, a := range list {
		if a.State == string(v1.AlertStateFiring) {
			hq.in.Alerts = append(hq.in.Alerts, Alert{Name: a.Name, Level: a.Priority, Labels: a.Labels,
				Times: []time.Time{hq.req.To}, Silenced: a.Silenced, Inhibited: a.Inhibited})
		}
	}
	return nil
}

// expvarSeries adds what the expvar targets of the scope know, after Prometheus's series
// (so they only fill what Prometheus lacks): up from the target's last poll (instant
// formats), goroutines, their growth (the least-squares slope over the growth window, as
// PromQL's deriv), heap in use and GC pause p99 from the poll history (each at the path
// the target publishes it; a notice names a target that publishes no goroutines). With a
// job in the scope, only targets of that job and instances that Prometheus knows in that
// job are read.
func (hq *healthQuery) expvarSeries(ctx context.Context) {
	ev := hq.src.Expvar
	ev.Start(ctx)
	ev.WaitFirstPoll(ctx)
	var known map[string]bool
	if hq.model.Job != "" {
		known = map[string]bool{}
		for _, s := range hq.in.Series[0] {
			known[s.Labels[hq.sel.InstanceLabel]] = true
		}
	}
	g := hq.in.Grid
	lookback := max(3*hq.cfg.ExpvarInterval, g.Step)
	window := hq.cfg.Settings.GrowthWindow
	from, to := g.Start.Add(-max(lookback, window)), g.At(g.Points-1)
	statuses := map[string]goexpvar.Status{}
	for _, st := range ev.Statuses() {
		statuses[st.Target] = st
	}
	for _, t := range ev.Targets() {
		if t.Instance == "" || !hq.sel.HasInstance(t.Instance) || (known != nil && !known[t.Instance] && t.Job != hq.model.Job) {
			continue
		}
		labels := data.Labels{hq.sel.InstanceLabel: t.Instance, "target": t.Name}
		add := func(i int, times []time.Time, values []float64) {
			ts, vs := Resample(times, values, g, lookback)
			if len(ts) > 0 {
				hq.in.Series[i] = append(hq.in.Series[i], prometheus.Series{Labels: labels, Times: ts, Values: vs})
			}
		}
		if st := statuses[t.Name]; g.Points == 1 && !st.LastPoll.IsZero() {
			up := 0.0
			if st.Up {
				up = 1
			}
			add(Index(Up), []time.Time{g.Start}, []float64{up})
		}
		vars, _, _ := ev.Latest(t.Name)
		for _, id := range runtimeSignals {
			sig, _ := goruntime.Lookup(string(id))
			path, tried, found := goruntime.ResolvePath(sig, t, hq.cfg.ExpvarPaths, vars)
			if !found {
				if id == Goroutines {
					hq.notice(data.NoticeSeverityInfo, fmt.Sprintf("expvar target %s publishes no goroutines (looked for %s): %s", t.Name, strings.Join(tried, ", "), goruntime.PublishHint(sig)))
				}
				continue
			}
			times, values := goruntime.ExpvarValues(ev.History(), t.Name, sig, path, from, to)
			add(Index(id), times, values)
			if id == Goroutines && window > 0 {
				ts, vs := Deriv(times, values, g, window)
				if len(ts) > 0 {
					hq.in.Series[Index(GoroutineGrowth)] = append(hq.in.Series[Index(GoroutineGrowth)], prometheus.Series{Labels: labels, Times: ts, Values: vs})
				}
			}
		}
	}
}
