package goruntime

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/gopulse/health/pkg/goexpvar"
	"github.com/gopulse/health/pkg/prometheus"
	"github.com/gopulse/health/pkg/query"
	"github.com/gopulse/health/pkg/response"
	"github.com/gopulse/health/pkg/scope"
)

// Instant runs instant queries.
type Instant interface {
	InstantSeries(ctx context.Context, expr string, at time.Time) ([]prometheus.Series, error)
}

// Prometheus is what runtime queries read from Prometheus.
type Prometheus interface {
	Instant
	RangeFrames(ctx context.Context, req prometheus.Request, minStep time.Duration, queries ...prometheus.Query) (data.Frames, error)
}

// Expvar is the expvar targets, their latest variables and their poll history.
type Expvar interface {
	// Start starts polling (once); the history fills from then on.
	Start(ctx context.Context)
	// WaitFirstPoll waits, briefly, for the first poll of the named targets.
	WaitFirstPoll(ctx context.Context, names ...string)
	Targets() []goexpvar.Target
	Latest(target string) ([]goexpvar.Var, goexpvar.Status, bool)
	History() *goexpvar.History
}

// Sources are where a runtime query reads. Prometheus is nil when the data source has no
// Prometheus URL, Expvar when it has no expvar targets. Paths map signal ids to the
// expvar paths of every target (a target's own Paths win).
type Sources struct {
	Prometheus Prometheus
	Expvar     Expvar
	Paths      map[string]string
}

// errNoExpvar is the answer of the expvar source until expvar targets exist.
var errNoExpvar = errors.New("the expvar source is not configured: this data source has no expvar targets, use source prometheus or auto")

// errNoPrometheus is the answer of the prometheus source without a Prometheus URL.
var errNoPrometheus = errors.New("this data source has no Prometheus URL: use source expvar or auto (its expvar targets), or set the Prometheus URL in its settings")

// Run answers a runtime query: one signal of the catalogue for a scope, from the first
// of the signal's expressions whose series exist in Prometheus, or from the expvar
// targets: with source expvar, or auto when Prometheus has no series for the scope,
// cannot be reached (with a notice), or is not configured.
func Run(ctx context.Context, src Sources, sel scope.Selector, model query.Runtime, req prometheus.Request) (data.Frames, error) {
	sig, err := Lookup(model.Signal)
	if err != nil {
		return nil, response.BadInput(err)
	}
	auto := model.Source == query.SourceAuto && src.Expvar != nil
	switch {
	case model.Source == query.SourceExpvar:
		return fromExpvar(ctx, src, sig, sel, model.Job, req)
	case src.Prometheus == nil && auto:
		return fromExpvar(ctx, src, sig, sel, model.Job, req)
	case src.Prometheus == nil:
		return nil, response.BadInput(errNoPrometheus)
	}
	present, err := Present(ctx, src.Prometheus, sel, sig.Metrics(), req.To)
	if err != nil && auto {
		fr, everr := fromExpvar(ctx, src, sig, sel, model.Job, req)
		if everr != nil {
			return nil, err // Prometheus's failure is the answer; expvar could not stand in
		}
		response.AddNotice(fr[0], data.Notice{Severity: data.NoticeSeverityWarning,
			Text: "Prometheus did not answer, so this comes from the expvar targets: " + err.Error()})
		return fr, nil
	}
	if err != nil {
		return nil, err
	}
	expr, err := sig.Expr(sel, func(m string) bool { return present[m] })
	if err != nil && auto {
		// Prometheus has no series for the scope: the expvar targets may.
		return fromExpvar(ctx, src, sig, sel, model.Job, req)
	}
	if err != nil {
		return nil, response.BadInput(err)
	}
	legend := model.LegendFormat
	if legend == "" {
		legend = "{{" + sel.InstanceLabel + "}}"
	}
	fr, err := src.Prometheus.RangeFrames(ctx, req, 0, prometheus.Query{Expr: expr, LegendFormat: legend})
	for _, f := range fr {
		response.SetUnit(f, sig.Unit)
	}
	return fr, err
}

// Present asks Prometheus, in one instant query at at, which of the metrics have series
// in the scope.
func Present(ctx context.Context, prom Instant, sel scope.Selector, metrics []string, at time.Time) (map[string]bool, error) {
	series, err := prom.InstantSeries(ctx, sel.PresenceQuery(metrics), at)
	if err != nil {
		return nil, err
	}
	present := make(map[string]bool, len(series))
	for _, s := range series {
		present[s.Labels["__name__"]] = true
	}
	return present, nil
}

// ExpvarTargets are the targets of a scope: those of job (when set) whose instance is in
// the instance regex. A job no target belongs to is an error naming the jobs known.
func ExpvarTargets(all []goexpvar.Target, sel scope.Selector, job string) ([]goexpvar.Target, error) {
	var out []goexpvar.Target
	var jobs []string
	for _, t := range all {
		if t.Job != "" && !slices.Contains(jobs, t.Job) {
			jobs = append(jobs, t.Job)
		}
		if (job == "" || t.Job == job) && sel.HasInstance(t.Instance) {
			out = append(out, t)
		}
	}
	if job != "" && !slices.ContainsFunc(all, func(t goexpvar.Target) bool { return t.Job == job }) {
		known := "none has a job: discovered targets carry their Prometheus job, configured targets the job set for them"
		if len(jobs) > 0 {
			known = "the jobs of the targets are " + strings.Join(jobs, ", ")
		}
		return nil, fmt.Errorf("no expvar target belongs to job %q: %s", job, known)
	}
	return out, nil
}

// fromExpvar answers a runtime signal from the expvar targets' history: the value at the
// signal's expvar path for each target, scaled to its unit, as a per-second rate where
// the signal is one (counter resets skipped), one series per target in the scope, with
// the same shape and unit as from Prometheus. A target that is down, or that does not
// publish the signal, gets a notice saying so and what to publish.
func fromExpvar(ctx context.Context, src Sources, sig Signal, sel scope.Selector, job string, req prometheus.Request) (data.Frames, error) {
	ev := src.Expvar
	if ev == nil {
		return nil, response.BadInput(errNoExpvar)
	}
	if sig.ExpvarPath == "" {
		return nil, response.BadInput(fmt.Errorf("signal %s has no expvar equivalent: the Go runtime does not publish it in expvar; use source prometheus", sig.ID))
	}
	ev.Start(ctx)
	targets, err := ExpvarTargets(ev.Targets(), sel, job)
	if err != nil {
		return nil, response.BadInput(err)
	}
	if len(targets) == 0 {
		return nil, response.BadInput(fmt.Errorf("no expvar target matches the scope %s", sel))
	}
	names := make([]string, len(targets))
	for i, t := range targets {
		names[i] = t.Name
	}
	ev.WaitFirstPoll(ctx, names...)
	now := time.Now()
	var out data.Frames
	var notices []data.Notice
	for _, t := range targets {
		vars, st, _ := ev.Latest(t.Name)
		if n, ok := goexpvar.StatusNotice(t.Name, st, now); ok {
			notices = append(notices, n)
		}
		path, tried, found := ResolvePath(sig, t, src.Paths, vars)
		if !found {
			notices = append(notices, data.Notice{Severity: data.NoticeSeverityWarning,
				Text: fmt.Sprintf("expvar target %s publishes no %s for %s (looked for %s): %s", t.Name, sig.Title, sig.ID, strings.Join(tried, ", "), PublishHint(sig))})
			continue
		}
		times, values := ExpvarValues(ev.History(), t.Name, sig, path, req.From, req.To)
		value := data.NewField(data.TimeSeriesValueFieldName, data.Labels{sel.InstanceLabel: t.Instance, "target": t.Name}, goexpvar.Nullable(values))
		value.Config = &data.FieldConfig{DisplayNameFromDS: t.Instance, Unit: sig.Unit}
		meta := &data.FrameMeta{Type: data.FrameTypeTimeSeriesMulti, TypeVersion: data.FrameTypeVersion{0, 1}, ExecutedQueryString: "expvar " + path}
		out = append(out, data.NewFrame("", data.NewField(data.TimeSeriesTimeFieldName, nil, times), value).SetMeta(meta))
	}
	if len(out) == 0 {
		out = data.Frames{data.NewFrame("").SetMeta(&data.FrameMeta{Type: data.FrameTypeTimeSeriesMulti, TypeVersion: data.FrameTypeVersion{0, 1}})}
	}
	for _, n := range notices {
		response.AddNotice(out[0], n)
	}
	return out, nil
}
