package goruntime

import (
	"context"
	"errors"
	"fmt"
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

// Expvar is the expvar targets and their poll history.
type Expvar interface {
	// Start starts polling (once); the history fills from then on.
	Start(ctx context.Context)
	// WaitFirstPoll waits, briefly, for the first poll of the named targets.
	WaitFirstPoll(ctx context.Context, names ...string)
	Targets() []goexpvar.Target
	History() *goexpvar.History
}

// Sources are where a runtime query reads. Expvar is nil when the data source has no
// expvar targets.
type Sources struct {
	Prometheus Prometheus
	Expvar     Expvar
}

// errNoExpvar is the answer of the expvar source until expvar targets exist.
var errNoExpvar = errors.New("the expvar source is not configured: this data source has no expvar targets, use source prometheus or auto")

// Run answers a runtime query: one signal of the catalogue for a scope, from the first
// of the signal's expressions whose series exist in Prometheus (or from the expvar
// targets, with source expvar, or auto when Prometheus has none), with the signal's unit.
func Run(ctx context.Context, src Sources, sel scope.Selector, model query.Runtime, req prometheus.Request) (data.Frames, error) {
	sig, err := Lookup(model.Signal)
	if err != nil {
		return nil, response.BadInput(err)
	}
	if model.Source == query.SourceExpvar {
		return fromExpvar(ctx, src.Expvar, sig, sel, req)
	}
	present, err := Present(ctx, src.Prometheus, sel, sig.Metrics(), req.To)
	if err != nil {
		return nil, err
	}
	expr, err := sig.Expr(sel, func(m string) bool { return present[m] })
	if err != nil && model.Source == query.SourceAuto && src.Expvar != nil {
		// Prometheus has no series for the scope: the expvar targets may.
		return fromExpvar(ctx, src.Expvar, sig, sel, req)
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

// fromExpvar answers a runtime signal from the expvar targets' history: the value at the
// signal's expvar path, scaled to its unit, as a per-second rate where the signal is one
// (counter resets skipped), one series per target in the instance scope, with the same
// shape and unit as from Prometheus.
func fromExpvar(ctx context.Context, ev Expvar, sig Signal, sel scope.Selector, req prometheus.Request) (data.Frames, error) {
	if ev == nil {
		return nil, response.BadInput(errNoExpvar)
	}
	if sig.ExpvarPath == "" || sig.Kind == KindChanges {
		return nil, response.BadInput(fmt.Errorf("signal %s has no expvar equivalent in this version of GoPulse: use source prometheus", sig.ID))
	}
	ev.Start(ctx)
	var out data.Frames
	for _, t := range ev.Targets() {
		if !sel.HasInstance(t.Instance) {
			continue
		}
		times, values := ExpvarValues(ev.History(), t.Name, sig, req.From, req.To)
		value := data.NewField(data.TimeSeriesValueFieldName, data.Labels{sel.InstanceLabel: t.Instance, "target": t.Name}, values)
		value.Config = &data.FieldConfig{DisplayNameFromDS: t.Instance, Unit: sig.Unit}
		meta := &data.FrameMeta{Type: data.FrameTypeTimeSeriesMulti, TypeVersion: data.FrameTypeVersion{0, 1}, ExecutedQueryString: "expvar " + sig.ExpvarPath}
		out = append(out, data.NewFrame("", data.NewField(data.TimeSeriesTimeFieldName, nil, times), value).SetMeta(meta))
	}
	if len(out) == 0 {
		return nil, response.BadInput(fmt.Errorf("no expvar target matches the scope %s", sel))
	}
	return out, nil
}
