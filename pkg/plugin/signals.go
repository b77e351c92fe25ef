package plugin

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/gopulse/health/pkg/business"
	"github.com/gopulse/health/pkg/goexpvar"
	"github.com/gopulse/health/pkg/goruntime"
	"github.com/gopulse/health/pkg/prometheus"
	"github.com/gopulse/health/pkg/query"
	"github.com/gopulse/health/pkg/response"
	"github.com/gopulse/health/pkg/scope"
)

// errNoExpvar is the answer of the expvar source until expvar targets exist.
var errNoExpvar = errors.New("the expvar source is not configured: this data source has no expvar targets, use source prometheus or auto")

// queryRuntime answers a runtime query: one signal of the runtime catalogue for a scope,
// from the first of the signal's expressions whose series exist, with the signal's unit.
func (d *Datasource) queryRuntime(ctx context.Context, q backend.DataQuery) backend.DataResponse {
	model, err := query.ParseRuntime(q.JSON)
	if err != nil {
		return response.Response(nil, response.BadInput(err))
	}
	sig, err := goruntime.Lookup(model.Signal)
	if err != nil {
		return response.Response(nil, response.BadInput(err))
	}
	if err := query.CheckRange(q.TimeRange.From, q.TimeRange.To); err != nil {
		return response.Response(nil, response.BadInput(err))
	}
	if model.Source == query.SourceExpvar {
		return response.Response(d.runtimeFromExpvar(ctx, sig, model, q))
	}
	sel, err := d.selector(model.Job, model.Instance)
	if err != nil {
		return response.Response(nil, response.BadInput(err))
	}
	present, err := d.presentMetrics(ctx, sel, sig.Metrics(), q)
	if err != nil {
		return response.Response(nil, err)
	}
	expr, err := sig.Expr(sel, func(m string) bool { return present[m] })
	if err != nil && model.Source == query.SourceAuto && d.expvar != nil {
		// Prometheus has no series for the scope: the expvar targets may.
		return response.Response(d.runtimeFromExpvar(ctx, sig, model, q))
	}
	if err != nil {
		return response.Response(nil, response.BadInput(err))
	}
	legend := model.LegendFormat
	if legend == "" {
		legend = "{{" + sel.InstanceLabel + "}}"
	}
	fr, err := d.rangeFrames(ctx, q, 0, prometheus.Query{Expr: expr, LegendFormat: legend})
	for _, f := range fr {
		setUnit(f, sig.Unit)
	}
	return response.Response(fr, err)
}

// runtimeFromExpvar answers a runtime signal from the expvar targets' history: the value
// at the signal's expvar path, scaled to its unit, as a per-second rate where the signal
// is one (counter resets skipped), one series per target in the instance scope, with the
// same shape and unit as from Prometheus.
func (d *Datasource) runtimeFromExpvar(ctx context.Context, sig goruntime.Signal, model query.Runtime, q backend.DataQuery) (data.Frames, error) {
	if d.expvar == nil {
		return nil, response.BadInput(errNoExpvar)
	}
	if sig.ExpvarPath == "" || sig.Kind == goruntime.KindChanges {
		return nil, response.BadInput(fmt.Errorf("signal %s has no expvar equivalent in this version of GoPulse: use source prometheus", sig.ID))
	}
	re, err := anchoredRegexp(model.Instance)
	if err != nil {
		return nil, err
	}
	d.expvar.Start(ctx)
	var out data.Frames
	for _, t := range d.expvar.Targets() {
		if re != nil && !re.MatchString(t.Instance) {
			continue
		}
		times, values := expvarValues(d.expvar.History(), t.Name, sig, q.TimeRange)
		value := data.NewField(data.TimeSeriesValueFieldName, data.Labels{d.settings.InstanceLabel: t.Instance, "target": t.Name}, values)
		value.Config = &data.FieldConfig{DisplayNameFromDS: t.Instance, Unit: sig.Unit}
		meta := &data.FrameMeta{Type: data.FrameTypeTimeSeriesMulti, TypeVersion: data.FrameTypeVersion{0, 1}, ExecutedQueryString: "expvar " + sig.ExpvarPath}
		out = append(out, data.NewFrame("", data.NewField(data.TimeSeriesTimeFieldName, nil, times), value).SetMeta(meta))
	}
	if len(out) == 0 {
		return nil, response.BadInput(fmt.Errorf("no expvar target matches instance %q", model.Instance))
	}
	return out, nil
}

// expvarValues reads a runtime signal of one expvar target from the poll history over
// tr, in the signal's unit: the value at its path scaled, the mean or quantile of a ring
// such as PauseNs, or a per-second rate where the signal is one.
func expvarValues(h *goexpvar.History, target string, sig goruntime.Signal, tr backend.TimeRange) ([]time.Time, []float64) {
	var times []time.Time
	var values []float64
	switch sig.Kind {
	case goruntime.KindMean, goruntime.KindQuantile:
		times, values = ringStat(h, target, sig, tr)
	default:
		times, values, _ = h.Range(goexpvar.SeriesKey{Target: target, Path: sig.ExpvarPath}, tr.From, tr.To)
	}
	scale := cmp.Or(sig.ExpvarScale, 1)
	for i := range values {
		values[i] *= scale
	}
	if sig.ExpvarRate {
		times, values = perSecond(times, values)
	}
	return times, values
}

// ringSize is the length of MemStats.PauseNs, the ring of the last GC pauses.
const ringSize = 256

// ringStat computes, at every poll, the mean or the quantile of the non-zero entries of
// a ring such as memstats.PauseNs (zeros are entries not used yet).
func ringStat(h *goexpvar.History, target string, sig goruntime.Signal, tr backend.TimeRange) ([]time.Time, []float64) {
	at := map[int64][]float64{}
	var order []time.Time
	for i := range ringSize {
		times, values, _ := h.Range(goexpvar.SeriesKey{Target: target, Path: fmt.Sprintf("%s[%d]", sig.ExpvarPath, i)}, tr.From, tr.To)
		for j, t := range times {
			k := t.UnixMilli()
			if _, ok := at[k]; !ok {
				order = append(order, t)
			}
			if values[j] != 0 {
				at[k] = append(at[k], values[j])
			} else if at[k] == nil {
				at[k] = []float64{}
			}
		}
	}
	slices.SortFunc(order, time.Time.Compare)
	var ts []time.Time
	var vs []float64
	for _, t := range order {
		pauses := at[t.UnixMilli()]
		if len(pauses) == 0 {
			continue
		}
		ts = append(ts, t)
		if sig.Kind == goruntime.KindMean {
			sum := 0.0
			for _, p := range pauses {
				sum += p
			}
			vs = append(vs, sum/float64(len(pauses)))
			continue
		}
		slices.Sort(pauses)
		vs = append(vs, pauses[min(len(pauses)-1, int(math.Ceil(sig.Quantile*float64(len(pauses))))-1)])
	}
	return ts, vs
}

// perSecond turns a counter into its per-second rate between polls; a drop (a restart
// reset the counter) gives no point.
func perSecond(times []time.Time, values []float64) ([]time.Time, []float64) {
	var ts []time.Time
	var vs []float64
	for i := 1; i < len(values); i++ {
		dt := times[i].Sub(times[i-1]).Seconds()
		if dv := values[i] - values[i-1]; dv >= 0 && dt > 0 {
			ts, vs = append(ts, times[i]), append(vs, dv/dt)
		}
	}
	return ts, vs
}

// presentMetrics asks Prometheus, in one query, which of the metrics have series in the
// scope at the end of the query's range.
func (d *Datasource) presentMetrics(ctx context.Context, sel scope.Selector, metrics []string, q backend.DataQuery) (map[string]bool, error) {
	series, err := d.prom.InstantSeries(ctx, sel.PresenceQuery(metrics), q.TimeRange.To)
	if err != nil {
		return nil, err
	}
	present := make(map[string]bool, len(series))
	for _, s := range series {
		present[s.Labels["__name__"]] = true
	}
	return present, nil
}

// queryBusiness answers a business query: the metric's type (from Prometheus metadata)
// decides the expression: counters as rates, histograms as quantiles, summaries by their
// quantile label, gauges aggregated.
func (d *Datasource) queryBusiness(ctx context.Context, q backend.DataQuery) backend.DataResponse {
	model, err := query.ParseBusiness(q.JSON)
	if err != nil {
		return response.Response(nil, response.BadInput(err))
	}
	sel, err := d.selector(model.Job, model.Instance)
	if err != nil {
		return response.Response(nil, response.BadInput(err))
	}
	md, _, err := d.prom.Metadata(ctx, model.Metric)
	if err != nil {
		return response.Response(nil, err)
	}
	metricType := ""
	if len(md) > 0 {
		metricType = md[0].Type
	}
	plan, err := business.Build(business.Query{
		Metric: model.Metric, Aggregation: model.Aggregation, GroupBy: model.GroupBy,
		Quantiles: model.Quantiles, TopN: model.TopN, Matchers: model.Matchers,
	}, metricType, sel)
	if err != nil {
		return response.Response(nil, response.BadInput(err))
	}
	queries := make([]prometheus.Query, len(plan.Targets))
	for i, t := range plan.Targets {
		queries[i] = prometheus.Query{Expr: t.Expr, LegendFormat: t.Legend}
		if model.LegendFormat != "" {
			queries[i].LegendFormat = model.LegendFormat
		}
	}
	fr, err := d.rangeFrames(ctx, q, 0, queries...)
	if len(fr) > 0 {
		for _, n := range plan.Notices {
			addNotice(fr[0], data.Notice{Severity: data.NoticeSeverityInfo, Text: n})
		}
	}
	return response.Response(fr, err)
}

// selector is the scope of a runtime or business query, with the data source's job and
// instance label names.
func (d *Datasource) selector(job, instance string) (scope.Selector, error) {
	return scope.NewSelector(job, instance, d.settings.JobLabel, d.settings.InstanceLabel)
}

// rangeFrames runs range queries over the query's time range, with the step and macros
// every query type shares, and returns their frames in order.
func (d *Datasource) rangeFrames(ctx context.Context, q backend.DataQuery, minStep time.Duration, queries ...prometheus.Query) (data.Frames, error) {
	r, err := prometheus.StepRange(q.TimeRange.From, q.TimeRange.To, q.Interval, q.MaxDataPoints, minStep)
	if err != nil {
		return nil, response.BadInput(err)
	}
	macros := d.macros(q, r.Step)
	var out data.Frames
	for _, pq := range queries {
		pq.Expr = macros.Expand(pq.Expr)
		fr, err := d.prom.QueryRange(ctx, pq, r)
		if err != nil {
			return out, err
		}
		out = append(out, fr...)
	}
	if n := prometheus.StepNotice(r, q.TimeRange.From, q.TimeRange.To, q.Interval, q.MaxDataPoints, minStep); n != "" && len(out) > 0 {
		addNotice(out[0], data.Notice{Severity: data.NoticeSeverityInfo, Text: n})
	}
	return out, nil
}

func setUnit(f *data.Frame, unit string) {
	for _, fl := range f.Fields {
		if fl.Type().Numeric() {
			if fl.Config == nil {
				fl.Config = &data.FieldConfig{}
			}
			fl.Config.Unit = unit
		}
	}
}

// addNotice adds a notice to a frame. Frames of one query share their meta: the frame
// gets its own copy first.
func addNotice(f *data.Frame, n data.Notice) {
	meta := data.FrameMeta{}
	if f.Meta != nil {
		meta = *f.Meta
	}
	meta.Notices = append(slices.Clone(meta.Notices), n)
	f.Meta = &meta
}
