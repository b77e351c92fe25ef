package goexpvar

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/gopulse/health/pkg/query"
	"github.com/gopulse/health/pkg/response"
)

// Source is what expvar queries read: the targets, their latest variables and the poll
// history (a Poller).
type Source interface {
	// Start starts polling (once).
	Start(ctx context.Context)
	Targets() []Target
	Latest(target string) ([]Var, Status, bool)
	History() *History
}

// ErrNoTargets is the answer of expvar queries on a data source without targets.
var ErrNoTargets = errors.New("no expvar targets are configured for this data source: add targets or jobs to discover in its settings")

// Numeric tells whether a variable has a number (numbers, and bools as 0 or 1).
func (v Var) Numeric() bool { return v.Kind == KindNumber || v.Kind == KindBool }

// Selection is what an expvar query reads: its targets and path patterns.
type Selection struct {
	Targets  []Target
	Patterns []Pattern
}

// Select resolves a query's targets and parses its paths. Errors are the query's fault.
func Select(src Source, model query.Expvar) (Selection, error) {
	targets, err := SelectTargets(src.Targets(), model.Targets)
	if err != nil {
		return Selection{}, err
	}
	sel := Selection{Targets: targets, Patterns: make([]Pattern, len(model.Paths))}
	for i, p := range model.Paths {
		if sel.Patterns[i], err = ParsePath(p); err != nil {
			return Selection{}, err
		}
	}
	return sel, nil
}

// SelectTargets are the targets of all with the given names, in that order; no names is
// every target. An unknown name is an error naming the known ones.
func SelectTargets(all []Target, names []string) ([]Target, error) {
	if len(names) == 0 {
		return all, nil
	}
	out := make([]Target, 0, len(names))
	for _, n := range names {
		i := slices.IndexFunc(all, func(t Target) bool { return t.Name == n })
		if i < 0 {
			known := make([]string, len(all))
			for j, t := range all {
				known[j] = t.Name
			}
			return nil, fmt.Errorf("expvar target %q is not configured: known targets are %s", n, strings.Join(known, ", "))
		}
		out = append(out, all[i])
	}
	return out, nil
}

// Matching are the variables that one of the patterns matches.
func (s Selection) Matching(vars []Var) []Var {
	var out []Var
	for _, v := range vars {
		for _, p := range s.Patterns {
			if p.Match(v.Path) {
				out = append(out, v)
				break
			}
		}
	}
	return out
}

// Run answers an expvar query: the variables of its targets matching its paths, latest
// values as one table, or their history (or per-second rate) as time series from the
// poll history between from and to. opts says how the history is kept, for the notice
// when the range reaches past it.
func Run(ctx context.Context, src Source, model query.Expvar, from, to time.Time, opts PollerOptions) (data.Frames, error) {
	sel, err := Select(src, model)
	if err != nil {
		return nil, response.BadInput(err)
	}
	src.Start(ctx)
	var fr data.Frames
	var notices []data.Notice
	for _, t := range sel.Targets {
		vars, st, _ := src.Latest(t.Name)
		if !st.Up {
			notices = append(notices, data.Notice{Severity: data.NoticeSeverityWarning, Text: fmt.Sprintf("expvar target %s is down: %s", t.Name, st.LastError)})
		}
		matched := sel.Matching(vars)
		if model.Mode != query.ExpvarLatest {
			fr = append(fr, history(src.History(), t, matched, from, to, model.Mode == query.ExpvarRate, opts, &notices)...)
		} else {
			fr = appendLatest(fr, t, matched)
		}
	}
	if len(fr) == 0 {
		// No data: one frame of the mode's type without fields (the data plane's empty answer).
		meta := &data.FrameMeta{Type: data.FrameTypeTable}
		if model.Mode != query.ExpvarLatest {
			meta = &data.FrameMeta{Type: data.FrameTypeTimeSeriesMulti, TypeVersion: data.FrameTypeVersion{0, 1}}
		}
		fr = data.Frames{data.NewFrame("expvar").SetMeta(meta)}
	}
	for _, n := range notices {
		response.AddNotice(fr[0], n)
	}
	return fr, nil
}

// appendLatest adds a target's matched variables to the one latest table (made on the
// first call): target, instance, path, value (numbers and bools) and text (strings).
func appendLatest(fr data.Frames, t Target, vars []Var) data.Frames {
	if len(fr) == 0 {
		fr = data.Frames{data.NewFrame("expvar",
			data.NewField("target", nil, []string{}),
			data.NewField("instance", nil, []string{}),
			data.NewField("path", nil, []string{}),
			data.NewField("value", nil, []*float64{}),
			data.NewField("text", nil, []string{}),
		).SetMeta(&data.FrameMeta{Type: data.FrameTypeTable})}
	}
	f := fr[0]
	for _, v := range vars {
		var num *float64
		text := v.Str
		if v.Numeric() {
			n := v.Num
			num, text = &n, ""
		}
		f.AppendRow(t.Name, t.Instance, v.Path.String(), num, text)
	}
	return fr
}

// history makes one time series per matched numeric variable from the poll history (or
// its per-second rate, counter resets skipped), noting when the range reaches past what
// is kept.
func history(h *History, t Target, vars []Var, from, to time.Time, rate bool, opts PollerOptions, notices *[]data.Notice) data.Frames {
	var out data.Frames
	cut := false
	for _, v := range vars {
		if !v.Numeric() {
			*notices = append(*notices, data.Notice{Severity: data.NoticeSeverityWarning,
				Text: fmt.Sprintf("%s %s is a %s, not a number: it has no history (use mode latest)", t.Name, v.Path, v.Kind)})
			continue
		}
		path := v.Path.String()
		times, values, truncated := h.Range(SeriesKey{Target: t.Name, Path: path}, from, to)
		cut = cut || truncated
		if rate {
			times, values = PerSecond(times, values)
		}
		value := data.NewField("Value", data.Labels{"target": t.Name, "instance": t.Instance, "path": path}, values)
		value.Config = &data.FieldConfig{DisplayNameFromDS: t.Name + " " + path}
		out = append(out, data.NewFrame("", data.NewField("Time", nil, times), value).SetMeta(&data.FrameMeta{Type: data.FrameTypeTimeSeriesMulti, TypeVersion: data.FrameTypeVersion{0, 1}}))
	}
	if cut {
		*notices = append(*notices, data.Notice{Severity: data.NoticeSeverityInfo,
			Text: fmt.Sprintf("the range starts before the history kept for %s (polled every %s, kept %s)", t.Name, opts.Interval, opts.History.Retention.Round(time.Second))})
	}
	return out
}

// PerSecond turns a counter into its per-second rate between polls; a drop (a restart
// reset the counter) gives no point.
func PerSecond(times []time.Time, values []float64) ([]time.Time, []float64) {
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

// LiveFrame is one row: the time of the newest poll and the latest value of every
// matched numeric variable (a wide time series: one time field, one labelled field per
// variable).
func LiveFrame(src Source, sel Selection) *data.Frame {
	var newest time.Time
	fields := data.Fields{}
	for _, t := range sel.Targets {
		vars, st, _ := src.Latest(t.Name)
		if st.LastSuccess.After(newest) {
			newest = st.LastSuccess
		}
		for _, v := range sel.Matching(vars) {
			if v.Numeric() {
				path := v.Path.String()
				f := data.NewField(t.Name+" "+path, data.Labels{"target": t.Name, "instance": t.Instance, "path": path}, []float64{v.Num})
				fields = append(fields, f)
			}
		}
	}
	if newest.IsZero() {
		newest = time.Now().UTC()
	}
	f := data.NewFrame("expvar", append(data.Fields{data.NewField("Time", nil, []time.Time{newest})}, fields...)...)
	return f.SetMeta(&data.FrameMeta{Type: data.FrameTypeTimeSeriesWide, TypeVersion: data.FrameTypeVersion{0, 1}})
}
